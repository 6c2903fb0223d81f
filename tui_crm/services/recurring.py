"""Recurring invoices: a template per client that becomes an invoice every period.

Rules enforced here:
- a template has lines, a frequency (monthly, quarterly, yearly), the next date,
  an optional end date, and either creates drafts or issues directly;
- `run_recurring(as_of)` creates, for every active template, one invoice per
  period whose date is on or before `as_of` (catching up missed periods), dated
  on its period, and advances `next_date`; past the end date the template stops;
- it is idempotent, enforced by the database: each invoice carries
  (recurring_id, recurring_date) under a UNIQUE index, and `next_date` advances
  by compare-and-set in the same transaction, so running twice (even at once,
  from two cron jobs) never creates a period twice;
- an invoice issues on its period's date, never a future one (a run with an as-of date
  after today that would issue is refused; a period still to come waits), and never
  before the series' last issue date: a period caught up after a later invoice of the
  series issues today, with the period as its operation date (`issue_date_for`);
- an invoice that cannot be issued (missing business data, say) stays as a draft and
  the run reports why.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import peewee

from ..db import database, transactional
from ..i18n import _
from ..models import Client, Invoice, InvoiceLine, RecurringInvoice, RecurringLine
from ..models.base import utcnow
from ..text import clean_input
from . import audit, settings
from .errors import (
    ConflictError,
    ConflictInfo,
    NotFound,
    RuleViolation,
    ServiceError,
    ValidationError,
)
from .invoices import InvoiceDraftInput, _clean_draft, issue_invoice, last_issue_date
from .lines import DocumentLine, LineInput, read_lines, write_lines
from .permissions import require
from .session import login

FREQUENCIES = ("monthly", "quarterly", "yearly")
MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}
MAX_CATCH_UP = 120  # periods per template per run: a safety net against a wrong date


def add_period(date: dt.date, frequency: str, anchor_day: int | None = None) -> dt.date:
    """The next period's date; the day is kept (or the month's last day when shorter)."""
    months = MONTHS[frequency]
    month_index = date.month - 1 + months
    year, month = date.year + month_index // 12, month_index % 12 + 1
    day = min(anchor_day or date.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


@dataclass
class RecurringInput:
    client_id: int
    title: str = ""
    frequency: str = "monthly"
    next_date: dt.date | None = None
    end_date: dt.date | None = None
    issue_directly: bool = False
    series: str = ""  # "" = the invoice.series setting at run time
    irpf_rate: Decimal | None = None  # None = the client's
    lines: list[LineInput] = field(default_factory=list)
    active: bool = True


@dataclass(frozen=True)
class RecurringDetail:
    id: int
    version: int
    client_id: int
    client_name: str
    data: RecurringInput
    lines: tuple[DocumentLine, ...]
    last_run_date: dt.date | None
    invoice_ids: tuple[int, ...]


@dataclass(frozen=True)
class RecurringCreated:
    recurring_id: int
    period: dt.date
    invoice_id: int
    code: str | None  # None when left as a draft


@dataclass(frozen=True)
class RecurringProblem:
    recurring_id: int
    period: dt.date
    invoice_id: int | None
    message: str


@dataclass(frozen=True)
class RecurringRun:
    as_of: dt.date
    created: tuple[RecurringCreated, ...]
    problems: tuple[RecurringProblem, ...]


def _clean(data: RecurringInput) -> dict[str, object]:
    errors: dict[str, str] = {}
    client = Client.get_or_none(Client.id == data.client_id)
    if client is None or client.status == "merged":
        raise NotFound(_("client {id} does not exist").format(id=data.client_id))
    title = clean_input(data.title or "")
    if len(title) > 200:
        errors["title"] = _("is longer than {n} characters").format(n=200)
    if data.frequency not in FREQUENCIES:
        errors["frequency"] = _("must be one of {values}").format(values=", ".join(FREQUENCIES))
    if data.next_date is None:
        errors["next_date"] = _("is required")
    elif not 2000 <= data.next_date.year <= 2099:
        errors["next_date"] = _("must be in the years {first} to {last}").format(
            first=2000, last=2099
        )
    if data.end_date and data.next_date and data.end_date < data.next_date:
        errors["end_date"] = _("is before the next date")
    series = ""
    if data.series:
        try:
            series = settings.validate("invoice.series", data.series)
        except ValidationError as exc:
            errors["series"] = next(iter(exc.errors.values()))
    try:  # the lines and taxes are checked exactly as an invoice's
        clean = _clean_draft(
            InvoiceDraftInput(
                client_id=data.client_id, lines=data.lines, series=series, irpf_rate=data.irpf_rate
            )
        )
    except ValidationError as exc:
        errors.update(exc.errors)
        clean = None
    if errors:
        raise ValidationError(errors)
    assert clean is not None
    return {
        "client": data.client_id,
        "title": title,
        "frequency": data.frequency,
        "next_date": data.next_date,
        "end_date": data.end_date,
        "issue_directly": bool(data.issue_directly),
        "series": series,
        "irpf_rate": clean.values["irpf_rate"],
        "active": bool(data.active),
        "_lines": clean.lines,
    }


@transactional
def create_recurring(data: RecurringInput) -> int:
    """Create a recurring invoice template; returns its id."""
    require("invoices.draft")
    if data.issue_directly:
        require("invoices.issue")
    values = _clean(data)
    lines = values.pop("_lines")
    row = RecurringInvoice.create(updated_by=login(), **values)
    write_lines(RecurringLine, "recurring", row.id, lines)  # type: ignore[arg-type]
    audit.record(
        "create",
        "recurring",
        row.id,
        client_id=data.client_id,
        changes={"frequency": (None, data.frequency), "next_date": (None, data.next_date)},
        summary=values["title"] or _("Recurring invoice"),
    )
    return row.id


@transactional
def update_recurring(recurring_id: int, data: RecurringInput, expected_version: int) -> int:
    """Save a template if nobody saved it since `expected_version`; returns the new version."""
    require("invoices.draft")
    if data.issue_directly:
        require("invoices.issue")
    row = RecurringInvoice.get_or_none(RecurringInvoice.id == recurring_id)
    if row is None:
        raise NotFound(_("recurring invoice {id} does not exist").format(id=recurring_id))
    values = _clean(data)
    lines = values.pop("_lines")
    updated = (
        RecurringInvoice.update(
            version=RecurringInvoice.version + 1, updated_at=utcnow(), updated_by=login(), **values
        )
        .where(
            (RecurringInvoice.id == recurring_id) & (RecurringInvoice.version == expected_version)
        )
        .execute()
    )
    if not updated:
        current = RecurringInvoice.get_by_id(recurring_id)
        raise ConflictError(
            ConflictInfo("recurring", recurring_id, current.updated_by, current.updated_at, {}),
            _(
                "{user} changed this template meanwhile (version {theirs}); nothing was saved"
            ).format(user=current.updated_by or "?", theirs=current.version),
        )
    write_lines(RecurringLine, "recurring", recurring_id, lines)  # type: ignore[arg-type]
    audit.record(
        "update",
        "recurring",
        recurring_id,
        client_id=row.client_id,
        changes={
            k: (getattr(row, k), v)
            for k, v in values.items()
            if k not in ("client",) and getattr(row, k) != v
        },
        summary=values["title"] or _("Recurring invoice"),
    )
    return expected_version + 1


@transactional
def delete_recurring(recurring_id: int) -> None:
    """Delete a template; the invoices it made stay."""
    require("invoices.draft")
    row = RecurringInvoice.get_or_none(RecurringInvoice.id == recurring_id)
    if row is None:
        raise NotFound(_("recurring invoice {id} does not exist").format(id=recurring_id))
    RecurringInvoice.delete().where(RecurringInvoice.id == recurring_id).execute()
    audit.record("delete", "recurring", recurring_id, client_id=row.client_id, summary=row.title)


def get_recurring(recurring_id: int) -> RecurringDetail:
    row = RecurringInvoice.get_or_none(RecurringInvoice.id == recurring_id)
    if row is None:
        raise NotFound(_("recurring invoice {id} does not exist").format(id=recurring_id))
    lines = read_lines(RecurringLine, RecurringLine.recurring, recurring_id)
    client = Client.get_by_id(row.client_id)
    return RecurringDetail(
        id=row.id,
        version=row.version,
        client_id=row.client_id,
        client_name=client.legal_name,
        data=RecurringInput(
            client_id=row.client_id,
            title=row.title,
            frequency=row.frequency,
            next_date=row.next_date,
            end_date=row.end_date,
            issue_directly=row.issue_directly,
            series=row.series,
            irpf_rate=row.irpf_rate,
            lines=[line.as_input() for line in lines],
            active=row.active,
        ),
        lines=lines,
        last_run_date=row.last_run_date,
        invoice_ids=tuple(
            r.id
            for r in Invoice.select(Invoice.id)
            .where(Invoice.recurring_id == recurring_id)
            .order_by(Invoice.recurring_date)
        ),
    )


def list_recurring(client_id: int | None = None) -> list[RecurringDetail]:
    query = RecurringInvoice.select(RecurringInvoice.id).order_by(
        RecurringInvoice.next_date, RecurringInvoice.id
    )
    if client_id is not None:
        query = query.where(RecurringInvoice.client == client_id)
    return [get_recurring(r.id) for r in query]


class _AlreadyDone(Exception):
    """Another run made this period first: roll back and move on."""


@dataclass(frozen=True)
class _Step:
    recurring_id: int
    period: dt.date | None
    invoice_id: int | None = None
    code: str | None = None
    problem: str = ""


def _next_due(as_of: dt.date, skipped: set[int]) -> RecurringInvoice | None:
    query = RecurringInvoice.select().where(
        (RecurringInvoice.active == True)  # noqa: E712
        & (RecurringInvoice.next_date <= as_of)
    )
    if skipped:
        query = query.where(RecurringInvoice.id.not_in(sorted(skipped)))
    return query.order_by(RecurringInvoice.next_date, RecurringInvoice.id).first()


@transactional
def _run_step(as_of: dt.date, skipped: set[int]) -> _Step | None:
    """The earliest due period of all templates, in one IMMEDIATE transaction: its invoice
    (issued when the template says so) and the template's next date.

    Taking the globally earliest period each time keeps issue dates in order within a
    series, even with several runs at once (each step sees the others' committed work)."""
    row = _next_due(as_of, skipped)
    if row is None:
        return None
    period = row.next_date
    if row.end_date is not None and period > row.end_date:
        RecurringInvoice.update(active=False).where(RecurringInvoice.id == row.id).execute()
        return _Step(row.id, None)
    first = (
        Invoice.select(peewee.fn.MIN(Invoice.recurring_date))
        .where(Invoice.recurring_id == row.id)
        .scalar()
    )
    anchor = (dt.date.fromisoformat(str(first)) if first else period).day  # 31st stays 31st
    following = add_period(period, row.frequency, anchor)
    advance = RecurringInvoice.update(
        next_date=following,
        last_run_date=as_of,
        active=not (row.end_date is not None and following > row.end_date),
    ).where((RecurringInvoice.id == row.id) & (RecurringInvoice.next_date == period))
    done = Invoice.select(Invoice.id).where(
        (Invoice.recurring_id == row.id) & (Invoice.recurring_date == period)
    )
    if done.exists():  # the period has its invoice already: only move the date on
        advance.execute()
        return _Step(row.id, None)
    lines = [line.as_input() for line in read_lines(RecurringLine, RecurringLine.recurring, row.id)]
    clean = _clean_draft(
        InvoiceDraftInput(
            client_id=row.client_id,
            lines=lines,
            series=row.series,
            issue_date=period,
            irpf_rate=row.irpf_rate,
            notes=row.title,
        )
    )
    try:
        with database.atomic():
            invoice = Invoice.create(
                kind="standard",
                status="draft",
                created_by=login(),
                updated_by=login(),
                recurring_id=row.id,
                recurring_date=period,
                **clean.values,
            )
    except peewee.IntegrityError:  # the UNIQUE period index: this period exists already
        raise _AlreadyDone() from None
    write_lines(InvoiceLine, "invoice", invoice.id, clean.lines)
    if advance.execute() != 1:
        raise _AlreadyDone()
    audit.record(
        "create",
        "invoice",
        invoice.id,
        client_id=row.client_id,
        changes={"recurring": (None, row.id), "period": (None, period)},
        summary=_("Recurring invoice for {date}").format(date=period.isoformat()),
    )
    code, problem = None, ""
    if row.issue_directly:
        issue_on = issue_date_for(invoice.series, period)
        if issue_on != period:  # what was invoiced stays the period: its operation date
            Invoice.update(operation_date=period).where(Invoice.id == invoice.id).execute()
        try:  # a savepoint: a refused issue leaves the draft for a person to look at
            code = issue_invoice(invoice.id, issue_on).code
        except ServiceError as exc:
            problem = str(exc)
    return _Step(row.id, period, invoice.id, code, problem)


def issue_date_for(series: str, period: dt.date, today: dt.date | None = None) -> dt.date:
    """The date a template's invoice for `period` is issued on: the period's own date,
    never in the future (a run never issues ahead of its day: a period still to come waits
    for a later run), and never before the last invoice of its series, since numbers are
    correlative and dates never go backwards within a series (RD 1619/2012 art. 6.1.a).
    A period caught up late, after an invoice of the series was issued, is issued today
    (the day it is really issued), with the period as its operation date (art. 6.1.j)."""
    today = today or dt.date.today()
    if period > today:
        return today  # not reached: periods after today are never run (check_run)
    last = last_issue_date(series, period.year)
    if last is not None and period < last:
        return today
    return period


def check_run(as_of: dt.date | None = None) -> dt.date:
    """Refuse a run before it writes anything: who runs it must be allowed to write draft
    invoices, and to issue them when a template due by `as_of` issues directly; and an
    as-of date after today is refused when the run would issue (an invoice is never issued
    with a date still to come). Returns the as-of date (default today)."""
    require("invoices.draft")
    today = dt.date.today()
    as_of = as_of or today
    issuing = (
        RecurringInvoice.select(RecurringInvoice.id)
        .where(
            (RecurringInvoice.active == True)  # noqa: E712
            & (RecurringInvoice.issue_directly == True)  # noqa: E712
            & (RecurringInvoice.next_date <= as_of)
        )
        .exists()
    )
    if issuing:
        require("invoices.issue")
        if as_of > today:
            raise RuleViolation(
                _(
                    "--as-of {date} is after today ({today}): templates due by then issue "
                    "invoices directly, and an invoice is never issued with a future date"
                ).format(date=as_of.isoformat(), today=today.isoformat())
            )
    return as_of


def run_recurring(as_of: dt.date | None = None) -> RecurringRun:
    """Create every invoice due up to `as_of` (default today); safe to run twice (see module doc).

    Periods are made oldest first across all templates, each in its own transaction, so
    one failing template never blocks the others. Refused first, with nothing written,
    as `check_run` says."""
    as_of = check_run(as_of)
    created: list[RecurringCreated] = []
    problems: list[RecurringProblem] = []
    skipped: set[int] = set()
    steps: dict[int, int] = {}
    while True:
        candidate = _next_due(as_of, skipped)
        if candidate is None:
            break
        try:
            step = _run_step(as_of, skipped)
        except _AlreadyDone:
            continue
        except ServiceError as exc:
            problems.append(RecurringProblem(candidate.id, candidate.next_date, None, str(exc)))
            skipped.add(candidate.id)
            continue
        if step is None:
            break
        steps[step.recurring_id] = steps.get(step.recurring_id, 0) + 1
        if steps[step.recurring_id] >= MAX_CATCH_UP:
            skipped.add(step.recurring_id)
        if step.period is None or step.invoice_id is None:
            continue
        created.append(RecurringCreated(step.recurring_id, step.period, step.invoice_id, step.code))
        if step.problem:
            problems.append(
                RecurringProblem(step.recurring_id, step.period, step.invoice_id, step.problem)
            )
    return RecurringRun(as_of, tuple(created), tuple(problems))
