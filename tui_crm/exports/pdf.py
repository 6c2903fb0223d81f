"""PDF of quotes and invoices (fpdf2, imported lazily), from plain data only.

An invoice carries everything RD 1619/2012 art. 6 asks: series and number, issue
date, operation date when different, names, tax IDs and addresses of issuer and
recipient, each line with its unit price before tax and discount, the base per
IVA rate, the rate and amount of IVA, recargo de equivalencia, IRPF, the total,
the exemption reason for lines without IVA, and for a rectifying invoice the
words "Factura rectificativa" with the invoice it corrects and why. A quote
prints its validity, delivery, shipping, payment terms and milestones, warranty
and conditions; internal notes never reach this module.

Fonts: DejaVu Sans (regular and bold) ships inside the package (its licence,
`fonts/LICENSE-DejaVu.txt`, allows it). The PDF core fonts only know cp1252,
which has € and Spanish accents but not the Czech or other Central European
letters of clients' names (č, ř, ł), so a Unicode TrueType font is the only
choice that never loses a character. fpdf2 embeds only the glyphs used (a PDF
stays around 30 KB) and writes a ToUnicode map, so the text can be searched and
extracted. Characters DejaVu lacks (Chinese, emoji, Arabic...) come from the free fonts
the machine has, as fallback fonts; what none prints is named by `coverage_of`, and the
print and the issue say so (`exports/glyphs.py`).

The output is deterministic for the same data (the creation date is the
document's own), so storing it content-addressed never duplicates it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..i18n import _, current_language
from ..money import TaxBreakdown

FONT_DIR = Path(__file__).with_name("fonts")
FONT = "DejaVu"
LEGAL_RECTIFYING = "Factura rectificativa"
LEGAL_SIMPLIFIED = "Factura simplificada"
# The QR code of a VERI*FACTU invoice (Orden HAC/1177/2024 arts. 20-21, AEAT's QR
# specification): 30-40 mm, at the top of the first page, these words above and below it
# in Spanish whatever the language, in a font no smaller than the invoice's data (9 pt).
QR_ABOVE = "QR tributario:"
QR_BELOW = "VERI*FACTU"
QR_SIZE_MM = 32.0  # the symbol itself, without its quiet zone
QR_BORDER_MODULES = 4  # quiet zone: ISO/IEC 18004's four modules (over AEAT's 2 mm minimum)
QR_FONT_PT = 10


@dataclass(frozen=True)
class PdfParty:
    name: str
    tax_id: str
    address: str  # lines separated by "\n"
    extra: tuple[str, ...] = ()  # email, phone, IBAN ...


@dataclass(frozen=True)
class PdfLine:
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal
    vat_rate: Decimal
    base: Decimal
    recargo_rate: Decimal = Decimal(0)


@dataclass(frozen=True)
class PdfTax:
    vat_rate: Decimal
    base: Decimal
    vat: Decimal
    recargo_rate: Decimal
    recargo: Decimal


@dataclass(frozen=True)
class PdfDocument:
    kind: str  # "invoice", "rectifying", "quote", "draft"
    number: str
    issuer: PdfParty
    recipient: PdfParty
    lines: tuple[PdfLine, ...]
    taxes: tuple[PdfTax, ...]
    base: Decimal
    vat: Decimal
    recargo: Decimal
    irpf_rate: Decimal
    irpf: Decimal
    total: Decimal
    date: dt.date | None = None  # issue date (quote: its date)
    series: str = ""
    operation_date: dt.date | None = None
    due_date: dt.date | None = None
    exemption_reason: str = ""
    title: str = ""  # a quote's title
    payment_terms: str = ""
    notes: str = ""
    iban: str = ""
    # rectifying invoices
    rectifies: str = ""
    rectifies_date: dt.date | None = None
    rectification_reason: str = ""
    rectification_mode: str = ""  # difference, replacement
    # quotes
    valid_until: dt.date | None = None
    delivery_time: str = ""
    shipping: str = ""  # already worded ("Included", "Not included", "25,00 €")
    milestones: str = ""
    warranty: str = ""
    conditions: str = ""
    created_at: dt.datetime | None = None  # the PDF's creation date (determinism)
    extra_totals: tuple[tuple[str, Decimal], ...] = field(default_factory=tuple)
    # VERI*FACTU: the QR code's URL (empty: no QR), a simplified invoice (no recipient
    # identified), a voided one (printed marked as such, without its QR code)
    qr_url: str = ""
    simplified: bool = False
    voided: bool = False


# --- formatting (locale of the person printing: Spanish or English) ---------------


def _locale() -> str:
    return "es_ES" if current_language() == "es" else "en_IE"


def format_money(value: Decimal) -> str:
    """1060.5 -> "1.060,50 €" (Spanish) or "€1,060.50" (English)."""
    from babel.numbers import format_currency

    return format_currency(value, "EUR", locale=_locale())


def format_number(value: Decimal, decimals: int = 3) -> str:
    """A quantity or rate with only the decimals it has (up to `decimals`)."""
    from babel.numbers import format_decimal

    pattern = "#,##0." + "#" * decimals if decimals else "#,##0"
    return format_decimal(value, format=pattern, locale=_locale())


def format_date(value: dt.date | None) -> str:
    """dd/mm/yyyy in Spanish, yyyy-mm-dd in English; empty for no date."""
    if value is None:
        return ""
    return value.strftime("%d/%m/%Y") if current_language() == "es" else value.isoformat()


def _percent(value: Decimal) -> str:
    return f"{format_number(value, 2)} %"


# --- rendering --------------------------------------------------------------------


def _title(doc: PdfDocument) -> str:
    if doc.kind == "quote":
        return _("Quote")
    if doc.kind == "draft":
        return _("Draft invoice (not valid as an invoice)")
    if doc.kind == "rectifying":
        title = _("Rectifying invoice")
        # The legal wording is required whatever the language (RD 1619/2012 art. 15).
        return title if "rectificativa" in title.lower() else f"{title} ({LEGAL_RECTIFYING})"
    if doc.simplified:
        title = _("Simplified invoice")
        return title if "simplificada" in title.lower() else f"{title} ({LEGAL_SIMPLIFIED})"
    return _("Invoice")


def _qr_block(pdf, doc: PdfDocument) -> None:
    """The QR code centred at the top of the first page, "QR tributario:" above it and
    "VERI*FACTU" below it, with white space around it (AEAT asks for at least 2 mm)."""
    import io

    import segno

    code = segno.make_qr(doc.qr_url, error="m", boost_error=False)
    modules = code.symbol_size(border=0)[0]
    module_mm = QR_SIZE_MM / modules
    image_mm = module_mm * (modules + 2 * QR_BORDER_MODULES)
    png = io.BytesIO()
    code.save(png, kind="png", scale=8, border=QR_BORDER_MODULES)
    png.seek(0)
    centre = pdf.l_margin + pdf.epw / 2
    top = pdf.get_y()
    pdf.set_font(FONT, "B", QR_FONT_PT)
    pdf.set_xy(centre - 30, top)
    pdf.cell(60, 5, QR_ABOVE, align="C")
    image_top = top + 5
    pdf.image(png, x=centre - image_mm / 2, y=image_top, w=image_mm, h=image_mm)
    pdf.set_xy(centre - 30, image_top + image_mm)
    pdf.cell(60, 5, QR_BELOW, align="C")
    pdf.set_xy(pdf.l_margin, image_top + image_mm + 8)


def document_text(doc: PdfDocument) -> str:
    """Every piece of text a document prints that comes from people (names, addresses,
    lines, notes...), for the font coverage check."""
    parts: list[str] = []
    for value in (doc.issuer, doc.recipient):
        parts += [value.name, value.tax_id, value.address, *value.extra]
    parts += [line.description for line in doc.lines]
    for name in (
        "number", "series", "exemption_reason", "title", "payment_terms", "notes", "iban",
        "rectifies", "rectification_reason", "delivery_time", "shipping", "milestones",
        "warranty", "conditions",
    ):  # fmt: skip
        parts.append(str(getattr(doc, name, "") or ""))
    parts += [label for label, _amount in doc.extra_totals]
    return "\n".join(parts)


def coverage_of(doc: PdfDocument):
    """The fallback fonts a document needs and the characters no font can print
    (`glyphs.Coverage`)."""
    from .glyphs import coverage

    return coverage(document_text(doc), FONT_DIR / "DejaVuSans.ttf")


def new_page(
    *, issuer: PdfParty, reference: str, title: str, created: dt.datetime, text: str
) -> Any:
    """An A4 document begun as all of ours are: DejaVu (with fallback fonts of this
    machine for what `text` holds that DejaVu lacks, and shaping where a script needs
    it), the margins, the metadata, a footer of the issuer and `reference · page n of N`
    on every page, and the first page added."""
    from fpdf import FPDF

    from .glyphs import coverage

    needs = coverage(text, FONT_DIR / "DejaVuSans.ttf")
    fallback_fonts = bool(needs.fonts)

    class _Pdf(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FONT, "", 7)
            self.set_text_color(110)
            self.cell(0, 5, f"{issuer.name} · {issuer.tax_id}", align="L")
            if fallback_fonts:
                # A fallback font used inside that cell is set within its q..Q, yet fpdf2
                # then believes the base font is current: set another and back, so it is.
                self.set_font(FONT, "B", 7)
                self.set_font(FONT, "", 7)
            self.set_x(self.l_margin)
            self.cell(
                0,
                5,
                _("{number} · page {page} of {pages}").format(
                    number=reference, page=self.page_no(), pages="{nb}"
                ),
                align="R",
            )

    pdf = _Pdf(format="A4", unit="mm")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    if needs.fonts:  # characters DejaVu lacks: from the free fonts this machine has
        for font in needs.fonts:
            pdf.add_font(
                font.family, font.style, str(font.path), collection_font_number=font.face_index
            )
        pdf.set_fallback_fonts(
            list(dict.fromkeys(font.family for font in needs.fonts)), exact_match=False
        )
    if needs.shaping:
        pdf.set_text_shaping(True)
    pdf.set_title(title)
    pdf.set_author(issuer.name)
    pdf.set_creator("tui-crm")
    pdf.set_creation_date(created.replace(tzinfo=dt.UTC) if created.tzinfo is None else created)
    pdf.alias_nb_pages()
    pdf.add_page()
    return pdf


def page_heading(pdf: Any, issuer: PdfParty, title: str, title_pt: float, facts: list[str]) -> None:
    """The issuer on the left; the document's title and `facts` (number, dates…) on the
    right; the cursor left below the taller of the two."""
    from fpdf.enums import XPos, YPos

    width = pdf.epw
    nl = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}
    top = pdf.get_y()
    pdf.set_font(FONT, "B", 12)
    pdf.multi_cell(width * 0.55, 6, issuer.name, **nl)
    pdf.set_font(FONT, "", 9)
    issuer_lines = [_("Tax ID") + f": {issuer.tax_id}", *issuer.address.splitlines()]
    pdf.multi_cell(width * 0.55, 4.5, "\n".join([*issuer_lines, *issuer.extra]), **nl)
    left_bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + width * 0.55, top)
    pdf.set_font(FONT, "B", title_pt)
    pdf.multi_cell(width * 0.45, 7, title, align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9)
    pdf.set_x(pdf.l_margin + width * 0.55)
    pdf.multi_cell(width * 0.45, 4.5, "\n".join(facts), align="R", **nl)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 4)


def client_block(pdf: Any, party: PdfParty) -> None:
    """The client: a shaded "CLIENT" band, the name, the tax ID, address and extras."""
    from fpdf.enums import XPos, YPos

    width = pdf.epw
    nl = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}
    pdf.set_fill_color(242)
    pdf.set_font(FONT, "B", 8)
    pdf.cell(width, 5, _("Client").upper(), fill=True, **nl)
    pdf.set_font(FONT, "B", 10)
    pdf.multi_cell(width, 5, party.name, **nl)
    pdf.set_font(FONT, "", 9)
    lines = [
        _("Tax ID") + f": {party.tax_id}" if party.tax_id else "",
        *party.address.splitlines(),
        *party.extra,
    ]
    pdf.multi_cell(width, 4.5, "\n".join(line for line in lines if line), **nl)
    pdf.ln(3)


def render_pdf(doc: PdfDocument) -> bytes:
    """The PDF bytes of one quote or invoice."""
    from fpdf.enums import XPos, YPos

    created = doc.created_at or dt.datetime.combine(doc.date or dt.date(2000, 1, 1), dt.time())
    pdf = new_page(
        issuer=doc.issuer,
        reference=doc.number,
        title=f"{_title(doc)} {doc.number}",
        created=created,
        text=document_text(doc),
    )
    width = pdf.epw
    nl = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}
    if doc.qr_url:
        _qr_block(pdf, doc)
    if doc.voided:
        pdf.set_font(FONT, "B", 14)
        pdf.set_text_color(170, 0, 0)
        pdf.multi_cell(width, 7, _("VOIDED: this invoice should never have existed"), **nl)
        pdf.set_text_color(0)
        pdf.ln(2)

    # Header: the issuer on the left, the document on the right; then the client.
    facts: list[str] = []
    if doc.kind == "quote":
        facts.append(_("Quote number") + f": {doc.number}")
        facts.append(_("Date") + f": {format_date(doc.date)}")
        if doc.valid_until:
            facts.append(_("Valid until") + f": {format_date(doc.valid_until)}")
    else:
        facts.append(_("Invoice number") + f": {doc.number}")
        if doc.series:
            facts.append(_("Series") + f": {doc.series}")
        facts.append(_("Issue date") + f": {format_date(doc.date)}")
        if doc.operation_date and doc.operation_date != doc.date:
            facts.append(_("Operation date") + f": {format_date(doc.operation_date)}")
        if doc.due_date:
            facts.append(_("Due date") + f": {format_date(doc.due_date)}")
    page_heading(pdf, doc.issuer, _title(doc), 15 if doc.kind != "rectifying" else 12, facts)
    client_block(pdf, doc.recipient)

    if doc.kind == "rectifying":
        pdf.set_font(FONT, "B", 9)
        pdf.multi_cell(
            width,
            5,
            _("{legal} of invoice {code} issued on {date}").format(
                legal=LEGAL_RECTIFYING,
                code=doc.rectifies,
                date=format_date(doc.rectifies_date),
            ),
            **nl,
        )
        pdf.set_font(FONT, "", 9)
        mode = (
            _("by replacement: the original invoice is cancelled in full and restated")
            if doc.rectification_mode == "replacement"
            else _("by difference: the lines below are the corrections")
        )
        pdf.multi_cell(width, 4.5, _("Reason") + f": {doc.rectification_reason}\n{mode}", **nl)
        pdf.ln(2)
    if doc.kind == "quote" and doc.title:
        pdf.set_font(FONT, "B", 11)
        pdf.multi_cell(width, 6, doc.title, **nl)
        pdf.ln(1)

    # The lines.
    pdf.set_font(FONT, "", 8.5)
    show_discount = any(line.discount for line in doc.lines)
    headings = [_("Description"), _("Qty"), _("Unit price")]
    widths = [0.46, 0.09, 0.14]
    if show_discount:
        headings.append(_("Disc."))
        widths.append(0.08)
    headings += [_("IVA"), _("Amount")]
    widths += [0.08, 0.15]
    if not show_discount:
        widths[0] += 0.08
    aligns = ["LEFT", *(["RIGHT"] * (len(headings) - 1))]
    with pdf.table(
        col_widths=[w * 100 for w in widths],
        text_align=aligns,
        line_height=4.6,
        first_row_as_headings=True,
        borders_layout="HORIZONTAL_LINES",
        headings_style=_headings_style(),
        padding=1,
    ) as table:
        row = table.row()
        for heading in headings:
            row.cell(heading)
        for line in doc.lines:
            row = table.row()
            row.cell(line.description)
            row.cell(format_number(line.quantity))
            row.cell(format_money(line.unit_price))
            if show_discount:
                row.cell(_percent(line.discount) if line.discount else "")
            row.cell(_percent(line.vat_rate))
            row.cell(format_money(line.base))
    pdf.ln(3)

    # Base per rate, IVA, recargo (the legal breakdown).
    with_recargo = any(tax.recargo_rate for tax in doc.taxes)
    tax_headings = [_("Taxable base"), _("IVA %"), _("IVA")]
    if with_recargo:
        tax_headings += [_("Recargo %"), _("Recargo")]
    pdf.set_font(FONT, "", 8.5)
    tax_width = 0.62 if with_recargo else 0.42
    pdf.set_x(pdf.l_margin + width * (1 - tax_width))
    with pdf.table(
        width=width * tax_width,
        align="RIGHT",
        text_align="RIGHT",
        line_height=4.6,
        borders_layout="HORIZONTAL_LINES",
        headings_style=_headings_style(),
        padding=1,
    ) as table:
        row = table.row()
        for heading in tax_headings:
            row.cell(heading)
        for tax in doc.taxes:
            row = table.row()
            row.cell(format_money(tax.base))
            row.cell(_percent(tax.vat_rate))
            row.cell(format_money(tax.vat))
            if with_recargo:
                row.cell(_percent(tax.recargo_rate))
                row.cell(format_money(tax.recargo))
    pdf.ln(2)

    totals: list[tuple[str, str, bool]] = [(_("Taxable base"), format_money(doc.base), False)]
    totals.append((_("IVA"), format_money(doc.vat), False))
    if doc.recargo:
        totals.append((_("Recargo de equivalencia"), format_money(doc.recargo), False))
    if doc.irpf_rate and doc.qr_url:
        # AEAT FAQ 20: the invoice total (the QR code's amount) is base plus taxes; the
        # withholding only changes what is paid.
        totals.append((_("Invoice total"), format_money(doc.base + doc.vat + doc.recargo), False))
    if doc.irpf_rate:
        totals.append(
            (
                _("IRPF withholding {rate}").format(rate=_percent(doc.irpf_rate)),
                "-" + format_money(doc.irpf) if doc.irpf >= 0 else format_money(-doc.irpf),
                False,
            )
        )
    for label, amount in doc.extra_totals:
        totals.append((label, format_money(amount), False))
    total_label = _("Total to pay") if doc.irpf_rate and doc.qr_url else _("Total")
    totals.append((total_label, format_money(doc.total), True))
    for label, value, strong in totals:
        pdf.set_font(FONT, "B" if strong else "", 11 if strong else 9)
        pdf.set_x(pdf.l_margin + width * 0.45)
        pdf.cell(width * 0.33, 6 if strong else 5, label, align="R")
        pdf.cell(width * 0.22, 6 if strong else 5, value, align="R", **nl)
    pdf.ln(3)

    # Everything else a client should read.
    blocks: list[tuple[str, str]] = []
    if doc.exemption_reason:
        blocks.append((_("IVA exemption"), doc.exemption_reason))
    if doc.kind == "quote":
        if doc.delivery_time:
            blocks.append((_("Delivery time"), doc.delivery_time))
        if doc.shipping:
            blocks.append((_("Shipping"), doc.shipping))
    if doc.payment_terms or doc.iban:
        terms = doc.payment_terms
        if doc.iban:
            terms = (terms + "\n" if terms else "") + f"IBAN: {doc.iban}"
        blocks.append((_("Payment terms"), terms))
    if doc.kind == "quote":
        if doc.milestones:
            blocks.append((_("Payment milestones"), doc.milestones))
        if doc.warranty:
            blocks.append((_("Warranty"), doc.warranty))
        if doc.conditions:
            blocks.append((_("Conditions"), doc.conditions))
    if doc.notes:
        blocks.append((_("Notes"), doc.notes))
    for label, text in blocks:
        pdf.set_font(FONT, "B", 9)
        pdf.multi_cell(width, 5, label, **nl)
        pdf.set_font(FONT, "", 8.5)
        pdf.multi_cell(width, 4.3, text, **nl)
        pdf.ln(1.5)
    return bytes(pdf.output())


def _headings_style():
    from fpdf.fonts import FontFace

    return FontFace(family=FONT, emphasis="BOLD", fill_color=(235, 235, 235))


def taxes_from(breakdown: Sequence[TaxBreakdown]) -> tuple[PdfTax, ...]:
    """PdfTax rows from `money.TaxBreakdown` rows."""
    return tuple(
        PdfTax(
            vat_rate=b.vat_rate,
            base=b.base,
            vat=b.vat,
            recargo_rate=b.recargo_rate,
            recargo=b.recargo,
        )
        for b in breakdown
    )


def lines_from(lines: Iterable[Any]) -> tuple[PdfLine, ...]:
    """PdfLine rows from a document's lines (`services.lines.DocumentLine`)."""
    return tuple(
        PdfLine(
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount=line.discount,
            vat_rate=line.vat_rate,
            base=line.base,
            recargo_rate=line.recargo_rate,
        )
        for line in lines
    )
