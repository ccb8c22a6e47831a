"""bhc twilio: the carrier account's side of the exchange, such as wiring a number."""

from __future__ import annotations

import sys

import click

from bhc.cli.main import Context, main


@main.group("twilio")
def twilio_group() -> None:
    """The exchange's numbers at Twilio."""


@twilio_group.command("configure-number")
@click.argument("number")
@click.option("--check", "only_check", is_flag=True,
              help="Only report what is set and what differs (exit code 1 when something does).")
@click.pass_obj
def configure_number(obj: Context, number: str, only_check: bool) -> None:
    """Point NUMBER's voice URL, status callback and voice fallback URL at this exchange."""
    from bhc.phones import InvalidPhoneNumber, to_e164
    from ivr.twilio_carrier import twilio_client
    from ivr.twilio_numbers import NumberSettings, NumberSetupError, check, configure

    config = obj.config
    try:
        number = to_e164(number)
    except InvalidPhoneNumber as exc:
        raise click.ClickException(str(exc)) from None
    if config.carrier.kind != "twilio":
        raise click.ClickException("carrier.kind is 'simulated': set [carrier] kind = \"twilio\" "
                                   "and the [twilio] credentials first")
    if not config.server.public_url.startswith("https://"):
        raise click.ClickException(f"server.public_url {config.server.public_url!r} is not "
                                   "https: Twilio must reach the exchange over https")
    client = twilio_client(config.account_sid, config.auth_token, config.api_base_url,
                           config.twilio.region, config.twilio.edge)
    wanted = NumberSettings.for_exchange(config.server.public_url)
    try:
        settings = (check if only_check else configure)(client, number, wanted)
    except NumberSetupError as exc:
        raise click.ClickException(str(exc)) from None
    differing = [s for s in settings if s.differs]
    for setting in settings:
        if not setting.differs:
            click.echo(f"{setting.label}: {setting.wanted} (as it should be)")
        elif only_check:
            click.echo(f"{setting.label}: {setting.current or '(not set)'} differs, should be "
                       f"{setting.wanted}")
        else:
            click.echo(f"{setting.label}: {setting.wanted} (was {setting.current or 'not set'})")
    if only_check and differing:
        click.echo(f"{number}: {len(differing)} setting(s) differ; run without --check to set "
                   "them", err=True)
        sys.exit(1)
    click.echo(f"{number}: wired to this exchange")
