"""A local HTTP test site on 127.0.0.1 whose pages can be changed between crawls."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Resource:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = True  # answer If-None-Match with 304
    delay: float = 0.0  # seconds before answering
    drip: float = 0.0  # seconds between body chunks (slow response)


def html(body: str, title: str = "Test page") -> Resource:
    page = f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body>{body}</body></html>"
    return Resource(page.encode("utf-8"))


class Site:
    """Paths → resources; every request is logged."""

    def __init__(self) -> None:
        self.pages: dict[str, Resource] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.times: dict[str, list[float]] = {}  # path → monotonic times of requests
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __setitem__(self, path: str, resource: Resource | str | bytes) -> None:
        if isinstance(resource, str):
            resource = Resource(resource.encode("utf-8"))
        elif isinstance(resource, bytes):
            resource = Resource(resource)
        with self._lock:
            self.pages[path] = resource

    def __delitem__(self, path: str) -> None:
        with self._lock:
            self.pages.pop(path, None)

    def url(self, path: str = "/") -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def hits(self, path: str) -> int:
        return sum(1 for _method, p, _h in self.requests if p == path)

    def start(self) -> Site:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                site.requests.append(("GET", self.path, dict(self.headers)))
                with site._lock:
                    resource = site.pages.get(self.path)
                    site.times.setdefault(self.path, []).append(time.monotonic())
                    site.in_flight[self.path] = site.in_flight.get(self.path, 0) + 1
                    site.max_in_flight[self.path] = max(site.max_in_flight.get(self.path, 0), site.in_flight[self.path])
                try:
                    self._get(resource)
                finally:
                    with site._lock:
                        site.in_flight[self.path] -= 1

            def _get(self, resource: Resource | None) -> None:
                if resource is None:
                    self._send(404, b"<html><body><h1>Not found</h1></body></html>", "text/html")
                    return
                if resource.delay:
                    time.sleep(resource.delay)
                tag = '"' + hashlib.sha1(resource.body).hexdigest() + '"'
                if resource.etag and resource.status == 200 and self.headers.get("If-None-Match") == tag:
                    self.send_response(304)
                    self.send_header("ETag", tag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                extra = dict(resource.headers)
                if resource.etag and resource.status == 200:
                    extra.setdefault("ETag", tag)
                self._send(resource.status, resource.body, resource.content_type, extra, resource.drip)

            def _send(
                self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None, drip: float = 0.0
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                if "Content-Length" not in (extra or {}):
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    if drip:
                        for i in range(0, len(body), 64):
                            self.wfile.write(body[i : i + 64])
                            self.wfile.flush()
                            time.sleep(drip)
                    else:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
