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

from bhc.reports.match_people import MonthMatches

FIELDS = ("pairs_in_contact", "residents_both_roles")


def add_network_figures(matches: MonthMatches, rows: dict[int, dict], total: dict) -> None:
    """Set ``pairs_in_contact`` and ``residents_both_roles`` on each neighbourhood's report
    row (by neighbourhood id) and on the total, from the month's matches, which
    ``bhc.report`` reads once for all its figures of matches."""
    for row in (*rows.values(), total):
        row.update(dict.fromkeys(FIELDS, 0))
    for field, (per_neighbourhood, overall) in (("pairs_in_contact", matches.pairs()),
                                                ("residents_both_roles", matches.both_roles())):
        for neighbourhood_id, count in per_neighbourhood.items():
            if neighbourhood_id in rows:
                rows[neighbourhood_id][field] = count
        total[field] = overall
