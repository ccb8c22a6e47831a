"""The ``bhc`` command line. Bad input ends with a one-line reason and a non-zero exit code."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from bhc import config as config_module
from bhc import (
    logs,
    models,  # noqa: F401 (every feature's models mapped before the first query)
)
from bhc.config import Config, ConfigError
from bhc.db import Database


class Context:
    def __init__(self, config_path: str | None, verbose: bool = False) -> None:
        self.config_path = config_path
        self.verbose = verbose
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            try:
                self._config = config_module.load(self.config_path)
            except ConfigError as exc:
                raise click.ClickException(f"configuration: {exc}") from None
            logs.configure(self._config.server.log_format, self.verbose)
        return self._config

    def database(self) -> Database:
        return Database(self.config.database.url, role="cli")


def read_text(file: Path) -> str:
    """A CSV file named on the command line, as UTF-8 text; unreadable, a one-line reason."""
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file} is not UTF-8 text") from None
    except OSError as exc:
        raise click.ClickException(f"cannot read {file}: {exc.strerror}") from None


def report_import(errors: Sequence[tuple[int, object]], summary: str, line_prefix: str) -> None:
    """What an import ends with: each bad row on stderr, the summary, exit code 1 if any."""
    for line, reason in errors:
        click.echo(f"{line_prefix}{line}: {reason}", err=True)
    click.echo(summary)
    if errors:
        raise SystemExit(1)


@click.group()
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="TOML config file (default: $BHC_CONFIG, else built-in defaults).")
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """bhc: the telephone neighbour-help exchange."""
    logs.configure(verbose=verbose)  # text until the config says otherwise
    ctx.obj = Context(config_path, verbose)
