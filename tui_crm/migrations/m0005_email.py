"""Email: what an email on the timeline was sent to and about, so a failed one can be retried.

`email_message` extends an `activity` of kind email (one row per email entry):
the recipient, what it is about (an invoice, a quote, or the invoices a payment
reminder lists, with its level), the template and language it was written from,
and how many attempts were made with the last server's reason. The activity
keeps the subject and body and its `email_status` (draft, sent, failed).
"""

NAME = "email messages: recipient, purpose and attempts of timeline emails"

_COMMON = (
    '"purpose" VARCHAR(12) NOT NULL, "invoice_id" INTEGER, "quote_id" INTEGER, '
    '"reminder_level" INTEGER, "reminder_invoices" TEXT NOT NULL DEFAULT \'\', '
    '"to_addr" VARCHAR(254) NOT NULL, "to_name" VARCHAR(200) NOT NULL DEFAULT \'\', '
    "\"template\" VARCHAR(60) NOT NULL DEFAULT '', \"language\" VARCHAR(5) NOT NULL DEFAULT '', "
    '"attempts" INTEGER NOT NULL DEFAULT 0, "error" TEXT NOT NULL DEFAULT \'\', '
    'FOREIGN KEY ("activity_id") REFERENCES "activity" ("id") ON DELETE CASCADE, '
    'FOREIGN KEY ("invoice_id") REFERENCES "invoice" ("id") ON DELETE SET NULL, '
    'FOREIGN KEY ("quote_id") REFERENCES "quote" ("id") ON DELETE SET NULL)'
)
_INDEXES = (
    'CREATE INDEX "email_message_invoice_id" ON "email_message" ("invoice_id")',
    'CREATE INDEX "email_message_quote_id" ON "email_message" ("quote_id")',
    # Unsent emails (drafts and failures) are few and looked up by client: a partial index.
    'CREATE INDEX "activity_email_unsent" ON "activity" ("client_id") '
    "WHERE email_status IN ('draft', 'failed')",
)

SQLITE = (
    'CREATE TABLE "email_message" ("activity_id" INTEGER NOT NULL PRIMARY KEY, '
    '"last_attempt_at" DATETIME, ' + _COMMON,
    *_INDEXES,
)
POSTGRESQL = (
    'CREATE TABLE "email_message" ("activity_id" INTEGER NOT NULL PRIMARY KEY, '
    '"last_attempt_at" TIMESTAMP, ' + _COMMON,
    *_INDEXES,
)


def up(db, dialect: str) -> None:
    for statement in SQLITE if dialect == "sqlite" else POSTGRESQL:
        db.execute_sql(statement)
