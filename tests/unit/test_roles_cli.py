"""Every command that changes the database, run by real people in each role.

Four throwaway operating-system users (tests/os_users.py) share a database in a setgid
directory, as the README's shared server does: one admin, one accounting, one sales and
one read-only, each granted their role by the test's own login (the database's first
user, so its admin). Each mutating command runs as each of them against a fresh copy
of the same database; a refusal must come before any change (the copy's every row is
as it was), and an allowed command must really change it. The counts of pairs tested
and refused are asserted, so a command added to the table shows in them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from tests.invoicing_support import line, make_client, set_issuer
from tests.os_users import OsUser, OsUsers, os_users  # noqa: F401 (a fixture)
from tests.people import ME
from tests.smtp_support import smtp_server
from tui_crm.config import DatabaseTarget

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("os_users")]

ROLES = ("admin", "accounting", "sales", "readonly")
LABELS = {"admin": "adm", "accounting": "acc", "sales": "sal", "readonly": "ro"}
TODAY = dt.date.today()
ALL = set(ROLES)
WRITERS = {"admin", "accounting", "sales"}
ISSUERS = {"admin", "accounting"}


@dataclass(frozen=True)
class Command:
    name: str
    args: tuple[str, ...]  # {placeholders} filled from the world
    allowed: frozenset[str]
    # allowed but changing nothing for these roles (a read-only user prints, unstored)
    unchanged: frozenset[str] = frozenset()
    template: str = "main"  # which prepared database
    ok_codes: tuple[int, ...] = (0,)


COMMANDS = (
    Command("config set (business)", ("config", "set", "company.name", "Otra SL"), {"admin"}),
    Command("demo", ("demo", "--clients", "3", "--invoices", "4"), {"admin"}, template="empty"),
    Command("restore", ("restore", "{backup}", "--yes"), {"admin"}),
    Command(
        "invoice create (draft)",
        ("invoice", "create", "--client", "B60889649", "--line", "Horas|2|50|21"),
        WRITERS,
    ),
    Command(
        "invoice create --issue",
        ("invoice", "create", "--client", "B60889649", "--line", "Horas|2|50|21", "--issue"),
        ISSUERS,
    ),
    Command(
        "print invoice",
        ("print", "invoice", "{printable}", "-o", "{out}/f.pdf"),
        ALL,
        unchanged=frozenset({"readonly"}),
    ),
    Command(
        "print quote",
        ("print", "quote", "{quote}", "-o", "{out}/p.pdf"),
        ALL,
        unchanged=frozenset({"readonly"}),
    ),
    Command("recurring run", ("recurring", "run"), ISSUERS),
    Command("invoice void", ("invoice", "void", "{printable}", "--reason", "duplicada"), {"admin"}),
    Command(
        "invoice rectify",
        ("invoice", "rectify", "{printable}", "--reason", "precio mal"),
        ISSUERS,
    ),
    Command("import clients", ("import", "clients", "{clients_csv}"), WRITERS),
    Command("import invoices", ("import", "invoices", "{invoices_csv}"), ISSUERS),
    Command("send invoice", ("send", "invoice", "{invoice}", "--to", "x@cliente.es"), WRITERS),
    Command("send quote", ("send", "quote", "{quote}", "--to", "x@cliente.es"), WRITERS),
    # the retried email is refused again by the server: exit 1, but recorded
    Command("send retry", ("send", "retry", "{failed}"), WRITERS, ok_codes=(0, 1)),
    Command("remind", ("remind",), WRITERS),
)


def dump(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, except when each user was last seen (opening records it)."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "AND name NOT LIKE 'client_search_%' ORDER BY name"
            )
        ]
        out = {}
        for table in tables:
            columns = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]
            if table == "user":
                columns.remove("last_seen_at")
            names = ", ".join(f'"{c}"' for c in columns)
            out[table] = sorted(con.execute(f'SELECT {names} FROM "{table}"').fetchall(), key=repr)
        return out
    finally:
        con.close()


@pytest.fixture(scope="module")
def world(os_users: OsUsers, tmp_path_factory):  # noqa: F811
    """The people, the shared directory, a SMTP server and the prepared databases."""
    from tui_crm.db import close_database
    from tui_crm.services import contacts, email, invoices, quotes, recurring, users
    from tui_crm.services.maintenance import backup_database
    from tui_crm.services.startup import open_for_use

    people = {role: os_users.user(LABELS[role]) for role in ROLES}
    shared = os_users.shared
    tmp = tmp_path_factory.mktemp("roles")
    with (
        pytest.MonkeyPatch.context() as mp,
        smtp_server(tmp, refuse=("rechaza@cliente.es",)) as server,
    ):
        for name in ("data", "config", "state"):
            (tmp / name).mkdir()
            mp.setenv(f"XDG_{name.upper()}_HOME", str(tmp / name))
        mp.setenv("LANG", "C.UTF-8")
        mp.delenv("TUI_CRM_DB", raising=False)
        for person in people.values():
            settings_file = person.home / "config" / "tui-crm" / "settings.json"
            settings_file.parent.mkdir(exist_ok=True)
            settings_file.write_text(
                json.dumps(
                    {
                        "smtp.host": server.host,
                        "smtp.port": str(server.port),
                        "smtp.security": "none",
                        "smtp.from": "facturas@disenonunez.es",
                    }
                )
            )
            for path in (settings_file.parent, settings_file):
                os.chown(path, person.uid, person.gid)

        main = shared / "main.sqlite3"
        opened = open_for_use(DatabaseTarget(str(main)))
        assert (opened.login, opened.role) == (ME, "admin")  # the first user
        for role, person in people.items():
            users.add_user(person.name, role)
        set_issuer()
        client_id = make_client("Cliente Compartido SL", "B60889649")
        contacts.create_contact(
            client_id,
            contacts.ContactData(first_name="Lucía", email="lucia@cliente.es", is_billing=True),
        )
        old = invoices.issue_invoice(
            invoices.create_draft(
                invoices.InvoiceDraftInput(client_id=client_id, lines=[line(price="300")])
            ),
            TODAY - dt.timedelta(days=45),
        )  # 15 days overdue: a first reminder is due
        printable = invoices.issue_invoice(  # never printed: printing it stores its PDF
            invoices.create_draft(
                invoices.InvoiceDraftInput(client_id=client_id, lines=[line(price="40")])
            ),
            TODAY,
        )
        quote = quotes.create_quote(
            quotes.QuoteInput(
                client_id=client_id, title="Web", lines=[line(price="80")], valid_days=30
            )
        )
        quotes.create_quote(  # expired since yesterday: `recurring run` expires it
            quotes.QuoteInput(
                client_id=client_id,
                title="Caducado",
                lines=[line(price="90")],
                date=TODAY - dt.timedelta(days=31),
                valid_days=30,
            )
        )
        recurring.create_recurring(
            recurring.RecurringInput(
                client_id=client_id,
                title="Mantenimiento",
                next_date=TODAY,
                issue_directly=True,
                lines=[line(price="60")],
            )
        )
        from tui_crm.services import settings

        for key, value in json.loads(settings_file.read_text()).items():
            settings.set_value(key, value)  # the test's own login sends from here too
        failed = email.send(email.compose_invoice(old.id, to="rechaza@cliente.es"))
        assert failed is not None and not failed.sent
        quote_code = quotes.get_quote(quote).code
        close_database()

        empty = shared / "empty.sqlite3"
        open_for_use(DatabaseTarget(str(empty)))
        for role, person in people.items():
            users.add_user(person.name, role)
        backup = backup_database(shared / "backup.sqlite3")
        close_database()
        os_users.share(backup)

        clients_csv = shared / "clientes.csv"
        clients_csv.write_text("Nombre;CIF\nNuevo Cliente SL;B27714633\n", encoding="utf-8")
        os_users.share(clients_csv)
        invoices_csv = shared / "facturas.csv"
        invoices_csv.write_text(
            "Número;Fecha;Cliente;CIF;Base imponible;IVA %;Total\n"
            f"H{TODAY.year - 1}-00007;15/03/{TODAY.year - 1};Histórico SL;A58818501;"
            "100,00;21;121,00\n",
            encoding="utf-8",
        )
        os_users.share(invoices_csv)
        yield {
            "people": people,
            "users": os_users,
            "templates": {"main": main, "empty": empty},
            "values": {
                "backup": str(backup),
                "invoice": old.code,
                "printable": printable.code,
                "quote": quote_code,
                "clients_csv": str(clients_csv),
                "invoices_csv": str(invoices_csv),
                "failed": str(failed.activity_id),
            },
            "server": server,
        }


def fresh_copy(world, template: str, name: str) -> Path:
    """A copy of a prepared database, in the shared directory, the group's to write."""
    source = world["templates"][template]
    target = world["users"].shared / f"{name}.sqlite3"
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return world["users"].share(target)


def test_every_mutating_command_under_every_role(world) -> None:
    tested = refused = 0
    failures: list[str] = []
    for number, command in enumerate(COMMANDS):
        for role in ROLES:
            person: OsUser = world["people"][role]
            path = fresh_copy(world, command.template, f"c{number}-{LABELS[role]}")
            out = world["users"].shared / f"out-{number}-{LABELS[role]}"
            out.mkdir()
            world["users"].share(out, 0o2770)
            values = {**world["values"], "out": str(out)}
            args = [a.format(**values) for a in command.args]
            before = dump(path)
            result = world["users"].run(person, "--db", path, *args)
            after = dump(path)
            tested += 1
            where = f"{command.name} as {role}"
            if role in command.allowed:
                if result.returncode not in command.ok_codes or "may not" in result.stderr:
                    failures.append(f"{where}: exit {result.returncode}: {result.stderr.strip()}")
                elif role in command.unchanged and after != before:
                    failures.append(f"{where}: changed the database")
                elif role not in command.unchanged and after == before:
                    failures.append(f"{where}: allowed, yet nothing changed")
            else:
                refused += 1
                if result.returncode != 1 or "may not" not in result.stderr:
                    failures.append(
                        f"{where}: not refused (exit {result.returncode}) {result.stderr.strip()}"
                    )
                elif person.name not in result.stderr:
                    failures.append(f"{where}: the refusal does not name {person.name}")
                if after != before:
                    changed = sorted(t for t in after if after[t] != before.get(t))
                    failures.append(f"{where}: refused AFTER changing {', '.join(changed)}")
    assert failures == []
    # 16 commands x 4 roles; refused: 3+3+3+3 admin-only (config, demo, restore, void),
    # 1 draft, 2 issue, 2 recurring, 2 rectify, 1+2 imports, 3 sends, 1 remind
    assert (tested, refused) == (64, 26)


def test_the_environment_never_names_the_user(world) -> None:
    """The issue's first case: a sales user claiming to be the admin in every variable."""
    path = fresh_copy(world, "main", "impostor")
    admin, sales = world["people"]["admin"], world["people"]["sales"]
    before = dump(path)
    claim = {"TUI_CRM_USER": admin.name, "LOGNAME": admin.name, "USER": admin.name}
    result = world["users"].run(
        sales, "--db", path, "config", "set", "company.name", "X", env=claim
    )
    assert result.returncode == 1
    assert f"{sales.name} (sales) may not change the business settings" in result.stderr
    assert dump(path) == before


def test_acting_as_someone_else_is_an_admins_power_and_both_names_are_kept(world) -> None:
    path = fresh_copy(world, "main", "acting")
    people = world["people"]
    admin, sales, accounting = people["admin"], people["sales"], people["accounting"]
    before = dump(path)
    refused = world["users"].run(
        sales, "--db", path, "--user", admin.name, "config", "set", "company.name", "X"
    )
    assert refused.returncode == 1
    assert f"only an admin may act as another user (--user {admin.name})" in refused.stderr
    assert dump(path) == before
    # the admin acts as the accountant: the accountant's role, both names in the log
    done = world["users"].run(
        admin,
        "--db",
        path,
        "--user",
        accounting.name,
        "invoice",
        "create",
        "--client",
        "B60889649",
        "--line",
        "Horas|1|10|21",
        "--issue",
    )
    assert done.returncode == 0, done.stderr
    con = sqlite3.connect(path)
    try:
        row = con.execute(
            "SELECT user, real_user FROM audit_log WHERE action = 'issue' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        issued_by = con.execute(
            "SELECT issued_by FROM invoice WHERE code = ?", (done.stdout.strip(),)
        ).fetchone()
    finally:
        con.close()
    assert row == (accounting.name, admin.name)
    assert issued_by == (accounting.name,)
    as_sales = world["users"].run(
        admin, "--db", path, "--user", sales.name, "config", "set", "company.name", "X"
    )
    assert as_sales.returncode == 1 and f"{sales.name} (sales) may not" in as_sales.stderr


def test_a_newcomer_starts_as_sales_and_the_first_person_stays_admin(world) -> None:
    path = fresh_copy(world, "main", "newcomer")
    newcomer = world["users"].user("new")
    result = world["users"].run(newcomer, "--db", path, "report", "clients", "--format", "json")
    assert result.returncode == 0, result.stderr
    con = sqlite3.connect(path)
    try:
        roles = dict(con.execute("SELECT login, role FROM user"))
    finally:
        con.close()
    assert roles[newcomer.name] == "sales" and roles[ME] == "admin"


def test_amounts_in_the_world_are_what_the_commands_expect(world) -> None:
    """The prepared database is what the table above assumes (so a pass means something)."""
    con = sqlite3.connect(world["templates"]["main"])
    try:
        due = con.execute(
            "SELECT COUNT(*) FROM recurring_invoice WHERE issue_directly AND next_date <= ?",
            (TODAY.isoformat(),),
        ).fetchone()[0]
        expired = con.execute(
            "SELECT COUNT(*) FROM quote WHERE status = 'draft' AND valid_until < ?",
            (TODAY.isoformat(),),
        ).fetchone()[0]
        totals = con.execute(
            "SELECT total_cents FROM invoice WHERE status <> 'draft' ORDER BY id"
        ).fetchall()
    finally:
        con.close()
    assert (due, expired) == (1, 1)
    assert totals == [(int(Decimal("363.00") * 100),), (int(Decimal("48.40") * 100),)]
