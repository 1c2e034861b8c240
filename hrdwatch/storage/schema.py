"""Schema versions with Alembic: create, upgrade, and refuse to run on an outdated schema."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

# The newest migration in hrdwatch/storage/migrations/versions. Checking a database against
# it needs no Alembic import (slow) on every start; a test keeps it equal to Alembic's head.
HEAD = "0004"


class SchemaOutdated(Exception):
    """The database was made by an older hrdwatch; `hrdwatch db upgrade` brings it up to date."""


def _config(engine: Engine) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", "hrdwatch.storage:migrations")
    config.attributes["engine"] = engine
    return config


def head_revision(engine: Engine) -> str:
    return HEAD


def alembic_head(engine: Engine) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    if not inspect(engine).has_table("alembic_version"):
        return None
    with engine.connect() as connection:
        return connection.execute(text("select version_num from alembic_version")).scalar_one_or_none()


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

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
