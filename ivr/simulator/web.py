"""Builds the simulator's Flask app: Twilio REST API + control API + phone page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, redirect, url_for

from . import control, rest

if TYPE_CHECKING:
    from .network import SimulatedNetwork


def create_app(net: SimulatedNetwork) -> Flask:
    """Routes are relative: the app works standalone or mounted under a prefix (SCRIPT_NAME)."""
    app = Flask("ivr.simulator", static_folder=None)
    app.json.sort_keys = False
    app.register_blueprint(rest.create_blueprint(net))
    app.register_blueprint(control.create_blueprint(net))
    app.add_url_rule("/", "index", lambda: redirect(url_for("sim_control.phone_page")))
    return app
