# ruff: noqa: E501
"""A failed email from the client file or a meeting's invitation can be sent again as it
was composed (issue 17).

- `email_message.more_to` and `email_message.cc`: the further recipients (To) and the
  copies (Cc), as JSON lists of [address, name, contact id or null]; empty for the
  emails written before (they had one recipient).
- `email_attachment`: the files an email carries when they are not printed again from a
  record (files read from disk, the client's documents, an invitation's .ics), kept as
  they were when the email was composed, so a retry sends the same bytes. Rows go with
  their email (CASCADE) and are dropped once the email is sent.
"""

NAME = "email recipients, copies and attachments kept to retry"

_SQLITE = """
ALTER TABLE "email_message" ADD COLUMN "more_to" TEXT NOT NULL DEFAULT '';
ALTER TABLE "email_message" ADD COLUMN "cc" TEXT NOT NULL DEFAULT '';
CREATE TABLE "email_attachment" ("id" INTEGER NOT NULL PRIMARY KEY, "activity_id" INTEGER NOT NULL, "position" INTEGER NOT NULL, "filename" VARCHAR(255) NOT NULL, "mime" VARCHAR(100) NOT NULL, "data" BLOB NOT NULL, FOREIGN KEY ("activity_id") REFERENCES "email_message" ("activity_id") ON DELETE CASCADE);
CREATE INDEX "email_attachment_activity_id" ON "email_attachment" ("activity_id", "position");
"""

_POSTGRESQL = _SQLITE.replace(
    '"id" INTEGER NOT NULL PRIMARY KEY', '"id" SERIAL NOT NULL PRIMARY KEY'
).replace('"data" BLOB', '"data" BYTEA')


def statements(dialect: str) -> list[str]:
    text = _SQLITE if dialect == "sqlite" else _POSTGRESQL
    return [s.strip() for s in text.split(";\n") if s.strip().rstrip(";")]


def up(db, dialect: str) -> None:
    for statement in statements(dialect):
        db.execute_sql(statement.rstrip(";"))
