"""Receivables: the index of unpaid invoices also holds their issue date.

The receivables board (F5) and the reminders count and page the unpaid invoices issued
up to a day (`issue_date <= ?`) through the partial index `invoice_unpaid`. With only
(due_date, client_id) in it, counting them looked every one of them up in the invoice
table (some 63,000 random reads at the scale case, 136 ms on a quiet machine, more than
the page itself), just to read its issue date. The index is rebuilt, under the same name
and with the same condition, as (due_date, client_id, id, issue_date): the count reads
only the index, and the board's order (due date, client, id) is still the index's own,
so a page is still read in order without sorting.
"""

NAME = "receivables: unpaid invoices index holds the issue date"

_CONDITION = "WHERE \"outstanding_cents\" <> 0 AND \"status\" IN ('issued', 'partially_paid')"

STATEMENTS = (
    'DROP INDEX "invoice_unpaid"',
    'CREATE INDEX "invoice_unpaid" ON "invoice" ("due_date", "client_id", "id", "issue_date") '
    + _CONDITION,
)


def up(db, dialect: str) -> None:
    # The same statements in SQLite and PostgreSQL.
    for statement in STATEMENTS:
        db.execute_sql(statement)
