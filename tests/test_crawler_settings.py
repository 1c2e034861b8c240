"""Scrapy as hrdwatch configures it: no remote control, no telnet console, no cookies."""

from __future__ import annotations

import sys

import pytest
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
    # The stand-in gives the frames inspect.stack() gives, from the caller outwards, and
    # what Scrapy takes from them: the caller's module.
    assert [entry[0].frame for entry in _frames_only()] == [info.frame for info in inspect.stack(0)]
    assert inspect.getmodule(_frames_only()[0][0]) is sys.modules[__name__]
    from scrapy.core.downloader.tls import ScrapyClientTLSOptions  # a deprecated alias made by preload

    assert ScrapyClientTLSOptions.__module__ == "scrapy.core.downloader.tls"


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


def test_the_proxy_and_meta_refresh_middlewares_skip_only_work_that_cannot_matter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from hrdwatch.crawler.middlewares import EnvironmentProxies, may_refresh

    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    assert EnvironmentProxies().proxies == {}  # no_proxy alone: no proxy to bypass, no check per request
    monkeypatch.setenv("http_proxy", "http://user:secret@proxy.example:3128")
    assert set(EnvironmentProxies().proxies) == {"http"}

    head = b'<html><head><META HTTP-EQUIV="Refresh" CONTENT="0; url=/new"></head>'
    assert may_refresh(head)
    assert may_refresh(b"<html>" + "é".encode() * 6000 + b'<meta http-equiv="refresh" content="0;url=/x">')
    assert not may_refresh(b"<html><head><title>Lajme</title></head><body>" + b"x" * 100_000)
    assert may_refresh('<meta http-equiv="refresh" content="0;url=/x">'.encode("utf-16"))  # not ASCII-compatible
