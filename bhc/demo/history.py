"""Three months of made-up history for the demo, so a coordinator opening the report, the request
log or the surveys sees what a running exchange shows, not empty tables.

The history is generated with a fixed seed from the sample residents: requests spread over
daytime hours, volunteers rung one after another (some don't answer, some decline), matches
with follow-up answers, a few searches that found nobody, and the sample survey. It is written
once; a second ``bhc demo`` on the same database leaves it as it is.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bhc.calls.models import (
    CallLeg,
    HelpRequest,
    LegOutcome,
    LegStatus,
    Match,
    RequestOutcome,
    RequestState,
)
from bhc.config import Config
from bhc.followups.models import FollowUp, FollowUpOutcome, FollowUpSide, FollowUpState
from bhc.neighbourhoods.models import Neighbourhood
from bhc.people.models import Participant
from bhc.surveys.services import import_survey

SURVEY_SAMPLE = Path(__file__).parents[1] / "sample" / "survey_segbroek.csv"
MARK = "demo-history-"  # call sids of generated requests start with this
DAYS = 92
REQUESTS_PER_DAY = 0.9  # about what one district of The Hague had: 500 matches in two years
SEED = 2007
_NOT_REACHED = {"no_answer": (LegStatus.NO_ANSWER, LegOutcome.NO_ANSWER),
                "busy": (LegStatus.BUSY, LegOutcome.BUSY)}


@dataclass(frozen=True)
class Seeded:
    requests: int
    matches: int


def seed_history(session: Session, neighbourhood_name: str, now: datetime,
                 config: Config) -> Seeded | None:
    """Write the history unless it is there already; None when nothing was written."""
    if session.scalar(select(HelpRequest.id).where(HelpRequest.call_sid.startswith(MARK))):
        return None
    neighbourhood = session.scalar(select(Neighbourhood)
                                   .where(Neighbourhood.name == neighbourhood_name))
    people = list(session.scalars(select(Participant)
                                  .where(Participant.neighbourhood_id == neighbourhood.id)
                                  .order_by(Participant.id)))
    # The sample residents joined before the history starts, over a few weeks.
    rng = random.Random(SEED)
    start = now - timedelta(days=DAYS)
    for person in people:
        joined = start - timedelta(days=rng.randint(7, 60))
        session.execute(update(Participant).where(Participant.id == person.id)
                        .values(created_at=joined,
                                consent_at=joined if person.call_consent else None))
    askers = [p for p in people if p.is_asker]
    helpers = [p for p in people if p.is_helper and p.call_consent]
    requests = matches = 0
    for day in range(DAYS):
        for _ in range(_poisson(rng, REQUESTS_PER_DAY)):
            moment = (start + timedelta(days=day)).replace(hour=0, minute=0, second=0,
                                                           microsecond=0)
            moment += timedelta(hours=rng.randint(8, 19), minutes=rng.randint(0, 59))
            if moment > now - timedelta(hours=2):  # the history ends before today's calls
                continue
            asker = rng.choice(askers)
            matched = _one_request(session, rng, neighbourhood.id, asker, helpers, moment,
                                   f"{MARK}{requests}")
            requests += 1
            matches += matched
    survey = import_survey(session, SURVEY_SAMPLE.read_text(encoding="utf-8"), config.survey,
                           now)
    if survey.errors:
        raise RuntimeError(f"the sample survey has errors: {survey.errors}")
    return Seeded(requests=requests, matches=matches)


def _one_request(session: Session, rng: random.Random, neighbourhood_id: int,
                 asker: Participant, helpers: list[Participant], moment: datetime,
                 call_sid: str) -> bool:
    """One call for help: the menu choice, volunteers rung in turn, and how it ended."""
    slug = rng.choices(["groceries", "odd-jobs", "transport", "chat", "dog-walking", "helpdesk",
                        "babysitting"], weights=[30, 20, 15, 12, 10, 10, 3])[0]
    chosen = moment + timedelta(seconds=rng.randint(15, 40))
    request = HelpRequest(call_sid=call_sid, neighbourhood_id=neighbourhood_id,
                          caller_id=asker.id, category_slug=slug,
                          language="en" if "en" in asker.language_list[:1] else "nl",
                          state=RequestState.SEARCHING, created_at=moment,
                          searching_since=chosen)
    session.add(request)
    session.flush()
    willing = [h for h in helpers if slug in h.category_slugs and h.id != asker.id]
    rng.shuffle(willing)
    clock = chosen
    for rung, helper in enumerate(willing[:5], start=1):
        leg = CallLeg(request_id=request.id, volunteer_id=helper.id, placed_at=clock,
                      sid=f"{call_sid}-{rung}")
        session.add(leg)
        kind = rng.choices(["accept", "decline", "no_answer", "busy"], weights=[30, 30, 35, 5])[0]
        if kind in ("no_answer", "busy"):
            clock += timedelta(seconds=20 if kind == "no_answer" else 2)
            leg.status, leg.outcome = _NOT_REACHED[kind]
            leg.ended_at = clock
            continue
        leg.answered_at = clock + timedelta(seconds=rng.randint(4, 15))
        leg.answered_by = "human"
        leg.decided_at = leg.answered_at + timedelta(seconds=rng.randint(5, 20))
        leg.key_pressed = "1" if kind == "accept" else "2"
        leg.outcome = LegOutcome.ACCEPTED if kind == "accept" else LegOutcome.DECLINED
        leg.status = LegStatus.COMPLETED
        clock = leg.decided_at
        if kind == "decline":
            leg.ended_at = clock + timedelta(seconds=3)
            continue
        leg.ended_at = clock + timedelta(minutes=rng.randint(2, 12))
        session.flush()
        match = Match(request_id=request.id, leg_id=leg.id, helper_id=helper.id,
                      asker_id=asker.id, matched_at=clock,
                      time_to_match_s=(clock - chosen).total_seconds(), volunteers_rung=rung)
        session.add(match)
        session.flush()
        request.state, request.outcome = RequestState.MATCHED, RequestOutcome.MATCHED
        request.ended_at = leg.ended_at
        _follow_ups(session, rng, match, clock)
        return True
    request.state, request.ended_at = RequestState.UNMATCHED, clock
    declined = all(leg.outcome == LegOutcome.DECLINED for leg in request.legs)
    request.outcome = (RequestOutcome.NO_CANDIDATES if not willing else
                       RequestOutcome.ALL_DECLINED if declined else RequestOutcome.NO_ANSWER)
    return False


def _follow_ups(session: Session, rng: random.Random, match: Match, matched_at: datetime) -> None:
    """The next morning's short calls: most are answered, and most say help was given."""
    asked_at = (matched_at + timedelta(days=1)).replace(hour=10, minute=rng.randint(0, 30))
    helped = rng.random() < 0.85
    for side in FollowUpSide:
        if rng.random() < 0.2:
            session.add(FollowUp(match_id=match.id, side=side, state=FollowUpState.UNREACHABLE,
                                 due_at=asked_at, attempts=2, outcome=FollowUpOutcome.NO_ANSWER,
                                 last_called_at=asked_at))
            continue
        follow_up = FollowUp(match_id=match.id, side=side, state=FollowUpState.ANSWERED,
                             due_at=asked_at,
                             attempts=1, last_called_at=asked_at,
                             answered_at=asked_at + timedelta(seconds=40))
        if side == FollowUpSide.ASKER:
            follow_up.helped = helped
            follow_up.wants_contact_again = helped and rng.random() < 0.7
        else:
            follow_up.could_help = helped or rng.random() < 0.3
        session.add(follow_up)


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small means of a neighbourhood's day."""
    limit, count, product = 2.718281828459045 ** -mean, 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count
