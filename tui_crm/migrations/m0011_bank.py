# ruff: noqa: E501
"""Money in from the bank: SEPA mandates and remittances, Norma 43 statements and their lines.

- `sepa_mandate`: a client's direct-debit mandate (unique reference, date of signature,
  IBAN, CORE or B2B, the sequence type its next collection goes out with);
- `remittance` and `remittance_item`: a pain.008 file sent to the bank, and one
  collection per invoice in it (unique end-to-end id; its payment once the bank
  confirms it, or "returned");
- `bank_statement` and `bank_movement`: each imported Norma 43 file, and each bank
  line ONCE, by a stable identity (UNIQUE), so a statement imported twice or two
  overlapping statements never bring a line, nor pay an invoice, twice;
- `invoice.debit_returned_on`: the day a direct debit of the invoice came back;
- `invoice_open_amount`: the open invoices by outstanding amount (matching a bank line
  by its amount over a million invoices). The payments report reads migration 9's
  `payment_date`.
"""

NAME = "bank: SEPA mandates and remittances, Norma 43 statements"

_SQLITE = """
CREATE TABLE "sepa_mandate" ("id" INTEGER NOT NULL PRIMARY KEY, "version" INTEGER NOT NULL, "created_at" DATETIME NOT NULL, "updated_at" DATETIME NOT NULL, "updated_by" VARCHAR(64) NOT NULL, "client_id" INTEGER NOT NULL, "reference" VARCHAR(35) NOT NULL, "signed_on" DATE NOT NULL, "iban" VARCHAR(34) NOT NULL, "bic" VARCHAR(11) NOT NULL, "scheme" VARCHAR(4) NOT NULL, "sequence" VARCHAR(4) NOT NULL, "active" INTEGER NOT NULL, "last_collected_on" DATE, FOREIGN KEY ("client_id") REFERENCES "client" ("id") ON DELETE CASCADE);
CREATE UNIQUE INDEX "sepa_mandate_reference" ON "sepa_mandate" ("reference");
CREATE INDEX "sepa_mandate_client_id" ON "sepa_mandate" ("client_id", "active");
CREATE TABLE "remittance" ("id" INTEGER NOT NULL PRIMARY KEY, "created_at" DATETIME NOT NULL, "created_by" VARCHAR(64) NOT NULL, "message_id" VARCHAR(35) NOT NULL, "scheme" VARCHAR(4) NOT NULL, "due_by" DATE NOT NULL, "collection_date" DATE NOT NULL, "count" INTEGER NOT NULL, "total_cents" INTEGER NOT NULL, "file_name" VARCHAR(255) NOT NULL, "status" VARCHAR(10) NOT NULL);
CREATE UNIQUE INDEX "remittance_message_id" ON "remittance" ("message_id");
CREATE INDEX "remittance_status" ON "remittance" ("status", "collection_date");
CREATE TABLE "remittance_item" ("id" INTEGER NOT NULL PRIMARY KEY, "remittance_id" INTEGER NOT NULL, "invoice_id" INTEGER NOT NULL, "mandate_id" INTEGER NOT NULL, "client_id" INTEGER NOT NULL, "amount_cents" INTEGER NOT NULL, "end_to_end_id" VARCHAR(35) NOT NULL, "sequence" VARCHAR(4) NOT NULL, "status" VARCHAR(10) NOT NULL, "payment_id" INTEGER, FOREIGN KEY ("remittance_id") REFERENCES "remittance" ("id") ON DELETE CASCADE, FOREIGN KEY ("invoice_id") REFERENCES "invoice" ("id") ON DELETE RESTRICT, FOREIGN KEY ("mandate_id") REFERENCES "sepa_mandate" ("id") ON DELETE RESTRICT, FOREIGN KEY ("client_id") REFERENCES "client" ("id") ON DELETE RESTRICT, FOREIGN KEY ("payment_id") REFERENCES "payment" ("id") ON DELETE SET NULL);
CREATE UNIQUE INDEX "remittance_item_end_to_end_id" ON "remittance_item" ("end_to_end_id");
CREATE INDEX "remittance_item_remittance_id" ON "remittance_item" ("remittance_id");
CREATE INDEX "remittance_item_invoice_id" ON "remittance_item" ("invoice_id", "status");
CREATE INDEX "remittance_item_payment_id" ON "remittance_item" ("payment_id");
CREATE TABLE "bank_statement" ("id" INTEGER NOT NULL PRIMARY KEY, "imported_at" DATETIME NOT NULL, "imported_by" VARCHAR(64) NOT NULL, "file_name" VARCHAR(255) NOT NULL, "sha256" VARCHAR(64) NOT NULL, "accounts" VARCHAR(200) NOT NULL, "first_date" DATE, "last_date" DATE, "lines" INTEGER NOT NULL, "new_lines" INTEGER NOT NULL);
CREATE TABLE "bank_movement" ("id" INTEGER NOT NULL PRIMARY KEY, "statement_id" INTEGER NOT NULL, "identity" VARCHAR(64) NOT NULL, "account" VARCHAR(34) NOT NULL, "operation_date" DATE NOT NULL, "value_date" DATE NOT NULL, "amount_cents" INTEGER NOT NULL, "shared_item" INTEGER NOT NULL, "own_item" INTEGER NOT NULL, "document_number" VARCHAR(10) NOT NULL, "reference1" VARCHAR(12) NOT NULL, "reference2" VARCHAR(16) NOT NULL, "concept" TEXT NOT NULL, "payer" VARCHAR(120) NOT NULL, "end_to_end" VARCHAR(35) NOT NULL, "mandate_reference" VARCHAR(35) NOT NULL, "kind" VARCHAR(8) NOT NULL, "status" VARCHAR(10) NOT NULL, "confidence" VARCHAR(10) NOT NULL, "proposal" TEXT NOT NULL, "note" TEXT NOT NULL, "payment_id" INTEGER, "remittance_id" INTEGER, "resolved_at" DATETIME, "resolved_by" VARCHAR(64) NOT NULL, FOREIGN KEY ("statement_id") REFERENCES "bank_statement" ("id") ON DELETE RESTRICT, FOREIGN KEY ("payment_id") REFERENCES "payment" ("id") ON DELETE SET NULL, FOREIGN KEY ("remittance_id") REFERENCES "remittance" ("id") ON DELETE SET NULL);
CREATE UNIQUE INDEX "bank_movement_identity" ON "bank_movement" ("identity");
CREATE INDEX "bank_movement_status" ON "bank_movement" ("status", "operation_date", "id");
CREATE INDEX "bank_movement_statement_id" ON "bank_movement" ("statement_id");
ALTER TABLE "invoice" ADD COLUMN "debit_returned_on" DATE;
CREATE INDEX "invoice_open_amount" ON "invoice" ("outstanding_cents") WHERE "outstanding_cents" <> 0 AND "status" IN ('issued', 'partially_paid');
"""

_POSTGRESQL = (
    _SQLITE.replace('"id" INTEGER NOT NULL PRIMARY KEY', '"id" SERIAL NOT NULL PRIMARY KEY')
    .replace("DATETIME", "TIMESTAMP")
    .replace('_cents" INTEGER', '_cents" BIGINT')
    .replace('"active" INTEGER', '"active" BOOLEAN')
)


def statements(dialect: str) -> list[str]:
    text = _SQLITE if dialect == "sqlite" else _POSTGRESQL
    return [s.strip() for s in text.split(";\n") if s.strip().rstrip(";")]


def up(db, dialect: str) -> None:
    for statement in statements(dialect):
        db.execute_sql(statement.rstrip(";"))
