"""gettext for every user-visible string: English source strings, a complete Spanish catalog.

`_()` translates with the language chosen at start-up (`ui.language` setting, else
LANGUAGE / LC_ALL / LC_MESSAGES / LANG). `N_()` marks a string for extraction
where it must be translated later, at use.
"""

from __future__ import annotations

import gettext
import os
from pathlib import Path

DOMAIN = "tui_crm"
LOCALE_DIR = Path(__file__).parent
LANGUAGES = ("en", "es")

_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


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
    if lang == "en":
        _translations = gettext.NullTranslations()
    else:
        _translations = gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)
    return lang


def current_language() -> str:
    return _language


def _(message: str) -> str:
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations.ngettext(singular, plural, n)


def N_(message: str) -> str:
    return message


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
