"""Client search: one folded document per client, in an FTS5 trigram index on SQLite
and in a table with a pg_trgm index (when the role could create it) on PostgreSQL.

Substring, case- and accent-insensitive: the document and the query are both
folded ("Muñoz" -> "munoz"). Queries of three characters or more search the
documents; shorter ones match the start of the sort name or the tax ID (an index
range).
"""

from __future__ import annotations

from collections.abc import Iterable

from ..db import execute, execute_many, is_sqlite
from ..text import digits, fold

MIN_TRIGRAM = 3


def client_search_doc(
    legal_name: str,
    trade_name: str,
    tax_id: str,
    email: str,
    phones: Iterable[str],
    contacts: Iterable[tuple[str, str, str, str]] = (),
) -> str:
    """The searchable text of a client: names, tax ID, emails, phones, contact people."""
    parts = [legal_name, trade_name, tax_id, email]
    for phone in phones:
        if phone:
            parts.append(phone)
            parts.append(digits(phone))
    for first, last, contact_email, contact_phone in contacts:
        parts.append(f"{first} {last}")
        parts.append(contact_email)
        if contact_phone:
            parts.append(digits(contact_phone))
    return fold(" | ".join(p for p in parts if p))


def _doc_for(client_id: int) -> str | None:
    row = execute(
        "SELECT legal_name, trade_name, tax_id, email, phone, mobile, fax, status "
        "FROM client WHERE id = ?",
        (client_id,),
    ).fetchone()
    if row is None or row[7] == "merged":
        return None
    contacts = execute(
        "SELECT first_name, last_name, email, COALESCE(NULLIF(mobile, ''), phone) "
        "FROM contact WHERE client_id = ?",
        (client_id,),
    ).fetchall()
    return client_search_doc(row[0], row[1], row[2], row[3], row[4:7], contacts)


def reindex_client(client_id: int) -> None:
    """Bring one client's search document up to date (call inside the writing transaction)."""
    execute("DELETE FROM client_search WHERE rowid = ?", (client_id,))
    doc = _doc_for(client_id)
    if doc is not None:
        execute("INSERT INTO client_search (rowid, doc) VALUES (?, ?)", (client_id, doc))


def reindex_clients(client_ids: Iterable[int]) -> None:
    """`reindex_client` for many clients at once (an import): a few statements per
    500 clients instead of four per client. Call inside the writing transaction."""
    ids = sorted(set(client_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" for _id in chunk)
        execute(f"DELETE FROM client_search WHERE rowid IN ({marks})", chunk)
        contacts: dict[int, list[tuple[str, str, str, str]]] = {}
        for cid, first, last, email, phone in execute(
            "SELECT client_id, first_name, last_name, email, COALESCE(NULLIF(mobile, ''), phone) "
            f"FROM contact WHERE client_id IN ({marks})",
            chunk,
        ):
            contacts.setdefault(cid, []).append((first, last, email, phone))
        docs = [
            (r[0], client_search_doc(r[1], r[2], r[3], r[4], r[5:8], contacts.get(r[0], ())))
            for r in execute(
                "SELECT id, legal_name, trade_name, tax_id, email, phone, mobile, fax FROM client "
                f"WHERE status <> 'merged' AND id IN ({marks})",
                chunk,
            )
        ]
        if docs:
            execute_many("INSERT INTO client_search (rowid, doc) VALUES (?, ?)", docs)


def index_new_clients(documents: Iterable[tuple[int, str]]) -> None:
    """Index clients just inserted, from (id, `client_search_doc` of the values written):
    an import builds the documents while it reads, not by reading the rows back.
    Call inside the writing transaction."""
    execute_many("INSERT INTO client_search (rowid, doc) VALUES (?, ?)", documents)


def rebuild_search_index() -> int:
    """Recompute every document from the tables (after a bulk load or a migration)."""
    execute("DELETE FROM client_search")
    contacts: dict[int, list[tuple[str, str, str, str]]] = {}
    for cid, first, last, email, phone in execute(
        "SELECT client_id, first_name, last_name, email, COALESCE(NULLIF(mobile, ''), phone) "
        "FROM contact"
    ):
        contacts.setdefault(cid, []).append((first, last, email, phone))
    cursor = execute(
        "SELECT id, legal_name, trade_name, tax_id, email, phone, mobile, fax FROM client "
        "WHERE status <> 'merged'"
    )
    rows = (
        (r[0], client_search_doc(r[1], r[2], r[3], r[4], r[5:8], contacts.get(r[0], ())))
        for r in cursor
    )
    count = 0
    batch: list[tuple[int, str]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= 5000:
            execute_many("INSERT INTO client_search (rowid, doc) VALUES (?, ?)", batch)
            count += len(batch)
            batch.clear()
    if batch:
        execute_many("INSERT INTO client_search (rowid, doc) VALUES (?, ?)", batch)
        count += len(batch)
    return count


def fts_phrase(text: str) -> str:
    """A folded FTS5 phrase literal for `text` (double quotes doubled)."""
    return '"' + fold(text).replace('"', '""') + '"'


def search_join() -> str:
    """The FROM of a query driven from the search index (`joins_search`), the clients
    as `c`. Each client has one document, so each match comes once, as with
    `c.id IN (...)`. On SQLite the join skips building the list of matches first (a
    third of a keystroke's time at 100,000 clients). On PostgreSQL the lateral
    subquery (OFFSET 0 keeps the planner from flattening it) makes the trigram index
    drive: left to itself the planner sorted every client by the name rank and then
    looked each one's document up (half a second for "mun")."""
    if is_sqlite():
        return "client_search s CROSS JOIN client c ON c.id = s.rowid"
    return (
        "client_search s CROSS JOIN LATERAL "
        "(SELECT * FROM client WHERE client.id = s.rowid OFFSET 0) AS c"
    )


def joins_search(text: str) -> bool:
    """True when a query for `text` is best driven from the search index itself
    (`search_join()` as its FROM, `search_condition(text, joined=True)` in its WHERE):
    a substring search, three characters or more."""
    return len(fold(text.strip())) >= MIN_TRIGRAM


def prefix_ranges(text: str) -> tuple[str, str, str, str]:
    """The index ranges a short search matches (`MIN_TRIGRAM` characters or fewer):
    sort names from the folded text up to the next prefix, and tax IDs likewise,
    as (name_from, name_before, tax_from, tax_before)."""
    folded = fold(text.strip())
    upper = folded[:-1] + chr(ord(folded[-1]) + 1)
    tax = folded.upper()
    tax_upper = tax[:-1] + chr(ord(tax[-1]) + 1)
    return folded, upper, tax, tax_upper


def _like_pattern(folded: str) -> str:
    """A LIKE pattern for the folded text anywhere (the % and _ typed are literal)."""
    escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def document_condition(text: str) -> tuple[str, list[object]]:
    """SQL condition on `client` (alias c): its document contains `text` (three characters
    or more), checked by the client's key, not by listing every match: for a query that
    reads a few clients from another index (names starting with the text)."""
    folded = fold(text.strip())
    if is_sqlite():
        # The document read by its rowid and searched as a string: the same test as the
        # trigram phrase (both sides are folded, and a trigram phrase is a substring),
        # without running a full-text query per client (10 ms for 48 names of "lopez").
        return (
            "instr((SELECT doc FROM client_search WHERE client_search.rowid = c.id), ?) > 0",
            [folded],
        )
    return (
        "EXISTS (SELECT 1 FROM client_search s WHERE s.rowid = c.id AND s.doc LIKE ? ESCAPE '\\')",
        [_like_pattern(folded)],
    )


def search_condition(text: str, *, joined: bool = False) -> tuple[str, list[object]]:
    """SQL condition on `client` (alias c) matching `text`, with its parameters; with
    `joined`, on `search_join()` when `joins_search(text)`."""
    folded = fold(text.strip())
    if not folded:
        return "1", []
    if is_sqlite() and len(folded) >= MIN_TRIGRAM:
        if joined:
            return "s.client_search MATCH ?", [fts_phrase(folded)]
        return (
            "c.id IN (SELECT rowid FROM client_search WHERE client_search MATCH ?)",
            [fts_phrase(folded)],
        )
    if len(folded) < MIN_TRIGRAM:
        # Two index ranges (name prefix, tax ID prefix) instead of a LIKE that scans every
        # client: 'm' over 100,000 clients in milliseconds, not a fifth of a second.
        return (
            "c.id IN (SELECT id FROM client WHERE sort_name >= ? AND sort_name < ? "
            "UNION ALL SELECT id FROM client WHERE tax_id_compact >= ? AND tax_id_compact < ?)",
            list(prefix_ranges(folded)),
        )
    # PostgreSQL: a substring of the same documents (the % and _ typed are literal).
    if joined:
        return "s.doc LIKE ? ESCAPE '\\'", [_like_pattern(folded)]
    return (
        "c.id IN (SELECT rowid FROM client_search WHERE doc LIKE ? ESCAPE '\\')",
        [_like_pattern(folded)],
    )
