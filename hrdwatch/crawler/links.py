"""Which links of a listing are documents to fetch. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that say who clicked or which session asked, not which document: campaign
# and click trackers, and session ids and per-session tokens, which a listing rendered for a
# new session puts in every link (each crawl would otherwise meet every article as new).
_TRACKING = re.compile(
    r"^(?:utm_\w+|fbclid|gclid|gclsrc|dclid|msclkid|yclid|igshid|mc_cid|mc_eid|_ga|_gl|_hsenc|_hsmi|mkt_tok|"
    r"ref|share|jsessionid|phpsessid|aspsessionid\w*|sessionid|session_id|cfid|cftoken|p_auth)$",
    re.IGNORECASE,
)
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sessionid)=[^/?#]*", re.IGNORECASE)


def canonical_url(url: str) -> str:
    """Drop fragments, tracking parameters and session ids, so one article has one key."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    path = _PATH_SESSION.sub("", parts.path) or "/"
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, urlencode(query), ""))


def host_allowed(url: str, source_url: str, allow_domains: Iterable[str]) -> bool:
    """The source's own host, or a host in (or below) one of the allowed domains."""
    host = (urlsplit(url).hostname or "").lower()
    own = (urlsplit(source_url).hostname or "").lower()
    if not host:
        return False
    if host == own:
        return True
    return any(host == domain.lower() or host.endswith("." + domain.lower()) for domain in allow_domains)


def select_links(
    links: Iterable[tuple[str, str]],
    source_url: str,
    follow: str | None,
    allow_domains: Iterable[str] = (),
) -> list[tuple[str, str]]:
    """Links matching ``follow`` on allowed hosts, canonical and without duplicates, in page order."""
    pattern = re.compile(follow) if follow else None
    allow = tuple(allow_domains)
    own = canonical_url(source_url)
    chosen: dict[str, str] = {}
    for url, text in links:
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        key = canonical_url(url)
        if key == own or key in chosen:
            continue
        if pattern is not None and not pattern.search(key):
            continue
        if not host_allowed(key, source_url, allow):
            continue
        chosen[key] = text
    return list(chosen.items())


# A date in a link's path, the way CMSs file articles: /2019/, /2019/03/, /2019/03/12/.
_PATH_DATE = re.compile(r"/((?:19|20)\d\d)/(?:(0[1-9]|1[0-2])/)?")


def filed_before(url: str, listing_url: str, moment: datetime) -> bool:
    """Is the link filed in its path under a year, or a year and month, that ended before
    ``moment``? Only dates filed as folders of the path count (not "/2019-resolution"), and
    not when the listing's own path has the same folder (a watched archive listing for 2019
    files everything under /2019/)."""
    found = _PATH_DATE.search(urlsplit(url).path)
    if found is None or found.group(0) in urlsplit(listing_url).path:
        return False
    year, month = int(found.group(1)), int(found.group(2) or 12)
    return (year, month) < (moment.year, moment.month)
