"""Raw bodies, compressed and stored once per content hash."""

from __future__ import annotations

import hashlib
import zlib

from sqlalchemy.orm import Session

from hrdwatch.storage.db import add_unless_present
from hrdwatch.storage.models import Blob


def store_blob(session: Session, body: bytes) -> str:
    """Store a body unless a body with the same SHA-256 is stored already; returns the hash.

    Another crawl process may store the same body at the same moment: the body it needs is
    there either way.
    """
    sha = hashlib.sha256(body).hexdigest()
    if session.get(Blob, sha) is None:
        add_unless_present(session, Blob(sha256=sha, size=len(body), data=zlib.compress(body, 6)))
    return sha


def load_blob(data: bytes) -> bytes:
    return zlib.decompress(data)
