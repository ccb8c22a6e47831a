"""A coordinator sees only their own neighbourhoods: the one rule that limits a query to them."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Select


def in_scope(query: Select, column, neighbourhood_ids: Collection[int] | None) -> Select:
    """``query`` limited to rows whose ``column`` (a neighbourhood id) is one of
    ``neighbourhood_ids``; None means every neighbourhood (an admin), empty means none."""
    if neighbourhood_ids is None:
        return query
    return query.where(column.in_(list(neighbourhood_ids)))
