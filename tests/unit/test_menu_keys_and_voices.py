"""Which keys a caller's menu offers besides the categories, and the voice settings per language."""

from __future__ import annotations

import pytest

from bhc.calls.caller import menu_keys
from bhc.config import ConfigError, from_mapping, load

DEFAULT_CATEGORIES = [1, 2, 3, 4, 5, 6, 7]


def test_english_on_the_language_key_and_own_details_on_8():
    keys = menu_keys(DEFAULT_CATEGORIES, "nl", "9", own_details=True)
    assert keys.languages == (("9", "en"),) and keys.own_details == "8"


def test_in_english_the_language_key_offers_dutch():
    assert menu_keys(DEFAULT_CATEGORIES, "en", "9", own_details=False).languages == (("9", "nl"),)


def test_a_caller_without_a_number_gets_no_own_details_key():
    assert menu_keys(DEFAULT_CATEGORIES, "nl", "9", own_details=False).own_details is None


def test_keys_taken_by_categories_move_to_spare_ones_from_9_down():
    keys = menu_keys([1, 2, 3, 8, 9], "nl", "9", own_details=True)
    assert keys.languages == (("7", "en"),) and keys.own_details == "6"


def test_with_every_digit_taken_the_hash_key_is_used_once():
    keys = menu_keys([1, 2, 3, 4, 5, 6, 7, 8, 9], "nl", "9", own_details=True)
    assert keys.languages == (("#", "en"),) and keys.own_details is None


def test_voices_come_from_a_toml_table_or_the_environment():
    config = from_mapping({"ivr": {"voices": {"nl": "Polly.Lotte"}}})
    assert config.ivr.voices == {"nl": "Polly.Lotte"}
    from_env = load(None, {"BHC_IVR_VOICES": "nl=Polly.Lotte, en=Polly.Joanna",
                           "BHC_IVR_SPEECH_LANGUAGES": "en=en-US"})
    assert from_env.ivr.voices == {"nl": "Polly.Lotte", "en": "Polly.Joanna"}
    assert from_env.ivr.speech_languages == {"en": "en-US"}


@pytest.mark.parametrize("ivr, named", [
    ({"voices": {"fr": "Polly.Celine"}}, "ivr.voices: 'fr'"),
    ({"voices": "nl"}, "ivr.voices must look like"),
    ({"voices": {"nl": 3}}, "ivr.voices must be a table of strings"),
    ({"speech_languages": {"nl": "Dutch please"}}, "ivr.speech_languages.nl"),
    ({"default_language": "fr"}, "ivr.default_language"),
])
def test_bad_language_settings_name_the_key(ivr, named):
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        from_mapping({"ivr": ivr})


def test_speech_rate_is_a_table_of_percentages_dutch_at_90_by_default():
    assert from_mapping({}).ivr.rate_for("nl") == 90
    assert from_mapping({}).ivr.rate_for("en") == 100
    config = from_mapping({"ivr": {"speech_rate": {"nl": 85, "en": "95"}}})
    assert (config.ivr.rate_for("nl"), config.ivr.rate_for("en")) == (85, 95)
    assert load(None, {"BHC_IVR_SPEECH_RATE": "nl=80"}).ivr.rate_for("nl") == 80
    for bad in ({"nl": 300}, {"nl": "fast"}, {"fr": 90}):
        with pytest.raises(ConfigError, match="ivr.speech_rate"):
            from_mapping({"ivr": {"speech_rate": bad}})
