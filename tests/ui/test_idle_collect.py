"""The collector's full passes wait for a pause in the typing (`CrmApp._collect_if_idle`):
the widgets of a closed screen are freed while nobody waits, not during the next screen's
opening."""

from __future__ import annotations

import gc
import weakref

from tui_crm.ui import app as app_module
from tui_crm.ui.app import CrmApp

from .conftest import settle


class _Node:
    """Garbage only a full pass frees: an object in a cycle, in an older generation."""


def _old_cyclic_garbage(freed: list[int]) -> None:
    node = _Node()
    node.me = node
    weakref.finalize(node, freed.append, 1)
    gc.collect(0)  # survives a young collection (still referenced): now older
    del node  # and garbage, which young collections no longer look at


async def test_garbage_is_collected_once_nobody_types(db, monkeypatch) -> None:
    monkeypatch.setattr(app_module, "IDLE_COLLECT_AFTER_S", 1.5)
    monkeypatch.setattr(app_module, "IDLE_CHECK_EVERY_S", 0.05)
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        gc.disable()  # only the app's own passes, for the test's time
        try:
            freed: list[int] = []
            _old_cyclic_garbage(freed)
            await pilot.press("down")  # typing: no full pass now
            await pilot.pause(0.1)
            assert freed == []
            await pilot.press("up")
            await pilot.pause(0.2)
            assert freed == []  # still within the pause it waits for
            for _ in range(40):  # the pause came: freed (within 4 s, on a loaded machine)
                await pilot.pause(0.1)
                if freed:
                    break
            assert freed == [1]
        finally:
            gc.enable()


async def test_no_full_pass_while_nothing_aged(db, monkeypatch) -> None:
    monkeypatch.setattr(app_module, "IDLE_COLLECT_AFTER_S", 0.0)
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        passes: list[int] = []

        def count(phase: str, info: dict) -> None:
            if phase == "start" and info["generation"] == 2:
                passes.append(1)

        gc.disable()
        gc.callbacks.append(count)
        try:
            gc.collect()
            passes.clear()
            app._collect_if_idle()  # nothing young has been collected since: nothing to do
            assert passes == []
            freed: list[int] = []
            _old_cyclic_garbage(freed)
            app._collect_if_idle()
            assert passes == [1] and freed == [1]
        finally:
            gc.callbacks.remove(count)
            gc.enable()


async def test_no_full_pass_while_the_first_screen_fills_in(db, monkeypatch) -> None:
    monkeypatch.setattr(app_module, "IDLE_COLLECT_AFTER_S", 60.0)
    app = CrmApp(db.opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        gc.disable()
        try:
            freed: list[int] = []
            _old_cyclic_garbage(freed)
            app._collect_if_idle()  # nobody has typed yet, but the app has just started
            assert freed == []
        finally:
            gc.enable()
