"""Numbered schema migrations, applied at start-up and recorded in `schema_version`.

Each module `mNNNN_name.py` has `NAME` and `up(db, dialect)`. Every migration
runs in its own IMMEDIATE transaction, so a crash leaves the database at the
previous version, never half-way.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import pkgutil
import re
from dataclasses import dataclass
from types import ModuleType

import peewee

from ..db import database

_MODULE = re.compile(r"^m(\d{4})_\w+$")


class SchemaError(Exception):
    """The database's schema cannot be used by this version of tui-crm."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    module: ModuleType


def all_migrations() -> list[Migration]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        match = _MODULE.match(info.name)
        if match:
            module = importlib.import_module(f"{__name__}.{info.name}")
            found.append(Migration(int(match.group(1)), module.NAME, module))
    found.sort(key=lambda m: m.version)
    return found


@functools.cache
def _numbered() -> tuple[tuple[int, str], ...]:
    """(version, module name) of every migration, from the file names alone: starting up
    an up-to-date database imports none of them (a tenth of the time to open it)."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        match = _MODULE.match(info.name)
        if match:
            found.append((int(match.group(1)), info.name))
    return tuple(sorted(found))


def _migration(version: int, name: str) -> Migration:
    module = importlib.import_module(f"{__name__}.{name}")
    return Migration(version, module.NAME, module)


def latest_version() -> int:
    return _numbered()[-1][0]


@functools.cache
def expected_tables(version: int) -> dict[str, frozenset[str]]:
    """Every table (with its columns) a SQLite tui-crm database has at schema `version`.

    Built by running migrations 1..version on an empty in-memory database, so it is what
    the migrations make, never a list kept by hand; FTS5 shadow tables included."""
    scratch = peewee.SqliteDatabase(":memory:")
    scratch.connect()
    try:
        for migration in all_migrations():
            if migration.version <= version:
                migration.module.up(scratch, "sqlite")
        names = [
            r[0]
            for r in scratch.execute_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        tables = {
            name: frozenset(r[1] for r in scratch.execute_sql(f'PRAGMA table_info("{name}")'))
            for name in names
        }
    finally:
        scratch.close()
    tables["schema_version"] = frozenset({"version", "name", "applied_at"})
    return tables


def _utcnow() -> str:
    """When a migration was applied: UTC, naive, to the second (as every timestamp)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0).isoformat(sep=" ")


def dialect() -> str:
    return "sqlite" if isinstance(database.obj, peewee.SqliteDatabase) else "postgresql"


def _ensure_version_table() -> None:
    database.execute_sql(
        'CREATE TABLE IF NOT EXISTS "schema_version" ('
        '"version" INTEGER NOT NULL PRIMARY KEY, "name" TEXT NOT NULL, "applied_at" TEXT NOT NULL)'
    )


def current_version() -> int:
    if "schema_version" not in database.get_tables():
        return 0
    row = database.execute_sql('SELECT MAX("version") FROM "schema_version"').fetchone()
    return int(row[0] or 0)


def is_initialised() -> bool:
    return current_version() > 0


def upgrade(target: int | None = None) -> list[Migration]:
    """Apply every pending migration up to `target` (default: the latest). Returns those applied."""
    numbered = _numbered()
    latest = numbered[-1][0]
    target = latest if target is None else target
    version = current_version()  # a read: starting up takes no write lock when up to date
    if version == 0:
        with database.atomic():
            _ensure_version_table()
    if version > latest:
        raise SchemaError(
            f"the database is at schema version {version}, newer than this tui-crm "
            f"understands ({latest}): upgrade tui-crm"
        )
    if version < target:
        from ..db import read_only_reason

        reason = read_only_reason()
        if reason:
            from ..i18n import _

            raise SchemaError(
                _(
                    "the database is at schema version {version} and needs upgrading to "
                    "{target}, which needs write access ({reason}): ask whoever may write it "
                    "to run `tui-crm init`"
                ).format(version=version, target=target, reason=reason)
            )
    applied = []
    for number, name in numbered:
        if number <= version or number > target:
            continue
        migration = _migration(number, name)
        with database.atomic():
            # Re-check inside the write lock: a colleague may have upgraded meanwhile.
            if current_version() >= migration.version:
                continue
            migration.module.up(database, dialect())
            database.execute_sql(
                'INSERT INTO "schema_version" ("version", "name", "applied_at") VALUES (?, ?, ?)'
                if dialect() == "sqlite"
                else 'INSERT INTO "schema_version" ("version", "name", "applied_at") '
                "VALUES (%s, %s, %s)",
                (migration.version, migration.name, _utcnow()),
            )
        applied.append(migration)
    return applied
