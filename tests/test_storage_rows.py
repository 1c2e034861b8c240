"""Source rows and per-source locks on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from hrdwatch.config import SourceConfig, parse_config
from hrdwatch.monitor import Monitor, sync_sources
from hrdwatch.storage.db import Database
from hrdwatch.storage.locks import acquire_many, holder_id, release
from hrdwatch.storage.models import CrawlRun, Lock, Notice, Source, utcnow
from tests.conftest import BACKENDS

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)


def _holders(db: Database) -> dict[str, str]:
    with db.reading() as session:
        return {source_id: holder for source_id, holder in session.execute(select(Lock.source_id, Lock.holder))}


def test_locks_are_taken_kept_and_taken_over(db_url: str) -> None:
    db = Database(db_url)
    ids = [f"s{i:04d}" for i in range(1200)]  # more than one IN-list batch
    with db.transaction() as session:
        session.add_all(Source(id=i, url=f"http://127.0.0.1/{i}", kind="page", baselined=False) for i in ids)
    other = holder_id(1)  # pid 1 lives: a live process of this machine
    gone = "this-machine:99999999"  # not a pid of this machine: only its expiry frees it
    dead = holder_id(2**22 + 7)  # a pid that does not exist on this machine: taken over at once
    now = utcnow()
    with db.transaction() as session:
        session.add(Lock(source_id="s0001", holder=other, acquired_at=now, expires_at=now + timedelta(hours=1)))
        session.add(Lock(source_id="s0002", holder=other, acquired_at=now, expires_at=now - timedelta(seconds=1)))
        session.add(Lock(source_id="s0003", holder=dead, acquired_at=now, expires_at=now + timedelta(hours=1)))
        session.add(Lock(source_id="s0004", holder=gone, acquired_at=now, expires_at=now + timedelta(hours=1)))

    me = holder_id()
    got = acquire_many(db, ids, me, ttl=600)
    assert got == set(ids) - {"s0001", "s0004"}
    holders = _holders(db)
    assert holders["s0001"] == other and holders["s0004"] == gone
    assert all(holders[i] == me for i in got)
    with db.reading() as session:
        expiry = session.get(Lock, "s0002")
        assert expiry is not None and expiry.expires_at > now + timedelta(seconds=500)

    # The holder itself may take its locks again; another live process may not.
    assert acquire_many(db, ["s0000", "s0005"], me, ttl=600) == {"s0000", "s0005"}
    assert acquire_many(db, ["s0000", "s0005"], other, ttl=600) == set()

    release(db, ids, me)
    assert set(_holders(db)) == {"s0001", "s0004"}
    db.close()


def test_sources_follow_the_configuration_and_a_new_url_or_kind_starts_a_new_baseline(db_url: str) -> None:
    db = Database(db_url)
    configs = [SourceConfig(id=f"s{i}", url=f"http://127.0.0.1/{i}") for i in range(3)]
    sync_sources(db, configs)
    with db.transaction() as session:
        for row in session.scalars(select(Source)):
            row.baselined = True
    changed = [
        configs[0],
        SourceConfig(id="s1", url="http://127.0.0.1/moved"),
        SourceConfig(id="s2", url=configs[2].url, kind="listing", follow="/news/"),
        SourceConfig(id="s3", url="http://127.0.0.1/3"),
    ]
    sync_sources(db, changed)
    with db.reading() as session:
        rows = {row.id: (row.url, row.kind, row.baselined) for row in session.scalars(select(Source))}
    assert rows == {
        "s0": ("http://127.0.0.1/0", "page", True),  # unchanged: keeps its baseline
        "s1": ("http://127.0.0.1/moved", "page", False),
        "s2": ("http://127.0.0.1/2", "listing", False),
        "s3": ("http://127.0.0.1/3", "page", False),
    }
    db.close()


def test_a_crawls_end_records_every_sources_outcome(db_url: str) -> None:
    # Monitor.finish writes the outcome of hundreds of sources with UPDATEs by key: each
    # source's counters, errors and baseline flag, and a notice when one crosses the
    # "unreachable" threshold or recovers.
    ids = [f"s{i:04d}" for i in range(1200)]  # more than one IN-list batch
    config = parse_config(
        {
            "database": db_url,
            "notify": {"unreachable_after": 2},
            "sources": [{"id": i, "url": f"http://127.0.0.1/{i}"} for i in ids],
        }
    )
    db = Database(db_url)
    sync_sources(db, config.sources)
    with db.transaction() as session:
        session.execute(update(Source).where(Source.id.in_(["s0001", "s0002"])).values(consecutive_errors=1))
        session.execute(update(Source).where(Source.id == "s0003").values(consecutive_errors=5))
    monitor = Monitor(db, config, config.sources)
    for i in ids:
        if i not in ("s0001", "s0002", "s0004"):
            monitor.summary.answered.add(i)
    monitor._error("s0001", "HTTP 503 from http://127.0.0.1/s0001")  # second failure: unreachable
    monitor._error("s0004", "HTTP 500 from http://127.0.0.1/s0004")  # first failure
    monitor.summary.answered.add("s0005")
    monitor._error("s0005", "http://127.0.0.1/doc: HTTP 404", main=False)  # a document failed
    summary = monitor.finish()

    with db.reading() as session:
        rows = {row.id: row for row in session.scalars(select(Source))}
        notices = sorted((n.source_id, n.kind) for n in session.scalars(select(Notice)))
        run = session.get(CrawlRun, summary.run_id)
    assert notices == [("s0001", "unreachable"), ("s0003", "recovered")]
    assert rows["s0001"].consecutive_errors == 2 and rows["s0001"].last_error == "HTTP 503 from http://127.0.0.1/s0001"
    assert rows["s0004"].consecutive_errors == 1 and rows["s0004"].last_error_at is not None
    assert rows["s0002"].consecutive_errors == 0  # no answer, but no error either
    assert not rows["s0001"].baselined and not rows["s0002"].baselined and rows["s0002"].last_success_at is None
    assert rows["s0005"].consecutive_errors == 1 and rows["s0005"].baselined  # its own URL answered
    ok = [rows[i] for i in ids[6:]]
    assert all(r.baselined and r.consecutive_errors == 0 and r.last_error is None for r in ok)
    assert all(r.last_crawl_at is not None and r.last_crawl_at == r.last_success_at for r in ok)
    assert rows["s0003"].consecutive_errors == 0 and rows["s0003"].baselined
    assert run is not None and run.finished_at is not None and run.stats["errors"] == 3 and len(run.errors) == 3
    db.close()
