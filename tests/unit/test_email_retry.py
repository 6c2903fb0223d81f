"""A failed email from the client file, or a meeting's invitation or cancellation, is
sent again exactly as it was composed (recipients, copies, subject, text, the files
with the bytes they had then, the .ics): through a real SMTP server on localhost that
is first down (or refusing), then up; the retry lands on the same timeline entry."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar
from invoicing_support import make_client, set_issuer
from smtp_support import keyring_env, smtp_server

from tui_crm.db import execute
from tui_crm.services import client_email, contacts, documents, email, meetings, settings, users
from tui_crm.services.errors import RuleViolation
from tui_crm.services.session import login

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture
def office(db, keyring_backend):
    set_issuer()
    client_id = make_client()
    lucia = contacts.create_contact(
        client_id,
        contacts.ContactData(first_name="Lucía", last_name="Fernández", email="lucia@pm.es",
                             is_billing=True),
    )  # fmt: skip
    contacts.create_contact(
        client_id, contacts.ContactData(first_name="Pedro", last_name="Ruiz", email="pedro@pm.es")
    )
    users.add_user("marta", "sales", "Marta Gómez")
    users.set_details("marta", "Marta Gómez", "marta@disenonunez.es")
    users.set_details(login(), "Ana Núñez", "ana@disenonunez.es")
    doc = documents.add_document(
        "Catálogo 2026 ñ".encode(), "catálogo.txt", mime="text/plain", client_id=client_id
    )
    return {"client_id": client_id, "doc": doc, "lucia": lucia}


def configure(host: str, port: int) -> None:
    settings.set_many(
        {
            "smtp.host": host,
            "smtp.port": str(port),
            "smtp.security": "none",
            "smtp.user": "",
            "smtp.from": "Ana Núñez <ana@disenonunez.es>",
        }
    )


def timeline_emails(client_id: int) -> list[tuple]:
    return execute(
        "SELECT id, email_status, subject FROM activity WHERE client_id = ? AND kind = 'email'",
        (client_id,),
    ).fetchall()


def attachments_of(message) -> dict[str, bytes]:
    return {p.get_filename(): p.get_payload(decode=True) for p in message.iter_attachments()}


def test_general_email_failed_while_server_down_is_retried_as_composed(office, tmp_path) -> None:
    leaflet = tmp_path / "folleto.pdf"
    leaflet.write_bytes(b"%PDF-1.4 first version")
    with smtp_server(tmp_path) as stopped:
        host, port = stopped.host, stopped.port
    configure(host, port)  # the server is down now: nothing listens there
    draft = client_email.compose_general(
        office["client_id"],
        to=["lucia@pm.es", "pedro@pm.es"],
        cc=["marta", "socio@otra.es"],
        subject="Catálogo y folleto",
        body="Hola:\n\nOs paso el catálogo y el folleto.\n",
        document_ids=[office["doc"]],
        paths=[str(leaflet)],
    )
    failed = client_email.send_general(draft)
    assert not failed.sent and "refused the connection" in failed.reason
    # The file on disk changes, and goes, after composing: the retry sends what was chosen.
    leaflet.write_bytes(b"%PDF-1.4 changed afterwards")
    leaflet.unlink()
    stored = email.stored_draft(failed.activity_id)
    assert [r.email for r in stored.all_to] == ["lucia@pm.es", "pedro@pm.es"]
    assert [r.email for r in stored.cc] == ["marta@disenonunez.es", "socio@otra.es"]
    assert stored.attachments == ("catálogo.txt", "folleto.pdf")
    with smtp_server(tmp_path) as server:
        configure(server.host, server.port)
        result = email.retry_email(failed.activity_id)
        assert result.sent and result.activity_id == failed.activity_id
        with pytest.raises(RuleViolation, match="already sent"):
            email.retry_email(failed.activity_id)
    [received] = server.messages  # once, never twice
    assert sorted(received.rcpt_tos) == [
        "lucia@pm.es",
        "marta@disenonunez.es",
        "pedro@pm.es",
        "socio@otra.es",
    ]
    message = received.message
    assert message["Subject"] == "Catálogo y folleto"
    assert "socio@otra.es" in message["Cc"] and "pedro@pm.es" in message["To"]
    assert "Os paso el catálogo" in message.get_body(("plain",)).get_content()
    assert attachments_of(message) == {
        "catálogo.txt": "Catálogo 2026 ñ".encode(),
        "folleto.pdf": b"%PDF-1.4 first version",
    }
    assert (
        message["Message-ID"]
        == execute(
            "SELECT message_id FROM activity WHERE id = ?", (failed.activity_id,)
        ).fetchone()[0]
    )
    # One entry on the timeline, sent; its kept files are dropped once it went.
    assert timeline_emails(office["client_id"]) == [
        (failed.activity_id, "sent", "Catálogo y folleto")
    ]
    assert execute("SELECT COUNT(*) FROM email_attachment").fetchone()[0] == 0
    assert (
        execute(
            "SELECT attempts FROM email_message WHERE activity_id = ?", (failed.activity_id,)
        ).fetchone()[0]
        == 2
    )


def test_email_being_sent_right_now_is_not_sent_twice(office, tmp_path) -> None:
    with smtp_server(tmp_path) as stopped:
        host, port = stopped.host, stopped.port
    configure(host, port)
    draft = client_email.compose_general(
        office["client_id"], to=["lucia@pm.es"], subject="Hola", body="Texto"
    )
    failed = client_email.send_general(draft)
    # A colleague's retry has just started (the entry is a draft, attempted a second ago).
    execute("UPDATE activity SET email_status = 'draft' WHERE id = ?", (failed.activity_id,))
    with smtp_server(tmp_path) as server:
        configure(server.host, server.port)
        with pytest.raises(RuleViolation, match="being sent right now"):
            email.retry_email(failed.activity_id)
        # An attempt interrupted long ago (a crash) may be taken up again.
        long_ago = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=1)
        execute(
            "UPDATE email_message SET last_attempt_at = ? WHERE activity_id = ?",
            (long_ago.isoformat(" "), failed.activity_id),
        )
        assert email.retry_email(failed.activity_id).sent
    assert len(server.messages) == 1


def test_email_from_before_its_files_were_kept_must_be_written_anew(office, tmp_path) -> None:
    with smtp_server(tmp_path) as stopped:
        host, port = stopped.host, stopped.port
    configure(host, port)
    draft = client_email.compose_general(
        office["client_id"], to=["lucia@pm.es"], subject="Hola", body="Texto"
    )
    failed = client_email.send_general(draft)
    execute("UPDATE email_message SET more_to = '', cc = '' WHERE activity_id = ?",
            (failed.activity_id,))  # fmt: skip
    with pytest.raises(RuleViolation, match="writing it anew"):
        email.stored_draft(failed.activity_id)


def plan_meeting(office) -> int:
    start = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0) + dt.timedelta(days=2)
    return meetings.create_meeting(
        office["client_id"],
        meetings.MeetingData(
            subject="Revisión",
            start=start,
            duration_minutes=45,
            place="Oficina",
            contact_ids=[office["lucia"]],
            colleagues=["marta"],
        ),
    )


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_refused_invitation_is_retried_with_the_same_ics(office, tmp_path, method) -> None:
    activity_id = plan_meeting(office)
    if method == "CANCEL":
        meetings.cancel_meeting(activity_id)
    with smtp_server(tmp_path, refuse=("lucia@pm.es",)) as refusing:
        configure(refusing.host, refusing.port)
        failed = meetings.send_invitation(activity_id, method)
    assert not failed.sent and "lucia@pm.es" in failed.reason
    # The first attendee was refused; the copy reached the other, who is left out of the
    # retry (and would see the same invitation: the same UID and SEQUENCE).
    assert [m.rcpt_tos for m in refusing.messages] == [["marta@disenonunez.es"]]
    sent_ics = email.stored_draft(failed.activity_id).files[0][2]
    with smtp_server(tmp_path) as server:
        configure(server.host, server.port)
        result = email.retry_email(failed.activity_id)
    assert result.sent and result.activity_id == failed.activity_id
    [received] = server.messages
    assert received.rcpt_tos == ["lucia@pm.es"]
    [part] = list(received.message.iter_attachments())
    assert part.get_param("method") == method
    assert part.get_content().encode() == sent_ics
    cal = Calendar.from_ical(part.get_content().encode())
    assert str(cal["method"]) == method
    [event] = cal.walk("VEVENT")
    assert str(event["uid"]) == meetings.get_meeting(activity_id).uid
    statuses = [s for _id, s, _subject in timeline_emails(office["client_id"])]
    assert statuses == ["sent"]


def test_cli_send_retry_of_a_general_email(cli, office, db, tmp_path) -> None:
    env = keyring_env(tmp_path)
    attach = tmp_path / "tarifa.csv"
    attach.write_text("a;b\n", encoding="utf-8")
    body = tmp_path / "texto.txt"
    body.write_text("Hola:\n\nOs paso la tarifa.\n", encoding="utf-8")
    tax_id = execute("SELECT tax_id FROM client WHERE id = ?", (office["client_id"],)).fetchone()[0]
    with smtp_server(tmp_path) as stopped:
        host, port = stopped.host, stopped.port
    for key, value in (("smtp.host", host), ("smtp.port", str(port)), ("smtp.security", "none"),
                       ("smtp.from", "ana@disenonunez.es")):  # fmt: skip
        assert cli("--db", db, "config", "set", key, value, env=env).returncode == 0
    first = cli("--db", db, "send", "email", "--client", tax_id, "--to", "lucia@pm.es",
                "--to", "pedro@pm.es", "--cc", "marta", "--subject", "Tarifa",
                "--body-file", str(body), "--attach", str(attach), env=env)  # fmt: skip
    assert first.returncode == 1 and "send retry" in first.stderr
    [(entry, status, _subject)] = timeline_emails(office["client_id"])
    assert status == "failed"
    attach.unlink()
    preview = cli("--db", db, "send", "retry", str(entry), "--dry-run", env=env)
    assert preview.returncode == 0, preview.stderr
    assert "pedro@pm.es" in preview.stdout and "Cc: Marta Gómez" in preview.stdout
    assert "tarifa.csv" in preview.stdout
    with smtp_server(tmp_path) as server:
        assert cli("--db", db, "config", "set", "smtp.port", str(server.port),
                   env=env).returncode == 0  # fmt: skip
        again = cli("--db", db, "send", "retry", str(entry), env=env)
        twice = cli("--db", db, "send", "retry", str(entry), env=env)
    assert again.returncode == 0, again.stderr
    assert twice.returncode == 1 and "already sent" in twice.stderr
    assert len(twice.stderr.strip().splitlines()) == 1
    [received] = server.messages
    assert sorted(received.rcpt_tos) == ["lucia@pm.es", "marta@disenonunez.es", "pedro@pm.es"]
    assert attachments_of(received.message) == {"tarifa.csv": b"a;b\n"}
    assert [s for _id, s, _subject in timeline_emails(office["client_id"])] == ["sent"]


def test_copies_a_refused_email_reached_are_left_out_of_its_retry(office, tmp_path) -> None:
    """The server refuses the main recipient and takes the copies: they have the email,
    so sending it again goes to the main recipient alone, and says so."""
    draft = client_email.compose_general(
        office["client_id"],
        to=["lucia@pm.es", "pedro@pm.es"],
        cc=["socio@otra.es"],
        subject="Presupuesto revisado",
        body="Hola:\n\nOs paso el presupuesto revisado.\n",
    )
    with smtp_server(tmp_path, refuse=("lucia@pm.es",)) as refusing:
        configure(refusing.host, refusing.port)
        failed = client_email.send_general(draft)
    assert not failed.sent
    assert "lucia@pm.es" in failed.reason
    assert "pedro@pm.es, socio@otra.es" in failed.reason and "not sent again" in failed.reason
    [first] = refusing.messages
    assert sorted(first.rcpt_tos) == ["pedro@pm.es", "socio@otra.es"]
    with smtp_server(tmp_path) as server:
        configure(server.host, server.port)
        result = email.retry_email(failed.activity_id)
    assert result.sent and result.activity_id == failed.activity_id
    [received] = server.messages
    assert received.rcpt_tos == ["lucia@pm.es"]  # the others had it already
    # The headers still name everyone: it is the same email, with the same Message-ID.
    assert "pedro@pm.es" in received.message["To"] and "socio@otra.es" in received.message["Cc"]
    assert received.message["Message-ID"] == first.message["Message-ID"]
    assert "pedro@pm.es, socio@otra.es" in result.note and "earlier attempt" in result.note
    outcome = execute(
        "SELECT outcome FROM activity WHERE id = ?", (failed.activity_id,)
    ).fetchone()[0]
    assert outcome.startswith("sent to lucia@pm.es, pedro@pm.es") and "earlier attempt" in outcome


def test_a_retry_that_fails_again_keeps_whom_the_attempts_reached(office, tmp_path) -> None:
    draft = client_email.compose_general(
        office["client_id"], to=["lucia@pm.es"], cc=["socio@otra.es"], subject="S", body="B\n"
    )
    with smtp_server(tmp_path, refuse=("lucia@pm.es",)) as refusing:
        configure(refusing.host, refusing.port)
        failed = client_email.send_general(draft)
        again = email.retry_email(failed.activity_id)  # refused again: the copy is not resent
    assert not failed.sent and not again.sent
    assert [m.rcpt_tos for m in refusing.messages] == [["socio@otra.es"]]  # once
    with smtp_server(tmp_path) as server:
        configure(server.host, server.port)
        assert email.retry_email(failed.activity_id).sent
    assert [m.rcpt_tos for m in server.messages] == [["lucia@pm.es"]]


def test_a_copy_refused_while_the_email_went_is_told(cli, office, db, tmp_path) -> None:
    env = keyring_env(tmp_path)
    body = tmp_path / "texto.txt"
    body.write_text("Hola\n", encoding="utf-8")
    tax_id = execute("SELECT tax_id FROM client WHERE id = ?", (office["client_id"],)).fetchone()[0]
    with smtp_server(tmp_path, refuse=("socio@otra.es",)) as server:
        settings_ = {
            "smtp.host": server.host,
            "smtp.port": str(server.port),
            "smtp.security": "none",
            "smtp.from": "ana@disenonunez.es",
        }
        for key, value in settings_.items():
            assert cli("--db", db, "config", "set", key, value, env=env).returncode == 0
        sent = cli("--db", db, "send", "email", "--client", tax_id, "--to", "lucia@pm.es",
                   "--cc", "socio@otra.es", "--subject", "Tarifa", "--body-file", str(body),
                   env=env)  # fmt: skip
    assert sent.returncode == 0, sent.stderr  # it went
    assert "sent to lucia@pm.es" in sent.stdout
    [warning] = sent.stderr.strip().splitlines()
    assert warning.startswith("tui-crm: warning: ")
    assert "refused the recipient socio@otra.es" in warning
    [received] = server.messages
    assert received.rcpt_tos == ["lucia@pm.es"]
    [(entry, status, _subject)] = timeline_emails(office["client_id"])
    outcome = execute("SELECT outcome FROM activity WHERE id = ?", (entry,)).fetchone()[0]
    assert status == "sent" and "socio@otra.es" in outcome
