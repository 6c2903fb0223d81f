"""Client search documents as migrations 2 and 7 build them: a frozen copy.

A migration never imports live services, which change under it after it has run on
every database; this is the document `services.search.client_search_doc` built when
migration 7 was written (names, tax ID, emails, phones in both forms, contact people,
folded). Should the live document change, a new migration rebuilds the index with it.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import filterfalse

BATCH = 5000
_NOT_DIGIT = re.compile(r"\D")


def _fold(text: str) -> str:
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(filterfalse(unicodedata.combining, decomposed)).casefold()


def _document(row: tuple, contacts: list[tuple]) -> str:
    legal_name, trade_name, tax_id, email, *phones = row
    parts = [legal_name, trade_name, tax_id, email]
    for phone in phones:
        if phone:
            parts += [phone, _NOT_DIGIT.sub("", phone)]
    for first, last, contact_email, contact_phone in contacts:
        parts += [f"{first} {last}", contact_email]
        if contact_phone:
            parts.append(_NOT_DIGIT.sub("", contact_phone))
    return _fold(" | ".join(p for p in parts if p))


def rebuild(db) -> None:
    """Write every live client's document into `client_search`, through `db` (the database
    the migration runs on)."""
    contacts: dict[int, list[tuple]] = {}
    for cid, *contact in db.execute_sql(
        "SELECT client_id, first_name, last_name, email, COALESCE(NULLIF(mobile, ''), phone) "
        "FROM contact"
    ):
        contacts.setdefault(cid, []).append(tuple(contact))
    insert = f"INSERT INTO client_search (rowid, doc) VALUES ({db.param}, {db.param})"
    batch: list[tuple[int, str]] = []
    for cid, *row in db.execute_sql(
        "SELECT id, legal_name, trade_name, tax_id, email, phone, mobile, fax FROM client "
        "WHERE status <> 'merged'"
    ):
        batch.append((cid, _document(tuple(row), contacts.get(cid, []))))
        if len(batch) >= BATCH:
            db.cursor().executemany(insert, batch)
            batch.clear()
    if batch:
        db.cursor().executemany(insert, batch)
