"""Direct-debit mandates (palette "Direct-debit mandates", `m` on the remittance screen):
every client's signed SEPA mandate. `n` records one (choose the client first), `e` or
enter edits one, `r` revokes it or makes it active again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Header, Static

from ...i18n import _
from ..base import CrmScreen
from ..dialogs.form import FieldSpec, FormScreen
from ..formatting import date as show_date
from ..formatting import rows_text
from ..safe_text import one_line
from ..widgets.footer import Footer
from ..widgets.lazy_table import Column, LazyTable, Row
from ..widgets.sources import PagedSource


def mandate_row(m: Any) -> Row:
    return Row(
        key=m.id,
        cells=(
            m.reference,
            one_line(m.client_name),
            show_date(m.signed_on),
            m.iban_text,
            m.scheme,
            m.sequence,
            show_date(m.last_collected_on),
            "" if m.active else _("revoked"),
        ),
        style="" if m.active else "muted",
    )


def mandate_source() -> PagedSource[Any]:
    from ...services import sepa

    return PagedSource(
        lambda: sepa.count_mandates(),
        lambda offset, limit: sepa.list_mandates(None, offset, limit),
        mandate_row,
    )


class MandateForm(FormScreen[int]):
    """A client's mandate; the service checks the reference, the IBAN and the dates."""

    def __init__(
        self,
        client_id: int,
        client_name: str,
        initial: dict[str, Any],
        mandate_id: int | None = None,
        version: int | None = None,
    ):
        super().__init__(
            initial,
            title=(
                _("New mandate of {client}") if mandate_id is None else _("Mandate of {client}")
            ).format(client=one_line(client_name)),
        )
        self.client_id = client_id
        self.mandate_id = mandate_id
        self.version = version

    def fields(self) -> Sequence[FieldSpec]:
        return [
            FieldSpec("reference", _("Reference"), required=True, max_length=35),
            FieldSpec("signed_on", _("Signed on"), "date", required=True),
            FieldSpec("iban", _("Debtor's IBAN"), required=True, max_length=42),
            FieldSpec("bic", _("BIC (optional)"), max_length=11),
            FieldSpec(
                "scheme",
                _("Scheme"),
                "select",
                choices=[(_("CORE (anyone)"), "CORE"), (_("B2B (businesses)"), "B2B")],
            ),
            FieldSpec(
                "sequence",
                _("Next collection"),
                "select",
                choices=[(_("first (FRST)"), "FRST"), (_("recurrent (RCUR)"), "RCUR")],
            ),
            FieldSpec("active", _("Active (collected in remittances)"), "bool"),
        ]

    @staticmethod
    def values_of(m: Any) -> dict[str, Any]:
        return {
            "reference": m.reference,
            "signed_on": m.signed_on.isoformat(),
            "iban": m.iban_text,
            "bic": m.bic,
            "scheme": m.scheme,
            "sequence": m.sequence,
            "active": m.active,
        }

    def save(self, values: dict[str, Any]) -> int:
        from ...services import sepa
        from ...services.records import read_date

        signed = read_date(values["signed_on"], "signed_on", required=True)
        data = sepa.MandateInput(
            client_id=self.client_id,
            reference=values["reference"],
            signed_on=signed,
            iban=values["iban"],
            bic=values["bic"],
            scheme=values["scheme"] or "CORE",
            sequence=values["sequence"] or "FRST",
            active=bool(values["active"]),
        )
        if self.mandate_id is None:
            return sepa.create_mandate(data)
        assert self.version is not None
        self.version = sepa.update_mandate(self.mandate_id, data, self.version)
        return self.mandate_id

    def reload(self) -> dict[str, Any] | None:
        from ...services import sepa

        if self.mandate_id is None:
            return None
        mandate = sepa.get_mandate(self.mandate_id)
        self.version = mandate.version
        return self.values_of(mandate)


class MandatesScreen(CrmScreen[None]):
    """Every direct-debit mandate, active first, by client."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back"), id="back"),
        Binding("n", "new", _("New"), id="new"),
        Binding("e", "edit", _("Edit"), id="edit"),
        Binding("r", "revoke", _("Revoke/restore"), id="revoke"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="mandates-filters")
        yield LazyTable(
            [
                Column("reference", _("Reference"), 16, min_width=8),
                Column("client", _("Client"), 24, flex=True, min_width=12),
                Column("signed", _("Signed"), 10, min_width=10, priority=3),
                Column("iban", _("IBAN"), 29, min_width=12, priority=1),
                Column("scheme", _("Scheme"), 6, min_width=4, priority=4),
                Column("sequence", _("Next"), 5, min_width=4),
                Column("last", _("Last collected"), 10, min_width=10, priority=2),
                Column("state", _("State"), 8, min_width=7),
            ],
            mandate_source(),
            empty_text=_("No mandate yet: n records a client's signed mandate."),
            id="mandates-table",
        )
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Direct-debit mandates")
        self.table.focus()

    @property
    def table(self) -> LazyTable:
        return self.query_one("#mandates-table", LazyTable)

    @on(LazyTable.Loaded, "#mandates-table")
    def _loaded(self) -> None:
        self.query_one("#mandates-filters", Static).update(Content(rows_text(self.table.row_count)))

    @on(LazyTable.RowSelected, "#mandates-table")
    def _open(self) -> None:
        self.action_edit()

    def _saved(self, mandate_id: int | None) -> None:
        if mandate_id is not None:
            self.notify(_("Saved."))
            self.table.refresh_rows()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_new(self) -> None:
        from ...services import clients
        from ..dialogs.client_picker import ClientPicker

        def chosen(client_id: int | None) -> None:
            if client_id is None:
                return

            def loaded(data: Any) -> None:
                initial = {
                    "signed_on": dt.date.today().isoformat(),
                    "iban": data.iban,
                    "scheme": "CORE",
                    "sequence": "FRST",
                    "active": True,
                }
                self.app.push_screen(MandateForm(client_id, data.legal_name, initial), self._saved)

            self.run_service(lambda: clients.get_client(client_id).data, loaded)

        self.app.push_screen(ClientPicker(_("Mandate of which client?")), chosen)

    def action_edit(self) -> None:
        from ...services import sepa

        key = self.table.selected_key
        if key is None:
            self.nothing_selected()
            return
        mandate_id = int(key)

        def loaded(m: Any) -> None:
            self.app.push_screen(
                MandateForm(m.client_id, m.client_name, MandateForm.values_of(m), m.id, m.version),
                self._saved,
            )

        self.run_service(lambda: sepa.get_mandate(mandate_id), loaded)

    def action_revoke(self) -> None:
        from ...services import sepa

        key = self.table.selected_key
        if key is None:
            self.nothing_selected()
            return
        mandate_id = int(key)

        def toggle() -> bool:
            mandate = sepa.get_mandate(mandate_id)
            sepa.set_mandate_active(mandate_id, not mandate.active)
            return not mandate.active

        def done(active: bool) -> None:
            self.notify(_("Active again.") if active else _("Revoked."))
            self.table.refresh_rows()

        self.run_service(toggle, done)
