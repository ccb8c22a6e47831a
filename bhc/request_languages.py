"""The report's share of requests per language: in which language callers asked for help."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bhc.models import HelpRequest


def add_to_report(session: Session, in_month, rows: dict[int, dict], total: dict) -> None:
    """``requests_by_language`` ({code: requests}) for each row (by neighbourhood id) and the
    total, counting the month's requests (``in_month``, a condition on HelpRequest) by the
    language the caller heard when they chose a category."""
    for row in (*rows.values(), total):
        row["requests_by_language"] = {}
    counts = session.execute(
        select(HelpRequest.neighbourhood_id, HelpRequest.language, func.count())
        .where(in_month).group_by(HelpRequest.neighbourhood_id, HelpRequest.language)
        .order_by(HelpRequest.language))
    for neighbourhood_id, language, requests in counts:
        targets = [total, rows[neighbourhood_id]] if neighbourhood_id in rows else [total]
        for target in targets:
            shares = target["requests_by_language"]
            shares[language] = shares.get(language, 0) + requests
