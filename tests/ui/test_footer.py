"""The footer is rebuilt when the keys it shows change, and only then."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Button
from textual.widgets._footer import FooterKey

from tui_crm.ui.widgets.footer import Footer


class Pane(Button):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("s", "save", "Save")]
    saving_enabled = True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save" and not self.saving_enabled:
            return None  # shown, disabled
        return True


class Other(Button):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("d", "delete", "Delete")]


class Demo(App[None]):
    def compose(self) -> ComposeResult:
        yield Pane("one", id="one")
        yield Pane("two", id="two")
        yield Other("three", id="three")
        yield Footer()


def _keys(app: App) -> list[tuple[str, bool]]:
    return [(k.description, k.has_class("-disabled")) for k in app.query(FooterKey)]


async def test_the_footer_follows_the_keys_and_keeps_itself_when_they_stay():
    app = Demo()
    async with app.run_test() as pilot:
        await pilot.pause()
        app.query_one("#one").focus()
        await pilot.pause()
        first = list(app.query(FooterKey))
        assert ("Save", False) in _keys(app)

        app.query_one("#two").focus()  # other widget, same keys: nothing rebuilt
        await pilot.pause()
        assert list(app.query(FooterKey)) == first

        app.query_one("#three").focus()  # other keys: rebuilt
        await pilot.pause()
        assert ("Delete", False) in _keys(app) and ("Save", False) not in _keys(app)

        app.query_one("#two").focus()
        await pilot.pause()
        pane = app.query_one("#two", Pane)
        pane.saving_enabled = False  # the same key, now disabled: rebuilt
        app.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert ("Save", True) in _keys(app)
