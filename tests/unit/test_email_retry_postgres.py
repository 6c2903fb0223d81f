"""Migration 20 on PostgreSQL: a failed email's copies and files (BYTEA) are kept and sent
again as composed, through a real SMTP server on localhost; the agenda's time columns
and the expense pickers' SQL run on PostgreSQL too."""

from __future__ import annotations

import datetime as dt

import pytest
from invoicing_support import make_client, set_issuer
from postgres_support import fresh_schema
from smtp_support import MemoryKeyring, smtp_server

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("postgres")]


def test_email_retry_agenda_times_and_pickers_on_postgresql(pg_url, app_env, tmp_path) -> None:
    import keyring

    from tui_crm.db import execute
    from tui_crm.services import (
        client_email,
        contacts,
        email,
        expenses,
        pg_roles,
        projects,
        reports,
        settings,
        timeline,
    )
    from tui_crm.services.agenda import AgendaFilter

    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        with fresh_schema(pg_url):
            set_issuer()
            client = make_client()
            contacts.create_contact(
                client,
                contacts.ContactData(first_name="Lucía", email="lucia@pm.es", is_billing=True),
            )
            data = bytes(range(256)) * 4  # every byte value: BYTEA keeps them all
            leaflet = tmp_path / "folleto.bin"
            leaflet.write_bytes(data)
            with smtp_server(tmp_path) as stopped:
                host, port = stopped.host, stopped.port

            def use(at_port: int) -> None:
                settings.set_many({"smtp.host": host, "smtp.port": str(at_port),
                                   "smtp.security": "none", "smtp.user": "",
                                   "smtp.from": "ana@disenonunez.es"})  # fmt: skip

            use(port)
            draft = client_email.compose_general(
                client, to=["lucia@pm.es"], cc=["otro@pm.es"], subject="Folleto", body="Adjunto.",
                paths=[str(leaflet)],
            )  # fmt: skip
            failed = client_email.send_general(draft)
            assert not failed.sent
            leaflet.unlink()
            with smtp_server(tmp_path) as server:
                use(server.port)
                assert email.retry_email(failed.activity_id).sent
            [received] = server.messages
            assert sorted(received.rcpt_tos) == ["lucia@pm.es", "otro@pm.es"]
            [part] = list(received.message.iter_attachments())
            assert part.get_payload(decode=True) == data
            assert execute("SELECT COUNT(*) FROM email_attachment").fetchone()[0] == 0
            assert "email_attachment" in pg_roles.SALES_TABLES

            start = dt.datetime.now(dt.UTC).replace(tzinfo=None, second=0, microsecond=0)
            meeting = timeline.create_activity(
                client,
                timeline.ActivityData(
                    kind="meeting", subject="Visita", occurred_at=start + dt.timedelta(days=1)
                ),
            )
            execute("UPDATE activity SET duration_minutes = 45 WHERE id = ?", (meeting,))
            [row] = [r for r in reports.agenda_rows(AgendaFilter()) if r["subject"] == "Visita"]
            assert row["minutes"] == 45 and len(row["time"]) == 5 and len(row["end"]) >= 5

            web = projects.create_project(client, projects.ProjectData(name="Web"))
            assert [p.id for p in expenses.project_picks()] == [web]
            assert [p.id for p in expenses.project_picks(client)] == [web]
            assert expenses.document_picks() == []
    finally:
        keyring.set_keyring(previous)
