"""Issue 17's second part on PostgreSQL: migration 14's columns and table, the meetings and
their invitation, the leads' board and the home screen's figures (their SQL has to run on
both dialects)."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar
from invoicing_support import make_client, set_issuer
from postgres_support import fresh_schema

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("postgres")]


def test_meetings_leads_and_dashboard_on_postgresql(pg_url, app_env) -> None:
    from tui_crm.services import contacts, dashboard, leads, meetings, pg_roles, users

    with fresh_schema(pg_url):
        set_issuer()
        lead = make_client("Ana Lead SL", "B60889649", kind="lead")
        client = make_client()
        lucia = contacts.create_contact(
            client, contacts.ContactData(first_name="Lucía", email="lucia@pm.es")
        )
        users.add_user("marta", "sales", "Marta Gómez")
        users.set_details("marta", "Marta Gómez", "marta@disenonunez.es")
        start = dt.datetime.combine(dt.date.today() + dt.timedelta(days=1), dt.time(9, 0))
        meeting = meetings.create_meeting(
            client,
            meetings.MeetingData(subject="Revisión", start=start, duration_minutes=30,
                                 place="Jaén", contact_ids=[lucia], colleagues=["marta"]),
        )  # fmt: skip
        event = Calendar.from_ical(meetings.invitation(meeting)).walk("VEVENT")[0]
        assert sorted(str(a) for a in event["attendee"]) == [
            "mailto:lucia@pm.es",
            "mailto:marta@disenonunez.es",
        ]
        assert meetings.get_meeting(meeting).place == "Jaén"
        assert leads.advance_lead(lead) == "contacted"
        leads.move_lead(lead, "lost", "precio")
        assert leads.count_by_stage()["lost"] == 1
        leads.move_lead(lead, "qualified")
        leads.convert_lead(lead)
        whole = dashboard.dashboard()
        assert whole.leads == {"new": 0, "contacted": 0, "qualified": 0, "lost": 0}
        assert whole.follow_ups.overdue == 0
        assert whole.concentration.client_id is None  # no revenue yet
        assert "activity_attendee" in pg_roles.SALES_TABLES
