"""Channels that carry items out: email (SMTP), webhooks, and any Apprise URL.

Every channel raises :class:`DeliveryError` on failure, saying whether trying again can help.
Secrets come from the environment only and never appear in errors.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Sequence
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from hrdwatch.config import ConfigError, EmailSettings, NotifySettings, WebhookSettings
from hrdwatch.notifier.messages import Item, email_message


class DeliveryError(Exception):
    def __init__(self, message: str, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class Channel(ABC):
    key: str
    batch = False  # True: takes all of a crawl's items in one send (an email digest)

    @abstractmethod
    def send(self, items: Sequence[Item]) -> None: ...

    def describe(self) -> str:
        return self.key


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:10]


class EmailChannel(Channel):
    def __init__(self, settings: EmailSettings) -> None:
        self.settings = settings
        self.key = "email"
        self.batch = settings.digest
        parts = urlsplit(settings.smtp)
        self.secure = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.secure else 587)

    def describe(self) -> str:
        return f"email to {', '.join(self.settings.to)} via {self.host}:{self.port}"

    def send(self, items: Sequence[Item]) -> None:
        message = email_message(items, self.settings.from_, self.settings.to)
        user = os.environ.get(self.settings.user_env)
        password = os.environ.get(self.settings.password_env)
        try:
            if self.secure:
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.settings.timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.settings.timeout)
            with client:
                client.ehlo()
                if not self.secure and client.has_extn("starttls"):
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
                if user and password:
                    client.login(user, password)
                client.send_message(message)
        except smtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.smtp_code < 600
            raise DeliveryError(f"SMTP server answered {exc.smtp_code}", retryable=not permanent) from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _msg in exc.recipients.values()]
            raise DeliveryError(f"SMTP server refused the recipients ({codes})", retryable=False) from None
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise DeliveryError(f"cannot send mail via {self.host}:{self.port}: {type(exc).__name__}", True) from None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class WebhookChannel(Channel):
    def __init__(self, settings: WebhookSettings) -> None:
        self.settings = settings
        self.key = f"webhook:{_short_hash(settings.url)}"
        self.secret: bytes | None = None
        if settings.secret_env:
            value = os.environ.get(settings.secret_env)
            if not value:
                raise ConfigError(
                    f"notify.webhooks ({settings.url}): secret_env names {settings.secret_env}, which is not set"
                )
            self.secret = value.encode()
        self._opener = urllib.request.build_opener(_NoRedirect)

    def describe(self) -> str:
        return f"webhook {self.settings.url}"

    def send(self, items: Sequence[Item]) -> None:
        for item in items:
            self._post(item)

    def _post(self, item: Item) -> None:
        body = json.dumps(item.payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "hrdwatch-notifier",
            "Idempotency-Key": f"{item.key.removeprefix('alert-')}-{self.key}",
            "X-Hrdwatch-Timestamp": str(int(time.time())),
        }
        if self.secret is not None:
            digest = hmac.new(self.secret, body, hashlib.sha256).hexdigest()
            headers["X-Hrdwatch-Signature"] = f"sha256={digest}"
        request = urllib.request.Request(self.settings.url, data=body, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.settings.timeout) as response:
                response.read(65536)
        except urllib.error.HTTPError as exc:
            status = exc.code
            if status == 429 or status == 408 or status >= 500:
                raise DeliveryError(f"webhook answered HTTP {status}", True, _retry_after(exc)) from None
            raise DeliveryError(f"webhook answered HTTP {status}", retryable=False) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(f"webhook unreachable: {type(reason).__name__}: {reason}", True) from None


def _retry_after(error: urllib.error.HTTPError) -> float | None:
    value = error.headers.get("Retry-After") if error.headers else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class AppriseChannel(Channel):
    def __init__(self, url: str) -> None:
        try:
            import apprise
        except ImportError:
            raise ConfigError("notify.apprise needs the apprise package: pip install 'hrdwatch[apprise]'") from None
        self.key = f"apprise:{_short_hash(url)}"
        self._apprise = apprise.Apprise()
        if not self._apprise.add(url):
            raise ConfigError(f"notify.apprise: {url.split('://')[0]}:// is not a URL Apprise understands")
        self._scheme = url.split("://")[0]

    def describe(self) -> str:
        return f"apprise {self._scheme}://…"

    def send(self, items: Sequence[Item]) -> None:
        for item in items:
            if not self._apprise.notify(body=item.text, title=item.subject):
                raise DeliveryError(f"apprise could not deliver to {self._scheme}://", retryable=True)


def build_channels(settings: NotifySettings) -> list[Channel]:
    channels: list[Channel] = []
    if settings.email is not None:
        channels.append(EmailChannel(settings.email))
    channels.extend(WebhookChannel(webhook) for webhook in settings.webhooks)
    channels.extend(AppriseChannel(url) for url in settings.apprise)
    return channels


def channel_keys(settings: NotifySettings) -> tuple[str, ...]:
    """The outbox channel names for a configuration, without building the channels."""
    keys: list[str] = []
    if settings.email is not None:
        keys.append("email")
    keys.extend(f"webhook:{_short_hash(w.url)}" for w in settings.webhooks)
    keys.extend(f"apprise:{_short_hash(url)}" for url in settings.apprise)
    return tuple(keys)
