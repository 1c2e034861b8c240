"""robots.txt files kept between crawls, so a cycle does not fetch every site's twice.

RFC 9309 (section 2.4) lets a crawler use a cached robots.txt for up to 24 hours; the age
is ``crawl.robots_max_age``. Only answers that say something are kept: a 2xx body, or a
4xx (no robots.txt: everything allowed, kept as an empty body). Server errors and network
failures are asked again next crawl.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import select

from hrdwatch.storage.db import Database, add_unless_present, batches
from hrdwatch.storage.models import Robots, utcnow

MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309: parse at least 500 KiB; more is not kept


def load_robots(db: Database, origins: Iterable[str], max_age: float, now: datetime | None = None) -> dict[str, bytes]:
    """The fresh robots.txt bodies stored for these origins (scheme://host[:port])."""
    wanted = sorted(set(origins))
    if max_age <= 0 or not wanted:
        return {}
    oldest = (now or utcnow()) - timedelta(seconds=max_age)
    found: dict[str, bytes] = {}
    with db.transaction() as session:
        for batch in batches(wanted):
            rows = session.execute(
                select(Robots.origin, Robots.body).where(Robots.origin.in_(batch), Robots.fetched_at >= oldest)
            )
            found.update((origin, body) for origin, body in rows)
    return found


def save_robots(db: Database, fetched: Mapping[str, bytes], now: datetime | None = None) -> None:
    """Remember robots.txt bodies fetched by a crawl (another process may save the same)."""
    if not fetched:
        return
    now = now or utcnow()
    with db.transaction() as session:
        for origin, body in fetched.items():
            row = session.get(Robots, origin)
            if row is not None:
                row.body, row.fetched_at = body[:MAX_ROBOTS_BYTES], now
                continue
            # if another crawl process saved it a moment ago, theirs is as good as ours
            add_unless_present(session, Robots(origin=origin, body=body[:MAX_ROBOTS_BYTES], fetched_at=now))
