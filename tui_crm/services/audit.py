"""The audit log: every create, update, delete, issue, payment, merge and import."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from ..models import AuditLog
from .session import login


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
    """Write one audit row inside the caller's transaction (so it commits or rolls back with it)."""
    AuditLog.create(
        user=login(),
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        client_id=client_id,
        changes=json.dumps(
            {k: [_plain(a), _plain(b)] for k, (a, b) in (changes or {}).items()},
            ensure_ascii=False,
        ),
        summary=summary,
    )
