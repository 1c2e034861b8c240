"""`hrdwatch run`: the long-running service that crawls each source on its own interval.

Design:
- APScheduler 3 (BackgroundScheduler) holds one interval job per enabled source plus the
  delivery worker. Chosen on purpose: ``misfire_grace_time=None`` (a late run still runs —
  the default of 1 s silently skips runs on a busy or sleeping machine), ``coalesce=True``
  (missed runs collapse into one), ``max_instances=1`` (a source never overlaps itself).
- Each crawl runs as its own `hrdwatch crawl SOURCE_ID` process (Twisted's reactor cannot be
  restarted, and a crash, leak or hang stays in that process). A crawl past
  ``run.crawl_timeout`` is killed and recorded as an error on its source.
- Mutual exclusion is in the database (hrdwatch.storage.locks), taken by the crawl process
  itself, so two `run` processes, or `run` and a manual `crawl`, never crawl one source at once.
- SIGHUP re-reads the configuration; SIGTERM/SIGINT stop cleanly: running crawls get SIGTERM
  (Scrapy then finishes what it has in flight), then SIGKILL after a grace period, and are recorded.
"""

from __future__ import annotations

import json
import logging
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import update

from hrdwatch.config import Config, ConfigError, load_config
from hrdwatch.storage.db import Database
from hrdwatch.storage.locks import holder_id, release
from hrdwatch.storage.models import CrawlRun, Source, utcnow

log = logging.getLogger("hrdwatch.run")

STOP_GRACE = 8.0  # seconds a crawl gets to finish after SIGTERM before it is killed


@dataclass
class Counters:
    crawls: int = 0
    failed_crawls: int = 0
    killed_crawls: int = 0
    job_errors: int = 0
    missed_runs: int = 0


@dataclass
class Service:
    config_path: Path | None
    config: Config
    db: Database
    deliver: Callable[[Config], None]
    log_args: list[str] = field(default_factory=list)
    counters: Counters = field(default_factory=Counters)
    children: dict[int, tuple[subprocess.Popen[str], str]] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(self.config.run.max_parallel)},
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
            timezone=UTC,
        )
        self.scheduler.add_listener(self._job_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)

    # -- jobs -----------------------------------------------------------------------------

    def schedule(self) -> None:
        """Make the scheduler's jobs match the configuration (at start and on SIGHUP)."""
        wanted = {source.id: source for source in self.config.sources if source.enabled}
        for job in self.scheduler.get_jobs():
            if job.id.startswith("crawl:") and job.id[6:] not in wanted:
                job.remove()
                log.info("source %s removed from the schedule", job.id[6:])
        last = self._last_crawls()
        now = utcnow()
        for source in wanted.values():
            job_id = f"crawl:{source.id}"
            existing = self.scheduler.get_job(job_id)
            if existing is not None and existing.trigger.interval.total_seconds() == source.every:
                continue
            jitter = int(min(source.every * self.config.run.jitter, 300))
            first = self._first_run(last.get(source.id), source.every, now)
            self.scheduler.add_job(
                self.crawl,
                IntervalTrigger(seconds=source.every, jitter=jitter or None, timezone=UTC),
                id=job_id,
                name=source.id,
                args=[source.id],
                next_run_time=first,
                replace_existing=True,
            )
            log.info("source %s every %gs, next run %s", source.id, source.every, first.isoformat())
        self.scheduler.add_job(
            self.notify,
            IntervalTrigger(seconds=self.config.run.notify_every, timezone=UTC),
            id="notify",
            replace_existing=True,
        )

    @staticmethod
    def _first_run(last: datetime | None, every: float, now: datetime) -> datetime:
        """Catch up: a source whose last crawl is older than its interval runs soon."""
        if last is None or last + timedelta(seconds=every) <= now:
            return now + timedelta(seconds=random.uniform(0, min(5.0, every / 10)))
        return last + timedelta(seconds=every)

    def _last_crawls(self) -> dict[str, datetime]:
        with self.db.transaction() as session:
            return {row.id: row.last_crawl_at for row in session.query(Source).all() if row.last_crawl_at}

    def crawl(self, source_id: str) -> None:
        if self.stopping.is_set():
            return
        started = time.monotonic()
        command = [sys.executable, "-m", "hrdwatch", *self._config_args(), *self.log_args, "crawl", "--json", source_id]
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        with self._lock:
            self.children[proc.pid] = (proc, source_id)
        try:
            try:
                out, err = proc.communicate(timeout=self.config.run.crawl_timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
                self._killed(
                    source_id, proc.pid, f"crawl killed after the time limit of {self.config.run.crawl_timeout:g} s"
                )
                return
        finally:
            with self._lock:
                self.children.pop(proc.pid, None)
        duration = time.monotonic() - started
        self.counters.crawls += 1
        if proc.returncode != 0:
            if proc.returncode < 0 and self.stopping.is_set():
                self._killed(source_id, proc.pid, "crawl stopped when the service stopped")
                return
            self.counters.failed_crawls += 1
            self._killed(source_id, proc.pid, f"crawl process exited with {proc.returncode}: {err.strip()[-300:]}")
            return
        summary = _last_json(out)
        if summary.get("skipped"):
            log.info("crawl source=%s skipped: another process is crawling it", source_id)
            return
        log.info(
            "crawl source=%s duration=%.1fs fetched=%s changed=%s new_documents=%s alerts=%s errors=%s",
            source_id,
            duration,
            summary.get("fetched"),
            summary.get("changed"),
            summary.get("new_documents"),
            summary.get("alerts"),
            summary.get("errors"),
        )

    def _killed(self, source_id: str, pid: int, message: str) -> None:
        """Record a crawl that did not finish on its source, and free its lock."""
        self.counters.killed_crawls += 1
        log.error("crawl source=%s %s", source_id, message)
        holder = holder_id(pid)
        release(self.db, [source_id], holder)
        now = utcnow()
        with self.db.transaction() as session:
            row = session.get(Source, source_id)
            if row is not None:
                row.consecutive_errors = (row.consecutive_errors or 0) + 1
                row.last_error, row.last_error_at, row.last_crawl_at = message, now, now
            session.execute(
                update(CrawlRun)
                .where(CrawlRun.holder == holder, CrawlRun.finished_at.is_(None))
                .values(finished_at=now, errors=[f"{source_id}: {message}"])
            )

    def notify(self) -> None:
        if not self.stopping.is_set():
            self.deliver(self.config)

    def _config_args(self) -> list[str]:
        return ["--config", str(self.config_path)] if self.config_path else []

    def _job_event(self, event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_MISSED:
            self.counters.missed_runs += 1
            log.warning("job %s missed its run at %s", event.job_id, event.scheduled_run_time)
        else:
            self.counters.job_errors += 1
            log.error("job %s failed: %r", event.job_id, event.exception)

    # -- life cycle -----------------------------------------------------------------------

    def reload(self) -> None:
        try:
            self.config = load_config(self.config_path).config
        except ConfigError as exc:
            log.error("configuration not reloaded: %s", exc)
            return
        log.info("configuration reloaded: %d sources", len(self.config.sources))
        from hrdwatch.monitor import sync_sources

        sync_sources(self.db, self.config.sources)
        self.schedule()

    def stop(self) -> None:
        self.stopping.set()
        self.scheduler.pause()
        with self._lock:
            running = list(self.children.values())
        for proc, _source in running:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for proc, _source in running:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
        self.scheduler.shutdown(wait=True)
        log.info(
            "stopped: %d crawls, %d failed, %d killed, %d job errors, %d missed runs",
            self.counters.crawls,
            self.counters.failed_crawls,
            self.counters.killed_crawls,
            self.counters.job_errors,
            self.counters.missed_runs,
        )


def _last_json(text: str) -> dict[str, Any]:
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    return {}


def run_service(service: Service) -> None:
    """Run until SIGTERM or SIGINT; SIGHUP reloads the configuration."""
    wake = threading.Event()
    requests: list[str] = []

    def on_signal(signum: int, _frame: Any) -> None:
        requests.append("reload" if signum == signal.SIGHUP else "stop")
        wake.set()

    for signum in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)
    service.schedule()
    service.scheduler.start()
    log.info("hrdwatch run started with %d sources", len(service.config.sources))
    while True:
        wake.wait()
        wake.clear()
        while requests:
            request = requests.pop(0)
            if request == "stop":
                service.stop()
                return
            service.reload()
