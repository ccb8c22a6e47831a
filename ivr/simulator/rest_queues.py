"""The Queues resource and its Members (https://www.twilio.com/docs/voice/api/queue-resource,
https://www.twilio.com/docs/voice/api/member-resource).

Queues persist until deleted, including those <Enqueue> created ("Queues persist. To optimize
fetch operations, inactive Queues should be deleted."). Delete is documented as "Remove an empty
queue" (the API definition's summary of DeleteQueue): a queue with calls in it is refused. The docs
give no error code for that; the simulator answers 400 with code 20001 ("Bad request").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, jsonify, request

from .errors import CallStateError, SimulatorError
from .queues import DEFAULT_MAX_SIZE, LARGEST_MAX_SIZE
from .twiml import Fetch

if TYPE_CHECKING:
    from .call import Call
    from .network import SimulatedNetwork
    from .queues import CallQueue

API = "/2010-04-01/Accounts/<account_sid>"


def queue_resource(net: SimulatedNetwork, queue: CallQueue) -> dict:
    from .rest import rfc2822

    with net.lock:
        uri = f"/2010-04-01/Accounts/{net.account_sid}/Queues/{queue.sid}"
        return {
            "account_sid": net.account_sid,
            "average_wait_time": queue.average_wait(),
            "current_size": len(queue.members),
            "date_created": rfc2822(queue.created),
            "date_updated": rfc2822(queue.updated),
            "friendly_name": queue.name,
            "max_size": queue.max_size,
            "sid": queue.sid,
            "uri": uri + ".json",
            "subresource_uris": {"members": uri + "/Members.json"},
        }


def member_resource(net: SimulatedNetwork, queue: CallQueue, call: Call) -> dict:
    from .rest import rfc2822

    with net.lock:
        return {
            "call_sid": call.sid,
            "date_enqueued": rfc2822(queue.joined_at(call)),
            "position": queue.position(call),
            "queue_sid": queue.sid,
            "uri": f"/2010-04-01/Accounts/{net.account_sid}/Queues/{queue.sid}/Members/"
            f"{call.sid}.json",
            "wait_time": queue.wait_time(call),
        }


def register(bp: Blueprint, net: SimulatedNetwork) -> None:
    from .rest import http_method, not_found, page, twilio_error

    def found(sid: str):
        queue = net.queue_by_sid(sid)
        return queue, (None if queue is not None else not_found(sid, "Queues"))

    def max_size(default: int):
        raw = request.form.get("MaxSize")
        try:
            size = int(raw) if raw not in (None, "") else default
        except ValueError:
            size = -1
        return size if 1 <= size <= LARGEST_MAX_SIZE else None

    @bp.get(API + "/Queues.json")
    def list_queues(account_sid: str):
        uri = f"/2010-04-01/Accounts/{net.account_sid}/Queues.json"
        return jsonify(page("queues", [queue_resource(net, q) for q in net.all_queues()], uri))

    @bp.post(API + "/Queues.json")
    def create_queue(account_sid: str):
        name = (request.form.get("FriendlyName") or "").strip()
        if not name or len(name) > 64:
            return twilio_error(400, 20001, "FriendlyName is required, at most 64 characters")
        size = max_size(DEFAULT_MAX_SIZE)
        if size is None:
            return twilio_error(400, 20001, f"MaxSize must be 1 to {LARGEST_MAX_SIZE}")
        try:
            queue = net.create_queue(name, size)
        except SimulatorError as exc:  # a queue with this name exists (docs silent)
            return twilio_error(400, 20001, str(exc))
        return jsonify(queue_resource(net, queue)), 201

    @bp.get(API + "/Queues/<sid>.json")
    def fetch_queue(account_sid: str, sid: str):
        queue, error = found(sid)
        return error or jsonify(queue_resource(net, queue))

    @bp.post(API + "/Queues/<sid>.json")
    def update_queue(account_sid: str, sid: str):
        queue, error = found(sid)
        if error:
            return error
        size = max_size(queue.max_size)
        if size is None:
            return twilio_error(400, 20001, f"MaxSize must be 1 to {LARGEST_MAX_SIZE}")
        with net.lock:
            queue.max_size = size
        return jsonify(queue_resource(net, queue))

    @bp.delete(API + "/Queues/<sid>.json")
    def delete_queue(account_sid: str, sid: str):
        queue, error = found(sid)
        if error:
            return error
        try:
            net.delete_queue(queue)
        except CallStateError as exc:
            return twilio_error(400, 20001, f"Queue {sid} is not empty: {exc}")
        return "", 204

    @bp.get(API + "/Queues/<sid>/Members.json")
    def list_members(account_sid: str, sid: str):
        queue, error = found(sid)
        if error:
            return error
        with net.lock:
            members = [member_resource(net, queue, c) for c in queue.members]
        uri = f"/2010-04-01/Accounts/{net.account_sid}/Queues/{sid}/Members.json"
        return jsonify(page("queue_members", members, uri))

    def found_member(sid: str, call_sid: str):
        """-> (queue, member, error response); call_sid may be "Front", the first in line."""
        queue, error = found(sid)
        if error:
            return None, None, error
        with net.lock:
            if call_sid == "Front":
                member = queue.members[0] if queue.members else None
            else:
                member = next((c for c in queue.members if c.sid == call_sid), None)
        if member is None:
            return queue, None, not_found(call_sid, f"Queues/{sid}/Members")
        return queue, member, None

    @bp.get(API + "/Queues/<sid>/Members/<call_sid>.json")
    def fetch_member(account_sid: str, sid: str, call_sid: str):
        queue, member, error = found_member(sid, call_sid)
        return error or jsonify(member_resource(net, queue, member))

    @bp.post(API + "/Queues/<sid>/Members/<call_sid>.json")
    def dequeue_member(account_sid: str, sid: str, call_sid: str):
        """Dequeue the member: its call leaves the queue (QueueResult redirected) and runs Url."""
        queue, member, error = found_member(sid, call_sid)
        if error:
            return error
        if not request.form.get("Url"):
            return twilio_error(400, 21205, "Url parameter is required.")
        resource = member_resource(net, queue, member)
        try:
            member.redirect(Fetch(request.form["Url"], http_method(request.form.get("Method"))))
        except CallStateError as exc:
            return twilio_error(400, 21220, str(exc))
        return jsonify(resource)
