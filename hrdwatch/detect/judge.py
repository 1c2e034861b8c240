"""Judge: turn a document's new sentences into findings, one per relevant topic. Pure.

A new sentence is judged on its own first. A sentence that touches the topic but does not
carry it alone ("The draft law was adopted today.") is judged again together with its
paragraph, section heading and document title, so that context written earlier counts.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass

from hrdwatch.detect.diff import Unit
from hrdwatch.detect.extract import Block
from hrdwatch.detect.relevance import Score, Topic, about_elsewhere, names_lookalike, score
from hrdwatch.detect.text import content_words, fold

EXCERPT_LIMIT = 2000
_FACT = re.compile(r"\d")
# A credit or source line: "Foto: Arkivi i Kuvendit", "Photo : Conseil de l'Europe",
# "Burimi: ...", "Source: OSCE". It names who made a picture or a text, and says nothing;
# a caption that tells of an event is longer than CREDIT_WORDS (its label included).
_CREDIT = re.compile(r"^\s*(?:©|\(c\)|(?:foto\w*|photos?|images?|credits?|burimi?|sources?)\s*[:|/–-])", re.IGNORECASE)
CREDIT_WORDS = 7
# A "read also" box: teasers of other articles under a heading of its own.
_SEE_ALSO = re.compile(
    r"^\W*(?:read (?:also|more)|see also|related(?: articles| news| posts| stories)?|more on this( topic)?|"
    r"lexo (?:edhe|gjithashtu|me shume)|shih (?:edhe|gjithashtu)|te ngjashme|(?:artikuj|lajme) te ngjashem|"
    r"(?:a )?lire aussi|voir aussi|sur le meme sujet|(?:articles|actualites) (?:lies|liees|similaires)|"
    r"dans (?:la meme|cette) rubrique|(?:more )?in (?:the same|this) section|ne (?:te njejten|kete) rubrike|"
    r"pour aller plus loin|further reading|to (?:learn|read) more|per te (?:mesuar|lexuar) me shume)\W*$"
)


@dataclass(frozen=True)
class Finding:
    topic: str
    score: float
    terms: tuple[str, ...]
    excerpt: str
    sentences: tuple[str, ...]  # the new sentences that carried the topic (for highlighting)


def judge(
    blocks: Sequence[Block],
    title: str,
    fresh: Sequence[Unit],
    topics: Mapping[str, Topic],
    document_level: bool = False,
    kept: Container[int] = frozenset(),
    updates: Container[int] = frozenset(),
) -> list[Finding]:
    """Findings for a document's new sentences. ``document_level``: the whole document is new
    (a listing's new article, a feed entry), so what it says elsewhere counts too. ``kept``:
    the blocks that were there before (they hold a sentence seen before). ``updates``: the
    fingerprints of the new sentences that edit one the document had (diff.updates)."""
    findings: list[Finding] = []
    for topic in topics.values():
        finding = _judge_topic(blocks, title, fresh, topic, document_level, kept, updates)
        if finding is not None:
            findings.append(finding)
    return findings


def _judge_topic(
    blocks: Sequence[Block],
    title: str,
    fresh: Sequence[Unit],
    topic: Topic,
    document_level: bool,
    kept: Container[int],
    updates: Container[int],
) -> Finding | None:
    relevant: dict[int, list[Score]] = {}
    carriers: list[str] = []
    document = ""
    if document_level:
        # A new document whose title is about another country is about it, whatever its
        # dateline says ("Tirana, 3 May — …"). One whose first paragraph names another country
        # is about it unless it names Albania somewhere; one that names another country only
        # further down is not (a committee's agenda item "the agreement with Montenegro").
        lead = "\n".join([title, *(b.text for b in blocks if b.kind != "h")][:2])
        if about_elsewhere(topic, title):
            document = title
        elif about_elsewhere(topic, lead):
            document = "\n".join([title, *(b.text for b in blocks)])
    # A new document that names a look-alike in its title or lead (the torture-prevention
    # mechanism's annual report) is about it throughout: its "mechanism" is that one.
    about_lookalike = document_level and names_lookalike(topic, "\n".join([title, *(b.text for b in blocks[:2])]))
    elsewhere: dict[int, bool] = {}
    near: dict[int, bool] = {}  # the block names a look-alike (or the document is about one)
    relevant_blocks: int | None = None  # of the document, each judged on its own (when needed)
    titled = False  # the document's title speaks of a protection mechanism
    for unit in fresh:
        block = blocks[unit.block]
        # A paragraph about another country speaks of that country in every sentence, also
        # in those that do not name it ("In North Macedonia, … a unit for HRDs. Defenders who
        # face threats can now ask it for protective measures.").
        if unit.block not in elsewhere:
            elsewhere[unit.block] = about_elsewhere(topic, block.text)
        if elsewhere[unit.block] or (block.heading and _SEE_ALSO.match(fold(block.heading))):
            continue
        # In a paragraph about a look-alike (child protection, the torture-prevention
        # mechanism…), defenders named in passing do not make it the topic's.
        if unit.block not in near:
            near[unit.block] = about_lookalike or names_lookalike(topic, block.text)
        result = score(topic, unit.text, document=document, near_lookalike=near[unit.block])
        own = set(result.groups)
        if not result.relevant:
            # Context may complete a sentence that touches the topic, but not one that is
            # explicitly about a look-alike ("the new data-protection mechanism…"), nor a
            # heading: a section's title that does not carry the topic alone is no news.
            touches = result.score >= 1.0 or (unit.block in kept and _FACT.search(unit.text) is not None)
            if not touches or names_lookalike(topic, unit.text) or block.kind == "h":
                continue
            if content_words(unit.text) < 3:
                continue  # a label ("Deklarata"), not a statement that context could complete
            if _CREDIT.match(fold(unit.text)) and content_words(unit.text) <= CREDIT_WORDS:
                continue  # a credit line, not a statement either
            context = " \n ".join(part for part in (block.text, block.heading, title) if part and part != unit.text)
            near_context = near[unit.block] or any(
                names_lookalike(topic, part) for part in (block.heading, title) if part
            )
            result = score(topic, unit.text, context=context, document=document, near_lookalike=near_context)
            # A sentence that itself speaks of a protection mechanism (a new roundtable on one)
            # without naming whose it is ("a law on a national protection mechanism"): on a
            # page about the topic (two paragraphs relevant on their own) the page says whose;
            # elsewhere it may be any mechanism.
            # So may an edit that brings a dated statement of a page dedicated to the mechanism
            # up to date (its title speaks of a protection mechanism, and a paragraph of it is
            # about the topic): "The working group met on 18 June" under "Next steps".
            # And so may a dated step of the work on one (a working group, a draft law) added
            # to a paragraph the page had, on a page about the topic: "On 27 November the
            # working group handed the Committee the first draft" after the paragraph that
            # told of the working group.
            mechanism = {"mechanism", "protection"} <= own
            dated = _FACT.search(unit.text) is not None
            edit = unit.fingerprint in updates and dated
            step = dated and "mechanism" in own and unit.block in kept
            if not result.relevant and not document_level and (mechanism or edit or step):
                if relevant_blocks is None:
                    relevant_blocks = sum(1 for b in blocks if score(topic, b.text).relevant)
                    titled = {"mechanism", "protection"} <= set(score(topic, title).groups)
                if relevant_blocks >= (2 if mechanism or step else 1) and (mechanism or step or titled):
                    page_text = " \n ".join([title, *(b.text for b in blocks)])
                    # Not the look-alikes of the whole page (its footer may link to "data
                    # protection"): only its own paragraph's.
                    result = score(topic, unit.text, context=page_text, near_lookalike=near[unit.block])
            if not result.relevant:
                continue
        relevant.setdefault(unit.block, []).append(result)
        carriers.append(unit.text)
    if not relevant:
        return None
    best = max(s.score for scores in relevant.values() for s in scores)
    terms: dict[str, None] = {}
    for scores in relevant.values():
        for s in scores:
            for term in s.terms:
                terms.setdefault(term, None)
    parts: list[str] = []
    for block_index in sorted(relevant):
        parts.append(" ".join(unit.text for unit in fresh if unit.block == block_index))
    excerpt = "\n\n".join(parts)
    if len(excerpt) > EXCERPT_LIMIT:
        excerpt = excerpt[: EXCERPT_LIMIT - 1].rstrip() + "…"
    return Finding(topic.name, best, tuple(terms), excerpt, tuple(carriers))
