"""The protections that live in the database itself, checked by `tui-crm check` and put back
by `tui-crm init`.

Issued invoices are immutable below the services: on SQLite by the triggers of
migration 3, on PostgreSQL by the guard functions and triggers of migration 8.
VERI*FACTU's records are too (migration 10): no record changes or goes, none is
inserted off its chain, an issued invoice keeps its type, a voided one stays voided, and
the simplified invoices an F3 replaces stay as issued. A colleague with the sqlite3 shell
(or psql) can drop or alter one; nothing would say so. Each protection is compared with
the SQL its migration wrote (whitespace aside): a missing, altered or disabled one is a
problem, and `restore_protections` recreates it exactly. A database older than a
migration is not asked for that migration's protections. New protections join by naming
their statements in `_sources`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..i18n import _

_TRIGGER = re.compile(r'CREATE TRIGGER "(\w+)".*? ON "(\w+)"', re.S)
_FUNCTION = re.compile(r'CREATE (?:OR REPLACE )?FUNCTION "(\w+)"\(\)')
_BODY = re.compile(r"\$\$(.*)\$\$", re.S)


@dataclass(frozen=True)
class Protection:
    name: str
    kind: str  # "trigger" or "function"
    table: str  # the table a trigger guards ("" for a function)
    create: str  # the statement its migration ran
    guards: str = "invoices"  # what it protects: "invoices", "records" (VERI*FACTU), "audit"

    def describe(self) -> str:
        if self.kind == "trigger":
            return _("trigger {name} on {table}").format(name=self.name, table=self.table)
        return _("function {name}").format(name=self.name)


VERIFACTU_VERSION = 10  # the migration that made the VERI*FACTU records' protections

# Migration 10's protections by name (its other triggers keep figures, not legal records):
# on SQLite its triggers; on PostgreSQL its guard functions and the triggers that call them.
_VERIFACTU_SQLITE = (
    "verifactu_record_chain",
    "verifactu_record_update",
    "verifactu_record_delete",
    "invoice_verifactu_update",
    "invoice_replaced_insert",
    "invoice_replaced_delete",
)
_VERIFACTU_POSTGRESQL = (
    "verifactu_record_guard",
    "invoice_verifactu_guard",
    "invoice_replaced_guard",
)


def _named(statements: tuple[str, ...], names: tuple[str, ...]) -> tuple[str, ...]:
    """The CREATE TRIGGER / CREATE FUNCTION statements among `statements` that make `names`."""
    chosen = []
    for statement in statements:
        made = _FUNCTION.search(statement) or _TRIGGER.search(statement)
        if made and made.group(1) in names and statement.lstrip().startswith("CREATE "):
            chosen.append(statement)
    return tuple(chosen)


EVIDENCE_VERSION = 12  # the migration that guards the audit log and fingerprints

_AUDIT_SQLITE = ("audit_log_no_update", "audit_log_no_delete")
_AUDIT_POSTGRESQL = ("audit_log_guard", "audit_log_no_truncate")


def _sources(dialect: str, version: int) -> tuple[tuple[str, str], ...]:
    """(statement, what it guards) of the protections of a database at schema `version`,
    from the migrations themselves. A later migration that redefines a protection (m0012
    makes the issued-invoice guard keep the fingerprint too) replaces the earlier
    statement of the same name: the database must hold the newest one."""
    from ..migrations import m0010_verifactu, m0012_tamper_evidence

    if dialect == "sqlite":
        from ..migrations.m0003_invoicing import SQLITE_TRIGGERS

        steps = [
            (3, tuple(SQLITE_TRIGGERS), "invoices"),
            (VERIFACTU_VERSION, _named(m0010_verifactu.SQLITE, _VERIFACTU_SQLITE), "records"),
            (
                EVIDENCE_VERSION,
                _named(m0012_tamper_evidence.SQLITE_AFTER, ("invoice_issued_update",)),
                "invoices",
            ),
            (EVIDENCE_VERSION, _named(m0012_tamper_evidence.SQLITE_AFTER, _AUDIT_SQLITE), "audit"),
        ]
    else:
        from ..migrations.m0008_issued_immutable_postgres import POSTGRESQL

        steps = [
            (8, tuple(POSTGRESQL), "invoices"),
            (
                VERIFACTU_VERSION,
                _named(m0010_verifactu.POSTGRESQL, _VERIFACTU_POSTGRESQL),
                "records",
            ),
            (
                EVIDENCE_VERSION,
                _named(m0012_tamper_evidence.POSTGRESQL_AFTER, ("invoice_issued_guard",)),
                "invoices",
            ),
            (
                EVIDENCE_VERSION,
                _named(m0012_tamper_evidence.POSTGRESQL_AFTER, _AUDIT_POSTGRESQL),
                "audit",
            ),
        ]
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for since, statements, guards in steps:
        if version < since:
            continue
        for statement in statements:
            made = _FUNCTION.search(statement)
            key = ("function", made.group(1)) if made else ("trigger", "")
            if not made:
                trigger = _TRIGGER.search(statement)
                if trigger is None:
                    continue
                key = ("trigger", trigger.group(1))
            found.pop(key, None)  # a redefinition goes where the newest statement goes
            found[key] = (statement, guards)
    return tuple(found.values())


def protections(dialect: str, version: int | None = None) -> tuple[Protection, ...]:
    """The protections a database of `dialect` at schema `version` (default: this
    release's) must have, each with the statement that makes it."""
    if version is None:
        from ..migrations import latest_version

        version = latest_version()
    found = []
    for statement, guards in _sources(dialect, version):
        function = _FUNCTION.search(statement)
        if function:
            found.append(Protection(function.group(1), "function", "", statement, guards))
            continue
        trigger = _TRIGGER.search(statement)
        if trigger:
            found.append(
                Protection(trigger.group(1), "trigger", trigger.group(2), statement, guards)
            )
    return tuple(found)


def protection(dialect: str, name: str, kind: str = "trigger") -> Protection:
    """One protection of this release by name (the restore recreates one it set aside)."""
    return next(p for p in protections(dialect) if p.name == name and p.kind == kind)


def _normal(sql: str) -> str:
    return " ".join(sql.split()).rstrip(";").strip()


Query = Callable[[str, tuple], list[tuple]]


@dataclass(frozen=True)
class Problem:
    what: Protection
    message: str  # "trigger X on T is missing", "... differs from the one tui-crm made"…

    def __str__(self) -> str:
        return self.message


def _version(query: Query) -> int:
    """The schema version of the database `query` reads (this release's if unreadable:
    `check` reports a missing or unreadable schema on its own)."""
    from ..migrations import latest_version

    try:
        rows = query('SELECT MAX("version") FROM "schema_version"', ())
        return int(rows[0][0]) if rows and rows[0][0] is not None else latest_version()
    except Exception:  # no such table, a damaged file: the schema check says so
        return latest_version()


def protection_problems(query: Query, dialect: str) -> list[Problem]:
    """One problem per protection that is missing, altered or disabled (empty: all in
    place), for the protections of the database's schema version.

    `query(sql, params)` runs a query on the database to check and returns its rows."""
    problems: list[Problem] = []
    for item in protections(dialect, _version(query)):
        if dialect == "sqlite":
            rows = query(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (item.name,)
            )
            actual = rows[0][0] if rows else None
            expected = item.create
        elif item.kind == "function":
            rows = query("SELECT prosrc FROM pg_proc WHERE proname = %s", (item.name,))
            actual = rows[0][0] if rows else None
            body = _BODY.search(item.create)
            expected = body.group(1) if body else item.create
        else:
            rows = query(
                "SELECT t.tgenabled, pg_get_triggerdef(t.oid) FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = %s AND c.relname = %s",
                (item.name, item.table),
            )
            if rows and str(rows[0][0]) == "D":
                problems.append(Problem(item, _("{what} is disabled").format(what=item.describe())))
                continue
            actual = rows[0][1] if rows else None
            expected = None  # PostgreSQL rewrites a trigger's text: its existence is the check
        if actual is None:
            problems.append(Problem(item, _("{what} is missing").format(what=item.describe())))
        elif expected is not None and _normal(actual) != _normal(expected):
            problems.append(
                Problem(
                    item,
                    _("{what} differs from the one tui-crm made").format(what=item.describe()),
                )
            )
    return problems


def restore_protections() -> list[str]:
    """Recreate, exactly as their migrations made them, the protections that are missing,
    altered or disabled on the open database (`tui-crm init`); returns what was put back.
    Runs in one transaction."""
    from ..db import database, execute, is_sqlite

    dialect = "sqlite" if is_sqlite() else "postgresql"

    def query(sql: str, params: tuple) -> list[tuple]:
        return list(database.execute_sql(sql, params).fetchall())

    broken = {problem.what for problem in protection_problems(query, dialect)}
    if not broken:
        return []
    repaired = []
    with database.atomic():
        for item in protections(dialect):
            if item not in broken:
                continue
            if dialect == "sqlite":
                execute(f'DROP TRIGGER IF EXISTS "{item.name}"')
                execute(item.create)
            elif item.kind == "function":
                database.execute_sql(
                    item.create.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
                )
            else:
                database.execute_sql(f'DROP TRIGGER IF EXISTS "{item.name}" ON "{item.table}"')
                database.execute_sql(item.create)
            repaired.append(item.describe())
    return repaired
