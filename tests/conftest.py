from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.pg import Postgres
from tests.site import Site


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site().start()
    yield s
    s.stop()


@dataclass
class Hrdwatch:
    """Runs the real `hrdwatch` CLI in a subprocess (Scrapy's reactor runs once per process)."""

    config_path: Path
    db_url: str
    env: dict[str, str] = field(default_factory=dict)

    def write_config(self, sources: list[dict[str, Any]], **extra: Any) -> None:
        data: dict[str, Any] = {
            "database": self.db_url,
            "crawl": {"delay": 0, "retries": 0, "timeout": "10s", "obey_robots": True},
            "sources": sources,
        }
        data.update(extra)
        self.config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    def run(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONWARNINGS": "ignore", **self.env}
        proc = subprocess.run(
            [sys.executable, "-m", "hrdwatch", "--config", str(self.config_path), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"hrdwatch {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return proc

    def popen(self, *args: str) -> subprocess.Popen[str]:
        env = {**os.environ, "PYTHONWARNINGS": "ignore", **self.env}
        return subprocess.Popen(
            [sys.executable, "-m", "hrdwatch", "--config", str(self.config_path), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )

    def sources(self) -> dict[str, dict[str, Any]]:
        out = self.run("sources", "--json").stdout
        return {record["id"]: record for record in map(json.loads, out.splitlines())}

    def alerts(self, *args: str) -> list[dict[str, Any]]:
        out = self.run("alerts", "--json", *args).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    try:
        server = Postgres.start()
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or ""
        reason = f"PostgreSQL not available for the tests: {exc} {detail}".strip()
        if os.environ.get("HRDWATCH_REQUIRE_POSTGRES"):
            pytest.fail(reason)  # CI sets this: the PostgreSQL tests must run there
        pytest.skip(reason)
    yield server
    server.stop()


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """The database under test; modules run on both with
    `pytestmark = pytest.mark.parametrize("backend", BACKENDS, indirect=True)`."""
    return str(request.param)


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture
def db_url(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> str:
    if backend == "postgresql":
        server: Postgres = request.getfixturevalue("postgres")
        return server.new_database()
    return f"sqlite:///{tmp_path / 'hrdwatch.db'}"


@pytest.fixture
def hrdwatch(tmp_path: Path, db_url: str) -> Hrdwatch:
    return Hrdwatch(tmp_path / "hrdwatch.yaml", db_url)


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a query on the database under test (either backend)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()
