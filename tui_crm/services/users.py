"""People and roles. The user is the login of the process's real user id (on PostgreSQL, the
server's session user); the first one is admin.

On PostgreSQL the server holds the roles: each person is a database role, member of one
of this database's group roles (`pg_roles`); adding a user, changing a role and
deactivating grant and revoke those groups, so psql obeys as the application does.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..db import transactional
from ..i18n import _
from ..models import ROLES, User
from ..models.base import utcnow
from .errors import NotFound, ValidationError
from .permissions import require
from .session import Actor

# The audit log (its hash chain, VERI*FACTU's formats) and the checks of tax IDs are
# imported where a change is made: every start reads settings and registers its user
# before the first paint, and only reads (tests/unit/test_import_hygiene.py).

SEEN_EVERY = dt.timedelta(hours=1)


@dataclass(frozen=True)
class UserInfo:
    id: int
    login: str
    full_name: str
    role: str
    active: bool
    last_seen_at: dt.datetime | None = None
    email: str = ""  # where colleagues' copies and meeting invitations reach them


def _info(user: User) -> UserInfo:
    return UserInfo(
        user.id,
        user.login,
        user.full_name,
        user.role,
        user.active,
        user.last_seen_at,
        user.email,
    )


def get_user(login: str) -> UserInfo:
    """A user as the list holds it (NotFound when there is none)."""
    user = User.get_or_none(User.login == login)
    if user is None:
        raise NotFound(_("unknown user {login}").format(login=login))
    return _info(user)


def find_user(login: str) -> UserInfo | None:
    """A user on the list; on PostgreSQL with the group roles, their role is the server's."""
    from ..db import is_sqlite

    user = User.get_or_none(User.login == login)
    if user is None:
        return None
    info = _info(user)
    if not is_sqlite():
        from . import pg_roles

        if pg_roles.installed():
            server = pg_roles.role_of(login)
            if server is None:
                return UserInfo(info.id, info.login, info.full_name, info.role, False)
            return UserInfo(info.id, info.login, info.full_name, server, info.active)
    return info


@transactional
def register(login: str) -> UserInfo:
    """Find or create the user for this login; the first user of a database becomes admin.

    On PostgreSQL with the group roles installed, the role is the server's (membership of
    a group role); someone with none may not use the database."""
    from ..db import is_sqlite

    if not is_sqlite():
        from . import pg_roles

        if pg_roles.installed():
            return _register_by_the_server(login)
    user = User.get_or_none(User.login == login)
    if user is None:
        role = "admin" if User.select().count() == 0 else "sales"
        user = User.create(login=login, role=role, last_seen_at=utcnow())
        from . import audit

        audit.record(
            "create", "user", user.id, changes={"login": (None, login), "role": (None, role)}
        )
    elif user.last_seen_at is None or utcnow() - user.last_seen_at > SEEN_EVERY:
        # Once an hour is enough for "last seen", and spares every start a write.
        User.update(last_seen_at=utcnow()).where(User.id == user.id).execute()
    return _info(user)


def _register_by_the_server(login: str) -> UserInfo:
    """On PostgreSQL with the group roles: the user for the connected person, whose role is
    the server's; someone in none of this database's group roles may not use it."""
    import peewee

    from ..db import database
    from . import pg_roles

    role = pg_roles.role_of(login)
    if role is None:
        raise pg_roles.no_role(login)
    user = User.get_or_none(User.login == login)
    if user is None and role != "readonly":
        with database.atomic():
            user = User.create(login=login, role=role, last_seen_at=utcnow())
            from . import audit

            audit.record(
                "create", "user", user.id, changes={"login": (None, login), "role": (None, role)}
            )
    elif (
        user is not None
        and role != "readonly"
        and (user.last_seen_at is None or utcnow() - user.last_seen_at > SEEN_EVERY)
    ):
        try:
            with database.atomic():  # a savepoint: a refusal must not end the transaction
                User.update(last_seen_at=utcnow()).where(User.id == user.id).execute()
        except peewee.DatabaseError:
            pass
    if user is None:  # read-only and not yet on the list: the server's word is enough
        return UserInfo(0, login, "", role, True)
    return UserInfo(user.id, user.login, user.full_name, role, user.active)


def actor_for(login: str) -> Actor:
    user = User.get_or_none(User.login == login)
    if user is None:
        raise NotFound(_("unknown user {login}").format(login=login))
    return Actor(login=user.login, role=user.role)


@transactional
def set_role(login: str, role: str) -> UserInfo:
    require("users.admin")
    if role not in ROLES:
        raise ValidationError(
            {"role": _("must be one of {values}").format(values=", ".join(ROLES))}
        )
    user = User.get_or_none(User.login == login)
    if user is None:
        raise NotFound(_("unknown user {login}").format(login=login))
    if user.role == "admin" and role != "admin":
        admins = User.select().where((User.role == "admin") & User.active).count()
        if admins <= 1:
            raise ValidationError({"role": _("the last admin must stay admin")})
    if user.role != role:
        _server_role(login, role if user.active else None)
        from . import audit

        audit.record("update", "user", user.id, changes={"role": (user.role, role)})
        user.role = role
        user.save()
    return _info(user)


def _server_role(login: str, role: str | None) -> None:
    """On PostgreSQL, make the server agree: grant the group role (None: revoke them all)."""
    from ..db import is_sqlite

    if is_sqlite():
        return
    from . import pg_roles

    if pg_roles.installed():
        pg_roles.grant(login, role)


def server_groups() -> str:
    """On PostgreSQL with the group roles: their prefix ("crm_<database>"), else ""."""
    from ..db import is_sqlite

    if is_sqlite():
        return ""
    from . import pg_roles

    return pg_roles.prefix() if pg_roles.installed() else ""


def list_users() -> list[UserInfo]:
    return [_info(u) for u in User.select().order_by(User.login)]


@transactional
def add_user(login: str, role: str, full_name: str = "") -> UserInfo:
    """An admin registers a colleague (by their login name on the server) before they start."""
    require("users.admin")
    login = login.strip()
    errors = {}
    if not login or len(login) > 64 or any(ch.isspace() for ch in login):
        errors["login"] = _("must be the person's login name on the server (no spaces)")
    elif User.get_or_none(User.login == login) is not None:
        errors["login"] = _("{login} is already a user").format(login=login)
    if role not in ROLES:
        errors["role"] = _("must be one of {values}").format(values=", ".join(ROLES))
    if errors:
        raise ValidationError(errors)
    _server_role(login, role)
    user = User.create(login=login, role=role, full_name=full_name.strip())
    from . import audit

    audit.record("create", "user", user.id, changes={"login": (None, login), "role": (None, role)})
    return _info(user)


@transactional
def save_user(login: str, role: str, full_name: str, email: str, *, new: bool) -> UserInfo:
    """The users form in one step: a new user (or a change of role) with their name and
    email; nothing is saved when any part is refused."""
    if new:
        add_user(login, role, full_name)
    else:
        set_role(login, role)
    return set_details(login, full_name, email)


@transactional
def set_details(login: str, full_name: str, email: str) -> UserInfo:
    """An admin sets a user's full name and email address: the address copies of client
    emails and meeting invitations reach them at."""
    from .validation import check_email

    require("users.admin")
    user = User.get_or_none(User.login == login)
    if user is None:
        raise NotFound(_("unknown user {login}").format(login=login))
    errors: dict[str, str] = {}
    full_name = " ".join(str(full_name or "").split())
    address = str(email or "").strip()
    if len(full_name) > 200:
        errors["full_name"] = _("is longer than {n} characters").format(n=200)
    if address:
        try:
            address = check_email(address)
        except ValueError as exc:
            errors["email"] = str(exc)
    if errors:
        raise ValidationError(errors)
    changes = {
        k: (getattr(user, k), v)
        for k, v in (("full_name", full_name), ("email", address))
        if getattr(user, k) != v
    }
    if changes:
        User.update(full_name=full_name, email=address).where(User.id == user.id).execute()
        from . import audit

        audit.record("update", "user", user.id, changes=changes)
    return get_user(login)


@transactional
def set_active(login: str, active: bool) -> UserInfo:
    """Deactivate someone who left (their history stays); the last active admin stays."""
    require("users.admin")
    user = User.get_or_none(User.login == login)
    if user is None:
        raise NotFound(_("unknown user {login}").format(login=login))
    if not active and user.role == "admin":
        admins = User.select().where((User.role == "admin") & User.active).count()
        if admins <= 1:
            raise ValidationError({"active": _("the last admin cannot be deactivated")})
    if user.active != active:
        _server_role(login, user.role if active else None)
        from . import audit

        audit.record("update", "user", user.id, changes={"active": (user.active, active)})
        user.active = active
        user.save()
    return _info(user)
