"""Storage on SQLite and PostgreSQL: migrations, evidence export, retention, indexes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from hrdwatch.storage.schema import alembic_head, current_revision, head_revision, upgrade
from tests.conftest import BACKENDS, Hrdwatch, query
from tests.site import Site, html

pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)


def test_upgrade_from_the_first_migration_keeps_data(hrdwatch: Hrdwatch) -> None:
    engine = create_engine(hrdwatch.db_url)
    upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.execute(
            text(
                "insert into sources (id, url, kind, baselined, consecutive_errors) "
                "values ('old', 'http://127.0.0.1:9/', 'page', true, 0)"
            )
        )
        connection.execute(text("insert into seen (source_id, fingerprint) values ('old', 42)"))
    engine.dispose()
    hrdwatch.write_config([{"id": "old", "url": "http://127.0.0.1:9/"}])

    refused = hrdwatch.run("sources", check=False)
    assert refused.returncode == 3
    assert "run 'hrdwatch db upgrade'" in refused.stderr
    assert "0001" in hrdwatch.run("db", "current").stdout

    assert "0001 → 0004" in hrdwatch.run("db", "upgrade").stdout
    engine = create_engine(hrdwatch.db_url)
    assert current_revision(engine) == head_revision(engine) == alembic_head(engine)
    engine.dispose()
    assert query(hrdwatch.db_url, "select fingerprint from seen") == [(42,)]
    assert query(hrdwatch.db_url, "select count(*) from deliveries") == [(0,)]
    assert hrdwatch.sources()["old"]["consecutive_errors"] == 0


def test_warc_export_reads_back_with_warcio(site: Site, hrdwatch: Hrdwatch, tmp_path: Path) -> None:
    from warcio.archiveiterator import ArchiveIterator

    bodies = []
    for words in ("first", "second"):
        page = html(f"<main><p>The {words} version of the page about the justice reform in Albania.</p></main>").body
        bodies.append(page)
        site["/p"] = page.decode()
        if words == "first":
            hrdwatch.write_config([{"id": "p", "url": site.url("/p")}])
        hrdwatch.run("crawl")
    warc = tmp_path / "p.warc.gz"
    assert "Wrote 2 snapshots" in hrdwatch.run("export", "p", "--output", str(warc)).stdout
    records = []
    with warc.open("rb") as stream:
        for record in ArchiveIterator(stream, check_digests=True):
            if record.rec_type == "response":
                body = record.content_stream().read()
                records.append(
                    (record.rec_headers.get_header("WARC-Target-URI"), body, record.http_headers.get_statuscode())
                )
                assert record.rec_headers.get_header("WARC-Payload-Digest").startswith("sha256:")
    assert [(url, hashlib.sha256(body).hexdigest(), status) for url, body, status in records] == [
        (site.url("/p"), hashlib.sha256(b).hexdigest(), "200") for b in bodies
    ]
    jsonl = tmp_path / "p.jsonl"
    hrdwatch.run("export", "p", "--format", "json", "--output", str(jsonl))
    import json

    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert [line["sha256"] for line in lines] == [hashlib.sha256(b).hexdigest() for b in bodies]
    assert lines[0]["fetched_at"].endswith("Z") and lines[0]["status"] == 200


def test_prune_keeps_changes_latest_and_seen(site: Site, hrdwatch: Hrdwatch) -> None:
    places = "Tirana Durrës Shkodër Vlorë Korçë Elbasan Fier Berat Lezhë Kukës".split()
    paragraphs = [f"The regional office in {place} reported on its work with local communities." for place in places]
    site["/p"] = html("".join(f"<p>{p}</p>" for p in paragraphs)).body.decode()
    hrdwatch.write_config([{"id": "p", "url": site.url("/p")}], retention={"keep_last": 1})
    hrdwatch.run("crawl")
    for keep in (9, 8, 7, 6):  # text removed: new snapshots, no change
        site["/p"] = html("".join(f"<p>{p}</p>" for p in paragraphs[:keep])).body.decode()
        hrdwatch.run("crawl")
    relevant = "The Parliament adopted a resolution on a protection mechanism for human rights defenders."
    site["/p"] = html("".join(f"<p>{p}</p>" for p in [*paragraphs[:6], relevant])).body.decode()
    hrdwatch.run("crawl")
    assert len(hrdwatch.alerts()) == 1
    assert query(hrdwatch.db_url, "select count(*) from snapshots") == [(6,)]
    seen_before = query(hrdwatch.db_url, "select count(*) from seen")

    assert "Would remove 4 snapshots" in hrdwatch.run("db", "prune", "--dry-run").stdout
    assert "Removed 4 snapshots and 4 stored bodies" in hrdwatch.run("db", "prune").stdout
    # Kept: the latest (it carried the change) and one other.
    assert query(hrdwatch.db_url, "select count(*) from snapshots") == [(2,)]
    assert query(hrdwatch.db_url, "select count(*) from blobs") == [(2,)]
    assert query(hrdwatch.db_url, "select count(*) from seen") == seen_before

    # Old text that comes back is still "already seen".
    site["/p"] = html("".join(f"<p>{p}</p>" for p in [*paragraphs, relevant])).body.decode()
    hrdwatch.run("crawl")
    assert len(hrdwatch.alerts()) == 1


def test_two_processes_storing_the_same_body_at_once_both_succeed(hrdwatch: Hrdwatch) -> None:
    """Crawl processes share the blob table: the second insert of a body must not fail."""
    import threading

    from hrdwatch.storage.blobs import store_blob
    from hrdwatch.storage.db import Database, StorageError

    first, second = Database(hrdwatch.db_url), Database(hrdwatch.db_url)
    body = b"<html>the same page served to two sources</html>"
    outcome: list[object] = []
    holding = threading.Event()
    release = threading.Event()

    def hold_first() -> None:
        with first.transaction() as session:
            outcome.append(store_blob(session, body))
            session.flush()
            holding.set()
            release.wait(10)

    def race_second() -> None:
        holding.wait(10)
        try:
            with second.transaction() as session:
                outcome.append(store_blob(session, body))
        except StorageError as exc:  # the failure this test is about
            outcome.append(exc)

    threads = [threading.Thread(target=hold_first), threading.Thread(target=race_second)]
    for thread in threads:
        thread.start()
    holding.wait(10)
    threading.Timer(1.0, release.set).start()  # the second insert is waiting on the first by then
    for thread in threads:
        thread.join(30)
    first.close()
    second.close()
    sha = hashlib.sha256(body).hexdigest()
    assert outcome == [sha, sha]
    assert query(hrdwatch.db_url, "select count(*) from blobs") == [(1,)]
