"""Custom fields and comment templates from the palette, then used on a client (real keys)."""

from __future__ import annotations

from textual.widgets import Input, Select

from tests.ui.screen_text import screen_text
from tui_crm.services import clients, custom_fields, timeline
from tui_crm.services.clients import ClientInput
from tui_crm.ui.app import CrmApp
from tui_crm.ui.dialogs.confirm import ConfirmDialog
from tui_crm.ui.dialogs.form import field_id
from tui_crm.ui.screens.client_file import ClientFileScreen
from tui_crm.ui.screens.client_form import ClientForm
from tui_crm.ui.screens.client_settings import CommentTemplatesScreen, CustomFieldsScreen

from .conftest import settle


async def until(pilot, app, condition) -> None:
    """Wait (a few seconds at most) for what a worker brings: a busy machine is slow."""
    for _ in range(100):
        if condition():
            return
        await settle(pilot, app, 1)
    raise AssertionError("the screen never got there")


async def test_define_a_choice_field_then_fill_it_on_a_client(db) -> None:
    cid = clients.create_client(ClientInput(legal_name="Alfa SL"))
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p", *"custom fields")
        await pilot.pause(0.4)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, CustomFieldsScreen)
        await pilot.press("n")
        await settle(pilot, app)
        form = app.screen
        await pilot.press(*"Sector", "tab", *"sector")
        form.query_one(f"#{field_id('kind')}", Select).value = "choice"
        form.query_one(f"#{field_id('choices')}", Input).value = "Naval, Agro"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, CustomFieldsScreen)
        assert "Naval, Agro" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot, app)
        app.open_client(cid)
        await settle(pilot, app)
        await pilot.press("E")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientForm)
        app.screen.query_one(f"#{field_id('custom.sector')}", Select).value = "Agro"
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, ClientFileScreen)
        text = screen_text(app)
        assert "Sector" in text and "Agro" in text
    assert custom_fields.values_of(cid) == {"sector": "Agro"}


async def test_comment_templates_list_edit_and_delete(db) -> None:
    timeline.create_template("Visita", subject="Visita a {client}")
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        app.push_screen(CommentTemplatesScreen())
        await until(pilot, app, lambda: "Visita a {client}" in screen_text(app))
        await pilot.press("enter")  # edit
        await until(pilot, app, lambda: app.screen.query(f"#{field_id('subject')}"))
        subject = app.screen.query_one(f"#{field_id('subject')}", Input)
        subject.value = "Visita comercial a {client}"
        await pilot.press("ctrl+s")
        await until(pilot, app, lambda: "Visita comercial a {client}" in screen_text(app))
        await pilot.press("delete")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot, app)
        assert "No comment templates yet" in screen_text(app)
    assert timeline.list_templates() == []
