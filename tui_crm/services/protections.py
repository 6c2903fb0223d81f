"""The protections that live in the database itself, checked by `tui-crm check` and put back
by `tui-crm init`.

Issued invoices are immutable below the services: on SQLite by the triggers of
migration 3, on PostgreSQL by the guard functions and triggers of migration 8. A
colleague with the sqlite3 shell (or psql) can drop or alter one; nothing would say so.
Each protection is compared with the SQL its migration wrote (whitespace aside): a
missing, altered or disabled one is a problem, and `restore_protections` recreates it
exactly. New protections (VERI*FACTU's records, say) join by adding their statements to
`_SOURCES`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..i18n import _

_TRIGGER = re.compile(r'CREATE TRIGGER "(\w+)".*? ON "(\w+)"', re.S)
_FUNCTION = re.compile(r'CREATE FUNCTION "(\w+)"\(\)')
_BODY = re.compile(r"\$\$(.*)\$\$", re.S)


@dataclass(frozen=True)
class Protection:
    name: str
    kind: str  # "trigger" or "function"
    table: str  # the table a trigger guards ("" for a function)
    create: str  # the statement its migration ran

    def describe(self) -> str:
        if self.kind == "trigger":
            return _("trigger {name} on {table}").format(name=self.name, table=self.table)
        return _("function {name}").format(name=self.name)


def _sources(dialect: str) -> tuple[str, ...]:
    """The statements that made the protections, from the migrations themselves."""
    if dialect == "sqlite":
        from ..migrations.m0003_invoicing import SQLITE_TRIGGERS

        return tuple(SQLITE_TRIGGERS)
    from ..migrations.m0008_issued_immutable_postgres import POSTGRESQL

    return tuple(POSTGRESQL)


def protections(dialect: str) -> tuple[Protection, ...]:
    found = []
    for statement in _sources(dialect):
        function = _FUNCTION.search(statement)
        if function:
            found.append(Protection(function.group(1), "function", "", statement))
            continue
        trigger = _TRIGGER.search(statement)
        if trigger:
            found.append(Protection(trigger.group(1), "trigger", trigger.group(2), statement))
    return tuple(found)


def _normal(sql: str) -> str:
    return " ".join(sql.split()).rstrip(";").strip()


Query = Callable[[str, tuple], list[tuple]]


def protection_problems(query: Query, dialect: str) -> list[str]:
    """One line per protection that is missing, altered or disabled (empty: all in place).

    `query(sql, params)` runs a query on the database to check and returns its rows."""
    problems = []
    for item in protections(dialect):
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
                problems.append(_("{what} is disabled").format(what=item.describe()))
                continue
            actual = rows[0][1] if rows else None
            expected = None  # PostgreSQL rewrites a trigger's text: its existence is the check
        if actual is None:
            problems.append(_("{what} is missing").format(what=item.describe()))
        elif expected is not None and _normal(actual) != _normal(expected):
            problems.append(
                _("{what} differs from the one tui-crm made").format(what=item.describe())
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

    broken = set(protection_problems(query, dialect))
    if not broken:
        return []
    repaired = []
    with database.atomic():
        for item in protections(dialect):
            problem = next((p for p in broken if item.describe() in p), None)
            if problem is None:
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
