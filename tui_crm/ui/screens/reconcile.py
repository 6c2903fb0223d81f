"""Reconciling bank statements (palette "Reconcile bank statement", `r` on the receivables
board): the Norma 43 lines waiting for review, each with what the matcher proposes.

Sure matches come first. Keys: `i` imports a statement file, `A` accepts every sure
match at once (after a question), `a` or enter accepts the highlighted line's proposal,
`c` picks another invoice for it, `s` splits it over several invoices of a client,
`k` skips it (it stays waiting), `g` sets it aside as no client payment, `r` matches
the waiting lines again, `v` shows the accepted or set-aside lines instead. A returned
direct debit, accepted, reverses the payment it undoes. Every change runs in a worker,
through `services.bank`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Header, Static

from ...i18n import N_, _, count_text
from ..base import CrmScreen
from ..dialogs.confirm import ConfirmDialog
from ..dialogs.form import FieldSpec, FormScreen
from ..dialogs.prompt import PromptForm
from ..formatting import date as show_date
from ..formatting import money, rows_text
from ..safe_text import one_line
from ..widgets.footer import Footer
from ..widgets.lazy_table import Column, LazyTable, Row
from ..widgets.line_editor import number_text
from ..widgets.sources import PagedSource

VIEWS = ("pending", "accepted", "ignored", "")
VIEW_LABELS = {
    "pending": N_("waiting for review"),
    "accepted": N_("accepted"),
    "ignored": N_("set aside"),
    "": N_("every line"),
}
CONFIDENCE_STYLES = {"sure": "", "likely": "warning", "ambiguous": "warning", "none": "muted"}
STATEMENT_SUFFIXES = (".n43", ".txt", ".csb", ".aeb", ".q43", ".dat")


def proposal_text(proposal: Any, amount: Decimal | None = None) -> str:
    """What the matcher proposes, in words, with amounts as people read them."""
    from ...money import from_cents, to_cents
    from ...services.bank import CONFIDENCE_LABELS, REASON_LABELS

    reason = _(REASON_LABELS.get(proposal.reason, proposal.reason))
    if proposal.reason == "charge":
        return reason
    if proposal.reason == "return" and proposal.payment_id is not None:
        codes = ", ".join(a[1] for a in proposal.allocations)
        text = _("undo payment {id} of {codes}").format(id=proposal.payment_id, codes=codes)
    elif proposal.allocations:
        whole = amount is not None and len(proposal.allocations) == 1
        parts = [
            a[1] if whole and a[2] == to_cents(amount) else f"{a[1]} {money(from_cents(a[2]))}"
            for a in proposal.allocations[:4]
        ]
        if len(proposal.allocations) > 4:
            parts.append(_("and {n} more").format(n=len(proposal.allocations) - 4))
        text = ", ".join(parts)
    else:
        return proposal.note or _("no match")
    confidence = _(CONFIDENCE_LABELS.get(proposal.confidence, proposal.confidence))
    return f"{text} ({confidence}: {reason})"


def match_label(m: Any) -> str:
    """The line's state in a word: sure, likely, ambiguous, none; a return; or done."""
    from ...services.bank import CONFIDENCE_LABELS, STATUS_LABELS

    if m.status != "pending":
        return _(STATUS_LABELS.get(m.status, m.status))
    if m.kind == "return":
        return _("return")
    return _(CONFIDENCE_LABELS.get(m.confidence, m.confidence))


def movement_row(m: Any) -> Row:
    style = "danger" if m.kind == "return" else CONFIDENCE_STYLES.get(m.confidence, "")
    if m.status != "pending":
        style = "muted"
    return Row(
        key=m.id,
        cells=(
            show_date(m.operation_date),
            money(m.amount),
            match_label(m),
            one_line(m.concept),
            proposal_text(m.proposal, m.amount),
        ),
        style=style,
    )


def movement_source(status: str) -> PagedSource[Any]:
    """Pages of bank lines; the rows read are kept for the detail under the table."""
    from ...services.bank import MovementFilter, count_movements, list_movements

    flt = MovementFilter(status=status)
    return PagedSource.over(count_movements, list_movements, flt, movement_row, remember=True)


def import_text(report: Any) -> str:
    return _(
        "{file}: {n} lines, {new} new, {known} already imported; {accepted} accepted, "
        "{pending} waiting for review"
    ).format(
        file=report.file_name,
        n=count_text(len(report.lines)),
        new=count_text(report.new),
        known=count_text(report.known),
        accepted=count_text(report.accepted),
        pending=count_text(report.pending),
    )


class SplitForm(FormScreen[Any]):
    """Spread a bank line over open invoices of one client: an amount per invoice."""

    def __init__(self, movement: Any, client_name: str, invoices: Sequence[Any], prefill: dict):
        self.movement = movement
        self.invoices = list(invoices)
        initial = {
            f"inv_{i.id}": number_text(prefill[i.id], 2) for i in invoices if i.id in prefill
        }
        super().__init__(
            initial,
            title=_("Bank line of {date}, {amount}: what it pays of {client}").format(
                date=show_date(movement.operation_date),
                amount=money(movement.amount),
                client=one_line(client_name),
            ),
        )

    def fields(self) -> Sequence[FieldSpec]:
        return [
            FieldSpec(
                f"inv_{i.id}",
                _("{code} · due {due} · owes {amount}").format(
                    code=i.code,
                    due=show_date(i.due_date) if i.due_date else "—",
                    amount=money(i.outstanding),
                ),
                "money",
            )
            for i in self.invoices
        ]

    def on_mount(self) -> None:
        super().on_mount()
        if not self.invoices:
            self.notify(_("This client owes nothing."), severity="warning")

    def save(self, values: dict[str, Any]) -> Any:
        from ...services import bank
        from ...services.errors import RuleViolation, ValidationError
        from ...services.records import read_amount

        errors: dict[str, str] = {}
        allocations = []
        for invoice in self.invoices:
            key = f"inv_{invoice.id}"
            if not str(values.get(key) or "").strip():
                continue
            try:
                allocations.append((invoice.id, read_amount(values[key], key)))
            except ValidationError as exc:
                errors.update(exc.errors)
        if errors:
            raise ValidationError(errors)
        if not allocations:
            raise ValidationError({f"inv_{self.invoices[0].id}": _("type what it pays")})
        try:
            return bank.accept_movement(self.movement.id, allocations)
        except (RuleViolation, ValidationError) as exc:
            first = f"inv_{allocations[0][0]}"
            raise ValidationError({first: str(exc)}) from None


class ReconcileScreen(CrmScreen[None]):
    """Bank lines waiting for review, with their proposed matches (see the module doc)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back"), id="back"),
        Binding("i", "import_statement", _("Import"), id="import"),
        Binding("A", "accept_sure", _("Accept sure"), key_display="A", id="accept_sure"),
        Binding("a", "accept", _("Accept"), id="accept"),
        Binding("c", "choose", _("Other invoice"), id="choose"),
        Binding("s", "split", _("Split"), id="split"),
        Binding("k", "skip", _("Skip"), id="skip"),
        Binding("g", "set_aside", _("Set aside"), id="set_aside"),
        Binding("r", "rematch", _("Match again"), id="rematch"),
        Binding("v", "cycle_view", _("View"), id="view"),
        Binding("ctrl+r", "reload", _("Reload"), show=False, id="reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view = "pending"
        self.source = movement_source(self.view)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Content(_("Reading the bank lines…")), id="rc-summary")
        yield Static("", id="rc-filters")
        yield LazyTable(
            [
                Column("date", _("Date"), 10, min_width=10),
                Column("amount", _("Amount"), 13, align="right", min_width=10),
                Column("match", _("Match"), 9, min_width=8),
                Column("concept", _("Bank text"), 30, flex=True, min_width=14),
                Column("proposal", _("Proposed match"), 44, min_width=16, priority=1),
            ],
            self.source,
            empty_text=_("No bank line is waiting: i imports a statement."),
            id="rc-table",
        )
        yield Static("", id="rc-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Reconcile bank statement")
        self._show_filters()
        self.table.focus()
        self._load_summary()

    @property
    def table(self) -> LazyTable:
        return self.query_one("#rc-table", LazyTable)

    def _show_filters(self) -> None:
        parts = [_(VIEW_LABELS[self.view])]
        if not self.table.is_loading:
            parts.append(rows_text(self.table.row_count))
        self.query_one("#rc-filters", Static).update(Content(" · ".join(parts)))

    def _load_summary(self) -> None:
        from ...services.bank import MovementFilter, count_movements, count_sure

        def counts() -> tuple[int, int]:
            return count_movements(MovementFilter(status="pending")), count_sure()

        def show(found: tuple[int, int]) -> None:
            waiting, sure = found
            text = _(
                "{waiting} bank lines waiting for review; {sure} sure matches (A accepts them)"
            )
            self.query_one("#rc-summary", Static).update(
                Content(text.format(waiting=count_text(waiting), sure=count_text(sure)))
            )

        self.run_service(counts, show, group="rc-summary", exclusive=True)

    @on(LazyTable.RowHighlighted, "#rc-table")
    def _highlighted(self, event: LazyTable.RowHighlighted) -> None:
        self._show_filters()
        movement = self.source.item(event.row_key)
        detail = self.query_one("#rc-detail", Static)
        if movement is None:
            detail.update("")
            return
        lines = [
            f"{show_date(movement.operation_date)}  {money(movement.amount)}  "
            + one_line(movement.concept),
            "→ " + proposal_text(movement.proposal, movement.amount),
        ]
        if movement.proposal.client_name:
            lines.append(_("Client: {name}").format(name=one_line(movement.proposal.client_name)))
        if movement.proposal.note and movement.proposal.allocations:
            lines.append(one_line(movement.proposal.note))
        if movement.status != "pending":
            lines.append(
                _("{status} by {user}").format(
                    status=_(VIEW_LABELS.get(movement.status, movement.status)),
                    user=movement.resolved_by or "?",
                )
            )
        detail.update(Content("\n".join(lines)))

    @on(LazyTable.Loaded, "#rc-table")
    def _loaded(self) -> None:
        self._show_filters()
        if self.table.row_count == 0:
            self.query_one("#rc-detail", Static).update("")

    @on(LazyTable.RowSelected, "#rc-table")
    def _selected(self) -> None:
        self.action_accept()

    @on(LazyTable.LoadFailed)
    def _load_failed(self, event: LazyTable.LoadFailed) -> None:
        self.notify(
            _("Could not read the bank lines: {error}").format(error=event.error),
            severity="error",
            markup=False,
        )

    def _current(self) -> Any:
        movement = self.source.item(self.table.selected_key)
        if movement is None:
            self.nothing_selected()
            return None
        if movement.status != "pending":
            self.notify(_("This line is no longer waiting."), severity="warning")
            return None
        return movement

    def _current_credit(self) -> Any:
        """The line under the cursor when it is money in (only that pays invoices)."""
        movement = self._current()
        if movement is not None and movement.kind != "credit":
            self.notify(_("Only money in pays invoices."), severity="warning")
            return None
        return movement

    def action_reload(self) -> None:
        self.table.refresh_rows()
        self._load_summary()

    def _changed(self, _result: Any = None) -> None:
        self.action_reload()

    def action_back(self) -> None:
        self.dismiss(None)

    # --- importing --------------------------------------------------------------------

    def action_import_statement(self) -> None:
        from ...services import bank

        def submit(values: dict[str, Any]) -> Any:
            from pathlib import Path

            from ...services.errors import ValidationError

            text = str(values.get("path") or "").strip()
            if not text:
                raise ValidationError({"path": _("type the statement's file name")})
            try:
                return bank.import_statement(
                    Path(text).expanduser(), accept_sure=bool(values.get("accept_sure"))
                )
            except bank.StatementError as exc:
                raise ValidationError({"path": str(exc)}) from None

        def done(report: Any) -> None:
            if report is not None:
                self.notify(import_text(report), timeout=10, markup=False)
                self.action_reload()

        self.app.push_screen(
            PromptForm(
                _("Import a Norma 43 bank statement"),
                [
                    FieldSpec(
                        "path", _("File"), "path", required=True, suffixes=STATEMENT_SUFFIXES
                    ),
                    FieldSpec("accept_sure", _("Accept the sure matches now"), "bool"),
                ],
                submit,
                {"path": "~/", "accept_sure": False},
                hint=_(
                    "→ completes the path. Lines already imported are skipped: nothing is "
                    "ever paid twice."
                ),
            ),
            done,
        )

    # --- accepting --------------------------------------------------------------------

    def action_accept_sure(self) -> None:
        from ...services import bank

        def counted(sure: int) -> None:
            if not sure:
                self.notify(_("No sure match is waiting."), severity="warning")
                return

            def answer(ok: bool | None) -> None:
                if ok:
                    self.run_service(bank.accept_all_sure, self._accepted_sure)

            self.app.push_screen(
                ConfirmDialog(
                    _("Accept the {n} sure matches? Each becomes a payment.").format(
                        n=count_text(sure)
                    ),
                    yes=_("Accept"),
                ),
                answer,
            )

        self.run_service(bank.count_sure, counted)

    def _accepted_sure(self, result: Any) -> None:
        message = _("{n} lines accepted.").format(n=count_text(result.accepted))
        if result.refused:
            message += " " + _("{n} refused: their reason is on the line.").format(
                n=count_text(len(result.refused))
            )
        self.notify(message, severity="warning" if result.refused else "information")
        self.action_reload()

    def action_accept(self) -> None:
        movement = self._current()
        if movement is not None:
            self._accept(movement)

    def _accept(self, movement: Any, allocations: list[tuple[int, Decimal]] | None = None) -> None:
        """Accept the line (the matcher's proposal, or `allocations`): it becomes a payment."""
        from ...services import bank

        self.run_service(
            lambda: bank.accept_movement(movement.id, allocations),
            self._changed,
            done=_("Accepted."),
            refusal_title=_("Not accepted"),
        )

    def action_choose(self) -> None:
        from ...services import bank

        movement = self._current_credit()
        if movement is None:
            return

        def listed(candidates: list[tuple]) -> None:
            from ..dialogs.choice import ChoicePrompt

            options: list[tuple[str, Any]] = [
                (
                    _("{code} · {client} · owes {amount}").format(
                        code=code, client=client, amount=money(owed)
                    ),
                    (invoice_id, client_id, owed),
                )
                for invoice_id, code, client_id, client, owed in candidates
            ]
            options.append((_("Another client's invoices…"), "client"))

            def chosen(value: Any) -> None:
                if value == "client":
                    self._pick_client_then_split(movement)
                elif value is not None:
                    invoice_id, client_id, owed = value
                    if movement.amount <= owed:
                        self._accept(movement, [(invoice_id, movement.amount)])
                    else:
                        self._split(movement, client_id, {invoice_id: owed})

            self.app.push_screen(
                ChoicePrompt(
                    _("Which invoice does {amount} pay?").format(amount=money(movement.amount)),
                    options,
                ),
                chosen,
            )

        self.run_service(lambda: bank.candidate_invoices(movement.id), listed)

    def action_split(self) -> None:
        movement = self._current_credit()
        if movement is None:
            return
        proposal = movement.proposal
        if proposal.client_id is None:
            self._pick_client_then_split(movement)
            return
        from ...money import from_cents

        self._split(
            movement,
            proposal.client_id,
            {a[0]: from_cents(a[2]) for a in proposal.allocations},
        )

    def _pick_client_then_split(self, movement: Any) -> None:
        from ..dialogs.client_picker import ClientPicker

        def chosen(client_id: int | None) -> None:
            if client_id is not None:
                self._split(movement, client_id, {})

        self.app.push_screen(ClientPicker(_("Whose invoices does the line pay?")), chosen)

    def _split(self, movement: Any, client_id: int, prefill: dict[int, Decimal]) -> None:
        from ...services import clients, payments

        def loaded(found: tuple[str, list[Any]]) -> None:
            name, invoices = found
            if not invoices:
                self.notify(_("This client owes nothing."), severity="warning")
                return
            self.app.push_screen(SplitForm(movement, name, invoices, prefill), self._split_done)

        def read() -> tuple[str, list[Any]]:
            name = clients.get_client(client_id).data.legal_name
            return name, payments.open_invoices(client_id)

        self.run_service(read, loaded)

    def _split_done(self, result: Any) -> None:
        if result is not None:
            self.notify(_("Accepted."))
            self.action_reload()

    def action_skip(self) -> None:
        self.table.move_cursor(self.table.cursor_index + 1)

    def action_set_aside(self) -> None:
        from ...services import bank

        movement = self._current()
        if movement is None:
            return

        def submit(values: dict[str, Any]) -> int:
            bank.ignore_movement(movement.id, str(values.get("reason") or ""))
            return movement.id

        self.app.push_screen(
            PromptForm(
                _("Set aside the bank line of {amount}").format(amount=money(movement.amount)),
                [FieldSpec("reason", _("Why (a loan, interest, a refund…)"), max_length=200)],
                submit,
                hint=_("It is no client payment: it leaves the review and pays nothing."),
            ),
            lambda done: done is not None and self._changed(),
        )

    def action_rematch(self) -> None:
        from ...services import bank

        def matched(changed: int) -> None:
            self.notify(
                _("{n} proposals changed.").format(n=count_text(changed)),
            )
            self.action_reload()

        self.run_service(bank.rematch_pending, matched)

    def action_cycle_view(self) -> None:
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]
        self.source = movement_source(self.view)
        self.table.set_source(self.source)
        self._show_filters()
