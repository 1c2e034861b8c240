"""Alembic environment: runs on the connection hrdwatch hands in (see hrdwatch.storage.schema)."""

from __future__ import annotations

from alembic import context

from hrdwatch.storage.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things in place
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
