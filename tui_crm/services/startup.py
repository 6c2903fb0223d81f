"""Opening a database for use: connect, migrate, register the user, choose the language."""

from __future__ import annotations

from dataclasses import dataclass

from .. import config, i18n
from ..config import DatabaseTarget
from ..db import is_sqlite, open_database, read_only_reason
from ..migrations import upgrade
from . import settings, users
from .errors import NotFound, PermissionDenied
from .session import Actor, set_actor


@dataclass(frozen=True)
class Opened:
    target: DatabaseTarget
    login: str
    role: str
    language: str
    migrated: int  # migrations applied now
    read_only: str = ""  # why this process may only read the database ("" when it may write)
    real_login: str = ""  # the person at the keyboard, when acting as `login` (--user)


def own_login() -> str:
    """Who is at the keyboard: the process's real user on SQLite (the password database,
    never the environment), the server's `session_user` on PostgreSQL (peer
    authentication makes it the same person)."""
    if is_sqlite():
        return config.current_login()
    from . import pg_roles

    return pg_roles.session_login()


def open_for_use(
    target: DatabaseTarget,
    *,
    user: str | None = None,
    create: bool = True,
    initialise: bool = False,
) -> Opened:
    """Open (creating if allowed), bring the schema up to date, and say who is acting.

    The person is `own_login()`; the first person to open a database becomes its admin.
    `user` (the --user option) acts as another, existing user: an admin's power only,
    checked against this database's roles; the audit log then records both names. A
    database this process cannot write is opened read-only: nothing is written, not even
    the user's "last seen", and every change is refused saying why.
    """
    open_database(target, create=create, initialise=initialise)
    try:
        applied = upgrade()
    except Exception as exc:
        if is_sqlite() or getattr(getattr(exc, "orig", exc), "pgcode", "") != "42501":
            raise
        from . import pg_roles

        # PostgreSQL: no privilege even to read the schema's version
        raise pg_roles.no_role(own_login()) from None
    if read_only_reason():
        return _open_read_only(target, user)
    me = own_login()
    own = users.register(me)
    if not own.active:
        raise PermissionDenied(
            i18n._("the account {login} is deactivated; ask an admin").format(login=me)
        )
    info = own
    if user and user != me:
        if own.role != "admin":
            raise PermissionDenied(
                i18n._("only an admin may act as another user (--user {user})").format(user=user)
            )
        found = users.find_user(user)
        if found is None:
            raise NotFound(
                i18n._("unknown user {login}: add them first (Users and roles)").format(login=user)
            )
        if not found.active:
            raise PermissionDenied(
                i18n._("the account {login} is deactivated; ask an admin").format(login=user)
            )
        info = found
    set_actor(Actor(login=info.login, role=info.role, real_login=me if info.login != me else ""))
    language = i18n.setup(settings.get("ui.language"))
    return Opened(
        target,
        info.login,
        info.role,
        language,
        len(applied),
        real_login=me if info.login != me else "",
    )


def _open_read_only(target: DatabaseTarget, user: str | None) -> Opened:
    """Who is reading a database this process may not write: their role if they have one
    (what they may do is moot: every write is refused), else read-only."""
    me = own_login()
    own = users.find_user(me)
    login = me
    if user and user != me:
        if own is None or own.role != "admin":
            raise PermissionDenied(
                i18n._("only an admin may act as another user (--user {user})").format(user=user)
            )
        login = user
    info = users.find_user(login)
    if info is not None and not info.active:
        raise PermissionDenied(
            i18n._("the account {login} is deactivated; ask an admin").format(login=login)
        )
    role = info.role if info is not None else "readonly"
    real = me if login != me else ""
    set_actor(Actor(login=login, role=role, real_login=real))
    language = i18n.setup(settings.get("ui.language"))
    return Opened(target, login, role, language, 0, read_only_reason(), real_login=real)
