"""Meetings: a timeline entry with a start, a duration, a place and attendees; invitations.

Rules:
- a meeting is a timeline entry of kind "meeting" (services.timeline keeps its text,
  author and audit): it starts at `occurred_at` (typed in local time, kept in UTC),
  lasts 1 to 1,440 minutes, takes place somewhere (free text, optional);
- its attendees are contacts of the same client and colleagues (users); an invitation
  reaches those with an email address;
- an invitation is an iCalendar file (RFC 5545/5546) made with the `icalendar` library:
  METHOD:REQUEST, a UID stable for the life of the meeting, a SEQUENCE that grows with
  every change of what the attendees agreed to (time, length, place, subject, who),
  METHOD:CANCEL when it is called off; the ORGANIZER is the user (their email, else
  their From address); times are in `calendar.timezone` (default Europe/Madrid) with
  its VTIMEZONE;
- invitations go by email through the user's SMTP settings (services.email): the email
  lands on the client's timeline like any other; no transaction is held meanwhile; one
  that fails keeps its .ics and attendees and is sent again as it was composed
  (`services.email.retry_email`), under the same timeline entry;
- a cancelled meeting leaves the agenda (it is done, and says it was cancelled);
- the agenda as a calendar (`agenda_calendar`): its meetings with their times and its
  follow-ups as all-day events, for others to subscribe to.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..db import execute, transactional
from ..i18n import _
from ..models import Activity, ActivityAttendee, Contact, User
from ..models.base import utcnow
from ..text import clean_input, has_control
from . import audit, settings
from .errors import RuleViolation, ValidationError
from .permissions import require
from .records import live_client
from .session import login
from .timeline import ActivityData, create_activity, get_activity, parse_local_datetime
from .timeline import update_activity as _update_activity

DEFAULT_MINUTES = 60
PRODID = "-//tui-crm//meetings//ES"


@dataclass
class MeetingData:
    """What a person types about a meeting. `start`: local "YYYY-MM-DD HH:MM" or naive UTC."""

    subject: str = ""
    body: str = ""
    start: dt.datetime | str | None = None
    duration_minutes: int | str = DEFAULT_MINUTES
    place: str = ""
    contact_ids: Sequence[int] = ()
    colleagues: Sequence[str] = ()  # logins
    project_id: int | None = None


@dataclass(frozen=True)
class Attendee:
    name: str
    email: str
    contact_id: int | None = None
    login: str = ""


@dataclass(frozen=True)
class Meeting:
    activity_id: int
    client_id: int
    client_name: str
    version: int
    subject: str
    body: str
    start: dt.datetime  # UTC, naive
    duration_minutes: int
    place: str
    author: str
    uid: str
    sequence: int
    cancelled: bool
    attendees: tuple[Attendee, ...] = field(default_factory=tuple)

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(minutes=self.duration_minutes)


# --- validation -----------------------------------------------------------------------


def _minutes(value: object, errors: dict[str, str]) -> int:
    try:
        minutes = int(str(value).strip() or DEFAULT_MINUTES)
    except ValueError:
        errors["duration_minutes"] = _("is not a whole number of minutes")
        return DEFAULT_MINUTES
    if not 1 <= minutes <= 24 * 60:
        errors["duration_minutes"] = _("must be between {low} and {high}").format(
            low=1, high=24 * 60
        )
    return minutes


def _attendees(client_id: int, data: MeetingData, errors: dict[str, str]) -> list[Attendee]:
    found: list[Attendee] = []
    for contact_id in data.contact_ids:
        contact = Contact.get_or_none(Contact.id == int(contact_id))
        if contact is None or contact.client_id != client_id:
            errors["contact_ids"] = _("is not a contact of this client")
            continue
        name = " ".join(p for p in (contact.first_name, contact.last_name) if p)
        found.append(Attendee(name, contact.email, contact.id))
    for who in data.colleagues:
        user = User.get_or_none(User.login == str(who).strip())
        if user is None:
            errors["colleagues"] = _("unknown user {login}").format(login=who)
            continue
        found.append(Attendee(user.full_name or user.login, user.email, None, user.login))
    return found


def _check(client_id: int, data: MeetingData) -> tuple[dt.datetime, int, str, list[Attendee]]:
    errors: dict[str, str] = {}
    start = data.start
    if not isinstance(start, dt.datetime):
        start = parse_local_datetime(start, errors, "start")
    if start is None and "start" not in errors:
        errors["start"] = _("is required")
    minutes = _minutes(data.duration_minutes, errors)
    place = clean_input(str(data.place or ""))
    if has_control(place):
        errors["place"] = _("must be one line, without control characters")
    elif len(place) > 200:
        errors["place"] = _("is longer than {n} characters").format(n=200)
    if not clean_input(str(data.subject or "")):
        errors["subject"] = _("is required")
    people = _attendees(client_id, data, errors)
    if errors:
        raise ValidationError(errors)
    assert start is not None
    return start, minutes, place, people


# --- saving ---------------------------------------------------------------------------


def _store_attendees(activity_id: int, people: Iterable[Attendee]) -> None:
    ActivityAttendee.delete().where(ActivityAttendee.activity == activity_id).execute()
    for person in people:
        ActivityAttendee.create(
            activity=activity_id,
            contact=person.contact_id,
            user=User.get(User.login == person.login).id if person.login else None,
            name=person.name[:200],
            email=person.email,
        )


@transactional
def create_meeting(client_id: int, data: MeetingData) -> int:
    """Plan a meeting with a client (it shows on the agenda by its hour); returns its id."""
    require("timeline.write")
    live_client(client_id)
    start, minutes, place, people = _check(client_id, data)
    activity_id = create_activity(
        client_id,
        ActivityData(
            kind="meeting",
            subject=data.subject,
            body=data.body,
            contact_id=next((p.contact_id for p in people if p.contact_id), None),
            project_id=data.project_id,
            occurred_at=start,
        ),
    )
    Activity.update(
        duration_minutes=minutes,
        place=place,
        ical_uid=f"{uuid.uuid4()}@tui-crm",
        ical_sequence=0,
    ).where(Activity.id == activity_id).execute()
    _store_attendees(activity_id, people)
    audit.record(
        "update",
        "activity",
        activity_id,
        client_id=client_id,
        changes={
            "duration_minutes": (None, minutes),
            "place": (None, place),
            "attendees": (None, ", ".join(p.email or p.name for p in people)),
        },
        summary=_("Meeting: {subject}").format(subject=data.subject)[:200],
    )
    return activity_id


@transactional
def update_meeting(activity_id: int, data: MeetingData, expected_version: int) -> int:
    """Save a meeting if nobody saved it meanwhile; a change of what attendees agreed to
    (time, length, place, subject, who) raises the invitation's SEQUENCE. Returns the
    new version."""
    require("timeline.write")
    current = get_meeting(activity_id)
    if current.cancelled:
        raise RuleViolation(_("this meeting was cancelled; plan a new one"))
    start, minutes, place, people = _check(current.client_id, data)
    version = _update_activity(
        activity_id,
        ActivityData(
            kind="meeting",
            subject=data.subject,
            body=data.body,
            contact_id=next((p.contact_id for p in people if p.contact_id), None),
            project_id=data.project_id,
            occurred_at=start,
        ),
        expected_version,
    )
    before = (current.start, current.duration_minutes, current.place, current.subject)
    after = (start, minutes, place, clean_input(str(data.subject)))
    who_before = {(a.contact_id, a.login, a.email) for a in current.attendees}
    who_after = {(a.contact_id, a.login, a.email) for a in people}
    changed = before != after or who_before != who_after
    Activity.update(
        duration_minutes=minutes,
        place=place,
        ical_sequence=current.sequence + (1 if changed else 0),
        ical_uid=current.uid,  # a meeting planned before m0014 keeps its derived UID
    ).where(Activity.id == activity_id).execute()
    _store_attendees(activity_id, people)
    if changed:
        audit.record(
            "update",
            "activity",
            activity_id,
            client_id=current.client_id,
            changes={
                "duration_minutes": (current.duration_minutes, minutes),
                "place": (current.place, place),
                "attendees": (
                    ", ".join(a.email or a.name for a in current.attendees),
                    ", ".join(p.email or p.name for p in people),
                ),
                "sequence": (current.sequence, current.sequence + 1),
            },
            summary=_("Meeting: {subject}").format(subject=data.subject)[:200],
        )
    return version


@transactional
def cancel_meeting(activity_id: int) -> None:
    """Call a meeting off: it leaves the agenda, says so, and its next invitation is a
    CANCEL with a higher SEQUENCE."""
    require("timeline.write")
    current = get_meeting(activity_id)
    live_client(current.client_id)
    if current.cancelled:
        return
    now = utcnow()
    Activity.update(
        cancelled_at=now,
        done_at=now,
        outcome=_("cancelled"),
        ical_sequence=current.sequence + 1,
        version=Activity.version + 1,
        updated_at=now,
        updated_by=login(),
    ).where(Activity.id == activity_id).execute()
    audit.record(
        "update",
        "activity",
        activity_id,
        client_id=current.client_id,
        changes={"cancelled_at": (None, now), "sequence": (current.sequence, current.sequence + 1)},
        summary=_("Meeting cancelled: {subject}").format(subject=current.subject)[:200],
    )


# --- reading --------------------------------------------------------------------------


def _moment(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def get_meeting(activity_id: int) -> Meeting:
    """A meeting with its attendees (NotFound/RuleViolation when the entry is not one)."""
    row = get_activity(activity_id)
    if row.kind != "meeting":
        raise RuleViolation(_("timeline entry {id} is not a meeting").format(id=activity_id))
    extra = execute(
        "SELECT a.duration_minutes, a.place, a.ical_uid, a.ical_sequence, a.cancelled_at, "
        "c.legal_name FROM activity a JOIN client c ON c.id = a.client_id WHERE a.id = ?",
        (activity_id,),
    ).fetchone()
    people = tuple(
        Attendee(r[0], r[1], r[2], r[3] or "")
        for r in execute(
            "SELECT t.name, t.email, t.contact_id, u.login FROM activity_attendee t "
            'LEFT JOIN "user" u ON u.id = t.user_id WHERE t.activity_id = ? ORDER BY t.id',
            (activity_id,),
        )
    )
    return Meeting(
        activity_id=row.id,
        client_id=row.client_id,
        client_name=extra[5],
        version=row.version,
        subject=row.subject or row.title,
        body=row.body,
        start=row.occurred_at,
        duration_minutes=int(extra[0] or DEFAULT_MINUTES),
        place=extra[1] or "",
        author=row.author,
        uid=extra[2] or f"activity-{row.id}@tui-crm",
        sequence=int(extra[3] or 0),
        cancelled=extra[4] is not None,
        attendees=people,
    )


def attendee_choices(client_id: int) -> tuple[list[tuple[int, str]], list[tuple[str, str]]]:
    """Who can be invited: the client's contacts (id, label) and colleagues (login, label)."""
    contacts = [
        (
            c.id,
            " ".join(p for p in (c.first_name, c.last_name) if p)
            + (f" <{c.email}>" if c.email else ""),
        )
        for c in Contact.select()
        .where(Contact.client == client_id)
        .order_by(Contact.first_name, Contact.last_name, Contact.id)
    ]
    colleagues = [
        (u.login, (u.full_name or u.login) + (f" <{u.email}>" if u.email else ""))
        for u in User.select().where(User.active == True).order_by(User.login)  # noqa: E712
    ]
    return contacts, colleagues


# --- iCalendar ------------------------------------------------------------------------


def timezone_name() -> str:
    return settings.get("calendar.timezone") or "Europe/Madrid"


def _organizer() -> tuple[str, str]:
    """(name, email) of the user: their own address, else their From address."""
    from email.utils import parseaddr

    user = User.get_or_none(User.login == login())
    name = (user.full_name if user else "") or login()
    address = user.email if user and user.email else ""
    if not address:
        from_name, address = parseaddr(settings.get("smtp.from"))
        name = name or from_name
    if not address:
        address = settings.get("company.email")
    return name, address


def _event(meeting: Meeting, zone: Any, organizer: tuple[str, str], *, cancel: bool) -> Any:
    from icalendar import Event, vCalAddress, vText

    event = Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", dt.datetime.now(dt.UTC))
    start = meeting.start.replace(tzinfo=dt.UTC).astimezone(zone)
    event.add("dtstart", start)
    event.add("dtend", start + dt.timedelta(minutes=meeting.duration_minutes))
    event.add("summary", meeting.subject)
    if meeting.place:
        event.add("location", meeting.place)
    if meeting.body:
        event.add("description", meeting.body)
    event.add("status", "CANCELLED" if cancel or meeting.cancelled else "CONFIRMED")
    name, address = organizer
    if address:
        who = vCalAddress(f"mailto:{address}")
        who.params["cn"] = vText(name)
        event.add("organizer", who)
    for person in meeting.attendees:
        if not person.email:
            continue
        guest = vCalAddress(f"mailto:{person.email}")
        guest.params["cn"] = vText(person.name or person.email)
        guest.params["role"] = vText("REQ-PARTICIPANT")
        guest.params["partstat"] = vText("NEEDS-ACTION")
        guest.params["rsvp"] = vText("TRUE")
        event.add("attendee", guest, encode=0)
    return event


def _calendar(method: str | None) -> Any:
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    return cal


def invitation(activity_id: int, method: str = "REQUEST") -> bytes:
    """The meeting as an iCalendar invitation (METHOD:REQUEST, or CANCEL)."""
    from zoneinfo import ZoneInfo

    if method not in ("REQUEST", "CANCEL"):
        raise ValidationError(
            {"method": _("must be one of {values}").format(values="REQUEST, CANCEL")}
        )
    meeting = get_meeting(activity_id)
    cal = _calendar(method)
    cal.add_component(
        _event(meeting, ZoneInfo(timezone_name()), _organizer(), cancel=method == "CANCEL")
    )
    cal.add_missing_timezones()
    return cal.to_ical()


def _invitation_text(meeting: Meeting, method: str, language: str) -> tuple[str, str]:
    from zoneinfo import ZoneInfo

    from . import email

    local = meeting.start.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(timezone_name()))
    when = f"{email.format_day(local.date(), language)} {local:%H:%M}"
    if language == "es":
        if method == "CANCEL":
            subject = f"Cancelada: {meeting.subject} ({when})"
            body = f"Hola:\n\nSe cancela la reunión «{meeting.subject}» del {when}."
        else:
            subject = f"Invitación: {meeting.subject} ({when})"
            body = (
                f"Hola:\n\nTe invitamos a la reunión «{meeting.subject}».\n\n"
                f"Cuándo: {when} ({meeting.duration_minutes} min)\n"
                + (f"Dónde: {meeting.place}\n" if meeting.place else "")
            )
    elif method == "CANCEL":
        subject = f"Cancelled: {meeting.subject} ({when})"
        body = f'Hello,\n\nThe meeting "{meeting.subject}" of {when} is cancelled.'
    else:
        subject = f"Invitation: {meeting.subject} ({when})"
        body = (
            f'Hello,\n\nYou are invited to the meeting "{meeting.subject}".\n\n'
            f"When: {when} ({meeting.duration_minutes} min)\n"
            + (f"Where: {meeting.place}\n" if meeting.place else "")
        )
    if meeting.body:
        body += f"\n{meeting.body}\n"
    return subject, body + f"\n{settings.get('company.name')}"


def compose_invitation(activity_id: int, method: str = "REQUEST") -> Any:
    """The email that carries the invitation (or the cancellation) to every attendee with
    an address, the .ics attached; in the client's language."""
    from . import email

    meeting = get_meeting(activity_id)
    people = [email.Recipient(p.email, p.name, p.contact_id) for p in meeting.attendees if p.email]
    if not people:
        raise RuleViolation(_("nobody invited to this meeting has an email address"))
    language = email.language_for_client(meeting.client_id)
    subject, body = _invitation_text(meeting, method, language)
    ics = invitation(activity_id, method)
    filename = "cancel.ics" if method == "CANCEL" else "invite.ics"
    return email.EmailDraft(
        purpose="invitation",
        client_id=meeting.client_id,
        client_name=meeting.client_name,
        recipient=people[0],
        more_to=tuple(people[1:]),
        subject=subject[:200],
        body=body,
        template="",
        language=language,
        attachments=(filename,),
        files=((filename, f"text/calendar; method={method}", ics),),
    )


def send_invitation(activity_id: int, method: str = "REQUEST") -> Any:
    """Email the invitation (or the cancellation) to the attendees; the email lands on the
    client's timeline. Not inside a transaction: it talks to the SMTP server."""
    from . import email

    require("email.send")
    draft = compose_invitation(activity_id, method)
    result = email.send(draft)
    assert result is not None
    return result


def agenda_calendar(flt: Any) -> bytes:
    """The agenda (services.agenda's rows) as an iCalendar file others can subscribe to:
    meetings with their hour and length, follow-ups as all-day events."""
    from zoneinfo import ZoneInfo

    from icalendar import Event

    from .agenda import list_agenda

    zone = ZoneInfo(timezone_name())
    organizer = _organizer()
    cal = _calendar(None)
    cal.add("x-wr-calname", _("tui-crm agenda"))
    cal.add("x-wr-timezone", timezone_name())
    offset = 0
    while True:
        page = list_agenda(flt, offset, 1000)
        for item in page:
            if item.is_follow_up:
                event = Event()
                event.add("uid", f"follow-up-{item.activity_id}@tui-crm")
                event.add("dtstamp", dt.datetime.now(dt.UTC))
                event.add("dtstart", item.due_date)
                event.add("dtend", item.due_date + dt.timedelta(days=1))
                event.add("summary", f"{item.client}: {item.subject}")
                cal.add_component(event)
            else:
                meeting = get_meeting(item.activity_id)
                event = _event(meeting, zone, organizer, cancel=False)
                event["summary"] = f"{meeting.client_name}: {meeting.subject}"
                cal.add_component(event)
        if len(page) < 1000:
            break
        offset += 1000
    cal.add_missing_timezones()
    return cal.to_ical()
