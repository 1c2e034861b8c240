"""Diff: which sentences of a document were never seen before, and is this version sound?

Pure functions. A document is compared with *every* sentence ever seen for its source, not
just the previous snapshot, so text that disappears and comes back, reordering and
re-rendered markup are not new.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass

from hrdwatch.detect.extract import Block, Page
from hrdwatch.detect.text import canonical, content_words, fold, sentences


@dataclass(frozen=True)
class Unit:
    """A sentence of a document, with the block it stands in."""

    text: str
    key: str  # canonical form
    fingerprint: int
    block: int


def _fingerprint(key: str) -> int:
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def units_of(blocks: Sequence[Block]) -> list[Unit]:
    units: list[Unit] = []
    for index, block in enumerate(blocks):
        for sentence in sentences(block.text):
            key = canonical(sentence)
            if key:
                units.append(Unit(sentence, key, _fingerprint(key), index))
    return units


def content_hash(units: Iterable[Unit]) -> str:
    """Identity of a document's text as a *set* of sentences: order and noise do not count."""
    digest = hashlib.blake2b(digest_size=16)
    for fingerprint in sorted({unit.fingerprint for unit in units}):
        digest.update(fingerprint.to_bytes(8, "big", signed=True))
    return digest.hexdigest()


def shape(key: str) -> str:
    """A canonical form with every number masked: what a date stamp or counter keeps."""
    return _DIGITS.sub("#", key)


def shapes(units: Iterable[Unit]) -> set[str]:
    return {shape(unit.key) for unit in units}


def new_units(units: Sequence[Unit], seen: Container[int], previous: Sequence[str] = ()) -> list[Unit]:
    """Units never seen for this source. A unit that is only the start of a sentence seen in
    the previous version (a page cut off mid-sentence) is not new."""
    fresh: list[Unit] = []
    taken: set[int] = set()
    for unit in units:
        if unit.fingerprint in seen or unit.fingerprint in taken:
            continue
        if len(unit.key) >= 20 and any(old != unit.key and old.startswith(unit.key) for old in previous):
            continue
        taken.add(unit.fingerprint)
        fresh.append(unit)
    return fresh


_DIGITS = re.compile(r"\d+")
_MAINTENANCE = re.compile(
    r"maintenance|temporarily unavailable|temporarily down|be back soon|be right back|under construction|"
    r"service unavailable|site is down|mirembajtje|perkohesisht jashte|nuk eshte i disponueshem|"
    r"en maintenance|maintenance en cours|temporairement indisponible|bad gateway|gateway time-?out|"
    r"internal server error|too many requests|captcha|are you a robot|"
    r"checking your browser|enable javascript and cookies"
)
_NOT_FOUND = re.compile(
    r"\b404\b|not found|page (?:does not|doesn't) exist|nuk u gjet|nuk ekziston|faqja nuk|introuvable|"
    r"n'existe pas|n existe pas|page non trouvee"
)


def fault(page: Page, units: Sequence[Unit], previous_count: int | None) -> str | None:
    """Why this version must not be trusted as the document's content, or None if it is sound."""
    words = content_words(page.text)
    if not units or words < 3:
        return "empty page: no text found"
    head = fold(page.title + " " + page.text[:400])
    if words < 150 and _MAINTENANCE.search(head):
        return "maintenance or error page served instead of the content"
    if words < 150 and _NOT_FOUND.search(fold(page.title + " " + page.text[:300])):
        return "'not found' page served instead of the content"
    if page.truncated:
        return "truncated page: the HTML ends before </body></html>"
    if previous_count and previous_count >= 8 and len(units) < 0.4 * previous_count:
        return f"page lost most of its content ({previous_count} → {len(units)} sentences)"
    return None
