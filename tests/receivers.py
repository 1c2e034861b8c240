"""Real receivers on loopback: an SMTP server (aiosmtpd) and a webhook endpoint that checks signatures."""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import socket
import threading
import time
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpServer:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.messages: list[Message] = []
        self._controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
        return "250 Message accepted"

    def start(self) -> SmtpServer:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


class WebhookReceiver:
    """Answers with the scripted statuses in turn (then 200), records every request."""

    def __init__(self, secret: bytes | None = None) -> None:
        self.secret = secret
        self.script: list[int] = []
        self.delay = 0.0
        self.requests: list[dict[str, Any]] = []
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.script.pop(0) if receiver.script else 200
                signature_ok = None
                if receiver.secret is not None:
                    expected = "sha256=" + hmac.new(receiver.secret, body, hashlib.sha256).hexdigest()
                    signature_ok = hmac.compare_digest(expected, self.headers.get("X-Hrdwatch-Signature", ""))
                receiver.requests.append(
                    {
                        "status": status,
                        "headers": dict(self.headers),
                        "json": json.loads(body),
                        "signature_ok": signature_ok,
                    }
                )
                try:
                    self.send_response(status)
                    if status == 429:
                        self.send_header("Retry-After", "0")
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender was killed while waiting

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def delivered(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if 200 <= r["status"] < 300]
