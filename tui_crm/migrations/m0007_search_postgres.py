"""Client search on PostgreSQL: the same folded documents as SQLite's FTS5 index.

Until now PostgreSQL searched the folded sort name, the lower-cased legal name, the
tax ID and the email, so "jose pena" did not find the client whose contact is José
Peña, nor "munoz" a legal name written "MUÑOZ". Here each client gets the document
`services.search.client_search_doc` builds (names, tax ID, emails, phones in both
forms, contact people; a frozen copy in `search_documents`), kept in sync by the same
service calls as on SQLite, and a substring search runs over it. With the pg_trgm
extension (when the role may create it) a trigram GIN index answers that search;
without it, a scan of the documents.
SQLite: nothing to do (m0002 made its FTS5 table).
"""

NAME = "client search documents on PostgreSQL"


def up(db, dialect: str) -> None:
    import peewee

    if dialect == "sqlite":
        return
    db.execute_sql('CREATE TABLE "client_search" ("rowid" BIGINT PRIMARY KEY, "doc" TEXT NOT NULL)')
    try:
        with db.atomic():  # a savepoint: a refused extension must not end the migration
            db.execute_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            db.execute_sql(
                'CREATE INDEX "client_search_doc_trgm" ON "client_search" '
                'USING gin ("doc" gin_trgm_ops)'
            )
    except peewee.DatabaseError:
        pass  # the role may not create extensions, or pg_trgm is not installed: a scan then
    from .search_documents import rebuild

    rebuild(db)
