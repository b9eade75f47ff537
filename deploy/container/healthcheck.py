"""Container health check: GET ``XLAPULSE_HEALTHCHECK_URL``; exit 0 on a 2xx answer, else 1.

Reads the environment only (standard library, so it runs in any xlapulse image) and
writes one line to stdout, which Docker keeps in ``docker inspect``'s health log. The
image's default URL is the engine worker's ``/ready`` (200 once the consumer group has
assigned it input partitions); the gateway sets ``http://127.0.0.1:8470/ready`` (200
while Kafka accepts events) or ``/health`` (the process serves HTTP).
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:9464/ready"
TIMEOUT_S = 4.0


def check(url: str, timeout_s: float = TIMEOUT_S) -> tuple[bool, str]:
    """Whether ``url`` answers 2xx, and a line saying what it answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return True, f"{url}: {response.status}"
    except urllib.error.HTTPError as error:
        return False, f"{url}: {error.code}"
    except (OSError, ValueError) as error:
        return False, f"{url}: {error}"


def main() -> int:
    healthy, line = check(os.environ.get("XLAPULSE_HEALTHCHECK_URL") or DEFAULT_URL)
    print(line)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
