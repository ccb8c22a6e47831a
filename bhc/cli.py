"""The ``bhc`` command line. Bad input ends with a one-line reason and a non-zero exit code."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path

import click

from bhc import config as config_module
from bhc.config import Config, ConfigError
from bhc.db import Database, utcnow


def _setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # APScheduler reports every skipped overlapping tick; the engine's own lock makes those benign.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)  # one line per header
    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # a line per SVG style in a PDF


class Context:
    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            try:
                self._config = config_module.load(self.config_path)
            except ConfigError as exc:
                raise click.ClickException(f"configuration: {exc}") from None
        return self._config

    def database(self) -> Database:
        return Database(self.config.database.url)


@click.group()
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="TOML config file (default: $BHC_CONFIG, else built-in defaults).")
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """bhc: the telephone neighbour-help exchange."""
    _setup_logging(verbose)
    ctx.obj = Context(config_path)


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


@main.group()
def neighbourhood() -> None:
    """Neighbourhoods and their exchange numbers."""


@neighbourhood.command("add")
@click.argument("name")
@click.option("--phone", required=True, help="The exchange number residents call (E.164).")
@click.option("--postcodes", default="", help="Postcode areas, comma-separated, e.g. 2511,2512.")
@click.option("--households", type=int, help="Number of households, for the reach figure.")
@click.pass_obj
def neighbourhood_add(obj: Context, name: str, phone: str, postcodes: str,
                      households: int | None) -> None:
    """Add a neighbourhood with its exchange number and the default phone menu."""
    from bhc.neighbourhoods import NeighbourhoodError, add_neighbourhood
    from bhc.phones import InvalidPhoneNumber

    database = obj.database()
    try:
        with database.session() as session:
            created = add_neighbourhood(session, name, phone, postcodes.split(","), households)
            click.echo(f"added neighbourhood {created.name} on {created.numbers[0].number}")
    except (NeighbourhoodError, InvalidPhoneNumber) as exc:
        raise click.ClickException(str(exc)) from None


@neighbourhood.command("adjoin")
@click.argument("name")
@click.argument("others", nargs=-1, required=True)
@click.option("--remove", is_flag=True, help="Forget that they border each other.")
@click.pass_obj
def neighbourhood_adjoin(obj: Context, name: str, others: tuple[str, ...], remove: bool) -> None:
    """Record that NAME borders OTHERS (both ways): with [matching] widen_to_adjacent, a search
    that runs out of helpers in one goes on in the others."""
    from bhc.adjacency import AdjacencyError, adjacent_names, adjoin

    try:
        with obj.database().session() as session:
            adjoin(session, name, list(others), remove=remove)
            click.echo(f"{name} borders: {', '.join(adjacent_names(session, name)) or '-'}")
    except AdjacencyError as exc:
        raise click.ClickException(str(exc)) from None


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
    from bhc import audit
    from bhc.users import UserError, create_user

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


@main.command("import-participants")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def import_participants(obj: Context, file: Path) -> None:
    """Import participants from CSV; bad rows are listed by line, good rows are imported."""
    from bhc.participants import import_csv

    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file} is not UTF-8 text") from None
    with obj.database().session() as session:
        result = import_csv(session, text, utcnow())
    for line, reason in result.errors:
        click.echo(f"{file.name}:{line}: {reason}", err=True)
    click.echo(f"{result.created} created, {result.updated} updated, "
               f"{len(result.errors)} rows with errors")
    if result.errors:
        raise SystemExit(1)


@main.command("import-survey")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def import_survey_command(obj: Context, file: Path) -> None:
    """Import resident survey answers from CSV; bad rows are listed by line, good rows are
    imported, a respondent already in the wave is updated."""
    from bhc import audit
    from bhc.surveys import SurveyFileError, import_survey

    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file} is not UTF-8 text") from None
    except OSError as exc:
        raise click.ClickException(f"cannot read {file}: {exc.strerror}") from None
    try:
        with obj.database().session() as session:
            result = import_survey(session, text, obj.config.survey, utcnow())
            audit.record(session, user_id=None, action="import", object_type="survey",
                         object_id=None, summary=f"{file.name} on the command line: "
                         f"{result.imported} imported, {len(result.errors)} rows with errors",
                         now=utcnow())
    except SurveyFileError as exc:
        raise click.ClickException(f"{file.name}: {exc}") from None
    for line, problem in result.errors:
        click.echo(f"line {line}: {problem}", err=True)
    click.echo(f"{result.imported} respondents imported ({result.created} new, "
               f"{result.updated} updated), {len(result.errors)} rows with errors")
    if result.errors:
        raise SystemExit(1)


@main.command("export-participant")
@click.argument("phone")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the JSON here instead of to standard output.")
@click.pass_obj
def export_participant_command(obj: Context, phone: str, output: Path | None) -> None:
    """Write everything stored about one person (AVG right of access) as JSON."""
    import json

    from bhc.phones import InvalidPhoneNumber
    from bhc.privacy import UnknownParticipant, export_participant

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
    from bhc.phones import InvalidPhoneNumber, mask, to_e164
    from bhc.privacy import UnknownParticipant, erase_participant

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

    from bhc.models import Neighbourhood
    from bhc.report import BadMonth, monthly_report, parse_month, to_csv

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
        data = monthly_report(session, month, ids)
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


def _serve_until_stopped(exchange, host: str, port: int, threads: int) -> None:
    from waitress.server import create_server

    from bhc.app import wsgi_stack

    server = create_server(wsgi_stack(exchange), host=host, port=port, threads=threads)
    stop = threading.Event()

    def _shutdown(*_):
        stop.set()
        server.close()

    signal.signal(signal.SIGTERM, _shutdown)
    try:
        server.run()
    except (KeyboardInterrupt, OSError):
        pass
    finally:
        exchange.stop()


@main.command()
@click.pass_obj
def serve(obj: Context) -> None:
    """Run the webhooks and the engine in one process (the embedded default)."""
    from bhc.bootstrap import build

    config = obj.config
    exchange = build(config, host_simulator=config.carrier.kind == "simulated")
    exchange.db.upgrade()
    if exchange.network is not None:
        from bhc.demo import connect_numbers

        connect_numbers(exchange)
    exchange.start_engine()
    click.echo(f"bhc listening on {config.server.public_url}")
    _serve_until_stopped(exchange, config.server.host, config.server.port, config.server.threads)


@main.command()
@click.pass_obj
def worker(obj: Context) -> None:
    """Run the engine alone (the web app runs elsewhere, e.g. gunicorn bhc.wsgi:app)."""
    from bhc.bootstrap import build

    exchange = build(obj.config)
    exchange.start_engine()
    click.echo("bhc engine running; stop with Ctrl-C")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        exchange.stop()


@main.command()
@click.option("--host", default=None, help="Interface to listen on (default: server.host).")
@click.option("--port", type=int, default=None, help="Port (default: server.port).")
@click.pass_obj
def demo(obj: Context, host: str | None, port: int | None) -> None:
    """Run the exchange with a sample neighbourhood and the simulated phone network."""
    from bhc.demo import run_demo

    try:
        run_demo(obj.config, host=host, port=port, serve=_serve_until_stopped)
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from None


if __name__ == "__main__":
    main()
