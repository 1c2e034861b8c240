"""The crawl-cycle benchmark: hrdwatch against urlwatch 2.29 on a generated loopback site.

    python -m benchmarks.cycle                          # N = 400 and 2,000, both tools
    python -m benchmarks.cycle --n 10000                # the large size, on request
    python -m benchmarks.cycle --n 20 --tool hrdwatch --quick   # smoke run (< 1 min)
    python -m benchmarks.cycle --soak 50                # memory soak: 50 noisy cycles at N = 400
    python -m benchmarks.cycle --soak 20 --soak-runner run   # the same through one `hrdwatch run`

See benchmarks/README.md for what is measured and the targets.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from benchmarks.server import SiteServer
from benchmarks.service import HrdwatchRun, RunLog, is_prefork_server, stop_service
from benchmarks.sitegen import news_pages
from benchmarks.tools import (
    REPO,
    Hrdwatch,
    Measured,
    Outcome,
    Tool,
    Urlwatch,
    child_env,
    child_pids,
    descendants,
    ensure_urlwatch,
    has_module,
    read_rss_kib,
)

MIB = 1024 * 1024


@dataclass(frozen=True)
class Cycle:
    number: int
    label: str
    noise: int | None  # None: the site is left byte-identical to the previous cycle
    news_round: int | None = None  # pages of news_pages(…, round) gain a paragraph


CYCLES = (
    Cycle(1, "baseline", noise=None),
    Cycle(2, "noisy+news", noise=1, news_round=1),
    Cycle(3, "noise only", noise=2),
    Cycle(4, "identical", noise=None),
)
NOISY, NOISE_ONLY, IDENTICAL = 2, 3, 4


@dataclass
class Row:
    """One tool on one cycle."""

    n: int
    cycle: int
    label: str
    tool: str
    wall_s: float
    cpu_s: float
    user_s: float
    sys_s: float
    peak_rss_mib: float
    store_before: int
    store_after: int
    requests: int
    page_requests: int
    pages_200: int
    pages_304: int
    robots: int
    not_found: int
    connections: int
    pages_hit: int
    detected: int
    errors: int
    exit_code: int
    summary: str
    site_cpu_s: float = 0.0  # the site's server processes, while this run was served
    profiled: bool = False
    repeat: int = 1  # which of the cycle's runs this is (1-based); a median row: how many runs
    problems: list[str] = field(default_factory=list)

    @property
    def growth(self) -> int:
        return self.store_after - self.store_before

    @property
    def pages_per_s(self) -> float:
        return self.n / self.wall_s if self.wall_s else 0.0

    @property
    def cpu_ms_per_page(self) -> float:
        return 1000 * self.cpu_s / self.n

    @property
    def share_304(self) -> float:
        return self.pages_304 / self.page_requests if self.page_requests else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "growth": self.growth,
            "growth_per_page": self.growth / self.n,
            "pages_per_s": self.pages_per_s,
            "cpu_ms_per_page": self.cpu_ms_per_page,
            "share_304": self.share_304,
        }


def _row(
    n: int,
    cycle: Cycle,
    tool: Tool,
    measured: Measured,
    outcome: Outcome,
    before: int,
    after: int,
    served: dict[str, int],
    profiled: bool,
) -> Row:
    page_requests = served["pages_200"] + served["pages_304"]
    row = Row(
        n=n,
        cycle=cycle.number,
        label=cycle.label,
        tool=tool.name,
        wall_s=measured.wall,
        cpu_s=measured.cpu,
        user_s=measured.user,
        sys_s=measured.sys,
        peak_rss_mib=measured.peak_rss_kib / 1024,
        store_before=before,
        store_after=after,
        requests=served["requests"],
        page_requests=page_requests,
        pages_200=served["pages_200"],
        pages_304=served["pages_304"],
        robots=served["robots"],
        not_found=served["not_found"],
        connections=served["connections"],
        pages_hit=served["pages_hit"],
        detected=outcome.detected,
        errors=outcome.errors,
        exit_code=measured.exit_code,
        summary=outcome.summary,
        site_cpu_s=served.get("cpu_ms", 0) / 1000,
        profiled=profiled,
    )
    if measured.timed_out:
        row.problems.append("timed out")
    if measured.exit_code != 0:
        row.problems.append(f"exit code {measured.exit_code}: {measured.stderr.strip()[-400:]}")
    if outcome.errors:
        row.problems.append(f"{outcome.errors} errors reported ({outcome.summary})")
    if served["pages_hit"] < n:
        row.problems.append(f"only {served['pages_hit']} of {n} pages were requested")
    return row


# --- output ----------------------------------------------------------------------------------

_HEADER = (
    f"{'cycle':<14}{'tool':<10}{'wall s':>8}{'CPU s':>8}{'site CPU':>9}{'pages/s':>9}{'CPU ms/pg':>10}{'RSS MiB':>9}"
    f"{'store +B':>12}{'B/page':>9}{'reqs':>7}{'200':>6}{'304':>6}{'304 %':>7}{'robots':>7}{'detected':>9}{'err':>5}"
)


def _line(row: Row) -> str:
    mark = "*" if row.profiled else ""
    return (
        f"{row.cycle} {row.label:<12}{row.tool + mark:<10}{row.wall_s:>8.2f}{row.cpu_s:>8.2f}{row.site_cpu_s:>9.2f}"
        f"{row.pages_per_s:>9.1f}"
        f"{row.cpu_ms_per_page:>10.1f}{row.peak_rss_mib:>9.1f}{row.growth:>12,}{row.growth / row.n:>9.0f}"
        f"{row.requests:>7}{row.pages_200:>6}{row.pages_304:>6}{100 * row.share_304:>6.0f}%{row.robots:>7}"
        f"{row.detected:>9}{row.errors:>5}"
    )


def _ratio(a: float, b: float) -> str:
    if b == 0:
        return "—" if a == 0 else "∞"
    return f"{a / b:.2f}"


def _ratio_line(h: Row, u: Row, label: str = "h/u") -> str:
    return (
        f"{'':<14}{label + ' ratio':<10}{_ratio(h.wall_s, u.wall_s):>8}{_ratio(h.cpu_s, u.cpu_s):>8}{'':>9}"
        f"{_ratio(h.pages_per_s, u.pages_per_s):>9}{_ratio(h.cpu_ms_per_page, u.cpu_ms_per_page):>10}"
        f"{_ratio(h.peak_rss_mib, u.peak_rss_mib):>9}{_ratio(h.growth, u.growth):>12}"
    )


def print_table(n: int, rows: list[Row], site: dict[str, int], gzip: bool, repeat: int = 1) -> None:
    print()
    print(
        f"N = {n:,} pages on {n:,} loopback hosts · pages {site['min'] / 1024:.0f}–{site['max'] / 1024:.0f} KiB, "
        f"{site['bytes'] / MIB:.1f} MiB in all · {'gzip' if gzip else 'identity'} encoding"
        + (f" · cycles 2-4: medians of {repeat} runs each" if repeat > 1 else "")
    )
    print(_HEADER)
    for cycle in CYCLES:
        here = [r for r in rows if r.cycle == cycle.number]
        for row in here:
            print(_line(row))
        by_tool = {r.tool: r for r in here}
        for name in ("hrdwatch", "hrd-run"):
            if name in by_tool and "urlwatch" in by_tool:
                print(_ratio_line(by_tool[name], by_tool["urlwatch"], "h/u" if name == "hrdwatch" else "run/u"))
    if any(r.profiled for r in rows):
        print("* run under the profiler: its times are inflated")
    print(
        "detected = alerts (hrdwatch) / jobs reported CHANGED after the diff filter (urlwatch); store = DB / cache dir"
    )
    for row in rows:
        print(f"  {row.tool} cycle {row.cycle}: {row.summary}")


def verdicts(all_rows: list[Row]) -> list[tuple[str, bool | None, str]]:
    """The owner's targets: (target, met? (None: not measured), the figures)."""

    def get(n: int, cycle: int, tool: str) -> Row | None:
        return next((r for r in all_rows if r.n == n and r.cycle == cycle and r.tool == tool and not r.profiled), None)

    out: list[tuple[str, bool | None, str]] = []
    u = get(400, NOISY, "urlwatch")
    for name, how in (("hrdwatch", "`hrdwatch crawl`"), ("hrd-run", "`hrdwatch run`")):
        h = get(400, NOISY, name)
        if h and u:
            out.append(
                (
                    f"N=400 noisy cycle, {how}: pages/s ≥ 2× urlwatch",
                    h.pages_per_s >= 2 * u.pages_per_s,
                    f"{h.pages_per_s:.1f} vs {u.pages_per_s:.1f} pages/s ({_ratio(h.pages_per_s, u.pages_per_s)}×)",
                )
            )
            out.append(
                (
                    f"N=400 noisy cycle, {how}: CPU/page ≤ urlwatch",
                    h.cpu_ms_per_page <= u.cpu_ms_per_page,
                    f"{h.cpu_ms_per_page:.1f} vs {u.cpu_ms_per_page:.1f} CPU ms/page",
                )
            )
    if not u:
        out.append(("N=400 noisy cycle vs urlwatch", None, "needs --n 400 --tool both"))
    for n in sorted({r.n for r in all_rows}):
        row = get(n, NOISE_ONLY, "hrdwatch")
        if row:
            out.append(
                (
                    f"N={n} noise-only cycle: DB growth ≤ 200 B/page",
                    row.growth / n <= 200,
                    f"{row.growth / n:.0f} B/page ({row.growth:,} B)",
                )
            )
        row = get(n, IDENTICAL, "hrdwatch")
        if row:
            out.append(
                (
                    f"N={n} identical cycle: ≥ 95% 304s",
                    row.share_304 >= 0.95,
                    f"{100 * row.share_304:.1f}% ({row.pages_304} of {row.page_requests})",
                )
            )
    big = [r for r in all_rows if r.n == 2000 and r.tool == "hrdwatch" and not r.profiled]
    if big:
        peak = max(r.peak_rss_mib for r in big)
        out.append(("N=2000: hrdwatch peak RSS ≤ 200 MiB", peak <= 200, f"{peak:.1f} MiB"))
        small, large = get(400, NOISY, "hrdwatch"), get(2000, NOISY, "hrdwatch")
        if small and large:
            out.append(
                (
                    "N=2000 noisy-cycle throughput within 20% of N=400",
                    large.pages_per_s >= 0.8 * small.pages_per_s,
                    f"{large.pages_per_s:.1f} vs {small.pages_per_s:.1f} pages/s",
                )
            )
    return out


def print_verdicts(all_rows: list[Row]) -> None:
    print()
    print("Targets (hrdwatch):")
    for target, met, figures in verdicts(all_rows):
        status = "n/a " if met is None else ("PASS" if met else "FAIL")
        print(f"  [{status}] {target}: {figures}")


# --- profiling --------------------------------------------------------------------------------


def summarise_profile(base: Path, python: str, top: int = 25) -> str:
    """Render a profile of a hrdwatch run: call tree (pyinstrument) and top functions by own time."""
    import pstats
    import subprocess

    lines: list[str] = []
    session = Path(str(base) + ".pyisession")
    stats_file = Path(str(base) + ".pstats")
    if session.exists():
        for renderer, suffix in (("text", ".txt"), ("pstats", ".pstats")):
            subprocess.run(
                [python, "-m", "pyinstrument", "--load", str(session), "-r", renderer, "-o", str(base) + suffix]
                + (["--show-all"] if renderer == "text" else []),
                check=False,
                capture_output=True,
            )
        lines.append(f"call tree: {base}.txt")
    if not stats_file.exists():
        return "no profile was written"
    stats = pstats.Stats(str(stats_file))
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in raw.values()) or 1.0
    own = sorted(
        ((tt, key) for key, (_cc, _nc, tt, _ct, _callers) in raw.items()), key=lambda item: item[0], reverse=True
    )
    lines.append(f"top {top} functions by own time (of {total:.2f} s sampled):")
    for tt, (filename, lineno, name) in own[:top]:
        lines.append(f"  {100 * tt / total:5.1f}%  {tt:7.2f} s  {name}  {_short(filename)}:{lineno}")
    groups: dict[str, float] = {}
    for (filename, _lineno, _name), (_cc, _nc, tt, _ct, _callers) in raw.items():
        groups[_package(filename)] = groups.get(_package(filename), 0.0) + tt
    lines.append("own time by package / module:")
    for name, tt in sorted(groups.items(), key=lambda item: item[1], reverse=True)[:20]:
        lines.append(f"  {100 * tt / total:5.1f}%  {tt:7.2f} s  {name}")
    cumulative = sorted(
        ((ct, key) for key, (_cc, _nc, _tt, ct, _callers) in raw.items() if "hrdwatch" in key[0]),
        key=lambda item: item[0],
        reverse=True,
    )
    lines.append("hrdwatch functions by cumulative time:")
    for ct, (filename, lineno, name) in cumulative[:top]:
        lines.append(f"  {100 * ct / total:5.1f}%  {ct:7.2f} s  {name}  {_short(filename)}:{lineno}")
    return "\n".join(lines)


def _short(filename: str) -> str:
    if "/hrdwatch/" in filename:  # the repository's package or a snapshot of it
        return "hrdwatch/" + filename.rsplit("/hrdwatch/", 1)[1]
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def _package(filename: str) -> str:
    short = _short(filename)
    if short.startswith("hrdwatch/"):
        return short.removesuffix(".py")
    if short.startswith("<"):
        return "(builtins)"
    if "/" in short.strip("/"):
        return short.strip("/").split("/", 1)[0]
    return short


# --- runs -------------------------------------------------------------------------------------


def make_tools(args: argparse.Namespace, workdir: Path, urls: list[str], tools: list[str]) -> list[Tool]:
    made: list[Tool] = []
    if "hrdwatch" in tools:
        made.append(Hrdwatch(workdir / "hrdwatch", urls, args.timeout, source=args.hrdwatch_path))
    if "hrdwatch" in tools and args.service:
        made.append(HrdwatchRun(workdir / "hrdwatch-run", urls, args.timeout, source=args.hrdwatch_path))
    if "urlwatch" in tools:
        made.append(Urlwatch(workdir / "urlwatch", urls, args.timeout, ensure_urlwatch(), args.urlwatch_html2text))
    return made


def median_row(runs: list[Row]) -> Row:
    """The runs of one tool on one cycle as one row: the median of each time and memory
    measure (the counts are the same in every run: each starts from the same store and site)."""
    if len(runs) == 1:
        return runs[0]

    def mid(name: str) -> float:
        return float(statistics.median(getattr(run, name) for run in runs))

    return replace(
        runs[-1],
        wall_s=mid("wall_s"),
        cpu_s=mid("cpu_s"),
        user_s=mid("user_s"),
        sys_s=mid("sys_s"),
        peak_rss_mib=mid("peak_rss_mib"),
        site_cpu_s=mid("site_cpu_s"),
        repeat=len(runs),
        profiled=any(run.profiled for run in runs),
        problems=[problem for run in runs for problem in run.problems],
    )


def run_size(
    args: argparse.Namespace, n: int, tools: list[str], workroot: Path, every: list[Row] | None = None
) -> list[Row]:
    """Each cycle runs every tool in turn; with --repeat R, cycles 2-4 run R times, the tools
    interleaved and each run starting from the store as it was before the cycle, and the
    table shows the medians (this VM's speed drifts within minutes)."""
    procs = args.server_procs or (1 if n <= 2000 else 2)
    every = every if every is not None else []
    print(f"\n== N = {n:,}: starting the site ({procs} server process(es)) …", flush=True)
    started = time.perf_counter()
    rows: list[Row] = []
    with SiteServer(n, args.seed, procs=procs, use_gzip=not args.no_gzip) as site:
        workdir = workroot / f"n{n}"
        urls = [site.url(i) for i in range(n)]
        made = make_tools(args, workdir, urls, tools)
        rendered = site.render(0, {})
        print(
            f"   site up in {time.perf_counter() - started:.1f} s at {urls[0]} … {urls[-1].split('/')[2]}", flush=True
        )
        news: dict[int, int] = {}
        for cycle in CYCLES:
            if cycle.noise is not None:
                if cycle.news_round is not None:
                    for index in news_pages(args.seed, n, cycle.news_round):
                        news[index] = news.get(index, 0) + 1
                rendered = site.render(cycle.noise, news)
            repeats = args.repeat if cycle.number != 1 else 1
            runs: dict[str, list[Row]] = {tool.name: [] for tool in made}
            for repeat in range(1, repeats + 1):
                for tool in made:
                    saved = tool.workdir / "store-before-cycle"
                    if repeats > 1 and repeat == 1:
                        shutil.rmtree(saved, ignore_errors=True)
                        shutil.copytree(tool.store, saved)
                    elif repeat > 1:
                        shutil.rmtree(tool.store)
                        shutil.copytree(saved, tool.store)
                    profile_to = None
                    if args.profile and cycle.number in args.profile_cycles and tool.name == "hrdwatch" and repeat == 1:
                        args.profile.mkdir(parents=True, exist_ok=True)
                        profile_to = args.profile / f"hrdwatch-n{n}-cycle{cycle.number}"
                    before = tool.store_size()
                    site.reset()
                    measured, outcome = tool.run(f"cycle{cycle.number}-{repeat}", profile_to)
                    row = _row(
                        n,
                        cycle,
                        tool,
                        measured,
                        outcome,
                        before,
                        tool.store_size(),
                        site.stats(),
                        profile_to is not None,
                    )
                    row.repeat = repeat
                    runs[tool.name].append(row)
                    of = f" (run {repeat}/{repeats})" if repeats > 1 else ""
                    print(
                        f"   cycle {cycle.number} {cycle.label:<11} {tool.name:<9} {row.wall_s:7.2f} s wall, "
                        f"{row.cpu_s:7.2f} s CPU, {row.peak_rss_mib:6.1f} MiB{of} · {row.summary}",
                        flush=True,
                    )
                    for problem in row.problems:
                        print(f"   !! {tool.name} cycle {cycle.number}: {problem}", flush=True)
                    if profile_to is not None:
                        report = summarise_profile(profile_to, sys.executable)
                        (args.profile / f"hrdwatch-n{n}-cycle{cycle.number}-summary.txt").write_text(report + "\n")
                        print(report, flush=True)
            for tool in made:
                rows.append(median_row(runs[tool.name]))
                every.extend(runs[tool.name])
    print_table(n, rows, rendered, not args.no_gzip, args.repeat)
    return rows


# HOOK(hrdwatch run): the soak of `hrdwatch run` as ONE long-lived scheduler process.
def _scheduler_config(tool: Hrdwatch, every: float) -> None:
    """Rewrite the benchmark's hrdwatch configuration for `run`: every source every ``every`` s."""
    config = json.loads(tool.config.read_text("utf-8"))
    for source in config["sources"]:
        source["every"] = f"{every:.0f}s"
    config["run"] = {"max_parallel": 2, "crawl_timeout": "10m", "notify_every": "1m", "jitter": 0}
    tool.config.write_text(json.dumps(config, indent=1, ensure_ascii=False), "utf-8")


def soak_with_scheduler(args: argparse.Namespace, n: int, workroot: Path) -> list[dict[str, Any]]:
    """A baseline `hrdwatch crawl`, then ``args.soak`` noisy cycles crawled by one `hrdwatch run` process.

    The cycle period is 1.5× the baseline crawl's wall time (at least 30 s; ``--soak-period``
    overrides it). The baseline stamps every source with the same last-crawl time, so with
    ``jitter: 0`` all sources fall due together each period: one crawl child of N sources (up
    to 1,000), which splits itself over the CPUs. Before each period the site is re-rendered
    with fresh noise and 10% of the pages gain a paragraph; during it the crawl children's
    VmHWM is polled, and when all N `crawl source=` lines of the cycle are logged the `run`
    process's VmRSS is sampled.
    """
    records: list[dict[str, Any]] = []
    procs = args.server_procs or 1
    with SiteServer(n, args.seed, procs=procs, use_gzip=not args.no_gzip) as site:
        urls = [site.url(i) for i in range(n)]
        tool = Hrdwatch(workroot / f"soak-run-n{n}", urls, args.timeout, source=args.hrdwatch_path)
        print(f"\nSoak: N = {n:,}, a baseline `hrdwatch crawl`, then {args.soak} noisy cycles by one `hrdwatch run`")
        site.reset()
        measured, outcome = tool.run("baseline")
        baseline_end = time.time()
        base = _row(
            n, Cycle(0, "baseline", noise=0), tool, measured, outcome, 0, tool.store_size(), site.stats(), False
        )
        for problem in base.problems:
            print(f"   !! baseline: {problem}", flush=True)
        period = args.soak_period or max(30.0, round(1.5 * measured.wall))
        print(
            f"baseline crawl: {measured.wall:.1f} s wall, {measured.cpu:.1f} s CPU, {base.peak_rss_mib:.1f} MiB · "
            f"{outcome.summary}\ncycle period (every:) {period:.0f} s, run: max_parallel 2, jitter 0",
            flush=True,
        )
        records.append({**base.as_dict(), "runner": "crawl"})
        _scheduler_config(tool, period)
        err_path = tool.logs / "run.err"
        command = [tool.python, "-m", "hrdwatch", "--config", str(tool.config), "--log-level", "INFO", "run"]
        with (tool.logs / "run.out").open("wb") as out, err_path.open("wb") as err:
            proc = subprocess.Popen(
                command, env=child_env(tool.env()), cwd=tool.workdir, stdout=out, stderr=err, stdin=subprocess.DEVNULL
            )
        runlog = RunLog(err_path)
        print(
            f"{'cycle':>5}{'run RSS MiB':>12}{'run HWM MiB':>12}{'prefork MiB':>12}{'max child MiB':>14}"
            f"{'children':>9}{'crawl s':>8}"
            f"{'pages req':>10}{'304':>6}{'changed':>8}{'alerts':>7}{'alerts so far':>14}{'err':>5}",
            flush=True,
        )
        news: dict[int, int] = {}
        alerts_so_far = 0
        try:
            for number in range(1, args.soak + 1):
                problems: list[str] = []
                for index in news_pages(args.seed, n, 1000 + number):
                    news[index] = news.get(index, 0) + 1
                site.render(number, news)
                site.reset()
                due = baseline_end + number * period
                if time.time() > due:
                    problems.append(f"site re-rendered {time.time() - due:.1f} s after the cycle was due")
                before = dict(runlog.totals)
                failed_before = runlog.failed
                wanted = number * n
                deadline = due + 3 * period
                child_peak_kib = 0
                seen_children: set[int] = set()
                first_child = last_child = 0.0
                while True:
                    # crawl processes: the service's children, or those of its prefork server
                    # (the prefork server is the service's child; its crawls, forked, share its command line)
                    servers = {pid for pid in child_pids(proc.pid) if is_prefork_server(pid)}
                    for child in descendants(proc.pid):
                        if child == runlog.prefork_pid or child in servers:
                            continue
                        _rss, hwm = read_rss_kib(child)
                        if hwm:
                            seen_children.add(child)
                            child_peak_kib = max(child_peak_kib, hwm)
                            first_child = first_child or time.time()
                            last_child = time.time()
                    runlog.poll()
                    if runlog.lines >= wanted or proc.poll() is not None or time.time() > deadline:
                        break
                    time.sleep(0.25)
                if proc.poll() is not None:
                    problems.append(f"`hrdwatch run` exited with {proc.returncode}")
                elif runlog.lines < wanted:
                    problems.append(f"only {runlog.lines - (number - 1) * n} of {n} sources crawled by the deadline")
                time.sleep(0.5)  # let the finished children's requests settle in the counters
                runlog.poll()
                rss_kib, hwm_kib = read_rss_kib(proc.pid)
                prefork_kib = read_rss_kib(runlog.prefork_pid)[0] if runlog.prefork_pid else 0
                served = site.stats()
                delta = {k: v - before.get(k, 0) for k, v in runlog.totals.items()}
                alerts_so_far += delta.get("alerts", 0)
                if runlog.failed > failed_before:
                    problems.append(f"{runlog.failed - failed_before} crawl(s) killed, failed or skipped")
                if delta.get("errors"):
                    problems.append(f"{delta['errors']} errors reported")
                if served["pages_hit"] < n:
                    problems.append(f"only {served['pages_hit']} of {n} pages were requested")
                record = {
                    "runner": "run",
                    "n": n,
                    "cycle": number,
                    "period_s": period,
                    "run_rss_mib": rss_kib / 1024,
                    "prefork_rss_mib": prefork_kib / 1024,
                    "run_hwm_mib": hwm_kib / 1024,
                    "max_child_rss_mib": child_peak_kib / 1024,
                    "children": len(seen_children),
                    "children_wall_s": (last_child - first_child) if first_child else 0.0,
                    "page_requests": served["pages_200"] + served["pages_304"],
                    "pages_200": served["pages_200"],
                    "pages_304": served["pages_304"],
                    "pages_hit": served["pages_hit"],
                    "requests": served["requests"],
                    "fetched": delta.get("fetched", 0),
                    "changed": delta.get("changed", 0),
                    "alerts": delta.get("alerts", 0),
                    "alerts_so_far": alerts_so_far,
                    "errors": delta.get("errors", 0),
                    "store_mib": tool.store_size() / MIB,
                    "problems": problems,
                }
                records.append(record)
                print(
                    f"{number:>5}{record['run_rss_mib']:>12.1f}{record['run_hwm_mib']:>12.1f}"
                    f"{record['prefork_rss_mib']:>12.1f}{record['max_child_rss_mib']:>14.1f}{record['children']:>9}{record['children_wall_s']:>8.1f}"
                    f"{record['page_requests']:>10}{record['pages_304']:>6}{record['changed']:>8}"
                    f"{record['alerts']:>7}{alerts_so_far:>14}{record['errors']:>5}",
                    flush=True,
                )
                for problem in problems:
                    print(f"   !! run cycle {number}: {problem}", flush=True)
                for line in runlog.problems:
                    print(f"   !! run log: {line}", flush=True)
                runlog.problems.clear()
                if proc.poll() is not None:
                    break
        finally:
            stop_service(proc)
            runlog.poll()
        stopped = [line for line in err_path.read_text("utf-8", "replace").splitlines() if "stopped:" in line]
        print(
            f"`hrdwatch run` stopped with SIGTERM: exit code {proc.returncode}; "
            f"{stopped[-1].split('stopped:', 1)[1].strip() if stopped else 'no stop line logged'}"
        )
        if proc.returncode != 0:
            records[-1]["problems"].append(f"`hrdwatch run` exited with {proc.returncode} after SIGTERM")
        ran = [r for r in records if r.get("runner") == "run"]
        if ran:
            first = ran[4] if len(ran) >= 5 else ran[0]
            last = ran[-1]
            growth = 100 * (last["run_rss_mib"] - first["run_rss_mib"]) / first["run_rss_mib"]
            rss = [r["run_rss_mib"] for r in ran]
            children = [r["max_child_rss_mib"] for r in ran]
            print(
                f"run process RSS: min {min(rss):.1f} / max {max(rss):.1f} MiB; crawl children peak "
                f"min {min(children):.1f} / max {max(children):.1f} MiB"
            )
            print(
                f"run process RSS growth, cycle {first['cycle']} → cycle {last['cycle']}: "
                f"{first['run_rss_mib']:.1f} → {last['run_rss_mib']:.1f} MiB ({growth:+.1f}%)"
            )
            print(f"  [{'PASS' if growth <= 10 else 'FAIL'}] run process RSS growth ≤ 10%: {growth:+.1f}%")
            if first["prefork_rss_mib"] and last["prefork_rss_mib"]:
                grown = 100 * (last["prefork_rss_mib"] - first["prefork_rss_mib"]) / first["prefork_rss_mib"]
                print(
                    f"prefork server RSS, cycle {first['cycle']} → cycle {last['cycle']}: "
                    f"{first['prefork_rss_mib']:.1f} → {last['prefork_rss_mib']:.1f} MiB ({grown:+.1f}%)"
                )
                print(f"  [{'PASS' if grown <= 10 else 'FAIL'}] prefork server RSS growth ≤ 10%: {grown:+.1f}%")
    return records


def soak(args: argparse.Namespace, n: int, tools: list[str], workroot: Path) -> list[dict[str, Any]]:
    """A baseline, then ``args.soak`` noisy cycles (fresh noise + 10% of pages with news each time)."""
    if args.soak_runner == "run":
        return soak_with_scheduler(args, n, workroot)
    records: list[dict[str, Any]] = []
    procs = args.server_procs or 1
    with SiteServer(n, args.seed, procs=procs, use_gzip=not args.no_gzip) as site:
        urls = [site.url(i) for i in range(n)]
        made = make_tools(args, workroot / f"soak-n{n}", urls, tools)
        news: dict[int, int] = {}
        print(f"\nSoak: N = {n:,}, a baseline then {args.soak} noisy cycles (one `hrdwatch crawl` process per cycle)")
        print(
            f"{'cycle':>5} {'tool':<9}{'wall s':>8}{'CPU s':>8}{'pages/s':>9}{'RSS MiB':>9}{'store MiB':>11}"
            f"{'+B/page':>9}{'304':>6}{'detected':>9}{'err':>5}"
        )
        for number in range(0, args.soak + 1):
            if number:
                for index in news_pages(args.seed, n, 1000 + number):
                    news[index] = news.get(index, 0) + 1
                site.render(number, news)
            cycle = Cycle(number, "baseline" if number == 0 else "noisy", noise=number)
            for tool in made:
                before = tool.store_size()
                site.reset()
                measured, outcome = tool.run(f"soak{number}")
                row = _row(n, cycle, tool, measured, outcome, before, tool.store_size(), site.stats(), False)
                records.append(row.as_dict())
                print(
                    f"{number:>5} {tool.name:<9}{row.wall_s:>8.2f}{row.cpu_s:>8.2f}{row.site_cpu_s:>9.2f}"
                    f"{row.pages_per_s:>9.1f}"
                    f"{row.peak_rss_mib:>9.1f}{row.store_after / MIB:>11.2f}{row.growth / n:>9.0f}"
                    f"{row.pages_304:>6}{row.detected:>9}{row.errors:>5}",
                    flush=True,
                )
                for problem in row.problems:
                    print(f"   !! {tool.name} cycle {number}: {problem}", flush=True)
        for tool in made:
            rss = [r["peak_rss_mib"] for r in records if r["tool"] == tool.name]
            print(
                f"{tool.name}: peak RSS per cycle min {min(rss):.1f} / max {max(rss):.1f} MiB; "
                f"first noisy {rss[1] if len(rss) > 1 else rss[0]:.1f} → last {rss[-1]:.1f} MiB"
            )
    return records


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.cycle", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, nargs="+", help="site sizes (default 400 2000; --quick: 20; --soak: 400)")
    parser.add_argument(
        "--tool",
        choices=["hrdwatch", "urlwatch", "both"],
        help="which monitors to run (default both; --quick and --soak: hrdwatch)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: N=20, hrdwatch only unless told otherwise")
    parser.add_argument(
        "--service",
        action="store_true",
        help="also run hrdwatch's cycles 2-4 through a warm `hrdwatch run` (SIGUSR1), as tool hrd-run",
    )
    parser.add_argument("--soak", type=int, metavar="CYCLES", help="memory soak: a baseline then CYCLES noisy cycles")
    parser.add_argument(
        "--soak-runner",
        choices=["crawl", "run"],
        default="crawl",
        help="crawl: one `hrdwatch crawl` per cycle; run: one long-lived `hrdwatch run` for all cycles",
    )
    parser.add_argument(
        "--soak-period",
        type=float,
        default=0.0,
        metavar="S",
        help="--soak-runner run: the cycle period (default 1.5× the baseline crawl's wall time, at least 30 s)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="R",
        help="run cycles 2-4 R times from the same starting store, tools interleaved; the table shows medians",
    )
    parser.add_argument("--seed", type=int, default=1, help="site generator seed (default 1)")
    parser.add_argument("--server-procs", type=int, default=0, help="site server processes (default 1; 2 above N=2000)")
    parser.add_argument("--no-gzip", action="store_true", help="serve identity bodies (default: gzip when accepted)")
    parser.add_argument(
        "--urlwatch-html2text",
        default="re",
        choices=["re", "pyhtml2text", "bs4"],
        help="urlwatch's html2text method (default re: what `filter: html2text` means)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="profile hrdwatch's noisy cycle (pyinstrument if installed, else cProfile) into DIR",
    )
    parser.add_argument(
        "--profile-cycles", type=int, nargs="+", default=[NOISY], metavar="C", help="cycles to profile (default 2)"
    )
    parser.add_argument(
        "--hrdwatch-path",
        type=Path,
        default=REPO,
        metavar="DIR",
        help="directory holding the hrdwatch package to run (default: this repository; e.g. a copy of a version)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every measurement as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the temporary work directory (databases, logs)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds before a monitor run is killed")
    parser.add_argument("--check-targets", action="store_true", help="exit 1 when a measured target is missed")
    args = parser.parse_args(argv)
    if args.n is None:
        args.n = [20] if args.quick else [400] if args.soak else [400, 2000]
    if args.profile is not None:
        args.profile = args.profile.resolve()  # the monitors run in their own work directories
    args.hrdwatch_path = args.hrdwatch_path.resolve()
    if not (args.hrdwatch_path / "hrdwatch" / "__init__.py").exists():
        parser.error(f"--hrdwatch-path: no hrdwatch package in {args.hrdwatch_path}")
    if args.json is not None:
        args.json = args.json.resolve()
    if args.tool is None:
        args.tool = "hrdwatch" if (args.quick or args.soak) else "both"
    if any(n < 1 or n > 60_000 for n in args.n):
        parser.error("--n must be between 1 and 60000 (250 loopback hosts per 127.0.x.0/24)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tools = ["hrdwatch", "urlwatch"] if args.tool == "both" else [args.tool]
    if args.profile and not has_module(sys.executable, "pyinstrument"):
        print("pyinstrument is not installed: profiling with cProfile (slower, exact call counts)", file=sys.stderr)
    workroot = Path(tempfile.mkdtemp(prefix="hrdwatch-bench-"))
    rows: list[Row] = []
    every: list[Row] = []  # every run, with --repeat each of the runs behind a median row
    soak_records: list[dict[str, Any]] = []
    started = time.perf_counter()
    try:
        if args.soak:
            try:
                soak_records = soak(args, args.n[0], tools, workroot)
            except NotImplementedError as exc:
                print(exc, file=sys.stderr)
                return 2
        else:
            for n in args.n:
                rows.extend(run_size(args, n, tools, workroot, every))
            print_verdicts(rows)
    finally:
        if args.keep:
            print(f"\nwork directory kept: {workroot}")
        else:
            shutil.rmtree(workroot, ignore_errors=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {"rows": [r.as_dict() for r in rows], "runs": [r.as_dict() for r in every], "soak": soak_records},
                indent=1,
            )
        )
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    problems = [p for r in every for p in r.problems] + [p for r in soak_records for p in r["problems"]]
    if problems:
        print(f"{len(problems)} run problem(s): see the '!!' lines above", file=sys.stderr)
        return 1
    if args.check_targets and any(met is False for _t, met, _f in verdicts(rows)):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
