"""Merging a duplicate: find the other record, pick which one stays, see what moves, confirm."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Input, Static

from ...i18n import _
from ..base import CrmModalScreen
from ..formatting import money
from ..safe_text import one_line
from ..widgets.lazy_table import Column, LazyTable, Row
from ..widgets.sources import LoadedSource
from .confirm import (
    NO_KEYS,
    AnswerButton,
    no_key,
    still_typing,
    swallow_typing,
    typing_state,
    yes_key,
)

SEARCH_LIMIT = 50


def _candidates(client_id: int, text: str) -> list[Any]:
    from ...services.client_list import ClientFilter, list_clients

    rows = list_clients(ClientFilter(text=text, status=""), 0, SEARCH_LIMIT + 1)
    return [r for r in rows if r.id != client_id][:SEARCH_LIMIT]


def _candidate_row(r: Any) -> Row:
    return Row(key=r.id, cells=(r.name, r.tax_id, r.email, r.city, money(r.revenue_total)))


class MergeScreen(CrmModalScreen[int | None]):
    """Step 1: find the duplicate of `client_id`. Dismisses with the surviving client's id."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", _("Cancel"), id="cancel"),
        Binding("down", "to_list", _("To the list"), show=False),
    ]

    def __init__(self, client_id: int, name: str):
        super().__init__(classes="dialog-screen")
        self.client_id = client_id
        self.name_text = name

    def compose(self) -> ComposeResult:
        first_word = next((w for w in self.name_text.split() if len(w) >= 3), "")
        with Vertical(classes="dialog merge-dialog"):
            yield Static(
                Content(_("Merge {name} with…").format(name=one_line(self.name_text))),
                classes="form-title",
            )
            yield Input(
                value=first_word,
                placeholder=_("search the duplicate by name, tax ID, email, phone"),
                compact=True,
                id="merge-search",
            )
            yield LazyTable(
                [
                    Column("name", _("Name"), 26, flex=True, min_width=12),
                    Column("tax_id", _("Tax ID"), 11, min_width=9),
                    Column("email", _("Email"), 18, min_width=8, priority=2),
                    Column("city", _("City"), 10, min_width=6, priority=3),
                    Column("revenue", _("Revenue"), 12, align="right", min_width=12, priority=1),
                ],
                self._source(first_word),
                empty_text=_("No other client matches."),
                id="merge-candidates",
            )
            yield Static(
                Content(_("type to search · ↓ to the list · enter choose · escape cancel")),
                classes="dialog-hint",
            )

    def _source(self, text: str) -> LoadedSource:
        return LoadedSource(lambda: _candidates(self.client_id, text), _candidate_row)

    def on_mount(self) -> None:
        self.query_one("#merge-search", Input).focus()

    @on(Input.Changed, "#merge-search")
    def _search(self, event: Input.Changed) -> None:
        self.query_one("#merge-candidates", LazyTable).set_source(self._source(event.value))

    @on(Input.Submitted, "#merge-search")
    def action_to_list(self) -> None:
        self.query_one("#merge-candidates", LazyTable).focus()

    @on(LazyTable.RowSelected, "#merge-candidates")
    def _chosen(self, event: LazyTable.RowSelected) -> None:
        other = int(event.row_key)

        def confirmed(survivor: int | None) -> None:
            if survivor is not None:
                self.dismiss(survivor)

        self.app.push_screen(MergeConfirm(self.client_id, other), confirmed)

    def action_cancel(self) -> None:
        self.dismiss(None)


class MergeConfirm(CrmModalScreen[int | None]):
    """Step 2: which record stays (x swaps), what will move; the yes letter (y, in Spanish
    s) merges in one transaction, n or escape cancel. Like every confirmation it takes only
    its own keys: what a person was typing when it appeared is swallowed, and no button
    holds the focus for an enter or a space to press."""

    def __init__(self, survivor_id: int, absorbed_id: int):
        super().__init__(classes="dialog-screen")
        self.survivor_id = survivor_id
        self.absorbed_id = absorbed_id
        self.preview: Any = None
        self._busy = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog merge-dialog"):
            yield Static(Content(_("Merge duplicates")), classes="form-title")
            yield Static(
                Content(_("Reading what would move…")), id="merge-who", classes="dialog-text"
            )
            with VerticalScroll(id="merge-moves-box"):
                yield Static("", id="merge-moves", classes="dialog-details")
            yield Static(
                Content(
                    _(
                        "The record that stays absorbs everything; the other is kept as merged "
                        "and hidden. Issued invoices keep the data they were issued with."
                    )
                ),
                classes="dialog-hint",
            )
            with Horizontal(classes="dialog-buttons"):
                yield AnswerButton(
                    _("Merge ({key})").format(key=yes_key()), id="merge-yes", variant="warning"
                )
                yield AnswerButton(_("Swap (x)"), id="merge-swap")
                yield AnswerButton(_("Cancel ({key}/esc)").format(key=no_key()), id="merge-no")

    def on_mount(self) -> None:
        self.set_focus(None)
        self._typing, self._last_key = typing_state(self.app)
        self._load_preview()

    def on_key(self, event: events.Key) -> None:
        self._typing, self._last_key = still_typing(self._typing, self._last_key)
        if event.key == yes_key() and not self._typing:
            self.action_merge()
        elif event.key == "x":
            self.action_swap()
        elif event.key in (no_key(), *NO_KEYS):
            self.action_cancel()
        swallow_typing(event)

    def _load_preview(self) -> None:
        from ...services.merge import merge_preview

        survivor, absorbed = self.survivor_id, self.absorbed_id
        self.run_service(
            lambda: merge_preview(survivor, absorbed),
            self._show,
            group="merge-preview",
            exclusive=True,
        )

    def _show(self, preview: Any) -> None:
        self.preview = preview
        self.query_one("#merge-who", Static).update(
            Content(
                _("{survivor} stays and absorbs {absorbed}.").format(
                    survivor=one_line(preview.survivor_name),
                    absorbed=one_line(preview.absorbed_name),
                )
            )
        )
        moves = preview.lines() or [_("Nothing but the record itself moves.")]
        self.query_one("#merge-moves", Static).update(
            Content(_("What moves:") + "\n" + "\n".join("  • " + one_line(m) for m in moves))
        )

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "merge-yes":
            self.action_merge()
        elif event.button.id == "merge-swap":
            self.action_swap()
        else:
            self.action_cancel()

    def action_swap(self) -> None:
        self.survivor_id, self.absorbed_id = self.absorbed_id, self.survivor_id
        self.preview = None
        self._load_preview()

    def action_merge(self) -> None:
        from ...services.merge import merge_clients

        if self.preview is None or self._busy:
            return
        self._busy = True
        survivor, absorbed = self.survivor_id, self.absorbed_id
        self.run_service(
            lambda: merge_clients(survivor, absorbed),
            self._merged,
            refused=self._failed,
            group="merge-run",
            exclusive=True,
        )

    def _failed(self, _error: Exception) -> None:
        self._busy = False

    def _merged(self, _result: object) -> None:
        self.notify(
            _("{absorbed} merged into {survivor}.").format(
                absorbed=one_line(self.preview.absorbed_name),
                survivor=one_line(self.preview.survivor_name),
            )
        )
        self.dismiss(self.survivor_id)

    def action_cancel(self) -> None:
        self.dismiss(None)
