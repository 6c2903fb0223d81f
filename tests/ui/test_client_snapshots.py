"""Snapshots of the client browser, the client file and the agenda, as text.

The screen is read from the app's SVG screenshot (`screen_text`) and compared with
a golden file in `tests/ui/snapshots/`; dates, times and the database path are
masked so the snapshots stay stable from day to day. After an intended change of
the layout, regenerate them with `UPDATE_SNAPSHOTS=1 pytest tests/ui/test_client_snapshots.py`
and review the diff.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tests.ui.screen_text import screen_lines
from tui_crm.db import execute
from tui_crm.models import Invoice
from tui_crm.services import addresses, clients, contacts, tags, timeline, users
from tui_crm.services.addresses import AddressData
from tui_crm.services.clients import AddressInput, ClientInput
from tui_crm.services.contacts import ContactData
from tui_crm.services.timeline import ActivityData
from tui_crm.ui.app import CrmApp

from .conftest import settle

SNAPSHOTS = Path(__file__).parent / "snapshots"
TODAY = dt.date.today()
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def masked(app) -> str:
    lines = screen_lines(app)
    lines[0] = "<header>"  # the clock and the database path
    text = "\n".join(lines)
    text = _DATETIME.sub("<date time>", text)
    return _DATE.sub("<date>", text) + "\n"


def check(name: str, text: str) -> None:
    golden = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS") or not golden.exists():
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
        if not os.environ.get("UPDATE_SNAPSHOTS"):
            pytest.fail(f"snapshot {golden.name} was missing and has been written; review it")
        return
    expected = golden.read_text(encoding="utf-8")
    if text != expected:
        diff = "\n".join(
            difflib.unified_diff(
                expected.splitlines(), text.splitlines(), "expected", "screen", lineterm=""
            )
        )
        pytest.fail(f"{name} differs from {golden} (UPDATE_SNAPSHOTS=1 to accept):\n{diff}")


def as_tester(db):
    """The golden files name the author "tester", whoever runs the tests: the test's own
    login, admin of the fresh database, acts as that colleague (as `--user tester` does)."""
    from tui_crm.db import close_database
    from tui_crm.services.startup import open_for_use

    users.add_user("tester", "admin")
    close_database()
    return open_for_use(db.target, user="tester")


def sample() -> int:
    """A realistic client with a little of everything, at dates relative to today."""
    users.register("marta")
    cid = clients.create_client(
        ClientInput(
            legal_name="Talleres Núñez SL",
            trade_name="Taller Núñez",
            kind="client",
            tax_id="B12345674",
            email="info@nunez.es",
            phone="953 123 456",
            owner_login="marta",
            irpf_rate=Decimal(15),
            notes="Prefiere llamadas por la mañana.\nPaga siempre a 30 días.",
        ),
        AddressInput(label="Sede", line1="Calle Mayor 1", postal_code="23001", city="Jaén"),
    )
    addresses.create_address(cid, AddressData(label="Nave", line1="Pol. Olivares 12", city="Jaén"))
    contacts.create_contact(
        cid,
        ContactData(
            first_name="Rocío",
            last_name="Alcalá",
            position="Gerente",
            email="rocio@nunez.es",
            is_billing=True,
        ),
    )
    tags.set_tags(cid, ["vip", "jaén"])
    timeline.create_activity(
        cid,
        ActivityData(
            kind="call", subject="Reclamar factura", due_date=TODAY - dt.timedelta(days=2)
        ),
    )
    timeline.create_activity(cid, ActivityData(subject="Visita a la nave"))
    # Both issued today (so "this year" never depends on the day the tests run); the second
    # was due yesterday, so it is overdue.
    for number, (base, due) in enumerate(
        (("1000", TODAY + dt.timedelta(days=30)), ("500", TODAY - dt.timedelta(days=1))), 1
    ):
        total = Decimal(base) * Decimal("1.21")
        Invoice.create(
            client=cid,
            status="issued",
            series="F",
            year=TODAY.year,
            number=number,
            code=f"F-{number:05d}",
            issue_date=TODAY,
            due_date=due,
            base=Decimal(base),
            vat=total - Decimal(base),
            total=total,
            outstanding=total,
            client_name="Talleres Núñez SL",
        )
    # the running figures the invoicing services keep
    execute(
        "UPDATE client SET revenue_total_cents = 150000, outstanding_cents = 181500 WHERE id = ?",
        (cid,),
    )
    clients.create_client(ClientInput(legal_name="Panadería Peña"), AddressInput(city="Úbeda"))
    clients.create_client(ClientInput(legal_name="Ibáñez [bold]Consulting[/]", kind="client"))
    return cid


async def until_shown(pilot, app, text: str) -> None:
    """Messages that follow a worker (the row count in the filter bar) may need a moment."""
    for _ in range(50):
        if text in masked(app):
            return
        await pilot.pause(0.05)


async def test_browser_snapshot(db) -> None:
    opened = as_tester(db)
    sample()
    app = CrmApp(opened, first_run=False, start="clients")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await until_shown(pilot, app, "3 rows")
        check("browser_100x30", masked(app))


async def test_client_file_snapshots(db) -> None:
    opened = as_tester(db)
    cid = sample()
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        app.open_client(cid)
        await settle(pilot, app)
        check("client_file_overview_100x30", masked(app))
        await pilot.press("4")
        await settle(pilot, app)
        check("client_file_timeline_100x30", masked(app))
        await pilot.press("8")
        await settle(pilot, app)
        check("client_file_sales_100x30", masked(app))


async def test_client_file_at_80x24(db) -> None:
    opened = as_tester(db)
    cid = sample()
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        app.open_client(cid, "contacts")
        await settle(pilot, app)
        check("client_file_contacts_80x24", masked(app))


async def test_agenda_snapshot(db) -> None:
    opened = as_tester(db)
    sample()
    app = CrmApp(opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("f3", "m")
        await settle(pilot, app)
        await until_shown(pilot, app, "1 entry")
        check("agenda_100x30", masked(app))
