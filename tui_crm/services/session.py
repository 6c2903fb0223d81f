"""Who is acting, in this process. Each person runs their own process, as the login of
its real user id.

`login` is whom the process acts as; `real_login` is the person at the keyboard (the
process's own login), different only when an admin acts as someone else (`--user`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    login: str
    role: str = "admin"
    real_login: str = ""  # "" = login

    @property
    def really(self) -> str:
        """The person at the keyboard."""
        return self.real_login or self.login


_actor = Actor(login="system", role="admin")


def set_actor(actor: Actor) -> None:
    global _actor
    _actor = actor


def actor() -> Actor:
    return _actor


def login() -> str:
    return _actor.login
