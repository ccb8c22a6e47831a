"""Rows the web UI shows: participants by phone, requests with call legs."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

from sqlalchemy import select

from bhc.db import utcnow
from bhc.localtime import local_date, local_midnight_utc
from bhc.models import CallLeg, HelpRequest, Match, Participant, RequestState


def participant_id(exchange, phone: str) -> int:
    with exchange.db.session() as session:
        return session.scalar(select(Participant.id).where(Participant.phone == phone))


def matched_request(exchange, neighbourhood_id: int, caller: str, helpers: list[str],
                    state: str = RequestState.MATCHED) -> int:
    """A request of today: every helper but the last declined, the last accepted."""
    now = max(utcnow() - timedelta(minutes=5), local_midnight_utc(local_date(utcnow())))
    with exchange.db.session() as session:
        caller_id = session.scalar(select(Participant.id).where(Participant.phone == caller))
        request = HelpRequest(call_sid=f"CA{neighbourhood_id:032d}",
                              neighbourhood_id=neighbourhood_id, caller_id=caller_id,
                              category_slug="groceries", state=state, created_at=now,
                              searching_since=now + timedelta(seconds=5))
        session.add(request)
        session.flush()
        at = now + timedelta(seconds=10)
        for number, phone in enumerate(helpers, start=1):
            last = number == len(helpers)
            helper_id = session.scalar(select(Participant.id).where(Participant.phone == phone))
            leg = CallLeg(request_id=request.id, volunteer_id=helper_id,
                          sid=f"CL{request.id}{number}", status="completed", placed_at=at,
                          answered_at=at + timedelta(seconds=4),
                          decided_at=at + timedelta(seconds=9), key_pressed="1" if last else "2",
                          outcome="accepted" if last else "declined",
                          ended_at=at + timedelta(seconds=10))
            session.add(leg)
            session.flush()
            at += timedelta(seconds=20)
        if state == RequestState.MATCHED:
            waited = leg.decided_at - request.searching_since
            session.add(Match(request_id=request.id, leg_id=leg.id, helper_id=leg.volunteer_id,
                              asker_id=caller_id, matched_at=leg.decided_at,
                              time_to_match_s=waited.total_seconds(),
                              volunteers_rung=len(helpers)))
            request.outcome, request.ended_at = "matched", leg.decided_at
        return request.id


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag != "input" or "name" not in attrs:
            return
        if attrs.get("type") == "checkbox" and "checked" not in attrs:
            return
        self.values[attrs["name"]] = attrs.get("value") or ""


def form_values(html: str) -> dict[str, str]:
    """What a browser would post for the page's inputs as they are (checked boxes only)."""
    parser = _Inputs()
    parser.feed(html)
    return parser.values
