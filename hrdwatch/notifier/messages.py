"""What an alert or a notice says: webhook JSON, email text and HTML. Pure, no I/O.

Everything that comes from a web page is escaped in HTML; the stable ``key`` of each item
(alert-12, notice-3) becomes the email Message-ID and the webhook Idempotency-Key, so a
receiver can drop a message that a crash made us send twice.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any


@dataclass(frozen=True)
class Item:
    key: str  # stable id: alert-<id> | notice-<id> | test-<stamp>
    subject: str
    text: str
    html: str
    payload: dict[str, Any]  # the webhook body


def alert_item(record: dict[str, Any], title: str | None = None) -> Item:
    """``record`` is the alert as `hrdwatch alerts --json` prints it."""
    terms = ", ".join(record["terms"])
    subject = f"[hrdwatch] {record['topic']}: new text on {record['source']}"
    heading = f"{title}\n" if title else ""
    text = (
        f"New text about {record['topic']} on {record['source']}.\n\n"
        f"{heading}{record['url']}\n\n"
        f"{record['excerpt']}\n\n"
        f"Why: matched {terms} (score {record['score']}).\n"
        f"Found: {record['detected_at']}\n"
        f"Alert id: {record['id']}\n"
    )
    body = (
        f"<p>New text about <b>{html.escape(record['topic'])}</b> on <b>{html.escape(record['source'])}</b>.</p>"
        + (f"<p>{html.escape(title)}</p>" if title else "")
        + f'<p><a href="{html.escape(record["url"], quote=True)}">{html.escape(record["url"])}</a></p>'
        + f'<blockquote style="border-left:3px solid #c00;padding-left:8px">{highlight(record["excerpt"], record["terms"])}</blockquote>'
        + f"<p>Why: matched {html.escape(terms)} (score {record['score']}).<br>"
        + f"Found: {html.escape(record['detected_at'])}<br>Alert id: {record['id']}</p>"
    )
    return Item(f"alert-{record['id']}", subject, text, body, record)


def notice_item(notice_id: int, source_id: str, kind: str, message: str, created_at: str) -> Item:
    subject = f"[hrdwatch] source {source_id} {kind}"
    text = f"{message}\n\nSource: {source_id}\nWhen: {created_at}\n"
    body = f"<p>{html.escape(message)}</p><p>Source: {html.escape(source_id)}<br>When: {html.escape(created_at)}</p>"
    payload = {
        "id": f"notice-{notice_id}",
        "type": f"source-{kind}",
        "source": source_id,
        "message": message,
        "detected_at": created_at,
    }
    return Item(f"notice-{notice_id}", subject, text, body, payload)


def highlight(excerpt: str, terms: Sequence[str]) -> str:
    """The excerpt, HTML-escaped, with the matched terms marked."""
    escaped = html.escape(excerpt)
    words = sorted({html.escape(t) for t in terms if t.strip()}, key=len, reverse=True)
    if words:
        pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
        escaped = pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", escaped)
    return escaped.replace("\n", "<br>")


def email_message(items: Sequence[Item], sender: str, to: Sequence[str]) -> EmailMessage:
    """One message for one item, or a digest for several; Message-ID derived from the items."""
    domain = sender.rpartition("@")[2] or "hrdwatch.invalid"
    message = EmailMessage()
    if len(items) == 1:
        item = items[0]
        message["Subject"] = item.subject
        ident = item.key
        text, body = item.text, item.html
    else:
        message["Subject"] = f"[hrdwatch] {len(items)} new items"
        digest = hashlib.sha256("|".join(i.key for i in items).encode()).hexdigest()[:16]
        ident = f"digest-{digest}"
        text = "\n\n----\n\n".join(i.text for i in items)
        body = "<hr>".join(i.html for i in items)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = f"<hrdwatch-{ident}@{domain}>"
    message["X-Hrdwatch-Id"] = ident
    message.set_content(text)
    message.add_alternative(f"<!doctype html><html><body>{body}</body></html>", subtype="html")
    return message
