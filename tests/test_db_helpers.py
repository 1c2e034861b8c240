"""Small storage helpers that need no database."""

from __future__ import annotations

from hrdwatch.storage.db import batches


def test_in_lists_are_cut_into_batches() -> None:
    items = list(range(1001))
    assert [len(batch) for batch in batches(items)] == [500, 500, 1]
    assert [x for batch in batches(items) for x in batch] == items
    assert list(batches([])) == []
