"""The demo's sample site, written for the project: four sources in two versions.

Version 1 is the baseline. Version 2 changes everything a real site changes — clocks, view
counters, tokens, asset versions, a rotating "most read" box — adds an unrelated news item,
and publishes one new article about the protection mechanism for human rights defenders.
"""

from __future__ import annotations

import html
from dataclasses import dataclass


@dataclass(frozen=True)
class Noise:
    clock: str
    date: str
    views: int
    token: str
    asset: str
    most_read: tuple[str, ...]


NOISE = {
    1: Noise(
        "09:12",
        "27/11/2026",
        1843,
        "9f3a2c7e1b5d4f60a8c2e9b7d1f4a6c3",
        "20261127a",
        ("Budget hearing", "Road safety week"),
    ),
    2: Noise(
        "16:47",
        "29/11/2026",
        2291,
        "04be7d93c2a1f5e8b6d0c4a9e7f3b218",
        "20261129c",
        ("Tourism season", "Budget hearing"),
    ),
}

NEWS_ITEMS = [
    (
        "/office/news/2026/11/justice-training",
        "Training for judges on the European Convention on Human Rights",
        "Forty judges and prosecutors from Durrës, Shkodër and Vlorë took part in a three-day training on the case law of the European Court of Human Rights.",
    ),
    (
        "/office/news/2026/10/schools-debate",
        "National final of the democratic citizenship debate",
        "Secondary school students from twelve cities debated the lowering of the voting age in local elections.",
    ),
]
NEW_UNRELATED = (
    "/office/news/2026/11/heritage-days",
    "European Heritage Days in Gjirokastër",
    "More than two thousand visitors joined guided tours and concerts organised for the European Heritage Days.",
)
NEW_RELEVANT = (
    "/office/news/2026/11/hrd-mechanism",
    "Roundtable on a national protection mechanism for human rights defenders",
    "The Office of the Council of Europe in Tirana, the People's Advocate and the parliamentary Sub-committee for "
    "Human Rights held a roundtable on a draft law establishing a national protection mechanism for human rights "
    "defenders in Albania. Participants agreed that the mechanism should include protective measures for "
    "defenders at risk and a focal point at the Ombudsperson's office.",
)


def _chrome(title: str, body: str, noise: Noise) -> str:
    most_read = "".join(f"<li><a href='#'>{html.escape(t)}</a></li>" for t in noise.most_read)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<link rel="stylesheet" href="/static/site.css?v={noise.asset}"><script src="/static/app.js?v={noise.asset}"></script></head>
<body>
<div class="cookie-banner">We use cookies to measure visits. <button>Accept</button></div>
<header><nav class="main-menu"><a href="/">Home</a> <a href="/office/news">News</a> <a href="/committee">Committee on Legal Issues, Public Administration and Human Rights</a>
<a href="/subcommittee">Sub-committee for Human Rights</a></nav><span class="clock">{noise.date} {noise.clock}</span></header>
<form><input type="hidden" name="csrf" value="{noise.token}"></form>
<main>{body}</main>
<aside class="sidebar"><h3>Most read</h3><ul>{most_read}</ul></aside>
<footer>© 2026 Demo Office · Views: {noise.views}</footer>
</body></html>"""


def _listing(version: int) -> str:
    items = list(NEWS_ITEMS)
    if version >= 2:
        items = [NEW_RELEVANT[:3], NEW_UNRELATED, *items]
    lis = "".join(
        f"<li><a href='{href}'>{html.escape(title)}</a> <span class='date'>Posted {NOISE[version].date}</span></li>"
        for href, title, _text in items
    )
    return _chrome("News — Demo Council of Europe Office", f"<h1>News</h1><ul class='news'>{lis}</ul>", NOISE[version])


def _article(title: str, text: str, version: int) -> str:
    return _chrome(title, f"<article><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></article>", NOISE[version])


PARLIAMENT = [
    "Nënkomisioni për të Drejtat e Njeriut zhvilloi më 12 maj 2019 një tryezë konsultimi për rezolutën e miratuar nga Kuvendi.",
    "Komisioni për Çështjet Ligjore, Administratën Publike dhe të Drejtat e Njeriut shqyrtoi projektligjin për buxhetin e vitit 2027.",
]
NGO = [
    "On 3 March 2019 the Parliament of Albania passed a resolution in support of the activity of human rights defenders.",
    "No further public information is available about steps towards setting up a protection mechanism.",
]


def pages(version: int) -> dict[str, tuple[str, bytes]]:
    """Path → (content type, body) for a version of the site."""
    noise = NOISE[version]
    parliament_extra = (
        ["Kuvendi pret delegacionin e parlamentit të Malit të Zi për një vizitë pune."] if version >= 2 else []
    )
    site: dict[str, tuple[str, bytes]] = {
        "/office/news": ("text/html; charset=utf-8", _listing(version).encode()),
        "/parlament/lajme": (
            "text/html; charset=utf-8",
            _chrome(
                "Lajme nga Kuvendi",
                "<h1>Lajme</h1><p class='meta'>Postuar më, "
                + noise.date
                + "</p>"
                + "".join(f"<p>{html.escape(p)}</p>" for p in [*PARLIAMENT, *parliament_extra]),
                noise,
            ).encode(),
        ),
        "/ngo/albania": (
            "text/html; charset=utf-8",
            _chrome(
                "Albania — country page",
                "<h1>Albania</h1>"
                + "".join(f"<p>{html.escape(p)}</p>" for p in NGO)
                + f"<p>Update: {noise.date[3:]}</p>",
                noise,
            ).encode(),
        ),
        "/osce/feed.xml": ("application/rss+xml", _feed(version).encode()),
        "/robots.txt": ("text/plain", b"User-agent: *\nAllow: /\n"),
    }
    for href, title, text in [*NEWS_ITEMS, NEW_UNRELATED, NEW_RELEVANT]:
        site[href] = ("text/html; charset=utf-8", _article(title, text, version).encode())
    return site


def _feed(version: int) -> str:
    entries = [("osce-101", "Local elections observers trained", "Thirty observers completed their training.")]
    if version >= 2:
        entries.insert(0, ("osce-102", "Youth forum on climate", "Young people from five regions met in Elbasan."))
    items = "".join(
        f"<item><guid isPermaLink='false'>{g}</guid><title>{html.escape(t)}</title>"
        f"<link>http://demo.invalid/osce/{g}</link><description>{html.escape(d)}</description></item>"
        for g, t, d in entries
    )
    return f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>OSCE demo</title>{items}</channel></rss>"
