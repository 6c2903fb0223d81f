"""The language a client's documents speak, and the client list's order by legal name.

- `client.language`: empty (every existing client) means "by the client's country":
  Spanish for the Spanish-speaking countries, else the business's default; "es" or "en"
  overrides it.
- `client.sort_name` becomes the folded legal name (it was the trade name when there was
  one): the list shows the legal name, so "by name" sorts by what is shown. Only the
  clients with a trade name change; the fold is a frozen copy of `text.fold`.
"""

import unicodedata
from itertools import filterfalse

NAME = "client language for documents; sort by legal name"

_SQL = """ALTER TABLE "client" ADD COLUMN "language" VARCHAR(5) NOT NULL DEFAULT ''"""
_BATCH = 5000


def _fold(text: str) -> str:
    """Lower case without accents (text.fold as of this migration)."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(filterfalse(unicodedata.combining, decomposed)).casefold()


def up(db, dialect: str) -> None:
    db.execute_sql(_SQL)  # the same statement in SQLite and PostgreSQL
    mark = "?" if dialect == "sqlite" else "%s"
    rows = db.execute_sql(
        """SELECT "id", "legal_name", "sort_name" FROM "client" WHERE "trade_name" <> ''"""
    ).fetchall()
    changes = [
        (_fold(legal)[:200], client_id)
        for client_id, legal, sort_name in rows
        if _fold(legal)[:200] != sort_name
    ]
    cursor = db.cursor()
    for start in range(0, len(changes), _BATCH):
        cursor.executemany(
            f'UPDATE "client" SET "sort_name" = {mark} WHERE "id" = {mark}',
            changes[start : start + _BATCH],
        )
