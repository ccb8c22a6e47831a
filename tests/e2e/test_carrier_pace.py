"""Outbound calls at the carrier's pace, through the simulated carrier, which (like Twilio)
creates at most ``calls_per_second`` calls a second and queues the rest in the order they came.

At one call per second: of twelve callers on hold, each has a first volunteer rung before any
has a second (a newer caller's first volunteer goes before the rest of an older caller's wave),
and callers on hold go before follow-ups that were due at the same moment. At
a raised rate with a slow REST API (250 ms, Twilio from Europe), a wave's calls are placed
together rather than one round trip after another.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from bhc.db import utcnow
from bhc.demo.setup import connect_numbers
from bhc.models import CallLeg, HelpRequest, Neighbourhood, Participant
from bhc.neighbourhoods.services import add_neighbourhood
from tests.e2e.conftest import DEADLINE_S, EXCHANGE, Live
from tests.earlier_matches import add_yesterdays_match
from tests.integration.conftest import volunteer

pytestmark = pytest.mark.e2e

CONNECTED = "Er is nu een buur voor u aan de lijn."
TIME_SCALE = 0.25  # one call per simulated second: four a real second
# Where the order of turns is the point: two calls a real second, so a wave's second turn comes
# well after the engine's first step has queued every caller's first volunteer.
TIMED_SCALE = 0.5
HELPERS = [f"+316200{i:05d}" for i in range(40)]
ACCEPT = dict(answer="human", answer_delay_s=3, press="1", press_delay_s=1, hangup_after_s=60)


def city(database_url: str, *, helpers: int, time_scale: float = TIME_SCALE, **config) -> Live:
    live = Live(database_url, time_scale)
    live.config = live.config.replace(
        matching={"strategy": "waves", "wave_size": 3, "max_attempts": 9,
                  "daily_cap": 100, "weekly_cap": 100},
        ivr={"max_requests_per_hour": 100}, **config)
    live.start()
    with live.exchange.db.session() as session:
        hood = add_neighbourhood(session, "Stadswijk", EXCHANGE, ["2500"], 20000)
        for phone in HELPERS[:helpers]:
            volunteer(session, hood.id, phone)
    connect_numbers(live.exchange)
    return live


@pytest.fixture
def running_city(request, database_url):
    lives = []

    def start(**options) -> Live:
        lives.append(city(database_url, **options))
        return lives[-1]

    yield start
    for live in lives:
        live.stop()


def neighbourhood_id(live: Live) -> int:
    with live.exchange.db.session() as session:
        return session.scalar(select(Neighbourhood.id))


def registered_callers(live: Live, count: int) -> list[str]:
    numbers = [f"+316300{i:05d}" for i in range(count)]
    with live.exchange.db.session() as session:
        for number in numbers:
            volunteer(session, neighbourhood_id(live), number, is_helper=False, is_asker=True,
                      categories=())
    return numbers


def dial_and_choose_together(live: Live, numbers: list[str]) -> dict[str, tuple[str, float]]:
    """Every caller dials and waits in the menu; then all press 1 in the same instant. Returns
    each caller's call sid and the moment (``time.time()``) they pressed."""
    sids = {number: live.dial(number) for number in numbers}
    for sid in sids.values():
        live.wait_for_keys(sid)
    pressed = {}
    barrier = threading.Barrier(len(numbers))

    def press(number: str) -> None:
        barrier.wait(DEADLINE_S)
        pressed[number] = (sids[number], time.time())
        live.net.press(sids[number], "1")

    threads = [threading.Thread(target=press, args=(number,)) for number in numbers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE_S)
    return pressed


def leg_calls(live: Live) -> list:
    """The simulated carrier's calls to volunteers, in the order they were created."""
    return sorted((call for call in live.net.all_calls()
                   if call.is_outbound and "/ivr/volunteer/offer" in (call.setup.url or "")),
                  key=lambda call: call.created)


def request_of_leg(live: Live, call) -> str:
    """The caller's number of the request a volunteer call is for."""
    leg_id = int(parse_qs(urlsplit(call.setup.url).query)["leg"][0])
    with live.exchange.db.session() as session:
        return session.scalar(
            select(Participant.phone).join(HelpRequest, HelpRequest.caller_id == Participant.id)
            .join(CallLeg, CallLeg.request_id == HelpRequest.id).where(CallLeg.id == leg_id))


def test_twelve_callers_on_hold_each_have_a_volunteer_rung_before_any_caller_has_a_second(
        running_city):
    live = running_city(helpers=40, time_scale=TIMED_SCALE)
    for phone in HELPERS:
        live.net.set_behaviour(phone, **ACCEPT)
    numbers = registered_callers(live, 12)
    # All twelve are on hold before the engine looks (with it running, whether the last
    # caller's key came before the first caller's second turn would be a matter of timing).
    live.stop_engine()
    pressed = dial_and_choose_together(live, numbers)
    live.wait_until(lambda _: searching(live) == len(numbers))
    live.start_new_engine()
    for sid, _ in pressed.values():
        live.wait_heard(sid, CONNECTED, timeout=DEADLINE_S * 2)
    first_twelve = leg_calls(live)[:len(numbers)]
    assert sorted(request_of_leg(live, call) for call in first_twelve) == sorted(numbers)
    # At the account's pace: eleven turns from the first of them to the last (one of slack for
    # the REST round trips' jitter); how soon each came on a busy machine is for
    # benchmarks/load.py to measure.
    spread_s = (first_twelve[-1].created - first_twelve[0].created).total_seconds()
    assert spread_s / TIMED_SCALE >= len(numbers) - 2


def searching(live: Live) -> int:
    """How many requests wait for the engine to ring someone."""
    with live.exchange.db.session() as session:
        return session.scalar(select(func.count()).select_from(HelpRequest)
                              .where(HelpRequest.state == "searching"))


def seed_follow_ups_due(live: Live, count: int) -> list[str]:
    """``count`` // 2 matches of earlier days, each with both follow-ups due now; returns the
    numbers the follow-ups will phone."""
    numbers = []
    now = utcnow()
    hood_id = neighbourhood_id(live)
    with live.exchange.db.session() as session:
        for n in range(count // 2):
            asker, helper = f"+316400{2 * n:05d}", f"+316400{2 * n + 1:05d}"
            volunteer(session, hood_id, asker, is_helper=False, is_asker=True, categories=())
            volunteer(session, hood_id, helper, categories=("transport",))
            add_yesterdays_match(session, hood_id, asker, helper, f"CAearlier{n}", now,
                                 follow_ups_due_at=now - timedelta(minutes=1))
            numbers += [asker, helper]
    return numbers


def test_callers_on_hold_go_before_follow_ups_due_at_the_same_moment(running_city):
    live = running_city(helpers=12)
    for phone in HELPERS:
        live.net.set_behaviour(phone, answer="no-answer")
    live.stop_engine()  # both wait for the engine: follow-ups due, callers on hold
    follow_up_numbers = seed_follow_ups_due(live, 20)
    for number in follow_up_numbers:
        live.net.set_behaviour(number, answer="no-answer")
    numbers = registered_callers(live, 3)
    pressed = dial_and_choose_together(live, numbers)
    live.wait_until(lambda _: all("U vraagt hulp" in live.net.heard(sid)
                                  for sid, _ in pressed.values()))
    live.start_new_engine()
    def order() -> list[str]:
        calls = sorted((c for c in live.net.all_calls() if c.is_outbound),
                       key=lambda call: call.created)
        return ["leg" if "/ivr/volunteer/offer" in call.setup.url else "follow-up"
                for call in calls]

    live.wait_until(lambda _: order().count("follow-up") == 20, timeout=DEADLINE_S * 2)
    order = order()
    assert order[:9] == ["leg"] * 9, order  # (a next wave may overtake follow-ups too)
    assert order.count("follow-up") == 20, order
    assert {call.to for call in live.net.all_calls()
            if call.is_outbound and "/ivr/followup/" in call.setup.url} == set(follow_up_numbers)


def test_a_wave_is_placed_at_once_through_a_slow_rest_api(running_city):
    raised = 30  # calls per second, a raised account
    live = running_city(helpers=3, time_scale=0.05, twilio={"calls_per_second": raised / 0.05})
    live.net.set_calls_per_second(raised)
    latency_s = 0.25
    live.net.set_rest_latency(latency_s)
    for phone in HELPERS[:3]:
        live.net.set_behaviour(phone, answer="no-answer")
    (number,) = registered_callers(live, 1)
    dial_and_choose_together(live, [number])
    live.wait_until(lambda _: len(leg_calls(live)) == 3)
    created = [call.created for call in leg_calls(live)]
    spread = (max(created) - min(created)).total_seconds()
    # One after another, the third would come two round trips after the first; together, no
    # call waits for another's round trip (the rest is a loaded machine's thread scheduling).
    assert spread < latency_s, f"the wave's last call started {spread:.3f} s after its first"
