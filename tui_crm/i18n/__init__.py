"""gettext for every user-visible string: English source strings, a complete Spanish catalog.

`_()` translates with the language chosen at start-up (`ui.language` setting, else
LANGUAGE / LC_ALL / LC_MESSAGES / LANG). `N_()` marks a string for extraction
where it must be translated later, at use. One English word may need two Spanish
ones ("Paid": an invoice is "Cobrada", an amount "Cobrado"): `pgettext(context,
message)` translates in a context, and `NC_(context, message)` marks a string
whose later `_()` will.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

DOMAIN = "tui_crm"
LOCALE_DIR = Path(__file__).parent
LANGUAGES = ("en", "es")

_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"
# A document (a client's invoice, its email) speaks its reader's language, not the
# person's who prints it: `in_language` sets it for the code inside, in this thread or
# task only (a context variable, so a worker printing a Spanish PDF never changes the
# language of the screen drawing at the same time).
_override: ContextVar[tuple[str, gettext.NullTranslations] | None] = ContextVar(
    "tui_crm_language", default=None
)
_catalogs: dict[str, gettext.NullTranslations] = {}


def language_from_environment() -> str:
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            code = value.split(":")[0].split(".")[0].split("_")[0].lower()
            return code if code in LANGUAGES else "en"
    return "en"


def setup(language: str | None = None) -> str:
    """Choose the language for this process; returns the one in use."""
    global _translations, _language
    lang = (language or "").strip().lower() or language_from_environment()
    lang = lang.split("_")[0]
    if lang not in LANGUAGES:
        lang = "en"
    _language = lang
    _translations = _catalog(lang)
    return lang


def _catalog(lang: str) -> gettext.NullTranslations:
    if lang == "en":
        return gettext.NullTranslations()
    found = _catalogs.get(lang)
    if found is None:
        found = gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)
        _catalogs[lang] = found
    return found


def _active() -> gettext.NullTranslations:
    override = _override.get()
    return _translations if override is None else override[1]


def current_language() -> str:
    """The language text is being written in: a document's inside `in_language`, else the
    person's."""
    override = _override.get()
    return _language if override is None else override[0]


def user_language() -> str:
    """The person's own language, even inside `in_language` (for what they read on screen)."""
    return _language


def normal_language(language: str | None) -> str:
    """A known language code from "es", "es_ES", "ES"...; English for anything else."""
    lang = (language or "").strip().lower().replace("-", "_").split("_")[0]
    return lang if lang in LANGUAGES else "en"


@contextmanager
def in_language(language: str | None) -> Iterator[str]:
    """Translate and format in `language` inside the block (this thread or task only)."""
    lang = normal_language(language)
    token = _override.set((lang, _catalog(lang)))
    try:
        yield lang
    finally:
        _override.reset(token)


class _InContext(str):
    """A message marked by NC_: `_()` translates it in its context."""

    context: str


def _(message: str) -> str:
    if message.__class__ is _InContext:
        return _active().pgettext(message.context, message)  # type: ignore[attr-defined]
    return _active().gettext(message)


def pgettext(context: str, message: str) -> str:
    return _active().pgettext(context, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _active().ngettext(singular, plural, n)


def N_(message: str) -> str:
    return message


def NC_(context: str, message: str) -> str:
    """N_ with a context: the message, remembering its context for `_()`."""
    marked = _InContext(message)
    marked.context = context
    return marked


_NUMBER_LOCALES = {"es": "es_ES", "en": "en_IE"}


def count_text(n: int) -> str:
    """A whole number (a count of rows) as the language writes it: 12,345 / 12.345."""
    from babel.numbers import format_decimal

    return format_decimal(n, locale=_NUMBER_LOCALES.get(current_language(), "en_IE"))


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
