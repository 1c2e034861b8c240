"""The benchmark site: N pages, each on its own loopback host 127.0.x.y, served by asyncio.

The servers run in separate processes (``procs`` of them, each serving every procs-th
page), so the measured client's CPU accounting stays clean and the site is not the
bottleneck: every response is pre-rendered bytes (optionally pre-gzipped), the HTTP/1.1
handling is a minimal keep-alive parser, and a process re-renders its pages only when the
controller asks, between cycles.

Conditional requests: a strong ETag (per encoding) and Last-Modified (the moment the body
last changed); If-None-Match takes precedence over If-Modified-Since (RFC 9110 13.2.2).
``/robots.txt`` answers 404. Only loopback addresses are ever bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import functools
import gzip
import hashlib
import multiprocessing
import multiprocessing.connection
import resource
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from benchmarks.sitegen import MAX_NEWS, PageTemplate, build_page, page_meta, render

_COUNTERS = ("requests", "pages_200", "pages_304", "robots", "not_found", "connections", "bytes_sent")


def address(index: int) -> str:
    """The loopback host of page ``index``: 127.0.1.1, 127.0.1.2, … (250 hosts per /24)."""
    host = f"127.0.{1 + index // 250}.{1 + index % 250}"
    assert host.startswith("127."), host
    return host


@dataclass
class _Page:
    template: PageTemplate
    path: bytes = b""
    sha: str = ""
    last_modified: float = 0.0
    last_modified_http: str = ""
    body: bytes = b""
    body_gz: bytes = b""
    etag: str = ""
    etag_gz: str = ""


@dataclass
class _Site:
    seed: int
    gzip: bool
    pages: dict[int, _Page] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_COUNTERS, 0))
    hit: set[int] = field(default_factory=set)
    cpu_at_reset: float = 0.0  # the server process's CPU time when the counters were reset
    _ims_cache: dict[str, float] = field(default_factory=dict)
    _date: tuple[int, str] = (0, "")

    def render(self, noise: int, news: dict[int, int], stamp: float) -> dict[str, int]:
        changed = total = 0
        sizes: list[int] = []
        for index, page in self.pages.items():
            body = render(page.template, self.seed, noise, min(news.get(index, 0), MAX_NEWS))
            sha = hashlib.sha1(body).hexdigest()
            sizes.append(len(body))
            total += len(body)
            if sha == page.sha:
                continue
            changed += 1
            page.sha, page.body = sha, body
            page.etag = f'"{sha[:20]}"'
            if self.gzip:
                page.body_gz = gzip.compress(body, 6, mtime=0)
                page.etag_gz = f'"{sha[:20]}-gz"'
            page.last_modified = float(int(stamp) + 1)  # rounded up: strictly after any earlier fetch
            page.last_modified_http = email.utils.formatdate(page.last_modified, usegmt=True)
        return {"pages": len(self.pages), "changed": changed, "bytes": total, "min": min(sizes), "max": max(sizes)}

    def date(self) -> str:
        now = int(time.time())
        if self._date[0] != now:
            self._date = (now, email.utils.formatdate(now, usegmt=True))
        return self._date[1]

    def _ims(self, value: str) -> float | None:
        parsed = self._ims_cache.get(value)
        if parsed is None:
            try:
                parsed = email.utils.parsedate_to_datetime(value).timestamp()
            except (TypeError, ValueError, IndexError):
                return None
            if len(self._ims_cache) < 100_000:
                self._ims_cache[value] = parsed
        return parsed

    def respond(self, index: int, method: str, target: str, headers: dict[str, str], keep: bool) -> bytes:
        counters = self.counters
        counters["requests"] += 1
        path = target.split("?", 1)[0]
        conn = "keep-alive" if keep else "close"
        page = self.pages[index]
        if path == "/robots.txt":
            counters["robots"] += 1
            return self._small(404, "Not Found", b"Not found\n", conn)
        if path.encode("latin-1", "replace") != page.path or method not in ("GET", "HEAD"):
            counters["not_found"] += 1
            return self._small(404, "Not Found", b"<html><body><h1>Not found</h1></body></html>", conn)
        self.hit.add(index)
        gz = self.gzip and "gzip" in headers.get("accept-encoding", "")
        etag = page.etag_gz if gz else page.etag
        inm = headers.get("if-none-match")
        if inm is not None:
            tags = [tag.strip().removeprefix("W/") for tag in inm.split(",")]
            not_modified = etag in tags or "*" in tags
        else:
            ims = headers.get("if-modified-since")
            stamp = self._ims(ims) if ims else None
            not_modified = stamp is not None and page.last_modified <= stamp
        common = (
            f"ETag: {etag}\r\nLast-Modified: {page.last_modified_http}\r\nCache-Control: no-cache\r\n"
            f"Vary: Accept-Encoding\r\nDate: {self.date()}\r\nServer: hrdwatch-bench\r\nConnection: {conn}\r\n"
        )
        if not_modified:
            counters["pages_304"] += 1
            return f"HTTP/1.1 304 Not Modified\r\n{common}\r\n".encode("latin-1")
        counters["pages_200"] += 1
        body = page.body_gz if gz else page.body
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
            f"{'Content-Encoding: gzip' + chr(13) + chr(10) if gz else ''}{common}\r\n"
        ).encode("latin-1")
        if method == "HEAD":
            return head
        counters["bytes_sent"] += len(body)
        return head + body

    def _small(self, status: int, reason: str, body: bytes, conn: str) -> bytes:
        return (
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/html\r\nContent-Length: {len(body)}\r\n"
            f"Date: {self.date()}\r\nConnection: {conn}\r\n\r\n"
        ).encode("latin-1") + body


class _Http(asyncio.Protocol):
    """Minimal HTTP/1.1: GET/HEAD, keep-alive, pipelining; request bodies are skipped."""

    def __init__(self, site: _Site, index: int) -> None:
        self.site = site
        self.index = index
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.site.counters["connections"] += 1

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > 65536:
                    self.transport.close()
                return
            head = self.buffer[:end].decode("latin-1")
            self.buffer = self.buffer[end + 4 :]
            lines = head.split("\r\n")
            try:
                method, target, version = lines[0].split(" ", 2)
            except ValueError:
                self.transport.close()
                return
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0") or 0)
            self.buffer = self.buffer[length:]
            connection = headers.get("connection", "").lower()
            keep = connection != "close" and (version == "HTTP/1.1" or connection == "keep-alive")
            self.transport.write(self.site.respond(self.index, method, target, headers, keep))
            if not keep:
                self.transport.close()
                return


def _serve(
    conn: multiprocessing.connection.Connection, seed: int, indices: list[int], port: int, use_gzip: bool
) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    site = _Site(seed=seed, gzip=use_gzip)
    for index in indices:
        template = build_page(seed, index)
        site.pages[index] = _Page(template, path=template.path.encode("latin-1"))
    site.render(0, {}, time.time())
    loop = asyncio.new_event_loop()
    servers: list[asyncio.AbstractServer] = []

    async def start() -> None:
        for index in indices:
            servers.append(
                await loop.create_server(
                    functools.partial(_Http, site, index), address(index), port, reuse_address=True, backlog=256
                )
            )

    try:
        loop.run_until_complete(start())
    except OSError as exc:
        conn.send(("error", f"cannot listen: {exc}"))
        return

    def on_command() -> None:
        try:
            command, *args = conn.recv()
        except EOFError:
            loop.stop()
            return
        if command == "render":
            conn.send(("ok", site.render(*args)))
        elif command == "reset":
            site.counters = dict.fromkeys(_COUNTERS, 0)
            site.hit = set()
            site.cpu_at_reset = time.process_time()
            conn.send(("ok", None))
        elif command == "stats":
            cpu_ms = round(1000 * (time.process_time() - site.cpu_at_reset))
            conn.send(("ok", {**site.counters, "pages_hit": len(site.hit), "cpu_ms": cpu_ms}))
        elif command == "stop":
            conn.send(("ok", None))
            loop.stop()

    loop.add_reader(conn.fileno(), on_command)
    conn.send(("ready", len(indices)))
    try:
        loop.run_forever()
    finally:
        for server in servers:
            server.close()
        loop.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((address(0), 0))
        return int(probe.getsockname()[1])


class SiteServer:
    """Controller of the server processes: start, re-render a cycle, reset and read counters, stop."""

    def __init__(self, n: int, seed: int, procs: int = 1, use_gzip: bool = True, port: int = 0) -> None:
        self.n, self.seed, self.procs, self.use_gzip = n, seed, max(1, min(procs, n)), use_gzip
        self.port = port
        self._children: list[tuple[Any, multiprocessing.connection.Connection]] = []

    def url(self, index: int) -> str:
        return f"http://{address(index)}:{self.port}{page_meta(self.seed, index)[2]}"

    def start(self, timeout: float = 600.0) -> None:
        if not self.port:
            self.port = _free_port()
        ctx = multiprocessing.get_context("fork")
        for k in range(self.procs):
            parent, child = ctx.Pipe()
            indices = list(range(k, self.n, self.procs))
            proc = ctx.Process(target=_serve, args=(child, self.seed, indices, self.port, self.use_gzip), daemon=True)
            proc.start()
            self._children.append((proc, parent))
        for _proc, parent in self._children:
            if not parent.poll(timeout):
                raise RuntimeError("the benchmark site did not start in time")
            status, detail = parent.recv()
            if status != "ready":
                self.stop()
                raise RuntimeError(f"the benchmark site did not start: {detail}")

    def _all(self, *command: Any, timeout: float = 600.0) -> list[Any]:
        for _proc, parent in self._children:
            parent.send(command)
        answers = []
        for _proc, parent in self._children:
            if not parent.poll(timeout):
                raise RuntimeError(f"the benchmark site did not answer {command[0]!r}")
            status, value = parent.recv()
            if status != "ok":
                raise RuntimeError(f"the benchmark site failed {command[0]!r}: {value}")
            answers.append(value)
        return answers

    def render(self, noise: int, news: dict[int, int]) -> dict[str, int]:
        """Re-render every page (fresh noise version ``noise``; ``news[i]`` extra paragraphs on page i)."""
        parts = self._all("render", noise, news, time.time())
        return {
            "pages": sum(p["pages"] for p in parts),
            "changed": sum(p["changed"] for p in parts),
            "bytes": sum(p["bytes"] for p in parts),
            "min": min(p["min"] for p in parts),
            "max": max(p["max"] for p in parts),
        }

    def reset(self) -> None:
        self._all("reset")

    def stats(self) -> dict[str, int]:
        merged: dict[str, int] = {}
        for part in self._all("stats"):
            for key, value in part.items():
                merged[key] = merged.get(key, 0) + value
        return merged

    def stop(self) -> None:
        for proc, parent in self._children:
            with contextlib.suppress(BrokenPipeError, OSError):
                parent.send(("stop",))
            proc.join(5)
            if proc.is_alive():
                proc.terminate()
                proc.join(5)
        self._children = []

    def __enter__(self) -> SiteServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
