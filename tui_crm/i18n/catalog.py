"""Catalog maintenance with Babel: extraction from the sources, merge, compile."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from . import DOMAIN, LANGUAGES, mo_path, po_path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
KEYWORDS = {
    "_": None,
    "N_": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "NC_": ((1, "c"), 2),
}


def extract_messages() -> Catalog:
    """Every translatable string in the package's Python sources."""
    catalog = Catalog(project="tui-crm", domain=DOMAIN)
    method_map = [("**.py", "python")]
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PACKAGE_DIR), method_map=method_map, keywords=KEYWORDS
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def read_catalog(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, domain=DOMAIN)
    with path.open("rb") as fh:
        return read_po(fh, locale=lang, domain=DOMAIN)


def extract_into_catalogs() -> None:
    template = extract_messages()
    for lang in LANGUAGES:
        if lang == "en":
            continue
        catalog = read_catalog(lang)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.project = "tui-crm"
        catalog.version = ""
        catalog.copyright_holder = "the tui-crm authors"
        catalog.msgid_bugs_address = ""
        catalog.last_translator = "tui-crm authors"
        catalog.language_team = "Spanish"
        catalog.fuzzy = False
        path = po_path(lang)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(
                fh,
                catalog,
                width=100,
                omit_header=False,
                sort_output=True,
                include_previous=False,
                ignore_obsolete=True,
                no_location=True,
            )


def compiled(lang: str) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, read_catalog(lang), use_fuzzy=False)
    return buffer.getvalue()


def compile_catalogs() -> None:
    for lang in LANGUAGES:
        if lang != "en":
            mo_path(lang).write_bytes(compiled(lang))


def missing_translations(lang: str) -> list[str]:
    """Source strings with no (or a fuzzy) translation in `lang`."""
    catalog = read_catalog(lang)
    missing = []
    for message in extract_messages():
        if not message.id:
            continue
        entry = catalog.get(message.id, context=message.context)
        if (
            entry is None
            or entry.fuzzy
            or not entry.string
            or (isinstance(entry.string, tuple) and not all(entry.string))
        ):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return sorted(missing)
