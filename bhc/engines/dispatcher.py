"""One dispatcher for every outbound call, paced to the carrier across every engine process.

Volunteer legs, call-backs to residents, reconnections, sign-up code calls and follow-ups all
wait in one queue, ``outbound_calls``, each row written in the same transaction as what it is
for. At each turn an engine claims the best waiting rows (``Priority``, then their place in
their wave, then their age) whose moments come within ``TURN_HORIZON_S``, each taking the
account's next free moment from ``carrier_pace``: one row, locked for the claim, so however
many engine processes run, together they create at most ``[twilio] calls_per_second`` calls,
and the carrier never queues one behind another in an order we did not choose.
``waiting(session)`` counts the calls waiting for their turn (the metrics read it).

A bounded pool of carrier workers places the claimed calls, so no call waits for another's REST
round trip; stopping and redirecting calls use the same pool without a turn (Twilio's CPS limit
counts calls created, not calls changed: "Calls Per Second" at
https://www.twilio.com/docs/voice/api/call-resource), and so do queues deleted.

A claimed row names its engine. If that engine goes away (its ``alive_at`` stops), the call
may or may not have gone out: the others record it as interrupted (never placed again) once
the engine is gone, or once the claim is older than any placement takes. Rows not yet claimed
survive any crash and are placed by whichever engine takes the next turn.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Protocol

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bhc.calls.carrier import Carrier, CarrierError
from bhc.db import Database, utcnow
from bhc.engines import heartbeat
from bhc.engines.models import CarrierPace, OutboundCall
from bhc.phones import mask

log = logging.getLogger(__name__)

# Carrier workers per engine process; placements may use all but a few, kept for stopping and
# redirecting calls, which must not wait behind a burst of placements.
CARRIER_WORKERS = 32
PLACING_AT_ONCE = 24
# A claim older than this is given up even if its engine still beats: no placement takes this
# long (the adapter's timeout and retries included), so it was lost (say, its result could not
# be written).
CLAIM_LEASE = timedelta(minutes=2)
# Within a process, one dispatcher at a time takes turns (between processes, the pace row's
# lock does it).
_TURNS = threading.Lock()
# Calls whose moments come within this much are claimed together, each then waiting for its
# own moment: a wave costs one database round trip, however fast the account's pace. (Its
# priority is settled this much ahead, no more.)
TURN_HORIZON_S = 0.1
# A turn whose calls were all locked by other transactions looks again this soon.
BUSY_RETRY_S = 0.02


class Priority(IntEnum):
    """Whose call goes first when the rate is the limit (lower first)."""

    CALLER_ON_HOLD = 0  # a volunteer leg while the caller waits on hold
    CALL_BACK = 1  # a call-back's resident, while the volunteer who took it waits on hold
    RECONNECTION = 2  # the neighbour of a match, while the one who asked waits on hold
    SIGN_UP_CODE = 3  # a new resident waits on the sign-up page for the code
    CALL_BACK_ROUND = 4  # a volunteer leg of a call-back search: nobody on the line yet
    FOLLOW_UP = 5


class Kind(Protocol):
    """What one kind of outbound call does at the dispatcher's moments, each in the
    transaction of that moment, given the id of what the call is for."""

    def at_turn(self, session: Session, ref_id: int) -> bool | None:
        """Its turn came: True to place it now, False when it is no longer wanted (tidying
        its own rows), None when what it is for is locked by another transaction right now
        (it keeps its place and is looked at again shortly)."""

    def placed(self, session: Session, ref_id: int, sid: str) -> bool:
        """The carrier took the call; True when it must be stopped at once after all."""

    def failed(self, session: Session, ref_id: int, error: str) -> None:
        """The carrier refused it."""

    def interrupted(self, session: Session, ref_id: int) -> None:
        """Its engine went away while placing it: it may or may not have rung."""


@dataclass(frozen=True)
class Dial:
    """What to ring: the number, the exchange number it comes from, and the webhooks (the
    last where the asynchronous answering machine verdict goes, if asked for)."""

    to: str
    from_: str
    answer_url: str
    status_url: str
    detection_url: str | None = None


def withdraw(session: Session, kind: str, ref_ids: Iterable[int]) -> set[int]:
    """Those of ``ref_ids`` still waiting for their turn leave the queue unplaced; returns
    them (the others are being placed, or were)."""
    ids = list(ref_ids)
    if not ids:
        return set()
    waiting = session.execute(
        delete(OutboundCall)
        .where(OutboundCall.kind == kind, OutboundCall.ref_id.in_(ids),
               OutboundCall.claimed_by.is_(None))
        .returning(OutboundCall.ref_id)
    ).scalars().all()
    return set(waiting)


def waiting(session: Session) -> int:
    """Outbound calls waiting for their turn at the carrier, over every engine process."""
    return session.scalar(select(func.count()).select_from(OutboundCall)
                          .where(OutboundCall.claimed_by.is_(None))) or 0


@dataclass(frozen=True)
class _Turn:
    """A claimed call, to be placed by this engine at its moment (``time.time()`` seconds)."""

    id: int
    kind: str
    ref_id: int
    dial: Dial
    at: float


class Dispatcher:
    """Places the queue's calls in turn, at most ``calls_per_second`` over every engine.

    Started (``start``), a thread takes the turns and a pool of carrier workers places the
    calls; not started (tests, a one-off run), ``run_inline`` places every waiting call in the
    calling thread, in the same order and at the same pace.
    """

    def __init__(self, db: Database, carrier: Carrier, kinds: dict[str, Kind],
                 calls_per_second: float, ring_timeout_s: int,
                 on_change: Callable[[], None] = lambda: None, idle_poll_s: float = 1.0,
                 workers: int = CARRIER_WORKERS, placing_at_once: int = PLACING_AT_ONCE) -> None:
        self.db = db
        self.carrier = carrier
        self.kinds = kinds
        self.interval_s = 1.0 / calls_per_second
        self.ring_timeout_s = ring_timeout_s
        self.on_change = on_change  # something happened the engine should look at
        self.idle_poll_s = idle_poll_s
        self.engine_id = "inline"
        self._workers = workers
        self._placing_at_once = placing_at_once
        self._placing = threading.BoundedSemaphore(placing_at_once)
        self._pool: ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._holding: set[int] = set()  # claims of ours whose answer is not written yet
        # Set by this process's engine while one step queues the waves of several searches:
        # only first calls of waves are taken meanwhile (see Engine._step).
        self.first_calls_only = False
        self._unrecorded: list[tuple[_Turn, str | None, str | None]] = []

    # --- running ------------------------------------------------------------------------------

    @property
    def threaded(self) -> bool:
        """Started (and maybe stopped since): calls are placed by its threads or, once it is
        stopped, by another engine, never inline."""
        return self._pool is not None or self._stop.is_set()

    def start(self, engine_id: str) -> None:
        self.engine_id = engine_id
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="bhc-carrier")
        self._thread = threading.Thread(target=self._run, name="bhc-dispatch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Take no more turns; let the calls being placed finish."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def wake(self) -> None:
        """Calls were queued: look now rather than at the next poll."""
        self._wake.set()

    def enqueue(self, session: Session, kind: str, ref_id: int, dial: Dial,
                priority: Priority, position: int = 0) -> None:
        """Put a call in the queue, in the transaction that records what it is for;
        ``position`` is its place in its wave."""
        session.add(OutboundCall(kind=kind, ref_id=ref_id, priority=int(priority),
                                 position=position,
                                 not_before=time.time() + position * self.interval_s,
                                 to_number=dial.to, from_number=dial.from_,
                                 answer_url=dial.answer_url, status_url=dial.status_url,
                                 detection_url=dial.detection_url, enqueued_at=utcnow()))

    def run_inline(self) -> None:
        """Place every call waiting now, in turn and at the pace, in this thread (one claimed
        at a time: the next is claimed once this one's answer is written)."""
        self._record_unrecorded()
        while True:
            turns, wait_s = self._take_turns(1)
            for turn in turns:
                self._place(turn)
            if not turns and wait_s is None:
                return
            if not turns:
                time.sleep(wait_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                wait_s = self._turns_to_the_pool()
            except Exception:
                log.exception("taking turns at the carrier failed; trying again")
                wait_s = self.idle_poll_s
            if wait_s == 0:
                continue
            if wait_s is None:
                self._wake.wait(self.idle_poll_s)
            else:
                self._stop.wait(wait_s)

    def _turns_to_the_pool(self) -> float | None:
        """Claim what the pace and the free carrier workers allow and hand it to the pool;
        how long to wait before looking again (0: at once; None: until woken)."""
        self._record_unrecorded()
        self._placing.acquire()  # a carrier worker free for one more placement
        free = 1
        while free < self._placing_at_once and self._placing.acquire(blocking=False):
            free += 1
        self._wake.clear()
        turns: list[_Turn] = []
        try:
            turns, wait_s = self._take_turns(free)
        finally:
            for _ in range(free - len(turns)):
                self._placing.release()
        for turn in turns:
            self._pool.submit(self._place_then_free, turn)
        return 0 if turns else wait_s

    def _place_then_free(self, turn: _Turn) -> None:
        try:
            self._place(turn)
        except Exception:
            log.exception("placing call %s (%s %s) failed", turn.id, turn.kind, turn.ref_id)
        finally:
            self._placing.release()

    # --- one call -----------------------------------------------------------------------------

    def _take_turns(self, most: int) -> tuple[list[_Turn], float | None]:
        """Claim the best waiting calls whose moments at the account's pace come within
        ``TURN_HORIZON_S`` (at most ``most``): one transaction for a whole wave. Without any,
        how long until the next moment comes that close (None when nothing waits)."""
        with _TURNS, self.db.session() as session:
            # The pace row locked for this transaction: one engine process at a time takes
            # turns. (SQLite has one process, where _TURNS does it: no write, so no write lock,
            # unless a call is claimed.)
            next_at = session.scalar(select(CarrierPace.next_at).with_for_update())
            if next_at is None:  # a database emptied by hand (tests truncate every table)
                _create_pace(session)
                return [], 0.0
            now = time.time()
            if next_at > now + TURN_HORIZON_S:
                return [], next_at - now - TURN_HORIZON_S
            unclaimed = OutboundCall.claimed_by.is_(None)
            if self.first_calls_only:
                unclaimed = and_(unclaimed, OutboundCall.position == 0)
            waiting_now = and_(unclaimed, OutboundCall.not_before <= now + TURN_HORIZON_S)
            rows = session.scalars(
                select(OutboundCall).where(waiting_now)
                .order_by(OutboundCall.priority, OutboundCall.position, OutboundCall.id)
                .limit(most).with_for_update(skip_locked=True)
            ).all()
            turns: list[_Turn] = []
            at = max(next_at, now)
            busy = False
            # The rows' claims and tidying are written together at the end rather than before
            # each next row is read: fewer round trips while every engine waits for the pace.
            with session.no_autoflush:
                for row in rows:
                    if max(at, row.not_before) > now + TURN_HORIZON_S:
                        break
                    wanted = self.kinds[row.kind].at_turn(session, row.ref_id)
                    if wanted is None:
                        busy = True
                        continue
                    if not wanted:
                        session.delete(row)
                        continue
                    at = max(at, row.not_before)
                    row.claimed_by, row.claimed_at = self.engine_id, utcnow()
                    turns.append(_Turn(row.id, row.kind, row.ref_id,
                                       Dial(row.to_number, row.from_number, row.answer_url,
                                            row.status_url, row.detection_url), at))
                    at += self.interval_s
            if turns:
                session.execute(update(CarrierPace).values(next_at=at))
        if turns:  # committed: ours until the carrier's answer is written
            with self._lock:
                self._holding.update(turn.id for turn in turns)
            return turns, None
        if rows:  # none placeable now: better ones may wait unread, or these in a moment
            return [], BUSY_RETRY_S if busy else 0.0
        with self.db.session() as session:
            soonest = session.scalar(select(func.min(OutboundCall.not_before))
                                     .where(unclaimed))
        return [], None if soonest is None else max(0.0, soonest - now - TURN_HORIZON_S)

    def _place(self, turn: _Turn) -> None:
        dial = turn.dial
        if (early_s := turn.at - time.time()) > 0:
            time.sleep(early_s)
        try:
            sid, error = self.carrier.place_call(
                to=dial.to, from_=dial.from_, url=dial.answer_url,
                status_callback=dial.status_url, timeout_s=self.ring_timeout_s,
                machine_detection_url=dial.detection_url), None
        except CarrierError as exc:
            log.warning("could not place the %s call %s to %s: %s", turn.kind, turn.ref_id,
                        mask(dial.to), exc)
            sid, error = None, str(exc) or exc.__class__.__name__
        else:
            log.info("placed the %s call %s to %s", turn.kind, turn.ref_id, mask(dial.to))
        stop = self._record(turn, sid, error)
        if stop and sid is not None:
            self.end_call(sid, answered=False)
        if sid is None or stop:
            self.on_change()

    def _record(self, turn: _Turn, sid: str | None, error: str | None) -> bool:
        """Write the carrier's answer; says whether the call must be stopped after all. If the
        database is away, the answer is kept and written later (``_record_unrecorded``): the
        claim stays this engine's meanwhile, for up to ``CLAIM_LEASE``."""
        kind = self.kinds[turn.kind]
        try:
            with self.db.session() as session:
                mine = session.execute(
                    delete(OutboundCall).where(OutboundCall.id == turn.id,
                                               OutboundCall.claimed_by == self.engine_id)
                ).rowcount
                if not mine:  # we looked gone, and it was counted as interrupted
                    stop = True
                elif sid is None:
                    kind.failed(session, turn.ref_id, error[:200])
                    stop = False
                else:
                    stop = kind.placed(session, turn.ref_id, sid)
        except Exception:
            log.exception("could not record the carrier's answer for the %s call %s; trying "
                          "again later", turn.kind, turn.ref_id)
            with self._lock:
                self._unrecorded.append((turn, sid, error))
            return False
        with self._lock:
            self._holding.discard(turn.id)
        return stop

    def _record_unrecorded(self) -> None:
        """The carrier's answers that could not be written when they came, written now."""
        with self._lock:
            pending, self._unrecorded = self._unrecorded, []
        for turn, sid, error in pending:
            if self._record(turn, sid, error) and sid is not None:
                self.end_call(sid, answered=False)
            self.on_change()

    def end_call(self, sid: str, *, answered: bool) -> None:
        """Stop a call (cancel it while ringing, hang up once answered): at once, without a
        turn, on a carrier worker when running."""
        self._change("end", self.carrier.end_call, sid, answered=answered)

    def redirect_call(self, sid: str, url: str) -> None:
        """Make an answered call go on with the TwiML at ``url``, as ``end_call`` does."""
        self._change("redirect", self.carrier.redirect_call, sid, url)

    def delete_queue(self, queue_sid: str,
                     deleted: Callable[[], None] = lambda: None) -> None:
        """Delete a queue at the carrier, as ``end_call`` does; ``deleted`` runs once it is
        gone (a carrier error is logged, and ``deleted`` not run)."""
        self._change("delete queue", self._delete_queue_now, queue_sid, deleted)

    def _delete_queue_now(self, queue_sid: str, deleted: Callable[[], None]) -> None:
        self.carrier.delete_queue(queue_sid)
        try:
            deleted()
        except Exception:  # the database is away: the queue is deleted again later (a 404)
            log.exception("could not record that queue %s was deleted", queue_sid)

    def _change(self, what: str, action: Callable[..., None], sid: str, *args, **kwargs) -> None:
        pool = self._pool
        if pool is None:
            self._change_now(what, action, sid, args, kwargs)
            return
        try:
            pool.submit(self._change_now, what, action, sid, args, kwargs)
        except RuntimeError:  # shut down meanwhile: change it here
            self._change_now(what, action, sid, args, kwargs)

    @staticmethod
    def _change_now(what, action, sid, args, kwargs) -> None:
        try:
            action(sid, *args, **kwargs)
        except CarrierError as exc:
            log.warning("could not %s call %s: %s", what, sid, exc)

    # --- recovery -----------------------------------------------------------------------------

    def reclaim(self, now: datetime | None = None) -> int:
        """Claims of engines that are gone, or older than any placement takes: each may or may
        not have rung, so each kind records it as interrupted (it is never placed again)."""
        now = now or utcnow()
        with self._lock:
            ours = set(self._holding)
        with self.db.session() as session:
            lapsed = session.scalars(
                select(OutboundCall).where(
                    OutboundCall.claimed_by.is_not(None),
                    or_(OutboundCall.claimed_by.not_in(heartbeat.live_ids(now)),
                        OutboundCall.claimed_at < now - CLAIM_LEASE))
                .with_for_update(skip_locked=True)
            ).all()
            lapsed = [row for row in lapsed
                      if row.id not in ours or row.claimed_at < now - CLAIM_LEASE]
            for row in lapsed:
                self.kinds[row.kind].interrupted(session, row.ref_id)
                session.delete(row)
                log.warning("the %s call %s was being placed by engine %s, which is gone: "
                            "counted as interrupted", row.kind, row.ref_id, row.claimed_by)
        if lapsed:
            self.on_change()
        return len(lapsed)


def _create_pace(session: Session) -> None:
    """The pace row the migration writes, written again if it is gone (by whichever engine
    is first: the others' inserts do nothing)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(CarrierPace).values(id=1, next_at=0.0).on_conflict_do_nothing())
