"""`hrdwatch run`: the long-running service that crawls each source on its own interval.

Design:
- APScheduler 3 (BackgroundScheduler) holds one interval job per enabled source plus the
  delivery worker. Chosen on purpose: ``misfire_grace_time=None`` (a late run still runs —
  the default of 1 s silently skips runs on a busy or sleeping machine), ``coalesce=True``
  (missed runs collapse into one), ``max_instances=1`` (a source never overlaps itself).
- The jobs only queue their source; dispatchers (``run.max_parallel`` of them) crawl the
  sources that are due at about the same time together in one `hrdwatch crawl ID …` process
  (Twisted's reactor cannot be restarted, and a crash, leak or hang stays in that process;
  one process per batch rather than per source keeps the start-up cost small; with
  ``run.prefork`` the process is forked from a server that has imported the crawl's code,
  hrdwatch.prefork, so it does not pay for the imports either). A crawl past
  ``run.crawl_timeout`` is killed; its sources are then crawled one by one, so that only the
  one that hangs is recorded as an error and the others are not held up.
- Mutual exclusion is in the database (hrdwatch.storage.locks), taken by the crawl process
  itself, so two `run` processes, or `run` and a manual `crawl`, never crawl one source at once.
- SIGUSR1 queues every enabled source now; SIGHUP re-reads the configuration; SIGTERM/SIGINT
  stop cleanly: running crawls get SIGTERM (Scrapy then finishes what it has in flight), then
  SIGKILL after a grace period, and are recorded.
"""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import subprocess
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

from hrdwatch.config import Config, ConfigError, load_config
from hrdwatch.prefork import ColdLauncher, CrawlProcess, Launcher
from hrdwatch.storage.db import Database
from hrdwatch.storage.locks import holder_id, is_dead, release, release_dead
from hrdwatch.storage.models import CrawlRun, Source, utcnow

log = logging.getLogger("hrdwatch.run")

STOP_GRACE = 8.0  # seconds a crawl gets to finish after SIGTERM before it is killed
BATCH_WINDOW = 1.0  # seconds a due source waits for others to share its crawl process
# Sources per crawl process at most. A crawl process already spreads itself over the CPUs
# (crawl.processes), so two processes sharing a due set only add their fixed costs: measured
# at N = 400, two of 200 took 2.6 s more CPU than one of 400. The bound is for a batch
# killed at crawl_timeout, whose sources are then crawled one by one.
BATCH_SIZE = 1000


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
    launcher: Launcher = field(default_factory=ColdLauncher)
    children: dict[int, tuple[CrawlProcess, str]] = field(default_factory=dict)
    stopping: threading.Event = field(default_factory=threading.Event)
    due: list[str] = field(default_factory=list)  # sources waiting for a crawl process
    in_flight: set[str] = field(default_factory=set)  # sources being crawled now
    solo: set[str] = field(default_factory=set)  # sources crawled on their own (suspected of hanging)
    dispatchers: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _due_changed: threading.Condition = field(default_factory=threading.Condition)
    _all_queued: bool = False  # crawl_all() queued the sources: no batch window to wait

    def __post_init__(self) -> None:
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(2)},
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
            return now + timedelta(seconds=random.uniform(0, min(1.0, every / 10)))  # batched: no herd
        return last + timedelta(seconds=every)

    def _last_crawls(self) -> dict[str, datetime]:
        with self.db.transaction() as session:
            return {row.id: row.last_crawl_at for row in session.query(Source).all() if row.last_crawl_at}

    def crawl(self, source_id: str) -> None:
        """The job of a source: queue it; a dispatcher crawls what is due together."""
        with self._due_changed:
            if self.stopping.is_set() or source_id in self.due:
                return  # already waiting: this run coalesces with it
            self.due.append(source_id)  # if it is being crawled now, it runs again right after
            self._due_changed.notify()

    def crawl_all(self) -> None:
        """SIGUSR1: queue every enabled source now (each runs again after a crawl under way)."""
        with self._due_changed:
            if self.stopping.is_set():
                return
            queued = [s.id for s in self.config.sources if s.enabled and s.id not in self.due]
            self.due.extend(queued)
            self._all_queued = True
            self._due_changed.notify_all()
        log.info("crawl of all sources requested: %d queued", len(queued))

    def _dispatcher(self) -> None:
        while True:
            with self._due_changed:
                while not self._ready() and not self.stopping.is_set():
                    self._due_changed.wait()
                if self.stopping.is_set():
                    return
            if not self._all_queued:  # (all sources queued at once: nothing more to wait for)
                time.sleep(BATCH_WINDOW)  # let sources due at about the same time join the batch
            with self._due_changed:
                if self.stopping.is_set():
                    return
                batch = self._take_batch()
                self.in_flight.update(batch)
            try:
                if batch:
                    self._crawl_batch(batch)
            except Exception:
                log.exception("crawl of %s failed", ", ".join(batch))
                self.counters.job_errors += 1
            finally:
                with self._due_changed:
                    self.in_flight.difference_update(batch)
                    self._due_changed.notify_all()

    def _ready(self) -> list[str]:
        """Due sources that are not being crawled at the moment."""
        return [sid for sid in self.due if sid not in self.in_flight]

    def _take_batch(self) -> list[str]:
        """Up to BATCH_SIZE due sources; a source under suspicion is crawled on its own."""
        ready = self._ready()
        if not ready:
            return []
        solo = ready[0] in self.solo
        batch = ready[:1] if solo else [sid for sid in ready if sid not in self.solo][:BATCH_SIZE]
        self.due = [sid for sid in self.due if sid not in batch]
        if not self.due:
            self._all_queued = False
        return batch

    def _crawl_batch(self, batch: list[str]) -> None:
        started = time.monotonic()
        args = [*self._config_args(), *self.log_args, "crawl", "--json", *batch]
        with self._lock:  # stop() sets `stopping` before it looks at the children
            if self.stopping.is_set():
                return
            proc = self.launcher.start(args)  # in a process group of its own
            self.children[proc.pid] = (proc, ",".join(batch))
        try:
            try:
                out, err = proc.communicate(timeout=self.config.run.crawl_timeout)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                out, err = proc.communicate()
                self._timed_out(batch, proc.pid)
                return
        finally:
            with self._lock:
                self.children.pop(proc.pid, None)
        duration = time.monotonic() - started
        self.counters.crawls += 1
        code = proc.wait()  # (it has ended: communicate() returned)
        if code != 0:
            reason = (
                "crawl stopped when the service stopped"
                if code < 0 and self.stopping.is_set()
                else f"crawl process exited with {code}: {err.strip()[-300:]}"
            )
            if not self.stopping.is_set():
                self.counters.failed_crawls += 1
            for source_id in batch:
                self._killed(source_id, proc.pid, reason)
            return
        summary = _last_json(out)
        per_source = summary.get("per_source", {})
        for source_id in batch:
            if source_id in summary.get("skipped", []):
                log.info("crawl source=%s skipped: another process is crawling it", source_id)
                continue
            counts = per_source.get(source_id, {})
            log.info(
                "crawl source=%s duration=%.1fs fetched=%d changed=%d new_documents=%d alerts=%d errors=%d",
                source_id,
                duration,
                counts.get("fetched", 0),
                counts.get("changed", 0),
                counts.get("new_documents", 0),
                counts.get("alerts", 0),
                counts.get("errors", 0),
            )
            self.solo.discard(source_id)

    def _timed_out(self, batch: list[str], pid: int) -> None:
        limit = f"crawl killed after the time limit of {self.config.run.crawl_timeout:g} s"
        if len(batch) == 1:
            self._killed(batch[0], pid, limit)
            self.solo.add(batch[0])  # stays on its own until it finishes in time
            return
        # Which source hung is unknown: free the locks, then crawl each on its own right away,
        # so that only the guilty one is recorded (and the others are not delayed a full interval).
        log.warning("crawl of %d sources killed after the time limit; crawling them one by one", len(batch))
        self.counters.killed_crawls += 1
        release(self.db, batch, holder_id(pid))
        self._close_runs(holder_id(pid), f"{limit} (batch of {len(batch)})")
        with self._due_changed:
            self.solo.update(batch)
            self.due[:0] = [sid for sid in batch if sid not in self.due]
            self._due_changed.notify_all()

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
        self._close_runs(holder, f"{source_id}: {message}")

    def _close_runs(self, holder: str, message: str) -> None:
        """Close the crawl-run records a killed crawl process left open (its own, and those of
        the parts it forked, which died with it)."""
        with self.db.transaction() as session:
            for run in session.query(CrawlRun).filter(CrawlRun.finished_at.is_(None)):
                if run.holder == holder:
                    run.finished_at, run.errors = utcnow(), [message]
                elif run.holder and is_dead(run.holder):
                    run.finished_at, run.errors = utcnow(), ["crawl process ended without closing its run"]

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

    def start_dispatchers(self) -> None:
        self.launcher.warm_up()
        for number in range(self.config.run.max_parallel):
            thread = threading.Thread(target=self._dispatcher, name=f"crawl-dispatcher-{number}", daemon=True)
            thread.start()
            self.dispatchers.append(thread)

    def stop(self) -> None:
        self.stopping.set()
        with self._due_changed:
            self._due_changed.notify_all()
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
                _kill_group(proc)
        for thread in self.dispatchers:  # let them record what became of their crawls
            thread.join(timeout=5)
        self.launcher.close()
        release_dead(self.db)  # a crawl killed before it could free its locks
        self.scheduler.shutdown(wait=True)
        log.info(
            "stopped: %d crawls, %d failed, %d killed, %d job errors, %d missed runs",
            self.counters.crawls,
            self.counters.failed_crawls,
            self.counters.killed_crawls,
            self.counters.job_errors,
            self.counters.missed_runs,
        )


def _kill_group(proc: CrawlProcess) -> None:
    """SIGKILL a crawl process and the parts it forked."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


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
        requests.append({signal.SIGHUP: "reload", signal.SIGUSR1: "crawl"}.get(signal.Signals(signum), "stop"))
        wake.set()

    for signum in (signal.SIGHUP, signal.SIGUSR1, signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, on_signal)
    service.schedule()
    service.start_dispatchers()
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
            if request == "crawl":
                service.crawl_all()
            else:
                service.reload()
