"""The timeline: every call, meeting, email, note and task with a client, and follow-ups.

Rules:
- an entry has a kind (call, meeting, email, note, task), a subject or a body, and
  optionally an outcome, a contact and a project of the same client;
- the author is whoever wrote it, and never changes;
- an entry with a due date and no done date is a follow-up: it is on the agenda
  until marked done (one key); done entries can be reopened; rescheduling moves
  the due date;
- the client's `last_activity_at` is the latest past interaction or completion,
  recomputed on every change (it is a running figure, not a person's edit, so it
  does not bump the client's version);
- comment templates fill an entry in one step ({client}, {contact}, {user},
  {date} are replaced);
- edits carry the version the person started from; every change is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, replace

from ..db import execute, transactional
from ..i18n import N_, _
from ..models import ACTIVITY_KINDS, Activity, CommentTemplate, Contact, Project
from ..models.base import utcnow
from ..text import clean_input
from . import audit
from .errors import NotFound, ValidationError
from .permissions import require
from .records import live_client, parse_date, save_versioned
from .session import login
from .validation import one_line_errors

KIND_LABELS = {
    "call": N_("Call"),
    "meeting": N_("Meeting"),
    "email": N_("Email"),
    "note": N_("Note"),
    "task": N_("Task"),
}
BODY_LIMIT = 100_000


@dataclass
class ActivityData:
    """What a person types about one timeline entry. `occurred_at` is UTC (naive)."""

    kind: str = "note"
    subject: str = ""
    body: str = ""
    outcome: str = ""
    contact_id: int | None = None
    project_id: int | None = None
    occurred_at: dt.datetime | None = None  # None: now
    due_date: dt.date | None = None


@dataclass(frozen=True)
class ActivityRow:
    id: int
    client_id: int
    version: int
    kind: str
    subject: str
    body: str
    outcome: str
    contact_id: int | None
    contact_name: str
    project_id: int | None
    project_name: str
    author: str
    occurred_at: dt.datetime
    due_date: dt.date | None
    done_at: dt.datetime | None
    updated_by: str
    updated_at: dt.datetime
    email_status: str = ""  # emails sent from tui-crm: "draft", "sent" or "failed"

    @property
    def is_follow_up(self) -> bool:
        """Open follow-up: due date and not done."""
        return self.due_date is not None and self.done_at is None

    def is_overdue(self, today: dt.date | None = None) -> bool:
        return self.is_follow_up and self.due_date < (today or dt.date.today())  # type: ignore[operator]

    @property
    def title(self) -> str:
        """The subject, else the first line of the body."""
        if self.subject:
            return self.subject
        return self.body.strip().split("\n", 1)[0] if self.body.strip() else ""

    def data(self) -> ActivityData:
        return ActivityData(
            kind=self.kind,
            subject=self.subject,
            body=self.body,
            outcome=self.outcome,
            contact_id=self.contact_id,
            project_id=self.project_id,
            occurred_at=self.occurred_at,
            due_date=self.due_date,
        )


def parse_local_datetime(value: object, errors: dict[str, str], name: str) -> dt.datetime | None:
    """A moment typed in local time ("2026-03-01 10:30", "2026-03-01") as naive UTC."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M"):
        try:
            local = dt.datetime.strptime(text, fmt)
            break
        except ValueError:
            continue
    else:
        day = parse_date(text, errors, name)
        if day is None:
            if name in errors:
                errors[name] = _("is not a date and time (expected YYYY-MM-DD HH:MM)")
            return None
        local = dt.datetime.combine(day, dt.time(9, 0))
    return local.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)


def local_text(moment: dt.datetime | None) -> str:
    """A stored UTC moment as the local "YYYY-MM-DD HH:MM" the forms show and accept."""
    if moment is None:
        return ""
    return moment.replace(tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M")


def validate(client_id: int, data: ActivityData) -> ActivityData:
    """A cleaned copy, or ValidationError naming every wrong field."""
    errors: dict[str, str] = {}
    clean = ActivityData(**asdict(data))
    clean.subject = clean_input(str(clean.subject or ""))
    clean.body = clean_input(str(clean.body or ""))
    clean.outcome = clean_input(str(clean.outcome or ""))
    if clean.kind not in ACTIVITY_KINDS:
        errors["kind"] = _("must be one of {values}").format(values=", ".join(ACTIVITY_KINDS))
    if not clean.subject and not clean.body:
        errors["subject"] = _("type a subject or a text")
    if len(clean.subject) > 200:
        errors["subject"] = _("is longer than {n} characters").format(n=200)
    if len(clean.outcome) > 200:
        errors["outcome"] = _("is longer than {n} characters").format(n=200)
    if len(clean.body) > BODY_LIMIT:
        errors["body"] = _("is longer than {n} characters").format(n=BODY_LIMIT)
    if clean.contact_id is not None:
        contact = Contact.get_or_none(Contact.id == clean.contact_id)
        if contact is None or contact.client_id != client_id:
            errors["contact_id"] = _("is not a contact of this client")
    if clean.project_id is not None:
        project = Project.get_or_none(Project.id == clean.project_id)
        if project is None or project.client_id != client_id:
            errors["project_id"] = _("is not a project of this client")
    if not isinstance(clean.occurred_at, dt.datetime) and clean.occurred_at is not None:
        clean.occurred_at = parse_local_datetime(clean.occurred_at, errors, "occurred_at")
    if clean.due_date is not None and not isinstance(clean.due_date, dt.date):
        clean.due_date = parse_date(clean.due_date, errors, "due_date")
    errors.update(one_line_errors({"subject": data.subject, "outcome": data.outcome}))
    if errors:
        raise ValidationError(errors)
    if clean.occurred_at is None:
        clean.occurred_at = utcnow()
    return clean


def refresh_last_activity(client_id: int) -> None:
    """Recompute the client's last interaction: the latest past entry or completion."""
    now = utcnow().isoformat(" ")
    row = execute(
        "SELECT MAX(t) FROM ("
        " SELECT MAX(occurred_at) AS t FROM activity WHERE client_id = ? AND occurred_at <= ?"
        " UNION ALL SELECT MAX(done_at) FROM activity WHERE client_id = ? AND done_at <= ?)"
        " AS moments",  # PostgreSQL requires the alias
        (client_id, now, client_id, now),
    ).fetchone()
    execute("UPDATE client SET last_activity_at = ? WHERE id = ?", (row[0], client_id))


_SELECT = (
    "SELECT a.id, a.client_id, a.version, a.kind, a.subject, a.body, a.outcome, a.contact_id, "
    "TRIM(COALESCE(ct.first_name, '') || ' ' || COALESCE(ct.last_name, '')), a.project_id, "
    "COALESCE(p.name, ''), a.author, a.occurred_at, a.due_date, a.done_at, a.updated_by, "
    "a.updated_at, a.email_status FROM activity a LEFT JOIN contact ct ON ct.id = a.contact_id "
    "LEFT JOIN project p ON p.id = a.project_id "
)


def _dt(value: object) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def _d(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _row(r: tuple) -> ActivityRow:
    return ActivityRow(
        id=r[0],
        client_id=r[1],
        version=r[2],
        kind=r[3],
        subject=r[4],
        body=r[5],
        outcome=r[6],
        contact_id=r[7],
        contact_name=r[8] or "",
        project_id=r[9],
        project_name=r[10] or "",
        author=r[11],
        occurred_at=_dt(r[12]),  # type: ignore[arg-type]
        due_date=_d(r[13]),
        done_at=_dt(r[14]),
        updated_by=r[15],
        updated_at=_dt(r[16]),  # type: ignore[arg-type]
        email_status=r[17] or "",
    )


def get_activity(activity_id: int) -> ActivityRow:
    row = execute(_SELECT + "WHERE a.id = ?", (activity_id,)).fetchone()
    if row is None:
        raise NotFound(_("timeline entry {id} does not exist").format(id=activity_id))
    return _row(row)


def count_timeline(client_id: int) -> int:
    return int(
        execute("SELECT COUNT(*) FROM activity WHERE client_id = ?", (client_id,)).fetchone()[0]
    )


def list_timeline(client_id: int, offset: int = 0, limit: int | None = 100) -> list[ActivityRow]:
    """Open follow-ups first (soonest due first), then everything newest first."""
    sql = (
        _SELECT + "WHERE a.client_id = ? ORDER BY "
        "(a.due_date IS NOT NULL AND a.done_at IS NULL) DESC, "
        "CASE WHEN a.done_at IS NULL THEN a.due_date END, a.occurred_at DESC, a.id DESC"
    )
    params: list[object] = [client_id]
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return [_row(r) for r in execute(sql, params)]


def open_follow_ups(client_id: int) -> int:
    return int(
        execute(
            "SELECT COUNT(*) FROM activity WHERE client_id = ? AND due_date IS NOT NULL "
            "AND done_at IS NULL",
            (client_id,),
        ).fetchone()[0]
    )


def _summary(kind: str, title: str) -> str:
    return f"{_(KIND_LABELS.get(kind, kind))}: {title[:80]}"


@transactional
def create_activity(client_id: int, data: ActivityData) -> int:
    """Record an interaction (or plan one with a due date); the author is the current user."""
    require("timeline.write")
    live_client(client_id)
    clean = validate(client_id, data)
    activity = Activity.create(
        client=client_id,
        kind=clean.kind,
        subject=clean.subject,
        body=clean.body,
        outcome=clean.outcome,
        contact=clean.contact_id,
        project=clean.project_id,
        author=login(),
        occurred_at=clean.occurred_at,
        due_date=clean.due_date,
        updated_by=login(),
    )
    refresh_last_activity(client_id)
    audit.record(
        "create",
        "activity",
        activity.id,
        client_id=client_id,
        changes={
            k: (None, v) for k, v in asdict(clean).items() if v not in (None, "") and k != "body"
        }
        | ({"body": (None, clean.body[:200])} if clean.body else {}),
        summary=_summary(clean.kind, clean.subject or clean.body),
    )
    return activity.id


_COLUMNS = {
    "kind": "kind",
    "subject": "subject",
    "body": "body",
    "outcome": "outcome",
    "contact_id": "contact",
    "project_id": "project",
    "occurred_at": "occurred_at",
    "due_date": "due_date",
}


@transactional
def update_activity(activity_id: int, data: ActivityData, expected_version: int) -> int:
    """Save an entry if nobody saved it meanwhile; the author stays who wrote it."""
    require("timeline.write")
    current = get_activity(activity_id)
    live_client(current.client_id)
    if data.occurred_at in (None, ""):  # not given: the entry keeps its moment
        data = replace(data, occurred_at=current.occurred_at)
    clean = validate(current.client_id, data)
    values = {column: getattr(clean, name) for name, column in _COLUMNS.items()}
    version = save_versioned(
        Activity,
        activity_id,
        expected_version,
        values,
        entity="activity",
        what=_("timeline entry"),
    )
    refresh_last_activity(current.client_id)
    before = asdict(current.data())
    audit.record(
        "update",
        "activity",
        activity_id,
        client_id=current.client_id,
        changes={k: (before[k], v) for k, v in asdict(clean).items() if before[k] != v},
        summary=_summary(clean.kind, clean.subject or clean.body),
    )
    return version


@transactional
def mark_done(activity_id: int, outcome: str | None = None) -> bool:
    """Mark an entry done now (it leaves the agenda); False when it already was."""
    require("timeline.write")
    current = get_activity(activity_id)
    live_client(current.client_id)
    if current.done_at is not None:
        return False
    values: dict[str, object] = {"done_at": utcnow()}
    if outcome is not None:
        values["outcome"] = clean_input(outcome)[:200]
    Activity.update(
        version=Activity.version + 1, updated_at=utcnow(), updated_by=login(), **values
    ).where(Activity.id == activity_id).execute()
    refresh_last_activity(current.client_id)
    audit.record(
        "update",
        "activity",
        activity_id,
        client_id=current.client_id,
        changes={"done_at": (None, values["done_at"])}
        | ({"outcome": (current.outcome, values["outcome"])} if "outcome" in values else {}),
        summary=_summary(current.kind, current.title),
    )
    return True


@transactional
def reopen(activity_id: int) -> None:
    """Undo "done": a follow-up goes back on the agenda."""
    require("timeline.write")
    current = get_activity(activity_id)
    live_client(current.client_id)
    if current.done_at is None:
        return
    Activity.update(
        done_at=None, version=Activity.version + 1, updated_at=utcnow(), updated_by=login()
    ).where(Activity.id == activity_id).execute()
    refresh_last_activity(current.client_id)
    audit.record(
        "update",
        "activity",
        activity_id,
        client_id=current.client_id,
        changes={"done_at": (current.done_at, None)},
        summary=_summary(current.kind, current.title),
    )


@transactional
def reschedule(
    activity_id: int, due_date: dt.date | str, expected_version: int | None = None
) -> int:
    """Move a follow-up to another day (it stays open); returns the new version.

    With `expected_version`, refuses (ConflictError) when someone changed the entry meanwhile.
    """
    require("timeline.write")
    current = get_activity(activity_id)
    live_client(current.client_id)
    errors: dict[str, str] = {}
    day = parse_date(due_date, errors, "due_date")
    if day is None and not errors:
        errors["due_date"] = _("is required")
    if errors:
        raise ValidationError(errors)
    values = {"due_date": day, "done_at": None}
    if expected_version is None:
        expected_version = current.version
    version = save_versioned(
        Activity,
        activity_id,
        expected_version,
        values,
        entity="activity",
        what=_("timeline entry"),
    )
    refresh_last_activity(current.client_id)
    audit.record(
        "update",
        "activity",
        activity_id,
        client_id=current.client_id,
        changes={"due_date": (current.due_date, day)},
        summary=_summary(current.kind, current.title),
    )
    return version


@transactional
def delete_activity(activity_id: int) -> None:
    """Remove a timeline entry (the audit log keeps what it said)."""
    require("timeline.write")
    current = get_activity(activity_id)
    live_client(current.client_id)
    Activity.delete().where(Activity.id == activity_id).execute()
    refresh_last_activity(current.client_id)
    audit.record(
        "delete",
        "activity",
        activity_id,
        client_id=current.client_id,
        changes={
            "kind": (current.kind, None),
            "subject": (current.subject, None),
            "body": (current.body[:200], None),
            "author": (current.author, None),
        },
        summary=_summary(current.kind, current.title),
    )


# --- comment templates ---------------------------------------------------------


@dataclass(frozen=True)
class TemplateRow:
    id: int
    name: str
    kind: str
    subject: str
    body: str


def list_templates() -> list[TemplateRow]:
    return [
        TemplateRow(t.id, t.name, t.kind, t.subject, t.body)
        for t in CommentTemplate.select().order_by(CommentTemplate.name)
    ]


def _check_template(name: str, kind: str, subject: str, body: str, exclude: int | None) -> tuple:
    errors: dict[str, str] = {}
    name, subject, body = clean_input(name), clean_input(subject), clean_input(body)
    if not name:
        errors["name"] = _("is required")
    elif len(name) > 100:
        errors["name"] = _("is longer than {n} characters").format(n=100)
    else:
        clash = CommentTemplate.select().where(CommentTemplate.name == name)
        if exclude is not None:
            clash = clash.where(CommentTemplate.id != exclude)
        if clash.exists():
            errors["name"] = _("another template already has this name")
    if kind not in ACTIVITY_KINDS:
        errors["kind"] = _("must be one of {values}").format(values=", ".join(ACTIVITY_KINDS))
    if not subject and not body:
        errors["body"] = _("type a subject or a text")
    if len(subject) > 200:
        errors["subject"] = _("is longer than {n} characters").format(n=200)
    if errors:
        raise ValidationError(errors)
    return name, kind, subject, body


@transactional
def create_template(name: str, kind: str = "note", subject: str = "", body: str = "") -> int:
    """A reusable text for timeline entries, shared by the whole team."""
    require("timeline.write")
    name, kind, subject, body = _check_template(name, kind, subject, body, None)
    row = CommentTemplate.create(name=name, kind=kind, subject=subject, body=body)
    audit.record("create", "comment_template", row.id, changes={"name": (None, name)}, summary=name)
    return row.id


@transactional
def update_template(template_id: int, name: str, kind: str, subject: str, body: str) -> None:
    require("timeline.write")
    if CommentTemplate.get_or_none(CommentTemplate.id == template_id) is None:
        raise NotFound(_("template {id} does not exist").format(id=template_id))
    name, kind, subject, body = _check_template(name, kind, subject, body, template_id)
    CommentTemplate.update(name=name, kind=kind, subject=subject, body=body).where(
        CommentTemplate.id == template_id
    ).execute()
    audit.record("update", "comment_template", template_id, summary=name)


@transactional
def delete_template(template_id: int) -> None:
    require("timeline.write")
    row = CommentTemplate.get_or_none(CommentTemplate.id == template_id)
    if row is None:
        raise NotFound(_("template {id} does not exist").format(id=template_id))
    row.delete_instance()
    audit.record(
        "delete",
        "comment_template",
        template_id,
        changes={"name": (row.name, None)},
        summary=row.name,
    )


def fill_template(
    template: TemplateRow, *, client: str, contact: str = "", today: dt.date | None = None
) -> ActivityData:
    """An entry filled from a template: {client}, {contact}, {user} and {date} replaced."""
    values = {
        "{client}": client,
        "{contact}": contact,
        "{user}": login(),
        "{date}": (today or dt.date.today()).isoformat(),
    }

    def fill(text: str) -> str:
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        return text

    return ActivityData(
        kind=template.kind, subject=fill(template.subject), body=fill(template.body)
    )
