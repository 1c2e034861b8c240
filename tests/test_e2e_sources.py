"""End-to-end: listings with new HTML and PDF documents, feeds, faults and recovery."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.conftest import BACKENDS, Hrdwatch
from tests.eval.__main__ import make_pdf
from tests.site import Resource, Site, html

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)

RELEVANT = (
    "Kuvendi miratoi sot projektligjin për mekanizmin kombëtar të mbrojtjes së mbrojtësve të të drejtave të njeriut."
)
UNRELATED = "The Minister of Tourism opened the new season at the coast with a press conference."


def listing(*links: tuple[str, str]) -> str:
    items = "".join(f"<li><a href='{href}'>{text}</a></li>" for href, text in links)
    return html(f"<nav><a href='/about'>About</a></nav><main><h1>News</h1><ul>{items}</ul></main>").body.decode()


def article(title: str, *paragraphs: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return html(f"<main><h1>{title}</h1>{body}<p>Contact: press office of the institution.</p></main>").body.decode()


def test_listing_new_html_and_pdf_documents(site: Site, hrdwatch: Hrdwatch) -> None:
    site["/news"] = listing(("/news/1", "Old item"))
    site["/news/1"] = article("Old item", "An old article about the budget of the institution for next year.")
    hrdwatch.write_config([{"id": "parl", "url": site.url("/news"), "kind": "listing", "follow": r"/news/\d+|\.pdf$"}])
    hrdwatch.run("crawl")
    assert hrdwatch.alerts() == []
    assert site.hits("/news/1") == 1  # baseline documents are read once

    site["/news"] = listing(
        ("/news/2", "Mekanizmi"), ("/news/3", "Turizmi"), ("/docs/report.pdf", "Report"), ("/news/1", "Old item")
    )
    site["/news/2"] = article("Mekanizmi i mbrojtjes", RELEVANT)
    site["/news/3"] = article("Turizmi", UNRELATED)
    site["/docs/report.pdf"] = Resource(
        make_pdf(
            [
                "Annual report 2026.",
                "Chapter 4. The Ombudsperson recommends a law on the protection of human rights defenders in Albania.",
            ]
        ),
        content_type="application/pdf",
    )
    out = hrdwatch.run("crawl").stdout
    assert "3 new documents" in out, out
    alerts = sorted(hrdwatch.alerts(), key=lambda a: a["url"])
    assert [a["url"] for a in alerts] == [site.url("/docs/report.pdf"), site.url("/news/2")]
    assert "protection of human rights defenders" in alerts[0]["excerpt"]
    assert RELEVANT in alerts[1]["excerpt"]
    assert site.hits("/news/1") == 2  # a known document still linked is read again (conditionally)

    hrdwatch.run("crawl")
    assert len(hrdwatch.alerts()) == 2


def test_an_old_article_updated_later_is_read_again(site: Site, hrdwatch: Hrdwatch) -> None:
    # An article gets its update after it was first seen ("the consultation was held"): the
    # newest documents a listing still links to are read again, with conditional requests.
    site["/news"] = listing(
        ("/news/4", "Consultation"), ("/news/3", "Budget"), ("/news/2", "Staff"), ("/news/1", "Tourism")
    )
    site["/news/4"] = article("Consultation", "The Sub-committee will hold a consultation with civil society in May.")
    site["/news/3"] = article("Budget", "An old article about the budget of the institution for next year.")
    site["/news/2"] = article("Staff", "The institution welcomes two new members of staff in its legal department.")
    site["/news/1"] = article("Tourism", UNRELATED)
    hrdwatch.write_config(
        [{"id": "parl", "url": site.url("/news"), "kind": "listing", "follow": r"/news/\d+", "recheck_documents": 3}]
    )
    hrdwatch.run("crawl")
    assert hrdwatch.alerts() == []

    update = (
        "Update: on 12 May 2027 the consultation agreed on a draft law on the protection of human rights defenders."
    )
    site["/news/4"] = article(
        "Consultation", "The Sub-committee will hold a consultation with civil society in May.", update
    )
    # Old articles gone, with a 404 or a "not found" page at 200: no fault of the source.
    site["/news/3"] = html("<main><h1>Faqja nuk u gjet</h1><p>Na vjen keq.</p></main>")
    del site["/news/2"]
    out = hrdwatch.run("crawl", "--json").stdout
    summary = json.loads(out.splitlines()[-1])
    assert summary["errors"] == 0, summary
    alerts = hrdwatch.alerts()
    assert [a["url"] for a in alerts] == [site.url("/news/4")]
    assert update in alerts[0]["excerpt"]
    assert site.hits("/news/1") == 1  # beyond recheck_documents: read once

    hrdwatch.run("crawl")
    asked = [headers for _method, path, headers in site.requests if path == "/news/4"]
    assert len(asked) == 3 and asked[-1].get("If-None-Match"), asked  # a conditional request: 304
    assert len(hrdwatch.alerts()) == 1


def test_a_new_article_that_only_restates_older_ones_is_no_news(site: Site, hrdwatch: Hrdwatch) -> None:
    old = (
        "On 3 March 2019 Parliament adopted a resolution in support of human rights defenders.",
        "On 12 May 2019 the Sub-committee for Human Rights held a consultation on the resolution.",
    )
    site["/news"] = listing(("/news/1", "Resolution"))
    site["/news/1"] = article("Resolution", *old)
    hrdwatch.write_config([{"id": "parl", "url": site.url("/news"), "kind": "listing", "follow": r"/news/\d+"}])
    hrdwatch.run("crawl")

    recap = (
        "Five years on: on 3 March 2019 Parliament adopted its resolution in support of human rights "
        "defenders, and on 12 May 2019 the Sub-committee for Human Rights held a consultation on it."
    )
    news = "On 20 November 2026 the Committee adopted the draft law on the protection mechanism for human rights defenders."
    site["/news"] = listing(("/news/3", "Draft law"), ("/news/2", "Five years on"), ("/news/1", "Resolution"))
    site["/news/2"] = article("Five years on", recap)
    site["/news/3"] = article("Draft law", news, "It recalled that on 3 March 2019 Parliament adopted a resolution.")
    out = hrdwatch.run("crawl").stdout
    assert "2 new documents" in out, out
    alerts = hrdwatch.alerts()
    assert [a["url"] for a in alerts] == [site.url("/news/3")]  # the recap is stored, not alerted
    assert alerts[0]["excerpt"] == news
    changes = [json.loads(line) for line in hrdwatch.run("changes", "--json").stdout.splitlines() if line.strip()]
    assert {site.url("/news/2"), site.url("/news/3")} <= {change["url"] for change in changes}


def test_feed_new_entries(site: Site, hrdwatch: Hrdwatch) -> None:
    def feed(*entries: tuple[str, str, str]) -> Resource:
        items = "".join(
            f"<item><guid>{g}</guid><title>{t}</title><link>{site.url('/e/' + g)}</link><description>{d}</description></item>"
            for g, t, d in entries
        )
        return Resource(
            f"<?xml version='1.0'?><rss version='2.0'><channel><title>F</title>{items}</channel></rss>".encode(),
            content_type="application/rss+xml",
        )

    site["/feed"] = feed(("a", "Old", "Old news about roads."))
    hrdwatch.write_config([{"id": "osce", "url": site.url("/feed"), "kind": "feed"}])
    hrdwatch.run("crawl")
    site["/feed"] = feed(
        (
            "b",
            "Roundtable",
            "OSCE and the Ombudsperson held a roundtable on protecting human rights defenders in Albania.",
        ),
        ("c", "Roads", "New roads were opened in the north."),
        ("a", "Old", "Old news about roads."),
    )
    hrdwatch.run("crawl")
    alerts = hrdwatch.alerts()
    assert len(alerts) == 1
    assert alerts[0]["url"] == site.url("/e/b")
    assert "roundtable on protecting human rights defenders" in alerts[0]["excerpt"]

    # An entry edited in place (same guid): a typo fixed is nothing new; a sentence added is.
    roads = "New roads were opened in the north of the country."
    site["/feed"] = feed(("c", "Roads", roads.replace("country", "countyr")), ("a", "Old", "Old news about roads."))
    hrdwatch.run("crawl")
    site["/feed"] = feed(("c", "Roads", roads), ("a", "Old", "Old news about roads."))
    hrdwatch.run("crawl")
    assert len(hrdwatch.alerts()) == 1
    added = "The Committee also set up a working group to draft the law on protecting human rights defenders."
    site["/feed"] = feed(("c", "Roads", f"{roads} {added}"), ("a", "Old", "Old news about roads."))
    hrdwatch.run("crawl")
    alerts = hrdwatch.alerts()
    assert len(alerts) == 2
    assert alerts[1]["url"] == site.url("/e/c") and alerts[1]["excerpt"] == added

    # The feed cuts an entry's summary ("[…]") and moves the cut. Before the cut reached the
    # topic, the text it uncovers is judged as it stands; after, the rest of an article
    # already read as news, shown longer or shorter, is no news.
    statement = (
        "The Ombudsperson asked Parliament to set up the protection mechanism for human rights defenders, "
        "recalling the resolution of 3 March 2019 and the roundtable held in the Assembly in April 2018."
    )

    def cut_at(length: int) -> Resource:
        summary = statement if length >= len(statement) else f"{statement[:length]} […]"
        return feed(("d", "Statement", summary), ("a", "Old", "Old news about roads."))

    for length, alerts_after in ((70, 2), (110, 3), (170, 3), (90, 3), (len(statement), 3)):
        site["/feed"] = cut_at(length)
        hrdwatch.run("crawl")
        assert len(hrdwatch.alerts()) == alerts_after, length


def test_fault_keeps_baseline_and_recovery_is_not_an_alert(site: Site, hrdwatch: Hrdwatch) -> None:
    text = [
        "On 3 March 2019 the Parliament adopted a resolution in support of human rights defenders.",
        "The Sub-committee for Human Rights held a consultation on 12 May.",
        "No further public information is available about a protection mechanism.",
    ]
    good = article("Albania", *text)
    site["/p"] = good
    hrdwatch.write_config([{"id": "focus", "url": site.url("/p")}])
    hrdwatch.run("crawl")

    site["/p"] = Resource(b"<html><body>Internal error</body></html>", status=500)
    out = hrdwatch.run("crawl").stdout
    assert "HTTP 500" in out
    site["/p"] = html("<h1>Site under maintenance</h1><p>We will be back soon.</p>").body.decode()
    hrdwatch.run("crawl")
    site["/p"] = Resource(b"")
    hrdwatch.run("crawl")
    assert hrdwatch.sources()["focus"]["consecutive_errors"] == 3

    site["/p"] = good
    hrdwatch.run("crawl")
    assert hrdwatch.alerts() == []
    assert hrdwatch.sources()["focus"]["consecutive_errors"] == 0


def test_a_page_redirected_to_the_home_page_is_a_fault_not_new_text(site: Site, hrdwatch: Hrdwatch) -> None:
    # A moved or deleted page that the site redirects to its home page: the home page's
    # headlines are not a new version of the page (even those that name the topic).
    text = [
        "On 3 March 2019 the Parliament adopted a resolution in support of human rights defenders.",
        "No further public information is available about a protection mechanism.",
    ]
    site["/sq/lajme/mbrojtesit"] = article("Albania", *text)
    hrdwatch.write_config([{"id": "focus", "url": site.url("/sq/lajme/mbrojtesit")}])
    hrdwatch.run("crawl")

    site["/sq/lajme/mbrojtesit"] = Resource(b"", status=302, headers={"Location": "/"})
    site["/"] = article(
        "Kuvendi i Shqipërisë",
        "Kuvendi miratoi projektligjin për mekanizmin e mbrojtjes së mbrojtësve të të drejtave të njeriut (2019).",
        "Seanca plenare e radhës do të mbahet të enjten.",
    )
    out = hrdwatch.run("crawl").stdout
    assert "home page" in out
    assert hrdwatch.alerts() == []
    assert "redirected to the site's home page" in hrdwatch.sources()["focus"]["last_error"]

    site["/sq/lajme/mbrojtesit"] = article("Albania", *text)
    hrdwatch.run("crawl")
    assert hrdwatch.alerts() == []
    assert hrdwatch.sources()["focus"]["consecutive_errors"] == 0


def test_truncated_page_does_not_alert(site: Site, hrdwatch: Hrdwatch) -> None:
    paragraphs = [f"Paragraph {i} about the work of the office on many topics of public interest." for i in range(6)]
    paragraphs.append("The Parliament adopted a resolution in support of human rights defenders and their protection.")
    full = article("Page", *paragraphs)
    site["/p"] = full
    hrdwatch.write_config([{"id": "p", "url": site.url("/p")}])
    hrdwatch.run("crawl")
    cut = full[: full.index("in support of human rights defenders") + 30]
    site["/p"] = cut
    hrdwatch.run("crawl")
    assert hrdwatch.alerts() == []
    assert "truncated" in hrdwatch.sources()["p"]["last_error"]


def test_text_that_goes_and_comes_back_is_not_new(site: Site, hrdwatch: Hrdwatch) -> None:
    a = "The Parliament adopted a resolution in support of human rights defenders in March 2019."
    b = "The Ombudsperson visited the northern regions to meet local communities and officials."
    c = "The Council of Europe Office organised a seminar on judicial reform for young lawyers."
    site["/p"] = article("P", a, b, c)
    hrdwatch.write_config([{"id": "p", "url": site.url("/p")}])
    hrdwatch.run("crawl")
    site["/p"] = article("P", b, c)
    hrdwatch.run("crawl")
    site["/p"] = article("P", c, a, b)  # back, reordered
    hrdwatch.run("crawl")
    assert hrdwatch.alerts() == []


def test_an_old_article_come_into_view_is_known_without_alerting(site: Site, hrdwatch: Hrdwatch) -> None:
    """A listing that shows more items per page brings old articles into view: filed under
    2019 in their paths, they are known without alerting; an article filed this month alerts."""
    now = datetime.now(UTC)
    current = f"/news/{now.year}/{now.month:02d}/committee"
    site["/news"] = listing((current.replace("committee", "budget"), "Budget"))
    site[current.replace("committee", "budget")] = article("Budget", UNRELATED)
    hrdwatch.write_config([{"id": "ngo", "url": site.url("/news"), "kind": "listing", "follow": r"/news/\d{4}/"}])
    hrdwatch.run("crawl")

    site["/news"] = listing(
        (current, "Committee"),
        (current.replace("committee", "budget"), "Budget"),
        ("/news/2019/03/resolution", "Resolution"),
    )
    site[current] = article("Committee", RELEVANT)
    site["/news/2019/03/resolution"] = article(
        "Resolution",
        "The Parliament of Albania adopted a resolution asking for a protection mechanism for human rights defenders.",
    )
    hrdwatch.run("crawl")
    assert [alert["url"] for alert in hrdwatch.alerts()] == [site.url(current)]
    assert site.hits("/news/2019/03/resolution") == 1  # read, and known from now on
