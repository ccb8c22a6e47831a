"""The ``bhc`` command line. Bad input ends with a one-line reason and a non-zero exit code."""

from __future__ import annotations

import logging

import click

from bhc import config as config_module
from bhc import models  # noqa: F401 (every feature's models mapped before the first query)
from bhc.config import Config, ConfigError
from bhc.db import Database


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
