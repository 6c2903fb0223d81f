"""Tamper evidence: a hash-chained audit log, a fingerprint of every issued invoice, and who
really acted when an admin acts as someone else.

- `audit_log` gains `real_user` (the login of the person at the keyboard; `user` is whom
  they acted as, the same unless an admin used `--user`), `prev_hash` and `hash`: each
  entry's hash is SHA-256 over the previous entry's hash and the entry's canonical
  content, so an entry edited or removed later breaks the chain. Existing entries are
  chained here, in id order. `audit_chain_head` keeps the last entry's id and hash, so
  entries removed from the end show too.
- `invoice.fiscal_hash` fingerprints what was issued (the frozen fiscal columns and the
  lines); every invoice already issued is fingerprinted here as it stands today.
- The audit log can be neither updated nor deleted (triggers, both dialects), and the
  issued-invoice guards now also cover `fiscal_hash`, which may be written once (from
  empty) and never changed after.

The canonical forms below are frozen copies (a migration never imports live services):
`tui_crm.hashchain` and `services/evidence.py` must keep computing exactly the same. An
invoice's fingerprint is the SHA-256 of its fiscal content as the database itself writes
it in JSON (fast: the database builds the text, Python only hashes it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

NAME = "tamper evidence: chained audit log, fingerprints of issued invoices"

AUDIT_COLUMNS = (
    "at",
    "user",
    "real_user",
    "action",
    "entity",
    "entity_id",
    "client_id",
    "changes",
    "summary",
)

# The columns migration 3 froze on an issued invoice, and its lines (frozen copies).
FROZEN = (
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
LINE_FROZEN = (
    "description",
    "quantity_milli",
    "unit_price_cents",
    "discount_bp",
    "vat_rate_bp",
    "recargo_rate_bp",
    "base_cents",
)


def _plain(value):
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _canonical(content: dict) -> bytes:
    return json.dumps(
        {k: _plain(v) for k, v in content.items()},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode("utf-8")


def _link(previous: str, content: dict) -> str:
    return hashlib.sha256(previous.encode("ascii") + b"\n" + _canonical(content)).hexdigest()


def _at(value) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


def _date(value):
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def audit_content(row: dict) -> dict:
    content = {name: row[name] for name in AUDIT_COLUMNS}
    content["at"] = _at(row["at"])
    return content


def fiscal_json_sql(dialect: str) -> str:
    """services/evidence.py `fiscal_json_sql`, frozen: the fiscal content of invoice `i`
    as the database's own JSON text (its fingerprint is the SHA-256 of that text)."""
    columns = ", ".join(f'i."{c}"' for c in FROZEN)
    line_columns = ", ".join(f'l."{c}"' for c in LINE_FROZEN)
    if dialect == "sqlite":
        lines = (
            f"(SELECT json_group_array(json(x)) FROM (SELECT json_array({line_columns}) AS x "
            'FROM "invoice_line" l WHERE l."invoice_id" = i."id" ORDER BY l."position", l."id"))'
        )
        return f"json_array({columns}, json({lines}))"
    lines = (
        f"(SELECT coalesce(json_agg(json_build_array({line_columns}) "
        'ORDER BY l."position", l."id"), \'[]\'::json) '
        'FROM "invoice_line" l WHERE l."invoice_id" = i."id")'
    )
    return f"json_build_array({columns}, {lines})::text"


_GUARD_COLUMNS = (*FROZEN, "fiscal_hash")
# fiscal_hash is written once, from empty, when the invoice is fingerprinted.
_changed = " OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in FROZEN)
_SQLITE_GUARD = (
    f"WHEN OLD.status <> 'draft' AND (NEW.status = 'draft' OR {_changed} "
    "OR (NEW.fiscal_hash IS NOT OLD.fiscal_hash AND OLD.fiscal_hash <> '')) "
)

SQLITE = (
    'ALTER TABLE "audit_log" ADD COLUMN "real_user" VARCHAR(64) NOT NULL DEFAULT \'\'',
    'ALTER TABLE "audit_log" ADD COLUMN "prev_hash" VARCHAR(64) NOT NULL DEFAULT \'\'',
    'ALTER TABLE "audit_log" ADD COLUMN "hash" VARCHAR(64) NOT NULL DEFAULT \'\'',
    'CREATE TABLE "audit_chain_head" ("id" INTEGER NOT NULL PRIMARY KEY CHECK ("id" = 1), '
    '"last_id" INTEGER NOT NULL, "last_hash" VARCHAR(64) NOT NULL)',
    'ALTER TABLE "invoice" ADD COLUMN "fiscal_hash" VARCHAR(64) NOT NULL DEFAULT \'\'',
)
SQLITE_AFTER = (
    'DROP TRIGGER "invoice_issued_update"',
    'CREATE TRIGGER "invoice_issued_update" BEFORE UPDATE ON "invoice" '
    + _SQLITE_GUARD
    + "BEGIN SELECT RAISE(ABORT, 'issued invoices are immutable'); END",
    'CREATE TRIGGER "audit_log_no_update" BEFORE UPDATE ON "audit_log" '
    "BEGIN SELECT RAISE(ABORT, 'the audit log cannot be changed'); END",
    'CREATE TRIGGER "audit_log_no_delete" BEFORE DELETE ON "audit_log" '
    "BEGIN SELECT RAISE(ABORT, 'the audit log cannot be changed'); END",
)


def _row(prefix: str, columns: tuple[str, ...]) -> str:
    return "ROW(" + ", ".join(f'{prefix}."{c}"' for c in columns) + ")"


POSTGRESQL = (
    'ALTER TABLE "audit_log" ADD COLUMN "real_user" VARCHAR(64) NOT NULL DEFAULT \'\'',
    'ALTER TABLE "audit_log" ADD COLUMN "prev_hash" VARCHAR(64) NOT NULL DEFAULT \'\'',
    'ALTER TABLE "audit_log" ADD COLUMN "hash" VARCHAR(64) NOT NULL DEFAULT \'\'',
    'CREATE TABLE "audit_chain_head" ("id" INTEGER NOT NULL PRIMARY KEY CHECK ("id" = 1), '
    '"last_id" INTEGER NOT NULL, "last_hash" VARCHAR(64) NOT NULL)',
    'ALTER TABLE "invoice" ADD COLUMN "fiscal_hash" VARCHAR(64) NOT NULL DEFAULT \'\'',
)
POSTGRESQL_AFTER = (
    f"""CREATE OR REPLACE FUNCTION "invoice_issued_guard"() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'draft' THEN
      RAISE EXCEPTION 'issued invoices cannot be deleted';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.status <> 'draft' AND (NEW.status = 'draft'
      OR {_row("NEW", FROZEN)} IS DISTINCT FROM {_row("OLD", FROZEN)}
      OR (NEW.fiscal_hash IS DISTINCT FROM OLD.fiscal_hash AND OLD.fiscal_hash <> '')) THEN
    RAISE EXCEPTION 'issued invoices are immutable';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql""",
    """CREATE FUNCTION "audit_log_guard"() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'the audit log cannot be changed';
END $$ LANGUAGE plpgsql""",
    'CREATE TRIGGER "audit_log_guard" BEFORE UPDATE OR DELETE ON "audit_log" '
    'FOR EACH ROW EXECUTE FUNCTION "audit_log_guard"()',
    # TRUNCATE skips row triggers: refuse it too.
    'CREATE TRIGGER "audit_log_no_truncate" BEFORE TRUNCATE ON "audit_log" '
    'FOR EACH STATEMENT EXECUTE FUNCTION "audit_log_guard"()',
)


def _dicts(cursor) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _chain_audit(db, param: str) -> None:
    previous, last_id = "", None
    batch = 5000
    after = -1
    while True:
        rows = _dicts(
            db.execute_sql(
                'SELECT "id", ' + ", ".join(f'"{c}"' for c in AUDIT_COLUMNS) + " "
                f'FROM "audit_log" WHERE "id" > {param} ORDER BY "id" LIMIT {batch}',
                (after,),
            )
        )
        if not rows:
            break
        updates = []
        for row in rows:
            row["real_user"] = row["real_user"] or ""
            digest = _link(previous, audit_content(row))
            updates.append((previous, digest, row["id"]))
            previous, last_id = digest, row["id"]
        db.cursor().executemany(
            f'UPDATE "audit_log" SET "prev_hash" = {param}, "hash" = {param} WHERE "id" = {param}',
            updates,
        )
        after = rows[-1]["id"]
    if last_id is not None:
        db.execute_sql(
            f'INSERT INTO "audit_chain_head" ("id", "last_id", "last_hash") VALUES (1, {param}, '
            f"{param})",
            (last_id, previous),
        )


def _fingerprint_issued(db, param: str, dialect: str) -> None:
    content = fiscal_json_sql(dialect)
    after = -1
    while True:
        rows = db.execute_sql(
            f'SELECT i."id", {content} FROM "invoice" i WHERE i."status" <> \'draft\' '
            f'AND i."id" > {param} ORDER BY i."id" LIMIT 2000',
            (after,),
        ).fetchall()
        if not rows:
            break
        db.cursor().executemany(
            f'UPDATE "invoice" SET "fiscal_hash" = {param} WHERE "id" = {param}',
            [(hashlib.sha256(text.encode("utf-8")).hexdigest(), row_id) for row_id, text in rows],
        )
        after = rows[-1][0]


def up(db, dialect: str) -> None:
    sqlite = dialect == "sqlite"
    param = "?" if sqlite else "%s"
    for statement in SQLITE if sqlite else POSTGRESQL:
        db.execute_sql(statement)
    _chain_audit(db, param)
    _fingerprint_issued(db, param, dialect)
    for statement in SQLITE_AFTER if sqlite else POSTGRESQL_AFTER:
        db.execute_sql(statement)
