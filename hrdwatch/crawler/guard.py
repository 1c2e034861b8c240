"""Where the crawler may go: a downloader middleware that keeps discovered links and
redirects away from private networks, and away from anything but http(s).

The configured source URL may point anywhere the operator chooses (an intranet page, a
local test server), and so may links and redirects on that same host. A link found on a
page or a redirect that leaves the source's host and resolves to a private, loopback,
link-local or otherwise reserved address is refused: page content must not steer the
crawler into the network it runs in.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import IgnoreRequest


def resolves_privately(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False  # unresolvable: the download fails on its own with a DNS error
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if (
            address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_reserved
            or address.is_multicast
            or address.is_unspecified
        ):
            return True
    return False


def refusal(request: Request) -> str | None:
    """Why this request must not be made, or None."""
    parts = urlsplit(request.url)
    if parts.scheme not in ("http", "https"):
        return f"refused {request.url}: only http and https URLs are fetched"
    plan = request.meta.get("plan")
    if plan is None:
        return None  # robots.txt: asked for only on behalf of a request that passed here
    own = (urlsplit(plan.url).hostname or "").lower()
    host = (parts.hostname or "").lower()
    discovered = request.meta.get("role") == "document" or request.meta.get("redirect_times", 0) > 0
    if host != own and discovered and resolves_privately(host):
        return f"refused {request.url}: it leaves {own} for a private, loopback or link-local address"
    return None


class AddressGuard:
    def process_request(self, request: Request, spider: Any = None) -> None:
        reason = refusal(request)
        if reason is not None:
            raise IgnoreRequest(reason)
