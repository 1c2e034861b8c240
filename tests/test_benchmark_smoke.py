"""The performance benchmark keeps working (a tiny run; figures are not asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_benchmark_smoke_run(tmp_path: Path) -> None:
    root = Path(__file__).parent.parent
    out = tmp_path / "bench.json"
    command = [sys.executable, "-m", "benchmarks.cycle", "--n", "20", "--tool", "hrdwatch", "--quick"]
    proc = subprocess.run(
        [*command, "--repeat", "2", "--service", "--json", str(out)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "4 identical" in proc.stdout and "hrdwatch" in proc.stdout
    assert "medians of 2 runs" in proc.stdout
    record = json.loads(out.read_text())
    service_rows = [row for row in record["rows"] if row["tool"] == "hrd-run"]
    record["rows"] = [row for row in record["rows"] if row["tool"] == "hrdwatch"]
    assert [(row["cycle"], row["repeat"]) for row in record["rows"]] == [(1, 1), (2, 2), (3, 2), (4, 2)]
    # The same cycles crawled by a warm `hrdwatch run` (SIGUSR1): the same requests and alerts.
    assert [row["cycle"] for row in service_rows] == [1, 2, 3, 4]
    for crawl_row, run_row in zip(record["rows"], service_rows, strict=True):
        for key in ("pages_200", "pages_304", "detected", "errors"):
            assert run_row[key] == crawl_row[key], (key, run_row, crawl_row)
        assert run_row["cpu_s"] > 0 and run_row["wall_s"] > 0
    runs = [run for run in record["runs"] if run["tool"] == "hrdwatch"]
    assert [(run["cycle"], run["repeat"]) for run in runs] == [(1, 1), (2, 1), (2, 2), (3, 1), (3, 2), (4, 1), (4, 2)]
    # Each run of a cycle starts from the same store: the same outcome every time (the database
    # file's growth may differ by a page, so it is not compared).
    for cycle in (2, 3, 4):
        outcomes = {(run["summary"], run["pages_200"], run["pages_304"]) for run in runs if run["cycle"] == cycle}
        assert len(outcomes) == 1, outcomes
    assert next(run for run in runs if run["cycle"] == 4)["pages_304"] == 20
