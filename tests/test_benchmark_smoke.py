"""The performance benchmark keeps working (a tiny run; figures are not asserted here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_benchmark_smoke_run() -> None:
    root = Path(__file__).parent.parent
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.cycle", "--n", "20", "--tool", "hrdwatch", "--quick"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "4 identical" in proc.stdout and "hrdwatch" in proc.stdout
