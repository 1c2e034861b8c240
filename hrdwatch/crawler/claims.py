"""Sources shared out between the processes of one crawl as they go, not split up front.

A crawl split over processes (one per CPU) used to give each process a fixed share of the
sources. Their costs differ (a page with news is judged, one without is not; a listing may
bring new articles; a site may be slow), so one process went on alone while the other
had finished: at N=400, 0.2–0.7 s of a 5 s cycle with one core idle. Instead each process
takes the next source when its spider is ready for one, from a counter in memory the forked
processes share, and the crawl ends for all at about the same time.

Which process took which source is kept too: the parent reports a part that died on the
sources that part had taken.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence


class Claims:
    """The sources of one crawl, each taken by exactly one of its processes (created before
    they are forked; ``part`` numbers them from 0)."""

    def __init__(self, source_ids: Sequence[str]) -> None:
        context = multiprocessing.get_context("fork")
        self.source_ids = tuple(source_ids)
        self._next = context.Value("q", 0)  # the index of the next source to take (and its lock)
        self._taker = context.RawArray("h", len(self.source_ids))  # 0: not taken; part + 1

    def take(self, part: int) -> str | None:
        """The next source for ``part`` to crawl, or None when all are taken."""
        with self._next.get_lock():
            index = self._next.value
            if index >= len(self.source_ids):
                return None
            self._next.value = index + 1
        self._taker[index] = part + 1
        return self.source_ids[index]

    def taken_by(self, part: int) -> list[str]:
        return [sid for sid, taker in zip(self.source_ids, self._taker, strict=True) if taker == part + 1]

    def taker(self, part: int) -> Taker:
        return Taker(self, part)


class Taker:
    """One process's side of :class:`Claims`: what the spider calls for its next source."""

    def __init__(self, claims: Claims, part: int) -> None:
        self.claims, self.part = claims, part

    def __call__(self) -> str | None:
        return self.claims.take(self.part)

    def taken(self) -> list[str]:
        return self.claims.taken_by(self.part)
