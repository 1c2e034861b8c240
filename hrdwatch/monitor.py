"""The monitor: turns crawl results into snapshots, changes and alerts.

Each fetched document is processed in one database transaction: its snapshot, the
sentences it adds to the source's "seen" set, its change and its alerts are written
together or not at all, so a crash never leaves half a change.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.orm import Session

from hrdwatch.config import Config, SourceConfig
from hrdwatch.crawler.links import filed_before
from hrdwatch.crawler.results import (
    Failed,
    Fetched,
    KnownDocument,
    ListingLinks,
    NotModified,
    PendingDocument,
    Result,
    SourcePlan,
)
from hrdwatch.detect.diff import (
    Unit,
    UnitMemo,
    block_digest,
    block_prints,
    blocks_hash,
    content_hash,
    decode_prints,
    digest_of,
    encode_prints,
    fault,
    new_units,
    recut,
    republished,
    restatements,
    retrospective,
    shape,
    shapes,
    units_of,
    updates,
    without_joins,
    without_rewordings,
)
from hrdwatch.detect.extract import Block, ExtractionError, FeedEntry, Page, extract_document, extract_feed
from hrdwatch.detect.judge import Finding, judge
from hrdwatch.detect.relevance import Topic, compile_topics, score
from hrdwatch.detect.text import canonical
from hrdwatch.notifier.outbox import enqueue
from hrdwatch.storage.blobs import store_blob
from hrdwatch.storage.db import Database, StorageError, batches, update_by_key
from hrdwatch.storage.locks import holder_id
from hrdwatch.storage.models import (
    Alert,
    Change,
    CrawlRun,
    Document,
    Notice,
    SeenSentence,
    Snapshot,
    Source,
    utcnow,
)
from hrdwatch.storage.queries import load_sources, source_values

log = logging.getLogger(__name__)

MAX_DOCUMENT_FAILURES = 5
UPDATE_BATCH = 100  # unchanged documents whose new validators are written together
PREFETCH = 200  # page documents read in one query
SHRUNK_ACCEPT_AFTER = 3
# A listing's new link filed (in its path: /2019/03/) in a month that ended this long before
# the listing was first read is an old article come into view (the listing shows more items,
# or was re-sorted), not news: known, without alerting, like the links of the first crawl.
OLD_ITEM = timedelta(days=730)
RECENT_DOCUMENTS = 50  # a new document is compared with the last versions of this many others


@dataclass
class Version:
    """What a new version of a document says (Monitor._assess), before it is written."""

    assumed: tuple[bool, bool]  # (a baseline version, a new document): what it was worked out for
    seen: set[int]  # the fingerprints of its sentences that the source had seen before
    fresh: list[Unit]  # its new sentences
    left: list[Unit]  # the previous version's sentences it no longer has
    before: list[str] = field(default_factory=list)  # the previous version's blocks
    numbers_only: bool = False  # only numbers moved: nothing worth a snapshot
    findings: list[Finding] = field(default_factory=list)  # the alerts its new sentences raise


@dataclass
class CrawlSummary:
    run_id: int = 0
    fetched: int = 0
    unchanged: int = 0
    changed: int = 0
    new_documents: int = 0
    alerts: int = 0
    errors: list[str] = field(default_factory=list)
    # per source: did its own URL answer, and did anything fail?
    answered: set[str] = field(default_factory=set)
    failed_sources: dict[str, str] = field(default_factory=dict)
    per_source: dict[str, dict[str, int]] = field(default_factory=dict)

    def count(self, source_id: str, what: str, n: int = 1) -> None:
        setattr(self, what, getattr(self, what) + n)
        counts = self.per_source.setdefault(source_id, {})
        counts[what] = counts.get(what, 0) + n

    def as_dict(self) -> dict[str, int]:
        return {
            "fetched": self.fetched,
            "unchanged": self.unchanged,
            "changed": self.changed,
            "new_documents": self.new_documents,
            "alerts": self.alerts,
            "errors": len(self.errors),
        }


def sync_sources(db: Database, sources: Iterable[SourceConfig]) -> None:
    """Make the sources table match the configuration (a changed URL or kind starts a new
    baseline). Reads (id, url, kind) only and writes only what differs: a crawl does this on
    one core before it starts."""
    sources = list(sources)
    ids = list(dict.fromkeys(config.id for config in sources))
    with db.reading() as session:
        stored = {
            source_id: (url, kind)
            for batch in batches(ids)
            for source_id, url, kind in session.execute(
                select(Source.id, Source.url, Source.kind).where(Source.id.in_(batch))
            )
        }
    differ = [config for config in sources if stored.get(config.id) != (config.url, config.kind)]
    if not differ:
        return
    with db.transaction() as session:
        rows = load_sources(session, (config.id for config in differ))
        for config in differ:
            row = rows.get(config.id)
            if row is None:
                row = Source(id=config.id, url=config.url, kind=config.kind, baselined=False, consecutive_errors=0)
                session.add(row)
                rows[config.id] = row
            elif row.url != config.url or row.kind != config.kind:
                row.url, row.kind, row.baselined = config.url, config.kind, False


def build_plans(db: Database, sources: Iterable[SourceConfig]) -> list[SourcePlan]:
    plans: list[SourcePlan] = []
    sources = list(sources)
    ids = [config.id for config in sources]
    with db.reading() as session:
        rows = source_values(session, ids, Source.baselined)
        by_source: dict[str, list[Any]] = {}
        for batch in batches(ids):
            for doc in session.execute(
                select(
                    Document.source_id,
                    Document.key,
                    Document.url,
                    Document.role,
                    Document.fetched_at,
                    Document.baseline,
                    Document.etag,
                    Document.last_modified,
                )
                .where(Document.source_id.in_(batch))
                .order_by(Document.id)
            ):
                by_source.setdefault(doc.source_id, []).append(doc)
        for config in sources:
            row = rows.get(config.id)
            baselined = bool(row and row.baselined)
            docs = by_source.get(config.id, [])
            main = next((d for d in docs if d.key == config.url and d.role == config.kind), None)
            known = frozenset(d.key for d in docs if d.role == "document")
            pending = tuple(
                PendingDocument(d.key, d.url, d.baseline) for d in docs if d.role == "document" and d.fetched_at is None
            )[: config.max_new_documents]
            # The newest documents (found last) are read again: an article gets its update
            # ("the consultation was held") after it was first seen. Conditionally, so an
            # unchanged one costs a 304, and whether or not the listing itself changed.
            read = [d for d in docs if d.role == "document" and d.fetched_at is not None]
            newest = read[-config.recheck_documents :] if config.recheck_documents else []
            recheck = tuple(KnownDocument(d.key, d.url, d.etag, d.last_modified) for d in reversed(newest))
            plans.append(
                SourcePlan(
                    source_id=config.id,
                    url=config.url,
                    kind=config.kind,
                    baselined=baselined,
                    etag=main.etag if main and baselined else None,
                    last_modified=main.last_modified if main and baselined else None,
                    follow=config.follow,
                    select=config.select,
                    allow_domains=config.allow_domains,
                    max_new_documents=config.max_new_documents,
                    known=known,
                    pending=pending,
                    recheck=recheck if config.kind == "listing" else (),
                )
            )
    return plans


class Monitor:
    """Processes the results of one crawl run."""

    def __init__(
        self,
        db: Database,
        config: Config,
        sources: Iterable[SourceConfig],
        clock: Callable[[], datetime] = utcnow,
        channels: Sequence[str] = (),
        compiled_topics: Mapping[str, Topic] | None = None,
    ) -> None:
        """``compiled_topics``: ``compile_topics(config.all_topics())`` when the caller has it
        already (a split crawl compiles them once, before it forks)."""
        self.db = db
        self.channels = tuple(channels)
        self.unreachable_after = config.notify.unreachable_after
        self.clock = clock
        self.sources = {source.id: source for source in sources}
        all_topics = dict(compiled_topics) if compiled_topics is not None else compile_topics(config.all_topics())
        self.topics: dict[str, dict[str, Topic]] = {
            sid: all_topics
            if source.topics is None
            else {name: t for name, t in all_topics.items() if name in source.topics}
            for sid, source in self.sources.items()
        }
        self.summary = CrawlSummary()
        self._main_failed: set[str] = set()
        self._not_modified: list[tuple[str, str]] = []
        self._updates: list[dict[str, Any]] = []  # documents found unchanged, written in batches
        # Page sources' documents are read PREFETCH at a time, in the order they are crawled,
        # instead of one query each; each is used once and then dropped.
        self._page_keys = [(sid, source.url) for sid, source in self.sources.items() if source.kind == "page"]
        self._chunk_of = {key: index // PREFETCH for index, key in enumerate(self._page_keys)}
        self._prefetched: dict[tuple[str, str], Document | None] = {}
        self._chunks_read: set[int] = set()
        with db.transaction() as session:
            run = CrawlRun(
                started_at=self.clock(), sources=sorted(self.sources), holder=holder_id(), stats={}, errors=[]
            )
            session.add(run)
            session.flush()
            self.summary.run_id = run.id
            rows = source_values(session, self.sources, Source.baselined)
            self.baselined = {sid: bool(row.baselined) for sid, row in rows.items()}

    # -- entry point ---------------------------------------------------------------------

    def handle(self, result: Result) -> None:
        """Called for every crawl result; never raises (a crawl must go on)."""
        try:
            if isinstance(result, Fetched):
                self.summary.count(result.source_id, "fetched")
                if result.role in ("page", "listing", "feed"):
                    self.summary.answered.add(result.source_id)
                if result.role == "feed":
                    self._feed(result)
                else:
                    self._document(result)
            elif isinstance(result, NotModified):
                self.summary.answered.add(result.source_id)
                self.summary.count(result.source_id, "unchanged")
                self._not_modified.append((result.source_id, result.key))
            elif isinstance(result, ListingLinks):
                self.summary.answered.add(result.source_id)
                self.summary.count(result.source_id, "fetched")
                self._listing(result)
            elif isinstance(result, Failed):
                self._failed(result.source_id, result.key, result.role, result.error)
        except StorageError as exc:
            self._error(result.source_id, f"database error while storing {getattr(result, 'key', '')}: {exc}")
        except Exception as exc:
            log.exception("internal error processing %r", getattr(result, "key", result))
            self._error(result.source_id, f"internal error processing {getattr(result, 'key', '')}: {exc!r}")

    def finish(self, crawled: Sequence[str] | None = None) -> CrawlSummary:
        """Record each source's outcome and close the run. ``crawled``: the sources this
        process crawled, when it shared them with the other processes of a crawl (each
        records its own); by default all of them."""
        now = self.clock()
        ids = sorted(self.sources if crawled is None else crawled)
        with self.db.transaction() as session:
            self._write_updates(session)
            self._touch_not_modified(session, now)
            # Plain UPDATEs by key, grouped by the columns they set, rather than loading the
            # sources as ORM objects to write them back (half the time: 28 ms for 400).
            rows: list[dict[str, Any]] = []
            for sid, stored in source_values(session, ids, Source.consecutive_errors).items():
                error = self.summary.failed_sources.get(sid)
                before = stored.consecutive_errors or 0
                after = before + 1 if error is not None else 0
                row: dict[str, Any] = {"id": sid, "last_crawl_at": now, "consecutive_errors": after}
                if error is not None:
                    row.update(last_error=error, last_error_at=now)
                if self._main_ok(sid):
                    row.update(last_success_at=now, baselined=True)
                rows.append(row)
                self._health_notice(session, sid, before, after, error, now)
            update_by_key(session, Source, rows)
            session.execute(
                update(CrawlRun)
                .where(CrawlRun.id == self.summary.run_id)
                .values(sources=ids, finished_at=now, stats=self.summary.as_dict(), errors=list(self.summary.errors))
            )
        return self.summary

    def _health_notice(
        self, session: Session, source_id: str, before: int, after: int, error: str | None, now: datetime
    ) -> None:
        """One notice when a source crosses the failure threshold, one when it recovers."""
        limit = self.unreachable_after
        if before < limit <= after and source_id in self._main_failed:  # the source itself, not one link
            kind, message = "unreachable", f"Source {source_id} failed {after} crawls in a row. Last error: {error}"
        elif before >= limit and after == 0:
            kind, message = "recovered", f"Source {source_id} works again after {before} failed crawls."
        else:
            return
        notice = Notice(source_id=source_id, kind=kind, message=message, created_at=now)
        session.add(notice)
        session.flush()
        enqueue(session, self.channels, source_id, now, notice_id=notice.id, run_id=self.summary.run_id)

    def _main_ok(self, source_id: str) -> bool:
        """The source's own URL (page, listing or feed) answered and was usable."""
        return source_id in self.summary.answered and source_id not in self._main_failed

    # -- results -------------------------------------------------------------------------

    def _error(self, source_id: str, message: str, main: bool = True) -> None:
        self.summary.errors.append(f"{source_id}: {message}")
        counts = self.summary.per_source.setdefault(source_id, {})
        counts["errors"] = counts.get("errors", 0) + 1
        self.summary.failed_sources.setdefault(source_id, message)
        if main:
            self._main_failed.add(source_id)

    def _failed(self, source_id: str, key: str, role: str, error: str) -> None:
        if role == "document":
            self._error(source_id, f"{key}: {error}", main=False)
            with self.db.transaction() as session:
                doc = self._doc(session, source_id, key)
                if doc is not None:
                    doc.failures += 1
                    if doc.failures >= MAX_DOCUMENT_FAILURES and doc.fetched_at is None:
                        doc.fetched_at = self.clock()  # give up on a link that never works
        else:
            self._error(source_id, error)

    def _touch_not_modified(self, session: Session, now: datetime) -> None:
        """Record the 304s of the run in one go (one statement per 500, not one transaction each)."""
        for batch in batches(self._not_modified):
            session.execute(
                update(Document).where(tuple_(Document.source_id, Document.key).in_(batch)).values(fetched_at=now)
            )

    @staticmethod
    def _doc(session: Session, source_id: str, key: str) -> Document | None:
        return session.execute(
            select(Document).where(Document.source_id == source_id, Document.key == key)
        ).scalar_one_or_none()

    def _get_or_create_doc(
        self, session: Session, source_id: str, key: str, url: str, role: str, baseline: bool
    ) -> Document:
        doc = self._doc(session, source_id, key)
        if doc is None:
            doc = Document(
                source_id=source_id,
                key=key,
                url=url,
                role=role,
                baseline=baseline,
                first_seen_at=self.clock(),
                suspect_count=0,
                failures=0,
            )
            session.add(doc)
            session.flush()
        return doc

    def _listing(self, result: ListingLinks) -> None:
        source = self.sources[result.source_id]
        with self.db.transaction() as session:
            listing = self._get_or_create_doc(session, result.source_id, source.url, result.url, "listing", True)
            listing.fetched_at = self.clock()
            listing.etag = result.headers.get("etag")
            listing.last_modified = result.headers.get("last-modified")
            # Bottom up: a listing shows its newest item first, and the newest documents (the
            # highest ids) are the ones read again on later crawls.
            for url, text in reversed(result.new):
                old = not result.baseline and filed_before(url, source.url, listing.first_seen_at - OLD_ITEM)
                if old:
                    log.info("%s: filed before %s was first read; known, without alerting", url, source.url)
                self._get_or_create_doc(
                    session, result.source_id, url, url, "document", result.baseline or old
                ).title = text or None
            for url, text in reversed(result.overflow):
                self._get_or_create_doc(session, result.source_id, url, url, "document", True).title = text or None
        if result.overflow and not result.baseline:
            self._error(
                result.source_id,
                f"listing changed shape: {len(result.overflow)} new links at once (more than "
                f"max_new_documents={source.max_new_documents}); recorded as known without alerting",
                main=False,
            )

    def _document(self, result: Fetched) -> None:
        """A fetched page or document: read what is stored, work out the new version with no
        database lock held, then write in one short transaction (or, when nothing but the
        validators changed, in the next batch of such updates)."""
        source = self.sources[result.source_id]
        role = result.role
        known = self._known(result.source_id, result.key)
        body_hash = hashlib.sha256(result.body).hexdigest()
        if known is not None and known.body_hash == body_hash and known.content_hash is not None:
            self._unchanged(result, known, fetched_at=self.clock())
            return
        try:
            page = extract_document(
                result.body,
                result.headers.get("content-type", ""),
                result.url,
                select=source.select if role == "page" else None,
                exclude=source.exclude if role == "page" else (),
            )
        except ExtractionError as exc:
            with self.db.transaction() as session:
                doc = self._doc_for(session, result, known)
                self._failed_processing(session, doc, result, str(exc))
            return
        memo: UnitMemo = {}  # this document's sentences by block, worked out once
        digests = [block_digest(block.text) for block in page.blocks]
        text_hash = blocks_hash(digests)
        now = self.clock()
        validators: dict[str, Any] = {
            "fetched_at": now,
            "body_hash": body_hash,
            "etag": result.headers.get("etag"),
            "last_modified": result.headers.get("last-modified"),
        }
        same_text = known is not None and text_hash == known.blocks_hash and known.content_hash is not None
        if known is not None and same_text and not page.truncated:
            self._unchanged(result, known, **validators)  # only the markup around the text changed
            return
        # Blocks met in the last version keep their fingerprints: only new text is canonicalised.
        prints = block_prints(page.blocks, decode_prints(known.block_prints if known else None), memo, digests)
        fingerprints = [fp for _digest, fps in prints for fp in fps]
        digest = digest_of(fingerprints)
        if known is not None and digest == known.content_hash and not page.truncated:
            # The sentences of the last accepted version, no more, no fewer: sound by definition.
            self._unchanged(
                result,
                known,
                **validators,
                suspect_hash=None,
                suspect_count=0,
                failures=0,
                block_prints=encode_prints(prints),
                blocks_hash=text_hash,
                title=page.title or known.title,
            )
            return
        problem = fault(page, len(fingerprints), known.sentence_count if known else None, result.key, result.url)
        units = units_of(page.blocks, memo)
        baselined = self.baselined.get(result.source_id, False)
        version = None
        if problem is None and (known is None or digest != known.content_hash):
            # Worked out before the write transaction: no database lock is held meanwhile.
            first_fetch = known is None or known.fetched_at is None
            new_baseline = known.baseline if known is not None else result.baseline or not baselined
            assumed = ((not baselined) or (first_fetch and new_baseline), first_fetch and role == "document")
            with self.db.reading() as session:
                version = self._assess(
                    session,
                    result.source_id,
                    known.id if known else None,
                    page,
                    units,
                    *assumed,
                    memo=memo,
                    title_before=known.title if known else None,
                )
        with self.db.transaction() as session:
            doc = self._doc_for(session, result, known)
            if problem is not None and not self._accept_shrunk(doc, problem, digest):
                self._failed_processing(session, doc, result, problem)
                return
            doc.suspect_hash, doc.suspect_count, doc.failures = None, 0, 0
            doc.block_prints = encode_prints(prints)
            doc.blocks_hash = text_hash
            doc.etag = result.headers.get("etag")
            doc.last_modified = result.headers.get("last-modified")
            doc.body_hash = body_hash
            title_before, doc.title = doc.title, page.title or doc.title
            if digest == doc.content_hash:  # a shrunken version accepted, with the same sentences
                doc.fetched_at = now
                self.summary.count(result.source_id, "unchanged")
                return
            first_fetch = doc.fetched_at is None
            is_baseline = (not baselined) or (first_fetch and doc.baseline)
            new_document = first_fetch and role == "document"
            if version is None or version.assumed != (is_baseline, new_document):
                # A shrunken page accepted, or the document stored meanwhile by another process.
                version = self._assess(
                    session, result.source_id, doc.id, page, units, is_baseline, new_document, memo, title_before
                )
            self._store_version(session, doc, result, page, units, digest, version)

    def _known(self, source_id: str, key: str) -> Document | None:
        """The stored document (as read, detached), or None for a new one."""
        wanted = (source_id, key)
        chunk = self._chunk_of.get(wanted)
        if chunk is not None and chunk not in self._chunks_read:
            self._chunks_read.add(chunk)
            keys = self._page_keys[chunk * PREFETCH : (chunk + 1) * PREFETCH]
            self._prefetched.update(dict.fromkeys(keys))
            with self.db.reading() as session:
                for doc in session.scalars(select(Document).where(tuple_(Document.source_id, Document.key).in_(keys))):
                    self._prefetched[(doc.source_id, doc.key)] = doc
        if wanted in self._prefetched:
            return self._prefetched.pop(wanted)
        with self.db.reading() as session:
            return self._doc(session, source_id, key)

    def _doc_for(self, session: Session, result: Fetched, known: Document | None) -> Document:
        """The document of a result in this write transaction (created if new)."""
        self._write_updates(session)  # a batched update never lands after a later write
        doc = session.get(Document, known.id) if known is not None else None
        if doc is None:
            baseline = result.baseline or not self.baselined.get(result.source_id, False)
            doc = self._get_or_create_doc(session, result.source_id, result.key, result.url, result.role, baseline)
        return doc

    def _unchanged(self, result: Fetched, doc: Document, **values: Any) -> None:
        """A document whose text is what it was: its new validators are written in batches
        (lost in a crash, they only cost the next crawl the same work again)."""
        self.summary.count(result.source_id, "unchanged")
        self._updates.append({"id": doc.id, **values})
        if len(self._updates) >= UPDATE_BATCH:
            self._write_updates()

    def _write_updates(self, session: Session | None = None) -> None:
        if not self._updates:
            return
        updates, self._updates = self._updates, []
        if session is None:
            with self.db.transaction() as own:
                update_by_key(own, Document, updates)
        else:
            update_by_key(session, Document, updates)

    def _accept_shrunk(self, doc: Document, problem: str, digest: str) -> bool:
        """A page that lost most of its content is a fault — unless it stays that way."""
        if not problem.startswith("page lost most"):
            return False
        if doc.suspect_hash == digest:
            doc.suspect_count += 1
        else:
            doc.suspect_hash, doc.suspect_count = digest, 1
        return doc.suspect_count >= SHRUNK_ACCEPT_AFTER

    def _failed_processing(self, session: Session, doc: Document, result: Fetched, problem: str) -> None:
        if result.role == "document" and doc.fetched_at is not None:
            # A listing's old article read again (a re-check), now deleted (a "not found" page
            # served at 200) or down: no fault of the source; its last version stays.
            log.info("re-reading %s: %s", result.url, problem)
            return
        where = result.url if result.role == "document" else ""
        self._error(result.source_id, f"{where + ': ' if where else ''}{problem}", main=result.role != "document")
        if result.role == "document" and doc.fetched_at is None:
            doc.failures += 1
            if doc.failures >= MAX_DOCUMENT_FAILURES:
                doc.fetched_at = self.clock()

    def _assess(
        self,
        session: Session,
        source_id: str,
        doc_id: int | None,
        page: Page,
        units: list[Unit],
        is_baseline: bool,
        new_document: bool,
        memo: UnitMemo | None = None,
        title_before: str | None = None,
    ) -> Version:
        """What a new version of a document says: its new sentences and the alerts they
        raise. ``session`` is only read from (what the document and its source said before),
        so the monitor works this out before it opens the write transaction."""
        previous: list[Unit] = []
        before: list[str] = []  # the previous version's blocks
        if not is_baseline and not new_document and doc_id is not None:
            before = _last_blocks(session, doc_id)
            previous = units_of([Block(text) for text in before], memo)
        seen = self._seen(session, source_id, units)
        fresh = without_joins(new_units(units, seen, [unit.key for unit in previous]), before)
        if previous and title_before:  # the page's title, now shown as its heading (a new theme)
            shown = canonical(title_before)
            fresh = [unit for unit in fresh if unit.key != shown]
        current = {unit.key for unit in units}
        left = [unit for unit in previous if unit.key not in current]  # sentences the page lost
        gone = [unit.key for unit in left]
        if previous and fresh:
            fresh = self._without_number_noise(fresh, previous, source_id)
            fresh = without_rewordings(fresh, gone)
        version = Version((is_baseline, new_document), seen, fresh, left, before)
        if is_baseline or not fresh:
            # Only numbers moved (dates, counters in page chrome): nothing worth a snapshot.
            version.numbers_only = not is_baseline and shapes(units) == shapes(previous)
            return version
        unseen = {unit.fingerprint for unit in fresh}
        kept = {unit.block for unit in units if unit.fingerprint not in unseen}  # blocks already there
        # Recorded as changed, but old news. A new document (a listing's article, a feed
        # entry) may restate what the source's other documents said: an explainer, a
        # "five years ago" post, a "read more" teaser.
        edits = updates(fresh, gone)  # (none in a new document: nothing left it)
        if not new_document:
            restated = restatements(fresh, previous, edits, across_languages=True)
        elif republished(" ".join([page.title, *(block.text for block in page.blocks[:1])])):
            restated = {unit.fingerprint for unit in fresh}  # "From the archive: …", all of it
        else:  # the other documents are read only when they can matter
            restated = restatements(fresh, self._said_elsewhere(session, source_id, doc_id), edits)
        # A recap, a background box, an anniversary piece: the past told again.
        restated |= retrospective(fresh, page.blocks, page.title if new_document else "", self.clock())
        version.findings = judge(
            list(page.blocks),
            page.title,
            [u for u in fresh if u.fingerprint not in restated],
            self.topics[source_id],
            document_level=new_document,
            kept=kept,
            updates=edits,
        )
        return version

    def _store_version(
        self,
        session: Session,
        doc: Document,
        result: Fetched,
        page: Page,
        units: list[Unit],
        digest: str,
        version: Version,
    ) -> None:
        """Write what :meth:`_assess` found: the snapshot, the sentences seen, the change and
        its alerts, in the caller's transaction."""
        is_baseline, new_document = version.assumed
        now = self.clock()
        doc.content_hash = digest
        doc.sentence_count = len(units)
        doc.fetched_at = now
        doc.url = result.url
        if new_document:
            self.summary.count(result.source_id, "new_documents")
        if version.numbers_only:
            self.summary.count(result.source_id, "unchanged")
            return
        snapshot = Snapshot(
            document_id=doc.id,
            fetched_at=now,
            url=result.url,
            status=result.status,
            headers=result.headers,
            blob_sha256=store_blob(session, result.body),
            content_hash=digest,
            blocks=[block.text for block in page.blocks],
        )
        session.add(snapshot)
        session.add_all(
            SeenSentence(source_id=result.source_id, fingerprint=fp)
            for fp in {u.fingerprint for u in units} - version.seen
        )
        session.flush()
        if is_baseline or not version.fresh:
            if not is_baseline:
                self.summary.count(result.source_id, "unchanged")
            return
        self.summary.count(result.source_id, "changed")
        removed = list(dict.fromkeys(unit.text for unit in version.left))
        change = Change(
            source_id=result.source_id,
            document_id=doc.id,
            snapshot_id=snapshot.id,
            run_id=self.summary.run_id,
            detected_at=now,
            kind="new-document" if new_document else "changed",
            url=result.url,
            added=[unit.text for unit in version.fresh],
            removed=removed[:200],
        )
        session.add(change)
        session.flush()
        self._alerts(session, change, doc, version.findings)

    def _recut(self, session: Session, source_id: str, doc_id: int, entry: FeedEntry, before: list[str]) -> bool:
        """Does the feed show more, or less, of an entry already read on a topic (its last
        version, ``before``, is, or an earlier one raised an alert)? Its cut moved ("… [...]"):
        the rest of an article already read as news is not news. An entry whose cut stopped
        before it reached the topic is judged as it stands."""
        if not recut(before, [block.text for block in entry.blocks]):
            return False
        blocks = [Block(text) for text in before]
        if judge(blocks, entry.title, units_of(blocks), self.topics[source_id], document_level=True):
            return True
        alerted = select(Alert.id).join(Change, Alert.change_id == Change.id).where(Change.document_id == doc_id)
        return session.execute(alerted.limit(1)).first() is not None

    def _said_elsewhere(self, session: Session, source_id: str, doc_id: int | None) -> list[Unit]:
        """The sentences of the source's other documents (their last versions; the
        RECENT_DOCUMENTS most recently found): what a new document may only repeat."""
        others = (
            select(Document.id)
            .where(
                Document.source_id == source_id,
                Document.role.in_(("document", "entry")),
                *([Document.id != doc_id] if doc_id is not None else []),
            )
            .order_by(Document.id.desc())
            .limit(RECENT_DOCUMENTS)
            .scalar_subquery()
        )
        latest = (
            select(func.max(Snapshot.id)).where(Snapshot.document_id.in_(others)).group_by(Snapshot.document_id)
        ).scalar_subquery()
        texts = session.execute(select(Snapshot.blocks).where(Snapshot.id.in_(latest))).scalars()
        return units_of([Block(text) for blocks in texts for text in blocks or []])

    def _without_number_noise(self, fresh: list[Unit], previous: list[Unit], source_id: str) -> list[Unit]:
        """A sentence that differs from one of the previous version only in its numbers (a date
        stamp, a counter) is new only when it is relevant on its own."""
        before = shapes(previous)
        topics = self.topics[source_id].values()
        return [
            unit
            for unit in fresh
            if shape(unit.key) not in before or any(score(topic, unit.text).relevant for topic in topics)
        ]

    def _alerts(self, session: Session, change: Change, doc: Document, findings: Sequence[Finding]) -> None:
        for finding in findings:
            alert = Alert(
                change_id=change.id,
                source_id=change.source_id,
                url=change.url,
                title=doc.title,
                topic=finding.topic,
                score=finding.score,
                terms=list(finding.terms),
                excerpt=finding.excerpt,
                detected_at=change.detected_at,
            )
            session.add(alert)
            session.flush()
            enqueue(
                session, self.channels, change.source_id, change.detected_at, alert_id=alert.id, run_id=change.run_id
            )
            self.summary.count(change.source_id, "alerts")
        if findings:
            source = session.get(Source, change.source_id)
            if source is not None:
                source.last_alert_at = change.detected_at
        source = session.get(Source, change.source_id)
        if source is not None:
            source.last_change_at = change.detected_at

    @staticmethod
    def _seen(session: Session, source_id: str, units: list[Unit]) -> set[int]:
        """Which of these sentences the source has seen before."""
        fingerprints = list({unit.fingerprint for unit in units})
        seen: set[int] = set()
        for chunk in batches(fingerprints):
            seen.update(
                session.execute(
                    select(SeenSentence.fingerprint).where(
                        SeenSentence.source_id == source_id, SeenSentence.fingerprint.in_(chunk)
                    )
                ).scalars()
            )
        return seen

    def _feed(self, result: Fetched) -> None:
        source = self.sources[result.source_id]
        baselined = self.baselined.get(result.source_id, False)
        try:
            entries = extract_feed(result.body, result.url)
        except ExtractionError as exc:
            self._error(result.source_id, str(exc))
            return
        if not entries and baselined:
            self._error(result.source_id, "the feed has no entries")
            return
        with self.db.transaction() as session:
            feed_doc = self._get_or_create_doc(session, result.source_id, source.url, result.url, "feed", True)
            feed_doc.fetched_at = self.clock()
            feed_doc.etag = result.headers.get("etag")
            feed_doc.last_modified = result.headers.get("last-modified")
            known: dict[str, str | None] = {
                key: digest
                for key, digest in session.execute(
                    select(Document.key, Document.content_hash).where(
                        Document.source_id == result.source_id, Document.role == "entry"
                    )
                )
            }
            touched = False
            for entry in entries:
                units = units_of(entry.blocks)
                digest = content_hash(units)
                if entry.key in known and known[entry.key] == digest:
                    continue
                # A new entry; or one edited in place (same guid, new text), whose new
                # sentences are judged like a page's.
                self._entry(session, result, entry, units, digest, baseline=not baselined, new=entry.key not in known)
                touched = True
            if not touched:
                self.summary.count(result.source_id, "unchanged")

    def _entry(
        self,
        session: Session,
        result: Fetched,
        entry: FeedEntry,
        units: list[Unit],
        digest: str,
        baseline: bool,
        new: bool,
    ) -> None:
        doc = self._get_or_create_doc(session, result.source_id, entry.key, entry.url or result.url, "entry", baseline)
        doc.title = entry.title
        page = Page(title=entry.title, blocks=entry.blocks)
        fake = Fetched(
            result.source_id, "document", entry.key, entry.url or result.url, result.status, result.headers, result.body
        )
        version = self._assess(session, result.source_id, doc.id, page, units, baseline, new)
        if version.findings and not new and self._recut(session, result.source_id, doc.id, entry, version.before):
            version.findings = []  # the feed shows more, or less, of an entry it showed on the topic
        self._store_version(session, doc, fake, page, units, digest, version)


def _last_blocks(session: Session, doc_id: int) -> list[str]:
    """The blocks of a document's last stored version (none yet: empty)."""
    query = select(Snapshot.blocks).where(Snapshot.document_id == doc_id).order_by(Snapshot.id.desc()).limit(1)
    return session.execute(query).scalar_one_or_none() or []
