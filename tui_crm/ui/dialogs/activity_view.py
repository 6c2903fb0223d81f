"""One timeline entry in full (a 10,000-character note scrolls); e edit, d done."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from ...i18n import _
from ..formatting import date as show_date
from ..formatting import local_datetime
from ..safe_text import lines, one_line


class ActivityView(ModalScreen[str]):
    """One timeline entry in full (a 10,000-character note scrolls); e edit, d done."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "choose('close')", _("Close"), id="close"),
        Binding("e", "choose('edit')", _("Edit"), id="edit"),
        Binding("d", "choose('done')", _("Done / reopen"), id="done"),
    ]

    def __init__(self, row: Any):
        super().__init__(classes="dialog-screen")
        self.row = row

    def compose(self) -> ComposeResult:
        from ...services.timeline import KIND_LABELS

        r = self.row
        facts = [
            f"{_(KIND_LABELS.get(r.kind, r.kind))} · {local_datetime(r.occurred_at)} · {r.author}",
        ]
        if r.contact_name:
            facts.append(_("Contact: {name}").format(name=one_line(r.contact_name)))
        if r.project_name:
            facts.append(_("Project: {name}").format(name=one_line(r.project_name)))
        if r.due_date:
            state = (
                _("done {when}").format(when=local_datetime(r.done_at)) if r.done_at else _("open")
            )
            facts.append(
                _("Follow up on {date} ({state})").format(date=show_date(r.due_date), state=state)
            )
        elif r.done_at:
            facts.append(_("Done {when}").format(when=local_datetime(r.done_at)))
        if r.outcome:
            facts.append(_("Outcome: {text}").format(text=one_line(r.outcome)))
        with Vertical(classes="dialog activity-view"):
            yield Static(Content(one_line(r.title) or _("(no subject)")), classes="form-title")
            yield Static(Content("\n".join(facts)), classes="dialog-details")
            with VerticalScroll(classes="activity-body", id="activity-body"):
                yield Static(Content(lines(r.body)), id="activity-text")
            yield Static(Content(_("e edit · d done/reopen · escape close")), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#activity-body").focus()

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)
