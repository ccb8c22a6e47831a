"""What an operator's tools read: /healthz for a load balancer, /metrics for Prometheus."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from bhc.app import create_app
from bhc.db import utcnow
from bhc.engines import heartbeat
from tests.integration.conftest import CALLER
from tests.integration.test_webhooks import CALL, start


def scrape(client, **headers) -> dict[str, float]:
    """Every sample of /metrics by name and labels, read with prometheus_client's parser."""
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.data
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples


def test_healthz_is_200_while_an_engine_steps_and_503_naming_the_engine_when_none_does(
        exchange):
    client = create_app(exchange).test_client()
    stale_after = exchange.config.server.engine_stale_after_s
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json["database"] == "ok" and answer.json["engine"] == "stale"

    exchange.engine.register()
    exchange.engine.tick()
    answer = client.get("/healthz")
    assert answer.status_code == 200, answer.json
    assert answer.json["database"] == answer.json["engine"] == "ok"
    assert 0 <= answer.json["engine_last_step_s"] < stale_after
    assert CALLER not in answer.get_data(as_text=True)

    with exchange.db.session() as session:  # the engine's last step, long ago
        heartbeat.beat(session, exchange.engine.engine_id,
                       utcnow() - timedelta(seconds=stale_after + 1), 0.01)
    answer = client.get("/healthz")
    assert answer.status_code == 503 and answer.json["engine"] == "stale"
    assert answer.json["engine_last_step_s"] > stale_after


def test_healthz_names_the_database_when_it_is_gone(config, carrier):
    from bhc.bootstrap import build

    broken = build(config.replace(database={"url": "postgresql+psycopg://nobody@127.0.0.1:1/x"}),
                   carrier=carrier)
    answer = create_app(broken).test_client().get("/healthz")
    assert answer.status_code == 503
    assert answer.json["database"] == "unreachable"
    broken.stop()


def test_metrics_count_the_matches_made_and_show_the_search_going_on(exchange, carrier, phone):
    client = create_app(exchange).test_client()
    before = scrape(client)
    matches = 2
    for number in range(matches):
        sid = f"{CALL[:-1]}{number}"
        start(phone, sid=sid)
        phone.post("/ivr/menu?try=1", CallSid=sid, Digits="1")
        exchange.engine.tick()
        searching = scrape(client)
        assert searching["bhc_searches_in_progress{}"] == 1
        assert searching["bhc_callers_on_hold{}"] == 1
        leg_sid = carrier.placed[-1]["sid"]
        leg = carrier.placed[-1]["url"].rsplit("leg=", 1)[1]
        phone.post(f"/ivr/volunteer/answer?leg={leg}&try=1", CallSid=leg_sid, Digits="1")
    after = scrape(client)

    count = "bhc_time_to_match_seconds_count{}"
    assert after[count] - before.get(count, 0) == matches
    ended = "bhc_requests_ended_total{outcome=matched}"
    assert after[ended] - before.get(ended, 0) == matches
    assert after["bhc_searches_in_progress{}"] == 0
    route = "bhc_webhook_seconds_count{route=/ivr/menu}"
    assert after[route] - before.get(route, 0) == matches


def test_metrics_want_the_token_when_one_is_set_and_otherwise_a_local_client(exchange):
    exchange.config = exchange.config.replace(server={"metrics_token": "s3cret-token"})
    client = create_app(exchange).test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert "bhc_callers_on_hold{}" in scrape(client, Authorization="Bearer s3cret-token")

    exchange.config = exchange.config.replace(server={"metrics_token": ""})
    open_client = create_app(exchange).test_client()
    assert open_client.get("/metrics").status_code == 200  # the test client is 127.0.0.1
    remote = open_client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert remote.status_code == 403
