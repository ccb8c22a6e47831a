"""A category chosen by speaking: which menu entry a recognised phrase names, if exactly one.

Each category is known by its label in the caller's language and a few words the catalogue
keeps for it (msgid ``Spoken words for <slug>``, e.g. "boodschappen, winkelen, supermarkt").
The same words are the carrier's recognition hints. A phrase names a category when one of
those terms is in it ("graag hulp met de boodschappen") or when it is part of one term
("boodschappen" of "boodschappen doen"). No category, or more than one: no choice.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from bhc.i18n import catalogue
from bhc.neighbourhoods.models import Category

# Words a phrase may hold around what it names, which alone name nothing.
FILLERS = {
    "nl": {"ik", "wil", "graag", "hulp", "met", "bij", "de", "het", "een", "voor", "mijn",
           "mij", "om", "te", "en", "of", "alstublieft", "aub", "nodig", "heb", "zou", "willen",
           "iemand", "die", "kan", "me"},
    "en": {"i", "would", "like", "want", "help", "with", "the", "a", "an", "for", "my", "me",
           "to", "and", "or", "please", "need", "someone", "who", "can", "some"},
}


def words_for(category: Category, language: str) -> list[str]:
    """The label and the catalogue's words for this category, as the caller would say them."""
    terms = [category.label(language)]
    msgid = f"Spoken words for {category.slug}"
    listed = catalogue(language).text(msgid)
    if listed != msgid:
        terms += [term.strip() for term in listed.split(",") if term.strip()]
    return terms


def hints(categories: Iterable[Category], language: str) -> str:
    """The recognition hints of a menu: every term of every category, comma-separated, as
    Twilio's <Gather hints> takes them ("words, phrases that have many words")."""
    seen: dict[str, None] = {}
    for category in categories:
        for term in words_for(category, language):
            for part in term.split(","):  # "helpdesk (computer, telefoon)"
                part = part.strip(" ()")
                if part:
                    seen.setdefault(part.replace("(", "").replace(")", ""), None)
    return ", ".join(seen)


def _tokens(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(char for char in plain if not unicodedata.combining(char))
    return re.findall(r"[a-z0-9]+", plain)


def _contains(words: list[str], part: list[str]) -> bool:
    return bool(part) and any(words[i:i + len(part)] == part
                              for i in range(len(words) - len(part) + 1))


def category_named(phrase: str, categories: Iterable[Category],
                   language: str) -> Category | None:
    """The one category the phrase names, or None when it names none or several."""
    said = _tokens(phrase)
    meaningful = [word for word in said if word not in FILLERS.get(language, set())]
    named = []
    for category in categories:
        terms = [_tokens(term) for term in words_for(category, language)]
        if any(_contains(said, term) or _contains(term, meaningful) for term in terms):
            named.append(category)
    return named[0] if len(named) == 1 else None
