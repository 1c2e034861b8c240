"""Raw bodies, compressed and stored once per content hash."""

from __future__ import annotations

import hashlib
import zlib

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hrdwatch.storage.models import Blob


def store_blob(session: Session, body: bytes) -> str:
    """Store a body unless a body with the same SHA-256 is stored already; returns the hash.

    Another crawl process may store the same body at the same moment (on PostgreSQL its
    insert waits for ours, then fails on the key): the loser's savepoint is rolled back and
    its transaction goes on, since the body it needs is there.
    """
    sha = hashlib.sha256(body).hexdigest()
    if session.get(Blob, sha) is None:
        try:
            with session.begin_nested():
                session.add(Blob(sha256=sha, size=len(body), data=zlib.compress(body, 6)))
        except IntegrityError:
            pass
    return sha


def load_blob(data: bytes) -> bytes:
    return zlib.decompress(data)
