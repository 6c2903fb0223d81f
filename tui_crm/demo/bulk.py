"""How the demo loads a million invoices fast: which tables lose their secondary indexes
during the load, the column lists of the wide inserts, the triggers replaced by one
backfill statement, and a second thread for the long statements (see the package's
docstring for the whole recipe)."""

from __future__ import annotations

import sqlite3
import threading

# Tables written after the invoices are planned; the indexes of the other bulk tables are
# recreated in the second thread while the invoices are planned.
LATE_TABLES = ("client", "activity", "invoice", "payment", "payment_allocation")

# Big tables whose secondary indexes are dropped during the load and recreated after (a sort
# beats a million random B-tree inserts). `invoice_line` keeps its indexes: its rows arrive
# in index order, and maintaining them costs less than three more scans of 2-3 M lines.
BULK_TABLES = (
    "client",
    "address",
    "contact",
    "custom_field_value",
    "client_tag",
    "project",
    "opportunity",
    "activity",
    "quote",
    "quote_line",
    "sales_order",
    "order_line",
    "invoice",
    "payment",
    "payment_allocation",
)


INVOICE_COLUMNS = (
    "id, version, created_at, updated_at, updated_by, base_cents, vat_cents, recargo_cents, "
    "irpf_rate_bp, irpf_cents, total_cents, cost_cents, exemption_reason, kind, status, series, "
    "year, number, code, client_id, project_id, quote_id, order_id, rectifies_id, "
    "rectification_reason, rectification_mode, issue_date, operation_date, due_date, "
    "paid_cents, outstanding_cents, paid_date, payment_terms, notes, imported, client_name, "
    "client_tax_id, client_address, issuer_name, issuer_tax_id, issuer_address, address_id, "
    "created_by, issued_by, issued_at"
)
INVOICE_INSERT = f"INSERT INTO invoice ({INVOICE_COLUMNS}) VALUES ({', '.join('?' * 45)})"
LINE_COLUMNS = (
    "position, product_id, description, quantity_milli, unit_price_cents, discount_bp, "
    "vat_rate_bp, recargo_rate_bp, unit_cost_cents, base_cents, invoice_id"
)
PAYMENT_COLUMNS = (
    "id, client_id, date, amount_cents, method, reference, notes, created_by, created_at, "
    "reversed_at, reversed_by, reversal_reason"
)
ACTIVITY_COLUMNS = (
    "id, version, created_at, updated_at, updated_by, client_id, kind, subject, body, outcome, "
    "contact_id, project_id, author, occurred_at, due_date, done_at, email_status, message_id"
)


# --- triggers the load replaces by one statement ------------------------------------------

# name of a trigger -> (migration module, backfill statement prefix): the trigger maintains a
# derived table row by row; for a bulk load it is dropped, the table is filled by the
# migration's own backfill statement, and the trigger is recreated from its exact SQL.
_BULK_TRIGGERS = {
    "invoice_revenue_insert": ("m0010_verifactu", 'INSERT INTO "client_revenue"'),
    "invoice_month_revenue_insert": (
        "m0015_client_month_revenue",
        'INSERT INTO "client_month_revenue"',
    ),
    "invoice_modelo347_insert": ("m0017_modelo347_figures", 'INSERT INTO "modelo347_figures"'),
    "invoice_day_revenue_insert": ("m0017_modelo347_figures", 'INSERT INTO "day_revenue"'),
}


def replaceable_triggers(cur: sqlite3.Cursor) -> list[tuple[str, str, str]]:
    """(name, CREATE TRIGGER sql, backfill sql) of the triggers the load may replace.

    Only a trigger whose SQL is exactly the one its migration created qualifies: a
    trigger changed by a later migration, or unknown, stays in place and fires as usual.
    """
    import importlib

    found = []
    for name, (module_name, prefix) in _BULK_TRIGGERS.items():
        row = cur.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,)
        ).fetchone()
        if row is None:
            continue
        try:
            module = importlib.import_module(f"..migrations.{module_name}", __package__)
        except ImportError:
            continue
        statements = (*getattr(module, "SQLITE", ()), *getattr(module, "BACKFILLS", ()))
        create = next((s for s in statements if s.startswith(f'CREATE TRIGGER "{name}"')), None)
        backfill = next((s for s in statements if s.startswith(prefix)), None)
        if create and backfill and create.split() == row[0].split():
            found.append((name, row[0], backfill))
    return found


class Background:
    """SQL statements run by a second thread on the same connection.

    SQLite releases the GIL while a statement runs, so one long statement (an INSERT ...
    SELECT of a million rows) proceeds on the second core while the main thread builds
    rows in Python. Use as `with Background(...):` around code that does not touch the
    connection; leaving the block waits for the statements (and raises their error).
    """

    def __init__(self, connection: sqlite3.Connection, statements: list[tuple[str, tuple]]):
        self.rowcounts: list[int] = []
        self.error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(connection, statements), name="demo-sql", daemon=True
        )
        self._thread.start()

    def _run(self, connection: sqlite3.Connection, statements: list[tuple[str, tuple]]) -> None:
        try:
            cursor = connection.cursor()
            for sql, params in statements:
                cursor.execute(sql, params)
                self.rowcounts.append(cursor.rowcount)
        except BaseException as exc:  # handed to the main thread by check()
            self.error = exc

    def __enter__(self) -> Background:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._thread.join()  # even when the main thread failed: then its error wins
        if exc is None and self.error is not None:
            raise self.error
