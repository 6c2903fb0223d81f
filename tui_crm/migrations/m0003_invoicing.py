"""Invoicing: the link from an invoice to the recurring template (and period) that made it.

The UNIQUE index on (recurring_id, recurring_date) is what makes
`tui-crm recurring run` idempotent in the database itself: two runs racing for
the same template and date cannot both insert an invoice, whatever the Python
side believes.
"""

NAME = "invoicing: recurring invoice periods"

STATEMENTS = (
    'ALTER TABLE "invoice" ADD COLUMN "recurring_id" INTEGER '
    'REFERENCES "recurring_invoice" ("id") ON DELETE SET NULL',
    'ALTER TABLE "invoice" ADD COLUMN "recurring_date" DATE',
    'CREATE UNIQUE INDEX "invoice_recurring_period" ON "invoice" ("recurring_id", "recurring_date")',
    'CREATE INDEX "recurring_invoice_due" ON "recurring_invoice" ("active", "next_date")',
)


def up(db, dialect: str) -> None:
    for statement in STATEMENTS:
        db.execute_sql(statement)
