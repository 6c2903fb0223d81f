# ruff: noqa: E501
"""VERI*FACTU (RD 1007/2023, Orden HAC/1177/2024): the chained records of issued invoices.

`verifactu_record` holds one row per registro de facturación (alta or anulación), in
the order they were generated, chained per issuer NIF: `sequence` numbers the chain
(1, 2, 3 … per issuer) and `previous_hash` is the `hash` of the record before it ('' and
`first_record` for the first). Two UNIQUE indexes make a fork impossible in the database
itself: (issuer_nif, sequence) and (issuer_nif, previous_hash). An INSERT trigger refuses a
record whose previous hash is not the hash of the record one place before it, so the chain
has no gap either, whoever writes it.

The record columns never change once written (triggers refuse UPDATE of any of them and
any DELETE); only the transmission columns (status, error_code, error, csv,
submission_id, sent_at, attempts) change, as AEAT answers. `verifactu_submission` keeps
each message sent to AEAT with its raw answer and CSV, `verifactu_chain` one row per
issuer: the head of the chain (the lock that serialises record generation) and when the
next message may leave (AEAT's TiempoEsperaEnvio).

Invoices gain their AEAT coding: `invoice_type` (F1, F2, F3, R1-R5; frozen once issued),
`exemption_code` (E1-E6 for exempt, N1/N2 for not subject; a coding that a subsanación
may correct), the voiding columns (`status` 'voided' stays voided), and
`invoice_replaced` lists the simplified invoices an F3 replaces (frozen once issued).
A voided invoice no longer counts as revenue: the revenue triggers of migration 4 and
the analytics index of migration 6 are rebuilt to leave out 'voided' as well as 'draft'.
"""

NAME = "VERI*FACTU records, submissions and chain heads; invoice type, exemption code, voiding"

_RECORD_COLUMNS = (
    "id",
    "issuer_nif",
    "issuer_name",
    "sequence",
    "invoice_id",
    "record_type",
    "subsanacion",
    "rechazo_previo",
    "sin_registro_previo",
    "corrects_id",
    "invoice_number",
    "issue_date",
    "invoice_type",
    "vat_total",
    "total",
    "first_record",
    "previous_issuer_nif",
    "previous_number",
    "previous_issue_date",
    "previous_hash",
    "hash",
    "generated_at",
    "environment",
    "xml",
    "created_at",
    "created_by",
)

_STATUSES = "('pending', 'accepted', 'accepted_with_errors', 'rejected')"
_COUNTED = "NOT IN ('draft', 'voided')"


def _record_table(serial: str, blob_bool: str, stamp: str) -> str:
    return (
        'CREATE TABLE "verifactu_record" ('
        f'"id" {serial}, '
        '"issuer_nif" VARCHAR(9) NOT NULL, "issuer_name" VARCHAR(120) NOT NULL, '
        '"sequence" INTEGER NOT NULL, "invoice_id" INTEGER NOT NULL, '
        "\"record_type\" VARCHAR(9) NOT NULL CHECK (\"record_type\" IN ('alta', 'anulacion')), "
        f'"subsanacion" {blob_bool} NOT NULL, '
        "\"rechazo_previo\" VARCHAR(1) NOT NULL DEFAULT '' CHECK (\"rechazo_previo\" IN ('', 'S', 'X')), "
        f'"sin_registro_previo" {blob_bool} NOT NULL, "corrects_id" INTEGER, '
        '"invoice_number" VARCHAR(60) NOT NULL, "issue_date" DATE NOT NULL, '
        "\"invoice_type\" VARCHAR(2) NOT NULL DEFAULT '', "
        "\"vat_total\" VARCHAR(20) NOT NULL DEFAULT '', \"total\" VARCHAR(20) NOT NULL DEFAULT '', "
        f'"first_record" {blob_bool} NOT NULL, '
        "\"previous_issuer_nif\" VARCHAR(9) NOT NULL DEFAULT '', "
        '"previous_number" VARCHAR(60) NOT NULL DEFAULT \'\', "previous_issue_date" DATE, '
        '"previous_hash" VARCHAR(64) NOT NULL DEFAULT \'\', "hash" VARCHAR(64) NOT NULL, '
        '"generated_at" VARCHAR(25) NOT NULL, "environment" VARCHAR(10) NOT NULL, '
        f'"xml" TEXT NOT NULL, "created_at" {stamp} NOT NULL, "created_by" VARCHAR(64) NOT NULL, '
        f'"status" VARCHAR(20) NOT NULL DEFAULT \'pending\' CHECK ("status" IN {_STATUSES}), '
        "\"error_code\" VARCHAR(10) NOT NULL DEFAULT '', \"error\" TEXT NOT NULL DEFAULT '', "
        '"csv" VARCHAR(30) NOT NULL DEFAULT \'\', "submission_id" INTEGER, '
        f'"sent_at" {stamp}, "attempts" INTEGER NOT NULL DEFAULT 0, '
        'FOREIGN KEY ("invoice_id") REFERENCES "invoice" ("id") ON DELETE RESTRICT, '
        'FOREIGN KEY ("corrects_id") REFERENCES "verifactu_record" ("id") ON DELETE RESTRICT, '
        'FOREIGN KEY ("submission_id") REFERENCES "verifactu_submission" ("id") ON DELETE RESTRICT)'
    )


def _submission_table(serial: str, stamp: str) -> str:
    return (
        'CREATE TABLE "verifactu_submission" ('
        f'"id" {serial}, "issuer_nif" VARCHAR(9) NOT NULL, '
        "\"environment\" VARCHAR(10) NOT NULL DEFAULT '', \"endpoint\" TEXT NOT NULL DEFAULT '', "
        f'"started_at" {stamp} NOT NULL, "finished_at" {stamp}, '
        '"record_count" INTEGER NOT NULL DEFAULT 0, '
        "\"outcome\" VARCHAR(24) NOT NULL DEFAULT '', \"csv\" VARCHAR(30) NOT NULL DEFAULT '', "
        "\"response\" TEXT NOT NULL DEFAULT '', \"error\" TEXT NOT NULL DEFAULT '', "
        '"wait_seconds" INTEGER, "sent_by" VARCHAR(64) NOT NULL DEFAULT \'\')'
    )


def _chain_table(stamp: str) -> str:
    return (
        'CREATE TABLE "verifactu_chain" ("issuer_nif" VARCHAR(9) NOT NULL PRIMARY KEY, '
        '"last_sequence" INTEGER NOT NULL DEFAULT 0, '
        "\"last_hash\" VARCHAR(64) NOT NULL DEFAULT '', "
        "\"last_generated_at\" VARCHAR(25) NOT NULL DEFAULT '', "
        f'"next_send_at" {stamp}, "updated_at" {stamp})'
    )


def _replaced_table() -> str:
    return (
        'CREATE TABLE "invoice_replaced" ("invoice_id" INTEGER NOT NULL, '
        '"replaced_id" INTEGER NOT NULL, PRIMARY KEY ("invoice_id", "replaced_id"), '
        'FOREIGN KEY ("invoice_id") REFERENCES "invoice" ("id") ON DELETE CASCADE, '
        'FOREIGN KEY ("replaced_id") REFERENCES "invoice" ("id") ON DELETE RESTRICT)'
    )


_INDEXES = (
    'CREATE UNIQUE INDEX "verifactu_record_issuer_sequence" ON "verifactu_record" ("issuer_nif", "sequence")',
    'CREATE UNIQUE INDEX "verifactu_record_issuer_previous" ON "verifactu_record" ("issuer_nif", "previous_hash")',
    'CREATE INDEX "verifactu_record_invoice" ON "verifactu_record" ("invoice_id", "sequence")',
    'CREATE INDEX "verifactu_record_corrects" ON "verifactu_record" ("corrects_id")',
    'CREATE INDEX "verifactu_record_submission" ON "verifactu_record" ("submission_id")',
    # The outbox and the screen of what needs attention: few rows, by issuer in chain order.
    'CREATE INDEX "verifactu_record_open" ON "verifactu_record" ("issuer_nif", "sequence") '
    "WHERE \"status\" IN ('pending', 'rejected')",
    'CREATE INDEX "verifactu_submission_issuer" ON "verifactu_submission" ("issuer_nif", "started_at")',
    'CREATE INDEX "invoice_replaced_replaced" ON "invoice_replaced" ("replaced_id")',
)

_INVOICE_COLUMNS = (
    'ALTER TABLE "invoice" ADD COLUMN "invoice_type" VARCHAR(2) NOT NULL DEFAULT \'\'',
    'ALTER TABLE "invoice" ADD COLUMN "exemption_code" VARCHAR(2) NOT NULL DEFAULT \'\'',
    'ALTER TABLE "invoice" ADD COLUMN "void_reason" TEXT NOT NULL DEFAULT \'\'',
    'ALTER TABLE "invoice" ADD COLUMN "voided_by" VARCHAR(64) NOT NULL DEFAULT \'\'',
)

# Drafts get the type they would have had; issued invoices keep '' (issued before VERI*FACTU).
_BACKFILL = (
    'UPDATE "invoice" SET "invoice_type" = CASE "kind" WHEN \'rectifying\' THEN \'R1\' '
    "ELSE 'F1' END WHERE \"status\" = 'draft'"
)

# --- SQLite ----------------------------------------------------------------------

_record_changed = " OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in _RECORD_COLUMNS)
_previous = (
    '(SELECT "hash" FROM "verifactu_record" WHERE "issuer_nif" = NEW."issuer_nif" '
    'AND "sequence" = NEW."sequence" - 1)'
)
_SQLITE_CHAIN_BROKEN = (
    'NEW."sequence" < 1 '
    'OR (NEW."sequence" = 1 AND (NEW."first_record" = 0 OR NEW."previous_hash" <> \'\')) '
    'OR (NEW."sequence" > 1 AND (NEW."first_record" <> 0 '
    f'OR {_previous} IS NULL OR NEW."previous_hash" IS NOT {_previous}))'
)
_SQLITE_REVENUE_COUNTS = f"NEW.status {_COUNTED} AND NEW.issue_date IS NOT NULL"
_SQLITE_REVENUE_COUNTED = f"OLD.status {_COUNTED} AND OLD.issue_date IS NOT NULL"
_NEW_YEAR = "CAST(substr(NEW.issue_date, 1, 4) AS INTEGER)"
_OLD_YEAR = "CAST(substr(OLD.issue_date, 1, 4) AS INTEGER)"
_ADD_NEW = (
    'INSERT INTO "client_revenue" ("client_id", "year", "base_cents") '
    f"SELECT NEW.client_id, {_NEW_YEAR}, NEW.base_cents WHERE {_SQLITE_REVENUE_COUNTS} "
    'ON CONFLICT ("client_id", "year") DO UPDATE SET "base_cents" = '
    '"client_revenue"."base_cents" + excluded."base_cents";'
)
_REMOVE_OLD = (
    'UPDATE "client_revenue" SET "base_cents" = "base_cents" - OLD.base_cents '
    f'WHERE "client_id" = OLD.client_id AND "year" = {_OLD_YEAR} AND {_SQLITE_REVENUE_COUNTED};'
)
_ISSUED_OF_NEW = "(SELECT status FROM invoice WHERE id = NEW.invoice_id) <> 'draft'"
_ISSUED_OF_OLD = "(SELECT status FROM invoice WHERE id = OLD.invoice_id) <> 'draft'"

SQLITE = (
    _submission_table("INTEGER NOT NULL PRIMARY KEY", "DATETIME"),
    _record_table("INTEGER NOT NULL PRIMARY KEY", "INTEGER", "DATETIME"),
    _chain_table("DATETIME"),
    _replaced_table(),
    *_INDEXES,
    *_INVOICE_COLUMNS,
    'ALTER TABLE "invoice" ADD COLUMN "voided_at" DATETIME',
    _BACKFILL,
    'CREATE TRIGGER "verifactu_record_chain" BEFORE INSERT ON "verifactu_record" '
    f"WHEN {_SQLITE_CHAIN_BROKEN} "
    "BEGIN SELECT RAISE(ABORT, 'VERI*FACTU record does not follow its chain'); END",
    'CREATE TRIGGER "verifactu_record_update" BEFORE UPDATE ON "verifactu_record" '
    f"WHEN {_record_changed} "
    "BEGIN SELECT RAISE(ABORT, 'VERI*FACTU records are immutable'); END",
    'CREATE TRIGGER "verifactu_record_delete" BEFORE DELETE ON "verifactu_record" '
    "BEGIN SELECT RAISE(ABORT, 'VERI*FACTU records cannot be deleted'); END",
    'CREATE TRIGGER "invoice_verifactu_update" BEFORE UPDATE ON "invoice" '
    "WHEN (OLD.status <> 'draft' AND NEW.invoice_type IS NOT OLD.invoice_type) "
    "OR (OLD.status = 'voided' AND (NEW.status <> 'voided' OR NEW.voided_at IS NOT OLD.voided_at "
    "OR NEW.voided_by IS NOT OLD.voided_by OR NEW.void_reason IS NOT OLD.void_reason)) "
    "OR (OLD.status = 'draft' AND NEW.status = 'voided') "
    "BEGIN SELECT RAISE(ABORT, 'issued invoices are immutable'); END",
    'CREATE TRIGGER "invoice_replaced_insert" BEFORE INSERT ON "invoice_replaced" '
    f"WHEN {_ISSUED_OF_NEW} "
    "BEGIN SELECT RAISE(ABORT, 'issued invoices are immutable'); END",
    'CREATE TRIGGER "invoice_replaced_delete" BEFORE DELETE ON "invoice_replaced" '
    f"WHEN {_ISSUED_OF_OLD} "
    "BEGIN SELECT RAISE(ABORT, 'issued invoices are immutable'); END",
    # Revenue per client and year (migration 4): a voided invoice no longer counts.
    'DROP TRIGGER "invoice_revenue_insert"',
    'DROP TRIGGER "invoice_revenue_update"',
    'DROP TRIGGER "invoice_revenue_delete"',
    'CREATE TRIGGER "invoice_revenue_insert" AFTER INSERT ON "invoice" '
    f"WHEN {_SQLITE_REVENUE_COUNTS} BEGIN {_ADD_NEW} END",
    'CREATE TRIGGER "invoice_revenue_update" AFTER UPDATE OF '
    '"status", "base_cents", "client_id", "issue_date" ON "invoice" '
    f"BEGIN {_REMOVE_OLD} {_ADD_NEW} END",
    'CREATE TRIGGER "invoice_revenue_delete" AFTER DELETE ON "invoice" '
    f"WHEN {_SQLITE_REVENUE_COUNTED} BEGIN {_REMOVE_OLD} END",
)

# Not run here (migration 4 filled the table): what rebuilds `client_revenue` from the
# invoices when a bulk load (the demo) drops `invoice_revenue_insert` and puts it back.
BACKFILLS = (
    'INSERT INTO "client_revenue" ("client_id", "year", "base_cents") '
    'SELECT "client_id", CAST(substr("issue_date", 1, 4) AS INTEGER), SUM("base_cents") '
    f'FROM "invoice" WHERE "status" {_COUNTED} AND "issue_date" IS NOT NULL '
    "GROUP BY 1, 2",
)

# --- PostgreSQL -------------------------------------------------------------------


def _row(prefix: str, columns: tuple[str, ...]) -> str:
    return "ROW(" + ", ".join(f'{prefix}."{c}"' for c in columns) + ")"


POSTGRESQL = (
    _submission_table("SERIAL NOT NULL PRIMARY KEY", "TIMESTAMP"),
    _record_table("SERIAL NOT NULL PRIMARY KEY", "BOOLEAN", "TIMESTAMP"),
    _chain_table("TIMESTAMP"),
    _replaced_table(),
    *_INDEXES,
    *_INVOICE_COLUMNS,
    'ALTER TABLE "invoice" ADD COLUMN "voided_at" TIMESTAMP',
    _BACKFILL,
    """CREATE FUNCTION "verifactu_record_guard"() RETURNS trigger AS $$
DECLARE previous varchar(64);
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'VERI*FACTU records cannot be deleted';
  END IF;
  IF TG_OP = 'UPDATE' THEN
    IF """
    + _row("NEW", _RECORD_COLUMNS)
    + " IS DISTINCT FROM "
    + _row("OLD", _RECORD_COLUMNS)
    + """ THEN
      RAISE EXCEPTION 'VERI*FACTU records are immutable';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW."sequence" < 1 THEN
    RAISE EXCEPTION 'VERI*FACTU record does not follow its chain';
  END IF;
  IF NEW."sequence" = 1 THEN
    IF NOT NEW."first_record" OR NEW."previous_hash" <> '' THEN
      RAISE EXCEPTION 'VERI*FACTU record does not follow its chain';
    END IF;
  ELSE
    SELECT "hash" INTO previous FROM "verifactu_record"
     WHERE "issuer_nif" = NEW."issuer_nif" AND "sequence" = NEW."sequence" - 1;
    IF NEW."first_record" OR previous IS NULL OR NEW."previous_hash" IS DISTINCT FROM previous THEN
      RAISE EXCEPTION 'VERI*FACTU record does not follow its chain';
    END IF;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql""",
    'CREATE TRIGGER "verifactu_record_guard" BEFORE INSERT OR UPDATE OR DELETE ON "verifactu_record" '
    'FOR EACH ROW EXECUTE FUNCTION "verifactu_record_guard"()',
    """CREATE FUNCTION "invoice_verifactu_guard"() RETURNS trigger AS $$
BEGIN
  IF (OLD.status <> 'draft' AND NEW.invoice_type IS DISTINCT FROM OLD.invoice_type)
     OR (OLD.status = 'voided' AND (NEW.status <> 'voided'
         OR ROW(NEW.voided_at, NEW.voided_by, NEW.void_reason)
            IS DISTINCT FROM ROW(OLD.voided_at, OLD.voided_by, OLD.void_reason)))
     OR (OLD.status = 'draft' AND NEW.status = 'voided') THEN
    RAISE EXCEPTION 'issued invoices are immutable';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql""",
    'CREATE TRIGGER "invoice_verifactu_guard" BEFORE UPDATE ON "invoice" '
    'FOR EACH ROW EXECUTE FUNCTION "invoice_verifactu_guard"()',
    """CREATE FUNCTION "invoice_replaced_guard"() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF (SELECT status FROM "invoice" WHERE id = OLD.invoice_id) <> 'draft' THEN
      RAISE EXCEPTION 'issued invoices are immutable';
    END IF;
    RETURN OLD;
  END IF;
  IF (SELECT status FROM "invoice" WHERE id = NEW.invoice_id) <> 'draft' THEN
    RAISE EXCEPTION 'issued invoices are immutable';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql""",
    'CREATE TRIGGER "invoice_replaced_guard" BEFORE INSERT OR DELETE ON "invoice_replaced" '
    'FOR EACH ROW EXECUTE FUNCTION "invoice_replaced_guard"()',
    # Revenue per client and year (migration 4): a voided invoice no longer counts.
    f"""CREATE OR REPLACE FUNCTION "invoice_revenue_change"() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status {_COUNTED} AND OLD.issue_date IS NOT NULL THEN
    UPDATE "client_revenue" SET "base_cents" = "base_cents" - OLD.base_cents
     WHERE "client_id" = OLD.client_id AND "year" = EXTRACT(YEAR FROM OLD.issue_date)::int;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status {_COUNTED} AND NEW.issue_date IS NOT NULL THEN
    INSERT INTO "client_revenue" ("client_id", "year", "base_cents")
    VALUES (NEW.client_id, EXTRACT(YEAR FROM NEW.issue_date)::int, NEW.base_cents)
    ON CONFLICT ("client_id", "year")
    DO UPDATE SET "base_cents" = "client_revenue"."base_cents" + EXCLUDED."base_cents";
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql""",
)

# The analytics index (migration 6) covers the invoices that count: issued and not voided.
# Its WHERE is written exactly as `services.analytics.ISSUED` so the planners match them,
# and it holds `status` too: SQLite reads a partial index as covering only when every
# column the query names is in it, the WHERE's included.
ANALYTICS_INDEX = (
    'DROP INDEX "invoice_issued_by_date"',
    'CREATE INDEX "invoice_counted_by_date" ON "invoice" '
    '("issue_date", "client_id", "base_cents", "cost_cents", "total_cents", "status") '
    f'WHERE "status" {_COUNTED}',
)


def up(db, dialect: str) -> None:
    for statement in (*(SQLITE if dialect == "sqlite" else POSTGRESQL), *ANALYTICS_INDEX):
        db.execute_sql(statement)
