"""Logs an operator can use: one JSON object per line, the request id and the call sid on every
webhook's line, and never a full phone number."""

from __future__ import annotations

import json
import logging

import pytest

from bhc import logs
from tests.integration.conftest import CALLER
from tests.integration.test_webhooks import CALL, start


@pytest.fixture
def json_lines(capsys):
    logs.configure("json")
    yield lambda: [json.loads(line) for line in capsys.readouterr().err.splitlines()
                   if line.startswith("{")]
    logs.configure("text")


def test_a_webhook_logs_json_with_its_call_sid_and_request_id(exchange, phone, json_lines):
    start(phone)
    response = phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="5")
    exchange.engine.tick()
    logging.getLogger("bhc.test").warning("caller %s waited", CALLER)
    lines = json_lines()
    webhook_lines = [line for line in lines if line.get("call_sid") == CALL]
    assert webhook_lines, lines
    assert all({"time", "level", "logger", "message", "request_id"} <= line.keys()
               for line in webhook_lines)
    assert response.headers["X-Request-ID"] in {line["request_id"] for line in webhook_lines}
    assert not any(CALLER in json.dumps(line) for line in lines)
    assert any(line["message"] == "caller +31 7 ****1234 waited" for line in lines)


def test_text_lines_carry_the_call_sid_too_and_mask_numbers(exchange, phone, capsys):
    logs.configure("text")
    start(phone)
    phone.post("/ivr/menu?try=1", CallSid=CALL, Digits="5")
    logging.getLogger("bhc.test").info("from 0612345678 and +31612345678, call %s", CALL)
    err = capsys.readouterr().err
    assert f"call={CALL}]" in err
    assert "0612345678" not in err and "+31612345678" not in err
    assert f"+31 6 ****5678 and +31 6 ****5678, call {CALL}" in err


def test_numbers_in_a_traceback_are_masked_too(json_lines):
    try:
        raise ValueError(f"bad number {CALLER}")
    except ValueError:
        logging.getLogger("bhc.test").exception("failed")
    (line,) = [line for line in json_lines() if line["logger"] == "bhc.test"]
    assert "ValueError" in line["exception"] and CALLER not in line["exception"]
