"""Per-source locks in the database: a source is never crawled by two processes at once.

A lock has an expiry, so one left by a killed process frees itself.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from hrdwatch.storage.db import Database, StorageError
from hrdwatch.storage.models import Lock, utcnow


def holder_id(pid: int | None = None) -> str:
    """Who holds a lock: this machine and process (or another process of this machine)."""
    return f"{socket.gethostname()}:{pid or os.getpid()}"


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
        taken = session.execute(
            update(Lock)
            .where(Lock.source_id == source_id, (Lock.expires_at < now) | (Lock.holder == holder))
            .values(holder=holder, acquired_at=now, expires_at=expires)
        )
        return bool(taken.rowcount)  # type: ignore[attr-defined]


def release(db: Database, source_ids: Iterable[str], holder: str) -> None:
    ids = list(source_ids)
    if not ids:
        return
    with db.transaction() as session:
        session.execute(delete(Lock).where(Lock.source_id.in_(ids), Lock.holder == holder))
