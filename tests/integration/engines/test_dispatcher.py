"""The dispatcher: every outbound call in one queue, placed in priority order (fair between
callers on hold), at the account's pace over every engine, and recovery that reclaims only
what engines that are gone were placing."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from bhc.bootstrap import build
from bhc.calls import lost_legs
from bhc.calls.carrier import CarrierError
from bhc.db import utcnow
from bhc.engines import heartbeat
from bhc.engines.dispatcher import Dial, Dispatcher, Priority, waiting
from bhc.engines.models import CarrierPace, OutboundCall
from bhc.models import CallLeg, HelpRequest
from tests.integration.conftest import FakeCarrier, ProcessDied, next_engine
from tests.integration.test_webhooks import CALL, request_of, start


class Recording(FakeCarrier):
    """A fake carrier that notes when each call was asked for."""

    def __init__(self, latency_s: float = 0.0) -> None:
        super().__init__()
        self.latency_s = latency_s
        self.asked: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def place_call(self, *, to, **kwargs):
        with self._lock:
            self.asked.append((time.monotonic(), to))
        time.sleep(self.latency_s)
        with self._lock:
            return super().place_call(to=to, **kwargs)


def kind():
    """A kind of call that is always wanted, and what happened to each of its calls."""
    recorded = {"placed": [], "failed": [], "interrupted": []}

    class Kind:
        def at_turn(self, session, ref_id):
            return True

        def placed(self, session, ref_id, sid):
            recorded["placed"].append(ref_id)
            return False

        def failed(self, session, ref_id, error):
            recorded["failed"].append(ref_id)

        def interrupted(self, session, ref_id):
            recorded["interrupted"].append(ref_id)

    return Kind(), recorded


def queue(placing: Dispatcher, entries) -> None:
    """Queue test calls: (ref_id, priority, position) each, to +316<ref_id>."""
    with placing.db.session() as session:
        for ref_id, priority, position in entries:
            placing.enqueue(session, "test", ref_id,
                    Dial(f"+316{ref_id:08d}", "+31702000001", "http://x/answer",
                         "http://x/status"), priority, position)


def dispatcher(database, carrier, cps=1000.0, **options):
    test_kind, recorded = kind()
    return Dispatcher(database, carrier, {"test": test_kind}, calls_per_second=cps,
                      ring_timeout_s=20, **options), recorded


def assert_paced(moments: list[float], interval_s: float) -> None:
    """Never faster than the pace. Each call has its moment, strictly one interval after the
    one before; a carrier worker may start a request late (on a busy machine: the next, on
    time, follows closer, and a carrier queues that one a moment), never early. So over the
    run the calls span nearly their intervals (the first may have started late), and no two
    intervals ever hold three calls."""
    span = moments[-1] - moments[0]
    assert span >= 0.75 * (len(moments) - 1) * interval_s, moments
    pairs = [moments[i + 2] - moments[i] for i in range(len(moments) - 2)]
    assert min(pairs) >= interval_s, moments


def test_calls_go_by_priority_and_callers_on_hold_take_turns(database):
    carrier = Recording()
    placing, recorded = dispatcher(database, carrier)
    queue(placing, [(1, Priority.FOLLOW_UP, 0), (2, Priority.FOLLOW_UP, 0)]
          + [(10 + n, Priority.CALLER_ON_HOLD, n) for n in range(3)]  # an older caller's wave
          + [(20 + n, Priority.CALLER_ON_HOLD, n) for n in range(3)]  # a newer caller's
          + [(30, Priority.SIGN_UP_CODE, 0), (40, Priority.CALL_BACK, 0)])
    with database.session() as session:
        assert waiting(session) == 10
    placing.run_inline()
    assert recorded["placed"] == [10, 20, 11, 21, 12, 22, 40, 30, 1, 2]
    with database.session() as session:
        assert waiting(session) == 0
        assert session.scalars(select(OutboundCall)).all() == []


def test_a_newer_callers_first_volunteer_goes_before_the_rest_of_an_older_wave(database):
    """Even when the newer wave is queued after the older one's first call went out."""
    carrier = Recording()
    placing, recorded = dispatcher(database, carrier, cps=5, idle_poll_s=0.01)
    placing.start("a" * 32)
    try:
        queue(placing, [(10 + n, Priority.CALLER_ON_HOLD, n) for n in range(3)])
        placing.wake()
        deadline = time.monotonic() + 10
        while not recorded["placed"] and time.monotonic() < deadline:
            time.sleep(0.005)
        queue(placing, [(20 + n, Priority.CALLER_ON_HOLD, n) for n in range(3)])
        while len(recorded["placed"]) < 6 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        placing.stop()
    assert recorded["placed"] == [10, 20, 11, 21, 12, 22]


def test_calls_are_paced_to_the_accounts_calls_per_second(database):
    carrier = Recording()
    placing, _ = dispatcher(database, carrier, cps=5)
    queue(placing, [(n, Priority.CALLER_ON_HOLD, n) for n in range(5)])
    placing.run_inline()
    assert_paced([at for at, _ in carrier.asked], interval_s=0.2)


def test_a_refused_call_is_recorded_and_the_next_one_placed(database):
    carrier = Recording()
    carrier.fail_next = 1
    placing, recorded = dispatcher(database, carrier)
    queue(placing, [(1, Priority.CALLER_ON_HOLD, 0), (2, Priority.CALLER_ON_HOLD, 1)])
    placing.run_inline()
    assert (recorded["failed"], recorded["placed"]) == ([1], [2])


def test_a_wave_is_placed_at_once_however_slow_the_carrier_answers(database):
    carrier = Recording(latency_s=0.25)
    placing, recorded = dispatcher(database, carrier, cps=100, idle_poll_s=0.05)
    placing.start("a" * 32)
    try:
        queue(placing, [(n, Priority.CALLER_ON_HOLD, n) for n in range(3)])
        placing.wake()
        deadline = time.monotonic() + 10
        while len(recorded["placed"]) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        placing.stop()
    moments = [at for at, _ in carrier.asked]
    assert len(moments) == 3 and moments[-1] - moments[0] < 0.1, moments


def test_the_pace_is_shared_through_the_database(database):
    """Another engine process that just placed a call moved the account's next free moment:
    this one waits for it."""
    carrier = Recording()
    placing, recorded = dispatcher(database, carrier, cps=1)
    free_at, free_at_monotonic = time.time() + 0.5, time.monotonic() + 0.5
    with database.session() as session:
        session.execute(delete(CarrierPace))
        session.add(CarrierPace(id=1, next_at=free_at))
    queue(placing, [(1, Priority.CALLER_ON_HOLD, 0)])
    placing.run_inline()
    assert recorded["placed"] == [1]
    assert carrier.asked[0][0] >= free_at_monotonic - 0.01
    with database.session() as session:  # and the next call's moment is a second later
        assert session.scalar(select(CarrierPace.next_at)) == pytest.approx(free_at + 1.0)


def test_only_claims_of_engines_that_are_gone_are_reclaimed(database):
    placing, recorded = dispatcher(database, Recording())
    now = utcnow()
    with database.session() as session:
        live = heartbeat.register(session, now)
        heartbeat.alive(session, live, now)
        gone = heartbeat.register(session, now - heartbeat.ENGINE_GONE_AFTER * 2)
        stopped = heartbeat.register(session, now)
        heartbeat.stopped(session, stopped, now)
    queue(placing, [(1, Priority.CALLER_ON_HOLD, 0), (2, Priority.CALLER_ON_HOLD, 0),
                     (3, Priority.CALLER_ON_HOLD, 0), (4, Priority.CALLER_ON_HOLD, 0)])
    with database.session() as session:
        for ref_id, engine_id in ((1, live), (2, gone), (3, stopped)):
            session.execute(update(OutboundCall).where(OutboundCall.ref_id == ref_id)
                            .values(claimed_by=engine_id, claimed_at=now))
    assert placing.reclaim() == 2
    assert sorted(recorded["interrupted"]) == [2, 3]
    with database.session() as session:
        assert sorted(session.scalars(select(OutboundCall.ref_id))) == [1, 4]


# --- the engine's own calls --------------------------------------------------------------------


def ask(phone, sid=CALL):
    start(phone, sid)
    phone.post("/ivr/menu?try=1", CallSid=sid, Digits="1")


def legs(exchange) -> list[CallLeg]:
    with exchange.db.session() as session:
        return session.scalars(select(CallLeg).order_by(CallLeg.id)).all()


def test_an_engine_dying_while_placing_never_rings_that_volunteer_again(
        phone, exchange, carrier):
    carrier.die_next = 1  # the carrier takes the call; the engine never hears back
    ask(phone)
    with pytest.raises(ProcessDied):
        exchange.engine.tick()
    next_engine(exchange)
    exchange.engine.tick()  # that call may have rung, so the search moves on
    rung = [call["to"] for call in carrier.placed]
    assert len(rung) == 2 and rung[0] != rung[1]
    first, second = legs(exchange)
    assert (first.status, first.outcome, first.sid) == ("placing", "failed", None)
    assert "interrupted" in first.error, "over for the request; the phone may still ring"
    assert (second.status, second.outcome) == ("queued", None)
    matching = exchange.config.matching
    later = utcnow() + lost_legs.Limits.of(matching.ring_timeout_s, matching.max_wait_s).no_news \
        + timedelta(seconds=1)
    exchange.engine.clock = lambda: later
    exchange.engine.tick()  # no news of it ever came: its volunteer is free again
    first = legs(exchange)[0]
    assert (first.status, first.outcome, first.ended_at) == ("failed", "failed", later)


def test_a_leg_that_ended_before_its_dead_engine_was_noticed_is_marked_interrupted_too(
        phone, exchange, carrier):
    """The call went out and its status callbacks ended the leg (which they name) before the
    engine's death was noticed: the leg keeps how it ended, and says the engine never heard
    of its call (it may have rung with no sid to stop it by)."""
    carrier.die_next = 1
    ask(phone)
    with pytest.raises(ProcessDied):
        exchange.engine.tick()
    placed = carrier.placed[0]
    phone.post(placed["status_callback"].removeprefix(phone.base),
               CallSid=placed["sid"], CallStatus="completed")
    ended = legs(exchange)[0]
    assert (ended.status, ended.outcome, ended.error) == ("completed", "no_response", None)
    next_engine(exchange)
    exchange.engine.tick()
    first = legs(exchange)[0]
    assert (first.status, first.outcome) == ("completed", "no_response")
    assert "interrupted" in first.error


def next_free_moment(exchange, at: float) -> None:
    """When the account may next create a call (seconds since the epoch)."""
    with exchange.db.session() as session:
        session.execute(delete(CarrierPace))
        session.add(CarrierPace(id=1, next_at=at))


def another_engine(exchange, carrier):
    """A second engine process over the same database, running (its dispatcher and heartbeat
    threads started)."""
    other = build(exchange.config, carrier=carrier)
    other.engine.start()
    return other.engine


class HeldCarrier(FakeCarrier):
    """Holds every call request until released, as a slow carrier API does."""

    def __init__(self) -> None:
        super().__init__()
        self.reached = threading.Event()
        self.release = threading.Event()

    def place_call(self, **kwargs):
        self.reached.set()
        assert self.release.wait(30)
        return super().place_call(**kwargs)


def test_a_call_a_live_engine_is_placing_is_left_to_it(phone, exchange, carrier):
    held = HeldCarrier()
    other = another_engine(exchange, held)
    try:
        ask(phone)
        other.tick()
        assert held.reached.wait(30), "the other engine never placed its call"
        exchange.engine.tick()  # this engine: nothing of the other's is reclaimed
        assert carrier.placed == []
        (leg,) = legs(exchange)
        assert (leg.status, leg.outcome) == ("placing", None)
        held.release.set()
        deadline = time.monotonic() + 30
        while legs(exchange)[0].sid is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert legs(exchange)[0].status == "queued"
    finally:
        held.release.set()
        other.stop()


def test_calls_waiting_for_their_turn_outlive_the_engine_that_queued_them(
        phone, exchange, carrier):
    next_free_moment(exchange, time.time() + 3600)  # far off: calls wait for their turn
    other = another_engine(exchange, carrier)
    try:
        ask(phone)
        other.tick()  # queues the call, which waits for its turn ...
    finally:
        other.stop()  # ... when that engine goes
    assert carrier.placed == [] and legs(exchange)[0].status == "placing"
    next_free_moment(exchange, 0)
    exchange.engine.tick()
    assert [call["url"].split("?")[1] for call in carrier.placed] == [f"leg={legs(exchange)[0].id}"]
    exchange.engine.tick()
    assert len(carrier.placed) == 1


def test_calls_of_a_request_that_ended_before_their_turn_are_never_placed(
        phone, exchange, carrier):
    next_free_moment(exchange, time.time() + 3600)
    other = another_engine(exchange, carrier)
    try:
        ask(phone)
        other.tick()
    finally:
        other.stop()
    phone.post("/ivr/caller/queue-ended", CallSid=CALL, QueueResult="hangup")
    next_free_moment(exchange, 0)
    exchange.engine.tick()
    assert carrier.placed == [] and carrier.ended == []
    assert legs(exchange) == [], "a call never placed leaves no leg (nor counts to the caps)"
    assert request_of(exchange).state == "abandoned"
    with exchange.db.session() as session:
        assert waiting(session) == 0


def test_a_carrier_error_on_stopping_a_call_is_logged_and_the_engine_goes_on(
        phone, exchange, carrier, caplog):
    ask(phone)
    exchange.engine.tick()
    carrier.end_call = lambda sid, answered: (_ for _ in ()).throw(CarrierError("HTTP 500"))
    phone.post("/ivr/caller/queue-ended", CallSid=CALL, QueueResult="hangup")
    exchange.engine.tick()
    assert "could not end call" in caplog.text
    with exchange.db.session() as session:
        assert session.scalar(select(HelpRequest.state)) == "abandoned"
