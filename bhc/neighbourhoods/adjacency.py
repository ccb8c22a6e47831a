"""Which neighbourhoods border each other: where a search may widen once its own is exhausted."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, aliased

from bhc.neighbourhoods.models import Neighbourhood, NeighbourhoodAdjacency


class AdjacencyError(ValueError):
    """Neighbourhoods cannot be adjoined as asked; the message says why."""


def _by_name(session: Session, name: str) -> Neighbourhood:
    found = session.scalar(select(Neighbourhood).where(Neighbourhood.name == name.strip()))
    if found is None:
        raise AdjacencyError(f"neighbourhood {name!r} does not exist")
    return found


def adjoin(session: Session, name: str, others: list[str], *, remove: bool = False) -> None:
    """Record (or with ``remove`` forget) that a neighbourhood borders each of the others, in
    both directions; doing it twice changes nothing."""
    neighbourhood = _by_name(session, name)
    for other in (_by_name(session, other_name) for other_name in others):
        if other.id == neighbourhood.id:
            raise AdjacencyError(f"neighbourhood {name!r} cannot border itself")
        for one, two in ((neighbourhood, other), (other, neighbourhood)):
            pair = (NeighbourhoodAdjacency.neighbourhood_id == one.id,
                    NeighbourhoodAdjacency.adjacent_id == two.id)
            exists = session.scalar(select(NeighbourhoodAdjacency).where(*pair))
            if remove:
                session.execute(delete(NeighbourhoodAdjacency).where(*pair))
            elif exists is None:
                session.add(NeighbourhoodAdjacency(neighbourhood_id=one.id, adjacent_id=two.id))
    session.flush()


def adjacent_names(session: Session, name: str) -> list[str]:
    """The neighbourhoods bordering this one, by name."""
    adjacent = aliased(Neighbourhood)
    return list(session.scalars(
        select(adjacent.name)
        .join(NeighbourhoodAdjacency, NeighbourhoodAdjacency.adjacent_id == adjacent.id)
        .where(NeighbourhoodAdjacency.neighbourhood_id == _by_name(session, name).id)
        .order_by(adjacent.name)))
