"""robots.txt with a memory between crawls: Scrapy's middleware, fed from the database.

A check cycle of N sites would otherwise cost 2N requests, half of them for robots.txt
files that rarely change. The spider carries the bodies stored by earlier crawls
(``spider.robots``, by origin) and collects the ones it had to fetch
(``spider.robots_fetched``) for the caller to store (hrdwatch.storage.robots).
A request the address guard will refuse does not get its robots.txt fetched either.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import ParseResult, SplitResult, urlsplit

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Request, Response
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler

from hrdwatch.crawler.guard import refusal


def origin_of(url: str) -> str:
    """The key of a site's robots.txt: scheme://host[:port]."""
    return _origin(urlsplit(url))


def _origin(parts: SplitResult | ParseResult) -> str:
    return f"{parts.scheme}://{parts.netloc}".lower()


class CachedRobotsTxt(RobotsTxtMiddleware):
    async def robot_parser(self, request: Request) -> Any:
        url = urlparse_cached(request)
        if url.netloc not in self._parsers:
            stored = getattr(self.crawler.spider, "robots", {}).get(_origin(url))
            if stored is not None:
                self._parsers[url.netloc] = build_from_crawler(self._parserimpl, self.crawler, stored)
            elif refusal(request) is not None:
                return None  # the address guard refuses the request itself
        return await super().robot_parser(request)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        await super()._parse_robots(response, netloc, request)
        fetched = getattr(self.crawler.spider, "robots_fetched", None)
        if fetched is None or response.status >= 500:
            return  # a server error says nothing about the rules: ask again next crawl
        fetched[origin_of(request.url)] = response.body if 200 <= response.status < 300 else b""
