"""Timeline entries, follow-ups, comment templates and the agenda, over a real database file."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.people import ME
from tui_crm.db import execute
from tui_crm.models import Activity, AuditLog, Client
from tui_crm.models.base import utcnow
from tui_crm.services import agenda, clients, contacts, merge, timeline, users
from tui_crm.services.agenda import AgendaFilter
from tui_crm.services.clients import ClientInput
from tui_crm.services.contacts import ContactData
from tui_crm.services.errors import ConflictError, PermissionDenied, ValidationError
from tui_crm.services.session import Actor, set_actor
from tui_crm.services.timeline import ActivityData

TODAY = dt.date(2026, 3, 10)


def make(name: str) -> int:
    return clients.create_client(ClientInput(legal_name=name))


def act_as(login: str, role: str = "sales") -> None:
    users.register(login)
    set_actor(Actor(login=login, role=role))


def back_to_me() -> None:
    set_actor(Actor(login=ME, role="admin"))


def note(client_id: int, subject: str, **fields: object) -> int:
    return timeline.create_activity(client_id, ActivityData(subject=subject, **fields))


# --- timeline ----------------------------------------------------------------------


def test_entry_records_author_and_updates_last_activity(db) -> None:
    cid = make("Alfa SL")
    ana = contacts.create_contact(cid, ContactData(first_name="Ana"))
    before = Client.get_by_id(cid).version
    aid = timeline.create_activity(
        cid,
        ActivityData(
            kind="call", subject="Llamada", body="Quiere presupuesto", outcome="ok", contact_id=ana
        ),
    )
    row = timeline.get_activity(aid)
    assert (row.author, row.kind, row.contact_name, row.outcome) == (ME, "call", "Ana", "ok")
    client = Client.get_by_id(cid)
    assert client.last_activity_at == row.occurred_at
    assert client.version == before  # a running figure, not a person's edit
    audit = AuditLog.get((AuditLog.entity == "activity") & (AuditLog.entity_id == str(aid)))
    assert audit.client_id == cid and audit.action == "create"


def test_future_entries_do_not_count_as_last_activity(db) -> None:
    cid = make("Alfa SL")
    past = utcnow() - dt.timedelta(days=3)
    note(cid, "antes", occurred_at=past)
    note(cid, "reunión futura", kind="meeting", occurred_at=utcnow() + dt.timedelta(days=5))
    assert Client.get_by_id(cid).last_activity_at == past


def test_entry_validation(db) -> None:
    cid = make("Alfa SL")
    other = make("Beta SL")
    stranger = contacts.create_contact(other, ContactData(first_name="Luis"))
    with pytest.raises(ValidationError) as info:
        timeline.create_activity(
            cid,
            ActivityData(kind="fax", contact_id=stranger, occurred_at="ayer", due_date="mañana"),
        )
    assert set(info.value.errors) == {"kind", "subject", "contact_id", "occurred_at", "due_date"}
    assert timeline.count_timeline(cid) == 0


def test_follow_ups_first_then_newest_first(db) -> None:
    cid = make("Alfa SL")
    old = note(cid, "vieja", occurred_at=dt.datetime(2026, 1, 1, 9))
    new = note(cid, "nueva", occurred_at=dt.datetime(2026, 2, 1, 9))
    later = note(cid, "seguir en abril", due_date=dt.date(2026, 4, 1))
    soon = note(cid, "seguir mañana", due_date=dt.date(2026, 3, 11))
    done = note(cid, "hecha", due_date=dt.date(2026, 3, 1))
    timeline.mark_done(done)
    ids = [row.id for row in timeline.list_timeline(cid)]
    assert ids[:2] == [soon, later]
    assert ids.index(new) < ids.index(old)
    assert set(ids[2:]) == {done, new, old}
    assert timeline.open_follow_ups(cid) == 2
    assert [r.id for r in timeline.list_timeline(cid, 1, 2)] == ids[1:3]


def test_mark_done_reopen_and_reschedule(db) -> None:
    cid = make("Alfa SL")
    aid = note(cid, "Llamar", due_date=dt.date(2026, 3, 1))
    assert timeline.get_activity(aid).is_follow_up
    assert timeline.mark_done(aid, outcome="Pedido cerrado") is True
    done = timeline.get_activity(aid)
    assert not done.is_follow_up and done.outcome == "Pedido cerrado"
    assert timeline.mark_done(aid) is False  # already done: nothing changes
    timeline.reopen(aid)
    assert timeline.get_activity(aid).is_follow_up
    version = timeline.get_activity(aid).version
    timeline.reschedule(aid, "2026-03-20", version)
    assert timeline.get_activity(aid).due_date == dt.date(2026, 3, 20)
    with pytest.raises(ConflictError):
        timeline.reschedule(aid, dt.date(2026, 3, 25), version)
    with pytest.raises(ValidationError):
        timeline.reschedule(aid, "")
    assert timeline.get_activity(aid).due_date == dt.date(2026, 3, 20)


def test_edit_keeps_the_author_and_detects_conflicts(db) -> None:
    cid = make("Alfa SL")
    aid = note(cid, "Nota", occurred_at=dt.datetime(2026, 1, 5, 10, 30))
    start = timeline.get_activity(aid)
    act_as("marta")
    timeline.update_activity(aid, ActivityData(subject="Nota corregida"), start.version)
    back_to_me()
    with pytest.raises(ConflictError) as info:
        timeline.update_activity(aid, ActivityData(subject="Mi versión"), start.version)
    assert "marta" in str(info.value)
    row = timeline.get_activity(aid)
    assert (row.subject, row.author, row.updated_by) == ("Nota corregida", ME, "marta")
    assert row.occurred_at == start.occurred_at


def test_read_only_users_cannot_write_the_timeline(db) -> None:
    cid = make("Alfa SL")
    aid = note(cid, "Nota")
    users.register("lector")
    users.set_role("lector", "readonly")
    set_actor(Actor(login="lector", role="readonly"))
    with pytest.raises(PermissionDenied):
        note(cid, "otra")
    with pytest.raises(PermissionDenied):
        timeline.mark_done(aid)
    with pytest.raises(PermissionDenied):
        timeline.delete_activity(aid)


def test_delete_keeps_the_text_in_the_audit_log(db) -> None:
    cid = make("Alfa SL")
    aid = note(cid, "Confidencial", body="x" * 10_000)
    timeline.delete_activity(aid)
    assert not Activity.select().where(Activity.id == aid).exists()
    audit = AuditLog.get((AuditLog.entity == "activity") & (AuditLog.action == "delete"))
    assert json.loads(audit.changes)["subject"] == ["Confidencial", None]
    assert Client.get_by_id(cid).last_activity_at is None


def test_hostile_text_is_stored_exactly(db) -> None:
    cid = make("[bold]Alfa[/] 🚀 شركة")
    text = "[red]no markup[/] \u202e RTL עברית 👩‍💻\n" + "línea " * 2000
    aid = note(cid, "[b]x[/b]", body=text + "\x1b[31m")
    row = timeline.get_activity(aid)
    assert row.subject == "[b]x[/b]"
    assert row.body == text + "[31m"  # the control character removed, the rest as typed
    assert len(row.body) > 10_000


# --- comment templates -----------------------------------------------------------


def test_template_fills_an_entry_in_one_step(db) -> None:
    tid = timeline.create_template(
        "Seguimiento",
        kind="call",
        subject="Seguimiento {client}",
        body="Hablado con {contact} el {date} ({user}). {unknown}",
    )
    with pytest.raises(ValidationError):
        timeline.create_template("Seguimiento", body="otra")
    [template] = [t for t in timeline.list_templates() if t.id == tid]
    filled = timeline.fill_template(template, client="Alfa SL", contact="Ana", today=TODAY)
    assert filled.kind == "call"
    assert filled.subject == "Seguimiento Alfa SL"
    assert filled.body == f"Hablado con Ana el 2026-03-10 ({ME}). {{unknown}}"
    timeline.update_template(tid, "Seguimiento", "note", "S", "B")
    assert timeline.list_templates()[0].kind == "note"
    timeline.delete_template(tid)
    assert timeline.list_templates() == []


# --- agenda ------------------------------------------------------------------------


def _local(day: dt.date, hour: int) -> dt.datetime:
    """A local wall-clock time as the naive UTC the database stores."""
    return (
        dt.datetime.combine(day, dt.time(hour, 0))
        .astimezone()
        .astimezone(dt.UTC)
        .replace(tzinfo=None)
    )


def test_agenda_overdue_today_upcoming_and_meetings(db) -> None:
    alfa = make("Alfa SL")
    beta = make("Beta SL")
    ana = contacts.create_contact(alfa, ContactData(first_name="Ana", last_name="Ruiz"))
    overdue = note(alfa, "Reclamar pago", due_date=TODAY - dt.timedelta(days=2), contact_id=ana)
    today = note(beta, "Enviar oferta", due_date=TODAY)
    upcoming = note(alfa, "Revisar contrato", due_date=TODAY + dt.timedelta(days=7))
    meeting = timeline.create_activity(
        beta, ActivityData(kind="meeting", subject="Visita", occurred_at=_local(TODAY, 16))
    )
    note(
        beta, "Reunión pasada", kind="meeting", occurred_at=_local(TODAY - dt.timedelta(days=1), 9)
    )
    done = note(alfa, "Hecha", due_date=TODAY)
    timeline.mark_done(done)
    note(alfa, "Sin fecha")

    items = agenda.list_agenda(AgendaFilter(as_of=TODAY))
    assert [(i.activity_id, i.status) for i in items] == [
        (overdue, "overdue"),
        (today, "today"),
        (meeting, "today"),
        (upcoming, "upcoming"),
    ]
    by_id = {i.activity_id: i for i in items}
    assert by_id[meeting].time == "16:00" and not by_id[meeting].is_follow_up
    assert by_id[overdue].contact == "Ana Ruiz" and by_id[overdue].client == "Alfa SL"
    assert agenda.count_agenda(AgendaFilter(as_of=TODAY)) == 4
    until = AgendaFilter(as_of=TODAY, until=TODAY)
    assert [i.activity_id for i in agenda.list_agenda(until)] == [overdue, today, meeting]


def test_agenda_mine_or_everyones(db) -> None:
    cid = make("Alfa SL")
    mine = note(cid, "mía", due_date=TODAY)
    act_as("marta")
    theirs = note(cid, "de Marta", due_date=TODAY)
    assert [i.activity_id for i in agenda.list_agenda(AgendaFilter(as_of=TODAY))] == [theirs]
    back_to_me()
    assert [i.activity_id for i in agenda.list_agenda(AgendaFilter(as_of=TODAY))] == [mine]
    everyone = agenda.list_agenda(AgendaFilter(as_of=TODAY, everyone=True))
    assert {i.activity_id for i in everyone} == {mine, theirs}
    marta = AgendaFilter(as_of=TODAY, login="marta")
    assert [i.author for i in agenda.list_agenda(marta)] == ["marta"]


def test_agenda_follows_a_merge(db) -> None:
    keep = make("Alfa SL")
    gone = make("Alfa S.L.")
    aid = note(gone, "Llamar", due_date=TODAY)
    merge.merge_clients(keep, gone)
    [item] = agenda.list_agenda(AgendaFilter(as_of=TODAY))
    assert (item.activity_id, item.client_id, item.client) == (aid, keep, "Alfa SL")


def test_report_agenda_json(db, cli) -> None:
    cid = make("Talleres [b]Núñez[/b]")
    note(cid, "Reclamar pago", due_date=TODAY - dt.timedelta(days=1))
    note(cid, "Llamar", due_date=TODAY + dt.timedelta(days=1))
    act_as("marta")
    note(cid, "De Marta", due_date=TODAY)
    back_to_me()
    execute("UPDATE activity SET kind = 'task' WHERE subject = 'Llamar'")
    mine = cli("--db", db, "report", "agenda", "--as-of", "2026-03-10", "--format", "json")
    assert mine.returncode == 0, mine.stderr
    rows = json.loads(mine.stdout)
    assert [r["subject"] for r in rows] == ["Reclamar pago", "Llamar"]
    assert list(rows[0]) == [
        "due_date",
        "time",
        "minutes",
        "end",
        "client",
        "client_id",
        "kind",
        "subject",
        "contact",
        "author",
        "status",
    ]
    assert rows[0] == {
        "due_date": "2026-03-09",
        "time": "",
        "minutes": None,
        "end": "",
        "client": "Talleres [b]Núñez[/b]",
        "client_id": cid,
        "kind": "note",
        "subject": "Reclamar pago",
        "contact": "",
        "author": ME,
        "status": "overdue",
    }
    assert rows[1]["status"] == "upcoming" and rows[1]["kind"] == "task"
    everyone = cli(
        "--db", db, "report", "agenda", "--as-of", "2026-03-10", "--all-users", "--format", "csv"
    )
    assert everyone.returncode == 0, everyone.stderr
    lines = everyone.stdout.splitlines()
    assert lines[0] == (
        "due_date,time,minutes,end,client,client_id,kind,subject,contact,author,status"
    )
    assert len(lines) == 4 and any("De Marta" in line and ",today" in line for line in lines)
    bad = cli("--db", db, "report", "agenda", "--as-of", "10/03/2026")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_agenda_pages_follow_the_full_order(db) -> None:
    cid = make("Alfa SL")
    for days in (3, -1, 0, 5, 0, 2):
        note(cid, f"seguir {days}", due_date=TODAY + dt.timedelta(days=days))
    for days, hour in ((0, 10), (2, 9), (5, 18), (1, 8)):
        timeline.create_activity(
            cid,
            ActivityData(
                kind="meeting",
                subject=f"reunión {days}",
                occurred_at=_local(TODAY + dt.timedelta(days=days), hour),
            ),
        )
    flt = AgendaFilter(as_of=TODAY)
    full = agenda.list_agenda(flt, 0, None)
    assert len(full) == agenda.count_agenda(flt) == 10
    assert [i.due_date for i in full] == sorted(i.due_date for i in full)
    # within a day: the follow-ups, then the meetings by time
    today = [(i.is_follow_up, i.time) for i in full if i.due_date == TODAY]
    assert today == [(True, ""), (True, ""), (False, "10:00")]
    paged = [i.activity_id for o in range(0, 10, 3) for i in agenda.list_agenda(flt, o, 3)]
    assert paged == [i.activity_id for i in full]
