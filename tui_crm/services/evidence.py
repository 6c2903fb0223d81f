"""Tamper evidence: the audit log's hash chain and the fingerprints of issued invoices.

Rules enforced here:
- every audit entry is appended through `append_audit`, which links it to the previous
  entry (`tui_crm.hashchain`) while holding the writer's turn (SQLite's IMMEDIATE
  transaction; on PostgreSQL a row lock on `audit_chain_head`), so two writers never
  fork the chain; the head row remembers the last entry, so removing entries from the
  end shows too;
- every issued invoice is fingerprinted once, in the transaction that issues (or
  imports) it: SHA-256 of its frozen fiscal columns and its lines (`seal_invoice`);
  the database refuses to change the fingerprint afterwards;
- `findings()` walks both and names every audit entry changed, removed or slipped in,
  and every issued invoice whose data no longer matches what was issued (the guard
  triggers themselves are `services.protections`'s, which `check` compares and `init`
  puts back).

On a shared SQLite file this is evidence, not a lock: a colleague with the sqlite3 shell
and this source code could rewrite the whole chain. PostgreSQL's privileges are the lock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .. import hashchain
from ..db import execute, is_sqlite, transactional
from ..i18n import _, ngettext

AUDIT_COLUMNS = (
    "at",
    "user",
    "real_user",
    "action",
    "entity",
    "entity_id",
    "client_id",
    "changes",
    "summary",
)
# The fiscal content of an issued invoice: what migration 3 froze (see m0012's copy).
FISCAL_COLUMNS = (
    "kind",
    "series",
    "year",
    "number",
    "code",
    "issue_date",
    "operation_date",
    "due_date",
    "base_cents",
    "vat_cents",
    "recargo_cents",
    "irpf_rate_bp",
    "irpf_cents",
    "total_cents",
    "exemption_reason",
    "rectifies_id",
    "client_name",
    "client_tax_id",
    "client_address",
    "issuer_name",
    "issuer_tax_id",
    "issuer_address",
)
LINE_COLUMNS = (
    "description",
    "quantity_milli",
    "unit_price_cents",
    "discount_bp",
    "vat_rate_bp",
    "recargo_rate_bp",
    "base_cents",
)
# Triggers that keep issued invoices and the audit log as written (SQLite names).
READ_BATCH = 2000


def _at(value: Any) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


def audit_content(values: dict[str, Any]) -> dict[str, Any]:
    """The canonical content of an audit entry (what its hash covers)."""
    content = {name: values[name] for name in AUDIT_COLUMNS}
    content["at"] = _at(values["at"])
    content["real_user"] = content["real_user"] or ""
    return content


# --- writing ---------------------------------------------------------------------


def append_audit(values: dict[str, Any]) -> None:
    """Insert one audit entry (keys: AUDIT_COLUMNS) chained to the last one.

    Joins the caller's transaction, or makes its own: the read of the head, the insert
    and the head's update are one unit under the writer's lock."""
    from ..db import database

    if database.in_transaction():
        _append(values)
    else:
        transactional(_append)(values)


def _append(values: dict[str, Any]) -> None:
    lock = "" if is_sqlite() else " FOR UPDATE"
    head = execute(f'SELECT "last_id", "last_hash" FROM "audit_chain_head" WHERE "id" = 1{lock}')
    row = head.fetchone()
    previous = row[1] if row else hashchain.GENESIS
    content = audit_content(values)
    digest = hashchain.link(previous, content)
    names = ", ".join(f'"{c}"' for c in (*AUDIT_COLUMNS, "prev_hash", "hash"))
    marks = ", ".join("?" for _c in range(len(AUDIT_COLUMNS) + 2))
    sql = f'INSERT INTO "audit_log" ({names}) VALUES ({marks})'
    params = [values[c] for c in AUDIT_COLUMNS] + [previous, digest]
    at = _at(values["at"])
    params[0] = at.isoformat(sep=" ") if is_sqlite() else at  # as Peewee stores it
    if is_sqlite():
        cursor = execute(sql, params)
        new_id = cursor.lastrowid
    else:
        new_id = execute(sql + ' RETURNING "id"', params).fetchone()[0]
    if row is None:
        execute(
            'INSERT INTO "audit_chain_head" ("id", "last_id", "last_hash") VALUES (1, ?, ?)',
            (new_id, digest),
        )
    else:
        execute(
            'UPDATE "audit_chain_head" SET "last_id" = ?, "last_hash" = ? WHERE "id" = 1',
            (new_id, digest),
        )


def fiscal_json_sql() -> str:
    """SQL giving, for the invoice aliased `i`, its fiscal content as the database's own
    JSON text: an array of its FISCAL_COLUMNS values, then an array of its lines'
    LINE_COLUMNS values in print order. The database writes the text (a million
    invoices in seconds); Python only hashes it. Each dialect writes JSON its own way, so
    a fingerprint is only ever compared within one database (migration 12 keeps a
    frozen copy of this)."""
    columns = ", ".join(f'i."{c}"' for c in FISCAL_COLUMNS)
    line_columns = ", ".join(f'l."{c}"' for c in LINE_COLUMNS)
    if is_sqlite():
        lines = (
            f"(SELECT json_group_array(json(x)) FROM (SELECT json_array({line_columns}) AS x "
            'FROM "invoice_line" l WHERE l."invoice_id" = i."id" ORDER BY l."position", l."id"))'
        )
        return f"json_array({columns}, json({lines}))"
    lines = (
        f"(SELECT coalesce(json_agg(json_build_array({line_columns}) "
        'ORDER BY l."position", l."id"), \'[]\'::json) '
        'FROM "invoice_line" l WHERE l."invoice_id" = i."id")'
    )
    return f"json_build_array({columns}, {lines})::text"


def fingerprint(fiscal_json: str) -> str:
    """SHA-256 (hex) of an invoice's fiscal content as `fiscal_json_sql` writes it."""
    return hashlib.sha256(fiscal_json.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class _Fiscal:
    id: int
    code: str | None
    stored: str  # the fingerprint written at issue time
    computed: str  # the fingerprint of what the invoice says now


def _fiscal_batches(where: str, params: Sequence[Any]) -> Iterator[list[_Fiscal]]:
    """Issued invoices matching `where`, READ_BATCH at a time in id order, each with its
    stored and recomputed fingerprint."""
    content = fiscal_json_sql()
    after = -1
    while True:
        rows = execute(
            f'SELECT i."id", i."fiscal_hash", i."code", {content} FROM "invoice" i '
            f'WHERE i."status" <> \'draft\' AND i."id" > ? AND {where} '
            'ORDER BY i."id" LIMIT ?',
            (after, *params, READ_BATCH),
        ).fetchall()
        if not rows:
            return
        yield [_Fiscal(row[0], row[2], row[1], fingerprint(row[3])) for row in rows]
        after = rows[-1][0]


def _dicts(cursor) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def seal_invoices(invoice_ids: list[int]) -> None:
    """Fingerprint issued invoices, inside the transaction that issued them (write-once:
    the database refuses to change a fingerprint once written)."""
    from ..db import execute_many

    for start in range(0, len(invoice_ids), READ_BATCH):
        batch = sorted(invoice_ids[start : start + READ_BATCH])
        marks = ", ".join("?" for _i in batch)
        for found in _fiscal_batches(f'i."id" IN ({marks})', batch):
            updates = [(f.computed, f.id) for f in found if not f.stored]
            if updates:
                execute_many(
                    'UPDATE "invoice" SET "fiscal_hash" = ? WHERE "id" = ? '
                    "AND \"status\" <> 'draft' AND \"fiscal_hash\" = ''",
                    updates,
                )


def seal_invoice(invoice_id: int) -> None:
    seal_invoices([invoice_id])


def seal_unsealed() -> int:
    """Fingerprint every issued invoice that has none yet (a bulk load: demo data); returns
    how many. Runs in the caller's transaction."""
    from ..db import execute_many

    sealed = 0
    for found in _fiscal_batches("i.\"fiscal_hash\" = ''", ()):
        execute_many(
            'UPDATE "invoice" SET "fiscal_hash" = ? WHERE "id" = ?',
            [(f.computed, f.id) for f in found],
        )
        sealed += len(found)
    return sealed


def bulk_seal_statement(connection) -> str:
    """One UPDATE that fingerprints every issued invoice without a fingerprint, for a bulk
    load on SQLite (demo data): the hash is a function registered on `connection`, so the
    statement can run on another thread while Python works (SQLite releases the GIL)."""
    connection.create_function("tui_crm_sha256", 1, _sha256_text, deterministic=True)
    return (
        f'UPDATE "invoice" AS i SET "fiscal_hash" = tui_crm_sha256({fiscal_json_sql()}) '
        "WHERE i.\"status\" <> 'draft' AND i.\"fiscal_hash\" = ''"
    )


def _sha256_text(text: str | None) -> str:
    return fingerprint(text or "")


# --- checking --------------------------------------------------------------------


def audit_breaks() -> list[str]:
    """One sentence per break of the audit chain (empty: every entry is as it was written).

    The walk is VERI*FACTU's generic chain check (`verifactu.chain.verify_chain`), fed
    the entries in id order with their position in the chain."""
    from ..verifactu.chain import Link, verify_chain

    messages: list[str] = []
    keys: list[int] = []  # entry ids by position, to name the entry before a break
    hashes: list[str] = []

    def links() -> Iterator[Link[int]]:
        after = -1
        columns = ", ".join(f'"{c}"' for c in ("id", "prev_hash", "hash", *AUDIT_COLUMNS))
        while True:
            rows = _dicts(
                execute(
                    f'SELECT {columns} FROM "audit_log" WHERE "id" > ? ORDER BY "id" LIMIT ?',
                    (after, 5000),
                )
            )
            if not rows:
                return
            for row in rows:
                keys.append(int(row["id"]))
                hashes.append(row["hash"])
                computed = hashchain.link(row["prev_hash"], audit_content(row))
                yield Link(int(row["id"]), len(keys), row["hash"], row["prev_hash"], computed)
            after = rows[-1]["id"]

    for found in verify_chain(links()):
        if found.kind == "hash" and not hashes[found.position - 1]:
            messages.append(
                _("audit entry #{id} was written behind the application's back").format(
                    id=found.key
                )
            )
        elif found.kind == "hash":
            messages.append(
                _("audit entry #{id} was changed after it was written").format(id=found.key)
            )
        elif found.kind == "first":
            messages.append(
                _("audit entries before #{id} were removed (the log's start is gone)").format(
                    id=found.key
                )
            )
        elif found.position >= 2 and not hashes[found.position - 2]:
            continue  # follows an entry slipped in without a hash: named already
        else:
            messages.append(
                _("audit entries between #{after} and #{id} were removed or replaced").format(
                    after=keys[found.position - 2], id=found.key
                )
            )
    last = [(keys[-1], hashes[-1])] if keys else []
    head = execute('SELECT "last_id", "last_hash" FROM "audit_chain_head" WHERE "id" = 1')
    row = head.fetchone()
    if row is not None:
        last_id, last_hash = int(row[0]), row[1]
        seen_id, seen_hash = last[0] if last else (0, hashchain.GENESIS)
        if seen_id < last_id:
            messages.append(
                _("audit entries after #{id} were removed (the log ended at #{last})").format(
                    id=seen_id, last=last_id
                )
            )
        elif seen_id == last_id and seen_hash != last_hash:
            messages.append(
                _("audit entry #{id} was replaced after it was written").format(id=last_id)
            )
        elif seen_id > last_id:
            messages.append(
                _("audit entries after #{id} were added behind the application's back").format(
                    id=last_id
                )
            )
    elif last:
        messages.append(_("the audit log's chain head is missing"))
    return messages


def invoice_mismatches() -> list[str]:
    """One sentence per issued invoice whose fiscal data no longer matches what was issued."""
    messages: list[str] = []
    for found in _fiscal_batches("1 = 1", ()):
        for f in found:
            if f.stored == f.computed:
                continue
            label = f.code or _("invoice {id}").format(id=f.id)
            if not f.stored:
                messages.append(
                    _("issued invoice {code} carries no fingerprint of what was issued").format(
                        code=label
                    )
                )
            else:
                messages.append(
                    _("issued invoice {code} no longer matches what was issued").format(code=label)
                )
    return messages


def role_mismatches() -> list[str]:
    """Users whose role or active flag differs from what the audit log says they were given
    (a role written behind the application's back). SQLite only: on PostgreSQL the
    server's group roles are the roles."""
    import json

    if not is_sqlite():
        return []
    logins = {int(r[0]): r[1] for r in execute('SELECT "id", "login" FROM "user"')}
    roles: dict[str, str] = {}
    actives: dict[str, bool] = {}
    for entity, entity_id, text in execute(
        'SELECT "entity", "entity_id", "changes" FROM "audit_log" '
        "WHERE \"entity\" IN ('user', 'demo') ORDER BY \"id\""
    ):
        try:
            changes = json.loads(text or "{}")
        except ValueError:
            continue
        if entity == "demo":
            made = changes.get("users", [None, {}])[1] or {}
            roles.update({str(k): str(v) for k, v in made.items()})
            actives.update({str(k): True for k in made})
            continue
        name = logins.get(int(entity_id)) if str(entity_id).isdigit() else None
        if name is None:
            continue
        if "role" in changes:
            roles[name] = changes["role"][1]
        if "active" in changes:
            actives[name] = bool(changes["active"][1])
        elif "login" in changes:
            actives.setdefault(name, True)
    messages = []
    for name, role, active in execute('SELECT "login", "role", "active" FROM "user" ORDER BY 1'):
        if name not in roles:
            if role == "admin":
                messages.append(
                    _("user {login} is admin, and the audit log never made them so").format(
                        login=name
                    )
                )
            continue
        if roles[name] != role:
            messages.append(
                _("user {login} is {role}, but the audit log last made them {logged}").format(
                    login=name, role=role, logged=roles[name]
                )
            )
        if name in actives and actives[name] != bool(active):
            messages.append(
                _(
                    "user {login}'s account was re-activated or deactivated behind the "
                    "application's back"
                ).format(login=name)
            )
    return messages


def findings() -> list[tuple[str, str]]:
    """`tui-crm check`'s findings on tamper evidence: (level, message), level "ok" or
    "error"."""
    result: list[tuple[str, str]] = []
    breaks = audit_breaks()
    result.extend(("error", message) for message in breaks)
    result.extend(("error", message) for message in role_mismatches())
    if not breaks:
        count = int(execute('SELECT COUNT(*) FROM "audit_log"').fetchone()[0])
        result.append(
            (
                "ok",
                ngettext(
                    "audit log: {n} entry, its chain intact",
                    "audit log: {n} entries, their chain intact",
                    count,
                ).format(n=count),
            )
        )
    mismatches = invoice_mismatches()
    result.extend(("error", message) for message in mismatches)
    if not mismatches:
        count = int(
            execute('SELECT COUNT(*) FROM "invoice" WHERE "status" <> \'draft\'').fetchone()[0]
        )
        result.append(
            (
                "ok",
                ngettext(
                    "{n} issued invoice matches what was issued",
                    "{n} issued invoices match what was issued",
                    count,
                ).format(n=count),
            )
        )
    return result
