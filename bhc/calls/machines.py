"""Answering machines: what the carrier's asynchronous detection means for a call, and the calls
to hang up because a machine took them.

The exchange never asks for Twilio's synchronous detection, which keeps whoever picks up in
silence until it has decided ("Answering Machine Detection"). With ``[carrier]
machine_detection = "async"`` the person hears us at once and the verdict arrives later; only
a voicemail's beep or a fax ends the call early. Detection also calls a person a machine when
they answer with a long greeting ("Goedemiddag, met Piet de Vries"; the AMD FAQ and best
practices warn of it): after such a greeting they wait in silence (``machine_end_silence``),
so that verdict, ``machine_end_other``, ``machine_start`` and ``unknown`` all count as a person
who may still press a key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from bhc.calls.models import CallToEnd

SURELY_MACHINE = frozenset({"machine_end_beep", "fax"})


def surely_machine(answered_by: str | None) -> bool:
    """Whether the detection's verdict leaves no doubt that nobody will listen."""
    return answered_by in SURELY_MACHINE


def end_later(session: Session, call_sid: str | None, reason: str, now: datetime) -> None:
    """Ask the engine to hang up this call (once, however often a webhook is retried)."""
    if not call_sid or session.scalar(select(CallToEnd.id).where(CallToEnd.call_sid == call_sid)):
        return
    session.add(CallToEnd(call_sid=call_sid, reason=reason, requested_at=now))


def calls_to_end_pending():
    """A condition, true when :func:`take_calls_to_end` would find a call to hang up."""
    return exists().where(CallToEnd.id.is_not(None))


def take_calls_to_end(session: Session) -> list[str]:
    """The calls to hang up now; each is taken by one engine only (its row is deleted)."""
    taken = []
    for row_id, call_sid in session.execute(select(CallToEnd.id, CallToEnd.call_sid)).all():
        if session.execute(delete(CallToEnd).where(CallToEnd.id == row_id)).rowcount:
            taken.append(call_sid)
    return taken
