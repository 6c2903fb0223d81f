"""The leads' board with the Pilot: from the home screen (`l`), columns by stage, arrows
between them, `a` advances, `l` asks why a lead was lost, `s` sets the source, `c` makes
it a client (its history stays)."""

from __future__ import annotations

from invoicing_support import make_client
from textual.widgets import OptionList

from tui_crm.db import execute
from tui_crm.services import leads, timeline
from tui_crm.ui.app import CrmApp
from tui_crm.ui.dialogs.prompt import PromptForm
from tui_crm.ui.screens.client_file import ClientFileScreen
from tui_crm.ui.screens.leads import LeadsScreen

from .conftest import settle


def names(screen: LeadsScreen, stage: str) -> list[str]:
    return [c.name for c in screen.cards[stage]]


async def test_leads_move_along_the_board(db) -> None:
    ana = make_client("Ana Lead SL", "B60889649", kind="lead")
    beto = make_client("Beto Lead SL", "A58818501", kind="lead")
    call = timeline.create_activity(ana, timeline.ActivityData(kind="call", subject="hola"))
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot, app)
        await pilot.press("l")
        await settle(pilot, app)
        board = app.screen
        assert isinstance(board, LeadsScreen)
        assert names(board, "new") == ["Ana Lead SL", "Beto Lead SL"]
        await pilot.press("a")  # Ana: contacted
        await settle(pilot, app)
        assert names(board, "contacted") == ["Ana Lead SL"]
        assert board.focused.id == "leads-contacted"  # the cursor follows the lead
        await pilot.press("a")  # qualified
        await settle(pilot, app)
        assert names(board, "qualified") == ["Ana Lead SL"]
        await pilot.press("s")
        await settle(pilot, app)
        assert isinstance(app.screen, PromptForm)
        await pilot.press(*"feria", "ctrl+s")
        await settle(pilot, app)
        assert leads.get_lead(ana).source == "feria"
        await pilot.press("left", "left")  # back to "new": Beto
        assert board.focused.id == "leads-new"
        await pilot.press("l")
        await settle(pilot, app)
        assert isinstance(app.screen, PromptForm)
        await pilot.press("ctrl+s")  # no reason: refused, the form stays
        await settle(pilot, app)
        assert isinstance(app.screen, PromptForm)
        await pilot.press(*"precio", "ctrl+s")
        await settle(pilot, app)
        assert names(board, "lost") == ["Beto Lead SL"]
        assert leads.get_lead(beto).lost_reason == "precio"
        assert "precio" in str(
            board.query_one("#leads-lost", OptionList).get_option_at_index(0).prompt
        )
        board.query_one("#leads-qualified", OptionList).focus()
        await pilot.press("c")
        await settle(pilot, app)
        await pilot.press("y")  # make Ana a client: yes (enter no longer answers a question)
        await settle(pilot, app)
        assert names(board, "qualified") == []
        await pilot.press("right")  # lost: Beto; enter opens the file
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientFileScreen) and app.screen.client_id == beto
    assert execute("SELECT kind FROM client WHERE id = ?", (ana,)).fetchone()[0] == "client"
    kept = [r.id for r in timeline.list_timeline(ana)]
    assert call in kept and len(kept) == 2  # the call, and the note that it became a client
