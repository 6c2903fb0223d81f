"""The PostgreSQL path: the same services and command line against a real server.

A throwaway cluster per module (the `pg_url` fixture, tests/postgres_support.py: Debian's
postgresql package, installed by `make test`); the tests are skipped, saying why, only
where no PostgreSQL is installed.
"""

from __future__ import annotations

import pytest

from tests.postgres_support import free_port

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("postgres")]


def test_services_and_cli_on_postgresql(pg_url, cli, app_env):
    from tui_crm.config import DatabaseTarget
    from tui_crm.db import close_database
    from tui_crm.migrations import current_version, latest_version
    from tui_crm.services import clients
    from tui_crm.services.errors import ConflictError
    from tui_crm.services.startup import open_for_use

    init = cli("--db", pg_url, "init")
    assert init.returncode == 0, init.stderr
    assert cli("--db", pg_url, "config", "set", "company.name", "Ñandú SL").returncode == 0

    open_for_use(DatabaseTarget(pg_url))
    try:
        assert current_version() == latest_version()
        cid = clients.create_client(
            clients.ClientInput(legal_name="Muñoz Hermanos", tax_id="B12345674"),
            clients.AddressInput(city="Cádiz"),
        )
        found = clients.list_clients(clients.ClientFilter(text="munoz"))
        assert [r.id for r in found] == [cid]
        assert clients.list_clients(clients.ClientFilter(text="B1234"))[0].city == "Cádiz"
        # The same search documents as SQLite's: contact people, phones, any case or accent.
        from tui_crm.services import contacts

        other = clients.create_client(
            clients.ClientInput(legal_name="TALLERES ÁVILA 50% SL", phone="+34 911 234 567")
        )
        contacts.create_contact(cid, contacts.ContactData(first_name="José", last_name="Peña"))

        def search(text: str) -> list[int]:
            return [r.id for r in clients.list_clients(clients.ClientFilter(text=text))]

        assert search("jose pena") == [cid]
        assert search("talleres avila") == [other]
        assert search("911234") == [other] and search("911 234") == [other]
        assert search("50%") == [other] and search("0%s") == []  # % and _ are literal
        from tui_crm.services import timeline

        timeline.create_activity(cid, timeline.ActivityData(kind="call", subject="Llamada"))
        assert [a.subject for a in timeline.list_timeline(cid)] == ["Llamada"]
        clients.update_client(cid, clients.ClientInput(legal_name="Muñoz Hermanos SL"), 1)
        with pytest.raises(ConflictError):
            clients.update_client(cid, clients.ClientInput(legal_name="Stale"), 1)
    finally:
        close_database()

    report = cli("--db", pg_url, "report", "clients", "--format", "json")
    assert report.returncode == 0, report.stderr
    assert '"name": "Muñoz Hermanos SL"' in report.stdout
    assert cli("--db", pg_url, "config", "get", "company.name").stdout.strip() == "Ñandú SL"
    check = cli("--db", pg_url, "check")
    assert check.returncode == 0, check.stdout + check.stderr


def test_unreachable_server_is_one_line(cli):
    port = free_port()
    result = cli("--db", f"postgresql://nobody@127.0.0.1:{port}/none", "report", "clients")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_issued_invoices_are_immutable_below_the_services_on_postgresql(pg_url, app_env):
    import peewee

    from tests.invoicing_support import draft, line, make_client, set_issuer
    from tui_crm.config import DatabaseTarget
    from tui_crm.db import close_database, database, execute
    from tui_crm.services import invoices
    from tui_crm.services.startup import open_for_use

    open_for_use(DatabaseTarget(pg_url))
    try:
        set_issuer()
        client_id = make_client("Inmutable SL", "B60889649")
        issued = invoices.issue_invoice(draft(client_id, line(price="250")))
        other = draft(client_id, line(price="10"))
        refused = (
            ("UPDATE invoice SET total_cents = 1 WHERE id = ?", "issued invoices are immutable"),
            ("UPDATE invoice SET status = 'draft' WHERE id = ?", "issued invoices are immutable"),
            ("DELETE FROM invoice WHERE id = ?", "issued invoices cannot be deleted"),
            ("UPDATE invoice_line SET unit_price_cents = 1 WHERE invoice_id = ?", "lines of"),
            ("DELETE FROM invoice_line WHERE invoice_id = ?", "lines of an issued invoice"),
        )
        for sql, message in refused:
            with pytest.raises(peewee.DatabaseError, match=message), database.atomic():
                execute(sql, (issued.id,))
        with database.atomic():  # what may change: payments, and drafts entirely
            execute("UPDATE invoice SET paid_cents = 100 WHERE id = ?", (issued.id,))
            execute("UPDATE invoice_line SET unit_price_cents = 1 WHERE invoice_id = ?", (other,))
            execute("DELETE FROM invoice_line WHERE invoice_id = ?", (other,))
            execute("DELETE FROM invoice WHERE id = ?", (other,))
        row = execute("SELECT total_cents, paid_cents FROM invoice WHERE id = ?", (issued.id,))
        assert row.fetchone() == (30250, 100)
    finally:
        close_database()


def test_check_sees_altered_guards_on_postgresql_and_init_puts_them_back(pg_url, cli):
    """`check` compares migration 8's guard functions and triggers with the database."""
    import psycopg2

    assert cli("--db", pg_url, "init").returncode == 0
    assert cli("--db", pg_url, "check").returncode == 0
    conn = psycopg2.connect(pg_url)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute(
        'CREATE OR REPLACE FUNCTION "invoice_line_issued_guard"() RETURNS trigger AS $$ '
        "BEGIN RETURN NEW; END $$ LANGUAGE plpgsql"
    )
    cur.execute('ALTER TABLE "invoice" DISABLE TRIGGER "invoice_issued_guard"')
    conn.close()
    check = cli("--db", pg_url, "check")
    assert check.returncode == 1
    assert "function invoice_line_issued_guard differs" in check.stdout, check.stdout
    assert "trigger invoice_issued_guard on invoice is disabled" in check.stdout
    init = cli("--db", pg_url, "init")
    assert init.returncode == 0, init.stderr
    assert "invoice_line_issued_guard" in init.stdout
    again = cli("--db", pg_url, "check")
    assert again.returncode == 0, again.stdout


def test_check_sees_altered_verifactu_guards_on_postgresql_and_init_puts_them_back(pg_url, cli):
    """Migration 10's guard functions and triggers (VERI*FACTU records immutable and
    chained, an issued invoice's type, a voided invoice, an F3's replaced invoices)."""
    import psycopg2

    assert cli("--db", pg_url, "init").returncode == 0
    assert cli("--db", pg_url, "check").returncode == 0
    conn = psycopg2.connect(pg_url)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute('DROP TRIGGER "verifactu_record_guard" ON "verifactu_record"')
    cur.execute(
        'CREATE OR REPLACE FUNCTION "invoice_verifactu_guard"() RETURNS trigger AS $$ '
        "BEGIN RETURN NEW; END $$ LANGUAGE plpgsql"
    )
    cur.execute('ALTER TABLE "invoice_replaced" DISABLE TRIGGER "invoice_replaced_guard"')
    conn.close()
    check = cli("--db", pg_url, "check")
    assert check.returncode == 1
    out = check.stdout
    assert "trigger verifactu_record_guard on verifactu_record is missing" in out, out
    assert "function invoice_verifactu_guard differs" in out
    assert "trigger invoice_replaced_guard on invoice_replaced is disabled" in out
    assert out.count("VERI*FACTU records are not protected") == 3
    init = cli("--db", pg_url, "init")
    assert init.returncode == 0, init.stderr
    for name in ("verifactu_record_guard", "invoice_verifactu_guard", "invoice_replaced_guard"):
        assert name in init.stdout
    again = cli("--db", pg_url, "check")
    assert again.returncode == 0, again.stdout
    conn = psycopg2.connect(pg_url)
    try:
        cur = conn.cursor()
        cur.execute(
            "SELECT t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'invoice_replaced_guard' AND c.relname = 'invoice_replaced'"
        )
        assert cur.fetchone()[0] == "O"  # enabled again
        cur.execute("SELECT prosrc FROM pg_proc WHERE proname = 'invoice_verifactu_guard'")
        assert "issued invoices are immutable" in cur.fetchone()[0]
    finally:
        conn.close()


def test_receivables_as_of_a_past_date_on_postgresql(pg_url, app_env):
    """The as-of replay (payments after the date put back) in PostgreSQL's SQL too."""
    import datetime as dt
    from decimal import Decimal

    from tests.invoicing_support import issued, line, make_client, set_issuer
    from tui_crm.config import DatabaseTarget
    from tui_crm.db import close_database, execute
    from tui_crm.services import payments
    from tui_crm.services import receivables as rv
    from tui_crm.services.startup import open_for_use

    open_for_use(DatabaseTarget(pg_url))
    try:
        set_issuer()
        client = make_client("Cobros Atrasados SL", "B63272603")
        bill = issued(client, dt.date(2025, 3, 1), line(price="200"))  # 242.00
        early = payments.register_payment(
            client, dt.date(2025, 3, 5), Decimal("50"), allocations=[(bill.id, Decimal("50"))]
        )
        payments.register_payment(
            client, dt.date(2025, 4, 10), Decimal("100"), allocations=[(bill.id, Decimal("100"))]
        )
        payments.reverse_payment(early, "devuelto")
        execute("UPDATE payment SET reversed_at = ? WHERE id = ?", ("2025-03-20 12:00:00", early))

        def owed(day: dt.date) -> list[Decimal]:
            flt = rv.ReceivablesFilter(as_of=day, client_id=client)
            return [r.outstanding for r in rv.list_receivables(flt)]

        assert owed(dt.date(2025, 3, 10)) == [Decimal("192.00")]
        assert owed(dt.date(2025, 3, 25)) == [Decimal("242.00")]
        assert owed(dt.date(2025, 4, 15)) == [Decimal("142.00")]
        summary = rv.receivables_summary(
            rv.ReceivablesFilter(as_of=dt.date(2025, 4, 5), client_id=client)
        )
        assert summary.overdue == Decimal("242.00")
    finally:
        close_database()


def test_receivables_as_of_rows_follow_writes_on_postgresql(pg_url, app_env):
    """PostgreSQL keeps the as-of rows in a temporary table per connection too: a payment
    written since they were read, by this connection or another, is in the next read."""
    import datetime as dt
    from decimal import Decimal

    from tests.invoicing_support import issued, line, make_client, set_issuer
    from tests.postgres_support import fresh_schema
    from tests.unit.test_receivables_as_of import follows_writes_since_it_was_read
    from tui_crm.db import database
    from tui_crm.services import payments
    from tui_crm.services import receivables as rv

    # Afresh: another test of the module may have issued in series F this year already.
    with fresh_schema(pg_url):
        set_issuer()
        client = make_client("Pagos Tardíos SL", "B63272603")
        bill = issued(client, dt.date(2026, 3, 1), line(price="200"))  # 242.00
        payments.register_payment(
            client, dt.date(2026, 4, 10), Decimal("100"), allocations=[(bill.id, Decimal("100"))]
        )
        follows_writes_since_it_was_read(client, bill.id)
        # Inside one transaction its second write does not move the snapshot: still read.
        other = make_client("Cobros En Curso SL", "B60889649")
        second = issued(other, dt.date(2026, 3, 1), line(price="100"))  # 121.00
        payments.register_payment(
            other, dt.date(2026, 4, 10), Decimal("21"), allocations=[(second.id, Decimal("21"))]
        )
        then = rv.ReceivablesFilter(as_of=dt.date(2026, 3, 31), client_id=other)
        with database.atomic():
            for day, amount, owed in ((20, "40", "81.00"), (21, "30", "51.00")):
                payments.register_payment(
                    other,
                    dt.date(2026, 3, day),
                    Decimal(amount),
                    allocations=[(second.id, Decimal(amount))],
                )
                assert [r.outstanding for r in rv.list_receivables(then)] == [Decimal(owed)]


def test_verifactu_records_on_postgresql(pg_url, app_env):
    import peewee

    from tests.invoicing_support import draft, line, make_client, set_issuer
    from tui_crm.config import DatabaseTarget
    from tui_crm.db import close_database, database, execute
    from tui_crm.services import invoices, settings, verifactu
    from tui_crm.services.startup import open_for_use

    open_for_use(DatabaseTarget(pg_url))
    try:
        set_issuer()
        settings.set_value("verifactu.enabled", "yes")
        client_id = make_client("Cadena SL", "B60889649")
        first = invoices.issue_invoice(draft(client_id, line(price="100")))
        second = invoices.issue_invoice(draft(client_id, line(price="40")))
        verifactu.void_invoice(second.id, "Emitida por error")
        rows = execute(
            "SELECT sequence, record_type, previous_hash, hash FROM verifactu_record "
            "WHERE invoice_id IN (?, ?) ORDER BY sequence",
            (first.id, second.id),
        ).fetchall()
        assert [r[1] for r in rows][-3:] == ["alta", "alta", "anulacion"]
        assert [r[2] for r in rows[1:]] == [r[3] for r in rows[:-1]]
        findings = verifactu.verify_chain()
        assert [f.level for f in findings] == ["ok"], [f.message for f in findings]
        refused = (
            ("UPDATE verifactu_record SET total = '1.00' WHERE invoice_id = ?", "immutable"),
            ("DELETE FROM verifactu_record WHERE invoice_id = ?", "cannot be deleted"),
            ("UPDATE invoice SET status = 'issued' WHERE id = ?", "immutable"),
        )
        for sql, message in refused:
            with pytest.raises(peewee.DatabaseError, match=message), database.atomic():
                execute(sql, (second.id,))
        with pytest.raises(peewee.DatabaseError, match="chain"), database.atomic():
            execute(
                "INSERT INTO verifactu_record (issuer_nif, issuer_name, sequence, invoice_id, "
                "record_type, subsanacion, sin_registro_previo, invoice_number, issue_date, "
                "first_record, previous_hash, hash, generated_at, environment, xml, created_at, "
                "created_by) SELECT issuer_nif, issuer_name, sequence + 1, invoice_id, "
                "record_type, subsanacion, sin_registro_previo, invoice_number, issue_date, "
                "first_record, 'X', 'Y', generated_at, environment, xml, created_at, created_by "
                "FROM verifactu_record WHERE invoice_id = ? AND record_type = 'anulacion'",
                (second.id,),
            )
        with database.atomic():  # the transmission columns do change
            execute(
                "UPDATE verifactu_record SET status = 'accepted', csv = 'CSV' WHERE invoice_id = ?",
                (first.id,),
            )
        revenue = execute(
            "SELECT SUM(base_cents) FROM client_revenue WHERE client_id = ?", (client_id,)
        ).fetchone()[0]
        assert int(revenue) == 10000  # the voided invoice no longer counts
    finally:
        close_database()


def test_name_matches_rank_first_on_postgresql(pg_url, app_env):
    """Issue 16, item 12, on the PostgreSQL path (strpos): the client named like the search
    comes before the one matched by a contact; the list sorts by the legal name shown.
    A database of its own: the whole list is compared, and the module's other tests leave
    their clients in `pg_url`'s."""
    from tests.postgres_support import empty_database
    from tui_crm.config import DatabaseTarget
    from tui_crm.db import close_database
    from tui_crm.services import clients, contacts
    from tui_crm.services.clients import ClientFilter, list_clients, position_of
    from tui_crm.services.startup import open_for_use

    open_for_use(DatabaseTarget(empty_database(pg_url, "name_order")))
    try:
        by_contact = clients.create_client(clients.ClientInput(legal_name="Andamios Bermejo SL"))
        contacts.create_contact(
            by_contact, contacts.ContactData(first_name="Luis", last_name="Treviño")
        )
        named = clients.create_client(
            clients.ClientInput(legal_name="Transportes Treviño SL", trade_name="Aaa Camiones")
        )
        found = [row.id for row in list_clients(ClientFilter(text="treviño"))]
        assert found == [named, by_contact]
        assert position_of(ClientFilter(text="treviño"), by_contact) == 1
        assert [row.id for row in list_clients(ClientFilter())] == [by_contact, named]
    finally:
        close_database()


def test_client_search_pages_on_postgresql(pg_url, app_env):
    """The client list's searches on PostgreSQL: a short one (names and tax IDs merged,
    `client_list._prefix_page`) and a substring one, each page the slice of the whole list,
    names that hold the text first."""
    from stdnum.es import cif

    from tui_crm.config import DatabaseTarget
    from tui_crm.db import close_database
    from tui_crm.services import clients
    from tui_crm.services.clients import ClientFilter, ClientInput
    from tui_crm.services.startup import open_for_use

    open_for_use(DatabaseTarget(pg_url))
    try:
        before = clients.count_clients(ClientFilter(text="b"))  # the module shares a database
        for n in range(8):
            body = f"B{n:07d}"
            name = f"Bodega {n:02d} SL" if n % 2 else f"Alfa {n:02d} SL"
            tax_id = body + cif.calc_check_digits(body)[-1]
            clients.create_client(ClientInput(legal_name=name, tax_id=tax_id))
        clients.create_client(ClientInput(legal_name="Zeta SL", email="bodega@zeta.es"))
        for text in ("b", "bo", "bodega"):
            flt = ClientFilter(text=text)
            whole = [row.name for row in clients.list_clients(flt, 0, None)]
            assert len(whole) == clients.count_clients(flt)
            paged = [
                row.name
                for offset in range(0, len(whole) + 3, 3)
                for row in clients.list_clients(flt, offset, 3)
            ]
            assert paged == whole
        assert len(whole) == 5 and whole[-1] == "Zeta SL"  # the email match after the names
        assert clients.count_clients(ClientFilter(text="b")) == before + 8
    finally:
        close_database()


def test_clients_names_are_read_from_their_index_on_postgresql(pg_url, app_env):
    """m0022: `report revenue` joins every client's name and tax ID from an index, not from
    the wide client table; the longest name the form takes still fits it."""
    import datetime as dt

    from tests.invoicing_support import issued, line, make_client, set_issuer
    from tui_crm.config import DatabaseTarget
    from tui_crm.db import close_database, execute
    from tui_crm.services import reports
    from tui_crm.services.startup import open_for_use

    open_for_use(DatabaseTarget(pg_url))
    try:
        set_issuer()
        longest = "𝔄" * 200  # 200 characters of 4 bytes each
        client = make_client(longest, "B87654323")
        # Today: the module's server is shared, and other tests issue in this series.
        issued(client, dt.date.today(), line(price="100"))
        execute("SET enable_seqscan = off")
        execute("SET enable_bitmapscan = off")
        plan = "\n".join(
            r[0] for r in execute("EXPLAIN SELECT id, legal_name, tax_id FROM client").fetchall()
        )
        assert "Index Only Scan using client_names" in plan
        execute("RESET ALL")
        rows = list(reports.revenue_rows())
        assert (longest, "B87654323") in [(r["client"], r["tax_id"]) for r in rows]
    finally:
        close_database()
