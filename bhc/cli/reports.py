"""bhc report: the monthly report as JSON, CSV or PDF."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bhc.cli.main import Context, main


@main.command("report")
@click.option("--month", required=True, help="The month the requests were made in, YYYY-MM "
              "(Europe/Amsterdam).")
@click.option("--format", "output_format", type=click.Choice(["json", "csv", "pdf"]),
              default="json", show_default=True,
              help="json: exact figures; csv and pdf: for sharing, counts under 5 shown as <5.")
@click.option("--language", type=click.Choice(["nl", "en"]), default="nl", show_default=True,
              help="The language of the PDF.")
@click.option("--neighbourhood", "names", multiple=True,
              help="Only this neighbourhood (repeat for more; default: all).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report here instead of to standard output.")
@click.pass_obj
def report_command(obj: Context, month: str, output_format: str, language: str,
                   names: tuple[str, ...], output: Path | None) -> None:
    """The monthly report per neighbourhood and in total: exact JSON, or CSV or PDF for
    sharing."""
    import json

    from sqlalchemy import select

    from bhc.neighbourhoods.models import Neighbourhood
    from bhc.reports.monthly import BadMonth, monthly_report, parse_month, to_csv

    try:
        parse_month(month)
    except BadMonth as exc:
        raise click.ClickException(str(exc)) from None
    stdout = sys.stdout.buffer
    if output_format == "pdf" and not output and stdout.isatty():
        raise click.ClickException("a PDF does not belong on a terminal: give --output FILE "
                                   "or redirect the output")
    with obj.database().session() as session:
        ids = None
        if names:
            found = dict(session.execute(select(Neighbourhood.name, Neighbourhood.id)
                                         .where(Neighbourhood.name.in_(names))).all())
            unknown = [name for name in names if name not in found]
            if unknown:
                raise click.ClickException(f"neighbourhood {unknown[0]!r} does not exist")
            ids = [found[name] for name in names]
        data = monthly_report(session, month, ids, obj.config)
        if output_format == "pdf":  # the admin pages' template and texts, outside the web
            from admin_ui.report import category_labels, pdf_outside_the_web

            content = pdf_outside_the_web(data, category_labels(session, language), language)
    if output_format == "json":
        content = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()
    elif output_format == "csv":
        content = to_csv(data).encode()
    if output:
        output.write_bytes(content)
        click.echo(f"written to {output}")
    else:
        stdout.write(content)
        stdout.flush()
