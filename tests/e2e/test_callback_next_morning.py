"""Unmatched in the evening, called back in the morning: the call-back waits for quiet hours to
end, without anyone being rung in them, then bridges resident and volunteer."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from bhc.db import utcnow
from bhc.models import CallLeg, HelpRequest, Match, Neighbourhood
from tests.e2e.conftest import CALLER, HISTORY, VOLUNTEERS
from tests.e2e.test_calls import ACCEPT, ask_for_groceries

pytestmark = pytest.mark.e2e
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def quiet_hours_around_now() -> str:
    """A quiet-hours range that covers this moment, as if it were late in the evening."""
    local = utcnow().replace(tzinfo=ZoneInfo("UTC")).astimezone(AMSTERDAM)
    start, end = local - timedelta(hours=1), local + timedelta(hours=1)
    return f"{start:%H:%M}-{end:%H:%M}"


def legs_of_the_request(live) -> int:
    with live.exchange.db.session() as session:
        return session.scalar(select(func.count(CallLeg.id)).join(HelpRequest)
                              .where(HelpRequest.call_sid != HISTORY))


def test_an_evening_request_is_called_back_when_the_quiet_hours_end(live):
    for number in VOLUNTEERS:
        live.net.set_behaviour(number, **ACCEPT)
    live.net.set_behaviour(CALLER, answer="human", answer_delay_s=1, press="1",
                           press_delay_s=1)
    with live.exchange.db.session() as session:
        session.execute(update(Neighbourhood).values(quiet_hours=quiet_hours_around_now()))

    # In the evening nobody may be rung: the caller hears so and asks to be called back.
    sid = ask_for_groceries(live)
    assert live.wait_state("unmatched").outcome == "no_candidates"
    live.wait_heard(sid, "Druk 1 als u wilt dat we u terugbellen")
    live.choose(sid, "1")
    live.wait_heard(sid, "We bellen u op dit nummer terug zodra een buur kan helpen.")
    live.wait_status(sid, "completed")
    assert live.wait_state("callback_due").state == "callback_due"

    # Call-back rounds come round (every second here) but the quiet hours still hold.
    live.wait_until(lambda _: live.request().next_round_at is not None)
    first_round = live.request().next_round_at
    live.wait_until(lambda _: live.request().next_round_at != first_round)
    assert legs_of_the_request(live) == 0

    # Morning: the quiet hours are over, a volunteer is rung, accepts, and we phone the resident.
    with live.exchange.db.session() as session:
        session.execute(update(Neighbourhood).values(quiet_hours=""))
    live.wait_until(lambda _: live.request().outcome == "called_back")
    volunteer = live.rung()[0]
    back = live.calls_to(CALLER)[-1]
    helper = live.calls_to(volunteer)[-1]
    live.wait_until(lambda net: net.call(back["sid"])["bridged_with"] == helper["sid"])
    assert "We bellen u terug over boodschappen doen" in live.net.heard(back["sid"])
    with live.exchange.db.session() as session:
        match = session.scalar(select(Match))
        assert match is not None and match.helper_id is not None
    assert legs_of_the_request(live) == 1
