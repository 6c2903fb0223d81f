"""PostgreSQL: the server enforces the roles (filled in below)."""

from __future__ import annotations

from ..db import execute


def session_login() -> str:
    return str(execute("SELECT session_user").fetchone()[0])


def installed() -> bool:
    return False
