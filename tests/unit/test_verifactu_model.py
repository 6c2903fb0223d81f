"""The VERI*FACTU tables below the services (m0010): a record never changes, never goes away,
and a new one must follow its issuer's chain; voided invoices stay voided and stop counting."""

from __future__ import annotations

import sqlite3

import peewee
import pytest

from tui_crm import db as db_module
from tui_crm.models import VerifactuRecord
from tui_crm.models.base import utcnow

NIF = "89890001K"


def _client() -> int:
    return db_module.execute(
        "INSERT INTO client (version, created_at, updated_at, updated_by, kind, status, "
        "is_company, legal_name, trade_name, sort_name, tax_id, tax_id_country, tax_id_compact, "
        "email, phone, mobile, fax, website, payment_days, payment_method, iban, vat_rate_bp, "
        "vat_exempt, exemption_reason, irpf_rate_bp, recargo, notes, revenue_total_cents, "
        "outstanding_cents) VALUES (1, '2026-01-01', '2026-01-01', 't', 'client', 'active', 1, "
        "'Cliente SL', '', 'cliente sl', 'B12345674', 'ES', 'B12345674', '', '', '', '', '', 30, "
        "'transfer', '', 2100, 0, '', 0, 0, '', 0, 0)"
    ).lastrowid


def _invoice(client_id: int, number: int, status: str = "issued") -> int:
    return db_module.execute(
        "INSERT INTO invoice (version, created_at, updated_at, updated_by, base_cents, vat_cents, "
        "recargo_cents, irpf_rate_bp, irpf_cents, total_cents, cost_cents, exemption_reason, "
        "kind, status, series, year, number, code, client_id, rectification_reason, "
        "rectification_mode, issue_date, paid_cents, outstanding_cents, payment_terms, notes, "
        "imported, client_name, client_tax_id, client_address, issuer_name, issuer_tax_id, "
        "issuer_address, created_by, issued_by, invoice_type) VALUES (1, '2026-01-01', "
        "'2026-01-01', 't', 10000, 2100, 0, 0, 0, 12100, 0, '', 'standard', ?, 'F', 2026, ?, ?, ?, "
        "'', '', '2026-01-02', 0, 12100, '', '', 0, 'Cliente SL', 'B12345674', '', 'Yo', ?, '', "
        "'t', 't', 'F1')",
        (status, number, f"F2026-{number:05d}", client_id, NIF),
    ).lastrowid


def _record(invoice_id: int, sequence: int, previous: str, hash_: str, **extra) -> int:
    values = {
        "issuer_nif": NIF,
        "issuer_name": "Yo",
        "sequence": sequence,
        "invoice": invoice_id,
        "record_type": "alta",
        "invoice_number": f"F2026-{sequence:05d}",
        "issue_date": "2026-01-02",
        "invoice_type": "F1",
        "vat_total": "21.00",
        "total": "121.00",
        "first_record": previous == "",
        "previous_hash": previous,
        "hash": hash_,
        "generated_at": "2026-01-02T10:00:00+01:00",
        "environment": "test",
        "xml": "<RegistroAlta/>",
        "created_at": utcnow(),
        "created_by": "t",
    }
    values.update(extra)
    return VerifactuRecord.insert(**values).execute()


REFUSED = (peewee.IntegrityError, sqlite3.IntegrityError, peewee.DatabaseError)


def test_records_are_immutable_and_chained_in_the_database(db) -> None:
    client = _client()
    first = _record(_invoice(client, 1), 1, "", "A" * 64)
    second = _record(_invoice(client, 2), 2, "A" * 64, "B" * 64)

    # The transmission columns change as AEAT answers.
    VerifactuRecord.update(status="accepted", csv="CSV123", attempts=1).where(
        VerifactuRecord.id == first
    ).execute()
    assert VerifactuRecord.get_by_id(first).csv == "CSV123"

    for column, value in (("total", "999.00"), ("hash", "C" * 64), ("xml", "<x/>")):
        with pytest.raises(REFUSED, match="immutable"):
            db_module.execute(
                f"UPDATE verifactu_record SET {column} = ? WHERE id = ?", (value, second)
            )
    with pytest.raises(REFUSED, match="cannot be deleted"):
        db_module.execute("DELETE FROM verifactu_record WHERE id = ?", (first,))

    invoice = _invoice(client, 3)
    # A fork (a second record after the same one), a gap, a wrong previous hash, a second first.
    for sequence, previous in ((2, "A" * 64), (4, "B" * 64), (3, "A" * 64), (1, "")):
        with pytest.raises(REFUSED):
            _record(invoice, sequence, previous, "D" * 64)
    _record(invoice, 3, "B" * 64, "D" * 64)
    assert [r.sequence for r in VerifactuRecord.select().order_by(VerifactuRecord.id)] == [1, 2, 3]


def test_a_record_status_is_one_of_the_known_ones(db) -> None:
    record = _record(_invoice(_client(), 1), 1, "", "A" * 64)
    with pytest.raises(REFUSED):
        VerifactuRecord.update(status="sent").where(VerifactuRecord.id == record).execute()


def test_voided_invoices_stay_voided_and_stop_counting_as_revenue(db) -> None:
    client = _client()
    invoice = _invoice(client, 1)
    revenue = "SELECT base_cents FROM client_revenue WHERE client_id = ? AND year = 2026"
    assert db_module.execute(revenue, (client,)).fetchone()[0] == 10000
    db_module.execute(
        "UPDATE invoice SET status = 'voided', outstanding_cents = 0, voided_at = ?, "
        "voided_by = 't', void_reason = 'never happened' WHERE id = ?",
        (utcnow(), invoice),
    )
    assert db_module.execute(revenue, (client,)).fetchone()[0] == 0
    for sql in (
        "UPDATE invoice SET status = 'issued' WHERE id = ?",
        "UPDATE invoice SET void_reason = 'other' WHERE id = ?",
        "UPDATE invoice SET invoice_type = 'F2' WHERE id = ?",
    ):
        with pytest.raises(REFUSED, match="immutable"):
            db_module.execute(sql, (invoice,))
    draft = _invoice(client, 2, status="draft")
    with pytest.raises(REFUSED, match="immutable"):
        db_module.execute("UPDATE invoice SET status = 'voided' WHERE id = ?", (draft,))
