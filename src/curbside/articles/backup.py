"""Backups of a data directory while the server runs, and their restore into an empty one.

A backup is a folder:

- ``manifest.json``: what it holds and when it was made, the Curbside version, the database's kind, Alembic
  schema revision and row count per table, the index's corpus snapshot and format, and the size and SHA-256
  of every other file (so a damaged or incomplete backup is refused, never half-restored);
- ``database.sqlite`` (SQLite's online backup API: one consistent copy while the server writes) or
  ``database.pgdump`` (``pg_dump -Fc`` in a snapshot exported by the transaction that counted the rows);
- ``data/``: the data directory's other state: the index (copied against its own manifest, so a rebuild
  swapped in mid-copy is noticed and the copy retried), the embedding cache and other SQLite files (online
  backup), the secret key and the rest. Half-built indexes and SQLite's ``-wal``/``-shm`` files are left out.

The backup is written beside DEST and renamed into place only when complete; it holds password hashes,
the private text askers gave and the secret key, so it is readable by its owner only.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, inspect, select, table
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from curbside.articles.db import create_database_engine, migration_scripts, schema_revision, upgrade_database
from curbside.corpus.fetch import sha256_of as _sha256
from curbside.errors import BackupError
from curbside.retrieval.index import INDEX_FORMAT_VERSION, Manifest, index_dir
from curbside.retrieval.lexical import LEXICAL_SCHEMA_VERSION
from curbside.retrieval.snapshots import index_stamp
from curbside.settings import Settings

BACKUP_FORMAT = "curbside-backup"
BACKUP_FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
DATA_FOLDER = "data"
SQLITE_FILE = "database.sqlite"
PGDUMP_FILE = "database.pgdump"
SQLITE_MAGIC = b"SQLite format 3\x00"
# SQLite's companions of a live database: the online backup already folded them into the copy.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
INDEX_COPY_ATTEMPTS = 3  # an index swapped in during the copy is copied again, at most this often


@dataclass
class BackupManifest:
    """What a backup holds (``manifest.json``)."""

    created_at: str
    curbside_version: str
    source_data_dir: str
    database: dict[str, Any] | None  # kind, file, schema_revision, rows per table
    index: dict[str, Any] | None  # corpus_snapshot, format_version, lexical_schema_version
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # path in the backup -> size, sha256
    format: str = BACKUP_FORMAT
    format_version: int = BACKUP_FORMAT_VERSION

    def write(self, folder: Path) -> None:
        (folder / MANIFEST_NAME).write_text(json.dumps(asdict(self), indent=2, sort_keys=True), encoding="utf-8")

    @classmethod
    def read(cls, folder: Path) -> BackupManifest:
        path = folder / MANIFEST_NAME
        if not folder.is_dir() or not path.is_file():
            raise BackupError(f"{folder} is not a Curbside backup (no {MANIFEST_NAME}).")
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            if raw.get("format") != BACKUP_FORMAT:
                raise ValueError(f"format is {raw.get('format')!r}")
            if raw.get("format_version") != BACKUP_FORMAT_VERSION:
                raise BackupError(
                    f"The backup in {folder} has format version {raw.get('format_version')!r}; this Curbside reads "
                    f"version {BACKUP_FORMAT_VERSION}. Restore it with the Curbside that made it "
                    f"({raw.get('curbside_version', 'unknown')})."
                )
            return cls(**raw)
        except BackupError:
            raise
        except (ValueError, TypeError, AttributeError) as exc:
            raise BackupError(f"The backup manifest {path} is unreadable ({exc}); the backup is damaged.") from exc


@dataclass(frozen=True)
class RestoreResult:
    data_dir: Path
    database_url: str  # password hidden
    manifest: BackupManifest
    index_restored: bool
    notes: list[str]


# --- files ----------------------------------------------------------------------------------------------


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC


def _is_sqlite_companion(path: Path) -> bool:
    return path.name.endswith(SQLITE_COMPANIONS)


def _sqlite_online_copy(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (online backup API), self-contained (no WAL), checked."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # Opened read-write like the server opens it, so a WAL database can be read whatever its -shm state;
    # the backup only reads. One step (pages=-1): one read transaction, one moment in time.
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
        problem = dst.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        dst.close()
        src.close()
    if problem != "ok":
        raise BackupError(f"The database {source} fails SQLite's integrity check ({problem}); it was not backed up.")


def _data_files(data_dir: Path, skip: set[Path]) -> Iterator[Path]:
    """The plain files of the data directory, less ``skip`` (folders or files), the index and its half-built or
    retired siblings (``index.building``, ``index.retired``: looked at as the walk goes, a build may make one)
    and SQLite's live companions."""
    index_name = index_dir(data_dir).name

    def skipped(path: Path) -> bool:
        top = path.relative_to(data_dir).parts[0]
        return (path in skip or path.is_symlink() or top == index_name or top.startswith(f"{index_name}.")
                or _is_sqlite_companion(path))

    for root, dirs, files in os.walk(data_dir):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if not skipped(here / d))
        yield from (here / name for name in sorted(files) if not skipped(here / name))


def _copy_index(live: Path, target: Path) -> dict[str, Any]:
    """Copy the index against its manifest; retried when a rebuild swaps a new index in during the copy (the
    swap exchanges whole folders, so a copy whose manifest is still the live one at the end is one snapshot)."""
    for _attempt in range(INDEX_COPY_ATTEMPTS):
        folder = live.resolve()
        try:
            stamp = index_stamp(folder)
            manifest_bytes = (folder / "manifest.json").read_bytes()
            manifest = Manifest(**json.loads(manifest_bytes))
            if target.exists():
                shutil.rmtree(target)
            target.mkdir(parents=True)
            for name, size in manifest.files.items():
                copied = target / name
                copied.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(folder / name, copied)
                if copied.stat().st_size != size:
                    raise FileNotFoundError(name)  # changed while copied: try again
            (target / "manifest.json").write_bytes(manifest_bytes)
            unchanged = index_stamp(folder) == stamp and (folder / "manifest.json").read_bytes() == manifest_bytes
            if live.resolve() == folder and unchanged:
                return {"corpus_snapshot": manifest.corpus_snapshot, "format_version": manifest.format_version,
                        "lexical_schema_version": manifest.lexical_schema_version, "kind": manifest.kind}
        except (FileNotFoundError, NotADirectoryError):
            continue  # the live index was swapped (renamed away) under us
        except (ValueError, TypeError) as exc:
            raise BackupError(f"The index manifest in {folder} is unreadable ({exc}); rebuild the index first.") from exc
    raise BackupError(f"The index in {live} kept changing while it was copied; try again when no build is running.")


# --- databases ------------------------------------------------------------------------------------------


def _sqlite_path(url: URL) -> Path | None:
    return Path(url.database) if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") else None


def _row_counts(engine: Engine, connection: Any = None) -> dict[str, int]:
    """Rows per table, read on ``connection`` (its snapshot) or a new one."""

    def count(conn: Any) -> dict[str, int]:
        names = sorted(inspect(conn).get_table_names())
        return {name: conn.execute(select(func.count()).select_from(table(name))).scalar_one() for name in names}

    if connection is not None:
        return count(connection)
    with engine.connect() as conn:
        return count(conn)


def _pg_tool(name: str, engine: Engine) -> str:
    """``pg_dump`` or ``pg_restore`` no older than the server (Debian keeps one per version)."""
    with engine.connect() as conn:
        major = int(conn.exec_driver_sql("SHOW server_version_num").scalar_one()) // 10000
    candidates: list[tuple[int, Path]] = []
    for path in Path("/usr/lib/postgresql").glob(f"*/bin/{name}"):
        try:
            candidates.append((int(path.parents[1].name.split(".")[0]), path))
        except ValueError:
            continue
    fitting = sorted(c for c in candidates if c[0] >= major)
    if fitting:
        return str(fitting[0][1])
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(
        f"{name} was not found; install the PostgreSQL {major} client tools "
        f"(`apt-get install postgresql-client-{major}`) to back up or restore this database."
    )


def _pg_command(tool: str, url: URL, *args: str) -> tuple[list[str], dict[str, str]]:
    """The command line (a libpq conninfo, never the password) and its environment (PGPASSWORD)."""
    from psycopg.conninfo import make_conninfo

    params = {k: v for k, v in {"host": url.host, "port": url.port, "user": url.username,
                                 "dbname": url.database}.items() if v is not None}
    params.update({k: str(v) for k, v in url.query.items()})
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return [tool, *args, "--dbname", make_conninfo(**params)], env


def _run_pg(command: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        detail = "; ".join(lines[:3]) or f"exit {result.returncode}"
        raise BackupError(f"{what} failed: {detail}")


def _backup_database(url: URL, work: Path) -> tuple[dict[str, Any] | None, list[str]]:
    """The database into ``work``: its manifest entry and the files written."""
    path = _sqlite_path(url)
    if url.get_backend_name() == "sqlite":
        if path is None or not path.is_file():
            return None, []  # no web database yet: nothing but the data directory to keep
        _sqlite_online_copy(path, work / SQLITE_FILE)
        engine = create_database_engine(f"sqlite:///{work / SQLITE_FILE}")
        try:
            entry = {"kind": "sqlite", "file": SQLITE_FILE, "schema_revision": schema_revision(engine),
                     "rows": _row_counts(engine)}
        finally:
            engine.dispose()
        return entry, [SQLITE_FILE]
    if url.get_backend_name() != "postgresql":
        raise BackupError(f"Backups support SQLite and PostgreSQL databases, not {url.get_backend_name()}.")
    engine = create_database_engine(url.render_as_string(hide_password=False))
    try:
        pg_dump = _pg_tool("pg_dump", engine)
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                # pg_dump reads the snapshot this transaction exports, so the dump and the counts are one moment.
                snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
                rows = _row_counts(engine, conn)
                revision = (conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
                            if "alembic_version" in rows else None)
                command, env = _pg_command(pg_dump, url, "--format=custom", "--no-owner", "--no-privileges",
                                           f"--snapshot={snapshot}", f"--file={work / PGDUMP_FILE}")
                _run_pg(command, env, "pg_dump")
    finally:
        engine.dispose()
    return {"kind": "postgresql", "file": PGDUMP_FILE, "schema_revision": revision, "rows": rows}, [PGDUMP_FILE]


# --- backup ---------------------------------------------------------------------------------------------


def _check_empty_target(path: Path, what: str) -> None:
    if path.is_symlink() or (path.exists() and (not path.is_dir() or any(path.iterdir()))):
        raise BackupError(f"{what} {path} is not empty; give a new or empty folder.")


@contextmanager
def _one_line_errors(what: str) -> Iterator[None]:
    """A file or database that fails as one line saying what could not be done (exit 2), not a traceback."""
    try:
        yield
    except OSError as exc:
        detail = f"{exc.strerror}: {exc.filename}" if exc.strerror and exc.filename else str(exc)
        raise BackupError(f"{what}: {detail}.") from exc
    except SQLAlchemyError as exc:
        # The driver's own message (e.g. connection refused), not the statement and its parameters.
        detail = str(getattr(exc, "orig", None) or type(exc).__name__).strip().splitlines()[0]
        raise BackupError(f"{what}: {detail}.") from exc


def backup_data_dir(settings: Settings, dest: Path) -> BackupManifest:
    """A consistent backup of the data directory and the web database into ``dest`` (new or empty), while the
    server may be running. Returns the backup's manifest."""
    with _one_line_errors("The backup failed"):
        return _backup_data_dir(settings, dest)


def _backup_data_dir(settings: Settings, dest: Path) -> BackupManifest:
    data_dir = Path(settings.data_dir).resolve()
    dest = Path(dest).absolute()
    if not data_dir.is_dir():
        raise BackupError(f"No data directory at {data_dir}; nothing to back up.")
    if dest.resolve() == data_dir or dest.resolve().is_relative_to(data_dir):
        raise BackupError(f"The backup {dest} must not be inside the data directory {data_dir}.")
    _check_empty_target(dest, "The backup folder")
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = dest.parent / f".{dest.name}.partial-{secrets.token_hex(4)}"
    work.mkdir(mode=0o700)
    try:
        url = make_url(settings.database_url())
        database, written = _backup_database(url, work)
        database_file = _sqlite_path(url)
        live_index = index_dir(data_dir)
        skip = {live_index.resolve()}  # where the index lives, should it be a link
        if database_file is not None:
            skip.add(database_file.resolve())
        index = None
        if (live_index / "manifest.json").is_file():
            index = _copy_index(live_index, work / DATA_FOLDER / live_index.name)
            written += [str(p.relative_to(work)) for p in sorted((work / DATA_FOLDER / live_index.name).rglob("*"))
                        if p.is_file()]
        for path in _data_files(data_dir, skip):
            relative = Path(DATA_FOLDER) / path.relative_to(data_dir)
            target = work / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if _is_sqlite(path):
                _sqlite_online_copy(path, target)
            else:
                shutil.copyfile(path, target)
            shutil.copymode(path, target)
            written.append(str(relative))
        manifest = BackupManifest(
            created_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
            curbside_version=metadata.version("curbside"),
            source_data_dir=str(data_dir),
            database=database,
            index=index,
            files={name: {"size": (work / name).stat().st_size, "sha256": _sha256(work / name)}
                   for name in sorted(written)},
        )
        manifest.write(work)
        work.rename(dest)  # complete: only now does DEST exist (an empty DEST folder is replaced)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return manifest


# --- restore --------------------------------------------------------------------------------------------


def verify_backup(src: Path) -> BackupManifest:
    """The backup's manifest, once every file it lists is present with its size and checksum."""
    manifest = BackupManifest.read(src)
    for name, expected in manifest.files.items():
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise BackupError(f"The backup manifest in {src} names a file outside the backup ({name}); refused.")
        path = src / name
        if not path.is_file():
            raise BackupError(f"The backup in {src} is incomplete: {name} is missing.")
        if path.stat().st_size != expected["size"] or _sha256(path) != expected["sha256"]:
            raise BackupError(f"The backup in {src} is damaged: {name} does not match its checksum.")
    if manifest.database is not None and manifest.database.get("file") not in manifest.files:
        raise BackupError(f"The backup in {src} is incomplete: its database file is not listed.")
    return manifest


def _check_schema(manifest: BackupManifest, src: Path) -> None:
    """Refuse a database whose schema revision this Curbside's migrations do not know (a newer Curbside's)."""
    if manifest.database is None:
        return
    revision = manifest.database.get("schema_revision")
    scripts = migration_scripts()
    known = {script.revision for script in scripts.walk_revisions()}
    if revision is not None and revision not in known:
        raise BackupError(
            f"The backup in {src} holds a database at schema revision {revision!r}, which this Curbside does not know "
            f"(its newest is {scripts.get_current_head()!r}); restore it with Curbside "
            f"{manifest.curbside_version} or newer."
        )


def _restore_sqlite(backup_file: Path, target: Path, manifest: BackupManifest) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.restoring")
    shutil.copyfile(backup_file, partial)
    os.chmod(partial, 0o600)
    engine = create_database_engine(f"sqlite:///{partial}")
    try:
        found = schema_revision(engine)
        rows = _row_counts(engine)
    finally:
        engine.dispose()
    if found != manifest.database["schema_revision"] or rows != manifest.database["rows"]:  # type: ignore[index]
        partial.unlink()
        raise BackupError("The backup's database does not match its manifest (schema revision or row counts).")
    partial.rename(target)


def _check_empty_database(url: URL) -> None:
    engine = create_database_engine(url.render_as_string(hide_password=False))
    try:
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise BackupError(
            f"The database {url.render_as_string(hide_password=True)} is not empty ({len(tables)} tables); "
            "restore into a new, empty database."
        )


def _restore_postgresql(backup_file: Path, url: URL, manifest: BackupManifest) -> None:
    engine = create_database_engine(url.render_as_string(hide_password=False))
    try:
        pg_restore = _pg_tool("pg_restore", engine)
        command, env = _pg_command(pg_restore, url, "--no-owner", "--no-privileges", "--single-transaction",
                                   "--exit-on-error", str(backup_file))
        _run_pg(command, env, "pg_restore")
        rows = _row_counts(engine)
        if rows != manifest.database["rows"]:  # type: ignore[index]
            raise BackupError("The restored database's row counts do not match the backup's manifest.")
    finally:
        engine.dispose()


def restore_data_dir(settings: Settings, src: Path) -> RestoreResult:
    """Restore the backup in ``src`` into the (new or empty) data directory and database of ``settings``.

    Everything is checked before anything is written: the checksums, the schema revision (a newer Curbside's
    database is refused; an older one is migrated after the restore), an empty target. A failure part-way
    leaves the data directory empty again.
    """
    with _one_line_errors("The restore failed"):
        return _restore_data_dir(settings, src)


def _restore_data_dir(settings: Settings, src: Path) -> RestoreResult:
    src = Path(src).absolute()
    manifest = verify_backup(src)
    _check_schema(manifest, src)
    data_dir = Path(settings.data_dir).absolute()
    _check_empty_target(data_dir, "The data directory")
    url = make_url(settings.database_url())
    database_file = _sqlite_path(url)
    kind = manifest.database["kind"] if manifest.database else None
    if kind is not None:
        target_kind = "sqlite" if url.get_backend_name() == "sqlite" else url.get_backend_name()
        if kind != target_kind:
            raise BackupError(
                f"The backup holds a {kind} database but web.database_url is {target_kind}; "
                f"restore it with a {kind} database URL."
            )
        if database_file is not None and database_file.exists():
            raise BackupError(f"The database file {database_file} already exists; restore into an empty place.")
        if kind == "postgresql":
            _check_empty_database(url)
    notes: list[str] = []
    index_name = index_dir(data_dir).name
    index = manifest.index
    restore_index = index is not None and (index["format_version"], index["lexical_schema_version"]) == (
        INDEX_FORMAT_VERSION, LEXICAL_SCHEMA_VERSION)
    if index is not None and not restore_index:
        notes.append("The backup's index was built by another version of Curbside and was not restored; rebuild "
                     f"it with `curbside --data-dir {data_dir} ingest {index.get('kind', 'starter')}`.")
    created = not data_dir.exists()
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        for name in manifest.files:
            relative = Path(name)
            if relative.parts[0] != DATA_FOLDER:
                continue
            inside = Path(*relative.parts[1:])
            if inside.parts[0] == index_name and not restore_index:
                continue
            target = data_dir / inside
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / name, target)
            shutil.copymode(src / name, target)
        if kind == "sqlite":
            assert database_file is not None
            _restore_sqlite(src / manifest.database["file"], database_file, manifest)  # type: ignore[index]
        elif kind == "postgresql":
            _restore_postgresql(src / manifest.database["file"], url, manifest)  # type: ignore[index]
        if kind is not None:
            engine = create_database_engine(url.render_as_string(hide_password=False))
            try:
                upgrade_database(engine)  # an older backup's schema is brought up to this Curbside's
            finally:
                engine.dispose()
    except BaseException:
        # The target was empty: make it so again (the database of a failed pg_restore is rolled back by it).
        if created:
            shutil.rmtree(data_dir, ignore_errors=True)
        else:
            for child in data_dir.iterdir():
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        if database_file is not None and not database_file.is_relative_to(data_dir):
            database_file.unlink(missing_ok=True)
        raise
    return RestoreResult(data_dir, url.render_as_string(hide_password=True), manifest, restore_index, notes)
