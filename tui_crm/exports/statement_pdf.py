"""PDF of a statement of account (fpdf2, imported lazily), from plain data only.

Begun as the invoice PDF is (`exports.pdf`: fonts with fallbacks, margins, footer, the
issuer's heading and the client's block), with its number and date formats:
amounts and dates are written in the language of the moment, which the service sets
to the client's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ..i18n import _
from .pdf import (
    FONT,
    PdfParty,
    _headings_style,
    client_block,
    format_date,
    format_money,
    new_page,
    page_heading,
)


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


def statement_text(doc: StatementDocument) -> str:
    """Every piece of text the statement prints that comes from people, for the font
    coverage check."""
    parts: list[str] = []
    for party in (doc.issuer, doc.client):
        parts += [party.name, party.tax_id, party.address, *party.extra]
    parts += [f"{line.number} {line.description}" for line in doc.lines]
    return "\n".join(parts)


def render_statement(doc: StatementDocument) -> bytes:
    """The PDF bytes of one statement of account (deterministic for the same data)."""
    from fpdf.enums import XPos, YPos

    title = _("Statement of account")
    pdf = new_page(
        issuer=doc.issuer,
        reference=title,
        title=f"{title} {doc.client.name}",
        created=dt.datetime.combine(doc.date_to, dt.time()),
        text=statement_text(doc),
    )
    width = pdf.epw
    nl = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}
    period = _("From {start} to {end}").format(
        start=format_date(doc.date_from), end=format_date(doc.date_to)
    )
    page_heading(pdf, doc.issuer, title, 14, [period])
    client_block(pdf, doc.client)

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
