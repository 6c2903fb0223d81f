"""On PostgreSQL the server says no: group roles, privileges and row-level security that
hold even from psql, connecting as several roles of a real server.

A throwaway cluster (as tests/unit/test_postgres.py) with peer authentication on its local
socket and trust over TCP: the test, as the `postgres` superuser, runs `tui-crm init` and
grants roles through the Users service; then each person's own connection tries what
their role forbids, and the server refuses every statement. One test connects over the
socket as a real operating-system user (peer authentication: no password, the identity
is the server's session user).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.postgres_support import throwaway_cluster

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("postgres")]

PEOPLE = {"ana": "accounting", "sam": "sales", "rita": "readonly", "boss": "admin"}


@pytest.fixture(scope="module")
def cluster():
    """Peer authentication on the local socket, trust over TCP; a login role per person."""
    with throwaway_cluster(("--auth-local=peer", "--auth-host=trust"), roles=list(PEOPLE)) as c:
        yield {"port": c.port, "socket": c.socket, "url": c.url}


def connect_as(cluster, login: str):
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", port=cluster["port"], user=login, dbname="crm")
    conn.autocommit = True
    return conn


@pytest.fixture(scope="module")
def books(cluster, tmp_path_factory):
    """`init` as the superuser, colleagues granted their roles, an issued and a draft invoice."""
    from tests.invoicing_support import draft, line, make_client, set_issuer
    from tui_crm.config import DatabaseTarget
    from tui_crm.db import close_database
    from tui_crm.services import invoices, payments, users
    from tui_crm.services.startup import open_for_use

    tmp = tmp_path_factory.mktemp("pgroles")
    with pytest.MonkeyPatch.context() as mp:
        for name in ("data", "config", "state"):
            (tmp / name).mkdir()
            mp.setenv(f"XDG_{name.upper()}_HOME", str(tmp / name))
        from tui_crm.cli import main

        assert main(["--db", cluster["url"], "init"]) == 0
        opened = open_for_use(DatabaseTarget(cluster["url"]))
        assert (opened.login, opened.role) == ("postgres", "admin")
        for login, role in PEOPLE.items():
            users.add_user(login, role)
        set_issuer()
        client_id = make_client("Servidor Dice No SL", "B60889649")
        issued = invoices.issue_invoice(draft(client_id, line(price="500")), dt.date.today())
        pending = draft(client_id, line(price="20"))
        payments.register_payment(
            client_id, dt.date.today(), "100", allocations=[(issued.id, "100")]
        )
        close_database()
    return {"client": client_id, "issued": issued.id, "draft": pending}


def _refused(conn, sql: str, params: tuple = ()) -> str:
    """Run `sql` and return the server's refusal; fail if it was accepted."""
    import psycopg2

    cur = conn.cursor()
    try:
        cur.execute(sql, params)
    except psycopg2.Error as exc:
        return exc.pgerror or str(exc)
    if cur.rowcount == 0 and sql.lstrip().upper().startswith(("UPDATE", "DELETE")):
        return "0 rows (row-level security)"
    raise AssertionError(f"accepted: {sql}")


def _value(conn, sql: str, params: tuple = ()):
    cur = conn.cursor()
    cur.execute(sql, params)
    return cur.fetchone()


def test_the_server_refuses_what_each_role_may_not_do(cluster, books) -> None:
    issued, pending, client = books["issued"], books["draft"], books["client"]
    before = {
        login: None for login in PEOPLE
    }  # the invoice as issued, read by the superuser before and after
    admin = connect_as(cluster, "postgres")
    snapshot = "SELECT total_cents, status, paid_cents, fiscal_hash FROM invoice WHERE id = %s"
    before = _value(admin, snapshot, (issued,))
    audit_rows = _value(admin, "SELECT COUNT(*), MAX(hash) FROM audit_log")
    forbidden = {
        "rita": [  # read-only writes nothing
            ("INSERT INTO tag (name, color) VALUES ('x', '')", ()),
            ("UPDATE client SET legal_name = 'X' WHERE id = %s", (client,)),
            ("DELETE FROM activity", ()),
            ("UPDATE invoice SET notes = 'x' WHERE id = %s", (pending,)),
            (
                'INSERT INTO audit_log (at, "user", action, entity, entity_id, changes, summary)'
                " VALUES (now(), 'rita', 'x', 'x', '', '{}', '')",
                (),
            ),
            ("UPDATE \"user\" SET last_seen_at = now() WHERE login = 'rita'", ()),
        ],
        "sam": [  # sales: no issuing, voiding, issued invoices, payments, settings or roles
            ("UPDATE invoice SET status = 'issued', number = 99 WHERE id = %s", (pending,)),
            ("UPDATE invoice SET notes = 'cambiada' WHERE id = %s", (issued,)),
            ("UPDATE invoice SET status = 'voided' WHERE id = %s", (issued,)),
            ("DELETE FROM invoice_line WHERE invoice_id = %s", (issued,)),
            (
                "INSERT INTO payment (client_id, date, amount_cents, method, reference, notes, "
                "created_by, created_at, reversed_by, reversal_reason) VALUES "
                "(%s, now(), 100, 'cash', '', '', 'sam', now(), '', '')",
                (client,),
            ),
            ("UPDATE payment SET amount_cents = 1", ()),
            ("UPDATE series_counter SET last_number = 0", ()),
            ("UPDATE setting SET value = 'X' WHERE key = 'company.name'", ()),
            ("UPDATE \"user\" SET role = 'admin' WHERE login = 'sam'", ()),
            ("SELECT tui_crm_grant_role('sam', 'admin')", ()),
            ("GRANT crm_crm_admin TO sam", ()),
            ("DELETE FROM client WHERE id = %s", (client,)),
        ],
        "ana": [  # accounting: neither settings nor roles
            ("UPDATE setting SET value = 'X' WHERE key = 'company.name'", ()),
            ("SELECT tui_crm_grant_role('ana', 'admin')", ()),
        ],
    }
    nobody = [  # not even the admin (nor the tables' owner)
        ("UPDATE audit_log SET summary = 'x'", ()),
        ("DELETE FROM audit_log", ()),
        ("TRUNCATE audit_log", ()),
        ("UPDATE invoice SET total_cents = 1 WHERE id = %s", (issued,)),
        ("UPDATE invoice SET fiscal_hash = '' WHERE id = %s", (issued,)),
        ("DELETE FROM invoice WHERE id = %s", (issued,)),
    ]
    count = 0
    for login in ("boss", "postgres", "ana", "sam", "rita"):
        conn = connect_as(cluster, login)
        try:
            for sql, params in forbidden.get(login, []) + nobody:
                reason = _refused(conn, sql, params)
                assert reason, (login, sql)
                count += 1
        finally:
            conn.close()
    assert count == 6 + 12 + 2 + 5 * len(nobody)
    assert _value(admin, snapshot, (issued,)) == before
    assert _value(admin, "SELECT COUNT(*), MAX(hash) FROM audit_log") == audit_rows
    admin.close()


def test_what_each_role_may_do_the_server_allows(cluster, books) -> None:
    """The refusals above are the roles' limits, not a server that refuses everything."""
    sam = connect_as(cluster, "sam")
    rita = connect_as(cluster, "rita")
    ana = connect_as(cluster, "ana")
    try:
        assert _value(rita, "SELECT COUNT(*) FROM invoice")[0] >= 2  # reads everything
        cur = sam.cursor()
        cur.execute("UPDATE invoice SET notes = 'borrador' WHERE id = %s", (books["draft"],))
        assert cur.rowcount == 1  # a draft is sales' to change
        cur.execute("INSERT INTO tag (name, color) VALUES ('de sam', '')")
        cur = ana.cursor()
        cur.execute("UPDATE series_counter SET last_issue_date = last_issue_date")
        assert cur.rowcount >= 1  # the counters are accounting's
    finally:
        for conn in (sam, rita, ana):
            conn.close()


def test_the_application_follows_the_servers_roles(cluster, books) -> None:
    import peewee

    from tui_crm.config import DatabaseTarget
    from tui_crm.db import close_database
    from tui_crm.services import invoices, users
    from tui_crm.services.errors import PermissionDenied
    from tui_crm.services.session import Actor, set_actor
    from tui_crm.services.startup import open_for_use

    url = f"postgresql://sam@127.0.0.1:{cluster['port']}/crm"
    opened = open_for_use(DatabaseTarget(url))
    try:
        assert (opened.login, opened.role) == ("sam", "sales")  # session_user, its group
        with pytest.raises(PermissionDenied, match="sam"):
            invoices.issue_invoice(books["draft"], dt.date.today())
        # A tampered copy of the application that skips its own checks: the server refuses.
        set_actor(Actor("sam", "admin"))
        with pytest.raises(peewee.DatabaseError):
            invoices.issue_invoice(books["draft"], dt.date.today())
        assert invoices.get_invoice(books["draft"]).status == "draft"
    finally:
        close_database()
    # The admin's Users and roles service grants and revokes the group roles.
    open_for_use(DatabaseTarget(cluster["url"]))
    try:
        users.set_role("sam", "accounting")
        from tui_crm.services import pg_roles

        assert pg_roles.role_of("sam") == "accounting"
        users.set_active("rita", False)
        assert pg_roles.role_of("rita") is None
    finally:
        close_database()
    gone = f"postgresql://rita@127.0.0.1:{cluster['port']}/crm"
    with pytest.raises(PermissionDenied, match="no role on this database"):
        open_for_use(DatabaseTarget(gone))
    close_database()
    open_for_use(DatabaseTarget(cluster["url"]))
    try:
        users.set_active("rita", True)
        users.set_role("sam", "sales")
        assert (pg_roles.role_of("rita"), pg_roles.role_of("sam")) == ("readonly", "sales")
    finally:
        close_database()


def test_peer_authentication_names_the_person(cluster, books, os_users) -> None:  # noqa: F811
    """Over the local socket with no password: the OS login is the database role."""
    person = os_users.user("peer")
    admin = connect_as(cluster, "postgres")
    try:
        admin.cursor().execute(f'CREATE ROLE "{person.name}" LOGIN')
    finally:
        admin.close()
    from tui_crm.config import DatabaseTarget
    from tui_crm.db import close_database
    from tui_crm.services import users
    from tui_crm.services.startup import open_for_use

    open_for_use(DatabaseTarget(cluster["url"]))
    try:
        users.add_user(person.name, "sales")
    finally:
        close_database()
    url = f"postgresql:///crm?host={cluster['socket']}&port={cluster['port']}"
    result = os_users.run(person, "--db", url, "invoice", "create", "--client", "B60889649",
                          "--line", "Peer|1|10|21")  # fmt: skip
    assert result.returncode == 0, result.stderr
    refused = os_users.run(
        person, "--db", url, "config", "set", "company.name", "X", env={"PGUSER": "postgres"}
    )
    # PGUSER asks for the superuser: peer authentication refuses the connection itself
    assert refused.returncode == 1 and "Peer authentication failed" in refused.stderr
    admin = connect_as(cluster, "postgres")
    try:
        row = _value(
            admin,
            'SELECT "user", real_user FROM audit_log WHERE entity = %s ORDER BY id DESC LIMIT 1',
            ("invoice",),
        )
    finally:
        admin.close()
    assert row == (person.name, person.name)


from tests.os_users import os_users  # noqa: E402, F401 (the fixture)
