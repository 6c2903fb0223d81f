"""The client file's Contacts tab: `n`, `e`, `delete`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ....i18n import N_, _
from ...safe_text import one_line
from ...widgets.lazy_table import Column, Row
from ...widgets.sources import LoadedSource
from .base import ListTab

if TYPE_CHECKING:
    from ..client_record_forms import RecordForm


def contact_row(c: Any) -> Row:
    d = c.data
    return Row(
        key=c.id,
        cells=(
            c.name,
            d.position,
            d.email,
            d.phone or d.mobile,
            _("invoices") if d.is_billing else "",
        ),
    )


class ContactsTab(ListTab):
    KEY = "contacts"
    EMPTY = N_("No contacts yet: n adds one.")
    DELETE_QUESTION = N_("Delete the contact {what}?")
    NEW_TITLE = N_("New contact")

    def columns(self) -> list[Column]:
        return [
            Column("name", _("Name"), 20, flex=True, min_width=12),
            Column("position", _("Position"), 16, min_width=8, priority=2),
            Column("email", _("Email"), 24, min_width=10),
            Column("phone", _("Phone"), 14, min_width=9, priority=1),
            Column("billing", _("Billing"), 9, min_width=7, priority=3),
        ]

    def source(self) -> LoadedSource[Any]:
        from ....services import contacts

        client_id = self.client_id
        return LoadedSource(lambda: contacts.list_contacts(client_id), contact_row)

    def form(self) -> type[RecordForm]:
        from ..client_record_forms import ContactForm

        return ContactForm

    def edit_title(self, row: Any) -> str:
        return _("Edit {name}").format(name=one_line(row.name))
