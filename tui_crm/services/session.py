"""Who is acting, in this process. Each person runs their own process (DESIGN §3)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    login: str
    role: str = "admin"


_actor = Actor(login="system", role="admin")


def set_actor(actor: Actor) -> None:
    global _actor
    _actor = actor


def actor() -> Actor:
    return _actor


def login() -> str:
    return _actor.login
