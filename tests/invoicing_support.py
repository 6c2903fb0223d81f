"""Helpers shared by the invoicing tests: the issuer's data and clients ready to invoice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

ISSUER = {
    "company.name": "Diseño Núñez SL",
    "company.tax_id": "B12345674",
    "company.address": "Calle Mayor 1, 2º",
    "company.postal_code": "28001",
    "company.city": "Madrid",
}
D = Decimal
JAN = dt.date(2026, 1, 1)


def set_issuer() -> None:
    from tui_crm.services import settings

    settings.set_many(ISSUER)


def make_client(
    name: str = "Peña y Muñoz SL",
    tax_id: str = "A58818501",
    *,
    kind: str = "client",
    irpf: Decimal = Decimal(0),
    recargo: bool = False,
    exempt_reason: str = "",
    payment_days: int = 30,
    owner_login: str = "",
    language: str = "",
) -> int:
    from tui_crm.services import clients

    return clients.create_client(
        clients.ClientInput(
            legal_name=name,
            tax_id=tax_id,
            kind=kind,
            irpf_rate=irpf,
            recargo=recargo,
            vat_exempt=bool(exempt_reason),
            exemption_reason=exempt_reason,
            vat_rate=D(0) if exempt_reason else D(21),
            payment_days=payment_days,
            owner_login=owner_login,
            language=language,
        ),
        clients.AddressInput(line1="Avinguda Diagonal 2", postal_code="08001", city="Barcelona"),
    )


def line(description: str = "Diseño web", quantity="1", price="100", vat="21", **kw):
    from tui_crm.services.lines import LineInput

    return LineInput(
        description=description,
        quantity=D(quantity),
        unit_price=D(price),
        vat_rate=D(vat),
        **kw,
    )


def draft(client_id: int, *lines, **kw) -> int:
    from tui_crm.services import invoices

    return invoices.create_draft(
        invoices.InvoiceDraftInput(client_id=client_id, lines=list(lines) or [line()], **kw)
    )


def issued(client_id: int, date: dt.date, *lines, **kw):
    from tui_crm.services import invoices

    return invoices.issue_invoice(draft(client_id, *lines, **kw), date)
