"""bhc db: the database schema."""

from __future__ import annotations

import click

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
