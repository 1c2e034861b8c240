"""Two of Scrapy's downloader middlewares, without per-request work their answer does not
need. Both cost every page a few tenths of a millisecond for nothing, on a crawl of
hundreds of pages (measured with the benchmark's profiler, benchmarks/README.md).

- :class:`EnvironmentProxies`: Scrapy's HttpProxyMiddleware keeps ``no_proxy`` among the
  proxies it read from the environment, as a proxy for a scheme named "no". With only
  ``no_proxy`` set (as on many servers), it then asks for every request whether the host
  bypasses the proxies, which reads every environment variable again, only to find that
  there is no proxy for http(s) anyway.
- :class:`MetaRefresh`: Scrapy's MetaRefreshMiddleware decodes the whole body to text to
  look for ``<meta http-equiv="refresh">`` in its first 4,096 characters. A page whose
  first bytes do not contain the word "refresh" has no such tag there: it is passed on
  as it is, without decoding.
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.httpproxy import HttpProxyMiddleware
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import Response

# The first 4,096 characters of a page are at most this many bytes in UTF-8 (4 bytes a
# character at most), and fewer in any other ASCII-compatible encoding.
_HEAD_BYTES = 4 * 4096


class EnvironmentProxies(HttpProxyMiddleware):
    def __init__(self, auth_encoding: str | None = "latin-1") -> None:
        super().__init__(auth_encoding)
        self.proxies.pop("no", None)  # no_proxy lists hosts to reach directly: not a proxy


class MetaRefresh(MetaRefreshMiddleware):
    def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        if not may_refresh(response.body):
            return response
        return super().process_response(request, response)


def may_refresh(body: bytes) -> bool:
    """Could the first 4,096 characters of this body hold a meta refresh? Always yes for a
    body that is not ASCII-compatible (UTF-16 and UTF-32 put NUL bytes between letters)."""
    head = body[:_HEAD_BYTES]
    return b"\x00" in head[:64] or b"refresh" in head.lower()
