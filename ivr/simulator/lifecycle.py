"""The life of one call on its own daemon thread: ringing, answering, running TwiML, ending, status
callbacks.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING

from . import twiml
from .errors import CallOver
from .masking import mask
from .webhooks import call_params

if TYPE_CHECKING:
    from .call import Call

logger = logging.getLogger(__name__)

QUEUED_S = 1.0  # simulated time between the REST request and dialing out
MIN_QUEUED_REAL_S = (
    0.05  # ... but at least this long, so the app can store the sid before the first callback
)


def start(call: Call) -> None:
    """Run the call on its own daemon thread."""
    call.thread = threading.Thread(
        target=_run, args=(call,), name=f"sim-call-{call.sid}", daemon=True
    )
    call.thread.start()


def _run(call: Call) -> None:
    logger.info(
        "call %s %s %s -> %s started", call.sid, call.direction, mask(call.from_), mask(call.to)
    )
    try:
        if call.direction == "inbound":
            _run_inbound(call)
        elif _ring(call):
            _after_answer(call)
    except CallOver:
        pass
    except Exception:  # a bug in the simulator must not kill the test process silently
        logger.exception("simulated call %s crashed", call.sid)
        call.log("system", "simulatorfout / simulator error")
    finally:
        _finish(call)


def _run_inbound(call: Call) -> None:
    """A phone calls an exchange number: fetch its voice URL and run the TwiML."""
    number = call.net.number(call.to)
    if number is None:
        call.log("system", "dit nummer is niet in gebruik / number not in service")
        call.end("failed")
        return
    twiml.run_script(call, twiml.Fetch(number.voice_url, number.voice_method))


def _ring(call: Call) -> bool:
    """Dial out and ring per the callee's behaviour; True when answered, else the call has ended."""
    net = call.net
    call.wait(time.monotonic() + max(MIN_QUEUED_REAL_S, QUEUED_S * net.time_scale))
    send_status(call, "initiated", call_status="initiated")
    behaviour = net.behaviour(call.to)
    if behaviour.answer in ("busy", "fail"):
        call.end("busy" if behaviour.answer == "busy" else "failed")
        return False
    call.set_ringing()
    call.log("system", "gaat over / ringing")
    send_status(call, "ringing")
    if behaviour.answers_automatically:
        call.schedule(behaviour.answer_delay_s, lambda: _auto_answer(call, behaviour.answer))
    ring_deadline = time.monotonic() + call.setup.timeout * net.time_scale
    decided = call.wait(
        ring_deadline,
        until=lambda: bool(call.answer_request or call.reject_request or _parent_gone(call)),
    )
    if not decided:
        call.end("no-answer")
        return False
    if call.reject_request or _parent_gone(call):
        call.end(call.reject_request or "canceled")
        return False
    _answer(call, call.answer_request)
    if behaviour.hangup_after_s is not None:
        call.schedule(behaviour.hangup_after_s, lambda: call.hang_up("person"))
    return True


def _auto_answer(call: Call, as_: str) -> None:
    if call.answer_request is None and call.reject_request is None:
        call.answer_request = as_


def _parent_gone(call: Call) -> bool:
    """A <Dial><Number> leg whose dialing call hung up or moved on must stop ringing."""
    return call.bridge is not None and call.bridge.state == "ended"


def _answer(call: Call, as_: str) -> None:
    detection = bool(call.setup.machine_detection)
    answered_by = None
    if detection:
        answered_by = "machine_start" if as_ == "machine" else "human"
    call.mark_answered(answered_by)
    call.log(
        "system",
        "opgenomen / answered" + (" (antwoordapparaat / machine)" if as_ == "machine" else ""),
    )
    send_status(call, "answered")


def _after_answer(call: Call) -> None:
    """Either join the dialing call's bridge (a <Dial><Number> leg) or run the call's own TwiML."""
    if call.bridge is not None:
        bridge = call.bridge
        with call.net.cond:
            connected = bridge.connect()
        if connected:
            call.wait(None, until=lambda: bridge.state == "ended")
        return
    setup = call.setup
    if setup.twiml:
        first = twiml.Inline(setup.twiml, setup.url)
    else:
        extra = {"AnsweredBy": call.answered_by} if call.answered_by else {}
        first = twiml.Fetch(setup.url, setup.method, extra)
    twiml.run_script(call, first)


def _finish(call: Call) -> None:
    """Make the call terminal, send the final status callback, and mark it done."""
    call.end(
        "completed" if call.status == "in-progress" or call.direction == "inbound" else "canceled"
    )
    logger.info("call %s ended: %s", call.sid, call.status)
    try:
        send_status(call, "completed")
    finally:
        with call.net.cond:
            call.done = True
            call.net.cond.notify_all()


def send_status(call: Call, event: str, call_status: str | None = None) -> None:
    """POST a signed status callback for `event` if the call's creator subscribed to it."""
    setup = call.setup
    if not setup.status_callback or event not in setup.status_events:
        return
    with call.net.cond:
        call.callback_sequence += 1
        params = call_params(call, call.net.account_sid)
        params.update(
            {
                "CallbackSource": "call-progress-events",
                "SequenceNumber": str(call.callback_sequence - 1),
                "Timestamp": format_datetime(datetime.now(UTC)),
            }
        )
        if call_status:
            params["CallStatus"] = call_status
        if call.answered_by:
            params["AnsweredBy"] = call.answered_by
        if event == "completed":
            params["CallDuration"] = str(call.duration)
            params["Duration"] = str((call.duration + 59) // 60)
    call.net.webhooks.notify(setup.status_callback, setup.status_method, params)
