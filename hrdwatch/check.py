"""`hrdwatch check`: fetch one source now, store nothing, show what would be watched and how it scores."""

from __future__ import annotations

from collections.abc import Iterator

from rich.text import Text

from hrdwatch.config import Config, SourceConfig
from hrdwatch.crawler.results import Failed, Fetched, ListingLinks, NotModified, Result, SourcePlan
from hrdwatch.crawler.run import run_crawl
from hrdwatch.detect.extract import Block, ExtractionError, extract_document, extract_feed
from hrdwatch.detect.relevance import Topic, compile_topics, score


def check_source(source: SourceConfig, config: Config) -> Iterator[Text]:
    plan = SourcePlan(
        source_id=source.id,
        url=source.url,
        kind=source.kind,
        baselined=True,
        follow=source.follow,
        select=source.select,
        allow_domains=source.allow_domains,
        max_new_documents=10_000,
        dry_run=True,
    )
    results: list[Result] = []
    run_crawl([plan], config.crawl, results.append)
    topics = {
        name: topic
        for name, topic in compile_topics(config.all_topics()).items()
        if source.topics is None or name in source.topics
    }
    yield Text(f"{source.id}: {source.kind} {source.url}", style="bold")
    if not results:
        yield Text("  nothing came back (robots.txt may forbid it)", style="red")
    for result in results:
        if isinstance(result, Failed):
            yield Text(f"  error: {result.error}", style="red")
        elif isinstance(result, NotModified):
            yield Text("  not modified")
        elif isinstance(result, ListingLinks):
            yield Text(f"  {len(result.new)} links match 'follow' and would be fetched as documents:")
            for url, text in result.new:
                yield Text(f"    {url}  {text}")
        elif isinstance(result, Fetched) and result.role == "feed":
            try:
                entries = extract_feed(result.body, result.url)
            except ExtractionError as exc:
                yield Text(f"  error: {exc}", style="red")
                continue
            yield Text(f"  {len(entries)} feed entries:")
            for entry in entries:
                yield from _blocks(entry.blocks, topics, indent="    ")
        elif isinstance(result, Fetched):
            try:
                page = extract_document(
                    result.body, result.headers.get("content-type", ""), result.url, source.select, source.exclude
                )
            except ExtractionError as exc:
                yield Text(f"  error: {exc}", style="red")
                continue
            yield Text(f"  HTTP {result.status}, {len(result.body)} bytes, title: {page.title!r}")
            yield Text(f"  {len(page.blocks)} blocks watched (score per block; * = relevant on its own):")
            yield from _blocks(page.blocks, topics, indent="    ")


def _blocks(blocks: tuple[Block, ...], topics: dict[str, Topic], indent: str) -> Iterator[Text]:
    for block in blocks:
        results = [score(topic, block.text) for topic in topics.values()]
        best = max(results, key=lambda r: r.score) if results else None
        line = Text(indent)
        if best is not None and best.matches:
            mark = "*" if best.relevant else " "
            line.append(f"{mark}[{best.score:4.1f} {best.topic}] ", style="green" if best.relevant else "yellow")
        else:
            line.append("  [ 0.0] ", style="dim")
        line.append(block.text[:300] + ("…" if len(block.text) > 300 else ""))
        if best is not None and best.matches:
            line.append(f"  ({', '.join(best.terms)})", style="dim")
        yield line
