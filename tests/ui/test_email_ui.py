"""The email screens with the Pilot: the send dialog (sent, refused then retried), the
settings form with the password stored in the keyring, and payment reminders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from invoicing_support import make_client, set_issuer
from smtp_support import smtp_server

from tui_crm.models import Activity, PaymentReminder
from tui_crm.services import contacts, invoices, settings
from tui_crm.services.lines import LineInput
from tui_crm.ui.app import CrmApp
from tui_crm.ui.dialogs.password import PasswordDialog
from tui_crm.ui.screens.reminders import RemindersScreen
from tui_crm.ui.screens.send_email import SendEmailScreen
from tui_crm.ui.screens.settings import SettingsScreen
from tui_crm.ui.widgets.lazy_table import LazyTable

from .conftest import settle

PASSWORD = "ui-Secret-77"
T = dt.date.today()


@pytest.fixture
def shop(db, keyring_backend):
    set_issuer()
    client_id = make_client()
    contacts.create_contact(
        client_id,
        contacts.ContactData(first_name="Lucía", email="lucia@pm.es", is_billing=True),
    )
    draft = invoices.create_draft(
        invoices.InvoiceDraftInput(
            client_id=client_id,
            lines=[
                LineInput(
                    description="Diseño", quantity=Decimal(1), unit_price=Decimal(300),
                    vat_rate=Decimal(21),
                )
            ],
        )
    )  # fmt: skip
    issued = invoices.issue_invoice(draft, T - dt.timedelta(days=45))
    return {"db": db, "client_id": client_id, "invoice_id": issued.id, "code": issued.code}


def use(server) -> None:
    settings.set_many(
        {
            "smtp.host": server.host,
            "smtp.port": str(server.port),
            "smtp.security": "none",
            "smtp.from": "facturas@disenonunez.es",
        }
    )


async def test_send_dialog_sends_what_is_shown(shop, tmp_path) -> None:
    with smtp_server(tmp_path) as server:
        use(server)
        app = CrmApp(shop["db"].opened, first_run=False)
        async with app.run_test(size=(110, 36)) as pilot:
            await settle(pilot, app)
            app.send_document("invoice", shop["invoice_id"])
            await settle(pilot, app)
            dialog = app.screen
            assert isinstance(dialog, SendEmailScreen)
            assert dialog.query_one("#send-subject").value.startswith(f"Factura {shop['code']}")
            assert "Lucía" in dialog.query_one("#send-body").text
            assert dialog.query_one("#send-recipient").value == "lucia@pm.es"
            dialog.query_one("#send-subject").focus()
            await pilot.press("end", *" (copia)")
            await pilot.press("ctrl+s")
            await settle(pilot, app)
            assert not isinstance(app.screen, SendEmailScreen)
    [received] = server.messages
    assert received.message["Subject"].endswith("(copia)")
    assert received.rcpt_tos == ["lucia@pm.es"]
    assert Activity.get(Activity.kind == "email").email_status == "sent"


async def test_a_refused_email_stays_as_a_draft_and_ctrl_s_retries_it(shop, tmp_path) -> None:
    with smtp_server(tmp_path, refuse=("lucia@pm.es",)) as server:
        use(server)
        app = CrmApp(shop["db"].opened, first_run=False)
        async with app.run_test(size=(110, 36)) as pilot:
            await settle(pilot, app)
            app.send_document("invoice", shop["invoice_id"])
            await settle(pilot, app)
            await pilot.press("ctrl+s")
            await settle(pilot, app)
            dialog = app.screen
            assert isinstance(dialog, SendEmailScreen)  # still open, nothing lost
            problem = str(dialog.query_one("#send-problem").render())
            assert "550" in problem and "draft" in problem
            [entry] = Activity.select().where(Activity.kind == "email")
            assert entry.email_status == "failed"
            server.refuse.clear()
            await pilot.press("ctrl+s")
            await settle(pilot, app)
            assert not isinstance(app.screen, SendEmailScreen)
    assert len(server.messages) == 1
    [entry] = Activity.select().where(Activity.kind == "email")
    assert entry.email_status == "sent"


async def test_settings_store_the_smtp_password_in_the_keyring(
    shop, tmp_path, app_env, keyring_backend
) -> None:
    app = CrmApp(shop["db"].opened, first_run=False)
    async with app.run_test(size=(110, 40)) as pilot:
        await settle(pilot, app)
        app.show_settings()
        await settle(pilot, app)
        form = app.screen
        assert isinstance(form, SettingsScreen)
        assert form.focused.id == "field-smtp-host"
        await pilot.press(*"mail.example.com", "tab", "tab", "tab", *"ana")
        await pilot.press("tab", *"Ana <ana@example.com>", "ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, SettingsScreen)  # it stays open to set the password
        assert settings.get("smtp.host") == "mail.example.com"
        assert settings.get("smtp.from") == "Ana <ana@example.com>"
        assert "No password stored for smtp:ana@mail.example.com" in str(
            form.query_one("#settings-keyring").render()
        )
        await pilot.press("f7")
        await settle(pilot, app)
        assert isinstance(app.screen, PasswordDialog)
        await pilot.press(*PASSWORD, "tab", *PASSWORD[:-1], "ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, PasswordDialog)  # the two differ
        app.screen.query_one("#password-second").value = ""
        app.screen.query_one("#password-second").focus()
        await pilot.press(*PASSWORD, "ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, SettingsScreen)
        assert "A password is stored" in str(form.query_one("#settings-keyring").render())
        await pilot.press("escape")
        await settle(pilot, app)
        assert not isinstance(app.screen, SettingsScreen)
    assert keyring_backend.store == {("tui-crm", "smtp:ana@mail.example.com"): PASSWORD}
    assert PASSWORD not in app_env.settings_file.read_text()


async def test_reminders_screen_marks_and_sends(shop, tmp_path) -> None:
    with smtp_server(tmp_path) as server:
        use(server)
        app = CrmApp(shop["db"].opened, first_run=False)
        async with app.run_test(size=(110, 36)) as pilot:
            await settle(pilot, app)
            app.show_reminders()
            await settle(pilot, app)
            screen = app.screen
            assert isinstance(screen, RemindersScreen)
            table = screen.query_one(LazyTable)
            assert table.row_count == 1
            await pilot.press("space")
            await settle(pilot, app)
            assert screen.marked == {shop["invoice_id"]}
            assert table.get_row(0).cells[0] == "✓"
            await pilot.press("s")
            await settle(pilot, app)
            assert isinstance(app.screen, SendEmailScreen)
            assert app.screen.query_one("#send-subject").value.startswith("Recordatorio de pago")
            await pilot.press("ctrl+s")
            await settle(pilot, app)
            assert isinstance(app.screen, RemindersScreen)
            await settle(pilot, app)
            assert table.get_row(0).cells[6].startswith("1 · ")  # the last reminder
            assert table.get_row(0).cells[7] == "2"  # due next
    assert [(r.invoice_id, r.level) for r in PaymentReminder.select()] == [(shop["invoice_id"], 1)]
    assert len(server.messages) == 1


async def test_invoice_view_and_receivables_board_lead_to_email(shop, tmp_path) -> None:
    from tui_crm.ui.screens.invoice_view import InvoiceView
    from tui_crm.ui.screens.receivables import ReceivablesScreen

    with smtp_server(tmp_path) as server:
        use(server)
        app = CrmApp(shop["db"].opened, first_run=False)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot, app)
            app.open_invoice(shop["invoice_id"])
            await settle(pilot, app)
            assert isinstance(app.screen, InvoiceView)
            await pilot.press("m")
            await settle(pilot, app)
            assert isinstance(app.screen, SendEmailScreen)
            await pilot.press("escape")
            await settle(pilot, app)
            await pilot.press("f5")
            await settle(pilot, app)
            board = app.screen
            assert isinstance(board, ReceivablesScreen)
            await pilot.press("m")
            await settle(pilot, app)
            assert isinstance(app.screen, RemindersScreen)
            assert app.screen.marked == {shop["invoice_id"]}
            await pilot.press("s")
            await settle(pilot, app)
            await pilot.press("ctrl+s")
            await settle(pilot, app)
            await pilot.press("escape")
            await settle(pilot, app)
            assert app.screen is board
            row = board.query_one(LazyTable).get_row(0)
            assert row.cells[-1].startswith("1 · ")  # the last reminder's level and date
    assert len(server.messages) == 1


async def test_client_file_sends_from_sales_and_resends_from_the_timeline(shop, tmp_path) -> None:
    from tui_crm.ui.screens.client_file import ClientFileScreen, table_id

    with smtp_server(tmp_path, refuse=("lucia@pm.es",)) as server:
        use(server)
        app = CrmApp(shop["db"].opened, first_run=False)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot, app)
            app.open_client(shop["client_id"], "sales")
            await settle(pilot, app)
            file_screen = app.screen
            assert isinstance(file_screen, ClientFileScreen)
            await pilot.press("M")
            await settle(pilot, app)
            assert isinstance(app.screen, SendEmailScreen)
            await pilot.press("ctrl+s")
            await settle(pilot, app)
            assert isinstance(app.screen, SendEmailScreen)  # refused: kept to retry
            await pilot.press("escape")
            await settle(pilot, app)
            assert app.screen is file_screen
            file_screen.action_show_tab("timeline")
            await settle(pilot, app)
            timeline = file_screen.query_one(f"#{table_id('timeline')}", LazyTable)
            row = timeline.get_row(0)
            assert row.cells[-1] == "not sent (M resends)"
            server.refuse.clear()
            await pilot.press("M")
            await settle(pilot, app)
            assert isinstance(app.screen, SendEmailScreen)
            await pilot.press("ctrl+s")
            await settle(pilot, app)
            assert app.screen is file_screen
    assert len(server.messages) == 1
    [entry] = Activity.select().where(Activity.kind == "email")
    assert entry.email_status == "sent"


async def test_quote_view_sends_the_quote_and_shows_it_sent(shop, tmp_path) -> None:
    from tui_crm.services import quotes
    from tui_crm.ui.screens.quote_view import QuoteView

    quote_id = quotes.create_quote(
        quotes.QuoteInput(
            client_id=shop["client_id"],
            title="Web",
            lines=[
                LineInput(
                    description="Diseño", quantity=Decimal(1), unit_price=Decimal(900),
                    vat_rate=Decimal(21),
                )
            ],
        )
    )  # fmt: skip
    with smtp_server(tmp_path) as server:
        use(server)
        app = CrmApp(shop["db"].opened, first_run=False)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot, app)
            app.open_quote(quote_id)
            await settle(pilot, app)
            view = app.screen
            assert isinstance(view, QuoteView)
            await pilot.press("m")
            await settle(pilot, app)
            assert isinstance(app.screen, SendEmailScreen)
            await pilot.press("ctrl+s")
            await settle(pilot, app)
            assert app.screen is view
            assert view.detail.status == "sent"
    assert len(server.messages) == 1
    assert server.messages[0].message["Subject"].startswith("Presupuesto ")


async def test_email_templates_edit_refuses_unknown_placeholders(shop) -> None:
    from tui_crm.services import email, email_templates
    from tui_crm.ui.screens.email_templates import EmailTemplateForm, EmailTemplatesScreen

    app = CrmApp(shop["db"].opened, first_run=False)
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot, app)
        app.show_email_templates()
        await settle(pilot, app)
        screen = app.screen
        assert isinstance(screen, EmailTemplatesScreen)
        table = screen.query_one(LazyTable)
        assert (
            table.row_count == 12
        )  # six kinds (general: any email from the client file), es and en
        assert table.get_row(0).cells[:2] == ("quote", "English")
        await pilot.press("down", "down", "e")  # invoice, English
        await settle(pilot, app)
        form = app.screen
        assert isinstance(form, EmailTemplateForm)
        assert form.query_one("#field-subject").value == "Invoice {number} from {company}"
        form.query_one("#field-subject").focus()
        await pilot.press("end", *" {fecha}", "ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, EmailTemplateForm)
        error = str(form.query_one("#field-subject-error").render())
        assert "{fecha}" in error
        await pilot.press(*["backspace"] * 8, "ctrl+s")
        await settle(pilot, app)
        assert app.screen is screen
        assert table.get_row(2).cells[4] == "yours"
    [mine] = [t for t in email_templates.list_templates("invoice") if not t.builtin]
    assert (mine.name, mine.language) == ("invoice", "en")
    draft = email.compose_invoice(shop["invoice_id"], language="en")
    assert draft.subject == f"Invoice {shop['code']} from Diseño Núñez SL"


async def test_a_copy_refused_while_the_email_went_is_a_warning(shop, tmp_path) -> None:
    with smtp_server(tmp_path, refuse=("facturas@disenonunez.es",)) as server:
        use(server)
        settings.set_many({"smtp.bcc_self": "yes"})  # a copy to the sender, which is refused
        app = CrmApp(shop["db"].opened, first_run=False)
        async with app.run_test(size=(110, 36)) as pilot:
            await settle(pilot, app)
            app.send_document("invoice", shop["invoice_id"])
            await settle(pilot, app)
            await pilot.press("ctrl+s")
            await settle(pilot, app)
            assert not isinstance(app.screen, SendEmailScreen)  # it went
            [told] = [n for n in app._notifications if "facturas@disenonunez.es" in n.message]
            assert told.severity == "warning" and told.message.startswith("Sent to lucia@pm.es")
    [received] = server.messages
    assert received.rcpt_tos == ["lucia@pm.es"]
    assert Activity.get(Activity.kind == "email").email_status == "sent"
