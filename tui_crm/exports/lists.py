"""Kept for the TUI's client and invoice lists until they read `services.lists` and
`services.reports` (issue 14B removes this module): the lists live in services now."""

from __future__ import annotations

from ..services.lists import (
    count_clients,
    count_invoices,
    describe_client_filter,
    describe_invoice_filter,
    export_list,
    invoice_filter,
)
from ..services.reports import CLIENT_COLUMNS, INVOICE_COLUMNS, client_rows, invoice_rows

__all__ = [
    "CLIENT_COLUMNS",
    "INVOICE_COLUMNS",
    "client_rows",
    "count_clients",
    "count_invoices",
    "describe_client_filter",
    "describe_invoice_filter",
    "export_list",
    "invoice_filter",
    "invoice_rows",
]
