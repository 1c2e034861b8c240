"""Running one crawl with Scrapy, handing every result to a callback as it arrives.

Twisted's reactor cannot be restarted, so a process runs at most one crawl: the CLI's
``crawl`` command is that process, and the scheduler starts one such process per crawl.
"""

from __future__ import annotations

import gc
import inspect
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from types import FrameType
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import default_settings
from scrapy.utils.misc import load_object

from hrdwatch.config import CrawlSettings
from hrdwatch.crawler.results import Result, SourcePlan
from hrdwatch.crawler.spider import WatchSpider


def scrapy_settings(crawl: CrawlSettings, log_level: str = "WARNING") -> dict[str, Any]:
    return {
        "BOT_NAME": "hrdwatch",
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "CONCURRENT_REQUESTS": crawl.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_domain,
        "DOWNLOAD_DELAY": crawl.delay,
        "DOWNLOAD_DELAY_JITTER": 0.5,
        "DOWNLOAD_TIMEOUT": crawl.timeout,
        "DOWNLOAD_MAXSIZE": crawl.max_page_size,
        "DOWNLOAD_WARNSIZE": 0,
        "DOWNLOAD_FAIL_ON_DATALOSS": True,
        "RETRY_TIMES": crawl.retries,
        "REDIRECT_MAX_TIMES": 5,
        "DNS_TIMEOUT": 15,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        # No extensions: the telnet console and RemoteControl (on by default in 2.19) must not
        # run, and the others only keep statistics, which hrdwatch does not read (its own
        # summary counts what matters). Left out of the base list, not just disabled, so that
        # they are not even imported (RemoteControl pulls in aiohttp: 0.4 s of start-up).
        "EXTENSIONS_BASE": {},
        "STATS_CLASS": "scrapy.statscollectors.DummyStatsCollector",
        # A response gives one result (a listing: a few requests more), handled at once;
        # Scrapy's default of 100 starts 100 asyncio tasks per response to process its output.
        "CONCURRENT_ITEMS": 1,
        "MEMUSAGE_ENABLED": False,
        # Only http(s): no file://, ftp://, s3:// or data: downloads, whatever a page links to.
        "DOWNLOAD_HANDLERS": {"file": None, "ftp": None, "s3": None, "data": None},
        # Scrapy's downloader middlewares, with robots.txt kept between crawls, the address
        # guard, and the proxy and meta-refresh middlewares without their needless work on
        # every page (hrdwatch.crawler.middlewares). Left out: cookies (a watch keeps no
        # session; the module would import tldextract for nothing), the HTTP cache (hrdwatch
        # keeps its own validators), and three that have nothing to do here: offsite filtering
        # (the spider sets no allowed_domains; listings filter their links themselves), HTTP
        # auth (no credentials) and download statistics. Listed here because a middleware
        # disabled with None is still imported, and each one listed costs every request a call.
        "DOWNLOADER_MIDDLEWARES_BASE": {
            "hrdwatch.crawler.robots.CachedRobotsTxt": 100,
            "scrapy.downloadermiddlewares.downloadtimeout.DownloadTimeoutMiddleware": 350,
            "scrapy.downloadermiddlewares.defaultheaders.DefaultHeadersMiddleware": 400,
            "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": 500,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": 550,
            "hrdwatch.crawler.middlewares.MetaRefresh": 580,
            "hrdwatch.crawler.guard.AddressGuard": 585,
            "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": 590,
            "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": 600,
            "hrdwatch.crawler.middlewares.EnvironmentProxies": 750,
        },
        # Spider middlewares: start requests, HTTP errors to the errback, and the URL length
        # limit on followed links. Left out: Referer (see below), depth statistics (a listing
        # is followed one level only) and the meta-copy warning (the spider builds its meta).
        "SPIDER_MIDDLEWARES_BASE": {
            "scrapy.spidermiddlewares.start.StartSpiderMiddleware": 25,
            "scrapy.spidermiddlewares.httperror.HttpErrorMiddleware": 50,
            "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": 800,
        },
        # No Referer header: a watched site need not learn which page led to it.
        "REFERER_ENABLED": False,
        # Scrapy would parse each callback's source on every response to warn about a
        # generator returning a value (its cache misses with per-request partials).
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
        "LOG_LEVEL": log_level,
        # The versions of Scrapy's dependencies are logged (at INFO) only when they are shown:
        # reading them from the packages' metadata costs each crawl process 10-15 ms.
        "LOG_VERSIONS": default_settings.LOG_VERSIONS if log_level in ("DEBUG", "INFO") else [],
        "LOG_ENABLED": True,
        "LOG_INSTALL_ROOT_HANDLER": False,
        "LOGSTATS_INTERVAL": 0,
    }


def preload() -> None:
    """Import now what a crawl imports when it starts (download handler, middlewares,
    scheduler queues). A crawl split over processes calls this before it forks, so that its
    parts share these imports instead of each paying for them.

    Scrapy's deprecated TLS class aliases call ``inspect.stack()`` when their modules are
    imported, which reads the source of every frame on the stack (0.1–0.3 s at a crawl's
    depth) only to take the caller's module. For the time of this import, ``inspect.stack``
    gives the same frames without their source lines, each with its module's name, so that
    ``inspect.getmodule`` need not map every loaded module's file first (0.05–0.1 s more).

    Then the heap so far (modules, configuration) is frozen out of the garbage collector's
    sight (``gc.freeze``, made for processes that fork after start-up): it lives as long as the
    process, and each collection during the crawl would otherwise walk it again (and touch
    pages a forked part would then have to copy), and the collector, paused during start-up
    by hrdwatch.__main__, runs again."""
    if _PRELOADED:
        gc.enable()
        return
    settings = scrapy_settings(CrawlSettings())
    paths = [
        *settings["DOWNLOADER_MIDDLEWARES_BASE"],
        *settings["SPIDER_MIDDLEWARES_BASE"],
        settings["STATS_CLASS"],
        default_settings.DOWNLOAD_HANDLERS_BASE["http"],
        default_settings.SCHEDULER,
        default_settings.SCHEDULER_PRIORITY_QUEUE,
        default_settings.SCHEDULER_MEMORY_QUEUE,
        default_settings.DUPEFILTER_CLASS,
        default_settings.LOG_FORMATTER,
        default_settings.ROBOTSTXT_PARSER,
    ]
    real_stack = inspect.stack
    inspect.stack = _frames_only  # type: ignore[assignment]
    try:
        for path in paths:
            load_object(path)
    finally:
        inspect.stack = real_stack
    gc.freeze()
    gc.enable()  # paused during start-up by hrdwatch.__main__
    _PRELOADED.append(True)


_PRELOADED: list[bool] = []


class _Caller:
    """A frame as ``inspect.getmodule`` needs it: with the ``__module__`` of its code.
    Given a frame, getmodule would first map every loaded module's file to its name."""

    def __init__(self, frame: FrameType) -> None:
        self.frame = frame
        self.__module__ = frame.f_globals.get("__name__", "")


def _frames_only(context: int = 1) -> list[tuple[_Caller]]:
    """``inspect.stack()`` without the source lines: (caller,) for the caller and outwards."""
    frames: list[tuple[_Caller]] = []
    frame = sys._getframe(1)
    while frame is not None:
        frames.append((_Caller(frame),))
        frame = frame.f_back  # type: ignore[assignment]
    return frames


def _quiet_scrapy(record: logging.LogRecord) -> bool:
    return not record.name.startswith(("scrapy", "twisted", "protego", "py.warnings"))


def run_crawl(
    plans: Sequence[SourcePlan],
    crawl: CrawlSettings,
    on_result: Callable[[Result], None],
    log_level: str = "WARNING",
    robots: Mapping[str, bytes] | None = None,
    install_signal_handlers: bool = True,
    take: Callable[[], str | None] | None = None,
) -> dict[str, bytes]:
    """Fetch every planned source once, blocking until done. ``robots``: robots.txt bodies
    stored by earlier crawls, by origin; returns the ones this crawl had to fetch.

    Without ``install_signal_handlers`` SIGTERM/SIGINT are the caller's to handle (it calls
    :func:`stop_running_crawl`). With ``take`` the plans are crawled as it hands out their
    sources (see :class:`hrdwatch.crawler.spider.WatchSpider`)."""
    global _running
    if not plans:
        return {}
    # Scrapy logs through the standard logging tree, whose handler the CLI set up. Fetch
    # errors are reported by hrdwatch itself, so Scrapy's own tracebacks are shown only
    # when asked for (--log-level DEBUG or INFO).
    if log_level not in ("DEBUG", "INFO"):
        for handler in logging.getLogger().handlers:
            handler.addFilter(_quiet_scrapy)
    preload()
    process = CrawlerProcess(settings=scrapy_settings(crawl, log_level))
    crawler = process.create_crawler(WatchSpider)

    def scraped(item: Result, response: Any, spider: Any) -> None:
        on_result(item)

    crawler.signals.connect(scraped, signal=signals.item_scraped)
    fetched: dict[str, bytes] = {}
    process.crawl(crawler, plans=plans, robots=dict(robots or {}), robots_fetched=fetched, take=take)
    _running = process
    try:
        process.start(install_signal_handlers=install_signal_handlers)
    finally:
        _running = None
    return fetched


_running: CrawlerProcess | None = None


def stop_running_crawl() -> None:
    """Ask the crawl running in this process to stop as a signal would (safe in a signal handler)."""
    process = _running
    if process is not None:
        from twisted.internet import reactor

        reactor.callFromThread(process.stop)
