"""`tui-crm report agenda` and `tui-crm export agenda` carry a meeting's start, length and
end, by day then hour, the untimed follow-ups first in their day (as on the F3 screen),
in every format: plain, github, csv, json and the xlsx export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from invoicing_support import make_client

from tui_crm.services import reports, timeline
from tui_crm.services.agenda import AgendaFilter
from tui_crm.services.timeline import ActivityData

DAY = dt.date.today() + dt.timedelta(days=3)
NEXT = DAY + dt.timedelta(days=1)


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A local wall-clock time as the naive UTC the database stores."""
    moment = dt.datetime.combine(day, dt.time(hour, minute)).astimezone()
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


@pytest.fixture
def planned(db):
    cid = make_client()

    def meeting(subject: str, start: dt.datetime, minutes: int) -> int:
        aid = timeline.create_activity(
            cid, ActivityData(kind="meeting", subject=subject, occurred_at=start)
        )
        from tui_crm.db import execute

        execute("UPDATE activity SET duration_minutes = ? WHERE id = ?", (minutes, aid))
        return aid

    # Planned out of order: the report sorts them by day, then hour.
    meeting("Tarde", local(DAY, 16), 120)
    meeting("Noche", local(NEXT, 23, 30), 60)
    timeline.create_activity(cid, ActivityData(kind="task", subject="Llamar", due_date=DAY))
    meeting("Mañana", local(DAY, 9, 15), 30)
    timeline.create_activity(cid, ActivityData(kind="task", subject="Enviar", due_date=NEXT))
    return cid


EXPECTED = [
    # subject, date, time, minutes, end
    ("Llamar", DAY, "", None, ""),
    ("Mañana", DAY, "09:15", 30, "09:45"),
    ("Tarde", DAY, "16:00", 120, "18:00"),
    ("Enviar", NEXT, "", None, ""),
    ("Noche", NEXT, "23:30", 60, "00:30 +1"),
]


def test_agenda_rows_have_time_length_and_end_by_day_then_hour(planned) -> None:
    rows = list(reports.agenda_rows(AgendaFilter()))
    assert [(r["subject"], r["due_date"], r["time"], r["minutes"], r["end"]) for r in rows] == (
        EXPECTED
    )
    assert [c.key for c in reports.AGENDA_COLUMNS] == list(rows[0])


def test_report_agenda_time_in_every_format(planned, cli, db, tmp_path) -> None:
    got = cli("--db", db, "report", "agenda", "--format", "json")
    assert got.returncode == 0, got.stderr
    rows = json.loads(got.stdout)
    assert [(r["subject"], r["time"], r["minutes"], r["end"]) for r in rows] == [
        (s, t, m, e) for s, _d, t, m, e in EXPECTED
    ]
    got = cli("--db", db, "report", "agenda", "--format", "csv")
    table = list(csv.DictReader(io.StringIO(got.stdout)))
    assert list(table[0])[:4] == ["due_date", "time", "minutes", "end"]
    assert [(r["subject"], r["time"], r["minutes"], r["end"]) for r in table] == [
        (s, t, "" if m is None else str(m), e) for s, _d, t, m, e in EXPECTED
    ]
    for fmt in ("plain", "github"):
        got = cli("--db", db, "report", "agenda", "--format", fmt)
        assert got.returncode == 0, got.stderr
        lines = got.stdout.splitlines()
        header = next(line for line in lines if "Date" in line)
        assert header.index("Date") < header.index("Time") < header.index("Minutes")
        assert header.index("Minutes") < header.index("Ends") < header.index("Client")
        body = [line for line in lines if any(s in line for s, *_rest in EXPECTED)]
        assert [next(s for s, *_r in EXPECTED if s in line) for line in body] == [
            s for s, *_r in EXPECTED
        ]
        assert "09:15" in body[1] and "09:45" in body[1] and "00:30 +1" in body[4]
    out = tmp_path / "agenda.xlsx"
    got = cli("--db", db, "export", "agenda", "-o", str(out))
    assert got.returncode == 0, got.stderr
    from openpyxl import load_workbook

    sheet = load_workbook(out, read_only=True).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    header_row = next(i for i, r in enumerate(values) if "Time" in r)
    header = values[header_row]
    time_col, minutes_col, end_col = (
        header.index("Time"),
        header.index("Minutes"),
        header.index("Ends"),
    )
    subject_col = header.index("Subject")
    data = [r for r in values[header_row + 1 :] if r[subject_col]]
    assert [
        (r[subject_col], r[time_col] or "", r[minutes_col], r[end_col] or "") for r in data
    ] == [(s, t, m, e) for s, _d, t, m, e in EXPECTED]
