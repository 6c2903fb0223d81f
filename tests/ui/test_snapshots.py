"""Snapshots of every screen the TUI shows, at 80x24 and 120x35, in English and Spanish.

Each is an SVG (pytest-textual-snapshot's `snap_compare`) of the screen on the demo
business (`demo`: fixed seed, today Monday 16 March 2026, the login "tester"), reached
the way a person reaches it: keys where there are keys, the app's own navigation
(`crm.show_users()` …) where the palette would be used. A change of look is a diff of
these files to review; accept it with
`pytest tests/ui/test_snapshots.py --snapshot-update`.

The id of each test names the screen: `test_screen[invoice_view-80x24-es]`. Not here:
the Excel export's progress dialog (it is there for as long as the file takes to write)
and Textual's own command palette and help panel (its results arrive as they are found).
What would differ between machines is fixed in the `demo` fixture (tests/ui/conftest.py):
the date and time, the login, the keyring; the database is "crm.sqlite3" and the
working directory "/". Run alone: `pytest -n 2 tests/ui/test_snapshots.py`; `-m "not
snapshot"` leaves them out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest

from tui_crm.config import DatabaseTarget
from tui_crm.db import execute

from .conftest import TODAY, fresh_ui, settle

SIZES = {"80x24": (80, 24), "120x35": (120, 35)}
LANGUAGES = ("en", "es")

Step = Callable[[Any], Awaitable[None]]


def one(sql: str, *params: object) -> Any:
    row = execute(sql, params).fetchone()
    assert row is not None, sql
    return row[0]


def rich_client() -> int:
    """The first client with a document: it has a bit of everything (addresses, contacts,
    a project, a recurring invoice)."""
    return one("SELECT client_id FROM document ORDER BY client_id LIMIT 1")


def busiest_client() -> int:
    """The client with the most invoices (the Sales tab, the analytics)."""
    return one("SELECT client_id FROM invoice GROUP BY client_id ORDER BY COUNT(*) DESC LIMIT 1")


def partly_paid_invoice() -> int:
    return one("SELECT id FROM invoice WHERE status = 'partially_paid' ORDER BY id LIMIT 1")


def open_quote() -> int:
    return one("SELECT id FROM quote WHERE status IN ('draft', 'sent') ORDER BY id LIMIT 1")


def draft_invoice() -> int:
    """A draft invoice written from an open quote (the demo has none of its own)."""
    from tui_crm.services import quotes

    return quotes.invoice_quote(open_quote())


def order() -> int:
    """An order: an open quote accepted (the demo has none of its own)."""
    from tui_crm.services import quotes

    return quotes.accept_quote(open_quote())


def statement_imported() -> None:
    """A Norma 43 statement: one line paying an issued invoice, one unknown, one charge."""
    import tempfile
    from pathlib import Path

    from bank_support import Movement, write_statement

    from tui_crm.services import bank

    code, owed = execute(
        "SELECT code, outstanding_cents FROM invoice WHERE status = 'issued' ORDER BY id LIMIT 1"
    ).fetchone()
    day = TODAY - dt.timedelta(days=2)
    path = write_statement(
        Path(tempfile.mkdtemp()) / "extracto.n43",
        [
            Movement(day, f"{owed / 100:.2f}", ["TRANSFERENCIA", f"FRA {code}"]),
            Movement(day, "300.00", ["ENTREGA A CUENTA"]),
            Movement(day, "-7.77", ["COMISION MANTENIMIENTO"], shared_item=17),
        ],
    )
    bank.import_statement(path)


# --- how to reach each screen ----------------------------------------------------------------


def after(first: Callable[[], object], then: Callable[[], object]) -> None:
    first()
    then()


def keys(*pressed: str) -> Step:
    async def step(pilot) -> None:
        for key in pressed:
            await pilot.press(key)
            await settle(pilot)

    return step


def call(do: Callable[[Any], object], *then: str) -> Step:
    """`do(app)` (the app's navigation, or a screen pushed), then keys."""

    async def step(pilot) -> None:
        do(pilot.app)
        await settle(pilot)
        await keys(*then)(pilot)

    return step


def client_file(tab: str, *then: str, client: Callable[[], int] = rich_client) -> Step:
    return call(lambda app: app.open_client(client(), tab), *then)


def push(factory: Callable[[], Any], *then: str) -> Step:
    """A screen or dialog pushed as the app pushes it (`factory` imports it fresh)."""
    return call(lambda app: app.push_screen(factory()), *then)


def custom_fields() -> Any:
    from tui_crm.ui.screens.client_settings import CustomFieldsScreen

    return CustomFieldsScreen()


def comment_templates() -> Any:
    from tui_crm.ui.screens.client_settings import CommentTemplatesScreen

    return CommentTemplatesScreen()


def comment_template_form() -> Any:
    from tui_crm.ui.screens.template_form import TemplateForm

    return TemplateForm()


def import_screen() -> Any:
    from tui_crm.ui.screens.import_clients import ImportScreen

    return ImportScreen(kind="clients")


def reconcile() -> Any:
    from tui_crm.ui.screens.reconcile import ReconcileScreen

    statement_imported()
    return ReconcileScreen()


def remittance() -> Any:
    from tui_crm.ui.screens.remittance import RemittanceScreen

    return RemittanceScreen()


def mandates() -> Any:
    from tui_crm.ui.screens.mandates import MandatesScreen

    return MandatesScreen()


def first_run() -> Any:
    from tui_crm.services import settings
    from tui_crm.ui.screens.first_run import FirstRunScreen

    return FirstRunScreen(settings.get_all())


def conflict() -> Any:
    from tui_crm.ui.dialogs.conflict import ConflictDialog

    return ConflictDialog(
        "carmen.nunez saved Instalaciones Eléctricas Silva S.L. at 09:12, after you opened it.",
        {"phone": ("+34 961 234 567", "+34 961 234 500"), "payment_days": ("30", "60")},
        {"phone": "Phone", "payment_days": "Payment days"},
    )


def duplicates() -> Any:
    from tui_crm.ui.dialogs.duplicates import DuplicateDialog

    found = execute("SELECT id, legal_name FROM client ORDER BY id LIMIT 2").fetchall()
    return DuplicateDialog(
        [
            SimpleNamespace(id=found[0][0], legal_name=found[0][1], reason="tax_id"),
            SimpleNamespace(id=found[1][0], legal_name=found[1][1], reason="email"),
        ]
    )


def merge_confirm() -> Any:
    from tui_crm.ui.dialogs.merge import MergeConfirm

    return MergeConfirm(rich_client(), busiest_client())


def smtp_password() -> Any:
    from tui_crm.ui.dialogs.password import PasswordDialog

    return PasswordDialog("facturacion@nexolevante.es", "smtp.nexolevante.es")


def certificate_password() -> Any:
    from tui_crm.ui.dialogs.password import CertificatePasswordDialog

    return CertificatePasswordDialog("/srv/nexo/certificado.p12")


SCREENS: dict[str, Step] = {
    # the home screen (where the app opens, F12), and the five areas (F2-F6)
    "home": keys(),
    "clients": keys("f2"),
    "agenda": keys("f3", "m"),
    "invoices": keys("f4"),
    "receivables": keys("f5"),
    "reports": keys("f6"),
    "reports_monthly": keys("f6", "2"),
    # the client file, tab by tab
    "client_file": client_file("overview"),
    "client_addresses": client_file("addresses"),
    "client_contacts": client_file("contacts"),
    "client_timeline": client_file(
        "timeline",
        client=lambda: one(
            "SELECT client_id FROM activity GROUP BY client_id ORDER BY COUNT(*) DESC LIMIT 1"
        ),
    ),
    "client_projects": client_file("projects"),
    "client_opportunities": client_file("opportunities"),
    "client_documents": client_file("documents"),
    "client_sales": client_file("sales", client=busiest_client),
    "client_analytics": client_file("analytics", client=busiest_client),
    # sales documents
    "invoice_view": call(lambda app: app.open_invoice(partly_paid_invoice())),
    "invoice_editor": call(lambda app: app.open_invoice(draft_invoice())),
    "quotes": call(lambda app: app.show_quotes()),
    "quote_view": call(lambda app: app.open_quote(open_quote())),
    "quote_editor": call(lambda app: app.open_quote(open_quote()), "e"),
    "orders": call(lambda app: after(order, app.show_orders)),
    "order_view": call(lambda app: app.open_order(order())),
    "invoice_part_form": call(lambda app: app.open_order(order()), "p"),
    "recurring": call(lambda app: app.show_recurring()),
    "recurring_editor": call(lambda app: app.show_recurring(), "e"),
    "catalog": call(lambda app: app.show_catalog()),
    # issue 17A: a project's screen, the statement of account, expenses
    "project_view": client_file("projects", "enter"),
    "statement": client_file("overview", "S", client=busiest_client),
    "expenses": call(lambda app: app.show_expenses()),
    "expense_form": call(lambda app: app.show_expenses(), "n"),
    "product_form": call(lambda app: app.show_catalog(), "e"),
    "payment_form": call(lambda app: app.open_invoice(partly_paid_invoice()), "p"),
    "pdf_prompt": call(lambda app: app.open_invoice(partly_paid_invoice()), "o"),
    "send_email": call(lambda app: app.open_invoice(partly_paid_invoice()), "m"),
    "issue_confirm": call(
        lambda app: after(draft_invoice, lambda: app.switch_mode("invoices")), "i"
    ),
    "client_picker": keys("f4", "c"),
    # money from the bank
    "reconcile": push(reconcile),
    "split_form": push(reconcile, "s"),
    "remittance": push(remittance),
    "mandates": push(mandates),
    "mandate_form": push(mandates, "e"),
    "reminders": call(lambda app: app.show_reminders()),
    # clients: forms and dialogs
    "client_form": keys("f2", "e"),
    "choice_prompt": keys("f2", "t"),
    "export_dialog": keys("f2", "x"),
    "duplicate_dialog": push(duplicates),
    "address_form": client_file("addresses", "e"),
    "contact_form": client_file("contacts", "e"),
    "project_form": client_file("projects", "e"),
    "opportunity_form": client_file("opportunities", "n"),
    "activity_form": client_file("timeline", "n"),
    "activity_view": client_file(
        "timeline",
        "enter",
        client=lambda: one(
            "SELECT client_id FROM activity GROUP BY client_id ORDER BY COUNT(*) DESC LIMIT 1"
        ),
    ),
    "attach_form": client_file("documents", "n"),
    "document_copy_form": client_file("documents", "s"),
    "confirm_dialog": client_file("overview", "a"),
    "merge": client_file("overview", "m"),
    "merge_confirm": push(merge_confirm),
    "reschedule_form": keys("f3", "m", "r"),
    # meetings, any email, leads (issue 17)
    "meeting_form": client_file("timeline", "I"),
    "client_email_start": client_file("overview", "W"),
    "client_email_form": client_file("overview", "W", "enter"),
    "leads": keys("l"),
    "conflict_dialog": push(conflict),
    # settings and administration
    "settings": call(lambda app: app.show_settings()),
    "smtp_password": push(smtp_password),
    "certificate_password": push(certificate_password),
    "first_run": push(first_run),
    "custom_fields": push(custom_fields),
    "custom_field_form": push(custom_fields, "n"),
    "comment_templates": push(comment_templates),
    "comment_template_form": push(comment_template_form),
    "email_templates": call(lambda app: app.show_email_templates()),
    "email_template_form": call(lambda app: app.show_email_templates(), "e"),
    "users": call(lambda app: app.show_users()),
    "user_form": call(lambda app: app.show_users(), "e"),
    "audit": call(lambda app: app.show_audit()),
    "audit_detail": call(lambda app: app.show_audit(), "enter"),
    "verifactu": call(lambda app: app.show_verifactu()),
    "message_dialog": call(lambda app: app.show_recurring(), "r"),
    "prompt_form": keys("f6", "p"),
    "import": push(import_screen),
    "about": call(lambda app: app.show_about()),
    # issue 16: the keys of this screen (F1), an empty agenda of mine that says where the
    # entries are, `/` finding in a list, a name typed into a client file (the question
    # that swallows it), a line left without a price
    "help_keys": client_file("overview", "f1"),
    "agenda_mine_empty": keys("f3"),
    "find_in_list": keys("f3", "m", "slash", "r", "e", "c"),
    "typed_into_client_file": client_file("overview", "v", "i", "d", "a", "l", "space", "q"),
    "line_without_price": call(
        lambda app: app.open_invoice(draft_invoice()), "n", "T", "r", "a", "b", "enter"
    ),
}


@pytest.mark.snapshot
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(screen, size, language, snap_compare, demo, monkeypatch):
    monkeypatch.chdir("/")  # where a PDF or a copy is saved by default: the same everywhere
    with fresh_ui(language) as ui:
        app = ui.CrmApp(replace(demo, target=DatabaseTarget("crm.sqlite3")), first_run=False)
        app.start_verifactu_sender = lambda: None  # nothing leaves for AEAT from a snapshot

        async def reach(pilot) -> None:
            await settle(pilot)
            await SCREENS[screen](pilot)
            await settle(pilot)
            # What changes with time alone: a blinking cursor, the toasts (gone after a
            # few seconds, sooner or later on a slow machine).
            for widget in pilot.app.screen.query("Input, TextArea"):
                widget.cursor_blink = False
            pilot.app.clear_notifications()
            await pilot.pause()

        assert snap_compare(app, terminal_size=SIZES[size], run_before=reach)
