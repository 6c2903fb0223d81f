"""The application's mark in the file, and the indexes behind receivables as of a past date.

SQLite's header has a 32-bit `application_id` for the program that owns the file.
tui-crm writes 0x7443524D ("tCRM") there, so a database is recognised as ours before
anything is read from it, and another program's SQLite file given to `--db` is left
alone (older databases, written before this mark, are recognised by their schema).
A new database gets it from this migration too, at `tui-crm init`.

Receivables as of a past date replay the payments dated after it and the reversals
made after it (services.receivables): two small indexes find those without reading
every payment.
"""

NAME = "application id; payment date and reversal indexes"

APPLICATION_ID = 0x7443524D  # frozen copy of db.APPLICATION_ID

STATEMENTS = (
    'CREATE INDEX "payment_date" ON "payment" ("date")',
    'CREATE INDEX "payment_reversed_at" ON "payment" ("reversed_at") '
    'WHERE "reversed_at" IS NOT NULL',
)


def up(db, dialect: str) -> None:
    for statement in STATEMENTS:
        db.execute_sql(statement)
    if dialect == "sqlite":
        db.execute_sql(f"PRAGMA application_id = {APPLICATION_ID}")
