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
