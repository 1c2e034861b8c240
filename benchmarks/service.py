"""hrdwatch's check cycle as the service runs it: one `hrdwatch run` process, warm.

`hrdwatch crawl` pays its start-up (Python, SQLAlchemy, pydantic, Scrapy and Twisted
imports: 1.5–2 s of CPU on one core) on every cycle. `hrdwatch run` pays it once: its crawl
processes are forked from a prefork server that has imported everything (hrdwatch.prefork).
This tool measures a cycle that way. For each cycle it starts `hrdwatch run` on the cycle's
store (every source due in a day, so nothing runs by itself), waits until its prefork server
is ready, then sends SIGUSR1 ("crawl every source now") and measures:

- wall: from the signal to the log line of the last of the N sources;
- CPU: user + sys of the service process and of the prefork server with the crawl processes
  it forked and reaped (``/proc/PID/stat`` utime, stime, cutime, cstime), the difference
  from just before the signal to the end; the service's own start is not counted;
- peak RSS: the largest VmHWM of a crawl process of the cycle, read every 20 ms; the
  process tree is looked at every 0.25 s (a crawl process lives for seconds). Without
  ``/proc/PID/task/TID/children`` (this VM's kernel) that look reads every process's stat
  file: done every 20 ms for each level of the tree, it took the benchmark a quarter of a
  core, CPU that the monitor it measures then lacked.

The baseline (cycle 1) is a plain `hrdwatch crawl`: a first crawl of every source is what
an operator runs by hand when adding sources.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

from benchmarks.tools import Hrdwatch, Measured, Outcome, child_env, descendants, read_rss_kib

_CRAWL_LINE = re.compile(r"crawl source=(?P<source>\S+) (?P<rest>.*)$")
_CRAWL_COUNTS = re.compile(r"(fetched|changed|new_documents|alerts|errors)=(\d+)")
_READY = re.compile(r"prefork server (\d+) ready")
_TICK = os.sysconf("SC_CLK_TCK")
SCAN_EVERY = 0.25  # seconds between looks for new crawl processes (a pass over /proc here)


class RunLog:
    """Follows the `run` process's stderr (a file) and tallies its `crawl source=` lines."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.partial = b""
        self.lines = 0  # `crawl source=` lines: one per source per crawl
        self.failed = 0  # of which: killed, failed or skipped crawls
        self.totals: dict[str, int] = {}
        self.problems: list[str] = []
        self.prefork_pid = 0

    def poll(self) -> None:
        with self.path.open("rb") as f:
            f.seek(self.offset)
            data = f.read()
        self.offset += len(data)
        chunks = (self.partial + data).split(b"\n")
        self.partial = chunks.pop()
        for raw in chunks:
            line = raw.decode("utf-8", "replace")
            found = _CRAWL_LINE.search(line)
            ready = _READY.search(line)
            if found:
                self.lines += 1
                counts = {k: int(v) for k, v in _CRAWL_COUNTS.findall(found.group("rest"))}
                if "duration=" not in found.group("rest"):
                    self.failed += 1
                    self.problems.append(line.strip()[-300:])
                for key, value in counts.items():
                    self.totals[key] = self.totals.get(key, 0) + value
            elif ready:
                self.prefork_pid = int(ready.group(1))
            elif " ERROR " in line or "Traceback" in line or "missed its run" in line:
                self.problems.append(line.strip()[-300:])


def cpu_ticks(pid: int, children: bool) -> tuple[int, int]:
    """(user, sys) clock ticks of a live process, with those of the children it reaped if asked."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0, 0
    user, system, child_user, child_system = (int(v) for v in fields[11:15])
    return (user + child_user, system + child_system) if children else (user, system)


def stop_service(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM a `hrdwatch run` process (it stops its crawls), SIGKILL it after 30 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def is_prefork_server(pid: int) -> bool:
    """Was this process started as a prefork server (``python -m hrdwatch.prefork``)? The
    crawls it forks have the same command line: look only among the service's children."""
    try:
        return b"hrdwatch.prefork" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


class HrdwatchRun(Hrdwatch):
    """hrdwatch's cycles 2–4 crawled by a warm `hrdwatch run` on SIGUSR1 (see the module doc)."""

    name = "hrd-run"

    def __init__(self, workdir: Path, urls: list[str], timeout: float, source: Path) -> None:
        super().__init__(workdir, urls, timeout, source=source)
        config = json.loads(self.config.read_text("utf-8"))
        for entry in config["sources"]:
            entry["every"] = "1d"
        config["run"] = {"max_parallel": 2, "crawl_timeout": "10m", "notify_every": "1h", "jitter": 0}
        self.run_config = workdir / "hrdwatch-run.yaml"
        self.run_config.write_text(json.dumps(config, indent=1, ensure_ascii=False), "utf-8")

    def run(self, label: str, profile_to: Path | None = None) -> tuple[Measured, Outcome]:
        if not (self.store / "hrdwatch.db").exists():
            measured, outcome = super().run(label)  # the baseline: `hrdwatch crawl`
            outcome.summary += " (`hrdwatch crawl`)"
            return measured, outcome
        err_path = self.logs / f"{label}.err"
        command = [self.python, "-m", "hrdwatch", "--config", str(self.run_config), "--log-level", "INFO", "run"]
        with (self.logs / f"{label}.out").open("wb") as out, err_path.open("wb") as err:
            proc = subprocess.Popen(
                command, env=child_env(self.env()), cwd=self.workdir, stdout=out, stderr=err, stdin=subprocess.DEVNULL
            )
        log = RunLog(err_path)
        n = len(self.urls)
        problems: list[str] = []
        wall = 0.0
        user = system = peak_kib = 0
        try:
            deadline = time.monotonic() + 120
            while not log.prefork_pid and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
                log.poll()
            if not log.prefork_pid:
                raise RuntimeError("the prefork server did not start")
            time.sleep(0.5)  # let the service's own start-up settle
            server = log.prefork_pid
            before = [cpu_ticks(proc.pid, False), cpu_ticks(server, True)]
            start = time.perf_counter()
            proc.send_signal(signal.SIGUSR1)
            deadline = time.monotonic() + self.timeout
            crawls: set[int] = set()
            scanned = 0.0
            while log.lines < n and proc.poll() is None and time.monotonic() < deadline:
                if time.monotonic() - scanned >= SCAN_EVERY:  # the process tree: new crawl processes
                    crawls.update(descendants(server))
                    scanned = time.monotonic()
                for pid in crawls:  # their memory high-water marks: cheap, read often
                    peak_kib = max(peak_kib, read_rss_kib(pid)[1])
                time.sleep(0.02)
                log.poll()
            wall = time.perf_counter() - start
            after = [cpu_ticks(proc.pid, False), cpu_ticks(server, True)]
            user = sum(a[0] - b[0] for a, b in zip(after, before, strict=True))
            system = sum(a[1] - b[1] for a, b in zip(after, before, strict=True))
            if log.lines < n:
                problems.append(f"only {log.lines} of {n} sources crawled")
        except RuntimeError as exc:
            problems.append(str(exc))
        finally:
            stop_service(proc)
        problems += log.problems
        totals = log.totals
        summary = (
            f"Crawled {log.lines} source(s): {totals.get('fetched', 0)} fetched, "
            f"{totals.get('changed', 0)} changed, {totals.get('new_documents', 0)} new documents, "
            f"{totals.get('alerts', 0)} alerts, {totals.get('errors', 0)} errors (`hrdwatch run`, SIGUSR1)"
        )
        measured = Measured(
            exit_code=1 if problems else proc.returncode,
            wall=wall,
            user=user / _TICK,
            sys=system / _TICK,
            peak_rss_kib=peak_kib,
            stdout=summary,
            stderr="\n".join(problems),
        )
        outcome = Outcome(
            detected=totals.get("alerts", 0),
            changed=totals.get("changed", 0),
            errors=totals.get("errors", 0) + len(problems),
            summary=summary,
        )
        return measured, outcome
