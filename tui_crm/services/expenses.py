"""Expenses: costs that are not lines of a sale (a supplier's bill, a ticket).

Rules:
- a date, the supplier's name and a base are required; the supplier's tax ID is
  optional, but when given it must be a valid one (python-stdnum, through
  `validation.check_tax_id`: a Spanish NIF/CIF/NIE or an EU VAT number);
- base and IVA are never negative; the total is base + IVA when left empty, and
  when typed it must equal base + IVA (a mistyped figure is refused, not guessed);
- the client, when given, exists and is not merged; the project belongs to it (a
  project given alone brings its client); the document, when given, exists and is
  the client's when both have one (a document of a client, given alone, brings its
  client too); a project or document of another client is refused naming the field
  and both clients. A file on disk is stored as every document is
  (`services.attachments`), under the expense's client;
- the pickers (`project_picks`, `document_picks`) offer, before a client is chosen,
  every open project and every document (each labelled with its client, so typing a
  client's name finds them), and once it is chosen only that client's (and the
  documents of no client, a receipt stored alone);
- writing an expense is `expenses.write` (accounting and admin), checked first; an
  edit carries the version it started from; every change is audited; deleting one
  never deletes the document it points at.
What the expenses add to the figures (the P&L per client and month, a project's
margin, the client's Analytics) is read by `services.analytics` and
`services.project_figures`, from the expense's base (IVA is not a cost).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from ..db import execute, transactional
from ..i18n import _
from ..models import Document, Expense, Project
from ..money import from_cents, to_cents
from ..text import clean_input
from . import audit
from .errors import NotFound, ValidationError
from .permissions import require
from .records import live_client, parse_date, parse_money, save_versioned
from .validation import TaxIdError, check_tax_id, one_line_errors

ZERO = Decimal("0.00")


@dataclass
class ExpenseData:
    """An expense as typed (texts or values); `validate` returns the clean one."""

    expense_date: dt.date | str | None = None
    supplier_name: str = ""
    supplier_tax_id: str = ""
    description: str = ""
    base: Decimal | str = ""
    vat: Decimal | str = ""
    total: Decimal | str = ""
    client_id: int | None = None
    project_id: int | None = None
    document_id: int | None = None


@dataclass(frozen=True)
class ExpenseRow:
    id: int
    version: int
    expense_date: dt.date
    supplier_name: str
    supplier_tax_id: str
    description: str
    base: Decimal
    vat: Decimal
    total: Decimal
    client_id: int | None
    client: str
    project_id: int | None
    project: str
    document_id: int | None
    document: str

    def data(self) -> ExpenseData:
        return ExpenseData(
            self.expense_date,
            self.supplier_name,
            self.supplier_tax_id,
            self.description,
            self.base,
            self.vat,
            self.total,
            self.client_id,
            self.project_id,
            self.document_id,
        )


@dataclass(frozen=True)
class ExpenseFilter:
    text: str = ""
    client_id: int | None = None
    project_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    extra: dict = field(default_factory=dict)


def check_supplier_tax_id(value: str) -> str:
    """The supplier's tax ID as stored ("" when none), or ValueError with the reason."""
    text = clean_input(value or "").strip()
    if not text:
        return ""
    try:
        return check_tax_id(text).display
    except TaxIdError as exc:
        raise ValueError(str(exc)) from None


def validate(data: ExpenseData) -> ExpenseData:
    """A cleaned copy (amounts as Decimal, total filled in), or ValidationError naming
    every wrong field. Reads the client, project and document it names."""
    errors: dict[str, str] = {}
    day = parse_date(data.expense_date, errors, "expense_date")
    if day is None and "expense_date" not in errors:
        errors["expense_date"] = _("is required")
    supplier = clean_input(str(data.supplier_name or "")).strip()
    if not supplier:
        errors["supplier_name"] = _("is required")
    elif len(supplier) > 200:
        errors["supplier_name"] = _("is longer than {n} characters").format(n=200)
    try:
        tax_id = check_supplier_tax_id(str(data.supplier_tax_id or ""))
    except ValueError as exc:
        errors["supplier_tax_id"] = str(exc)
        tax_id = ""
    if str(data.base if data.base is not None else "").strip() == "":
        errors["base"] = _("is required")
        base = ZERO
    else:
        base = parse_money(data.base, errors, "base")
    vat = parse_money(data.vat, errors, "vat")
    typed_total = str(data.total if data.total is not None else "").strip()
    total = base + vat
    if typed_total:
        given = parse_money(data.total, errors, "total")
        readable = not {"total", "base", "vat"} & errors.keys()
        if readable and to_cents(given) != to_cents(total):
            errors["total"] = _("is not base + IVA ({amount})").format(amount=f"{total:.2f}")
    errors.update(one_line_errors({"supplier_name": data.supplier_name}))
    client_id = data.client_id or None
    project_id = data.project_id or None
    document_id = data.document_id or None
    if project_id is not None:
        project = Project.get_or_none(Project.id == project_id)
        if project is None:
            errors["project"] = _("project {id} does not exist").format(id=project_id)
        elif client_id is None:
            client_id = project.client_id
        elif project.client_id != client_id:
            errors["project"] = _("is a project of {owner}, not of {client}").format(
                owner=_client_name(project.client_id), client=_client_name(client_id)
            )
    if document_id is not None:
        document = Document.get_or_none(Document.id == document_id)
        if document is None:
            errors["document"] = _("document {id} does not exist").format(id=document_id)
        elif document.client_id is not None and client_id is None:
            client_id = document.client_id
        elif document.client_id is not None and client_id != document.client_id:
            errors["document"] = _("is a document of {owner}, not of {client}").format(
                owner=_client_name(document.client_id), client=_client_name(client_id)
            )
    if client_id is not None:
        try:
            live_client(client_id)
        except NotFound as exc:
            errors["client"] = str(exc)
    if errors:
        raise ValidationError(errors)
    return ExpenseData(
        day,
        supplier,
        tax_id,
        clean_input(data.description or ""),
        base,
        vat,
        base + vat,
        client_id,
        project_id,
        document_id,
    )


def _client_name(client_id: int | None) -> str:
    row = execute("SELECT legal_name FROM client WHERE id = ?", (client_id,)).fetchone()
    return row[0] if row else str(client_id)


# --- what the form's pickers offer -----------------------------------------------------

PICK_LIMIT = 1000  # a picker lists at most this many (typing searches among them)
OPEN_PROJECT_STATUSES = ("planned", "active", "on_hold")


@dataclass(frozen=True)
class Pick:
    """One choice of a picker: the record, its label (with its client), its client."""

    id: int
    label: str
    client_id: int | None
    client_tax_id: str


def project_picks(client_id: int | None = None, limit: int = PICK_LIMIT) -> list[Pick]:
    """The projects an expense may go to: with a client, that client's (open first, as
    its Projects tab lists them); without one, every open project (planned, active, on
    hold) of the clients not merged away, by client and name. Labelled "name · status
    — client", so typing either finds it."""
    from .projects import STATUS_LABELS

    sql = (
        "SELECT p.id, p.name, p.status, p.client_id, c.legal_name, c.tax_id FROM project p "
        "JOIN client c ON c.id = p.client_id WHERE "
    )
    params: list[object] = []
    if client_id is not None:
        sql += "p.client_id = ? ORDER BY CASE p.status WHEN 'active' THEN 0 WHEN 'planned' "
        sql += "THEN 1 WHEN 'on_hold' THEN 2 ELSE 3 END, p.name, p.id"
        params.append(client_id)
    else:
        marks = ", ".join("?" for _s in OPEN_PROJECT_STATUSES)
        sql += f"p.status IN ({marks}) AND c.merged_into_id IS NULL "
        sql += "ORDER BY c.sort_name, p.name, p.id"
        params += list(OPEN_PROJECT_STATUSES)
    sql += " LIMIT ?"
    params.append(limit)
    return [
        Pick(
            r[0],
            f"{r[1]} · {_(STATUS_LABELS.get(r[2], r[2]))} — {r[4]}",
            r[3],
            r[5] or "",
        )
        for r in execute(sql, params)
    ]


def document_picks(client_id: int | None = None, limit: int = PICK_LIMIT) -> list[Pick]:
    """The documents an expense may point at, newest first: with a client, that client's
    and those of no client (a receipt stored alone); without one, every document.
    Labelled "file name — client"."""
    sql = (
        "SELECT d.id, d.filename, d.client_id, COALESCE(c.legal_name, ''), "
        "COALESCE(c.tax_id, '') FROM document d LEFT JOIN client c ON c.id = d.client_id"
    )
    params: list[object] = []
    if client_id is not None:
        sql += " WHERE d.client_id = ? OR d.client_id IS NULL"
        params.append(client_id)
    sql += " ORDER BY d.uploaded_at DESC, d.id DESC LIMIT ?"
    params.append(limit)
    return [
        Pick(
            r[0],
            "{file} — {client}".format(file=r[1], client=r[3] or _("no client")),
            r[2],
            r[4],
        )
        for r in execute(sql, params)
    ]


def _columns(clean: ExpenseData) -> dict:
    return {
        "expense_date": clean.expense_date,
        "supplier_name": clean.supplier_name,
        "supplier_tax_id": clean.supplier_tax_id,
        "description": clean.description,
        "base": clean.base,
        "vat": clean.vat,
        "total": clean.total,
        "client": clean.client_id,
        "project": clean.project_id,
        "document": clean.document_id,
    }


def _summary(clean: ExpenseData) -> str:
    return _("{supplier}, {amount}").format(
        supplier=clean.supplier_name, amount=f"{Decimal(clean.total):.2f}"
    )


def _store_file(path: str | os.PathLike[str], client_id: int | None) -> int:
    """Store a file from disk as a document (of the expense's client, if any)."""
    from .attachments import store_file

    return store_file(path, client_id=client_id, notes=_("expense"))


def create_expense(data: ExpenseData, file: str | os.PathLike[str] | None = None) -> int:
    """Record an expense; with `file`, the file is stored as a document and attached."""
    require("expenses.write")
    clean = validate(data)  # refused before any file is stored
    if file:
        data = ExpenseData(**{**asdict(clean), "document_id": None})
        data.document_id = _store_file(file, clean.client_id)
        clean = validate(data)
    return _create(clean)


def _insert(clean: ExpenseData) -> int:
    from .session import login

    row = Expense.create(updated_by=login(), **_columns(clean))
    audit.record(
        "create",
        "expense",
        row.id,
        client_id=clean.client_id,
        changes={k: (None, _plain(v)) for k, v in asdict(clean).items() if v not in ("", None)},
        summary=_summary(clean),
    )
    return row.id


_create = transactional(_insert)


def update_expense(
    expense_id: int,
    data: ExpenseData,
    expected_version: int,
    file: str | os.PathLike[str] | None = None,
) -> int:
    """Save an expense if nobody saved it meanwhile; returns the new version."""
    require("expenses.write")
    get_expense(expense_id)
    clean = validate(data)
    if file:
        data = ExpenseData(**{**asdict(clean), "document_id": None})
        data.document_id = _store_file(file, clean.client_id)
        clean = validate(data)
    return _update(expense_id, clean, expected_version)


@transactional
def _update(expense_id: int, clean: ExpenseData, expected_version: int) -> int:
    current = get_expense(expense_id)
    version = save_versioned(
        Expense, expense_id, expected_version, _columns(clean), entity="expense", what=_("expense")
    )
    before = asdict(current.data())
    audit.record(
        "update",
        "expense",
        expense_id,
        client_id=clean.client_id,
        changes={
            k: (_plain(before[k]), _plain(v))
            for k, v in asdict(clean).items()
            if _plain(before[k]) != _plain(v)
        },
        summary=_summary(clean),
    )
    return version


@transactional
def delete_expense(expense_id: int) -> None:
    """Delete an expense (the document it points at stays with its client)."""
    require("expenses.write")
    current = get_expense(expense_id)
    Expense.delete().where(Expense.id == expense_id).execute()
    audit.record(
        "delete",
        "expense",
        expense_id,
        client_id=current.client_id,
        changes={
            k: (_plain(v), None) for k, v in asdict(current.data()).items() if v not in ("", None)
        },
        summary=_summary(current.data()),
    )


def _plain(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


_SELECT = (
    "SELECT e.id, e.version, e.expense_date, e.supplier_name, e.supplier_tax_id, "
    "e.description, e.base_cents, e.vat_cents, e.total_cents, e.client_id, "
    "COALESCE(c.legal_name, ''), e.project_id, COALESCE(p.name, ''), e.document_id, "
    "COALESCE(d.filename, '') FROM expense e LEFT JOIN client c ON c.id = e.client_id "
    "LEFT JOIN project p ON p.id = e.project_id LEFT JOIN document d ON d.id = e.document_id"
)


def _row(r: tuple) -> ExpenseRow:
    return ExpenseRow(
        id=r[0],
        version=r[1],
        expense_date=dt.date.fromisoformat(str(r[2])[:10]),
        supplier_name=r[3],
        supplier_tax_id=r[4],
        description=r[5],
        base=from_cents(int(r[6])),
        vat=from_cents(int(r[7])),
        total=from_cents(int(r[8])),
        client_id=r[9],
        client=r[10],
        project_id=r[11],
        project=r[12],
        document_id=r[13],
        document=r[14],
    )


def _where(flt: ExpenseFilter) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    text = flt.text.strip().lower()
    if text:
        like = f"%{text}%"
        clauses.append(
            "(LOWER(e.supplier_name) LIKE ? OR LOWER(e.supplier_tax_id) LIKE ? "
            "OR LOWER(e.description) LIKE ? OR LOWER(COALESCE(c.legal_name, '')) LIKE ? "
            "OR LOWER(COALESCE(p.name, '')) LIKE ?)"
        )
        params += [like] * 5
    if flt.client_id is not None:
        clauses.append("e.client_id = ?")
        params.append(flt.client_id)
    if flt.project_id is not None:
        clauses.append("e.project_id = ?")
        params.append(flt.project_id)
    if flt.date_from is not None:
        clauses.append("e.expense_date >= ?")
        params.append(flt.date_from.isoformat())
    if flt.date_to is not None:
        clauses.append("e.expense_date <= ?")
        params.append(flt.date_to.isoformat())
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def list_expenses(
    flt: ExpenseFilter | None = None, offset: int = 0, limit: int | None = None
) -> list[ExpenseRow]:
    """Expenses matching the filter (text in supplier, tax ID, description, client or
    project), newest first; a page at a time with `limit`."""
    where, params = _where(flt or ExpenseFilter())
    sql = _SELECT + where + " ORDER BY e.expense_date DESC, e.id DESC"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return [_row(r) for r in execute(sql, params)]


def count_expenses(flt: ExpenseFilter | None = None) -> int:
    where, params = _where(flt or ExpenseFilter())
    sql = (
        "SELECT COUNT(*) FROM expense e LEFT JOIN client c ON c.id = e.client_id "
        "LEFT JOIN project p ON p.id = e.project_id" + where
    )
    return int(execute(sql, params).fetchone()[0])


def get_expense(expense_id: int) -> ExpenseRow:
    rows = [_row(r) for r in execute(_SELECT + " WHERE e.id = ?", (expense_id,))]
    if not rows:
        raise NotFound(_("expense {id} does not exist").format(id=expense_id))
    return rows[0]


@transactional
def create_many(items: list[ExpenseData]) -> int:
    """Record cleaned expenses in ONE transaction (the import): all or none."""
    require("expenses.write")
    for clean in items:
        _insert(clean)
    return len(items)
