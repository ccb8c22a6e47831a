"""The one home for a help request's state changes: a guarded compare-and-set.

Every change of ``HelpRequest.state`` goes through :func:`transition`, one UPDATE that names the
state it expects, so of two webhooks (or a webhook and the engine) racing, exactly one wins and
a retried or late one changes nothing. The allowed moves, and who makes them:

==============  ==============  ===========================================================
from            to              when
==============  ==============  ===========================================================
menu            searching       the caller chose a category (``caller.choose``)
menu            abandoned       hung up or chose nothing in the menu, or went to the office
abandoned       menu            the office did not answer: back to the menu (``caller``)
searching       abandoned       the caller hung up while on hold
searching       matched         a volunteer pressed 1 first (``volunteer.press``)
searching       unmatched       the policy gave up: nobody (left) to ring, or time is up
matched         searching       the volunteer who pressed 1 left before the bridge
matched         abandoned       the caller hung up after the volunteer's 1, before the bridge
                                (``caller.caller_left``): the match is removed
unmatched       callback_due    the caller asked to be called back
callback_due    matched         a volunteer accepted the call-back and waits on hold
callback_due    unmatched       the call-back expired without a volunteer
matched         unmatched       the called-back resident was unreachable or said no, or the
                                waiting volunteer hung up
matched         matched         the called-back resident pressed 1 (outcome ``called_back``)
==============  ==============  ===========================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from bhc import metrics
from bhc.alerts import incidents
from bhc.calls.models import HelpRequest, RequestState
from bhc.db import utcnow

_S = RequestState
ALLOWED = frozenset({
    (_S.MENU, _S.SEARCHING), (_S.MENU, _S.ABANDONED), (_S.ABANDONED, _S.MENU),
    (_S.SEARCHING, _S.ABANDONED),
    (_S.SEARCHING, _S.MATCHED), (_S.SEARCHING, _S.UNMATCHED), (_S.MATCHED, _S.SEARCHING),
    (_S.MATCHED, _S.ABANDONED),
    (_S.UNMATCHED, _S.CALLBACK_DUE), (_S.CALLBACK_DUE, _S.MATCHED),
    (_S.CALLBACK_DUE, _S.UNMATCHED), (_S.MATCHED, _S.UNMATCHED), (_S.MATCHED, _S.MATCHED),
})


class ForbiddenTransition(ValueError):
    """A change of state the table above does not allow: a bug in the caller, not a race."""


def transition(session: Session, request: HelpRequest | int,
               expected: RequestState | Iterable[RequestState], new: RequestState, *,
               where: Iterable = (), **values) -> bool:
    """Move the request from one of the ``expected`` states to ``new`` (with ``values`` and
    any further ``where`` conditions) in one guarded UPDATE; says whether this call won.

    Given the request object rather than its id, it is refreshed afterwards, so the caller
    sees the state the database settled on, whoever won. A move that won is counted for the
    metrics once committed; one to ``unmatched`` opens an incident for the office's mail.
    """
    states = (expected,) if isinstance(expected, str) else tuple(expected)
    for state in states:
        if (state, new) not in ALLOWED:
            raise ForbiddenTransition(f"a request may not go from {state} to {new}")
    given_id = isinstance(request, int)
    request_id = request if given_id else request.id
    statement = _guarded_update(states, new, tuple(sorted(values)), returning=not given_id)
    if where:
        statement = statement.where(*where)
    parameters = {"request_id": request_id, **{f"new_{name}": v for name, v in values.items()}}
    if given_id:
        moved = session.execute(statement, parameters).rowcount
    else:
        # The row as this UPDATE left it comes back with it, refreshing the object in the
        # same round trip: in a burst the request's row lock is held until commit, and every
        # other webhook of this request waits that long.
        moved = session.execute(statement, parameters).scalars().first() is not None
        if not moved:
            session.refresh(request)
    if moved:
        metrics.request_ended(session, new, values.get("outcome"))
        if new == RequestState.UNMATCHED:
            incidents.request_unmatched(session, request_id, values.get("ended_at") or utcnow())
    return bool(moved)


@lru_cache(maxsize=256)
def _guarded_update(states: tuple[RequestState, ...], new: RequestState,
                    names: tuple[str, ...], *, returning: bool):
    """The compare-and-set of one kind of move, built once with the request's id and the
    values bound at each execution (docs/architecture.md, section 6). There are a few dozen
    kinds."""
    columns = HelpRequest.__table__.c
    statement = (update(HelpRequest)
                 .where(HelpRequest.id == bindparam("request_id"), HelpRequest.state.in_(states))
                 .values(state=new, **{name: bindparam(f"new_{name}", type_=columns[name].type)
                                       for name in names}))
    if returning:
        return (statement.returning(HelpRequest)
                .execution_options(synchronize_session=False, populate_existing=True))
    return statement.execution_options(synchronize_session=False)
