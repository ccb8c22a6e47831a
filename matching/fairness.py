"""How evenly the calls are spread over the volunteers."""

from __future__ import annotations


def gini(counts: list[int] | list[float]) -> float:
    """Gini coefficient of non-negative counts: 0 when everyone got as many calls, towards 1
    when a few got them all. Volunteers who got none must be included as zeros."""
    values = sorted(counts)
    total = sum(values)
    if not values or total == 0:
        return 0.0
    n = len(values)
    weighted = sum(rank * value for rank, value in enumerate(values, start=1))
    return 2 * weighted / (n * total) - (n + 1) / n
