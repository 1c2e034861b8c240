"""Development evaluation of alert quality, through the CLI contract.

    python -m tests.eval [--cases GLOB] [--verbose]

Serves every labelled case of tests/eval/cases/*.yaml on a local site (one source per
case), runs `hrdwatch crawl` once per version, reads `hrdwatch alerts --json`, and
prints precision, recall and excerpt quality, with the cases that went wrong.
"""

from __future__ import annotations

import argparse
import glob
import html
import io
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hrdwatch.detect.text import clean, fold
from tests.site import Resource, Site

HERE = Path(__file__).parent
HEADLINES = [
    "Weather: sunny spells expected across the country this weekend",
    "Tirana marathon draws record number of runners",
    "New bus lines connect the suburbs to the city centre",
    "Exhibition of contemporary art opens at the National Gallery",
    "Tourism numbers rise for the third year in a row",
    "Road works on the ring road to finish next month",
    "Panair i librit hap dyert në Tiranë",
    "Koncert për Ditën e Pavarësisë në sheshin Skënderbej",
    "Festival de musique à Korçë ce week-end",
    "University entrance results published",
]


@dataclass
class Case:
    id: str
    kind: str
    expect: str
    excerpt: str | None
    versions: list[dict[str, Any]]
    follow: str | None
    noise: str
    lang: str
    note: str
    file: str


def load_cases(pattern: str) -> list[Case]:
    cases: list[Case] = []
    for path in sorted(glob.glob(str(HERE / "cases" / pattern))):
        for raw in yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []:
            cases.append(
                Case(
                    id=str(raw["id"]),
                    kind=raw.get("kind", "page"),
                    expect=raw["expect"],
                    excerpt=raw.get("excerpt"),
                    versions=raw["versions"],
                    follow=raw.get("follow"),
                    noise=raw.get("noise", "vary"),
                    lang=raw.get("lang", "?"),
                    note=raw.get("note", ""),
                    file=Path(path).name,
                )
            )
    return cases


def slug(case_id: str) -> str:
    return re.sub(r"[^a-z0-9_.-]", "-", case_id.lower())[:80]


class Renderer:
    def __init__(self) -> None:
        self.templates = {p.stem: p.read_text(encoding="utf-8") for p in (HERE / "templates").glob("*.html")}

    def noise(self, case: Case, version: int) -> dict[str, str]:
        rng = random.Random(f"{case.id}/{version if case.noise != 'fixed' else 0}")
        day, month, hour, minute = rng.randint(1, 28), rng.randint(1, 12), rng.randint(0, 23), rng.randint(0, 59)
        items = rng.sample(HEADLINES, 3)
        return {
            "timestamp": f"{day:02d}.{month:02d}.2026 {hour:02d}:{minute:02d}",
            "date": f"{day:02d}/{month:02d}/2026",
            "token": f"{rng.getrandbits(128):032x}",
            "counter": str(rng.randint(100, 99999)),
            "asset": f"{rng.getrandbits(32):08x}",
            "relative": f"{rng.randint(2, 23)} hours ago",
            "sidebar": "".join(f"<li><a href='#'>{html.escape(h)}</a></li>" for h in items),
        }

    def resource(self, case: Case, version: int, prefix: str, spec: dict[str, Any]) -> Resource:
        if "status" in spec:
            body = spec.get("html", f"<html><body><h1>Error {spec['status']}</h1></body></html>")
            return Resource(self._prefix(body, prefix).encode("utf-8"), status=int(spec["status"]))
        if spec.get("empty"):
            return Resource(b"")
        if "pdf" in spec:
            return Resource(make_pdf(spec["pdf"]), content_type="application/pdf")
        if "feed" in spec:
            return Resource(self._feed(spec["feed"], prefix).encode("utf-8"), content_type="application/rss+xml")
        if "html" in spec:
            return Resource(self._prefix(spec["html"], prefix).encode("utf-8"))
        template = self.templates[spec["template"]]
        values = self.noise(case, version)
        values["title"] = html.escape(spec.get("title", ""))
        values["content"] = "\n".join(
            p if p.lstrip().startswith("<") else f"<p>{html.escape(p)}</p>" for p in spec.get("paragraphs", [])
        )
        values["links"] = "\n".join(
            f'<li><a href="{html.escape(link["href"])}">{html.escape(link.get("text", ""))}</a> '
            f"<span>{html.escape(link.get('summary', ''))}</span></li>"
            for link in spec.get("links", [])
        )
        page = re.sub(r"{{\s*(\w+)\s*}}", lambda m: values.get(m.group(1), ""), template)
        return Resource(self._prefix(page, prefix).encode("utf-8"))

    @staticmethod
    def _prefix(text: str, prefix: str) -> str:
        return re.sub(r'((?:href|src)=["\'])/(?!/)', rf"\1{prefix}/", text)

    @staticmethod
    def _feed(feed: dict[str, Any], prefix: str) -> str:
        items = []
        for entry in feed.get("entries", []):
            link = entry.get("link", "")
            if link.startswith("/"):
                link = "http://SITE" + prefix + link
            items.append(
                "<item>"
                f"<guid isPermaLink='false'>{html.escape(str(entry.get('id', link)))}</guid>"
                f"<title>{html.escape(entry.get('title', ''))}</title>"
                f"<link>{html.escape(link)}</link>"
                f"<description>{html.escape(entry.get('summary', ''))}</description>"
                + (f"<content:encoded><![CDATA[{entry['content']}]]></content:encoded>" if "content" in entry else "")
                + "</item>"
            )
        return (
            "<?xml version='1.0' encoding='utf-8'?>"
            "<rss version='2.0' xmlns:content='http://purl.org/rss/1.0/modules/content/'><channel>"
            f"<title>{html.escape(feed.get('title', 'Feed'))}</title><link>http://SITE{prefix}/</link>"
            f"<description>feed</description>{''.join(items)}</channel></rss>"
        )


def make_pdf(pages: list[str]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    buffer = io.BytesIO()
    style = getSampleStyleSheet()["BodyText"]
    story: list[Any] = []
    for number, text in enumerate(pages):
        for paragraph in str(text).split("\n\n"):
            story.append(Paragraph(html.escape(paragraph), style))
        if number < len(pages) - 1:
            story.append(PageBreak())
    SimpleDocTemplate(buffer, pagesize=A4, invariant=1).build(story)
    return buffer.getvalue()


def run(cases: list[Case], verbose: bool) -> dict[str, Any]:
    site = Site().start()
    renderer = Renderer()
    workdir = Path(tempfile.mkdtemp(prefix="hrdwatch-eval-"))
    config = workdir / "hrdwatch.yaml"
    base = site.url("")
    sources = []
    for case in cases:
        entry: dict[str, Any] = {"id": slug(case.id), "url": f"{base}/c/{slug(case.id)}/", "kind": case.kind}
        if case.follow:
            entry["follow"] = case.follow
        sources.append(entry)
    config.write_text(
        yaml.safe_dump(
            {
                "database": f"sqlite:///{workdir / 'eval.db'}",
                "crawl": {"delay": 0, "retries": 0, "timeout": "20s", "concurrency": 32, "concurrency_per_domain": 16},
                "sources": sources,
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    rounds = max(len(case.versions) for case in cases)
    started = time.monotonic()
    for version in range(rounds):
        site.pages.clear()
        for case in cases:
            index = min(version, len(case.versions) - 1)
            prefix = f"/c/{slug(case.id)}"
            for path, spec in case.versions[index].items():
                resource = renderer.resource(case, index, prefix, spec)
                if resource.content_type.startswith("application/rss"):
                    resource.body = resource.body.replace(b"http://SITE", base.encode())
                site.pages[prefix + ("/" if path == "/" else path)] = resource
        proc = subprocess.run(
            [sys.executable, "-m", "hrdwatch", "--config", str(config), "crawl"],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        if proc.returncode != 0:
            raise SystemExit(f"crawl failed:\n{proc.stdout}\n{proc.stderr}")
        if verbose:
            print(f"round {version + 1}: {proc.stdout.splitlines()[0]}")
    elapsed = time.monotonic() - started
    out = subprocess.run(
        [sys.executable, "-m", "hrdwatch", "--config", str(config), "alerts", "--json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    site.stop()
    alerts: dict[str, list[dict[str, Any]]] = {}
    for line in out.splitlines():
        record = json.loads(line)
        alerts.setdefault(record["source"], []).append(record)
    result = score(cases, alerts, elapsed)
    # The probe rounds (probe*.yaml) are scored apart from the development set as well.
    sets = {
        "development set": [case for case in cases if not case.file.startswith("probe")],
        "probe rounds": [case for case in cases if case.file.startswith("probe")],
    }
    if all(sets.values()):
        shown = ("cases", "tp", "fp", "fn", "tn", "precision", "recall")
        result["sets"] = {
            name: {key: value for key, value in score(group, alerts, elapsed).items() if key in shown}
            for name, group in sets.items()
        }
    return result


def score(cases: list[Case], alerts: dict[str, list[dict[str, Any]]], elapsed: float) -> dict[str, Any]:
    tp = fp = fn = tn = 0
    excerpt_ok = 0
    duplicates = 0
    excerpt_lengths: list[int] = []
    wrong: list[str] = []
    by_group: dict[str, list[int]] = {}
    for case in cases:
        got = alerts.get(slug(case.id), [])
        expected = case.expect == "alert"
        group = by_group.setdefault(case.file, [0, 0])
        group[1] += 1
        if expected and got:
            tp += 1
            group[0] += 1
            if len(got) > 1:
                duplicates += 1
            text = " ".join(a["excerpt"] for a in got)
            excerpt_lengths.append(len(text))
            # The excerpt shows mis-encoded text repaired ("pÃ«r" → "për"): so is the phrase.
            if case.excerpt is None or fold(clean(case.excerpt)) in fold(text):
                excerpt_ok += 1
            else:
                wrong.append(f"EXCERPT {case.id}: expected {case.excerpt!r} in {text[:300]!r}")
        elif expected:
            fn += 1
            wrong.append(f"MISSED  {case.id} ({case.lang}): {case.note}")
        elif got:
            fp += 1
            wrong.append(
                f"FALSE   {case.id} ({case.lang}): {case.note}\n          excerpt: {got[0]['excerpt'][:300]!r} "
                f"terms={got[0]['terms']}"
            )
        else:
            tn += 1
            group[0] += 1
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {
        "cases": len(cases),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "excerpt_contains_key_phrase": round(excerpt_ok / tp, 3) if tp else None,
        "mean_excerpt_chars": round(sum(excerpt_lengths) / len(excerpt_lengths)) if excerpt_lengths else None,
        "cases_with_more_than_one_alert": duplicates,
        "seconds": round(elapsed, 1),
        "per_file": {name: f"{ok}/{total}" for name, (ok, total) in sorted(by_group.items())},
        "wrong": wrong,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default="*.yaml", help="glob of case files under tests/eval/cases")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    cases = load_cases(args.cases)
    if not cases:
        raise SystemExit("no cases found")
    result = run(cases, args.verbose)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    for line in result["wrong"]:
        print(line)
    print()
    for name, ratio in result["per_file"].items():
        print(f"  {name:40s} {ratio} right")
    print(
        f"\n{result['cases']} cases in {result['seconds']} s: precision {result['precision']}, recall {result['recall']} "
        f"(tp {result['tp']}, fp {result['fp']}, fn {result['fn']}, tn {result['tn']}); excerpt has the key phrase "
        f"in {result['excerpt_contains_key_phrase']} of alerts, mean excerpt {result['mean_excerpt_chars']} chars; "
        f"{result['cases_with_more_than_one_alert']} cases with more than one alert"
    )
    for name, part in result.get("sets", {}).items():
        print(
            f"  {name}: {part['cases']} cases, precision {part['precision']}, recall {part['recall']} "
            f"(tp {part['tp']}, fp {part['fp']}, fn {part['fn']}, tn {part['tn']})"
        )


if __name__ == "__main__":
    main()
