"""Pure detection functions: folding, sentences, noise, extraction, diff, relevance."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hrdwatch.detect.diff import (
    content_hash,
    fault,
    new_units,
    recut,
    redirected_home,
    republished,
    restatements,
    retrospective,
    same_information,
    shape,
    units_of,
    updates,
    without_joins,
    without_rewordings,
)
from hrdwatch.detect.extract import (
    Block,
    ExtractionError,
    decode,
    extract_document,
    extract_feed,
    extract_html,
    extract_html_body,
    html_to_text,
)
from hrdwatch.detect.judge import judge
from hrdwatch.detect.relevance import builtin_topics, compile_topics, score
from hrdwatch.detect.text import canonical, clean, fold, same_dates, sentences

TOPIC = compile_topics(builtin_topics())["hrd-mechanism"]


def test_fold_albanian_and_french() -> None:
    assert fold("Mbrojtësit e të Drejtave") == "mbrojtesit e te drejtave"
    assert fold("Çështjet") == "ceshtjet"
    assert fold("défenseur·e·s") == "defenseures"
    assert fold("mbrojtės") == "mbrojtes"  # ė typed for ë


def test_mojibake_is_repaired() -> None:
    assert clean("mbrojtÃ«sit e tÃ« drejtave") == "mbrojtësit e të drejtave"


def test_sentences_respect_abbreviations() -> None:
    text = "Z. Totozani foli në Kuvend. Mr. Smith agreed! The meeting ended at 5 p.m. sharp"
    assert sentences(text) == ["Z. Totozani foli në Kuvend.", "Mr. Smith agreed!", "The meeting ended at 5 p.m. sharp"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Postuar më, 29/11/2026", "Postuar më, 30/11/2026"),
        ("Updated 3 hours ago", "Updated 5 hours ago"),
        ("Views: 1,234", "Views: 1,301"),
        ("Last updated: 29 November 2026, 10:42", "Last updated: 1 December 2026, 08:05"),
        ("Session a3f9c2d1e4b5a6c7d8e9f0a1b2c3d4e5 active", "Session 0123456789abcdef0123456789abcdef active"),
    ],
)
def test_noise_does_not_change_the_canonical_form(a: str, b: str) -> None:
    assert canonical(a) == canonical(b)


def test_dates_in_real_sentences_are_kept() -> None:
    assert canonical("The Sub-committee met on 12 May to discuss the draft law.") != canonical(
        "The Sub-committee met on 19 May to discuss the draft law."
    )


@pytest.mark.parametrize(
    "text",
    [
        "The Parliament adopted a draft law on the protection mechanism for human rights defenders.",
        "Kuvendi miratoi projektligjin për mbrojtjen e mbrojtësve të të drejtave të njeriut.",
        "Kuvendi miratoi projektligjin per mbrojtjen e mbrojtesve te te drejtave te njeriut.",
        "Un mécanisme de protection des défenseur·e·s des droits humains sera créé en Albanie.",
        "The UN Human Rights Council urged Albania to protect human rights defenders.",
        "A mechanism to protect activists and journalists at risk was proposed by the Ombudsperson.",
        "Avokati i Popullit ngriti një njësi për mbrojtësit e të drejtave të njeriut.",
        # Activists "who receive threats": the threat may follow the people it threatens.
        "A draft decision would create a system to shield activists who receive threats in Albania.",
        "La police a accordé des mesures de protection à une défenseure des droits des femmes de Shkodër.",
        # Defenders said without the word.
        "The Council of Europe will help Albania design a scheme to protect people who defend the rights of others.",
        "Nënkomisioni miratoi rekomandime për mbrojtjen e personave që ngrenë zërin për të drejtat e të tjerëve.",
        "En Albanie, la sécurité des personnes engagées dans la défense des droits sera confiée à un dispositif.",
        "Avokati i Popullit kërkoi masa për sigurinë e aktivistëve mjedisorë që protestojnë në Vjosë.",
        "Nevojitet mbrojtja e mbrojtësve në Shqipëri, tha Avokati i Popullit.",
        # A memorandum of understanding is how institutions set up referral and protection.
        "The MoU between the Ombudsperson and the Bar gives human rights defenders a referral channel.",
        "Memorandumi i Avokatit të Popullit me OJF-të u hap rrugë mbrojtësve të të drejtave të njeriut.",
    ],
)
def test_relevant(text: str) -> None:
    assert score(TOPIC, text).relevant, score(TOPIC, text)


@pytest.mark.parametrize(
    "text",
    [
        "Albania activated the EU Civil Protection Mechanism after the floods in the north.",
        "Shqipëria aktivizoi Mekanizmin Evropian të Mbrojtjes Civile pas zjarreve.",
        "The National Preventive Mechanism against torture visited three police stations.",
        "The new law on personal data protection creates a complaints mechanism.",
        "Mbrojtësit e kombëtares u paraqitën mirë në ndeshjen kundër Serbisë.",
        "The Commissioner published a report on the protection of human rights defenders in Azerbaijan.",
        "A documentary about human rights defenders in Honduras was screened in Tirana.",
        "The Ombudsperson presented the annual report on human rights in Albania to Parliament.",
        "Civil Rights Defenders published a report on media freedom in Albania.",
        # Defenders named, but nothing about protecting them or a mechanism for them.
        "In Tirana, the Council of Europe said that human rights defenders play an important role in Albania.",
        # France's ombudsperson institution, not a defender.
        "En France, la Défenseure des droits demande la protection des ressortissants albanais.",
        # The world at large, and Kosovo's Assembly (Kuvendi i Kosovës), are not Albania.
        "The European Union renewed its worldwide programme for people who defend human rights at risk.",
        "Kuvendi i Kosovës miratoi mekanizmin për mbrojtjen e aktivistëve dhe gazetarëve të kërcënuar.",
        "L'Assemblée du Kosovo (Kuvendi) a adopté une loi créant un mécanisme de protection des défenseurs des droits.",
        # Montenegro in the genitive and accusative (Malit të Zi, Malin e Zi), not only "Mali i Zi".
        "Kuvendi i Malit të Zi miratoi ligjin për mbrojtjen e mbrojtësve të të drejtave të njeriut.",
        "Qeveria e themeloi në Malin e Zi një mekanizëm mbrojtjeje për mbrojtësit e të drejtave të njeriut.",
        # "mbrojtëse" is also "protective": the Minister of Defence's protective measures for residents.
        "Ministri i Mbrojtjes: masa mbrojtëse për banorët deri sa zjarri të shuhet plotësisht.",
        # The EU's worldwide programme for defenders (ProtectDefenders.eu) is not Albania's mechanism.
        "The European Union Human Rights Defenders Mechanism opens its annual call for host organisations.",
    ],
)
def test_not_relevant(text: str) -> None:
    assert not score(TOPIC, text).relevant, score(TOPIC, text)


def test_invisible_characters_inside_words_do_not_hide_them() -> None:
    # CMSs put soft hyphens (&shy;) and zero-width spaces inside long words.
    page = extract_html(
        "<p>Kuvendi miratoi projektligjin për mbrojtjen e mbroj&shy;tësve të të drej\u200btave të njeriut.</p>",
        "http://x/",
    )
    text = page.blocks[0].text
    assert text == "Kuvendi miratoi projektligjin për mbrojtjen e mbrojtësve të të drejtave të njeriut."
    assert score(TOPIC, text).relevant


def test_terms_are_reported_as_written() -> None:
    result = score(TOPIC, "Mbrojtësit e të Drejtave të Njeriut dhe mekanizmi")
    assert "mbrojtësit e të drejtave të njeriut" in result.terms
    assert "mekanizmi" in result.terms


PAGE = """<!doctype html><html><head><title>T</title><script>var x = 1;</script><style>p{}</style></head>
<body><header><nav><a href="/a">Komisioni për Çështjet Ligjore</a></nav></header>
<div class="cookie-banner">We use cookies to improve your experience.</div>
<form><input type="hidden" name="csrf" value="abc123"></form>
<main><h1>Lajme</h1><p>First paragraph with <b>bold</b> text.</p><ul><li>One</li><li>Two</li></ul>
<table><tr><th>Date</th><th>Act</th></tr><tr><td>3.3.2019</td><td>Rezoluta</td></tr></table>
<div class="sidebar"><a href="/x">Most read</a></div></main>
<footer>© 2026</footer></body></html>"""


def test_extraction_drops_chrome() -> None:
    page = extract_html(PAGE, "http://x/")
    texts = [b.text for b in page.blocks]
    assert texts == ["Lajme", "First paragraph with bold text.", "One", "Two", "Date | Act", "3.3.2019 | Rezoluta"]
    assert page.blocks[1].heading == "Lajme"
    assert not page.truncated


def test_extraction_select_and_exclude() -> None:
    page = extract_html(PAGE, "http://x/", select="main", exclude=["ul"])
    assert "One" not in [b.text for b in page.blocks]


ARCHIVE = """<html><body><header class="site-header"><nav><a href="/">Kreu</a></nav>
<div class="site-branding"><a href="/">Qendra</a> Faqja kryesore e qendrës</div></header>
<div class="site-inner has-sidebar"><div class="content-sidebar-wrap"><main class="content">
<article class="post entry"><header class="entry-header"><h2><a href="/2026/11/mekanizmi/">Konsultim për mekanizmin</a></h2>
<p class="entry-meta">27 nëntor 2026</p></header><div class="entry-content"><p>Organizatat dhanë komentet e tyre për projektvendimin e Këshillit të Ministrave.</p></div>
<footer class="entry-footer">Kategoria: Lajme</footer></article>
<div class="search-results"><div class="search-result"><a href="/2026/10/raporti/">Raporti vjetor</a>
<p>Raporti vjetor i institucionit u paraqit në Kuvend me shumë të dhëna për ankesat e qytetarëve.</p></div></div>
<div class="search-box"><a href="/kerko">Kërko</a></div><div class="share-buttons"><a href="/share">Shpërndaje</a></div>
</main><aside class="sidebar widget-area"><a href="/2019/03/rezoluta/">Rezoluta e vitit 2019</a></aside></div></div>
<footer class="site-footer"><a href="/privatesia">Privatësia</a></footer></body></html>"""


def test_chrome_is_the_page_frame_not_the_content_whatever_its_class() -> None:
    page = extract_html(ARCHIVE, "http://x/")
    texts = [block.text for block in page.blocks]
    # A post's own <header>/<footer> (inside an article, main or section) is content: headline,
    # date, category; wrappers named after a sidebar they hold, and search results, too.
    assert "Konsultim për mekanizmin" in texts and "27 nëntor 2026" in texts
    assert "Kategoria: Lajme" in texts
    assert any(text.startswith("Raporti vjetor i institucionit") for text in texts)
    assert [url for url, _text in page.links] == ["http://x/2026/11/mekanizmi/", "http://x/2026/10/raporti/"]
    # The page's header and footer, the sidebar, the search box and share buttons are chrome.
    joined = " ".join(texts)
    for chrome in ("Faqja kryesore", "Rezoluta", "Kërko", "Shpërndaje", "Privatësia"):
        assert chrome not in joined
    # A region the user selects is never chrome, whatever its class says.
    assert extract_html(ARCHIVE, "http://x/", select=".search-box").blocks[0].text == "Kërko"


PORTAL = """<html><body><div class="row"><div class="col-md-8" id="column-1"><section>
<h1>Roundtable on a protection mechanism</h1><p>On 13 April 2018 the Parliament hosted a roundtable on
a protection mechanism for human rights defenders, with more than 60 participants.</p>
<p>The participants agreed that a resolution should be put before the Assembly.</p></section></div>
<div class="col-md-4 portlet-column" id="column-2"><div class="portlet-boundary portlet-latest-news">
<h2>Latest news</h2><ul><li><a href="/a">Albanian Parliament adopts resolution supporting human rights defenders</a></li></ul></div>
<section class="instagram-feed" id="sb_instagram"><p>Human rights defenders are not criminals. #StandWithDefenders</p></section>
<div class="widget_recent_entries"><a href="/b">Consultation on the follow-up of the resolution</a></div></div></div></body></html>"""


def test_latest_news_boxes_and_social_feeds_are_chrome() -> None:
    texts = [block.text for block in extract_html(PORTAL, "http://x/").blocks]
    assert texts[0] == "Roundtable on a protection mechanism" and len(texts) == 3
    assert not any("resolution supporting" in t or "criminals" in t or "follow-up" in t for t in texts)


def test_page_builder_widgets_are_content_and_wordpress_widgets_chrome() -> None:
    # Elementor puts each paragraph in its own "elementor-widget-container" (none holds half
    # the text), SiteOrigin its text panels in "so-panel widget"; a WordPress sidebar widget's
    # class starts with "widget".
    nest = "".join(f'<div class="elementor-widget-wrap e-{i}">' for i in range(12))
    close = "</div>" * 12
    page = (
        "<html><body><div data-elementor-type='single-post' class='elementor elementor-1200'>"
        f'{nest}<div class="elementor-widget-container"><h1>Workshop in Tirana</h1></div>{close}'
        f'{nest}<div class="elementor-widget-container"><p>The Ombudsperson opened a focal point '
        f"for human rights defenders.</p></div>{close}"
        f'{nest}<div class="elementor-widget-container"><p>It answers within 48 hours.</p></div>{close}'
        '<div class="so-panel widget widget_sow-editor"><p>The network of defenders welcomed it.</p></div>'
        "</div><section class='widget widget_recent_entries'><a href='/a'>Older post on the mechanism</a>"
        "</section><div id='widgets-footer'><p>Subscribe</p></div></body></html>"
    )
    texts = [block.text for block in extract_html(page, "http://x/").blocks]
    assert texts == [
        "Workshop in Tirana",
        "The Ombudsperson opened a focal point for human rights defenders.",
        "It answers within 48 hours.",
        "The network of defenders welcomed it.",
    ]


def test_reader_comments_are_chrome_in_albanian_and_french_too() -> None:
    page = (
        "<html><body><main><h1>Organizatat: ende pa mekanizëm</h1><p>Organizatat kërkuan një ligj për mbrojtësit.</p>"
        "<div id='komente'><h3>Komente (3)</h3><p>Kur do bëhet ky ligj? Premtuan që në 2019.</p></div>"
        "<section class='commentaires'><p>Et la loi, c'est pour quand ?</p></section></main></body></html>"
    )
    texts = [block.text for block in extract_html(page, "http://x/").blocks]
    assert texts == ["Organizatat: ende pa mekanizëm", "Organizatat kërkuan një ligj për mbrojtësit."]


WEBFORMS = """<!DOCTYPE html><html><head><title>Kuvendi</title></head><body>
<form method="post" action="./Lajme.aspx" id="aspnetForm"><div class="aspNetHidden">
<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="/wEPDwUKMTY1NDU2MTA1Mg9kFgJmD2QWAgID" /></div>
<script src="/WebResource.axd?d=pynGkmcFUV&amp;t=638512" type="text/javascript"></script>
<div id="header"><a href="/">Kuvendi</a> <span id="clock">10:42</span></div>
<div id="content"><h1>Nënkomisioni për të Drejtat e Njeriut</h1>
<p>Nënkomisioni shqyrtoi projektligjin për mekanizmin e mbrojtjes së mbrojtësve të të drejtave të njeriut.</p>
<p>Mbledhja e radhës do të mbahet në dhjetor me përfaqësues të shoqërisë civile.</p></div>
<div id="footer">© Kuvendi i Shqipërisë</div></form>
<form action="/kerko" class="site-search"><input name="q"><p>Kërko në faqe</p></form></body></html>"""


def test_a_form_around_the_whole_page_is_the_page_not_chrome() -> None:
    # ASP.NET WebForms wraps the whole page in one <form>: dropping forms as chrome would
    # leave such a page empty. A small form (search, login, comments) is still dropped.
    texts = [block.text for block in extract_html(WEBFORMS, "http://x/").blocks]
    assert texts == [
        "Nënkomisioni për të Drejtat e Njeriut",
        "Nënkomisioni shqyrtoi projektligjin për mekanizmin e mbrojtjes së mbrojtësve të të drejtave të njeriut.",
        "Mbledhja e radhës do të mbahet në dhjetor me përfaqësues të shoqërisë civile.",
    ]


def test_a_feed_entry_is_read_in_full_when_the_feed_carries_its_content() -> None:
    rss = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Lajme</title>
<item><guid>p1</guid><title>Takim</title><link>https://qdn.example/takim/</link>
<description><![CDATA[<p>Qendra zhvilloi një takim me partnerët. [&#8230;]</p>]]></description>
<content:encoded><![CDATA[<p>Qendra zhvilloi një takim me partnerët për planin e vitit 2027.</p>
<h3>Mekanizmi</h3><p>U diskutua projektvendimi për mekanizmin e mbrojtjes së mbrojtësve.</p>]]></content:encoded></item>
<item><guid>p2</guid><title>Njoftim</title><link>https://qdn.example/njoftim/</link>
<description>Zyra mbyllet të hënën.</description></item></channel></rss>""".encode()
    full, short = extract_feed(rss, "https://qdn.example/feed/")
    assert [(block.kind, block.text) for block in full.blocks] == [
        ("h", "Takim"),
        ("p", "Qendra zhvilloi një takim me partnerët për planin e vitit 2027."),
        ("h", "Mekanizmi"),
        ("p", "U diskutua projektvendimi për mekanizmin e mbrojtjes së mbrojtësve."),
    ]
    assert full.blocks[3].heading == "Mekanizmi"
    assert [block.text for block in short.blocks] == ["Njoftim", "Zyra mbyllet të hënën."]


def test_decoding_windows_1250_and_misdeclared_utf8() -> None:
    text = "<html><body><p>Mbrojtësit e të drejtave, çështjet</p></body></html>"
    assert "Mbrojtësit" in decode(text.encode("windows-1250"), "text/html; charset=windows-1250")
    assert "çështjet" in decode(text.encode("iso-8859-2"), "text/html; charset=utf-8")


XHTML = """<?xml version="1.0" encoding="{encoding}"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Kuvendi</title></head>
<body><p>Mekanizmi për mbrojtjen e mbrojtësve të të drejtave të njeriut u miratua.</p>
<p><a href="/lajme/1">Lajmi i plotë</a></p></body></html>"""


@pytest.mark.parametrize(
    ("encoding", "content_type"),
    [("utf-16", "text/html"), ("utf-16-le", "text/html; charset=UTF-16"), ("utf-16-be", "text/html; charset=utf-16")],
)
def test_utf16_pages_are_read_not_taken_for_binary(encoding: str, content_type: str) -> None:
    text = "Mbrojtësit e të drejtave të njeriut kërkojnë një mekanizëm mbrojtjeje."
    body = f'<html><head><meta charset="utf-16"></head><body><p>{text}</p></body></html>'.encode(encoding)
    assert [block.text for block in extract_document(body, content_type, "http://x/").blocks] == [text]


@pytest.mark.parametrize("encoding", ["UTF-8", "windows-1250", "ISO-8859-2"])
def test_xhtml_with_an_xml_declaration_is_read(encoding: str) -> None:
    # An XHTML page may open with <?xml … encoding="…"?>; lxml refuses such a declaration in a str.
    body = XHTML.format(encoding=encoding).encode(encoding)
    page = extract_document(body, "text/html", "http://kuvendi.example/")
    assert page.blocks[0].text == "Mekanizmi për mbrojtjen e mbrojtësve të të drejtave të njeriut u miratua."
    assert page.title == "Kuvendi"
    listing = extract_html_body(body, f"text/html; charset={encoding}", "http://kuvendi.example/")
    assert ("http://kuvendi.example/lajme/1", "Lajmi i plotë") in listing.links
    assert extract_html(XHTML.format(encoding=encoding), "http://kuvendi.example/").blocks == page.blocks


def test_reordering_and_return_are_not_new() -> None:
    blocks = [Block("A first sentence here. A second one there."), Block("Third block of text.")]
    units = units_of(blocks)
    seen = {u.fingerprint for u in units}
    again = units_of([Block("Third block of text."), Block("A second one there. A first sentence here.")])
    assert new_units(again, seen) == []
    assert content_hash(units) == content_hash(again)


def test_fault_detection() -> None:
    empty = extract_html("<html><body><p> </p></body></html>", "http://x/")
    assert fault(empty, len(units_of(empty.blocks)), None)
    cut = extract_html("<html><body><p>Some text that goes on and on", "http://x/")
    assert "truncated" in (fault(cut, len(units_of(cut.blocks)), None) or "")
    small = extract_html("<html><body><p>Only one sentence is left here.</p></body></html>", "http://x/")
    assert "lost most" in (fault(small, len(units_of(small.blocks)), 20) or "")


def test_an_error_page_says_so_in_its_title_or_headline() -> None:
    def problem(body: str, title: str = "Rrjeti") -> str | None:
        page = extract_html(f"<html><head><title>{title}</title></head><body>{body}</body></html>", "http://x/")
        return fault(page, len(units_of(page.blocks)), None)

    assert problem("<h1>Site under maintenance</h1><p>We will be back soon with the news of the network.</p>")
    assert problem("<p>Please wait while we check your connection.</p>", title="Just a moment...")
    # A short page about HRDs may speak of maintenance, a missing report or an error further down.
    assert not problem(
        "<h1>Albania: the protection mechanism</h1><p>A mechanism does not exist yet. The Sub-committee's "
        "report is introuvable and its link gives error 404. Our database is down for maintenance.</p>"
    )


@pytest.mark.parametrize(
    ("text", "not_found"),
    [
        ("404 Not Found. The requested URL was not found on this server.", True),
        ("Faqja që kërkuat nuk ekziston.", True),
        ("La page demandée n'existe pas.", True),
        ("Oops! That page can't be found.", True),
        # What a page says of the world, not of itself: there is no mechanism yet.
        ("Në Shqipëri nuk ekziston ende një mekanizëm kombëtar për mbrojtjen e mbrojtësve.", False),
        ("En Albanie, il n'existe pas encore de mécanisme de protection des défenseur·e·s.", False),
        ("The Ombudsperson has not found a way to protect them. Law No. 404/2019 does not help.", False),
    ],
)
def test_a_not_found_page_is_told_by_what_it_says_of_itself(text: str, not_found: bool) -> None:
    page = extract_html(f"<html><head><title>Rrjeti</title></head><body><p>{text}</p></body></html>", "http://x/")
    assert ("not found" in (fault(page, len(units_of(page.blocks)), None) or "")) is not_found


def test_judge_uses_paragraph_context() -> None:
    blocks = [
        Block("Mechanism for human rights defenders", "h"),
        Block(
            "Albania discussed a protection mechanism for human rights defenders. The draft law was adopted today.",
            "p",
            "Mechanism for human rights defenders",
        ),
    ]
    units = units_of(blocks)
    fresh = [u for u in units if "draft law" in u.text]
    findings = judge(blocks, "Title", fresh, {"hrd-mechanism": TOPIC})
    assert len(findings) == 1
    assert findings[0].excerpt == "The draft law was adopted today."


def test_a_dated_sentence_added_to_a_relevant_paragraph_is_judged_with_it() -> None:
    # A postponed deadline, a new signatory: the sentence names nothing of the topic itself,
    # but it changes a paragraph that is about it. Only a paragraph that was already there,
    # and only a sentence that states a fact with a date or number.
    paragraph = (
        "The Sub-committee invites contributions to its report on human rights defenders and their protection. {}"
    )
    for added, alerts in (
        ("The deadline was postponed to 15 June 2027 at the request of civil society.", True),
        ("The deadline was postponed at the request of civil society.", False),
    ):
        blocks = [Block(paragraph.format(added))]
        units = units_of(blocks)
        fresh = [u for u in units if u.text == added]
        topics = {"hrd-mechanism": TOPIC}
        assert bool(judge(blocks, "Calls", fresh, topics, kept={0})) == alerts, added
        assert judge(blocks, "Calls", fresh, topics) == []  # a new paragraph is judged as it stands


def test_on_a_page_about_the_topic_a_protection_mechanism_needs_no_defenders_named() -> None:
    # An NGO's country page already about the HRD mechanism reports a new roundtable in words
    # that name a protection mechanism but not the defenders: the page says whose it is.
    news = "On 28 October 2026 a new roundtable in Parliament agreed to draft a law on a national protection mechanism."
    about = [
        "Albania still has no protection mechanism for human rights defenders.",
        "In 2019 Parliament adopted a resolution in support of human rights defenders and their protection.",
    ]
    other = ["The city opened a new park in the centre.", "Tourism grew by ten percent this summer."]
    topics = {"hrd-mechanism": TOPIC}
    for page, alerts in ((about, True), (other, False)):
        blocks = [Block(text) for text in [*page, news]]
        fresh = [unit for unit in units_of(blocks) if unit.text == news]
        assert bool(judge(blocks, "Albania", fresh, topics)) is alerts


def test_an_update_of_a_dated_statement_on_a_page_about_the_mechanism_is_judged_with_the_page() -> None:
    # "Next steps" on a page dedicated to the mechanism: the planned meeting was held. The
    # edited sentence names no defenders; the page, titled after the mechanism, does.
    before = "Le groupe de travail doit se réunir pour la première fois en juin 2026 à Tirana, avec la police."
    after = "Le groupe de travail s'est réuni pour la première fois le 18 juin 2026 à Tirana, avec la police."
    about = (
        "En avril 2026, le ministère a créé un groupe de travail chargé de préparer un mécanisme de protection "
        "des défenseur·e·s des droits humains."
    )
    topics = {"hrd-mechanism": TOPIC}
    for title, page, alerts in (
        ("Albanie : suivi du mécanisme de protection", [about], True),
        ("Albanie : actualités", [about], False),  # a page of mixed news
        ("Albanie : suivi du mécanisme de protection", ["Le parc de la ville a rouvert."], False),
    ):
        blocks = [Block(text) for text in [*page, after]]
        units = units_of(blocks)
        fresh = [unit for unit in units if unit.text == after]
        edits = updates(fresh, [unit.key for unit in units_of([Block(before)])])
        assert edits == {fresh[0].fingerprint}
        assert bool(judge(blocks, title, fresh, topics, updates=edits)) is alerts, title
        assert judge(blocks, title, fresh, topics) == []  # a new sentence, not an edit
    unrelated = [u.key for u in units_of([Block("La fête de la ville aura lieu le 18 juin 2026 à Tirana.")])]
    assert updates(units_of([Block(after)]), unrelated) == set()


def test_a_credit_line_is_not_completed_by_context() -> None:
    title = "Shtatë vjet pas rezolutës për mbrojtësit e të drejtave të njeriut"
    for line, alerts in (
        ("Foto: Arkivi i Kuvendit të Shqipërisë", False),
        ("© OSCE Presence in Albania / Kuvendi", False),
        ("Foto: Kuvendi i Shqipërisë miratoi sot në parim projektligjin për mekanizmin e mbrojtjes", True),
    ):
        blocks = [Block("Organizatat kërkojnë një mekanizëm mbrojtjeje për mbrojtësit."), Block(line)]
        fresh = units_of(blocks[1:])
        assert bool(judge(blocks, title, fresh, {"hrd-mechanism": TOPIC})) is alerts, line


def test_teasers_under_a_read_also_heading_are_no_news() -> None:
    teaser = "Kuvendi miratoi projektligjin për mekanizmin e mbrojtjes së mbrojtësve të të drejtave të njeriut."
    for heading, alerts in (
        ("Lexo edhe", False),
        ("À lire aussi :", False),
        ("Dans la même rubrique", False),
        ("In this section", False),
        ("Pour aller plus loin", False),
        ("Zhvillimet e fundit", True),
    ):
        blocks = [Block(heading, "h"), Block(teaser, "p", heading)]
        fresh = [unit for unit in units_of(blocks) if unit.block == 1]
        assert bool(judge(blocks, "Lajme", fresh, {"hrd-mechanism": TOPIC})) is alerts, heading


def test_a_call_for_donations_is_no_news_whatever_it_names() -> None:
    appeal = "Soutenez notre travail : vos dons financent notre fonds d'urgence pour les défenseur·e·s."
    blocks = [Block(appeal)]
    title = "Albanie : la protection des défenseur·e·s des droits humains"
    assert judge(blocks, title, units_of(blocks), {"hrd-mechanism": TOPIC}) == []


def test_context_does_not_complete_a_label() -> None:
    # A category name left alone by a redesign ("Posted in Declarations on …" → "Declarations").
    blocks = [Block("Deklarata"), Block("Avokati i Popullit kërkon mekanizëm për mbrojtësit e të drejtave.")]
    fresh = units_of(blocks[:1])
    assert judge(blocks, "Mbrojtësit e të drejtave të njeriut", fresh, {"hrd-mechanism": TOPIC}) == []


def test_context_does_not_complete_a_sentence_whose_paragraph_is_about_another_country() -> None:
    blocks = [
        Block(
            "ProtectDefenders.eu, the EU's human rights defenders mechanism, relocated 310 defenders from "
            "Belarus and Azerbaijan. It also ran security trainings for defenders.",
            "p",
        )
    ]
    fresh = units_of(blocks)
    assert judge(blocks, "Albania: monthly digest", fresh, {"hrd-mechanism": TOPIC}) == []


@pytest.mark.parametrize(
    ("old", "new", "same"),
    [
        # The same information: a typo or two fixed, a date written another way, a word split.
        (
            "Nënkomisioni foli me agjensitë e OKB-së dhe shoqërinë civle për projektligjin.",
            "Nënkomisioni foli me agjencitë e OKB-së dhe shoqërinë civile për projektligjin.",
            True,
        ),
        (
            "On 13 April 2018 Parliament hosted a roundtable on the protection mechanism.",
            "On 13.04.2018 Parliament hosted a round table on the protection mechanism.",
            True,
        ),
        (
            "Le 3 mars 2019, le Parlement a adopté la résolution sur les défenseurs.",
            "Le 03/03/2019, le Parlement a adopté la résolution sur les défenseurs.",
            True,
        ),
        # A change: another word, a word added, another date or number.
        (
            "The draft law was discussed by the Committee on 3 May 2026.",
            "The draft law was adopted by the Committee on 3 May 2026.",
            False,
        ),
        (
            "The draft law was adopted by the Committee on 3 May 2026.",
            "The draft law was not adopted by the Committee on 3 May 2026.",
            False,
        ),
        (
            "The draft is expected in June 2026, the Committee said.",
            "The draft is expected in July 2026, the Committee said.",
            False,
        ),
        (
            "The roundtable will be held on 13 May 2026 in Tirana.",
            "The roundtable was held on 13 May 2026 in Tirana.",
            False,
        ),
        (
            "Three members of Parliament sit in the working group.",
            "Two members of Parliament sit in the working group.",
            False,
        ),
        ("The working group met on 13.04.2026 in Tirana.", "The working group met on 14.04.2026 in Tirana.", False),
        # The same words in another order or voice; not when a number, a count, a negation or
        # a plan changes, nor when a word is replaced.
        (
            "In February 2027 the Committee on Legal Issues approved in principle the draft law on defenders.",
            "The draft law on defenders was approved in principle by the Committee on Legal Issues in February 2027.",
            True,
        ),
        (
            "Avokati i Popullit caktoi një këshilltare të lartë si pikë kontakti për mbrojtësit.",
            "Një këshilltare e lartë u caktua nga Avokati i Popullit si pikë kontakti për mbrojtësit.",
            True,
        ),
        (
            "The project is worth €120,000 for the focal point.",
            "The project is worth EUR 120 000 for the focal point.",
            True,
        ),
        (
            "The Committee will approve the draft law on defenders.",
            "The Committee approved the draft law on defenders.",
            False,
        ),
        (
            "The Committee approved the draft law on defenders.",
            "The Committee did not approve the draft law on defenders.",
            False,
        ),
        (
            "Four organisations signed the memorandum on defenders.",
            "Five organisations signed the memorandum on defenders.",
            False,
        ),
        (
            "The Committee discussed the draft law on defenders.",
            "The Committee adopted the draft law on defenders.",
            False,
        ),
    ],
)
def test_same_information_is_a_typo_or_date_format_away_not_a_word(old: str, new: str, same: bool) -> None:
    assert same_information(canonical(new), canonical(old)) is same
    fresh = units_of([Block(new)])
    assert (without_rewordings(fresh, [canonical(old)]) == []) is same


def test_dates_in_any_format_become_one() -> None:
    forms = [
        "13 April 2018",
        "April 13, 2018",
        "13.04.2018",
        "13/04/2018",
        "2018-04-13",
        "13 prill 2018",
        "13 prillit 2018",
        "13 avril 2018",
    ]
    keys = {same_dates(canonical(f"The roundtable on defenders took place on {form} in Tirana.")) for form in forms}
    assert len(keys) == 1
    # Resolution 6/2019 is not June 2019; a month and year are.
    assert same_dates("resolution 6 2019") == "resolution 6 2019"
    assert same_dates("in 09 2018") == same_dates("in september 2018")


def test_a_sentence_that_lost_what_was_glued_to_it_is_not_new() -> None:
    # A relaunched site: the menu and heading were glued to the first entry in the old
    # table layout; the entry itself is word for word the same.
    old = units_of([Block("Ballina Kontakt Kronologji 13 prill 2018: Kuvendi organizoi një tryezë për mekanizmin.")])
    new = units_of([Block("13 prill 2018: Kuvendi organizoi një tryezë për mekanizmin.")])
    assert new_units(new, set(), [u.key for u in old]) == []
    # Words added to an old sentence are new.
    longer = units_of([Block("13 prill 2018: Kuvendi organizoi një tryezë për mekanizmin dhe miratoi projektligjin.")])
    assert new_units(longer, set(), [u.key for u in old]) == longer


def test_a_translation_of_the_page_is_not_new_but_a_new_date_in_it_is() -> None:
    page = [
        "Në prill 2018, Avokati i Popullit mori nismën për një tryezë në Kuvend për mekanizmin e mbrojtjes.",
        "Kuvendi miratoi më 3 mars 2019 një rezolutë në mbështetje të mbrojtësve të të drejtave të njeriut.",
    ]
    previous = units_of([Block(text) for text in page])
    for added, translation in (
        (
            "In April 2018 the People's Advocate proposed a roundtable in the Parliament on the mechanism of protection.",
            True,
        ),
        ("On 3 March 2019 the Assembly adopted a resolution in support of the human rights defenders.", True),
        ("Le 3 mars 2019, le Parlement a adopté une résolution de soutien aux défenseur·e·s.", True),
        ("On 12 May 2027 the Assembly adopted the law on the protection of the defenders.", False),  # a new date
        ("Today the Assembly adopted the law on the protection of the human rights defenders.", False),
        ("Kuvendi miratoi ligjin për mbrojtjen e mbrojtësve të të drejtave të njeriut.", False),  # the page's own
        # Undated: news written in another language cannot be told from a translation.
        ("The Assembly adopted the law on the protection of the defenders of the human rights.", False),
    ):
        fresh = units_of([Block(added)])
        assert bool(restatements(fresh, previous, set(), across_languages=True)) is translation, added


def test_a_date_list_redrawn_as_table_rows_is_not_new() -> None:
    # <dl><dt>13 avril 2018</dt><dd>Table ronde …</dd> → <tr><td>13 avril 2018</td><td>Table ronde …</td>.
    entry = "Table ronde au Parlement albanais sur un mécanisme de protection des défenseur·e·s."
    before = ["Chronologie", "13 avril 2018", entry, "3 mars 2019", "Adoption d'une résolution de soutien."]
    previous = [unit.key for unit in units_of([Block(text) for text in before])]
    for row, new in (
        (f"13 avril 2018 | {entry}", False),
        (f"14 avril 2018 | {entry}", True),  # another date: news
        (f"3 mars 2019 | {entry}", True),  # joins what did not stand together
    ):
        rows = units_of([Block(row, "tr")])
        assert bool(without_joins(new_units(rows, set(), previous), before)) is new, row
    # Two sentences of the previous version joined into one are not new either.
    a, b = "The Committee met on 3 May 2027.", "It adopted the draft law on defenders."
    joined = units_of([Block("The Committee met on 3 May 2027, it adopted the draft law on defenders.")])
    assert new_units(joined, set(), [unit.key for unit in units_of([Block(f"{a} {b}")])]) == []


def test_a_split_sentence_is_not_new_for_its_pronoun_nor_a_short_session_id_for_its_letters() -> None:
    old = units_of(
        [Block("La sous-commission a consulté les associations et a décidé de préparer un rapport pour la commission.")]
    )
    split = units_of(
        [
            Block(
                "La sous-commission a consulté les associations. Elle a décidé de préparer un rapport pour la commission."
            )
        ]
    )
    assert new_units(split, set(), [u.key for u in old]) == []
    # A subject that is not a pronoun is news: who decided.
    other = units_of([Block("Le Parlement a décidé de préparer un rapport pour la commission.")])
    assert new_units(other, set(), [u.key for u in old]) == other
    line = "Rrjeti për Mbrojtësit e të Drejtave · ID e sesionit: {}"
    assert shape(canonical(line.format("d40b77"))) == shape(canonical(line.format("a13c9f")))


def test_text_after_an_early_end_of_document_is_read() -> None:
    # A CMS fragment that closes the document early: browsers show what follows, and so must we.
    for html in (
        "<html><body><p>Hyrja e lajmit për Kuvendin.</p></html><p>Raporti do t'i dërgohet Komisionit më 10 dhjetor.</p>",
        "<html><body><p>Hyrja e lajmit për Kuvendin.</p></body><p>Raporti do t'i dërgohet Komisionit më 10 dhjetor.</p>",
    ):
        texts = [block.text for block in extract_html(html, "http://x/").blocks]
        assert texts == ["Hyrja e lajmit për Kuvendin.", "Raporti do t'i dërgohet Komisionit më 10 dhjetor."]


def test_deeply_nested_markup_does_not_hide_the_page() -> None:
    # Page builders nest wrappers deep; libxml2 drops everything after 256 levels unless told
    # otherwise, and a deep widget in a sidebar then emptied the whole page.
    widget = "<div>" * 400 + "<span>w</span>" + "</div>" * 400
    news = "<p>Komisioni miratoi projektligjin për mekanizmin e mbrojtjes së mbrojtësve.</p>"
    for html in (
        f"<html><body><aside>{widget}</aside><main>{news}</main></body></html>",
        "<html><body>" + "<div>" * 1500 + news + "</div>" * 1500 + "</body></html>",
    ):
        texts = [block.text for block in extract_html(html, "http://x/").blocks]
        assert texts == ["Komisioni miratoi projektligjin për mekanizmin e mbrojtjes së mbrojtësve."]
    assert html_to_text("<div>" * 1500 + news + "</div>" * 1500) == texts[0]  # a feed entry's summary


PAGE_SO_FAR = [
    "On 13 April 2018 the Albanian Parliament hosted a roundtable on a protection mechanism for human rights defenders.",
    "On 3 March 2019 Parliament adopted a resolution in support of human rights defenders.",
    "On 12 May 2019 the Sub-committee for Human Rights held a consultation on the resolution.",
    "The working group created in April 2026 is drafting the law on the mechanism.",
]


@pytest.mark.parametrize(
    ("added", "restated"),
    [
        # Old facts in new words: every date is on the page already, and most words.
        (
            "In short: a roundtable on protecting human rights defenders was held in the Albanian Parliament "
            "in April 2018, and Parliament adopted a resolution supporting defenders in March 2019.",
            True,
        ),
        (
            "Participants in the roundtable on a protection mechanism for human rights defenders, Albanian "
            "Parliament, 13 April 2018.",
            True,
        ),
        # News: a new date, "today", new words, or no date at all.
        (
            "On 20 November 2026 Parliament adopted the law on the protection mechanism for human rights defenders.",
            False,
        ),
        (
            "The report of the 12 May 2019 consultation on the resolution was published today by the Sub-committee.",
            False,
        ),
        (
            "The Sub-committee report promised in May 2019 was finally forwarded to the Speaker with recommendations.",
            False,
        ),
        ("Parliament adopted the law on the protection mechanism for human rights defenders.", False),
        # Undated, but every word stands in one sentence of the page: a "key points" item.
        ("Parliament adopted a resolution in support of human rights defenders.", True),
        # The same words "today" (a word the canonical form masks as a relative date): news.
        ("Today Parliament adopted a resolution in support of human rights defenders.", False),
        # A plan of the page fulfilled in the same words is news.
        ("The working group is drafting the law on the mechanism.", True),
        ("The working group drafted the law on the mechanism.", False),
    ],
)
def test_restatements_are_old_facts_in_new_words(added: str, restated: bool) -> None:
    previous = units_of([Block(text) for text in PAGE_SO_FAR])
    fresh = units_of([Block(added)])
    assert bool(restatements(fresh, previous, [])) is restated


def test_an_old_item_published_again_is_old_news() -> None:
    previous = units_of([Block(text) for text in PAGE_SO_FAR])
    again = units_of(
        [
            Block(
                "From the archive: in 2019 the Sub-committee asked the Ministry of Justice for a draft law for defenders."
            )
        ]
    )
    assert restatements(again, previous, []) == {again[0].fingerprint}
    assert republished("Nga arkivi: Tryeza e nivelit të lartë për mbrojtësit (13 prill 2018)")
    assert republished("Republication : notre article de mars 2019 est de nouveau accessible")
    assert not republished("The Republic of Albania published the draft law on 3 May 2027")
    # A title in an archive series, in French, English and Albanian.
    assert republished("Archives : l'Albanie adopte une résolution en faveur des défenseur·e·s (mars 2019)")
    assert republished("Archive: Parliament adopts a resolution on human rights defenders")
    assert republished("Arkiva: Kuvendi miraton rezolutën për mbrojtësit")
    assert not republished("The State Archives opened a new reading room in Tirana")


def test_an_edit_is_never_a_restatement() -> None:
    # The sentence replaces one that left the page: an edit (drafting → dissolved), judged as such.
    previous = units_of([Block(text) for text in PAGE_SO_FAR])
    edited = units_of(
        [Block("The working group created in April 2026 to draft the law on the mechanism was dissolved.")]
    )
    assert restatements(edited, previous, updates(edited, [previous[-1].key])) == set()


@pytest.mark.parametrize(
    ("asked", "landed", "home"),
    [
        ("https://kuvendi.al/lajme/123/", "https://kuvendi.al/", True),
        ("http://kuvendi.al/lajme/123/", "https://www.kuvendi.al/sq/", True),
        ("https://x.al/index.php?option=com_content&id=12", "https://x.al/index.php", True),
        ("https://x.al/faqe?id=3", "https://x.al/?lang=sq", True),
        ("https://kuvendi.al/", "https://kuvendi.al/sq/", False),  # the watched page is the home page
        ("http://x.al/lajme/123", "https://x.al/lajme/123/", False),
        ("https://x.al/lajme/123", "https://x.al/lajme/", False),
    ],
)
def test_a_page_redirected_to_the_home_page_is_told(asked: str, landed: str, home: bool) -> None:
    assert redirected_home(asked, landed) is home


def test_a_paragraph_about_another_country_is_about_it_in_every_sentence() -> None:
    # The second sentence is relevant on its own, but its paragraph is about North Macedonia.
    blocks = [
        Block(
            "In North Macedonia, the Assembly created a unit for the protection of HRDs at the Ombudsman. "
            "Rights defenders who face threats can now ask it to request protective measures from the police.",
            "p",
        )
    ]
    assert score(TOPIC, units_of(blocks)[1].text).relevant
    assert judge(blocks, "Albania and the region", units_of(blocks), {"hrd-mechanism": TOPIC}) == []


def test_a_new_article_is_about_another_country_only_when_its_title_or_lead_says_so() -> None:
    # A committee's news (it never names Albania: it is Albania's Parliament) with an agenda
    # item on an agreement with Montenegro, and an article about Montenegro's own law.
    news = "Anëtarët dëgjuan relatorin e projektligjit «Për mbrojtjen e mbrojtësve të të drejtave të njeriut»."
    agenda = "Në pikën e dytë, komisioni miratoi marrëveshjen me Malin e Zi për njohjen e diplomave."
    lead = "Komisioni për të Drejtat e Njeriut shqyrtoi sot tre projektakte."
    topics = {"hrd-mechanism": TOPIC}
    for body, alerts in (
        ([lead, agenda, news], True),
        (["Kuvendi i Malit të Zi shqyrtoi sot tre projektakte.", agenda, news], False),
    ):
        blocks = [Block(text) for text in body]
        assert bool(judge(blocks, "Lajme", units_of(blocks), topics, document_level=True)) is alerts, body[0]


def test_a_heading_is_not_completed_by_the_page_title() -> None:
    blocks = [Block("Kronologjia e përpjekjeve për mekanizmin", "h")]
    title = "Mbrojtësit e të drejtave të njeriut në Shqipëri"
    assert judge(blocks, title, units_of(blocks), {"hrd-mechanism": TOPIC}) == []
    # The same words in a paragraph are completed by the title, as any sentence is.
    paragraph = [Block("Kuvendi shqyrtoi sot projektligjin për mekanizmin e mbrojtjes.", "p")]
    assert judge(paragraph, title, units_of(paragraph), {"hrd-mechanism": TOPIC}) != []


@pytest.mark.parametrize(
    "text",
    [
        "The working group of the People's Advocate on human rights defenders met for the first time.",
        "Une consultation publique sur l'avant-projet de loi relatif aux défenseur·e·s s'ouvre en Albanie.",
    ],
)
def test_working_groups_and_the_inclusive_french_spelling_are_topic_words(text: str) -> None:
    assert score(TOPIC, text).relevant, score(TOPIC, text)


html_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)


@settings(max_examples=150, deadline=None)
@given(st.lists(html_text, max_size=8))
def test_property_extraction_never_crashes_and_same_content_is_never_new(parts: list[str]) -> None:
    markup = "<html><body>" + "".join(f"<p>{p}</p><div>{p}</div>" for p in parts) + "</body></html>"
    try:
        page = extract_html(markup, "http://x/")
    except ExtractionError:  # the only error allowed
        return
    units = units_of(page.blocks)
    assert new_units(units_of(page.blocks), {u.fingerprint for u in units}) == []
    for unit in units:
        score(TOPIC, unit.text)


# canonical() decides which sentences a database has seen: a faster version must give the
# same form for every text, or an upgrade would alert on old sentences. This is the first,
# plain version, kept as the reference.
def _reference_canonical(text: str) -> str:
    from hrdwatch.detect import text as t

    folded = t.fold(text)
    for pattern in t._NOISE_PATTERNS:
        folded = pattern.sub(" # ", folded)
    stripped = t._DATE.sub(" ", folded)
    if len(t._WORD.findall(stripped)) < 3 or t._STAMP_WORDS.search(folded):
        folded = t._NUMBER.sub("#", t._DATE.sub(" # ", folded))
    return t._NON_WORD.sub(" ", folded).strip()


def _reference_fold(text: str) -> str:
    import unicodedata

    from hrdwatch.detect import text as t

    text = text.casefold().translate(t._FOLD_EXTRA)
    if text.isascii():
        return text
    return t._COMBINING.sub("", unicodedata.normalize("NFKD", text))


_TRICKY = (
    "Updated|updated|Last updated:|Posted|Postuar më,|Publikuar|Botuar|mis à jour|publié|modifié|© Copyright|Version|"
    "3 hours ago|1 day ago|a week ago|an hour ago|one month ago|il y a 3 heures|para 3 orësh|2 orë më parë|"
    "just now|yesterday|today|Sot|dje|hier|aujourd'hui|aujourd’hui|Monday|mon|Tue|e hënë|e martë|lundi|29 November 2026|"
    "Nov 29, 2026|1st|2nd March|21er mars|mai|may|sept|29/11/2026|2026-11-29|10:42|10h42|10:42:05 pm|1,234 views|"
    "Views: 1234|345 shikime|12 vues|a3f9c2d1e4b5a6c7d8e9f0a1b2c3d4e5|٣|١٢ views|Mbrojtësit e të drejtave të njeriut|"
    "défenseur·e·s|`|’|ß|Œ|İ|The Parliament adopted a law|on the protection mechanism|for human rights defenders|"
    ".|,|;|:|!|?|(|)|-"
).split("|")


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_TRICKY) | st.text(max_size=12), max_size=14), st.sampled_from([" ", "", "  ", "\n"]))
def test_canonical_and_fold_equal_their_reference(words: list[str], sep: str) -> None:
    text = sep.join(words)
    assert fold(text) == _reference_fold(text)
    assert canonical(text) == _reference_canonical(text)


def test_canonical_equals_its_reference_on_realistic_pages() -> None:
    from pathlib import Path

    import yaml

    from benchmarks.sitegen import build_page, render

    def strings(value: object) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, dict):
            return [s for item in value.values() for s in strings(item)]
        if isinstance(value, list):
            return [s for item in value for s in strings(item)]
        return []

    texts: list[str] = []
    for path in sorted((Path(__file__).parent / "eval" / "cases").glob("*.yaml")):
        texts.extend(strings(yaml.safe_load(path.read_text("utf-8"))))
    for index in range(20):
        page = extract_document(render(build_page(7, index), 7, noise=index, news=index % 3), "text/html", "http://x/")
        texts.extend(block.text for block in page.blocks)
    for text in texts:
        for sentence in sentences(text):
            assert canonical(sentence) == _reference_canonical(sentence), sentence


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_TRICKY) | st.text(max_size=30), max_size=8), st.integers(0, 7))
def test_block_prints_are_the_units_fingerprints_and_survive_storage(parts: list[str], keep: int) -> None:
    from hrdwatch.detect.diff import block_prints, decode_prints, digest_of, encode_prints

    blocks = [Block(" ".join(parts[i : i + 2]) + ".") for i in range(0, len(parts), 2)]
    units = units_of(blocks)
    fresh = block_prints(blocks, {})
    assert [fp for _d, fps in fresh for fp in fps] == [unit.fingerprint for unit in units]
    assert digest_of(fp for _d, fps in fresh for fp in fps) == content_hash(units)
    stored = encode_prints(fresh)
    assert stored is not None and decode_prints(stored) == dict(fresh)
    # Known blocks are taken as stored; the others are computed.
    known = dict(fresh[:keep])
    assert block_prints(blocks, known) == fresh
    # A memo shared by the steps of one document changes no result, only the work done.
    memo: dict[str, tuple[tuple[str, str, int], ...]] = {}
    assert block_prints(blocks, known, memo) == fresh
    assert units_of(blocks, memo) == units
    assert units_of(list(reversed(blocks)), memo) == units_of(list(reversed(blocks)))
    assert set(memo) == {block.text for block in blocks}


def test_damaged_block_prints_are_ignored() -> None:
    from hrdwatch.detect.diff import block_prints, decode_prints, encode_prints

    stored = encode_prints(block_prints([Block("The Parliament met. It adopted a law.")], {}))
    assert stored is not None and decode_prints(stored)
    assert decode_prints(stored[:-3]) == {}
    assert decode_prints(stored + b"x") == {}
    assert decode_prints(None) == {}


def test_block_prints_storage_format_is_fixed() -> None:
    """Stored prints outlive the code that wrote them: 8-byte digest, 2-byte count, 8-byte
    big-endian signed fingerprints."""
    from hrdwatch.detect.diff import decode_prints, encode_prints

    digest = bytes(range(8))
    stored = encode_prints([(digest, (1, -2))])
    assert stored == digest + b"\x00\x02" + (1).to_bytes(8, "big") + (-2).to_bytes(8, "big", signed=True)
    assert decode_prints(stored) == {digest: (1, -2)}


def test_defenders_named_in_passing_in_a_paragraph_about_a_lookalike_are_no_news() -> None:
    """Child protection, witness or whistleblower protection, the torture-prevention mechanism:
    a paragraph about one of them that thanks or invites defenders is about that scheme. A
    paragraph that names one and speaks of the protection of defenders is still the topic."""
    for paragraph, alerts in (
        (
            "Nga 1 janari hyn në fuqi mekanizmi i ri i referimit për mbrojtjen e fëmijëve. Ministrja "
            "falënderoi mbrojtësit e të drejtave të njeriut që kontribuan në hartimin e udhëzimit.",
            False,
        ),
        (
            "The Office trained 40 officials on the law on the protection of whistleblowers. "
            "Representatives of human rights defenders' organisations took part in the training.",
            False,
        ),
        (
            "Projektligji per mbrojtjen e sinjalizuesve hapet per konsultim; organizatat e mbrojtesve "
            "te te drejtave te njeriut ftohen te japin mendime.",
            False,
        ),
        (
            "Unlike the National Preventive Mechanism, the new unit at the Ombudsperson will ask for "
            "the protection of human rights defenders at risk.",
            True,
        ),
    ):
        blocks = [Block("Lajme të tjera nga ministria."), Block(paragraph)]
        fresh = [unit for unit in units_of(blocks) if unit.block == 1]
        assert bool(judge(blocks, "Lajme", fresh, {"hrd-mechanism": TOPIC})) is alerts, paragraph


def test_a_lookalike_in_the_page_footer_does_not_change_how_an_edit_is_judged_with_the_page() -> None:
    # The page-wide context of an edit includes the footer, which often links to "data
    # protection": that look-alike is not what the edited sentence is about.
    before = "Le groupe de travail doit se réunir pour la première fois en juin 2026 à Tirana."
    after = "Le groupe de travail s'est réuni pour la première fois le 18 juin 2026 à Tirana."
    about = "En avril 2026, le ministère a créé un groupe de travail pour le mécanisme des défenseur·e·s des droits humains."
    footer = "Politique de protection des données personnelles · Mentions légales"
    blocks = [Block(about), Block(after), Block(footer)]
    fresh = [unit for unit in units_of(blocks) if unit.text == after]
    edits = updates(fresh, [unit.key for unit in units_of([Block(before)])])
    title = "Albanie : suivi du mécanisme de protection"
    assert judge(blocks, title, fresh, {"hrd-mechanism": TOPIC}, updates=edits)


def test_a_new_document_about_a_lookalike_is_about_it_throughout() -> None:
    """The torture-prevention mechanism's annual report: its first page names the scheme, and a
    later paragraph on "the Mechanism" working with organisations that defend human rights is
    about that mechanism (the same paragraph under a lead that names no look-alike reads as
    the topic's). A paragraph on the protection of defenders at risk is the topic's anyway."""
    in_passing = (
        "Mekanizmi bashkëpunoi me organizatat e shoqërisë civile që mbrojnë të drejtat e njeriut në "
        "monitorimin e kushteve në burgje."
    )
    at_risk = "Raporti kërkon mbrojtjen e mbrojtësve të të drejtave të njeriut në rrezik."
    mkpt = "AVOKATI I POPULLIT. MEKANIZMI KOMBËTAR PËR PARANDALIMIN E TORTURËS. Raporti vjetor 2025."
    for lead, paragraph, alerts in (
        (mkpt, in_passing, False),
        ("AVOKATI I POPULLIT. Raporti vjetor 2025.", in_passing, True),
        (mkpt, at_risk, True),
    ):
        blocks = [Block(lead), Block("Gjatë vitit u kryen 58 inspektime në institucione."), Block(paragraph)]
        found = judge(blocks, "Raporti vjetor 2025", units_of(blocks), {"hrd-mechanism": TOPIC}, document_level=True)
        assert bool(found) is alerts, (lead, paragraph)


def test_a_working_group_is_named_in_every_albanian_form() -> None:
    title = "Ngrihet grupi i punës për mekanizmin e mbrojtjes së mbrojtësve të të drejtave të njeriut"
    for sentence in (
        "Mbledhja e parë e grupit të punës u shty për 19 nëntor 2026.",
        "Grupi i punës u mblodh për herë të dytë më 3 dhjetor 2026.",
        "Ministria caktoi përfaqësuesin e saj në grupin e punës më 5 dhjetor 2026.",
        "Grupi i punes u mblodh per here te dyte me 3 dhjetor 2026.",
    ):
        assert "mechanism" in score(TOPIC, sentence).groups, sentence
        assert score(TOPIC, sentence, context=title).relevant, sentence


def test_a_text_cut_at_another_point_is_a_recut() -> None:
    title = "Avokati i Popullit kërkon mekanizmin"
    short = [title, "Avokati i Popullit i kërkoi sot Kuvendit të ngrejë mekanizmin e mbrojtjes për […]"]
    longer = [
        title,
        "Avokati i Popullit i kërkoi sot Kuvendit të ngrejë mekanizmin e mbrojtjes për mbrojtësit, më 2019 [...]",
    ]
    assert recut(short, longer) and recut(longer, short)
    assert recut(
        [title, "The Committee will examine the draft law…"],
        [title, "The Committee will examine the draft law on 5 May."],
    )
    # Not cut before: text added at the end is an edit. Text put at the head is an update.
    assert not recut(
        [title, "The Committee examined the draft law."],
        [title, "The Committee examined the draft law. It was adopted."],
    )
    assert not recut(short, [title, "UPDATE: adopted. " + short[1][:-4]])
    assert not recut([], short)


def test_a_retrospective_tells_the_past_again() -> None:
    """A recap, a background box, an anniversary piece: its sentences with no word of now and
    no recent date are old news; a step it reports with its recent date is not."""
    from datetime import UTC, datetime

    now = datetime(2026, 11, 30, tzinfo=UTC)
    blocks = [
        Block("Background: the debate began at a roundtable in Parliament on 13 April 2018."),
        Block(
            "There is still no protection mechanism for defenders. On 27 November 2026 the working group handed over its draft."
        ),
        Block("Kujtesë: Kuvendi miratoi rezolutën më 3 mars 2019. Asnjë mekanizëm nuk është ngritur deri më sot."),
        Block("On 3 March 2019 Parliament adopted the resolution."),
        Block("Rappel : la consultation sur le projet de loi se termine le 15 décembre."),
    ]
    units = units_of(blocks)
    old = retrospective(units, blocks, "", now)
    assert {unit.text for unit in units if unit.fingerprint in old} == {
        "Background: the debate began at a roundtable in Parliament on 13 April 2018.",
        "Kujtesë: Kuvendi miratoi rezolutën më 3 mars 2019.",
        "Asnjë mekanizëm nuk është ngritur deri më sot.",  # "to date": no news of today
    }
    # A document that presents itself as one ("Eight years ago: …") is one throughout, but
    # for what it dates this year or last.
    whole = retrospective(units, blocks, "Eight years ago: the Tirana roundtable", now)
    assert {unit.text for unit in units if unit.fingerprint not in whole} == {
        "On 27 November 2026 the working group handed over its draft.",
        "Rappel : la consultation sur le projet de loi se termine le 15 décembre.",  # no year: upcoming
    }


def test_a_doubled_word_removed_is_a_typo_fixed() -> None:
    before = canonical("Parliament adopted the the resolution, after the Committee on Legal Isues approved the draft.")
    after = canonical("Parliament adopted the resolution, after the Committee on Legal Issues approved the draft.")
    assert same_information(before, after) and same_information(after, before)
    assert not same_information(canonical("The Committee did not adopt it."), canonical("The Committee did adopt it."))


def test_a_dated_step_added_to_a_paragraph_of_a_page_about_the_topic_is_news() -> None:
    """On a page about the topic, a dated step of the work (a working group, a draft law)
    added to a paragraph the page had is news even when it does not name the defenders."""
    base = [
        Block("Albania has no protection mechanism for human rights defenders yet, the report says."),
        Block("The Ombudsperson called for a law on the protection of human rights defenders at risk."),
        Block("In April 2026 the Committee set up a working group to draft a law on the mechanism."),
    ]
    added = "On 27 November 2026 the working group handed the Committee the first draft of the law."
    blocks = [*base[:2], Block(f"{base[2].text} {added}")]
    units = units_of(blocks)
    fresh = [unit for unit in units if unit.text == added]
    assert judge(blocks, "Blog of defenders", fresh, {"hrd-mechanism": TOPIC}, kept={0, 1, 2})
    assert not judge(blocks, "Blog of defenders", fresh, {"hrd-mechanism": TOPIC})  # a paragraph of its own
    # The same sentence as a paragraph of its own on a page that is not about the topic is not.
    other = [Block("The Ministry opened a new road in the north."), Block(added)]
    assert not judge(other, "News", units_of(other)[1:], {"hrd-mechanism": TOPIC})
