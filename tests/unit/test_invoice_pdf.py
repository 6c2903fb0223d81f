"""The PDFs say what Spanish law asks (RD 1619/2012 art. 6), with accents and the euro sign,
extracted back with pypdf; quotes never show internal notes; printed PDFs are stored once."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from invoicing_support import JAN, D, draft, line, make_client, set_issuer

from tui_crm import config
from tui_crm.db import execute
from tui_crm.exports.pdf import format_date, format_money
from tui_crm.services import documents, invoices, printing, quotes, settings


def _text(data: bytes) -> str:
    from pypdf import PdfReader

    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(text.split())  # words wrapped onto two lines still read as one text


@pytest.fixture
def client_id(db) -> int:
    set_issuer()
    settings.set_value("company.iban", "ES91 2100 0418 4502 0005 1332")
    # This client reads English (its own choice), the language these checks are written in;
    # tests/unit/test_document_language.py has the Spanish documents of Spanish clients.
    return make_client("Peña y Muñoz, Sociedad Limitada", recargo=True, irpf=D(15), language="en")


def test_invoice_pdf_has_every_legal_field(client_id) -> None:
    invoice_id = draft(
        client_id,
        line("Diseño de logotipo", "2", "450", "21", discount=D(10)),
        line("Libro «Guía práctica»", "3", "20", "4"),
        operation_date=dt.date(2026, 1, 5),
        payment_terms="Transferencia a 30 días",
        notes="Gracias por su confianza",
    )
    invoices.issue_invoice(invoice_id, dt.date(2026, 1, 12))
    inv = invoices.get_invoice(invoice_id)
    text = _text(printing.print_invoice(invoice_id).data)
    expected = [
        "Invoice",
        "F2026-00001",  # series and number
        "Series: F",
        format_date(dt.date(2026, 1, 12)),  # issue date
        format_date(dt.date(2026, 1, 5)),  # operation date, different from the issue date
        format_date(inv.due_date),
        "Diseño Núñez SL",  # issuer name, tax ID, address
        "B12345674",
        "Calle Mayor 1, 2º",
        "28001 Madrid",
        "Peña y Muñoz, Sociedad Limitada",  # recipient name, tax ID, address
        "A58818501",
        "Avinguda Diagonal 2",
        "08001 Barcelona",
        "Diseño de logotipo",  # lines: description, quantity, unit price before tax, discount
        "Libro «Guía práctica»",
        format_money(D("450.00")),
        "10 %",
        format_money(D("810.00")),  # line base after discount
        format_money(D("60.00")),
        "21 %",  # IVA rates
        "4 %",
        format_money(D("170.10")),  # IVA 21 % of 810
        format_money(D("2.40")),  # IVA 4 % of 60
        "5,2 %" if "," in format_money(D(1)) else "5.2 %",  # recargo rates and amounts
        format_money(D("42.12")),
        format_money(D("0.30")),
        "IRPF",
        format_money(D("130.50")),  # 15 % of 870
        format_money(inv.totals.total),
        "€",
        "ES91 2100 0418 4502 0005 1332",
        "Transferencia a 30 días",
        "Gracias por su confianza",
    ]
    missing = [item for item in expected if item not in text]
    assert not missing, f"missing from the PDF: {missing}\n---\n{text}"
    assert inv.totals.total == D("870.00") + D("172.50") + D("42.42") - D("130.50")


def test_exempt_and_rectifying_invoice_pdf(db) -> None:
    set_issuer()
    reason = "Operación exenta de IVA, art. 20.Uno.9º Ley 37/1992"
    client_id = make_client("Academia Ñandú", exempt_reason=reason, language="en")
    original = draft(client_id, line("Curso de formación", "1", "300", "0"))
    invoices.issue_invoice(original, JAN)
    text = _text(printing.print_invoice(original).data)
    assert reason in text and "Curso de formación" in text
    rect_id = invoices.create_rectifying_draft(
        original,
        "difference",
        "Descuento por pronto pago no aplicado",
        [line("Descuento", "-1", "30", "0")],
    )
    invoices.issue_invoice(rect_id, dt.date(2026, 1, 3))
    text = _text(printing.print_invoice(rect_id).data)
    for item in (
        "Factura rectificativa",
        "R2026-00001",
        "F2026-00001",  # the invoice it rectifies
        format_date(JAN),  # ... and its date
        "Descuento por pronto pago no aplicado",
        "by difference",
        reason,
        format_money(D("-30.00")),
    ):
        assert item in text, item


def test_quote_pdf_prints_terms_but_never_internal_notes(client_id) -> None:
    quote_id = quotes.create_quote(
        quotes.QuoteInput(
            client_id=client_id,
            title="Rediseño de la tienda online",
            date=JAN,
            valid_days=30,
            delivery_time="Tres semanas",
            shipping_mode="amount",
            shipping=D("25"),
            payment_terms="50 % a la aceptación",
            milestones="50 % a la entrega",
            warranty="Garantía de un año",
            conditions="Válido para pedidos en España",
            internal_notes="SECRETO: margen mínimo 30 %",
            lines=[line("Diseño", "1", "1000")],
        )
    )
    printed = printing.print_quote(quote_id)
    text = _text(printed.data)
    for item in (
        "P2026-0001",
        "Rediseño de la tienda online",
        format_date(dt.date(2026, 1, 31)),  # valid until
        "Tres semanas",
        "Shipping",
        format_money(D("25.00")),
        "50 % a la aceptación",
        "50 % a la entrega",
        "Garantía de un año",
        "Válido para pedidos en España",
        "€",
    ):
        assert item in text, item
    assert "SECRETO" not in text and "margen" not in text
    assert printed.document_id is not None


def test_printed_pdf_is_stored_once_content_addressed(client_id) -> None:
    invoice_id = draft(client_id)
    first = printing.print_invoice(invoice_id)
    assert first.document_id is None  # drafts are not kept
    assert "not valid as an invoice" in _text(first.data)
    invoices.issue_invoice(invoice_id, JAN)
    printed = printing.print_invoice(invoice_id)
    again = printing.print_invoice(invoice_id)
    assert printed.data == again.data and printed.document_id == again.document_id
    doc = documents.get_document(printed.document_id)
    assert (doc.invoice_id, doc.client_id, doc.filename) == (
        invoice_id,
        client_id,
        "F2026-00001.pdf",
    )
    path = config.attachments_dir(db_path()) / doc.sha256[:2] / doc.sha256
    assert path.read_bytes() == printed.data
    assert execute("SELECT COUNT(*) FROM document").fetchone()[0] == 1


def db_path():
    from tui_crm.db import db_path as current

    return current()
