"""The client file's Addresses tab: `n`, `e`, `delete`, and `f` makes one the invoice
address."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ....i18n import N_, _
from ...widgets.lazy_table import Column, Row
from ...widgets.sources import LoadedSource
from .base import ListTab

if TYPE_CHECKING:
    from ..client_record_forms import RecordForm


def address_row(a: Any) -> Row:
    d = a.data
    defaults = ", ".join(
        text
        for flag, text in (
            (d.is_invoice_default, _("invoices")),
            (d.is_delivery_default, _("deliveries")),
            (d.is_quote_default, _("quotes")),
        )
        if flag
    )
    return Row(key=a.id, cells=(d.label, a.one_line(), d.contact_name, defaults))


class AddressesTab(ListTab):
    KEY = "addresses"
    ACTIONS = ListTab.ACTIONS | {"make_default"}
    EMPTY = N_("No addresses yet: n adds one.")
    DELETE_QUESTION = N_("Delete the address {what}?")
    NEW_TITLE = N_("New address")
    EDIT_TITLE = N_("Edit address")
    NEW_VALUES: ClassVar[dict[str, Any]] = {"country": "ES"}

    def columns(self) -> list[Column]:
        return [
            Column("label", _("Name"), 16, min_width=8),
            Column("address", _("Address"), 24, flex=True, min_width=16),
            Column("contact", _("Contact"), 16, min_width=8, priority=2),
            Column("defaults", _("Default for"), 22, min_width=10, priority=1),
        ]

    def source(self) -> LoadedSource[Any]:
        from ....services import addresses

        client_id = self.client_id
        return LoadedSource(lambda: addresses.list_addresses(client_id), address_row)

    def form(self) -> type[RecordForm]:
        from ..client_record_forms import AddressForm

        return AddressForm

    def make_default(self) -> None:
        from ....services import addresses

        key = self.selected()
        if key is None:
            return
        self.run_service(
            lambda: addresses.set_default(key, "invoice"),
            lambda _result: self.changed(),
            done=_("Invoices will use this address."),
        )
