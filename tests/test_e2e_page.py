from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import BACKENDS, Hrdwatch, query
from tests.site import Resource, Site, html

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)

CHROME = "<nav><a href='/a'>Kreu</a> <a href='/b'>Nënkomisioni për të Drejtat e Njeriut</a></nav>"


def page(*paragraphs: str, stamp: str = "29/11/2026 10:00") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return html(
        f"{CHROME}<main><h1>Lajme</h1><p>Postuar më, {stamp}</p>{body}</main><footer>© Kuvendi</footer>"
    ).body.decode()


BASE = [
    "The Council of Europe Office in Tirana supports the reform of the justice system in Albania.",
    "A training for judges on the European Convention on Human Rights took place in Durrës.",
]


def test_first_crawl_is_baseline_then_relevant_text_alerts(site: Site, hrdwatch: Hrdwatch) -> None:
    site["/news"] = page(*BASE)
    hrdwatch.write_config([{"id": "coe", "url": site.url("/news")}])
    hrdwatch.run("crawl")
    assert hrdwatch.alerts() == []

    new = "The Parliament adopted a resolution establishing a protection mechanism for human rights defenders."
    site["/news"] = page(*BASE, new, stamp="30/11/2026 11:12")
    out = hrdwatch.run("crawl").stdout
    assert "1 alerts" in out
    alerts = hrdwatch.alerts()
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert["source"] == "coe"
    assert alert["url"] == site.url("/news")
    assert alert["topic"] == "hrd-mechanism"
    assert new in alert["excerpt"]
    assert BASE[0] not in alert["excerpt"]
    assert "human rights defenders" in [t.lower() for t in alert["terms"]]
    assert alert["detected_at"].endswith("Z")

    # Same content again (only the stamp changed): nothing new.
    site["/news"] = page(*BASE, new, stamp="01/12/2026 09:00")
    hrdwatch.run("crawl")
    assert len(hrdwatch.alerts()) == 1


def test_unchanged_page_is_answered_with_304(site: Site, hrdwatch: Hrdwatch) -> None:
    site["/news"] = page(*BASE)
    hrdwatch.write_config([{"id": "coe", "url": site.url("/news")}])
    hrdwatch.run("crawl")
    [(first,)] = query(hrdwatch.db_url, "select fetched_at from documents")
    hrdwatch.run("crawl")
    second = [h for m, p, h in site.requests if p == "/news"][-1]
    assert second.get("If-None-Match")
    [(again,)] = query(hrdwatch.db_url, "select fetched_at from documents")
    assert str(again) > str(first)  # the 304 is recorded on the document


def test_a_crawl_split_over_processes_gives_the_same_result(site: Site, hrdwatch: Hrdwatch) -> None:
    paths = [f"/s{i}" for i in range(4)]
    for path in paths:
        site[path] = page(*BASE)
    hrdwatch.write_config(
        [{"id": f"s{i}", "url": site.url(p)} for i, p in enumerate(paths)],
        crawl={"delay": 0, "retries": 0, "timeout": "10s", "processes": 2},
    )
    assert "Crawled 4 source(s): 4 fetched" in hrdwatch.run("crawl").stdout
    new = "The Parliament adopted a resolution establishing a protection mechanism for human rights defenders."
    for path in paths:
        site[path] = page(*BASE, new)
    assert "4 changed, 0 new documents, 4 alerts, 0 errors" in hrdwatch.run("crawl").stdout
    if hrdwatch.db_url.startswith("sqlite:///"):
        # The crawl closed every connection at the end (the last one checkpoints and removes the WAL).
        database = Path(hrdwatch.db_url.removeprefix("sqlite:///"))
        assert database.exists() and not Path(f"{database}-wal").exists()
    assert sorted(a["source"] for a in hrdwatch.alerts()) == ["s0", "s1", "s2", "s3"]
    assert hrdwatch.sources()["s3"]["last_crawl"] is not None
    assert all(site.hits(path) == 2 for path in paths)  # each source crawled once per crawl
    # The parts shared the sources as they went: each part's run lists those it crawled.
    runs = query(hrdwatch.db_url, "select sources from crawl_runs order by id")
    last = [set(json.loads(s) if isinstance(s, str) else s) for (s,) in runs[-2:]]
    assert last[0].isdisjoint(last[1]) and last[0] | last[1] == {"s0", "s1", "s2", "s3"}


def test_robots_txt_is_kept_between_crawls_and_still_obeyed(site: Site, hrdwatch: Hrdwatch) -> None:
    site["/robots.txt"] = Resource(b"User-agent: *\nDisallow: /private\n", content_type="text/plain")
    site["/news"] = page(*BASE)
    site["/private"] = page(*BASE)
    hrdwatch.write_config([{"id": "coe", "url": site.url("/news")}, {"id": "hidden", "url": site.url("/private")}])
    first = hrdwatch.run("crawl").stdout
    assert "hidden: forbidden by robots.txt" in first
    assert site.hits("/robots.txt") == 1
    second = hrdwatch.run("crawl").stdout
    assert site.hits("/robots.txt") == 1  # answered from the database
    assert "hidden: forbidden by robots.txt" in second  # and its rules still apply
    assert site.hits("/private") == 0 and site.hits("/news") == 2


def test_robots_txt_is_asked_again_when_older_than_its_max_age(site: Site, hrdwatch: Hrdwatch) -> None:
    site["/news"] = page(*BASE)  # no robots.txt: a 404, kept as "everything allowed"
    hrdwatch.write_config(
        [{"id": "coe", "url": site.url("/news")}], crawl={"delay": 0, "retries": 0, "robots_max_age": 0}
    )
    hrdwatch.run("crawl")
    hrdwatch.run("crawl")
    assert site.hits("/robots.txt") == 2
    hrdwatch.write_config(
        [{"id": "coe", "url": site.url("/news")}], crawl={"delay": 0, "retries": 0, "robots_max_age": "1h"}
    )
    hrdwatch.run("crawl")
    hrdwatch.run("crawl")
    assert site.hits("/robots.txt") == 3


def test_robots_txt_that_fails_is_not_kept(site: Site, hrdwatch: Hrdwatch) -> None:
    site["/robots.txt"] = Resource(b"oops", status=503, content_type="text/plain")
    site["/news"] = page(*BASE)
    hrdwatch.write_config([{"id": "coe", "url": site.url("/news")}])
    hrdwatch.run("crawl")
    hrdwatch.run("crawl")
    assert site.hits("/robots.txt") == 2


def _cmdline(pid: str) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as stream:
            return stream.read()
    except OSError:
        return b""


@pytest.mark.parametrize("after", [1.0, 3.0])  # while it starts; while every part waits on pages
def test_stopping_a_crawl_split_over_processes_stops_every_part(site: Site, hrdwatch: Hrdwatch, after: float) -> None:
    import signal
    import time

    paths = [f"/slow{i}" for i in range(4)]
    for path in paths:
        site[path] = Resource(page(*BASE).encode(), delay=6)
    hrdwatch.write_config(
        [{"id": f"s{i}", "url": site.url(p)} for i, p in enumerate(paths)],
        crawl={"delay": 0, "retries": 0, "timeout": "20s", "processes": 2},
    )
    proc = hrdwatch.popen("crawl")
    time.sleep(after)
    began = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    assert time.monotonic() - began < 15
    assert not [
        pid for pid in os.listdir("/proc") if pid.isdigit() and str(hrdwatch.config_path).encode() in _cmdline(pid)
    ]  # no part left running (forked parts have their parent's command line)
    # Nothing half-done: pages stored before the stop are known, the others are a baseline.
    for path in paths:
        site[path] = page(*BASE)
    assert "0 changed, 0 new documents, 0 alerts, 0 errors" in hrdwatch.run("crawl").stdout
    assert query(hrdwatch.db_url, "select count(*) from locks") == [(0,)]
    assert query(hrdwatch.db_url, "select count(*) from crawl_runs where finished_at is null") == [(0,)]
    assert hrdwatch.alerts() == []


def test_a_meta_refresh_is_followed(site: Site, hrdwatch: Hrdwatch) -> None:
    moved = '<meta http-equiv="Refresh" content="0; url=/lajme/2026/faqja">'
    site["/lajme"] = Resource(f"<html><head>{moved}</head><body><p>Faqja u zhvendos.</p></body></html>".encode())
    site["/lajme/2026/faqja"] = page(*BASE)
    hrdwatch.write_config([{"id": "kuvendi", "url": site.url("/lajme")}])
    hrdwatch.run("crawl")
    assert any(p == "/lajme/2026/faqja" for _m, p, _h in site.requests)

    new = "Komisioni miratoi projektligjin për mekanizmin e mbrojtjes së mbrojtësve të të drejtave të njeriut."
    site["/lajme/2026/faqja"] = page(*BASE, new)
    hrdwatch.run("crawl")
    [alert] = hrdwatch.alerts()
    assert new in alert["excerpt"]
    assert alert["url"] == site.url("/lajme/2026/faqja")


def test_the_title_shown_as_a_heading_by_a_new_theme_is_not_new(site: Site, hrdwatch: Hrdwatch) -> None:
    title = "Avokati i Popullit kërkon krijimin e një mekanizmi për mbrojtjen e mbrojtësve të të drejtave të njeriut"
    site["/deklarata"] = html(f"<main><p>{BASE[0]}</p><p>{BASE[1]}</p></main>", title=title)
    hrdwatch.write_config([{"id": "ap", "url": site.url("/deklarata")}])
    hrdwatch.run("crawl")
    site["/deklarata"] = html(f"<main><h1>{title}</h1><p>{BASE[0]}</p><p>{BASE[1]}</p></main>", title=title)
    hrdwatch.run("crawl")
    assert hrdwatch.alerts() == []
