"""Opening a database for use: connect, migrate, register the user, choose the language."""

from __future__ import annotations

from dataclasses import dataclass

from .. import config, i18n
from ..config import DatabaseTarget
from ..db import open_database
from ..migrations import upgrade
from . import settings, users
from .errors import PermissionDenied
from .session import Actor, set_actor


@dataclass(frozen=True)
class Opened:
    target: DatabaseTarget
    login: str
    role: str
    language: str
    migrated: int  # migrations applied now


def open_for_use(target: DatabaseTarget, *, user: str | None = None, create: bool = True) -> Opened:
    """Open (creating if allowed), bring the schema up to date, and say who is acting.

    `user` (the --user option) acts as another person: allowed when the process's own
    login is an admin of this database, or when the database has no users yet.
    """
    open_database(target, create=create)
    applied = upgrade()
    own_login = config.current_login()
    own = users.register(own_login)
    login = own_login
    if user and user != own_login:
        if own.role != "admin":
            raise PermissionDenied(
                i18n._("only an admin may act as another user (--user {user})").format(user=user)
            )
        login = user
    info = users.register(login)
    if not info.active:
        raise PermissionDenied(
            i18n._("the account {login} is deactivated; ask an admin").format(login=login)
        )
    set_actor(Actor(login=info.login, role=info.role))
    language = i18n.setup(settings.get("ui.language"))
    return Opened(target, info.login, info.role, language, len(applied))
