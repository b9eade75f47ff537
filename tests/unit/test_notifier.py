"""The reference notifier without servers: directory, opt-outs, the ledger, who is told."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from xlapulse.collectors.contract.outputs import NoticeEvent
from xlapulse.collectors.notifier.config import load_notifier_config
from xlapulse.collectors.notifier.directory import DirectoryError, read_directory, read_opt_outs
from xlapulse.collectors.notifier.ledger import Ledger
from xlapulse.collectors.notifier.run import Notifier, parse_notice
from xlapulse.collectors.privacy import Pseudonymizer
from xlapulse.collectors.yamlfile import YamlFileError

KEY = Pseudonymizer(b"unit-test-key-16-bytes")


def directory(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "directory.csv"
    path.write_text("identity,email,language\n" + "\n".join(rows) + "\n")
    return path


def notice(kind: str, *identities: str, dip: str = "dip_" + "a" * 20) -> NoticeEvent:
    return NoticeEvent(
        event_id=uuid.uuid4(),
        event_time=datetime(2026, 12, 1, 9, tzinfo=UTC),
        notice_id="notice_" + "b" * 20,
        dip_id=dip,
        kind=kind,
        persona="field_worker",
        site="utrecht",
        touch_point="vpn",
        recipients=[KEY.user(identity) for identity in identities],
        messages={"nl": f"nl {kind}", "en": f"en {kind}"},
    )


def test_directory_maps_pseudonyms_with_the_collectors_key_and_drops_opt_outs(
    tmp_path: Path,
) -> None:
    path = directory(tmp_path, ["CORP\\ann,ann@corp.test,nl", "CORP\\bob,bob@corp.test,EN"])
    people = read_directory(path, KEY, {"bob@corp.test"})
    assert list(people) == [KEY.user("corp\\ANN")], "pseudonyms as the collectors make them"
    assert people[KEY.user("CORP\\ann")].language == "nl"


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["CORP\\ann,ann@corp.test,de"], "directory.csv:2: language must be one of nl, en"),
        (
            ["CORP\\ann,ann@corp.test,nl", ",nobody,nl"],
            "directory.csv:3: an identity and an e-mail",
        ),
    ],
)
def test_a_bad_directory_row_names_the_file_and_line(
    tmp_path: Path, rows: list[str], message: str
) -> None:
    with pytest.raises(DirectoryError, match=message):
        read_directory(directory(tmp_path, rows), KEY, set())


def test_opt_out_list_ignores_comments_and_case(tmp_path: Path) -> None:
    path = tmp_path / "opt-out.txt"
    path.write_text("# asked on 2026-11-30\nAnn@Corp.test\n\n")
    assert read_opt_outs(path) == {"ann@corp.test"}


def test_nobody_is_told_twice_and_resolved_only_after_being_told(tmp_path: Path) -> None:
    people = read_directory(
        directory(tmp_path, ["ann,ann@corp.test,nl", "bob,bob@corp.test,en"]), KEY, set()
    )
    sent: list[tuple[str, str, str]] = []
    notifier = Notifier(
        people,
        Ledger(tmp_path / "ledger.sqlite"),
        lambda person, kind, dip_id, text: sent.append((person.email, kind, text)),
    )
    notifier.handle(notice("we_know", "ann", "stranger"))
    notifier.handle(notice("we_know", "ann"))  # redelivered, or an update naming her again
    notifier.handle(notice("resolved", "ann", "bob"))
    assert sent == [
        ("ann@corp.test", "we_know", "nl we_know"),
        ("ann@corp.test", "resolved", "nl resolved"),
    ]
    assert notifier.counts["not_reachable"] == 1 and notifier.counts["already_told"] == 1
    assert notifier.counts["resolved_not_told_open"] == 1
    # a new notifier process over the same ledger remembers
    again = Notifier(people, Ledger(tmp_path / "ledger.sqlite"), lambda *args: sent.append(args))
    again.handle(notice("we_know", "ann"))
    assert len(sent) == 2


def test_a_record_that_is_not_a_notice_is_skipped_with_a_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert parse_notice(b'{"event_type": "notice"}') is None
    assert "not a notice" in caplog.text


def test_config_needs_exactly_one_channel_and_says_where(tmp_path: Path) -> None:
    path = tmp_path / "notify.yaml"
    path.write_text("directory_csv: d.csv\nledger: l.sqlite\nsmtp:\n  host: mail\n  sender: nope\n")
    with pytest.raises(YamlFileError) as error:
        load_notifier_config(path)
    assert f"{path}:5:11: smtp.sender: String should match pattern" in str(error.value)
    path.write_text("directory_csv: d.csv\nledger: l.sqlite\n")
    with pytest.raises(YamlFileError, match="configure exactly one of smtp and chat_webhook"):
        load_notifier_config(path)


def test_the_chat_webhook_channel_posts_one_json_message_per_person(tmp_path: Path) -> None:
    """delivery_for with a chat webhook, to a real HTTP listener on 127.0.0.1: each person
    gets one POST with their address, the subject in their language, the text and the dip.
    (Found by mypy: the channel passed five arguments to a four-argument function and
    encoded bytes, so no chat message was ever sent.)"""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from xlapulse.collectors.notifier.config import ChatWebhookSettings, NotifierConfig
    from xlapulse.collectors.notifier.deliver import DIP_HEADER
    from xlapulse.collectors.notifier.directory import Person
    from xlapulse.collectors.notifier.run import delivery_for

    received: list[tuple[dict, str | None]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((json.loads(body), self.headers.get(DIP_HEADER)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config = NotifierConfig(
            directory_csv=tmp_path / "d.csv",
            ledger=tmp_path / "l.sqlite",
            chat_webhook=ChatWebhookSettings(url=f"http://127.0.0.1:{server.server_port}/hook"),
        )
        deliver = delivery_for(config)
        deliver(Person("an@example.org", "nl"), "we_know", "dip_x", "nl we_know")
        deliver(Person("bo@example.org", "en"), "resolved", "dip_x", "en resolved")
    finally:
        server.shutdown()
    assert received == [
        (
            {
                "to": "an@example.org",
                "subject": "We weten ervan en werken eraan",
                "text": "nl we_know",
                "dip_id": "dip_x",
            },
            "dip_x",
        ),
        (
            {
                "to": "bo@example.org",
                "subject": "It is solved",
                "text": "en resolved",
                "dip_id": "dip_x",
            },
            "dip_x",
        ),
    ]
