"""Crash safety: a crawl killed with SIGKILL at random moments, then a normal crawl, ends with
exactly the alerts of an uninterrupted run — none missed, none doubled."""

from __future__ import annotations

import random
import shutil
import signal
import sqlite3
import time
from pathlib import Path

from tests.conftest import Hrdwatch
from tests.site import Resource, Site, html

RELEVANT = [
    "The Parliament adopted the draft law on a protection mechanism for human rights defenders.",
    "Avokati i Popullit ngriti një njësi për mbrojtjen e mbrojtësve të të drejtave të njeriut.",
    "Le Parlement albanais a adopté un mécanisme de protection des défenseurs des droits humains.",
]
OTHER = "The municipality opened a new public library in the city centre with a reading room."


def page(*paragraphs: str) -> Resource:
    return Resource(html("<main>" + "".join(f"<p>{p}</p>" for p in paragraphs) + "</main>").body, delay=0.2)


def version(site: Site, n: int) -> None:
    base = ["The Office supports the reform of the justice system with training for judges and prosecutors."]
    for i in range(3):
        site[f"/p{i}"] = page(*base, *([RELEVANT[i], OTHER] if n == 2 else []))
    links = [f"/news/{i}" for i in range(2 if n == 1 else 5)]
    site["/list"] = Resource(
        html("<main><ul>" + "".join(f"<li><a href='{h}'>{h}</a></li>" for h in links) + "</ul></main>").body
    )
    for i, link in enumerate(links):
        site[link] = page(f"Article {link}: {RELEVANT[i % 3] if i >= 2 else OTHER}")


def alerts(hrdwatch: Hrdwatch) -> list[tuple[str, str, str]]:
    return sorted((a["source"], a["url"], a["excerpt"]) for a in hrdwatch.alerts())


def checkpoint(db: Path) -> None:
    connection = sqlite3.connect(db)
    connection.execute("pragma wal_checkpoint(TRUNCATE)")
    connection.close()


def test_sigkill_at_random_points_loses_and_doubles_nothing(site: Site, tmp_path: Path) -> None:
    sources = [{"id": f"p{i}", "url": site.url(f"/p{i}")} for i in range(3)]
    sources.append({"id": "list", "url": site.url("/list"), "kind": "listing", "follow": "/news/"})

    def make(name: str) -> Hrdwatch:
        h = Hrdwatch(tmp_path / f"{name}.yaml", f"sqlite:///{tmp_path / name}.db")
        h.write_config(sources)
        return h

    template = make("template")
    version(site, 1)
    template.run("crawl")
    checkpoint(tmp_path / "template.db")

    reference = make("reference")
    shutil.copy(tmp_path / "template.db", tmp_path / "reference.db")
    version(site, 2)
    began = time.monotonic()
    reference.run("crawl")
    duration = time.monotonic() - began  # kills land within a crawl this long, from start-up to commit
    expected = alerts(reference)
    assert len(expected) == 6  # three pages, three new articles with relevant text

    rng = random.Random(2026)
    killed_during_work = 0
    for attempt in range(20):
        run = make(f"crash{attempt}")
        shutil.copy(tmp_path / "template.db", tmp_path / f"crash{attempt}.db")
        proc = run.popen("crawl")
        time.sleep(rng.uniform(0.3, 0.95) * duration)
        if proc.poll() is None:
            killed_during_work += 1
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        run.run("crawl")  # the next normal crawl
        got = alerts(run)
        assert got == expected, f"attempt {attempt}"
        connection = sqlite3.connect(tmp_path / f"crash{attempt}.db")
        assert connection.execute("pragma integrity_check").fetchone()[0] == "ok"
        connection.close()
    assert killed_during_work >= 10  # most kills landed while the crawl was running
