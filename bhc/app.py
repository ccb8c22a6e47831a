"""The Flask app factory: the webhooks, the coordinators' pages (and, in the demo, the simulated
phone) over one exchange."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import re
import time
import uuid
from urllib.parse import urlencode

from flask import Flask, Response, abort, current_app, g, redirect, request
from werkzeug.middleware.proxy_fix import ProxyFix

from bhc import logs, metrics
from bhc.bootstrap import Exchange
from bhc.engines.health import HealthCheck

# No inline script or style anywhere (the pages' CSS and JavaScript are static files), so the
# policy needs no 'unsafe-inline' and no hash; no site may frame the pages.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self'; object-src 'none'; base-uri 'none'; "
                           "form-action 'self'; frame-ancestors 'none'")
log = logging.getLogger(__name__)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


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

    _operations(app, exchange)
    return app


def security_headers(app: Flask, https: bool) -> None:
    """Every response says how browsers may treat it: a small ``after_request`` rather than an
    extension (Flask-Talisman), as the policy is one fixed set of headers and TLS is the
    reverse proxy's job; an extension would add HTTPS redirects and nonces we do not want."""

    @app.after_request
    def _harden(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if https:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def _operations(app: Flask, exchange: Exchange) -> None:
    """What an operator needs: health, metrics, hardened pages, and logs that say which request
    and which call they are about."""
    server = exchange.config.server
    security_headers(app, server.public_url.startswith("https://"))
    check_health = HealthCheck(exchange.db, server.engine_stale_after_s)

    @app.before_request
    def _log_context():
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex[:16]
        g.started = time.perf_counter()
        logs.begin_request(g.request_id, request.form.get("CallSid")
                           if request.path.startswith("/ivr/") and request.method == "POST"
                           else None)

    @app.after_request
    def _account(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if request.blueprint == "ivr" and request.url_rule is not None:
            took_s = time.perf_counter() - g.started
            metrics.WEBHOOK_SECONDS.labels(request.url_rule.rule).observe(took_s)
            log.info("webhook %s answered %s in %.0f ms", request.path, response.status_code,
                     took_s * 1000)
        return response

    @app.teardown_request
    def _end_log_context(_error):
        logs.end_request()

    @app.get("/healthz")
    def healthz():
        """For load balancers and uptime monitors: no sign-in, no personal data, never slow."""
        health = check_health()
        return health.as_dict(), 200 if health.ok else 503

    @app.get("/metrics")
    def metrics_page():
        """Prometheus' scrape: with a bearer token when one is set, else from this host only."""
        if server.metrics_token:
            given = request.headers.get("Authorization", "").encode()
            if not hmac.compare_digest(given, f"Bearer {server.metrics_token}".encode()):
                return Response("a bearer token is required\n", 401,
                                {"WWW-Authenticate": "Bearer"}, mimetype="text/plain")
        elif not _is_loopback(request.remote_addr):
            abort(403)
        return Response(metrics.exposition(exchange.db), mimetype=metrics.CONTENT_TYPE)


def _is_loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


def wsgi_stack(exchange: Exchange):
    """The app, with the simulated carrier's REST API and phone page under /sim if hosted here."""
    app = create_app(exchange)
    if exchange.network is None:
        return app
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    simulator = exchange.network.wsgi_app
    security_headers(simulator, False)  # its phone page is the demo's
    return DispatcherMiddleware(app, {"/sim": simulator})
