"""`hrdwatch run`: intervals of seconds against the local site."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
import sqlalchemy.exc

from tests.conftest import BACKENDS, Hrdwatch, query
from tests.site import Resource, Site, html

PAGE = html(
    "<main><p>The Office supports the justice reform in Albania with training for judges.</p></main>"
).body.decode()


_started: list[subprocess.Popen[str]] = []


@pytest.fixture(autouse=True)
def _no_service_left_behind() -> Iterator[None]:
    """A failing test must not leave an `hrdwatch run` process behind."""
    yield
    while _started:
        proc = _started.pop()
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def start(hrdwatch: Hrdwatch, *extra: str) -> subprocess.Popen[str]:
    proc = hrdwatch.popen("--log-level", "INFO", *extra, "run")
    _started.append(proc)
    return proc


def stop(proc: subprocess.Popen[str], timeout: float = 15) -> tuple[str, str, float]:
    began = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=timeout)
    return out, err, time.monotonic() - began


def consistent(url: str) -> None:
    if url.startswith("sqlite"):
        assert query(url, "pragma integrity_check") == [("ok",)]
    assert query(url, "select count(*) from locks") == [(0,)]
    assert query(url, "select count(*) from crawl_runs where finished_at is null") == [(0,)]


def test_runs_on_time_and_a_hanging_crawl_does_not_stop_the_others(
    site: Site, hrdwatch: Hrdwatch, tmp_path: Path
) -> None:
    site["/fast"] = PAGE
    site["/hang"] = Resource(PAGE.encode(), delay=40)
    hrdwatch.write_config(
        [
            {"id": "fast", "url": site.url("/fast"), "every": "3s"},
            {"id": "hang", "url": site.url("/hang"), "every": "3s"},
        ],
        run={"crawl_timeout": "12s", "jitter": 0},
        crawl={"delay": 0, "retries": 0, "timeout": "60s"},
    )
    proc = start(hrdwatch)
    time.sleep(30)
    _out, err, took = stop(proc)
    assert took < 12, err
    assert len(site.times["/fast"]) >= 3, err  # the hanging source does not hold it up for long
    assert "crawl killed after the time limit" in err
    assert "crawl source=fast" in err
    assert "crawl source=hang crawl killed after the time limit" in err  # recorded on the hanging source
    [(errors,)] = query(hrdwatch.db_url, "select consecutive_errors from sources where id='hang'")
    assert errors >= 1
    consistent(hrdwatch.db_url)


def test_runs_happen_on_time(site: Site, hrdwatch: Hrdwatch) -> None:
    site["/a"] = PAGE
    site["/b"] = PAGE
    hrdwatch.write_config(
        [{"id": "a", "url": site.url("/a"), "every": "7s"}, {"id": "b", "url": site.url("/b"), "every": "7s"}],
        run={"jitter": 0},
    )
    proc = start(hrdwatch)
    time.sleep(26)
    _out, err, _took = stop(proc)
    for path in ("/a", "/b"):
        times = site.times[path]
        assert len(times) >= 3, err
        gaps = [b - a for a, b in pairwise(times)]
        assert all(5 < gap < 9 for gap in gaps), gaps  # every 7 s
    assert abs(site.times["/a"][0] - site.times["/b"][0]) < 2
    assert err.count("crawl source=a ") >= 3  # one log line per crawl and source


def test_sighup_adds_a_source_and_sigterm_stops_cleanly(site: Site, hrdwatch: Hrdwatch, tmp_path: Path) -> None:
    site["/a"] = PAGE
    site["/b"] = PAGE
    sources = [{"id": "a", "url": site.url("/a"), "every": "1h"}]
    hrdwatch.write_config(sources, run={"jitter": 0})
    proc = start(hrdwatch)
    time.sleep(10)
    assert len(site.times.get("/a", [])) == 1  # caught up once at start, then not before an hour
    hrdwatch.write_config([*sources, {"id": "b", "url": site.url("/b"), "every": "2s"}], run={"jitter": 0})
    proc.send_signal(signal.SIGHUP)
    time.sleep(8)
    _out, err, took = stop(proc)
    assert "configuration reloaded" in err
    assert len(site.times.get("/b", [])) >= 1, err  # the new source was picked up
    assert took < 10
    consistent(hrdwatch.db_url)


def test_catch_up_only_for_overdue_sources(site: Site, hrdwatch: Hrdwatch) -> None:
    site["/a"] = PAGE
    hrdwatch.write_config([{"id": "a", "url": site.url("/a"), "every": "1h"}])
    hrdwatch.run("crawl")
    proc = start(hrdwatch)
    time.sleep(5)
    stop(proc)
    assert len(site.times["/a"]) == 1  # crawled 5 s ago by hand: not due for an hour


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
@pytest.mark.parametrize("manual", [False, True])
def test_never_two_crawls_of_one_source(site: Site, hrdwatch: Hrdwatch, tmp_path: Path, manual: bool) -> None:
    site["/slow"] = Resource(PAGE.encode(), delay=4)
    hrdwatch.write_config([{"id": "slow", "url": site.url("/slow"), "every": "1s"}], run={"jitter": 0})
    first = start(hrdwatch)
    logs = ""
    if manual:
        time.sleep(3)
        skipped = []
        for _ in range(8):  # until one lands while the service's crawl holds the lock
            skipped.append(hrdwatch.run("crawl", check=False))
            if "another process is crawling it" in skipped[-1].stderr:
                break
        assert any("another process is crawling it" in p.stderr for p in skipped)
    else:
        second = start(hrdwatch)
        time.sleep(18)
        logs += stop(second)[1]
    time.sleep(2)
    logs += stop(first)[1]
    assert len(site.times["/slow"]) >= 1
    assert site.max_in_flight["/slow"] == 1  # never two at once
    if not manual:
        assert "skipped: another process is crawling it" in logs  # the exclusion was exercised
    consistent(hrdwatch.db_url)


def _crawl_parent(url: str, deadline: float) -> int:
    """The parent process of the crawl that holds the source's lock (polled until one does)."""
    while time.monotonic() < deadline:
        try:
            rows = query(url, "select holder from locks")
        except sqlalchemy.exc.OperationalError:  # the service has not created its tables yet
            rows = []
        if rows:
            pid = int(rows[0][0].rpartition(":")[2])
            try:
                return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                pass
        time.sleep(0.05)
    raise AssertionError("no crawl held the lock")


def _finished_runs(url: str) -> int:
    return int(query(url, "select count(*) from crawl_runs where finished_at is not null")[0][0])


def _wait_runs(url: str, count: int, deadline: float) -> None:
    while _finished_runs(url) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _finished_runs(url) >= count


@pytest.mark.parametrize("prefork", [True, False])
def test_sigusr1_crawls_now_in_a_process_forked_warm(site: Site, hrdwatch: Hrdwatch, prefork: bool) -> None:
    site["/a"] = Resource(PAGE.encode(), delay=2)  # slow enough to see who runs the crawl
    hrdwatch.write_config([{"id": "a", "url": site.url("/a"), "every": "1h"}], run={"jitter": 0, "prefork": prefork})
    proc = start(hrdwatch)
    parent = _crawl_parent(hrdwatch.db_url, time.monotonic() + 30)  # the catch-up crawl at start
    if prefork:
        assert parent != proc.pid  # forked by the prefork server, itself a child of the service
        assert Path(f"/proc/{parent}/cmdline").read_bytes().split(b"\0")[:3][-1] == b"hrdwatch.prefork"
    else:
        assert parent == proc.pid
    _wait_runs(hrdwatch.db_url, 1, time.monotonic() + 30)
    proc.send_signal(signal.SIGUSR1)  # due in an hour: crawled now only because asked
    assert _crawl_parent(hrdwatch.db_url, time.monotonic() + 15) == parent
    _wait_runs(hrdwatch.db_url, 2, time.monotonic() + 15)
    if prefork:  # the server dies: the next crawl starts as a new process
        os.kill(parent, signal.SIGKILL)
        time.sleep(0.5)
        proc.send_signal(signal.SIGUSR1)
        assert _crawl_parent(hrdwatch.db_url, time.monotonic() + 15) == proc.pid
        _wait_runs(hrdwatch.db_url, 3, time.monotonic() + 20)
    _out, err, _took = stop(proc)
    assert len(site.times["/a"]) == (3 if prefork else 2), err
    assert err.count("crawl of all sources requested: 1 queued") == (2 if prefork else 1)
    assert ("prefork server" in err) == prefork
    if prefork:
        assert "prefork server ended" in err
    assert "Traceback" not in err
    consistent(hrdwatch.db_url)
