"""PDF of a statement of account (fpdf2, imported lazily), from plain data only.

Same fonts, margins and number and date formats as the invoice PDF (`exports.pdf`):
amounts and dates are written in the language of the moment, which the service sets
to the client's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ..i18n import _
from .pdf import FONT, FONT_DIR, PdfParty, _headings_style, format_date, format_money


@dataclass(frozen=True)
class StatementLine:
    day: dt.date
    what: str  # "Invoice", "Payment" ... already worded
    number: str
    description: str
    charge: Decimal | None
    credit: Decimal | None
    balance: Decimal


@dataclass(frozen=True)
class StatementDocument:
    issuer: PdfParty
    client: PdfParty
    date_from: dt.date
    date_to: dt.date
    opening: Decimal
    lines: tuple[StatementLine, ...]
    closing: Decimal
    charges: Decimal
    credits: Decimal


def render_statement(doc: StatementDocument) -> bytes:
    """The PDF bytes of one statement of account (deterministic for the same data)."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    title = _("Statement of account")

    class _Pdf(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FONT, "", 7)
            self.set_text_color(110)
            self.cell(0, 5, f"{doc.issuer.name} · {doc.issuer.tax_id}", align="L")
            self.set_x(self.l_margin)
            self.cell(
                0,
                5,
                _("{number} · page {page} of {pages}").format(
                    number=title, page=self.page_no(), pages="{nb}"
                ),
                align="R",
            )

    pdf = _Pdf(format="A4", unit="mm")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_title(f"{title} {doc.client.name}")
    pdf.set_author(doc.issuer.name)
    pdf.set_creator("tui-crm")
    created = dt.datetime.combine(doc.date_to, dt.time()).replace(tzinfo=dt.UTC)
    pdf.set_creation_date(created)
    pdf.alias_nb_pages()
    pdf.add_page()
    width = pdf.epw
    nl = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}

    top = pdf.get_y()
    pdf.set_font(FONT, "B", 12)
    pdf.multi_cell(width * 0.55, 6, doc.issuer.name, **nl)
    pdf.set_font(FONT, "", 9)
    issuer = [_("Tax ID") + f": {doc.issuer.tax_id}", *doc.issuer.address.splitlines()]
    pdf.multi_cell(width * 0.55, 4.5, "\n".join([*issuer, *doc.issuer.extra]), **nl)
    left_bottom = pdf.get_y()
    pdf.set_xy(pdf.l_margin + width * 0.55, top)
    pdf.set_font(FONT, "B", 14)
    pdf.multi_cell(width * 0.45, 7, title, align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9)
    period = _("From {start} to {end}").format(
        start=format_date(doc.date_from), end=format_date(doc.date_to)
    )
    pdf.set_x(pdf.l_margin + width * 0.55)
    pdf.multi_cell(width * 0.45, 4.5, period, align="R", **nl)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 4)

    pdf.set_fill_color(242)
    pdf.set_font(FONT, "B", 8)
    pdf.cell(width, 5, _("Client").upper(), fill=True, **nl)
    pdf.set_font(FONT, "B", 10)
    pdf.multi_cell(width, 5, doc.client.name, **nl)
    pdf.set_font(FONT, "", 9)
    client = [
        _("Tax ID") + f": {doc.client.tax_id}" if doc.client.tax_id else "",
        *doc.client.address.splitlines(),
    ]
    pdf.multi_cell(width, 4.5, "\n".join(line for line in client if line), **nl)
    pdf.ln(3)

    pdf.set_font(FONT, "", 8.5)
    headings = [_("Date"), _("Document"), _("Description"), _("Charge"), _("Credit"), _("Balance")]
    widths = [13, 20, 31, 12, 12, 12]
    with pdf.table(
        col_widths=widths,
        text_align=["LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"],
        line_height=4.6,
        first_row_as_headings=True,
        borders_layout="HORIZONTAL_LINES",
        headings_style=_headings_style(),
        padding=1,
    ) as table:
        table.row(headings)
        table.row(
            [
                format_date(doc.date_from),
                "",
                _("Opening balance"),
                "",
                "",
                format_money(doc.opening),
            ]
        )
        for line in doc.lines:
            table.row(
                [
                    format_date(line.day),
                    f"{line.what} {line.number}".strip(),
                    line.description,
                    format_money(line.charge) if line.charge is not None else "",
                    format_money(line.credit) if line.credit is not None else "",
                    format_money(line.balance),
                ]
            )
    pdf.ln(3)
    pdf.set_font(FONT, "", 9)
    for label, value in (
        (_("Opening balance"), doc.opening),
        (_("Charges"), doc.charges),
        (_("Credits"), doc.credits),
    ):
        pdf.cell(width * 0.75, 5, label, align="R")
        pdf.cell(width * 0.25, 5, format_money(value), align="R", **nl)
    pdf.set_font(FONT, "B", 10)
    pdf.cell(
        width * 0.75, 6, _("Balance on {date}").format(date=format_date(doc.date_to)), align="R"
    )
    pdf.cell(width * 0.25, 6, format_money(doc.closing), align="R", **nl)
    return bytes(pdf.output())
