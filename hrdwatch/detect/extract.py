"""Extraction: bytes of a page, PDF or feed in, normalised text blocks out. Pure, no I/O.

Main-content extraction is rule-based and deterministic on purpose: a monitor diffs
successive versions, so the same text must come out the same way every time, whatever
the page chrome around it does (heuristic extractors can include or drop a paragraph
depending on how many links a rotating sidebar happens to carry).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector

from hrdwatch.detect.text import clean


class ExtractionError(Exception):
    """The content cannot be turned into text (binary junk, broken PDF, hostile XML…)."""


@dataclass(frozen=True)
class Block:
    text: str
    kind: str = "p"  # h (heading), p, li, tr, pdf, entry…
    heading: str = ""  # nearest heading above it: context for relevance


@dataclass(frozen=True)
class Page:
    title: str
    blocks: tuple[Block, ...]
    links: tuple[tuple[str, str], ...] = ()  # (absolute url, anchor text)
    truncated: bool = False

    @property
    def text(self) -> str:
        return "\n".join(block.text for block in self.blocks)


@dataclass(frozen=True)
class FeedEntry:
    key: str  # guid, else link
    url: str
    title: str
    blocks: tuple[Block, ...] = field(default=())


# --- decoding --------------------------------------------------------------------------


_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_BINARY_CHARS = re.compile("[\x00-\x08\x0e-\x1f\ufffd]")
_FALLBACK_ENCODINGS = ["windows-1250", "iso-8859-2", "windows-1252"]  # Albanian pages in the wild


def charset_of(content_type: str | None) -> str | None:
    match = _CHARSET.search(content_type or "")
    return match.group(1).lower() if match else None


def decode(body: bytes, content_type: str | None = None) -> str:
    """Bytes to text. Valid UTF-8 is taken as UTF-8 whatever the page declares (other
    encodings of Albanian text are not valid UTF-8); otherwise the declared charset, the
    document's own meta tag, then windows-1250/ISO-8859-2/windows-1252 in that order."""
    return _decode(body, content_type)[0]


def _decode(body: bytes, content_type: str | None) -> tuple[str, bool]:
    """:func:`decode`'s text, and whether it is the body read as UTF-8."""
    if not body:
        return "", False
    wide = _utf16(body, content_type)
    if wide is not None:
        return wide, False
    if body[:4096].count(b"\x00") > 8:
        raise ExtractionError("binary content (NUL bytes), not a text page")
    utf8 = True
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        utf8 = False
        from bs4.dammit import UnicodeDammit  # only for pages that are not UTF-8 (slow to import)

        declared = charset_of(content_type)
        known = [declared] if declared and declared.replace("-", "") != "utf8" else []
        dammit = UnicodeDammit(
            body,
            known_definite_encodings=known,
            user_encodings=_FALLBACK_ENCODINGS,
            exclude_encodings=["utf-8"],
            is_html=True,
        )
        if dammit.unicode_markup is None:
            raise ExtractionError("cannot decode the page text in any known character set") from None
        text = dammit.unicode_markup
    if text.startswith("\ufeff"):
        text = text[1:]
    sample = text[:8192]
    if sample and _BINARY_CHARS.search(sample) and len(_BINARY_CHARS.findall(sample)) / len(sample) > 0.05:
        raise ExtractionError("binary content served as text, not a readable page")
    return text, utf8


def _utf16(body: bytes, content_type: str | None) -> str | None:
    """The text of a UTF-16 page (a byte-order mark, or the charset the server declares), else
    None. Its NUL bytes would otherwise make it look binary."""
    declared = charset_of(content_type) or ""
    if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        codec = "utf-16"  # the mark says which order, and is dropped
    elif declared in ("utf-16le", "utf-16be"):
        codec = declared
    elif declared == "utf-16":  # no mark: mostly ASCII markup tells the order by where its NULs are
        sample = body[:4096]
        codec = "utf-16le" if sample[1::2].count(0) >= sample[0::2].count(0) else "utf-16be"
    else:
        return None
    try:
        return body.decode(codec)
    except UnicodeDecodeError:
        return None


# --- HTML ------------------------------------------------------------------------------

_DROP_TAGS = frozenset(
    """
    script style noscript template svg canvas iframe object embed input button select textarea nav
    aside dialog menu label option
""".split()
)
# <header> and <footer> are the page's banner and footer only outside an article, main or
# section (HTML gives them the banner and contentinfo roles only there); inside one they hold
# that content's headline, byline or date: a blog or news archive puts each post's link there.
# The same goes for class and id names that say header, footer or masthead.
_FRAME_TAGS = frozenset({"header", "footer"})
_SCOPES = frozenset({"article", "main", "section"})
_FRAME_NAMES = re.compile(r"(?:^|[\s_-])(?:footer|header|masthead)(?:$|[\s_-])", re.IGNORECASE)
# A word of page chrome in a class or id. Not when it only modifies a layout ("has-sidebar",
# "with-sidebar", "no-sidebar"), and "search" is a search box, not its results ("search-results").
_CHROME = re.compile(
    r"(?:^|[\s_-])(?<!has-)(?<!with-)(?<!without-)(?<!no-)"
    r"(?:cookie|consent|gdpr|banner|breadcrumbs?|menu|navbar|nav|navigation|sidebar|side-bar|"
    r"social|share|sharing|related|popular|most-?read|trending|latest|recent|advert|ads?|"
    r"instagram|facebook|twitter|tweets?|"
    r"promo|newsletter|subscribe|skip|pagination|pager|login|signin|search(?![-_]?results?)|toolbar|modal|"
    r"popup|lang|language|langs|languages|portlet-topper|carousel|ticker|tags?|tagcloud|comments?|komente|commentaires|disqus)(?:$|[\s_-])",
    re.IGNORECASE,
)
# "widget" is chrome only when a class or id starts with it: WordPress's sidebar and footer
# widgets ("widget widget_recent_entries", "widget-area"). Page builders use the word for
# their content blocks: Elementor puts every paragraph of an article in its own
# "elementor-widget-container", SiteOrigin its text panels in "so-panel widget" (the rule
# trafilatura follows too).
_WIDGET = re.compile(r"^\s*widgets?(?:$|[\s_-])", re.IGNORECASE)
_CHROME_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar", "dialog"}
_BLOCK_TAGS = {
    "p": "p",
    "li": "li",
    "dt": "li",
    "dd": "li",
    "tr": "tr",
    "h1": "h",
    "h2": "h",
    "h3": "h",
    "h4": "h",
    "h5": "h",
    "h6": "h",
    "blockquote": "p",
    "figcaption": "p",
    "pre": "p",
    "caption": "p",
    "address": "p",
}
_CONTAINERS = {
    "div",
    "section",
    "article",
    "main",
    "body",
    "td",
    "th",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "ul",
    "ol",
    "dl",
    "center",
    "details",
    "fieldset",
    "figure",
    "form",
    "hgroup",
}
_STRUCTURAL = set(_BLOCK_TAGS) | _CONTAINERS
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


class _Chrome:
    """Tells page chrome (navigation, banners, footers, sidebars, share and cookie boxes,
    forms…) in a region: by tag, ARIA role or hidden state; or by class and id names, unless
    the element holds more than half of the region's text: then the name describes a layout
    wrapper ("content-sidebar-wrap") or the content itself, never chrome. The same goes for a
    <form> (ASP.NET wraps the whole page in one)."""

    def __init__(self, region: etree._Element) -> None:
        self.region = region
        self._half: int | None = None
        self._bulky: dict[etree._Element, bool] = {}  # a listing asks again for every link inside

    def __call__(self, element: etree._Element) -> bool:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _DROP_TAGS:
            return True
        attrib = element.attrib
        if "hidden" in attrib or attrib.get("aria-hidden") == "true":
            return True
        if attrib.get("role", "").lower() in _CHROME_ROLES:
            return True
        style = attrib.get("style")
        if style and _HIDDEN_STYLE.search(style):
            return True
        if tag in _FRAME_TAGS:
            return not _scoped(element)
        if tag == "form":
            # A search box, a login or a comment form; but ASP.NET WebForms pages (and some
            # portals) wrap the whole page in one <form>: a form holding most of the text is
            # the page. (Its inputs, buttons and labels are dropped either way.)
            return not self._bulk(element)
        if tag in ("body", "html", "main", "article"):
            return False
        ident = f"{attrib.get('class', '')} {attrib.get('id', '')}"
        if not ident.strip():
            return False
        named = (
            bool(_CHROME.search(ident))
            or bool(_WIDGET.match(attrib.get("class", "")) or _WIDGET.match(attrib.get("id", "")))
            or (bool(_FRAME_NAMES.search(ident)) and not _scoped(element))
        )
        return named and not self._bulk(element)

    def _bulk(self, element: etree._Element) -> bool:
        held = self._bulky.get(element)
        if held is None:
            if self._half is None:
                self._half = len(text_content(self.region)) // 2
            held = self._bulky[element] = len(text_content(element)) > self._half
        return held


def _scoped(element: etree._Element) -> bool:
    """Inside an article, main or section element."""
    return any(ancestor.tag in _SCOPES for ancestor in element.iterancestors())


# lxml's plain HTML parser: the same parse as lxml.html's, but its elements are plain
# etree elements, which lxml creates without a Python call for each one (lxml.html's
# element classes cost a lookup per element touched: 2 ms of a 60 KB page's extraction).
# Shared as lxml.html shares its own parser.
# It reads UTF-8 bytes: lxml refuses a str that starts with an XML declaration naming an
# encoding (an XHTML page's ``<?xml version="1.0" encoding="…"?>``), and a body that is
# UTF-8 is parsed as it came (about 15% faster than parsing the decoded str).
# huge_tree: libxml2 otherwise stops building the tree at 256 levels of nesting, and one deep
# widget of a page builder left the whole page empty. (Its other limit, 10 MB text nodes, is
# about the download size limit anyway.) Past 2048 levels a page still comes out empty, which
# is recorded as a fault, never as new text.
_PARSER = etree.HTMLParser(encoding="utf-8", huge_tree=True)
_STRING = etree.XPath("string()", smart_strings=False)  # what HtmlElement.text_content() returns


def text_content(element: etree._Element) -> str:
    """The text of an element and everything in it."""
    return str(_STRING(element))


def css(root: etree._Element, selector: str) -> list[etree._Element]:
    """The elements a CSS selector matches (HTML rules: tag names in any case)."""
    return list(CSSSelector(selector, translator="html")(root))


# libxml2 stops reading at </html> and puts what follows </body> outside the body; browsers
# carry on. CMS templates that close the document early (an included fragment with its own
# </body></html>) still show the rest of the page: the parser closes both at the end anyway.
_DOCUMENT_END = re.compile(rb"</(?:body|html)\s*>", re.IGNORECASE)


def parse_html(text: str, utf8: bytes | None = None) -> etree._Element:
    """The element tree of a page's text; ``utf8``: the same text as UTF-8 bytes, when at hand."""
    if not text.strip():
        raise ExtractionError("empty page")
    data = _DOCUMENT_END.sub(b"", utf8 if utf8 is not None else text.encode("utf-8", "replace"))
    try:
        root = etree.fromstring(data, _PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"cannot parse HTML: {exc}") from exc
    if root is None:
        raise ExtractionError("cannot parse HTML: Document is empty")
    return root


def _title(root: etree._Element) -> str:
    for tag in ("h1", "title"):
        for element in root.iter(tag):
            value = clean(text_content(element))
            if value:
                return value[:300]
    return ""


_ALL_MAIN = etree.XPath("//main")
_ROLE_MAIN = etree.XPath("//*[@role='main']")
_ALL_ARTICLE = etree.XPath("//article")


def _main_region(root: etree._Element) -> etree._Element:
    """The page's main landmark when it has one with enough text, else the body."""
    body = root.find("body")
    if body is None:
        body = root
    for find in (_ALL_MAIN, _ROLE_MAIN, _ALL_ARTICLE):
        found = find(root)
        if len(found) == 1:
            candidate = found[0]
            if len(text_content(candidate).strip()) >= 200:
                return candidate
    return body


def _blocks(region: etree._Element, excluded: set[etree._Element]) -> Iterator[tuple[str, str]]:
    """(kind, text) for every block-level element, text of stray inline content included."""
    chrome = _Chrome(region)
    stack: list[etree._Element] = [region]
    while stack:
        element = stack.pop()
        if element in excluded or not isinstance(element.tag, str) or chrome(element):
            continue
        kind = _BLOCK_TAGS.get(element.tag)
        if kind is not None and not _has_block_child(element):
            text = clean(_text_of(element, kind, chrome))
            if text:
                yield kind, text
            continue
        # Container: loose text (text + tails of inline children) forms its own block.
        loose = _loose_text(element, chrome)
        if loose:
            yield ("p", loose)
        stack.extend(child for child in reversed(list(element)) if _is_structural(child))


def _is_structural(element: etree._Element) -> bool:
    """A child that holds blocks of its own (inline children are part of their parent's text)."""
    if not isinstance(element.tag, str):
        return False
    if element.tag in _BLOCK_TAGS or element.tag in _CONTAINERS:
        return True
    return any(isinstance(child.tag, str) and child.tag in _STRUCTURAL for child in element.iterdescendants())


def _has_block_child(element: etree._Element) -> bool:
    return any(isinstance(child.tag, str) and child.tag in _BLOCK_TAGS for child in element.iterdescendants())


def _text_of(element: etree._Element, kind: str, chrome: _Chrome) -> str:
    if kind == "tr":
        cells = [
            clean(text_content(cell)) for cell in element if isinstance(cell.tag, str) and cell.tag in ("td", "th")
        ]
        return " | ".join(cell for cell in cells if cell)
    return " ".join(_itertext_skipping(element, chrome))


def _itertext_skipping(element: etree._Element, chrome: _Chrome) -> Iterator[str]:
    if element.text:
        yield element.text
    for child in element:
        if isinstance(child.tag, str) and not chrome(child):
            yield from _itertext_skipping(child, chrome)
        if child.tail:
            yield child.tail


def _loose_text(element: etree._Element, chrome: _Chrome) -> str:
    if element.tag in ("ul", "ol", "dl", "table", "tbody", "html"):
        return ""
    parts: list[str] = [element.text or ""]
    buffer_is_loose = bool((element.text or "").strip())
    for child in element:
        if isinstance(child.tag, str) and (_is_structural(child) or chrome(child)):
            parts.append(" ")
        elif isinstance(child.tag, str):
            inline = " ".join(child.itertext())
            parts.append(inline)
            buffer_is_loose = buffer_is_loose or bool(inline.strip())
        if child.tail and child.tail.strip():
            buffer_is_loose = True
        parts.append(child.tail or "")
    if not buffer_is_loose:
        return ""
    return clean(" ".join(parts))


def extract_html(
    text: str,
    base_url: str,
    select: str | None = None,
    exclude: Iterable[str] = (),
    with_links: bool = True,
    utf8: bytes | None = None,
) -> Page:
    """The watched text of an HTML page as blocks, plus its links (unless ``with_links`` is
    false: only a listing's links are followed). ``utf8``: ``text`` as UTF-8 bytes, when at hand."""
    truncated = _looks_truncated(text)
    root = parse_html(text, utf8)
    title = _title(root)
    excluded: set[etree._Element] = set()
    for selector in exclude:
        excluded.update(css(root, selector))
    if select:
        regions = css(root, select)
        if not regions:
            raise ExtractionError(f"the 'select' selector {select!r} matches nothing on the page")
    else:
        regions = [_main_region(root)]
    links = tuple(_links(root, regions, excluded, base_url)) if with_links else ()
    blocks: list[Block] = []
    heading = ""
    for region in regions:
        for kind, block_text in _blocks(region, excluded):
            if kind == "h":
                heading = block_text
            blocks.append(Block(block_text, kind, heading if kind != "h" else ""))
    return Page(title=title, blocks=tuple(_dedupe(blocks)), links=links, truncated=truncated)


def _dedupe(blocks: list[Block]) -> Iterator[Block]:
    seen: set[str] = set()
    for block in blocks:
        if block.text not in seen:
            seen.add(block.text)
            yield block


_END_TAG = re.compile(r"</(?:html|body)\s*>", re.IGNORECASE)
_START_TAG = re.compile(r"<html[\s>]", re.IGNORECASE)


def _looks_truncated(text: str) -> bool:
    """An HTML document that opens <html> but never closes <body> or <html> was cut off."""
    if not _START_TAG.search(text[:4096]):
        return False
    # The closing tags are nearly always in the last few bytes; the 64 KiB tail (which ends
    # with those bytes) is searched only when they are not there.
    return not (_END_TAG.search(text[-1024:]) or _END_TAG.search(text[-65536:]))


def _links(
    root: etree._Element, regions: list[etree._Element], excluded: set[etree._Element], base_url: str
) -> Iterator[tuple[str, str]]:
    """Links in the watched regions, outside page chrome."""
    base = base_url
    for element in root.xpath("//base[@href]"):
        base = urljoin(base_url, element.get("href"))
        break
    for region in regions:
        chrome = _Chrome(region)
        for anchor in region.iter("a"):
            if not anchor.get("href") or _in_chrome(anchor, region, excluded, chrome):
                continue
            url = absolute_url(base, anchor.get("href", ""))
            if url:
                yield url, clean(text_content(anchor))[:300]


def _in_chrome(element: etree._Element, region: etree._Element, excluded: set[etree._Element], chrome: _Chrome) -> bool:
    node: etree._Element | None = element
    while node is not None and node is not region:
        if node in excluded or chrome(node):
            return True
        node = node.getparent()
    return False


def absolute_url(base: str, href: str) -> str | None:
    """An absolute http(s) URL without fragment, or None for anything else (mailto:, javascript:…)."""
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    try:
        url = urljoin(base, href)
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


def extract_document(
    body: bytes, content_type: str, url: str, select: str | None = None, exclude: Iterable[str] = ()
) -> Page:
    """A fetched HTML page or PDF as blocks (the region ``select`` names, minus ``exclude``)."""
    content_type = content_type.lower()
    if "pdf" in content_type or body[:5] == b"%PDF-":
        return extract_pdf(body)
    return extract_html_body(body, content_type or None, url, select=select, exclude=exclude, with_links=False)


def extract_html_body(
    body: bytes,
    content_type: str | None,
    base_url: str,
    select: str | None = None,
    exclude: Iterable[str] = (),
    with_links: bool = True,
) -> Page:
    """:func:`extract_html` of a response body, decoded as :func:`decode` does (and, when it
    is UTF-8, parsed from the bytes as they came)."""
    text, utf8 = _decode(body, content_type)
    return extract_html(text, base_url, select, exclude, with_links, utf8=body if utf8 else None)


_FRAGMENT_PARSER = lxml.html.HTMLParser(huge_tree=True)  # see _PARSER


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (a feed summary)."""
    if "<" not in fragment:
        return clean(fragment)
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div", parser=_FRAGMENT_PARSER)
    except (etree.ParserError, ValueError):
        return clean(re.sub(r"<[^>]+>", " ", fragment))
    for bad in root.xpath("//script|//style"):
        bad.drop_tree()
    return clean(" ".join(root.itertext()))


# --- PDF -------------------------------------------------------------------------------

_MAX_PDF_PAGES = 500
_HYPHEN_BREAK = re.compile(r"(\w)-\n(\w)")


def extract_pdf(body: bytes) -> Page:
    """Text of a PDF, page by page, as paragraph blocks."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(body))
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise ExtractionError("the PDF is encrypted")
            except (NotImplementedError, PyPdfError) as exc:
                raise ExtractionError("the PDF is encrypted") from exc
        title = ""
        if reader.metadata and reader.metadata.title:
            title = clean(str(reader.metadata.title))
        blocks: list[Block] = []
        for number, page in enumerate(reader.pages):
            if number >= _MAX_PDF_PAGES:
                break
            raw = page.extract_text() or ""
            for paragraph in _pdf_paragraphs(raw):
                blocks.append(Block(paragraph, "pdf", title))
    except ExtractionError:
        raise
    except (PdfReadError, PyPdfError, ValueError, TypeError, KeyError, IndexError, AttributeError, OSError) as exc:
        raise ExtractionError(f"cannot read the PDF: {exc}") from exc
    if not blocks:
        raise ExtractionError("the PDF has no extractable text (scanned image?)")
    return Page(title=title or blocks[0].text[:120], blocks=tuple(_dedupe(blocks)))


def _pdf_paragraphs(raw: str) -> Iterator[str]:
    raw = _HYPHEN_BREAK.sub(r"\1\2", raw.replace("\r", ""))
    chunks = re.split(r"\n\s*\n", raw)
    for chunk in chunks:
        lines = [line.strip() for line in chunk.split("\n") if line.strip()]
        paragraph: list[str] = []
        for line in lines:
            paragraph.append(line)
            # A line ending a sentence and shorter than its neighbours closes a paragraph.
            if re.search(r"[.!?:]$", line) and len(line) < 60:
                yield clean(" ".join(paragraph))
                paragraph = []
        if paragraph:
            yield clean(" ".join(paragraph))


# --- feeds -----------------------------------------------------------------------------


def extract_feed(body: bytes, base_url: str) -> list[FeedEntry]:
    """Entries of an RSS/Atom feed; entity tricks (billion laughs, external entities) are refused."""
    import defusedxml.ElementTree as DET
    import feedparser
    from defusedxml import DefusedXmlException

    try:
        DET.fromstring(body)
    except DefusedXmlException as exc:
        raise ExtractionError(f"the feed uses forbidden XML constructs ({type(exc).__name__})") from exc
    except DET.ParseError as exc:
        if b"<!ENTITY" in body[:65536] or b"<!DOCTYPE" in body[:65536]:
            raise ExtractionError(f"the feed is not well-formed XML: {exc}") from exc
        # feedparser copes with many broken feeds; try it.
    parsed = feedparser.parse(body, resolve_relative_uris=False, sanitize_html=False)
    if parsed.bozo and not parsed.entries:
        raise ExtractionError(f"cannot parse the feed: {parsed.get('bozo_exception')}")
    entries: list[FeedEntry] = []
    for entry in parsed.entries:
        link = absolute_url(base_url, entry.get("link", "")) or ""
        key = str(entry.get("id") or entry.get("guid") or link)
        if not key:
            continue
        title = clean(html_to_text(entry.get("title", "")))
        blocks = [Block(title, "h")] if title else []
        blocks.extend(_entry_blocks(entry, title))
        entries.append(FeedEntry(key=key, url=link, title=title, blocks=tuple(blocks)))
    return entries


def _entry_blocks(entry: Any, title: str) -> list[Block]:
    """An entry's text: its summary, or its full content when the feed carries more of it
    (RSS ``content:encoded``, Atom ``content``: a blog's feed often has an excerpt of a few
    lines as the summary and the whole post as the content), as paragraph blocks."""
    summary = entry.get("summary", "") or ""
    summary_text = html_to_text(summary)
    content = max((part.get("value", "") or "" for part in entry.get("content") or []), key=len, default="")
    content_text = html_to_text(content) if content else ""
    if len(content_text) > len(summary_text):
        body = f"<html><body><article>{content}</article></body></html>"
        try:
            page = extract_html(body, "http://feed.invalid/", with_links=False)
        except ExtractionError:
            page = None
        if page is not None and page.blocks:
            return [
                Block(block.text, block.kind, block.heading or title) for block in page.blocks if block.text != title
            ]
        summary_text = content_text
    return [Block(summary_text, "entry", title)] if summary_text and summary_text != title else []
