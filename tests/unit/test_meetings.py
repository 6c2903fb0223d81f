"""Meetings with a time, a place and attendees; their invitations parsed back with the
icalendar library (method, UID, SEQUENCE, DTSTART in Europe/Madrid, attendees), sent
through a real SMTP server on localhost; the agenda by hour and as a calendar."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from invoicing_support import make_client, set_issuer
from smtp_support import keyring_env, smtp_server

from tui_crm.db import execute
from tui_crm.services import contacts, meetings, settings, users
from tui_crm.services.agenda import AgendaFilter, list_agenda
from tui_crm.services.errors import RuleViolation, ValidationError
from tui_crm.services.session import login

MADRID = ZoneInfo("Europe/Madrid")
DAY = dt.date.today() + dt.timedelta(days=3)


def utc(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A Madrid wall-clock time as the naive UTC moment the database keeps."""
    local = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=MADRID)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


@pytest.fixture
def office(db):
    set_issuer()
    client_id = make_client()
    lucia = contacts.create_contact(
        client_id,
        contacts.ContactData(first_name="Lucía", last_name="Fernández", email="lucia@pm.es"),
    )
    nomail = contacts.create_contact(
        client_id, contacts.ContactData(first_name="Sin", last_name="Correo")
    )
    users.add_user("marta", "sales", "Marta Gómez")
    users.set_details("marta", "Marta Gómez", "marta@disenonunez.es")
    users.set_details(login(), "Ana Núñez", "ana@disenonunez.es")
    return {"client_id": client_id, "lucia": lucia, "nomail": nomail}


def plan(office, hour: int = 10, **extra) -> int:
    data = meetings.MeetingData(
        subject="Revisión del proyecto",
        start=utc(DAY, hour, 30),
        duration_minutes=90,
        place="Calle Mayor 1, Madrid",
        contact_ids=[office["lucia"], office["nomail"]],
        colleagues=["marta"],
    )
    for key, value in extra.items():
        setattr(data, key, value)
    return meetings.create_meeting(office["client_id"], data)


def parse(data: bytes):
    cal = Calendar.from_ical(data)
    [event] = cal.walk("VEVENT")
    return cal, event


def test_invitation_parses_back(office) -> None:
    activity_id = plan(office)
    cal, event = parse(meetings.invitation(activity_id))
    assert str(cal["method"]) == "REQUEST"
    assert str(event["uid"]).endswith("@tui-crm")
    assert int(event["sequence"]) == 0
    start = event.decoded("dtstart")
    assert start == dt.datetime.combine(DAY, dt.time(10, 30), tzinfo=MADRID)
    assert event["dtstart"].params["TZID"] == "Europe/Madrid"
    assert str(start.tzinfo) == "Europe/Madrid"
    assert cal.walk("VTIMEZONE")[0]["tzid"] == "Europe/Madrid"
    assert event.decoded("dtend") - start == dt.timedelta(minutes=90)
    assert str(event["location"]) == "Calle Mayor 1, Madrid"
    assert str(event["summary"]) == "Revisión del proyecto"
    assert str(event["organizer"]) == "mailto:ana@disenonunez.es"
    attendees = event["attendee"]
    assert sorted(str(a) for a in attendees) == [
        "mailto:lucia@pm.es",
        "mailto:marta@disenonunez.es",
    ]
    assert {a.params["CN"] for a in attendees} == {"Lucía Fernández", "Marta Gómez"}


def test_update_raises_sequence_keeps_uid_and_cancel(office) -> None:
    activity_id = plan(office)
    first = meetings.get_meeting(activity_id)
    same = meetings.MeetingData(
        subject=first.subject, body="orden del día", start=first.start, duration_minutes=90,
        place=first.place, contact_ids=[office["lucia"], office["nomail"]], colleagues=["marta"],
    )  # fmt: skip
    version = meetings.update_meeting(activity_id, same, first.version)
    assert meetings.get_meeting(activity_id).sequence == 0  # only the notes changed
    moved = meetings.MeetingData(**{**same.__dict__, "start": utc(DAY, 12)})
    meetings.update_meeting(activity_id, moved, version)
    cal, event = parse(meetings.invitation(activity_id))
    assert str(event["uid"]) == first.uid and int(event["sequence"]) == 1
    assert event.decoded("dtstart").hour == 12
    meetings.cancel_meeting(activity_id)
    cal, event = parse(meetings.invitation(activity_id, "CANCEL"))
    assert str(cal["method"]) == "CANCEL" and str(event["status"]) == "CANCELLED"
    assert str(event["uid"]) == first.uid and int(event["sequence"]) == 2
    assert all(i.activity_id != activity_id for i in list_agenda(AgendaFilter(everyone=True)))
    with pytest.raises(RuleViolation):
        meetings.update_meeting(activity_id, moved, meetings.get_meeting(activity_id).version)


def test_bad_meetings_are_refused(office) -> None:
    other = make_client("Otra SL", "B60889649")
    stranger = contacts.create_contact(other, contacts.ContactData(first_name="Ajeno"))
    with pytest.raises(ValidationError) as refused:
        meetings.create_meeting(
            office["client_id"],
            meetings.MeetingData(subject="", start="mañana", duration_minutes="0",
                                 contact_ids=[stranger], colleagues=["nadie"]),
        )  # fmt: skip
    assert set(refused.value.errors) == {
        "subject", "start", "duration_minutes", "contact_ids", "colleagues",
    }  # fmt: skip
    assert execute("SELECT COUNT(*) FROM activity").fetchone()[0] == 0


def test_agenda_shows_meetings_by_hour(office) -> None:
    late = plan(office, hour=17)
    early = plan(office, hour=9)
    items = [i for i in list_agenda(AgendaFilter()) if i.due_date == DAY]
    assert [i.activity_id for i in items] == [early, late]
    assert [i.time for i in items] == [
        utc(DAY, 9, 30).replace(tzinfo=dt.UTC).astimezone().strftime("%H:%M"),
        utc(DAY, 17, 30).replace(tzinfo=dt.UTC).astimezone().strftime("%H:%M"),
    ]


def test_invitation_is_emailed_to_the_attendees(office, tmp_path) -> None:
    import keyring
    from smtp_support import MemoryKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        activity_id = plan(office)
        with smtp_server(tmp_path) as server:
            settings.set_many({"smtp.host": server.host, "smtp.port": str(server.port),
                               "smtp.security": "none", "smtp.user": "",
                               "smtp.from": "ana@disenonunez.es"})  # fmt: skip
            result = meetings.send_invitation(activity_id)
    finally:
        keyring.set_keyring(previous)
    assert result.sent
    [received] = server.messages
    assert sorted(received.rcpt_tos) == ["lucia@pm.es", "marta@disenonunez.es"]
    message = received.message
    assert message["Subject"].startswith("Invitación: Revisión del proyecto")
    [part] = [p for p in message.iter_attachments()]
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    cal, event = parse(part.get_content().encode())
    assert str(cal["method"]) == "REQUEST"
    assert str(event["uid"]) == meetings.get_meeting(activity_id).uid


def test_cli_agenda_as_ics(cli, office, db, tmp_path) -> None:
    activity_id = plan(office)
    env = keyring_env(tmp_path)
    out = tmp_path / "agenda.ics"
    written = cli("--db", db, "report", "agenda", "--format", "ics", "-o", str(out), env=env)
    assert written.returncode == 0, written.stderr
    cal = Calendar.from_ical(out.read_bytes())
    [event] = cal.walk("VEVENT")
    assert str(event["uid"]) == meetings.get_meeting(activity_id).uid
    assert event.decoded("dtstart") == dt.datetime.combine(DAY, dt.time(10, 30), tzinfo=MADRID)
    again = cli("--db", db, "report", "agenda", "--format", "ics", "-o", str(out), env=env)
    assert again.returncode == 1 and "Traceback" not in again.stderr
    printed = cli("--db", db, "report", "agenda", "--format", "ics", env=env)
    assert printed.returncode == 0 and "BEGIN:VCALENDAR" in printed.stdout
    wrong = cli("--db", db, "report", "clients", "--format", "ics", env=env)
    assert wrong.returncode == 1 and "agenda" in wrong.stderr
