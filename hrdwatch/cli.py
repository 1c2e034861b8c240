"""The `hrdwatch` command line: the composition root.

Builds configuration, database, crawler and monitor and passes them in; turns domain
errors into one clear sentence and an exit code (2: bad configuration, 3: unusable database).
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import re
import signal
import sys
import tempfile
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hrdwatch import __version__
from hrdwatch.config import ConfigError, LoadedConfig, SourceConfig, load_config, parse_config
from hrdwatch.detect.relevance import Topic
from hrdwatch.monitor import CrawlSummary
from hrdwatch.notifier.channels import Channel
from hrdwatch.storage.db import Database, StorageError
from hrdwatch.storage.schema import SchemaOutdated

if TYPE_CHECKING:
    from rich.console import Console

    from hrdwatch.crawler.claims import Taker

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def safe(text: object) -> str:
    """Page text made harmless for a terminal: no control or bidi-override characters."""
    return _CONTROL.sub("", str(text))


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Context:
    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._loaded: LoadedConfig | None = None
        self._db: Database | None = None

    @property
    def loaded(self) -> LoadedConfig:
        if self._loaded is None:
            self._loaded = load_config(self.config_path)
        return self._loaded

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(self.loaded.config.database_url())
        return self._db

    def close(self) -> None:
        """Close the database's connections when the command ends. Not left to the garbage
        collector: a crawl freezes its start-up heap out of the collector's sight, and on
        SQLite the last connection to close is the one that checkpoints and removes the WAL."""
        if self._db is not None:
            self._db.close()
            self._db = None


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except ConfigError as exc:
        click.echo(f"Error in configuration: {exc}", err=True)
        click.echo("Fix the configuration and run the command again.", err=True)
        sys.exit(2)
    except SchemaOutdated as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(3)
    except StorageError as exc:
        click.echo(f"Error: {exc}", err=True)
        click.echo("Check the 'database' setting and that the database is reachable.", err=True)
        sys.exit(3)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        with _errors():
            return super().invoke(ctx)


@click.group(cls=_Group)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Configuration file (default: $HRDWATCH_CONFIG, else ./hrdwatch.yaml, else built-in).",
)
@click.option(
    "--log-level",
    default="WARNING",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="Logging detail.",
)
@click.option("--log-file", type=click.Path(dir_okay=False), default=None, help="Write logs to this file.")
@click.option("--log-json", is_flag=True, help="Structured logs: one JSON object per line.")
@click.version_option(__version__, prog_name="hrdwatch")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, log_level: str, log_file: str | None, log_json: bool) -> None:
    """hrdwatch: watch human-rights sources and alert on relevant new text."""
    handler: logging.Handler = logging.FileHandler(log_file, encoding="utf-8") if log_file else logging.StreamHandler()
    handler.setFormatter(
        JsonFormatter() if log_json else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    logging.basicConfig(level=log_level.upper(), handlers=[handler], force=True)
    ctx.obj = Context(config_path)
    ctx.call_on_close(ctx.obj.close)
    ctx.obj.log_level = log_level.upper()
    if ctx.invoked_subcommand != "crawl":
        gc.enable()  # paused for start-up (hrdwatch.__main__); a crawl turns it on in preload()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


@main.command()
@click.argument("source_ids", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.pass_obj
def crawl(obj: Context, source_ids: tuple[str, ...], as_json: bool) -> None:
    """Re-crawl now all sources, or the named ones, and store what is new."""
    from hrdwatch.monitor import sync_sources
    from hrdwatch.storage.locks import acquire_many, holder_id, release

    config = obj.loaded.config
    chosen = [config.source(sid) for sid in source_ids] if source_ids else [s for s in config.sources if s.enabled]
    if not chosen:
        raise ConfigError("no sources to crawl: add some under 'sources'")
    from hrdwatch.notifier.channels import build_channels

    channels = build_channels(config.notify)  # fails early on a bad channel configuration
    db = obj.db
    sync_sources(db, config.sources)
    # Until the crawl installs its own handlers, SIGTERM ends the command through its
    # `finally` clauses (locks released), not on the spot.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    holder = holder_id()
    ttl = config.run.crawl_timeout + 60
    got = acquire_many(db, [source.id for source in chosen], holder, ttl)
    locked = [source for source in chosen if source.id in got]
    skipped = [source.id for source in chosen if source.id not in got]
    summary: CrawlSummary | None
    try:
        parts = _parts(config.crawl.processes, len(locked))
        if not locked:
            summary = None
        elif parts > 1:
            summary = _crawl_in_parts(obj, locked, parts, channels)
        else:
            summary = _crawl_locked(obj, locked, channels)
    finally:
        release(db, [source.id for source in locked], holder)
    if as_json:
        record: dict[str, Any] = dict(summary.as_dict()) if summary else {}
        record["skipped"] = skipped
        record["error_messages"] = summary.errors if summary else []
        record["per_source"] = summary.per_source if summary else {}
        click.echo(json.dumps(record, ensure_ascii=False))
    elif summary is not None:
        click.echo(
            f"Crawled {len(locked)} source(s): {summary.fetched} fetched, {summary.unchanged} unchanged, "
            f"{summary.changed} changed, {summary.new_documents} new documents, {summary.alerts} alerts, "
            f"{len(summary.errors)} errors."
        )
        for error in summary.errors:
            click.echo(f"  error: {safe(error)}")
    for source_id in skipped:
        click.echo(f"Skipped {source_id}: another process is crawling it.", err=True)
    if channels and summary is not None:
        _deliver(obj, channels, quiet=as_json)


def _exit_on_signal(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def _parts(configured: int | None, sources: int) -> int:
    """How many processes share a crawl: one per CPU (at most 4) for 40 sources or more."""
    if configured is not None:
        return max(1, min(configured, sources))
    return min(os.cpu_count() or 1, 4) if sources >= 40 else 1


def _crawl_in_parts(obj: Context, sources: list[SourceConfig], parts: int, channels: Sequence[Channel]) -> CrawlSummary:
    """Crawl on several cores (a Scrapy process uses one): this process and ``parts - 1``
    forked ones share the sources as they go (hrdwatch.crawler.claims). Forked, not started
    afresh: a part inherits the imports and the loaded configuration, and starts crawling at
    once."""
    from hrdwatch.crawler.claims import Claims
    from hrdwatch.crawler.run import preload, stop_running_crawl
    from hrdwatch.detect.relevance import compile_topics

    topics = compile_topics(obj.loaded.config.all_topics())  # compiled once, for every part
    preload()  # imported once, before the fork, for every part
    claims = Claims([source.id for source in sources])
    children: list[tuple[int, int]] = []  # pid, read end of its pipe
    stopping: list[int] = []

    def forward(signum: int, _frame: Any) -> None:  # a stop request reaches every part
        stopping.append(signum)
        for pid, _fd in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)
        stop_running_crawl()

    previous = {signum: signal.signal(signum, forward) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        for part in range(1, parts):
            if stopping:
                break
            children.append(_fork_part(obj, sources, channels, topics, claims.taker(part)))
        summary = (
            CrawlSummary()
            if stopping
            else _crawl_locked(obj, sources, channels, own_signals=False, topics=topics, taker=claims.taker(0))
        )
        reports = [_part_report(pid, fd) for pid, fd in children]
    except BaseException:
        forward(signal.SIGTERM, None)
        for pid, fd in children:
            _part_report(pid, fd)
        raise
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    for part, (code, record) in enumerate(reports, start=1):
        if code != 0 or record is None:
            summary.errors.extend(f"{sid}: crawl process exited with {code}" for sid in claims.taken_by(part))
            continue
        for what in ("fetched", "unchanged", "changed", "new_documents", "alerts"):
            setattr(summary, what, getattr(summary, what) + record[what])
        summary.errors.extend(record["error_messages"])
        summary.per_source.update(record["per_source"])
    return summary


def _fork_part(
    obj: Context, sources: list[SourceConfig], channels: Sequence[Channel], topics: Mapping[str, Topic], taker: Taker
) -> tuple[int, int]:
    """Fork a process that crawls the sources ``taker`` gives it and writes its summary (JSON) to a pipe."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write_fd)
        return pid, read_fd
    code = 1  # the part: never returns into the parent's code
    try:
        os.close(read_fd)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, _exit_on_signal)
        obj.db.engine.dispose(close=False)  # the parent's connections stay the parent's
        done = _crawl_locked(obj, sources, channels, topics=topics, taker=taker)
        record = {**done.as_dict(), "error_messages": done.errors, "per_source": done.per_source}
        with os.fdopen(write_fd, "w", encoding="utf-8") as pipe:
            pipe.write(json.dumps(record, ensure_ascii=False))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 (whatever happens, the part never returns into the parent's code)
        traceback.print_exc()
    finally:
        os._exit(code)


def _part_report(pid: int, fd: int) -> tuple[int, dict[str, Any] | None]:
    """Wait for a forked part: its exit code and its summary."""
    with os.fdopen(fd, "r", encoding="utf-8") as pipe:
        text = pipe.read()
    _pid, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    try:
        return code, json.loads(text) if text else None
    except ValueError:
        return code, None


def _crawl_locked(
    obj: Context,
    chosen: list[SourceConfig],
    channels: Sequence[Channel],
    own_signals: bool = True,
    topics: Mapping[str, Topic] | None = None,
    taker: Taker | None = None,
) -> CrawlSummary:
    """Crawl ``chosen`` (locked by the caller); with ``taker``, only the sources it gives
    this process, the others' being crawled by the other parts of the crawl."""
    from hrdwatch.crawler.robots import origin_of
    from hrdwatch.crawler.run import run_crawl
    from hrdwatch.monitor import Monitor, build_plans
    from hrdwatch.storage.robots import load_robots, save_robots

    config = obj.loaded.config
    plans = build_plans(obj.db, chosen)
    monitor = Monitor(obj.db, config, chosen, channels=[channel.key for channel in channels], compiled_topics=topics)
    progress = sys.stderr.isatty()
    count = 0

    def on_result(result: Any) -> None:
        nonlocal count
        monitor.handle(result)
        count += 1
        if progress:
            click.echo(f"\r  {count} fetched…", err=True, nl=False)

    origins = {origin_of(plan.url) for plan in plans} | {origin_of(doc.url) for plan in plans for doc in plan.pending}
    robots = load_robots(obj.db, origins, config.crawl.robots_max_age) if config.crawl.obey_robots else {}
    try:
        fetched = run_crawl(
            plans,
            config.crawl,
            on_result,
            log_level=getattr(obj, "log_level", "WARNING"),
            robots=robots,
            install_signal_handlers=own_signals,
            take=taker,
        )
    finally:  # stopped or not, what was stored is recorded on its sources and the run closed
        summary = monitor.finish(taker.taken() if taker is not None else None)
    if config.crawl.robots_max_age > 0:
        save_robots(obj.db, fetched)
    if progress:
        click.echo(err=True)
    return summary


def _deliver(obj: Context, channels: Sequence[Channel], quiet: bool = False) -> None:
    from hrdwatch.notifier.outbox import deliver

    report = deliver(obj.db, channels, obj.loaded.config.notify)
    if quiet:
        return
    click.echo(f"Notifications: {report.sent} sent, {report.retrying} to retry, {report.failed} failed.")
    for error in report.errors:
        click.echo(f"  notify error: {safe(error)}")


@main.command()
@click.option("--status", is_flag=True, help="Show the outbox: pending, sent and failed deliveries.")
@click.option("--test", "test", is_flag=True, help="Send a test message to every configured channel.")
@click.pass_obj
def notify(obj: Context, status: bool, test: bool) -> None:
    """Send pending notifications now (they are also sent after each crawl)."""
    from hrdwatch.notifier.channels import DeliveryError, build_channels
    from hrdwatch.notifier.messages import Item
    from hrdwatch.notifier.outbox import failed_deliveries, outbox_status

    config = obj.loaded.config
    channels = build_channels(config.notify)
    from rich.console import Console

    out = Console(highlight=False, soft_wrap=True)
    if not channels and not status:
        raise ConfigError("no notification channels: add 'notify: {email: …, webhooks: […]}' to the configuration")
    if test:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        item = Item(
            f"test-{stamp}",
            "[hrdwatch] test message",
            "This is a test message from hrdwatch.",
            "<p>This is a test message from hrdwatch.</p>",
            {"id": f"test-{stamp}", "type": "test", "message": "This is a test message from hrdwatch."},
        )
        failures = 0
        for channel in channels:
            try:
                channel.send([item])
            except DeliveryError as exc:
                failures += 1
                out.print(f"FAILED  {safe(channel.describe())}: {safe(exc)}", markup=False)
            else:
                out.print(f"ok      {safe(channel.describe())}", markup=False)
        if failures:
            sys.exit(1)
        return
    if status:
        with obj.db.transaction() as session:
            counts = outbox_status(session)
            failed = [
                (d.id, d.channel, d.source_id, d.alert_id, d.notice_id, d.last_error)
                for d in failed_deliveries(session)
            ]
        out.print(
            f"Outbox: {counts['pending']} pending, {counts['sent']} sent, {counts['failed']} failed.", markup=False
        )
        for delivery_id, channel_key, source_id, alert_id, notice_id, error in failed:
            what = f"alert {alert_id}" if alert_id else f"notice {notice_id}"
            out.print(f"  failed #{delivery_id} {channel_key} {source_id} {what}: {safe(error)}", markup=False)
        return
    _deliver(obj, channels)


@main.command()
@click.option("--since", help="Only alerts detected at or after this ISO 8601 time.")
@click.option("--source", "source_id", help="Only alerts of this source.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
def alerts(obj: Context, since: str | None, source_id: str | None, as_json: bool) -> None:
    """List stored alerts."""
    from hrdwatch.storage.queries import alert_record, list_alerts

    since_at = _parse_since(since)
    with obj.db.transaction() as session:
        rows = list_alerts(session, since_at, source_id)
        records = [alert_record(row) for row in rows]
    if as_json:
        _json_lines(records)
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False, soft_wrap=True)
    if not records:
        console.print("No alerts.")
    for record in records:
        console.print(
            Text(
                f"#{record['id']} {record['detected_at']} [{record['source']}] {record['topic']} score {record['score']}",
                style="bold",
            )
        )
        console.print(Text(safe(record["url"])))
        console.print(Text("terms: " + ", ".join(safe(t) for t in record["terms"])))
        console.print(Text(safe(record["excerpt"])))
        console.print()


def _json_lines(records: list[dict[str, Any]]) -> None:
    for record in records:
        click.echo(json.dumps(record, ensure_ascii=False))


def _parse_since(since: str | None) -> datetime | None:
    if not since:
        return None
    try:
        moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{since!r} is not an ISO 8601 date or time", param_hint="--since") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source.")
@click.pass_obj
def sources(obj: Context, as_json: bool) -> None:
    """Each source with its last crawl, next run, last change and alert, and errors."""
    from hrdwatch.monitor import sync_sources
    from hrdwatch.storage.models import Source
    from hrdwatch.storage.queries import failed_deliveries_by_source

    config = obj.loaded.config
    sync_sources(obj.db, config.sources)
    now = datetime.now(UTC)
    records: list[dict[str, Any]] = []
    with obj.db.transaction() as session:
        failed = failed_deliveries_by_source(session)
        for source in config.sources:
            row = session.get(Source, source.id)
            if row is None:
                continue
            records.append(
                {
                    "id": source.id,
                    "kind": source.kind,
                    "url": source.url,
                    "last_crawl": iso(row.last_crawl_at),
                    "next_run": _next_run(row.last_crawl_at, source.every, now) if source.enabled else "disabled",
                    "last_change": iso(row.last_change_at),
                    "last_alert": iso(row.last_alert_at),
                    "consecutive_errors": row.consecutive_errors,
                    "last_error": row.last_error,
                    "failed_deliveries": failed.get(source.id, 0),
                }
            )
    if as_json:
        _json_lines(records)
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(
        "source", "last crawl", "next run", "last change", "last alert", "errors", "last error", "failed sends"
    )
    for r in records:
        table.add_row(
            f"{r['id']} ({r['kind']})",
            r["last_crawl"] or "never",
            r["next_run"],
            r["last_change"] or "-",
            r["last_alert"] or "-",
            str(r["consecutive_errors"]),
            Text(safe(r["last_error"] or "")),
            str(r["failed_deliveries"]),
        )
    Console(highlight=False).print(table)


def _next_run(last: datetime | None, every: float, now: datetime) -> str:
    """When `hrdwatch run` plans the next crawl (± its jitter): an interval after the last one."""
    if last is None or last + timedelta(seconds=every) <= now:
        return "due now"
    return iso(last + timedelta(seconds=every)) or "-"


@main.command()
@click.option("--source", "source_id", help="Only changes of this source.")
@click.option("--since", help="Only changes detected at or after this ISO 8601 time.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
def changes(obj: Context, source_id: str | None, since: str | None, as_json: bool) -> None:
    """What changed: new and removed sentences per document."""
    from hrdwatch.storage.queries import change_record, list_changes

    with obj.db.transaction() as session:
        records = [change_record(row) for row in list_changes(session, _parse_since(since), source_id)]
    if as_json:
        _json_lines(records)
        return
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    if not records:
        console.print("No changes.")
    for record in records:
        _print_change(console, record)


def _print_change(console: Console, record: dict[str, Any]) -> None:
    from rich.text import Text

    console.print(
        Text(f"change #{record['id']} {record['detected_at']} [{record['source']}] {record['kind']}", style="bold")
    )
    console.print(Text(safe(record["url"])))
    for line in record["removed"]:
        console.print(Text("- " + safe(line), style="red"))
    for line in record["added"]:
        console.print(Text("+ " + safe(line), style="green"))
    console.print()


@main.command()
@click.argument("alert_id", type=int)
@click.pass_obj
def show(obj: Context, alert_id: int) -> None:
    """One alert in full, with the change behind it."""
    from hrdwatch.storage.models import Alert, Change
    from hrdwatch.storage.queries import alert_record, change_record

    with obj.db.transaction() as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise click.ClickException(f"no alert with id {alert_id}")
        record = alert_record(alert)
        change = session.get(Change, alert.change_id)
        change_rec = change_record(change) if change else None
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False, soft_wrap=True)
    console.print(Text(f"Alert #{record['id']} — {record['topic']} (score {record['score']})", style="bold"))
    console.print(Text(f"source:   {record['source']}"))
    console.print(Text(f"document: {safe(record['url'])}"))
    console.print(Text(f"found:    {record['detected_at']}"))
    console.print(Text("why:      matched " + ", ".join(safe(t) for t in record["terms"])))
    console.print()
    console.print(Text(safe(record["excerpt"])))
    console.print()
    if change_rec:
        _print_change(console, change_rec)


@main.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default="hrdwatch-demo",
    show_default=True,
    help="Folder for the demo's configuration, email (.eml) and webhook JSON.",
)
@click.option("--database", default=None, help="SQLAlchemy URL (default: a temporary SQLite file).")
def demo(out_dir: str, database: str | None) -> None:
    """A complete offline run on bundled sample pages served on 127.0.0.1."""
    from pathlib import Path

    from hrdwatch.demo import run_demo

    sys.exit(run_demo(Path(out_dir), database, lambda line: click.echo(safe(line))))


@main.command()
@click.argument("path", type=click.Path(dir_okay=False), default="hrdwatch.yaml")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(path: str, force: bool) -> None:
    """Write the built-in configuration (the Albanian HRD-mechanism sources) as an editable file."""
    from pathlib import Path

    from hrdwatch.defaults import default_config_text

    target = Path(path)
    if target.exists() and not force:
        raise click.ClickException(f"{target} exists; use --force to overwrite it")
    target.write_text(default_config_text(), encoding="utf-8")
    click.echo(f"Wrote {target}. Edit it, then: hrdwatch --config {target} check SOURCE_ID")


@main.command()
@click.argument("target")
@click.option(
    "--kind", type=click.Choice(["page", "listing", "feed"]), help="For a URL: how to read it (default page)."
)
@click.option("--select", help="For a URL: CSS selector of the part to watch.")
@click.option("--follow", help="For a URL (listing): regex of document links.")
@click.pass_obj
def check(obj: Context, target: str, kind: str | None, select: str | None, follow: str | None) -> None:
    """Fetch one source (an id or a URL) now, store nothing, and show what would be watched."""
    from hrdwatch.check import check_source

    config = obj.loaded.config
    if re.match(r"^https?://", target):
        data: dict[str, Any] = {"id": "check", "url": target, "kind": kind or "page"}
        if select:
            data["select"] = select
        if follow:
            data["follow"] = follow
        source = parse_config({"sources": [data]}, "check").sources[0]
    else:
        source = config.source(target)
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    for line in check_source(source, config):
        console.print(line)


@main.command()
@click.pass_obj
def run(obj: Context) -> None:
    """Run the service: crawl each source on its interval, send notifications, until SIGTERM."""
    from hrdwatch.monitor import sync_sources
    from hrdwatch.notifier.channels import build_channels
    from hrdwatch.notifier.outbox import deliver
    from hrdwatch.prefork import ColdLauncher, PreforkLauncher
    from hrdwatch.scheduler import Service, run_service

    loaded = obj.loaded
    db = obj.db
    build_channels(loaded.config.notify)  # a bad channel configuration stops us now, not later
    sync_sources(db, loaded.config.sources)

    def deliver_all(config: Any) -> None:
        channels = build_channels(config.notify)
        if channels:
            deliver(db, channels, config.notify)

    with tempfile.TemporaryDirectory(prefix="hrdwatch-run-") as workdir:
        launcher = PreforkLauncher(Path(workdir)) if loaded.config.run.prefork else ColdLauncher()
        run_service(Service(loaded.path, loaded.config, db, deliver_all, launcher=launcher))


@main.command()
@click.argument("source_id")
@click.option("--since", help="Only snapshots fetched at or after this ISO 8601 time.")
@click.option("--format", "fmt", type=click.Choice(["warc", "json"]), default="warc", show_default=True)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="File to write (default: SOURCE_ID.warc.gz or .jsonl)."
)
@click.pass_obj
def export(obj: Context, source_id: str, since: str | None, fmt: str, output: str | None) -> None:
    """Export a source's stored snapshots as evidence (WARC or JSON lines)."""
    from hrdwatch.storage.evidence import snapshots, write_json, write_warc

    obj.loaded.config.source(source_id)
    target = output or f"{source_id}.{'warc.gz' if fmt == 'warc' else 'jsonl'}"
    with open(target, "wb") as out:
        writer = write_warc if fmt == "warc" else write_json
        count = writer(snapshots(obj.db, source_id, _parse_since(since)), out)
    click.echo(f"Wrote {count} snapshots of {source_id} to {target}.")


@main.group()
def db() -> None:
    """Database schema and housekeeping."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(obj: Context) -> None:
    """Create the schema, or upgrade it to this version of hrdwatch."""
    from hrdwatch.storage.schema import current_revision, head_revision, upgrade

    database = Database(obj.loaded.config.database_url(), check_schema=False)
    before = current_revision(database.engine)
    upgrade(database.engine)
    click.echo(f"Database {database.describe()}: {before or 'empty'} → {head_revision(database.engine)}")


@db.command("prune")
@click.option("--dry-run", is_flag=True, help="Only say what would be removed.")
@click.pass_obj
def db_prune(obj: Context, dry_run: bool) -> None:
    """Apply the retention policy ('retention:' in the configuration)."""
    from hrdwatch.storage.retention import prune

    report = prune(obj.db, obj.loaded.config.retention, dry_run=dry_run)
    verb = "Would remove" if dry_run else "Removed"
    click.echo(f"{verb} {report.snapshots} snapshots and {report.blobs} stored bodies ({report.blob_bytes} bytes).")


@db.command("current")
@click.pass_obj
def db_current(obj: Context) -> None:
    """Show the schema revision of the database and the one this hrdwatch needs."""
    from hrdwatch.storage.schema import current_revision, head_revision

    database = Database(obj.loaded.config.database_url(), check_schema=False)
    current = current_revision(database.engine)
    head = head_revision(database.engine)
    state = "up to date" if current == head else "run 'hrdwatch db upgrade'"
    click.echo(f"{current or 'empty'} (this hrdwatch needs {head}: {state})")


if __name__ == "__main__":  # pragma: no cover
    main()
