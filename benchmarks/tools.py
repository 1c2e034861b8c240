"""The two monitors under test, run as child processes and measured.

Each run is one child process: wall time around it, and its CPU time (user + sys) and peak
RSS from ``os.wait4``, which reports exactly that child (and any descendants it reaped) —
the site's server processes are never counted. The store (hrdwatch's SQLite database,
urlwatch's cache) lives in a directory of its own whose total size is measured before and
after each run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
URLWATCH_VENV = BENCH_DIR / ".venv-urlwatch"
URLWATCH_REQUIREMENTS = ("urlwatch==2.29", "html2text==2025.4.15")

# A keyword-ish diff filter, as a careful urlwatch user would set it: only added or removed
# lines of the diff that speak of defenders or a mechanism (English, Albanian, French).
URLWATCH_DIFF_GREP = r"^[+-](?![+-]{2} ).*(?i:defender|mbrojt|d[ée]fenseu|mechanism|mekanizm|m[ée]canisme)"


@dataclass
class Measured:
    exit_code: int
    wall: float
    user: float
    sys: float
    peak_rss_kib: int
    stdout: str
    stderr: str
    timed_out: bool = False

    @property
    def cpu(self) -> float:
        return self.user + self.sys


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a monitor: no proxies (traffic stays on loopback), quiet, isolated."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["NO_PROXY"] = env["no_proxy"] = "*"
    env.pop("HRDWATCH_CONFIG", None)
    env.setdefault("PYTHONHASHSEED", "0")
    env["TERM"] = "dumb"
    env["COLUMNS"] = "200"
    if extra:
        env.update(extra)
    return env


def measure(cmd: list[str], env: dict[str, str], cwd: Path, out: Path, err: Path, timeout: float) -> Measured:
    """Run ``cmd`` to completion; its own rusage via wait4. Killed after ``timeout`` seconds."""
    with out.open("wb") as stdout, err.open("wb") as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # wait4 reaped it: tell Popen
    return Measured(
        exit_code=proc.returncode,
        wall=wall,
        user=usage.ru_utime,
        sys=usage.ru_stime,
        peak_rss_kib=usage.ru_maxrss,  # KiB on Linux
        stdout=out.read_text("utf-8", "replace"),
        stderr=err.read_text("utf-8", "replace"),
        timed_out=timed_out.is_set(),
    )


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def read_rss_kib(pid: int) -> tuple[int, int]:
    """(current RSS, peak RSS) of a live process from /proc, in KiB — for long-lived processes."""
    rss = hwm = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    except OSError:
        pass
    return rss, hwm


# /proc/PID/task/TID/children exists only on kernels built with CONFIG_PROC_CHILDREN (not this
# VM's): without it, finding children means reading every process's stat file.
_CHILDREN_FILES = Path(f"/proc/self/task/{os.getpid()}/children").exists()


def _parents() -> dict[int, int]:
    """Every live process's parent, from one pass over /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    return parents


def child_pids(pid: int) -> list[int]:
    """The live child processes of ``pid`` (all its threads' children), from /proc."""
    if not _CHILDREN_FILES:
        return sorted(child for child, parent in _parents().items() if parent == pid)
    found: set[int] = set()
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                found.update(int(c) for c in (task / "children").read_text().split())
            except OSError:
                continue
    except OSError:
        return []
    return sorted(found)


def descendants(pid: int) -> list[int]:
    """The live descendants of ``pid``, with at most one pass over /proc (a benchmark that
    polls must not itself take a core's share from the monitor it measures)."""
    parents = None if _CHILDREN_FILES else _parents()
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        children = child_pids(parent) if parents is None else [c for c, p in parents.items() if p == parent]
        found.extend(children)
        todo.extend(children)
    return found


@dataclass
class Outcome:
    """What the tool itself said about a run."""

    detected: int = 0  # hrdwatch: alerts; urlwatch: jobs reported as changed (after the diff filter)
    changed: int = 0
    errors: int = 0
    summary: str = ""
    extra: dict[str, int] = field(default_factory=dict)


class Tool:
    name = "tool"

    def __init__(self, workdir: Path, urls: list[str], timeout: float) -> None:
        self.workdir = workdir
        self.urls = urls
        self.timeout = timeout
        self.store = workdir / "store"
        self.logs = workdir / "logs"
        self.store.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)

    def command(self, profile_to: Path | None = None) -> list[str]:
        raise NotImplementedError

    def outcome(self, run: Measured) -> Outcome:
        raise NotImplementedError

    def run(self, label: str, profile_to: Path | None = None) -> tuple[Measured, Outcome]:
        measured = measure(
            self.command(profile_to),
            child_env(self.env()),
            self.workdir,
            self.logs / f"{label}.out",
            self.logs / f"{label}.err",
            self.timeout,
        )
        return measured, self.outcome(measured)

    def env(self) -> dict[str, str]:
        return {}

    def store_size(self) -> int:
        return dir_size(self.store)


# --- hrdwatch ------------------------------------------------------------------------------

_HRD_SUMMARY = re.compile(
    r"Crawled (?P<sources>\d+) source\(s\): (?P<fetched>\d+) fetched, (?P<unchanged>\d+) unchanged, "
    r"(?P<changed>\d+) changed, (?P<new_documents>\d+) new documents, (?P<alerts>\d+) alerts, (?P<errors>\d+) errors"
)


class Hrdwatch(Tool):
    name = "hrdwatch"

    def __init__(
        self, workdir: Path, urls: list[str], timeout: float, python: str = sys.executable, source: Path = REPO
    ) -> None:
        super().__init__(workdir, urls, timeout)
        self.python = python
        self.source = source  # the directory holding the hrdwatch package to run (a snapshot, or the repo)
        self.config = workdir / "hrdwatch.yaml"
        config = {
            "database": f"sqlite:///{self.store / 'hrdwatch.db'}",
            "crawl": {"delay": 0, "concurrency": 64, "concurrency_per_domain": 2, "retries": 0},
            "sources": [{"id": f"p{i:05d}", "url": url, "kind": "page"} for i, url in enumerate(urls)],
        }
        self.config.write_text(json.dumps(config, indent=1, ensure_ascii=False), "utf-8")  # JSON is YAML
        # A profiler sees one process: the profiled run crawls in one (no split over CPUs).
        config["crawl"]["processes"] = 1
        self.profile_config = workdir / "hrdwatch-profiled.yaml"
        self.profile_config.write_text(json.dumps(config, indent=1, ensure_ascii=False), "utf-8")

    def env(self) -> dict[str, str]:
        # Compiled bytecode, as an installed package has it (pip compiles on install), kept in
        # the benchmark's own directory: nothing is written into the repository, and a machine
        # with PYTHONDONTWRITEBYTECODE does not recompile hrdwatch's sources at every start.
        return {
            "PYTHONPATH": str(self.source),
            "PYTHONDONTWRITEBYTECODE": "",
            "PYTHONPYCACHEPREFIX": str(self.workdir / "pycache"),
        }

    def command(self, profile_to: Path | None = None) -> list[str]:
        if profile_to is None:
            return [self.python, "-m", "hrdwatch", "--config", str(self.config), "crawl"]
        args = ["-m", "hrdwatch", "--config", str(self.profile_config), "crawl"]
        if has_module(self.python, "pyinstrument"):
            return [self.python, "-m", "pyinstrument", "-r", "session", "-o", str(profile_to) + ".pyisession", *args]
        return [self.python, "-m", "cProfile", "-o", str(profile_to) + ".pstats", *args]

    def outcome(self, run: Measured) -> Outcome:
        found = _HRD_SUMMARY.search(run.stdout)
        if not found:
            return Outcome(errors=-1, summary=(run.stdout + run.stderr).strip()[-300:])
        counts = {k: int(v) for k, v in found.groupdict().items()}
        return Outcome(
            detected=counts["alerts"],
            changed=counts["changed"],
            errors=counts["errors"],
            summary=found.group(0),
            extra=counts,
        )


def has_module(python: str, module: str) -> bool:
    probe = subprocess.run(
        [python, "-c", f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"],
        capture_output=True,
    )
    return probe.returncode == 0


# --- urlwatch ------------------------------------------------------------------------------

_UW_LINE = re.compile(r"^\s*\d+\.\s+(NEW|CHANGED|UNCHANGED|ERROR):", re.MULTILINE)


def ensure_urlwatch(log: Path | None = None) -> Path:
    """The benchmark's own virtualenv with urlwatch 2.29 (created on first use); its urlwatch script."""
    script = URLWATCH_VENV / "bin" / "urlwatch"
    python = URLWATCH_VENV / "bin" / "python"
    if script.exists() and has_module(str(python), "html2text"):
        version = subprocess.run([str(script), "--version"], capture_output=True, text=True).stdout
        if "2.29" in version:
            return script
    print(f"Installing {' '.join(URLWATCH_REQUIREMENTS)} into {URLWATCH_VENV} …", file=sys.stderr, flush=True)
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(URLWATCH_VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *URLWATCH_REQUIREMENTS],
        check=True,
    )
    return script


class Urlwatch(Tool):
    name = "urlwatch"

    def __init__(self, workdir: Path, urls: list[str], timeout: float, script: Path, html2text: str = "re") -> None:
        super().__init__(workdir, urls, timeout)
        self.script = script
        self.urls_file = workdir / "urls.yaml"
        self.config = workdir / "urlwatch.yaml"
        self.hooks = workdir / "hooks.py"
        self.hooks.write_text("# no hooks\n", "utf-8")
        html_filter: object = "html2text" if html2text == "re" else {"html2text": {"method": html2text}}
        jobs = [
            {
                "name": f"p{i:05d}",
                "url": url,
                "filter": [html_filter],
                "diff_filter": [{"grep": {"re": URLWATCH_DIFF_GREP}}],
            }
            for i, url in enumerate(urls)
        ]
        self.urls_file.write_text("\n---\n".join(json.dumps(job, ensure_ascii=False) for job in jobs) + "\n", "utf-8")
        config = {
            # the defaults, except: a change whose filtered diff is empty is not reported,
            # and only the stdout reporter is on (uncoloured); nothing is ever sent anywhere
            "display": {"new": True, "error": True, "unchanged": False, "empty-diff": False},
            "report": {
                "text": {"line_length": 75, "details": True, "footer": True, "minimal": False, "separate": False},
                "stdout": {"enabled": True, "color": False},
                "email": {"enabled": False},
                "html": {"diff": "unified", "separate": False},
            },
        }
        self.config.write_text(json.dumps(config, indent=1), "utf-8")

    def env(self) -> dict[str, str]:
        home = self.workdir / "home"
        home.mkdir(exist_ok=True)
        return {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "XDG_CACHE_HOME": str(home / ".cache")}

    def command(self, profile_to: Path | None = None) -> list[str]:
        return [
            str(self.script),
            "--urls",
            str(self.urls_file),
            "--config",
            str(self.config),
            "--hooks",
            str(self.hooks),
            "--cache",
            str(self.store / "cache.db"),
        ]

    def outcome(self, run: Measured) -> Outcome:
        verbs: dict[str, int] = {}
        for verb in _UW_LINE.findall(run.stdout):
            verbs[verb] = verbs.get(verb, 0) + 1
        summary = ", ".join(f"{count} {verb.lower()}" for verb, count in sorted(verbs.items())) or "no reports"
        return Outcome(
            detected=verbs.get("CHANGED", 0),
            changed=verbs.get("CHANGED", 0),
            errors=verbs.get("ERROR", 0),
            summary=summary,
            extra=verbs,
        )
