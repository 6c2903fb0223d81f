"""Clients at scale: revenue per client and year, kept by the database; list and agenda indexes.

`client_revenue` holds the taxable base invoiced per client and calendar year
(issued invoices, rectifying ones included). Triggers on `invoice` keep it exact
whoever writes invoices (the invoicing services, an import, a merge that moves
invoices to another client), so the client list sorts "by revenue this year"
with an index walk instead of aggregating a million invoices.

The other indexes serve the client list's sorts (outstanding, last activity,
name across all statuses) and the agenda (open follow-ups and meetings).
"""

NAME = "client figures: revenue per year, list and agenda indexes"

_COUNTS = "NEW.status <> 'draft' AND NEW.issue_date IS NOT NULL"
_COUNTED = "OLD.status <> 'draft' AND OLD.issue_date IS NOT NULL"
_NEW_YEAR = "CAST(substr(NEW.issue_date, 1, 4) AS INTEGER)"
_OLD_YEAR = "CAST(substr(OLD.issue_date, 1, 4) AS INTEGER)"
_ADD_NEW = (
    'INSERT INTO "client_revenue" ("client_id", "year", "base_cents") '
    f"SELECT NEW.client_id, {_NEW_YEAR}, NEW.base_cents WHERE {_COUNTS} "
    'ON CONFLICT ("client_id", "year") DO UPDATE SET "base_cents" = '
    '"client_revenue"."base_cents" + excluded."base_cents";'
)
_REMOVE_OLD = (
    'UPDATE "client_revenue" SET "base_cents" = "base_cents" - OLD.base_cents '
    f'WHERE "client_id" = OLD.client_id AND "year" = {_OLD_YEAR} AND {_COUNTED};'
)

SQLITE = (
    'CREATE TABLE "client_revenue" ("client_id" INTEGER NOT NULL, "year" INTEGER NOT NULL, '
    '"base_cents" INTEGER NOT NULL DEFAULT 0, PRIMARY KEY ("client_id", "year"), '
    'FOREIGN KEY ("client_id") REFERENCES "client" ("id") ON DELETE CASCADE) WITHOUT ROWID',
    'CREATE INDEX "client_revenue_year_base" ON "client_revenue" '
    '("year", "base_cents" DESC, "client_id")',
    'CREATE TRIGGER "invoice_revenue_insert" AFTER INSERT ON "invoice" '
    f"WHEN {_COUNTS} BEGIN {_ADD_NEW} END",
    'CREATE TRIGGER "invoice_revenue_update" AFTER UPDATE OF '
    '"status", "base_cents", "client_id", "issue_date" ON "invoice" '
    f"BEGIN {_REMOVE_OLD} {_ADD_NEW} END",
    'CREATE TRIGGER "invoice_revenue_delete" AFTER DELETE ON "invoice" '
    f"WHEN {_COUNTED} BEGIN {_REMOVE_OLD} END",
    'INSERT INTO "client_revenue" ("client_id", "year", "base_cents") '
    'SELECT "client_id", CAST(substr("issue_date", 1, 4) AS INTEGER), SUM("base_cents") '
    'FROM "invoice" WHERE "status" <> \'draft\' AND "issue_date" IS NOT NULL '
    "GROUP BY 1, 2",
    'CREATE INDEX "client_outstanding_sort" ON "client" '
    '("outstanding_cents" DESC, "sort_name", "id")',
    'CREATE INDEX "client_last_activity_sort" ON "client" '
    '("last_activity_at" DESC, "sort_name", "id")',
    'CREATE INDEX "client_sort_name_id" ON "client" ("sort_name", "id")',
    'CREATE INDEX "activity_open_follow_up" ON "activity" ("due_date") '
    "WHERE done_at IS NULL AND due_date IS NOT NULL",
    'CREATE INDEX "activity_open_meeting" ON "activity" ("occurred_at") '
    "WHERE done_at IS NULL AND kind = 'meeting'",
)

POSTGRESQL = (
    'CREATE TABLE "client_revenue" ("client_id" INTEGER NOT NULL, "year" INTEGER NOT NULL, '
    '"base_cents" BIGINT NOT NULL DEFAULT 0, PRIMARY KEY ("client_id", "year"), '
    'FOREIGN KEY ("client_id") REFERENCES "client" ("id") ON DELETE CASCADE)',
    'CREATE INDEX "client_revenue_year_base" ON "client_revenue" '
    '("year", "base_cents" DESC, "client_id")',
    """CREATE FUNCTION "invoice_revenue_change"() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status <> 'draft' AND OLD.issue_date IS NOT NULL THEN
    UPDATE "client_revenue" SET "base_cents" = "base_cents" - OLD.base_cents
     WHERE "client_id" = OLD.client_id AND "year" = EXTRACT(YEAR FROM OLD.issue_date)::int;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status <> 'draft' AND NEW.issue_date IS NOT NULL THEN
    INSERT INTO "client_revenue" ("client_id", "year", "base_cents")
    VALUES (NEW.client_id, EXTRACT(YEAR FROM NEW.issue_date)::int, NEW.base_cents)
    ON CONFLICT ("client_id", "year")
    DO UPDATE SET "base_cents" = "client_revenue"."base_cents" + EXCLUDED."base_cents";
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql""",
    'CREATE TRIGGER "invoice_revenue" AFTER INSERT OR DELETE OR UPDATE OF '
    '"status", "base_cents", "client_id", "issue_date" ON "invoice" '
    'FOR EACH ROW EXECUTE FUNCTION "invoice_revenue_change"()',
    'INSERT INTO "client_revenue" ("client_id", "year", "base_cents") '
    'SELECT "client_id", EXTRACT(YEAR FROM "issue_date")::int, SUM("base_cents") '
    'FROM "invoice" WHERE "status" <> \'draft\' AND "issue_date" IS NOT NULL '
    "GROUP BY 1, 2",
    'CREATE INDEX "client_outstanding_sort" ON "client" '
    '("outstanding_cents" DESC, "sort_name", "id")',
    'CREATE INDEX "client_last_activity_sort" ON "client" '
    '("last_activity_at" DESC NULLS LAST, "sort_name", "id")',
    'CREATE INDEX "client_sort_name_id" ON "client" ("sort_name", "id")',
    'CREATE INDEX "activity_open_follow_up" ON "activity" ("due_date") '
    "WHERE done_at IS NULL AND due_date IS NOT NULL",
    'CREATE INDEX "activity_open_meeting" ON "activity" ("occurred_at") '
    "WHERE done_at IS NULL AND kind = 'meeting'",
)


def up(db, dialect: str) -> None:
    for statement in SQLITE if dialect == "sqlite" else POSTGRESQL:
        db.execute_sql(statement)
