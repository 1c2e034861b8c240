"""A throwaway PostgreSQL server for the tests: initdb into a temp dir, pg_ctl on a free port.

Used when PostgreSQL's server binaries are found (PATH or /usr/lib/postgresql/*/bin); when
HRDWATCH_TEST_POSTGRES holds a URL of an existing server (a superuser), that one is used.
As root, the server runs as the 'postgres' user (PostgreSQL refuses to run as root).
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.receivers import free_port

_counter = itertools.count(1)


def find_bin_dir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "pg_ctl").exists():
            return Path(candidate)
    return None


class Postgres:
    def __init__(
        self, admin_url: str, owned: Path | None = None, bin_dir: Path | None = None, as_user: list[str] | None = None
    ) -> None:
        self.admin_url = admin_url
        self._owned = owned
        self._bin_dir = bin_dir
        self._as_user = as_user or []

    @classmethod
    def start(cls) -> Postgres:
        external = os.environ.get("HRDWATCH_TEST_POSTGRES")
        if external:
            return cls(external)
        bin_dir = find_bin_dir()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found")
        root = Path(tempfile.mkdtemp(prefix="hrdwatch-pg-"))
        as_user: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
            as_user = ["runuser", "-u", "postgres", "--"]
        data, port = root / "data", free_port()
        run = lambda *args: subprocess.run([*as_user, *args], check=True, capture_output=True, text=True)  # noqa: E731
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        run(
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(root / "log"),
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200",
            "start",
        )
        return cls(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", root, bin_dir, as_user)

    def new_database(self) -> str:
        name = f"hrdwatch_test_{os.getpid()}_{next(_counter)}"
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def stop(self) -> None:
        if self._owned is not None and self._bin_dir is not None:
            subprocess.run(
                [
                    *self._as_user,
                    str(self._bin_dir / "pg_ctl"),
                    "-D",
                    str(self._owned / "data"),
                    "-m",
                    "immediate",
                    "stop",
                ],
                capture_output=True,
            )
            shutil.rmtree(self._owned, ignore_errors=True)
