"""Retention: drop old snapshots nobody needs, and the bodies only they used.

Kept always: each document's latest snapshot (the next crawl compares with it), every
snapshot that carried a change (the evidence behind an alert), and all sentence fingerprints
(what makes text "already seen"). Of the others, the newest ``keep_last`` per document,
unless older than ``max_age``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from hrdwatch.config import RetentionSettings
from hrdwatch.storage.db import Database, batches
from hrdwatch.storage.models import Blob, Change, Snapshot, utcnow


@dataclass
class PruneReport:
    snapshots: int = 0
    blobs: int = 0
    blob_bytes: int = 0


def prune(db: Database, settings: RetentionSettings, now: datetime | None = None, dry_run: bool = False) -> PruneReport:
    now = now or utcnow()
    oldest = now - timedelta(seconds=settings.max_age) if settings.max_age else None
    report = PruneReport()
    with db.transaction() as session:
        carried = set(session.execute(select(Change.snapshot_id).where(Change.snapshot_id.is_not(None))).scalars())
        rows = session.execute(
            select(Snapshot.id, Snapshot.document_id, Snapshot.fetched_at).order_by(
                Snapshot.document_id, Snapshot.id.desc()
            )
        ).all()
        doomed: list[int] = []
        current_doc, others = None, 0
        for snapshot_id, document_id, fetched_at in rows:
            if document_id != current_doc:
                current_doc, others = document_id, 0
                continue  # the latest snapshot of the document
            if snapshot_id in carried:
                continue
            others += 1
            if others > settings.keep_last or (oldest is not None and fetched_at < oldest):
                doomed.append(snapshot_id)
        report.snapshots = len(doomed)
        if not dry_run:
            for batch in batches(doomed):
                session.execute(delete(Snapshot).where(Snapshot.id.in_(batch)))
        used = select(Snapshot.blob_sha256)
        orphans = session.execute(select(Blob.sha256, Blob.size).where(Blob.sha256.not_in(used))).all()
        if dry_run:
            # Without the deletions above, count the blobs that only doomed snapshots use.
            remaining = set(
                session.execute(select(Snapshot.blob_sha256).where(Snapshot.id.not_in(doomed or [-1]))).scalars()
            )
            orphans = session.execute(select(Blob.sha256, Blob.size).where(Blob.sha256.not_in(remaining or {""}))).all()
        report.blobs = len(orphans)
        report.blob_bytes = sum(size for _sha, size in orphans)
        if not dry_run and orphans:
            hashes = [sha for sha, _size in orphans]
            for shas in batches(hashes):
                session.execute(delete(Blob).where(Blob.sha256.in_(shas)))
    return report
