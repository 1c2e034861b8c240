"""The Scrapy spider: fetches each source (page, listing, feed) and a listing's new documents.

It only fetches and reports; what the text means is decided after it (hrdwatch.monitor).
The spider keeps no state between crawls: everything it needs comes in the plans.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from hrdwatch.crawler.links import select_links
from hrdwatch.crawler.results import Failed, Fetched, KnownDocument, ListingLinks, NotModified, SourcePlan
from hrdwatch.detect.extract import ExtractionError, extract_html_body

_KEPT_HEADERS = ("content-type", "etag", "last-modified", "content-length", "date", "server")


def headers_of(response: Response) -> dict[str, str]:
    kept: dict[str, str] = {}
    for name in _KEPT_HEADERS:
        value = response.headers.get(name)
        if value is not None:
            kept[name] = value.decode("latin-1")
    return kept


def describe_failure(failure: Failure) -> str:
    """One readable line for a failed download."""
    value = failure.value
    if isinstance(value, HttpError):
        return f"HTTP {value.response.status} from {value.response.url}"
    name = type(value).__name__
    message = str(value).strip() or name
    if "max size" in message or "DOWNLOAD_MAXSIZE" in message:
        return f"larger than the size limit (crawl.max_page_size): {message}"[:500]
    if name == "IgnoreRequest" and "robots" in message.lower():
        return "forbidden by robots.txt"
    if name == "IgnoreRequest":
        return message
    if name == "CancelledError":
        return "download cancelled (larger than the size limit, or slower than the time limit)"
    return f"{name}: {message}"[:500]


def _conditional(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """The headers of a conditional request: a 304 if nothing changed since."""
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


class WatchSpider(scrapy.Spider):
    name = "hrdwatch"

    def __init__(
        self,
        plans: Sequence[SourcePlan],
        robots: Mapping[str, bytes] | None = None,
        robots_fetched: dict[str, bytes] | None = None,
        take: Callable[[], str | None] | None = None,
        **kwargs: Any,
    ) -> None:
        """``take``: when the sources are shared with the other processes of a crawl
        (hrdwatch.crawler.claims), gives the id of the next source to crawl, None at the end."""
        super().__init__(**kwargs)
        self.plans = tuple(plans)
        self.take = take
        self.robots = robots or {}  # read by hrdwatch.crawler.robots.CachedRobotsTxt
        self.robots_fetched = robots_fetched if robots_fetched is not None else {}

    async def start(self) -> AsyncIterator[Any]:
        # Scrapy asks for the next start request when it has room for one: a source is taken
        # only then, so the processes of a crawl share the sources as they go.
        for plan in self._plans():
            yield self._main_request(plan)
            for pending in plan.pending:
                yield self._document_request(plan, pending.key, pending.url, pending.baseline)
            for known in plan.recheck:
                yield self._recheck_request(plan, known)

    def _plans(self) -> Iterator[SourcePlan]:
        if self.take is None:
            yield from self.plans
            return
        by_id = {plan.source_id: plan for plan in self.plans}
        while (source_id := self.take()) is not None:
            yield by_id[source_id]

    def _main_request(self, plan: SourcePlan) -> scrapy.Request:
        role = plan.kind
        return scrapy.Request(
            plan.url,
            callback=self.parse_main,
            errback=self.failed,
            headers=_conditional(plan.etag, plan.last_modified),
            dont_filter=True,
            meta={"plan": plan, "role": role, "key": plan.url, "handle_httpstatus_list": [304]},
        )

    def _document_request(self, plan: SourcePlan, key: str, url: str, baseline: bool) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_document,
            errback=self.failed,
            dont_filter=True,
            meta={"plan": plan, "role": "document", "key": key, "baseline": baseline},
        )

    def _recheck_request(self, plan: SourcePlan, known: KnownDocument) -> scrapy.Request:
        return scrapy.Request(
            known.url,
            callback=self.parse_document,
            errback=self.failed,
            dont_filter=True,
            headers=_conditional(known.etag, known.last_modified),
            meta={"plan": plan, "role": "document", "key": known.key, "recheck": True, "handle_httpstatus_list": [304]},
        )

    def parse_main(self, response: Response) -> Iterator[Any]:
        plan: SourcePlan = response.meta["plan"]
        role = response.meta["role"]
        if response.status == 304:
            yield NotModified(plan.source_id, role, plan.url)
            return
        if role != "listing":
            yield Fetched(
                plan.source_id, role, plan.url, response.url, response.status, headers_of(response), response.body
            )
            return
        yield from self._listing(plan, response)

    def _listing(self, plan: SourcePlan, response: Response) -> Iterator[Any]:
        try:
            content_type = response.headers.get("content-type") or b""
            page = extract_html_body(response.body, content_type.decode("latin-1") or None, response.url, plan.select)
        except ExtractionError as exc:
            yield Failed(plan.source_id, "listing", plan.url, response.url, f"listing unreadable: {exc}")
            return
        links = select_links(page.links, plan.url, plan.follow, plan.allow_domains)
        pending = {doc.key for doc in plan.pending}
        fresh = [(url, text) for url, text in links if url not in plan.known and url not in pending]
        baseline = not plan.baselined
        limit = plan.max_new_documents
        if len(fresh) > limit:
            # On the first crawl fetch a first batch; later, a flood of new links is a redesign.
            fetch_now, overflow = (fresh[:limit], fresh[limit:]) if baseline else ([], fresh)
        else:
            fetch_now, overflow = fresh, []
        yield ListingLinks(
            plan.source_id,
            response.url,
            tuple(fetch_now),
            tuple(overflow),
            baseline,
            response.status,
            headers_of(response),
        )
        if not plan.dry_run:
            for url, _text in fetch_now:
                yield self._document_request(plan, url, url, baseline)

    def parse_document(self, response: Response) -> Iterator[Any]:
        plan: SourcePlan = response.meta["plan"]
        if response.status == 304:
            yield NotModified(plan.source_id, "document", response.meta["key"])
            return
        yield Fetched(
            plan.source_id,
            "document",
            response.meta["key"],
            response.url,
            response.status,
            headers_of(response),
            response.body,
            baseline=response.meta.get("baseline", False),
        )

    def failed(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        plan: SourcePlan = request.meta["plan"]
        if request.meta.get("recheck"):
            # An old article that no longer answers (moved, deleted) is no fault of the source:
            # its last version stays, and the next crawl tries again.
            self.logger.info("re-reading %s failed: %s", request.url, describe_failure(failure))
            return
        yield Failed(plan.source_id, request.meta["role"], request.meta["key"], request.url, describe_failure(failure))
