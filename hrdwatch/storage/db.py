"""Opening the database: engine, SQLite pragmas, schema creation, sessions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from hrdwatch.storage.schema import ensure_current


class StorageError(Exception):
    """The database cannot be opened or used."""


def describe_error(exc: SQLAlchemyError) -> str:
    """The driver's own message, first line only: never the statement or its parameters
    (they can hold whole page bodies)."""
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return f"{type(orig or exc).__name__}: {text.splitlines()[0] if text else ''}"


T = TypeVar("T")
IN_BATCH = 500  # values in one SQL IN list: well under every driver's parameter limit


def batches(items: Sequence[T], size: int = IN_BATCH) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size`` (for IN lists)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def update_by_key(session: Session, model: type[Any], rows: Iterable[dict[str, Any]]) -> None:
    """UPDATE rows of ``model`` by primary key (each dict holds the key and the new values);
    the rows that set the same columns go in one executemany."""
    by_fields: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        by_fields.setdefault(tuple(sorted(row)), []).append(row)
    for same in by_fields.values():
        session.execute(update(model), same)


def add_unless_present(session: Session, row: object) -> bool:
    """Insert ``row`` in a savepoint. When another process inserted the same key a moment
    before (on PostgreSQL our insert waits for theirs, then fails on the key), theirs is kept
    and this transaction goes on. Returns whether ``row`` was added."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


# The one SQLite-only piece of SQL in hrdwatch: WAL (readers do not block the writer),
# a generous busy timeout (several processes share the file), enforced foreign keys, and
# real transactions: the sqlite3 module would otherwise commit DDL as it goes (a second
# process could see half a schema) and start transactions late; BEGIN IMMEDIATE takes the
# write lock up front, so concurrent writers wait (busy timeout) instead of failing.
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    read_only = connection.get_execution_options().get("hrdwatch_read_only", False)
    connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def open_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        shown = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)  # never show a password
        raise StorageError(f"database URL {shown!r} is not valid: {exc}") from None
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise StorageError(f"cannot use database {parsed.render_as_string(hide_password=True)}: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


class Database:
    """An engine and its sessions; the one handle the rest of the program is given.

    With ``check_schema`` (the default) an empty database gets the current schema and an
    older one is refused (:class:`SchemaOutdated`); `hrdwatch db` opens it without the check.
    """

    def __init__(self, url: str, check_schema: bool = True) -> None:
        self.engine = open_engine(url)
        if check_schema:
            try:
                ensure_current(self.engine)
            except (OperationalError, InterfaceError) as exc:
                raise StorageError(f"cannot open database {self.describe()}: {exc.orig}") from None
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def describe(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed as one transaction, or not at all."""
        session = self._sessions()
        try:
            with session.begin():
                yield session
        except SQLAlchemyError as exc:
            raise StorageError(f"database error: {describe_error(exc)}") from exc
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reading only: on SQLite it takes no write lock (WAL readers never
        wait for the writer), so work done between reading and writing holds no lock."""
        session = self._sessions()
        try:
            session.connection(execution_options={"hrdwatch_read_only": True})
            yield session  # closing ends the transaction; what was read stays readable (not expired)
        except SQLAlchemyError as exc:
            raise StorageError(f"database error: {describe_error(exc)}") from exc
        finally:
            session.close()

    def close(self) -> None:
        self.engine.dispose()
