"""The report's share of requests per language: in which language callers asked for help."""

from __future__ import annotations

from collections.abc import Mapping


def add_to_report(counts: Mapping[tuple[int, str], int], rows: dict[int, dict],
                  total: dict) -> None:
    """``requests_by_language`` ({code: requests}) for each row (by neighbourhood id) and the
    total, from the month's requests counted by (neighbourhood, language the caller heard when
    they chose a category), which ``bhc.report`` gets in its one pass over them."""
    for row in (*rows.values(), total):
        row["requests_by_language"] = {}
    for (neighbourhood_id, language), requests in sorted(counts.items(),
                                                         key=lambda item: item[0][1]):
        targets = [total, rows[neighbourhood_id]] if neighbourhood_id in rows else [total]
        for target in targets:
            shares = target["requests_by_language"]
            shares[language] = shares.get(language, 0) + requests
