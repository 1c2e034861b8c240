"""Diff: which sentences of a document were never seen before, and is this version sound?

Pure functions. A document is compared with *every* sentence ever seen for its source, not
just the previous snapshot, so text that disappears and comes back, reordering and
re-rendered markup are not new.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Container, Iterable, Mapping, Sequence
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


# A block's sentences as (text, canonical form, fingerprint), by the block's text: the
# versions of a document share most of their blocks, so one document's work on them is
# shared through this memo (a plain dict, made for one document and dropped after it).
UnitMemo = dict[str, tuple[tuple[str, str, int], ...]]


def _block_units(text: str, memo: UnitMemo | None) -> tuple[tuple[str, str, int], ...]:
    found = memo.get(text) if memo is not None else None
    if found is None:
        keyed = ((sentence, canonical(sentence)) for sentence in sentences(text))
        found = tuple((sentence, key, _fingerprint(key)) for sentence, key in keyed if key)
        if memo is not None:
            memo[text] = found
    return found


def units_of(blocks: Sequence[Block], memo: UnitMemo | None = None) -> list[Unit]:
    return [
        Unit(sentence, key, fingerprint, index)
        for index, block in enumerate(blocks)
        for sentence, key, fingerprint in _block_units(block.text, memo)
    ]


def content_hash(units: Iterable[Unit]) -> str:
    """Identity of a document's text as a *set* of sentences: order and noise do not count."""
    return digest_of(unit.fingerprint for unit in units)


def digest_of(fingerprints: Iterable[int]) -> str:
    """:func:`content_hash` from the sentences' fingerprints."""
    digest = hashlib.blake2b(digest_size=16)
    for fingerprint in sorted(set(fingerprints)):
        digest.update(fingerprint.to_bytes(8, "big", signed=True))
    return digest.hexdigest()


# --- fingerprints by block, kept between versions ------------------------------------------
#
# A block's sentences and their fingerprints depend on its text alone, so a block met in the
# last version need not be split and canonicalised again. Stored per document as records of
# an 8-byte digest of the block's text, a 2-byte count, and that many 8-byte fingerprints.

BlockPrints = list[tuple[bytes, tuple[int, ...]]]
_MAX_PRINTS_BYTES = 64 * 1024  # a page of thousands of blocks is simply not remembered


def block_digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()


def blocks_hash(digests: Iterable[bytes]) -> str:
    """Identity of a document's exact text, from its blocks' digests (in order)."""
    return hashlib.blake2b(b"".join(digests), digest_size=16).hexdigest()


def block_prints(
    blocks: Sequence[Block],
    known: Mapping[bytes, tuple[int, ...]],
    memo: UnitMemo | None = None,
    digests: Sequence[bytes] | None = None,
) -> BlockPrints:
    """Each block's digest and sentence fingerprints, taken from ``known`` where it has them.
    ``digests``: the blocks' :func:`block_digest`, when already worked out."""
    if digests is None:
        digests = [block_digest(block.text) for block in blocks]
    prints: BlockPrints = []
    for block, digest in zip(blocks, digests, strict=True):
        fingerprints = known.get(digest)
        if fingerprints is None:
            fingerprints = tuple(fingerprint for _text, _key, fingerprint in _block_units(block.text, memo))
        prints.append((digest, fingerprints))
    return prints


def encode_prints(prints: BlockPrints) -> bytes | None:
    out = bytearray()
    for digest, fingerprints in prints:
        if len(fingerprints) > 0xFFFF:
            return None
        out += digest + len(fingerprints).to_bytes(2, "big")
        out += struct.pack(f">{len(fingerprints)}q", *fingerprints)
    return bytes(out) if len(out) <= _MAX_PRINTS_BYTES else None


def decode_prints(data: bytes | None) -> dict[bytes, tuple[int, ...]]:
    """What :func:`encode_prints` stored; nothing for data that is missing or damaged."""
    known: dict[bytes, tuple[int, ...]] = {}
    if not data:
        return known
    view, at = memoryview(data), 0
    while at + 10 <= len(view):
        digest, count = bytes(view[at : at + 8]), int.from_bytes(view[at + 8 : at + 10], "big")
        at += 10
        end = at + 8 * count
        if end > len(view):
            return {}
        known[digest] = struct.unpack_from(f">{count}q", view, at)
        at = end
    return known if at == len(view) else {}


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


def fault(page: Page, sentence_count: int, previous_count: int | None) -> str | None:
    """Why this version must not be trusted as the document's content, or None if it is sound."""
    # Only "fewer than 3" and "fewer than 150" matter: the words of a prefix never outnumber
    # those of the whole, so the start of a long page is enough.
    words = content_words(page.text[:4000])
    if words < 150 and len(page.text) > 4000:
        words = content_words(page.text)
    if not sentence_count or words < 3:
        return "empty page: no text found"
    head = fold(page.title + " " + page.text[:400])
    if words < 150 and _MAINTENANCE.search(head):
        return "maintenance or error page served instead of the content"
    if words < 150 and _NOT_FOUND.search(fold(page.title + " " + page.text[:300])):
        return "'not found' page served instead of the content"
    if page.truncated:
        return "truncated page: the HTML ends before </body></html>"
    if previous_count and previous_count >= 8 and sentence_count < 0.4 * previous_count:
        return f"page lost most of its content ({previous_count} → {sentence_count} sentences)"
    return None
