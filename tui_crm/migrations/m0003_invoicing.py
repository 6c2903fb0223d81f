"""Invoicing: the link from an invoice to the recurring template (and period) that made it.

The UNIQUE index on (recurring_id, recurring_date) is what makes
`tui-crm recurring run` idempotent in the database itself: two runs racing for
the same template and date cannot both insert an invoice, whatever the Python
side believes.

On SQLite, triggers also make issued invoices immutable below the services: the
fiscal columns of an issued invoice, its lines, and its existence cannot change
(payment columns can). The services refuse first with a readable message; the
triggers catch any other writer (a script, a future bug).
"""

NAME = "invoicing: recurring invoice periods"

STATEMENTS = (
    'ALTER TABLE "invoice" ADD COLUMN "recurring_id" INTEGER '
    'REFERENCES "recurring_invoice" ("id") ON DELETE SET NULL',
    'ALTER TABLE "invoice" ADD COLUMN "recurring_date" DATE',
    'CREATE UNIQUE INDEX "invoice_recurring_period" ON "invoice" ("recurring_id", "recurring_date")',  # noqa: E501
    'CREATE INDEX "recurring_invoice_due" ON "recurring_invoice" ("active", "next_date")',
)


_FROZEN = (
    "kind",
    "series",
    "year",
    "number",
    "code",
    "issue_date",
    "operation_date",
    "due_date",
    "base_cents",
    "vat_cents",
    "recargo_cents",
    "irpf_rate_bp",
    "irpf_cents",
    "total_cents",
    "exemption_reason",
    "rectifies_id",
    "client_name",
    "client_tax_id",
    "client_address",
    "issuer_name",
    "issuer_tax_id",
    "issuer_address",
)
_LINE_FROZEN = (
    "invoice_id",
    "description",
    "quantity_milli",
    "unit_price_cents",
    "discount_bp",
    "vat_rate_bp",
    "recargo_rate_bp",
    "base_cents",
)
_changed = " OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in _FROZEN)
_line_changed = " OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in _LINE_FROZEN)
_ISSUED_LINE = "(SELECT status FROM invoice WHERE id = OLD.invoice_id) <> 'draft'"

SQLITE_TRIGGERS = (
    'CREATE TRIGGER "invoice_issued_update" BEFORE UPDATE ON "invoice" '
    f"WHEN OLD.status <> 'draft' AND (NEW.status = 'draft' OR {_changed}) "
    "BEGIN SELECT RAISE(ABORT, 'issued invoices are immutable'); END",
    'CREATE TRIGGER "invoice_issued_delete" BEFORE DELETE ON "invoice" '
    "WHEN OLD.status <> 'draft' "
    "BEGIN SELECT RAISE(ABORT, 'issued invoices cannot be deleted'); END",
    'CREATE TRIGGER "invoice_line_issued_update" BEFORE UPDATE ON "invoice_line" '
    f"WHEN {_ISSUED_LINE} AND ({_line_changed}) "
    "BEGIN SELECT RAISE(ABORT, 'lines of an issued invoice are immutable'); END",
    'CREATE TRIGGER "invoice_line_issued_delete" BEFORE DELETE ON "invoice_line" '
    f"WHEN {_ISSUED_LINE} "
    "BEGIN SELECT RAISE(ABORT, 'lines of an issued invoice are immutable'); END",
)


def up(db, dialect: str) -> None:
    for statement in STATEMENTS:
        db.execute_sql(statement)
    if dialect == "sqlite":
        for statement in SQLITE_TRIGGERS:
            db.execute_sql(statement)
