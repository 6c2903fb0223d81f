"""The leads' board: one column per stage (new, contacted, qualified, lost), by keyboard.

left/right move between columns, up/down within one; `a` advances the lead (new →
contacted → qualified), `m` moves it to any stage, `l` marks it lost (asking why), `s`
sets where it came from, `c` makes it a client (its history stays), enter opens its
file, ctrl+r reloads, escape goes back. Reached from the home screen (`l`) and the
palette ("Leads board").
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Header, Label, OptionList
from textual.widgets.option_list import Option

from ...i18n import _
from ..base import CrmScreen
from ..dialogs.confirm import ConfirmDialog
from ..dialogs.form import FieldSpec
from ..dialogs.prompt import PromptForm
from ..safe_text import one_line
from ..widgets.footer import Footer

STAGES = ("new", "contacted", "qualified", "lost")


def card_text(card: Any) -> str:
    text = escape(one_line(card.name))
    if card.source:
        text += f"\n  [dim]{escape(one_line(card.source))}[/dim]"
    if card.stage == "lost" and card.lost_reason:
        text += f"\n  [dim]{escape(one_line(card.lost_reason))}[/dim]"
    return text


class LeadsScreen(CrmScreen[None]):
    """Every lead by stage; the keys move them along."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "column(-1)", _("Columns"), key_display="←→", id="lead_prev"),
        Binding("right", "column(1)", _("Next column"), show=False, id="lead_next"),
        Binding("a", "advance", _("Advance"), id="lead_advance"),
        Binding("m", "move", _("Move to"), id="lead_move"),
        Binding("l", "lost", _("Lost"), id="lead_lost"),
        Binding("s", "source", _("Source"), id="lead_source"),
        Binding("c", "convert", _("Make client"), id="lead_convert"),
        Binding("ctrl+r", "reload", _("Reload"), show=False, id="reload"),
        Binding("escape", "back", _("Back"), id="back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.cards: dict[str, list[Any]] = {stage: [] for stage in STAGES}

    def compose(self) -> ComposeResult:
        from ...services.leads import STAGE_LABELS

        yield Header()
        with Horizontal(id="leads-board"):
            for stage in STAGES:
                with Vertical(classes="leads-column"):
                    yield Label(_(STAGE_LABELS[stage]), id=f"leads-title-{stage}")
                    yield OptionList(id=f"leads-{stage}", classes="leads-list")
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Leads")
        self.query_one("#leads-new", OptionList).focus()
        self.action_reload()

    def returned(self) -> None:
        self.action_reload()

    def action_reload(self, keep: int | None = None) -> None:
        from ...services import leads

        self.run_service(
            lambda: (leads.board(), leads.count_by_stage()),
            lambda loaded: self._show(*loaded, keep=keep),
            group="leads-board",
            exclusive=True,
        )

    def _show(self, board: dict[str, list[Any]], counts: dict[str, int], keep: Any) -> None:
        from ...services.leads import STAGE_LABELS

        self.cards = board
        for stage in STAGES:
            lists = self.query_one(f"#leads-{stage}", OptionList)
            highlighted = lists.highlighted
            lists.clear_options()
            lists.add_options(
                [Option(card_text(card), id=str(card.client_id)) for card in board[stage]]
            )
            if board[stage]:
                lists.highlighted = min(highlighted or 0, len(board[stage]) - 1)
            for n, card in enumerate(board[stage]):
                if keep is not None and card.client_id == keep:
                    lists.highlighted = n  # the cursor follows the lead it moved
                    if self.focused is not lists and stage == self._moved_to:
                        lists.focus()
            title = f"{_(STAGE_LABELS[stage])} ({counts.get(stage, 0)})"
            self.query_one(f"#leads-title-{stage}", Label).update(title)

    _moved_to = ""

    def _column(self) -> str:
        focused = self.focused
        if isinstance(focused, OptionList) and (focused.id or "").startswith("leads-"):
            return (focused.id or "").removeprefix("leads-")
        return "new"

    def _current(self) -> Any:
        stage = self._column()
        lists = self.query_one(f"#leads-{stage}", OptionList)
        index = lists.highlighted
        if index is None or index >= len(self.cards.get(stage, [])):
            self.nothing_selected()
            return None
        return self.cards[stage][index]

    def action_column(self, step: int) -> None:
        index = (STAGES.index(self._column()) + step) % len(STAGES)
        lists = self.query_one(f"#leads-{STAGES[index]}", OptionList)
        lists.focus()
        if lists.highlighted is None and lists.option_count:
            lists.highlighted = 0

    def _moved(self, card: Any, stage: str, message: str) -> None:
        self._moved_to = stage
        self.notify(message, markup=False)
        self.action_reload(keep=card.client_id)

    def action_advance(self) -> None:
        from ...services import leads

        card = self._current()
        if card is None:
            return
        self.run_service(
            lambda: leads.advance_lead(card.client_id, card.version),
            lambda stage: self._moved(
                card,
                stage,
                _("{name}: {stage}.").format(
                    name=one_line(card.name), stage=_(leads.STAGE_LABELS[stage])
                ),
            ),
        )

    def action_move(self) -> None:
        from ...services import leads
        from ..dialogs.choice import ChoicePrompt

        card = self._current()
        if card is None:
            return

        def chosen(stage: str | None) -> None:
            if stage is None or stage == card.stage:
                return
            if stage == "lost":
                self._ask_lost(card)
                return
            self.run_service(
                lambda: leads.move_lead(card.client_id, stage, expected_version=card.version),
                lambda _version: self._moved(
                    card,
                    stage,
                    _("{name}: {stage}.").format(
                        name=one_line(card.name), stage=_(leads.STAGE_LABELS[stage])
                    ),
                ),
            )

        options = [(_(leads.STAGE_LABELS[s]), s) for s in STAGES if s != card.stage]
        self.app.push_screen(
            ChoicePrompt(_("Move {name} to").format(name=one_line(card.name)), options), chosen
        )

    def action_lost(self) -> None:
        card = self._current()
        if card is not None:
            self._ask_lost(card)

    def _ask_lost(self, card: Any) -> None:
        from ...services import leads

        def submit(values: dict[str, Any]) -> int:
            return leads.move_lead(
                card.client_id, "lost", values["reason"], expected_version=card.version
            )

        def done(version: Any) -> None:
            if version is not None:
                self._moved(card, "lost", _("{name}: lost.").format(name=one_line(card.name)))

        self.app.push_screen(
            PromptForm(
                _("Why was {name} lost?").format(name=one_line(card.name)),
                [FieldSpec("reason", _("Reason"), required=True, max_length=200)],
                submit,
                {"reason": card.lost_reason},
            ),
            done,
        )

    def action_source(self) -> None:
        from ...services import leads

        card = self._current()
        if card is None:
            return

        def submit(values: dict[str, Any]) -> int:
            return leads.set_source(card.client_id, values["source"], card.version)

        def done(version: Any) -> None:
            if version is not None:
                self._moved(card, card.stage, _("Saved."))

        self.app.push_screen(
            PromptForm(
                _("Where did {name} come from?").format(name=one_line(card.name)),
                [
                    FieldSpec(
                        "source",
                        _("Source"),
                        max_length=leads.SOURCE_LIMIT,
                        placeholder=_("web, referral, trade fair…"),
                    )
                ],
                submit,
                {"source": card.source},
            ),
            done,
        )

    def action_convert(self) -> None:
        from ...services import leads

        card = self._current()
        if card is None:
            return

        def answer(ok: bool | None) -> None:
            if ok:
                self.run_service(
                    lambda: leads.convert_lead(card.client_id),
                    lambda _entry: self.action_reload(),
                    done=_("{name} is a client now; its history stays.").format(
                        name=one_line(card.name)
                    ),
                )

        self.app.push_screen(
            ConfirmDialog(_("Make {name} a client?").format(name=one_line(card.name))), answer
        )

    @on(OptionList.OptionSelected)
    def _open(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.crm.open_client(int(event.option.id))

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.dismiss()
