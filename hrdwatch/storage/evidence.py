"""Evidence export: the stored snapshots of a source as WARC (standard web-archive tools read it)
or as JSON lines, each with its fetch time, URL, status, headers and the SHA-256 of the body."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from typing import BinaryIO

from sqlalchemy import select

from hrdwatch.storage.blobs import load_blob
from hrdwatch.storage.db import Database
from hrdwatch.storage.models import Blob, Document, Snapshot

_DROPPED_HEADERS = {"content-length", "content-encoding", "transfer-encoding"}


@dataclass(frozen=True)
class Evidence:
    url: str
    fetched_at: datetime
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


def snapshots(db: Database, source_id: str, since: datetime | None = None) -> Iterator[Evidence]:
    with db.transaction() as session:
        query = (
            select(Snapshot, Blob.data)
            .join(Document, Document.id == Snapshot.document_id)
            .join(Blob, Blob.sha256 == Snapshot.blob_sha256)
            .where(Document.source_id == source_id)
            .order_by(Snapshot.fetched_at, Snapshot.id)
        )
        if since is not None:
            query = query.where(Snapshot.fetched_at >= since)
        for snapshot, data in session.execute(query):
            yield Evidence(snapshot.url, snapshot.fetched_at, snapshot.status, dict(snapshot.headers), load_blob(data))


def write_warc(items: Iterator[Evidence], out: BinaryIO) -> int:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    writer = WARCWriter(out, gzip=True)
    count = 0
    for item in items:
        headers = [(k.title(), v) for k, v in item.headers.items() if k.lower() not in _DROPPED_HEADERS]
        headers.append(("Content-Length", str(len(item.body))))
        http = StatusAndHeaders(f"{item.status} {_reason(item.status)}", headers, protocol="HTTP/1.1")
        digest = "sha256:" + base64.b32encode(hashlib.sha256(item.body).digest()).decode()
        record = writer.create_warc_record(
            item.url,
            "response",
            payload=BytesIO(item.body),
            length=len(item.body),
            http_headers=http,
            warc_headers_dict={
                "WARC-Date": item.fetched_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "WARC-Payload-Digest": digest,
            },
        )
        writer.write_record(record)
        count += 1
    return count


def write_json(items: Iterator[Evidence], out: BinaryIO) -> int:
    count = 0
    for item in items:
        record = {
            "url": item.url,
            "fetched_at": item.fetched_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "status": item.status,
            "headers": item.headers,
            "sha256": item.sha256,
            "body_base64": base64.b64encode(item.body).decode(),
        }
        out.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
        count += 1
    return count


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
