"""Opening a database for use: connect, migrate, register the user, choose the language."""

from __future__ import annotations

from dataclasses import dataclass

from .. import config, i18n
from ..config import DatabaseTarget
from ..db import open_database, read_only_reason
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
    read_only: str = ""  # why this process may only read the database ("" when it may write)


def open_for_use(
    target: DatabaseTarget,
    *,
    user: str | None = None,
    create: bool = True,
    initialise: bool = False,
) -> Opened:
    """Open (creating if allowed), bring the schema up to date, and say who is acting.

    `user` (the --user option) acts as another person: allowed when the process's own
    login is an admin of this database, or when the database has no users yet. A
    database this process cannot write is opened read-only: nothing is written, not
    even the user's "last seen", and every change is refused saying why.
    """
    open_database(target, create=create, initialise=initialise)
    applied = upgrade()
    if read_only_reason():
        return _open_read_only(target, user)
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


def _open_read_only(target: DatabaseTarget, user: str | None) -> Opened:
    """Who is reading a database this process may not write: their role if they have one
    (what they may do is moot: every write is refused), else read-only."""
    login = config.current_login()
    own = users.find(login)
    if user and user != login:
        if own is None or own.role != "admin":
            raise PermissionDenied(
                i18n._("only an admin may act as another user (--user {user})").format(user=user)
            )
        login = user
    info = users.find(login)
    if info is not None and not info.active:
        raise PermissionDenied(
            i18n._("the account {login} is deactivated; ask an admin").format(login=login)
        )
    role = info.role if info is not None else "readonly"
    set_actor(Actor(login=login, role=role))
    language = i18n.setup(settings.get("ui.language"))
    return Opened(target, login, role, language, 0, read_only_reason())
