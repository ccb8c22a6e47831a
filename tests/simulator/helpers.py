"""Test doubles and small TwiML builders shared by the simulator tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Union
from urllib.parse import urlsplit

from flask import Flask, Response, request
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.serving import WSGIRequestHandler, make_server

ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "simulator-test-token"
TIME_SCALE = 0.02
EXCHANGE = "+31701234567"
VOLUNTEER = "+31612345678"
CALLER = "+31611111111"


class QuietRequests(WSGIRequestHandler):
    """No access-log line per request: a test's own output (a CLI's, say) stays its own."""

    def log_request(self, *args, **kwargs) -> None:
        pass


class ServedApp:
    """A WSGI app served by werkzeug on a random local port in a background thread."""

    def __init__(self, app, name: str):
        self.server = make_server("127.0.0.1", 0, app, threaded=True,
                                  request_handler=QuietRequests)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=lambda: self.server.serve_forever(poll_interval=0.05),
            name=f"test-server-{name}",
            daemon=True,
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(2)


class SimulatorHttpClient(TwilioHttpClient):
    """Points the real twilio client at the simulator by rewriting scheme, host and path prefix."""

    def __init__(self, api_base: str):
        super().__init__()
        self.api_base = api_base.rstrip("/")

    def request(
        self,
        method,
        url,
        params=None,
        data=None,
        headers=None,
        auth=None,
        timeout=None,
        allow_redirects=False,
    ):
        parts = urlsplit(url)
        url = self.api_base + parts.path + ("?" + parts.query if parts.query else "")
        return super().request(method, url, params, data, headers, auth, timeout, allow_redirects)


@dataclass
class Hit:
    path: str
    form: dict
    valid: bool
    at: float = 0.0  # time.monotonic() when the request arrived


Handler = Union[str, Callable[[dict], str | tuple]]


class FakeExchangeApp:
    """Stands in for the exchange app: validates signatures (403 otherwise), records webhooks,
    answers scripted TwiML.
    """

    def __init__(self, auth_token: str):
        self.validator = RequestValidator(auth_token)
        self.handlers: dict[str, Handler] = {}
        self.hits_log: list[Hit] = []
        self.cond = threading.Condition()
        self.base = ""
        self.flask = Flask("fake_exchange_app")
        self.flask.add_url_rule("/<path:path>", "hook", self._hook, methods=["GET", "POST"])

    def _hook(self, path: str):
        params = request.form if request.method == "POST" else {}
        valid = self.validator.validate(
            request.url, params, request.headers.get("X-Twilio-Signature", "")
        )
        form = request.form.to_dict() if request.method == "POST" else request.args.to_dict()
        with self.cond:
            self.hits_log.append(Hit("/" + path, form, valid, time.monotonic()))
            self.cond.notify_all()
        if not valid:
            return Response("bad signature", status=403)
        handler = self.handlers.get("/" + path, "<Response/>")
        result = handler(form) if callable(handler) else handler
        body, status = result if isinstance(result, tuple) else (result, 200)
        return Response(str(body), status=status, mimetype="text/xml")

    def on(self, path: str, handler: Handler) -> None:
        self.handlers[path] = handler

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str) -> list[dict]:
        with self.cond:
            return [h.form for h in self.hits_log if h.path == path]

    def arrivals(self, path: str) -> list[tuple[float, dict]]:
        """(arrival time, form) of every request to `path`, in arrival order."""
        with self.cond:
            return [(h.at, h.form) for h in self.hits_log if h.path == path]

    def wait_hits(self, path: str, count: int = 1, timeout: float = 5.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while len([h for h in self.hits_log if h.path == path]) < count:
                if not self.cond.wait(deadline - time.monotonic()) and time.monotonic() >= deadline:
                    seen = [(h.path, h.form.get("CallStatus")) for h in self.hits_log]
                    raise TimeoutError(f"{count} hit(s) on {path} expected; got: {seen}")
        return self.hits(path)


def say(*texts: str) -> str:
    response = VoiceResponse()
    for text in texts:
        response.say(text, language="nl-NL")
    return str(response)


def pause_long(text: str = "Een moment") -> str:
    response = VoiceResponse()
    response.say(text, language="nl-NL")
    response.pause(length=500)
    return str(response)


def status_of(net, sid: str) -> str:
    return net.call(sid)["status"]


def done(sid: str) -> Callable:
    """wait_for predicate: the call ended and its final webhooks were sent."""
    return lambda net: net.call(sid)["done"]
