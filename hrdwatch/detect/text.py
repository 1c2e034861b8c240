"""Text normalisation: the canonical form that decides whether two sentences are "the same".

Pure functions, no I/O. Albanian is typed with and without diacritics (ë/e, ç/c) and is
often mis-encoded on the web ("Ã«", "Ă«", "ė" for ë): all of these fold to one form.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Mojibake leaves tell-tale sequences behind; only then is ftfy (slow-ish) worth running.
_MOJIBAKE_LEADS = "ÃÂÅÄĂâ"  # every hint starts with one of these
_MOJIBAKE_HINT = re.compile(f"[{_MOJIBAKE_LEADS}][\u0080-\u024f\u2010-\u203a]|â€")
# Control characters, and invisible ones that sit inside words: the soft hyphen (&shy;, put in
# by CMSs for line breaking), zero-width spaces and joiners, word joiners, byte-order marks.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\xad\u200b-\u200f\u2028\u2029\u2060\ufeff]")


def clean(text: str) -> str:
    """Repair mojibake, drop control characters and collapse white space."""
    if not text.isascii() and any(lead in text for lead in _MOJIBAKE_LEADS) and _MOJIBAKE_HINT.search(text):
        import ftfy  # only for text that needs it (slow to import)

        text = ftfy.fix_text(text, normalization="NFC")
    text = _CONTROL.sub("", text)
    # str.split() splits on exactly the characters r"\s" matches (both use str.isspace).
    return " ".join(text.split())


# Characters NFKD does not decompose, or that we want gone.
_FOLD_EXTRA = str.maketrans(
    {
        "·": "",  # défenseur·e·s
        "•": " ",
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "`": "'",
        "´": "'",
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "ø": "o",
        "đ": "d",
        "ł": "l",
        "ı": "i",
    }
)
_COMBINING = re.compile("[\u0300-\u036f]")


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    return _COMBINING.sub("", unicodedata.normalize("NFKD", char.casefold().translate(_FOLD_EXTRA)))


def fold(text: str) -> str:
    """Lower-case, diacritic-free form: 'Mbrojtësit' → 'mbrojtesit', 'défenseur·e·s' → 'defenseures'."""
    if text.isascii():  # the common case, and the same result: "`" is the one ASCII character mapped
        text = text.lower()
        return text.replace("`", "'") if "`" in text else text
    text = text.casefold().translate(_FOLD_EXTRA)
    if text.isascii():
        return text
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` and return, for each folded character, the index of its source character."""
    out: list[str] = []
    index: list[int] = []
    for i, char in enumerate(text):
        folded = char if char.isascii() and not char.isupper() else _fold_char(char)
        out.append(folded)
        index.extend([i] * len(folded))
    return "".join(out), index


# --- sentences -------------------------------------------------------------------------

_ABBREVIATIONS = frozenset(
    """
    mr mrs ms dr prof st no nr nos art arts para paras vol fig eg ie etc al vs jan feb mar apr jun jul
    aug sep sept oct nov dec z znj zj prof dt nr p.sh sh mme mlle m cf ca approx inc ltd co gen col lt
    sr jr rev hon amb ref pp op cit ibid
""".split()
)
_SENTENCE_END = re.compile(r"(?<=[.!?…;])[\"'”»)\]]*\s+(?=[\"'“«(\[]?[A-ZÀ-ÖØ-ÞĀ-Ž0-9])")


def sentences(text: str) -> list[str]:
    """Split a block of text into sentences (conservatively: a wrong split only costs context)."""
    text = text.strip()
    if not text:
        return []
    parts: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        candidate = text[start : match.start()].strip()
        last = candidate.rstrip(".!?…;\"'”»)]").rsplit(" ", 1)[-1].lower()
        # Do not split after an abbreviation or an initial ("Mr.", "z.", "J. Smith").
        if candidate.endswith(".") and (last in _ABBREVIATIONS or len(last) == 1):
            continue
        if len(candidate) < 2:
            continue
        parts.append(candidate)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        parts.append(tail)
    return parts


# --- noise masking and fingerprints ----------------------------------------------------

# Month names in order, a language (or the abbreviations) each: canonical forms and dates.
_MONTH_NAMES = (
    "january february march april may june july august september october november december",
    "jan feb mar apr may jun jul aug sep oct nov dec",
    "janar shkurt mars prill maj qershor korrik gusht shtator tetor nentor dhjetor",
    "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre",
)
_MONTHS = " ".join(_MONTH_NAMES) + " sept"
_WEEKDAYS = (
    "monday tuesday wednesday thursday friday saturday sunday mon tue wed thu fri sat sun "
    "e hene e marte e merkure e enjte e premte e shtune e diel hene marte merkure enjte premte shtune diel "
    "lundi mardi mercredi jeudi vendredi samedi dimanche"
)
_MONTH_RE = "|".join(sorted(set(_MONTHS.split()), key=len, reverse=True))
_WEEKDAY_RE = "|".join(sorted(set(_WEEKDAYS.split()), key=len, reverse=True))

_NOISE_PATTERNS = [
    # clock times 10:42, 10:42:05, 10.42 h
    re.compile(r"\b\d{1,2}[:h]\d{2}(?::\d{2})?(?:\s*(?:am|pm|h))?\b"),
    # relative dates: 3 hours ago, il y a 3 heures, 3 ore me pare / para 3 oresh
    re.compile(
        r"\b(?:\d+|an?|one|nje)\s+(?:sec\w*|min\w*|hour\w*|hrs?|day\w*|week\w*|month\w*|year\w*)\s+ago\b"
        r"|\bil y a\s+\d+\s+\w+"
        r"|\b(?:para|perpara)\s+\d+\s+\w+"
        r"|\b\d+\s+(?:sekonda|minuta|ore|dite|jave|muaj|vite)\s+(?:me\s+)?(?:pare|perpara)\b"
        r"|\b(?:just now|yesterday|today|tomorrow|sot|dje|aujourd'hui|hier)\b"
    ),
    # tokens: long hex / base64-ish runs with digits (session ids, CSRF tokens, asset hashes)
    re.compile(r"\b(?=[a-z0-9_-]*\d)[a-z0-9_-]{16,}\b"),
    # counters: 1,234 views / shares / comments / shikime / vues
    re.compile(
        r"\b\d[\d.,\s]*\s*(?:views?|reads?|shares?|comments?|likes?|visits?|hits?|shikime|lexime|komente|vues|lectures|commentaires|partages)\b"
        r"|\b(?:views?|shikime|vues|lexime|visits?)\s*:?\s*\d[\d.,]*"
    ),
]
_STAMP_WORDS = re.compile(
    r"\b(?:updated?|modified|posted|published|last|perditesuar|perditesimi|postuar|publikuar|botuar|"
    r"mis a jour|publie|modifie|copyright|version)\b"
)
_DATE = re.compile(
    rf"\b\d{{1,4}}[./-]\d{{1,2}}(?:[./-]\d{{1,4}})?\b|\b\d{{1,2}}(?:st|nd|rd|th|er)?\s+(?:{_MONTH_RE})\b\.?(?:\s+\d{{4}})?"
    rf"|\b(?:{_MONTH_RE})\b\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?(?:\s+\d{{4}})?|\b(?:{_WEEKDAY_RE})\b"
)
_NUMBER = re.compile(r"\d+")
# Words whose presence the costly patterns need (the patterns decide; these only rule out).
_CALENDAR = frozenset(_MONTHS.split()) | frozenset(_WEEKDAYS.split())
_RELATIVE_WORDS = frozenset("ago just yesterday today tomorrow sot dje aujourd hier".split())
_STAMP_SET = frozenset(
    "update updated modified posted published last perditesuar perditesimi postuar publikuar botuar "
    "jour publie modifie copyright version".split()
)
_WORD = re.compile(r"[^\W\d_]{3,}")
_NON_WORD = re.compile(r"[\W_]+")


def canonical(text: str) -> str:
    """The form a sentence is compared in: folded, noise masked, punctuation dropped.

    Dates stay (a meeting on a new date is news) except in stamps ("Updated 29/11/2026",
    "Postuar më, 29/11/2026", "Views: 1234"): sentences with fewer than three words once
    numbers and dates are gone, or that speak of updating/posting.
    """
    folded = fold(text)
    words = _WORD.findall(folded)
    # The noise patterns need a digit, or one of the words of a relative date.
    if _NUMBER.search(folded) or not _RELATIVE_WORDS.isdisjoint(words):
        for pattern in _NOISE_PATTERNS:
            folded = pattern.sub(" # ", folded)
        words = _WORD.findall(folded)
    # Removing dates removes at most the month and weekday names among the words: a sentence
    # with three other words is long enough without looking (the date regex is the costly one).
    short = len(words) - sum(1 for word in words if word in _CALENDAR) < 3 and (
        len(_WORD.findall(_DATE.sub(" ", folded))) < 3
    )
    if short or (not _STAMP_SET.isdisjoint(words) and _STAMP_WORDS.search(folded)):
        folded = _NUMBER.sub("#", _DATE.sub(" # ", folded))
    return _NON_WORD.sub(" ", folded).strip()


def content_words(text: str) -> int:
    return len(_WORD.findall(fold(text)))


# --- the same date written another way ---------------------------------------------------

# Albanian months after a day are often in the genitive: "13 prillit 2018". Only for dates:
# canonical forms keep the month names they were fingerprinted with.
_GENITIVE_MONTHS = (
    "janarit shkurtit marsit prillit majit qershorit korrikut gushtit shtatorit tetorit nentorit dhjetorit"
)
_MONTH_NUMBERS = {
    name: number for names in (*_MONTH_NAMES, _GENITIVE_MONTHS) for number, name in enumerate(names.split(), start=1)
} | {"sept": 9}
_NAMED = "|".join(sorted(_MONTH_NUMBERS, key=len, reverse=True))
_ORDINAL = r"(?:st|nd|rd|th|er)?"
# In a canonical form (folded, punctuation gone): "13 april 2018", "april 13 2018",
# "13 04 2018" (was 13.04.2018 or 13/04/2018), "2018 04 13", "april 2018", "04 2018" (was 04/2018).
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}}){_ORDINAL} (?:e )?({_NAMED}|\d{{1,2}}) (\d{{4}})\b")
_MONTH_DAY_YEAR = re.compile(rf"\b({_NAMED}) (\d{{1,2}}){_ORDINAL} (\d{{4}})\b")
_YEAR_MONTH_DAY = re.compile(r"\b(\d{4}) (\d{1,2}) (\d{1,2})\b")
_MONTH_YEAR = re.compile(rf"\b({_NAMED}|\d{{2}}) (\d{{4}})\b")  # not "6 2019": Resolution 6/2019


def _month(value: str) -> int:
    return _MONTH_NUMBERS[value] if value in _MONTH_NUMBERS else int(value)


def _iso(year: str, month: str, day: str | None = None) -> str:
    number = _month(month)
    if not 1 <= number <= 12 or (day is not None and not 1 <= int(day) <= 31):
        return f"{day or ''} {month} {year}".strip()  # not a date: left as it was
    return f"d{year}{number:02d}{int(day):02d}" if day is not None else f"d{year}{number:02d}"


def same_dates(key: str) -> str:
    """A canonical form with its dates in one format ("13 april 2018", "13 04 2018" and
    "april 13 2018" all become "d20180413"), to tell a date written another way from a new
    date. Only for comparing two versions of a sentence: fingerprints use :func:`canonical`."""
    if not any(char.isdigit() for char in key):
        return key
    key = _DAY_MONTH_YEAR.sub(lambda m: _iso(m[3], m[2], m[1]), key)
    key = _MONTH_DAY_YEAR.sub(lambda m: _iso(m[3], m[1], m[2]), key)
    key = _YEAR_MONTH_DAY.sub(lambda m: _iso(m[1], m[2], m[3]), key)
    return _MONTH_YEAR.sub(lambda m: _iso(m[2], m[1]), key)
