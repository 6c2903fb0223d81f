"""Reports at scale: sales and cost of sales per client and calendar month, kept by the
database.

`client_month_revenue` holds, per client and month ("2026-03"), how many invoices count
and the sum of their taxable base and cost of sales. An invoice counts when it is issued
and not voided (rectifying ones included, on their own issue date): exactly the rule of
`services.analytics` (`ISSUED`). Triggers on `invoice` keep it exact whoever writes
invoices (the invoicing services, a void, a rectification, an import, a merge that
moves invoices to another client), as `client_revenue` is kept per year (m0004, m0010).
The profit and loss and `report revenue` read whole months from it instead of
aggregating a million invoices; a row whose `invoices` fell to 0 is no row at all for
them (the reports read `invoices > 0`).

Also an index of quotes by date (the quote list, newest first).

Frozen: never import live services or models here.
"""

NAME = "client figures: sales and cost of sales per client and month; quotes by date"

# The quote list, newest first, a page at a time: an index walk instead of a sort of
# every quote for each page.
_QUOTE_DATE = 'CREATE INDEX "quote_date_id" ON "quote" ("date", "id")'

_COUNTED = "NOT IN ('draft', 'voided')"
_SQLITE_COUNTS = f"NEW.status {_COUNTED} AND NEW.issue_date IS NOT NULL"
_SQLITE_COUNTED = f"OLD.status {_COUNTED} AND OLD.issue_date IS NOT NULL"
_ADD_NEW = (
    'INSERT INTO "client_month_revenue" ("client_id", "month", "invoices", "base_cents", '
    '"cost_cents") SELECT NEW.client_id, substr(NEW.issue_date, 1, 7), 1, NEW.base_cents, '
    f"NEW.cost_cents WHERE {_SQLITE_COUNTS} "
    'ON CONFLICT ("client_id", "month") DO UPDATE SET '
    '"invoices" = "client_month_revenue"."invoices" + 1, '
    '"base_cents" = "client_month_revenue"."base_cents" + excluded."base_cents", '
    '"cost_cents" = "client_month_revenue"."cost_cents" + excluded."cost_cents";'
)
_REMOVE_OLD = (
    'UPDATE "client_month_revenue" SET "invoices" = "invoices" - 1, '
    '"base_cents" = "base_cents" - OLD.base_cents, "cost_cents" = "cost_cents" - OLD.cost_cents '
    'WHERE "client_id" = OLD.client_id AND "month" = substr(OLD.issue_date, 1, 7) '
    f"AND {_SQLITE_COUNTED};"
)
_WATCHED = '"status", "base_cents", "cost_cents", "client_id", "issue_date"'

SQLITE = (
    'CREATE TABLE "client_month_revenue" ("client_id" INTEGER NOT NULL, '
    '"month" TEXT NOT NULL, "invoices" INTEGER NOT NULL DEFAULT 0, '
    '"base_cents" INTEGER NOT NULL DEFAULT 0, "cost_cents" INTEGER NOT NULL DEFAULT 0, '
    'PRIMARY KEY ("client_id", "month"), '
    'FOREIGN KEY ("client_id") REFERENCES "client" ("id") ON DELETE CASCADE) WITHOUT ROWID',
    # A period's months in one range scan that never reads the table itself.
    'CREATE INDEX "client_month_revenue_month" ON "client_month_revenue" '
    '("month", "client_id", "invoices", "base_cents", "cost_cents")',
    'CREATE TRIGGER "invoice_month_revenue_insert" AFTER INSERT ON "invoice" '
    f"WHEN {_SQLITE_COUNTS} BEGIN {_ADD_NEW} END",
    f'CREATE TRIGGER "invoice_month_revenue_update" AFTER UPDATE OF {_WATCHED} ON "invoice" '
    f"BEGIN {_REMOVE_OLD} {_ADD_NEW} END",
    'CREATE TRIGGER "invoice_month_revenue_delete" AFTER DELETE ON "invoice" '
    f"WHEN {_SQLITE_COUNTED} BEGIN {_REMOVE_OLD} END",
    'INSERT INTO "client_month_revenue" ("client_id", "month", "invoices", "base_cents", '
    '"cost_cents") SELECT "client_id", substr("issue_date", 1, 7), COUNT(*), '
    'SUM("base_cents"), SUM("cost_cents") FROM "invoice" '
    f'WHERE "status" {_COUNTED} AND "issue_date" IS NOT NULL GROUP BY 1, 2',
)

# What rebuilds the table from the invoices: the backfill above, after emptying it (a bulk
# load that drops `invoice_month_revenue_insert`, and `tui-crm check --repair`).
SQLITE_REBUILD = ('DELETE FROM "client_month_revenue"', SQLITE[-1])

POSTGRESQL = (
    'CREATE TABLE "client_month_revenue" ("client_id" INTEGER NOT NULL, '
    '"month" TEXT NOT NULL, "invoices" INTEGER NOT NULL DEFAULT 0, '
    '"base_cents" BIGINT NOT NULL DEFAULT 0, "cost_cents" BIGINT NOT NULL DEFAULT 0, '
    'PRIMARY KEY ("client_id", "month"), '
    'FOREIGN KEY ("client_id") REFERENCES "client" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "client_month_revenue_month" ON "client_month_revenue" '
    '("month", "client_id", "invoices", "base_cents", "cost_cents")',
    f"""CREATE FUNCTION "invoice_month_revenue_change"() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status {_COUNTED} AND OLD.issue_date IS NOT NULL THEN
    UPDATE "client_month_revenue" SET "invoices" = "invoices" - 1,
           "base_cents" = "base_cents" - OLD.base_cents,
           "cost_cents" = "cost_cents" - OLD.cost_cents
     WHERE "client_id" = OLD.client_id AND "month" = to_char(OLD.issue_date, 'YYYY-MM');
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status {_COUNTED} AND NEW.issue_date IS NOT NULL THEN
    INSERT INTO "client_month_revenue" ("client_id", "month", "invoices", "base_cents",
                                        "cost_cents")
    VALUES (NEW.client_id, to_char(NEW.issue_date, 'YYYY-MM'), 1, NEW.base_cents,
            NEW.cost_cents)
    ON CONFLICT ("client_id", "month") DO UPDATE SET
      "invoices" = "client_month_revenue"."invoices" + 1,
      "base_cents" = "client_month_revenue"."base_cents" + EXCLUDED."base_cents",
      "cost_cents" = "client_month_revenue"."cost_cents" + EXCLUDED."cost_cents";
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql""",
    'CREATE TRIGGER "invoice_month_revenue" AFTER INSERT OR DELETE OR UPDATE OF '
    f'{_WATCHED} ON "invoice" FOR EACH ROW EXECUTE FUNCTION "invoice_month_revenue_change"()',
    'INSERT INTO "client_month_revenue" ("client_id", "month", "invoices", "base_cents", '
    '"cost_cents") SELECT "client_id", to_char("issue_date", \'YYYY-MM\'), COUNT(*), '
    'SUM("base_cents"), SUM("cost_cents") FROM "invoice" '
    f'WHERE "status" {_COUNTED} AND "issue_date" IS NOT NULL GROUP BY 1, 2',
)

POSTGRESQL_REBUILD = ('DELETE FROM "client_month_revenue"', POSTGRESQL[-1])


def up(db, dialect: str) -> None:
    for statement in SQLITE if dialect == "sqlite" else POSTGRESQL:
        db.execute_sql(statement)
    db.execute_sql(_QUOTE_DATE)
