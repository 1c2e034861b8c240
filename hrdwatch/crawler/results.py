"""What the crawler hands on: one result per fetch. Plain data, no Scrapy types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Role = Literal["page", "listing", "feed", "document"]


@dataclass(frozen=True)
class Fetched:
    source_id: str
    role: Role
    key: str  # the document's identity (the URL we asked for)
    url: str  # where it ended up after redirects
    status: int
    headers: dict[str, str]
    body: bytes
    baseline: bool = False  # a listing document whose text must not alert (first crawl)


@dataclass(frozen=True)
class NotModified:
    source_id: str
    role: Role
    key: str


@dataclass(frozen=True)
class Failed:
    source_id: str
    role: Role
    key: str
    url: str
    error: str


@dataclass(frozen=True)
class ListingLinks:
    """A listing was read: these links are documents to watch."""

    source_id: str
    url: str
    new: tuple[tuple[str, str], ...]  # (url, anchor text) to fetch now
    overflow: tuple[tuple[str, str], ...] = ()  # more new links than allowed: recorded, not fetched
    baseline: bool = False
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Result = Fetched | NotModified | Failed | ListingLinks


@dataclass(frozen=True)
class PendingDocument:
    key: str
    url: str
    baseline: bool


@dataclass(frozen=True)
class KnownDocument:
    """A listing's document read before, to read again with a conditional request."""

    key: str
    url: str
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class SourcePlan:
    """What the crawler needs to know about a source before it fetches it."""

    source_id: str
    url: str
    kind: str
    baselined: bool
    etag: str | None = None
    last_modified: str | None = None
    follow: str | None = None
    select: str | None = None
    allow_domains: tuple[str, ...] = ()
    max_new_documents: int = 25
    known: frozenset[str] = frozenset()  # document keys already known (listings)
    pending: tuple[PendingDocument, ...] = ()  # known but not yet fetched successfully
    recheck: tuple[KnownDocument, ...] = ()  # the newest documents read before, read again
    dry_run: bool = False  # `hrdwatch check`: read the source itself, fetch no documents
