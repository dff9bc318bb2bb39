"""``curbside backup DEST`` and ``curbside restore SRC``: thin shells over :mod:`curbside.articles.backup`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from curbside.cli.main import cli
from curbside.cli.web_commands import _settings

if TYPE_CHECKING:  # the backup module loads SQLAlchemy: imported by these two commands only, not by every CLI call
    from curbside.articles.backup import BackupManifest

# The tables whose row counts the summary names (every table's count is in the manifest).
SUMMARY_TABLES = {"articles": "articles", "article_versions": "versions", "review_comments": "comments",
                  "audit_log": "audit entries", "users": "users"}


def _summary(manifest: BackupManifest) -> str:
    parts = []
    if manifest.database:
        rows = manifest.database["rows"]
        counts = ", ".join(f"{rows[name]} {label}" for name, label in SUMMARY_TABLES.items() if name in rows)
        parts.append(f"{manifest.database['kind']} database at schema {manifest.database['schema_revision']} "
                     f"({counts})")
    if manifest.index:
        parts.append(f"index {manifest.index['corpus_snapshot']}")
    parts.append(f"{len(manifest.files)} files")
    return "; ".join(parts)


@cli.command()
@click.argument("dest", type=click.Path(path_type=Path))
@click.pass_context
def backup(ctx: click.Context, dest: Path) -> None:
    """Back up the data directory and the web database into DEST (a new or empty folder), while the server runs:
    the database (SQLite online backup, or pg_dump), the index and the other state, with a manifest of checksums."""
    from curbside.articles.backup import backup_data_dir

    manifest = backup_data_dir(_settings(ctx), dest)
    click.echo(f"Backed up {manifest.source_data_dir} to {dest}: {_summary(manifest)}.")


@cli.command()
@click.argument("src", type=click.Path(path_type=Path))
@click.pass_context
def restore(ctx: click.Context, src: Path) -> None:
    """Restore the backup in SRC into the data directory (new or empty) and the web database (empty). A damaged
    backup, or one from a newer database schema, is refused before anything is written."""
    from curbside.articles.backup import restore_data_dir

    result = restore_data_dir(_settings(ctx), src)
    click.echo(f"Restored the backup of {result.manifest.created_at} into {result.data_dir} "
               f"(database {result.database_url}): {_summary(result.manifest)}.")
    for note in result.notes:
        click.echo(f"Note: {note}", err=True)
