"""The outbox: deliveries written with their alert, sent by a worker, retried until they go.

A delivery is claimed (``claimed_until``) before it is sent, so two workers on one database
(the scheduler and a manual `hrdwatch notify`) do not send it twice; a claim left by a killed
worker expires. A crash between sending and recording may repeat a send: every message carries
the item's stable id for the receiver to de-duplicate.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from hrdwatch.config import NotifySettings
from hrdwatch.notifier.channels import Channel, DeliveryError
from hrdwatch.notifier.messages import Item, alert_item, notice_item
from hrdwatch.storage.db import Database
from hrdwatch.storage.models import Alert, Delivery, Notice, utcnow
from hrdwatch.storage.queries import alert_record

log = logging.getLogger(__name__)


def enqueue(
    session: Session,
    channels: Iterable[str],
    source_id: str,
    now: datetime,
    alert_id: int | None = None,
    notice_id: int | None = None,
    run_id: int | None = None,
) -> None:
    """Write the pending deliveries of an alert or notice (in the caller's transaction)."""
    for channel in channels:
        session.add(
            Delivery(
                alert_id=alert_id,
                notice_id=notice_id,
                source_id=source_id,
                run_id=run_id,
                channel=channel,
                status="pending",
                attempts=0,
                created_at=now,
                next_attempt_at=now,
            )
        )


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int, settings: NotifySettings, rng: random.Random, retry_after: float | None = None) -> float:
    """Seconds before the next try: doubling from retry_initial up to retry_max, with jitter."""
    delay = min(settings.retry_max, settings.retry_initial * 2 ** max(0, attempts - 1))
    delay *= 0.5 + rng.random() / 2
    if retry_after is not None:
        delay = max(delay, min(retry_after, settings.max_age))
    return delay


def deliver(
    db: Database,
    channels: Sequence[Channel],
    settings: NotifySettings,
    clock: Callable[[], datetime] = utcnow,
    rng: random.Random | None = None,
) -> DeliveryReport:
    """Send every due delivery once; record the outcome of each."""
    rng = rng or random.Random()
    report = DeliveryReport()
    by_key = {channel.key: channel for channel in channels}
    _expire(db, settings, clock(), report)
    with db.transaction() as session:
        due = session.execute(
            select(Delivery.id, Delivery.channel, Delivery.run_id)
            .where(
                Delivery.status == "pending",
                Delivery.next_attempt_at <= clock(),
                Delivery.channel.in_(list(by_key)),
                or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < clock()),
            )
            .order_by(Delivery.id)
        ).all()
    groups: dict[tuple[str, int | None, int], list[int]] = {}
    for row in due:
        channel = by_key[row.channel]
        group = (row.channel, row.run_id, 0) if channel.batch else (row.channel, None, row.id)
        groups.setdefault(group, []).append(row.id)
    for (channel_key, _run, _one), ids in groups.items():
        channel = by_key[channel_key]
        claimed = _claim(db, ids, clock(), _lease(channel))
        if not claimed:
            continue
        items = _items(db, claimed)
        try:
            channel.send(items)
        except DeliveryError as exc:
            _failed(db, claimed, exc, settings, clock(), rng, report, channel)
        except Exception as exc:
            log.exception("channel %s failed", channel.key)
            _failed(
                db, claimed, DeliveryError(f"internal error: {exc!r}", True), settings, clock(), rng, report, channel
            )
        else:
            with db.transaction() as session:
                session.execute(
                    update(Delivery)
                    .where(Delivery.id.in_(claimed))
                    .values(
                        status="sent",
                        sent_at=clock(),
                        attempts=Delivery.attempts + 1,
                        claimed_until=None,
                        last_error=None,
                    )
                )
            report.sent += len(claimed)
    return report


def _lease(channel: Channel) -> float:
    timeout = getattr(getattr(channel, "settings", None), "timeout", 30.0)
    return 2 * float(timeout) + 5


def _claim(db: Database, ids: list[int], now: datetime, lease: float) -> list[int]:
    claimed: list[int] = []
    with db.transaction() as session:
        for delivery_id in ids:
            result = session.execute(
                update(Delivery)
                .where(
                    Delivery.id == delivery_id,
                    Delivery.status == "pending",
                    or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now),
                )
                .values(claimed_until=now + timedelta(seconds=lease))
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(delivery_id)
    return claimed


def _items(db: Database, ids: list[int]) -> list[Item]:
    items: list[Item] = []
    with db.transaction() as session:
        for delivery in session.execute(select(Delivery).where(Delivery.id.in_(ids)).order_by(Delivery.id)).scalars():
            if delivery.alert_id is not None:
                alert = session.get(Alert, delivery.alert_id)
                if alert is not None:
                    items.append(alert_item(alert_record(alert), alert.title))
            elif delivery.notice_id is not None:
                notice = session.get(Notice, delivery.notice_id)
                if notice is not None:
                    stamp = notice.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
                    items.append(notice_item(notice.id, notice.source_id, notice.kind, notice.message, stamp))
    return items


def _failed(
    db: Database,
    ids: list[int],
    error: DeliveryError,
    settings: NotifySettings,
    now: datetime,
    rng: random.Random,
    report: DeliveryReport,
    channel: Channel,
) -> None:
    report.errors.append(f"{channel.describe()}: {error}")
    with db.transaction() as session:
        for delivery in session.execute(select(Delivery).where(Delivery.id.in_(ids))).scalars():
            delivery.attempts += 1
            delivery.last_error = str(error)
            delivery.claimed_until = None
            if error.retryable:
                delay = backoff(delivery.attempts, settings, rng, error.retry_after)
                delivery.next_attempt_at = now + timedelta(seconds=delay)
                report.retrying += 1
            else:
                delivery.status = "failed"
                report.failed += 1


def _expire(db: Database, settings: NotifySettings, now: datetime, report: DeliveryReport) -> None:
    limit = now - timedelta(seconds=settings.max_age)
    with db.transaction() as session:
        old = session.execute(
            select(Delivery).where(Delivery.status == "pending", Delivery.created_at < limit)
        ).scalars()
        for delivery in old:
            delivery.status = "failed"
            delivery.last_error = (
                f"gave up after {delivery.attempts} attempts over {settings.max_age / 3600:g} h: {delivery.last_error}"
            )
            report.failed += 1


def outbox_status(session: Session) -> dict[str, int]:
    counts = {"pending": 0, "sent": 0, "failed": 0}
    for status in session.execute(select(Delivery.status)).scalars():
        counts[status] = counts.get(status, 0) + 1
    return counts


def failed_deliveries(session: Session, limit: int = 50) -> Sequence[Delivery]:
    return (
        session.execute(select(Delivery).where(Delivery.status == "failed").order_by(Delivery.id.desc()).limit(limit))
        .scalars()
        .all()
    )
