"""The informal support network the exchange builds, from its own matches in a month: how many
pairs of residents were in contact, how many residents both asked and gave help, and how often
two neighbours of a match were put through to each other again (``reconnections``, and the
``matches_reconnected`` with at least one; ``bhc.calls.reconnections``). (Pairs matched more
than once are the report's ``repeat_contacts``.)

Both count matches of the month's requests, as the rest of the report. A pair is two known
residents whichever of them asked, so A helping B and later B helping A is one pair; a helper
of a caller who is not registered counts as a helper all the same. Per neighbourhood, a
resident counts in both roles when they asked in one of its matches and helped in another; in
the total, when they did so anywhere in the report's neighbourhoods. Only the month counts,
not earlier months, so the figure is comparable from month to month.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bhc.calls import reconnections
from bhc.reports.match_people import MonthMatches

FIELDS = ("pairs_in_contact", "residents_both_roles", "reconnections", "matches_reconnected")


def add_network_figures(session: Session, in_month, matches: MonthMatches,
                        rows: dict[int, dict], total: dict) -> None:
    """Set ``pairs_in_contact`` and ``residents_both_roles`` on each neighbourhood's report
    row (by neighbourhood id) and on the total, from the month's matches, which
    ``bhc.report`` reads once for all its figures of matches; and the reconnections of those
    matches (``in_month``: the month's requests)."""
    for row in (*rows.values(), total):
        row.update(dict.fromkeys(FIELDS, 0))
    for field, (per_neighbourhood, overall) in (("pairs_in_contact", matches.pairs()),
                                                ("residents_both_roles", matches.both_roles())):
        for neighbourhood_id, count in per_neighbourhood.items():
            if neighbourhood_id in rows:
                rows[neighbourhood_id][field] = count
        total[field] = overall
    reconnections.add_to_report(session, in_month, rows, total)
