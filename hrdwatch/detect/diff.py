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
from datetime import datetime
from difflib import SequenceMatcher
from functools import lru_cache
from itertools import pairwise
from urllib.parse import parse_qsl, urlsplit

from hrdwatch.detect.extract import Block, Page
from hrdwatch.detect.text import canonical, content_words, fold, same_dates, sentences


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
    """A canonical form with every number, and every word holding a digit, masked: what a
    date stamp, a counter or a short session id ("ID e sesionit: d40b77") keeps."""
    return _WITH_DIGITS.sub("#", key)


def shapes(units: Iterable[Unit]) -> set[str]:
    return {shape(unit.key) for unit in units}


# A sentence split in two starts its second half with a pronoun: "…and decided to prepare a
# report" → "… . It decided to prepare a report".
_PRONOUNS = frozenset("it they he she this these elle il ils elles ajo ai ata ato kjo ky".split())


def _without_pronoun(key: str) -> str:
    first, _, rest = key.partition(" ")
    return rest if first in _PRONOUNS and rest else key


def new_units(units: Sequence[Unit], seen: Container[int], previous: Sequence[str] = ()) -> list[Unit]:
    """Units never seen for this source. A unit whose words all stand, in that order, in a
    sentence of the previous version is not new either: the start of a sentence (a page cut
    off mid-sentence), a sentence that a menu or heading was glued to before the site's
    markup changed ("Kronologji 13 prill 2018: Kuvendi …" → "13 prill 2018: Kuvendi …"), or
    the second half of a sentence split in two, but for its pronoun ("Elle a décidé …"). Nor
    is a unit that joins two or three consecutive sentences of the previous version: a
    definition list or a date and its entry redrawn as one table row ("13 avril 2018 | Table
    ronde …")."""
    fresh: list[Unit] = []
    taken: set[int] = set()
    wrapped = [f" {old} " for old in previous]
    joined = {" ".join(previous[i : i + n]) for n in (2, 3) for i in range(len(previous) - n + 1)}
    for unit in units:
        if unit.fingerprint in seen or unit.fingerprint in taken:
            continue
        if len(unit.key) >= 20 and any(f" {_without_pronoun(unit.key)} " in old for old in wrapped):
            continue
        if unit.key in joined:
            continue
        taken.add(unit.fingerprint)
        fresh.append(unit)
    return fresh


def without_joins(fresh: Sequence[Unit], before: Sequence[str]) -> list[Unit]:
    """The fresh units that do not join the last sentence of a block of the previous version
    (``before``: its blocks' texts) to the first of the next one: a date that stood alone in
    a definition list, too short to be a sentence of its own, now at the head of its entry's
    table row ("13 avril 2018" + "Table ronde …" → "13 avril 2018 | Table ronde …")."""
    if not fresh:
        return list(fresh)
    joined: set[str] = set()
    for first, second in pairwise(before):
        head, tail = sentences(first), sentences(second)
        if head and tail:
            joined.add(canonical(f"{head[-1]} {tail[0]}"))
    return [unit for unit in fresh if unit.key not in joined]


# --- rewordings that carry nothing new ------------------------------------------------------

_MAX_PAIRS = 50_000  # fresh × gone sentences compared; beyond that the page was rewritten


def _one_keystroke(a: str, b: str) -> bool:
    """``b`` is ``a`` with one letter added, dropped, mistyped or two swapped."""
    if len(a) > len(b):
        a, b = b, a
    if len(b) - len(a) > 1:
        return False
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    return a[i + 1 :] == b[i + 1 :] or (
        i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    )


def _typo(a: str, b: str) -> bool:
    """Two spellings of one word: one keystroke apart, no digits (a changed number is news),
    and not a short word, whose one letter can change its meaning ("held"/"hold", "now"/"not")."""
    if any(char.isdigit() for char in a + b) or min(len(a), len(b)) < 4:
        return False
    if len(a) == len(b) and len(a) < 6:
        return False
    return _one_keystroke(a, b)


def same_information(key: str, other: str) -> bool:
    """Do two canonical sentences say the same thing in the same words: up to the way their
    dates are written (13 April 2018 / 13.04.2018), a word split or joined ("round table"),
    at most two typos fixed, or the same words in another order (:func:`_reordered`)? A word
    added, dropped or changed is a change."""
    words, others = same_dates(key).split(), same_dates(other).split()
    if words == others or _reordered(words, others):
        return True
    if abs(len(words) - len(others)) > 2 or len(set(words) & set(others)) < 0.6 * max(len(words), len(others)):
        return False
    typos = 0
    for op, i1, i2, j1, j2 in SequenceMatcher(None, words, others, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        left, right = words[i1:i2], others[j1:j2]
        if "".join(left) == "".join(right):
            continue
        if len(left) == len(right) and all(_typo(a, b) for a, b in zip(left, right, strict=True)):
            typos += len(left)
            continue
        if _doubled(words, i1, i2) or _doubled(others, j1, j2):  # "the the" → "the", a typo too
            typos += 1
            continue
        return False
    return typos <= 2


def _doubled(words: Sequence[str], start: int, end: int) -> bool:
    """Is words[start:end] (only on one side of a difference) one word that repeats its neighbour?"""
    return end - start == 1 and (
        (start > 0 and words[start - 1] == words[start]) or (end < len(words) and words[end] == words[start])
    )


# What a sentence says beyond its longer words: its numbers and dates, counts and ranks
# written as words, negation, and whether it speaks of a plan or an expectation.
_MEANING_WORDS = frozenset(
    """
    not no never none nor without nuk s jo asnje kurre pa pas non jamais aucun aucune sans ni
    one two three four five six seven eight nine ten first second third once twice
    nje dy tre kater pese gjashte shtate tete nente dhjete pare dyte trete
    un une deux trois quatre cinq sept huit neuf dix premier premiere deuxieme troisieme
    will shall would may might could should do sera seront devrait pourrait
""".split()
)
_LONG_WORD = re.compile(r"^[^\W\d_]{5,}$")


def _reordered(words: list[str], others: list[str]) -> bool:
    """The same sentence in another order or voice ("The Committee approved the draft law in
    February 2027" / "The draft law was approved by the Committee in February 2027"): the
    same longer words (their first four letters, which take in Albanian and French endings,
    "caktoi"/"caktua"), four or more of them, and exactly the same numbers, dates, counts,
    negations and words of a plan or a possibility. Short connecting words may change."""
    mine = _meaning(" ".join(words))
    return len(mine[0]) >= 4 and mine == _meaning(" ".join(others))


@lru_cache(maxsize=4096)  # a document's fresh and gone sentences are each compared many times
def _meaning(key: str) -> tuple[frozenset[str], tuple[str, ...], bool]:
    words = key.split()
    stems = frozenset(word[:4] for word in words if _LONG_WORD.match(word) and word not in _MEANING_WORDS)
    kept = tuple(sorted(word for word in words if word in _MEANING_WORDS or any(c.isdigit() for c in word)))
    return stems, kept, _PLANNED.search(key) is not None


def without_rewordings(fresh: Sequence[Unit], gone: Sequence[str]) -> list[Unit]:
    """The fresh units that are not a sentence which left the document, only reworded in a
    way that adds nothing (:func:`same_information`): a typo fixed, a date reformatted."""
    if not gone or len(fresh) * len(gone) > _MAX_PAIRS:
        return list(fresh)
    return [unit for unit in fresh if not any(same_information(unit.key, old) for old in gone)]


# --- restatements: old facts in new words ----------------------------------------------------

_DATE_TOKEN = re.compile(r"\bd(\d{6}(?:\d{2})?)\b|\b((?:19|20)\d\d)\b")  # same_dates' d20190303, d201903; 2019
_NUMBER_TOKEN = re.compile(r"\b\d+\b")
_STEM = re.compile(r"[^\W\d_]{5,}")
# Words that make a sentence news whatever else it repeats: "now", "update".
_NOW = frozenset(
    "now today tonight yesterday tomorrow currently update updated tani sot sonte dje neser aktualisht "
    "perditesim perditesuar aujourd hier demain actuellement desormais maintenant".split()
)
# The words of a plan, an expectation or work under way: a later sentence in the same words
# may report it done ("is drafting the law" → "drafted the law").
_PLANNED = re.compile(
    r"\b(?:will|shall|would|plan\w*|expect\w*|intend\w*|propos\w*|aim\w*|ongoing|underway|pending|"
    r"(?:is|are|was|were|being) \w+ing|"
    r"do|po|pritet|planifik\w*|synon|parashikohet|"
    r"sera|seront|devrait|devraient|prevu\w*|envisag\w*|en cours|en train)\b"
)
RESTATED_SHARE = 0.7  # of a dated sentence's words that the page had already
# What an old item published again says of itself: "From the archive", "Nga arkivi",
# "Republication", "de nouveau accessible dans nos archives".
_REPUBLISHED = re.compile(
    r"\b(?:from (?:the|our) archives?|nga arkiv\w*|ne arkiv\w* tone|republish\w*|re publish\w*|republication|"
    r"republie\w*|ripublik\w*|de nouveau (?:accessible|en ligne)|dans nos archives)\b|"
    # A title in an archive series: "Archives : l'Albanie adopte une résolution (mars 2019)",
    # "Archive: …", "Arkiva: …" (folded: the colon stays).
    r"\b(?:archives?|arkiv[ai]?) ?:"
)


_WORDS = re.compile(r"\w+")
# How a feed or a teaser says that its text is cut: "…", "...", "[…]", "[...]", "(…)".
_CUT = re.compile(r"(?:\s*[\[(]?\s*(?:…|\.{3})\s*[\])]?)\s*$")


def recut(before: Sequence[str], after: Sequence[str]) -> bool:
    """Is one of these texts the other cut at another point? A feed that now shows more (or
    less) of each entry ("… [...]" instead of "…") shows the articles it showed before, not
    news: the shorter text ends in a cut mark, and the longer one starts with it. An update
    put at the head of an article, or text that replaces what was there, is no re-cut."""
    if not before or not after:
        return False
    short, long = (before, after) if len(" ".join(before)) <= len(" ".join(after)) else (after, before)
    if _CUT.search(short[-1]) is None:
        return False
    shown = _plain(" ".join([*short[:-1], _CUT.sub("", short[-1])]))
    whole = _plain(" ".join(long))
    return bool(shown) and len(whole) > len(shown) and whole.startswith(shown)


def _plain(text: str) -> str:
    """Folded words and numbers, one space apart (not :func:`canonical`, which masks a
    sentence's dates by what the sentence says)."""
    return " ".join(_WORDS.findall(fold(text)))


UPDATE_SHARE = 0.6  # of a fresh sentence's longer words that one sentence which left had


def updates(fresh: Sequence[Unit], gone: Sequence[str]) -> set[int]:
    """Fingerprints of the fresh sentences that edit a sentence which left the document: four
    or more longer words (dates aside), at least UPDATE_SHARE of them from one sentence that
    is gone. What the page said is brought up to date ("The working group is to meet in
    June" → "The working group met on 18 June"): judged as an edit, never as a restatement,
    and with the page's own subject as its subject."""
    if not gone:
        return set()
    old = [_stems(same_dates(key)) for key in gone]
    found: set[int] = set()
    for unit in fresh:
        mine = _stems(same_dates(unit.key))
        if len(mine) >= 4 and any(len(mine & stems) >= UPDATE_SHARE * len(mine) for stems in old):
            found.add(unit.fingerprint)
    return found


def republished(text: str) -> bool:
    """Does a title or sentence present an old item published again (from the archive)?"""
    return _REPUBLISHED.search(fold(text)) is not None


# What a retrospective says of itself, at the head of its paragraph, its section or its
# document: "In short:", "Background", "Looking back", "Eight years ago", "Kujtesë:",
# "Shpjegues:", "Në përmbledhje", "Il y a huit ans", "Pour rappel", "Repères". (Folded.)
_RETROSPECTIVE = re.compile(
    r"^\W*(?:in short|in brief|in a nutshell|background|looking back|recap|reminder|explainer|at a glance|"
    r"key facts|(?:\w+ )?years? (?:ago|on)|(?:\w+ )?anniversary|"
    r"ne permbledhje|shkurtimisht|sfondi|kujtese|shpjegues\w*|perkujtim\w*|pervjetor\w*|(?:\w+ )?vjet me pare|"
    r"en bref|en resume|pour rappel|rappel|contexte|il y a \w+ ans|retour sur|(?:\w+ )?anniversaire|decryptage|"
    r"reperes)\b"
)


def retrospective(fresh: Sequence[Unit], blocks: Sequence[Block], title: str, now: datetime) -> set[int]:
    """Fingerprints of the fresh sentences of a retrospective that tell only the past: in a
    paragraph or section that presents itself as one ("In short:", "Eight years ago", "Pour
    rappel"), or in a document whose title does ("Il y a huit ans : la table ronde…"), the
    sentences with no word of now, no date of this year or the last, no date without its year
    and no other figure. A recap, a background box or an anniversary piece repeats what was;
    a step it reports with its recent date is still news."""
    whole = _RETROSPECTIVE.match(fold(title)) is not None
    found: set[int] = set()
    for unit in fresh:
        block = blocks[unit.block]
        if not (whole or any(_RETROSPECTIVE.match(fold(text)) for text in (block.text, block.heading) if text)):
            continue
        key = same_dates(unit.key)
        years = [int(date[:4]) for date in _dates_of(key)]
        if any(year >= now.year - 1 for year in years) or _NUMBER_TOKEN.search(_DATE_TOKEN.sub(" ", key)):
            continue  # a recent date, a date without its year ("closes on 15 December"), a figure
        if _NOW.isdisjoint(_WORDS.findall(_TO_DATE.sub(" ", fold(unit.text)))):  # "to date" is no news
            found.add(unit.fingerprint)
    return found


# "Until today", "to date": how a retrospective says that nothing followed, not news of today.
_TO_DATE = re.compile(
    r"\b(?:deri (?:me|ne) sot|deri tani|until today|up to (?:today|now)|until now|jusqu ?a (?:aujourd ?hui|present|maintenant))\b"
)


def _dates_of(key: str) -> list[str]:
    return [full or year for full, year in _DATE_TOKEN.findall(key)]


def _stems(key: str) -> set[str]:
    return {word[:5] for word in _STEM.findall(key)}


def _facts_known(key: str, dates: Sequence[str], old_dates: set[str], old_numbers: set[str]) -> bool:
    """Are every date (a day, a month or a year of one) and every number of a sentence
    (``key`` with its dates made comparable, ``dates`` found in it) already on the page?"""
    if not all(any(known.startswith(date) or date in known for known in old_dates) for date in dates):
        return False
    return old_numbers.issuperset(_NUMBER_TOKEN.findall(_DATE_TOKEN.sub(" ", key)))


def _says_now(unit: Unit) -> bool:
    """Does the sentence speak of now ("today", "sot", "update")? Read in its text: the
    canonical form masks the words of a relative date."""
    return not _NOW.isdisjoint(_WORDS.findall(fold(unit.text)))


def restatements(
    fresh: Sequence[Unit], previous: Sequence[Unit], edits: Container[int], across_languages: bool = False
) -> set[int]:
    """Fingerprints of the fresh sentences that only restate what the document already said.
    Added, not an edit of a sentence that left (``edits``, from :func:`updates`); no word of
    "now" or "update" (today, sot, aujourd'hui); every date (a day, a month or a year of one)
    and every number already on the page; four or more longer words; and either dated, with
    at least RESTATED_SHARE of its longer words (five or more of them) already on the page —
    "In short: a roundtable was held in April 2018, and Parliament adopted a resolution in
    March 2019" — or, dated or not, every longer word standing in one sentence of the page,
    which spoke of no plan, expectation or work under way unless this one does too: a "key
    points" box, a photo caption, a timeline's entry. A new date or number, a word of news, an
    edit, a plan fulfilled or work finished are news. A sentence that presents an old item
    published again ("From the archive: …", "Republication : …") restates it too.

    ``across_languages`` (the page's own earlier version, not other documents): a sentence in
    another language than the page's, dated or with a number, and with those facts already
    on the page (dates compared across languages: "13 prill 2018" is "13 April 2018"), is a
    translation. A page that adds an English version of its Albanian text, or the same URL
    that now serves the Albanian translation, says nothing new. An undated sentence in
    another language cannot be told from news written in it ("Avokati i Popullit ngriti një
    njësi …" on an English page), and is judged as it stands."""
    candidates: list[tuple[Unit, str]] = []
    for unit in fresh:
        if not _says_now(unit):
            candidates.append((unit, same_dates(unit.key)))
    if not previous or not candidates:
        return set()
    old_keys = [same_dates(unit.key) for unit in previous]
    old = " ".join(old_keys)
    old_dates = set(_dates_of(old))
    old_numbers = set(_NUMBER_TOKEN.findall(old))
    old_stems = _stems(old)
    sentences = [(_stems(key), _PLANNED.search(key) is not None) for key in old_keys]
    main = _language(old) if across_languages else None
    found: set[int] = set()
    for unit, key in candidates:
        if _REPUBLISHED.search(key):
            found.add(unit.fingerprint)  # an old item published again, said so
            continue
        dates = _dates_of(key)
        if not _facts_known(key, dates, old_dates, old_numbers):
            continue
        if main is not None and (dates or _NUMBER_TOKEN.search(key)) and _language(key) not in (None, main):
            found.add(unit.fingerprint)  # a translation
            continue
        stems = _stems(key)
        if len(stems) < 4:
            continue  # a short sentence is judged as it stands: one new word may be the news
        if unit.fingerprint in edits:
            continue  # it replaces a sentence that left: an edit, judged as such
        summary = bool(dates) and len(stems) >= 5 and len(stems & old_stems) >= RESTATED_SHARE * len(stems)
        planned = _PLANNED.search(key) is not None
        if summary or any(stems <= words and (planned or not plan) for words, plan in sentences):
            found.add(unit.fingerprint)
    return found


# Function words that tell the watched languages apart (folded: "të" → "te").
_FUNCTION_WORDS = {
    "en": frozenset("the and of to is was were for with that by from this which have has been are its".split()),
    "sq": frozenset("dhe te ne per nje me nga qe eshte u i se si por do ka jane kete ky kjo ish".split()),
    "fr": frozenset("le la les des et du un une pour dans sur est que par au aux avec ont ete sont ce cette".split()),
}


def _language(key: str) -> str | None:
    """The language of a text in canonical form, if its function words say so clearly: three
    or more of one language's, twice as many as of any other's."""
    words = key.split()
    counts = sorted(((sum(w in vocab for w in words), name) for name, vocab in _FUNCTION_WORDS.items()), reverse=True)
    (best, name), (second, _) = counts[0], counts[1]
    return name if best >= 3 and best >= 2 * second else None


_WITH_DIGITS = re.compile(r"\w*\d\w*")
_MAINTENANCE = re.compile(
    r"maintenance|temporarily unavailable|temporarily down|be back soon|be right back|under construction|"
    r"service unavailable|site is down|mirembajtje|perkohesisht jashte|nuk eshte i disponueshem|"
    r"en maintenance|maintenance en cours|temporairement indisponible|bad gateway|gateway time-?out|"
    r"internal server error|too many requests|captcha|are you a robot|"
    r"checking your browser|enable javascript and cookies|just a moment"
)
# What a "not found" page says of itself, not what a page may say of the world: "nuk
# ekziston ende një mekanizëm" and "il n'existe pas encore de mécanisme" (there is no
# mechanism yet) open many a page about HRDs in Albania.
_PAGE = r"(?:page|pages|faqja|faqe|faqen|file|document|article|artikulli|dokumenti|url|resource)"
_NOT_FOUND = re.compile(
    rf"\b404\b(?! ?/)|^\W*not found\b|\bfaqja nuk|page non trouvee|"
    rf"\b{_PAGE} (?:\w+ ){{0,3}}(?:(?:was |is )?not|can ?'? ?t be|cannot be|could not be) found|"
    rf"\b{_PAGE} (?:\w+ ){{0,3}}(?:does not|doesn't|no longer) exists?|"
    rf"\b{_PAGE} (?:\w+ ){{0,3}}(?:nuk u gjet|nuk ekziston|introuvable|n ?'? ?existe (?:pas|plus))"
)


# The path of a site's home page: "/", a language root ("/sq/", "/en-gb/"), an index page.
_HOME = re.compile(r"/?(?:[a-z]{2}(?:[-_][a-z]{2})?/?)?(?:(?:index|default|home)(?:\.\w+)?)?", re.IGNORECASE)
_LANGUAGE_KEYS = frozenset({"lang", "language", "locale", "l", "hl"})


def redirected_home(asked: str, landed: str) -> bool:
    """Did a request for an inner page end on a home page? Sites redirect a page they moved
    or deleted there: its text is the home page's, not a new version of the page."""
    wanted, got = urlsplit(asked), urlsplit(landed)
    if (wanted.netloc.lower(), wanted.path, wanted.query) == (got.netloc.lower(), got.path, got.query):
        return False
    inner = _HOME.fullmatch(wanted.path) is None or bool(wanted.query)  # /index.php?id=12 is a page
    home = _HOME.fullmatch(got.path) is not None and all(
        key.lower() in _LANGUAGE_KEYS for key, _ in parse_qsl(got.query)
    )
    return inner and home


def fault(page: Page, sentence_count: int, previous_count: int | None, asked: str = "", landed: str = "") -> str | None:
    """Why this version must not be trusted as the document's content, or None if it is sound.
    ``asked``, ``landed``: the URL requested and the one the redirects ended on."""
    if asked and landed and redirected_home(asked, landed):
        return f"redirected to the site's home page ({landed}): moved or deleted"
    # Only "fewer than 3" and "fewer than 150" matter: the words of a prefix never outnumber
    # those of the whole, so the start of a long page is enough.
    words = content_words(page.text[:4000])
    if words < 150 and len(page.text) > 4000:
        words = content_words(page.text)
    if not sentence_count or words < 3:
        return "empty page: no text found"
    # An error page says what it is in its title or headline; a short page about HRDs may
    # speak of maintenance, a missing report or an unavailable service further down.
    head = fold(page.title + " \n " + (page.blocks[0].text[:300] if page.blocks else ""))
    if words < 150 and _MAINTENANCE.search(head):
        return "maintenance or error page served instead of the content"
    if words < 150 and _NOT_FOUND.search(head):
        return "'not found' page served instead of the content"
    if page.truncated:
        return "truncated page: the HTML ends before </body></html>"
    if previous_count and previous_count >= 8 and sentence_count < 0.4 * previous_count:
        return f"page lost most of its content ({previous_count} → {sentence_count} sentences)"
    return None
