"""The committed .mo catalogues match their .po sources, and Dutch has every text."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).parents[2] / "admin_ui" / "translations"


def _entries(catalog) -> dict:
    def plain(value):
        return tuple(value) if isinstance(value, (list, tuple)) else value

    return {plain(m.id): plain(m.string) for m in catalog if m.id}


@pytest.mark.parametrize("language", ["nl", "en"])
def test_committed_mo_files_are_compiled_from_the_po_files(language):
    folder = TRANSLATIONS / language / "LC_MESSAGES"
    with (folder / "messages.po").open("rb") as file:
        po = read_po(file)
    compiled = io.BytesIO()
    write_mo(compiled, po)
    compiled.seek(0)
    with (folder / "messages.mo").open("rb") as file:
        assert _entries(read_mo(file)) == _entries(read_mo(compiled)), (
            "run: pybabel compile -d admin_ui/translations")


def test_every_text_of_the_pages_has_a_dutch_translation():
    with (TRANSLATIONS / "messages.pot").open("rb") as file:
        template = read_po(file)
    with (TRANSLATIONS / "nl" / "LC_MESSAGES" / "messages.po").open("rb") as file:
        dutch = {m.id: m for m in read_po(file) if m.id}
    missing = [m.id for m in template if m.id and (
        m.id not in dutch or not dutch[m.id].string or dutch[m.id].fuzzy)]
    assert missing == []


def _coded_texts():
    """Each enum of the core with the table of the texts coordinators read for its members."""
    from admin_ui import texts
    from bhc.attention.models import AttentionKind, Resolution
    from bhc.calls.models import LegOutcome, RequestOutcome, RequestState
    from bhc.people.models import ParticipantRole
    from bhc.reports.monthly import UnmatchedKey

    return [(RequestState, texts.STATES), (RequestOutcome, texts.REQUEST_OUTCOMES),
            (LegOutcome, texts.LEG_OUTCOMES), (UnmatchedKey, texts.UNMATCHED_REASONS),
            (ParticipantRole, texts.ROLES), (AttentionKind, texts.ATTENTION_KINDS),
            (AttentionKind, texts.ATTENTION_ADVICE), (Resolution, texts.RESOLUTIONS)]


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_state_and_outcome_has_a_text_in_each_language(language):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as file:
        catalogue = {m.id: m for m in read_po(file) if m.id}
    missing = []
    for enum, table in _coded_texts():
        for member in enum:
            text = table.get(member)
            source = getattr(text, "_args", (None,))[0]  # the msgid of a lazy_gettext
            if text is None or source not in catalogue:
                missing.append(f"{enum.__name__}.{member.name}")
            elif language == "nl" and not catalogue[source].string:
                missing.append(f"{enum.__name__}.{member.name} (no Dutch)")
    assert missing == []
