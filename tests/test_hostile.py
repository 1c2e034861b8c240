"""Hostile web: a fault-injection site. Every fault is recorded on its source, raises no alert,
keeps the previous baseline, and the next good crawl is quiet again."""

from __future__ import annotations

import io
import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Hrdwatch, query
from tests.eval.__main__ import make_pdf
from tests.site import Resource, Site, html

GOOD = [
    "On 3 March 2019 the Parliament of Albania adopted a resolution in support of human rights defenders.",
    "The Sub-committee for Human Rights held a consultation on a protection mechanism in May 2019.",
    "No further public information is available about steps towards a protection mechanism.",
    "The roundtable of April 2018 gathered state institutions, civil society and international partners.",
    "Speakers stressed the responsibility of the State to create favourable conditions for defenders.",
    "A follow-up resolution in the light of the UN Declaration was to be submitted to the Assembly.",
    "The resolution recognises the challenges that defenders face when protecting marginalised groups.",
    "The Sub-committee was to report to the Committee on Legal Issues, Public Administration and Human Rights.",
]
RELEVANT_NEW = "The Assembly adopted the law establishing a protection mechanism for human rights defenders."


def good_page() -> str:
    return html("<main><h1>Albania</h1>" + "".join(f"<p>{p}</p>" for p in GOOD) + "</main>").body.decode()


def gzip_bomb(size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1 << 20)
    out = [packer.compress(chunk) for _ in range(size >> 20)]
    return b"".join([*out, packer.flush()])


def encrypted_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=io.BytesIO(make_pdf(["Protection mechanism for human rights defenders."])))
    writer.encrypt("secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><title>&lol3;</title><item><guid>x</guid><title>&lol3;</title>
<description>human rights defenders protection mechanism</description></item></channel></rss>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>t</title><item><guid>y</guid><title>&xxe;</title>
<description>human rights defenders protection mechanism</description></item></channel></rss>"""


def feed(*items: tuple[str, str]) -> Resource:
    body = "".join(f"<item><guid>{g}</guid><title>{t}</title><description>{t}</description></item>" for g, t in items)
    return Resource(
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>F</title>{body}</channel></rss>".encode(),
        content_type="application/rss+xml",
    )


@dataclass
class Case:
    kind: str
    fault: Resource | None  # what the second crawl gets (None: the source URL itself fails)
    error: str  # expected in the error recorded on the source
    url: str | None = None


def cases() -> dict[str, Case]:
    rng = random.Random(7)
    pdf_good = Resource(make_pdf(GOOD), content_type="application/pdf")
    return {
        "http-403": Case("page", Resource(b"<h1>Forbidden</h1>", status=403), "HTTP 403"),
        "http-404": Case("page", Resource(b"<h1>Not found</h1>", status=404), "HTTP 404"),
        "http-500": Case("page", Resource(b"oops", status=500), "HTTP 500"),
        "http-503-maintenance": Case(
            "page",
            Resource(
                b"<h1>Maintenance</h1><p>The Sub-committee for Human Rights pages about the protection mechanism for "
                b"human rights defenders are under maintenance.</p>",
                status=503,
            ),
            "HTTP 503",
        ),
        "maintenance-200": Case(
            "page",
            html(
                "<h1>Site under maintenance</h1><p>The protection mechanism for human rights defenders page will be "
                "back soon.</p>"
            ),
            "maintenance",
        ),
        "empty-body": Case("page", Resource(b""), "empty"),
        "malformed-html": Case("page", Resource(b"<html><body><<<div <p>>> </span></i>&&&& <b"), "empty"),
        "binary-as-html": Case("page", Resource(bytes(rng.getrandbits(8) for _ in range(20000))), "binary"),
        "huge-page": Case("page", Resource(b"<p>" + b"a" * (50 * 1024 * 1024)), "size limit"),
        "gzip-bomb": Case("page", Resource(gzip_bomb(64 << 20), headers={"Content-Encoding": "gzip"}), "size limit"),
        "redirect-loop": Case("page", Resource(b"", status=302, headers={"Location": "/f/redirect-loop"}), "redirect"),
        "redirect-chain": Case("page", Resource(b"", status=302, headers={"Location": "/chain/1"}), "redirect"),
        "slow-endless": Case("page", Resource(b"<p>" + b"x" * 200000, drip=0.2), "time"),
        "truncated-mid-sentence": Case(
            "page", Resource(good_page().encode()[: good_page().index("protection mechanism in May")]), "truncated"
        ),
        "lost-most-content": Case("page", html("<main><p>" + GOOD[0] + "</p></main>"), "lost most"),
        "pdf-encrypted": Case("pdf", Resource(encrypted_pdf(), content_type="application/pdf"), "encrypted"),
        "pdf-corrupt": Case(
            "pdf",
            Resource(b"%PDF-1.4\n" + bytes(rng.getrandbits(8) for _ in range(5000)), content_type="application/pdf"),
            "PDF",
        ),
        "feed-billion-laughs": Case(
            "feed", Resource(BILLION_LAUGHS, content_type="application/rss+xml"), "forbidden XML"
        ),
        "feed-external-entity": Case("feed", Resource(XXE, content_type="application/rss+xml"), "forbidden XML"),
        "dns-failure": Case("page", None, "DNS", url="http://no-such-host.invalid/"),
        "_pdf_good": Case("pdf", pdf_good, ""),
    }


@dataclass
class Outcome:
    hrdwatch: Hrdwatch
    after_fault: dict[str, dict[str, Any]]
    after_recovery: dict[str, dict[str, Any]]
    alerts: list[dict[str, Any]]
    snapshots: dict[str, int]
    expected: dict[str, str]


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    site = Site().start()
    tmp: Path = tmp_path_factory.mktemp("hostile")
    hrdwatch = Hrdwatch(tmp / "hrdwatch.yaml", f"sqlite:///{tmp / 'hrdwatch.db'}")
    table = cases()
    sources = []
    good: dict[str, Resource] = {}
    for name, case in table.items():
        if name.startswith("_"):
            continue
        path = f"/f/{name}"
        if case.kind == "feed":
            good[path] = feed(("a", GOOD[0]))
        elif case.kind == "pdf":
            good[path] = table["_pdf_good"].fault
        else:
            good[path] = Resource(good_page().encode())
        sources.append(
            {"id": name, "url": case.url or site.url(path), "kind": "feed" if case.kind == "feed" else "page"}
        )
    for i in range(1, 9):
        site[f"/chain/{i}"] = Resource(b"", status=302, headers={"Location": f"/chain/{i + 1}"})
    hrdwatch.write_config(sources, crawl={"delay": 0, "retries": 0, "timeout": "4s", "max_page_size": 10 * 1024 * 1024})
    for path, resource in good.items():
        site[path] = resource
    hrdwatch.run("crawl", timeout=300)
    for name, case in table.items():
        if not name.startswith("_") and case.fault is not None:
            site[f"/f/{name}"] = case.fault
    hrdwatch.run("crawl", timeout=300)
    after_fault = hrdwatch.sources()
    for path, resource in good.items():
        site[path] = resource
    hrdwatch.run("crawl", timeout=300)
    after_recovery = hrdwatch.sources()
    rows = query(
        hrdwatch.db_url,
        "select d.source_id, count(s.id) from documents d join snapshots s on s.document_id = d.id group by d.source_id",
    )
    expected = {name: case.error for name, case in table.items()}
    yield Outcome(hrdwatch, after_fault, after_recovery, hrdwatch.alerts(), dict(rows), expected)
    site.stop()


NAMES = [
    "http-403",
    "http-404",
    "http-500",
    "http-503-maintenance",
    "maintenance-200",
    "empty-body",
    "malformed-html",
    "binary-as-html",
    "huge-page",
    "gzip-bomb",
    "redirect-loop",
    "redirect-chain",
    "slow-endless",
    "truncated-mid-sentence",
    "lost-most-content",
    "pdf-encrypted",
    "pdf-corrupt",
    "feed-billion-laughs",
    "feed-external-entity",
    "dns-failure",
]


@pytest.mark.parametrize("name", NAMES)
def test_fault_is_recorded_without_alert_and_baseline_kept(outcome: Outcome, name: str) -> None:
    expected = outcome.expected[name]
    state = outcome.after_fault[name]
    assert state["consecutive_errors"] == (2 if name == "dns-failure" else 1), state  # DNS fails from the start
    assert expected.lower() in (state["last_error"] or "").lower(), state["last_error"]
    assert not [a for a in outcome.alerts if a["source"] == name]
    if name != "dns-failure":
        assert outcome.after_recovery[name]["consecutive_errors"] == 0, outcome.after_recovery[name]
        if not name.startswith("feed"):
            assert outcome.snapshots.get(name) == 1  # the fault never became a snapshot


ALBANIAN = "Kuvendi miratoi projektligjin për mekanizmin e mbrojtjes së mbrojtësve të të drejtave të njeriut, çështje e hapur prej vitesh."
BASE_SQ = "<p>Komisioni shqyrtoi buxhetin e vitit të ardhshëm për institucionet e pavarura.</p>"


@pytest.mark.parametrize(
    ("encoding", "header", "meta"),
    [
        ("windows-1250", "text/html; charset=windows-1250", ""),
        ("iso-8859-2", "text/html", "<meta charset='iso-8859-2'>"),
        ("windows-1250", "text/html; charset=utf-8", ""),  # mis-declared UTF-8
        ("windows-1250", "text/html", ""),  # no charset anywhere
    ],
)
def test_albanian_in_legacy_encodings_comes_out_right(
    site: Site, hrdwatch: Hrdwatch, encoding: str, header: str, meta: str
) -> None:
    def page(*paragraphs: str) -> Resource:
        body = f"<html><head>{meta}<title>Lajme</title></head><body><main>{''.join(paragraphs)}</main></body></html>"
        return Resource(body.encode(encoding), content_type=header)

    site["/sq"] = page(BASE_SQ)
    hrdwatch.write_config([{"id": "sq", "url": site.url("/sq")}])
    hrdwatch.run("crawl")
    site["/sq"] = page(BASE_SQ, f"<p>{ALBANIAN}</p>")
    hrdwatch.run("crawl")
    [alert] = hrdwatch.alerts()
    assert ALBANIAN in alert["excerpt"]  # ë and ç intact


def test_links_never_lead_to_private_addresses_or_other_schemes(site: Site, hrdwatch: Hrdwatch) -> None:
    port = site.url("/").split(":")[2].split("/")[0]
    links = [
        f"http://localhost:{port}/news/private",  # allowed domain, but resolves to loopback: refused
        "file:///etc/passwd",
        "javascript:alert(1)",
        "ftp://127.0.0.1/news/ftp",
        "/news/redirect",  # same host, redirects off-host to loopback: refused
        "/news/ok",
    ]
    site["/list"] = html("<main><ul></ul></main>").body.decode()
    hrdwatch.write_config(
        [{"id": "l", "url": site.url("/list"), "kind": "listing", "follow": "news", "allow_domains": ["localhost"]}]
    )
    hrdwatch.run("crawl")
    site["/list"] = html(
        "<main><ul>" + "".join(f"<li><a href='{h}'>x</a></li>" for h in links) + "</ul></main>"
    ).body.decode()
    site["/news/private"] = html(
        "<p>Human rights defenders protection mechanism adopted by the Parliament.</p>"
    ).body.decode()
    site["/news/redirect"] = Resource(b"", status=302, headers={"Location": f"http://localhost:{port}/news/private"})
    site["/news/ok"] = html(
        "<p>Human rights defenders protection mechanism adopted by the Parliament.</p>"
    ).body.decode()
    out = hrdwatch.run("crawl").stdout
    assert site.hits("/news/private") == 0
    assert not [p for _m, p, h in site.requests if h.get("Host", "").startswith("localhost")]  # not even robots.txt
    assert out.count("private, loopback or link-local") == 2
    assert [a["url"] for a in hrdwatch.alerts()] == [site.url("/news/ok")]


def test_listing_redesign_is_one_event_not_a_flood(site: Site, hrdwatch: Hrdwatch) -> None:
    site["/list"] = html("<main><ul><li><a href='/news/0'>zero</a></li></ul></main>").body.decode()
    site["/news/0"] = html("<p>Old news about the budget.</p>").body.decode()
    hrdwatch.write_config(
        [{"id": "l", "url": site.url("/list"), "kind": "listing", "follow": "/news/", "max_new_documents": 5}]
    )
    hrdwatch.run("crawl")
    items = "".join(f"<li><a href='/news/n{i}'>item {i}</a></li>" for i in range(30))
    site["/list"] = html(f"<main><ul>{items}</ul></main>").body.decode()
    for i in range(30):
        site[f"/news/n{i}"] = html(
            "<p>The Parliament adopted a protection mechanism for human rights defenders.</p>"
        ).body.decode()
    out = hrdwatch.run("crawl").stdout
    assert out.count("listing changed shape") == 1
    assert sum(site.hits(f"/news/n{i}") for i in range(30)) == 0
    assert hrdwatch.alerts() == []


def test_secrets_stay_out_of_output(site: Site, hrdwatch: Hrdwatch) -> None:
    secret, password = "hook-secret-value-123", "smtp-password-value-456"
    hrdwatch.env.update(
        {"HRDWATCH_WEBHOOK_SECRET": secret, "HRDWATCH_SMTP_USER": "u", "HRDWATCH_SMTP_PASSWORD": password}
    )
    site["/p"] = good_page()
    hrdwatch.write_config(
        [{"id": "p", "url": site.url("/p")}],
        notify={
            "webhooks": [{"url": "http://127.0.0.1:9/hook", "secret_env": "HRDWATCH_WEBHOOK_SECRET", "timeout": "1s"}],
            "email": {"smtp": "smtp://127.0.0.1:9", "from": "a@example.org", "to": ["b@example.org"], "timeout": "1s"},
        },
    )
    hrdwatch.run("crawl")
    site["/p"] = html("<main>" + "".join(f"<p>{p}</p>" for p in [*GOOD, RELEVANT_NEW]) + "</main>").body.decode()
    outputs = [
        hrdwatch.run("--log-level", "DEBUG", "crawl"),
        hrdwatch.run("notify", "--status"),
        hrdwatch.run("sources"),
        hrdwatch.run("notify", "--test", check=False),
    ]
    for proc in outputs:
        assert secret not in proc.stdout + proc.stderr
        assert password not in proc.stdout + proc.stderr
