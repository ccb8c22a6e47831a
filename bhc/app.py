"""The Flask app factory: the webhooks, the coordinators' pages (and, in the demo, the simulated
phone) over one exchange."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, current_app, redirect
from werkzeug.middleware.proxy_fix import ProxyFix

from bhc.bootstrap import Exchange


def current_exchange() -> Exchange:
    """The exchange this app serves: what every webhook and page works with."""
    return current_app.extensions["bhc"]


def create_app(exchange: Exchange) -> Flask:
    app = Flask("bhc")
    app.extensions["bhc"] = exchange

    from ivr.webhooks import blueprint as ivr_blueprint

    app.register_blueprint(ivr_blueprint)

    import admin_ui

    admin_ui.init_app(app, exchange.config, exempt=(ivr_blueprint.name,))
    from admin_ui.signup import blueprint as signup_blueprint

    app.register_blueprint(signup_blueprint)  # the public sign-up page, /meedoen

    if exchange.network is not None:

        @app.get("/demo/phone")
        def demo_phone():
            """The simulated phone lives with the simulated carrier, under /sim; it starts as
            a registered resident of the sample neighbourhood."""
            from bhc.demo.setup import DEMO_CALLER

            return redirect("/sim/phone?" + urlencode({"from": DEMO_CALLER}))

    if exchange.config.server.trusted_proxies:
        # Behind a proxy every request would seem to come from it: take the client's address
        # (and scheme and host) from the headers of the proxies we were told to trust.
        hops = exchange.config.server.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app


def wsgi_stack(exchange: Exchange):
    """The app, with the simulated carrier's REST API and phone page under /sim if hosted here."""
    app = create_app(exchange)
    if exchange.network is None:
        return app
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    return DispatcherMiddleware(app, {"/sim": exchange.network.wsgi_app})
