"""The monthly report as a PDF for sharing: the figures with counts under 5 withheld (as in the
CSV), and an HTML rendering of them (made by the caller, in the reader's language) printed to
PDF by WeasyPrint."""

from __future__ import annotations

import copy
import logging

# The CSV's rules: the counts that could point at a few residents, and what they'd reveal.
from bhc.report import _COUNTS, _DERIVED_FROM, SMALL

WITHHELD = "<5"


def is_small(value) -> bool:
    return isinstance(value, int) and 0 < value < SMALL


def _withhold(row: dict) -> None:
    """In place: small counts, and what is derived from them, become "<5"."""
    small = {field for field in (*_COUNTS, "participants")
             if field in row and is_small(row[field])}
    for field, sources in _DERIVED_FROM.items():
        if field in row and small.intersection(sources):
            row[field] = WITHHELD
    for field in small:
        row[field] = WITHHELD
    if "unmatched" in row:
        row["unmatched"] = {key: WITHHELD if is_small(count) else count
                            for key, count in row["unmatched"].items()}
    if "participants" in small:
        row["participants_per_1000_households"] = WITHHELD
    for breakdown in ("signups", "requests_by_language"):
        if breakdown in row:
            row[breakdown] = {key: WITHHELD if is_small(count) else count
                              for key, count in row[breakdown].items()}
    for counts in row.get("by_category", {}).values():
        for field, count in counts.items():
            if is_small(count):
                counts[field] = WITHHELD
    for field in ("requests", "matches"):
        if isinstance(row.get(field), list):  # a history series
            row[field] = [WITHHELD if is_small(count) else count for count in row[field]]


def for_sharing(report: dict) -> dict:
    """A copy of ``bhc.report.monthly_report``'s result fit to share: every count under 5
    (and the figures derived from it) replaced by "<5", this month's, the previous month's
    and the history's alike."""
    shared = copy.deepcopy(report)
    for part in (shared, shared.get("previous", {}), shared.get("history", {})):
        for row in [part.get("total", {}), *part.get("neighbourhoods", [])]:
            _withhold(row)
    return shared


def html_to_pdf(html: str) -> bytes:
    """Print a self-contained HTML page (inline SVG and CSS) to PDF."""
    from weasyprint import HTML  # imported here: loading Pango takes a moment

    # WeasyPrint logs its progress, and every SVG style it leaves to the SVG renderer, as
    # hundreds of lines: noise for a coordinator running `bhc report --format pdf`.
    for name in ("weasyprint", "weasyprint.progress"):
        logging.getLogger(name).setLevel(logging.ERROR)
    return HTML(string=html).write_pdf()
