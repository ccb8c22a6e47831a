"""Matching strategies compared on simulated months of requests, driving the real policy.

A discrete-event simulation with a simulated clock: requests arrive as a Poisson process in the
hours volunteers may be rung (quiet hours 21:00-08:00 excluded); every decision (whom to ring,
when to wait, when to give up, whose 1 wins) is taken by ``matching.policy`` (``open_slots``,
``next_action`` with ``rank`` inside, ``accept_wins``), asked as ``bhc.engine`` asks it: when a
call of the request ends (the webhook's wake-up) and when the request has waited ``max_wait_s``
(the engine's poll). What the simulation adds is what the database and the phones do: who is
eligible (neighbourhood, category, availability window via ``matching.availability``, not on a
live call or talking to a caller, not yet rung for this request, not the caller), 30-day
recent-call counts and last-asked times for the fairness order, and how volunteers answer.

The synthetic population (per neighbourhood, seeded): each volunteer covers some of four
categories, has an availability window, an answer probability (mean ~0.55), an answer delay
(median 4-12 s after the phone starts ringing, 1-3 s after the call is placed), and an
acceptance probability per category, scaled so that acceptance among answered offers is the
scenario's level. Unanswered calls end after the ring timeout (20 s); an answered volunteer hears
the offer and decides in 10-20 s; 5 % hang up without a key (counted as no answer). A match
keeps the volunteer busy on the call for a few minutes. The same volunteer asked for the same
request answers the same way under every strategy (common random numbers), so differences
between rows come from the strategies, not from luck.

Figures, per scenario and strategy:
    match rate      matched requests / requests
    median, p90     time to match: from the caller's category choice to the winning 1
    rung/match      calls placed to volunteers / matched requests
    unwanted/vol/mo unwanted calls per volunteer per 30 days. An unwanted call is any call
                    that rang a volunteer without leading to their match: declines, no-answers
                    (including answered without a key), rings cancelled because someone else
                    took the request or the search ended, and answered calls that end with
                    "already taken" (taken while they listened)
    taken/100 req   answered calls that ended with "already taken" (or "search ended") per 100
                    requests: the most irritating kind of unwanted call
    gini            Gini coefficient of calls per volunteer (all volunteers, zeros included)
    t/seq, c/seq    median time to match and rung/match as ratios to ``sequential``

Each scenario is run with several seeds (populations and arrivals) and the figures pooled.

    python benchmarks/strategies.py [--seeds 3] [--months 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import bisect
import heapq
import math
import random
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matching import policy  # noqa: E402
from matching.availability import is_available, parse_windows  # noqa: E402
from matching.fairness import gini  # noqa: E402
from matching.policy import LegOutcome, Limits  # noqa: E402

EPOCH = datetime(2026, 11, 2)  # a Monday, local time
MONTH_S = 30 * 86400
FAIRNESS_WINDOW_S = 30 * 86400  # as bhc.candidates.FAIRNESS_WINDOW
RING_TIMEOUT_S = 20.0
DAY_START_H, DAY_END_H = 8, 21  # outside: quiet hours, nobody is rung, so nobody is asked
CATEGORIES = {"groceries": 0.35, "odd-jobs": 0.25, "transport": 0.25, "chat": 0.15}
AVAILABILITY = {
    "": 0.55,
    "mo-fr 09:00-17:00": 0.15,
    "mo-fr 17:00-21:00; sa-su 10:00-18:00": 0.15,
    "mo,we,fr 08:00-21:00": 0.15,
}


@dataclass(frozen=True)
class Scenario:
    name: str
    acceptance: float  # among answered offers
    requests_per_month: float  # per neighbourhood
    neighbourhoods: int = 1
    volunteers: int = 200  # per neighbourhood


@dataclass(frozen=True)
class Volunteer:
    id: int
    neighbourhood: int
    accept_p: dict[str, float]  # only the categories they cover
    answer_p: float
    answer_median_s: float
    availability: str
    languages: frozenset[str]


@dataclass(frozen=True)
class Request:
    id: int
    neighbourhood: int
    category: str
    language: str
    arrives_s: float
    caller_id: int | None


@dataclass(frozen=True)
class Response:
    """How one volunteer reacts to being rung for one request."""

    answer_after_s: float | None  # since the call was placed; None: rings out
    decide_after_s: float  # since answering
    key: str  # "1", "2" or "" (hung up without a key)


@dataclass
class SimLeg:
    volunteer_id: int
    answered: bool = False
    outcome: LegOutcome | None = None


@dataclass
class SimRequest:
    request: Request
    started_at: datetime
    legs: list[SimLeg] = field(default_factory=list)
    matched_s: float | None = None
    over: bool = False


@dataclass(frozen=True)
class Result:
    requests: int
    matched: int
    times_to_match: list[float]
    calls: int
    unwanted: int
    taken_while_listening: int
    calls_per_volunteer: list[int]
    max_live_legs: int
    months: float
    volunteers: int
    decided: int
    accepted_keys: int

    @property
    def match_rate(self) -> float:
        return self.matched / self.requests if self.requests else 0.0

    @property
    def rung_per_match(self) -> float:
        return self.calls / self.matched if self.matched else math.inf

    @property
    def unwanted_per_volunteer_month(self) -> float:
        return self.unwanted / self.volunteers / self.months

    @property
    def median_s(self) -> float:
        return statistics.median(self.times_to_match) if self.times_to_match else math.nan

    @property
    def p90_s(self) -> float:
        return percentile(self.times_to_match, 0.9)

    @property
    def gini(self) -> float:
        return gini(self.calls_per_volunteer)


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks; nan when there are no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def population(scenario: Scenario, seed: int) -> list[Volunteer]:
    """Volunteers of every neighbourhood, acceptance scaled to the scenario's level."""
    rng = random.Random(f"population/{seed}")
    raw = []
    for neighbourhood in range(scenario.neighbourhoods):
        for _ in range(scenario.volunteers):
            covered = ([c for c in CATEGORIES if rng.random() < 0.6]
                       or [rng.choice(list(CATEGORIES))])
            willingness = rng.betavariate(2, 2)
            affinity = {c: willingness * rng.lognormvariate(0, 0.5) for c in covered}
            raw.append((neighbourhood, affinity, rng.betavariate(2.5, 2), rng.uniform(4, 12),
                        _weighted(rng, AVAILABILITY),
                        frozenset({"nl", "en"} if rng.random() < 0.35 else {"nl"})))
    scale = _acceptance_scale([(a, p) for _, a, p, *_ in raw], scenario.acceptance)
    return [
        Volunteer(index + 1, neighbourhood, {c: min(0.95, scale * x) for c, x in affinity.items()},
                  answer_p, median, availability, languages)
        for index, (neighbourhood, affinity, answer_p, median, availability, languages)
        in enumerate(raw)
    ]


def _acceptance_scale(pairs: list[tuple[dict[str, float], float]], target: float) -> float:
    """The factor that makes acceptance, averaged over answered offers, equal to ``target``."""

    def mean(scale: float) -> float:
        weighted = [(min(0.95, scale * x), answer_p)
                    for affinity, answer_p in pairs for x in affinity.values()]
        return sum(p * w for p, w in weighted) / sum(w for _, w in weighted)

    low, high = 0.0, 50.0
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if mean(middle) < target else (low, middle)
    return (low + high) / 2


def arrivals(scenario: Scenario, volunteers: list[Volunteer], days: int, seed: int
             ) -> list[Request]:
    """Poisson arrivals during the hours volunteers may be rung, in every neighbourhood."""
    rng = random.Random(f"arrivals/{seed}")
    day_s = (DAY_END_H - DAY_START_H) * 3600
    rate = scenario.requests_per_month / (30 * day_s)
    requests: list[Request] = []
    for neighbourhood in range(scenario.neighbourhoods):
        own = [v.id for v in volunteers if v.neighbourhood == neighbourhood]
        active = rng.expovariate(rate)
        while active < days * day_s:
            day, into = divmod(active, day_s)
            arrives = day * 86400 + DAY_START_H * 3600 + into
            caller = rng.choice(own) if rng.random() < 0.1 else None  # a volunteer asking help
            requests.append(Request(0, neighbourhood, _weighted(rng, CATEGORIES),
                                    "en" if rng.random() < 0.15 else "nl", arrives, caller))
            active += rng.expovariate(rate)
    requests.sort(key=lambda r: r.arrives_s)
    return [Request(i + 1, r.neighbourhood, r.category, r.language, r.arrives_s, r.caller_id)
            for i, r in enumerate(requests)]


def respond(volunteer: Volunteer, request: Request, seed: int) -> Response:
    """The volunteer's reaction, the same whichever strategy rings them."""
    rng = random.Random(f"respond/{seed}/{request.id}/{volunteer.id}")
    ringing_after = rng.uniform(1, 3)
    delay = rng.lognormvariate(math.log(volunteer.answer_median_s), 0.35)
    answers = rng.random() < volunteer.answer_p and ringing_after + delay < RING_TIMEOUT_S
    decide = rng.uniform(10, 20)
    if rng.random() < 0.05:
        key = ""
    else:
        key = "1" if rng.random() < volunteer.accept_p.get(request.category, 0) else "2"
    return Response(ringing_after + delay if answers else None, decide, key)


def _at(seconds: float) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


class Simulation:
    """One strategy over the whole period; the engine's facts kept in memory."""

    def __init__(self, volunteers: list[Volunteer], requests: list[Request], limits: Limits,
                 seed: int) -> None:
        self.volunteers = {v.id: v for v in volunteers}
        self.pools: dict[tuple[int, str], list[Volunteer]] = {}  # by neighbourhood, category
        for v in volunteers:
            for category in v.accept_p:
                self.pools.setdefault((v.neighbourhood, category), []).append(v)
        self.windows = {text: parse_windows(text) for text in AVAILABILITY}
        self.requests = requests
        self.limits = limits
        self.seed = seed
        self.rng = random.Random(f"policy/{seed}")
        self.events: list[tuple[float, int, str, object]] = []
        self.sequence = 0
        self.searches: dict[int, SimRequest] = {}
        self.on_call: dict[int, SimLeg] = {}  # volunteer id -> their live leg
        self.talking_until: dict[int, float] = {}
        self.placements: dict[int, list[float]] = {v.id: [] for v in volunteers}
        self.last_asked: dict[int, datetime] = {}
        self.max_live = 0
        self.taken_while_listening = 0
        self.decided = self.accepted_keys = 0

    def schedule(self, at: float, kind: str, payload: object) -> None:
        self.sequence += 1
        heapq.heappush(self.events, (at, self.sequence, kind, payload))

    def run(self, days: int) -> Result:
        for request in self.requests:
            self.schedule(request.arrives_s, "arrive", request)
        while self.events:
            now, _, kind, payload = heapq.heappop(self.events)
            if kind == "arrive":
                self.searches[payload.id] = SimRequest(payload, _at(payload.arrives_s))
                self.schedule(now + self.limits.max_wait_s, "poll", payload.id)
                self.advance(payload.id, now)
            elif kind == "poll":
                self.advance(payload, now)
            else:
                search, leg, response = payload
                if leg.outcome is None:
                    getattr(self, "on_" + kind)(search, leg, response, now)
        calls = [len(self.placements[v]) for v in self.volunteers]
        matched = [s for s in self.searches.values() if s.matched_s is not None]
        return Result(
            requests=len(self.searches),
            matched=len(matched),
            times_to_match=[s.matched_s - s.request.arrives_s for s in matched],
            calls=sum(calls),
            unwanted=sum(calls) - len(matched),
            taken_while_listening=self.taken_while_listening,
            calls_per_volunteer=calls,
            max_live_legs=self.max_live,
            months=days * 86400 / MONTH_S,
            volunteers=len(self.volunteers),
            decided=self.decided,
            accepted_keys=self.accepted_keys,
        )

    # -- what the phones do ---------------------------------------------------------------

    def on_answer(self, search: SimRequest, leg: SimLeg, response: Response, now: float) -> None:
        leg.answered = True
        self.schedule(now + response.decide_after_s, "decide", (search, leg, response))

    def on_ring_out(self, search: SimRequest, leg: SimLeg, response: Response, now: float
                    ) -> None:
        self.end(leg, LegOutcome.NO_ANSWER)
        self.advance(search.request.id, now)

    def on_decide(self, search: SimRequest, leg: SimLeg, response: Response, now: float) -> None:
        if response.key:
            self.decided += 1
            self.accepted_keys += response.key == "1"
        if response.key == "1" and policy.accept_wins(self.search(search), leg.volunteer_id):
            self.end(leg, LegOutcome.ACCEPTED)
            search.matched_s = now
            self.talking_until[leg.volunteer_id] = now + random.Random(
                f"talk/{self.seed}/{search.request.id}").lognormvariate(math.log(240), 0.5)
            self.stop_live_legs(search)
        elif response.key == "1":
            self.end(leg, LegOutcome.WITHDRAWN)
            self.taken_while_listening += 1
        else:
            self.end(leg, LegOutcome.DECLINED if response.key == "2" else LegOutcome.NO_ANSWER)
        self.advance(search.request.id, now)

    def end(self, leg: SimLeg, outcome: LegOutcome) -> None:
        leg.outcome = outcome
        del self.on_call[leg.volunteer_id]

    def stop_live_legs(self, search: SimRequest) -> None:
        """Matched or given up: ringing calls are cancelled, answered ones hear it is over."""
        for leg in search.legs:
            if leg.outcome is None:
                self.taken_while_listening += leg.answered
                self.end(leg, LegOutcome.WITHDRAWN)

    # -- what the engine does -------------------------------------------------------------

    def search(self, search: SimRequest) -> policy.Search:
        return policy.Search(
            request_id=search.request.id,
            caller_id=search.request.caller_id,
            started_at=search.started_at,
            legs=tuple(policy.Leg(leg.volunteer_id, leg.outcome) for leg in search.legs),
            matched=search.matched_s is not None,
        )

    def candidates(self, search: SimRequest, now: float) -> list[policy.Candidate]:
        request = search.request
        asked = {leg.volunteer_id for leg in search.legs}
        moment = _at(now)
        if not DAY_START_H <= moment.hour < DAY_END_H:
            return []  # quiet hours
        available = {text: is_available(windows, moment) for text, windows in self.windows.items()}
        eligible = []
        for volunteer in self.pools.get((request.neighbourhood, request.category), []):
            if (volunteer.id in asked or volunteer.id == request.caller_id
                    or volunteer.id in self.on_call or self.talking_until.get(volunteer.id, 0) > now
                    or not available[volunteer.availability]):
                continue
            placed = self.placements[volunteer.id]
            eligible.append(policy.Candidate(
                volunteer.id,
                recent_calls=len(placed) - bisect.bisect_left(placed, now - FAIRNESS_WINDOW_S),
                last_asked_at=self.last_asked.get(volunteer.id),
                speaks_caller_language=request.language in volunteer.languages,
            ))
        return eligible

    def advance(self, request_id: int, now: float) -> None:
        """One engine step for one request, as ``bhc.engine.Engine._advance`` takes it."""
        search = self.searches[request_id]
        if search.over:
            return
        state = self.search(search)
        moment = _at(now)
        candidates = self.candidates(search, now) if policy.open_slots(state, self.limits) else []
        action = policy.next_action(state, candidates, self.limits, moment, self.rng)
        if isinstance(action, policy.Ring):
            for volunteer_id in action.volunteer_ids:
                self.place(search, self.volunteers[volunteer_id], now)
            self.max_live = max(self.max_live, sum(leg.outcome is None for leg in search.legs))
        elif isinstance(action, policy.GiveUp):
            search.over = True
            self.stop_live_legs(search)
        elif search.matched_s is not None:
            search.over = True

    def place(self, search: SimRequest, volunteer: Volunteer, now: float) -> None:
        assert volunteer.id not in self.on_call, "rang a volunteer who is on another call"
        leg = SimLeg(volunteer.id)
        search.legs.append(leg)
        self.on_call[volunteer.id] = leg
        self.placements[volunteer.id].append(now)
        self.last_asked[volunteer.id] = _at(now)
        response = respond(volunteer, search.request, self.seed)
        if response.answer_after_s is None:
            self.schedule(now + RING_TIMEOUT_S, "ring_out", (search, leg, response))
        else:
            self.schedule(now + response.answer_after_s, "answer", (search, leg, response))


def simulate(scenario: Scenario, limits: Limits, days: int, seed: int) -> Result:
    volunteers = population(scenario, seed)
    requests = arrivals(scenario, volunteers, days, seed)
    return Simulation(volunteers, requests, limits, seed).run(days)


def pooled(results: list[Result]) -> Result:
    """Several runs (seeds) of one scenario and strategy as one: their volunteers side by side."""
    return Result(
        requests=sum(r.requests for r in results),
        matched=sum(r.matched for r in results),
        times_to_match=[t for r in results for t in r.times_to_match],
        calls=sum(r.calls for r in results),
        unwanted=sum(r.unwanted for r in results),
        taken_while_listening=sum(r.taken_while_listening for r in results),
        calls_per_volunteer=[c for r in results for c in r.calls_per_volunteer],
        max_live_legs=max(r.max_live_legs for r in results),
        months=results[0].months,
        volunteers=sum(r.volunteers for r in results),
        decided=sum(r.decided for r in results),
        accepted_keys=sum(r.accepted_keys for r in results),
    )


STRATEGIES: dict[str, Limits] = {
    "sequential": Limits(strategy="sequential"),
    "waves k=2": Limits(strategy="waves", wave_size=2),
    "waves k=3": Limits(strategy="waves", wave_size=3),
    "waves k=4": Limits(strategy="waves", wave_size=4),
}

SCENARIOS = [
    Scenario("Haarlem scale, 30% acceptance", 0.30, 300),
    Scenario("Haarlem scale, 15% acceptance", 0.15, 300),
    Scenario("Haarlem scale, 50% acceptance", 0.50, 300),
    Scenario("busier: 2 neighbourhoods x 600 requests/month, 30% acceptance", 0.30, 600,
             neighbourhoods=2),
]


def table(results: dict[str, Result]) -> str:
    base = results["sequential"]
    lines = [
        f"{'strategy':<12}{'match':>7}{'median':>8}{'p90':>6}{'rung/':>7}{'unwanted':>10}"
        f"{'taken/':>8}{'gini':>6}{'t/seq':>7}{'c/seq':>7}",
        f"{'':<12}{'rate':>7}{'s':>8}{'s':>6}{'match':>7}{'/vol/mo':>10}"
        f"{'100 req':>8}{'':>6}{'':>7}{'':>7}",
    ]
    for name, r in results.items():
        lines.append(
            f"{name:<12}{r.match_rate:>7.1%}{r.median_s:>8.0f}{r.p90_s:>6.0f}"
            f"{r.rung_per_match:>7.2f}{r.unwanted_per_volunteer_month:>10.2f}"
            f"{100 * r.taken_while_listening / r.requests:>8.1f}{r.gini:>6.2f}"
            f"{r.median_s / base.median_s:>7.2f}{r.rung_per_match / base.rung_per_match:>7.2f}")
    return "\n".join(lines)


def _job(job: tuple[Scenario, Limits, int, int]) -> Result:
    return simulate(*job)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="runs per scenario, pooled")
    parser.add_argument("--months", type=int, default=2, help="simulated months per run")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    days = 30 * args.months
    seeds = range(1, args.seeds + 1)
    started = time.perf_counter()
    jobs = [(scenario, limits, days, seed)
            for scenario in SCENARIOS for limits in STRATEGIES.values() for seed in seeds]
    with ProcessPoolExecutor(args.workers) as pool:
        runs = iter(pool.map(_job, jobs))
    for scenario in SCENARIOS:
        results = {name: pooled([next(runs) for _ in seeds]) for name in STRATEGIES}
        base = results["sequential"]
        volunteers = scenario.neighbourhoods * scenario.volunteers
        print(f"\n== {scenario.name}: {args.seeds} x {volunteers} volunteers, "
              f"{base.requests} requests in {args.seeds} x {args.months} months; "
              f"acceptance among answered offers {base.accepted_keys / max(1, base.decided):.0%}")
        print(table(results))
    print(f"\n({time.perf_counter() - started:.0f} s on {args.workers} workers)")


if __name__ == "__main__":
    main()
