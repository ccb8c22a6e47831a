"""What may be shared of the monthly report: counts under 5 could point at a few residents, so
the CSV and PDF exports show them, and the figures derived from them, as "<5"."""

from __future__ import annotations

import copy

from bhc.attention import report as attention_figures
from bhc.reports import network as network_figures

SMALL = 5  # counts under this are withheld in exports meant for sharing
WITHHELD = "<5"
# The counts that could point at a few residents, and the figures derived from them.
COUNTS = ("requests", "matches", "abandoned", "in_progress", "residents_in_contact",
          "repeat_contacts", "active_helpers", "active_askers", "followups_answered",
          "help_given", "wants_contact_again", *network_figures.FIELDS,
          *attention_figures.FIELDS)
DERIVED_FROM = {"match_rate": ("requests", "matches"),
                "help_given_rate": ("followups_answered", "help_given"),
                "median_time_to_match_s": ("matches",), "p90_time_to_match_s": ("matches",),
                "volunteers_rung_per_match": ("matches",), "reach": ("residents_in_contact",),
                attention_figures.RATE: ("attention_items", "attention_within_a_working_day")}


def suppressed(count: int) -> int | str:
    """A count as the shared CSV shows it."""
    return WITHHELD if 0 < count < SMALL else count


def is_small(value) -> bool:
    return isinstance(value, int) and 0 < value < SMALL


def _withhold(row: dict) -> None:
    """In place: small counts, and what is derived from them, become "<5"."""
    small = {field for field in (*COUNTS, "participants")
             if field in row and is_small(row[field])}
    for field, sources in DERIVED_FROM.items():
        if field in row and small.intersection(sources):
            row[field] = WITHHELD
    for field in small:
        row[field] = WITHHELD
    if "unmatched" in row:
        row["unmatched"] = {key: WITHHELD if is_small(count) else count
                            for key, count in row["unmatched"].items()}
    if "participants" in small:
        row["participants_per_1000_households"] = WITHHELD
    for breakdown in ("signups", "requests_by_language", "attention_by_kind"):
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
    """A copy of ``bhc.reports.monthly.monthly_report``'s result fit to share: every count under 5
    (and the figures derived from it) replaced by "<5", this month's, the previous month's
    and the history's alike."""
    shared = copy.deepcopy(report)
    for part in (shared, shared.get("previous", {}), shared.get("history", {})):
        for row in [part.get("total", {}), *part.get("neighbourhoods", [])]:
            _withhold(row)
    for place in shared.get("helper_gaps", {}).get("neighbourhoods", []):
        _withhold_gaps(place)
    return shared


def _withhold_gaps(place: dict) -> None:
    """In place: where helpers are missing, with its small counts of helpers and requests
    (and the calls a week that follow from the helpers) as "<5"."""
    for gap in place["largest_gaps"]:
        for field in ("requests", "unhelped"):
            if is_small(gap[field]):
                gap[field] = WITHHELD
    for grid in place["categories"].values():
        if is_small(grid["helpers"]):
            grid["helpers"] = grid["calls_a_week"] = WITHHELD
        for field in ("helpers_by_hour", "requests_by_hour", "unhelped_by_hour"):
            grid[field] = [[WITHHELD if is_small(count) else count for count in day]
                           for day in grid[field]]
