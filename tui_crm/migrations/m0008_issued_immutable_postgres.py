"""Issued invoices immutable below the services on PostgreSQL too.

Migration 3 gave SQLite triggers that refuse to change the fiscal columns of an
issued invoice, to turn it back into a draft, to delete it, and to change or delete
its lines (payment columns may change). This gives PostgreSQL the same guards as
trigger functions, with the same columns and messages: a script, another program
or a future bug cannot alter what was issued, whatever the database.
"""

# The columns SQLite guards (migration 3, frozen like every migration): the same here.
from .m0003_invoicing import _FROZEN, _LINE_FROZEN

NAME = "issued invoices immutable on PostgreSQL"


def _row(prefix: str, columns: tuple[str, ...]) -> str:
    return "ROW(" + ", ".join(f'{prefix}."{c}"' for c in columns) + ")"


POSTGRESQL = (
    f"""CREATE FUNCTION "invoice_issued_guard"() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'draft' THEN
      RAISE EXCEPTION 'issued invoices cannot be deleted';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.status <> 'draft' AND (NEW.status = 'draft'
      OR {_row("NEW", _FROZEN)} IS DISTINCT FROM {_row("OLD", _FROZEN)}) THEN
    RAISE EXCEPTION 'issued invoices are immutable';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql""",
    'CREATE TRIGGER "invoice_issued_guard" BEFORE UPDATE OR DELETE ON "invoice" '
    'FOR EACH ROW EXECUTE FUNCTION "invoice_issued_guard"()',
    f"""CREATE FUNCTION "invoice_line_issued_guard"() RETURNS trigger AS $$
BEGIN
  IF (SELECT status FROM "invoice" WHERE id = OLD.invoice_id) <> 'draft' THEN
    IF TG_OP = 'DELETE' THEN
      RAISE EXCEPTION 'lines of an issued invoice are immutable';
    END IF;
    IF {_row("NEW", _LINE_FROZEN)} IS DISTINCT FROM {_row("OLD", _LINE_FROZEN)} THEN
      RAISE EXCEPTION 'lines of an issued invoice are immutable';
    END IF;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql""",
    'CREATE TRIGGER "invoice_line_issued_guard" BEFORE UPDATE OR DELETE ON "invoice_line" '
    'FOR EACH ROW EXECUTE FUNCTION "invoice_line_issued_guard"()',
)


def up(db, dialect: str) -> None:
    if dialect == "sqlite":
        return  # migration 3 made its triggers
    for statement in POSTGRESQL:
        db.execute_sql(statement)
