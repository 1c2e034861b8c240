"""The command's start-up: the garbage collector is paused while the CLI imports its
libraries, and runs again once a command starts (for a crawl: once its start-up heap is frozen)."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import Hrdwatch
from tests.site import Site, html

# Runs the command as the console script does, and reports whether the collector was on when
# SQLAlchemy was imported, whether it is on at exit, and whether a start-up heap was frozen.
PROBE = """
import atexit, gc, sys
during = []
sys.addaudithook(lambda event, args: event == "import" and args[0] == "sqlalchemy" and during.append(gc.isenabled()))
atexit.register(lambda: print("gc", during, gc.isenabled(), gc.get_freeze_count() > 0))
sys.argv = ["hrdwatch", *sys.argv[1:]]
from hrdwatch.__main__ import main
main()
"""


def _gc_state(hrdwatch: Hrdwatch, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, "--config", str(hrdwatch.config_path), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout.strip().splitlines()[-1]


def test_the_collector_is_paused_only_while_the_command_starts(site: Site, hrdwatch: Hrdwatch) -> None:
    site["/news"] = html("<p>The Ombudsperson published its annual report on human rights defenders.</p>")
    hrdwatch.write_config([{"id": "a", "url": site.url("/news")}])
    # Paused while the CLI imports its libraries, on again for the command, nothing frozen.
    assert _gc_state(hrdwatch, "sources") == "gc [False] True False"
    # A crawl turns it on once it has frozen its start-up heap (before its parts would fork).
    assert _gc_state(hrdwatch, "crawl") == "gc [False] True True"
