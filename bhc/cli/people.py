"""Participants on the command line: CSV import, and the AVG's export and erasure."""

from __future__ import annotations

from pathlib import Path

import click

from bhc.cli.main import Context, main, read_text, report_import
from bhc.db import utcnow


@main.command("import-participants")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def import_participants(obj: Context, file: Path) -> None:
    """Import participants from CSV; bad rows are listed by line, good rows are imported."""
    from bhc.people.participants import import_csv

    text = read_text(file)
    with obj.database().session() as session:
        result = import_csv(session, text, utcnow())
    report_import(result.errors, f"{result.created} created, {result.updated} updated, "
                  f"{len(result.errors)} rows with errors", line_prefix=f"{file.name}:")


@main.command("export-participant")
@click.argument("phone")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the JSON here instead of to standard output.")
@click.pass_obj
def export_participant_command(obj: Context, phone: str, output: Path | None) -> None:
    """Write everything stored about one person (AVG right of access) as JSON."""
    import json

    from bhc.people.privacy import UnknownParticipant, export_participant
    from bhc.phones import InvalidPhoneNumber

    try:
        with obj.database().session() as session:
            data = export_participant(session, phone)
    except (UnknownParticipant, InvalidPhoneNumber) as exc:
        raise click.ClickException(str(exc)) from None
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(f"written to {output}")
    else:
        click.echo(text)


@main.command("erase-participant")
@click.argument("phone")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def erase_participant_command(obj: Context, phone: str, yes: bool) -> None:
    """Erase one person's personal data; anonymous counts for the reports stay."""
    from bhc.people.privacy import UnknownParticipant, erase_participant
    from bhc.phones import InvalidPhoneNumber, mask, to_e164

    try:
        number = to_e164(phone)
    except InvalidPhoneNumber as exc:
        raise click.ClickException(str(exc)) from None
    if not yes:
        click.confirm(f"Erase all personal data of {mask(number)}? This cannot be undone",
                      abort=True)
    try:
        with obj.database().session() as session:
            erase_participant(session, number, utcnow())
    except UnknownParticipant as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"erased the personal data of {mask(number)}")
