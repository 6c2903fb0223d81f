"""Full-text search over clients: FTS5 with the trigram tokenizer (SQLite only).

One document per client (rowid = client id) holding the folded legal and trade
names, tax ID, emails, phones and contact names, so a substring search is
case- and accent-insensitive ("munoz" finds "Muñoz"). The services keep it in
sync on every write; on PostgreSQL the search uses ILIKE instead.
"""

NAME = "client search index"


def up(db, dialect: str) -> None:
    if dialect != "sqlite":
        return
    db.execute_sql("CREATE VIRTUAL TABLE client_search USING fts5(doc, tokenize = 'trigram')")
    from .search_documents import rebuild

    rebuild(db)
