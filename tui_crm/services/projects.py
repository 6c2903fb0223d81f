"""Projects of a client: name, status, dates and budget; quotes and invoices may point at them.

Rules: a name is required; the end date is not before the start date; the budget
is not negative; a project with quotes, orders or invoices cannot be deleted
(they would lose their project) — set it to done or cancelled instead. Edits carry
the version the person started from; every change is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal

from ..db import execute, transactional
from ..i18n import N_, NC_, _
from ..models import PROJECT_STATUSES, Project
from ..money import from_cents
from ..text import clean_input
from . import audit
from .errors import NotFound, RuleViolation, ValidationError
from .permissions import require
from .records import live_client, parse_date, parse_money, save_versioned
from .session import login
from .validation import one_line_errors

STATUS_LABELS = {
    "planned": N_("planned"),
    "active": NC_("project status", "active"),
    "on_hold": N_("on hold"),
    "done": N_("done"),
    "cancelled": N_("cancelled"),
}


@dataclass
class ProjectData:
    name: str = ""
    status: str = "active"
    start_date: dt.date | str | None = None
    end_date: dt.date | str | None = None
    budget: Decimal | str = Decimal("0.00")
    description: str = ""


@dataclass(frozen=True)
class ProjectRow:
    id: int
    client_id: int
    version: int
    data: ProjectData
    invoiced: Decimal  # taxable base of this project's issued invoices


def validate(data: ProjectData) -> ProjectData:
    """A cleaned copy, or ValidationError naming every wrong field."""
    errors: dict[str, str] = {}
    name = clean_input(str(data.name or ""))
    if not name:
        errors["name"] = _("is required")
    elif len(name) > 200:
        errors["name"] = _("is longer than {n} characters").format(n=200)
    if data.status not in PROJECT_STATUSES:
        errors["status"] = _("must be one of {values}").format(values=", ".join(PROJECT_STATUSES))
    start = parse_date(data.start_date, errors, "start_date")
    end = parse_date(data.end_date, errors, "end_date")
    if start and end and end < start:
        errors["end_date"] = _("is before the start date")
    budget = parse_money(data.budget, errors, "budget")
    errors.update(one_line_errors({"name": data.name}))
    if errors:
        raise ValidationError(errors)
    return ProjectData(name, data.status, start, end, budget, clean_input(data.description or ""))


def _rows(where: str, params: tuple) -> list[ProjectRow]:
    sql = (
        "SELECT p.id, p.client_id, p.version, p.name, p.status, p.start_date, p.end_date, "
        "p.budget_cents, p.description, "
        "(SELECT COALESCE(SUM(i.base_cents), 0) FROM invoice i WHERE i.project_id = p.id "
        " AND i.status NOT IN ('draft', 'voided')) FROM project p WHERE "
        + where
        + " ORDER BY CASE p.status WHEN 'active' THEN 0 WHEN 'planned' THEN 1 "
        "WHEN 'on_hold' THEN 2 ELSE 3 END, p.start_date DESC, p.id DESC"
    )
    return [
        ProjectRow(
            id=r[0],
            client_id=r[1],
            version=r[2],
            data=ProjectData(
                name=r[3],
                status=r[4],
                start_date=dt.date.fromisoformat(str(r[5])[:10]) if r[5] else None,
                end_date=dt.date.fromisoformat(str(r[6])[:10]) if r[6] else None,
                budget=from_cents(int(r[7])),
                description=r[8],
            ),
            invoiced=from_cents(int(r[9])),
        )
        for r in execute(sql, params)
    ]


def list_projects(client_id: int) -> list[ProjectRow]:
    """Active first, then planned, on hold, and finished ones; newest first within each."""
    return _rows("p.client_id = ?", (client_id,))


def get_project(project_id: int) -> ProjectRow:
    rows = _rows("p.id = ?", (project_id,))
    if not rows:
        raise NotFound(_("project {id} does not exist").format(id=project_id))
    return rows[0]


@transactional
def create_project(client_id: int, data: ProjectData) -> int:
    """Open a project for a client."""
    require("clients.write")
    client = live_client(client_id)
    clean = validate(data)
    project = Project.create(client=client_id, updated_by=login(), **asdict(clean))
    audit.record(
        "create",
        "project",
        project.id,
        client_id=client_id,
        changes={k: (None, v) for k, v in asdict(clean).items() if v not in ("", None)},
        summary=_("{name} for {client}").format(name=clean.name, client=client.legal_name),
    )
    return project.id


@transactional
def update_project(project_id: int, data: ProjectData, expected_version: int) -> int:
    """Save a project if nobody saved it meanwhile; returns the new version."""
    require("clients.write")
    current = get_project(project_id)
    live_client(current.client_id)
    clean = validate(data)
    version = save_versioned(
        Project, project_id, expected_version, asdict(clean), entity="project", what=_("project")
    )
    before = asdict(current.data)
    audit.record(
        "update",
        "project",
        project_id,
        client_id=current.client_id,
        changes={k: (before[k], v) for k, v in asdict(clean).items() if before[k] != v},
        summary=clean.name,
    )
    return version


def delete_refusal(project_id: int) -> str | None:
    """Why a project may not be deleted, or None."""
    row = execute(
        "SELECT (SELECT COUNT(*) FROM quote WHERE project_id = ?), "
        "(SELECT COUNT(*) FROM sales_order WHERE project_id = ?), "
        "(SELECT COUNT(*) FROM invoice WHERE project_id = ?)",
        (project_id, project_id, project_id),
    ).fetchone()
    if any(row):
        return _(
            "it has {quotes} quotes, {orders} orders and {invoices} invoices; "
            "mark it done or cancelled instead"
        ).format(quotes=row[0], orders=row[1], invoices=row[2])
    return None


@transactional
def delete_project(project_id: int) -> None:
    """Delete a project that no quote, order or invoice refers to."""
    require("clients.write")
    current = get_project(project_id)
    live_client(current.client_id)
    reason = delete_refusal(project_id)
    if reason:
        raise RuleViolation(
            _("Cannot delete {name}: {reason}").format(name=current.data.name, reason=reason)
        )
    Project.delete().where(Project.id == project_id).execute()
    audit.record(
        "delete",
        "project",
        project_id,
        client_id=current.client_id,
        changes={k: (v, None) for k, v in asdict(current.data).items() if v not in ("", None)},
        summary=current.data.name,
    )


# --- what a project holds: its documents, its figures -----------------------------------


def check_project(project_id: int | None, client_id: int, errors: dict[str, str]) -> None:
    """A document's project must exist and be a project of the document's client."""
    if project_id is None:
        return
    row = execute("SELECT client_id FROM project WHERE id = ?", (project_id,)).fetchone()
    if row is None:
        errors["project_id"] = _("project {id} does not exist").format(id=project_id)
    elif int(row[0]) != int(client_id):
        errors["project_id"] = _("is a project of another client")


def project_choices(client_id: int) -> list[tuple[str, int]]:
    """(name, id) of the client's projects for a picker: open ones first (as listed)."""
    return [
        (f"{row.data.name} · {_(STATUS_LABELS.get(row.data.status, row.data.status))}", row.id)
        for row in list_projects(client_id)
    ]


@dataclass(frozen=True)
class ProjectFigures:
    """What a project holds, in euros.

    - quoted: taxable base of its quotes sent or accepted;
    - ordered: taxable base of its orders not cancelled;
    - invoiced: taxable base of its issued invoices (not voided; rectifying ones count,
      usually negative), as revenue is counted everywhere;
    - paid and pending: what its issued invoices have been paid and still owe (the
      invoices' totals, IVA included and IRPF withheld), as the receivables show them;
    - cost: its invoices' cost of sales (each line's quantity x unit cost) plus the
      base of its expenses; margin = invoiced - cost.
    """

    project_id: int
    project: str
    client_id: int
    client: str
    status: str
    quoted: Decimal
    ordered: Decimal
    invoiced: Decimal
    paid: Decimal
    pending: Decimal
    cost_of_sales: Decimal
    expenses: Decimal

    @property
    def cost(self) -> Decimal:
        return self.cost_of_sales + self.expenses

    @property
    def margin(self) -> Decimal:
        return self.invoiced - self.cost


_FIGURES = (
    "SELECT p.id, p.name, p.client_id, c.legal_name, p.status, "
    "COALESCE(q.quoted, 0), COALESCE(o.ordered, 0), COALESCE(i.invoiced, 0), "
    "COALESCE(i.paid, 0), COALESCE(i.pending, 0), COALESCE(i.cost, 0), COALESCE(e.spent, 0) "
    "FROM project p JOIN client c ON c.id = p.client_id "
    "LEFT JOIN (SELECT project_id, SUM(base_cents) AS quoted FROM quote "
    " WHERE status IN ('sent', 'accepted') AND project_id IS NOT NULL GROUP BY project_id) q "
    " ON q.project_id = p.id "
    "LEFT JOIN (SELECT project_id, SUM(base_cents) AS ordered FROM sales_order "
    " WHERE status <> 'cancelled' AND project_id IS NOT NULL GROUP BY project_id) o "
    " ON o.project_id = p.id "
    "LEFT JOIN (SELECT project_id, SUM(base_cents) AS invoiced, "
    " SUM(total_cents - outstanding_cents) AS paid, "
    " SUM(outstanding_cents) AS pending, SUM(cost_cents) AS cost FROM invoice "
    " WHERE status NOT IN ('draft', 'voided') AND project_id IS NOT NULL GROUP BY project_id) i "
    " ON i.project_id = p.id "
    "LEFT JOIN (SELECT project_id, SUM(base_cents) AS spent FROM expense "
    " WHERE project_id IS NOT NULL GROUP BY project_id) e ON e.project_id = p.id"
)


def _figures(r: tuple) -> ProjectFigures:
    return ProjectFigures(
        project_id=r[0],
        project=r[1],
        client_id=r[2],
        client=r[3],
        status=r[4],
        quoted=from_cents(int(r[5])),
        ordered=from_cents(int(r[6])),
        invoiced=from_cents(int(r[7])),
        paid=from_cents(int(r[8])),
        pending=from_cents(int(r[9])),
        cost_of_sales=from_cents(int(r[10])),
        expenses=from_cents(int(r[11])),
    )


def project_figures(project_id: int) -> ProjectFigures:
    """The figures of one project (see `ProjectFigures`); NotFound when it does not exist."""
    rows = [_figures(r) for r in execute(_FIGURES + " WHERE p.id = ?", (project_id,))]
    if not rows:
        raise NotFound(_("project {id} does not exist").format(id=project_id))
    return rows[0]


def iter_project_figures(client_id: int | None = None, page: int = 5000):
    """Every project's figures (of one client when given), clients by name, then as
    `list_projects` orders them, read from one cursor."""
    sql = _FIGURES
    params: tuple = ()
    if client_id is not None:
        sql += " WHERE p.client_id = ?"
        params = (client_id,)
    sql += (
        " ORDER BY c.sort_name, c.id, CASE p.status WHEN 'active' THEN 0 WHEN 'planned' THEN 1 "
        "WHEN 'on_hold' THEN 2 ELSE 3 END, p.start_date DESC, p.id DESC"
    )
    cursor = execute(sql, params)
    while rows := cursor.fetchmany(page):
        for r in rows:
            yield _figures(r)


@dataclass(frozen=True)
class ProjectDocument:
    """One quote, order, invoice or expense of a project, as its screen lists it."""

    kind: str  # quote, order, invoice, expense
    id: int
    code: str  # "" for a draft invoice or an expense
    day: dt.date | None
    title: str
    status: str
    base: Decimal
    total: Decimal


def project_documents(project_id: int) -> list[ProjectDocument]:
    """The project's quotes, orders, invoices (drafts too) and expenses, by date."""
    sql = (
        "SELECT 'quote', id, code, date, title, status, base_cents, total_cents "
        "FROM quote WHERE project_id = ? "
        "UNION ALL SELECT 'order', id, code, date, title, status, base_cents, total_cents "
        "FROM sales_order WHERE project_id = ? "
        "UNION ALL SELECT 'invoice', id, COALESCE(code, ''), issue_date, notes, status, "
        "base_cents, total_cents FROM invoice WHERE project_id = ? "
        "UNION ALL SELECT 'expense', id, '', expense_date, supplier_name, '', base_cents, "
        "total_cents FROM expense WHERE project_id = ?"
    )
    out = []
    for r in execute(sql, (project_id,) * 4):
        day = dt.date.fromisoformat(str(r[3])[:10]) if r[3] else None
        title = (r[4] or "").splitlines()[0] if r[4] else ""
        out.append(
            ProjectDocument(
                r[0],
                r[1],
                r[2] or "",
                day,
                title,
                r[5],
                from_cents(int(r[6])),
                from_cents(int(r[7])),
            )
        )
    order = {"quote": 0, "order": 1, "invoice": 2, "expense": 3}
    out.sort(key=lambda d: (d.day or dt.date.max, order[d.kind], d.id))
    return out


_DOCUMENT_TABLES = {"quote": "quote", "order": "sales_order", "invoice": "invoice"}
_DOCUMENT_MISSING = {
    "quote": N_("quote {id} does not exist"),
    "order": N_("order {id} does not exist"),
    "invoice": N_("invoice {id} does not exist"),
}


@transactional
def set_document_project(kind: str, record_id: int, project_id: int | None) -> None:
    """Put a quote, order or invoice in a project of its client (None: in none).

    A project is management data, not fiscal data: it is in neither the invoice's
    fiscal fingerprint (`evidence.fiscal_json_sql`) nor the columns the issued-invoice
    triggers freeze, so an issued invoice may be filed under a project too. Who may:
    quotes and orders, `quotes.write`; a draft invoice, `invoices.draft`; an issued
    or voided one, `invoices.issue` (what PostgreSQL's row security lets write it).
    """
    table = _DOCUMENT_TABLES.get(kind)
    if table is None:
        raise ValueError(kind)
    status_column = "status"
    row = execute(
        f"SELECT client_id, {status_column}, project_id, "
        + ("COALESCE(code, '')" if kind == "invoice" else "code")
        + f" FROM {table} WHERE id = ?",
        (record_id,),
    ).fetchone()
    if kind != "invoice":
        require("quotes.write")
    elif row is not None and row[1] != "draft":
        require("invoices.issue")
    else:
        require("invoices.draft")
    if row is None:
        raise NotFound(_(_DOCUMENT_MISSING[kind]).format(id=record_id))
    errors: dict[str, str] = {}
    check_project(project_id, int(row[0]), errors)
    if errors:
        raise ValidationError(errors)
    if row[2] == project_id:
        return
    execute(f"UPDATE {table} SET project_id = ? WHERE id = ?", (project_id, record_id))
    audit.record(
        "update",
        kind,
        record_id,
        client_id=int(row[0]),
        changes={"project_id": (row[2], project_id)},
        summary=row[3] or "",
    )


def file_by_number(project_id: int, number: str) -> tuple[str, int]:
    """Put the quote, order or invoice numbered `number` (of the project's client) in the
    project (`set_document_project`'s rules); returns its kind and id."""
    project = get_project(project_id)
    code = clean_input(number or "").strip().upper()
    if not code:
        raise ValidationError({"number": _("is required")})
    for kind, table in _DOCUMENT_TABLES.items():
        row = execute(
            f"SELECT id FROM {table} WHERE UPPER(code) = ? AND client_id = ?",
            (code, project.client_id),
        ).fetchone()
        if row is not None:
            set_document_project(kind, int(row[0]), project_id)
            return kind, int(row[0])
    raise ValidationError(
        {"number": _("no quote, order or invoice {number} of this client").format(number=code)}
    )
