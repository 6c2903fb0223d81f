"""SEPA direct-debit remittances (palette "Direct-debit remittance"): the invoices due by a
date of the clients with an active mandate, chosen with space, collected in a pain.008
file for the bank.

Keys: `d` sets the due-by date, the collection date and the scheme (CORE or B2B),
space leaves an invoice out or takes it back in, `a` takes them all or none, `g`
generates the file (asks where; the remittance is recorded with it, all or nothing),
`l` lists the remittances made (choose one waiting for the bank to cancel it), `m`
opens the mandates. Reading and writing run in workers through `services.sepa`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Header, Static

from ...i18n import _, count_text
from ...services.sepa import REMITTANCE_STATUS
from ..base import CrmScreen
from ..dialogs.confirm import ConfirmDialog
from ..dialogs.form import FieldSpec
from ..dialogs.prompt import PromptForm
from ..formatting import date as show_date
from ..formatting import money
from ..safe_text import one_line
from ..widgets.footer import Footer
from ..widgets.lazy_table import Column, LazyTable, Row
from ..widgets.sources import LoadedSource


class RemittanceScreen(CrmScreen[None]):
    """Choose the invoices to collect and write the remittance file (see the module doc)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back"), id="back"),
        Binding("d", "dates", _("Dates"), id="dates"),
        Binding("space", "toggle", _("In/out"), id="toggle"),
        Binding("a", "toggle_all", _("All/none"), id="toggle_all"),
        Binding("g", "generate", _("Generate file"), id="generate"),
        Binding("l", "remittances", _("Remittances"), id="remittances"),
        Binding("m", "mandates", _("Mandates"), id="mandates"),
        Binding("ctrl+r", "reload", _("Reload"), show=False, id="reload"),
    ]

    def __init__(self, due_by: dt.date | None = None) -> None:
        from ...services.sepa import default_collection_date

        super().__init__()
        today = dt.date.today()
        self.due_by = due_by or today + dt.timedelta(days=7)
        self.collect_on = default_collection_date(today)
        self.scheme = "CORE"
        self.found: list[Any] = []  # the collectable invoices read (services.sepa)
        self.left_out: set[int] = set()  # of those, the ones space took out

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="rm-params")
        yield Static(Content(_("Reading the invoices to collect…")), id="rm-summary")
        yield LazyTable(
            [
                Column("in", " ", 1, min_width=1),
                Column("code", _("Number"), 12, min_width=11),
                Column("client", _("Client"), 24, flex=True, min_width=12),
                Column("due", _("Due"), 10, min_width=10),
                Column("amount", _("Amount"), 12, align="right", min_width=10),
                Column("sequence", _("Seq."), 4, min_width=4, priority=2),
                Column("mandate", _("Mandate"), 16, min_width=8, priority=1),
            ],
            LoadedSource.of([], self._row),
            empty_text=_(
                "Nothing to collect: no unpaid invoice due by then belongs to a client with "
                "an active mandate (m manages mandates)."
            ),
            id="rm-table",
        )
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Direct-debit remittance")
        self.table.focus()
        self.action_reload()

    @property
    def table(self) -> LazyTable:
        return self.query_one("#rm-table", LazyTable)

    @property
    def chosen(self) -> list[Any]:
        return [c for c in self.found if c.invoice_id not in self.left_out]

    def _row(self, c: Any) -> Row:
        out = c.invoice_id in self.left_out
        return Row(
            key=c.invoice_id,
            cells=(
                "·" if out else "✓",
                c.code,
                one_line(c.client_name),
                show_date(c.due_date),
                money(c.outstanding),
                c.sequence,
                c.mandate_reference,
            ),
            style="muted" if out else "",
        )

    def _show_params(self) -> None:
        text = _("Due by {due}, collected on {date}, scheme {scheme} · d changes them").format(
            due=show_date(self.due_by), date=show_date(self.collect_on), scheme=self.scheme
        )
        self.query_one("#rm-params", Static).update(Content(text))

    def _show_summary(self) -> None:
        from ...money import ZERO

        chosen = self.chosen

        total = sum((c.outstanding for c in chosen), ZERO)
        first = sum(1 for c in chosen if c.sequence == "FRST")
        text = _(
            "{n} of {all} invoices chosen, {total} ({first} first collections) · g writes the file"
        ).format(
            n=count_text(len(chosen)),
            all=count_text(len(self.found)),
            total=money(total),
            first=count_text(first),
        )
        self.query_one("#rm-summary", Static).update(Content(text))

    def action_reload(self) -> None:
        from ...services import sepa

        self._show_params()
        due_by, scheme = self.due_by, self.scheme

        def loaded(found: list[Any]) -> None:
            self.found, self.left_out = list(found), set()
            self.table.set_source(LoadedSource.of(self.found, self._row))
            self._show_summary()

        self.run_service(lambda: sepa.collectable_invoices(due_by, scheme), loaded)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_toggle(self) -> None:
        key = self.table.selected_key
        if key is None:
            return
        invoice_id = int(key)
        if invoice_id in self.left_out:
            self.left_out.discard(invoice_id)
        else:
            self.left_out.add(invoice_id)
        self.table.refresh_rows()
        self.table.move_cursor(self.table.cursor_index + 1)
        self._show_summary()

    def action_toggle_all(self) -> None:
        if self.left_out:
            self.left_out.clear()
        else:
            self.left_out.update(c.invoice_id for c in self.found)
        self.table.refresh_rows()
        self._show_summary()

    def action_dates(self) -> None:
        from ...services.errors import ValidationError
        from ...services.records import read_date

        def submit(values: dict[str, Any]) -> tuple[dt.date, dt.date, str]:
            errors: dict[str, str] = {}
            due = collect = None
            try:
                due = read_date(values["due_by"], "due_by", required=True)
            except ValidationError as exc:
                errors.update(exc.errors)
            try:
                collect = read_date(values["collect_on"], "collect_on", required=True)
            except ValidationError as exc:
                errors.update(exc.errors)
            if collect is not None and collect <= dt.date.today():
                errors["collect_on"] = _("must be after today")
            if errors:
                raise ValidationError(errors)
            assert due is not None and collect is not None
            return due, collect, values["scheme"] or "CORE"

        def chosen(result: tuple[dt.date, dt.date, str] | None) -> None:
            if result is not None:
                self.due_by, self.collect_on, self.scheme = result
                self.action_reload()

        self.app.push_screen(
            PromptForm(
                _("What to collect, and when"),
                [
                    FieldSpec("due_by", _("Invoices due by"), "date", required=True),
                    FieldSpec("collect_on", _("Collect on"), "date", required=True),
                    FieldSpec(
                        "scheme",
                        _("Scheme"),
                        "select",
                        choices=[(_("CORE (anyone)"), "CORE"), (_("B2B (businesses)"), "B2B")],
                    ),
                ],
                submit,
                {
                    "due_by": self.due_by.isoformat(),
                    "collect_on": self.collect_on.isoformat(),
                    "scheme": self.scheme,
                },
                hint=_("The bank needs the file at least one business day before collecting."),
            ),
            chosen,
        )

    def action_generate(self) -> None:
        from ...services import sepa

        chosen = [c.invoice_id for c in self.chosen]
        if not chosen:
            self.notify(_("No invoice is chosen."), severity="warning")
            return
        due_by, collect_on, scheme = self.due_by, self.collect_on, self.scheme

        def submit(values: dict[str, Any]) -> Any:
            from pathlib import Path

            from ...services.errors import ValidationError

            text = str(values.get("output") or "").strip()
            if not text:
                raise ValidationError({"output": _("type where to write the file")})
            if not text.lower().endswith(".xml"):
                text += ".xml"
            return sepa.create_remittance(
                due_by,
                Path(text).expanduser(),
                collect_on=collect_on,
                scheme=scheme,
                invoice_ids=chosen,
                force=bool(values.get("force")),
            )

        def done(result: Any) -> None:
            if result is None:
                return
            self.notify(
                _("Remittance {id}: {n} direct debits, {total}, written to {path}").format(
                    id=result.id, n=result.count, total=money(result.total), path=result.path
                ),
                timeout=10,
                markup=False,
            )
            self.action_reload()

        self.app.push_screen(
            PromptForm(
                _("Write the remittance file (pain.008)"),
                [
                    FieldSpec("output", _("File"), required=True),
                    FieldSpec("force", _("Replace the file if it exists"), "bool"),
                ],
                submit,
                {"output": f"~/remesa-{dt.date.today().isoformat()}.xml", "force": False},
                hint=_(
                    "Upload it to your bank; its collection becomes payments when a bank "
                    "statement confirms it."
                ),
            ),
            done,
        )

    def action_remittances(self) -> None:
        from ...services import sepa

        def listed(found: list[Any]) -> None:
            from ..dialogs.choice import ChoicePrompt

            options = [
                (
                    _("{id} · {date} · {n} debits · {total} · {status}").format(
                        id=r.id,
                        date=show_date(r.collection_date),
                        n=r.count,
                        total=money(r.total),
                        status=_(REMITTANCE_STATUS.get(r.status, r.status)),
                    ),
                    r,
                )
                for r in found
            ]

            def chosen(remittance: Any) -> None:
                if remittance is None:
                    return
                if remittance.status != "sent":
                    self.notify(
                        _("Remittance {id} is {status}.").format(
                            id=remittance.id,
                            status=_(REMITTANCE_STATUS.get(remittance.status, remittance.status)),
                        )
                    )
                    return
                self._cancel(remittance)

            self.app.push_screen(
                ChoicePrompt(
                    _("Remittances (enter on one waiting for the bank cancels it)"),
                    options,
                    empty=_("No remittance yet."),
                ),
                chosen,
            )

        self.run_service(lambda: sepa.list_remittances(0, 200), listed)

    def _cancel(self, remittance: Any) -> None:
        from ...services import sepa

        def answer(ok: bool | None) -> None:
            if ok:
                self.run_service(
                    lambda: sepa.cancel_remittance(remittance.id),
                    lambda _n: self.action_reload(),
                    done=_("Cancelled."),
                )

        self.app.push_screen(
            ConfirmDialog(
                _(
                    "Cancel remittance {id} ({n} direct debits)? Only if the bank never got "
                    "the file: its invoices can then be collected again."
                ).format(id=remittance.id, n=remittance.count),
                yes=_("Cancel it"),
                no=_("Keep it"),
            ),
            answer,
        )

    def action_mandates(self) -> None:
        from .mandates import MandatesScreen

        self.app.push_screen(MandatesScreen(), lambda _r: self.action_reload())
