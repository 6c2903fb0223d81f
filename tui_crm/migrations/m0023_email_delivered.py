"""Email: the recipients a failed attempt reached, so that sending it again leaves them out.

When the server refuses an email's main recipient it may still take the copies (further
recipients, Cc, the sender's own Bcc): those people have the email, although the entry
is marked failed. `email_message.delivered` lists them (JSON, the addresses as sent);
a retry of the entry sends only to the others.
"""

NAME = "email: recipients reached by a failed attempt"

STATEMENTS = ('ALTER TABLE "email_message" ADD COLUMN "delivered" TEXT NOT NULL DEFAULT \'\'',)


def up(db, dialect: str) -> None:
    for statement in STATEMENTS:  # the same statement in SQLite and PostgreSQL
        db.execute_sql(statement)
