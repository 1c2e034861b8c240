"""Schema versions with Alembic: create, upgrade, and refuse to run on an outdated schema."""

from __future__ import annotations

import time

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import SQLAlchemyError


class SchemaOutdated(Exception):
    """The database was made by an older hrdwatch; `hrdwatch db upgrade` brings it up to date."""


def _config(engine: Engine) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", "hrdwatch.storage:migrations")
    config.attributes["engine"] = engine
    return config


def head_revision(engine: Engine) -> str:
    head = ScriptDirectory.from_config(_config(engine)).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = _config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def ensure_current(engine: Engine) -> None:
    """Create the schema in an empty database; refuse an older one."""
    current = current_revision(engine)
    if current is None and not inspect(engine).has_table("sources"):
        try:
            upgrade(engine)
        except SQLAlchemyError:
            # Another process (a second `hrdwatch run`, a crawl) created it at the same time:
            # its transaction won, ours was rolled back. Fine if the schema is now complete.
            time.sleep(0.5)
            if current_revision(engine) != head_revision(engine):
                raise
        return
    head = head_revision(engine)
    if current != head:
        raise SchemaOutdated(
            f"the database schema is at revision {current or 'none'}, this hrdwatch needs {head}: "
            "run 'hrdwatch db upgrade' (back up the database first)"
        )
