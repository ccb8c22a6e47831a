import pytest

from bhc.phones import InvalidPhoneNumber, is_withheld, mask, to_e164


@pytest.mark.parametrize("text", ["06-12345678", "+31 6 1234 5678", "0031612345678",
                                  "06 12 34 56 78"])
def test_common_notations_become_e164(text):
    assert to_e164(text) == "+31612345678"


def test_nonsense_is_refused():
    with pytest.raises(InvalidPhoneNumber):
        to_e164("12")


def test_mask_keeps_only_the_last_four_digits():
    assert mask("+31612345678") == "+31 6 ****5678"


@pytest.mark.parametrize("caller", ["anonymous", "", "+266696687", "Restricted"])
def test_withheld_numbers_are_recognised(caller):
    assert is_withheld(caller)
