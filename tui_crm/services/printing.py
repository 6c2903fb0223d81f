"""Printing quotes and invoices to PDF, and keeping the PDF with the record's documents.

Rules: an issued invoice prints from its frozen data (what was issued is what
prints, whatever happened to the client since); a draft prints clearly marked as
not valid as an invoice and is not stored; quotes never print their internal
notes. A document prints in its client's language (`client_language`: words, amounts
and dates), whoever prints it; a default text saved in another language (the payment
terms "Payment within 30 days") prints in the document's. Every stored PDF is a
`Document` of the invoice or quote (and its client), content-addressed, and printing the
same document again reuses the stored file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from ..exports.pdf import (
    PdfDocument,
    PdfLine,
    PdfParty,
    coverage_of,
    format_money,
    lines_from,
    render_pdf,
    taxes_from,
)
from ..i18n import _, in_language
from ..models import Document
from . import documents, invoices, quotes
from .client_language import language_for_client, payment_terms_in
from .invoices import invoice_document, issuer_party
from .permissions import can


@dataclass(frozen=True)
class PrintedDocument:
    filename: str
    data: bytes
    document_id: int | None  # the stored Document, None for drafts
    unprintable: str = ""  # characters no font on this machine prints: "🚀 (U+1F680), …"

    def warning(self) -> str:
        """One sentence for the person printing, or "" when every character printed."""
        if not self.unprintable:
            return ""
        return _(
            "{file}: these characters cannot be printed right on this machine (no font has "
            "them, or they need text shaping): {chars}; install the Debian packages "
            "fonts-noto-core, fonts-noto-cjk and fonts-symbola (and the Python package "
            "uharfbuzz for Arabic or Hebrew), or put a font that has them in {folder}"
        ).format(file=self.filename, chars=self.unprintable, folder=_font_folder())


def _font_folder() -> str:
    from ..exports.glyphs import user_font_dir

    return str(user_font_dir())


def quote_document(quote_id: int) -> PdfDocument:
    """What the PDF of a quote says; internal notes are left out by construction."""
    quote = quotes.get_quote(quote_id)
    data = quote.data
    shipping = {
        "included": _("Included"),
        "not_included": _("Not included"),
        "amount": format_money(data.shipping) + " " + _("(in the totals)"),
    }.get(data.shipping_mode, "")
    lines = lines_from(quote.lines)
    if data.shipping_mode == "amount" and data.shipping:
        charged = quotes.with_shipping(
            list(data.lines),
            "amount",
            data.shipping,
            bool(data.recargo),
            bool(data.exemption_reason),
        )[-1]
        from ..money import line_base

        lines = (
            *lines,
            PdfLine(
                charged.description,
                charged.quantity,
                charged.unit_price,
                charged.discount,
                charged.vat_rate,
                line_base(charged.quantity, charged.unit_price, charged.discount),
                charged.recargo_rate or 0,
            ),
        )
    return PdfDocument(
        kind="quote",
        number=quote.code,
        title=data.title,
        issuer=issuer_party(),
        recipient=PdfParty(quote.client_name, quote.client_tax_id, quote.client_address),
        lines=lines,
        taxes=taxes_from(quote.totals.breakdown),
        base=quote.totals.base,
        vat=quote.totals.vat,
        recargo=quote.totals.recargo,
        irpf_rate=data.irpf_rate or 0,
        irpf=quote.totals.irpf,
        total=quote.totals.total,
        date=data.date,
        valid_until=data.valid_until,
        delivery_time=data.delivery_time,
        shipping=shipping,
        payment_terms=payment_terms_in(data.payment_terms),
        milestones=data.milestones,
        warranty=data.warranty,
        conditions=data.conditions,
        exemption_reason=data.exemption_reason or "",
        created_at=dt.datetime.combine(data.date or dt.date.today(), dt.time()),
    )


def _store(data: bytes, filename: str, *, client_id: int, **owner: int) -> int:
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    query = Document.select(Document.id).where(Document.sha256 == sha)
    for key, value in owner.items():
        query = query.where(getattr(Document, key) == value)
    existing = query.first()
    if existing is not None:
        return existing.id
    return documents.add_document(
        data, filename, mime="application/pdf", client_id=client_id, **owner
    )


def print_invoice(
    invoice_id: int, *, store: bool = True, language: str | None = None
) -> PrintedDocument:
    """The invoice's PDF, in `language` else its client's; an issued invoice's PDF is kept
    with its documents when `store` and the person printing may write them (a read-only
    user, or a database opened read-only, gets the PDF and nothing is stored: printing is
    reading)."""
    inv = invoices.get_invoice(invoice_id)
    with in_language(language or language_for_client(inv.client_id)):
        document = invoice_document(invoice_id)
        document = replace(document, payment_terms=payment_terms_in(document.payment_terms))
        data = render_pdf(document)
    filename = f"{inv.code}.pdf" if inv.code else f"draft-{inv.id}.pdf"
    printed = PrintedDocument(filename, data, None, coverage_of(document).describe())
    if store:
        return keep_printed("invoice", invoice_id, printed)
    return printed


def print_quote(
    quote_id: int, *, store: bool = True, language: str | None = None
) -> PrintedDocument:
    """The quote's PDF, in `language` else its client's, kept with the quote's documents when
    `store` and the person printing may write them (a read-only user or database gets the
    PDF, and nothing is stored)."""
    quote = quotes.get_quote(quote_id)
    with in_language(language or language_for_client(quote.client_id)):
        document = quote_document(quote_id)
        data = render_pdf(document)
    printed = PrintedDocument(f"{quote.code}.pdf", data, None, coverage_of(document).describe())
    if store:
        return keep_printed("quote", quote_id, printed)
    return printed


def keep_printed(kind: str, record_id: int, printed: PrintedDocument) -> PrintedDocument:
    """Keep a printed PDF with the invoice's (issued only) or quote's documents; returns it
    with its document id. Nothing is kept on a database this process opened read-only, nor
    by someone who may not write those documents (printing itself is reading)."""
    from ..db import read_only_reason

    if read_only_reason():
        return printed
    if kind == "invoice":
        inv = invoices.get_invoice(record_id)
        if inv.is_draft or not can("invoices.draft"):
            return printed
        document_id = _store(
            printed.data, printed.filename, client_id=inv.client_id, invoice_id=record_id
        )
    else:
        quote = quotes.get_quote(record_id)
        if not can("quotes.write"):
            return printed
        document_id = _store(
            printed.data, printed.filename, client_id=quote.client_id, quote_id=record_id
        )
    return PrintedDocument(printed.filename, printed.data, document_id, printed.unprintable)
