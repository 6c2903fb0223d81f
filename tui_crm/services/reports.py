"""Reports as rows of plain values, shared by the command line, the TUI and the exporters."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..i18n import N_
from .clients import ClientFilter, list_clients


@dataclass(frozen=True)
class ReportColumn:
    key: str
    label: str  # N_-marked; translate at use
    kind: str = "text"  # text money date int percent


CLIENT_COLUMNS = (
    ReportColumn("id", N_("ID"), "int"),
    ReportColumn("name", N_("Name")),
    ReportColumn("trade_name", N_("Trade name")),
    ReportColumn("tax_id", N_("Tax ID")),
    ReportColumn("kind", N_("Kind")),
    ReportColumn("email", N_("Email")),
    ReportColumn("phone", N_("Phone")),
    ReportColumn("city", N_("City")),
    ReportColumn("owner", N_("Owner")),
    ReportColumn("revenue_total", N_("Revenue"), "money"),
    ReportColumn("outstanding", N_("Outstanding"), "money"),
)

PAGE = 5000


def client_rows(flt: ClientFilter) -> Iterator[dict[str, Any]]:
    """Every client matching `flt`, read a page at a time."""
    offset = 0
    while True:
        page = list_clients(flt, offset, PAGE)
        for row in page:
            yield {
                "id": row.id,
                "name": row.name,
                "trade_name": row.trade_name,
                "tax_id": row.tax_id,
                "kind": row.kind,
                "email": row.email,
                "phone": row.phone,
                "city": row.city,
                "owner": row.owner,
                "revenue_total": row.revenue_total,
                "outstanding": row.outstanding,
            }
        if len(page) < PAGE:
            return
        offset += PAGE
