"""The VERI*FACTU screen: the records waiting to be sent to AEAT and those AEAT refused.

`enter` opens the record's invoice; `s` corrects a refused record (a subsanación, or the
anulación again: `services.verifactu.correct_record`), optionally with another exemption
code; `S` sends what waits now (the app's sender, `ui.verifactu_sending`) and reloads once
AEAT has answered; `r` reloads. A record refused and already corrected is not listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import DataTable, Header, Static

from ...i18n import _
from ..base import CrmScreen
from ..dialogs.form import FieldSpec
from ..dialogs.prompt import PromptForm
from ..formatting import date as show_date
from ..widgets.footer import Footer
from ..widgets.lazy_table import sanitize


@dataclass(frozen=True)
class VerifactuOverview:
    """What the screen shows (read in a worker)."""

    enabled: bool
    environment: str
    counts: dict[str, int]
    rows: list[Any]  # services.verifactu.AttentionRow


def load_overview() -> VerifactuOverview:
    from ...services import verifactu

    return VerifactuOverview(
        verifactu.enabled(), verifactu.environment(), verifactu.counts(), verifactu.attention_rows()
    )


def status_text(status: str) -> str:
    from ...services.verifactu import STATUS_LABELS

    return _(STATUS_LABELS.get(status, status))


def correction_form(record_id: int, number: str, record_type: str) -> PromptForm:
    """Ask for what to correct (the exemption code, for an alta) and make the correction."""
    from ...services import verifactu

    def submit(values: dict[str, Any]) -> int:
        code = str(values.get("exemption_code") or "")
        return verifactu.correct_record(
            record_id, exemption_code=None if code in ("", "same") else code
        )

    fields = []
    if record_type == "alta":
        fields.append(
            FieldSpec(
                "exemption_code",
                _("Exemption code"),
                "select",
                choices=[(_("as it is"), "same")]
                + [(_(text), code) for code, text in verifactu.EXEMPTION_LABELS.items()],
            )
        )
    return PromptForm(
        _("Correct the VERI*FACTU record of {number}").format(number=number),
        fields,
        submit,
        {"exemption_code": "same"},
        hint=_(
            "A new record (subsanación) replaces the one AEAT refused and joins the chain; the "
            "refused one stays as it was. A mistake in what the invoice says is corrected with "
            "a rectifying invoice instead. ctrl+s makes the correction."
        ),
    )


class VerifactuScreen(CrmScreen[None]):
    """Pending and refused records, in chain order."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back"), id="back"),
        Binding("enter", "open", _("Open invoice"), id="open"),
        Binding("s", "correct", _("Correct"), id="correct"),
        Binding("S", "send_now", _("Send now"), id="send_now"),
        Binding("r", "reload", _("Reload"), id="reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Content(_("Reading the VERI*FACTU records…")), id="vf-summary")
        yield DataTable(cursor_type="row", id="vf-table")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "VERI*FACTU"
        table = self.query_one(DataTable)
        table.add_column(_("Number"), width=14)
        table.add_column(_("Date"), width=10)
        table.add_column(_("Record"), width=9)
        table.add_column(_("Type"), width=4)
        table.add_column(_("Status"), width=22)
        table.add_column(_("AEAT says"))
        table.focus()
        self.action_reload()

    def action_reload(self) -> None:
        self.run_service(load_overview, self._show)

    def _show(self, overview: VerifactuOverview) -> None:
        self.rows = list(overview.rows)
        counts = overview.counts
        if not overview.enabled:
            summary = _(
                "VERI*FACTU is off: invoices get no record. Turn it on in Settings "
                "(verifactu.enabled) before 1 January 2027 (companies) or 1 July 2027 (others)."
            )
        else:
            summary = _(
                "Environment {environment} · {pending} pending, {accepted} accepted, "
                "{errors} accepted with errors, {rejected} rejected. Below: what waits and "
                "what AEAT refused."
            ).format(
                environment=overview.environment,
                pending=counts.get("pending", 0),
                accepted=counts.get("accepted", 0),
                errors=counts.get("accepted_with_errors", 0),
                rejected=counts.get("rejected", 0),
            )
        self.query_one("#vf-summary", Static).update(Content(summary))
        table = self.query_one(DataTable)
        table.clear()
        for row in self.rows:
            said = " ".join(p for p in (row.error_code, sanitize(row.error)) if p)
            table.add_row(
                Text(row.number),
                Text(show_date(row.issue_date)),
                Text(_("alta") if row.record_type == "alta" else _("anulación")),
                Text(row.invoice_type),
                Text(status_text(row.status), style="bold red" if row.status == "rejected" else ""),
                Text(said),
                key=str(row.record_id),
            )
        if not self.rows:
            self.notify(_("Nothing waits and nothing was refused."))
        self.refresh_bindings()

    def _current(self) -> Any | None:
        table = self.query_one(DataTable)
        index = table.cursor_row if table.row_count else -1
        return self.rows[index] if 0 <= index < len(self.rows) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "correct":
            row = self._current() if self.is_mounted else None
            return row is not None and row.status == "rejected"
        return True

    def on_data_table_row_highlighted(self) -> None:
        self.refresh_bindings()

    def on_data_table_row_selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        row = self._current()
        if row is not None:
            self.crm.open_invoice(row.invoice_id)

    def action_correct(self) -> None:
        row = self._current()
        if row is None or row.status != "rejected":
            self.notify(_("Only a record AEAT rejected is corrected here."), severity="warning")
            return

        def done(result: Any) -> None:
            if result is not None:
                self.notify(_("Correction recorded; it waits to be sent."))
                self.action_reload()

        self.app.push_screen(correction_form(row.record_id, row.number, row.record_type), done)

    def action_send_now(self) -> None:
        def reload() -> None:
            if self.is_attached:  # still open once AEAT has answered
                self.action_reload()

        self.crm.send_verifactu_now(then=reload)

    def action_back(self) -> None:
        self.app.pop_screen()
