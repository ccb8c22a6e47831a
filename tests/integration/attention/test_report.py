
"""The monthly report's "needs attention" figures, worked out by hand; on both databases."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bhc.attention.models import AttentionItem
from bhc.config import Config
from bhc.models import Neighbourhood
from bhc.reports.monthly import monthly_report, to_csv

CREATED = datetime(2026, 9, 1)


def with_office_hours(hours: str) -> Config:
    return replace(Config(), office=replace(Config().office, hours=hours))


def _item(session, ref: int, where: int, kind: str, raised: datetime,
          closed: datetime | None = None, resolution: str | None = None) -> None:
    session.add(AttentionItem(kind=kind, ref_id=ref, neighbourhood_id=where, raised_at=raised,
                              closed_at=closed, resolution=resolution, note=""))


def _seed(database) -> None:
    """Times are naive UTC. Office hours mo-fr 09:00-17:00 in Amsterdam: a working day is 8 h
    of them. Summer time ends on Sunday 25 October 2026."""
    with database.session() as session:
        ids = {}
        for name in ("Segbroek", "Duinoord"):
            row = Neighbourhood(name=name, households=100, created_at=CREATED)
            session.add(row)
            session.flush()
            ids[name] = row.id
        segbroek, duinoord = ids["Segbroek"], ids["Duinoord"]
        # A: Friday 23 Oct 17:30 (after closing) to Monday 26 Oct 16:59 (winter time):
        # 7 h 59 min of office time: within.
        _item(session, 1, segbroek, "unmatched", datetime(2026, 10, 23, 15, 30),
              datetime(2026, 10, 26, 15, 59), "handled")
        # B: Monday 5 Oct 10:00 to Tuesday 10:30: 7 h + 1.5 h = 8.5 h: not within.
        _item(session, 2, segbroek, "abandoned", datetime(2026, 10, 5, 8, 0),
              datetime(2026, 10, 6, 8, 30), "not_reached")
        # C: Wednesday 7 Oct 12:00, still open: not within.
        _item(session, 3, segbroek, "not_helped", datetime(2026, 10, 7, 10, 0))
        # D: Saturday 10 Oct 11:00 to 12:00: no office time at all: within.
        _item(session, 4, segbroek, "sign_up_callback", datetime(2026, 10, 10, 9, 0),
              datetime(2026, 10, 10, 10, 0), "handled")
        # E: Thursday 1 Oct 00:30 (October in Amsterdam) to 17:00: exactly 8 h: within.
        _item(session, 5, segbroek, "unmatched", datetime(2026, 9, 30, 22, 30),
              datetime(2026, 10, 1, 15, 0), "handled")
        # F: 30 Sep 23:30 in Amsterdam: September.
        _item(session, 6, segbroek, "unmatched", datetime(2026, 9, 30, 21, 30))
        # G: Saturday 31 Oct 23:30 (winter time: October) to Monday 2 Nov 09:30: within.
        _item(session, 7, duinoord, "check_in", datetime(2026, 10, 31, 22, 30),
              datetime(2026, 11, 2, 8, 30), "handled")
        # H: 1 November 00:30 in Amsterdam: November.
        _item(session, 8, duinoord, "check_in", datetime(2026, 10, 31, 23, 30))


def _kinds(**counts) -> dict:
    kinds = ("unmatched", "abandoned", "callback_expired", "not_helped", "sign_up_callback",
             "stopped_by_phone", "check_in")
    return {kind: counts.get(kind, 0) for kind in kinds}


SEGBROEK = {"attention_items": 5, "attention_handled": 3, "attention_not_reached": 1,
            "attention_open": 1, "attention_within_a_working_day": 3,
            "attention_within_a_working_day_rate": 0.6,
            "attention_by_kind": _kinds(unmatched=2, abandoned=1, not_helped=1,
                                        sign_up_callback=1)}
DUINOORD = {"attention_items": 1, "attention_handled": 1, "attention_not_reached": 0,
            "attention_open": 0, "attention_within_a_working_day": 1,
            "attention_within_a_working_day_rate": 1.0,
            "attention_by_kind": _kinds(check_in=1)}
TOTAL = {"attention_items": 6, "attention_handled": 4, "attention_not_reached": 1,
         "attention_open": 1, "attention_within_a_working_day": 4,
         "attention_within_a_working_day_rate": 0.6667,  # 4 / 6
         "attention_by_kind": _kinds(unmatched=2, abandoned=1, not_helped=1,
                                     sign_up_callback=1, check_in=1)}


def _attention(row: dict) -> dict:
    return {key: value for key, value in row.items() if key.startswith("attention_")}


def test_the_report_counts_items_and_those_closed_within_a_working_day(database):
    _seed(database)
    with database.session() as session:
        report = monthly_report(session, "2026-10", config=with_office_hours("mo-fr 09:00-17:00"))
    rows = {row["name"]: _attention(row) for row in report["neighbourhoods"]}
    assert rows == {"Segbroek": SEGBROEK, "Duinoord": DUINOORD}
    assert _attention(report["total"]) == TOTAL


def test_without_office_hours_a_working_day_is_a_whole_day(database):
    _seed(database)
    with database.session() as session:
        report = monthly_report(session, "2026-10", config=with_office_hours(""))
    within = {row["name"]: row["attention_within_a_working_day"]
              for row in report["neighbourhoods"]}
    assert within == {"Segbroek": 2, "Duinoord": 0}  # D (1 h) and E (16.5 h) only


def test_a_coordinators_report_counts_only_their_neighbourhoods(database):
    _seed(database)
    with database.session() as session:
        duinoord = session.query(Neighbourhood).filter_by(name="Duinoord").one().id
        report = monthly_report(session, "2026-10", [duinoord])
    assert _attention(report["total"]) == DUINOORD


def test_the_shared_csv_withholds_small_counts(database):
    _seed(database)
    with database.session() as session:
        report = monthly_report(session, "2026-10")
    header, *lines = to_csv(report).splitlines()
    columns = header.split(",")
    total = dict(zip(columns, lines[-1].split(",")))
    assert total["attention_items"] == "6"
    assert total["attention_handled"] == "<5"
    assert total["attention_within_a_working_day_rate"] == "<5"  # derived from a small count
    assert total["attention_check_in"] == "<5"
    assert total["attention_stopped_by_phone"] == "0"
