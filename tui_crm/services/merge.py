"""Merging duplicate clients: one record absorbs the other, in one transaction.

Rules:
- the person picks the record that stays (the survivor) and sees what will move
  before confirming (`merge_preview`);
- contacts, addresses, timeline, documents, projects, opportunities, quotes,
  orders, invoices, payments, recurring invoices, tags and custom values move to
  the survivor; issued invoices keep the fiscal snapshot they were issued with
  (only their owner changes);
- the survivor keeps its own data; fields it lacks (trade name, tax ID, email,
  phones, website, IBAN, owner) are filled from the absorbed record, notes are
  appended, a lead absorbing a client becomes a client; its running figures add up;
- addresses that arrive do not take over defaults the survivor already has;
  custom values the survivor already has win;
- the absorbed record stays as status "merged" with `merged_into` set, hidden
  from every list and search; records merged into it earlier now point at the
  survivor;
- all of it is one transaction with an audit record on both clients.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..db import execute, transactional
from ..i18n import N_, _, count_text, ngettext
from ..models import Address, Client, User
from ..models.base import utcnow
from . import audit, search
from .errors import RuleViolation
from .permissions import require
from .records import live_client
from .session import login

# (table, how many of them read) of everything that moves with a plain UPDATE of client_id.
MOVED_TABLES: tuple[tuple[str, Callable[[int], str]], ...] = (
    ("contact", lambda n: ngettext("{n} contact", "{n} contacts", n)),
    ("address", lambda n: ngettext("{n} address", "{n} addresses", n)),
    ("activity", lambda n: ngettext("{n} timeline entry", "{n} timeline entries", n)),
    ("document", lambda n: ngettext("{n} document", "{n} documents", n)),
    ("project", lambda n: ngettext("{n} project", "{n} projects", n)),
    ("opportunity", lambda n: ngettext("{n} opportunity", "{n} opportunities", n)),
    ("quote", lambda n: ngettext("{n} quote", "{n} quotes", n)),
    ("sales_order", lambda n: ngettext("{n} order", "{n} orders", n)),
    ("invoice", lambda n: ngettext("{n} invoice", "{n} invoices", n)),
    ("payment", lambda n: ngettext("{n} payment", "{n} payments", n)),
    ("recurring_invoice", lambda n: ngettext("{n} recurring invoice", "{n} recurring invoices", n)),
)
FILLED_FIELDS = (
    ("trade_name", N_("trade name")),
    ("tax_id", N_("tax ID")),
    ("email", N_("email")),
    ("phone", N_("phone")),
    ("mobile", N_("mobile")),
    ("fax", N_("fax")),
    ("website", N_("website")),
    ("iban", N_("IBAN")),
)


@dataclass(frozen=True)
class MergePreview:
    survivor_id: int
    survivor_name: str
    absorbed_id: int
    absorbed_name: str
    moves: dict[str, int] = field(default_factory=dict)  # table -> rows that move
    tags: int = 0  # tags the survivor gains
    custom_values: int = 0  # custom values the survivor gains
    filled: dict[str, str] = field(default_factory=dict)  # survivor field -> value it gets
    becomes_client: bool = False
    notes_appended: bool = False

    def lines(self) -> list[str]:
        """What will happen, one sentence per line, for the confirmation screen."""
        out = [
            dict(MOVED_TABLES)[table](count).format(n=count_text(count))
            for table, count in self.moves.items()
            if count
        ]
        if self.tags:
            out.append(ngettext("{n} tag", "{n} tags", self.tags).format(n=self.tags))
        if self.custom_values:
            out.append(
                ngettext(
                    "{n} custom field value", "{n} custom field values", self.custom_values
                ).format(n=self.custom_values)
            )
        names = dict(FILLED_FIELDS) | {"owner_login": N_("account owner")}
        for name, value in self.filled.items():
            out.append(
                _("{field} filled in: {value}").format(field=_(names.get(name, name)), value=value)
            )
        if self.notes_appended:
            out.append(_("notes appended"))
        if self.becomes_client:
            out.append(_("the lead becomes a client"))
        return out


def _count(table: str, client_id: int) -> int:
    return int(
        execute(f'SELECT COUNT(*) FROM "{table}" WHERE client_id = ?', (client_id,)).fetchone()[0]
    )


def _new_tags(survivor_id: int, absorbed_id: int) -> int:
    return int(
        execute(
            "SELECT COUNT(*) FROM client_tag WHERE client_id = ? AND tag_id NOT IN "
            "(SELECT tag_id FROM client_tag WHERE client_id = ?)",
            (absorbed_id, survivor_id),
        ).fetchone()[0]
    )


def _new_custom_values(survivor_id: int, absorbed_id: int) -> int:
    return int(
        execute(
            "SELECT COUNT(*) FROM custom_field_value WHERE client_id = ? AND value <> '' "
            "AND field_id NOT IN (SELECT field_id FROM custom_field_value WHERE client_id = ? "
            "AND value <> '')",
            (absorbed_id, survivor_id),
        ).fetchone()[0]
    )


def _owner_login(client: Client) -> str:
    if client.owner_id is None:
        return ""
    user = User.get_or_none(User.id == client.owner_id)
    return user.login if user else ""


def _pair(survivor_id: int, absorbed_id: int) -> tuple[Client, Client]:
    if survivor_id == absorbed_id:
        raise RuleViolation(_("a client cannot be merged with itself"))
    return live_client(survivor_id), live_client(absorbed_id)


def merge_preview(survivor_id: int, absorbed_id: int) -> MergePreview:
    """What `merge_clients(survivor_id, absorbed_id)` would move and change; writes nothing."""
    survivor, absorbed = _pair(survivor_id, absorbed_id)
    filled = {
        name: getattr(absorbed, name)
        for name, _label in FILLED_FIELDS
        if not getattr(survivor, name) and getattr(absorbed, name)
    }
    if survivor.owner_id is None and absorbed.owner_id is not None:
        filled["owner_login"] = _owner_login(absorbed)
    return MergePreview(
        survivor_id=survivor.id,
        survivor_name=survivor.legal_name,
        absorbed_id=absorbed.id,
        absorbed_name=absorbed.legal_name,
        moves={table: _count(table, absorbed.id) for table, _label in MOVED_TABLES},
        tags=_new_tags(survivor.id, absorbed.id),
        custom_values=_new_custom_values(survivor.id, absorbed.id),
        filled=filled,
        becomes_client=survivor.kind == "lead" and absorbed.kind == "client",
        notes_appended=bool(absorbed.notes.strip()),
    )


@transactional
def merge_clients(survivor_id: int, absorbed_id: int) -> MergePreview:
    """Move everything of `absorbed_id` to `survivor_id` and hide the absorbed record.

    Returns the preview of what moved (computed inside the same transaction).
    """
    require("clients.merge")
    preview = merge_preview(survivor_id, absorbed_id)
    survivor = Client.get_by_id(survivor_id)
    absorbed = Client.get_by_id(absorbed_id)

    # Addresses arriving do not take over defaults the survivor already has.
    for flag in ("is_invoice_default", "is_delivery_default", "is_quote_default"):
        column = getattr(Address, flag)
        if Address.select().where((Address.client == survivor_id) & column).exists():
            Address.update({column: False}).where(Address.client == absorbed_id).execute()
    for table, _label in MOVED_TABLES:
        execute(
            f'UPDATE "{table}" SET client_id = ? WHERE client_id = ?', (survivor_id, absorbed_id)
        )
    execute(
        "INSERT INTO client_tag (client_id, tag_id) "
        "SELECT ?, tag_id FROM client_tag WHERE client_id = ? ON CONFLICT DO NOTHING",
        (survivor_id, absorbed_id),
    )
    execute("DELETE FROM client_tag WHERE client_id = ?", (absorbed_id,))
    execute("DELETE FROM custom_field_value WHERE client_id = ? AND value = ''", (survivor_id,))
    execute(
        "INSERT INTO custom_field_value (field_id, client_id, value) "
        "SELECT field_id, ?, value FROM custom_field_value WHERE client_id = ? AND value <> '' "
        "ON CONFLICT DO NOTHING",
        (survivor_id, absorbed_id),
    )
    execute("DELETE FROM custom_field_value WHERE client_id = ?", (absorbed_id,))

    values: dict[str, object] = {
        name: value for name, value in preview.filled.items() if name != "owner_login"
    }
    if "tax_id" in values:
        values["tax_id_country"] = absorbed.tax_id_country
        values["tax_id_compact"] = absorbed.tax_id_compact
    if "owner_login" in preview.filled:
        values["owner"] = absorbed.owner_id
    if preview.notes_appended:
        values["notes"] = (
            f"{survivor.notes.rstrip()}\n\n{absorbed.notes.strip()}"
            if survivor.notes.strip()
            else absorbed.notes.strip()
        )
    if preview.becomes_client:
        values["kind"] = "client"
    if absorbed.became_client_at and (
        survivor.became_client_at is None or absorbed.became_client_at < survivor.became_client_at
    ):
        values["became_client_at"] = absorbed.became_client_at
    latest = max(
        (t for t in (survivor.last_activity_at, absorbed.last_activity_at) if t is not None),
        default=None,
    )
    Client.update(
        revenue_total=Client.revenue_total + absorbed.revenue_total,
        outstanding=Client.outstanding + absorbed.outstanding,
        last_activity_at=latest,
        version=Client.version + 1,
        updated_at=utcnow(),
        updated_by=login(),
        **values,
    ).where(Client.id == survivor_id).execute()
    Client.update(
        status="merged",
        merged_into=survivor_id,
        revenue_total=0,
        outstanding=0,
        version=Client.version + 1,
        updated_at=utcnow(),
        updated_by=login(),
    ).where(Client.id == absorbed_id).execute()
    execute(
        "UPDATE client SET merged_into_id = ? WHERE merged_into_id = ? AND id <> ?",
        (survivor_id, absorbed_id, survivor_id),
    )
    search.reindex_client(survivor_id)
    search.reindex_client(absorbed_id)

    moved = {table: count for table, count in preview.moves.items() if count}
    audit.record(
        "merge",
        "client",
        survivor_id,
        client_id=survivor_id,
        changes={"absorbed": (None, absorbed_id)}
        | {f"moved.{table}": (0, count) for table, count in moved.items()}
        | {name: ("", value) for name, value in preview.filled.items()}
        | ({"kind": ("lead", "client")} if preview.becomes_client else {}),
        summary=_("{absorbed} merged into {survivor}").format(
            absorbed=absorbed.legal_name, survivor=survivor.legal_name
        ),
    )
    audit.record(
        "merge",
        "client",
        absorbed_id,
        client_id=absorbed_id,
        changes={"status": (absorbed.status, "merged"), "merged_into": (None, survivor_id)},
        summary=_("{absorbed} merged into {survivor}").format(
            absorbed=absorbed.legal_name, survivor=survivor.legal_name
        ),
    )
    return preview
