"""What callers hear exists in every language, with the same placeholders."""

import re

from babel.messages.pofile import read_po

from bhc.i18n import TRANSLATIONS, available_languages


def messages(code):
    with (TRANSLATIONS / code / "LC_MESSAGES" / "bhc.po").open("rb") as file:
        return {m.id: m.string for m in read_po(file) if m.id}


def test_dutch_and_english_ship_and_dutch_comes_first():
    assert available_languages()[:2] == ("nl", "en")


def test_every_language_has_the_same_messages_and_dutch_translates_them_all():
    dutch = messages("nl")
    assert all(dutch.values()), [k for k, v in dutch.items() if not v]
    for code in available_languages():
        assert messages(code).keys() == dutch.keys()


def test_translations_keep_the_placeholders():
    for msgid, text in messages("nl").items():
        assert sorted(re.findall(r"%\(\w+\)s", msgid)) == sorted(re.findall(r"%\(\w+\)s", text))


def test_every_spoken_text_in_the_code_is_in_the_catalogue():
    from pathlib import Path

    root = Path(__file__).parents[2]
    source = "".join(p.read_text() for p in (root / "ivr").glob("*.py"))
    source = re.sub(r'"\s*\n\s*"', "", source)  # join implicitly concatenated strings
    used = set(re.findall(r'\b(?:say|spoken|speak)\((?:[^"()]|\([^()]*\))*?"([^"]+)"', source))
    # ... and the texts kept in constants, spoken by name (``prompts.THANKS_FOR_CALLING``)
    names = set(re.findall(r"\bspoken\([^()]*?\b(?:prompts\.)?([A-Z_]{4,})\)", source))
    constants = dict(re.findall(r'^([A-Z_]{4,}) = \(?"([^"]+)"', source, re.MULTILINE))
    assert names and names <= constants.keys(), names - constants.keys()
    used |= {constants[name] for name in names}
    assert len(used) > 20
    missing = {text for text in used if text not in messages("nl")}
    assert not missing
