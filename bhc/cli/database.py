"""bhc db: the database schema; bhc backup and bhc restore."""

from __future__ import annotations

from pathlib import Path

import click

from bhc import backups
from bhc.cli.main import Context, main


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(obj: Context) -> None:
    """Create or migrate the database schema to the latest version."""
    database = obj.database()
    database.upgrade()
    click.echo("database is up to date")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def backup(obj: Context, file: Path) -> None:
    """A consistent copy of the SQLite database in FILE, while the exchange runs (nightly, say).
    For PostgreSQL it says how to use pg_dump instead."""
    try:
        backups.backup(obj.config.database.url, file)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backed up to {file}")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def restore(obj: Context, file: Path) -> None:
    """Put the backup FILE in place of the database; refused while anything uses it."""
    try:
        backups.restore(obj.config.database.url, file, obj.config.server.engine_stale_after_s)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored {file}; run `bhc db upgrade` if it came from an older version")
