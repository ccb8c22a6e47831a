"""bhc import-survey: resident survey waves from CSV."""

from __future__ import annotations

from pathlib import Path

import click

from bhc.cli.main import Context, main, read_text, report_import
from bhc.db import utcnow


@main.command("import-survey")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def import_survey_command(obj: Context, file: Path) -> None:
    """Import resident survey answers from CSV; bad rows are listed by line, good rows are
    imported, a respondent already in the wave is updated."""
    from bhc.audit import services as audit
    from bhc.surveys.services import SurveyFileError, import_survey

    text = read_text(file)
    try:
        with obj.database().session() as session:
            result = import_survey(session, text, obj.config.survey, utcnow())
            audit.record(session, user_id=None, action="import", object_type="survey",
                         object_id=None, summary=f"{file.name} on the command line: "
                         f"{result.imported} imported, {len(result.errors)} rows with errors",
                         now=utcnow())
    except SurveyFileError as exc:
        raise click.ClickException(f"{file.name}: {exc}") from None
    report_import(result.errors, f"{result.imported} respondents imported ({result.created} new, "
                  f"{result.updated} updated), {len(result.errors)} rows with errors",
                  line_prefix="line ")
