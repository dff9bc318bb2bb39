"""The web database: one SQLAlchemy engine per URL, schema kept current by Alembic migrations.

SQLite (the default, in the data directory) and PostgreSQL are both supported; only the URL changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from curbside.errors import ConfigurationError

MIGRATIONS_PACKAGE = "curbside.articles.migrations"


def create_database_engine(url: str, *, busy_seconds: float = 30.0) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys on, a busy timeout and WAL so readers never block the builder.

    A write that finds SQLite locked by another writer is retried by SQLite's busy handler for ``busy_seconds``.
    Pooled connections are pinged before use, so a restarted PostgreSQL server is reconnected to by itself.
    Statement parameters (questions, notes) are never put into error messages, which may be logged.
    """
    kwargs: dict[str, Any] = {"future": True, "pool_pre_ping": True, "hide_parameters": True}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": busy_seconds, "check_same_thread": False}
    elif url.startswith("postgresql"):
        # A server that is down or unreachable fails the request within seconds instead of hanging it.
        kwargs["connect_args"] = {"connect_timeout": 5}
    try:
        engine = create_engine(url, **kwargs)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise ConfigurationError(f"Cannot use database URL {url!r}: {exc}. Check web.database_url.") from exc
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

    return engine


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files(MIGRATIONS_PACKAGE)))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


def upgrade_database(engine: Engine) -> None:
    """Bring the schema to the newest migration (creating it on an empty database). Idempotent."""
    from alembic import command

    config = _alembic_config(engine)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except OperationalError as exc:
        raise ConfigurationError(
            f"Cannot open the web database at {engine.url.render_as_string(hide_password=True)}: {exc.orig}. "
            "Check web.database_url (CURBSIDE_WEB__DATABASE_URL) and that the server is running."
        ) from exc


def migration_scripts() -> Any:
    """The Alembic migration scripts of this Curbside (an ``alembic.script.ScriptDirectory``): which schema
    revisions it knows, and its newest."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(resources.files(MIGRATIONS_PACKAGE)))


def schema_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at, or None before the first migration."""
    if "alembic_version" not in inspect(engine).get_table_names():
        return None
    with engine.connect() as connection:
        return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str, *, migrate: bool = True, busy_seconds: float = 30.0) -> None:
        self.url = url
        self.engine = create_database_engine(url, busy_seconds=busy_seconds)
        if migrate:
            upgrade_database(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back (nothing half-written) on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
