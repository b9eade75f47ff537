// Load generator for the xlapulse gateway benchmark (tests/benchmarks/gateway_load.py).
//
// Posts generic-format ticket webhooks, each with a unique ticket id and a valid
// X-Xlapulse-Signature, for -d, and prints one JSON line: requests, status counts,
// sustained requests per second, p50/p99/max latency (ms).
//
// Two modes:
//   - closed loop (default): -c connections each send the next request when the last is
//     answered, so the rate is the most the server sustains and latency includes queueing
//     at that rate;
//   - fixed rate (-rate N): request i is due at start + i/N whatever the answers, sent by
//     up to -c connections, and its latency counts from when it was due, so a server that
//     falls behind shows it in the latency (no coordinated omission).
//
// Go standard library only: `go build gateway_loadgen.go`.
package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"sort"
	"sync"
	"time"
)

type result struct {
	latencies []time.Duration
	statuses  map[int]int
	failures  int
}

func body(worker, n int, run string) []byte {
	return []byte(fmt.Sprintf(`{"source_system":"bench","ticket_id":"B-%s-%d-%d","action":"created",`+
		`"occurred_at":"2026-11-20T10:00:00+01:00","user":"user%d@bench.example","channel":"portal",`+
		`"category":"benchmark","priority":3}`, run, worker, n, n%5000))
}

func sign(secret string, payload []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(payload)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// post sends one signed webhook; its latency counts from due (the send time in the
// closed loop, the scheduled time at a fixed rate).
func post(client *http.Client, url, secret string, payload []byte, due time.Time, out *result) {
	request, _ := http.NewRequest("POST", url, bytes.NewReader(payload))
	request.Header.Set("Content-Type", "application/json")
	request.Header.Set("X-Xlapulse-Signature", sign(secret, payload))
	response, err := client.Do(request)
	if err != nil {
		out.failures++
		return
	}
	io.Copy(io.Discard, response.Body)
	response.Body.Close()
	out.latencies = append(out.latencies, time.Since(due))
	out.statuses[response.StatusCode]++
}

func work(client *http.Client, url, secret, run string, worker int, until time.Time, out *result) {
	for n := 0; time.Now().Before(until); n++ {
		post(client, url, secret, body(worker, n, run), time.Now(), out)
	}
}

// schedule puts the due time of each request on due at ratePerS until until, then closes it.
func schedule(due chan<- time.Time, ratePerS float64, started, until time.Time) {
	interval := time.Duration(float64(time.Second) / ratePerS)
	for next := started; next.Before(until); next = next.Add(interval) {
		if wait := time.Until(next); wait > 0 {
			time.Sleep(wait)
		}
		due <- next
	}
	close(due)
}

func workAtRate(client *http.Client, url, secret, run string, worker int, due <-chan time.Time, out *result) {
	n := 0
	for dueAt := range due {
		post(client, url, secret, body(worker, n, run), dueAt, out)
		n++
	}
}

func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	index := int(float64(len(sorted)-1) * p)
	return float64(sorted[index].Microseconds()) / 1000
}

func main() {
	url := flag.String("url", "http://127.0.0.1:8470/v1/webhooks/generic", "webhook URL")
	secret := flag.String("secret", "", "HMAC secret of the generic source")
	concurrency := flag.Int("c", 32, "concurrent connections")
	duration := flag.Duration("d", 20*time.Second, "measured duration")
	warmup := flag.Duration("warmup", 3*time.Second, "unmeasured warm-up")
	rate := flag.Float64("rate", 0, "requests per second due (0: closed loop)")
	run := flag.String("run", fmt.Sprint(time.Now().UnixNano()), "run id in ticket ids")
	flag.Parse()
	// The generator is pinned to one core (taskset), so Go would run a single P: then a
	// goroutine waiting for its timer or its answer waits for the others to yield, and
	// measured latency grew by the generator's own delays (p99 25 ms against a trivial
	// aiohttp server at a fixed 1,500/s with one P; 2-15 ms with four, over six 3-4 s runs
	// on 2026-12-02).
	runtime.GOMAXPROCS(4)
	transport := &http.Transport{MaxIdleConnsPerHost: *concurrency, MaxConnsPerHost: *concurrency}
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}

	for _, phase := range []struct {
		name string
		d    time.Duration
	}{{"warmup", *warmup}, {"measure", *duration}} {
		results := make([]*result, *concurrency)
		var group sync.WaitGroup
		started := time.Now()
		until := started.Add(phase.d)
		due := make(chan time.Time, 1<<20)
		if *rate > 0 {
			go schedule(due, *rate, started, until)
		}
		for worker := 0; worker < *concurrency; worker++ {
			results[worker] = &result{statuses: map[int]int{}}
			group.Add(1)
			go func(worker int) {
				defer group.Done()
				if *rate > 0 {
					workAtRate(client, *url, *secret, *run+phase.name, worker, due, results[worker])
				} else {
					work(client, *url, *secret, *run+phase.name, worker, until, results[worker])
				}
			}(worker)
		}
		group.Wait()
		if phase.name == "warmup" {
			continue
		}
		elapsed := time.Since(started).Seconds()
		var all []time.Duration
		statuses := map[string]int{}
		failures := 0
		for _, r := range results {
			all = append(all, r.latencies...)
			for code, count := range r.statuses {
				statuses[fmt.Sprint(code)] += count
			}
			failures += r.failures
		}
		sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
		json.NewEncoder(os.Stdout).Encode(map[string]any{
			"requests":         len(all),
			"statuses":         statuses,
			"transport_errors": failures,
			"elapsed_s":        elapsed,
			"requests_per_s":   float64(statuses["200"]) / elapsed,
			"p50_ms":           percentile(all, 0.50),
			"p99_ms":           percentile(all, 0.99),
			"max_ms":           percentile(all, 1.0),
			"concurrency":      *concurrency,
			"rate_due_per_s":   *rate,
		})
	}
}
