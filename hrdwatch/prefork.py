"""Warm crawl processes for `hrdwatch run`: forked from a process that has imported everything.

A crawl is a process of its own (Twisted's reactor cannot be restarted; a crash, leak or
hang stays in it). Started afresh, each one spends 1.5–2 s of CPU on one core importing
SQLAlchemy, pydantic, Scrapy and Twisted before it fetches anything, on every batch the
service crawls. So the service keeps one *prefork server*: a single-threaded process
(``python -m hrdwatch.prefork``) that imports the crawl's code once, freezes that heap out
of the garbage collector's sight, and then forks one child per crawl on request, the
pattern of multiprocessing's ``forkserver``. The child starts at once: it reads the
configuration file and runs ``hrdwatch … crawl --json IDS`` from the CLI as a new process
would, in a session of its own (the service kills a crawl with its parts as one process
group), with stdout and stderr written to files the service reads when it ends.

The protocol is JSON lines: the service writes ``{"id", "args", "out", "err"}`` to the
server's stdin; the server answers ``{"ready": pid}`` once when its imports are done, then
``{"id", "pid"}`` when it has forked a request's child and ``{"pid", "code"}`` when a child
has ended (the exit code as `subprocess` gives it: negative for a signal). The server ends
when its stdin closes: when the service stops, or dies.

If the server cannot be started or dies, the service starts crawls as new processes
(`ColdLauncher`), and tries a new server for a later crawl.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import select
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger("hrdwatch.run")

READY_TIMEOUT = 60.0  # seconds the server gets to import the crawl's code
START_TIMEOUT = 15.0  # seconds a request waits for its child's pid
RETRY_AFTER = 60.0  # seconds before a new server is tried after one failed


class CrawlProcess(Protocol):
    """What the service needs of a running crawl (`subprocess.Popen` has it all)."""

    pid: int

    def communicate(self, input: str | None = None, timeout: float | None = None) -> tuple[str, str]: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def send_signal(self, sig: int) -> None: ...

    def kill(self) -> None: ...


class Launcher(Protocol):
    def warm_up(self) -> None: ...

    def start(self, args: Sequence[str]) -> CrawlProcess: ...

    def close(self) -> None: ...


class ColdLauncher:
    """Each crawl a new Python process: ``python -m hrdwatch ARGS``."""

    def start(self, args: Sequence[str]) -> CrawlProcess:
        # Its own process group: a crawl split over processes is killed whole.
        return subprocess.Popen(
            [sys.executable, "-m", "hrdwatch", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )

    def warm_up(self) -> None:
        pass

    def close(self) -> None:
        pass


class PreforkError(RuntimeError):
    """The prefork server could not start a crawl."""


class PreforkLauncher:
    """Crawls forked by a prefork server; a new process (`ColdLauncher`) when there is none.

    Thread-safe: the service's dispatchers start crawls at the same time."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.cold = ColdLauncher()
        self._server: _Server | None = None
        self._failed_at = 0.0
        self._lock = threading.Lock()
        self._closed = False

    def warm_up(self) -> None:
        """Start the server now (the service does at start), not at the first crawl."""
        with self._lock:
            self._ensure_server()

    def start(self, args: Sequence[str]) -> CrawlProcess:
        with self._lock:
            server = self._ensure_server()
        if server is not None:
            try:
                return server.start(args)
            except PreforkError as exc:
                log.warning("prefork server failed (%s): this crawl starts as a new process", exc)
                with self._lock:
                    if self._server is server:
                        self._server = None
                        self._failed_at = time.monotonic()
                server.close()
        return self.cold.start(args)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            server, self._server = self._server, None
        if server is not None:
            server.close()

    def _ensure_server(self) -> _Server | None:
        if self._closed:
            return None
        if self._server is not None and self._server.alive:
            return self._server
        if self._server is not None:
            log.warning("prefork server ended (exit code %s)", self._server.proc.poll())
            self._server.close()
            self._server = None
            self._failed_at = time.monotonic()
        if self._failed_at and time.monotonic() - self._failed_at < RETRY_AFTER:
            return None
        try:
            self._server = _Server(self.workdir)
        except OSError as exc:
            log.warning("prefork server not started (%s): crawls start as new processes", exc)
            self._failed_at = time.monotonic()
            return None
        return self._server


class _Server:
    """The service's side of one prefork server process."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hrdwatch.prefork"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
            start_new_session=True,  # no terminal's Ctrl-C: the service stops its crawls itself
        )
        self.ready = False
        self.alive = True
        self._next = 0
        self._pids: dict[int, int] = {}  # request id → pid
        self._codes: dict[int, int] = {}  # pid → exit code
        self._changed = threading.Condition()
        self._write = threading.Lock()
        threading.Thread(target=self._read, name="prefork-reader", daemon=True).start()

    def start(self, args: Sequence[str]) -> WarmProcess:
        with self._changed:
            if not self._changed.wait_for(lambda: self.ready or not self.alive, READY_TIMEOUT):
                raise PreforkError(f"not ready after {READY_TIMEOUT:g} s")
            if not self.alive:
                raise PreforkError("the server ended")
            self._next += 1
            number = self._next
        out = self.workdir / f"crawl-{os.getpid()}-{number}.out"
        err = self.workdir / f"crawl-{os.getpid()}-{number}.err"
        request = {"id": number, "args": list(args), "out": str(out), "err": str(err)}
        try:
            with self._write:
                assert self.proc.stdin is not None
                self.proc.stdin.write(json.dumps(request) + "\n")
                self.proc.stdin.flush()
        except (OSError, ValueError) as exc:
            raise PreforkError(f"request not sent: {exc}") from exc
        with self._changed:
            self._changed.wait_for(lambda: number in self._pids or not self.alive, START_TIMEOUT)
            pid = self._pids.pop(number, None)
        if pid is None:
            raise PreforkError("no child forked")
        return WarmProcess(self, pid, out, err)

    def exit_code(self, pid: int, timeout: float | None) -> int | None:
        """The child's exit code once it has ended (None on timeout)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while pid not in self._codes:
                if not self.alive:  # its children were orphaned: wait for the process to go
                    break
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return None
                self._changed.wait(left)
            else:
                return self._codes[pid]
        while _exists(pid):
            if deadline is not None and time.monotonic() > deadline:
                return None
            time.sleep(0.1)
        return -signal.SIGKILL  # ended with its server; how is not known

    def forget(self, pid: int) -> None:
        with self._changed:
            self._codes.pop(pid, None)

    def close(self) -> None:
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()  # the server ends when its stdin closes
        except OSError:
            pass
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            with self._changed:
                if "ready" in message:
                    self.ready = True
                    log.info("prefork server %s ready in %.1f s", message["ready"], time.monotonic() - self.started)
                elif "id" in message:
                    self._pids[int(message["id"])] = int(message["pid"])
                elif "code" in message:
                    self._codes[int(message["pid"])] = int(message["code"])
                self._changed.notify_all()
        with self._changed:
            self.alive = False
            self._changed.notify_all()


class WarmProcess:
    """A crawl forked by the prefork server, with the `subprocess.Popen` methods the service uses."""

    def __init__(self, server: _Server, pid: int, out: Path, err: Path) -> None:
        self.server = server
        self.pid = pid
        self.out = out
        self.err = err
        self._code: int | None = None

    def poll(self) -> int | None:
        return self._wait(0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._wait(timeout)
        if code is None:
            raise subprocess.TimeoutExpired(f"crawl {self.pid}", timeout or 0)
        return code

    def communicate(self, input: str | None = None, timeout: float | None = None) -> tuple[str, str]:
        """The crawl's output once it has ended (it reads no input: its stdin is /dev/null)."""
        self.wait(timeout)
        self.server.forget(self.pid)  # the dispatcher's last look at it (stop() only waits)
        texts = []
        for path in (self.out, self.err):
            try:
                texts.append(path.read_text("utf-8", "replace"))
                path.unlink()
            except OSError:
                texts.append("")
        return texts[0], texts[1]

    def send_signal(self, sig: int) -> None:
        if self._code is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def _wait(self, timeout: float | None) -> int | None:
        if self._code is None:
            self._code = self.server.exit_code(self.pid, timeout)
        return self._code


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- the server process ------------------------------------------------------------------------


def serve() -> None:
    """The prefork server: import, say ready, then fork a child per request until stdin closes."""
    gc.disable()  # start-up makes long-lived objects only (see hrdwatch.__main__)
    import hrdwatch.cli  # noqa: F401  (the command line and everything a crawl imports at start)
    from hrdwatch.crawler import run as crawl_run
    from hrdwatch.detect.relevance import builtin_topics, compile_topics

    # The built-in topics' regular expressions compiled once: a crawl compiles its topics
    # again, and finds these in the `re` module's cache (80 ms less per crawl).
    compile_topics(builtin_topics())
    crawl_run.preload()  # Scrapy's crawl machinery; freezes the heap and turns the collector on
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda _signum, _frame: None)
    _say({"ready": os.getpid()})
    pending = b""
    open_stdin = True
    children: set[int] = set()
    while open_stdin or children:
        readable, _, _ = select.select([0, wake_read] if open_stdin else [wake_read], [], [], 5.0)
        if wake_read in readable:
            os.read(wake_read, 512)
        _reap(children)
        if 0 in readable:
            data = os.read(0, 65536)
            if not data:
                open_stdin = False  # the service stopped: end when the children have
                continue
            pending += data
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if line.strip():
                    request = json.loads(line)
                    pid = os.fork()
                    if pid == 0:
                        os.close(wake_read)
                        os.close(wake_write)
                        _child(request)  # never returns
                    children.add(pid)
                    _say({"id": request["id"], "pid": pid})


def _reap(children: set[int]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            children.clear()
            return
        if pid == 0:
            return
        children.discard(pid)
        _say({"pid": pid, "code": os.waitstatus_to_exitcode(status)})


def _child(request: dict[str, Any]) -> None:
    """A forked crawl: run ``hrdwatch ARGS`` as a new process would, then exit."""
    code = 1
    try:
        os.setsid()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        _redirect(0, os.devnull, os.O_RDONLY)
        _redirect(1, request["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        _redirect(2, request["err"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        from hrdwatch.cli import main

        main(args=request["args"], prog_name="hrdwatch")
        code = 0
    except SystemExit as exc:
        code = _exit_code(exc.code)
    except BaseException:  # noqa: BLE001 (the child never returns into the server's loop)
        traceback.print_exc()
    finally:
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)


def _exit_code(value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    sys.stderr.write(f"{value}\n")
    return 1


def _redirect(fd: int, path: str, flags: int) -> None:
    target = os.open(path, flags, 0o600)
    os.dup2(target, fd)
    os.close(target)


def _say(message: dict[str, Any]) -> None:
    os.write(1, (json.dumps(message) + "\n").encode())


if __name__ == "__main__":
    serve()
