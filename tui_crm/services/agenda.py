"""The agenda: open follow-ups (overdue, due today, upcoming) and meetings, across clients.

An entry is on the agenda while it is not done and either has a due date (a
follow-up) or is a meeting planned from the start of the agenda's day onwards.
Its agenda date is the due date, or the meeting's local date. "Mine" means the
entries I wrote (the timeline has an author, not an assignee); "everyone's"
shows the whole team's. Entries of merged-away clients never show (they moved
with the merge). The same rows feed the F3 screen and `tui-crm report agenda`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..db import execute, is_sqlite
from ..i18n import N_
from .session import login

STATUSES = ("overdue", "today", "upcoming")
STATUS_LABELS = {"overdue": N_("overdue"), "today": N_("today"), "upcoming": N_("upcoming")}
REPORT_COLUMNS = (
    "due_date",
    "client",
    "client_id",
    "kind",
    "subject",
    "contact",
    "author",
    "status",
)


@dataclass(frozen=True)
class AgendaFilter:
    as_of: dt.date | None = None  # None: today
    everyone: bool = False
    login: str = ""  # whose agenda when not everyone's ("" = the current user)
    until: dt.date | None = None  # upcoming entries up to this date (None: all)

    def day(self) -> dt.date:
        return self.as_of or dt.date.today()


@dataclass(frozen=True)
class AgendaItem:
    activity_id: int
    version: int
    client_id: int
    client: str
    due_date: dt.date
    time: str  # "HH:MM" local for meetings, "" for follow-ups
    kind: str
    subject: str
    contact: str
    author: str
    status: str  # overdue / today / upcoming
    is_follow_up: bool


def _utc_offset_modifier() -> tuple[str, int]:
    """The local UTC offset now, as an SQLite date modifier and in minutes."""
    offset = dt.datetime.now().astimezone().utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    return f"{minutes:+d} minutes", minutes


def _local_midnight_utc(day: dt.date) -> str:
    local = dt.datetime.combine(day, dt.time(0, 0)).astimezone()
    return local.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")


def _query(flt: AgendaFilter) -> tuple[str, list[Any]]:
    day = flt.day()
    modifier, minutes = _utc_offset_modifier()
    if is_sqlite():
        meeting_day = "date(a.occurred_at, ?)"
        meeting_param: object = modifier
    else:
        meeting_day = "CAST(a.occurred_at + CAST(? AS INTERVAL) AS DATE)"
        meeting_param = f"{minutes} minutes"
    who = ""
    who_params: list[Any] = []
    if not flt.everyone:
        who = " AND a.author = ?"
        who_params = [flt.login or login()]
    columns = (
        "a.id, a.version, a.client_id, c.legal_name, {day} AS agenda_day, {time}, a.kind, "
        "CASE WHEN a.subject <> '' THEN a.subject ELSE substr(a.body, 1, 200) END, "
        "TRIM(COALESCE(ct.first_name, '') || ' ' || COALESCE(ct.last_name, '')), a.author, "
        "{follow_up}, a.occurred_at"
    )
    joins = (
        "FROM activity a JOIN client c ON c.id = a.client_id "
        "LEFT JOIN contact ct ON ct.id = a.contact_id "
    )
    follow_ups = (
        "SELECT "
        + columns.format(day="a.due_date", time="''", follow_up="1")
        + " "
        + joins
        + "WHERE a.done_at IS NULL AND a.due_date IS NOT NULL AND c.status <> 'merged'"
        + who
    )
    meetings = (
        "SELECT "
        + columns.format(day=meeting_day, time="a.occurred_at", follow_up="0")
        + " "
        + joins
        + "WHERE a.done_at IS NULL AND a.kind = 'meeting' AND a.due_date IS NULL "
        "AND a.occurred_at >= ? AND c.status <> 'merged'" + who
    )
    params: list[Any] = [*who_params, meeting_param, _local_midnight_utc(day), *who_params]
    sql = f"SELECT * FROM ({follow_ups} UNION ALL {meetings}) agenda"
    if flt.until is not None:
        sql += " WHERE agenda_day <= ?"
        params.append(flt.until.isoformat())
    return sql, params


def count_agenda(flt: AgendaFilter) -> int:
    sql, params = _query(flt)
    return int(execute(f"SELECT COUNT(*) FROM ({sql}) counted", params).fetchone()[0])


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _local_time(value: object) -> str:
    if not value:
        return ""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=dt.UTC).astimezone().strftime("%H:%M")


def list_agenda(flt: AgendaFilter, offset: int = 0, limit: int | None = 200) -> list[AgendaItem]:
    """The agenda in date order (overdue first); within a day follow-ups, then meetings by time."""
    sql, params = _query(flt)
    sql += " ORDER BY agenda_day, 11 DESC, 12, 1"  # to-dos of a day first, then meetings
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params = [*params, limit, offset]
    day = flt.day()
    items = []
    for r in execute(sql, params):
        due = _as_date(r[4])
        status = "overdue" if due < day else "today" if due == day else "upcoming"
        items.append(
            AgendaItem(
                activity_id=r[0],
                version=r[1],
                client_id=r[2],
                client=r[3],
                due_date=due,
                time=_local_time(r[5]),
                kind=r[6],
                subject=(r[7] or "").split("\n", 1)[0],
                contact=r[8] or "",
                author=r[9],
                status=status,
                is_follow_up=bool(r[10]),
            )
        )
    return items


def agenda_rows(flt: AgendaFilter) -> Iterator[dict[str, Any]]:
    """The agenda as report rows (keys of REPORT_COLUMNS)."""
    offset = 0
    while True:
        page = list_agenda(flt, offset, 1000)
        for item in page:
            yield {
                "due_date": item.due_date,
                "client": item.client,
                "client_id": item.client_id,
                "kind": item.kind,
                "subject": item.subject,
                "contact": item.contact,
                "author": item.author,
                "status": item.status,
            }
        if len(page) < 1000:
            return
        offset += 1000
