"""The engine: turns searching requests into volunteer calls, one step at a time.

All state lives in the database, so a step can run in any process after a restart, and any
number of engine processes may step against one PostgreSQL database (``engines/claims.py``
says who acts on what). Webhooks only record facts and wake the engine. A step never waits on
the carrier: it queues the calls it decides on, and the dispatcher (``engines/dispatcher.py``)
places them, in turn and at the account's pace, on a pool of carrier workers.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import Callable

from sqlalchemy import and_, delete, exists, func, or_, select, update

from bhc import metrics
from bhc.calls import callbacks, lost_legs, machines, queues, reconnections, urls
from bhc.calls.candidates import Caps, as_candidates, eligible_volunteers
from bhc.calls.carrier import Carrier
from bhc.calls.legs import policy_leg
from bhc.calls.models import (
    LIVE_LEG_STATUSES,
    OPEN_STATES,
    CallLeg,
    HelpRequest,
    LegOutcome,
    LegStatus,
    RequestOutcome,
    RequestState,
)
from bhc.calls.transitions import transition
from bhc.config import Config
from bhc.db import Database, utcnow
from bhc.engines import claims, heartbeat, placements
from bhc.engines.dispatcher import Dial, Dispatcher, Priority, withdraw
from bhc.engines.models import OutboundCall
from bhc.followups import services as followups
from bhc.neighbourhoods.services import exchange_number_of
from bhc.phones import mask
from bhc.signups import services as signups
from matching.policy import GiveUp, Limits, Ring, Search, Wait, next_action, open_slots

log = logging.getLogger(__name__)

# Wake-ups arriving within this window after a pass are handled together in the next pass.
BATCH_WINDOW_S = 0.05
# A running engine does the work that waits on time rather than on news (what gone engines
# were placing, lost legs, follow-ups due) at most this often, not in every step of a burst.
HOUSEKEEPING_EVERY_S = 1.0


class Engine:
    def __init__(
        self,
        database: Database,
        carrier: Carrier,
        config: Config,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.db = database
        self.carrier = carrier
        self.config = config
        self.clock = clock
        self.rng = rng or random.Random()
        self.urls = urls.WebhookUrls(config.server.public_url)
        self.limits = Limits(
            max_attempts=config.matching.max_attempts,
            max_wait_s=config.matching.max_wait_s,
            strategy=config.matching.strategy,
            wave_size=config.matching.wave_size,
        )
        self.caps = Caps.of(config.matching)
        self._lock = threading.Lock()
        self._again = threading.Event()
        self.engine_id: str | None = None  # set by register(): this process's heartbeat row
        self._last_step: tuple[datetime, float] | None = None  # when it ended, how long it took
        self._last_housekeeping = float("-inf")
        self._last_step_began = float("-inf")  # time.monotonic() of this engine's latest step
        # Live engines as the heartbeat last counted them: their polls share the interval.
        self._engines = 1
        # What makes a step happen soon; the running exchange also pokes its scheduler.
        self.wake: Callable[[], None] = self.request_step
        self.dispatcher = Dispatcher(
            database, carrier, placements.kinds(lambda: self.clock()),
            calls_per_second=config.twilio.calls_per_second,
            ring_timeout_s=config.matching.ring_timeout_s, on_change=lambda: self.wake(),
            idle_poll_s=config.matching.poll_interval_s)
        self._stopping = threading.Event()
        self._alive: threading.Thread | None = None

    def register(self) -> str:
        """Announce this engine process; its heartbeat follows every step."""
        with self.db.session() as session:
            self.engine_id = heartbeat.register(session, self.clock())
        return self.engine_id

    def unregister(self) -> None:
        if self.engine_id is not None:
            with self.db.session() as session:
                heartbeat.stopped(session, self.engine_id, self.clock())

    def start(self) -> int:
        """Register, recover what engines that are gone left being placed, keep saying this
        one is alive, and start placing queued calls; returns how many were recovered."""
        self.register()
        recovered = self.recover()
        self._stopping.clear()
        self._alive = threading.Thread(target=self._keep_alive, name="bhc-alive", daemon=True)
        self._alive.start()
        self.dispatcher.start(self.engine_id)
        return recovered

    def stop(self) -> None:
        """Take no more steps (the one running ends at its next look), place no more calls
        (those being placed finish), and say this engine stopped."""
        self._stopping.set()
        self.dispatcher.stop()
        if self._alive is not None:
            self._alive.join(timeout=heartbeat.ALIVE_EVERY_S * 5)
            self._alive = None
        self.unregister()

    def _keep_alive(self) -> None:
        """The heartbeat, every ``ALIVE_EVERY_S`` from a thread of its own: that the process is
        alive, and its latest step (a burst of steps costs one write a second, outside them)."""
        written = None
        while not self._stopping.wait(heartbeat.ALIVE_EVERY_S):
            last_step = self._last_step
            try:
                with self.db.session() as session:
                    heartbeat.alive(session, self.engine_id, utcnow())
                    if last_step is not None and last_step is not written:
                        heartbeat.beat(session, self.engine_id, *last_step)
                    self._engines = max(1, heartbeat.live_count(session, utcnow()))
                # Calls are taken by the dispatcher of the engine that queued them, woken at
                # once; the others' idle looks are a backstop, shared like the polls.
                self.dispatcher.idle_poll_s = self.config.matching.poll_interval_s * self._engines
                written = last_step
            except Exception as exc:  # the database is away; the steps say so too
                log.warning("could not write the engine's heartbeat: %s",
                            exc.__class__.__name__)

    def _beat_now(self) -> None:
        try:
            with self.db.session() as session:
                heartbeat.beat(session, self.engine_id, *self._last_step)
        except Exception as exc:  # the database is away; the next step says so too
            log.warning("could not write the engine's heartbeat: %s", exc.__class__.__name__)

    def request_step(self) -> None:
        """Something happened: make the running (or next) step look again."""
        self._again.set()

    def recover(self) -> int:
        """Calls that engines now gone were placing may or may not have rung: never place
        them again (a volunteer's search moves on to the next one)."""
        return self.dispatcher.reclaim()

    def tick(self) -> None:
        """Step until nothing new happened during the last step.

        Wake-ups that arrive while a step runs are not lost: they make it go round once more.
        """
        if self._poll_can_wait():
            return
        with self._lock:
            while not self._stopping.is_set():
                self._again.clear()
                started = self._last_step_began = time.monotonic()
                try:
                    self._step()
                    if not self.dispatcher.threaded:  # tests, a one-off run: place them now
                        self.dispatcher.run_inline()
                    step_s = time.monotonic() - started
                    metrics.ENGINE_STEP.observe(step_s)
                    self._last_step = (self.clock(), step_s)
                    if self._alive is None:  # no heartbeat thread (tests, a one-off run)
                        self._beat_now()
                except Exception:
                    log.exception("engine step failed; the next step will retry")
                    return
                # Let a burst of webhook wake-ups gather into the next pass rather than
                # paying for a pass per event; this costs a match at most this much delay.
                time.sleep(BATCH_WINDOW_S)
                if not self._again.is_set():
                    return

    def _step(self) -> None:
        """One pass: stop legs of finished requests and calls machines took, advance open
        searches, queue the call-backs, reconnections and sign-up code calls that are due; and
        now and then recover what gone engines were placing, expire lost legs, queue the
        follow-ups that are due and delete the carrier's queues of what is over."""
        housekeeping = self._housekeeping_due()
        if housekeeping:
            self.recover()
        # What there is to do, read in one statement: every engine polls every second, and
        # most steps find little, so their reads are most of an idle step's cost. (Searches
        # are counted after the lost legs expire in a step that does housekeeping.)
        with self.db.session() as session:
            work = self._work(session)
            to_stop = self._legs_to_stop(session) if work.legs_to_stop else []
        searches = 0 if housekeeping else work.searches
        if to_stop:
            self._stop_legs(to_stop)
        if work.machines:
            self._end_calls_machines_took()
        if housekeeping:
            self._expire_lost_legs()
            with self.db.session() as session:  # expired legs may have freed searches
                searches = self._searches_to_advance(session)
        # While the waves of several searches are queued one by one, the dispatcher takes
        # only their first calls: on a slow machine queueing twelve takes longer than a turn,
        # and the rest of an early caller's wave would be rung before a later caller's first
        # volunteer (issue 11: fair among callers on hold when the rate is the limit).
        several = searches > 1
        self.dispatcher.first_calls_only = several
        try:
            # Claimed one by one in id order, skipping what another engine is stepping, rather
            # than each listed id in turn: engines woken together share a burst's searches
            # instead of racing for the same ones (each lost race cost a claim and a read of
            # the legs of a search the winner had just served).
            after = 0
            while searches and (advanced := self._advance_next(after)) is not None:
                after = advanced
        finally:
            if several:
                self.dispatcher.first_calls_only = False
                self.dispatcher.wake()
        if work.call_backs:
            self._call_back_residents()
        if work.reconnections:
            self._place_reconnections()
        if work.sign_ups:
            self._place_verification_calls()
        if housekeeping:
            self._place_follow_ups()
            self._delete_finished_queues()

    def _work(self, session):
        """What there is to do now, in one statement: whether there are legs to stop, how many
        searches to advance, and which of the kinds of work most steps find none of are there
        (calls machines took, call-backs and reconnections to place, sign-up code calls). Each
        step of every engine asked for each in a transaction of its own, and then for the
        legs and the searches in statements of their own, most of an idle step's cost under a
        burst of wake-ups. Work that appears later in this step is found by the next, which
        the webhook that made it asks for."""
        now = self.clock()
        return session.execute(select(
            self._legs_to_stop_query().exists().label("legs_to_stop"),
            self._searches_query(now).scalar_subquery().label("searches"),
            machines.calls_to_end_pending().label("machines"),
            callbacks.residents_to_call_pending().label("call_backs"),
            reconnections.pending(now).label("reconnections"),
            signups.calls_pending().label("sign_ups"),
        )).one()

    def _poll_can_wait(self) -> bool:
        """A poll, not a wake-up, while other engines poll too. Any engine's poll finds the
        work that time brings (a search waiting too long, a follow-up due) for all of them, so
        with N engines each polls once per N intervals and together they keep the interval:
        N engines polling each interval cost N times the steps for the same work, and made
        the steps of a burst mostly polls."""
        if self._engines <= 1 or self._again.is_set():
            return False
        # Half an interval short of N: the scheduler's own ticks come once an interval.
        every_s = self.config.matching.poll_interval_s * (self._engines - 0.5)
        return time.monotonic() - self._last_step_began < every_s

    def _housekeeping_due(self) -> bool:
        """In every step when stepping inline (tests, a one-off run); in a running engine at
        most once per ``HOUSEKEEPING_EVERY_S``, shared like the polls by the live engines."""
        if not self.dispatcher.threaded:
            return True
        now = time.monotonic()
        if now - self._last_housekeeping < HOUSEKEEPING_EVERY_S * self._engines:
            return False
        self._last_housekeeping = now
        return True

    def _to_advance(self, now: datetime):
        """Searching requests the policy may act on: no call of theirs is live, or they have
        waited too long. The rest can only be told to wait, so they cost no work per step."""
        live_leg = exists().where(CallLeg.request_id == HelpRequest.id, CallLeg.outcome.is_(None))
        waited_too_long = HelpRequest.searching_since <= now - timedelta(
            seconds=self.limits.max_wait_s)
        callback_round_due = and_(HelpRequest.state == RequestState.CALLBACK_DUE,
                                  HelpRequest.next_round_at <= now, ~live_leg)
        return or_(and_(HelpRequest.state == RequestState.SEARCHING,
                        or_(~live_leg, waited_too_long)),
                   callback_round_due)

    def _searches_query(self, now: datetime):
        return select(func.count()).select_from(HelpRequest).where(self._to_advance(now))

    def _searches_to_advance(self, session) -> int:
        """How many searches there are to advance."""
        return session.scalar(self._searches_query(self.clock()))

    def _advance_next(self, after_id: int) -> int | None:
        """Advance the first search after ``after_id`` that no other engine is stepping; its
        id, or None when there is none."""
        now = self.clock()
        with self.db.session() as session:
            request = claims.claim_next_search(session, self._to_advance(now), after_id)
            if request is None:
                return None
            request_id = request.id
            if request.state not in OPEN_STATES:
                return request_id
            callback = request.state == RequestState.CALLBACK_DUE
            if callback and request.callback_until and now >= request.callback_until:
                self._end_callback_round(session, request, now)  # time is up: ring nobody
                return request_id
            limits = self.limits
            started_at = request.searching_since or request.created_at
            if callback:
                # A call-back searches in rounds, each with the usual limits.
                if request.round_started_at is None:
                    request.round_started_at = now
                started_at = request.round_started_at
                earlier = sum(1 for leg in request.legs if leg.placed_at < started_at)
                limits = replace(limits, max_attempts=earlier + limits.max_attempts)
            search = Search(
                request_id=request.id,
                caller_id=request.caller_id,
                started_at=started_at,
                legs=tuple(policy_leg(leg) for leg in request.legs),
            )
            volunteers = []
            if open_slots(search, limits):
                volunteers = eligible_volunteers(
                    session, request, now, self.config.matching.quiet_hours, self.caps,
                    widen=self.config.matching.widen_to_adjacent,
                )
            candidates = as_candidates(volunteers, request.language)
            action = next_action(search, candidates, limits, now, self.rng)
            if isinstance(action, Ring):
                action = self._reserve(session, search, candidates, limits, now, action)
            if isinstance(action, Ring):
                # Leg rows are committed with their queued calls, before any is placed, so a
                # crash can never lead to ringing the same volunteer twice for this request.
                phones = {v.id: v.phone for v in volunteers}
                # Stamped after the candidate query, not with ``now`` from before it: a leg of
                # the same volunteer that ended in between must not seem to overlap this one
                # (and again when its turn at the carrier comes).
                placed_at = self.clock()
                legs = [CallLeg(request_id=request.id, volunteer_id=volunteer_id,
                                status=LegStatus.PLACING, placed_at=placed_at)
                        for volunteer_id in action.volunteer_ids]
                session.add_all(legs)
                session.flush()
                from_number = exchange_number_of(session, request.neighbourhood_id)
                priority = Priority.CALL_BACK_ROUND if callback else Priority.CALLER_ON_HOLD
                for position, leg in enumerate(legs):
                    dial = Dial(phones[leg.volunteer_id], from_number,
                                self.urls.url(urls.OFFER, leg=leg.id),
                                self.urls.url(urls.VOLUNTEER_STATUS, leg=leg.id),
                                self._detection(urls.VOLUNTEER_AMD, leg=leg.id))
                    self.dispatcher.enqueue(session, placements.LEG, leg.id, dial, priority,
                                            position)
            elif isinstance(action, GiveUp) and callback:
                self._end_callback_round(session, request, now)
                return request_id
            elif isinstance(action, GiveUp):
                ended = transition(session, request.id, RequestState.SEARCHING,
                                   RequestState.UNMATCHED,
                                   outcome=RequestOutcome(action.reason.value), ended_at=now)
                if ended:
                    metrics.after_commit(session, metrics.VOLUNTEERS_RUNG.labels(
                        "unmatched").observe, len(request.legs))
                caller_sid = request.call_sid
            else:
                return request_id  # Wait or Done
        if isinstance(action, Ring):
            self.dispatcher.wake()
            log.info("request %s: ringing %s volunteers", request_id, len(action.volunteer_ids))
        elif ended:
            log.info("request %s unmatched: %s", request_id, action.reason.value)
            # The caller's hold music checks the state too, so they hear the outcome even if
            # this redirect fails.
            self.dispatcher.redirect_call(caller_sid, self.urls.url(urls.UNMATCHED))
            self.request_step()  # its legs still ringing are stopped in the next pass
        return request_id

    def _reserve(self, session, search: Search, candidates, limits: Limits, now: datetime,
                 action: Ring) -> Ring | Wait:
        """The policy's wave, with every volunteer in it reserved for this step. One another
        engine is reserving, or rang since the candidate query, is left out and the policy
        asked again; if it then finds nobody, the request waits for the next pass (those
        volunteers may be free by then) rather than giving up."""
        taken: set[int] = set()
        while True:
            free = claims.reserve_volunteers(session, action.volunteer_ids)
            if len(free) == len(action.volunteer_ids):
                return action
            taken |= set(action.volunteer_ids) - free
            action = next_action(search, [c for c in candidates if c.volunteer_id not in taken],
                                 limits, now, self.rng)
            if not isinstance(action, Ring):
                return Wait()

    def _end_callback_round(self, session, request: HelpRequest, now: datetime) -> None:
        """Nobody took the call-back this round: try again later, or give up once expired."""
        if request.callback_until and now >= request.callback_until:
            transition(session, request.id, RequestState.CALLBACK_DUE, RequestState.UNMATCHED,
                       outcome=RequestOutcome.CALLBACK_EXPIRED, ended_at=now)
            log.info("call-back of request %s expired", request.id)
            return
        request.round_started_at = None
        request.next_round_at = now + timedelta(seconds=self.config.callback.retry_every_s)

    def _call_back_residents(self) -> None:
        """A volunteer accepted a call-back and waits on hold: phone the resident now (marked
        and queued in one transaction: after a crash nobody is phoned twice)."""
        with self.db.session() as session:
            due = callbacks.claim_residents_to_call(session)
            for request in due:
                self.dispatcher.enqueue(session, placements.CALL_BACK, request.id,
                        Dial(request.caller.phone, request.neighbourhood.exchange_number,
                             self.urls.url(urls.RESIDENT_ANSWER, request=request.id),
                             self.urls.url(urls.RESIDENT_STATUS, request=request.id),
                             self._detection(urls.RESIDENT_AMD, request=request.id)),
                        Priority.CALL_BACK)
                log.info("phoning back %s for request %s", mask(request.caller.phone),
                         request.id)
        if due:
            self.dispatcher.wake()

    def _place_reconnections(self) -> None:
        """Someone waits on hold to be put through again to the neighbour of a match: phone
        that neighbour now, from the exchange's number (``bhc.calls.reconnections``; marked
        and queued in one transaction); stop the ringing call of one whose asker hung up."""
        now = self.clock()
        with self.db.session() as session:
            calls = reconnections.claim_due(session, now)
            for call in calls:
                self.dispatcher.enqueue(
                    session, placements.RECONNECTION, call.reconnection_id,
                    Dial(call.phone, call.from_number,
                         self.urls.url(urls.RECONNECT_ANSWER, reconnection=call.reconnection_id),
                         self.urls.url(urls.RECONNECT_STATUS,
                                       reconnection=call.reconnection_id)),
                    Priority.RECONNECTION)
                log.info("phoning %s to reconnect (reconnection %s)", mask(call.phone),
                         call.reconnection_id)
            stops = reconnections.calls_to_stop(session, now)
        for sid in stops:
            self.dispatcher.end_call(sid, answered=False)
        if calls:
            self.dispatcher.wake()

    def _place_follow_ups(self) -> None:
        """Follow-up calls that are due; each row is marked 'placing' and its call queued in
        one transaction, so a crash never phones anyone twice."""
        with self.db.session() as session:
            calls = followups.claim_due(session, self.clock(),
                                        followups.Timing.from_config(self.config))
            for call in calls:
                self.dispatcher.enqueue(session, placements.FOLLOW_UP, call.follow_up_id,
                        Dial(call.phone, call.from_number,
                             self.urls.url(urls.FOLLOWUP_ANSWER, followup=call.follow_up_id),
                             self.urls.url(urls.FOLLOWUP_STATUS, followup=call.follow_up_id),
                             self._detection(urls.FOLLOWUP_AMD, followup=call.follow_up_id)),
                        Priority.FOLLOW_UP)
                log.info("follow-up call to the %s of match %s, %s", call.side, call.match_id,
                         mask(call.phone))
        if calls:
            self.dispatcher.wake()

    def _place_verification_calls(self) -> None:
        """Web sign-ups waiting for the call that reads their code aloud (marked and queued in
        one transaction: after a crash nobody is phoned twice; the page offers to call
        again)."""
        with self.db.session() as session:
            due = signups.claim_due_calls(session)
            for call in due:
                self.dispatcher.enqueue(session, placements.SIGN_UP_CODE, call.sign_up_id,
                        Dial(call.phone, call.from_number,
                             self.urls.url(urls.VERIFY_CALL, signup=call.sign_up_id),
                             self.urls.url(urls.VERIFY_STATUS, signup=call.sign_up_id)),
                        Priority.SIGN_UP_CODE)
        if due:
            self.dispatcher.wake()

    def _detection(self, path: str, **query) -> str | None:
        """Where the carrier posts its asynchronous answering machine verdict (None when
        ``[carrier] machine_detection`` is off)."""
        if self.config.carrier.machine_detection != "async":
            return None
        return self.urls.url(path, **query)

    @staticmethod
    def _legs_to_stop_query():
        """Live legs of requests that are over: matched, abandoned or unmatched."""
        return (
            select(CallLeg.id)
            .join(HelpRequest, CallLeg.request_id == HelpRequest.id)
            .where(
                HelpRequest.state.not_in(OPEN_STATES),
                CallLeg.status.in_(LIVE_LEG_STATUSES),
                or_(CallLeg.outcome.is_(None),
                    # a volunteer on hold for a call-back that came to nothing
                    and_(CallLeg.outcome == LegOutcome.ACCEPTED,
                         HelpRequest.state != RequestState.MATCHED)),
                CallLeg.stop_requested_at.is_(None),
            )
        )

    def _legs_to_stop(self, session) -> list[int]:
        return list(session.scalars(self._legs_to_stop_query()))

    def _stop_legs(self, to_stop: list[int]) -> None:
        """Once a request is matched, abandoned or unmatched, its other live legs must stop:
        ringing ones are cancelled, answered ones hear that the request was taken or withdrawn,
        and those still waiting for their turn at the carrier are never placed."""
        now = self.clock()
        with self.db.session() as session:
            # Marked in one statement that returns the legs as they are now: of two engines
            # only one stops each, and a placement finishing meanwhile either shows its sid
            # here or sees the mark (and cancels its call itself).
            stopped = session.execute(
                update(CallLeg)
                .where(CallLeg.id.in_(to_stop), CallLeg.stop_requested_at.is_(None))
                .values(stop_requested_at=now)
                .returning(CallLeg.id, CallLeg.sid, CallLeg.status)
                .execution_options(synchronize_session=False)
            ).all()
            never_rung = withdraw(session, placements.LEG,
                                  [leg_id for leg_id, sid, _ in stopped if sid is None])
            if never_rung:
                session.execute(delete(CallLeg).where(CallLeg.id.in_(never_rung)))
        for leg_id, sid, status in stopped:
            if sid is None:
                continue  # never rung, or being placed: its placement cancels it
            if status == LegStatus.IN_PROGRESS:
                self.dispatcher.redirect_call(sid, self.urls.url(urls.CLOSED, leg=leg_id))
            else:
                self.dispatcher.end_call(sid, answered=False)

    def _expire_lost_legs(self) -> None:
        """A leg whose status callbacks never came (lost, or its engine died placing it) must
        neither block a search nor keep its volunteer from other calls. A leg still with the
        dispatcher (waiting for its turn, or being placed) is not lost."""
        limits = lost_legs.Limits.of(self.config.matching.ring_timeout_s,
                                     self.config.matching.max_wait_s)
        with_dispatcher = exists().where(OutboundCall.kind == placements.LEG,
                                         OutboundCall.ref_id == CallLeg.id)
        with self.db.session() as session:
            to_end = lost_legs.expire(session, self.clock(), limits, ~with_dispatcher)
        for sid, answered in to_end:
            self.dispatcher.end_call(sid, answered=answered)

    def _end_calls_machines_took(self) -> None:
        """Hang up calls a voicemail or a fax answered (webhooks only record that)."""
        with self.db.session() as session:
            sids = machines.take_calls_to_end(session)
        for sid in sids:
            self.dispatcher.end_call(sid, answered=True)

    def _delete_finished_queues(self) -> None:
        """Queues persist at the carrier until deleted: remove those of finished requests and
        reconnections (``bhc.calls.queues``); one the carrier refused is asked again later."""
        with self.db.session() as session:
            to_delete = queues.take_to_delete(session, self.clock())
        for queue_id, queue_sid in to_delete:
            self.dispatcher.delete_queue(queue_sid, partial(self._queue_deleted, queue_id))

    def _queue_deleted(self, queue_id: int) -> None:
        with self.db.session() as session:
            queues.deleted(session, queue_id, self.clock())
