"""Twilio's REST API (2010-04-01): Calls (create, fetch, list, update) here, Queues and their
Members in rest_queues, IncomingPhoneNumbers in rest_numbers; HTTP Basic auth, Twilio-shaped
errors (401 with code 20003 for bad credentials, 404 with code 20404 for an unknown resource), and
the round-trip latency the network is configured with.
"""

from __future__ import annotations

import hmac
import re
import time
from email.utils import format_datetime
from typing import TYPE_CHECKING

from flask import Blueprint, jsonify, request

from .amd import AmdSettings
from .call import Call, CallSetup
from .errors import CallStateError, UnknownCallError
from .twiml import Fetch, Inline

if TYPE_CHECKING:
    from .network import SimulatedNetwork

API = "/2010-04-01/Accounts/<account_sid>"
EVENTS = ("initiated", "ringing", "answered", "completed")
_PHONE = re.compile(r"^(\+?[0-9]{3,15}|client:.+|sip:.+)$")


def twilio_error(http_status: int, code: int, message: str):
    """A Flask response shaped like Twilio's error body."""
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": http_status,
    }
    return jsonify(body), http_status


def call_resource(call: Call, account_sid: str) -> dict:
    """The JSON Twilio returns for a call resource."""
    with call.net.lock:
        uri = f"/2010-04-01/Accounts/{account_sid}/Calls/{call.sid}"
        return {
            "sid": call.sid,
            "account_sid": account_sid,
            "parent_call_sid": call.parent_sid,
            "to": call.to,
            "to_formatted": call.to,
            "from": call.from_,
            "from_formatted": call.from_,
            "phone_number_sid": None,
            "status": call.status,
            "direction": call.direction,
            "answered_by": call.answered_by,
            "api_version": "2010-04-01",
            "annotation": None,
            "caller_name": None,
            "forwarded_from": None,
            "group_sid": None,
            "trunk_sid": None,
            "queue_time": str(call.queue_time_ms),
            "price": None,
            "price_unit": "USD",
            "date_created": rfc2822(call.created),
            "date_updated": rfc2822(call.updated),
            "start_time": rfc2822(call.started_wall),
            "end_time": rfc2822(call.ended_wall),
            "duration": str(call.duration) if call.is_ended else None,
            "uri": uri + ".json",
            "subresource_uris": {
                name: f"{uri}/{name}.json"
                for name in (
                    "notifications",
                    "recordings",
                    "payments",
                    "events",
                    "siprec",
                    "streams",
                )
            },
        }


def rfc2822(value) -> str | None:
    return format_datetime(value) if value else None


def create_blueprint(net: SimulatedNetwork) -> Blueprint:
    """Routes for /2010-04-01/Accounts/<sid>/..., bound to one network."""
    from . import rest_numbers, rest_queues

    bp = Blueprint("twilio_rest", __name__)

    @bp.before_request
    def latency_there():
        # Half the round trip before the request is handled and half after, so the carrier acts
        # about L/2 after the client sent it. The docs name no figure (default 0); the sleep is
        # wall-clock time and per request thread, so simultaneous requests overlap.
        _sleep(net.rest_latency_s / 2)

    @bp.after_request
    def latency_back(response):
        _sleep(net.rest_latency_s / 2)
        return response

    @bp.before_request
    def authenticate():
        auth = request.authorization
        if not (
            auth
            and auth.type == "basic"
            and hmac.compare_digest(str(auth.username or ""), net.account_sid)
            and hmac.compare_digest(str(auth.password or ""), net.auth_token)
        ):
            return twilio_error(401, 20003, "Authenticate")
        if (request.view_args or {}).get("account_sid") != net.account_sid:
            return twilio_error(404, 20404, "The requested resource was not found")
        return None

    @bp.post(API + "/Calls.json")
    def create_call(account_sid: str):
        form = request.form
        error = _validate_create(form)
        if error:
            return error
        setup = _setup_from(form)
        try:
            call = net.place_call(form["To"], form["From"], setup)
        except CallStateError as exc:
            return twilio_error(503, 20503, str(exc))
        if setup.amd and setup.amd.asynchronous and not setup.amd.callback:
            # Warning 21262: "AMD results will still be available in the /Calls resource"
            net.notify(call, 21262, "No AMD status callback URL provided", "warning")
        return jsonify(call_resource(call, net.account_sid)), 201

    @bp.get(API + "/Calls.json")
    def list_calls(account_sid: str):
        wanted = {key: request.args.get(key) for key in ("Status", "To", "From")}
        resources = [call_resource(c, net.account_sid) for c in reversed(net.all_calls())
                     if c.region == net.region]
        resources = [
            r
            for r in resources
            if (not wanted["Status"] or r["status"] == wanted["Status"])
            and (not wanted["To"] or r["to"] == wanted["To"])
            and (not wanted["From"] or r["from"] == wanted["From"])
        ]
        uri = f"/2010-04-01/Accounts/{net.account_sid}/Calls.json"
        return jsonify(page("calls", resources, uri))

    @bp.get(API + "/Calls/<sid>.json")
    def fetch_call(account_sid: str, sid: str):
        call = _in_this_region(sid)
        if call is None:
            return not_found(sid)
        return jsonify(call_resource(call, net.account_sid))

    @bp.post(API + "/Calls/<sid>.json")
    def update_call(account_sid: str, sid: str):
        call = _in_this_region(sid)
        if call is None:
            return not_found(sid)
        form = request.form
        status = form.get("Status")
        if status and status not in ("canceled", "completed"):
            return twilio_error(400, 21218, f"Invalid Status: {status}")
        if status == "canceled":
            with net.lock:
                if call.status in ("queued", "ringing"):
                    call.hang_up("api")
        elif status == "completed":
            call.hang_up("api")
        elif form.get("Url") or form.get("Twiml"):
            target = (
                Inline(form["Twiml"], None)  # no base URL: relative action URLs fail (<Gather>)
                if form.get("Twiml")
                else Fetch(form["Url"], http_method(form.get("Method")))
            )
            try:
                call.redirect(target)
            except CallStateError as exc:
                return twilio_error(400, 21220, str(exc))
        return jsonify(call_resource(call, net.account_sid))

    def _in_this_region(sid: str) -> Call | None:
        """The call, if this Region's API can see it: "Each Twilio Region operates in isolation
        of all other Regions; any one Region can only access data within that same Region"
        ("Migrating your application to a new Region"). A call lives in the Region that
        processes it: the REST request's, or for an inbound call its number's inbound
        processing Region ("Inbound Processing Region"). Elsewhere the simulator answers as for
        any unknown resource, 404 with code 20404 (the docs name no code for this case)."""
        try:
            call = net.get(sid)
        except UnknownCallError:
            return None
        return call if call.region == net.region else None

    rest_queues.register(bp, net)
    rest_numbers.register(bp, net)
    return bp


def _sleep(seconds: float) -> None:
    if seconds > 0:
        time.sleep(seconds)


def not_found(sid: str, kind: str = "Calls"):
    return twilio_error(404, 20404, f"The requested resource /{kind}/{sid}.json was not found")


def page(key: str, resources: list, uri: str) -> dict:
    """One page holding every resource (the simulator never has more than fit on one)."""
    return {
        key: resources,
        "first_page_uri": uri,
        "next_page_uri": None,
        "previous_page_uri": None,
        "page": 0,
        "page_size": len(resources) or 50,
        "start": 0,
        "end": max(len(resources) - 1, 0),
        "uri": uri,
    }


def _validate_create(form):
    if not form.get("To"):
        return twilio_error(400, 21201, "No 'To' number is specified")
    if not form.get("From"):
        return twilio_error(400, 21213, "No 'From' number is specified")
    if not _PHONE.match(form["To"]):
        return twilio_error(400, 21211, f"Invalid 'To' Phone Number: {form['To']}")
    if not _PHONE.match(form["From"]):
        return twilio_error(400, 21212, f"Invalid 'From' Phone Number: {form['From']}")
    if not (form.get("Url") or form.get("Twiml") or form.get("ApplicationSid")):
        return twilio_error(400, 21205, "Url parameter is required.")
    if form.get("ApplicationSid") and not (form.get("Url") or form.get("Twiml")):
        return twilio_error(
            400, 21205, "ApplicationSid is not supported by the simulator; pass Url or Twiml."
        )
    try:
        timeout = int(form.get("Timeout") or 60)
    except ValueError:
        return twilio_error(400, 21206, "Timeout must be an integer")
    if not 1 <= timeout <= 600:
        return twilio_error(400, 21206, "Timeout must be between 1 and 600")
    return None


def _setup_from(form) -> CallSetup:
    events = [
        e for value in form.getlist("StatusCallbackEvent") for e in value.replace(",", " ").split()
    ]
    return CallSetup(
        url=form.get("Url") or None,
        method=http_method(form.get("Method")),
        twiml=form.get("Twiml") or None,
        status_callback=form.get("StatusCallback") or None,
        status_events=tuple(e for e in events if e in EVENTS) or ("completed",),
        status_method=http_method(form.get("StatusCallbackMethod")),
        timeout=float(form.get("Timeout") or 60),
        amd=AmdSettings.from_form(form),
        fallback_url=form.get("FallbackUrl") or None,
        fallback_method=http_method(form.get("FallbackMethod")),
    )


def http_method(value: str | None) -> str:
    return "GET" if (value or "").upper() == "GET" else "POST"
