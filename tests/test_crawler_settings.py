"""Scrapy as hrdwatch configures it: no remote control, no telnet console, no cookies."""

from __future__ import annotations

import sys

from scrapy.crawler import CrawlerProcess

from hrdwatch.config import CrawlSettings
from hrdwatch.crawler.run import scrapy_settings
from hrdwatch.crawler.spider import WatchSpider


def test_no_remote_control_no_telnet_and_only_http() -> None:
    process = CrawlerProcess(settings=scrapy_settings(CrawlSettings()))
    crawler = process.create_crawler(WatchSpider)
    crawler._apply_settings()
    assert not crawler.extensions.middlewares  # no telnet console, no RemoteControl, no statistics
    assert not any(name.endswith(("remote_control", "telnet")) for name in sys.modules if name.startswith("scrapy"))
    settings = crawler.settings
    assert not settings.getbool("TELNETCONSOLE_ENABLED") and not settings.getbool("REMOTE_CONTROL_ENABLED")
    handlers = settings.getwithbase("DOWNLOAD_HANDLERS")
    assert {scheme for scheme, handler in handlers.items() if handler} == {"http", "https"}
    middlewares = settings.getwithbase("DOWNLOADER_MIDDLEWARES")
    assert "hrdwatch.crawler.robots.CachedRobotsTxt" in middlewares
    assert not any("cookies" in str(name) or name.endswith("RobotsTxtMiddleware") for name in middlewares)
    assert settings.getint("CONCURRENT_ITEMS") == 1  # not 100 asyncio tasks per response
    # Dependency versions are read (from package metadata) only when the log shows them.
    assert settings.getlist("LOG_VERSIONS") == []
    assert "lxml" in scrapy_settings(CrawlSettings(), "INFO")["LOG_VERSIONS"]


def test_preload_imports_what_a_crawl_needs_and_restores_inspect() -> None:
    import inspect

    from hrdwatch.crawler.run import _frames_only, preload

    real = inspect.stack
    preload()
    assert inspect.stack is real
    for module in ("scrapy.core.downloader.handlers.http11", "scrapy.downloadermiddlewares.httpcompression"):
        assert module in sys.modules
    # The stand-in gives the frames inspect.stack() gives, from the caller outwards.
    assert [entry[0] for entry in _frames_only()] == [info.frame for info in inspect.stack(0)]


def test_the_parts_of_a_crawl_take_each_source_once_as_they_go() -> None:
    """Forked processes share one counter: every source is taken by exactly one of them, and
    what each took is known to the parent (it reports the sources of a part that died)."""
    import json
    import os
    import time

    from hrdwatch.crawler.claims import Claims

    ids = [f"s{i}" for i in range(60)]
    claims = Claims(ids)
    pipes = []
    for part in (1, 2):
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # a part: take sources until none is left, a little slower than the parent
            os.close(read_fd)
            taken = []
            while (source := claims.take(part)) is not None:
                taken.append(source)
                time.sleep(0.002)
            os.write(write_fd, json.dumps(taken).encode())
            os._exit(0)
        os.close(write_fd)
        pipes.append((pid, read_fd, part))
    mine = []
    while (source := claims.take(0)) is not None:
        mine.append(source)
        time.sleep(0.001)
    taken = {0: mine}
    for pid, read_fd, part in pipes:
        with os.fdopen(read_fd) as pipe:
            taken[part] = json.loads(pipe.read())
        os.waitpid(pid, 0)
    assert sorted(s for part in taken.values() for s in part) == sorted(ids)  # each once, none left
    assert all(taken[part] for part in taken)  # all three took some
    for part, sources in taken.items():
        assert claims.taken_by(part) == sorted(sources, key=ids.index)
    assert claims.take(1) is None
