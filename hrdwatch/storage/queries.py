"""Read queries for the CLI (and later the notifier): alerts and changes as plain records."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from hrdwatch.storage.db import batches
from hrdwatch.storage.models import Alert, Change, Delivery, Source


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def list_alerts(session: Session, since: datetime | None = None, source_id: str | None = None) -> Sequence[Alert]:
    query = select(Alert).order_by(Alert.detected_at, Alert.id)
    if since is not None:
        query = query.where(Alert.detected_at >= since)
    if source_id is not None:
        query = query.where(Alert.source_id == source_id)
    return session.execute(query).scalars().all()


def alert_record(alert: Alert) -> dict[str, Any]:
    """The alert contract shared by `hrdwatch alerts --json` and the webhook payload."""
    return {
        "id": alert.id,
        "source": alert.source_id,
        "url": alert.url,
        "topic": alert.topic,
        "score": alert.score,
        "terms": list(alert.terms),
        "excerpt": alert.excerpt,
        "detected_at": _iso(alert.detected_at),
    }


def list_changes(session: Session, since: datetime | None = None, source_id: str | None = None) -> Sequence[Change]:
    query = select(Change).order_by(Change.detected_at, Change.id)
    if since is not None:
        query = query.where(Change.detected_at >= since)
    if source_id is not None:
        query = query.where(Change.source_id == source_id)
    return session.execute(query).scalars().all()


def change_record(change: Change) -> dict[str, Any]:
    return {
        "id": change.id,
        "source": change.source_id,
        "url": change.url,
        "kind": change.kind,
        "added": list(change.added),
        "removed": list(change.removed),
        "detected_at": _iso(change.detected_at),
    }


def failed_deliveries_by_source(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(Delivery.source_id, func.count()).where(Delivery.status == "failed").group_by(Delivery.source_id)
    ).all()
    return {source_id: count for source_id, count in rows}


def source_values(session: Session, ids: Iterable[str], *columns: Any) -> dict[str, Row[Any]]:
    """(id, *columns) of these sources, by id, in a few queries and without ORM objects."""
    wanted = list(dict.fromkeys(ids))
    rows: dict[str, Row[Any]] = {}
    for batch in batches(wanted):
        for row in session.execute(select(Source.id, *columns).where(Source.id.in_(batch))):
            rows[row[0]] = row
    return rows


def load_sources(session: Session, ids: Iterable[str]) -> dict[str, Source]:
    """These sources' rows, in a few queries (also filling the session, so `session.get`
    finds them without another query)."""
    wanted = list(dict.fromkeys(ids))
    rows: dict[str, Source] = {}
    for batch in batches(wanted):
        for row in session.scalars(select(Source).where(Source.id.in_(batch))):
            rows[row.id] = row
    return rows
