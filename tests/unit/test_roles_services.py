"""Every service that changes data, called in each role, as the TUI and the CLI call them.

tests/unit/test_roles_cli.py runs the command line as real users; this covers the rest of what
the TUI reaches: each use case runs as admin, accounting, sales and read-only on a fresh
copy of one prepared database. A refusal must name the person and leave every row as it
was; what a role may do must really change the data. Which action each use case needs is
written here, next to it, so a service that forgets its check (or checks too late)
shows as a failure.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from decimal import Decimal

import pytest

from tests.invoicing_support import draft, line, make_client, set_issuer
from tui_crm.config import DatabaseTarget
from tui_crm.services.permissions import ROLE_ACTIONS

ROLES = {"admin": "boss", "accounting": "ana", "sales": "sam", "readonly": "rita"}
TODAY = dt.date.today()


def dump(path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'client_search_%'"
            )
        ]
        return {t: sorted(con.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
    finally:
        con.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    from tui_crm.db import close_database
    from tui_crm.services import (
        contacts,
        invoices,
        payments,
        projects,
        quotes,
        recurring,
        timeline,
        users,
    )
    from tui_crm.services.startup import open_for_use

    tmp = tmp_path_factory.mktemp("roles-services")
    with pytest.MonkeyPatch.context() as mp:
        for name in ("data", "config", "state"):
            (tmp / name).mkdir()
            mp.setenv(f"XDG_{name.upper()}_HOME", str(tmp / name))
        path = tmp / "template.sqlite3"
        open_for_use(DatabaseTarget(str(path)))
        for role, login in ROLES.items():
            users.add_user(login, role)
        set_issuer()
        a = make_client("Alfa SL", "B60889649")
        b = make_client("Beta SL", "A58818501")
        c = make_client("Gamma SL", "B27714633")
        contact = contacts.create_contact(a, contacts.ContactData(first_name="Lucía"))
        activity = timeline.create_activity(
            a, timeline.ActivityData(kind="call", subject="Llamar", due_date=TODAY)
        )
        project = projects.create_project(a, projects.ProjectData(name="Web"))
        quote = quotes.create_quote(quotes.QuoteInput(client_id=a, title="Web", lines=[line()]))
        pending = draft(a, line(price="40"))
        issued = invoices.issue_invoice(draft(a, line(price="500")), TODAY)
        paid = payments.register_payment(
            a, TODAY, Decimal(100), allocations=[(issued.id, Decimal(100))]
        )
        template_id = recurring.create_recurring(
            recurring.RecurringInput(client_id=a, title="Cuota", next_date=TODAY, lines=[line()])
        )
        from tui_crm.services import custom_fields

        custom_fields.create_definition(custom_fields.FieldDefInput(key="zona", label="Zona"))
        attachment = tmp / "contrato.pdf"
        attachment.write_bytes(b"%PDF-1.4 contrato")
        close_database()
        ids = {
            "a": a,
            "b": b,
            "c": c,
            "contact": contact,
            "activity": activity,
            "project": project,
            "quote": quote,
            "draft": pending,
            "issued": issued.id,
            "payment": paid,
            "recurring": template_id,
            "file": attachment,
        }
        yield path, ids, mp


def _cases(ids):
    from tui_crm.services import (
        addresses,
        attachments,
        catalog,
        clients,
        contacts,
        custom_fields,
        email_templates,
        expenses,
        invoices,
        merge,
        opportunities,
        payments,
        projects,
        quotes,
        recurring,
        settings,
        tags,
        timeline,
        users,
    )

    a, b, c = ids["a"], ids["b"], ids["c"]
    return [
        ("create client", "clients.write",
         lambda: clients.create_client(clients.ClientInput(legal_name="Nuevo SL"))),
        ("update client", "clients.write",
         lambda: clients.update_client(a, clients.ClientInput(legal_name="Alfa 2 SL"), 1)),
        ("archive client", "clients.write", lambda: clients.archive_client(b)),
        ("delete client", "clients.delete", lambda: clients.delete_client(b)),
        ("merge clients", "clients.merge", lambda: merge.merge_clients(b, c)),
        ("create contact", "clients.write",
         lambda: contacts.create_contact(a, contacts.ContactData(first_name="Pedro"))),
        ("delete contact", "clients.write", lambda: contacts.delete_contact(ids["contact"])),
        ("create address", "clients.write",
         lambda: addresses.create_address(a, addresses.AddressData(label="Nave", city="Jaén"))),
        ("set tags", "clients.write", lambda: tags.set_tags(a, ["vip"])),
        ("custom field values", "clients.write",
         lambda: custom_fields.set_values(a, {"zona": "Norte"})),
        ("create activity", "timeline.write",
         lambda: timeline.create_activity(a, timeline.ActivityData(subject="Nota"))),
        ("mark done", "timeline.write", lambda: timeline.mark_done(ids["activity"])),
        ("comment template", "timeline.write",
         lambda: timeline.create_template("Plantilla", body="x")),
        ("create project", "clients.write",
         lambda: projects.create_project(a, projects.ProjectData(name="Otro"))),
        ("create opportunity", "clients.write",
         lambda: opportunities.create_opportunity(
             a, opportunities.OpportunityData(title="Venta"))),
        ("create product", "catalog.write",
         lambda: catalog.create_product(catalog.ProductInput(code="P1", name="Hora"))),
        ("create quote", "quotes.write",
         lambda: quotes.create_quote(quotes.QuoteInput(client_id=a, title="Q", lines=[line()]))),
        ("accept quote", "quotes.write", lambda: quotes.accept_quote(ids["quote"])),
        ("reject quote", "quotes.write", lambda: quotes.reject_quote(ids["quote"], "caro")),
        ("create draft invoice", "invoices.draft", lambda: draft(a, line())),
        ("delete draft invoice", "invoices.draft", lambda: invoices.delete_draft(ids["draft"])),
        ("issue invoice", "invoices.issue",
         lambda: invoices.issue_invoice(ids["draft"], TODAY)),
        ("rectify invoice", "invoices.rectify",
         lambda: invoices.create_rectifying_draft(ids["issued"], "replacement", "error")),
        ("register payment", "payments.write",
         lambda: payments.register_payment(
             a, TODAY, Decimal(10), allocations=[(ids["issued"], Decimal(10))])),
        ("reverse payment", "payments.write",
         lambda: payments.reverse_payment(ids["payment"], "devuelto")),
        ("create recurring", "invoices.draft",
         lambda: recurring.create_recurring(
             recurring.RecurringInput(client_id=a, next_date=TODAY, lines=[line()]))),
        ("run recurring", "invoices.draft", lambda: recurring.run_recurring()),
        ("delete recurring", "invoices.draft",
         lambda: recurring.delete_recurring(ids["recurring"])),
        ("attach file", "clients.write", lambda: attachments.attach_file(a, ids["file"])),
        ("record expense", "expenses.write",
         lambda: expenses.create_expense(expenses.ExpenseData(
             expense_date=TODAY, supplier_name="Imprenta", base="10", client_id=a))),
        ("quote in a project", "quotes.write",
         lambda: projects.set_document_project("quote", ids["quote"], ids["project"])),
        ("issued invoice in a project", "invoices.issue",
         lambda: projects.set_document_project("invoice", ids["issued"], ids["project"])),
        ("business setting", "settings.write",
         lambda: settings.set_value("company.name", "Otra SL")),
        ("custom field definition", "settings.write",
         lambda: custom_fields.create_definition(
             custom_fields.FieldDefInput(key="sector", label="Sector"))),
        ("email template", "settings.write",
         lambda: email_templates.save_template("propia", "es", "invoice", "Factura", "Hola")),
        ("add user", "users.admin", lambda: users.add_user("nuevo", "sales")),
        ("change a role", "users.admin", lambda: users.set_role("sam", "accounting")),
        ("deactivate a user", "users.admin", lambda: users.set_active("rita", False)),
    ]  # fmt: skip


def test_every_changing_service_under_every_role(template, tmp_path) -> None:
    from tui_crm.db import close_database, open_database
    from tui_crm.services.errors import PermissionDenied
    from tui_crm.services.session import Actor, set_actor

    path, ids, _mp = template
    cases = _cases(ids)
    tested = refused = 0
    failures: list[str] = []
    for number, (name, action, call) in enumerate(cases):
        for role, login in ROLES.items():
            copy = tmp_path / f"s{number}-{role}.sqlite3"
            shutil.copy(path, copy)
            open_database(DatabaseTarget(str(copy)), create=False)
            set_actor(Actor(login, role))
            before = dump(copy)
            error: Exception | None = None
            try:
                call()
            except Exception as exc:  # each is judged below
                error = exc
            finally:
                close_database()
            after = dump(copy)
            tested += 1
            allowed = action in ROLE_ACTIONS[role]
            where = f"{name} as {role}"
            if allowed:
                if error is not None:
                    failures.append(f"{where}: {type(error).__name__}: {error}")
                elif after == before:
                    failures.append(f"{where}: allowed, yet nothing changed")
            else:
                refused += 1
                if not isinstance(error, PermissionDenied):
                    failures.append(f"{where}: not refused ({error!r})")
                elif login not in str(error):
                    failures.append(f"{where}: the refusal does not name {login}")
                if after != before:
                    changed = sorted(t for t in after if after[t] != before.get(t))
                    failures.append(f"{where}: refused AFTER changing {', '.join(changed)}")
    set_actor(Actor("system", "admin"))
    assert failures == []
    expected_refused = sum(
        1 for _n, action, _c in cases for role in ROLES if action not in ROLE_ACTIONS[role]
    )
    assert (tested, refused) == (len(cases) * 4, expected_refused)
    assert (tested, refused) == (152, 60)  # 38 use cases; refused: 38 + 14 + 8 + 0
