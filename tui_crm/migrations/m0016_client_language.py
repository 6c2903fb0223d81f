"""The language a client's documents speak: `client.language`.

Empty (every existing client) means "by the client's country": Spanish for the
Spanish-speaking countries, else the business's default; "es" or "en" overrides it.
"""

NAME = "client language for documents"

_SQL = """ALTER TABLE "client" ADD COLUMN "language" VARCHAR(5) NOT NULL DEFAULT ''"""


def up(db, dialect: str) -> None:
    db.execute_sql(_SQL)  # the same statement in SQLite and PostgreSQL
