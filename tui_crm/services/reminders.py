"""Payment reminders by schedule (`tui-crm remind`, for cron) and by hand (the board).

Rules:
- `reminders.schedule` ("7,21,45") gives the days overdue at which the first,
  second and final reminder of an invoice are due; empty turns automatic reminders off;
- an invoice is due its next level (one after its last SENT reminder, up to 3) when
  it is unpaid, at least that level's days overdue, and, after a previous reminder,
  at least the gap between the two levels has passed since it was sent (an invoice
  found 50 days overdue gets the first reminder, not all three at once);
- one email per client lists every invoice of that client due a reminder in the
  run, written from the template of the highest level among them; each invoice
  records its own level;
- a level is never sent twice for an invoice: its (invoice, level) slot is claimed
  under a unique index before sending; a failed send gives the slot back and stays
  on the timeline, and the next run reuses that entry instead of adding another;
- a client with no email address anywhere is reported, not skipped silently.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from ..db import execute
from ..i18n import _
from ..money import from_cents
from . import email, settings
from .permissions import require
from .receivables import UNPAID, _unpaid_from


@dataclass(frozen=True)
class DueInvoice:
    invoice_id: int
    code: str
    due_date: dt.date
    outstanding: Decimal
    days_overdue: int
    level: int  # the level due now
    last_level: int  # 0 when never reminded


@dataclass(frozen=True)
class ReminderPlan:
    client_id: int
    client_name: str
    level: int  # the email's level: the highest among its invoices
    invoices: tuple[DueInvoice, ...]
    recipient: email.Recipient | None

    @property
    def total(self) -> Decimal:
        return sum((i.outstanding for i in self.invoices), Decimal(0))

    @property
    def items(self) -> tuple[tuple[int, int], ...]:
        return tuple((i.invoice_id, i.level) for i in self.invoices)


@dataclass
class RemindRun:
    as_of: dt.date
    dry_run: bool
    planned: list[ReminderPlan] = field(default_factory=list)
    sent: list[tuple[ReminderPlan, email.SendResult]] = field(default_factory=list)
    failed: list[tuple[ReminderPlan, email.SendResult]] = field(default_factory=list)
    problems: list[tuple[ReminderPlan, str]] = field(default_factory=list)
    skipped: list[ReminderPlan] = field(default_factory=list)  # another run claimed them


def schedule() -> tuple[int, ...]:
    """Days overdue for levels 1, 2, 3 (fewer when the business set fewer; () = off)."""
    text = settings.get("reminders.schedule")
    return tuple(int(p) for p in text.split(",") if p.strip())


def due_level(
    days_overdue: int,
    last_level: int,
    last_sent: dt.date | None,
    as_of: dt.date,
    days: tuple[int, ...],
) -> int | None:
    """The level an invoice is due now under the schedule `days`, or None."""
    level = last_level + 1
    if level > len(days) or days_overdue < days[level - 1]:
        return None
    if last_level and last_sent is not None:
        gap = days[level - 1] - days[last_level - 1]
        if (as_of - last_sent).days < gap:
            return None
    return level


def due_reminders(as_of: dt.date | None = None) -> list[ReminderPlan]:
    """The reminders the schedule says are due on `as_of`, one plan per client."""
    as_of = as_of or dt.date.today()
    days = schedule()
    if not days:
        return []
    latest_due = (as_of - dt.timedelta(days=days[0])).isoformat()
    sql = (
        "SELECT i.id, i.code, i.client_id, c.legal_name, i.due_date, i.outstanding_cents, "
        "COALESCE(r.level, 0), r.sent_at "
        f"FROM {_unpaid_from()} JOIN client c ON c.id = i.client_id "
        "LEFT JOIN (SELECT r1.invoice_id, r1.level, r1.sent_at FROM payment_reminder r1 "
        " LEFT JOIN activity a1 ON a1.id = r1.activity_id "
        " WHERE r1.activity_id IS NULL OR a1.email_status = 'sent') r "
        " ON r.invoice_id = i.id AND r.level = (SELECT MAX(r2.level) FROM payment_reminder r2 "
        "  LEFT JOIN activity a2 ON a2.id = r2.activity_id WHERE r2.invoice_id = i.id "
        "  AND (r2.activity_id IS NULL OR a2.email_status = 'sent')) "
        f"WHERE {UNPAID} AND i.due_date <= ? AND i.issue_date <= ? AND i.outstanding_cents > 0 "
        "ORDER BY c.sort_name, i.client_id, i.due_date, i.id"
    )
    by_client: dict[int, tuple[str, list[DueInvoice]]] = {}
    for r in execute(sql, (latest_due, as_of.isoformat())):
        due = dt.date.fromisoformat(str(r[4])[:10])
        last_sent = None
        if r[7] is not None:
            last_sent = (
                r[7] if isinstance(r[7], dt.datetime) else dt.datetime.fromisoformat(str(r[7]))
            ).date()
        overdue = (as_of - due).days
        level = due_level(overdue, int(r[6]), last_sent, as_of, days)
        if level is None:
            continue
        entry = by_client.setdefault(int(r[2]), (r[3], []))
        entry[1].append(
            DueInvoice(int(r[0]), r[1], due, from_cents(int(r[5])), overdue, level, int(r[6]))
        )
    plans = []
    for client_id, (name, invoices) in by_client.items():
        plans.append(
            ReminderPlan(
                client_id=client_id,
                client_name=name,
                level=max(i.level for i in invoices),
                invoices=tuple(invoices),
                recipient=email.default_recipient(client_id),
            )
        )
    return plans


def _failed_entry(client_id: int, level: int) -> int | None:
    """The client's failed automatic-or-manual reminder of this level, to reuse."""
    row = execute(
        "SELECT a.id FROM activity a JOIN email_message m ON m.activity_id = a.id "
        "WHERE a.client_id = ? AND a.email_status = 'failed' AND m.purpose = 'reminder' "
        "AND m.reminder_level = ? ORDER BY a.id DESC LIMIT 1",
        (client_id, level),
    ).fetchone()
    return int(row[0]) if row else None


def run_reminders(as_of: dt.date | None = None, *, dry_run: bool = False) -> RemindRun:
    """Send every reminder due on `as_of` (or only list them with `dry_run`).

    Refuses before sending anything when email is not set up. Safe to run twice or
    at once from two machines: a level already sent, or being sent, is never sent again."""
    if not dry_run:
        require("email.send")  # refused before anything is claimed or sent
    as_of = as_of or dt.date.today()
    run = RemindRun(as_of=as_of, dry_run=dry_run)
    run.planned = due_reminders(as_of)
    if dry_run or not run.planned:
        return run
    email.check_ready()
    for plan in run.planned:
        if plan.recipient is None:
            run.problems.append(
                (
                    plan,
                    _("{client} has no email address and no contact with one").format(
                        client=plan.client_name
                    ),
                )
            )
            continue
        draft = email.compose_reminder(
            plan.client_id,
            [i.invoice_id for i in plan.invoices],
            level=plan.level,
            as_of=as_of,
            items=plan.items,
        )
        result = email.send(draft, reuse=_failed_entry(plan.client_id, plan.level), automatic=True)
        if result is None:
            run.skipped.append(plan)
        elif result.sent:
            run.sent.append((plan, result))
        else:
            run.failed.append((plan, result))
    return run
