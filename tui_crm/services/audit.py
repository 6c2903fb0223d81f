"""The audit log: every create, update, delete, issue, payment, merge and import.

Each entry names whom the change was made as (`user`) and the person who really made it
(`real_user`: the same, unless an admin acted as someone else with `--user`), and is
hash-chained to the one before it (`services.evidence`), so `tui-crm check` shows any
entry changed or removed behind the application's back.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..db import execute
from ..models.base import utcnow
from . import evidence
from .session import actor


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def record(
    action: str,
    entity: str,
    entity_id: object = "",
    *,
    changes: dict[str, tuple[Any, Any]] | None = None,
    client_id: int | None = None,
    summary: str = "",
) -> None:
    """Write one audit row inside the caller's transaction (so it commits or rolls back with
    it), chained to the previous row, with who acted and who really did."""
    current = actor()
    evidence.append_audit(
        {
            "at": utcnow(),
            "user": current.login,
            "real_user": current.really,
            "action": action,
            "entity": entity,
            "entity_id": str(entity_id),
            "client_id": client_id,
            "changes": json.dumps(
                {k: [_plain(a), _plain(b)] for k, (a, b) in (changes or {}).items()},
                ensure_ascii=False,
            ),
            "summary": summary,
        }
    )


# --- reading the log ------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    user: str = ""
    entity: str = ""
    client_id: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None  # inclusive


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    user: str
    action: str
    entity: str
    entity_id: str
    client_id: int | None
    summary: str
    changes: dict[str, list[Any]]
    real_user: str = ""  # who really acted, when an admin acted as `user`

    @property
    def who(self) -> str:
        """`user`, or "real as user" when an admin acted as someone else."""
        if self.real_user and self.real_user != self.user:
            return f"{self.real_user} → {self.user}"
        return self.user

    def describe_changes(self, limit: int = 200) -> str:
        parts = []
        for name, pair in self.changes.items():
            before, after = [*pair, None, None][:2] if isinstance(pair, list) else (None, pair)
            if before in (None, "") and after not in (None, ""):
                parts.append(f"{name}={after}")
            elif after in (None, ""):
                parts.append(f"{name}: {before} → ∅")
            else:
                parts.append(f"{name}: {before} → {after}")
        text = "; ".join(parts)
        return text if len(text) <= limit else text[: limit - 1] + "…"


def _where(flt: AuditFilter) -> tuple[str, list[object]]:
    clauses, params = ["1 = 1"], []
    if flt.user:
        clauses.append('"user" = ?')
        params.append(flt.user)
    if flt.entity:
        clauses.append("entity = ?")
        params.append(flt.entity)
    if flt.client_id is not None:
        clauses.append("client_id = ?")
        params.append(flt.client_id)
    if flt.since:
        clauses.append("at >= ?")
        params.append(flt.since.isoformat())
    if flt.until:
        clauses.append("at < ?")
        params.append((flt.until + dt.timedelta(days=1)).isoformat())
    return " AND ".join(clauses), params


def count_entries(flt: AuditFilter) -> int:
    where, params = _where(flt)
    return int(execute(f"SELECT COUNT(*) FROM audit_log WHERE {where}", params).fetchone()[0])


def list_entries(flt: AuditFilter, offset: int = 0, limit: int = 100) -> list[AuditEntry]:
    """Newest first, one page at a time."""
    where, params = _where(flt)
    rows = execute(
        'SELECT id, at, "user", action, entity, entity_id, client_id, summary, changes, real_user '
        f"FROM audit_log WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    entries = []
    for r in rows:
        at = r[1] if isinstance(r[1], dt.datetime) else dt.datetime.fromisoformat(str(r[1]))
        try:
            changes = json.loads(r[8] or "{}")
        except ValueError:
            changes = {}
        entries.append(AuditEntry(r[0], at, r[2], r[3], r[4], r[5], r[6], r[7], changes, r[9]))
    return entries


def known_entities() -> list[str]:
    return [r[0] for r in execute("SELECT DISTINCT entity FROM audit_log ORDER BY entity")]
