"""`bhc twilio configure-number` against the simulated carrier's IncomingPhoneNumbers."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bhc.cli import main
from ivr.simulator import SimulatedNetwork
from tests.simulator.helpers import ServedApp

SID, TOKEN = "AC" + "b" * 32, "number-token"
NUMBER = "+31701234567"
PUBLIC = "https://bhc.example.nl"


@pytest.fixture
def carrier():
    net = SimulatedNetwork(account_sid=SID, auth_token=TOKEN)
    net.add_number(NUMBER, voice_url="https://old.example.nl/voice", voice_method="GET")
    served = ServedApp(net.wsgi_app, "carrier")
    yield net, served.base
    net.shutdown()
    served.close()


def run(base: str, *args: str, token: str = TOKEN, public_url: str = PUBLIC):
    env = {"BHC_CARRIER_KIND": "twilio", "BHC_TWILIO_ACCOUNT_SID": SID,
           "BHC_TWILIO_AUTH_TOKEN": token, "BHC_TWILIO_API_BASE_URL": base,
           "BHC_SERVER_PUBLIC_URL": public_url}
    return CliRunner().invoke(main, ["twilio", "configure-number", *args], env=env)


def test_configure_number_points_the_number_at_the_exchange(carrier):
    net, base = carrier
    result = run(base, "070 123 4567")
    assert result.exit_code == 0, result.output
    number = net.number(NUMBER)
    assert (number.voice_url, number.voice_method) == (f"{PUBLIC}/ivr/voice", "POST")
    assert number.status_callback == f"{PUBLIC}/ivr/caller/status"
    assert number.voice_fallback_url == f"{PUBLIC}/ivr/fallback"
    assert "voice URL: https://bhc.example.nl/ivr/voice (was https://old.example.nl/voice)" \
        in result.output


def test_check_reports_what_differs_and_changes_nothing(carrier):
    net, base = carrier
    result = run(base, NUMBER, "--check")
    assert result.exit_code == 1
    assert "voice URL: https://old.example.nl/voice differs, should be " \
           "https://bhc.example.nl/ivr/voice" in result.output
    assert "voice fallback URL: (not set) differs" in result.output
    assert net.number(NUMBER).voice_url == "https://old.example.nl/voice"


def test_check_after_configuring_finds_everything_as_it_should_be(carrier):
    _, base = carrier
    assert run(base, NUMBER).exit_code == 0
    result = run(base, NUMBER, "--check")
    assert result.exit_code == 0, result.output
    assert "differs" not in result.output
    assert result.output.count("(as it should be)") == 6


@pytest.mark.parametrize("args, changes, reason", [
    (("+31709999999",), {}, "+31709999999 is not a number of this Twilio account"),
    ((NUMBER,), {"token": "wrong"}, "Twilio refused the credentials (error 20003)"),
    ((NUMBER,), {"public_url": "http://bhc.example.nl"}, "is not https"),
])
def test_configure_number_fails_in_one_line(carrier, args, changes, reason):
    net, base = carrier
    result = run(base, *args, **changes)
    assert result.exit_code == 1
    assert reason in result.output
    assert result.output.count("\n") == 1
    assert net.number(NUMBER).voice_url == "https://old.example.nl/voice"


def test_serve_warns_at_start_when_a_language_has_no_voice(tmp_path, monkeypatch):
    from bhc.cli import running

    monkeypatch.setattr(running, "_serve_until_stopped", lambda exchange, *_: exchange.stop())
    env = {"BHC_DATABASE_URL": f"sqlite:///{tmp_path / 'bhc.sqlite3'}",
           "BHC_IVR_VOICES": "nl=Polly.Laura-Neural"}
    result = CliRunner().invoke(main, ["serve"], env=env)
    assert result.exit_code == 0, result.output
    assert "warning: [ivr] voices names no voice for 'en'" in result.output
    assert "'nl'" not in result.output
