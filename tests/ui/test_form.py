"""The shared form: errors beside fields, save in a worker, conflicts, discard prompt."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.widgets import Input, Label

from tui_crm.services.errors import ConflictError, ConflictInfo, ValidationError
from tui_crm.ui.dialogs.confirm import ConfirmDialog
from tui_crm.ui.dialogs.conflict import ConflictDialog
from tui_crm.ui.dialogs.form import FieldSpec, FormScreen, field_id

from .conftest import settle


class NameForm(FormScreen[str]):
    TITLE_TEXT = "Name"

    def __init__(self, behaviour: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.behaviour = behaviour
        self.saved: list[dict[str, Any]] = []

    def fields(self):
        return [
            FieldSpec("name", "Name", required=True),
            FieldSpec("kind", "Kind", "select", choices=[("Lead", "lead"), ("Client", "client")]),
            FieldSpec("vip", "VIP", "bool"),
        ]

    def save(self, values: dict[str, Any]) -> str:
        self.saved.append(values)
        if self.behaviour == "invalid" and len(self.saved) == 1:
            raise ValidationError({"name": "is required [bold]really[/]"})
        if self.behaviour == "conflict":
            raise ConflictError(
                ConflictInfo("client", 1, "ana", None, {"name": ("Mine", "Theirs")}),
                "ana changed this client",
            )
        return values["name"]

    def reload(self) -> dict[str, Any]:
        return {"name": "Theirs"}


class FormApp(App[None]):
    def __init__(self, form: NameForm):
        super().__init__()
        self.form = form
        self.result: object = "unset"

    def on_mount(self) -> None:
        def done(value: object) -> None:
            self.result = value

        self.push_screen(self.form, done)


async def test_save_returns_the_typed_values(db):
    form = NameForm("ok")
    app = FormApp(form)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press(*"Ana", "tab", "enter", "down", "enter", "tab", "space", "ctrl+s")
        await settle(pilot, app)
        assert app.result == "Ana"
        assert form.saved == [{"name": "Ana", "kind": "client", "vip": True}]


async def test_validation_error_shows_beside_the_field_and_keeps_the_form(db):
    form = NameForm("invalid")
    app = FormApp(form)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is form
        error = form.query_one(f"#{field_id('name')}-error", Label)
        assert "-shown" in error.classes
        assert "[bold]really[/]" in str(error.render())  # markup shown literally
        await pilot.press(*"Bo", "ctrl+s")
        await settle(pilot, app)
        assert app.result == "Bo"


async def test_conflict_offers_reload_of_their_version(db):
    form = NameForm("conflict", initial={"name": "Mine"})
    app = FormApp(form)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, ConflictDialog)
        await pilot.press("r")
        await settle(pilot, app)
        assert app.screen is form
        assert form.query_one(f"#{field_id('name')}", Input).value == "Theirs"


async def test_escape_with_changes_asks_before_discarding(db):
    form = NameForm("ok")
    app = FormApp(form)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("x", "escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is form
        await pilot.press("escape", "y")
        await pilot.pause()
        assert app.result is None


async def test_conflict_keep_both_puts_my_changes_on_top_of_theirs(db):
    from textual.widgets import Checkbox, Select

    form = NameForm("conflict", initial={"name": "Mine", "kind": "lead", "vip": False})
    form.reload = lambda: {"name": "Theirs", "kind": "client", "vip": False}  # type: ignore
    app = FormApp(form)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("tab", "tab", "space", "ctrl+s")  # I only ticked VIP
        await settle(pilot, app)
        assert isinstance(app.screen, ConflictDialog)
        await pilot.press("b")
        await settle(pilot, app)
        assert app.screen is form
        assert form.query_one(f"#{field_id('name')}", Input).value == "Theirs"
        assert form.query_one(f"#{field_id('kind')}", Select).value == "client"
        assert form.query_one(f"#{field_id('vip')}", Checkbox).value is True
        assert form.changed_values() == {"vip": True}  # unsaved, for review
