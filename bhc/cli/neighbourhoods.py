"""bhc neighbourhood: neighbourhoods, their numbers and their borders."""

from __future__ import annotations

import click

from bhc.cli.main import Context, main


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
    from bhc.neighbourhoods.services import NeighbourhoodError, add_neighbourhood
    from bhc.phones import InvalidPhoneNumber

    database = obj.database()
    try:
        with database.session() as session:
            created = add_neighbourhood(session, name, phone, postcodes.split(","), households)
            click.echo(f"added neighbourhood {created.name} on {created.exchange_number}")
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
    from bhc.neighbourhoods.adjacency import AdjacencyError, adjacent_names, adjoin

    try:
        with obj.database().session() as session:
            adjoin(session, name, list(others), remove=remove)
            click.echo(f"{name} borders: {', '.join(adjacent_names(session, name)) or '-'}")
    except AdjacencyError as exc:
        raise click.ClickException(str(exc)) from None


@neighbourhood.command("speech")
@click.argument("name")
@click.argument("setting", type=click.Choice(["on", "off"]))
@click.pass_obj
def neighbourhood_speech(obj: Context, name: str, setting: str) -> None:
    """Let callers of NAME say what they need instead of pressing a key (on), or not (off).
    What they say goes to the carrier's speech recogniser; a key always works too."""
    from bhc.neighbourhoods.settings import SettingsError, set_speech_input

    try:
        with obj.database().session() as session:
            set_speech_input(session, name, setting == "on")
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"speech input for {name}: {setting} (what callers say goes to the carrier's "
               "speech recogniser)")
