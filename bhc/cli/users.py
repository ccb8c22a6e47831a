"""bhc user: people who sign in to the coordinators' web UI."""

from __future__ import annotations

import sys

import click

from bhc.cli.main import Context, main
from bhc.db import utcnow


@main.group()
def user() -> None:
    """People who sign in to the coordinators' web UI."""


@user.command("add")
@click.argument("email")
@click.option("--name", required=True, help="The user's full name.")
@click.option("--role", required=True, type=click.Choice(["admin", "coordinator"]),
              help="admin sees everything; a coordinator only their neighbourhoods.")
@click.option("--neighbourhood", "neighbourhoods", multiple=True,
              help="A neighbourhood the coordinator works for (repeat for more).")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input (for scripts).")
@click.pass_obj
def user_add(obj: Context, email: str, name: str, role: str, neighbourhoods: tuple[str, ...],
             password_stdin: bool) -> None:
    """Add a user of the web UI; asks for the password unless --password-stdin is given."""
    from bhc.audit import services as audit
    from bhc.users.services import UserError, create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with obj.database().session() as session:
            created = create_user(session, email=email, name=name, role=role, password=password,
                                  neighbourhood_names=list(neighbourhoods), now=utcnow())
            audit.record(session, user_id=None, action="create", object_type="user",
                         object_id=created.id, summary=f"{created.email} ({created.role}) "
                         "added on the command line", now=utcnow())
            click.echo(f"added {created.role} {created.email}")
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
