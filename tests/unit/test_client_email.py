"""Any email from the client file: several contacts, copies to colleagues, the client's
documents and files from disk, a general template or blank; through a real SMTP server
on localhost, parsed back; and `tui-crm send email` as a person runs it."""

from __future__ import annotations

import pytest
from invoicing_support import make_client, set_issuer
from smtp_support import keyring_env, smtp_server

from tui_crm.db import execute
from tui_crm.services import client_email, contacts, documents, email, settings, users
from tui_crm.services.errors import ValidationError

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture
def office(db, keyring_backend):
    set_issuer()
    client_id = make_client()
    contacts.create_contact(
        client_id,
        contacts.ContactData(first_name="Lucía", last_name="Fernández", email="lucia@pm.es",
                             is_billing=True),
    )  # fmt: skip
    contacts.create_contact(
        client_id, contacts.ContactData(first_name="Pedro", last_name="Ruiz", email="pedro@pm.es")
    )
    users.add_user("marta", "sales", "Marta Gómez")
    users.set_details("marta", "Marta Gómez", "marta@disenonunez.es")
    users.add_user("sinmail", "sales", "Sin Correo")
    doc = documents.add_document(
        "Catálogo 2026 ñ".encode(), "catálogo.txt", mime="text/plain", client_id=client_id
    )
    return {"client_id": client_id, "doc": doc}


def configure(server) -> None:
    settings.set_many(
        {
            "smtp.host": server.host,
            "smtp.port": str(server.port),
            "smtp.security": "none",
            "smtp.user": "",
            "smtp.from": "Ana Núñez <ana@disenonunez.es>",
        }
    )


def test_colleagues_are_the_users_with_an_email(office) -> None:
    assert [c.login for c in client_email.colleagues()] == ["marta"]


def test_email_to_two_contacts_with_copy_files_and_utf8(office, tmp_path) -> None:
    folleto = tmp_path / "folleto año.pdf"
    folleto.write_bytes(b"%PDF-1.4 folleto")
    with smtp_server(tmp_path) as server:
        configure(server)
        draft = client_email.compose_general(
            office["client_id"],
            to=["lucia@pm.es", "PEDRO@pm.es"],
            cc=["marta"],
            template="general",
            language="es",
            document_ids=[office["doc"]],
            paths=[str(folleto)],
        )
        assert draft.subject.startswith(settings.get("company.name"))
        assert draft.body.startswith("Hola, Lucía Fernández:")
        draft = email.EmailDraft(**{**draft.__dict__, "subject": "Reunión del año: ¿jueves?"})
        result = client_email.send_general(draft)
    assert result.sent
    [received] = server.messages
    assert sorted(received.rcpt_tos) == ["lucia@pm.es", "marta@disenonunez.es", "pedro@pm.es"]
    message = received.message
    assert message["Subject"] == "Reunión del año: ¿jueves?"
    assert "lucia@pm.es" in message["To"] and "pedro@pm.es" in message["To"]
    assert "Lucía Fernández" in str(message["To"])
    assert "marta@disenonunez.es" in message["Cc"] and message["Bcc"] is None
    body = message.get_body(("plain",)).get_content()
    assert "Hola, Lucía Fernández:" in body
    files = {
        part.get_filename(): (part.get_content_type(), part.get_payload(decode=True))
        for part in message.iter_attachments()
    }
    assert files == {
        "catálogo.txt": ("text/plain", "Catálogo 2026 ñ".encode()),
        "folleto año.pdf": ("application/pdf", b"%PDF-1.4 folleto"),
    }
    # On the timeline: an email, sent, with its subject; the copy and files in the audit.
    row = execute(
        "SELECT kind, email_status, subject, outcome FROM activity WHERE id = ?",
        (result.activity_id,),
    ).fetchone()
    assert row[:3] == ("email", "sent", "Reunión del año: ¿jueves?")
    assert "pedro@pm.es" in row[3]
    changes = execute(
        "SELECT changes FROM audit_log WHERE entity = 'activity' AND entity_id = ? "
        "AND action = 'create'",
        (str(result.activity_id),),
    ).fetchone()[0]
    assert "marta@disenonunez.es" in changes and "folleto" in changes


def test_blank_email_needs_a_subject_and_a_text(office, tmp_path) -> None:
    with smtp_server(tmp_path) as server:
        configure(server)
        draft = client_email.compose_general(office["client_id"])
        assert draft.recipient.email == "lucia@pm.es" and draft.body == ""
        with pytest.raises(ValidationError) as refused:
            client_email.send_general(draft)
    assert set(refused.value.errors) == {"subject", "body"}
    assert server.messages == []
    assert execute("SELECT COUNT(*) FROM activity WHERE kind = 'email'").fetchone()[0] == 0


def test_bad_copies_and_foreign_documents_are_refused(office, tmp_path) -> None:
    with pytest.raises(ValidationError) as refused:
        client_email.compose_general(office["client_id"], cc=["sinmail"])
    assert "sinmail" in refused.value.errors["cc"]
    foreign = documents.add_document(b"x", "ajeno.txt", client_id=None)
    with pytest.raises(ValidationError) as refused:
        client_email.compose_general(office["client_id"], document_ids=[foreign])
    assert "attach" in refused.value.errors
    with pytest.raises(ValidationError):
        client_email.compose_general(office["client_id"], paths=[str(tmp_path / "nada.pdf")])
    with pytest.raises(ValidationError) as refused:
        client_email.compose_general(office["client_id"], template="invoice")
    assert "template" in refused.value.errors


def test_cli_send_email(cli, office, db, tmp_path) -> None:
    env = keyring_env(tmp_path)
    body = tmp_path / "texto.txt"
    body.write_text("Hola a los dos:\n\nOs paso el catálogo.\n", encoding="utf-8")
    attach = tmp_path / "tarifa.csv"
    attach.write_text("a;b\n", encoding="utf-8")
    tax_id = execute("SELECT tax_id FROM client WHERE id = ?", (office["client_id"],)).fetchone()[0]
    with smtp_server(tmp_path) as server:
        for key, value in (
            ("smtp.host", server.host),
            ("smtp.port", str(server.port)),
            ("smtp.security", "none"),
            ("smtp.from", "ana@disenonunez.es"),
        ):
            assert cli("--db", db, "config", "set", key, value, env=env).returncode == 0
        base = ["--db", db, "send", "email", "--client", tax_id, "--to", "lucia@pm.es",
                "--to", "pedro@pm.es", "--cc", "marta", "--subject", "Catálogo",
                "--body-file", str(body), "--attach", str(attach)]  # fmt: skip
        preview = cli(*base, "--dry-run", env=env)
        assert preview.returncode == 0, preview.stderr
        assert "Cc: Marta Gómez <marta@disenonunez.es>" in preview.stdout
        assert "tarifa.csv" in preview.stdout and server.messages == []
        sent = cli(*base, env=env)
        assert sent.returncode == 0, sent.stderr
        missing = cli("--db", db, "send", "email", "--to", "x@y.es", env=env)
        unknown = cli("--db", db, "send", "email", "--client", "X0000000T", env=env)
        bad_file = cli("--db", db, "send", "email", "--client", tax_id, "--body-file",
                       str(tmp_path / "no.txt"), env=env)  # fmt: skip
    [received] = server.messages
    assert sorted(received.rcpt_tos) == ["lucia@pm.es", "marta@disenonunez.es", "pedro@pm.es"]
    assert "Os paso el catálogo." in received.message.get_body(("plain",)).get_content()
    assert [p.get_filename() for p in received.message.iter_attachments()] == ["tarifa.csv"]
    for result in (missing, unknown, bad_file):
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert "--client" in missing.stderr
