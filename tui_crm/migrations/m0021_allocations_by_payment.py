"""Receivables as of a past date: a covering index of payment allocations by payment.

The board as of a past day D puts back what the payments dated after D paid
(`services.receivables._replayed`): it reads those payments by date, then each one's
allocations, the invoice each paid and how much. With only `payment_allocation_payment_id`
every allocation was a lookup into the allocation table for its invoice and amount
(some 267,000 random reads at the scale case for D five months back, a fifth of the
whole replay). This index holds both, so the replay reads the allocations from it alone.

The board names it on SQLite (`INDEXED BY`): going by the statistics a database may have
(`sqlite_stat1`, as the demo's), the planner keeps the narrower index, or scans every
allocation in invoice order, which costs the same whether one payment or thirty
thousand came after D.
"""

NAME = "receivables: covering index of payment allocations by payment"

STATEMENTS = (
    'CREATE INDEX "payment_allocation_payment_cover" ON "payment_allocation" '
    '("payment_id", "invoice_id", "amount_cents")',
)


def up(db, dialect: str) -> None:
    for statement in STATEMENTS:  # the same statement in SQLite and PostgreSQL
        db.execute_sql(statement)
