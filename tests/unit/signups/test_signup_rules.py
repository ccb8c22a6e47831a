"""The pure rules of web sign-ups: postcodes, day parts, spam, codes, report channels."""

import pytest

from bhc.reports.participation import channel
from bhc.signups import services as signups
from matching.availability import parse_windows


@pytest.mark.parametrize("typed", ["2551 AB", "2551ab", " 2551-ab ", "2551  Ab"])
def test_dutch_postcodes_are_normalised(typed):
    assert signups.normalise_postcode(typed) == "2551AB"


@pytest.mark.parametrize("typed", ["", "2551", "0551AB", "25511AB", "AB2551", "2551 A1"])
def test_other_text_is_not_a_postcode(typed):
    with pytest.raises(signups.BadPostcode):
        signups.normalise_postcode(typed)


def test_a_listed_full_postcode_covers_better_than_its_four_digits():
    assert signups.covers("2551, 2552", "2552XY") == 1
    assert signups.covers("2551,2552 XY", "2552XY") == 2
    assert signups.covers("2551ab", "2551AB") == 2
    assert signups.covers("2551", "2553AB") == 0
    assert signups.covers("", "2553AB") == 0


def test_ticked_day_parts_become_availability_windows_in_week_order():
    text = signups.availability_from(("weekend-evening", "weekday-morning"))
    assert text == "mo-fr 09:00-12:00; sa-su 17:00-21:00"
    assert len(parse_windows(text)) == 2
    assert signups.availability_from(()) == ""  # any time


def test_a_filled_honeypot_or_a_form_sent_within_seconds_is_spam():
    with pytest.raises(signups.LooksLikeSpam):
        signups.check_not_spam("http://spam.example", 30)
    with pytest.raises(signups.LooksLikeSpam):
        signups.check_not_spam("", 0.5)
    with pytest.raises(signups.LooksLikeSpam):
        signups.check_not_spam("", None)  # the form was never shown to this browser
    signups.check_not_spam("", signups.MIN_FILL_SECONDS + 1)


def test_the_code_is_six_digits_and_depends_on_secret_and_nonce():
    code = signups.code_for("secret", "nonce")
    assert len(code) == 6 and code.isdigit()
    assert signups.code_for("secret", "nonce") == code
    others = {signups.code_for("secret", f"nonce{i}") for i in range(20)}
    assert len(others) > 15
    assert signups.code_for("other secret", "nonce") != code


def test_client_addresses_are_kept_only_as_keyed_hashes():
    key = signups.client_key("secret", "192.0.2.7")
    assert "192.0.2.7" not in key and key == signups.client_key("secret", "192.0.2.7")
    assert key != signups.client_key("secret", "192.0.2.8")


@pytest.mark.parametrize("source, expected", [
    ("web", "web"), ("phone", "phone"), ("coordinator", "coordinator"),
    ("import", "coordinator"), ("demo", "coordinator"), (None, "coordinator")])
def test_participant_sources_map_to_the_reports_channels(source, expected):
    assert channel(source) == expected
