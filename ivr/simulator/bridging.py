"""<Enqueue> and <Dial> with <Queue> or <Number>: waiting in a queue and bridging two calls.

Sources: "TwiML Voice: <Enqueue>" (https://www.twilio.com/docs/voice/twiml/enqueue), "TwiML Voice:
<Queue>" (https://www.twilio.com/docs/voice/twiml/queue) and "TwiML Voice: <Dial>"
(https://www.twilio.com/docs/voice/twiml/dial).
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from . import twiml
from .call import Bridge
from .errors import AppError, CallOver, Dequeued, LeaveQueue, Redirected
from .queues import QueueFull
from .twiml import ANNOUNCE, WAIT, Document, Fetch, method_of, number
from .webhooks import call_params

if TYPE_CHECKING:
    from .call import Call
    from .queues import CallQueue

_MIN_WAIT_REFETCH_S = (
    0.05  # real seconds between waitUrl fetches, so an empty wait document cannot spin
)
MAX_QUEUE_NAME = 64  # "The queue name must be 64 characters or less in length"
DIAL_TIMEOUT_S, DIAL_TIMEOUT_RANGE = 30.0, (5.0, 600.0)  # <Dial> timeout: default 30, 5 to 600


# --- <Enqueue> --------------------------------------------------------------------------------


def enqueue(call: Call, element: ET.Element, doc: Document, mode: str) -> twiml.Source | None:
    """Wait in the named queue (running waitUrl) until dequeued, <Leave/>, hang-up, redirect or a
    failing waitUrl; then request the action URL with QueueResult (or fall through to the next
    verb: "If no action is provided, Twilio will fall through to the next verb in the document").

    QueueResult values, as documented: bridged, bridging-in-process (the caller hung up after a
    <Dial><Queue> took them but before the two were connected), error (invalid <Enqueue>, or the
    waitUrl failed: non-2xx, unreachable, invalid TwiML), hangup, leave, redirected (REST redirect
    while waiting; the action URL "is requested right away" and its answer is ignored, the call
    runs the redirect's TwiML), redirected-from-bridged (redirected while bridged), queue-full,
    system-error (injected with SimulatedNetwork.inject_system_error).
    """
    name = " ".join((element.text or "").split())
    action, action_method = doc.resolve(element.get("action")), method_of(element)
    wait_url, wait_method = doc.resolve(element.get("waitUrl")), method_of(element, "waitUrlMethod")
    silent = element.get("waitUrl") == ""  # "set waitUrl to an empty string": nothing is played
    early = _refused(call, name)
    if early is not None:
        call.log("enqueue", f"niet in de wachtrij / not enqueued: {early}")
        return _action(call, action, action_method, {"QueueResult": early})
    try:
        queue = call.net.join_queue(call, name)
    except QueueFull:
        call.log("enqueue", "wachtrij vol / queue full")
        return _action(call, action, action_method, {"QueueResult": "queue-full"})
    state = {"phase": "waiting"}
    try:
        try:
            _wait_in_queue(call, queue, wait_url, wait_method, silent)
            result = "error"  # not reached: waiting only ends through an exception
        except LeaveQueue:
            result = "leave"
        except AppError as exc:
            call.net.notify(call, exc.code, f"waitUrl: {exc}", "error")
            result = "error"
        except Dequeued:
            state["phase"] = "bridging"
            result = _be_bridged(call, queue, state)
    except Redirected:
        if action:
            moved = "redirected-from-bridged" if state["phase"] == "bridged" else "redirected"
            _post_ignored(call, action, action_method, _result_params(call, queue, moved))
        raise
    except CallOver:
        if action:
            outcome = {
                "waiting": "hangup",
                "bridging": "bridging-in-process",
                "bridged": "bridged",
            }[state["phase"]]
            _post_ignored(call, action, action_method, _result_params(call, queue, outcome))
        raise
    finally:
        call.net.leave_queue(call, queue)
    call.log("enqueue", f"wachtrij verlaten / left queue: {result}")
    return _action(call, action, action_method, _result_params(call, queue, result))


def _refused(call: Call, name: str) -> str | None:
    """QueueResult of an <Enqueue> that never puts the call in a queue, or None."""
    if not name or len(name) > MAX_QUEUE_NAME:
        call.net.notify(call, None, f"<Enqueue>: invalid queue name {name!r}", "error")
        return "error"
    if call.net.take_system_error(name):
        return "system-error"
    return None


def _action(call: Call, action: str | None, method: str, params: dict) -> Fetch | None:
    """The action request (QueueSid/QueueTime only when the call was actually enqueued), or None
    to go on with the next verb.
    """
    return Fetch(action, method, params) if action else None


def _wait_in_queue(
    call: Call, queue: CallQueue, wait_url: str | None, wait_method: str, silent: bool
) -> None:
    """Play the wait TwiML over and over (or hold music) until an exception ends the wait."""
    if not wait_url:
        call.log("play", "stilte / silence" if silent else "wachtmuziek / hold music")
        call.wait(None)
        return
    while True:
        with call.net.lock:
            params = queue.wait_params(call)
        twiml.run_chain(call, Fetch(wait_url, wait_method, params), WAIT)
        call.wait(time.monotonic() + _MIN_WAIT_REFETCH_S)


def _be_bridged(call: Call, queue: CallQueue, state: dict) -> str:
    """As the dequeued caller: hear the Queue url= announcement, connect, and stay until the bridge
    ends.
    """
    bridge = call.bridge
    if bridge.announce is not None:
        extra = dict(
            bridge.announce.params,
            QueueSid=queue.sid,
            QueueTime=str(queue.wait_time(call)),
            DequeingCallSid=bridge.dialer.sid,
        )
        twiml.run_chain(call, Fetch(bridge.announce.url, bridge.announce.method, extra), ANNOUNCE)
    with call.net.lock:
        connected = bridge.connect()
    if not connected:
        return "error"  # the dequeuing call went away before the bridge (docs silent)
    state["phase"] = "bridged"
    call.wait(None, until=lambda: bridge.state == "ended")
    return "bridged"


def _result_params(call: Call, queue: CallQueue, result: str) -> dict:
    return {
        "QueueResult": result,
        "QueueSid": queue.sid,
        "QueueTime": str(queue.wait_time(call)),
    }


def _post_ignored(call: Call, url: str, method: str, extra: dict) -> None:
    params = call_params(call, call.net.account_sid)
    params.update(extra)
    call.net.webhooks.notify(url, method, params)


# --- <Dial> -----------------------------------------------------------------------------------


def dial(call: Call, element: ET.Element, doc: Document, mode: str) -> twiml.Source | None:
    """Connect to the first caller of a queue or to a phone number; then post the Dial action,
    or, without one, go on with the next verb ("If you do not provide an action URL, <Dial> will
    finish and Twilio will move on to the next TwiML verb in the document. If there is no further
    verb, Twilio will end the phone call.").
    """
    action, action_method = doc.resolve(element.get("action")), method_of(element)
    low, high = DIAL_TIMEOUT_RANGE
    timeout = min(max(number(element.get("timeout"), DIAL_TIMEOUT_S), low), high)
    noun = _destination(element)
    extra: dict = {}
    if noun is None:
        call.log(
            "system", "<Dial> zonder (ondersteunde) bestemming / without a supported destination"
        )
        status, other_sid, seconds = "failed", None, 0
    elif noun.tag == "Queue":
        status, other_sid, seconds, extra = _dial_queue(call, noun, doc, timeout)
    else:
        target = (noun.text or "").strip()
        status, other_sid, seconds = _dial_number(
            call, target, timeout, element.get("callerId") or call.from_
        )
    call.log("dial", f"einde / ended: {status}")
    if not action:
        return None
    params = {
        "DialCallStatus": status,
        "DialBridged": "true" if status == "completed" else "false",
        **extra,
    }
    if seconds is not None:  # "not sent ... if a Child call is redirected" (<Dial> page)
        params["DialCallDuration"] = str(seconds)
    if other_sid:
        params["DialCallSid"] = other_sid
    return Fetch(action, action_method, params)


def _destination(element: ET.Element) -> ET.Element | None:
    """The <Queue> or <Number> noun of a Dial (bare text counts as a number)."""
    for child in element:
        if child.tag in ("Queue", "Number"):
            return child
    if len(element) == 0 and (element.text or "").strip():
        bare = ET.Element("Number")
        bare.text = element.text
        return bare
    return None


def _dial_queue(
    call: Call, noun: ET.Element, doc: Document, timeout: float
) -> tuple[str, str | None, int, dict]:
    """Bridge with the longest-waiting caller of the queue. "If the queue is empty, Dial will wait
    until the next person joins the queue or until the <Dial> timeout duration is reached. If the
    queue does not exist, Dial will post an error status to its action URL." (<Queue> page). The
    extra action parameters are the ones the <Dial> page points to on the <Queue> page (QueueSid,
    QueueTime, DequeingCallSid); no QueueResult is documented for <Dial>.
    """
    name = " ".join((noun.text or "").split())
    url = doc.resolve(noun.get("url"))
    announce = Fetch(url, method_of(noun)) if url else None
    net = call.net
    call.log("dial", f"wachtrij / queue: {name}")
    queue = net.queue(name)
    if queue is None:
        call.log("dial", "wachtrij bestaat niet / no such queue")
        net.notify(call, None, f"<Dial><Queue>: queue {name!r} does not exist", "error")
        return "failed", None, 0, {}
    deadline = time.monotonic() + timeout * net.time_scale
    waiting_logged = False
    while True:
        with net.lock:
            member = net.take_from_queue(queue)
            if member is not None:
                bridge = Bridge(call, member, announce)
                call.bridge = member.bridge = bridge
                bridge.wake_both()
                break
        if not waiting_logged:
            call.log("dial", "wachten op een beller / waiting for a caller")
            waiting_logged = True
        if not call.wait(deadline, until=queue.has_free_member):
            call.log("dial", "niemand in de wachtrij / nobody came")
            return "no-answer", None, 0, {"QueueSid": queue.sid}
    extra = {
        "QueueSid": queue.sid,
        "QueueTime": str(queue.wait_time(member)),
        "DequeingCallSid": call.sid,
    }
    status, sid, seconds = _stay_bridged(call, bridge, member, unanswered="no-answer")
    return status, sid, seconds, extra


def _dial_number(
    call: Call, target: str, timeout: float, caller_id: str
) -> tuple[str, str | None, int]:
    """Ring another phone (its behaviour decides) and bridge on answer."""
    call.log("dial", f"bellen / dialing {target}")
    child, bridge = call.net.place_dial_leg(call, target, caller_id, timeout)
    return _stay_bridged(call, bridge, child, unanswered=None)


def _stay_bridged(
    call: Call, bridge: Bridge, other: Call, unanswered: str | None
) -> tuple[str, str | None, int | None]:
    """Wait for the bridge to come up and go down again; -> (DialCallStatus, DialCallSid,
    DialCallDuration, None when the other leg was redirected away).
    """
    try:
        call.wait(None, until=lambda: bridge.state != "connecting")
        if not bridge.was_up:
            return unanswered or other.status, other.sid, 0
        call.wait(None, until=lambda: bridge.state == "ended")
        return "completed", other.sid, None if bridge.redirected is other else bridge.duration()
    finally:
        with call.net.lock:
            bridge.end()
            if call.bridge is bridge:
                call.bridge = None
