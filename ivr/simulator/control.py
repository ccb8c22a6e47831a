"""JSON control API for people and scripts playing the phones, plus the phone page itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, Response, abort, jsonify, request

from .errors import CallStateError, SimulatorError, UnknownCallError
from .phone_page import PHONE_PAGE, STATIC

PAGE_FILES = {"phone.css": "text/css", "phone.js": "text/javascript"}

if TYPE_CHECKING:
    from .network import SimulatedNetwork


def create_blueprint(net: SimulatedNetwork) -> Blueprint:
    """Routes under /control/... and /phone, bound to one network."""
    bp = Blueprint("sim_control", __name__)

    @bp.errorhandler(UnknownCallError)
    def unknown_call(exc):
        return jsonify({"error": str(exc)}), 404

    @bp.errorhandler(SimulatorError)
    def bad_request(exc):
        return jsonify({"error": str(exc)}), 409 if isinstance(exc, CallStateError) else 400

    @bp.get("/phone")
    def phone_page():
        return Response(PHONE_PAGE, mimetype="text/html")

    @bp.get("/<any(phone.css, phone.js):name>")
    def phone_page_file(name: str):
        """The page's style and script (relative to /phone, so they work under a prefix)."""
        if name not in PAGE_FILES:
            abort(404)
        return Response((STATIC / name).read_bytes(), mimetype=PAGE_FILES[name])

    @bp.get("/control/calls")
    def list_calls():
        return jsonify(net.calls())

    @bp.get("/control/calls/<sid>")
    def get_call(sid: str):
        return jsonify(net.call(sid))

    @bp.post("/control/dial")
    def dial():
        body = _body()
        if not body.get("to"):
            raise SimulatorError("'to' is required")
        sid = net.dial(from_=(body.get("from") or "anonymous").strip(), to=body["to"].strip())
        return jsonify({"sid": sid}), 201

    @bp.post("/control/calls/<sid>/press")
    def press(sid: str):
        net.press(sid, str(_body().get("digits", "")))
        return jsonify(net.call(sid))

    @bp.post("/control/calls/<sid>/speak")
    def speak(sid: str):
        body = _body()
        try:
            confidence = float(body.get("confidence") or 0.9)
        except (TypeError, ValueError) as exc:
            raise SimulatorError(str(exc)) from None
        heard = net.speak(sid, str(body.get("text", "")), confidence)
        return jsonify(dict(net.call(sid), heard=heard))

    @bp.post("/control/calls/<sid>/answer")
    def answer(sid: str):
        body = _body()
        net.answer(sid, as_=body.get("as", "human"), greeting=body.get("greeting") or None)
        return jsonify(net.call(sid))

    @bp.post("/control/calls/<sid>/reject")
    def reject(sid: str):
        net.reject(sid, reason=_body().get("reason", "busy"))
        return jsonify(net.call(sid))

    @bp.post("/control/calls/<sid>/hangup")
    def hangup(sid: str):
        net.hangup(sid)
        return jsonify(net.call(sid))

    @bp.get("/control/numbers")
    def numbers():
        return jsonify(net.numbers())

    @bp.get("/control/phones")
    def phones():
        return jsonify(net.behaviours())

    @bp.get("/control/phones/<number>/behaviour")
    def get_behaviour(number: str):
        return jsonify(net.behaviour(number).as_dict())

    @bp.put("/control/phones/<number>/behaviour")
    def put_behaviour(number: str):
        body = _body()
        try:
            behaviour = net.set_behaviour(
                number,
                answer=body.get("answer", "manual"),
                answer_delay_s=float(body.get("answer_delay_s") or 0),
                press=body.get("press") or None,
                press_delay_s=float(body.get("press_delay_s") or 0),
                hangup_after_s=None
                if body.get("hangup_after_s") in (None, "")
                else float(body["hangup_after_s"]),
                greeting=body.get("greeting"),
                machine_end=body.get("machine_end") or "beep",
                speak=body.get("speak") or None,
                speak_confidence=float(body.get("speak_confidence") or 0.9),
            )
        except (TypeError, ValueError) as exc:
            raise SimulatorError(str(exc)) from None
        return jsonify(behaviour.as_dict())

    return bp


def _body() -> dict:
    """JSON body, or form fields as a fallback (so curl -d works too)."""
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else request.form.to_dict()
