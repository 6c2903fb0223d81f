"""Every user-visible string has a Spanish translation, and the compiled catalog is current."""

from __future__ import annotations

import io
import re

from babel.messages.mofile import read_mo

from tui_crm.i18n import mo_path
from tui_crm.i18n.catalog import compiled, extract_messages, missing_translations, read_catalog

PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


def test_every_string_has_a_spanish_translation():
    missing = missing_translations("es")
    assert not missing, (
        f"{len(missing)} strings have no Spanish translation (edit the .po, then "
        f"`make i18n`): {missing[:20]}"
    )


def _messages(mo_bytes: bytes) -> dict:
    """The messages a compiled catalog holds, without its header (whose
    `Generated-By` names the tool's version, which is no business of the catalog)."""
    catalog = read_mo(io.BytesIO(mo_bytes))

    def frozen(value):  # a plural's id and strings come as lists
        return tuple(value) if isinstance(value, (list, tuple)) else value

    return {
        (message.context, frozen(message.id)): frozen(message.string)
        for message in catalog
        if message.id  # the header is the entry with an empty id
    }


def test_compiled_catalog_matches_the_po_file():
    shipped = _messages(mo_path("es").read_bytes())
    expected = _messages(compiled("es"))
    assert len(expected) > 1000
    stale = {
        key for key in expected.keys() | shipped.keys() if shipped.get(key) != expected.get(key)
    }
    assert not stale, f"run `make i18n` to recompile: {sorted(stale, key=str)[:10]}"


def test_translations_keep_their_placeholders():
    catalog = read_catalog("es")
    wrong = []
    for message in extract_messages():
        if not message.id or isinstance(message.id, tuple):
            continue
        entry = catalog.get(message.id, context=message.context)
        if entry is None or not entry.string:
            continue
        if sorted(PLACEHOLDER.findall(message.id)) != sorted(PLACEHOLDER.findall(entry.string)):
            wrong.append((message.id, entry.string))
    assert not wrong, wrong[:10]


def test_spanish_from_the_environment(cli, db):
    result = cli(
        "--db", db, "config", "set", "invoice.default_vat", "22", env={"LANG": "es_ES.UTF-8"}
    )
    assert result.returncode == 1
    assert "invoice.default_vat" in result.stderr
    assert "debe ser" in result.stderr  # "must be one of" in Spanish


def test_one_english_word_two_spanish_ones():
    """Contexts: an invoice is "Cobrada", an amount "Cobrado"; a row count agrees in number."""
    from tui_crm import i18n
    from tui_crm.services.projects import STATUS_LABELS
    from tui_crm.ui.formatting import rows_text
    from tui_crm.ui.labels import INVOICE_STATUS_LABELS

    try:
        i18n.setup("es")
        assert i18n._(INVOICE_STATUS_LABELS["paid"]) == "Cobrada"
        assert i18n._("Paid") == "Cobrado"
        assert i18n._(STATUS_LABELS["active"]) == "activo"
        assert i18n.pgettext("recurring invoice", "inactive") == "inactiva"
        assert rows_text(1) == "1 fila"
        assert rows_text(12345) == "12.345 filas"
        i18n.setup("en")
        assert i18n._(INVOICE_STATUS_LABELS["paid"]) == "Paid"
        assert rows_text(1) == "1 row"
        assert rows_text(12345) == "12,345 rows"
    finally:
        i18n.setup("en")
