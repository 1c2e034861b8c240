"""Notifier end to end: a real SMTP server and webhook receiver on loopback, outages, crashes."""

from __future__ import annotations

import signal
import sqlite3
import time
from collections.abc import Iterator
from email.message import Message

import pytest

from tests.conftest import Hrdwatch
from tests.receivers import SmtpServer, WebhookReceiver, free_port
from tests.site import Resource, Site, html

SECRET = "s3cret-key"
BASE = "<p>The Office supports the justice reform in Albania with training for judges and prosecutors.</p>"
NEWS = "The Parliament approved the draft law on a protection mechanism for human rights defenders."


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(SECRET.encode()).start()
    yield receiver
    receiver.stop()


def setup(site: Site, hrdwatch: Hrdwatch, notify: dict, extra: str = "") -> None:
    site["/p"] = html(f"<main><h1>News</h1>{BASE}</main>").body.decode()
    hrdwatch.env["HRDWATCH_WEBHOOK_SECRET"] = SECRET
    hrdwatch.write_config([{"id": "coe", "url": site.url("/p")}], notify={"retry_initial": "0.1s", **notify})
    hrdwatch.run("crawl")
    site["/p"] = html(f"<main><h1>News</h1>{BASE}<p>{NEWS}{extra}</p></main>").body.decode()


def email_settings(smtp_url: str, **extra: object) -> dict:
    return {"smtp": smtp_url, "from": "hrdwatch@example.org", "to": ["analyst@example.org"], **extra}


def parts(message: Message) -> dict[str, str]:
    found = {}
    for part in message.walk():
        if part.get_content_type() in ("text/plain", "text/html"):
            found[part.get_content_type()] = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    return found


def test_alert_goes_out_by_email_and_signed_webhook(
    site: Site, hrdwatch: Hrdwatch, smtp: SmtpServer, hook: WebhookReceiver
) -> None:
    setup(
        site,
        hrdwatch,
        {"email": email_settings(smtp.url), "webhooks": [{"url": hook.url, "secret_env": "HRDWATCH_WEBHOOK_SECRET"}]},
    )
    out = hrdwatch.run("crawl").stdout
    assert "Notifications: 2 sent" in out, out
    [alert] = hrdwatch.alerts()

    [message] = smtp.messages
    assert "hrd-mechanism" in message["Subject"] and "coe" in message["Subject"]
    assert message["Message-ID"] == f"<hrdwatch-alert-{alert['id']}@example.org>"
    body = parts(message)
    assert NEWS in body["text/plain"]
    assert site.url("/p") in body["text/html"]
    assert "<mark>" in body["text/html"]

    [request] = hook.requests
    assert request["json"] == alert  # the same fields as `hrdwatch alerts --json`
    assert request["signature_ok"] is True
    assert request["headers"]["Idempotency-Key"].startswith(f"{alert['id']}-webhook:")
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["X-Hrdwatch-Timestamp"].isdigit()

    # Nothing is sent twice.
    hrdwatch.run("notify")
    assert len(smtp.messages) == 1 and len(hook.requests) == 1


def test_webhook_failing_twice_is_delivered_exactly_once(site: Site, hrdwatch: Hrdwatch, hook: WebhookReceiver) -> None:
    setup(site, hrdwatch, {"webhooks": [{"url": hook.url, "secret_env": "HRDWATCH_WEBHOOK_SECRET"}]})
    hook.script = [500, 503]
    assert "1 to retry" in hrdwatch.run("crawl").stdout
    time.sleep(0.2)
    assert "1 to retry" in hrdwatch.run("notify").stdout
    time.sleep(0.4)
    assert "1 sent" in hrdwatch.run("notify").stdout
    time.sleep(0.5)
    hrdwatch.run("notify")
    assert [r["status"] for r in hook.requests] == [500, 503, 200]
    assert len({r["headers"]["Idempotency-Key"] for r in hook.requests}) == 1
    assert len(hook.delivered()) == 1


def test_permanent_webhook_error_is_marked_failed_and_shown(
    site: Site, hrdwatch: Hrdwatch, hook: WebhookReceiver
) -> None:
    setup(site, hrdwatch, {"webhooks": [{"url": hook.url}]})
    hook.script = [404]
    assert "1 failed" in hrdwatch.run("crawl").stdout
    status = hrdwatch.run("notify", "--status").stdout
    assert "1 failed" in status and "HTTP 404" in status
    assert hrdwatch.sources()["coe"]["failed_deliveries"] == 1


def test_smtp_down_during_crawl_then_back(site: Site, hrdwatch: Hrdwatch) -> None:
    port = free_port()
    setup(site, hrdwatch, {"email": email_settings(f"smtp://127.0.0.1:{port}")})
    assert "1 to retry" in hrdwatch.run("crawl").stdout
    server = SmtpServer(port).start()
    try:
        time.sleep(0.2)
        assert "1 sent" in hrdwatch.run("notify").stdout
        hrdwatch.run("notify")
        assert len(server.messages) == 1
    finally:
        server.stop()


def test_page_html_is_escaped_in_email(site: Site, hrdwatch: Hrdwatch, smtp: SmtpServer) -> None:
    setup(
        site,
        hrdwatch,
        {"email": email_settings(smtp.url)},
        extra=" &lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;bold&lt;/b&gt;",
    )
    hrdwatch.run("crawl")
    html_part = parts(smtp.messages[0])["text/html"]
    assert "<script>" not in html_part and "<b>bold" not in html_part
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_part


def test_digest_sends_one_email_per_crawl(site: Site, hrdwatch: Hrdwatch, smtp: SmtpServer) -> None:
    site["/a"] = html(f"<main>{BASE}</main>").body.decode()
    site["/b"] = html(f"<main>{BASE}</main>").body.decode()
    hrdwatch.write_config(
        [{"id": "a", "url": site.url("/a")}, {"id": "b", "url": site.url("/b")}],
        notify={"email": email_settings(smtp.url, digest=True)},
    )
    hrdwatch.run("crawl")
    site["/a"] = html(f"<main>{BASE}<p>{NEWS}</p></main>").body.decode()
    site["/b"] = html(
        f"<main>{BASE}<p>Avokati i Popullit propozoi një mekanizëm për mbrojtjen e mbrojtësve të të drejtave të njeriut.</p></main>"
    ).body.decode()
    hrdwatch.run("crawl")
    assert len(smtp.messages) == 1
    text = parts(smtp.messages[0])["text/plain"]
    assert NEWS in text and "mbrojtësve" in text


def test_source_health_notices_once(site: Site, hrdwatch: Hrdwatch, hook: WebhookReceiver) -> None:
    setup(site, hrdwatch, {"webhooks": [{"url": hook.url}], "unreachable_after": 2})
    site["/p"] = Resource(b"down", status=503)
    for _ in range(4):
        hrdwatch.run("crawl")
    site["/p"] = html(f"<main><h1>News</h1>{BASE}</main>").body.decode()
    hrdwatch.run("crawl")
    hrdwatch.run("crawl")
    kinds = [r["json"].get("type") for r in hook.requests]
    assert kinds == ["source-unreachable", "source-recovered"]


def test_notify_test_reports_each_channel(hrdwatch: Hrdwatch, smtp: SmtpServer, hook: WebhookReceiver) -> None:
    dead = free_port()
    hrdwatch.write_config(
        [],
        notify={
            "email": email_settings(smtp.url),
            "webhooks": [{"url": hook.url}, {"url": f"http://127.0.0.1:{dead}/x", "timeout": "2s"}],
        },
    )
    proc = hrdwatch.run("notify", "--test", check=False)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("ok") and "email" in lines[0]
    assert lines[1].startswith("ok") and hook.url in lines[1]
    assert lines[2].startswith("FAILED") and str(dead) in lines[2]
    assert len(smtp.messages) == 1 and len(hook.requests) == 1


def test_killed_while_delivering_loses_nothing(site: Site, hrdwatch: Hrdwatch, hook: WebhookReceiver, tmp_path) -> None:
    pages = [f"/p{i}" for i in range(6)]
    for path in pages:
        site[path] = html(f"<main>{BASE}</main>").body.decode()
    hrdwatch.write_config(
        [{"id": f"s{i}", "url": site.url(p)} for i, p in enumerate(pages)],
        notify={"webhooks": [{"url": hook.url, "timeout": "1s"}], "retry_initial": "0.1s"},
    )
    hrdwatch.run("crawl")
    hook.script = [500] * 6  # the crawl's own delivery attempt fails: all stay pending
    for path in pages:
        site[path] = html(f"<main>{BASE}<p>{NEWS} ({path})</p></main>").body.decode()
    hrdwatch.run("crawl")
    alert_ids = {a["id"] for a in hrdwatch.alerts()}
    assert len(alert_ids) == 6
    hook.delay = 0.4
    proc = hrdwatch.popen("notify")
    # Killed in the middle of sending: once the first delivery is in (a fixed sleep can end
    # before a slow machine has even started the command).
    deadline = time.monotonic() + 60
    while not hook.delivered() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    hook.delay = 0
    assert 0 < len(hook.delivered()) < 6
    time.sleep(3.5)  # claims of the killed worker expire (2 × timeout + 5 s after they were taken… at most)
    for _ in range(5):
        if (
            "0 sent, 0 to retry" in hrdwatch.run("notify").stdout
            and len({r["json"]["id"] for r in hook.delivered()}) == 6
        ):
            break
        time.sleep(2)
    delivered = {r["json"]["id"] for r in hook.delivered()}
    assert delivered == alert_ids
    db = sqlite3.connect(tmp_path / "hrdwatch.db")
    assert db.execute("select count(*) from deliveries where status != 'sent'").fetchone()[0] == 0


def test_apprise_channel_delivers(site: Site, hrdwatch: Hrdwatch, hook: WebhookReceiver) -> None:
    port = hook.url.split(":")[2].split("/")[0]
    setup(site, hrdwatch, {"apprise": [f"json://127.0.0.1:{port}/hook"]})
    assert "1 sent" in hrdwatch.run("crawl").stdout
    [request] = hook.requests
    assert NEWS in request["json"]["message"]
    assert "hrd-mechanism" in request["json"]["title"]
