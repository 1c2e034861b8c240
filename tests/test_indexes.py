"""The queries the CLI, monitor, scheduler and notifier run can use indexes (EXPLAIN on PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from hrdwatch.storage.schema import upgrade
from tests.conftest import Hrdwatch

pytestmark = pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)


def test_main_queries_can_use_indexes(hrdwatch: Hrdwatch) -> None:
    engine = create_engine(hrdwatch.db_url)
    upgrade(engine)
    queries = {
        "seen lookup": "select fingerprint from seen where source_id = 'a' and fingerprint in (1, 2, 3)",
        "document by key": "select * from documents where source_id = 'a' and key = 'k'",
        "alerts since": "select * from alerts where detected_at >= now() - interval '1 day' order by detected_at",
        "alerts of a source": "select * from alerts where source_id = 'a' and detected_at >= now() - interval '1 day'",
        "due deliveries": "select id from deliveries where status = 'pending' and next_attempt_at <= now()",
        "latest snapshot": "select blocks from snapshots where document_id = 1 order by id desc limit 1",
        "changes of a source": "select * from changes where source_id = 'a' order by detected_at",
    }
    with engine.connect() as connection:
        connection.execute(text("set enable_seqscan = off"))
        for name, sql in queries.items():
            plan = "\n".join(row[0] for row in connection.execute(text(f"explain {sql}")))
            assert "Index" in plan, f"{name}: {plan}"
    engine.dispose()
