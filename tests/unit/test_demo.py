"""Demo data: realistic, consistent with the rules of the invoicing services, deterministic.

A small run (60 clients, 600 invoices) is generated once per module into real SQLite
files; each test reopens the file it needs. Timings are never asserted here (see bench/).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from stdnum import iban
from stdnum.es import cif, nif

from tests.people import ME
from tui_crm import i18n
from tui_crm.config import DatabaseTarget
from tui_crm.db import close_database, database, open_database
from tui_crm.demo import VERIFACTU_DAYS, DemoSummary, generate_demo
from tui_crm.demo.cents import line_base_cents, percent_cents, totals_cents
from tui_crm.demo.data import PROVINCES
from tui_crm.demo.generator import fast_fold
from tui_crm.money import Line, bp_to_rate, document_totals, from_cents, milli_to_quantity, to_cents
from tui_crm.services.clients import ClientFilter, list_clients
from tui_crm.services.errors import RuleViolation
from tui_crm.services.search import client_search_doc, rebuild_search_index
from tui_crm.text import fold

TODAY = dt.date(2026, 6, 15)
CLIENTS = 60
INVOICES = 600


@dataclass(frozen=True)
class Generated:
    path: Path
    summary: DemoSummary
    progress: list[tuple[str, float]]


def _generate(root: Path, name: str, seed: int) -> Generated:
    from tui_crm.services.startup import open_for_use

    path = root / f"{name}.sqlite3"
    calls: list[tuple[str, float]] = []
    open_for_use(DatabaseTarget(str(path)))
    try:
        summary = generate_demo(
            CLIENTS,
            INVOICES,
            seed,
            today=TODAY,
            progress=lambda phase, fraction: calls.append((phase, fraction)),
        )
    finally:
        close_database()
    return Generated(path, summary, calls)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Generated]]:
    """Three small runs: seed 1 twice and seed 2, all with the same `today`."""
    root = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as mp:
        for name in ("data", "config", "state"):
            (root / name).mkdir()
            mp.setenv(f"XDG_{name.upper()}_HOME", str(root / name))
        mp.setenv("LANG", "C.UTF-8")
        for name in ("TUI_CRM_DB", "LANGUAGE", "LC_ALL", "LC_MESSAGES"):
            mp.delenv(name, raising=False)
        try:
            yield {
                "a": _generate(root, "a", 1),
                "b": _generate(root, "b", 1),
                "c": _generate(root, "c", 2),
            }
        finally:
            i18n.setup("en")


@pytest.fixture
def sql(runs: dict[str, Generated]) -> Iterator[sqlite3.Connection]:
    """A plain read connection to the seed-1 database."""
    connection = sqlite3.connect(runs["a"].path)
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def opened(runs: dict[str, Generated]) -> Iterator[Path]:
    """The seed-1 database opened through tui_crm.db, for the services."""
    open_database(DatabaseTarget(str(runs["a"].path)), create=False)
    try:
        yield runs["a"].path
    finally:
        close_database()


def _one(connection: sqlite3.Connection, query: str, params: tuple = ()) -> object:
    return connection.execute(query, params).fetchone()[0]


# --- what was created ------------------------------------------------------------------


def test_summary_matches_the_tables(runs: dict[str, Generated], sql: sqlite3.Connection) -> None:
    summary = runs["a"].summary
    assert summary.clients == CLIENTS == _one(sql, "SELECT COUNT(*) FROM client")
    assert summary.invoices == _one(sql, "SELECT COUNT(*) FROM invoice")
    assert summary.invoices == INVOICES + summary.rectifying
    assert summary.rectifying == _one(sql, "SELECT COUNT(*) FROM invoice WHERE kind='rectifying'")
    for table, count in (
        ("invoice_line", summary.invoice_lines),
        ("payment", summary.payments),
        ("payment_allocation", summary.allocations),
        ("contact", summary.contacts),
        ("address", summary.addresses),
        ("activity", summary.activities),
        ("project", summary.projects),
        ("opportunity", summary.opportunities),
        ("quote", summary.quotes),
        ("quote_line", summary.quote_lines),
        ("sales_order", summary.orders),
    ):
        assert _one(sql, f"SELECT COUNT(*) FROM {table}") == count, table
    assert summary.leads == _one(sql, "SELECT COUNT(*) FROM client WHERE kind = 'lead'")
    assert 0 < summary.leads < CLIENTS // 3
    assert summary.archived == _one(sql, "SELECT COUNT(*) FROM client WHERE status='archived'")
    assert 3 <= summary.recurring == _one(sql, "SELECT COUNT(*) FROM recurring_invoice")
    assert summary.recurring == _one(sql, "SELECT COUNT(DISTINCT recurring_id) FROM recurring_line")
    assert 0 < summary.documents == _one(sql, "SELECT COUNT(*) FROM document")
    # One audit row summarises the bulk load, no row per generated record (the few
    # recurring invoices and documents come through their services, with their own).
    assert _one(sql, "SELECT COUNT(*) FROM audit_log WHERE entity = 'demo'") == 1
    assert _one(sql, "SELECT COUNT(*) FROM audit_log WHERE entity = 'invoice'") == 0


def test_recurring_invoices_and_their_contracts(opened: Path) -> None:
    from tui_crm.services import documents, recurring

    templates = recurring.list_recurring()
    assert {t.data.frequency for t in templates} == {"monthly", "quarterly", "yearly"}
    for template in templates:
        assert template.data.next_date > TODAY and len(template.lines) == 1
        assert template.lines[0].unit_price > 0
    files = documents.list_documents()
    assert files and all(f.filename.startswith("Contrato ") for f in files)
    first = files[0]
    text = documents.read_document(first.id).decode("utf-8")
    name = database.execute_sql(
        "SELECT legal_name FROM client WHERE id = ?", (first.client_id,)
    ).fetchone()[0]
    assert "CONTRATO DE PRESTACIÓN DE SERVICIOS" in text and name in text


def test_summary_describes_itself(runs: dict[str, Generated]) -> None:
    text = runs["a"].summary.describe()
    assert f"{CLIENTS} clients" in text and f"{runs['a'].summary.invoices} invoices" in text


def test_progress_is_reported_a_few_dozen_times(runs: dict[str, Generated]) -> None:
    calls = runs["a"].progress
    assert 8 <= len(calls) <= 100
    fractions = [f for _phase, f in calls]
    assert fractions == sorted(fractions)
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(isinstance(phase, str) and phase for phase, _f in calls)


def test_settings_and_users(sql: sqlite3.Connection) -> None:
    settings = dict(sql.execute("SELECT key, value FROM setting"))
    assert settings["invoice.series"] == "F"
    assert settings["invoice.rectifying_series"] == "R"
    assert settings["invoice.default_vat"] == "21"
    assert settings["invoice.payment_days"] == "30"
    assert settings["company.country"] == "ES"
    assert cif.is_valid(settings["company.tax_id"])
    assert iban.is_valid(settings["company.iban"])
    roles = dict(sql.execute('SELECT login, role FROM "user"'))
    assert roles[ME] == "admin"  # the user who ran it, registered first, is kept
    assert roles["admin"] == "admin"
    assert {"sales", "accounting"} <= set(roles.values())
    owners = {
        r[0]
        for r in sql.execute(
            'SELECT DISTINCT u.role FROM client c JOIN "user" u ON u.id = c.owner_id'
        )
    }
    assert owners <= {"admin", "sales"}


def test_indexes_triggers_and_pragmas_are_restored(
    runs: dict[str, Generated], sql: sqlite3.Connection, tmp_path: Path
) -> None:
    from tui_crm.services.startup import open_for_use

    fresh = tmp_path / "fresh.sqlite3"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CONFIG_HOME", str(tmp_path))
        open_for_use(DatabaseTarget(str(fresh)))
        close_database()
    schema = (
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') ORDER BY 1, 2"
    )
    with sqlite3.connect(fresh) as expected:
        assert sql.execute(schema).fetchall() == expected.execute(schema).fetchall()
    assert _one(sql, "PRAGMA journal_mode") == "wal"
    assert sql.execute("PRAGMA foreign_key_check").fetchall() == []
    assert _one(sql, "PRAGMA integrity_check") == "ok"
    assert _one(sql, "SELECT COUNT(*) FROM sqlite_stat1") > 0  # ANALYZE ran
    open_database(DatabaseTarget(str(runs["a"].path)), create=False)
    try:
        pragmas = {
            p: database.execute_sql(f"PRAGMA {p}").fetchone()[0]
            for p in ("foreign_keys", "synchronous", "journal_mode")
        }
    finally:
        close_database()
    assert pragmas == {"foreign_keys": 1, "synchronous": 2, "journal_mode": "wal"}


def test_refuses_a_database_with_clients(opened: Path) -> None:
    before = database.execute_sql("SELECT COUNT(*) FROM invoice").fetchone()[0]
    with pytest.raises(RuleViolation, match="already has clients"):
        generate_demo(5, 10, today=TODAY)
    assert database.execute_sql("SELECT COUNT(*) FROM invoice").fetchone()[0] == before
    assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1


# --- invoices: numbering, totals, payments ----------------------------------------------


def test_numbering_is_gapless_per_series_and_year(sql: sqlite3.Connection) -> None:
    rows = sql.execute(
        "SELECT series, year, number, code, issue_date FROM invoice ORDER BY series, year, number"
    ).fetchall()
    by_year: dict[tuple[str, int], list[tuple[int, str, str]]] = defaultdict(list)
    for series, year, number, code, issue_date in rows:
        assert code == f"{series}{year}-{number:05d}"
        assert issue_date.startswith(str(year))
        by_year[(series, year)].append((number, code, issue_date))
    assert {s for s, _y in by_year} == {"F", "R"}
    assert len({r[3] for r in rows}) == len(rows)
    counters = {
        (s, y): (n, d)
        for s, y, n, d in sql.execute(
            "SELECT series, year, last_number, last_issue_date FROM series_counter"
        )
    }
    assert set(counters) == set(by_year)
    for key, items in by_year.items():
        numbers = [n for n, _c, _d in items]
        assert numbers == list(range(1, len(items) + 1)), key
        dates = [d for _n, _c, d in items]
        assert dates == sorted(dates), f"issue dates go backwards in {key}"
        assert counters[key] == (numbers[-1], dates[-1])
    first = min(r[4] for r in rows)
    assert dt.date.fromisoformat(first) >= TODAY - dt.timedelta(days=3 * 366)
    assert max(r[4] for r in rows) <= TODAY.isoformat()


def _lines(sql: sqlite3.Connection, table: str, key: str) -> dict[int, list[tuple]]:
    found: dict[int, list[tuple]] = defaultdict(list)
    for row in sql.execute(
        f"SELECT {key}, quantity_milli, unit_price_cents, discount_bp, vat_rate_bp, "
        f"recargo_rate_bp, unit_cost_cents, base_cents FROM {table} ORDER BY {key}, position"
    ):
        found[row[0]].append(row[1:])
    return found


def _check_totals(sql: sqlite3.Connection, table: str, line_table: str, key: str) -> int:
    lines = _lines(sql, line_table, key)
    checked = 0
    for doc_id, base, vat, rec, irpf_bp, irpf, total, cost in sql.execute(
        f"SELECT id, base_cents, vat_cents, recargo_cents, irpf_rate_bp, irpf_cents, "
        f"total_cents, cost_cents FROM {table}"
    ):
        money_lines = []
        for qty, price, discount, vat_bp, rec_bp, unit_cost, line_base in lines[doc_id]:
            line = Line(
                quantity=milli_to_quantity(qty),
                unit_price=from_cents(price),
                discount=bp_to_rate(discount),
                vat_rate=bp_to_rate(vat_bp),
                recargo_rate=bp_to_rate(rec_bp),
                unit_cost=from_cents(unit_cost),
            )
            assert to_cents(line.base) == line_base
            money_lines.append(line)
        assert money_lines, f"{table} {doc_id} has no lines"
        totals = document_totals(money_lines, bp_to_rate(irpf_bp))
        expected = tuple(
            to_cents(v)
            for v in (totals.base, totals.vat, totals.recargo, totals.irpf, totals.total)
        )
        assert (base, vat, rec, irpf, total) == expected, f"{table} {doc_id}"
        assert cost == to_cents(totals.cost), f"{table} {doc_id}"
        checked += 1
    return checked


def test_every_invoice_total_is_what_money_document_totals_says(sql: sqlite3.Connection) -> None:
    assert _check_totals(sql, "invoice", "invoice_line", "invoice_id") == INVOICES + _one(
        sql, "SELECT COUNT(*) FROM invoice WHERE kind = 'rectifying'"
    )


def test_quote_and_order_totals_too(sql: sqlite3.Connection) -> None:
    assert _check_totals(sql, "quote", "quote_line", "quote_id") > 0
    _check_totals(sql, "sales_order", "order_line", "order_id")


def test_integer_rounding_matches_money_half_up() -> None:
    from tui_crm.money import line_base, percent_of

    cases = [(1500, 333, 0), (-1000, 1, 0), (-1000, 5, 0), (2500, 199, 250), (1, 1, 5000)]
    cases += [
        (q, p, d)
        for q in (1, 333, 1000, -500, 12345)
        for p in (1, 7, 995, 12345)
        for d in (0, 250, 1000, 1500, 3333)
    ]
    for qty, price, discount in cases:
        expected = line_base(milli_to_quantity(qty), from_cents(price), bp_to_rate(discount))
        assert line_base_cents(qty, price, discount) == to_cents(expected)
    for base in (-12345, -5, -1, 0, 1, 5, 50, 12345, 99999):
        for rate in (50, 140, 400, 520, 700, 1000, 1500, 2100):
            expected = percent_of(from_cents(base), bp_to_rate(rate))
            assert percent_cents(base, rate) == to_cents(expected)


def test_payments_are_consistent(sql: sqlite3.Connection) -> None:
    allocated: dict[int, int] = defaultdict(int)
    last_payment: dict[int, str] = {}
    for invoice_id, amount, date in sql.execute(
        "SELECT a.invoice_id, a.amount_cents, p.date FROM payment_allocation a "
        "JOIN payment p ON p.id = a.payment_id"
    ):
        allocated[invoice_id] += amount
        last_payment[invoice_id] = max(date, last_payment.get(invoice_id, ""))
    payment_days = dict(sql.execute("SELECT id, payment_days FROM client"))
    rows = sql.execute(
        "SELECT id, client_id, status, total_cents, paid_cents, outstanding_cents, paid_date, "
        "issue_date, due_date FROM invoice"
    ).fetchall()
    for inv_id, client_id, status, total, paid, outstanding, paid_date, issue, due in rows:
        assert paid + outstanding == total, inv_id
        assert allocated.get(inv_id, 0) == paid, inv_id
        expected = "paid" if outstanding == 0 else ("partially_paid" if paid else "issued")
        assert status == expected, inv_id
        if status == "paid":
            assert paid_date == last_payment[inv_id]
            assert issue <= paid_date <= TODAY.isoformat()
        else:
            assert paid_date is None
        days = (dt.date.fromisoformat(due) - dt.date.fromisoformat(issue)).days
        assert days == payment_days[client_id], inv_id
    for pid, amount, method, client_id in sql.execute(
        "SELECT id, amount_cents, method, client_id FROM payment"
    ).fetchall():
        allocations = sql.execute(
            "SELECT a.amount_cents, i.client_id FROM payment_allocation a "
            "JOIN invoice i ON i.id = a.invoice_id WHERE a.payment_id = ?",
            (pid,),
        ).fetchall()
        assert allocations, pid
        assert sum(a for a, _c in allocations) == amount, pid
        assert {c for _a, c in allocations} == {client_id}, "one payment, one client"
        if method == "compensation":
            assert amount == 0
    assert max(r[0] for r in sql.execute("SELECT date FROM payment")) <= TODAY.isoformat()
    multi = _one(
        sql,
        "SELECT COUNT(*) FROM (SELECT payment_id FROM payment_allocation GROUP BY payment_id "
        "HAVING COUNT(*) > 1)",
    )
    assert multi > 0, "some payments settle several invoices"
    count = _one(sql, "SELECT COUNT(*) FROM payment")
    assert INVOICES / 20 <= count <= INVOICES / 5, "about one payment per ten invoices"


def test_every_status_and_rectifying_invoices_are_present(sql: sqlite3.Connection) -> None:
    today = TODAY.isoformat()
    ninety = (TODAY - dt.timedelta(days=90)).isoformat()
    unpaid = "status = 'issued' AND outstanding_cents > 0"
    assert _one(sql, "SELECT COUNT(*) FROM invoice WHERE status = 'paid'") > INVOICES // 2
    assert _one(sql, "SELECT COUNT(*) FROM invoice WHERE status = 'partially_paid'") > 0
    assert _one(sql, f"SELECT COUNT(*) FROM invoice WHERE {unpaid} AND due_date >= ?", (today,))
    assert _one(
        sql,
        f"SELECT COUNT(*) FROM invoice WHERE {unpaid} AND due_date < ? AND due_date >= ?",
        (today, ninety),
    )
    assert _one(sql, f"SELECT COUNT(*) FROM invoice WHERE {unpaid} AND due_date < ?", (ninety,))
    rectifying = sql.execute(
        "SELECT r.series, r.total_cents, r.base_cents, r.rectification_reason, "
        "r.rectification_mode, o.kind, o.client_id = r.client_id, o.issue_date <= r.issue_date, "
        "o.total_cents FROM invoice r JOIN invoice o ON o.id = r.rectifies_id "
        "WHERE r.kind = 'rectifying'"
    ).fetchall()
    assert len(rectifying) >= 2
    for series, total, base, reason, mode, kind, same, before, original in rectifying:
        assert series == "R" and total < 0 and base < 0 and reason and mode == "difference"
        assert kind == "standard" and same and before and original + total > 0
    assert (
        _one(sql, "SELECT COUNT(*) FROM invoice WHERE kind = 'rectifying' AND rectifies_id IS NULL")
        == 0
    )


def test_invoice_lines_and_taxes_are_spanish(sql: sqlite3.Connection) -> None:
    per_invoice = [
        r[0]
        for r in sql.execute(
            "SELECT COUNT(*) FROM invoice_line l JOIN invoice i ON i.id = l.invoice_id "
            "WHERE i.kind = 'standard' GROUP BY l.invoice_id"
        )
    ]
    assert min(per_invoice) >= 1 and max(per_invoice) <= 5 and len(set(per_invoice)) > 2
    rates = {r[0] for r in sql.execute("SELECT DISTINCT vat_rate_bp FROM invoice_line")}
    assert {2100, 1000, 400} <= rates <= {2100, 1000, 400, 0}
    for vat_bp, rec_bp in sql.execute(
        "SELECT DISTINCT vat_rate_bp, recargo_rate_bp FROM invoice_line WHERE recargo_rate_bp <> 0"
    ):
        assert {2100: 520, 1000: 140, 400: 50}[vat_bp] == rec_bp
    irpf = {r[0] for r in sql.execute("SELECT DISTINCT irpf_rate_bp FROM invoice")}
    assert irpf <= {0, 700, 1500} and 1500 in irpf
    # Snapshot fields are frozen on every invoice.
    assert (
        _one(
            sql,
            "SELECT COUNT(*) FROM invoice WHERE client_name = '' OR client_tax_id = '' "
            "OR client_address = '' OR issuer_name = '' OR issuer_tax_id = '' "
            "OR issuer_address = '' OR issued_at IS NULL",
        )
        == 0
    )
    mismatched = _one(
        sql,
        "SELECT COUNT(*) FROM invoice i JOIN client c ON c.id = i.client_id "
        "WHERE i.client_name <> c.legal_name OR i.client_tax_id <> c.tax_id",
    )
    assert mismatched == 0


def test_client_figures_follow_the_invoices(sql: sqlite3.Connection) -> None:
    rows = sql.execute(
        "SELECT c.id, c.kind, c.revenue_total_cents, c.outstanding_cents, c.became_client_at, "
        "COALESCE(SUM(i.base_cents), 0), COALESCE(SUM(i.outstanding_cents), 0), "
        "COUNT(i.id), MIN(i.issue_date) FROM client c LEFT JOIN invoice i ON i.client_id = c.id "
        "GROUP BY c.id"
    ).fetchall()
    for cid, kind, revenue, outstanding, became, base_sum, owed, count, first in rows:
        assert revenue == base_sum, cid
        assert outstanding == owed, cid
        if kind == "lead":
            assert count == 0 and became is None, "leads have no invoices"
        else:
            assert became is not None
            if count:
                # a client since its first invoice, or since it was first in touch
                assert became <= first, cid
    expected = sql.execute(
        "SELECT client_id, CAST(substr(issue_date, 1, 4) AS INTEGER), SUM(base_cents) "
        "FROM invoice GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall()
    assert sql.execute("SELECT * FROM client_revenue ORDER BY 1, 2").fetchall() == expected
    # Per client and month (m0015), rebuilt by the load's backfill like client_revenue.
    expected = sql.execute(
        "SELECT client_id, substr(issue_date, 1, 7), COUNT(*), SUM(base_cents), SUM(cost_cents) "
        "FROM invoice WHERE status NOT IN ('draft', 'voided') GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall()
    assert (
        sql.execute(
            "SELECT * FROM client_month_revenue WHERE invoices > 0 ORDER BY 1, 2"
        ).fetchall()
        == expected
    )
    assert (
        _one(sql, "SELECT COUNT(*) FROM client WHERE kind = 'client' AND last_activity_at IS NULL")
        == 0
    )


# The tables triggers keep from the invoices, and the migration statement that fills each
# afresh from them: the load fills them once at the end instead of row by row.
_DERIVED = (
    ("client_revenue", "m0010_verifactu", "BACKFILLS"),
    ("client_month_revenue", "m0015_client_month_revenue", "SQLITE"),
    ("modelo347_figures", "m0017_modelo347_figures", "SQLITE"),
    ("day_revenue", "m0017_modelo347_figures", "SQLITE"),
)


@pytest.mark.parametrize("table, module, statements", _DERIVED)
def test_derived_tables_equal_a_fresh_aggregate_of_the_invoices(
    sql: sqlite3.Connection, table: str, module: str, statements: str
) -> None:
    """Each table the triggers keep holds exactly what its migration's backfill makes
    from the invoices as they are, row for row: what the triggers would have made."""
    import importlib

    prefix = f'INSERT INTO "{table}"'
    source = getattr(importlib.import_module(f"tui_crm.migrations.{module}"), statements)
    backfill = next(s for s in source if s.startswith(prefix) and "SELECT" in s)
    sql.execute(f'CREATE TEMP TABLE fresh AS SELECT * FROM main."{table}" WHERE 0')
    sql.execute("INSERT INTO temp.fresh" + backfill[len(prefix) :])
    width = len(sql.execute(f'SELECT * FROM main."{table}" LIMIT 1').description)
    order = ", ".join(str(n) for n in range(1, width + 1))
    stored = sql.execute(f'SELECT * FROM main."{table}" ORDER BY {order}').fetchall()
    fresh = sql.execute(f"SELECT * FROM temp.fresh ORDER BY {order}").fetchall()
    assert len(stored) > 10
    assert stored == fresh


def test_tax_ids_ibans_and_contacts_are_valid(sql: sqlite3.Connection) -> None:
    rows = sql.execute("SELECT tax_id, tax_id_compact, is_company, iban, legal_name FROM client")
    seen = set()
    for tax_id, compact, is_company, account, name in rows:
        assert nif.is_valid(tax_id), tax_id
        assert compact == nif.compact(tax_id)
        if is_company:
            assert cif.is_valid(tax_id), tax_id
            if tax_id[0] in "AB":
                assert name.endswith(("S.L.", "S.L.U.", "S.A.")), name
        if account:
            assert iban.is_valid(account), account
        seen.add(compact)
    assert len(seen) == CLIENTS, "tax IDs are unique"
    forms = {r[0] for r in sql.execute("SELECT substr(tax_id, 1, 1) FROM client")}
    assert {"B"} < forms  # companies and freelancers (DNI digits or NIE X/Y/Z)
    billing = sql.execute(
        "SELECT COUNT(*), SUM(n) FROM (SELECT SUM(is_billing) n FROM contact GROUP BY client_id)"
    ).fetchone()
    assert billing[0] == CLIENTS and billing[1] == CLIENTS, "one billing contact per client"
    per_client = [r[0] for r in sql.execute("SELECT COUNT(*) FROM contact GROUP BY client_id")]
    assert min(per_client) >= 1 and max(per_client) <= 4
    for postal, province in sql.execute("SELECT postal_code, province FROM address"):
        code = next(p[0] for p in PROVINCES if p[1] == province)
        assert postal.isdigit() and len(postal) == 5 and int(postal[:2]) == code


def test_timeline_pipeline_and_catalog(sql: sqlite3.Connection) -> None:
    today = TODAY.isoformat()
    follow_up = "done_at IS NULL AND due_date IS NOT NULL"
    assert _one(sql, f"SELECT COUNT(*) FROM activity WHERE {follow_up} AND due_date < ?", (today,))
    assert _one(sql, f"SELECT COUNT(*) FROM activity WHERE {follow_up} AND due_date = ?", (today,))
    assert _one(sql, f"SELECT COUNT(*) FROM activity WHERE {follow_up} AND due_date > ?", (today,))
    kinds = {r[0] for r in sql.execute("SELECT DISTINCT kind FROM activity")}
    assert kinds == {"call", "meeting", "email", "note", "task"}
    authors = {r[0] for r in sql.execute("SELECT DISTINCT author FROM activity")}
    assert authors <= {r[0] for r in sql.execute('SELECT login FROM "user"')}
    stages = dict(sql.execute("SELECT stage, COUNT(*) FROM opportunity GROUP BY stage"))
    assert set(stages) <= {"new", "qualified", "proposal", "negotiation", "won", "lost"}
    assert len(stages) >= 4
    assert (
        _one(sql, "SELECT COUNT(*) FROM opportunity WHERE stage = 'lost' AND lost_reason = ''") == 0
    )
    statuses = {r[0] for r in sql.execute("SELECT DISTINCT status FROM quote")}
    assert statuses == {"draft", "sent", "accepted", "rejected", "expired"}
    assert _one(sql, "SELECT COUNT(*) FROM product") >= 30
    assert _one(sql, "SELECT COUNT(*) FROM comment_template") >= 5
    assert _one(sql, "SELECT COUNT(*) FROM client_tag") > 0
    assert _one(sql, "SELECT COUNT(*) FROM custom_field_value") > 0


def _dump(path: Path) -> str:
    tables = [
        *("client", "address", "contact", "client_tag", "custom_field_value", "project"),
        *("opportunity", "activity", "product", "quote", "quote_line", "sales_order"),
        *("order_line", "invoice", "invoice_line", "series_counter", "payment"),
        *("payment_allocation", "setting", "client_revenue"),
    ]
    digest = hashlib.sha256()
    with sqlite3.connect(path) as connection:
        for table in tables:
            for row in connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2"):
                digest.update(repr(row).encode())
        for row in connection.execute("SELECT rowid, doc FROM client_search ORDER BY rowid"):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def test_same_seed_same_data_other_seed_other_data(runs: dict[str, Generated]) -> None:
    assert _dump(runs["a"].path) == _dump(runs["b"].path)
    assert _dump(runs["a"].path) != _dump(runs["c"].path)
    assert runs["a"].summary.invoices == runs["c"].summary.invoices


# --- search ------------------------------------------------------------------------------


def test_search_documents_are_those_of_the_search_service(opened: Path) -> None:
    stored = database.execute_sql("SELECT rowid, doc FROM client_search ORDER BY rowid").fetchall()
    assert len(stored) == CLIENTS
    with database.atomic() as transaction:
        rebuild_search_index()
        rebuilt = database.execute_sql(
            "SELECT rowid, doc FROM client_search ORDER BY rowid"
        ).fetchall()
        transaction.rollback()
    assert stored == rebuilt
    assert client_search_doc("Muñoz", "", "", "", ()) == "munoz"


def test_search_finds_an_accented_client_typed_without_accents(opened: Path) -> None:
    rows = database.execute_sql("SELECT id, legal_name FROM client").fetchall()
    accented = [(cid, name) for cid, name in rows if fold(name) != name.lower()]
    assert accented, "the demo has accented names"
    cid, name = accented[0]
    folded = fold(name)
    at = next(i for i, (a, b) in enumerate(zip(folded, name.lower(), strict=True)) if a != b)
    fragment = folded[max(0, at - 2) : at + 3]
    assert fragment not in name.lower()  # typed without the accent
    found = [row.id for row in list_clients(ClientFilter(text=fragment, status=""), 0, None)]
    assert cid in found
    munoz = list_clients(ClientFilter(text="munoz", status=""), 0, None)
    assert all("munoz" in fold(f"{r.name} {r.trade_name}") or r.id for r in munoz)


def test_fast_fold_is_text_fold(sql: sqlite3.Connection) -> None:
    # The generator folds with a per-character translation table; it must be fold() exactly.
    samples = [
        "Ibáñez Núñez | Peña & Muñoz S.L. | 1º B | 2ª | Ærø | Straße | İstanbul | ΣΑΣ",
        "Ｆｕｌｌ　ｗｉｄｔｈ ﬁ ½ ™ Å Å e\u0301\u0323 Ǆ ǅ ǆ ﬃ ẞ Ω",
    ]
    for text in samples:
        assert fast_fold(text) == fold(text)
    for name, sort_name in sql.execute("SELECT legal_name, sort_name FROM client"):
        assert sort_name == fold(name)[:200]  # the list sorts by the legal name it shows


def test_bad_arguments_are_refused(opened: Path) -> None:
    with pytest.raises(RuleViolation):
        generate_demo(0, 10)
    with pytest.raises(RuleViolation):
        generate_demo(10, -1)


def test_tiny_runs_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui_crm.services.startup import open_for_use

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    for clients, invoices in ((1, 0), (3, 2), (5, 40)):
        path = tmp_path / f"tiny-{clients}-{invoices}.sqlite3"
        open_for_use(DatabaseTarget(str(path)))
        try:
            summary = generate_demo(clients, invoices, today=TODAY)
        finally:
            close_database()
        assert summary.clients == clients
        with sqlite3.connect(path) as connection:
            count = _one(connection, "SELECT COUNT(*) FROM invoice WHERE kind = 'standard'")
            leads = _one(connection, "SELECT COUNT(*) FROM client WHERE kind = 'lead'")
            assert count == (invoices if leads < clients else 0)
    i18n.setup("en")


def test_money_helpers_are_exact_for_documents() -> None:
    lines = [(1500, 4500, 1000, 2100, 520, 2000), (-1000, 333, 0, 1000, 0, 0)]
    base, vat, rec, irpf, total, cost = totals_cents(lines, 1500)
    money = document_totals(
        [
            Line(
                milli_to_quantity(q),
                from_cents(p),
                bp_to_rate(d),
                bp_to_rate(v),
                bp_to_rate(r),
                from_cents(c),
            )
            for q, p, d, v, r, c in lines
        ],
        Decimal(15),
    )
    assert (base, vat, rec, irpf, total, cost) == tuple(
        to_cents(v)
        for v in (money.base, money.vat, money.recargo, money.irpf, money.total, money.cost)
    )


def test_verifactu_records_of_the_last_days_chain_and_verify(
    runs: dict[str, Generated], opened: Path, sql: sqlite3.Connection
) -> None:
    """The demo business turned VERI*FACTU on VERIFACTU_DAYS ago: the invoices since then
    have their records, chained in issue order; `check` verifies the chain and the invoices."""
    from tui_crm.services import verifactu

    since = (TODAY - dt.timedelta(days=VERIFACTU_DAYS)).isoformat()
    recorded = _one(sql, "SELECT COUNT(*) FROM verifactu_record")
    expected = _one(
        sql, "SELECT COUNT(*) FROM invoice WHERE status <> 'draft' AND issue_date >= ?", (since,)
    )
    assert recorded == expected == runs["a"].summary.verifactu_records > 0
    assert _one(sql, "SELECT COUNT(*) FROM invoice WHERE issue_date < ? AND id IN "
                "(SELECT invoice_id FROM verifactu_record)", (since,)) == 0  # fmt: skip
    assert _one(sql, "SELECT value FROM setting WHERE key = 'verifactu.enabled'") == "yes"
    statuses = dict(sql.execute("SELECT status, COUNT(*) FROM verifactu_record GROUP BY 1"))
    assert set(statuses) <= {"accepted", "pending"} and statuses.get("accepted")
    findings = verifactu.verify_chain()
    assert [f.level for f in findings] == ["ok"], [f.message for f in findings]
    assert runs["a"].path != runs["c"].path
    same = [sqlite3.connect(runs[k].path) for k in ("a", "b")]
    try:
        hashes = [
            c.execute("SELECT group_concat(hash) FROM verifactu_record").fetchone() for c in same
        ]
    finally:
        for c in same:
            c.close()
    assert hashes[0] == hashes[1]  # the same seed and day give the same chain


def test_client_since_is_never_after_the_first_touch(sql: sqlite3.Connection) -> None:
    """Issue 16, item 14: "Client since" is never after the client's first activity, quote
    or invoice, nor is the record created after them."""
    rows = sql.execute(
        "SELECT c.id, c.became_client_at, substr(c.created_at, 1, 10), "
        "(SELECT MIN(substr(a.occurred_at, 1, 10)) FROM activity a WHERE a.client_id = c.id), "
        "(SELECT MIN(q.date) FROM quote q WHERE q.client_id = c.id), "
        "(SELECT MIN(i.issue_date) FROM invoice i WHERE i.client_id = c.id) "
        "FROM client c"
    ).fetchall()
    assert rows
    for cid, became, created, activity, quote, invoice in rows:
        touches = [day for day in (activity, quote, invoice) if day]
        if became is not None and touches:
            assert became <= min(touches), cid
        if touches:
            assert created <= min(touches), cid


def test_demo_quotes_and_orders_are_numbered_as_new_ones(sql: sqlite3.Connection) -> None:
    """Demo quotes and orders have the digits a new one gets (services.orders.next_code)."""
    import re

    for table, prefix in (("quote", "P"), ("sales_order", "PED")):
        codes = [r[0] for r in sql.execute(f"SELECT code FROM {table}")]
        assert codes, table
        assert all(re.fullmatch(prefix + r"\d{4}-\d{4,}", code) for code in codes), codes[:3]
