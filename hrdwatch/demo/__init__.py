"""`hrdwatch demo`: the whole job, offline, on a bundled sample site served on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from hrdwatch.demo.site import NEW_RELEVANT, pages
from hrdwatch.notifier.messages import alert_item, email_message
from hrdwatch.storage.db import Database
from hrdwatch.storage.queries import alert_record, list_alerts

EXPLANATION = """\
What happened
  1. The first crawl read four sample sources (a news listing with its articles, a parliament
     page in Albanian, an NGO country page and a feed) and stored them as the baseline: no alerts.
  2. The site then changed the way real sites do: clocks, view counters, security tokens,
     asset versions and the "most read" box changed everywhere; an unrelated news item, a
     parliament item about a visit and a feed entry on a youth forum appeared; and one new
     article about a protection mechanism for human rights defenders was published.
  3. The second crawl found all of that, ignored the noise and the unrelated text, and raised
     exactly one alert — for the new sentences about the mechanism, with the terms that
     made them relevant. The email and webhook files show what would be sent.

Watch real sources
  hrdwatch init hrdwatch.yaml     # the Albanian HRD-mechanism sources, ready to edit
  hrdwatch check SOURCE_ID        # see what a source watches and how its text scores
  hrdwatch crawl                  # crawl now (the first crawl is the baseline)
  hrdwatch run                    # keep watching, each source on its own interval
"""


class _Server:
    def __init__(self) -> None:
        self.version = 1
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                found = pages(server.version).get(self.path.split("?")[0])
                status, (ctype, body) = (200, found) if found else (404, ("text/plain", b"not found"))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def run_demo(out_dir: Path, database: str | None, echo: Callable[[str], None]) -> int:
    """Run the demo; returns the exit status (0 when exactly the relevant alert was raised)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="hrdwatch-demo-"))
    db_url = database or f"sqlite:///{workdir / 'demo.db'}"
    server = _Server()
    try:
        config = {
            "database": db_url,
            "crawl": {"delay": 0, "retries": 0, "timeout": "10s"},
            "sources": [
                {
                    "id": "demo-coe-news",
                    "url": server.url("/office/news"),
                    "kind": "listing",
                    "follow": r"/office/news/\d{4}/",
                },
                {"id": "demo-parlament", "url": server.url("/parlament/lajme"), "language": "sq"},
                {"id": "demo-ngo-albania", "url": server.url("/ngo/albania")},
                {"id": "demo-osce-feed", "url": server.url("/osce/feed.xml"), "kind": "feed"},
            ],
        }
        config_path = out_dir / "demo-config.yaml"
        config_path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
        echo(f"Serving the sample site on {server.url('/')} (configuration: {config_path})\n")
        for version, label in ((1, "First crawl (baseline)"), (2, "Second crawl (after the site changed)")):
            server.version = version
            proc = subprocess.run(
                [sys.executable, "-m", "hrdwatch", "--config", str(config_path), "crawl"],
                capture_output=True,
                text=True,
                timeout=300,
            )
            echo(f"{label}:\n  {proc.stdout.strip()}\n")
            if proc.returncode != 0:
                echo(proc.stderr)
                return 1
        db = Database(db_url)
        with db.transaction() as session:
            alerts = [(alert_record(a), a.title) for a in list_alerts(session)]
        db.close()
        for record, title in alerts:
            echo(f"ALERT #{record['id']} [{record['source']}] {record['topic']} (score {record['score']})")
            echo(f"  {record['url']}")
            echo(f"  why: {', '.join(record['terms'])}")
            echo(f"  {record['excerpt']}\n")
            item = alert_item(record, title)
            eml = out_dir / f"alert-{record['id']}.eml"
            eml.write_bytes(bytes(email_message([item], "hrdwatch@example.org", ["analyst@example.org"])))
            hook = out_dir / f"alert-{record['id']}.webhook.json"
            hook.write_text(json.dumps(item.payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            echo(f"  email written to {eml}\n  webhook JSON written to {hook}\n")
        echo(EXPLANATION)
        expected = len(alerts) == 1 and alerts[0][0]["url"].endswith(NEW_RELEVANT[0])
        if not expected:
            echo(f"Unexpected: {len(alerts)} alerts instead of exactly the one about the mechanism.")
        return 0 if expected else 1
    finally:
        server.stop()
