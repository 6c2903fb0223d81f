"""The line editor (issue 16): a product's name and enter take its suggestion and price,
even when enter comes before the suggestions; a line is never left without a price
silently."""

from __future__ import annotations

import pytest
from invoicing_support import D, make_client, set_issuer

from tests.ui.screen_text import screen_text
from tui_crm.services import catalog
from tui_crm.ui.app import CrmApp
from tui_crm.ui.widgets.line_editor import LineEditor

from .conftest import settle


@pytest.fixture
def business(db):
    set_issuer()
    client_id = make_client()
    for code, name, price in (("WEB01", "Diseño web", "500.00"), ("HOS01", "Hosting", "90.00")):
        catalog.create_product(
            catalog.ProductInput(code=code, name=name, unit_price=D(price), vat_rate=D(21))
        )
    return db.opened, client_id


async def test_a_name_and_enter_take_the_first_suggestion_and_its_price(business) -> None:
    opened, client_id = business
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        app.new_invoice(client_id)
        await settle(pilot, app)
        editor = app.screen.query_one(LineEditor)
        # Typed and entered at once, before the lookup can answer.
        await pilot.press("n", *"diseño", "enter")
        await settle(pilot, app)
        [line] = editor.lines
        assert (line.description, line.unit_price, line.product_code) == (
            "Diseño web",
            "500.00",
            "WEB01",
        )
        # Typed, the suggestions shown, enter: the highlighted first one.
        await pilot.press("enter", "n", *"host")  # enter in the quantity: back to the table
        await settle(pilot, app)
        assert "HOS01  Hosting" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert editor.lines[1].unit_price == "90.00"


async def test_a_line_without_a_price_says_so(business) -> None:
    opened, client_id = business
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        app.new_invoice(client_id)
        await settle(pilot, app)
        editor = app.screen.query_one(LineEditor)
        await pilot.press("n", *"Trabajo a medida")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.focused.id == "le-unit-price"  # sent to the price, and told
        assert any("no price yet" in str(n.message) for n in app._notifications)
        await pilot.press(*"75", "enter")
        await settle(pilot, app)
        assert editor.lines[0].unit_price == "75"
        assert app.focused is editor.table
