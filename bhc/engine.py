"""The engine: turns searching requests into volunteer calls, one step at a time.

All state lives in the database, so a step can run in any process after a restart. Webhooks only
record facts and wake the engine; every outbound REST call to the carrier happens here.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import and_, case, exists, or_, select, update

from bhc import metrics
from bhc.calls import callbacks, lost_legs, machines, queues, reconnections, urls
from bhc.calls.candidates import Caps, as_candidates, eligible_volunteers
from bhc.calls.carrier import PLACING, Carrier, CarrierError
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
from bhc.engines import heartbeat
from bhc.followups import services as followups
from bhc.phones import mask
from bhc.signups import services as signups
from matching.policy import GiveUp, Limits, Ring, Search, next_action, open_slots

log = logging.getLogger(__name__)

# Wake-ups arriving within this window after a pass are handled together in the next pass.
BATCH_WINDOW_S = 0.05
HEARTBEAT_EVERY_S = 1.0


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
        self._last_beat = float("-inf")

    def register(self) -> str:
        """Announce this engine process; its heartbeat follows every step."""
        with self.db.session() as session:
            self.engine_id = heartbeat.register(session, self.clock())
        return self.engine_id

    def unregister(self) -> None:
        if self.engine_id is not None:
            with self.db.session() as session:
                heartbeat.stopped(session, self.engine_id, self.clock())

    def request_step(self) -> None:
        """Something happened: make the running (or next) step look again."""
        self._again.set()

    def recover(self) -> int:
        """After a crash: legs that were being placed may or may not have rung; never ring
        those volunteers again for the request, and let the search go on."""
        with self.db.session() as session:
            result = session.execute(
                update(CallLeg)
                .where(CallLeg.status == LegStatus.PLACING)
                .values(status=LegStatus.FAILED, outcome=LegOutcome.FAILED,
                        error="interrupted by restart",
                        ended_at=self.clock())
            )
            return result.rowcount

    def tick(self) -> None:
        """Step until nothing new happened during the last step.

        Wake-ups that arrive while a step runs are not lost: they make it go round once more.
        """
        with self._lock:
            while True:
                self._again.clear()
                started = time.monotonic()
                try:
                    self._step()
                    step_s = time.monotonic() - started
                    metrics.ENGINE_STEP.observe(step_s)
                    self._beat(step_s)
                except Exception:
                    log.exception("engine step failed; the next step will retry")
                    return
                # Let a burst of webhook wake-ups gather into the next pass rather than
                # paying for a pass per event; this costs a match at most this much delay.
                time.sleep(BATCH_WINDOW_S)
                if not self._again.is_set():
                    return

    def _beat(self, step_s: float) -> None:
        """Write the heartbeat, at most once a second: a burst of steps costs one write."""
        now = time.monotonic()
        if self.engine_id is None or now - self._last_beat < HEARTBEAT_EVERY_S:
            return
        self._last_beat = now
        with self.db.session() as session:
            heartbeat.beat(session, self.engine_id, self.clock(), step_s)

    def _step(self) -> None:
        """One pass: stop legs of finished requests, expire lost legs, advance open searches,
        phone residents whose call-back a volunteer accepted."""
        self._stop_legs_of_finished_requests()
        self._end_calls_machines_took()
        self._expire_lost_legs()
        for request_id in self._searches_to_advance():
            self._advance(request_id)
        self._call_back_residents()
        self._place_reconnections()
        self._place_verification_calls()
        self._place_follow_ups()
        self._delete_finished_queues()

    def _searches_to_advance(self) -> list[int]:
        """Searching requests the policy may act on: no call of theirs is live, or they have
        waited too long. The rest can only be told to wait, so they cost no work per step."""
        now = self.clock()
        live_leg = exists().where(CallLeg.request_id == HelpRequest.id, CallLeg.outcome.is_(None))
        waited_too_long = HelpRequest.searching_since <= now - timedelta(
            seconds=self.limits.max_wait_s)
        callback_round_due = and_(HelpRequest.state == RequestState.CALLBACK_DUE,
                                  HelpRequest.next_round_at <= now, ~live_leg)
        with self.db.session() as session:
            return list(session.scalars(
                select(HelpRequest.id)
                .where(or_(and_(HelpRequest.state == RequestState.SEARCHING,
                                or_(~live_leg, waited_too_long)),
                           callback_round_due))
                .order_by(HelpRequest.id)
            ))

    def _advance(self, request_id: int) -> None:
        now = self.clock()
        with self.db.session() as session:
            request = session.get(HelpRequest, request_id)
            if request is None or request.state not in OPEN_STATES:
                return
            callback = request.state == RequestState.CALLBACK_DUE
            if callback and request.callback_until and now >= request.callback_until:
                self._end_callback_round(session, request, now)  # time is up: ring nobody
                return
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
                # Leg rows are committed before any call is placed, so a crash can never lead
                # to ringing the same volunteer twice for this request.
                by_id = {v.id: v for v in volunteers}
                legs = []
                # Stamped after the candidate query, not with ``now`` from before it: a leg of
                # the same volunteer that ended in between must not seem to overlap this one.
                placed_at = self.clock()
                for volunteer_id in action.volunteer_ids:
                    leg = CallLeg(request_id=request.id, volunteer_id=volunteer_id,
                                  status=LegStatus.PLACING, placed_at=placed_at)
                    session.add(leg)
                    legs.append((leg, by_id[volunteer_id].phone))
                session.flush()
                placements = [(leg.id, phone) for leg, phone in legs]
                from_number = request.neighbourhood.exchange_number
            elif isinstance(action, GiveUp) and callback:
                self._end_callback_round(session, request, now)
                return
            elif isinstance(action, GiveUp):
                ended = transition(session, request.id, RequestState.SEARCHING,
                                   RequestState.UNMATCHED,
                                   outcome=RequestOutcome(action.reason.value), ended_at=now)
                if ended:
                    metrics.after_commit(session, metrics.VOLUNTEERS_RUNG.labels(
                        "unmatched").observe, len(request.legs))
                caller_sid = request.call_sid
            else:
                return  # Wait or Done
        if isinstance(action, Ring):
            for leg_id, phone in placements:
                self._place(leg_id, phone, from_number)
        elif ended:
            log.info("request %s unmatched: %s", request_id, action.reason.value)
            self._redirect(caller_sid, self.urls.url(urls.UNMATCHED))
            self.request_step()  # its legs still ringing are stopped in the next pass

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
        """A volunteer accepted a call-back and waits on hold: phone the resident now."""
        with self.db.session() as session:
            waiting = [(r.id, r.caller.phone, r.neighbourhood.exchange_number)
                       for r in callbacks.residents_to_call(session) if r.caller is not None]
            for request_id, _, _ in waiting:
                # Marked before the call is placed: after a crash nobody is phoned twice.
                session.execute(update(HelpRequest).where(HelpRequest.id == request_id)
                                .values(callback_call_sid=PLACING))
        for request_id, phone, from_number in waiting:
            sid = self._dial(phone, from_number,
                             self.urls.url(urls.RESIDENT_ANSWER, request=request_id),
                             self.urls.url(urls.RESIDENT_STATUS, request=request_id),
                             "call-back", self.urls.url(urls.RESIDENT_AMD, request=request_id))
            if isinstance(sid, CarrierError):
                with self.db.session() as session:
                    callbacks.fail(session, request_id, RequestOutcome.CALLBACK_UNREACHABLE,
                                   self.clock())
                self.request_step()
                continue
            with self.db.session() as session:
                session.execute(update(HelpRequest).where(HelpRequest.id == request_id)
                                .values(callback_call_sid=sid))
            log.info("phoning back %s for request %s", mask(phone), request_id)

    def _place_reconnections(self) -> None:
        """Someone waits on hold to be put through again to the neighbour of a match: phone
        that neighbour now, from the exchange's number (``bhc.calls.reconnections``); stop
        the ringing call of one whose asker hung up. Its own function, so that a dispatcher
        of outbound calls can take it as one kind of call (a person waits on hold, as for a
        call-back)."""
        now = self.clock()
        with self.db.session() as session:
            calls = reconnections.claim_due(session, now)
            stops = reconnections.calls_to_stop(session, now)
        for sid in stops:
            try:
                self.carrier.end_call(sid, answered=False)
            except CarrierError as exc:
                log.warning("could not stop a reconnection call: %s", exc)
        for call in calls:
            sid = self._dial(call.phone, call.from_number,
                             self.urls.url(urls.RECONNECT_ANSWER,
                                           reconnection=call.reconnection_id),
                             self.urls.url(urls.RECONNECT_STATUS,
                                           reconnection=call.reconnection_id),
                             "reconnection call")
            with self.db.session() as session:
                if isinstance(sid, CarrierError):
                    reconnections.placing_failed(session, call.reconnection_id, self.clock())
                else:
                    reconnections.placed(session, call.reconnection_id, sid)
            log.info("phoning %s to reconnect (reconnection %s)", mask(call.phone),
                     call.reconnection_id)

    def _place_follow_ups(self) -> None:
        """Follow-up calls that are due; each row is marked 'placing' and committed before its
        call is placed, so a crash never phones anyone twice."""
        with self.db.session() as session:
            calls = followups.claim_due(session, self.clock(),
                                        followups.Timing.from_config(self.config))
        for call in calls:
            sid = self._dial(call.phone, call.from_number,
                             self.urls.url(urls.FOLLOWUP_ANSWER, followup=call.follow_up_id),
                             self.urls.url(urls.FOLLOWUP_STATUS, followup=call.follow_up_id),
                             "follow-up call",
                             self.urls.url(urls.FOLLOWUP_AMD, followup=call.follow_up_id))
            if isinstance(sid, CarrierError):
                with self.db.session() as session:
                    followups.placing_failed(session, call.follow_up_id, self.clock())
                continue
            with self.db.session() as session:
                followups.placed(session, call.follow_up_id, sid)
            log.info("follow-up call to the %s of match %s, %s", call.side, call.match_id,
                     mask(call.phone))

    def _place_verification_calls(self) -> None:
        """Web sign-ups waiting for the call that reads their code aloud (marked before the
        call is placed: after a crash nobody is phoned twice; the page offers to call again)."""
        with self.db.session() as session:
            due = signups.claim_due_calls(session)
        for call in due:
            sid = self._dial(call.phone, call.from_number,
                             self.urls.url(urls.VERIFY_CALL, signup=call.sign_up_id),
                             self.urls.url(urls.VERIFY_STATUS, signup=call.sign_up_id),
                             "sign-up code call")
            with self.db.session() as session:
                signups.call_placed(session, call.sign_up_id,
                                    None if isinstance(sid, CarrierError) else sid)

    def _dial(self, to: str, from_: str, answer_url: str, status_url: str,
              what: str, machine_detection_url: str | None = None) -> str | CarrierError:
        """Place one call and return its sid. A carrier error (after the adapter's retries) is
        logged and returned rather than raised: each caller records it and goes on. Machine
        detection, when configured, is asynchronous: nobody waits in silence for it."""
        if self.config.carrier.machine_detection != "async":
            machine_detection_url = None
        try:
            return self.carrier.place_call(to=to, from_=from_, url=answer_url,
                                           status_callback=status_url,
                                           timeout_s=self.config.matching.ring_timeout_s,
                                           machine_detection_url=machine_detection_url)
        except CarrierError as exc:
            log.warning("could not place the %s to %s: %s", what, mask(to), exc)
            return exc

    def _place(self, leg_id: int, phone: str, from_number: str) -> None:
        sid = self._dial(phone, from_number, self.urls.url(urls.OFFER, leg=leg_id),
                         self.urls.url(urls.VOLUNTEER_STATUS, leg=leg_id),
                         f"volunteer call (leg {leg_id})",
                         self.urls.url(urls.VOLUNTEER_AMD, leg=leg_id))
        if isinstance(sid, CarrierError):
            with self.db.session() as session:
                session.execute(
                    update(CallLeg)
                    .where(CallLeg.id == leg_id, CallLeg.status == LegStatus.PLACING)
                    .values(status=LegStatus.FAILED, outcome=LegOutcome.FAILED,
                            error=str(sid)[:200], ended_at=self.clock())
                )
            return
        with self.db.session() as session:
            # One statement: a status callback may already have moved the leg on (even ended
            # it) between the REST answer and here, and must not be undone.
            session.execute(
                update(CallLeg).where(CallLeg.id == leg_id)
                .values(sid=sid, status=case((CallLeg.status == LegStatus.PLACING,
                                              LegStatus.QUEUED),
                                             else_=CallLeg.status))
            )
        log.info("rang volunteer %s for request (leg %s)", mask(phone), leg_id)

    def _stop_legs_of_finished_requests(self) -> None:
        """Once a request is matched, abandoned or unmatched, its other live legs must stop:
        ringing ones are cancelled, answered ones hear that the request was taken or withdrawn."""
        now = self.clock()
        with self.db.session() as session:
            rows = session.execute(
                select(CallLeg.id, CallLeg.sid, CallLeg.status)
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
            ).all()
            for leg_id, _, _ in rows:
                session.execute(
                    update(CallLeg).where(CallLeg.id == leg_id).values(stop_requested_at=now)
                )
        for leg_id, sid, status in rows:
            if sid is None:
                continue
            try:
                if status == LegStatus.IN_PROGRESS:
                    self.carrier.redirect_call(sid, self.urls.url(urls.CLOSED, leg=leg_id))
                else:
                    self.carrier.end_call(sid, answered=False)
            except CarrierError as exc:
                log.warning("could not stop leg %s: %s", leg_id, exc)

    def _expire_lost_legs(self) -> None:
        """A leg whose status callbacks never came (lost, or a crash) must not block a search."""
        limits = lost_legs.Limits.of(self.config.matching.ring_timeout_s,
                                     self.config.matching.max_wait_s)
        with self.db.session() as session:
            to_end = lost_legs.expire(session, self.clock(), limits)
        for sid, answered in to_end:
            try:
                self.carrier.end_call(sid, answered=answered)
            except CarrierError as exc:
                log.warning("could not end a lost leg: %s", exc)

    def _end_calls_machines_took(self) -> None:
        """Hang up calls a voicemail or a fax answered (webhooks only record that)."""
        with self.db.session() as session:
            sids = machines.take_calls_to_end(session)
        for sid in sids:
            try:
                self.carrier.end_call(sid, answered=True)
            except CarrierError as exc:
                log.warning("could not hang up on an answering machine: %s", exc)

    def _delete_finished_queues(self) -> None:
        """Queues persist at the carrier until deleted: remove those of finished requests."""
        with self.db.session() as session:
            queue_sids = queues.take_finished(session)
        for queue_sid in queue_sids:
            try:
                self.carrier.delete_queue(queue_sid)
            except CarrierError as exc:
                log.warning("could not delete queue %s: %s", queue_sid, exc)

    def _redirect(self, sid: str, url: str) -> None:
        try:
            self.carrier.redirect_call(sid, url)
        except CarrierError as exc:
            # The caller's hold music checks the state too, so they still hear the outcome.
            log.warning("could not redirect the caller: %s", exc)
