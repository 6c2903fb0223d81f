"""`fold` (search documents, sort names, duplicate checks) has a fast path for Latin
accents: it must give exactly what the general rule gives, for every character."""

from __future__ import annotations

import unicodedata
from itertools import filterfalse

from tui_crm.text import fold


def _general(text: str) -> str:
    """The rule itself: decompose (NFKD), drop every combining mark, casefold."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(filterfalse(unicodedata.combining, decomposed)).casefold()


def test_fold_is_the_general_rule_for_every_character():
    different = [
        hex(c)
        for c in range(0x80, 0x30000)
        if not 0xD800 <= c <= 0xDFFF and fold(f"a{chr(c)}Z") != _general(f"a{chr(c)}Z")
    ]
    assert different == []


def test_fold_of_names_as_people_write_them():
    samples = {
        "Muñoz": "munoz",
        "MARÍA JOSÉ PEÑA": "maria jose pena",
        "Façade Ærø ﬁn": "facade ærø fin",  # Æ and ø are letters, not accented ones
        "Straße": "strasse",
        "Ελληνικά": "ελληνικα",
        "A\u034fB": "a\u034fb",  # the grapheme joiner is not a combining mark
        "Čapek Dvořák": "capek dvorak",
        "plain ascii": "plain ascii",
    }
    for text, expected in samples.items():
        assert fold(text) == _general(text) == expected, text
