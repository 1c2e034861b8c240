"""Per-source locks in the database: a source is never crawled by two processes at once.

A lock has an expiry, so one left by a killed process frees itself; on the same machine a
lock whose process is gone is taken over at once.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from hrdwatch.storage.db import Database, StorageError, batches
from hrdwatch.storage.models import Lock, utcnow


def holder_id(pid: int | None = None) -> str:
    """Who holds a lock: this machine and process (or another process of this machine)."""
    return f"{socket.gethostname()}:{pid or os.getpid()}"


def is_dead(holder: str) -> bool:
    """A lock held by a process of this machine that no longer exists (killed) is stale."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def acquire(db: Database, source_id: str, holder: str, ttl: float, now: datetime | None = None) -> bool:
    now = now or utcnow()
    expires = now + timedelta(seconds=ttl)
    try:
        with db.transaction() as session:
            session.add(Lock(source_id=source_id, holder=holder, acquired_at=now, expires_at=expires))
        return True
    except StorageError as exc:
        if not isinstance(exc.__cause__, IntegrityError):
            raise
    with db.transaction() as session:
        current = session.get(Lock, source_id, with_for_update=True)
        if current is None:
            return False  # released meanwhile; the caller tries again next time
        if current.expires_at < now or current.holder == holder or is_dead(current.holder):
            current.holder, current.acquired_at, current.expires_at = holder, now, expires
            return True
        return False


def release(db: Database, source_ids: Iterable[str], holder: str) -> None:
    ids = list(source_ids)
    if not ids:
        return
    with db.transaction() as session:
        session.execute(delete(Lock).where(Lock.source_id.in_(ids), Lock.holder == holder))


def acquire_many(db: Database, source_ids: list[str], holder: str, ttl: float) -> set[str]:
    """Lock as many of these sources as are free; returns those locked. One transaction,
    or — when another process took one of them meanwhile — one source at a time."""
    try:
        return _acquire_batch(db, source_ids, holder, ttl)
    except StorageError as exc:
        if not isinstance(exc.__cause__, IntegrityError):
            raise
    return {source_id for source_id in source_ids if acquire(db, source_id, holder, ttl)}


def _acquire_batch(db: Database, source_ids: list[str], holder: str, ttl: float) -> set[str]:
    """(Core statements, not ORM objects: a crawl of hundreds of sources takes its locks before
    it can start, on one core.)"""
    now = utcnow()
    expires = now + timedelta(seconds=ttl)
    ids = list(dict.fromkeys(source_ids))
    with db.transaction() as session:
        taken = {
            source_id: (current, until)
            for batch in batches(ids)
            for source_id, current, until in session.execute(
                select(Lock.source_id, Lock.holder, Lock.expires_at).where(Lock.source_id.in_(batch)).with_for_update()
            )
        }
        free = [source_id for source_id in ids if source_id not in taken]
        stale = [
            source_id
            for source_id, (current, until) in taken.items()
            if until < now or current == holder or is_dead(current)
        ]
        values = {"holder": holder, "acquired_at": now, "expires_at": expires}
        if free:
            session.execute(insert(Lock), [{"source_id": source_id, **values} for source_id in free])
        for batch in batches(stale):
            session.execute(update(Lock).where(Lock.source_id.in_(batch)).values(**values))
    return set(free) | set(stale)


def release_dead(db: Database) -> None:
    """Remove the locks of processes of this machine that no longer exist."""
    with db.transaction() as session:
        for lock in session.query(Lock).all():
            if is_dead(lock.holder):
                session.delete(lock)
