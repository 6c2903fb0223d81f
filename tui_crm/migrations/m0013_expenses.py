# ruff: noqa: E501
"""Expenses: costs that are not lines of a sale (issue 17).

- `expense`: one supplier's bill or ticket: its date, the supplier's name and tax ID
  (checked by the service when given), a description, base, IVA and total in cents;
  optionally the client and the project it was spent for, and the document that
  proves it (a row of `document`, stored as every document is). A client or project
  that goes leaves the expense in the books, without them (SET NULL); so does a
  removed document.
- indexes for the P&L per client and month, the project's cost, and the list by date.
Lines already carry `unit_cost_cents` (migration 3) and quotes, orders and invoices
already carry `project_id`; this migration adds no column to them.
"""

NAME = "expenses"

_SQLITE = """
CREATE TABLE "expense" ("id" INTEGER NOT NULL PRIMARY KEY, "version" INTEGER NOT NULL, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, "updated_by" VARCHAR(64) NOT NULL, "expense_date" DATE NOT NULL, "supplier_name" VARCHAR(200) NOT NULL, "supplier_tax_id" VARCHAR(20) NOT NULL, "description" TEXT NOT NULL, "base_cents" INTEGER NOT NULL, "vat_cents" INTEGER NOT NULL, "total_cents" INTEGER NOT NULL, "client_id" INTEGER, "project_id" INTEGER, "document_id" INTEGER, FOREIGN KEY ("client_id") REFERENCES "client" ("id") ON DELETE SET NULL, FOREIGN KEY ("project_id") REFERENCES "project" ("id") ON DELETE SET NULL, FOREIGN KEY ("document_id") REFERENCES "document" ("id") ON DELETE SET NULL);
CREATE INDEX "expense_date" ON "expense" ("expense_date", "id");
CREATE INDEX "expense_client_id" ON "expense" ("client_id", "expense_date");
CREATE INDEX "expense_project_id" ON "expense" ("project_id");
CREATE INDEX "expense_document_id" ON "expense" ("document_id");
"""

_POSTGRESQL = (
    _SQLITE.replace('"id" INTEGER NOT NULL PRIMARY KEY', '"id" SERIAL NOT NULL PRIMARY KEY')
    .replace("DATETIME", "TIMESTAMP")
    .replace('_cents" INTEGER', '_cents" BIGINT')
)


def statements(dialect: str) -> list[str]:
    text = _SQLITE if dialect == "sqlite" else _POSTGRESQL
    return [s.strip() for s in text.split(";\n") if s.strip().rstrip(";")]


def up(db, dialect: str) -> None:
    for statement in statements(dialect):
        db.execute_sql(statement.rstrip(";"))
