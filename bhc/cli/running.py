"""Running the exchange: bhc serve (web and engine), bhc worker (engine), bhc demo."""

from __future__ import annotations

import signal
import threading

import click

from bhc import collector
from bhc.cli.main import Context, main
from bhc.config import ConfigError, languages_without_voice


def _serve_until_stopped(exchange, host: str, port: int, threads: int) -> None:
    from waitress.server import create_server

    from bhc.app import wsgi_stack

    server = create_server(wsgi_stack(exchange), host=host, port=port, threads=threads)
    stop = threading.Event()

    def _shutdown(*_):
        stop.set()
        server.close()

    signal.signal(signal.SIGTERM, _shutdown)
    collector.freeze_startup()
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
    for code in languages_without_voice(config):
        click.echo(f"warning: [ivr] voices names no voice for {code!r}: the carrier's default "
                   "voice speaks it, or fails to (e.g. voices = { nl = \"Polly.Laura-Neural\", "
                   "en = \"Polly.Amy-Neural\" })", err=True)
    exchange = build(config, host_simulator=config.carrier.kind == "simulated")
    exchange.db.upgrade()
    if exchange.network is not None:
        from bhc.demo.setup import connect_numbers

        connect_numbers(exchange)
    exchange.start_engine()
    click.echo(f"bhc listening on {config.server.public_url}")
    _serve_until_stopped(exchange, config.server.host, config.server.port, config.server.threads)


@main.command()
@click.pass_obj
def worker(obj: Context) -> None:
    """Run the engine alone (the web app runs elsewhere, e.g. gunicorn bhc.wsgi:app)."""
    from bhc.bootstrap import build

    exchange = build(obj.config, role="worker")
    exchange.start_engine()
    collector.freeze_startup()
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
    from bhc.demo.setup import run_demo

    try:
        run_demo(obj.config, host=host, port=port, serve=_serve_until_stopped)
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from None
