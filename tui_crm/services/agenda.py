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

from ..db import execute
from ..i18n import N_
from .session import login

STATUSES = ("overdue", "today", "upcoming")
STATUS_LABELS = {"overdue": N_("overdue"), "today": N_("today"), "upcoming": N_("upcoming")}
REPORT_COLUMNS = (
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
    minutes: int | None = None  # a meeting's length; None for follow-ups

    @property
    def end(self) -> str:
        """A meeting's local end "HH:MM" ("+1" when it ends the next day); "" untimed."""
        if not self.time or self.minutes is None:
            return ""
        start = dt.datetime.combine(self.due_date, dt.time.fromisoformat(self.time))
        end = start + dt.timedelta(minutes=self.minutes)
        days = (end.date() - start.date()).days
        return end.strftime("%H:%M") + (f" +{days}" if days else "")


def _local_midnight_utc(day: dt.date) -> str:
    local = dt.datetime.combine(day, dt.time(0, 0)).astimezone()
    return local.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")


def _conditions(flt: AgendaFilter) -> tuple[str, list[Any], str, list[Any]]:
    """WHERE clauses (and parameters) of the open follow-ups and of the planned meetings.

    Each matches a partial index of migration 0004, so both are index walks. Entries of
    merged-away clients need no test: a merge moves them to the surviving client.
    """
    who, who_params = "", []
    if not flt.everyone:
        who, who_params = " AND a.author = ?", [flt.login or login()]
    follow = "a.done_at IS NULL AND a.due_date IS NOT NULL" + who
    follow_params: list[Any] = list(who_params)
    meeting = (
        # COALESCE: keeps SQLite on the meetings' partial index, not the (due_date, done_at)
        # index that holds every undated entry
        "a.done_at IS NULL AND a.kind = 'meeting' AND COALESCE(a.due_date, NULL) IS NULL "
        "AND a.occurred_at >= ?" + who
    )
    meeting_params: list[Any] = [_local_midnight_utc(flt.day()), *who_params]
    if flt.until is not None:
        follow += " AND a.due_date <= ?"
        follow_params.append(flt.until.isoformat())
        meeting += " AND a.occurred_at < ?"
        meeting_params.append(_local_midnight_utc(flt.until + dt.timedelta(days=1)))
    return follow, follow_params, meeting, meeting_params


def count_agenda(flt: AgendaFilter) -> int:
    follow, follow_params, meeting, meeting_params = _conditions(flt)
    row = execute(
        f"SELECT (SELECT COUNT(*) FROM activity a WHERE {follow}), "
        f"(SELECT COUNT(*) FROM activity a WHERE {meeting})",
        [*follow_params, *meeting_params],
    ).fetchone()
    return int(row[0]) + int(row[1])


_COLUMNS = (
    "SELECT a.id, a.version, a.client_id, c.legal_name, a.due_date, a.occurred_at, a.kind, "
    "CASE WHEN a.subject <> '' THEN a.subject ELSE substr(a.body, 1, 200) END, "
    "TRIM(COALESCE(ct.first_name, '') || ' ' || COALESCE(ct.last_name, '')), a.author, "
    "a.duration_minutes "
    "FROM activity a JOIN client c ON c.id = a.client_id "
    "LEFT JOIN contact ct ON ct.id = a.contact_id "
)


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _moment(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def list_agenda(flt: AgendaFilter, offset: int = 0, limit: int | None = 200) -> list[AgendaItem]:
    """The agenda in date order (overdue first); within a day follow-ups, then meetings by time.

    Follow-ups and meetings are read in their own index order, as many as the page
    needs, and merged here.
    """
    follow, follow_params, meeting, meeting_params = _conditions(flt)
    page = ""
    page_params: list[Any] = []
    if limit is not None:
        page = " LIMIT ?"
        page_params = [offset + limit]
    rows = [
        (True, r)
        for r in execute(
            f"{_COLUMNS}WHERE {follow} ORDER BY a.due_date, a.occurred_at, a.id{page}",
            [*follow_params, *page_params],
        )
    ] + [
        (False, r)
        for r in execute(
            f"{_COLUMNS}WHERE {meeting} ORDER BY a.occurred_at, a.id{page}",
            [*meeting_params, *page_params],
        )
    ]
    day = flt.day()
    items = []
    for is_follow_up, r in rows:
        moment = _moment(r[5])
        local = moment.replace(tzinfo=dt.UTC).astimezone()
        due = _as_date(r[4]) if is_follow_up else local.date()
        status = "overdue" if due < day else "today" if due == day else "upcoming"
        items.append(
            AgendaItem(
                activity_id=r[0],
                version=r[1],
                client_id=r[2],
                client=r[3],
                due_date=due,
                time="" if is_follow_up else local.strftime("%H:%M"),
                kind=r[6],
                subject=(r[7] or "").split("\n", 1)[0],
                contact=r[8] or "",
                author=r[9],
                status=status,
                is_follow_up=is_follow_up,
                # a meeting planned before m0014 has no length: services.meetings' 60
                minutes=None if is_follow_up else int(r[10] or 60),
            )
        )
    items.sort(key=lambda i: (i.due_date, not i.is_follow_up, i.time, i.activity_id))
    end = None if limit is None else offset + limit
    return items[offset:end]


def agenda_rows(flt: AgendaFilter) -> Iterator[dict[str, Any]]:
    """The agenda as report rows (keys of REPORT_COLUMNS), in the screen's order: by day,
    the untimed follow-ups first, then the meetings by their local start."""
    offset = 0
    while True:
        page = list_agenda(flt, offset, 1000)
        for item in page:
            yield {
                "due_date": item.due_date,
                "time": item.time,
                "minutes": item.minutes,
                "end": item.end,
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
