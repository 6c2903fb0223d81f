"""A small, complete book of business whose every figure is worked out by hand.

Issuer: the invoicing tests' business. Every invoice has IVA 21 % and the clients'
default 30 payment days, so total = base x 1.21 and due date = issue date + 30 days.

    #   client  series  issue date   base      cost     paid on        notes
    1   Alfa    F       2024-03-10   1000.00    400.00  2024-04-09     WEB x1 (30 days, on time)
    2   Gamma   F       2024-05-20    500.00      0     2024-06-01
    3   Beta    F       2024-06-15    300.00      0     2024-07-15     (30 days, on time)
    4   Alfa    F       2025-01-20   2000.00    800.00  2025-03-01     WEB x2 (40 days, 10 late)
    5   Beta    F       2025-02-10   1000.00    500.00  2025-03-12     (30 days, on time)
    6   Alfa    F       2025-03-20    500.00      0     2025-05-10     Mantenimiento x5, rectified
    8   Alfa    R       2025-04-01   -100.00      0     compensation   rectifies #6 by difference
    7   Beta    F       2025-11-05   4000.00   1000.00  unpaid         due 2025-12-05
    9   Alfa    F       2026-01-15   3000.00   1200.00  2026-02-20     WEB x2 + SRV x1 (36, 6 late)
    10  Beta    F       2026-02-01    800.00      0     unpaid         due 2026-03-03
    11  Alfa    F       2026-03-01   1000.00      0     unpaid         Mantenimiento x10, due 03-31
    12  Delta   F       2026-03-10    200.00      0     unpaid         due 2026-04-09
    13  Alfa    F       2026-03-20    700.00      0     unpaid         after the as-of date

The as-of date of the tests is 2026-03-15 (AS_OF).

Revenue per client and year (#8 counts in April 2025, #13 is after AS_OF):
    Alfa   2024: 1000   2025: 2000 + 500 - 100 = 2400   2026 to AS_OF: 3000 + 1000 = 4000
    Beta   2024:  300   2025: 1000 + 4000 = 5000        2026 to AS_OF: 800
    Gamma  2024:  500   2025: 0                         2026: 0
    Delta                                               2026 to AS_OF: 200
    Business 2024: 1800   2025: 7400   2026 to AS_OF: 5000   all time to AS_OF: 14200

Also: products WEB (service, cost 400) and SRV (a product, cost 400); a rejected quote
of Alfa for 1500.00 (2025-06-01) and another after AS_OF; an open order of Alfa for
10 x 50.00 (2026-02-01) and a cancelled one; opportunities (created 2026-01-10 unless
said): Alfa proposal 10000 (50 %), Alfa negotiation 1000 (75 %), Beta won 2000,
Beta lost 5000, Delta new 333.33 (10 %), Gamma qualified 700 (created 2026-04-01);
Alfa's timeline: a call on 2026-03-10, a note on 2026-03-12, a meeting on 2026-03-20.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from invoicing_support import D, line, make_client, set_issuer

AS_OF = dt.date(2026, 3, 15)


@dataclass(frozen=True)
class Book:
    alfa: int
    beta: int
    gamma: int
    delta: int
    invoices: dict[int, int]  # number in the table above -> invoice id


def _product_line(product_id: int, quantity: str) -> object:
    from tui_crm.services import catalog

    return catalog.line_from_product(product_id, D(quantity))


def build_book(*, timeline_service: bool = True) -> Book:
    """Write the book above through the services (issue, pay, rectify, quote, order).

    `timeline_service=False` writes the three timeline entries as plain rows instead
    (for a database where the timeline service cannot run)."""
    from tui_crm.db import execute
    from tui_crm.services import (
        catalog,
        invoices,
        opportunities,
        orders,
        payments,
        quotes,
        timeline,
    )

    set_issuer()
    alfa = make_client("Alfa Diseño SL", "11111111H")
    beta = make_client("Beta Obras SL", "22222222J")
    gamma = make_client("Gamma Perdida SL", "33333333P")
    delta = make_client("Delta Nueva SL", "44444444A")
    web = catalog.create_product(
        catalog.ProductInput(
            code="WEB", name="Diseño web", unit_price=D("1000"), unit_cost=D("400")
        )
    )
    srv = catalog.create_product(
        catalog.ProductInput(
            code="SRV",
            name="Servidor",
            unit_price=D("1000"),
            unit_cost=D("400"),
            is_service=False,
        )
    )

    ids: dict[int, int] = {}

    def issue(number: int, client: int, day: dt.date, *lines: object) -> int:
        draft = invoices.create_draft(
            invoices.InvoiceDraftInput(client_id=client, lines=list(lines))
        )
        invoices.issue_invoice(draft, day)
        ids[number] = draft
        return draft

    def pay(number: int, client: int, day: dt.date, amount: str) -> None:
        payments.register_payment(client, day, D(amount), allocations=[(ids[number], D(amount))])

    def plain(description: str, quantity: str, price: str) -> object:
        return line(description, quantity, price)

    issue(1, alfa, dt.date(2024, 3, 10), _product_line(web, "1"))
    pay(1, alfa, dt.date(2024, 4, 9), "1210.00")
    issue(2, gamma, dt.date(2024, 5, 20), plain("Consultoría", "1", "500"))
    pay(2, gamma, dt.date(2024, 6, 1), "605.00")
    issue(3, beta, dt.date(2024, 6, 15), plain("Revisión", "3", "100"))
    pay(3, beta, dt.date(2024, 7, 15), "363.00")
    issue(4, alfa, dt.date(2025, 1, 20), _product_line(web, "2"))
    issue(5, beta, dt.date(2025, 2, 10), line("Obra", "1", "1000", unit_cost=D("500")))
    pay(4, alfa, dt.date(2025, 3, 1), "2420.00")
    pay(5, beta, dt.date(2025, 3, 12), "1210.00")
    issue(6, alfa, dt.date(2025, 3, 20), plain("Mantenimiento", "5", "100"))
    rect = invoices.create_rectifying_draft(
        ids[6], "difference", "Una hora de más", [plain("Mantenimiento", "-1", "100")]
    )
    invoices.issue_invoice(rect, dt.date(2025, 4, 1))  # compensates 121.00 on #6
    ids[8] = rect
    pay(6, alfa, dt.date(2025, 5, 10), "484.00")
    issue(7, beta, dt.date(2025, 11, 5), line("Nave", "1", "4000", unit_cost=D("1000")))
    issue(9, alfa, dt.date(2026, 1, 15), _product_line(web, "2"), _product_line(srv, "1"))
    pay(9, alfa, dt.date(2026, 2, 20), "3630.00")
    issue(10, beta, dt.date(2026, 2, 1), plain("Reparación", "8", "100"))
    issue(11, alfa, dt.date(2026, 3, 1), plain("Mantenimiento", "10", "100"))
    issue(12, delta, dt.date(2026, 3, 10), plain("Alta", "1", "200"))
    issue(13, alfa, dt.date(2026, 3, 20), plain("Mantenimiento", "7", "100"))

    rejected = quotes.create_quote(
        quotes.QuoteInput(alfa, "Rediseño", [plain("Rediseño", "1", "1500")], dt.date(2025, 6, 1))
    )
    quotes.reject_quote(rejected, "Precio")
    later = quotes.create_quote(
        quotes.QuoteInput(alfa, "Logo", [plain("Logo", "1", "999")], dt.date(2026, 4, 1))
    )
    quotes.reject_quote(later, "No ahora")
    quotes.create_quote(
        quotes.QuoteInput(alfa, "Tienda", [plain("Tienda", "1", "800")], dt.date(2026, 3, 1))
    )
    orders.create_order(alfa, [plain("Horas", "10", "50")], date=dt.date(2026, 2, 1))
    cancelled = orders.create_order(alfa, [plain("Horas", "2", "50")], date=dt.date(2026, 2, 2))
    orders.cancel_order(cancelled, "Ya no")

    def opportunity(client: int, title: str, stage: str, amount: str, created: dt.date, **kw):
        oid = opportunities.create_opportunity(
            client, opportunities.OpportunityData(title=title, stage=stage, amount=D(amount), **kw)
        )
        execute(
            "UPDATE opportunity SET created_at = ? WHERE id = ?",
            (f"{created.isoformat()} 09:00:00", oid),
        )

    opened = dt.date(2026, 1, 10)
    opportunity(alfa, "Tienda online", "proposal", "10000", opened)
    opportunity(alfa, "Hosting", "negotiation", "1000", opened)
    opportunity(beta, "Reforma", "won", "2000", opened)
    opportunity(beta, "Nave 2", "lost", "5000", opened, lost_reason="Precio")
    opportunity(delta, "SEO", "new", "333.33", opened)
    opportunity(gamma, "Vuelta", "qualified", "700", dt.date(2026, 4, 1))

    for kind, subject, moment in (
        ("call", "Llamada de seguimiento", dt.datetime(2026, 3, 10, 10, 0)),
        ("note", "Envío de propuesta", dt.datetime(2026, 3, 12, 9, 30)),
        ("meeting", "Reunión de arranque", dt.datetime(2026, 3, 20, 11, 0)),
    ):
        if timeline_service:
            timeline.create_activity(
                alfa, timeline.ActivityData(kind=kind, subject=subject, occurred_at=moment)
            )
        else:
            from tui_crm.models import Activity

            Activity.create(client=alfa, kind=kind, subject=subject, occurred_at=moment)
    return Book(alfa, beta, gamma, delta, ids)


def cents(value: Decimal) -> str:
    return f"{value:.2f}"
