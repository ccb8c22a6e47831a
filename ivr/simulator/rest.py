"""Twilio's REST API for calls (2010-04-01): create, fetch, list, update; HTTP Basic auth."""

from __future__ import annotations

import hmac
import re
from email.utils import format_datetime
from typing import TYPE_CHECKING

from flask import Blueprint, jsonify, request

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
    with call.net.cond:
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
            "queue_time": "0",
            "price": None,
            "price_unit": "USD",
            "date_created": _rfc2822(call.created),
            "date_updated": _rfc2822(call.updated),
            "start_time": _rfc2822(call.started_wall),
            "end_time": _rfc2822(call.ended_wall),
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


def _rfc2822(value) -> str | None:
    return format_datetime(value) if value else None


def create_blueprint(net: SimulatedNetwork) -> Blueprint:
    """Routes for /2010-04-01/Accounts/<sid>/Calls..., bound to one network."""
    bp = Blueprint("twilio_rest", __name__)

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
        try:
            call = net.place_call(form["To"], form["From"], _setup_from(form))
        except CallStateError as exc:
            return twilio_error(503, 20503, str(exc))
        return jsonify(call_resource(call, net.account_sid)), 201

    @bp.get(API + "/Calls.json")
    def list_calls(account_sid: str):
        wanted = {key: request.args.get(key) for key in ("Status", "To", "From")}
        resources = [call_resource(c, net.account_sid) for c in reversed(net.all_calls())]
        resources = [
            r
            for r in resources
            if (not wanted["Status"] or r["status"] == wanted["Status"])
            and (not wanted["To"] or r["to"] == wanted["To"])
            and (not wanted["From"] or r["from"] == wanted["From"])
        ]
        uri = f"/2010-04-01/Accounts/{net.account_sid}/Calls.json"
        return jsonify(
            {
                "calls": resources,
                "first_page_uri": uri,
                "next_page_uri": None,
                "previous_page_uri": None,
                "page": 0,
                "page_size": len(resources) or 50,
                "start": 0,
                "end": max(len(resources) - 1, 0),
                "uri": uri,
            }
        )

    @bp.get(API + "/Calls/<sid>.json")
    def fetch_call(account_sid: str, sid: str):
        try:
            return jsonify(call_resource(net.get(sid), net.account_sid))
        except UnknownCallError:
            return _not_found(sid)

    @bp.post(API + "/Calls/<sid>.json")
    def update_call(account_sid: str, sid: str):
        try:
            call = net.get(sid)
        except UnknownCallError:
            return _not_found(sid)
        form = request.form
        status = form.get("Status")
        if status and status not in ("canceled", "completed"):
            return twilio_error(400, 21218, f"Invalid Status: {status}")
        if status == "canceled":
            with net.cond:
                if call.status in ("queued", "ringing"):
                    call.hang_up("api")
        elif status == "completed":
            call.hang_up("api")
        elif form.get("Url") or form.get("Twiml"):
            target = (
                Inline(form["Twiml"], call.last_url)
                if form.get("Twiml")
                else Fetch(form["Url"], _method(form.get("Method")))
            )
            try:
                call.redirect(target)
            except CallStateError as exc:
                return twilio_error(400, 21220, str(exc))
        return jsonify(call_resource(call, net.account_sid))

    return bp


def _not_found(sid: str):
    return twilio_error(404, 20404, f"The requested resource /Calls/{sid}.json was not found")


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
        method=_method(form.get("Method")),
        twiml=form.get("Twiml") or None,
        status_callback=form.get("StatusCallback") or None,
        status_events=tuple(e for e in events if e in EVENTS) or ("completed",),
        status_method=_method(form.get("StatusCallbackMethod")),
        timeout=float(form.get("Timeout") or 60),
        machine_detection=form.get("MachineDetection")
        if form.get("MachineDetection") in ("Enable", "DetectMessageEnd")
        else None,
    )


def _method(value: str | None) -> str:
    return "GET" if (value or "").upper() == "GET" else "POST"
