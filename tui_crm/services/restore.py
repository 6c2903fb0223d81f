"""Restoring a backup: all or nothing, and never taking back an issued invoice.

The rules, in the order a restore applies them:

1. Only an admin restores (`data.restore`), before anything is read or written.
2. The backup must prove it is a complete tui-crm database (`inspect_backup`): SQLite,
   our application id (or, for files older than migration 9, a `schema_version`), a
   schema version this release knows, every table and column of that version,
   `integrity_check` and `foreign_key_check` clean. It cannot be the database itself.
3. Nobody else may have the database open: the restore takes the open lock
   exclusively (`db.exclusive_open_lock`), waiting up to `wait_s` seconds, else it is
   refused saying so and how to retry. Processes that start meanwhile wait for it, and
   read the restored data when it is done.
4. Legal records the backup lacks are listed before anything changes (`plan_restore`)
   and carried over into the restored data, never dropped: see LEGAL_TABLES (issued
   invoices, then VERI*FACTU records in chain order). A record whose key the backup uses
   for a different record is a conflict: refused; so is a backup whose VERI*FACTU chain
   of an issuer is not the beginning of the live one (restoring it would fork a chain
   AEAT holds). For the records both copies have, what AEAT answered since the backup
   comes from the live copy, as does the voiding of an invoice the backup has issued.
5. The current data is copied to a safety copy first, under a name never used before
   (`crm.before-restore-<time>-<random>.sqlite3`); every message after that names it.
6. The new content is built aside, in a temporary file beside the database: the backup,
   brought to this release's schema, plus the carried records, plus the restore's own
   audit entry; checked again (integrity, foreign keys, every legal record present).
7. Only then it replaces the live content, in ONE SQLite transaction (the online backup
   API in a single step): killed at any moment, the database is the old one or the new
   one, whole, and the new one always has its audit entry.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import peewee

from ..db import (
    APPLICATION_ID,
    SQLITE_MAGIC,
    attach_name,
    close_database,
    database,
    db_path,
    describe_fault,
    exclusive_open_lock,
    execute,
    missing_tables,
    read_header,
    reading_connection,
)
from ..i18n import _, ngettext
from ..migrations import expected_tables, latest_version
from .errors import RuleViolation, ServiceError
from .output_files import output_file, scratch_file

# --- what must survive a restore ----------------------------------------------------------


@dataclass(frozen=True)
class LegalTable:
    """A table whose rows are legal records: no restore takes one back.

    `key` names a record across copies of the database (unique); `legal` is the SQL
    condition of the rows that are legal records (`{t}` stands for the table's alias);
    `identity` are the columns that must agree when both copies have the same key (else
    it is a conflict, refused); `label` the columns shown when listing one. `match` are
    the (indexed, unique) columns that find the same record in the other copy (default:
    `key`); `order` the order records are listed and carried in. `children` are (table,
    column) rows copied with each record (its lines); `soft_links` (column, table,
    cleared-with) are integer links without a foreign key. `check(conn)` refuses, before
    anything changes, a backup that cannot be restored without losing one (`main` is the
    backup, `live` the database); `before(carry)` runs before the table's records are
    copied, `finish(carry)` once after (payments, counters, figures, AEAT's answers)."""

    table: str
    key: str
    legal: str
    label: tuple[str, ...]
    identity: tuple[str, ...]
    match: tuple[str, ...] = ()
    order: str = "l.id"
    children: tuple[tuple[str, str], ...] = ()
    soft_links: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    check: Callable[[sqlite3.Connection], None] | None = None
    before: Callable[[Carry], None] | None = None
    finish: Callable[[Carry], None] | None = None
    replaces_draft: bool = False  # a draft of the same row (id, created_at) gives way to it

    @property
    def matching(self) -> tuple[str, ...]:
        return self.match or (self.key,)

    def same(self, a: str, b: str) -> str:
        """SQL: row `a` of one copy is row `b` of the other."""
        return " AND ".join(f'{a}."{c}" = {b}."{c}"' for c in self.matching)


# Rows copied when a carried record needs them and the backup lacks them (matched first
# by id and creation time, then by tax ID); any other missing reference becomes NULL.
CARRIED_IF_MISSING = ("client",)


def _finish_invoices(carry: Carry) -> None:
    _carry_payments(carry)
    _carry_replaced(carry)
    _raise_counters(carry)
    _refresh_client_figures(carry)


INVOICES = LegalTable(
    table="invoice",
    key="code",
    legal="{t}.status <> 'draft' AND {t}.code IS NOT NULL",
    label=("code", "issue_date", "client_name", "total_cents"),
    identity=(
        "kind",
        "series",
        "year",
        "number",
        "issue_date",
        "client_tax_id",
        "base_cents",
        "vat_cents",
        "total_cents",
    ),
    children=(("invoice_line", "invoice_id"), ("document", "invoice_id")),
    soft_links=(("recurring_id", "recurring_invoice", ("recurring_date",)),),
    finish=_finish_invoices,
    replaces_draft=True,
)


def _check_chains(conn: sqlite3.Connection) -> None:
    """Each issuer's VERI*FACTU chain in the backup must be the beginning of the live one:
    the same records (by hash) at the same places, none beyond the live chain's end. A
    backup whose chain went another way would make two records hold one place in a chain
    AEAT receives: refused, naming the issuer and the place."""
    if not _has_table(conn, "main", "verifactu_record"):
        return  # a backup from before VERI*FACTU: every live record is carried
    diverging = conn.execute(
        "SELECT b.issuer_nif, b.sequence, b.invoice_number FROM main.verifactu_record b "
        "LEFT JOIN live.verifactu_record l "
        "ON l.issuer_nif = b.issuer_nif AND l.sequence = b.sequence "
        "WHERE l.hash IS NOT b.hash ORDER BY b.issuer_nif, b.sequence LIMIT 1"
    ).fetchone()
    if diverging is not None:
        nif, sequence, number = diverging
        _refuse(
            _(
                "the backup's VERI*FACTU chain of {nif} is not the beginning of the live one "
                "(its record {n}, {number}, is not the live record {n}): restoring it would "
                "fork a chain of records AEAT receives; nothing was changed"
            ).format(nif=nif, n=sequence, number=number)
        )


def _finish_records(carry: Carry) -> None:
    _answers_since_the_backup(carry)
    _raise_chain_heads(carry)
    _voids_since_the_backup(carry)
    _verifactu_settings(carry)


VERIFACTU_RECORDS = LegalTable(
    table="verifactu_record",
    key="hash",
    legal="1 = 1",  # every record: sent, or to be sent, to AEAT
    label=("invoice_number", "record_type", "issuer_nif", "sequence", "status"),
    identity=("hash", "invoice_number", "record_type", "previous_hash"),
    match=("issuer_nif", "sequence"),
    order="l.issuer_nif, l.sequence",  # generation order: each follows its chain
    check=_check_chains,
    before=lambda carry: _carry_submissions(carry),
    finish=_finish_records,
)

# Everything a restore must never take back, in the order it is carried: the issued
# invoices, then the VERI*FACTU records (hash-chained per issuer; each points at its
# invoice, so the invoices come first).
LEGAL_TABLES: tuple[LegalTable, ...] = (INVOICES, VERIFACTU_RECORDS)


# --- the outcome ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LegalRecord:
    table: str
    key: str
    label: tuple[Any, ...]
    live_id: int = field(default=0, compare=False)  # its row in the live database

    def describe(self) -> str:
        from ..money import from_cents

        if self.table == VERIFACTU_RECORDS.table and len(self.label) == 5:
            number, record_type, nif, sequence, status = self.label
            from .verifactu import STATUS_LABELS

            kind = _("registro de alta") if record_type == "alta" else _("registro de anulación")
            return _("VERI*FACTU {kind} of {number} (record {n} of {nif}, {status})").format(
                kind=kind,
                number=number,
                n=sequence,
                nif=nif,
                status=_(STATUS_LABELS.get(str(status), str(status))),
            )
        parts = [str(v) if v is not None else "" for v in self.label]
        if self.table == "invoice" and len(self.label) == 4:
            parts[3] = str(from_cents(int(self.label[3] or 0)))
        return "  ".join(parts)

    @property
    def name(self) -> str:
        """How the audit entry names it: an invoice's number, a record's chain place."""
        if self.table == VERIFACTU_RECORDS.table and len(self.label) == 5:
            return f"VERI*FACTU {self.label[2]} #{self.label[3]} {self.label[1]} {self.label[0]}"
        return self.key


@dataclass(frozen=True)
class RestorePlan:
    backup: Path
    version: int
    missing: tuple[LegalRecord, ...]  # legal records the backup lacks: they are carried over

    @property
    def keys(self) -> frozenset[tuple[str, str]]:
        return frozenset((r.table, r.key) for r in self.missing)

    def of(self, table: str) -> tuple[LegalRecord, ...]:
        """The missing records of one legal table (the command line lists them apart)."""
        return tuple(r for r in self.missing if r.table == table)


@dataclass(frozen=True)
class RestoreResult:
    safety: Path  # where the data the restore replaced is kept
    version: int  # the backup's schema version
    carried: tuple[LegalRecord, ...]


# --- proving the backup ---------------------------------------------------------------------


def _refuse(message: str) -> None:
    raise RuleViolation(message)


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.resolve() == b.resolve():
            return True
        sa, sb = a.stat(), b.stat()
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def inspect_backup(path: Path) -> int:
    """Prove `path` is a complete, sound tui-crm database; returns its schema version.

    Refused with one line naming the first problem: not a file, not SQLite, another
    application's, no schema version, a version newer than this release, a table or
    column of its version missing, integrity or foreign keys broken."""
    path = Path(path).expanduser()
    if not path.is_file():
        _refuse(_("{path} does not exist").format(path=path))
    if read_header(path, len(SQLITE_MAGIC)) != SQLITE_MAGIC:
        _refuse(_("{path} is not a tui-crm database (not SQLite)").format(path=path))
    try:
        conn = reading_connection(path)
    except sqlite3.DatabaseError as exc:
        _refuse(_("{path} cannot be read: {error}").format(path=path, error=exc))
    try:
        return _inspect(conn, path)
    except sqlite3.DatabaseError as exc:
        _refuse(_("{path} is damaged: {error}").format(path=path, error=exc))
        raise AssertionError("unreachable") from exc
    finally:
        conn.close()


def _inspect(conn: sqlite3.Connection, path: Path) -> int:
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    if app_id not in (0, APPLICATION_ID):
        _refuse(
            _(
                "{path} is the database of another application (SQLite application id "
                "{app_id:#010x}), not a tui-crm backup"
            ).format(path=path, app_id=app_id)
        )
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    version = 0
    if "schema_version" in tables:
        try:
            version = int(
                conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0
            )
        except (sqlite3.DatabaseError, ValueError, TypeError):
            version = 0
    if version == 0:
        _refuse(_("{path} is not a tui-crm database (no schema version)").format(path=path))
    if version > latest_version():
        _refuse(
            _("{path} is at schema version {v}, newer than this tui-crm ({latest})").format(
                path=path, v=version, latest=latest_version()
            )
        )
    lacking = missing_tables(tables, version)
    if lacking:
        _refuse(
            _(
                "{path} is not a complete tui-crm database: schema version {v} lacks {tables}"
            ).format(path=path, v=version, tables=", ".join(lacking))
        )
    for table, columns in sorted(expected_tables(version).items()):
        have = {r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')}
        absent = sorted(columns - have)
        if absent:
            _refuse(
                _(
                    "{path} is not a complete tui-crm database: table {table} lacks {columns}"
                ).format(path=path, table=table, columns=", ".join(absent))
            )
    problems = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        _refuse(
            _("{path} fails its integrity check: {details}").format(
                path=path, details="; ".join(str(p) for p in problems[:3])
            )
        )
    broken = conn.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        _refuse(
            ngettext(
                "{path} fails its foreign key check: {n} row points to a record that does "
                "not exist",
                "{path} fails its foreign key check: {n} rows point to records that do not exist",
                len(broken),
            ).format(path=path, n=len(broken))
        )
    return version


# --- comparing the backup with the live data ---------------------------------------------


def _attach(conn: sqlite3.Connection, path: Path, name: str) -> None:
    conn.execute(f"ATTACH DATABASE ? AS {name}", (attach_name(path),))


def _uri_connection(path: Path) -> sqlite3.Connection:
    """A reading connection (`db.reading_connection`'s rules) that can ATTACH by URI."""
    conn = sqlite3.connect(attach_name(path), uri=True, timeout=10)
    conn.execute("PRAGMA query_only = 1")
    return conn


def _has_table(conn: sqlite3.Connection, schema: str, table: str) -> bool:
    return (
        conn.execute(
            f"SELECT 1 FROM {schema}.sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        is not None
    )


def _lacking(conn: sqlite3.Connection, legal: LegalTable) -> list[LegalRecord]:
    """Legal records of `live` whose key `main` (the backup) does not have; conflicts refused.
    A backup from before the table existed lacks every one of them."""
    t, key = legal.table, legal.key
    label = ", ".join(f'l."{c}"' for c in legal.label)
    live_rows = f'SELECT l."{key}", l.id, {label} FROM live."{t}" l'
    if not _has_table(conn, "main", t):
        rows = conn.execute(
            f"{live_rows} WHERE ({_qualified(legal.legal, 'l')}) ORDER BY {legal.order}"
        ).fetchall()
        return [LegalRecord(t, str(r[0]), tuple(r[2:]), int(r[1])) for r in rows]
    if legal.check is not None:
        legal.check(conn)
    differs = " OR ".join(f'b."{c}" IS NOT l."{c}"' for c in legal.identity)
    conflict = conn.execute(
        f'SELECT l."{key}" FROM live."{t}" l JOIN main."{t}" b ON {legal.same("b", "l")} '
        f"WHERE ({_qualified(legal.legal, 'l')}) AND (NOT ({_qualified(legal.legal, 'b')}) "
        f"OR {differs}) LIMIT 1"
    ).fetchone()
    if conflict is not None:
        _refuse(
            _(
                "{key} is a different record in the backup than in the database (its date, "
                "client or amounts differ): restoring would give one number to two of them; "
                "nothing was changed"
            ).format(key=conflict[0])
        )
    rows = conn.execute(
        f"{live_rows} WHERE ({_qualified(legal.legal, 'l')}) "
        f'AND NOT EXISTS (SELECT 1 FROM main."{t}" b WHERE {legal.same("b", "l")}) '
        f"ORDER BY {legal.order}"
    ).fetchall()
    return [LegalRecord(t, str(r[0]), tuple(r[2:]), int(r[1])) for r in rows]


def _qualified(condition: str, alias: str) -> str:
    """A LegalTable condition on a table alias."""
    return condition.format(t=alias)


def _compare(backup: Path, live: Path) -> tuple[LegalRecord, ...]:
    conn = _uri_connection(backup)
    try:
        _attach(conn, live, "live")
        found: list[LegalRecord] = []
        for legal in LEGAL_TABLES:
            found.extend(_lacking(conn, legal))
        return tuple(found)
    finally:
        conn.close()


def _refuse_the_database_itself(backup: Path, live: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        if _same_file(backup, Path(f"{live}{suffix}")):
            _refuse(_("that is the database itself, not a backup"))


def plan_restore(backup: Path) -> RestorePlan:
    """What restoring `backup` would do, before anything changes: its schema version and the
    legal records (issued invoices, VERI*FACTU records) it lacks, which the restore carries
    over. Refused like the restore itself (permission, an unsound backup, a conflict, a
    VERI*FACTU chain that went another way)."""
    from .permissions import require

    require("data.restore")
    live = db_path()
    if live is None:
        _refuse(_("restore works on SQLite databases; use pg_restore for PostgreSQL"))
    backup = Path(backup).expanduser()
    _refuse_the_database_itself(backup, live)
    version = inspect_backup(backup)
    return RestorePlan(backup, version, _compare(backup, live))


# --- building the restored data aside -----------------------------------------------------


@dataclass
class Carry:
    """The state of one carry-over: staging is `main`, the live database `live`."""

    ids: dict[tuple[str, int], int] = field(default_factory=dict)  # (table, live id) -> new id
    carried: dict[str, list[int]] = field(default_factory=dict)  # table -> live ids carried
    clients: set[int] = field(default_factory=set)  # staging clients whose figures move
    _columns: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)
    _links: dict[str, dict[str, str]] = field(default_factory=dict)

    # schema
    def columns(self, table: str) -> list[tuple[str, bool]]:
        """(name, NOT NULL) of the staging table's columns."""
        if table not in self._columns:
            self._columns[table] = [
                (r[1], bool(r[3])) for r in execute(f'PRAGMA main.table_info("{table}")')
            ]
        return self._columns[table]

    def links(self, table: str) -> dict[str, str]:
        """column -> referenced table, from the staging table's foreign keys."""
        if table not in self._links:
            self._links[table] = {
                r[3]: r[2] for r in execute(f'PRAGMA main.foreign_key_list("{table}")')
            }
        return self._links[table]

    # rows
    def live_row(self, table: str, row_id: int) -> dict[str, Any] | None:
        cursor = execute(f'SELECT * FROM live."{table}" WHERE id = ?', (row_id,))
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cursor.description], row, strict=True))

    def staging_row(self, table: str, row_id: int) -> dict[str, Any] | None:
        cursor = execute(f'SELECT * FROM main."{table}" WHERE id = ?', (row_id,))
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cursor.description], row, strict=True))

    def same_row(self, table: str, live_id: int) -> int | None:
        """The staging id of the row the live `live_id` is (carried, or the same id and
        creation time, or for tables without one the same values), else None."""
        if (table, live_id) in self.ids:
            return self.ids[(table, live_id)]
        theirs = self.staging_row(table, live_id)
        ours = self.live_row(table, live_id)
        if theirs is None or ours is None:
            return None
        if "created_at" in ours:
            return live_id if str(theirs.get("created_at")) == str(ours["created_at"]) else None
        shared = [c for c in ours if c in theirs]
        return live_id if all(theirs[c] == ours[c] for c in shared) else None

    def legal_id(self, legal: LegalTable, live_id: int) -> int | None:
        row = execute(
            f'SELECT b.id FROM main."{legal.table}" b JOIN live."{legal.table}" l '
            f"ON {legal.same('l', 'b')} WHERE l.id = ?",
            (live_id,),
        ).fetchone()
        return int(row[0]) if row else None

    def link(self, table: str, column: str, target: str, value: Any, nullable: bool) -> Any:
        if value is None:
            return None
        legal = next((t for t in LEGAL_TABLES if t.table == target), None)
        if legal is not None:
            found = self.legal_id(legal, int(value))
        elif target in CARRIED_IF_MISSING:
            found = self.client(int(value)) if target == "client" else None
        else:
            found = self.same_row(target, int(value))
        if found is None and not nullable:
            _refuse(
                _("cannot carry a {table} over: its {column} {value} is not in the backup").format(
                    table=table, column=column, value=value
                )
            )
        return found

    def insert(self, table: str, row: dict[str, Any], overrides: dict[str, Any]) -> int:
        """Insert a live row into staging, every foreign key translated; keeps the id when free."""
        values: dict[str, Any] = {}
        links = self.links(table)
        for name, not_null in self.columns(table):
            if name in overrides:
                values[name] = overrides[name]
            elif name in links and name in row:
                values[name] = self.link(table, name, links[name], row[name], not not_null)
            elif name in row:
                values[name] = row[name]
        if "id" in values and (
            values["id"] is None
            or execute(f'SELECT 1 FROM main."{table}" WHERE id = ?', (values["id"],)).fetchone()
        ):
            del values["id"]
        names = ", ".join(f'"{n}"' for n in values)
        marks = ", ".join("?" for _v in values)
        cursor = execute(
            f'INSERT INTO main."{table}" ({names}) VALUES ({marks})', list(values.values())
        )
        return int(cursor.lastrowid)

    def client(self, live_id: int) -> int:
        """The staging client of a live client: the same one, the one with its tax ID, or a
        copy (its figures are recomputed from its invoices at the end)."""
        found = self.same_row("client", live_id)
        row = self.live_row("client", live_id)
        if found is None and row is not None and row.get("tax_id_compact"):
            match = execute(
                "SELECT id FROM main.client WHERE tax_id_compact = ? AND status <> 'merged' "
                "ORDER BY id LIMIT 1",
                (row["tax_id_compact"],),
            ).fetchone()
            found = int(match[0]) if match else None
        if found is None:
            if row is None:
                _refuse(_("client {id} of a carried invoice does not exist").format(id=live_id))
            assert row is not None
            found = self.insert(
                "client",
                row,
                {"revenue_total_cents": 0, "outstanding_cents": 0, "merged_into_id": None},
            )
            from .search import reindex_client

            reindex_client(found)
        self.ids[("client", live_id)] = found
        self.clients.add(found)
        return found

    def carry(self, legal: LegalTable, record: LegalRecord) -> None:
        live_id = record.live_id
        row = self.live_row(legal.table, live_id)
        assert row is not None
        overrides: dict[str, Any] = {}
        if legal.replaces_draft and self.same_row(legal.table, live_id) == live_id:
            theirs = self.staging_row(legal.table, live_id)
            if theirs is not None and theirs.get("status") == "draft":
                # The backup holds this invoice as the draft it was: the issued one takes
                # its place (its lines go with it), so it is not there twice.
                execute(f'DELETE FROM main."{legal.table}" WHERE id = ?', (live_id,))
                overrides["id"] = live_id
        for column, target, companions in legal.soft_links:
            value = row.get(column)
            if value is not None and self.same_row(target, int(value)) is None:
                overrides[column] = None
                overrides.update(dict.fromkeys(companions))
        new_id = self.insert(legal.table, row, overrides)
        self.ids[(legal.table, live_id)] = new_id
        self.carried.setdefault(legal.table, []).append(live_id)
        for child, column in legal.children:
            for (child_id,) in execute(
                f'SELECT id FROM live."{child}" WHERE "{column}" = ? ORDER BY id', (live_id,)
            ).fetchall():
                child_row = self.live_row(child, int(child_id))
                assert child_row is not None
                self.ids[(child, int(child_id))] = self.insert(child, child_row, {column: new_id})


def _status(paid: int, outstanding: int) -> str:
    if outstanding == 0:
        return "paid"
    return "partially_paid" if paid != 0 else "issued"


def _carry_payments(carry: Carry) -> None:
    """The payments (and compensations) that touch a carried invoice come along, with all
    their allocations; an allocation to an invoice the backup has moves its figures as the
    payment did (unless the payment was reversed)."""
    carried = carry.carried.get("invoice", [])
    if not carried:
        return
    marks = ", ".join("?" for _i in carried)
    payments = [
        int(r[0])
        for r in execute(
            "SELECT DISTINCT payment_id FROM live.payment_allocation "
            f"WHERE invoice_id IN ({marks}) ORDER BY payment_id",
            carried,
        )
    ]
    for payment_id in payments:
        if carry.same_row("payment", payment_id) is not None:
            continue
        row = carry.live_row("payment", payment_id)
        assert row is not None
        new_payment = carry.insert("payment", row, {})
        carry.ids[("payment", payment_id)] = new_payment
        reversed_ = row.get("reversed_at") is not None
        for allocation_id, invoice_id, cents in execute(
            "SELECT id, invoice_id, amount_cents FROM live.payment_allocation "
            "WHERE payment_id = ? ORDER BY id",
            (payment_id,),
        ).fetchall():
            allocation = carry.live_row("payment_allocation", int(allocation_id))
            assert allocation is not None
            carry.insert("payment_allocation", allocation, {"payment_id": new_payment})
            if ("invoice", int(invoice_id)) in carry.ids or reversed_:
                continue  # a carried invoice came with its live figures
            target = carry.legal_id(INVOICES, int(invoice_id))
            assert target is not None
            _apply(target, int(cents), str(row["date"]))
            client = execute("SELECT client_id FROM main.invoice WHERE id = ?", (target,))
            carry.clients.add(int(client.fetchone()[0]))


def _apply(invoice_id: int, cents: int, date: str) -> None:
    paid, outstanding, paid_date = execute(
        "SELECT paid_cents, outstanding_cents, paid_date FROM main.invoice WHERE id = ?",
        (invoice_id,),
    ).fetchone()
    paid, outstanding = int(paid) + cents, int(outstanding) - cents
    status = _status(paid, outstanding)
    if status != "paid":
        paid_date = None
    elif paid_date is None or str(paid_date) < date:
        paid_date = date
    execute(
        "UPDATE main.invoice SET paid_cents = ?, outstanding_cents = ?, status = ?, "
        "paid_date = ?, version = version + 1 WHERE id = ?",
        (paid, outstanding, status, paid_date, invoice_id),
    )


def _carry_replaced(carry: Carry) -> None:
    """The simplified invoices a carried F3 replaces (`invoice_replaced`) come with it. The
    link of an issued invoice is refused by migration 10's trigger (it never changes): it
    is set aside in the restored data while the links are copied, then made again."""
    carried = carry.carried.get("invoice", [])
    if not carried:
        return
    marks = ", ".join("?" for _i in carried)
    links = execute(
        f"SELECT invoice_id, replaced_id FROM live.invoice_replaced WHERE invoice_id IN ({marks}) "
        "ORDER BY invoice_id, replaced_id",
        carried,
    ).fetchall()
    if not links:
        return
    from .protections import protection

    guard = protection("sqlite", "invoice_replaced_insert")
    execute(f'DROP TRIGGER main."{guard.name}"')
    for invoice_id, replaced_id in links:
        replaced = carry.legal_id(INVOICES, int(replaced_id))
        if replaced is None:
            _refuse(_("cannot carry an invoice over: the invoice it replaces is not in the backup"))
        execute(
            "INSERT INTO main.invoice_replaced (invoice_id, replaced_id) VALUES (?, ?)",
            (carry.ids[("invoice", int(invoice_id))], replaced),
        )
    execute(guard.create)


def _raise_counters(carry: Carry) -> None:
    """Every series counter at least where the live one was: no number is handed out twice,
    and issue dates never go backwards."""
    del carry
    for series, year, last_number, last_issue_date in execute(
        "SELECT series, year, last_number, last_issue_date FROM live.series_counter"
    ).fetchall():
        execute(
            "INSERT INTO main.series_counter (series, year, last_number, last_issue_date) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (series, year) DO UPDATE SET "
            "last_number = MAX(last_number, excluded.last_number), "
            "last_issue_date = CASE WHEN last_issue_date IS NULL "
            "OR excluded.last_issue_date > last_issue_date "
            "THEN excluded.last_issue_date ELSE last_issue_date END",
            (series, year, last_number, last_issue_date),
        )


def _refresh_client_figures(carry: Carry) -> None:
    """The clients' revenue and outstanding figures recomputed from their invoices."""
    for client_id in sorted(carry.clients):
        execute(
            "UPDATE main.client SET "
            "revenue_total_cents = (SELECT COALESCE(SUM(base_cents), 0) FROM main.invoice "
            "WHERE client_id = ? AND status NOT IN ('draft', 'voided')), "
            "outstanding_cents = (SELECT COALESCE(SUM(outstanding_cents), 0) FROM main.invoice "
            "WHERE client_id = ? AND status NOT IN ('draft', 'voided')) WHERE id = ?",
            (client_id, client_id, client_id),
        )


# --- VERI*FACTU: the records, AEAT's answers, the chain heads -------------------------------

_SUBMISSION_COLUMNS = (
    "environment",
    "endpoint",
    "finished_at",
    "record_count",
    "outcome",
    "csv",
    "response",
    "error",
    "wait_seconds",
    "sent_by",
)
_TRANSMISSION = ("status", "error_code", "error", "csv", "sent_at", "attempts")


def _carry_submissions(carry: Carry) -> None:
    """Every message sent to AEAT that the live database knows, with AEAT's raw answer and
    CSV (AEAT cannot give a CSV again): one the backup has (the same id, issuer and start)
    takes the live state (answered since, say); one it lacks is copied. Mapped in
    `carry.ids` for the records that point at them."""
    table = "verifactu_submission"
    for (live_id,) in execute(f"SELECT id FROM live.{table} ORDER BY id").fetchall():
        row = carry.live_row(table, int(live_id))
        assert row is not None
        theirs = carry.staging_row(table, int(live_id))
        if theirs is not None and (theirs["issuer_nif"], str(theirs["started_at"])) == (
            row["issuer_nif"],
            str(row["started_at"]),
        ):
            assigned = ", ".join(f'"{c}" = ?' for c in _SUBMISSION_COLUMNS)
            execute(
                f"UPDATE main.{table} SET {assigned} WHERE id = ?",
                [*(row[c] for c in _SUBMISSION_COLUMNS), int(live_id)],
            )
            carry.ids[(table, int(live_id))] = int(live_id)
        else:
            carry.ids[(table, int(live_id))] = carry.insert(table, row, {})


def _answers_since_the_backup(carry: Carry) -> None:
    """For the records both copies have, the transmission state is the live one: AEAT may
    have answered since the backup (status, its code and words, the CSV, the submission)."""
    execute("DROP TABLE IF EXISTS temp.restore_submission")
    execute("CREATE TEMP TABLE restore_submission (live_id INTEGER PRIMARY KEY, new_id INTEGER)")
    for (table, live_id), new_id in carry.ids.items():
        if table == "verifactu_submission":
            execute("INSERT INTO temp.restore_submission VALUES (?, ?)", (live_id, new_id))
    differs = " OR ".join(f'b."{c}" IS NOT l."{c}"' for c in (*_TRANSMISSION, "submission_id"))
    assigned = ", ".join(f'"{c}" = l."{c}"' for c in _TRANSMISSION)
    execute(
        f"UPDATE main.verifactu_record AS b SET {assigned}, "
        '"submission_id" = (SELECT m.new_id FROM temp.restore_submission m '
        "WHERE m.live_id = l.submission_id) "
        "FROM live.verifactu_record AS l "
        "WHERE l.issuer_nif = b.issuer_nif AND l.sequence = b.sequence "
        f"AND ({differs})"
    )
    execute("DROP TABLE temp.restore_submission")


def _raise_chain_heads(carry: Carry) -> None:
    """Each issuer's chain head where the live one is (its last record, number and hash;
    the backup's chain is the beginning of it), and AEAT's wait the later of both."""
    del carry
    for nif, sequence, last_hash, generated, next_send, updated in execute(
        "SELECT issuer_nif, last_sequence, last_hash, last_generated_at, next_send_at, "
        "updated_at FROM live.verifactu_chain"
    ).fetchall():
        execute(
            "INSERT INTO main.verifactu_chain (issuer_nif, last_sequence, last_hash, "
            "last_generated_at, next_send_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (issuer_nif) DO UPDATE SET "
            "last_hash = CASE WHEN excluded.last_sequence >= last_sequence "
            "THEN excluded.last_hash ELSE last_hash END, "
            "last_generated_at = CASE WHEN excluded.last_sequence >= last_sequence "
            "THEN excluded.last_generated_at ELSE last_generated_at END, "
            "last_sequence = MAX(last_sequence, excluded.last_sequence), "
            "next_send_at = CASE WHEN next_send_at IS NULL "
            "OR excluded.next_send_at > next_send_at THEN excluded.next_send_at "
            "ELSE next_send_at END, updated_at = excluded.updated_at",
            (nif, sequence, last_hash, generated, next_send, updated),
        )


def _voids_since_the_backup(carry: Carry) -> None:
    """An invoice the backup has as issued and the live database has voided stays voided
    (its registro de anulación is carried): status, who, when and why, no money owed, its
    order quantities free again, and a payment reversed since the backup reversed here
    too. The AEAT coding a correction (subsanación) changed comes from the live copy."""
    from .order_ledger import release_invoiced

    execute(
        "UPDATE main.invoice AS b SET exemption_code = l.exemption_code "
        "FROM live.invoice AS l WHERE l.code = b.code AND b.status <> 'draft' "
        "AND l.exemption_code IS NOT b.exemption_code AND l.id IN "
        "(SELECT r.invoice_id FROM live.verifactu_record r WHERE r.subsanacion)"
    )
    voided = execute(
        "SELECT b.id, l.voided_at, l.voided_by, l.void_reason, b.client_id "
        "FROM main.invoice b JOIN live.invoice l ON l.code = b.code "
        "WHERE l.status = 'voided' AND b.status NOT IN ('draft', 'voided') ORDER BY b.id"
    ).fetchall()
    for staging_id, voided_at, voided_by, reason, client_id in voided:
        _reverse_like_live(carry, int(staging_id))
        execute(
            "UPDATE main.invoice SET status = 'voided', outstanding_cents = 0, voided_at = ?, "
            "voided_by = ?, void_reason = ?, version = version + 1 WHERE id = ?",
            (voided_at, voided_by, reason, staging_id),
        )
        release_invoiced(int(staging_id))
        carry.clients.add(int(client_id))
    if voided:
        _refresh_client_figures(carry)


def _reverse_like_live(carry: Carry, staging_id: int) -> None:
    """A payment of the backup on an invoice voided since, reversed in the live database
    (an invoice is voided only without payments): reversed here too, as the services
    reverse one (every invoice it paid owes again)."""
    from .payments import reverse_payment

    for (payment_id,) in execute(
        "SELECT DISTINCT a.payment_id FROM main.payment_allocation a "
        "JOIN main.payment p ON p.id = a.payment_id "
        "WHERE a.invoice_id = ? AND p.reversed_at IS NULL",
        (staging_id,),
    ).fetchall():
        mine = carry.staging_row("payment", int(payment_id))
        live = carry.live_row("payment", int(payment_id))
        if mine is None or live is None or str(mine["created_at"]) != str(live["created_at"]):
            continue
        if live["reversed_at"] is not None:
            reverse_payment(int(payment_id), str(live["reversal_reason"] or _("restore")))


_VERIFACTU_SETTINGS = ("verifactu.enabled", "verifactu.environment", "verifactu.installation")


def _verifactu_settings(carry: Carry) -> None:
    """With records in the chain VERI*FACTU stays on (a system does not switch modes at
    will), for the environment and installation number the records were made with."""
    del carry
    if execute("SELECT 1 FROM live.verifactu_record LIMIT 1").fetchone() is None:
        return
    marks = ", ".join("?" for _k in _VERIFACTU_SETTINGS)
    execute(
        "INSERT OR REPLACE INTO main.setting (key, value, updated_at, updated_by) "
        f"SELECT key, value, updated_at, updated_by FROM live.setting WHERE key IN ({marks})",
        _VERIFACTU_SETTINGS,
    )


def _verify_staging(path: Path, live: Path) -> None:
    """The built data: sound, and with every legal record of the live database."""
    conn = _uri_connection(path)
    try:
        problems = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            _refuse(_("the restored data failed its integrity check: {d}").format(d=problems[0]))
        if conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
            _refuse(_("the restored data has rows pointing to records that do not exist"))
        _attach(conn, live, "live")
        for legal in LEGAL_TABLES:
            lost = conn.execute(
                f'SELECT l."{legal.key}" FROM live."{legal.table}" l '
                f"WHERE ({_qualified(legal.legal, 'l')}) AND NOT EXISTS "
                f'(SELECT 1 FROM main."{legal.table}" b WHERE {legal.same("b", "l")}) '
                "LIMIT 1"
            ).fetchone()
            if lost is not None:
                _refuse(_("the restored data would lose {key}").format(key=lost[0]))
    finally:
        conn.close()


@contextmanager
def _bound_to(db: peewee.Database) -> Iterator[None]:
    """The shared handle pointed at `db` meanwhile (a restore runs alone in its process)."""
    previous = database.obj
    database.initialize(db)
    try:
        yield
    finally:
        database.initialize(previous)


def _build(staging: Path, backup: Path, live: Path, plan: RestorePlan, safety: Path) -> None:
    """The backup at this release's schema, the live legal records it lacks carried over, and
    the restore's audit entry, all in `staging` (one transaction for the carry and entry)."""
    from ..migrations import upgrade
    from . import audit

    source = reading_connection(backup, query_only=False)
    try:
        source.execute("VACUUM INTO ?", (str(staging),))
    finally:
        source.close()
    _match_page_size(staging, live)
    from urllib.parse import quote

    db = peewee.SqliteDatabase(
        f"file:{quote(str(staging.absolute()))}",
        uri=True,
        pragmas=(("journal_mode", "memory"), ("foreign_keys", 1), ("synchronous", "off")),
    )
    db.connect()
    try:
        db.execute_sql("ATTACH DATABASE ? AS live", (attach_name(live),))
        with _bound_to(db):
            upgrade()
            carry = Carry()
            with db.atomic():
                for legal in LEGAL_TABLES:
                    if legal.before is not None:
                        legal.before(carry)
                    for record in plan.missing:
                        if record.table == legal.table:
                            carry.carry(legal, record)
                    if legal.finish is not None:
                        legal.finish(carry)
                audit.record(
                    "restore",
                    "database",
                    str(live),
                    changes={
                        "backup": (None, str(backup)),
                        "safety_copy": (None, str(safety)),
                        "carried": (None, [r.name for r in plan.missing]),
                    },
                    summary=_("Restored {backup}; the replaced data is in {safety}").format(
                        backup=backup, safety=safety
                    ),
                )
        db.execute_sql("DETACH DATABASE live")
    finally:
        db.close()
    _verify_staging(staging, live)


def _match_page_size(staging: Path, live: Path) -> None:
    """SQLite copies into a WAL database only between equal page sizes."""
    conn = reading_connection(live)
    try:
        wanted = int(conn.execute("PRAGMA page_size").fetchone()[0])
    finally:
        conn.close()
    conn = sqlite3.connect(str(staging))
    try:
        if int(conn.execute("PRAGMA page_size").fetchone()[0]) != wanted:
            conn.execute(f"PRAGMA page_size = {wanted}")
            conn.execute("VACUUM")
    finally:
        conn.close()


def _install(staging: Path, live: Path) -> None:
    """Replace the live content with `staging`'s in one transaction on the live file (the
    online backup API in one step): the old data or the new, whole, whenever it stops."""
    close_database(keep_lock=True)
    source = sqlite3.connect(str(staging))
    target = sqlite3.connect(str(live), timeout=60)
    try:
        target.execute("PRAGMA busy_timeout = 60000")
        source.backup(target)
        target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        target.close()
        source.close()


def _safety_copy(live: Path) -> Path:
    from .maintenance import copy_database

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    name = live.with_name(f"{live.stem}.before-restore-{stamp}{live.suffix}")
    with output_file(name, unique=True) as out:
        copy_database(live, out.path)
    assert out.final is not None
    return out.final


def restore_database(
    backup: Path, *, confirmed: RestorePlan | None = None, wait_s: float = 0
) -> RestoreResult:
    """Replace the open database's content with a backup (admin only), keeping every legal
    record; the rules are in the module doc. `confirmed` is the plan the person agreed to:
    if more legal records would be carried now, the restore is refused (run it again).
    `wait_s`: how long to wait for other sessions to close the database."""
    from .permissions import require

    require("data.restore")
    live = db_path()
    if live is None:
        _refuse(_("restore works on SQLite databases; use pg_restore for PostgreSQL"))
    assert live is not None
    backup = Path(backup).expanduser()
    _refuse_the_database_itself(backup, live)
    version = inspect_backup(backup)
    with exclusive_open_lock(live, wait_s):
        missing = _compare(backup, live)
        plan = RestorePlan(backup, version, missing)
        if confirmed is not None and not plan.keys <= confirmed.keys:
            new = [r.name for r in plan.missing if (r.table, r.key) not in confirmed.keys]
            _refuse(
                _(
                    "more legal records were made since you confirmed ({keys}); nothing was "
                    "changed: run the restore again"
                ).format(keys=", ".join(new))
            )
        safety = _safety_copy(live)
        try:
            with scratch_file(live.parent) as staging:
                _build(staging, backup, live, plan, safety)
                _install(staging, live)
        except ServiceError as exc:
            raise RuleViolation(
                _(
                    "{error}; the database was not changed; a safety copy of it is in {safety}"
                ).format(error=exc, safety=safety)
            ) from exc
        except (OSError, sqlite3.Error, peewee.DatabaseError) as exc:
            cause = describe_fault(exc) or str(exc)
            raise RuleViolation(
                _(
                    "the restore failed ({cause}); the database was not changed; a safety copy "
                    "of it is in {safety}"
                ).format(cause=cause, safety=safety)
            ) from exc
    return RestoreResult(safety=safety, version=version, carried=missing)
