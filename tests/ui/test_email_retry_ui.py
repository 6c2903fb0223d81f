"""A failed email is sent again from the keyboard, exactly as composed: where the failure
is shown (the question that follows it) and from the client's timeline (`M` on the
entry); through a real SMTP server on localhost that is first down, or refusing, then
up; the retry that goes is one entry on the timeline, sent."""

from __future__ import annotations

import datetime as dt

from smtp_support import smtp_server

from tui_crm.db import execute
from tui_crm.services import settings
from tui_crm.ui.app import CrmApp
from tui_crm.ui.dialogs.choice import ChoicePrompt
from tui_crm.ui.dialogs.confirm import ConfirmDialog
from tui_crm.ui.dialogs.form import field_id
from tui_crm.ui.screens.client_email_form import ClientEmailForm
from tui_crm.ui.screens.meeting_form import MeetingForm
from tui_crm.ui.screens.send_email import SendEmailScreen
from tui_crm.ui.widgets.lazy_table import LazyTable

from .conftest import settle

DAY = dt.date.today() + dt.timedelta(days=2)


def use(host: str, port: int) -> None:
    settings.set_many({"smtp.host": host, "smtp.port": str(port), "smtp.security": "none",
                       "smtp.from": "ana@disenonunez.es"})  # fmt: skip


def emails(client_id: int) -> list[tuple]:
    return execute(
        "SELECT id, email_status FROM activity WHERE client_id = ? AND kind = 'email'",
        (client_id,),
    ).fetchall()


async def fill(pilot, form, key: str, text: str) -> None:
    widget = form.query_one(f"#{field_id(key)}")
    widget.focus()
    if hasattr(widget, "value"):
        widget.value = ""
    await pilot.press(*text)


async def test_email_that_failed_is_sent_again_from_the_failure(office, tmp_path) -> None:
    leaflet = tmp_path / "folleto.pdf"
    leaflet.write_bytes(b"%PDF-1.4 folleto")
    with smtp_server(tmp_path) as stopped:
        host, port = stopped.host, stopped.port
    use(host, port)  # nothing listens there now
    app = CrmApp(office["db"].opened, first_run=False, start="clients")
    async with app.run_test(size=(120, 44)) as pilot:
        await settle(pilot, app)
        app.open_client(office["client_id"])
        await settle(pilot, app)
        await pilot.press("W")
        await settle(pilot, app)
        assert isinstance(app.screen, ChoicePrompt)
        await pilot.press("enter")  # blank
        await settle(pilot, app)
        form = app.screen
        assert isinstance(form, ClientEmailForm)
        form.query_one(f"#{field_id('to_1')}").value = True  # Pedro too
        form.query_one(f"#{field_id('cc_0')}").value = True  # Marta
        form.query_one(f"#{field_id('doc_0')}").value = True
        await fill(pilot, form, "subject", "Tarifas 2026")
        await fill(pilot, form, "body", "Os paso las tarifas.")
        await fill(pilot, form, "files", str(leaflet))
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        question = app.screen
        assert isinstance(question, ConfirmDialog)
        assert "refused the connection" in question.question
        [(entry, status)] = emails(office["client_id"])
        assert status == "failed"
        leaflet.unlink()  # the file chosen goes: the email keeps what was chosen
        with smtp_server(tmp_path) as server:
            use(server.host, server.port)
            await pilot.press("y")
            await settle(pilot, app)
            dialog = app.screen
            assert isinstance(dialog, SendEmailScreen) and dialog.activity_id == entry
            shown = str(dialog.query_one("#send-attachments").render())
            assert "pedro@pm.es" in shown and "marta@disenonunez.es" in shown
            assert "tarifa.txt" in shown and "folleto.pdf" in shown
            await pilot.press("ctrl+s")
            await settle(pilot, app)
            assert not isinstance(app.screen, SendEmailScreen)
    [received] = server.messages
    assert sorted(received.rcpt_tos) == ["lucia@pm.es", "marta@disenonunez.es", "pedro@pm.es"]
    assert received.message["Subject"] == "Tarifas 2026"
    files = {p.get_filename(): p.get_payload(decode=True)
             for p in received.message.iter_attachments()}  # fmt: skip
    assert files == {"tarifa.txt": b"tarifa", "folleto.pdf": b"%PDF-1.4 folleto"}
    assert emails(office["client_id"]) == [(entry, "sent")]


async def test_refused_invitation_is_sent_again_from_the_timeline(office, tmp_path) -> None:
    with smtp_server(tmp_path, refuse=("lucia@pm.es",)) as refusing:
        use(refusing.host, refusing.port)
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
            form.query_one(f"#{field_id('contact_' + str(office['lucia']))}").value = True
            form.query_one(f"#{field_id('invite')}").value = True
            await pilot.press("ctrl+s")
            await settle(pilot, app)
            question = app.screen
            assert isinstance(question, ConfirmDialog) and "lucia@pm.es" in question.question
            await pilot.press("n")  # later, from the timeline
            await settle(pilot, app)
            [(entry, status)] = emails(office["client_id"])
            assert status == "failed"
            with smtp_server(tmp_path) as server:
                use(server.host, server.port)
                table = app.screen.query_one("#tab-timeline LazyTable", LazyTable)
                row = next(i for i in range(table.row_count) if table.get_row(i).key == entry)
                assert table.get_row(row).cells[-1] == "not sent (M resends)"
                table.move_cursor(row)
                await pilot.press("M")
                await settle(pilot, app)
                dialog = app.screen
                assert isinstance(dialog, SendEmailScreen)
                assert "invite.ics" in str(dialog.query_one("#send-attachments").render())
                await pilot.press("ctrl+s")
                await settle(pilot, app)
                assert not isinstance(app.screen, SendEmailScreen)
    [received] = server.messages
    assert received.rcpt_tos == ["lucia@pm.es"]
    [part] = list(received.message.iter_attachments())
    assert part.get_content_type() == "text/calendar" and part.get_param("method") == "REQUEST"
    assert emails(office["client_id"]) == [(entry, "sent")]
