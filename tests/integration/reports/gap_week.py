"""A seeded neighbourhood for "where helpers are missing", with its grid worked out by hand
(tests/integration/reports/test_gaps.py and the browser tests read it)."""

from __future__ import annotations

import itertools
from datetime import datetime, time, timedelta

from bhc.localtime import local_date, to_utc
from bhc.models import HelpRequest, Participant, ParticipantCategory
from bhc.neighbourhoods.services import add_neighbourhood

NAME = "Segbroek"
DAYS = ("mo", "tu", "we", "th", "fr", "sa", "su")
# Segbroek's quiet hours are 21:00-08:00, so hours 0-7 and 21-23 are quiet.
HELPERS = [  # (name, categories, availability, what else)
    ("H1", ("groceries",), "mo-fr 09:00-17:00", {}),
    ("H2", ("groceries", "chat"), "mo-fr 16:30-21:00; sa 10:00-12:00", {}),
    ("H3", ("groceries",), "sa-su 08:00-23:00", {}),  # until 21:00: quiet hours after
    ("H4", ("groceries",), "", {"paused": True}),  # paused for three more days
    ("H5", ("groceries",), "", {"call_consent": False}),
    ("H6", ("groceries",), "mo 09:45-10:15", {}),  # a quarter of each hour: counts in none
    ("H7", ("groceries",), "weekdays", {}),  # unreadable: never rung
    ("H8", ("groceries",), "", {"opted_out": True}),
    ("H9", ("chat",), "th 14:00-15:00", {}),
]
# (weeks before this week, day, local time, category, state, outcome)
REQUESTS = [
    (4, "mo", "08:15", "groceries", "unmatched", "no_candidates"),  # R1
    (1, "mo", "08:40", "groceries", "unmatched", "no_answer"),  # R2
    (2, "mo", "08:05", "groceries", "matched", "matched"),  # R3
    (1, "tu", "08:30", "groceries", "unmatched", "all_declined"),  # R4: someone was there
    (5, "sa", "10:30", "groceries", "matched", "matched"),  # R5
    (1, "su", "21:30", "groceries", "unmatched", "no_candidates"),  # R6: in quiet hours
    (1, "th", "14:20", "chat", "unmatched", "no_answer"),  # R7: H9 did not answer
    (1, "su", "12:00", "chat", "unmatched", "no_candidates"),  # R8
    (2, "su", "16:10", "chat", "unmatched", "no_candidates"),  # R9
    (1, "fr", "10:00", "transport", "unmatched", "no_candidates"),  # R10
    (1, "we", "12:00", "groceries", "callback_due", "callback_requested"),  # R11
    (1, "mo", "09:00", None, "abandoned", "hung_up_in_menu"),  # no category: not a request
    (14, "mo", "08:30", "groceries", "unmatched", "no_candidates"),  # before the 13 weeks
]
OTHER_REQUESTS = [(1, "mo", "08:30", "groceries", "unmatched", "no_candidates")]  # Duinoord


def _local(now: datetime, weeks: int, day: str, clock: str) -> datetime:
    """The moment (naive UTC) of a local weekday and time, ``weeks`` weeks before now's."""
    today = local_date(now)
    monday = today - timedelta(days=today.weekday(), weeks=weeks)
    hour, minute = (int(part) for part in clock.split(":"))
    return to_utc(datetime.combine(monday + timedelta(days=DAYS.index(day)),
                                   time(hour, minute)))


def seed(session, now: datetime) -> int:
    """Segbroek (and Duinoord, whose helper and request must not count): returns Segbroek's
    id."""
    segbroek = add_neighbourhood(session, NAME, "+31702000001", ["2551"], 12000)
    segbroek.quiet_hours = "21:00-08:00"  # whatever the exchange's default
    duinoord = add_neighbourhood(session, "Duinoord", "+31702000002", ["2518"], 3000)
    phones = (f"+316123400{n:02d}" for n in itertools.count(1))
    for name, categories, availability, other in [*HELPERS, ("D1", ("groceries",), "", {})]:
        person = Participant(
            name=name, phone=next(phones), neighbourhood_id=duinoord.id if name == "D1"
            else segbroek.id, is_helper=True, is_asker=False, availability=availability,
            call_consent=other.get("call_consent", True), opted_out=other.get("opted_out", False),
            paused_until=now + timedelta(days=3) if other.get("paused") else None,
            created_at=now - timedelta(weeks=20))
        person.categories = [ParticipantCategory(slug=slug) for slug in categories]
        session.add(person)
    sids = itertools.count(1)
    for where, requests in ((segbroek.id, REQUESTS), (duinoord.id, OTHER_REQUESTS)):
        for weeks, day, clock, slug, state, outcome in requests:
            at = _local(now, weeks, day, clock)
            session.add(HelpRequest(call_sid=f"CAgap{next(sids):028d}", neighbourhood_id=where,
                                    category_slug=slug, state=state, outcome=outcome,
                                    created_at=at, searching_since=at))
    session.flush()
    return segbroek.id


def row(*runs) -> list:
    """A day's 24 hours from runs of (value, hours)."""
    cells = [value for value, hours in runs for _ in range(hours)]
    assert len(cells) == 24
    return cells


QUIET_DAY = row((None, 24))
OPEN = 13  # 08:00-21:00
# Helpers per hour, worked out by hand (None: quiet hours).
GROCERIES = {
    # 08: nobody. 09-15: H1 (H6 has only 15 minutes of 09 and of 10). 16: H1 and H2 (16:30-17:00
    # is half the hour). 17-20: H2.
    "weekday": row((None, 8), (0, 1), (1, 7), (2, 1), (1, 4), (None, 3)),
    # H3 all day; H2 10:00-12:00 too.
    "sa": row((None, 8), (1, 2), (2, 2), (1, 9), (None, 3)),
    "su": row((None, 8), (1, OPEN), (None, 3)),
}
CHAT = {
    "weekday": row((None, 8), (0, 8), (1, 5), (None, 3)),  # H2 16:30-21:00
    "th": row((None, 8), (0, 6), (1, 1), (0, 1), (1, 5), (None, 3)),  # and H9 at 14
    "sa": row((None, 8), (0, 2), (1, 2), (0, 9), (None, 3)),  # H2 10:00-12:00
    "su": row((None, 8), (0, OPEN), (None, 3)),
}
EMPTY_DAY = row((None, 8), (0, OPEN), (None, 3))  # a category nobody helps with
