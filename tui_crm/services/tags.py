"""Tags on clients ("vip", "madrid", "feria 2026"): free words, created on first use.

Rules: a tag name is trimmed, at most 60 characters, without commas (the forms
type tags as a comma-separated list); tags compare case-insensitively, so "VIP"
and "vip" are the same tag (the first spelling wins). Setting a client's tags
replaces them all, audited under the client.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..db import execute, transactional
from ..i18n import _
from ..models import ClientTag, Tag
from ..text import clean_input, fold
from . import audit
from .errors import NotFound, ValidationError
from .permissions import require
from .records import live_client


def parse_tags(text: str | Iterable[str]) -> list[str]:
    """Tag names from "vip, madrid" (or a list): cleaned, without duplicates, in order."""
    items = text.split(",") if isinstance(text, str) else list(text)
    names: list[str] = []
    seen: set[str] = set()
    for item in items:
        name = " ".join(clean_input(str(item)).split())
        if name and fold(name) not in seen:
            seen.add(fold(name))
            names.append(name)
    return names


def check_tags(names: list[str]) -> list[str]:
    """The names, or ValidationError on the "tags" field saying which one is wrong."""
    for name in names:
        if len(name) > 60:
            raise ValidationError(
                {"tags": _("{tag} is longer than {n} characters").format(tag=name[:20], n=60)}
            )
    return names


def all_tags() -> list[str]:
    """Every tag name, alphabetically (for completion and the browser's tag filter)."""
    return sorted((t.name for t in Tag.select(Tag.name)), key=fold)


def tags_of(client_id: int) -> list[str]:
    query = execute(
        "SELECT t.name FROM tag t JOIN client_tag ct ON ct.tag_id = t.id WHERE ct.client_id = ?",
        (client_id,),
    )
    return sorted((name for (name,) in query), key=fold)


def _tag_id(name: str) -> int:
    folded = fold(name)
    for tag in Tag.select(Tag.id, Tag.name):
        if fold(tag.name) == folded:
            return tag.id
    return Tag.create(name=name).id


def write_tags(client_id: int, names: list[str]) -> tuple[list[str], list[str]] | None:
    """Replace the client's tags (inside the caller's transaction); returns (before, after)."""
    before = tags_of(client_id)
    wanted = {_tag_id(name) for name in names}
    ClientTag.delete().where(
        (ClientTag.client == client_id) & (ClientTag.tag.not_in(wanted) if wanted else True)
    ).execute()
    for tag_id in wanted:
        ClientTag.insert(client=client_id, tag=tag_id).on_conflict_ignore().execute()
    after = tags_of(client_id)
    return None if before == after else (before, after)


@transactional
def set_tags(client_id: int, names: str | Iterable[str]) -> list[str]:
    """Give a client exactly these tags (creating new ones); returns the tags it now has."""
    require("clients.write")
    client = live_client(client_id)
    change = write_tags(client_id, check_tags(parse_tags(names)))
    if change:
        audit.record(
            "update",
            "client",
            client_id,
            client_id=client_id,
            changes={"tags": (", ".join(change[0]), ", ".join(change[1]))},
            summary=client.legal_name,
        )
    return tags_of(client_id)


@transactional
def delete_tag(name: str) -> int:
    """Remove a tag from every client; returns how many clients had it."""
    require("clients.write")
    tag = Tag.get_or_none(Tag.name == name)
    if tag is None:
        raise NotFound(_("tag {name} does not exist").format(name=name))
    count = ClientTag.select().where(ClientTag.tag == tag.id).count()
    Tag.delete().where(Tag.id == tag.id).execute()
    audit.record("delete", "tag", tag.id, changes={"name": (name, None)}, summary=name)
    return count
