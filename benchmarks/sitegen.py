"""Deterministic portal-like pages for the benchmark site.

Each page is built once per (seed, index) as a list of static HTML chunks with *noise
slots* between them (clock times, dates, relative dates, CSRF tokens, view counters,
asset version strings). Rendering a version of the page only fills the slots, so a whole
site re-renders in a fraction of a second per thousand pages.

A page's *news* are extra paragraphs of real, on-topic text (protection mechanism for
human rights defenders in Albania) inserted at the top of the article; ``news=k`` renders
the first ``k`` of them.
"""

from __future__ import annotations

import hashlib
import random
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from html import escape

# noise slot kinds
TIMESTAMP, DATE, RELATIVE, TOKEN, COUNTER, ASSET, NEWS = "ts", "date", "rel", "tok", "cnt", "asset", "news"

_SECTIONS = [
    ("About us", "Rreth nesh"),
    ("Human rights", "Të drejtat e njeriut"),
    ("Democracy", "Demokracia"),
    ("Rule of law", "Shteti i së drejtës"),
    ("Cooperation", "Bashkëpunimi"),
    ("News and events", "Lajme dhe ngjarje"),
    ("Publications", "Publikime"),
    ("Legislation", "Legjislacioni"),
    ("Committees", "Komisionet"),
    ("Contacts", "Kontakte"),
]
_MENU_WORDS = [
    "Annual reports",
    "Data protection",
    "Freedom of expression",
    "Equality and non-discrimination",
    "Children's rights",
    "Gender equality",
    "Roma and Egyptians",
    "Justice reform",
    "Anti-corruption",
    "Local democracy",
    "Elections",
    "Media freedom",
    "Prison conditions",
    "National Preventive Mechanism",
    "Civil society",
    "Human rights defenders and civil society (Commissioner)",
    "Youth",
    "Education",
    "Vacancies",
    "Procurement",
    "Press releases",
    "Calendar",
    "Photo gallery",
    "Video archive",
    "Komisioni për Çështjet Ligjore",
    "Nënkomisioni për të Drejtat e Njeriut",
    "Seancat plenare",
    "Projektligjet",
    "Raportet vjetore",
    "Transparenca",
    "Njoftime",
    "Pyetje të shpeshta",
    "Programi i transparencës",
    "Vendimet",
    "Rezolutat",
    "Dëgjesat publike",
    "Buletini",
    "Arkivi",
    "Strategjia kombëtare",
    "Partnerët",
    "Projekte",
    "Thirrje për aplikime",
    "Bursat",
    "Sondazhe",
]
_SUBJECTS = [
    "The Ombudsperson",
    "The Council of Europe Office in Tirana",
    "The parliamentary committee",
    "The Ministry of Justice",
    "A coalition of civil society organisations",
    "The European Union Delegation",
    "The Commissioner for Protection from Discrimination",
    "The municipality of Shkodër",
    "The State Police",
    "The High Judicial Council",
    "Local NGOs in Korçë",
    "The OSCE Presence",
    "Avokati i Popullit",
    "Kuvendi i Shqipërisë",
    "Ministria e Drejtësisë",
    "Organizatat e shoqërisë civile",
]
_VERBS = [
    "presented",
    "discussed",
    "published",
    "reviewed",
    "welcomed",
    "criticised",
    "organised",
    "launched",
    "adopted",
    "examined",
    "prezantoi",
    "diskutoi",
    "miratoi",
    "shqyrtoi",
]
_OBJECTS = [
    "its annual report on prison conditions",
    "a training for judges on freedom of expression",
    "the national strategy on gender equality",
    "a workshop on access to public information",
    "the draft law on local self-government",
    "a study on the rights of persons with disabilities",
    "the action plan for Roma and Egyptian integration",
    "a conference on media pluralism",
    "recommendations on pre-trial detention",
    "the budget for legal aid",
    "a campaign against domestic violence",
    "raportin vjetor mbi kushtet në burgje",
    "projektligjin për vetëqeverisjen vendore",
    "strategjinë kombëtare për barazinë gjinore",
    "një trajnim për gjyqtarët",
]
_PLACES = [
    "in Tirana",
    "in Durrës",
    "in Elbasan",
    "in Vlorë",
    "in Gjirokastër",
    "in Fier",
    "in Berat",
    "në Tiranë",
    "në Durrës",
    "në Shkodër",
    "in Strasbourg",
    "in Kukës",
]
_TAILS = [
    "with the participation of experts from several countries",
    "following consultations with the public",
    "as part of a joint programme",
    "in cooperation with local authorities",
    "after months of preparation",
    "with a focus on vulnerable groups",
    "në bashkëpunim me autoritetet vendore",
    "me pjesëmarrjen e ekspertëve",
]
_NEWS_EN = [
    "The parliamentary Committee on Legal Affairs, Public Administration and Human Rights discussed the draft law on a "
    "protection mechanism for human rights defenders in Albania on {day} {month}, hearing {k} organisations.",
    "The Ombudsperson proposed a dedicated unit for human rights defenders at risk and asked the government to fund "
    "the new protection mechanism in the {year} budget, citing {k} recent cases of threats.",
    "Civil society organisations called on the Assembly to adopt the resolution on the protection of human rights "
    "defenders before {month}, after {k} journalists and activists reported threats this year.",
]
_NEWS_SQ = [
    "Komisioni për Çështjet Ligjore shqyrtoi më {day} {month} projektligjin për mekanizmin e mbrojtjes së mbrojtësve "
    "të të drejtave të njeriut në Shqipëri, me {k} organizata pjesëmarrëse.",
    "Avokati i Popullit kërkoi krijimin e një njësie për mbrojtësit e të drejtave të njeriut në rrezik dhe "
    "financimin e mekanizmit të ri në buxhetin e vitit {year}, pas {k} rasteve kërcënimi.",
]
MAX_NEWS = 24  # news paragraphs a page can gain (render caps at this)
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "September", "October", "November"]


@dataclass(frozen=True)
class PageTemplate:
    index: int
    path: str
    title: str
    chunks: tuple[str, ...]  # len(slots) + 1 static pieces
    slots: tuple[str, ...]  # noise kinds between the chunks
    news: tuple[str, ...]  # on-topic paragraphs that a later version may add


def _sentence(rng: random.Random) -> str:
    return (
        f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_PLACES)} "
        f"{rng.choice(_TAILS)} on {rng.randint(1, 28)} {rng.choice(_MONTHS)} {rng.randint(2015, 2025)}."
    )


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))


@lru_cache(maxsize=4096)
def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode("ascii")
    return "-".join("".join(ch if ch.isalnum() else " " for ch in ascii_text).split())[:48]


class _Builder:
    def __init__(self) -> None:
        self.chunks: list[str] = []
        self.slots: list[str] = []
        self._buf: list[str] = []

    def add(self, html: str) -> None:
        self._buf.append(html)

    def slot(self, kind: str) -> None:
        self.chunks.append("".join(self._buf))
        self._buf = []
        self.slots.append(kind)

    def done(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        self.chunks.append("".join(self._buf))
        return tuple(self.chunks), tuple(self.slots)


def page_meta(seed: int, index: int) -> tuple[str, str, str]:
    """Language, title and URL path of page ``index`` (cheap: no page is built)."""
    rng = random.Random(f"{seed}:{index}:meta")
    lang = rng.choice(["en", "sq"])
    title = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}"[:110]
    return lang, title, f"/{lang}/web/portal/-/news-{index:05d}-{_slug(title)}"


def build_page(seed: int, index: int) -> PageTemplate:
    """The static structure of page ``index``: 40–90 KB once rendered."""
    rng = random.Random(f"{seed}:{index}")
    target = rng.randint(40_000, 88_000)
    lang, title, path = page_meta(seed, index)
    b = _Builder()
    b.add(f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n')
    b.add(f"<title>{escape(title)} | Portal</title>\n")
    b.add('<meta name="viewport" content="width=device-width, initial-scale=1">\n')
    for name in ("main", "clay", "portal", "custom", "print", "fontawesome", "swiper", "cookie"):
        b.add(
            f'<link rel="stylesheet" href="/o/classic-theme/css/{name}.css?browserId=other&amp;languageId={lang}&amp;t='
        )
        b.slot(ASSET)
        b.add('">\n')
    for name in ("jquery", "bootstrap", "everything", "analytics", "menu", "search"):
        b.add(f'<script src="/combo/?/o/frontend-js/{name}.js&amp;t=')
        b.slot(ASSET)
        b.add('" defer></script>\n')
    b.add("<script>\nvar themeDisplay = {companyId: '20097', groupId: '")
    b.add(str(rng.randint(10_000, 99_999)))
    b.add("', languageId: '" + lang + "', authToken: '")
    b.slot(TOKEN)
    b.add("', serverTime: '")
    b.slot(TIMESTAMP)
    b.add("', sessionTimeout: 1800, cdnBase: '/o/', buildNumber: '")
    b.slot(ASSET)
    b.add("'};\nvar portletConfig = ")
    config = ",".join(
        f'"portlet_{i}":{{"id":"com_liferay_{_slug(rng.choice(_MENU_WORDS)).replace("-", "_")}_{i}",'
        f'"cacheable":{str(rng.random() < 0.5).lower()},"ttl":{rng.randint(60, 3600)}}}'
        for i in range(rng.randint(30, 70))
    )
    b.add("{" + config + "};\n</script>\n</head>\n<body class='portal controls-visible'>\n")
    b.add(
        '<div id="cookie-banner" class="cookie-banner"><p>This site uses cookies to improve your experience and for '
        'statistics. By continuing to browse you accept their use. <a href="/en/privacy">Privacy policy</a></p>'
        '<button type="button">Accept</button></div>\n'
    )
    b.add('<header id="banner"><div class="top-bar"><span class="clock">Tirana, ')
    b.slot(TIMESTAMP)
    b.add(
        '</span> <ul class="languages"><li><a href="/en">English</a></li><li><a href="/sq">Shqip</a></li>'
        '<li><a href="/fr">Français</a></li></ul>'
    )
    b.add('<form class="search" action="/search" method="get"><input type="hidden" name="p_auth" value="')
    b.slot(TOKEN)
    b.add('"><input type="text" name="q" placeholder="Search"><button>Search</button></form></div>\n')
    # the mega-menu: the biggest part of a portal page
    b.add('<nav id="navigation" class="mega-menu" role="navigation"><ul class="level-1">\n')
    for en, sq in _SECTIONS:
        label = en if lang == "en" else sq
        b.add(
            f'<li class="dropdown"><a href="/{lang}/{_slug(label)}">{escape(label)}</a><div class="mega"><ul class="level-2">'
        )
        for _col in range(rng.randint(3, 6)):
            head = rng.choice(_MENU_WORDS)
            b.add(f'<li><span class="col-title">{escape(head)}</span><ul class="level-3">')
            for _item in range(rng.randint(4, 9)):
                item = rng.choice(_MENU_WORDS)
                b.add(f'<li><a href="/{lang}/{_slug(label)}/{_slug(head)}/{_slug(item)}">{escape(item)}</a></li>')
            b.add("</ul></li>")
        b.add("</ul></div></li>\n")
    b.add("</ul></nav>\n</header>\n")
    b.add(
        f'<div class="breadcrumbs"><a href="/{lang}">Home</a> › <a href="/{lang}/news">News</a> › {escape(title)}</div>\n'
    )
    # the article
    b.add(f'<main id="content"><article class="journal-content-article">\n<h1>{escape(title)}</h1>\n')
    b.add(f'<p class="meta">Published {rng.randint(1, 28)}/{rng.randint(1, 12)}/{rng.randint(2019, 2025)} · Updated ')
    b.slot(TIMESTAMP)
    b.add(" · ")
    b.slot(COUNTER)
    b.add(" views</p>\n")
    b.slot(NEWS)
    body_paragraphs = rng.randint(6, 14)
    for i in range(body_paragraphs):
        if i == 3:
            b.add("<h2>" + escape(rng.choice(_OBJECTS).capitalize()) + "</h2>\n")
        b.add(f"<p>{escape(_paragraph(rng))}</p>\n")
    b.add(
        "<ul class='facts'>"
        + "".join(f"<li>{escape(_sentence(rng))}</li>" for _ in range(rng.randint(3, 6)))
        + "</ul>\n"
    )
    b.add('<div class="share">Share: <a href="#">Facebook</a> <a href="#">X</a> <a href="#">Email</a> · Shared ')
    b.slot(COUNTER)
    b.add(" times</div>\n</article></main>\n")
    # sidebar: most read with counters, latest with relative dates, static related links
    b.add('<aside class="sidebar"><section class="most-read"><h3>Most read</h3><ol>')
    for _ in range(8):
        b.add(
            f'<li><a href="/{lang}/news/{rng.randint(1000, 9999)}">{escape(rng.choice(_OBJECTS).capitalize())}</a> <span class="views">'
        )
        b.slot(COUNTER)
        b.add(" views</span></li>\n")
    b.add('</ol></section><section class="latest"><h3>Latest</h3><ul>')
    for _ in range(6):
        b.add(
            f'<li><a href="/{lang}/news/{rng.randint(1000, 9999)}">{escape(rng.choice(_OBJECTS).capitalize())}</a> <time>'
        )
        b.slot(RELATIVE)
        b.add("</time></li>\n")
    b.add('</ul></section><section class="related"><h3>Related</h3><ul>')
    for _ in range(rng.randint(5, 10)):
        b.add(f'<li><a href="/{lang}/news/{rng.randint(1000, 9999)}">{escape(_sentence(rng))}</a></li>')
    b.add("</ul></section></aside>\n")
    # footer
    b.add('<footer id="footer"><div class="footer-links">')
    for en, sq in _SECTIONS:
        label = en if lang == "en" else sq
        b.add(f"<div class='col'><h4>{escape(label)}</h4><ul>")
        for _ in range(rng.randint(5, 12)):
            item = rng.choice(_MENU_WORDS)
            b.add(f'<li><a href="/{lang}/{_slug(label)}/{_slug(item)}">{escape(item)}</a></li>')
        b.add("</ul></div>")
    b.add("</div>\n")
    # pad with more footer link columns and config until the target size (static, deterministic)
    size = sum(len(c) for c in b.chunks) + sum(len(c) for c in b._buf)
    b.add('<ul class="tag-cloud">\n')
    while size < target - 1500:
        item = rng.choice(_MENU_WORDS)
        piece = (
            f'<li><a class="tag" href="/{lang}/tags/{_slug(item)}-{rng.randint(1, 999)}" '
            f'title="{escape(item)}">{escape(item)}</a></li>\n'
        )
        b.add(piece)
        size += len(piece)
    b.add("</ul>\n")
    b.add('<p class="generated">Page generated ')
    b.slot(TIMESTAMP)
    b.add(" in 0.")
    b.slot(COUNTER)
    b.add(" s · Visitors today: ")
    b.slot(COUNTER)
    b.add(" · Last sync ")
    b.slot(DATE)
    b.add('</p><form method="post" action="/newsletter"><input type="hidden" name="__RequestVerificationToken" value="')
    b.slot(TOKEN)
    b.add('"><input type="email" name="email"><button>Subscribe</button></form>')
    b.add("<p>© 2026 Portal. All rights reserved.</p></footer>\n</body>\n</html>\n")
    chunks, slots = b.done()
    news = tuple(_news(rng, lang, k) for k in range(MAX_NEWS))
    return PageTemplate(index, path, title, chunks, slots, news)


def _news(rng: random.Random, lang: str, k: int) -> str:
    template = rng.choice(_NEWS_SQ if lang == "sq" and rng.random() < 0.7 else _NEWS_EN)
    text = template.format(
        day=rng.randint(1, 28), month=rng.choice(_MONTHS), year=rng.randint(2026, 2028), k=rng.randint(3, 40) + k
    )
    return f"<p class='lead'>{escape(text)}</p>\n"


def _noise_value(kind: str, rng: random.Random) -> str:
    if kind == TIMESTAMP:
        return (
            f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.2026 {rng.randint(0, 23):02d}:"
            f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
        )
    if kind == DATE:
        return f"{rng.randint(1, 28)}/{rng.randint(1, 12)}/2026"
    if kind == RELATIVE:
        return rng.choice(
            [f"{rng.randint(2, 59)} minutes ago", f"{rng.randint(2, 23)} hours ago", f"{rng.randint(2, 6)} days ago"]
        )
    if kind == TOKEN:
        return f"{rng.getrandbits(128):032x}"
    if kind == COUNTER:
        return str(rng.randint(10, 99_999))
    if kind == ASSET:
        return str(rng.randint(1_600_000_000_000, 1_800_000_000_000))
    raise ValueError(kind)


def render(page: PageTemplate, seed: int, noise: int, news: int) -> bytes:
    """Page bytes for one noise version and ``news`` extra on-topic paragraphs."""
    rng = random.Random(f"{seed}:{page.index}:noise:{noise}")
    parts: list[str] = [page.chunks[0]]
    for kind, chunk in zip(page.slots, page.chunks[1:], strict=True):
        if kind == NEWS:
            parts.extend(reversed(page.news[:news]))  # newest first
        else:
            parts.append(_noise_value(kind, rng))
        parts.append(chunk)
    return "".join(parts).encode("utf-8")


def news_pages(seed: int, n: int, cycle: int, share: float = 0.10) -> list[int]:
    """The pages that get a new paragraph in noisy cycle ``cycle``: ``share`` of them, deterministic."""
    count = max(1, round(n * share))
    rng = random.Random(int.from_bytes(hashlib.sha256(f"{seed}:news:{cycle}".encode()).digest()[:8], "big"))
    return sorted(rng.sample(range(n), count))
