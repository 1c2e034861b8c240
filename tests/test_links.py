"""Which links of a listing are documents, and their keys."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hrdwatch.crawler.links import canonical_url, filed_before, select_links


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://Example.al/lajme/1#koment", "https://example.al/lajme/1"),
        ("https://example.al/lajme/1?utm_source=fb&utm_medium=social", "https://example.al/lajme/1"),
        ("https://example.al/lajme/1;jsessionid=8F2A01BC77D1E3", "https://example.al/lajme/1"),
        ("https://example.al/app/news.jsp;jsessionid=8F2A?id=7", "https://example.al/app/news.jsp?id=7"),
        ("https://example.al/news.php?id=7&PHPSESSID=9b1c0e4d2f", "https://example.al/news.php?id=7"),
        (
            "https://example.al/web/tirana/-/a?p_auth=Xy12Ab&redirect=%2Fweb",
            "https://example.al/web/tirana/-/a?redirect=%2Fweb",
        ),
        # Parameters that name the document stay.
        ("https://example.al/article.php?sid=123", "https://example.al/article.php?sid=123"),
        ("https://example.al/?p=4521&lang=sq", "https://example.al/?p=4521&lang=sq"),
    ],
)
def test_canonical_url(url: str, key: str) -> None:
    assert canonical_url(url) == key


def test_a_listing_rendered_for_a_new_session_has_the_same_documents() -> None:
    first = [
        ("https://example.al/lajme/1;jsessionid=AAA111", "A"),
        ("https://example.al/lajme/2;jsessionid=AAA111", "B"),
    ]
    again = [
        ("https://example.al/lajme/1;jsessionid=BBB222", "A"),
        ("https://example.al/lajme/2;jsessionid=BBB222", "B"),
    ]
    source = "https://example.al/lajme/"
    assert select_links(first, source, r"/lajme/\d") == select_links(again, source, r"/lajme/\d")
    assert [url for url, _ in select_links(again, source, None)] == [
        "https://example.al/lajme/1",
        "https://example.al/lajme/2",
    ]


def test_a_link_filed_under_an_old_month_or_year_is_filed_before() -> None:
    moment = datetime(2024, 11, 30, tzinfo=UTC)
    listing = "https://ngo.example/news/"
    assert filed_before("https://ngo.example/news/2019/03/resolution-adopted/", listing, moment)
    assert filed_before("https://ngo.example/news/2024/10/item", listing, moment)
    assert filed_before("https://ngo.example/wp-content/uploads/2023/report.pdf", listing, moment)
    assert not filed_before("https://ngo.example/news/2024/11/item", listing, moment)
    assert not filed_before("https://ngo.example/news/2024/item", listing, moment)  # a year not over yet
    assert not filed_before("https://ngo.example/lajme/2019-rezoluta-zbatimi", listing, moment)  # a slug, not a folder
    assert not filed_before("https://ngo.example/news/item?from=/2019/", listing, moment)
    # A watched archive listing files everything under its own year.
    assert not filed_before("https://ngo.example/news/2019/item", "https://ngo.example/news/2019/", moment)
