"""People and roles. The user is the login name of the process; the first one is admin."""

from __future__ import annotations

from dataclasses import dataclass

from ..db import transactional
from ..i18n import _
from ..models import ROLES, User
from ..models.base import utcnow
from . import audit
from .errors import NotFound, ValidationError
from .permissions import require
from .session import Actor


@dataclass(frozen=True)
class UserInfo:
    id: int
    login: str
    full_name: str
    role: str
    active: bool


def _info(user: User) -> UserInfo:
    return UserInfo(user.id, user.login, user.full_name, user.role, user.active)


@transactional
def register(login: str) -> UserInfo:
    """Find or create the user for this login; the first user of a database becomes admin."""
    user = User.get_or_none(User.login == login)
    if user is None:
        role = "admin" if User.select().count() == 0 else "sales"
        user = User.create(login=login, role=role, last_seen_at=utcnow())
        audit.record(
            "create", "user", user.id, changes={"login": (None, login), "role": (None, role)}
        )
    else:
        User.update(last_seen_at=utcnow()).where(User.id == user.id).execute()
    return _info(user)


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
    if user.role != role:
        audit.record("update", "user", user.id, changes={"role": (user.role, role)})
        user.role = role
        user.save()
    return _info(user)


def list_users() -> list[UserInfo]:
    return [_info(u) for u in User.select().order_by(User.login)]
