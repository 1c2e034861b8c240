"""The database schema (SQLAlchemy 2.x). Portable: the same models on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    pass


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    baselined: Mapped[bool] = mapped_column(Boolean, default=False)
    last_crawl_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_change_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_errors: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Document(Base):
    """Something a source watches: the page itself, a listing's article or PDF, a feed entry."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("source_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(Text)  # URL, or a feed entry's guid
    url: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))  # page | listing | document | feed | entry
    title: Mapped[str | None] = mapped_column(Text)
    baseline: Mapped[bool] = mapped_column(Boolean, default=False)  # its first text raises no alert
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: known, not yet fetched
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    body_hash: Mapped[str | None] = mapped_column(String(64))
    content_hash: Mapped[str | None] = mapped_column(String(32))
    blocks_hash: Mapped[str | None] = mapped_column(String(32))  # the extracted text exactly: a fast "unchanged"
    sentence_count: Mapped[int | None] = mapped_column(Integer)
    suspect_hash: Mapped[str | None] = mapped_column(String(32))  # a shrunken version seen again…
    suspect_count: Mapped[int] = mapped_column(Integer, default=0)  # …this many times in a row
    # Per block of the last version: its digest and its sentences' fingerprints (detect.diff).
    block_prints: Mapped[bytes | None] = mapped_column(LargeBinary)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # failed fetches in a row


class Blob(Base):
    """Raw bodies, compressed and de-duplicated by SHA-256."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)  # zlib


class Snapshot(Base):
    __tablename__ = "snapshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    content_hash: Mapped[str] = mapped_column(String(32))
    blocks: Mapped[list[str]] = mapped_column(JSON)  # extracted blocks, as text


class SeenSentence(Base):
    """Every sentence fingerprint ever seen for a source: what makes text 'new'."""

    __tablename__ = "seen"

    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True)
    fingerprint: Mapped[int] = mapped_column(BigInteger, primary_key=True)


class Change(Base):
    __tablename__ = "changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id", ondelete="SET NULL"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))  # changed | new-document
    url: Mapped[str] = mapped_column(Text)
    added: Mapped[list[str]] = mapped_column(JSON)  # new sentences
    removed: Mapped[list[str]] = mapped_column(JSON)  # sentences of the previous version now gone

    __table_args__ = (Index("ix_changes_source_detected", "source_id", "detected_at"),)


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("change_id", "topic"),
        Index("ix_alerts_detected", "detected_at"),
        Index("ix_alerts_source_detected", "source_id", "detected_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("changes.id", ondelete="CASCADE"))
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(String(80))
    score: Mapped[float]
    terms: Mapped[list[str]] = mapped_column(JSON)
    excerpt: Mapped[str] = mapped_column(Text)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sources: Mapped[list[str]] = mapped_column(JSON)
    holder: Mapped[str | None] = mapped_column(String(200))  # host:pid of the crawl process
    stats: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    errors: Mapped[list[str]] = mapped_column(JSON, default=list)


class Notice(Base):
    """A message about a source rather than about its content ('unreachable', 'recovered')."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # unreachable | recovered | test
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Delivery(Base):
    """The outbox: one row per alert (or notice) and channel, written with the alert."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("alert_id", "channel"),
        UniqueConstraint("notice_id", "channel"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"))
    source_id: Mapped[str] = mapped_column(String(80))
    run_id: Mapped[int | None] = mapped_column(Integer)  # groups an email digest
    channel: Mapped[str] = mapped_column(String(80))  # email | webhook:<hash> | apprise:<hash>
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a worker is sending it
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class Lock(Base):
    """A source being crawled: one process at a time, across processes and machines."""

    __tablename__ = "locks"

    source_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Robots(Base):
    """A site's robots.txt as last fetched (empty: none, or 4xx — everything allowed)."""

    __tablename__ = "robots"

    origin: Mapped[str] = mapped_column(String(300), primary_key=True)  # scheme://host[:port]
    body: Mapped[bytes] = mapped_column(LargeBinary)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
