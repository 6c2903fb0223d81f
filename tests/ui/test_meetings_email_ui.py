"""From the client file, with the Pilot: `I` plans a meeting with attendees and sends the
invitation (parsed back with icalendar), the agenda shows it by its hour, `X` cancels it;
`W` writes any email (a template, two contacts, a copy to a colleague, a document)
through a real SMTP server on localhost."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from icalendar import Calendar
from smtp_support import smtp_server

from tui_crm.db import execute
from tui_crm.services import meetings, settings
from tui_crm.ui.app import CrmApp
from tui_crm.ui.dialogs.choice import ChoicePrompt
from tui_crm.ui.dialogs.form import field_id
from tui_crm.ui.screens.agenda import AgendaScreen
from tui_crm.ui.screens.client_email_form import ClientEmailForm
from tui_crm.ui.screens.meeting_form import MeetingForm
from tui_crm.ui.widgets.lazy_table import LazyTable

from .conftest import settle

DAY = dt.date.today() + dt.timedelta(days=2)


def use(server) -> None:
    settings.set_many({"smtp.host": server.host, "smtp.port": str(server.port),
                       "smtp.security": "none", "smtp.from": "ana@disenonunez.es"})  # fmt: skip


async def fill(pilot, form, key: str, text: str) -> None:
    widget = form.query_one(f"#{field_id(key)}")
    widget.focus()
    if hasattr(widget, "value"):
        widget.value = ""
    await pilot.press(*text)


async def test_plan_a_meeting_invite_see_it_by_hour_and_cancel(office, tmp_path) -> None:
    with smtp_server(tmp_path) as server:
        use(server)
        app = CrmApp(office["db"].opened, first_run=False, start="clients")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot, app)
            app.open_client(office["client_id"])
            await settle(pilot, app)
            await pilot.press("I")
            await settle(pilot, app)
            form = app.screen
            assert isinstance(form, MeetingForm)
            await fill(pilot, form, "subject", "Revisión")
            await fill(pilot, form, "start", f"{DAY.isoformat()} 10:30")
            await fill(pilot, form, "duration", "45")
            await fill(pilot, form, "place", "Oficina")
            form.query_one(f"#{field_id('contact_' + str(office['lucia']))}").value = True
            form.query_one(f"#{field_id('colleague_0')}").value = False
            marta = [n for n, (login, _l) in enumerate(form.setup.colleagues) if login == "marta"]
            form.query_one(f"#{field_id('colleague_' + str(marta[0]))}").value = True
            form.query_one(f"#{field_id('invite')}").value = True
            await pilot.press("ctrl+s")
            await settle(pilot, app)
            assert not isinstance(app.screen, MeetingForm)
            [meeting_id] = [r[0] for r in execute("SELECT id FROM activity WHERE kind = 'meeting'")]
            await pilot.press("f3")
            await settle(pilot, app)
            agenda = app.screen
            assert isinstance(agenda, AgendaScreen)
            table = agenda.query_one(LazyTable)
            local = meetings.get_meeting(meeting_id).start.replace(tzinfo=dt.UTC).astimezone()
            assert table.get_row(0).cells[1] == local.strftime("%H:%M") == "10:30"
            await pilot.press("f2")
            await settle(pilot, app)
            app.open_client(office["client_id"], tab="timeline")
            await settle(pilot, app)
            table = app.screen.query_one("#tab-timeline LazyTable", LazyTable)
            row = next(i for i in range(table.row_count) if table.get_row(i).key == meeting_id)
            table.move_cursor(row)
            await pilot.press("X")
            await settle(pilot, app)
            await pilot.press("y")  # yes (enter no longer answers a question)
            await settle(pilot, app)
    invite, cancel = server.messages
    assert sorted(invite.rcpt_tos) == ["lucia@pm.es", "marta@disenonunez.es"]
    calendars = []
    for received in (invite, cancel):
        [part] = list(received.message.iter_attachments())
        calendars.append(Calendar.from_ical(part.get_content().encode()))
    methods = [str(c["method"]) for c in calendars]
    events = [c.walk("VEVENT")[0] for c in calendars]
    assert methods == ["REQUEST", "CANCEL"]
    assert events[0]["uid"] == events[1]["uid"]
    assert [int(e["sequence"]) for e in events] == [0, 1]
    madrid = (
        dt.datetime.combine(DAY, dt.time(10, 30)).astimezone().astimezone(ZoneInfo("Europe/Madrid"))
    )
    assert events[0].decoded("dtstart") == madrid


async def test_write_an_email_from_the_client_file(office, tmp_path) -> None:
    with smtp_server(tmp_path) as server:
        use(server)
        app = CrmApp(office["db"].opened, first_run=False, start="clients")
        async with app.run_test(size=(120, 44)) as pilot:
            await settle(pilot, app)
            app.open_client(office["client_id"])
            await settle(pilot, app)
            await pilot.press("W")
            await settle(pilot, app)
            assert isinstance(app.screen, ChoicePrompt)
            await pilot.press("down", "enter")  # the general template
            await settle(pilot, app)
            form = app.screen
            assert isinstance(form, ClientEmailForm)
            assert form.query_one(f"#{field_id('body')}").text.startswith("Hola, Lucía Fernández:")
            form.query_one(f"#{field_id('to_1')}").value = True  # Pedro too
            form.query_one(f"#{field_id('cc_0')}").value = True  # Marta
            form.query_one(f"#{field_id('doc_0')}").value = True
            await fill(pilot, form, "subject", "Tarifas 2026")
            await pilot.press("ctrl+s")
            await settle(pilot, app)
            assert not isinstance(app.screen, ClientEmailForm)
    [received] = server.messages
    assert sorted(received.rcpt_tos) == ["lucia@pm.es", "marta@disenonunez.es", "pedro@pm.es"]
    assert received.message["Subject"] == "Tarifas 2026"
    assert [p.get_filename() for p in received.message.iter_attachments()] == ["tarifa.txt"]
    row = execute("SELECT kind, email_status FROM activity WHERE client_id = ?",
                  (office["client_id"],)).fetchone()  # fmt: skip
    assert row == ("email", "sent")
