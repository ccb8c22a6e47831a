"""The life of one call on its own daemon thread: waiting for its CPS turn, ringing, answering
(with machine detection), running TwiML, ending, status callbacks.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING

from . import amd, twiml
from .errors import CallOver, Redirected
from .masking import mask
from .phones import greeting_of
from .webhooks import call_params

if TYPE_CHECKING:
    from .call import Call

logger = logging.getLogger(__name__)

QUEUED_S = 1.0  # simulated time between the REST request and dialing out (Twilio names no figure)
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
    """A phone calls an exchange number: fetch its voice URL (or, failing that, its voice fallback
    URL) and run the TwiML.
    """
    number = call.net.number(call.to)
    if number is None:
        call.log("system", "dit nummer is niet in gebruik / number not in service")
        call.end("failed")
        return
    with call.net.lock:
        first = twiml.Fetch(number.voice_url, number.voice_method)
        fallback = (
            twiml.Fetch(number.voice_fallback_url, number.voice_fallback_method)
            if number.voice_fallback_url
            else None
        )
    twiml.run_script(call, first, fallback)


def dial_out_s(net) -> float:
    """Real seconds between an outbound-api call's REST request and its dialing out, when the
    rate does not hold it back."""
    return max(MIN_QUEUED_REAL_S, QUEUED_S * net.time_scale)


def _wait_for_turn(call: Call) -> None:
    """Stay 'queued' until the account's calls-per-second limit lets this call start."""
    net = call.net
    try:
        call.wait(call.ready_at)
        while True:
            with net.lock:
                wake = net.dialer.take_turn(call)
                first = net.dialer.is_first(call)
            if wake is None:
                return
            # First in line: wait for the moment. Behind others: until this call moves up
            # (Call.wait only returns early for `until`; a wake-up alone is not enough).
            call.wait(wake, until=None if first else (lambda: net.dialer.is_first(call)))
    finally:
        with net.lock:
            net.dialer.forget(call)


def _ring(call: Call) -> bool:
    """Dial out and ring per the callee's behaviour; True when answered, else the call has ended."""
    net = call.net
    if call.direction == "outbound-api":
        _wait_for_turn(call)
    else:
        call.wait(time.monotonic() + MIN_QUEUED_REAL_S)
    send_status(call, "initiated", call_status="initiated")
    behaviour = net.behaviour(call.to)
    if behaviour.answer in ("busy", "fail"):
        call.end("busy" if behaviour.answer == "busy" else "failed")
        return False
    call.set_ringing()
    call.log("system", "gaat over / ringing")
    send_status(call, "ringing")
    if behaviour.answers_automatically:
        call.schedule(
            behaviour.answer_delay_s,
            lambda: _auto_answer(call, behaviour.answer, behaviour.greeting),
        )
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
    answerer, greeting = call.answer_request
    _answer(call, answerer, greeting_of(answerer, greeting))
    if behaviour.hangup_after_s is not None:
        call.schedule(behaviour.hangup_after_s, lambda: call.hang_up("person"))
    return True


def _auto_answer(call: Call, as_: str, greeting: str | None) -> None:
    if call.answer_request is None and call.reject_request is None:
        call.answer_request = (as_, greeting)


def _parent_gone(call: Call) -> bool:
    """A <Dial><Number> leg whose dialing call hung up or moved on must stop ringing."""
    return call.bridge is not None and call.bridge.state == "ended"


def _answer(call: Call, answerer: str, greeting: str) -> None:
    with call.net.lock:
        call.answerer, call.greeting = answerer, greeting
    call.mark_answered()
    label = {"machine": " (antwoordapparaat / machine)", "fax": " (fax)"}.get(answerer, "")
    call.log("system", "opgenomen / answered" + label)
    if greeting:
        call.log("callee", greeting)
    send_status(call, "answered")


def _after_answer(call: Call) -> None:
    """Either join the dialing call's bridge (a <Dial><Number> leg) or run the call's own TwiML,
    after machine detection when it was asked for.
    """
    if call.bridge is not None:
        bridge = call.bridge
        with call.net.lock:
            connected = bridge.connect()
        try:
            if connected:
                call.wait(None, until=lambda: bridge.state == "ended")
        except Redirected as moved:  # a REST redirect takes the dialed leg out of the bridge
            twiml.run_script(call, moved.target)
        return
    setup = call.setup
    fallback = None
    if setup.fallback_url:
        fallback = twiml.Fetch(setup.fallback_url, setup.fallback_method)
    try:
        extra = _machine_detection(call, setup.amd) if setup.amd is not None else {}
    except Redirected as moved:  # new TwiML through the REST API while detection still ran
        twiml.run_script(call, moved.target, fallback)
        return
    if setup.twiml:
        first = twiml.Inline(setup.twiml, None)
    else:
        first = twiml.Fetch(setup.url, setup.method, extra)
    twiml.run_script(call, first, fallback)


def _machine_detection(call: Call, settings: amd.AmdSettings) -> dict:
    """Run AMD. Synchronous: the callee hears silence until the result is known, and the answer
    URL gets AnsweredBy. Asynchronous (AsyncAmd=true): the URL is fetched at once and the result
    is POSTed to AsyncAmdStatusCallback later ("Answering Machine Detection" page).
    """
    with call.net.lock:
        result, seconds = amd.detect(
            settings, call.answerer, call.greeting, call.net.behaviour(call.to).machine_end
        )
    if settings.asynchronous:
        _report_async(call, settings, result, seconds)
        return {}
    call.log("pause", f"stilte: detectie / silence: machine detection {seconds:g} s")
    call.pause(seconds)
    with call.net.lock:
        call.answered_by = result
    call.log("system", f"AMD: {result}")
    return {"AnsweredBy": result}


def _report_async(call: Call, settings: amd.AmdSettings, result: str, seconds: float) -> None:
    net = call.net

    def report() -> None:
        with net.lock:
            if call.is_ended:
                return  # the docs are silent; a call that ended first gets no AMD callback
            call.answered_by = result
            params = call_params(call, net.account_sid)
        call.log("system", f"AMD (async): {result}")
        if settings.callback:
            params.update(
                {"AnsweredBy": result, "MachineDetectionDuration": str(round(seconds * 1000))}
            )
            net.webhooks.notify(settings.callback, settings.callback_method, params)

    net.webhooks.later(seconds * net.time_scale, report)


def _finish(call: Call) -> None:
    """Make the call terminal, send the final status callback, and mark it finished."""
    call.end(
        "completed" if call.status == "in-progress" or call.direction == "inbound" else "canceled"
    )
    logger.info("call %s ended: %s", call.sid, call.status)
    try:
        send_status(call, "completed")
    finally:
        with call.net.lock:
            call.finished = True


def _send_in_order(call: Call, url: str, method: str, params: dict) -> None:
    """Queue a status callback for the call's own sender, which posts them one after another
    while the call goes on: Twilio makes them "as separate HTTP requests" (Call resource,
    SequenceNumber). That the call does not wait for the app's answer to them is what that
    implies; the docs say nothing more. So a slow app delays its news, never the ringing. (One
    sender per call keeps a call's callbacks in the order they were fired, unless the callback
    faults say otherwise.)"""
    with call.net.lock:
        call.pending_webhooks += 1
        call.status_outbox.append((url, method, params))
        if call.status_sender is not None:
            return
        call.status_sender = threading.Thread(target=_status_sender, args=(call,),
                                              name=f"sim-status-{call.sid}", daemon=True)
        call.status_sender.start()


def _status_sender(call: Call) -> None:
    net = call.net
    while True:
        with net.lock:
            if not call.status_outbox:
                call.status_sender = None
                return
            url, method, params = call.status_outbox.pop(0)
        try:
            net.webhooks.notify(url, method, params)
        finally:
            with net.lock:
                call.pending_webhooks -= 1


def send_status(call: Call, event: str, call_status: str | None = None) -> None:
    """POST a signed status callback for `event` if the call's creator subscribed to it; late or
    twice when the network's callback faults say so. "Although events are fired in order, they are
    made as separate HTTP requests, and there is no guarantee they will arrive in the same order"
    (SequenceNumber, Call resource docs). Retries are documented only as opt-in connection
    overrides ("Webhooks (HTTP callbacks): Connection Overrides"); duplicates are switched on here
    to model a retry whose first attempt did reach the app.
    """
    setup = call.setup
    if not setup.status_callback or event not in setup.status_events:
        return
    net = call.net
    with net.lock:
        call.callback_sequence += 1
        params = call_params(call, net.account_sid)
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
        faults = net.callback_faults
        copies = 2 if faults.duplicate and faults.applies_to(event) else 1
        delay_real = faults.delay_s * net.time_scale if faults.applies_to(event) else 0.0
        if not faults.applies_to(event):
            copies = 0
        call.pending_webhooks += copies
    if copies == 0:
        _send_in_order(call, setup.status_callback, setup.status_method, params)
        return
    for copy in range(copies):

        def deliver() -> None:
            try:
                net.webhooks.notify(setup.status_callback, setup.status_method, params)
            finally:
                with net.lock:
                    call.pending_webhooks -= 1

        net.webhooks.later(delay_real + copy * 0.1 * net.time_scale, deliver)
