"""Documents speak their client's language (issue 16, item 4): the invoice's and quote's PDF,
their amounts and dates, the default payment terms, and the email that carries them, in
Spanish for a client in a Spanish-speaking country, English otherwise (or the business's
default), or the client's own choice; whatever language the person printing uses."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from invoicing_support import D, draft, line, make_client, set_issuer
from smtp_support import keyring_env, smtp_server

from tui_crm.i18n import current_language, in_language, setup

T = dt.date.today()
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def english_client(name: str = "Smith & Sons Ltd") -> int:
    from tui_crm.services import clients

    return clients.create_client(
        clients.ClientInput(
            legal_name=name, tax_id="GB980780684", tax_id_country="GB", kind="client"
        ),
        clients.AddressInput(line1="1 High Street", postal_code="SW1A 1AA", city="London",
                             country="GB"),
    )  # fmt: skip


def issue_692(client_id: int) -> int:
    """An invoice of 571.91 + IVA 21 % 120.10 = 692.01 €, issued today."""
    from tui_crm.services import invoices

    invoice_id = draft(client_id, line("Diseño de catálogo", "1", "571.91", "21"))
    invoices.issue_invoice(invoice_id, T)
    return invoice_id


@pytest.fixture
def business(db):
    set_issuer()
    setup("en")  # the person printing reads English
    yield db
    setup("en")


def test_spanish_client_gets_a_spanish_invoice_whatever_the_users_language(business) -> None:
    from tui_crm.services import printing

    invoice_id = issue_692(make_client())  # Barcelona
    for person in ("en", "es"):
        setup(person)
        text = pdf_text(printing.print_invoice(invoice_id).data)
        assert "Factura" in text and "NIF" in text and "692,01 €" in text, text
        assert "Invoice" not in text and "Tax ID" not in text and "€692.01" not in text
        assert T.strftime("%d/%m/%Y") in text  # the date as Spanish writes it
        assert current_language() == person  # printing changed nobody's language


def test_english_client_gets_an_english_invoice(business) -> None:
    from tui_crm.services import printing

    setup("es")  # a Spanish colleague prints it
    text = pdf_text(printing.print_invoice(issue_692(english_client())).data)
    assert "Invoice" in text and "Tax ID" in text and "€692.01" in text, text
    assert "Factura" not in text and "692,01 €" not in text


def test_business_default_and_client_override(business) -> None:
    from tui_crm.services import clients, printing, settings
    from tui_crm.services.client_language import language_for_client

    london = english_client()
    madrid = make_client("Ana Pérez", "12345678Z")
    assert (language_for_client(london), language_for_client(madrid)) == ("en", "es")
    settings.set_value("documents.language", "es")  # this business writes Spanish to all
    assert language_for_client(london) == "es"
    detail = clients.get_client(madrid)
    detail.data.language = "en"  # this Madrid client reads English
    clients.update_client(madrid, detail.data, detail.version)
    assert language_for_client(madrid) == "en"
    text = pdf_text(printing.print_invoice(issue_692(madrid)).data)
    assert "Invoice" in text and "€692.01" in text
    with pytest.raises(Exception, match="must be one of es, en"):
        detail = clients.get_client(madrid)
        detail.data.language = "fr"
        clients.update_client(madrid, detail.data, detail.version)


def test_default_payment_terms_print_in_the_documents_language(business) -> None:
    """Terms taken as a default while the UI spoke Spanish print in English for an English
    client (and the reverse); terms a person wrote print as written."""
    from tui_crm.services import invoices, printing

    london = english_client()
    setup("es")
    assert invoices.invoice_defaults(london).payment_terms == "Payment within 30 days"
    invoice_id = draft(london, line(), payment_terms="Pago a 30 días")  # saved in Spanish
    invoices.issue_invoice(invoice_id, T)
    text = pdf_text(printing.print_invoice(invoice_id).data)
    assert "Payment within 30 days" in text and "Pago a 30 días" not in text
    setup("en")
    barcelona = make_client()
    assert invoices.invoice_defaults(barcelona).payment_terms == "Pago a 30 días"
    own = draft(barcelona, line(), payment_terms="Transferencia a 45 días")
    invoices.issue_invoice(own, T)
    assert "Transferencia a 45 días" in pdf_text(printing.print_invoice(own).data)


def test_quote_pdf_in_the_clients_language(business) -> None:
    from tui_crm.services import printing, quotes
    from tui_crm.services.lines import LineInput

    quote_id = quotes.create_quote(
        quotes.QuoteInput(
            client_id=make_client(),
            title="Web",
            payment_terms="Payment within 30 days",
            lines=[LineInput(description="Web", quantity=D(1), unit_price=D("571.91"),
                             vat_rate=D(21))],
        )
    )  # fmt: skip
    text = pdf_text(printing.print_quote(quote_id).data)
    assert "Presupuesto" in text and "692,01 €" in text and "Pago a 30 días" in text, text


def test_in_language_is_this_threads_only(business) -> None:
    import threading

    from tui_crm.i18n import _

    seen: list[str] = []
    with in_language("es"):
        worker = threading.Thread(target=lambda: seen.append(_("Invoice")))
        worker.start()
        worker.join()
        assert _("Invoice") == "Factura"
    assert seen == ["Invoice"] and _("Invoice") == "Invoice"


# --- the email and its PDF, over a real SMTP server -----------------------------------


def _smtp(cli, db, server) -> None:
    for key, value in (
        ("smtp.host", server.host),
        ("smtp.port", str(server.port)),
        ("smtp.security", "none"),
        ("smtp.user", ""),
        ("smtp.from", "facturas@disenonunez.es"),
    ):
        assert cli("--db", db, "config", "set", key, value).returncode == 0


def _pdf_of(message) -> str:
    [attachment] = [p for p in message.iter_attachments()]
    return pdf_text(attachment.get_content())


def test_email_and_pdf_speak_the_clients_language(cli, business, tmp_path) -> None:
    from tui_crm.services import contacts, invoices

    madrid = make_client()
    contacts.create_contact(
        madrid, contacts.ContactData(first_name="Lucía", email="lucia@pm.es", is_billing=True)
    )
    london = english_client()
    contacts.create_contact(
        london, contacts.ContactData(first_name="John", email="john@smith.co.uk", is_billing=True)
    )
    spanish = invoices.get_invoice(issue_692(madrid)).code
    english = invoices.get_invoice(issue_692(london)).code
    env = {**keyring_env(tmp_path), "LANGUAGE": "en", "LANG": "en_GB.UTF-8"}
    with smtp_server(tmp_path) as server:
        _smtp(cli, business, server)
        for code in (spanish, english):
            sent = cli("--db", business, "send", "invoice", code, env=env)
            assert sent.returncode == 0, sent.stderr
        # --language es: a Spanish email AND a Spanish PDF for the London client
        sent = cli("--db", business, "send", "invoice", english, "--language", "es", env=env)
        assert sent.returncode == 0, sent.stderr
    to_madrid, to_london, to_london_es = server.messages
    assert to_madrid.message["Subject"].startswith(f"Factura {spanish}")
    body = to_madrid.message.get_body(("plain",)).get_content().replace("\xa0", " ")
    assert "692,01 €" in body
    pdf = _pdf_of(to_madrid.message)
    assert "Factura" in pdf and "NIF" in pdf and "692,01 €" in pdf
    assert to_london.message["Subject"].startswith(f"Invoice {english}")
    pdf = _pdf_of(to_london.message)
    assert "Invoice" in pdf and "€692.01" in pdf and "Factura" not in pdf
    assert to_london_es.message["Subject"].startswith(f"Factura {english}")
    pdf = _pdf_of(to_london_es.message)
    assert "Factura" in pdf and "692,01 €" in pdf and "Invoice" not in pdf


def test_language_column_exports_and_imports(business, tmp_path) -> None:
    """The client list's spreadsheet has the language; importing it back keeps it."""
    from tui_crm.imports.clients import _language_code

    assert _language_code("Español") == "es"
    assert _language_code("English") == "en"
    assert _language_code("By country") == ""
    assert _language_code("Según el país") == ""
    assert _language_code("klingon") is None
