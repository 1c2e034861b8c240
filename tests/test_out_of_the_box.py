"""`hrdwatch demo`, `init` and `check`."""

from __future__ import annotations

import json
import subprocess
import sys
from email import message_from_bytes
from pathlib import Path

import yaml

from hrdwatch.config import load_config, parse_config
from hrdwatch.defaults import default_config_text
from tests.conftest import Hrdwatch
from tests.site import Site, html


def test_demo_raises_exactly_the_relevant_alert(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "hrdwatch", "demo", "--out", str(out)], capture_output=True, text=True, timeout=180
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 alerts" in proc.stdout
    [hook] = list(out.glob("*.webhook.json"))
    payload = json.loads(hook.read_text())
    assert payload["url"].endswith("/office/news/2026/11/hrd-mechanism")
    assert "protection mechanism for human rights defenders" in payload["excerpt"]
    [eml] = list(out.glob("*.eml"))
    message = message_from_bytes(eml.read_bytes())
    assert "hrd-mechanism" in message["Subject"]
    assert message["Message-ID"].startswith("<hrdwatch-alert-")


def test_builtin_config_is_valid_and_init_writes_it(tmp_path: Path) -> None:
    builtin = parse_config(yaml.safe_load(default_config_text()))
    ids = {s.id for s in builtin.sources}
    assert {
        "coe-tirana-news",
        "coe-commissioner-albania",
        "parlament-news",
        "parlament-legal-committee",
        "parlament-hr-subcommittee",
        "ombudsperson-news-sq",
        "ombudsperson-news-en",
        "crd-albania",
        "epf-news",
        "fld-albania",
        "osce-albania",
        "eeas-albania",
        "focus-obs-albania",
    } <= ids
    target = tmp_path / "hrdwatch.yaml"
    run = [sys.executable, "-m", "hrdwatch", "init", str(target)]
    assert subprocess.run(run, capture_output=True, text=True).returncode == 0
    assert load_config(target).config == builtin
    again = subprocess.run(run, capture_output=True, text=True)
    assert again.returncode != 0 and "--force" in again.stderr
    assert subprocess.run([*run, "--force"], capture_output=True, text=True).returncode == 0


def test_check_shows_blocks_scores_and_links_without_storing(site: Site, hrdwatch: Hrdwatch, tmp_path: Path) -> None:
    site["/p"] = html(
        "<nav>Menu</nav><main><h1>Lajme</h1><p>Kuvendi miratoi projektligjin për mekanizmin e mbrojtjes së "
        "mbrojtësve të të drejtave të njeriut.</p><p>Moti do të jetë me diell.</p></main>"
    ).body.decode()
    site["/list"] = html(
        "<main><ul><li><a href='/news/1'>One</a></li><li><a href='/about'>About</a></li></ul></main>"
    ).body.decode()
    hrdwatch.write_config(
        [
            {"id": "p", "url": site.url("/p")},
            {"id": "l", "url": site.url("/list"), "kind": "listing", "follow": "/news/"},
        ]
    )
    out = hrdwatch.run("check", "p").stdout
    assert "*[" in out and "mekanizmin" in out and "mbrojtësve të të drejtave të njeriut" in out
    assert "Moti do të jetë me diell." in out and "Menu" not in out
    listing = hrdwatch.run("check", "l").stdout
    assert site.url("/news/1") in listing and site.url("/about") not in listing
    assert site.hits("/news/1") == 0  # documents are listed, not fetched
    adhoc = hrdwatch.run("check", site.url("/p"), "--select", "h1").stdout
    assert "Lajme" in adhoc and "Moti" not in adhoc
    assert not (tmp_path / "hrdwatch.db").exists()
