"""<Enqueue> and <Dial> with <Queue> or <Number>: waiting in a queue and bridging two calls."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from . import twiml
from .call import Bridge
from .errors import CallOver, Dequeued, LeaveQueue
from .twiml import ANNOUNCE, WAIT, Document, Fetch, method_of, number
from .webhooks import call_params

if TYPE_CHECKING:
    from .call import Call
    from .queues import CallQueue

_MIN_WAIT_REFETCH_S = (
    0.05  # real seconds between waitUrl fetches, so an empty wait document cannot spin
)


# --- <Enqueue> --------------------------------------------------------------------------------


def enqueue(call: Call, element: ET.Element, doc: Document, mode: str) -> twiml.Source | None:
    """Wait in the named queue (running waitUrl) until dequeued, <Leave/>, hang-up or redirect."""
    name = " ".join((element.text or "").split())
    action, action_method = doc.resolve(element.get("action")), method_of(element)
    wait_url, wait_method = doc.resolve(element.get("waitUrl")), method_of(element, "waitUrlMethod")
    queue = call.net.join_queue(call, name)
    phase = "waiting"
    try:
        try:
            _wait_in_queue(call, queue, wait_url, wait_method)
            result = "error"  # not reached: waiting only ends through an exception
        except LeaveQueue:
            result = "leave"
        except Dequeued:
            phase = "bridging"
            result = _be_bridged(call, queue)
    except CallOver:
        if action:
            outcome = "hangup" if phase == "waiting" else "bridged"
            _post_ignored(call, action, action_method, _result_params(call, queue, outcome))
        raise
    finally:
        call.net.leave_queue(call, queue)
    call.log("enqueue", f"wachtrij verlaten / left queue: {result}")
    if action:
        return Fetch(action, action_method, _result_params(call, queue, result))
    if result == "leave":
        return None
    call.hang_up("app")
    raise CallOver()


def _wait_in_queue(call: Call, queue: CallQueue, wait_url: str | None, wait_method: str) -> None:
    """Play the wait TwiML over and over (or hold music) until an exception ends the wait."""
    if not wait_url:
        call.log("play", "wachtmuziek / hold music")
        call.wait(None)
        return
    while True:
        with call.net.cond:
            params = queue.wait_params(call)
        twiml.run_chain(call, Fetch(wait_url, wait_method, params), WAIT)
        call.wait(time.monotonic() + _MIN_WAIT_REFETCH_S)


def _be_bridged(call: Call, queue: CallQueue) -> str:
    """As the dequeued caller: hear the Queue url= announcement, connect, and stay until the bridge
    ends.
    """
    bridge = call.bridge
    if bridge.announce is not None:
        extra = dict(
            bridge.announce.params,
            QueueSid=queue.sid,
            QueueTime=str(int(queue.wait_time(call))),
            DequeingCallSid=bridge.dialer.sid,
        )
        twiml.run_chain(call, Fetch(bridge.announce.url, bridge.announce.method, extra), ANNOUNCE)
    with call.net.cond:
        connected = bridge.connect()
    if not connected:
        return "error"
    call.wait(None, until=lambda: bridge.state == "ended")
    return "bridged"


def _result_params(call: Call, queue: CallQueue, result: str) -> dict:
    return {
        "QueueResult": result,
        "QueueSid": queue.sid,
        "QueueTime": str(int(queue.wait_time(call))),
    }


def _post_ignored(call: Call, url: str, method: str, extra: dict) -> None:
    params = call_params(call, call.net.account_sid)
    params.update(extra)
    call.net.webhooks.notify(url, method, params)


# --- <Dial> -----------------------------------------------------------------------------------


def dial(call: Call, element: ET.Element, doc: Document, mode: str) -> twiml.Source | None:
    """Connect to the first caller of a queue or to a phone number; then continue or post the Dial
    action.
    """
    action, action_method = doc.resolve(element.get("action")), method_of(element)
    noun = _destination(element)
    if noun is None:
        call.log(
            "system", "<Dial> zonder (ondersteunde) bestemming / without a supported destination"
        )
        status, other_sid, seconds = "failed", None, 0
    elif noun.tag == "Queue":
        status, other_sid, seconds = _dial_queue(call, noun, doc)
    else:
        timeout = number(element.get("timeout"), 30.0)
        target = (noun.text or "").strip()
        status, other_sid, seconds = _dial_number(
            call, target, timeout, element.get("callerId") or call.from_
        )
    call.log("dial", f"einde / ended: {status}")
    if not action:
        return None
    params = {"DialCallStatus": status, "DialCallDuration": str(seconds)}
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


def _dial_queue(call: Call, noun: ET.Element, doc: Document) -> tuple[str, str | None, int]:
    """Bridge with the longest-waiting caller of the queue; 'no-answer' if nobody waits."""
    name = " ".join((noun.text or "").split())
    url = doc.resolve(noun.get("url"))
    announce = Fetch(url, method_of(noun)) if url else None
    call.log("dial", f"wachtrij / queue: {name}")
    with call.net.cond:
        member = call.net.take_from_queue(name)
        if member is None:
            call.log("dial", "wachtrij leeg / queue empty")
            return "no-answer", None, 0
        bridge = Bridge(call, member, announce)
        call.bridge = member.bridge = bridge
        call.net.cond.notify_all()
    return _stay_bridged(call, bridge, member, unanswered="no-answer")


def _dial_number(
    call: Call, target: str, timeout: float, caller_id: str
) -> tuple[str, str | None, int]:
    """Ring another phone (its behaviour decides) and bridge on answer."""
    call.log("dial", f"bellen / dialing {target}")
    child, bridge = call.net.place_dial_leg(call, target, caller_id, timeout)
    return _stay_bridged(call, bridge, child, unanswered=None)


def _stay_bridged(
    call: Call, bridge: Bridge, other: Call, unanswered: str | None
) -> tuple[str, str | None, int]:
    """Wait for the bridge to come up and go down again; -> (DialCallStatus, DialCallSid,
    DialCallDuration).
    """
    try:
        call.wait(None, until=lambda: bridge.state != "connecting")
        if not bridge.was_up:
            return unanswered or other.status, other.sid, 0
        call.wait(None, until=lambda: bridge.state == "ended")
        return "completed", other.sid, bridge.duration()
    finally:
        with call.net.cond:
            bridge.end()
            if call.bridge is bridge:
                call.bridge = None
