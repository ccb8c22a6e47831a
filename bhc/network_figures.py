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

from sqlalchemy import case, func, literal, select, union, union_all
from sqlalchemy.orm import Session

from bhc.models import HelpRequest, Match

FIELDS = ("pairs_in_contact", "residents_both_roles")
_ALL = -1  # the total's rows in the union below


def add_network_figures(session: Session, in_month, rows: dict[int, dict], total: dict) -> None:
    """Set ``pairs_in_contact`` and ``residents_both_roles`` on each neighbourhood's report
    row (by neighbourhood id) and on the total, for the requests ``in_month`` selects."""
    for row in (*rows.values(), total):
        row.update(dict.fromkeys(FIELDS, 0))
    matched = (select(HelpRequest.neighbourhood_id.label("neighbourhood_id"),
                      Match.asker_id, Match.helper_id)
               .select_from(HelpRequest).join(Match, Match.request_id == HelpRequest.id)
               .where(in_month).cte("matched"))
    first = case((matched.c.asker_id < matched.c.helper_id, matched.c.asker_id),
                 else_=matched.c.helper_id)
    second = case((matched.c.asker_id < matched.c.helper_id, matched.c.helper_id),
                  else_=matched.c.asker_id)
    pairs = (select(matched.c.neighbourhood_id, first.label("first"), second.label("second"))
             .where(matched.c.asker_id.is_not(None), matched.c.helper_id.is_not(None))
             .distinct().cte("pairs"))
    roles = union(*(select(matched.c.neighbourhood_id, person.label("person"),
                           literal(role).label("role")).where(person.is_not(None))
                    for person, role in ((matched.c.asker_id, "asker"),
                                         (matched.c.helper_id, "helper")))).cte("roles")
    both_here = (select(roles.c.neighbourhood_id).group_by(roles.c.neighbourhood_id,
                                                           roles.c.person)
                 .having(func.count(roles.c.role.distinct()) == 2).subquery())
    both_anywhere = (select(roles.c.person).group_by(roles.c.person)
                     .having(func.count(roles.c.role.distinct()) == 2).subquery())
    distinct_pairs = select(pairs.c.first, pairs.c.second).distinct().subquery()
    statement = union_all(
        select(literal("pairs_in_contact"), pairs.c.neighbourhood_id, func.count())
        .group_by(pairs.c.neighbourhood_id),
        select(literal("pairs_in_contact"), literal(_ALL), func.count())
        .select_from(distinct_pairs),
        select(literal("residents_both_roles"), both_here.c.neighbourhood_id, func.count())
        .group_by(both_here.c.neighbourhood_id),
        select(literal("residents_both_roles"), literal(_ALL), func.count())
        .select_from(both_anywhere),
    )
    for field, neighbourhood_id, count in session.execute(statement):
        target = total if neighbourhood_id == _ALL else rows.get(neighbourhood_id)
        if target is not None:
            target[field] = count
