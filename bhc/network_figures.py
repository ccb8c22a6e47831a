"""The informal support network the exchange builds, from its own matches in a month: how many
pairs of residents were in contact, and how many residents both asked and gave help. (Pairs
matched more than once are the report's ``repeat_contacts``.)

Both count matches of the month's requests, as the rest of the report. A pair is two known
residents whichever of them asked, so A helping B and later B helping A is one pair; a helper
of a caller who is not registered counts as a helper all the same. Per neighbourhood, a
resident counts in both roles when they asked in one of its matches and helped in another; in
the total, when they did so anywhere in the report's neighbourhoods. Only the month counts,
not earlier months, so the figure is comparable from month to month.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from operator import itemgetter

FIELDS = ("pairs_in_contact", "residents_both_roles")


def add_network_figures(matches: Collection[tuple[int, int | None, int | None]],
                        rows: dict[int, dict], total: dict) -> None:
    """Set ``pairs_in_contact`` and ``residents_both_roles`` on each neighbourhood's report
    row (by neighbourhood id) and on the total, from the month's distinct (neighbourhood,
    asker, helper) of its matches, which ``bhc.report`` reads once for all its figures of
    matches (counting in sets here measured several times faster than DISTINCT in SQL)."""
    for row in (*rows.values(), total):
        row.update(dict.fromkeys(FIELDS, 0))
    askers = set(map(itemgetter(0, 1), matches))
    helpers = set(map(itemgetter(0, 2), matches))
    for neighbourhood_id in set(map(itemgetter(0), matches)):  # unknown callers: no role
        askers.discard((neighbourhood_id, None))
        helpers.discard((neighbourhood_id, None))
    pairs = {(n, one, other) if one < other else (n, other, one)
             for n, one, other in matches if one is not None and other is not None}
    both = askers & helpers
    for field, found in (("pairs_in_contact", pairs), ("residents_both_roles", both)):
        for neighbourhood_id, count in Counter(map(itemgetter(0), found)).items():
            if neighbourhood_id in rows:
                rows[neighbourhood_id][field] = count
    total["pairs_in_contact"] = len({pair[1:] for pair in pairs})
    total["residents_both_roles"] = len(set(map(itemgetter(1), askers))
                                        & set(map(itemgetter(1), helpers)))
