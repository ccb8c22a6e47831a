"""The dashboard's "Now" and the volunteers' figures as coordinators read them."""

from __future__ import annotations

import re
from datetime import timedelta

from bhc.db import utcnow
from bhc.engines import heartbeat
from bhc.localtime import local_date, local_midnight_utc
from bhc.models import EngineProcess
from tests.integration.attention.seeding import ended_request, leg, person_id
from tests.integration.conftest import CALLER


def _section(page: str, heading: str) -> str:
    """The dashboard's text from an <h3> up to the next heading."""
    start = page.index(f"<h3>{heading}</h3>")
    end = re.compile(r"<h[23][ >]").search(page, start + 4)
    return page[start:end.start() if end else len(page)]


def _on_hold(exchange, neighbourhood_id: int, caller: str = CALLER) -> int:
    now = utcnow()
    with exchange.db.session() as session:
        request = ended_request(session, neighbourhood_id, person_id(session, caller),
                                now - timedelta(seconds=95), "searching", None)
        request.ended_at, request.searching_since = None, now - timedelta(seconds=85)
        leg(session, request, person_id(session, "+31612340001"), now - timedelta(seconds=20),
            None, status="ringing")
        leg(session, request, person_id(session, "+31612340003"), now - timedelta(seconds=20),
            None, answered=True, status="in-progress")
        leg(session, request, person_id(session, "+31612340002"), now - timedelta(seconds=60),
            "no_answer")
        return request.id


def test_now_shows_callers_on_hold_with_the_volunteers_ringing_masked(coordinator, exchange,
                                                                      neighbourhoods):
    assert "Niemand staat in de wacht." in coordinator.get("/admin/").text
    _on_hold(exchange, neighbourhoods["Segbroek"])
    page = coordinator.get("/admin/").text
    waiting = _section(page, "Bellers in de wacht")
    assert "Segbroek" in waiting and "boodschappen doen" in waiting
    assert re.search(r"1 min [2-5]\d s", waiting)  # since the choice, 85 s and counting
    assert "Volunteer 0001 +31 6 ****0001</li>" in waiting  # ringing
    assert "Volunteer 0003 +31 6 ****0003 (opgenomen, beslist nog)" in waiting
    assert "0002" not in waiting  # rang out already
    assert "+31612340001" not in page
    # Without JavaScript the page reloads itself while someone waits.
    assert '<noscript><meta http-equiv="refresh" content="10"></noscript>' in page


def test_now_shows_only_the_users_neighbourhoods(coordinator, exchange, neighbourhoods):
    _on_hold(exchange, neighbourhoods["Duinoord"], caller="+31612349999")
    page = coordinator.get("/admin/").text
    assert "Niemand staat in de wacht." in page
    assert "Duinoord" not in _section(page, "Vrijwilligers die nu beschikbaar zijn")


def test_now_lists_the_searches_that_ended_in_the_last_hour(coordinator, exchange,
                                                            neighbourhoods):
    now = utcnow()
    with exchange.db.session() as session:
        here = neighbourhoods["Segbroek"]
        ended_request(session, here, None, now - timedelta(minutes=20), "unmatched",
                      "no_candidates", slug="transport")
        ended_request(session, here, None, now - timedelta(hours=2), "matched", "matched",
                      slug="chat")
        ended_request(session, here, None, now - timedelta(minutes=5), "abandoned",
                      "hung_up_in_menu", chose=False)
    ended = _section(coordinator.get("/admin/").text, "Zoektochten die het afgelopen uur eindigden")
    assert "vervoer" in ended and "geen vrijwilliger beschikbaar" in ended
    assert "praatje maken" not in ended  # two hours ago
    assert ended.count("<tr>") == 2  # the heading row and the one search


def test_now_counts_the_volunteers_the_engine_could_ring_right_now(coordinator, exchange,
                                                                   neighbourhoods):
    _on_hold(exchange, neighbourhoods["Segbroek"])
    available = _section(coordinator.get("/admin/").text, "Vrijwilligers die nu beschikbaar zijn")
    rows = re.findall(r"<td>Segbroek</td>\s*<td>([^<]+)</td>\s*<td>(?:<strong>)?([^<]+)<",
                      available)
    counts = dict(rows)
    # Groceries: 0001 and 0003 are on a call; 0002 and the caller (who helps too) are free.
    assert counts["boodschappen doen"] == "2"
    assert counts["vervoer"] == "niemand"  # 0003, on a call
    assert counts["praatje maken"] == "niemand"


def test_now_says_which_engines_run_and_their_last_step(coordinator, exchange, neighbourhoods):
    assert "Er draait geen belproces" in coordinator.get("/admin/").text
    now = utcnow()
    with exchange.db.session() as session:
        engine_id = heartbeat.register(session, now - timedelta(minutes=5))
        heartbeat.beat(session, engine_id, now - timedelta(seconds=2), 0.04)
        silent = heartbeat.register(session, now - timedelta(minutes=10))
        heartbeat.beat(session, silent, now - timedelta(minutes=2), 0.01)
        pid = session.get(EngineProcess, engine_id).pid
    engines = _section(coordinator.get("/admin/").text, "Belproces")
    assert f"Proces {pid} op" in engines
    assert re.search(r"laatste stap \d+(,\d)? s geleden, die 0 s duurde", engines)
    assert re.search(r"stil sinds 2 min \d+ s", engines)
    assert "Er draait geen belproces" not in engines


def test_the_dashboard_refreshes_with_a_script_file_and_no_inline_script(coordinator):
    page = coordinator.get("/admin/").text
    assert '<script src="/admin/static/live.js" defer></script>' in page
    assert len(re.findall(r"<script", page)) == 1
    assert 'id="now"' in page and 'data-live-every="5"' in page
    script = coordinator.get("/admin/static/live.js")
    assert script.status_code == 200 and "data-live" in script.text


def _calls(exchange, neighbourhood_id: int, phone: str, outcomes) -> None:
    """Calls of the last minutes, all of them today (Europe/Amsterdam)."""
    now = utcnow()
    start = max(now - timedelta(minutes=10), local_midnight_utc(local_date(now)))
    with exchange.db.session() as session:
        volunteer = person_id(session, phone)
        for seconds, outcome in enumerate(outcomes, start=1):
            at = start + timedelta(seconds=seconds)
            request = ended_request(session, neighbourhood_id, None, at, "matched", "matched")
            leg(session, request, volunteer, at, outcome,
                answered=outcome in ("accepted", "declined"))


def _names_in_order(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/admin/participants/\d+">([^<]+)</a>', page)


def test_the_volunteers_list_sorts_on_a_column_heading(coordinator, exchange, neighbourhoods):
    here = neighbourhoods["Segbroek"]
    _calls(exchange, here, "+31612340002", ["accepted", "no_answer", "declined"])
    _calls(exchange, here, "+31612340003", ["no_answer"])
    by_name = coordinator.get("/admin/volunteers").text
    assert _names_in_order(by_name) == ["Volunteer 0001", "Volunteer 0002", "Volunteer 0003",
                                        "Volunteer 1234"]
    assert 'aria-sort="ascending"' in by_name
    assert "Bea Duin" not in by_name  # Duinoord's
    by_rung = coordinator.get("/admin/volunteers?sort=rung&order=desc").text
    assert _names_in_order(by_rung)[:2] == ["Volunteer 0002", "Volunteer 0003"]
    assert re.search(r'<th scope="col" aria-sort="descending" class="number">\s*'
                     r'<a href="/admin/volunteers\?sort=rung&amp;days=30">Gebeld', by_rung)
    row = by_rung[by_rung.index("Volunteer 0002"):]
    cells = re.findall(r'<td class="number">([^<]+)</td>', row)[:8]
    assert cells == ["3", "2", "1", "1", "1", "0", "3 van 10", "3 van 3"]
    assert coordinator.get(f"/admin/volunteers?neighbourhood={neighbourhoods['Duinoord']}") \
        .status_code == 403


def test_a_volunteers_page_shows_their_own_figures(coordinator, exchange, neighbourhoods):
    _calls(exchange, neighbourhoods["Segbroek"], "+31612340002", ["accepted", "no_answer"])
    with exchange.db.session() as session:
        volunteer = person_id(session, "+31612340002")
    page = coordinator.get(f"/admin/participants/{volunteer}").text
    figures = page[page.index("<h2>Als vrijwilliger</h2>"):page.index("<h2>Blokkeren")]
    assert "<dt>Gebeld in de laatste 30 dagen</dt><dd>2</dd>" in figures
    assert "<dt>Aangenomen</dt><dd>1</dd>" in figures
    assert "<dt>Geen antwoord</dt><dd>1</dd>" in figures
    assert "<dt>Gesprekken deze week</dt><dd>2 van 10</dd>" in figures
    assert "<dt>Gesprekken vandaag</dt><dd>2 van 3</dd>" in figures
