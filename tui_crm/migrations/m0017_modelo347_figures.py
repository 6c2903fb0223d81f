"""Modelo 347 at scale: what each client's invoices add up to per year and quarter, kept
by the database.

`modelo347_figures` holds, per year, tax ID as the return groups it (`tax_key`), client
and whether the invoices carried no IVA nor recargo (`untaxed`), how many invoices count,
their amount with IVA (base + IVA + recargo) in each calendar quarter, and the id of the
latest of them (whose name and tax ID as invoiced the return shows). An invoice counts
when it is neither a draft nor voided (a voided invoice should never have existed: no
operation took place) and has an issue date, has no IRPF withheld and does not rectify
an invoice with IRPF withheld: exactly the rules of `services.modelo347` that depend on
the invoice alone. The rule that depends on the client (a client outside Spain with
neither IVA nor recargo is left out) is applied when the return is read, from
`untaxed` and the client's country as it is then.

Triggers on `invoice` keep it exact whoever writes invoices (issue, payment, void,
rectification, import, a merge moving invoices). Issued invoices never change their
amounts, IRPF or original, so an invoice's row is fixed once it counts. A row whose
`invoices` fell to 0 is no row at all for the return.

Also `day_revenue`: the whole business's counted invoices per issue date (the rule of
`services.analytics`: issued and not voided, rectifying ones on their own date), their
taxable base, cost of sales and total, kept by triggers the same way (m0015's pattern).
Monthly revenue, the profit and loss's totals and the billing the defaulters' shares
divide by read a few hundred days from it instead of a million invoices.

And `invoice_overdue_by_client`, an index for the defaulters (see below).

Frozen: never import live services or models here.
"""

NAME = "Modelo 347 figures per year, tax ID, client and quarter; revenue per day"

# The tax ID as the return groups it (upper case, no separators, a Spanish VAT number as
# its NIF; no tax ID: the client), written for a row alias such as NEW, OLD or i.
_RAW = "UPPER(REPLACE(REPLACE(REPLACE({r}.client_tax_id, ' ', ''), '-', ''), '.', ''))"
_KEY = (
    f"(CASE WHEN {_RAW} = '' THEN 'client:' || CAST({{r}}.client_id AS TEXT) "
    f"WHEN SUBSTR({_RAW}, 1, 2) = 'ES' AND LENGTH({_RAW}) = 11 THEN SUBSTR({_RAW}, 3) "
    f"ELSE {_RAW} END)"
)
_AMOUNT = "({r}.base_cents + {r}.vat_cents + {r}.recargo_cents)"
_UNTAXED = "(CASE WHEN {r}.vat_cents = 0 AND {r}.recargo_cents = 0 THEN 1 ELSE 0 END)"
_COUNTS = (
    "({r}.status NOT IN ('draft', 'voided') AND {r}.issue_date IS NOT NULL "
    "AND {r}.irpf_rate_bp = 0 "
    "AND NOT EXISTS (SELECT 1 FROM invoice o WHERE o.id = {r}.rectifies_id "
    "AND o.irpf_rate_bp <> 0))"
)
_SQLITE_YEAR = "CAST(substr({r}.issue_date, 1, 4) AS INTEGER)"
_SQLITE_QUARTER = "((CAST(substr({r}.issue_date, 6, 2) AS INTEGER) + 2) / 3)"
_PG_YEAR = "CAST(EXTRACT(YEAR FROM {r}.issue_date) AS INTEGER)"
_PG_QUARTER = "CAST(EXTRACT(QUARTER FROM {r}.issue_date) AS INTEGER)"
# The columns whose change can move an invoice in or out of a row, or change its amount.
_WATCHED = (
    "status",
    "issue_date",
    "irpf_rate_bp",
    "rectifies_id",
    "client_id",
    "client_tax_id",
    "base_cents",
    "vat_cents",
    "recargo_cents",
)

_COLUMNS = (
    '"year", "tax_key", "client_id", "untaxed", "invoices", "q1_cents", "q2_cents", '
    '"q3_cents", "q4_cents", "last_invoice_id"'
)


def _f(template: str, r: str) -> str:
    return template.format(r=r)


def _quarters(quarter: str, amount: str, sign: str = "") -> str:
    return ", ".join(
        f"CASE WHEN {quarter} = {q} THEN {sign}{amount} ELSE 0 END" for q in range(1, 5)
    )


def _latest(r: str, year: str, untaxed: str) -> str:
    """The latest invoice still counted in OLD's row (after OLD changed or went)."""
    return (
        f"(SELECT MAX(i.id) FROM invoice i WHERE i.client_id = {r}.client_id "
        f"AND {year.format(r='i')} = {year.format(r=r)} AND {_f(_COUNTS, 'i')} "
        f"AND {_f(_KEY, 'i')} = {_f(_KEY, r)} AND {_f(untaxed, 'i')} = {_f(untaxed, r)})"
    )


def _add(r: str, year: str, quarter: str, excluded: str, greatest: str) -> str:
    """Count invoice `r` in its row (an upsert)."""
    return (
        f'INSERT INTO "modelo347_figures" ({_COLUMNS}) '
        f"SELECT {_f(year, r)}, {_f(_KEY, r)}, {r}.client_id, {_f(_UNTAXED, r)}, 1, "
        f"{_quarters(_f(quarter, r), _f(_AMOUNT, r))}, {r}.id WHERE {_f(_COUNTS, r)} "
        'ON CONFLICT ("year", "tax_key", "client_id", "untaxed") DO UPDATE SET '
        '"invoices" = "modelo347_figures"."invoices" + 1, '
        + ", ".join(
            f'"q{q}_cents" = "modelo347_figures"."q{q}_cents" + {excluded}."q{q}_cents"'
            for q in range(1, 5)
        )
        + f', "last_invoice_id" = {greatest}("modelo347_figures"."last_invoice_id", '
        f'{excluded}."last_invoice_id")'
    )


def _remove(r: str, year: str, quarter: str) -> str:
    """Take invoice `r` (as it was) out of its row."""
    return (
        'UPDATE "modelo347_figures" SET "invoices" = "invoices" - 1, '
        + ", ".join(
            f'"q{q}_cents" = "q{q}_cents" - CASE WHEN {_f(quarter, r)} = {q} '
            f"THEN {_f(_AMOUNT, r)} ELSE 0 END"
            for q in range(1, 5)
        )
        + f', "last_invoice_id" = CASE WHEN "last_invoice_id" = {r}.id '
        f'THEN COALESCE({_latest(r, year, _UNTAXED)}, 0) ELSE "last_invoice_id" END '
        f'WHERE "year" = {_f(year, r)} AND "tax_key" = {_f(_KEY, r)} '
        f'AND "client_id" = {r}.client_id AND "untaxed" = {_f(_UNTAXED, r)} '
        f"AND {_f(_COUNTS, r)}"
    )


def _backfill(year: str, quarter: str) -> str:
    return (
        f'INSERT INTO "modelo347_figures" ({_COLUMNS}) '
        f"SELECT {_f(year, 'i')}, {_f(_KEY, 'i')}, i.client_id, {_f(_UNTAXED, 'i')}, "
        "COUNT(*), "
        + ", ".join(
            f"SUM(CASE WHEN {_f(quarter, 'i')} = {q} THEN {_f(_AMOUNT, 'i')} ELSE 0 END)"
            for q in range(1, 5)
        )
        + f", MAX(i.id) FROM invoice i WHERE {_f(_COUNTS, 'i')} GROUP BY 1, 2, 3, 4"
    )


_TABLE = (
    'CREATE TABLE "modelo347_figures" ("year" INTEGER NOT NULL, "tax_key" TEXT NOT NULL, '
    '"client_id" INTEGER NOT NULL, "untaxed" INTEGER NOT NULL, '
    '"invoices" INTEGER NOT NULL DEFAULT 0, "q1_cents" {big} NOT NULL DEFAULT 0, '
    '"q2_cents" {big} NOT NULL DEFAULT 0, "q3_cents" {big} NOT NULL DEFAULT 0, '
    '"q4_cents" {big} NOT NULL DEFAULT 0, "last_invoice_id" INTEGER NOT NULL DEFAULT 0, '
    'PRIMARY KEY ("year", "tax_key", "client_id", "untaxed"), '
    'FOREIGN KEY ("client_id") REFERENCES "client" ("id") ON DELETE CASCADE){rowid}'
)
_CHANGED_SQLITE = " OR ".join(
    f"(OLD.{c} IN ('draft', 'voided')) IS NOT (NEW.{c} IN ('draft', 'voided'))"
    if c == "status"
    else f"OLD.{c} IS NOT NEW.{c}"
    for c in _WATCHED
)

_SQLITE_347 = (
    _TABLE.format(big="INTEGER", rowid=" WITHOUT ROWID"),
    'CREATE TRIGGER "invoice_modelo347_insert" AFTER INSERT ON "invoice" '
    f"WHEN {_f(_COUNTS, 'NEW')} BEGIN "
    f"{_add('NEW', _SQLITE_YEAR, _SQLITE_QUARTER, 'excluded', 'MAX')}; END",
    f'CREATE TRIGGER "invoice_modelo347_update" AFTER UPDATE OF {", ".join(_WATCHED)} '
    f'ON "invoice" WHEN {_CHANGED_SQLITE} BEGIN '
    f"{_remove('OLD', _SQLITE_YEAR, _SQLITE_QUARTER)}; "
    f"{_add('NEW', _SQLITE_YEAR, _SQLITE_QUARTER, 'excluded', 'MAX')}; END",
    'CREATE TRIGGER "invoice_modelo347_delete" AFTER DELETE ON "invoice" '
    f"WHEN {_f(_COUNTS, 'OLD')} BEGIN {_remove('OLD', _SQLITE_YEAR, _SQLITE_QUARTER)}; END",
    _backfill(_SQLITE_YEAR, _SQLITE_QUARTER),
)

SQLITE_REBUILD = ('DELETE FROM "modelo347_figures"', _SQLITE_347[-1])

_CHANGED_PG = " OR ".join(
    f"(OLD.{c} IN ('draft', 'voided')) IS DISTINCT FROM (NEW.{c} IN ('draft', 'voided'))"
    if c == "status"
    else f"OLD.{c} IS DISTINCT FROM NEW.{c}"
    for c in _WATCHED
)

_POSTGRESQL_347 = (
    _TABLE.format(big="BIGINT", rowid=""),
    f"""CREATE FUNCTION "invoice_modelo347_change"() RETURNS trigger AS $$
BEGIN
  -- Only what counts is written (a draft's writer may not write these figures).
  IF TG_OP = 'UPDATE' AND NOT ({_CHANGED_PG}) THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') AND {_f(_COUNTS, "OLD")} THEN
    {_remove("OLD", _PG_YEAR, _PG_QUARTER)};
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND {_f(_COUNTS, "NEW")} THEN
    {_add("NEW", _PG_YEAR, _PG_QUARTER, "EXCLUDED", "GREATEST")};
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql""",
    'CREATE TRIGGER "invoice_modelo347" AFTER INSERT OR DELETE OR UPDATE OF '
    f'{", ".join(_WATCHED)} ON "invoice" FOR EACH ROW EXECUTE FUNCTION '
    '"invoice_modelo347_change"()',
    _backfill(_PG_YEAR, _PG_QUARTER),
)

POSTGRESQL_REBUILD = ('DELETE FROM "modelo347_figures"', _POSTGRESQL_347[-1])


# --- revenue per day --------------------------------------------------------------------

_DAY_COUNTED = "NOT IN ('draft', 'voided')"
_DAY_ADD = (
    'INSERT INTO "day_revenue" ("day", "invoices", "base_cents", "cost_cents", "total_cents") '
    "{values} "
    'ON CONFLICT ("day") DO UPDATE SET "invoices" = "day_revenue"."invoices" + 1, '
    '"base_cents" = "day_revenue"."base_cents" + {excluded}."base_cents", '
    '"cost_cents" = "day_revenue"."cost_cents" + {excluded}."cost_cents", '
    '"total_cents" = "day_revenue"."total_cents" + {excluded}."total_cents"'
)
_DAY_REMOVE = (
    'UPDATE "day_revenue" SET "invoices" = "invoices" - 1, '
    '"base_cents" = "base_cents" - OLD.base_cents, "cost_cents" = "cost_cents" - OLD.cost_cents, '
    '"total_cents" = "total_cents" - OLD.total_cents WHERE "day" = OLD.issue_date'
)
_DAY_TABLE = (
    'CREATE TABLE "day_revenue" ("day" {day} NOT NULL PRIMARY KEY, '
    '"invoices" INTEGER NOT NULL DEFAULT 0, "base_cents" {big} NOT NULL DEFAULT 0, '
    '"cost_cents" {big} NOT NULL DEFAULT 0, "total_cents" {big} NOT NULL DEFAULT 0){rowid}'
)
_DAY_WATCHED = '"status", "base_cents", "cost_cents", "total_cents", "issue_date"'
_DAY_BACKFILL = (
    'INSERT INTO "day_revenue" ("day", "invoices", "base_cents", "cost_cents", "total_cents") '
    'SELECT "issue_date", COUNT(*), SUM("base_cents"), SUM("cost_cents"), SUM("total_cents") '
    f'FROM "invoice" WHERE "status" {_DAY_COUNTED} AND "issue_date" IS NOT NULL GROUP BY 1'
)
_DAY_NEW = f"NEW.status {_DAY_COUNTED} AND NEW.issue_date IS NOT NULL"
_DAY_OLD = f"OLD.status {_DAY_COUNTED} AND OLD.issue_date IS NOT NULL"
_SQLITE_DAY_ADD = _DAY_ADD.format(
    values="SELECT NEW.issue_date, 1, NEW.base_cents, NEW.cost_cents, NEW.total_cents "
    f"WHERE {_DAY_NEW}",
    excluded="excluded",
)

SQLITE_DAYS = (
    _DAY_TABLE.format(day="TEXT", big="INTEGER", rowid=" WITHOUT ROWID"),
    'CREATE TRIGGER "invoice_day_revenue_insert" AFTER INSERT ON "invoice" '
    f"WHEN {_DAY_NEW} BEGIN {_SQLITE_DAY_ADD}; END",
    f'CREATE TRIGGER "invoice_day_revenue_update" AFTER UPDATE OF {_DAY_WATCHED} ON "invoice" '
    f"BEGIN {_DAY_REMOVE} AND {_DAY_OLD}; {_SQLITE_DAY_ADD}; END",
    'CREATE TRIGGER "invoice_day_revenue_delete" AFTER DELETE ON "invoice" '
    f"WHEN {_DAY_OLD} BEGIN {_DAY_REMOVE}; END",
    _DAY_BACKFILL,
)
SQLITE_DAYS_REBUILD = ('DELETE FROM "day_revenue"', _DAY_BACKFILL)

POSTGRESQL_DAYS = (
    _DAY_TABLE.format(day="DATE", big="BIGINT", rowid=""),
    f"""CREATE FUNCTION "invoice_day_revenue_change"() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND {_DAY_OLD} THEN
    {_DAY_REMOVE};
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND {_DAY_NEW} THEN
    {
        _DAY_ADD.format(
            values="VALUES (NEW.issue_date, 1, NEW.base_cents, NEW.cost_cents, NEW.total_cents)",
            excluded="EXCLUDED",
        )
    };
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql""",
    'CREATE TRIGGER "invoice_day_revenue" AFTER INSERT OR DELETE OR UPDATE OF '
    f'{_DAY_WATCHED} ON "invoice" FOR EACH ROW EXECUTE FUNCTION "invoice_day_revenue_change"()',
    _DAY_BACKFILL,
)
POSTGRESQL_DAYS_REBUILD = SQLITE_DAYS_REBUILD

# The defaulters: every unpaid invoice's client, due date, issue date and amount in one
# index (the partial index of `invoice_unpaid`'s rows), walked in client order, so the
# overdue per client is summed without reading the table nor sorting.
OVERDUE_BY_CLIENT = (
    'CREATE INDEX "invoice_overdue_by_client" ON "invoice" ("client_id", "due_date", '
    '"issue_date", "outstanding_cents", "status") '
    "WHERE \"outstanding_cents\" <> 0 AND \"status\" IN ('issued', 'partially_paid')"
)

SQLITE = (*_SQLITE_347, *SQLITE_DAYS, OVERDUE_BY_CLIENT)
POSTGRESQL = (*_POSTGRESQL_347, *POSTGRESQL_DAYS, OVERDUE_BY_CLIENT)


def up(db, dialect: str) -> None:
    for statement in SQLITE if dialect == "sqlite" else POSTGRESQL:
        db.execute_sql(statement)
