"""Coordinators see when nobody is being rung: a banner on every page, the engines on the
dashboard."""

from __future__ import annotations

from datetime import timedelta

from bhc.db import utcnow
from bhc.engines import heartbeat

BANNER = "Er worden nu geen vrijwilligers gebeld"


def test_without_a_stepping_engine_every_page_shows_the_banner(coordinator):
    for path in ("/admin/", "/admin/participants", "/admin/requests"):
        page = coordinator.get(path).get_data(as_text=True)
        assert BANNER in page, path
    assert "Er draait geen belproces" in coordinator.get("/admin/").get_data(as_text=True)


def test_a_stepping_engine_is_on_the_dashboard_and_the_banner_goes(coordinator, exchange):
    exchange.engine.register()
    exchange.engine.tick()
    page = coordinator.get("/admin/").get_data(as_text=True)
    assert BANNER not in page
    assert "Belproces" in page and "laatste stap" in page
    assert page.count("laatste stap") == 1  # listed once: in the dashboard's Now section

    with exchange.db.session() as session:  # its last step, long ago: it went silent
        heartbeat.beat(session, exchange.engine.engine_id, utcnow() - timedelta(minutes=2),
                       0.01)
    page = coordinator.get("/admin/").get_data(as_text=True)
    assert BANNER in page and "stil sinds 2 min" in page


def test_the_sign_in_page_shows_no_banner(app):
    assert BANNER not in app.test_client().get("/admin/login").get_data(as_text=True)
