"""Relevance: is this new text about the topic? Pure functions over text, topics are data.

A topic is a set of weighted *concept groups* (defenders, mechanism, protection, Albania…),
*combinations* of groups of which one must be present, *exclusions* that neutralise
look-alike phrases before matching ("EU Civil Protection Mechanism", "National Preventive
Mechanism"), *penalties* (other countries, films) and a threshold.

Term syntax (folded: case and diacritics do not matter, so ``mbrojtës`` = ``mbrojtes``):
words separated by spaces must appear in that order with at most ``gap`` other words
between them; a word ending in ``*`` matches any word it starts (``mekanizm*`` matches
mekanizmi, mekanizmit, mekanizmin).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hrdwatch.detect.text import fold, fold_with_map
from hrdwatch.yamlsafe import load_yaml


class GroupSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    weight: float = 1.0
    terms: tuple[str, ...]
    gap: int | None = Field(default=None, ge=0, le=10)
    unless: tuple[str, ...] = ()  # penalties only: not applied when one of these groups matched

    @field_validator("terms")
    @classmethod
    def _terms(cls, terms: tuple[str, ...]) -> tuple[str, ...]:
        for term in terms:
            _term_regex(term, 0)  # raises ValueError on a bad term
        return terms


class TopicSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    threshold: float = 3.0
    gap: int = Field(default=3, ge=0, le=10)
    groups: dict[str, GroupSpec]
    require: tuple[tuple[str, ...], ...] = ()
    exclude: tuple[str, ...] = ()
    # The combinations required instead when the text (or the context completing it) names a
    # look-alike (an ``exclude`` phrase): what is said there is about that other scheme, and
    # defenders named in passing (as its guests or complainants) do not make it the topic.
    require_near_lookalike: tuple[tuple[str, ...], ...] = ()
    penalties: dict[str, GroupSpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_groups(self) -> TopicSpec:
        for combination in (*self.require, *self.require_near_lookalike):
            for name in combination:
                if name not in self.groups:
                    raise ValueError(f"'require' names unknown group {name!r}")
        for penalty in self.penalties.values():
            for name in penalty.unless:
                if name not in self.groups:
                    raise ValueError(f"penalty 'unless' names unknown group {name!r}")
        for term in self.exclude:
            _term_regex(term, 0)
        return self


_WORD_TOKEN = re.compile(r"^[\w'*-]+$")


def _term_regex(term: str, gap: int) -> str:
    words = fold(term).replace("'", " ").replace("-", " ").split()
    if not words:
        raise ValueError(f"empty term {term!r}")
    parts = []
    for word in words:
        if not _WORD_TOKEN.match(word) or word.strip("*") == "" or "*" in word[:-1]:
            raise ValueError(f"term {term!r}: {word!r} is not a word (use letters, an optional trailing *)")
        if word.endswith("*"):
            parts.append(re.escape(word[:-1]) + r"\w*")
        else:
            parts.append(re.escape(word) + r"(?!\w)")
    joiner = rf"(?:\W+\w+){{0,{gap}}}?\W+" if gap else r"\W+"
    return r"(?<!\w)" + joiner.join(parts)


@dataclass(frozen=True)
class _CompiledGroup:
    name: str
    weight: float
    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    unless: tuple[str, ...]


@dataclass(frozen=True)
class Topic:
    name: str
    spec: TopicSpec
    groups: tuple[_CompiledGroup, ...]
    penalties: tuple[_CompiledGroup, ...]
    exclude: re.Pattern[str] | None


@dataclass(frozen=True)
class Match:
    group: str
    term: str  # the text as written in the page
    start: int
    end: int


@dataclass(frozen=True)
class Score:
    topic: str
    score: float
    relevant: bool
    groups: tuple[str, ...]
    matches: tuple[Match, ...]

    @property
    def terms(self) -> list[str]:
        """The matched text, once each; a match inside a longer one is left out."""
        seen: dict[str, None] = {}
        for match in self.matches:
            inside = any(
                other is not match
                and other.start <= match.start
                and match.end <= other.end
                and (other.end - other.start) > (match.end - match.start)
                for other in self.matches
            )
            if not inside:
                seen.setdefault(match.term.lower(), None)
        return list(seen)


def compile_topic(name: str, spec: TopicSpec) -> Topic:
    def group(group_name: str, group_spec: GroupSpec) -> _CompiledGroup:
        gap = spec.gap if group_spec.gap is None else group_spec.gap
        patterns = tuple((term, re.compile(_term_regex(term, gap))) for term in group_spec.terms)
        return _CompiledGroup(group_name, group_spec.weight, patterns, group_spec.unless)

    exclude = None
    if spec.exclude:
        exclude = re.compile("|".join(f"(?:{_term_regex(term, 1)})" for term in spec.exclude))
    return Topic(
        name=name,
        spec=spec,
        groups=tuple(group(n, g) for n, g in spec.groups.items()),
        penalties=tuple(group(n, g) for n, g in spec.penalties.items()),
        exclude=exclude,
    )


def _mask(topic: Topic, text: str) -> tuple[str, list[int]]:
    """Folded text with look-alike phrases neutralised (replaced by non-word characters)."""
    folded, index = fold_with_map(text)
    if topic.exclude is not None:
        folded = topic.exclude.sub(lambda m: "\x00" * len(m.group(0)), folded)
    return folded, index


def _groups_in(groups: tuple[_CompiledGroup, ...], folded: str, names: tuple[str, ...]) -> bool:
    return any(g.name in names and any(p.search(folded) for _t, p in g.patterns) for g in groups)


def score(topic: Topic, text: str, context: str = "", document: str = "", near_lookalike: bool | None = None) -> Score:
    """Score ``text`` against a topic.

    ``context`` (the paragraph, heading and title around a sentence) adds concept groups.
    Penalties look at the text itself: a sentence about another country is penalised unless
    it names Albania too, even on a page about Albania. ``document`` (the whole new document)
    lets a penalty with ``unless`` apply when the document never mentions what ``unless`` names
    (an article about HRDs in Azerbaijan, posted on the Tirana office's news list).

    Near a look-alike, the topic's ``require_near_lookalike`` applies instead of ``require``:
    "the Minister thanked the human rights defenders who helped draft the instruction" in a
    paragraph about child protection is about the look-alike's instruction. ``near_lookalike``
    says whether the text is near one (the judge knows its paragraph); by default, whether the
    text or its context names one.
    """
    whole = f"{text} \n {context}" if context else text
    folded, index = _mask(topic, whole)
    own = folded[: bisect_left(index, len(text))] if context else folded  # the text's own part
    matches: list[Match] = []
    matched_groups: list[str] = []
    total = 0.0
    for group in topic.groups:
        found = False
        for _term, pattern in group.patterns:
            for hit in pattern.finditer(folded):
                found = True
                start, end = index[hit.start()], index[hit.end() - 1] + 1
                if start < len(text):
                    matches.append(Match(group.name, whole[start : min(end, len(text))], start, end))
        if found:
            matched_groups.append(group.name)
            total += group.weight
    doc_folded = _mask(topic, document)[0] if document else ""
    for penalty in topic.penalties:
        in_text = any(pattern.search(own) for _term, pattern in penalty.patterns)
        if in_text:
            applies = not _groups_in(topic.groups, own, penalty.unless)
        else:
            applies = bool(
                doc_folded
                and penalty.unless
                and any(pattern.search(doc_folded) for _term, pattern in penalty.patterns)
                and not _groups_in(topic.groups, doc_folded, penalty.unless)
            )
        if applies:
            total -= penalty.weight
    if near_lookalike is None:
        near_lookalike = "\x00" in folded  # a look-alike neutralised in the text or its context
    required = topic.spec.require
    if near_lookalike and topic.spec.require_near_lookalike:
        required = topic.spec.require_near_lookalike
    combination_ok = not required or any(all(g in matched_groups for g in combo) for combo in required)
    relevant = combination_ok and total >= topic.spec.threshold
    matches.sort(key=lambda m: m.start)
    return Score(topic.name, round(total, 3), relevant, tuple(matched_groups), tuple(matches))


def about_elsewhere(topic: Topic, text: str) -> bool:
    """Does a conditional penalty (e.g. another country, unless Albania) apply to this text as a whole?"""
    folded = _mask(topic, text)[0]
    return any(
        penalty.unless
        and any(pattern.search(folded) for _term, pattern in penalty.patterns)
        and not _groups_in(topic.groups, folded, penalty.unless)
        for penalty in topic.penalties
    )


def names_lookalike(topic: Topic, text: str) -> bool:
    """Does the text itself name one of the topic's look-alikes (a phrase it excludes)?"""
    return topic.exclude is not None and topic.exclude.search(fold(text)) is not None


@cache
def builtin_topics() -> dict[str, TopicSpec]:
    data: Any = load_yaml(resources.files("hrdwatch").joinpath("topics.yaml").read_text(encoding="utf-8"))
    return {name: TopicSpec.model_validate(spec) for name, spec in data.items()}


def compile_topics(specs: dict[str, TopicSpec]) -> dict[str, Topic]:
    return {name: compile_topic(name, spec) for name, spec in specs.items()}
