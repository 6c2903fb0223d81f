"""The demo generator: one seeded pass that writes a whole believable business (see the
package's docstring), and `generate_demo`, which runs it in one transaction."""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import gc
import hashlib
import json
import random
import re
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace

from ..db import database, execute, is_sqlite
from ..i18n import _
from ..money import from_cents
from ..services import evidence
from ..services.errors import RuleViolation
from ..services.session import actor, login
from ..text import fold
from .bulk import (
    ACTIVITY_COLUMNS,
    BULK_TABLES,
    INVOICE_COLUMNS,
    INVOICE_INSERT,
    LATE_TABLES,
    LINE_COLUMNS,
    PAYMENT_COLUMNS,
    Background,
    replaceable_triggers,
)
from .cents import line_base_cents, percent_cents, totals_cents
from .data import (
    ACTIVITY_BODIES,
    ACTIVITY_SUBJECTS,
    BANKS,
    BILLING_POSITIONS,
    CALL_OUTCOMES,
    CLIENT_NOTES,
    COMMENT_TEMPLATES,
    CUSTOM_FIELDS,
    DEMO_USERS,
    EXEMPT_REASON,
    FANTASY_HEADS,
    FANTASY_TAILS,
    FEMALE_NAMES,
    FREE_MAIL,
    INDUSTRIAL_ESTATES,
    LEGAL_FORMS,
    LOST_REASONS,
    MALE_NAMES,
    METHOD_TEXT,
    OPPORTUNITY_TITLES,
    OTHER_ENTITIES,
    PAYMENT_METHODS_W,
    POSITIONS,
    PRODUCTS,
    PROFESSIONS,
    PROJECT_NAMES,
    PROVINCES,
    QUOTE_REJECTED_REASONS,
    RECARGO_FOR_VAT_BP,
    RECTIFICATION_REASONS,
    REGIONS,
    SECTORS,
    STREETS,
    SURNAMES,
    TAGS,
)
from .identifiers import cif, creditor_id, dni, nie, spanish_iban

ProgressCallback = Callable[[str, float], None]
VERIFACTU_DAYS = 30  # the demo business turned VERI*FACTU on this many days before `today`


@dataclass(frozen=True)
class DemoSummary:
    """What `generate_demo` created (counts of rows), and how long it took."""

    users: int
    clients: int  # all records in the client table, leads included
    leads: int
    archived: int
    addresses: int
    contacts: int
    tags: int
    custom_fields: int
    activities: int
    follow_ups: int  # activities with a due date and no done date
    comment_templates: int
    projects: int
    opportunities: int
    products: int
    quotes: int
    quote_lines: int
    orders: int
    invoices: int  # every issued invoice, rectifying ones included
    rectifying: int
    invoice_lines: int
    payments: int
    allocations: int
    seconds: float
    recurring: int = 0  # recurring invoice templates
    documents: int = 0  # files attached to clients
    verifactu_records: int = 0  # registros de alta of the invoices since VERI*FACTU went on
    mandates: int = 0  # SEPA direct-debit mandates (clients paying by direct debit)

    def as_dict(self) -> dict[str, int | float]:
        return asdict(self)

    def describe(self) -> str:
        """One translated line for the command line: what was created, and how fast."""
        return _(
            "{clients} clients ({leads} leads), {contacts} contacts, {activities} timeline "
            "entries ({follow_ups} open follow-ups), {quotes} quotes, {invoices} invoices "
            "({rectifying} rectifying), {payments} payments, {recurring} recurring invoices, "
            "in {seconds:.1f} s"
        ).format(**self.as_dict())


_PAST_DAYS = 3000  # day numbers count from today - _PAST_DAYS
_FUTURE_DAYS = 500
_WINDOW = 1095  # invoices over the last three years
_BATCH = 50_000

# The fiscal content `fingerprints` writes, column by column (evidence.FISCAL_COLUMNS and
# evidence.LINE_COLUMNS): if evidence's changes, the demo refuses to run until updated.
_FISCAL_LAYOUT = (
    (
        "kind", "series", "year", "number", "code", "issue_date", "operation_date", "due_date",
        "base_cents", "vat_cents", "recargo_cents", "irpf_rate_bp", "irpf_cents", "total_cents",
        "exemption_reason", "rectifies_id", "client_name", "client_tax_id", "client_address",
        "issuer_name", "issuer_tax_id", "issuer_address",
    ),
    (
        "description", "quantity_milli", "unit_price_cents", "discount_bp", "vat_rate_bp",
        "recargo_rate_bp", "base_cents",
    ),
)  # fmt: skip

_SLUG = re.compile(r"[^a-z0-9]+")
_NON_DIGIT = re.compile(r"[^0-9]+")


class _FoldTable(dict):
    """`str.translate` table giving `text.fold` of any string, one character at a time.

    fold() is NFKD, minus combining marks, casefolded: all three work per character
    (NFKD's reordering only moves combining marks, which are dropped), so translating
    each character by its own fold is the same text, many times faster. Characters are
    added as they are met; tests/unit/test_demo.py checks the equivalence.
    """

    def __missing__(self, key: int) -> str:
        value = fold(chr(key))
        self[key] = value
        return value


_FOLD = _FoldTable()


def fast_fold(text: str) -> str:
    return text.translate(_FOLD)


def _slug(text: str) -> str:
    return _SLUG.sub("", text.translate(_FOLD))


def _expand(weighted: Sequence[tuple[object, int]]) -> list:
    """A lookup table where each item appears `weight` times: pick with table[int(r()*len)]."""
    table: list = []
    for item, weight in weighted:
        table.extend([item] * weight)
    return table


# --- the generator ------------------------------------------------------------------


class _Client:
    """What the later phases need to know of one generated client."""

    __slots__ = (
        "address",
        "address_id",
        "address_text",
        "archived",
        "contacts",
        "end_day",
        "exempt",
        "first_contact",
        "iban",
        "irpf_bp",
        "is_company",
        "is_lead",
        "join_day",
        "method",
        "n_contacts",
        "name",
        "owner",
        "payer",
        "payment_days",
        "pool",
        "projects",
        "recargo",
        "row",
        "sector_tag",
        "tax_id",
        "terms",
        "vat_bp",
        "who",
    )


class _Demo:
    """One generation. Days are integers counted from `today - _PAST_DAYS` (`self.T` is
    today) with their ISO strings precomputed; clients, invoices and payments are plain
    lists indexed from 0, turned into ids only when rows are written. `run` gives the
    order of the phases."""

    def __init__(
        self,
        clients: int,
        invoices: int,
        seed: int,
        today: dt.date,
        progress: ProgressCallback | None,
    ) -> None:
        self.n_clients = clients
        self.n_invoices = invoices
        self.seed = seed
        self.rng = random.Random(seed)
        self.today = today
        self._progress = progress
        self.origin = today.toordinal() - _PAST_DAYS
        self.T = _PAST_DAYS  # today's day number
        span = _PAST_DAYS + _FUTURE_DAYS + 1
        dates = [dt.date.fromordinal(self.origin + k) for k in range(span)]
        self.dstr = [d.isoformat() for d in dates]
        self.dyear = [d.year for d in dates]
        self.dmonth = [d.month for d in dates]
        self.dweek = [d.weekday() for d in dates]
        r = self.rng.random
        self.times = [
            f" {h:02d}:{m:02d}:{s:02d}"
            for h, m, s in sorted(
                (8 + int(r() * 11), int(r() * 60), int(r() * 60)) for _n in range(240)
            )
        ]
        self.counts: dict[str, int] = {}
        self.cur: sqlite3.Cursor

    # small helpers

    def progress(self, phase: str, fraction: float) -> None:
        if self._progress is not None:
            self._progress(phase, max(0.0, min(1.0, fraction)))

    def next_id(self, table: str) -> int:
        row = self.cur.execute(f'SELECT COALESCE(MAX(rowid), 0) FROM "{table}"').fetchone()
        return int(row[0]) + 1

    def insert(self, table: str, columns: str, rows: Sequence[tuple] | list[tuple]) -> int:
        if not rows:
            return 0
        marks = ", ".join("?" * len(columns.split(",")))
        self.cur.executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', rows)
        return len(rows)

    # --- phases -------------------------------------------------------------------

    def run(self) -> DemoSummary:
        self.cur = database.connection().cursor()
        cur = self.cur
        if cur.execute("SELECT EXISTS (SELECT 1 FROM client)").fetchone()[0]:
            raise RuleViolation(
                _(
                    "the database already has clients: demo data is only generated into an "
                    "empty database (use --db with a new file)"
                )
            )
        indexes = cur.execute(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' "
            f"AND sql IS NOT NULL AND tbl_name IN ({', '.join('?' * len(BULK_TABLES))}) "
            "ORDER BY rowid",
            BULK_TABLES,
        ).fetchall()
        for name, _table, _sql in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        triggers = replaceable_triggers(cur)
        for name, _create, _backfill in triggers:
            cur.execute(f'DROP TRIGGER "{name}"')

        def recreate(tables: tuple[str, ...]) -> list[tuple[str, tuple]]:
            return [(sql, ()) for _name, table, sql in indexes if table in tables]

        self.progress(_("Business settings and users"), 0.0)
        self.settings_and_users()
        self.catalog()
        self.progress(_("Clients"), 0.02)
        self.make_clients()
        self.progress(_("Contacts and addresses"), 0.08)
        self.addresses_and_contacts()
        self.progress(_("Projects, opportunities and quotes"), 0.16)
        self.projects_and_opportunities()
        self.quotes_and_orders()
        self.progress(_("Invoices"), 0.22)
        # Two threads from here: SQLite releases the GIL while one statement runs, so each
        # long statement (an INSERT ... SELECT, a CREATE INDEX) runs in a second thread while
        # the main thread builds rows in Python without touching the connection.
        done = tuple(t for t in BULK_TABLES if t not in LATE_TABLES)
        with Background(cur.connection, recreate(done)):
            self.plan_invoices()
        self.progress(_("Invoices"), 0.36)
        self.stage_invoices()
        self.ids = {table: self.next_id(table) for table in ("payment", "activity")}
        self.progress(_("Invoices"), 0.42)
        # The lines first: each invoice is fingerprinted as it is written (what issuing
        # does), from its columns and its lines. The fingerprints are hashed here, in
        # Python, while the other thread writes the lines; a Python function called by
        # SQLite for each of a million rows would wait for this thread every time.
        lines, invoices, dependents = self.expansion()
        parts = self.fingerprint_parts()
        with Background(cur.connection, [lines]) as expand:
            fingerprints = self.fingerprints(parts)
        del parts
        self.counts["invoice_lines"] = expand.rowcounts[0]
        self.stage_fingerprints(fingerprints)
        del fingerprints
        with Background(cur.connection, [invoices, *dependents]):
            rect_rows, rect_lines = self.rectifying_rows()
            payment_rows, allocations = self.payment_rows()
            self.client_figures()
            activities = self.activity_rows()
        self.counts["invoice_lines"] += len(rect_lines)
        self.progress(_("Payments"), 0.58)
        cur.executemany(INVOICE_INSERT, rect_rows)
        self.insert("invoice_line", LINE_COLUMNS, rect_lines)
        # the rectifying invoices (a few thousand) are fingerprinted as issuing does
        evidence.seal_invoices([row[0] for row in rect_rows])
        self.insert("payment", PAYMENT_COLUMNS, payment_rows)
        self.insert("payment_allocation", "payment_id, invoice_id, amount_cents", allocations)
        self.write_counters()
        # The derived tables' backfills (and their triggers put back) go to the second
        # thread below: each is a GROUP BY over every invoice. Those that read only what
        # the narrow `invoice_counted_by_date` holds read it instead of the wide table,
        # made just before them; the others read the table, before it.
        narrow = ("invoice_revenue_insert", "invoice_month_revenue_insert",
                  "invoice_day_revenue_insert")  # fmt: skip
        from_table = [(sql, ()) for name, create, backfill in triggers if name not in narrow
                      for sql in (backfill, create)]  # fmt: skip
        from_index = [(sql, ()) for name, create, backfill in triggers if name in narrow
                      for sql in (backfill, create)]  # fmt: skip
        covering = [(sql, ()) for name, _t, sql in indexes if name == "invoice_counted_by_date"]
        late_invoices = [
            *from_table,
            *covering,
            *from_index,
            *(s for s in recreate(("invoice", "payment", "payment_allocation"))
              if s not in covering),
        ]  # fmt: skip
        del rect_rows, payment_rows, allocations
        self.progress(_("Indexes"), 0.66)
        self.verifactu_inputs()
        # half a minute of SQL at the scale case: this thread builds what is left in Python
        with Background(cur.connection, late_invoices):
            client_rows = self.client_rows()
            docs = self.search_docs()
            self.verifactu_rows()
        self.progress(_("Timeline"), 0.80)
        self.insert("activity", ACTIVITY_COLUMNS, activities)
        self.insert_clients(client_rows)
        del activities, client_rows
        self.mandates()
        self.progress(_("Indexes"), 0.84)
        late = recreate(("client", "activity"))
        for number, (sql, params) in enumerate(late):
            cur.execute(sql, params)
            if number % 4 == 3:
                self.progress(_("Indexes"), 0.84 + 0.04 * (number + 1) / len(late))
        self.progress(_("Search index"), 0.88)
        self.search_index(docs)
        self.progress(_("VERI*FACTU records"), 0.91)
        self.verifactu_records()
        self.progress(_("Statistics"), 0.96)
        summary = DemoSummary(seconds=0.0, **self.counts)
        self.audit(summary)
        cur.execute("PRAGMA analysis_limit = 400")
        cur.execute("ANALYZE")
        return summary

    def mandates(self) -> None:
        """A signed SEPA mandate for every active client that pays by direct debit (their
        IBAN is on file), so a remittance can be tried at once: one statement over the
        client table. Every fifth company signed a B2B mandate; a client already collected
        by direct debit has RCUR as its next sequence, the others FRST."""
        now = self.dstr[self.T] + " 08:00:00"
        self.cur.execute(
            "INSERT INTO sepa_mandate (version, created_at, updated_at, updated_by, client_id, "
            "reference, signed_on, iban, bic, scheme, sequence, active, last_collected_on) "
            "SELECT 1, ?, ?, ?, c.id, 'NEXO-' || printf('%06d', c.id), "
            "CASE WHEN p.first < c.became_client_at THEN p.first "
            "ELSE COALESCE(c.became_client_at, ?) END, REPLACE(c.iban, ' ', ''), '', "
            "CASE WHEN c.is_company = 1 AND c.id % 5 = 0 THEN 'B2B' ELSE 'CORE' END, "
            "CASE WHEN p.last IS NULL THEN 'FRST' ELSE 'RCUR' END, 1, p.last "
            "FROM client c LEFT JOIN (SELECT client_id, MIN(date) AS first, MAX(date) AS last "
            "FROM payment "
            "WHERE method = 'direct_debit' GROUP BY client_id) p ON p.client_id = c.id "
            "WHERE c.kind = 'client' AND c.status = 'active' "
            "AND c.payment_method = 'direct_debit' AND c.iban <> '' ORDER BY c.id",
            (now, now, login(), self.dstr[max(0, self.T - 400)]),
        )
        self.counts["mandates"] = self.cur.rowcount

    def settings_and_users(self) -> None:
        cur = self.cur
        r = self.rng.random
        now = self.dstr[self.T] + " 08:00:00"
        actor = login()
        self.company_cif = cif("B", 10_000_000 // 3 + int(r() * 5_000_000))
        values = {
            "company.name": "Nexo Servicios Integrales del Levante S.L.",
            "company.tax_id": self.company_cif,
            "company.address": "Calle Colón 24, 4º",
            "company.postal_code": "46004",
            "company.city": "València",
            "company.province": "Valencia",
            "company.country": "ES",
            "company.email": "facturacion@nexolevante.es",
            "company.phone": "+34 963 512 480",
            "company.iban": spanish_iban("2100", "4521", f"{int(r() * 1e10):010d}"),
            "company.bic": "CAIXESBBXXX",  # bank 2100 is CaixaBank
            "sepa.creditor_id": creditor_id(self.company_cif),
            "invoice.series": "F",
            "invoice.rectifying_series": "R",
            "invoice.default_vat": "21",
            "invoice.default_irpf": "0",
            "invoice.payment_days": "30",
        }
        # A setting someone already chose wins: the invoices then carry that value.
        cur.executemany(
            "INSERT OR IGNORE INTO setting (key, value, updated_at, updated_by) "
            "VALUES (?, ?, ?, ?)",
            [(k, v, now, actor) for k, v in values.items()],
        )
        stored = dict(cur.execute("SELECT key, value FROM setting"))
        get = lambda key: stored.get(key, values[key])  # noqa: E731
        self.series = get("invoice.series") or "F"
        self.r_series = get("invoice.rectifying_series") or "R"

        existing = {row[0] for row in cur.execute('SELECT login FROM "user"')}
        new_users = [
            (log, full, f"{log}@nexolevante.es", role, 1, now)
            for log, full, role in DEMO_USERS
            if log not in existing
        ]
        self.insert("user", "login, full_name, email, role, active, created_at", new_users)
        self.new_users = [(log, full, role) for log, full, _e, role, _a, _n in new_users]
        self.counts["users"] = len(new_users)
        ids = dict(cur.execute('SELECT login, id FROM "user"'))
        roles = dict(cur.execute('SELECT login, role FROM "user"'))
        demo_logins = [u[0] for u in DEMO_USERS]
        self.owners = [(ids[x], x) for x in demo_logins if roles.get(x) in ("sales", "admin")]
        self.accountants = [x for x in demo_logins if roles.get(x) == "accounting"] or ["admin"]
        self.authors = [x for x in demo_logins if roles.get(x) in ("sales", "admin", "accounting")]

        cur.executemany(
            "INSERT OR IGNORE INTO tag (name, color) VALUES (?, ?)",
            TAGS,
        )
        self.counts["tags"] = cur.rowcount
        self.tag_ids = dict(cur.execute("SELECT name, id FROM tag"))
        cur.executemany(
            "INSERT OR IGNORE INTO custom_field_def (key, label, kind, choices, required, "
            "position, active) VALUES (?, ?, ?, ?, 0, ?, 1)",
            [
                (key, label, kind, json.dumps(choices, ensure_ascii=False), pos)
                for pos, (key, label, kind, choices) in enumerate(CUSTOM_FIELDS)
            ],
        )
        self.counts["custom_fields"] = cur.rowcount
        self.field_ids = dict(cur.execute("SELECT key, id FROM custom_field_def"))
        cur.executemany(
            "INSERT OR IGNORE INTO comment_template (name, kind, subject, body) "
            "VALUES (?, ?, ?, ?)",
            COMMENT_TEMPLATES,
        )
        self.counts["comment_templates"] = cur.rowcount
        from ..services.invoices import issuer_snapshot

        self.issuer = issuer_snapshot()

    def catalog(self) -> None:
        """The products and services, and the pools of line sets invoices and quotes draw from."""
        cur = self.cur
        now = self.dstr[self.T - 1000] + " 09:00:00"
        cur.executemany(
            "INSERT OR IGNORE INTO product (version, created_at, updated_at, updated_by, code, "
            "name, description, unit, unit_price_cents, vat_rate_bp, unit_cost_cents, "
            "is_service, active) VALUES (1, ?, ?, 'admin', ?, ?, '', ?, ?, ?, ?, ?, 1)",
            [(now, now, p[0], p[1], p[2], p[3], p[4], p[5], p[6]) for p in PRODUCTS],
        )
        self.counts["products"] = cur.rowcount
        product_ids = dict(cur.execute("SELECT code, id FROM product"))
        self.products = [(product_ids[p[0]], *p[1:]) for p in PRODUCTS]

        # Tax profiles: (preferred IVA bp, recargo). Each draws line sets from its own pool.
        self.profiles = [(2100, 0), (1000, 0), (400, 0), (2100, 1), (1000, 1), (400, 1), (0, 0)]
        shares = (0.62, 0.12, 0.05, 0.08, 0.03, 0.06, 0.04)
        total_sets = max(300, min(20_000, self.n_invoices // 20))
        r = self.rng.random
        self.set_lines: list[list[tuple]] = []  # per set: template rows
        self.set_totals: list[tuple[int, int, int, int]] = []  # base, vat, recargo, cost
        self.pools: list[tuple[int, int]] = []
        by_vat: dict[int, list[tuple]] = {}
        for p in self.products:
            by_vat.setdefault(p[4], []).append(p)
        goods = [p for p in self.products if not p[6] and p[4]]
        services = [p for p in self.products if p[6] and p[4] == 2100]
        n_lines_table = _expand(((1, 35), (2, 25), (3, 20), (4, 12), (5, 8)))
        discounts = _expand(((0, 70), (500, 12), (1000, 10), (250, 4), (1500, 4)))
        for (vat_pref, recargo), share in zip(self.profiles, shares, strict=True):
            start = len(self.set_lines)
            size = max(40, int(total_sets * share))
            preferred = by_vat[vat_pref]
            if recargo:  # retailers buy goods
                preferred = [p for p in preferred if not p[6]] or preferred
                fallback = goods
            elif vat_pref == 0:
                fallback = preferred
            else:
                fallback = services + goods
            for _n in range(size):
                n = n_lines_table[int(r() * len(n_lines_table))]
                rows = []
                calc = []
                for position in range(1, n + 1):
                    pool = preferred if r() < 0.75 else fallback
                    pid, name, _unit, price, vat_bp, cost, _svc, qkind = pool[int(r() * len(pool))]
                    if qkind == "h":
                        qty = 500 * (1 + int(r() * 60))
                    elif qkind == "u":
                        qty = 1000 * (1 + int(r() * 12))
                    elif qkind == "b":
                        qty = 1000 * (1 + int(r() * r() * 200))
                    elif qkind == "k":
                        qty = 500 + int(r() * 40_000)
                    elif qkind == "m":
                        qty = 10 * (100 + int(r() * 12_000))
                    else:
                        qty = 1000
                    if r() < 0.2:  # negotiated price
                        price = max(1, price * (90 + int(r() * 21)) // 100)
                    discount = discounts[int(r() * len(discounts))]
                    rec_bp = RECARGO_FOR_VAT_BP[vat_bp] if recargo else 0
                    base = line_base_cents(qty, price, discount)
                    rows.append(
                        (position, pid, name, qty, price, discount, vat_bp, rec_bp, cost, base)
                    )
                    calc.append((qty, price, discount, vat_bp, rec_bp, cost))
                base, vat, rec, _irpf, _total, cost_sum = totals_cents(calc)
                self.set_lines.append(rows)
                self.set_totals.append((base, vat, rec, cost_sum))
            self.pools.append((start, len(self.set_lines) - start))
        cur.execute(
            "CREATE TEMP TABLE demo_set_line (set_id INTEGER NOT NULL, position INTEGER NOT NULL, "
            "product_id INTEGER, description TEXT, quantity_milli INTEGER, "
            "unit_price_cents INTEGER, discount_bp INTEGER, vat_rate_bp INTEGER, "
            "recargo_rate_bp INTEGER, unit_cost_cents INTEGER, base_cents INTEGER, "
            "PRIMARY KEY (set_id, position)) WITHOUT ROWID"
        )
        cur.executemany(
            "INSERT INTO temp.demo_set_line VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(sid, *row) for sid, rows in enumerate(self.set_lines) for row in rows],
        )

    def make_clients(self) -> None:
        rng = self.rng
        r = rng.random
        n = self.n_clients
        T = self.T
        provinces = _expand([(p, p[2]) for p in PROVINCES])
        forms = _expand([((s, letter), w) for s, letter, w in LEGAL_FORMS])
        methods = _expand(PAYMENT_METHODS_W)
        company_days = _expand(((0, 4), (15, 8), (30, 44), (45, 14), (60, 30)))
        person_days = _expand(((0, 30), (15, 25), (30, 40), (45, 3), (60, 2)))
        payers = _expand((("good", 80), ("late", 15), ("bad", 5)))
        n_companies = sum(1 for _n in range(n) if r() < 0.62)
        # Unique tax IDs: sampled without replacement.
        cif_numbers = rng.sample(range(1_000_000, 10_000_000), n_companies + 10)
        dni_numbers = rng.sample(range(1_000_000, 99_999_999), n - n_companies + 10)
        nie_numbers = rng.sample(range(100_000, 9_999_999), n - n_companies + 10)
        surname_slug = {s: _slug(s) for s in SURNAMES}
        head_slug = {s[0]: _slug(s[0].split(" ")[0]) for s in SECTORS}
        owners = self.owners
        profile_index = {p: i for i, p in enumerate(self.profiles)}
        self.clients: list[_Client] = []
        ci = di = 0
        step = max(1, n // 5)
        for i in range(n):
            if i % step == step - 1:
                self.progress(_("Clients"), 0.02 + 0.06 * i / n)
            c = _Client()
            company = i < n_companies  # shuffled below through the name order
            prov = provinces[int(r() * len(provinces))]
            c.is_lead = r() < 0.15
            c.archived = r() < (0.05 if c.is_lead else 0.025)
            c.is_company = company
            c.payer = payers[int(r() * len(payers))]
            c.owner = owners[int(r() * len(owners))] if owners else (None, "admin")
            c.method = methods[int(r() * len(methods))]
            c.who = self.accountants[int(r() * len(self.accountants))]
            c.projects = ()
            c.exempt = ""
            c.irpf_bp = 0
            c.recargo = 0
            s1 = SURNAMES[int(r() * len(SURNAMES))]
            s2 = SURNAMES[int(r() * len(SURNAMES))]
            if company:
                if r() < 0.03:
                    kind_name, letter = OTHER_ENTITIES[int(r() * len(OTHER_ENTITIES))]
                    sector = SECTORS[int(r() * len(SECTORS))]
                    if letter == "H":
                        legal = (
                            f"{kind_name} {STREETS[int(r() * len(STREETS))]} {1 + int(r() * 90)}"
                        )
                    else:
                        legal = f"{kind_name} {sector[1]} {REGIONS[int(r() * len(REGIONS))]}"
                    trade = ""
                    dom = _slug(legal)[:24]
                else:
                    form, letter = forms[int(r() * len(forms))]
                    sector = SECTORS[int(r() * len(SECTORS))]
                    word = sector[0]
                    pattern = int(r() * 10)
                    if pattern <= 2:
                        core = f"{word} {s1}"
                        dom = head_slug[word] + surname_slug[s1]
                    elif pattern == 3:
                        core = f"{word} {s1} y {s2}"
                        dom = surname_slug[s1] + surname_slug[s2]
                    elif pattern == 4:
                        core = f"{s1} e Hijos"
                        dom = surname_slug[s1] + "ehijos"
                    elif pattern == 5:
                        core = f"{word} {REGIONS[int(r() * len(REGIONS))]}"
                        dom = _slug(core)[:24]
                    elif pattern == 6:
                        core = f"Grupo {s1}"
                        dom = "grupo" + surname_slug[s1]
                    else:
                        fh = FANTASY_HEADS[int(r() * len(FANTASY_HEADS))]
                        ft = FANTASY_TAILS[int(r() * len(FANTASY_TAILS))]
                        core = f"{fh}{ft} {word}" if r() < 0.5 else f"{fh}{ft}"
                        dom = _slug(fh + ft)
                    legal = f"{core} {form}"
                    roll = r()
                    if roll < 0.45:
                        trade = ""
                    elif roll < 0.75:
                        trade = core
                    else:
                        trade = f"{s1} {word}" if pattern != 7 else core.split(" ")[0]
                tax_id = cif(letter, cif_numbers[ci])
                ci += 1
                domain = dom + (".es" if r() < 0.7 else ".com")
                email = ("info", "administracion", "contacto", "facturacion", "hola")[
                    int(r() * 5)
                ] + f"@{domain}"
                website = f"www.{domain}" if r() < 0.65 else ""
                c.payment_days = company_days[int(r() * len(company_days))]
                c.vat_bp = sector[2] * 100
                if c.vat_bp == 0:
                    c.exempt = EXEMPT_REASON
                c.sector_tag = sector[1]
                phone = self.landline(prov)
                mobile = self.mobile() if r() < 0.5 else ""
                fax = self.landline(prov) if r() < 0.08 else ""
            else:
                female = r() < 0.5
                first = (FEMALE_NAMES if female else MALE_NAMES)[
                    int(r() * len(FEMALE_NAMES if female else MALE_NAMES))
                ]
                prof = PROFESSIONS[int(r() * len(PROFESSIONS))]
                legal = f"{first} {s1} {s2}"
                roll = r()
                if prof[4] == "shop":
                    trade = f"{prof[2]} {s1}" if roll < 0.6 else f"{prof[2]} {first}"
                    c.recargo = 1
                elif roll < 0.4:
                    trade = f"{prof[2]} {s1}"
                else:
                    trade = ""
                if prof[4] == "pro":
                    c.irpf_bp = 700 if r() < 0.2 else 1500
                if r() < 0.12:
                    prefix = "XYZ"[int(r() * 3)]
                    tax_id = nie(prefix, nie_numbers[di])
                else:
                    tax_id = dni(dni_numbers[di])
                di += 1
                sf = _slug(first)
                if trade and r() < 0.5:
                    email = f"{sf}@{_slug(trade)[:20]}.es"
                    website = f"www.{_slug(trade)[:20]}.es" if r() < 0.4 else ""
                else:
                    email = (
                        f"{sf}.{surname_slug[s1]}{int(r() * 90) + 10}@"
                        + FREE_MAIL[int(r() * len(FREE_MAIL))]
                    )
                    website = ""
                c.payment_days = person_days[int(r() * len(person_days))]
                c.vat_bp = prof[3] * 100
                c.sector_tag = {"pro": "Servicios profesionales", "shop": "Comercio"}.get(
                    prof[4], "Servicios"
                )
                mobile = self.mobile()
                phone = self.landline(prov) if r() < 0.35 else ""
                fax = ""
            if c.vat_bp not in (2100, 1000, 400, 0):
                c.vat_bp = 2100
            if c.recargo and c.vat_bp == 0:
                c.vat_bp = 2100
            c.pool = self.pools[profile_index[(c.vat_bp, c.recargo)]]
            if c.method == "cash" and company:
                c.method = "transfer"
            c.iban = ""
            if c.method == "direct_debit" or r() < 0.15:
                c.iban = spanish_iban(
                    BANKS[int(r() * len(BANKS))],
                    f"{int(r() * 10_000):04d}",
                    f"{int(r() * 1e10):010d}",
                )
            c.terms = f"{METHOD_TEXT[c.method]}, " + (
                "al contado" if c.payment_days == 0 else f"{c.payment_days} días"
            )
            # Join day: when the relationship started; leads are recent.
            if c.is_lead:
                c.join_day = T - int(r() * 700)
            elif r() < 0.45:
                c.join_day = T - _WINDOW - int(r() * 1500)
            else:
                c.join_day = T - _WINDOW + int(r() * (_WINDOW - 20))
            c.end_day = T - 200 - int(r() * 500) if c.archived else T
            if c.end_day <= max(c.join_day, T - _WINDOW):
                c.end_day = T
            c.name = legal
            c.tax_id = tax_id
            c.row = [
                legal,
                trade,
                fast_fold(legal)[:200],  # the list shows and sorts by the legal name
                tax_id,
                email,
                phone,
                mobile,
                fax,
                website,
                prov,
            ]
            self.clients.append(c)
        # Companies were generated first: shuffle so ids mix companies and freelancers.
        rng.shuffle(self.clients)
        self.client_id0 = self.next_id("client")
        self.counts["clients"] = n
        self.counts["leads"] = sum(1 for c in self.clients if c.is_lead)
        self.counts["archived"] = sum(1 for c in self.clients if c.archived)

    def landline(self, prov: tuple) -> str:
        prefix = prov[3]
        rest = f"{int(self.rng.random() * 10 ** (9 - len(prefix))):0{9 - len(prefix)}d}"
        number = prefix + rest
        return f"+34 {number[:3]} {number[3:6]} {number[6:]}"

    def mobile(self) -> str:
        number = ("6" if self.rng.random() < 0.9 else "7") + f"{int(self.rng.random() * 1e8):08d}"
        return f"+34 {number[:3]} {number[3:6]} {number[6:]}"

    def addresses_and_contacts(self) -> None:
        r = self.rng.random
        cid0 = self.client_id0
        address_id = self.next_id("address")
        contact_id = self.next_id("contact")
        addresses: list[tuple] = []
        contacts: list[tuple] = []
        custom: list[tuple] = []
        tags: list[tuple] = []
        tag_ids = self.tag_ids
        sector_field = self.field_ids.get("sector")
        staff_field = self.field_ids.get("empleados")
        origin_field = self.field_ids.get("origen")
        sector_choices = set(CUSTOM_FIELDS[0][3])
        origins = CUSTOM_FIELDS[2][3]
        n_contacts_table = (1, 1, 2, 2, 2, 3, 3, 4)
        step = max(1, len(self.clients) // 5)
        for index, c in enumerate(self.clients):
            if index % step == step - 1:
                self.progress(_("Contacts and addresses"), 0.08 + 0.08 * index / len(self.clients))
            client_id = cid0 + index
            legal, _trade, _sort, _tax, email, _phone, _mobile, _fax, _web, prov = c.row
            code, province, _w, _pre, capital, towns = prov
            created = self.dstr[max(0, c.join_day - 30)] + " 10:00:00"
            if towns and r() < 0.45:
                town_index = int(r() * len(towns))
                city = towns[town_index]
                postal = f"{code:02d}{(100 + 71 * (town_index + 1)) % 1000:03d}"
            else:
                city = capital
                postal = f"{code:02d}{1 + int(r() * 50):03d}"
            if c.is_company and r() < 0.2:
                estate = INDUSTRIAL_ESTATES[int(r() * len(INDUSTRIAL_ESTATES))]
                line1 = f"{estate}, nave {1 + int(r() * 40)}"
                line2 = ""
            else:
                line1 = f"{STREETS[int(r() * len(STREETS))]}, {1 + int(r() * 140)}"
                line2 = (
                    f"{1 + int(r() * 8)}º {'ABCD'[int(r() * 4)]}"
                    if r() < 0.55
                    else ("Local" if c.is_company and r() < 0.3 else "")
                )
            label = "Domicilio fiscal" if c.is_company else "Domicilio"
            addresses.append(
                (address_id, 1, created, created, c.owner[1], client_id, label, line1, line2,
                 postal, city, province, "ES", "", 1, 1, 1)
            )  # fmt: skip
            c.address_id = address_id
            c.address = {
                "line1": line1,
                "line2": line2,
                "postal_code": postal,
                "city": city,
                "province": province,
                "country": "ES",
            }
            address_id += 1
            if c.is_company and r() < 0.15:
                label2 = ("Almacén", "Tienda", "Obra", "Delegación")[int(r() * 4)]
                addresses.append(
                    (address_id, 1, created, created, c.owner[1], client_id, label2,
                     f"{STREETS[int(r() * len(STREETS))]}, {1 + int(r() * 140)}", "",
                     postal, city, province, "ES", "", 0, 0, 0)
                )  # fmt: skip
                address_id += 1
            # contacts
            domain = email.split("@", 1)[1]
            personal_domain = domain in FREE_MAIL
            people: list[tuple[str, str, str, str]] = []
            c.first_contact = contact_id
            if c.is_company:
                n_people = n_contacts_table[int(r() * len(n_contacts_table))]
                billing_at = int(r() * n_people)
                for k in range(n_people):
                    female = r() < 0.5
                    names = FEMALE_NAMES if female else MALE_NAMES
                    first = names[int(r() * len(names))]
                    last = (
                        f"{SURNAMES[int(r() * len(SURNAMES))]} {SURNAMES[int(r() * len(SURNAMES))]}"
                    )
                    titles = BILLING_POSITIONS if k == billing_at else POSITIONS
                    position = titles[int(r() * len(titles))][female]
                    cemail = f"{_slug(first)}.{_slug(last.split(' ')[0])}@{domain}"
                    cphone = c.row[5] if r() < 0.5 else ""
                    cmobile = self.mobile() if r() < 0.7 else ""
                    contacts.append(
                        (contact_id, 1, created, created, c.owner[1], client_id, first, last,
                         position, cemail, cphone, cmobile, int(k == billing_at), "")
                    )  # fmt: skip
                    people.append((first, last, cemail, cmobile or cphone))
                    contact_id += 1
            else:
                first, _sep, last = legal.partition(" ")
                contacts.append(
                    (contact_id, 1, created, created, c.owner[1], client_id, first, last,
                     "Titular", email, c.row[5], c.row[6], 1, "")
                )  # fmt: skip
                people.append((first, last, email, c.row[6] or c.row[5]))
                contact_id += 1
                if r() < 0.2 and not personal_domain:
                    names = FEMALE_NAMES if r() < 0.5 else MALE_NAMES
                    first2 = names[int(r() * len(names))]
                    last2 = (
                        f"{SURNAMES[int(r() * len(SURNAMES))]} {SURNAMES[int(r() * len(SURNAMES))]}"
                    )
                    cemail = f"{_slug(first2)}@{domain}"
                    contacts.append(
                        (contact_id, 1, created, created, c.owner[1], client_id, first2, last2,
                         "Administración", cemail, "", "", 0, "")
                    )  # fmt: skip
                    people.append((first2, last2, cemail, ""))
                    contact_id += 1
            c.n_contacts = len(people)
            c.contacts = people
            # tags and custom fields
            roll = r()
            if roll < 0.35 and c.sector_tag in tag_ids:
                tags.append((client_id, tag_ids[c.sector_tag]))
            if r() < 0.04 and "VIP" in tag_ids and not c.is_lead:
                tags.append((client_id, tag_ids["VIP"]))
            if r() < 0.03 and "Exportación" in tag_ids and c.is_company:
                tags.append((client_id, tag_ids["Exportación"]))
            if c.is_company and r() < 0.5:
                if sector_field:
                    value = c.sector_tag if c.sector_tag in sector_choices else "Otros"
                    custom.append((sector_field, client_id, value))
                if staff_field:
                    custom.append((staff_field, client_id, str(1 + int(r() * r() * 250))))
            if origin_field and r() < 0.3:
                custom.append((origin_field, client_id, origins[int(r() * len(origins))]))
            if len(contacts) >= _BATCH:
                self.flush_people(addresses, contacts)
        self.flush_people(addresses, contacts)
        self.insert("custom_field_value", "field_id, client_id, value", custom)
        self.insert("client_tag", "client_id, tag_id", tags)
        self.counts["addresses"] = self.cur.execute("SELECT COUNT(*) FROM address").fetchone()[0]
        self.counts["contacts"] = self.cur.execute("SELECT COUNT(*) FROM contact").fetchone()[0]

    def flush_people(self, addresses: list[tuple], contacts: list[tuple]) -> None:
        self.insert(
            "address",
            "id, version, created_at, updated_at, updated_by, client_id, label, line1, line2, "
            "postal_code, city, province, country, contact_name, is_invoice_default, "
            "is_delivery_default, is_quote_default",
            addresses,
        )
        self.insert(
            "contact",
            "id, version, created_at, updated_at, updated_by, client_id, first_name, last_name, "
            "position, email, phone, mobile, is_billing, notes",
            contacts,
        )
        addresses.clear()
        contacts.clear()

    def projects_and_opportunities(self) -> None:
        r = self.rng.random
        T = self.T
        dstr = self.dstr
        cid0 = self.client_id0
        project_id = self.next_id("project")
        opportunity_id = self.next_id("opportunity")
        projects: list[tuple] = []
        opportunities: list[tuple] = []
        stages = ("new", "qualified", "proposal", "negotiation", "won", "lost")
        probability = {"new": 10, "qualified": 25, "proposal": 50, "negotiation": 70,
                       "won": 100, "lost": 0}  # fmt: skip
        self.open_opportunities: list[tuple[int, int, str]] = []
        for index, c in enumerate(self.clients):
            client_id = cid0 + index
            if not c.is_lead and r() < 0.22:
                mine = []
                for _n in range(1 + int(r() * r() * 3)):
                    start = max(c.join_day, T - _WINDOW) + int(r() * _WINDOW)
                    start = min(start, T + 60)
                    end = start + 30 + int(r() * 300)
                    if start > T:
                        status = "planned"
                    elif end < T:
                        status = "done" if r() < 0.85 else "cancelled"
                    else:
                        status = "active" if r() < 0.85 else "on_hold"
                    name = f"{PROJECT_NAMES[int(r() * len(PROJECT_NAMES))]} {self.dyear[start]}"
                    ts = dstr[min(start, T) - 5] + " 11:00:00"
                    projects.append(
                        (project_id, 1, ts, ts, c.owner[1], client_id, name, status, dstr[start],
                         dstr[end] if status in ("done", "cancelled") or r() < 0.5 else None,
                         100_000 * (5 + int(r() * 400)), "")
                    )  # fmt: skip
                    mine.append(project_id)
                    project_id += 1
                c.projects = tuple(mine)
            if r() < (0.45 if c.is_lead else 0.22):
                for _n in range(1 + int(r() * 2)):
                    stage = stages[int(r() * 6)]
                    if stage in ("won", "lost"):
                        close = T - 1 - int(r() * 600)
                    else:
                        close = T - 20 + int(r() * 140)
                    created = min(T, close) - 10 - int(r() * 120)
                    ts = dstr[created] + " 12:30:00"
                    amount = 5_000 * (10 + int(r() * r() * 3000))
                    project = c.projects[0] if c.projects and r() < 0.3 else None
                    opportunities.append(
                        (opportunity_id, 1, ts, ts, c.owner[1], client_id, project,
                         f"{OPPORTUNITY_TITLES[int(r() * len(OPPORTUNITY_TITLES))]}", stage,
                         amount, probability[stage], dstr[close],
                         LOST_REASONS[int(r() * len(LOST_REASONS))] if stage == "lost" else "",
                         c.owner[0], "")
                    )  # fmt: skip
                    if stage in ("proposal", "negotiation", "won"):
                        self.open_opportunities.append((index, opportunity_id, stage))
                    opportunity_id += 1
        self.insert(
            "project",
            "id, version, created_at, updated_at, updated_by, client_id, name, status, "
            "start_date, end_date, budget_cents, description",
            projects,
        )
        self.insert(
            "opportunity",
            "id, version, created_at, updated_at, updated_by, client_id, project_id, title, "
            "stage, amount_cents, probability, expected_close, lost_reason, owner_id, notes",
            opportunities,
        )
        self.counts["projects"] = len(projects)
        self.counts["opportunities"] = len(opportunities)

    def quotes_and_orders(self) -> None:
        r = self.rng.random
        T = self.T
        dstr = self.dstr
        cid0 = self.client_id0
        set_totals = self.set_totals
        plan: list[tuple[int, int, int | None]] = []  # (day, client index, opportunity id)
        for index, opportunity_id, _stage in self.open_opportunities:
            plan.append((T - int(r() * 200), index, opportunity_id))
        for index, c in enumerate(self.clients):
            if r() < (0.35 if c.is_lead else 0.3):
                for _n in range(1 + int(r() * r() * 3)):
                    plan.append((max(c.join_day, T - 730) + int(r() * 730), index, None))
        # Some quotes from the last two weeks: drafts and quotes waiting for an answer.
        for _n in range(max(3, len(plan) // 40)):
            plan.append((T - int(r() * 14), int(r() * len(self.clients)), None))
        plan = [(min(day, T), index, opp) for day, index, opp in plan]
        plan.sort(key=lambda item: (item[0], item[1]))
        # The first day each client was in touch (a quote here, timeline entries later):
        # "Client since" and the record's creation are never after it.
        self.first_touch: list[int | None] = [None] * len(self.clients)
        for day, index, _opp in plan:
            known = self.first_touch[index]
            if known is None or day < known:
                self.first_touch[index] = day
        quote_id0 = self.next_id("quote")
        order_id0 = self.next_id("sales_order")
        quotes: list[tuple] = []
        quote_sets: list[tuple[int, int]] = []
        orders: list[tuple] = []
        counters: dict[int, int] = {}
        order_counters: dict[int, int] = {}
        drafts = 0
        for number, (day, index, opp) in enumerate(plan):
            c = self.clients[index]
            qid = quote_id0 + number
            year = self.dyear[day]
            counters[year] = counters.get(year, 0) + 1
            code = f"P{year}-{counters[year]:04d}"  # as services.orders.next_code numbers
            start, size = c.pool
            sid = start + int(r() * size)
            base, vat, rec, cost = set_totals[sid]
            irpf = percent_cents(base, c.irpf_bp)
            total = base + vat + rec - irpf
            age = T - day
            roll = r()
            if age < 15:
                status = "draft" if roll < 0.3 or not drafts else "sent"
                drafts += 1
            elif age < 30:
                status = "sent" if roll < 0.5 else ("accepted" if roll < 0.8 else "rejected")
            else:
                status = "accepted" if roll < 0.45 else ("rejected" if roll < 0.7 else "expired")
            if c.is_lead and status == "accepted":
                status = "sent" if age < 30 else "expired"
            ts = dstr[day] + " 10:30:00"
            project = c.projects[int(r() * len(c.projects))] if c.projects and r() < 0.4 else None
            quotes.append(
                (qid, 1, ts, ts, c.owner[1], base, vat, rec, c.irpf_bp, irpf, total, cost, c.exempt,
                 cid0 + index, project, opp, code,
                 f"Presupuesto {self.set_lines[sid][0][2].lower()}", status, dstr[day], 30,
                 dstr[day + 30], ("1 semana", "2 semanas", "15 días", "1 mes")[int(r() * 4)],
                 "included", 0, c.terms, "", "12 meses", "Precios válidos durante 30 días.",
                 "", QUOTE_REJECTED_REASONS[int(r() * 4)] if status == "rejected" else "",
                 c.address_id, c.owner[1])
            )  # fmt: skip
            quote_sets.append((qid, sid))
            if status == "accepted" and age < 120:
                oyear = self.dyear[min(day + 3, T)]
                order_counters[oyear] = order_counters.get(oyear, 0) + 1
                ots = dstr[min(day + 3, T)] + " 09:45:00"
                orders.append(
                    (order_id0 + len(orders), 1, ots, ots, c.owner[1], base, vat, rec, c.irpf_bp,
                     irpf, total, cost, c.exempt, cid0 + index, qid, project,
                     f"PED{oyear}-{order_counters[oyear]:04d}", quotes[-1][17],
                     dstr[min(day + 3, T)], "open", 0)
                )  # fmt: skip
        self.insert(
            "quote",
            "id, version, created_at, updated_at, updated_by, base_cents, vat_cents, "
            "recargo_cents, irpf_rate_bp, irpf_cents, total_cents, cost_cents, exemption_reason, "
            "client_id, project_id, opportunity_id, code, title, status, date, valid_days, "
            "valid_until, delivery_time, shipping_mode, shipping_cents, payment_terms, "
            "milestones, warranty, conditions, internal_notes, rejected_reason, address_id, "
            "created_by",
            quotes,
        )
        cur = self.cur
        cur.execute("CREATE TEMP TABLE demo_doc_set (doc_id INTEGER PRIMARY KEY, set_id INTEGER)")
        cur.executemany("INSERT INTO temp.demo_doc_set VALUES (?, ?)", quote_sets)
        cur.execute(
            "INSERT INTO quote_line (position, product_id, description, quantity_milli, "
            "unit_price_cents, discount_bp, vat_rate_bp, recargo_rate_bp, unit_cost_cents, "
            "base_cents, quote_id) SELECT t.position, t.product_id, t.description, "
            "t.quantity_milli, t.unit_price_cents, t.discount_bp, t.vat_rate_bp, "
            "t.recargo_rate_bp, t.unit_cost_cents, t.base_cents, m.doc_id "
            "FROM temp.demo_doc_set m JOIN temp.demo_set_line t ON t.set_id = m.set_id "
            "ORDER BY m.doc_id, t.position"
        )
        self.counts["quote_lines"] = cur.rowcount
        cur.execute("DROP TABLE temp.demo_doc_set")
        self.insert(
            "sales_order",
            "id, version, created_at, updated_at, updated_by, base_cents, vat_cents, "
            "recargo_cents, irpf_rate_bp, irpf_cents, total_cents, cost_cents, exemption_reason, "
            "client_id, quote_id, project_id, code, title, date, status, invoiced_cents",
            orders,
        )
        if orders:
            cur.execute(
                "INSERT INTO order_line (position, product_id, description, quantity_milli, "
                "unit_price_cents, discount_bp, vat_rate_bp, recargo_rate_bp, unit_cost_cents, "
                "base_cents, order_id, quantity_invoiced_milli) SELECT l.position, l.product_id, "
                "l.description, l.quantity_milli, l.unit_price_cents, l.discount_bp, "
                "l.vat_rate_bp, l.recargo_rate_bp, l.unit_cost_cents, l.base_cents, o.id, 0 "
                "FROM sales_order o JOIN quote_line l ON l.quote_id = o.quote_id "
                "WHERE o.id >= ? ORDER BY o.id, l.position",
                (order_id0,),
            )
        self.counts["quotes"] = len(quotes)
        self.counts["orders"] = len(orders)

    # --- invoices and payments --------------------------------------------------------

    def invoice_counts(self) -> list[int]:
        """How many invoices each client gets: at least one each, the rest by a skewed weight."""
        rng = self.rng
        n_inv = self.n_invoices
        billing = [i for i, c in enumerate(self.clients) if not c.is_lead]
        counts = [0] * len(self.clients)
        if not billing or not n_inv:
            return counts
        if n_inv <= len(billing):
            for i in rng.sample(billing, n_inv):
                counts[i] = 1
            return counts
        T = self.T
        # A few key accounts: the biggest gets 0.3 % of all invoices (3,000 at the scale case),
        # five more 0.1 %; they buy all along the three years.
        keys = rng.sample(range(len(billing)), 6) if len(billing) > 12 and n_inv >= 2000 else []
        fixed: dict[int, int] = {}
        for rank, k in enumerate(keys):
            c = self.clients[billing[k]]
            c.join_day = min(c.join_day, T - _WINDOW)
            c.end_day = T
            c.archived = False
            fixed[k] = max(1, round(n_inv * (0.003 if rank == 0 else 0.001)))
        if sum(fixed.values()) + len(billing) - len(fixed) > n_inv:
            fixed = {}
        # The others: one invoice each, the rest by a heavy-tailed weight (many occasional
        # clients, some regular ones) in proportion to how long they have been clients.
        weights = []
        for k, i in enumerate(billing):
            c = self.clients[i]
            active = max(1, c.end_day - max(c.join_day, T - _WINDOW))
            weights.append(0.0 if k in fixed else rng.lognormvariate(0, 1.4) * active / _WINDOW)
        extra = n_inv - sum(fixed.values()) - (len(billing) - len(fixed))
        total_w = sum(weights) or 1.0
        exact = [w * extra / total_w for w in weights]
        floors = [int(x) for x in exact]
        left = extra - sum(floors)
        order = sorted(range(len(billing)), key=lambda k: floors[k] - exact[k])
        for k in order:
            if left <= 0:
                break
            if k not in fixed:
                floors[k] += 1
                left -= 1
        for k, i in enumerate(billing):
            counts[i] = fixed.get(k) or 1 + floors[k]
        return counts

    def plan_invoices(self) -> None:
        """Every invoice's client, date, number, totals, fate, and the payments: pure Python
        (it runs while the other thread indexes the tables written so far)."""
        r = self.rng.random
        T = self.T
        clients = self.clients
        counts = self.invoice_counts()
        self.counts["archived"] = sum(1 for c in clients if c.archived)
        # Day weights: working days, a quiet August, growth over the three years.
        w0 = T - _WINDOW
        cum: list[float] = []
        acc = 0.0
        weekday = (1.0, 1.0, 1.0, 1.0, 0.95, 0.12, 0.03)
        month = (0.9, 1, 1.05, 1, 1.05, 1.05, 1, 0.55, 1, 1.05, 1.05, 0.85)
        for k in range(w0, T + 1):
            acc += (
                weekday[self.dweek[k]]
                * month[self.dmonth[k] - 1]
                * (0.75 + 0.5 * (k - w0) / _WINDOW)
                * (0.8 + 0.4 * r())
            )
            cum.append(acc)
        # One sortable key per invoice, (day, client): sorted, they give the numbering order,
        # so numbers and issue dates grow together within each series and year.
        #
        # A client buys in bursts (a job, an order, a season), as many as the payments it will
        # make: ~1 payment per 10 invoices overall leaves most clients one or two payments, and
        # a burst settled by one payment keeps the days-to-pay believable.
        bursts_for = self.group_sizes([k for k in counts if k], round(self.n_invoices / 11))
        shift = max(1, len(clients).bit_length())
        keys: list[int] = []
        append = keys.append
        bisect_right = bisect.bisect_right
        for i, k in enumerate(counts):
            if not k:
                continue
            c = clients[i]
            first_day = max(c.join_day, w0)
            last_day = min(c.end_day, T)
            bursts = bursts_for(k)
            width = min(last_day - first_day, 10 + 2 * -(-k // bursts))
            lo_first = cum[first_day - w0 - 1] if first_day > w0 else 0.0
            span_first = cum[last_day - width - w0] - lo_first
            starts = [w0 + bisect_right(cum, lo_first + r() * span_first) for _n in range(bursts)]
            for _n in range(k):
                lo_day = starts[int(r() * bursts)]
                hi_day = min(lo_day + width, last_day)
                lo = cum[lo_day - w0 - 1] if lo_day > w0 else 0.0
                day = w0 + bisect_right(cum, lo + r() * (cum[hi_day - w0] - lo))
                append(((day if day <= hi_day else hi_day) << shift) | i)
        keys.sort()
        n = self.n = len(keys)
        self.progress(_("Invoices"), 0.26)

        # Pass 1: client, date, number, totals and what happens to each invoice.
        mask = (1 << shift) - 1
        inv_client = self.inv_client = [0] * n
        inv_day = self.inv_day = [0] * n
        inv_set = self.inv_set = [0] * n
        inv_total = self.inv_total = [0] * n
        inv_irpf = self.inv_irpf = [0] * n
        inv_number = self.inv_number = [0] * n
        inv_paid = self.inv_paid = [0] * n  # cents
        inv_paid_day = self.inv_paid_day = [-1] * n  # the day it was (or will be) fully paid
        inv_state = self.inv_state = [0] * n  # 0 issued (unpaid), 1 paid, 2 partially paid
        inv_pays = self.inv_pays = [0] * n  # allocations received
        inv_tod = self.inv_tod = [0] * n  # time of day (index into self.times)
        inv_project: list[int | None] = [None] * n
        self.inv_project = inv_project
        set_totals = self.set_totals
        dyear = self.dyear
        year_counter: dict[int, int] = {}
        year_last: dict[int, int] = {}
        # payer profile: (earliest, latest) days after the due date, chance of never paying
        delays = {"good": (-8, 22, 0.002), "late": (5, 70, 0.01), "bad": (25, 160, 0.35)}
        # What the loop needs of each client, in one tuple (unpacking beats attribute lookups).
        facts = []
        for c in clients:
            low, high, never = delays[c.payer]
            if c.archived:  # archived clients settled everything before leaving
                never = -1.0
            facts.append(
                (c.pool[0], c.pool[1], c.irpf_bp, c.payment_days + low, high - low, never,
                 c.projects)
            )  # fmt: skip
        paid_lists: list[list[int] | None] = [None] * len(clients)
        partial: list[int] = []
        revenue = self.revenue = [0] * len(clients)
        year = number = -1
        for x in range(n):
            key = keys[x]
            i = key & mask
            day = key >> shift
            if dyear[day] != year:  # keys are in date order: numbers restart each year
                if year != -1:
                    year_counter[year] = number
                    year_last[year] = inv_day[x - 1]
                year = dyear[day]
                number = 0
            number += 1
            start, size, irpf_bp, pay_after, pay_span, never, projects = facts[i]
            sid = start + int(r() * size)
            base, vat, rec, _cost = set_totals[sid]
            irpf = (2 * base * irpf_bp + 10_000) // 20_000 if irpf_bp else 0  # half up, base > 0
            total = base + vat + rec - irpf
            inv_client[x] = i
            inv_day[x] = day
            inv_set[x] = sid
            inv_total[x] = total
            inv_irpf[x] = irpf
            inv_number[x] = number
            inv_tod[x] = int(r() * 240)
            if projects and r() < 0.3:
                inv_project[x] = projects[int(r() * len(projects))]
            revenue[i] += base
            pay_day = day + pay_after + int(r() * pay_span)
            if pay_day < day:
                pay_day = day
            if pay_day > T and never < 0:
                pay_day = T
            if pay_day <= T and r() >= never:
                inv_paid_day[x] = pay_day
                if r() < 0.006:
                    inv_state[x] = 2
                    inv_paid[x] = total * (20 + int(r() * 60)) // 100
                    partial.append(x)
                else:
                    inv_state[x] = 1
                    lst = paid_lists[i]
                    if lst is None:
                        paid_lists[i] = [x]
                    else:
                        lst.append(x)
        if n:
            year_counter[year] = number
            year_last[year] = inv_day[n - 1]
        self.year_counter = year_counter
        self.year_last = year_last
        del keys
        self.progress(_("Invoices"), 0.30)
        self.ensure_statuses(paid_lists, partial)

        # Payments: (day, client index, amount, [(invoice index, amount)], method, reference,
        # [invoice index paid in full]): the allocations of the last list are written by SQL
        # (amount = the invoice's total); method/reference None: the client's usual method
        # and a generated reference.
        payments: list[tuple] = []
        # Rectifying invoices, as `invoices.issue_invoice` handles them (see plan_rectifying).
        credit = self.plan_rectifying(paid_lists, payments)
        for x in partial:
            inv_pays[x] += 1
            payments.append(
                (inv_paid_day[x], inv_client[x], inv_paid[x], [(x, inv_paid[x])], None, None, ())
            )
        # Each client's paid invoices are split into consecutive groups, each settled by one
        # payment on the day the last of them was paid; ~1 payment per 10 invoices overall.
        budget = max(1, round(n / 10)) - len(payments)
        groups_for = self.group_sizes([len(lst) for lst in paid_lists if lst], budget)
        for i, lst in enumerate(paid_lists):
            if not lst:
                continue
            k = len(lst)
            g = groups_for(k)
            if g == 1:
                chunks = [lst]
            elif g >= k:
                chunks = [[x] for x in lst]
            else:  # cut where the client paid least often: the widest gaps between payments
                lst = sorted(lst, key=inv_paid_day.__getitem__)
                cuts = sorted(
                    sorted(
                        range(1, k),
                        key=lambda j, lst=lst: inv_paid_day[lst[j - 1]] - inv_paid_day[lst[j]],
                    )[: g - 1]
                )
                chunks = [lst[a:b] for a, b in zip([0, *cuts], [*cuts, k], strict=True)]
            for chunk in chunks:
                day = max([inv_paid_day[x] for x in chunk])
                items = []
                amount = 0
                for x in chunk:
                    inv_paid_day[x] = day
                    t = inv_total[x]
                    inv_paid[x] = t
                    inv_pays[x] += 1
                    if x in credit:  # the rest, after the compensation
                        items.append((x, t - credit[x]))
                        amount += t - credit[x]
                    else:
                        amount += t
                whole = [x for x in chunk if x not in credit] if credit else chunk
                payments.append((day, i, amount, items, None, None, whole))
        # Dated order; the invoices paid in full learn their payment's number.
        payments.sort(key=lambda p: (p[0], p[1]))
        inv_payno: list[int | None] = [None] * n
        for number, payment in enumerate(payments):
            for x in payment[6]:
                inv_payno[x] = number
        self.inv_payno = inv_payno
        self.progress(_("Invoices"), 0.33)

        self.counts["invoices"] = n + len(self.rect)
        self.counts["rectifying"] = len(self.rect)
        self.payments = payments

    def stage_invoices(self) -> None:
        """A narrow staging table of integers (fed by zip, no Python loop), which SQLite
        expands into the wide invoice rows and their lines (expand_invoices)."""
        n = self.n
        inv_client, inv_day, inv_set = self.inv_client, self.inv_day, self.inv_set
        inv_irpf, inv_total, inv_number = self.inv_irpf, self.inv_total, self.inv_number
        inv_paid, inv_paid_day, inv_state = self.inv_paid, self.inv_paid_day, self.inv_state
        inv_pays, inv_tod, inv_project = self.inv_pays, self.inv_tod, self.inv_project
        self.inv_id0 = self.next_id("invoice")
        cur = self.cur
        self.stage_lookups()
        cur.execute(
            "CREATE TEMP TABLE demo_inv (x INTEGER PRIMARY KEY, client INTEGER, day INTEGER, "
            "set_id INTEGER, irpf INTEGER, total INTEGER, number INTEGER, paid INTEGER, "
            "paid_day INTEGER, state INTEGER, pays INTEGER, tod INTEGER, project INTEGER, "
            "payno INTEGER)"
        )
        cur.executemany(
            "INSERT INTO temp.demo_inv VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            zip(
                range(n), inv_client, inv_day, inv_set, inv_irpf, inv_total, inv_number,
                inv_paid, inv_paid_day, inv_state, inv_pays, inv_tod, inv_project,
                self.inv_payno, strict=True,
            ),
        )  # fmt: skip

    def expansion(
        self,
    ) -> tuple[tuple[str, tuple], tuple[str, tuple], list[tuple[str, tuple]]]:
        """The statements making, from the staging tables (run in the second thread): the
        invoices' lines; the wide invoice rows with their fingerprints (`demo_fingerprint`,
        see `stage_fingerprints`); then the allocations of the invoices paid in full and
        the staging tables dropped."""
        issuer_name, issuer_tax_id, issuer_address = self.issuer
        invoices = (
            f"INSERT INTO invoice ({INVOICE_COLUMNS}, fiscal_hash) SELECT "
            "? + i.x, 2 + i.pays, d.d || tm.s, "
            "CASE WHEN i.pays THEN pd.d || ' 17:00:00' ELSE d.d || tm.s END, c.who, "
            "s.base, s.vat, s.rec, c.irpf_bp, i.irpf, i.total, s.cost, c.exempt, 'standard', "
            "CASE i.state WHEN 1 THEN 'paid' WHEN 2 THEN 'partially_paid' ELSE 'issued' END, "
            "?, d.year, i.number, ? || d.year || '-' || printf('%05d', i.number), c.client_id, "
            "i.project, NULL, NULL, NULL, '', '', d.d, d.d, dd.d, i.paid, i.total - i.paid, "
            "CASE WHEN i.state = 1 THEN pd.d END, c.terms, '', 0, c.name, c.tax_id, c.address, "
            "?, ?, ?, c.address_id, c.who, c.who, d.d || tm.s, f.hash "
            "FROM temp.demo_inv i CROSS JOIN temp.demo_client c CROSS JOIN temp.demo_set s "
            "CROSS JOIN temp.demo_day d CROSS JOIN temp.demo_day dd CROSS JOIN temp.demo_time tm "
            "CROSS JOIN temp.demo_fingerprint f LEFT JOIN temp.demo_day pd ON pd.day = i.paid_day "
            "WHERE c.idx = i.client AND s.set_id = i.set_id AND d.day = i.day "
            "AND dd.day = i.day + c.payment_days AND tm.t = i.tod AND f.x = i.x ORDER BY i.x"
        )
        lines = (
            "INSERT INTO invoice_line (position, product_id, description, quantity_milli, "
            "unit_price_cents, discount_bp, vat_rate_bp, recargo_rate_bp, unit_cost_cents, "
            "base_cents, invoice_id) SELECT t.position, t.product_id, t.description, "
            "t.quantity_milli, t.unit_price_cents, t.discount_bp, t.vat_rate_bp, "
            "t.recargo_rate_bp, t.unit_cost_cents, t.base_cents, ? + m.x "
            "FROM temp.demo_inv m CROSS JOIN temp.demo_set_line t WHERE t.set_id = m.set_id "
            "ORDER BY m.x, t.position"
        )
        in_full = (
            "INSERT INTO payment_allocation (payment_id, invoice_id, amount_cents) "
            "SELECT ? + m.payno, ? + m.x, m.total FROM temp.demo_inv m WHERE m.payno IS NOT NULL"
        )
        dependents: list[tuple[str, tuple]] = [(in_full, (self.ids["payment"], self.inv_id0))]
        for table in (
            "demo_inv", "demo_client", "demo_set", "demo_day", "demo_time", "demo_set_line",
            "demo_fingerprint",
        ):  # fmt: skip
            dependents.append((f"DROP TABLE temp.{table}", ()))
        return (
            (lines, (self.inv_id0,)),
            (invoices, (self.inv_id0, self.series, self.series, issuer_name, issuer_tax_id,
                        issuer_address)),
            dependents,
        )  # fmt: skip

    def fingerprint_parts(self) -> dict[str, object]:
        """What `fingerprints` assembles each invoice's fiscal content from: every text
        value already quoted by SQLite's own `json_quote` (the clients' frozen data, the
        days, the constants) and each line set's lines as `json_array` writes them, read
        from the staging tables before the second thread uses the connection."""
        cur = self.cur

        def quoted(value: object) -> str:
            return cur.execute("SELECT json_quote(?)", (value,)).fetchone()[0]

        line_columns = ", ".join(f'l."{c}"' for c in evidence.LINE_COLUMNS)
        lines: list[list[str]] = [[] for _s in self.set_totals]
        for set_id, line in cur.execute(
            f"SELECT l.set_id, json_array({line_columns}) FROM temp.demo_set_line l "
            "ORDER BY l.set_id, l.position"
        ):
            lines[set_id].append(line)
        return {
            "issuer": ",".join(quoted(value) for value in self.issuer),
            "kind": quoted("standard"),
            "series": quoted(self.series),
            "clients": cur.execute(
                "SELECT json_quote(exempt), json_quote(name), json_quote(tax_id), "
                "json_quote(address) FROM temp.demo_client ORDER BY idx"
            ).fetchall(),
            "days": [row[0] for row in cur.execute(
                "SELECT json_quote(d) FROM temp.demo_day ORDER BY day"
            )],
            "lines": ["[" + ",".join(set_lines) + "]" for set_lines in lines],
        }  # fmt: skip

    def fingerprints(self, parts: dict) -> list[str]:
        """Every standard invoice's fingerprint (`evidence.fingerprint`) of its fiscal
        content, the text `evidence.fiscal_json_sql` makes: a JSON array of the values of
        `evidence.FISCAL_COLUMNS`, then the array of its lines, written without spaces.
        The values are those the invoice INSERT writes (see `expansion`); the test suite
        and `tui-crm check` recompute every fingerprint with the SQL."""
        if (evidence.FISCAL_COLUMNS, evidence.LINE_COLUMNS) != _FISCAL_LAYOUT:
            raise RuntimeError("the fiscal content changed: update the demo's fingerprints")
        issuer = parts["issuer"]
        head = f"[{parts['kind']},{parts['series']},"
        code_open = parts["series"][:-1]  # the code is the series, then digits
        days = parts["days"]
        lines = parts["lines"]
        clients = [
            (f"{exempt},null,{name},{tax_id},{address},{issuer},", c.irpf_bp, c.payment_days)
            for c, (exempt, name, tax_id, address) in zip(
                self.clients, parts["clients"], strict=True
            )
        ]
        dyear, set_totals = self.dyear, self.set_totals
        inv_client, inv_day, inv_set = self.inv_client, self.inv_day, self.inv_set
        inv_number, inv_irpf, inv_total = self.inv_number, self.inv_irpf, self.inv_total
        sha256 = hashlib.sha256
        out: list[str] = [""] * self.n
        for x in range(self.n):
            tail, irpf_bp, payment_days = clients[inv_client[x]]
            day = inv_day[x]
            year = dyear[day]
            number = inv_number[x]
            sid = inv_set[x]
            base, vat, rec, _cost = set_totals[sid]
            # in the order of _FISCAL_LAYOUT
            text = (
                f'{head}{year},{number},{code_open}{year}-{number:05d}",{days[day]},{days[day]},'
                f"{days[day + payment_days]},{base},{vat},{rec},{irpf_bp},{inv_irpf[x]},"
                f"{inv_total[x]},{tail}{lines[sid]}]"
            )
            out[x] = sha256(text.encode()).hexdigest()  # evidence.fingerprint, inlined
        return out

    def stage_fingerprints(self, fingerprints: list[str]) -> None:
        self.cur.execute("CREATE TEMP TABLE demo_fingerprint (x INTEGER PRIMARY KEY, hash TEXT)")
        self.cur.executemany(
            "INSERT INTO temp.demo_fingerprint VALUES (?, ?)", enumerate(fingerprints)
        )

    def client_figures(self) -> None:
        """Per client: outstanding, first and last invoice day; invoices to chase."""
        n = self.n
        T = self.T
        clients = self.clients
        inv_client, inv_day, inv_state = self.inv_client, self.inv_day, self.inv_state
        inv_total, inv_paid = self.inv_total, self.inv_paid
        outstanding = self.outstanding = [0] * len(clients)
        first_day = self.first_invoice_day = [0] * len(clients)
        last_day = self.last_invoice_day = [0] * len(clients)
        for x in range(n - 1, -1, -1):
            i = inv_client[x]
            first_day[i] = inv_day[x]
            if not last_day[i]:
                last_day[i] = inv_day[x]
            if inv_state[x] != 1:
                outstanding[i] += inv_total[x] - inv_paid[x]
        step = max(1, n // 20_000)
        self.overdue_unpaid = [
            x
            for x in range(0, n, step)
            if inv_state[x] != 1 and inv_day[x] + clients[inv_client[x]].payment_days + 7 < T
        ]

    def stage_lookups(self) -> None:
        """Small temporary tables the invoice INSERT ... SELECT joins: clients' frozen data,
        line-set totals, dates and times of day."""
        from types import SimpleNamespace

        from ..services.invoices import format_address

        cur = self.cur
        cur.execute(
            "CREATE TEMP TABLE demo_client (idx INTEGER PRIMARY KEY, client_id INTEGER, "
            "name TEXT, tax_id TEXT, address TEXT, address_id INTEGER, terms TEXT, exempt TEXT, "
            "irpf_bp INTEGER, payment_days INTEGER, who TEXT)"
        )
        rows = []
        for index, c in enumerate(self.clients):
            c.address_text = format_address(SimpleNamespace(**c.address))
            rows.append(
                (index, self.client_id0 + index, c.name, c.tax_id, c.address_text, c.address_id,
                 c.terms, c.exempt, c.irpf_bp, c.payment_days, c.who)
            )  # fmt: skip
        cur.executemany(
            "INSERT INTO temp.demo_client VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
        cur.execute(
            "CREATE TEMP TABLE demo_set (set_id INTEGER PRIMARY KEY, base INTEGER, vat INTEGER, "
            "rec INTEGER, cost INTEGER)"
        )
        cur.executemany(
            "INSERT INTO temp.demo_set VALUES (?, ?, ?, ?, ?)",
            [(sid, *totals) for sid, totals in enumerate(self.set_totals)],
        )
        cur.execute("CREATE TEMP TABLE demo_day (day INTEGER PRIMARY KEY, d TEXT, year INTEGER)")
        cur.executemany(
            "INSERT INTO temp.demo_day VALUES (?, ?, ?)",
            zip(range(len(self.dstr)), self.dstr, self.dyear, strict=True),
        )
        cur.execute("CREATE TEMP TABLE demo_time (t INTEGER PRIMARY KEY, s TEXT)")
        cur.executemany("INSERT INTO temp.demo_time VALUES (?, ?)", enumerate(self.times))

    def ensure_statuses(self, paid_lists: list[list[int] | None], partial: list[int]) -> None:
        """Make sure even a small run shows every case the screens colour: overdue by more
        than 90 days, overdue, not yet due, partially paid."""
        n = self.n
        if n < 20:
            return
        T = self.T
        clients = self.clients
        inv_day, inv_client, inv_state = self.inv_day, self.inv_client, self.inv_state
        inv_paid, inv_paid_day, inv_total = self.inv_paid, self.inv_paid_day, self.inv_total

        def due(x: int) -> int:
            return inv_day[x] + clients[inv_client[x]].payment_days

        def unpay(x: int) -> None:
            if inv_state[x] == 1:
                lst = paid_lists[inv_client[x]]
                if lst is not None:
                    lst.remove(x)
            elif inv_state[x] == 2:
                partial.remove(x)
            inv_state[x] = 0
            inv_paid[x] = 0
            inv_paid_day[x] = -1

        def find(test: Callable[[int], bool], start: int) -> int | None:
            for x in range(start, -1, -1):
                if not clients[inv_client[x]].archived and test(x):
                    return x
            return None

        unpaid = [x for x in range(n) if inv_state[x] == 0]
        wanted = (
            (lambda x: due(x) < T - 90, lambda x: due(x) < T - 100, n // 3),
            (lambda x: T - 90 <= due(x) < T, lambda x: T - 60 <= due(x) < T - 5, n - 1),
            (lambda x: due(x) >= T, lambda x: due(x) >= T, n - 1),
        )
        for present, candidate, start in wanted:
            if not any(present(x) for x in unpaid):
                x = find(candidate, start)
                if x is not None:
                    unpay(x)
        if not partial:
            x = find(lambda x: inv_state[x] == 1 and inv_total[x] > 100, n // 2)
            if x is not None:
                day = inv_paid_day[x]
                unpay(x)
                inv_state[x] = 2
                inv_paid[x] = inv_total[x] // 2
                inv_paid_day[x] = day
                partial.append(x)

    def plan_rectifying(self, paid_lists: list[list[int] | None], payments: list) -> dict:
        """A few invoices get a rectifying invoice "by difference" (a credit on one line),
        settled the way `invoices.issue_invoice` and `payments` do it:

        - the original still owed money when the credit was issued: a zero-amount
          "compensation" payment moves the credit from the original's outstanding to
          the rectifying invoice's (which becomes paid); the original is paid (or stays
          partially paid) for the rest;
        - the original was already paid: the rectifying invoice owed the client money,
          refunded by a negative payment a few days later.

        Returns {original index: credit compensated} for the payment groups.
        """
        self.rect: list[tuple] = []
        credit: dict[int, int] = {}
        n = self.n
        if n < 30:
            return credit
        r = self.rng.random
        T = self.T
        inv_day, inv_state, inv_client = self.inv_day, self.inv_state, self.inv_client
        inv_paid_day, inv_pays = self.inv_paid_day, self.inv_pays
        wanted = max(2, n * 3 // 1000)
        chosen: list[tuple[int, int]] = []
        seen: set[int] = set()
        tries = 0
        while len(chosen) < wanted and tries < wanted * 20:
            tries += 1
            x = int(r() * n)
            if x in seen or inv_state[x] == 2 or inv_day[x] > T - 30:
                continue
            seen.add(x)
            chosen.append((min(T - 2, inv_day[x] + 3 + int(r() * 40)), x))
        chosen.sort()
        rid_index = n  # the rectifying invoices follow the standard ones
        for day, x in chosen:
            c = self.clients[inv_client[x]]
            _pos, pid, desc, _qty, _price, _disc, vat_bp, rec_bp, _cost, line_base = self.set_lines[
                self.inv_set[x]
            ][0]
            price = max(1, line_base // 4)  # a credit of a quarter of the first line
            totals = totals_cents([(-1000, price, 0, vat_bp, rec_bp, 0)], c.irpf_bp)
            total = totals[4]
            if inv_state[x] == 1 and inv_paid_day[x] <= day:
                # Paid before the correction: its own payment, then a refund of the credit.
                lst = paid_lists[inv_client[x]]
                if lst is not None:
                    lst.remove(x)
                self.inv_paid[x] = self.inv_total[x]
                inv_pays[x] += 1
                payments.append(
                    (inv_paid_day[x], inv_client[x], self.inv_total[x], [], None, None, (x,))
                )
                paid_day = min(T, day + 2 + int(r() * 10))
                payments.append(
                    (paid_day, inv_client[x], total, [(rid_index, total)], "transfer",
                     "Devolución {code}", ())
                )  # fmt: skip
            else:
                # Still owed: compensated on the day of the correction.
                credit[x] = -total
                inv_pays[x] += 1
                if inv_state[x] == 0:
                    inv_state[x] = 2
                    self.inv_paid[x] = -total
                    inv_paid_day[x] = day
                paid_day = day
                payments.append(
                    (day, inv_client[x], 0, [(x, -total), (rid_index, total)], "compensation",
                     "{code}", ())
                )  # fmt: skip
            self.rect.append((x, day, paid_day, pid, desc, vat_bp, rec_bp, price, totals))
            rid_index += 1
        return credit

    @staticmethod
    def group_sizes(sizes: list[int], budget: int) -> Callable[[int], int]:
        """g(k) = max(1, ceil(k / S)) payments for k paid invoices, S chosen to fit `budget`."""
        histogram: dict[int, int] = {}
        for k in sizes:
            histogram[k] = histogram.get(k, 0) + 1

        # The divisor is in thousandths, so the search is exact integer arithmetic.
        def scaled(k: int, divisor: int) -> int:
            return max(1, -(-k * 1000 // divisor))

        def total(divisor: int) -> int:
            return sum(m * scaled(k, divisor) for k, m in histogram.items())

        if not histogram or total(1000) <= budget:
            return lambda k: k
        lo, hi = 1000, max(histogram) * 1000
        while hi - lo > 1:  # the smallest divisor that fits the budget
            mid = (lo + hi) // 2
            if total(mid) > budget:
                lo = mid
            else:
                hi = mid
        return lambda k: scaled(k, hi)

    def rectifying_rows(self) -> tuple[list[tuple], list[tuple]]:
        """The rectifying invoices (own series, by difference, paid: compensated or refunded)
        and their lines."""
        self.r_counter: dict[int, int] = {}
        self.r_last: dict[int, int] = {}
        self.r_codes: dict[int, str] = {}
        if not self.rect:
            return [], []
        r = self.rng.random
        dstr = self.dstr
        dyear = self.dyear
        clients = self.clients
        inv_day, inv_number = self.inv_day, self.inv_number
        series = self.r_series
        counter, last = self.r_counter, self.r_last
        rows: list[tuple] = []
        lines: list[tuple] = []
        rid0 = self.inv_id0 + self.n
        for number, (x, day, paid_day, pid, desc, vat_bp, rec_bp, price, totals) in enumerate(
            self.rect
        ):
            rid = rid0 + number
            i = self.inv_client[x]
            c = clients[i]
            year = dyear[day]
            counter[year] = counter.get(year, 0) + 1
            last[year] = day
            code = f"{series}{year}-{counter[year]:05d}"
            self.r_codes[self.n + number] = code
            base, vat, rec, irpf, total, cost = totals
            orig_code = f"{self.series}{dyear[inv_day[x]]}-{inv_number[x]:05d}"
            reason = RECTIFICATION_REASONS[int(r() * len(RECTIFICATION_REASONS))]
            ts = dstr[day] + " 12:00:00"
            rows.append(
                (rid, 3, ts, dstr[paid_day] + " 17:00:00", c.who, base, vat, rec, c.irpf_bp, irpf,
                 total, cost, c.exempt, "rectifying", "paid", series, year, counter[year], code,
                 self.client_id0 + i, None, None, None, self.inv_id0 + x,
                 f"{reason} ({orig_code})", "difference", dstr[day], dstr[inv_day[x]],
                 dstr[day + c.payment_days], total, 0, dstr[paid_day], c.terms, "", 0, c.name,
                 c.tax_id, c.address_text, *self.issuer, c.address_id, c.who, c.who, ts)
            )  # fmt: skip
            lines.append(
                (1, pid, f"Rectificación de {orig_code}: {desc}", -1000, price, 0, vat_bp,
                 rec_bp, 0, line_base_cents(-1000, price), rid)
            )  # fmt: skip
            self.revenue[i] += base
        return rows, lines

    def payment_rows(self) -> tuple[list[tuple], list[tuple]]:
        """Payment rows (dated order) and their allocations."""
        payments = self.payments
        r = self.rng.random
        dstr = self.dstr
        clients = self.clients
        cid0 = self.client_id0
        inv_id0 = self.inv_id0
        r_codes = self.r_codes
        pay_id0 = self.ids["payment"]
        rows: list[tuple] = []
        allocs: list[tuple] = []
        accountants = self.accountants
        in_full = 0
        for number, (day, i, amount, items, method, reference, whole) in enumerate(payments):
            pid = pay_id0 + number
            if reference is not None:  # a rectification: compensation or refund
                reference = reference.format(code=r_codes[items[-1][0]])
            else:
                method = clients[i].method
                if method == "transfer":
                    reference = f"TRF {dstr[day].replace('-', '')}-{int(r() * 1e6):06d}"
                elif method == "direct_debit":
                    reference = f"Remesa {dstr[day][:7]}/{pid}"
                elif method == "card":
                    reference = f"TPV ****{int(r() * 10_000):04d}"
                elif method == "cheque":
                    reference = f"Cheque nº {int(r() * 1e7):07d}"
                else:
                    reference = ""
            count = len(items) + len(whole)
            in_full += len(whole)
            note = f"{count} facturas" if count > 1 and method != "compensation" else ""
            rows.append(
                (pid, cid0 + i, dstr[day], amount, method, reference, note,
                 accountants[int(r() * len(accountants))], dstr[day] + " 17:00:00", None, "", "")
            )  # fmt: skip
            allocs.extend([(pid, inv_id0 + x, part) for x, part in items])
        self.counts["payments"] = len(rows)
        self.counts["allocations"] = len(allocs) + in_full
        return rows, allocs

    def write_counters(self) -> None:
        """The series counters: the last number and issue date per series and year."""
        rows = [
            (self.series, year, number, self.dstr[self.year_last[year]])
            for year, number in sorted(self.year_counter.items())
        ]
        rows += [
            (self.r_series, year, number, self.dstr[self.r_last[year]])
            for year, number in sorted(self.r_counter.items())
        ]
        self.cur.executemany(
            "INSERT INTO series_counter (series, year, last_number, last_issue_date) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (series, year) DO UPDATE SET "
            "last_number = excluded.last_number, last_issue_date = excluded.last_issue_date",
            rows,
        )

    # --- timeline, clients, search ----------------------------------------------------------

    def activity_rows(self) -> list[tuple]:
        r = self.rng.random
        T = self.T
        dstr = self.dstr
        times = self.times
        cid0 = self.client_id0
        kinds = _expand((("call", 30), ("meeting", 12), ("email", 28), ("note", 15), ("task", 15)))
        authors = self.authors or ["admin"]
        activity_id = self.ids["activity"]
        rows: list[tuple] = []
        follow_ups = 0
        self.last_activity = [0] * len(self.clients)
        counts_table = (1, 1, 2, 2, 3, 3, 4, 5)
        for index, c in enumerate(self.clients):
            client_id = cid0 + index
            n = counts_table[int(r() * len(counts_table))]
            start = max(c.join_day, T - 1400)
            last = 0
            for _n in range(n):
                kind = kinds[int(r() * len(kinds))]
                subjects = ACTIVITY_SUBJECTS[kind]
                subject = subjects[int(r() * len(subjects))]
                day = start + int(r() * (T - start + 1))
                ts = dstr[day] + times[int(r() * 240)]
                contact = c.first_contact + int(r() * c.n_contacts) if r() < 0.7 else None
                project = (
                    c.projects[int(r() * len(c.projects))] if c.projects and r() < 0.3 else None
                )
                author = c.owner[1] if r() < 0.7 else authors[int(r() * len(authors))]
                due = None
                done = ts
                email_status = ""
                message_id = ""
                if kind == "task":
                    due = dstr[day + int(r() * 10)]
                    done = dstr[day + int(r() * 10)] + " 18:00:00"
                elif kind == "email" and r() < 0.5:
                    email_status = "sent"
                    message_id = f"<demo.{self.seed}.{activity_id}@tui-crm.invalid>"
                outcome = CALL_OUTCOMES[int(r() * len(CALL_OUTCOMES))] if kind == "call" else ""
                rows.append(
                    (activity_id, 1, ts, ts, author, client_id, kind, subject,
                     ACTIVITY_BODIES[int(r() * len(ACTIVITY_BODIES))], outcome, contact, project,
                     author, ts, due, done if kind == "task" else None, email_status, message_id)
                )  # fmt: skip
                activity_id += 1
                if day > last:
                    last = day
            # A follow-up: overdue, due today or upcoming (on the agenda until done).
            if not c.archived and r() < 0.18:
                roll = r()
                if follow_ups < 3:  # one of each kind whatever the size
                    roll = (0.1, 0.35, 0.8)[follow_ups]
                if roll < 0.3:
                    due_day = T - 1 - int(r() * 30)
                elif roll < 0.45:
                    due_day = T
                else:
                    due_day = T + 1 + int(r() * 45)
                created = min(T, due_day) - int(r() * 20)
                kind = ("call", "task", "meeting", "email")[int(r() * 4)]
                subjects = ACTIVITY_SUBJECTS[kind]
                ts = dstr[created] + times[int(r() * 240)]
                when = dstr[due_day] + " 10:00:00"
                rows.append(
                    (activity_id, 1, ts, ts, c.owner[1], client_id, kind,
                     subjects[int(r() * len(subjects))], "", "",
                     c.first_contact if c.n_contacts else None, None, c.owner[1], when,
                     dstr[due_day], None, "", "")
                )  # fmt: skip
                activity_id += 1
                follow_ups += 1
            self.last_activity[index] = last
        # Dunning calls on a sample of overdue unpaid invoices, some still to be done.
        for x in self.overdue_unpaid:
            i = self.inv_client[x]
            c = self.clients[i]
            day = min(T, self.inv_day[x] + c.payment_days + 7 + int(r() * 30))
            ts = dstr[day] + times[int(r() * 240)]
            code = f"{self.series}{self.dyear[self.inv_day[x]]}-{self.inv_number[x]:05d}"
            pending = r() < 0.4
            due_day = T + int(r() * 7) if pending else None
            rows.append(
                (activity_id, 1, ts, ts, self.accountants[0], cid0 + i, "call",
                 f"Reclamación de la factura {code}", "Se recuerda el vencimiento.",
                 CALL_OUTCOMES[4] if not pending else "", None, None, self.accountants[0], ts,
                 dstr[due_day] if due_day is not None else None, None if pending else ts, "", "")
            )  # fmt: skip
            activity_id += 1
            follow_ups += pending
            if day > self.last_activity[i]:
                self.last_activity[i] = day
        self.counts["activities"] = len(rows)
        self.counts["follow_ups"] = follow_ups
        touch = getattr(self, "first_touch", None) or [None] * len(self.clients)
        day_of = {text: day for day, text in enumerate(dstr)}
        for row in rows:  # (id, version, created_at "YYYY-MM-DD …", …, client_id, …)
            index, day = row[5] - cid0, day_of.get(row[2][:10])
            if day is not None and (touch[index] is None or day < touch[index]):
                touch[index] = day
        self.first_touch = touch
        return rows

    def client_rows(self) -> list[tuple]:
        dstr = self.dstr
        T = self.T
        cid0 = self.client_id0
        rows: list[tuple] = []
        for index, c in enumerate(self.clients):
            legal, trade, sort_name, tax_id, email, phone, mobile, fax, website, _prov = c.row
            first = self.first_invoice_day[index]
            touch = self.first_touch[index] if hasattr(self, "first_touch") else None
            created_day = max(0, min(c.join_day, first or T, T if touch is None else touch) - 15)
            created = dstr[created_day] + " 10:00:00"
            became = None
            if not c.is_lead:
                # a client since its first invoice, or its first contact if that came first
                since = first if first else min(T, max(created_day, c.join_day))
                became = dstr[since if touch is None else min(since, touch)]
            last = max(self.last_activity[index], self.last_invoice_day[index])
            rows.append(
                (cid0 + index, 1, created, created, c.owner[1], "lead" if c.is_lead else "client",
                 "archived" if c.archived else "active", int(c.is_company), legal, trade,
                 sort_name, tax_id, "ES", tax_id, email, phone, mobile, fax, website,
                 c.payment_days, c.method, c.iban, c.vat_bp, int(bool(c.exempt)), c.exempt,
                 c.irpf_bp, c.recargo, c.owner[0],
                 CLIENT_NOTES[index % len(CLIENT_NOTES)] if index % 11 == 0 else "", None, became,
                 self.revenue[index], self.outstanding[index],
                 dstr[last] + " 18:00:00" if last else None)
            )  # fmt: skip
        return rows

    def insert_clients(self, rows: list[tuple]) -> None:
        self.insert(
            "client",
            "id, version, created_at, updated_at, updated_by, kind, status, is_company, "
            "legal_name, trade_name, sort_name, tax_id, tax_id_country, tax_id_compact, email, "
            "phone, mobile, fax, website, payment_days, payment_method, iban, vat_rate_bp, "
            "vat_exempt, exemption_reason, irpf_rate_bp, recargo, owner_id, notes, "
            "merged_into_id, became_client_at, revenue_total_cents, outstanding_cents, "
            "last_activity_at",
            rows,
        )

    def search_docs(self) -> list[tuple[int, str]]:
        """The documents `search.client_search_doc` makes, built from memory (the test suite
        checks they are identical to what `search.rebuild_search_index` writes)."""
        cid0 = self.client_id0
        raw = []
        for c in self.clients:
            legal, trade, _sort, tax_id, email, phone, mobile, fax, _web, _prov = c.row
            parts = [legal, trade, tax_id, email]
            for number in (phone, mobile, fax):
                if number:
                    parts.append(number)
                    parts.append(_NON_DIGIT.sub("", number))
            for first, last, contact_email, contact_phone in c.contacts:
                parts.append(f"{first} {last}")
                parts.append(contact_email)
                if contact_phone:
                    parts.append(_NON_DIGIT.sub("", contact_phone))
            raw.append(" | ".join(p for p in parts if p))
        return [(cid0 + index, text.translate(_FOLD)) for index, text in enumerate(raw)]

    def search_index(self, docs: list[tuple[int, str]]) -> None:
        self.cur.execute("DELETE FROM client_search")
        self.cur.executemany("INSERT INTO client_search (rowid, doc) VALUES (?, ?)", docs)
        self.cur.execute("INSERT INTO client_search (client_search) VALUES ('optimize')")

    def verifactu_inputs(self) -> None:
        """What the VERI*FACTU records are made of, read before the second thread takes
        the connection (`verifactu_rows` builds them meanwhile, `verifactu_records`
        writes them). Invoices are numbered in date order and the rectifying ones come
        last, so those issued since VERI*FACTU went on are the ids from the first of them:
        an id range, read without the indexes (which are being made)."""
        from ..services.verifactu import issuer_nif

        cur = self.cur
        since = self.T - VERIFACTU_DAYS
        stored = dict(cur.execute("SELECT key, value FROM setting"))
        self.vf_nif = issuer_nif(stored.get("company.tax_id", self.company_cif))
        first_id = self.inv_id0 + bisect.bisect_left(self.inv_day, since)
        params = (self.dstr[since], first_id)
        self.vf_invoices = cur.execute(
            "SELECT id, code, issue_date, kind, rectifies_id, client_name, client_tax_id, "
            "exemption_reason, issuer_name, rectification_reason, operation_date "
            "FROM invoice WHERE status <> 'draft' AND issue_date >= ? AND id >= ? "
            "ORDER BY issue_date, kind, series, number",
            params,
        ).fetchall()
        self.vf_lines = cur.execute(
            "SELECT l.invoice_id, l.vat_rate_bp, l.recargo_rate_bp, l.base_cents, l.description "
            "FROM invoice_line l JOIN invoice i ON i.id = l.invoice_id "
            "WHERE i.status <> 'draft' AND i.issue_date >= ? AND i.id >= ? "
            "ORDER BY l.invoice_id, l.position",
            params,
        ).fetchall()
        self.vf_originals = {
            row[0]: (row[1], row[2])
            for row in cur.execute(
                "SELECT id, code, issue_date FROM invoice WHERE id IN "
                "(SELECT rectifies_id FROM invoice WHERE rectifies_id IS NOT NULL "
                "AND issue_date >= ? AND id >= ?)",
                params,
            )
        }

    def verifactu_rows(self) -> None:
        """The registros de alta (see `verifactu_records`), built in Python without
        touching the connection."""
        from ..services.verifactu import infer_exemption_code
        from ..verifactu import formats, records, schema
        from ..verifactu.system import this_system

        since = self.T - VERIFACTU_DAYS
        nif = self.vf_nif
        invoices = self.vf_invoices
        self.vf_installation = installation = f"{self.dstr[since].replace('-', '')}090000"
        system = this_system(installation)
        self.counts["verifactu_records"] = len(invoices)
        self.vf_rows: list[tuple] = []
        if not invoices:
            return
        groups: dict[int, dict[tuple[int, int], int]] = {}
        descriptions: dict[int, list[str]] = {}
        for invoice_id, vat_bp, rec_bp, base, text in self.vf_lines:
            rates = groups.setdefault(invoice_id, {})
            rates[(vat_bp, rec_bp)] = rates.get((vat_bp, rec_bp), 0) + base
            seen = descriptions.setdefault(invoice_id, [])
            if text not in seen:
                seen.append(text)
        originals = self.vf_originals
        codes: dict[str, str] = {}
        rows = self.vf_rows
        previous: records.Previous | None = None
        checked: set[tuple] = set()
        day_seconds: dict[str, int] = {}
        for (
            invoice_id, code, issue, kind, rectifies_id, client, tax_id, exemption, issuer,
            reason, operation,
        ) in invoices:  # fmt: skip
            day = dt.date.fromisoformat(issue)
            second = day_seconds.get(issue, 0)
            day_seconds[issue] = second + 1
            moment = dt.datetime.combine(day, dt.time(9), tzinfo=formats.MADRID)
            generated_at = formats.timestamp(moment + dt.timedelta(seconds=second))
            if exemption and exemption not in codes:
                codes[exemption] = infer_exemption_code(exemption)
            details: list[records.Detail] = []
            vat_total = total = 0
            for (vat_bp, rec_bp), base in sorted(groups.get(invoice_id, {}).items(), reverse=True):
                if vat_bp == 0:
                    code_e = codes.get(exemption, "E6")
                    details.append(
                        records.Detail(base=from_cents(base), qualification=code_e)
                        if code_e.startswith("N")
                        else records.Detail(
                            base=from_cents(base),
                            regime="02" if code_e in ("E2", "E3") else "01",
                            exemption=code_e,
                        )
                    )
                    total += base
                    continue
                vat = percent_cents(base, vat_bp)
                recargo = percent_cents(base, rec_bp)
                details.append(
                    records.Detail(
                        base=from_cents(base),
                        qualification="S1",
                        vat_rate=from_cents(vat_bp),
                        vat=from_cents(vat),
                        recargo_rate=from_cents(rec_bp) if rec_bp else None,
                        recargo=from_cents(recargo) if rec_bp else None,
                    )
                )
                vat_total += vat + recargo
                total += base + vat + recargo
            rectified = ()
            invoice_type = "F1"
            description = "; ".join(" ".join(t.split()) for t in descriptions.get(invoice_id, []))
            if kind == "rectifying" and rectifies_id in originals:
                invoice_type = "R1"
                original_code, original_day = originals[rectifies_id]
                rectified = (
                    records.InvoiceId(nif, original_code, dt.date.fromisoformat(original_day)),
                )
                description = (
                    f"Factura rectificativa de {original_code}: {' '.join(reason.split())}"
                )
            alta = records.Alta(
                invoice=records.InvoiceId(nif, code, day),
                issuer_name=" ".join(issuer.split()),
                invoice_type=invoice_type,
                description=(description or f"Factura {code}")[:500],
                details=tuple(details),
                vat_total=from_cents(vat_total),
                total=from_cents(total),
                system=system,
                generated_at=generated_at,
                previous=previous,
                recipients=(records.Party(" ".join(client.split())[:120], nif=tax_id),)
                if tax_id
                else (),
                rectification_kind="I" if rectified else "",
                rectified=rectified,
                operation_date=dt.date.fromisoformat(operation)
                if operation and operation != issue
                else None,
            )
            built = records.build_alta(alta)
            shape = (invoice_type, len(details), bool(exemption), bool(alta.operation_date))
            if shape not in checked:  # every kind the demo makes validates, once
                schema.validate(built.xml)
                checked.add(shape)
            accepted = issue < self.dstr[self.T]
            rows.append(
                (
                    nif, alta.issuer_name, len(rows) + 1, invoice_id, "alta", code, issue,
                    invoice_type, formats.amount(alta.vat_total), formats.amount(alta.total),
                    previous is None, previous.issuer_nif if previous else "",
                    previous.number if previous else "",
                    previous.issue_date.isoformat() if previous else None,
                    previous.hash if previous else "", built.hash, generated_at, "test",
                    built.xml.decode("utf-8"),
                    moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"), "demo",
                    "accepted" if accepted else "pending",
                    f"DEMO{issue.replace('-', '')}CSV" if accepted else "",
                    1 if accepted else 0,
                )
            )  # fmt: skip
            previous = records.Previous(nif, code, day, built.hash)
        del self.vf_invoices, self.vf_lines, self.vf_originals

    def verifactu_records(self) -> None:
        """The demo business turned VERI*FACTU on `VERIFACTU_DAYS` days ago: every invoice
        issued since has its registro de alta, chained in issue order, made as
        `services.verifactu` makes them (the same builder, checked against AEAT's schema
        on the first of each kind); those of earlier days have none, as invoices issued
        before a business adopts VERI*FACTU. Records of days before today were accepted
        by AEAT (each day one submission with its CSV); today's still wait to be sent."""
        cur = self.cur
        since = self.T - VERIFACTU_DAYS
        now = self.dstr[since] + " 09:00:00"
        cur.executemany(
            "INSERT OR REPLACE INTO setting (key, value, updated_at, updated_by) "
            "VALUES (?, ?, ?, ?)",
            [
                (key, value, now, login())
                for key, value in (
                    ("verifactu.enabled", "yes"),
                    ("verifactu.environment", "test"),
                    ("verifactu.installation", self.vf_installation),
                )
            ],
        )
        rows = self.vf_rows
        if not rows:
            return
        nif = self.vf_nif
        cur.executemany(
            "INSERT INTO verifactu_record (issuer_nif, issuer_name, sequence, invoice_id, "
            "record_type, subsanacion, rechazo_previo, sin_registro_previo, invoice_number, "
            "issue_date, invoice_type, vat_total, total, first_record, previous_issuer_nif, "
            "previous_number, previous_issue_date, previous_hash, hash, generated_at, "
            "environment, xml, created_at, created_by, status, error_code, error, csv, "
            "attempts) VALUES (?, ?, ?, ?, ?, 0, '', 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ?, ?, ?, ?, '', '', ?, ?)",
            rows,
        )
        last = rows[-1]
        cur.execute(
            "INSERT OR REPLACE INTO verifactu_chain (issuer_nif, last_sequence, last_hash, "
            "last_generated_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            (nif, last[2], last[15], last[16], last[19]),
        )

    def audit(self, summary: DemoSummary) -> None:
        changes = {k: [None, v] for k, v in summary.as_dict().items() if k != "seconds"}
        changes["seed"] = [None, self.seed]
        # the colleagues it made, with their roles: `check` compares roles with the audit log
        changes["users"] = [None, {login_: role for login_, _full, role in self.new_users}]
        changes["today"] = [None, self.today.isoformat()]
        from ..services import evidence

        evidence.append_audit(
            {
                "at": self.dstr[self.T] + " 08:00:00",
                "user": login(),
                "real_user": actor().really,
                "action": "import",
                "entity": "demo",
                "entity_id": "",
                "client_id": None,
                "changes": json.dumps(changes, ensure_ascii=False),
                "summary": _(
                    "Demo data: {clients} clients, {invoices} invoices, {payments} payments"
                ).format(
                    clients=summary.clients, invoices=summary.invoices, payments=summary.payments
                ),
            }
        )


def generate_demo(
    clients: int = 200,
    invoices: int = 2000,
    seed: int = 1,
    *,
    today: dt.date | None = None,
    progress: ProgressCallback | None = None,
) -> DemoSummary:
    """Fill the open, migrated, empty database with realistic Spanish demo data.

    Deterministic: the same `seed` and `today` give the same rows. `progress(phase,
    fraction)` is called a few dozen times with a translated phase name and the
    overall fraction done (0.0 to 1.0). Raises RuleViolation when the database
    already has clients or is not SQLite. Everything is written in one transaction:
    on any error nothing is left behind.
    """
    from ..services.permissions import require

    require("settings.write")  # it writes the business's settings and users: an admin's job
    if clients < 1 or invoices < 0:
        raise RuleViolation(_("demo data needs at least one client and zero or more invoices"))
    if database.obj is None:
        raise RuleViolation(_("no database is open"))
    if not is_sqlite():
        raise RuleViolation(_("demo data can only be generated into a SQLite database"))
    if database.in_transaction():
        raise RuleViolation(_("demo data cannot be generated inside another transaction"))
    started = time.perf_counter()
    demo = _Demo(clients, invoices, seed, today or dt.date.today(), progress)
    conn = database.connection()
    saved = {
        name: conn.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("journal_mode", "synchronous", "cache_size", "foreign_keys", "mmap_size")
    }
    wal = str(saved["journal_mode"]).lower() == "wal"
    # Millions of tuples are built and kept: the cyclic collector would rescan them again and
    # again for nothing (they hold no cycles). Off for the duration, as it was afterwards.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        conn.execute("PRAGMA foreign_keys = OFF")  # cannot change inside the transaction
        if wal:
            # Pages appended to an empty file need no journal, and no WAL copy; a colleague's
            # open connection keeps WAL in place (the load is then slower, never wrong).
            with contextlib.suppress(sqlite3.OperationalError):
                conn.execute("PRAGMA journal_mode = DELETE").fetchone()
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -1000000")  # 1 GB while loading
        # Twenty-odd statements read the whole invoice table (each index, each derived
        # table), larger than the cache at the scale case: read through a memory map, a
        # page costs no system call and no copy. Per connection; put back below.
        conn.execute("PRAGMA mmap_size = 2147418112").fetchone()
        with database.atomic():
            summary = demo.run()
    finally:
        if gc_was_enabled:
            gc.enable()
        conn.execute(f"PRAGMA cache_size = {int(saved['cache_size'])}")
        conn.execute(f"PRAGMA mmap_size = {int(saved['mmap_size'])}").fetchone()
        if wal:  # if this fails, the next connection sets WAL again (db.SQLITE_PRAGMAS)
            with contextlib.suppress(sqlite3.OperationalError):
                conn.execute("PRAGMA journal_mode = WAL").fetchone()
        conn.execute(f"PRAGMA synchronous = {int(saved['synchronous'])}")
        conn.execute(f"PRAGMA foreign_keys = {int(saved['foreign_keys'])}")
    demo.progress(_("Recurring invoices and documents"), 0.99)
    recurring_count, document_count = _recurring_and_documents(seed, demo.today)
    demo.progress(_("Done"), 1.0)
    return replace(
        summary,
        recurring=recurring_count,
        documents=document_count,
        seconds=round(time.perf_counter() - started, 3),
    )


# (product code, title, frequency, first run within so many days)
_RECURRING = (
    ("SRV-003", "Mantenimiento informático", "monthly", 28),
    ("SRV-007", "Asesoría fiscal", "quarterly", 80),
    ("SRV-009", "Alojamiento web y dominio", "yearly", 300),
)
_CONTRACT = """CONTRATO DE PRESTACIÓN DE SERVICIOS

Cliente: {client}
Servicio: {service}
Periodicidad de facturación: {frequency}
Fecha de inicio: {start}

1. Objeto. El prestador realizará el servicio descrito con la diligencia debida.
2. Precio. El indicado en cada factura, con el IVA vigente en la fecha de devengo.
3. Pago. Por transferencia a la cuenta indicada en la factura, en el plazo acordado.
4. Duración. Un año, prorrogable tácitamente por periodos iguales salvo aviso con
   un mes de antelación.
5. Protección de datos. Las partes cumplen el RGPD y la LOPDGDD.
"""


def _recurring_and_documents(seed: int, today: dt.date) -> tuple[int, int]:
    """Recurring invoices for a few clients (a monthly maintenance fee, quarterly tax
    advice, yearly hosting) with the signed contract attached: written through the
    services, so they follow the same rules and leave the same audit as by hand."""
    from ..services import documents, recurring
    from ..services.lines import LineInput

    rng = random.Random(seed * 7919 + 11)  # its own stream: the bulk data stay as they were
    products = {
        code: (pid, name, from_cents(price), from_cents(cost))
        for pid, code, name, price, cost in execute(
            "SELECT id, code, name, unit_price_cents, unit_cost_cents FROM product "
            "WHERE code IN (?, ?, ?)",
            [code for code, *_rest in _RECURRING],
        )
    }
    if len(products) < len(_RECURRING):
        return 0, 0  # a catalog someone already had: no guessing at their services
    candidates = execute(
        "SELECT id, legal_name FROM client WHERE kind = 'client' AND status = 'active' "
        "AND vat_exempt = 0 AND recargo = 0 AND vat_rate_bp = 2100 ORDER BY id"
    ).fetchall()
    chosen = rng.sample(candidates, min(len(candidates), max(3, min(40, len(candidates) // 12))))
    frequency_names = {"monthly": "mensual", "quarterly": "trimestral", "yearly": "anual"}
    made = attached = 0
    for number, (client_id, name) in enumerate(sorted(chosen)):
        code, title, frequency, within = _RECURRING[number % len(_RECURRING)]
        product_id, description, price, cost = products[code]
        next_date = today + dt.timedelta(days=1 + int(rng.random() * within))
        recurring.create_recurring(
            recurring.RecurringInput(
                client_id=client_id,
                title=title,
                frequency=frequency,
                next_date=next_date,
                issue_directly=number % 4 == 3,
                lines=[
                    LineInput(
                        description=description,
                        unit_price=price,
                        unit_cost=cost,
                        product_id=product_id,
                    )
                ],
            )
        )
        made += 1
        if number % 3 != 2:  # most have their contract on file
            contract = _CONTRACT.format(
                client=name,
                service=description,
                frequency=frequency_names[frequency],
                start=(today - dt.timedelta(days=30 + int(rng.random() * 600))).strftime(
                    "%d/%m/%Y"
                ),
            )
            documents.add_document(
                contract.encode("utf-8"),
                f"Contrato {title.lower()}.txt",
                mime="text/plain",
                client_id=client_id,
                notes="Contrato firmado",
            )
            attached += 1
    return made, attached
