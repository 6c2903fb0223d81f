"""`x` on the agenda (F3) exports what the screen shows, with each meeting's start, length
and end as columns, in the screen's order: by day, follow-ups first, meetings by hour."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from tui_crm.db import execute
from tui_crm.services import clients, timeline
from tui_crm.ui.app import CrmApp
from tui_crm.ui.dialogs.export import ExportDialog
from tui_crm.ui.screens.agenda import AgendaScreen
from tui_crm.ui.widgets.lazy_table import LazyTable

from .conftest import settle

DAY = dt.date.today() + dt.timedelta(days=1)


def local(hour: int, minute: int = 0) -> dt.datetime:
    moment = dt.datetime.combine(DAY, dt.time(hour, minute)).astimezone()
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


async def test_agenda_export_has_time_minutes_and_end(db, tmp_path: Path) -> None:
    cid = clients.create_client(clients.ClientInput(legal_name="Agenda SL"))
    for subject, hour, minutes in (("Tarde", 17, 45), ("Mañana", 8, 90)):
        aid = timeline.create_activity(
            cid, timeline.ActivityData(kind="meeting", subject=subject, occurred_at=local(hour))
        )
        execute("UPDATE activity SET duration_minutes = ? WHERE id = ?", (minutes, aid))
    timeline.create_activity(
        cid, timeline.ActivityData(kind="call", subject="Llamar", due_date=DAY)
    )
    out = tmp_path / "agenda.xlsx"
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("f3")
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, AgendaScreen)
        table = screen.query_one(LazyTable)
        shown = [table.get_row(i).cells for i in range(table.row_count)]
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)
        await pilot.press("ctrl+u", *str(out), "enter")
        await settle(pilot, app)
    rows = list(openpyxl.load_workbook(out, read_only=True).active.iter_rows(values_only=True))
    at = next(i for i, r in enumerate(rows) if "Time" in r)
    header = rows[at]
    pick = [header.index(k) for k in ("Subject", "Time", "Minutes", "Ends")]
    exported = [tuple(r[i] for i in pick) for r in rows[at + 1 :] if r[pick[0]]]
    assert exported == [
        ("Llamar", None, None, None),
        ("Mañana", "08:00", 90, "09:30"),
        ("Tarde", "17:00", 45, "17:45"),
    ]
    # the same order as the screen's rows
    assert [next(c for c in cells if c in ("Llamar", "Mañana", "Tarde")) for cells in shown] == [
        s for s, *_rest in exported
    ]
