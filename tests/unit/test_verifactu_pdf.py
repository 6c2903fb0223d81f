"""The QR code on a VERI*FACTU invoice's PDF, read back from the rendered file by a QR decoder:
the URL AEAT specifies, error correction M, 30-40 mm at the top of the first page, with
"QR tributario:" above and "VERI*FACTU" below in a font no smaller than the invoice's data."""

from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from invoicing_support import D, draft, line, make_client, set_issuer
from PIL import Image
from pypdf import PdfReader

from tui_crm.services import invoices, printing, settings, verifactu

PT_TO_MM = 25.4 / 72


def _qr_images(pdf: bytes) -> list[tuple[str, str]]:
    """(text, error-correction level) of every QR code in the PDF's first page images."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    found = []
    for image in page.images:
        picture = Image.open(io.BytesIO(image.data)).convert("L")
        found.extend((code.text, code.ec_level) for code in zxingcpp.read_barcodes(picture))
    return found


def _placement(pdf: bytes) -> tuple[float, float, float]:
    """(left, top, size) in mm of the first image drawn on the first page."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    content = page.get_contents().get_data().decode("latin-1")
    match = re.search(r"([\d.]+) 0 0 ([\d.]+) ([\d.]+) ([\d.]+) cm\s*/I\w+ Do", content)
    assert match, "no image drawn"
    width, height, x, y = (float(v) for v in match.groups())
    page_height = float(page.mediabox.height)
    return x * PT_TO_MM, (page_height - y - height) * PT_TO_MM, width * PT_TO_MM


def _text_sizes(pdf: bytes) -> dict[str, float]:
    sizes: dict[str, float] = {}

    def visit(text, cm, tm, font, size):
        if text.strip():
            scale = abs(tm[0] * cm[0]) or 1
            sizes.setdefault(text.strip(), size * scale)

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return sizes


@pytest.fixture
def vf(db):
    set_issuer()
    settings.set_value("verifactu.enabled", "yes")
    return make_client(language="en")  # an English-reading client


def test_the_qr_read_back_from_the_pdf_is_aeats_url(vf) -> None:
    invoice = invoices.issue_invoice(draft(vf, line("Diseño web", price="1000"), irpf_rate=D(15)))
    pdf = printing.print_invoice(invoice.id, store=False).data
    today = dt.date.today()
    expected = (
        "https://prewww2.aeat.es/wlpl/TIKE-CONT/ValidarQR?nif=B12345674"
        f"&numserie={invoice.code}&fecha={today:%d-%m-%Y}&importe=1210.00"
    )
    assert _qr_images(pdf) == [(expected, "M")]
    query = parse_qs(urlsplit(expected).query)
    assert query["importe"] == ["1210.00"]  # ImporteTotal: base + IVA, before IRPF
    left, top, image_mm = _placement(pdf)
    # The image holds the symbol and its 4-module quiet zone; the symbol is 30-40 mm.
    symbol_mm = verifactu_symbol_mm(expected, image_mm)
    assert 30 <= symbol_mm <= 40
    assert top < 30  # the top of the first page
    assert abs(left + image_mm / 2 - 105) < 1  # centred on A4's 210 mm
    sizes = _text_sizes(pdf)
    data_size = sizes.get(invoice.code, 9)
    assert sizes["QR tributario:"] >= data_size and sizes["VERI*FACTU"] >= data_size
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert text.index("QR tributario:") < text.index("VERI*FACTU") < text.index("Diseño Núñez SL")
    assert "Invoice total" in text and "Total to pay" in text


def verifactu_symbol_mm(url: str, image_mm: float) -> float:
    import segno

    modules = segno.make_qr(url, error="m", boost_error=False).symbol_size(border=0)[0]
    return image_mm * modules / (modules + 8)


def test_the_production_host_for_records_made_in_production(vf) -> None:
    invoice = invoices.issue_invoice(draft(vf, line(price="10")))
    pdf = printing.print_invoice(invoice.id, store=False).data
    decoded = _qr_images(pdf)[0][0]
    assert parse_qs(urlsplit(decoded).query)["numserie"] == [invoice.code]
    for record in verifactu.pending_records("B12345674"):
        verifactu.record_result(record.id, "accepted")
    settings.set_value("verifactu.environment", "production")
    later = invoices.issue_invoice(draft(vf, line(price="10")))
    decoded = _qr_images(printing.print_invoice(later.id, store=False).data)[0][0]
    assert decoded.startswith("https://www2.agenciatributaria.gob.es/wlpl/TIKE-CONT/ValidarQR?")
    # The first invoice keeps the host of the environment its record was made for.
    again = _qr_images(printing.print_invoice(invoice.id, store=False).data)[0][0]
    assert again.startswith("https://prewww2.aeat.es/")


def test_no_qr_without_a_record_and_none_on_a_voided_invoice(db) -> None:
    set_issuer()
    client = make_client(language="en")  # an English-reading client
    before = invoices.issue_invoice(draft(client, line()))
    assert _qr_images(printing.print_invoice(before.id, store=False).data) == []
    settings.set_value("verifactu.enabled", "yes")
    wrong = invoices.issue_invoice(draft(client, line()))
    assert len(_qr_images(printing.print_invoice(wrong.id, store=False).data)) == 1
    verifactu.void_invoice(wrong.id, "Error")
    pdf = printing.print_invoice(wrong.id, store=False).data
    assert _qr_images(pdf) == []
    assert "VOIDED" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def test_a_simplified_invoice_says_so_and_identifies_no_recipient(vf) -> None:
    ticket = invoices.issue_invoice(draft(vf, line("Café", price="2"), invoice_type="F2"))
    text = (
        PdfReader(io.BytesIO(printing.print_invoice(ticket.id, store=False).data))
        .pages[0]
        .extract_text()
    )
    assert "Simplified invoice" in text and "Factura simplificada" in text
    assert "A58818501" not in text
