import re

import pytest

from bhc import config
from bhc.config import ConfigError


def test_missing_file_means_embedded_defaults():
    loaded = config.load(None, environ={})
    assert loaded.carrier.kind == "simulated"
    assert loaded.database.url.startswith("sqlite")
    assert loaded.api_base_url == "http://127.0.0.1:8080/sim"


def test_env_vars_override_file_keys(tmp_path):
    path = tmp_path / "bhc.toml"
    path.write_text('[matching]\nmax_attempts = 4\nstrategy = "waves"\n')
    loaded = config.load(path, environ={"BHC_MATCHING_MAX_ATTEMPTS": "7"})
    assert loaded.matching.max_attempts == 7
    assert loaded.matching.strategy == "waves"


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[matching]\nmax_attempts = "many"', "matching.max_attempts"),
        ('[matching]\nstrategy = "random"', "matching.strategy"),
        ('[matching]\nquiet_hours = "late"', "matching.quiet_hours"),
        ('[carrier]\nkind = "kpn"', "carrier.kind"),
        ('[carrier]\nkind = "twilio"', "twilio.account_sid"),
        ('[server]\nport = 70000', "server.port"),
        ('[matchng]\nmax_attempts = 3', "[matchng]"),
        ('[matching]\nmax_atempts = 3', "matching.max_atempts"),
        ('[office]\ncoordinator_phone = "12"', "office.coordinator_phone"),
        ('[office]\nhours = "weekdays"', "office.hours"),
        ('[callback]\nretry_every_s = 0', "callback.retry_every_s"),
        ('[privacy]\nretention_months = 0', "privacy.retention_months"),
        ('[ivr]\nmax_requests_per_hour = 0', "ivr.max_requests_per_hour"),
        ('[matching]\ndaily_cap = 0', "matching.daily_cap"),
        ('[server]\nengine_stale_after_s = 0', "server.engine_stale_after_s"),
        ('[server]\nlog_format = "xml"', "server.log_format"),
        ('[alerts]\nengine_after_s = -1', "alerts.engine_after_s"),
        ('[mail]\nport = 0', "mail.port"),
        ('[mail]\nstarttls = "maybe"', "mail.starttls"),
        ('[mail]\nhost = "smtp.example.nl"', "mail.sender"),
        ('[mail]\nhost = "smtp.example.nl"\nsender = "bhc@example.nl"', "office.email"),
    ],
)
def test_a_bad_value_names_the_key(tmp_path, toml, key):
    path = tmp_path / "bhc.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=re.escape(key)):
        config.load(path, environ={})


def test_invalid_toml_is_reported_with_the_file(tmp_path):
    path = tmp_path / "bhc.toml"
    path.write_text("[matching\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load(path, environ={})


def test_example_config_is_valid_and_documents_every_key():
    import tomllib
    from pathlib import Path

    example = Path(__file__).parents[2] / "config.example.toml"
    data = tomllib.loads(example.read_text())
    config.from_mapping(data)
    for section, values in config.to_mapping(config.Config()).items():
        for key in values:
            assert key in data.get(section, {}), f"{section}.{key} is not documented"


def test_dutch_and_english_have_a_neural_voice_by_default():
    voices = config.Config().ivr.voices
    assert voices == {"nl": "Polly.Laura-Neural", "en": "Polly.Amy-Neural"}
    assert config.languages_without_voice(config.Config()) == []


def test_a_language_without_a_voice_is_named():
    only_dutch = config.from_mapping({"ivr": {"voices": {"nl": "Polly.Laura-Neural"}}})
    assert config.languages_without_voice(only_dutch) == ["en"]


@pytest.mark.parametrize("twilio, message", [
    ({"region": "ie1"}, "twilio.region = 'ie1' needs twilio.edge"),
    ({"region": "IE1", "edge": "dublin"}, "twilio.region must be a Twilio region name"),
])
def test_a_region_needs_an_edge_location(twilio, message):
    with pytest.raises(ConfigError, match=message):
        config.from_mapping({"twilio": twilio})


def test_region_and_edge_come_from_the_environment_too():
    loaded = config.load(environ={"BHC_TWILIO_REGION": "ie1", "BHC_TWILIO_EDGE": "dublin"})
    assert (loaded.twilio.region, loaded.twilio.edge) == ("ie1", "dublin")


def test_machine_detection_is_asynchronous_or_off():
    assert config.Config().carrier.machine_detection == "async"
    with pytest.raises(ConfigError, match="carrier.machine_detection"):
        config.from_mapping({"carrier": {"machine_detection": "Enable"}})
