"""Email against a real SMTP server on localhost: headers, the PDF, TLS, failures kept as
drafts, the password only in the keyring, templates, and payment reminders."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from invoicing_support import make_client, set_issuer
from smtp_support import smtp_server

from tests.people import ME
from tui_crm.db import execute
from tui_crm.models import Activity, AuditLog, EmailMessage, PaymentReminder
from tui_crm.services import contacts, email, email_templates, invoices, quotes, secrets, settings
from tui_crm.services.errors import NotFound, RuleViolation, ValidationError
from tui_crm.services.lines import LineInput
from tui_crm.services.session import Actor, set_actor

PASSWORD = "Zq9-tu1crm-s3cr3t!"
# Reminders are sent now: their dates are real, so the invoices are dated around today.
T = dt.date.today()
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
D = __import__("decimal").Decimal


@pytest.fixture
def shop(db, keyring_backend):
    """The issuer, a client with a billing contact and another contact, an issued invoice."""
    set_issuer()
    settings.set_many({"company.iban": "ES91 2100 0418 4502 0005 1332"})
    client_id = make_client()
    contacts.create_contact(
        client_id, contacts.ContactData(first_name="Pedro", last_name="Ruiz", email="pedro@pm.es")
    )
    contacts.create_contact(
        client_id,
        contacts.ContactData(
            first_name="Lucía", last_name="Fernández", email="lucia@pm.es", is_billing=True
        ),
    )
    draft = invoices.create_draft(
        invoices.InvoiceDraftInput(
            client_id=client_id,
            lines=[
                LineInput(
                    description="Diseño web", quantity=D(1), unit_price=D(1000), vat_rate=D(21)
                )
            ],
            irpf_rate=D(15),
        )
    )
    issued = invoices.issue_invoice(draft, T - dt.timedelta(days=43))  # due T-13
    return {"client_id": client_id, "invoice_id": issued.id, "code": issued.code}


def configure(
    server, *, user: str | None = "ana", password: str | None = PASSWORD, **extra
) -> None:
    values = {
        "smtp.host": server.host,
        "smtp.port": str(server.port),
        "smtp.security": server.security,
        "smtp.user": user or "",
        "smtp.from": "Ana Núñez <ana@disenonunez.es>",
        "smtp.reply_to": "cobros@disenonunez.es",
        "smtp.bcc_self": "no",
    }
    values.update(extra)
    settings.set_many(values)
    if user and password:
        secrets.set_smtp_password(password)


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# --- sending -----------------------------------------------------------------------


def test_invoice_email_arrives_with_headers_and_pdf(shop, tmp_path) -> None:
    with smtp_server(tmp_path, users={"ana": PASSWORD}) as server:
        configure(server, **{"smtp.bcc_self": "yes"})
        draft = email.compose_invoice(shop["invoice_id"])
        assert draft.recipient.email == "lucia@pm.es"  # the billing contact first
        assert draft.language == "es"
        assert shop["code"] in draft.subject and "1.060,00\xa0€" in draft.body
        result = email.send(draft)
    assert result.sent and result.reason == ""
    [received] = server.messages
    assert received.login == "ana"
    assert received.mail_from == "ana@disenonunez.es"
    # the copy to self goes on the envelope only
    assert received.rcpt_tos == ["lucia@pm.es", "ana@disenonunez.es"]
    msg = received.message
    assert msg["From"] == "Ana Núñez <ana@disenonunez.es>"
    assert msg["To"] == "Lucía Fernández <lucia@pm.es>"
    assert msg["Reply-To"] == "cobros@disenonunez.es"
    assert msg["Bcc"] is None and b"Bcc" not in received.raw
    assert msg["Subject"] == draft.subject
    assert msg["Message-ID"] == result.message_id and result.message_id.endswith("@disenonunez.es>")
    assert "Lucía" in msg.get_body(("plain",)).get_content()
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"{shop['code']}.pdf"
    data = attachment.get_content()
    assert data.startswith(b"%PDF")
    assert shop["code"] in pdf_text(data)
    activity = Activity.get_by_id(result.activity_id)
    assert (activity.kind, activity.email_status) == ("email", "sent")
    assert activity.message_id == result.message_id
    assert activity.client_id == shop["client_id"] and activity.contact_id is not None
    assert activity.subject == draft.subject and activity.body == draft.body
    envelope = EmailMessage.get_by_id(result.activity_id)
    assert (envelope.purpose, envelope.invoice_id, envelope.to_addr) == (
        "invoice",
        shop["invoice_id"],
        "lucia@pm.es",
    )
    assert (
        AuditLog.select()
        .where((AuditLog.entity == "activity") & (AuditLog.action == "send"))
        .count()
        == 1
    )


def test_without_user_no_login_and_to_another_address(shop, tmp_path) -> None:
    with smtp_server(tmp_path) as server:
        configure(server, user=None)
        draft = email.compose_invoice(shop["invoice_id"], to="Pedro@PM.es", language="en")
        assert draft.recipient.name == "Pedro Ruiz"  # a typed address that is a contact
        assert draft.subject.startswith("Invoice ")
        assert "€1,060.00" in draft.body
        result = email.send(draft)
        other = email.send(email.compose_invoice(shop["invoice_id"], to="nadie@otro.es"))
    assert result.sent and other.sent
    assert [m.rcpt_tos for m in server.messages] == [["pedro@pm.es"], ["nadie@otro.es"]]
    assert server.messages[0].login is None


def test_starttls_with_a_self_signed_certificate(shop, tmp_path, monkeypatch) -> None:
    with smtp_server(tmp_path, security="starttls", users={"ana": PASSWORD}) as server:
        configure(server)
        untrusted = email.send(email.compose_invoice(shop["invoice_id"]))
        assert not untrusted.sent
        assert "certificate" in untrusted.reason and "verif" in untrusted.reason
        monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))  # trust the test's certificate
        trusted = email.retry_email(untrusted.activity_id)
    assert trusted.sent, trusted.reason
    assert trusted.activity_id == untrusted.activity_id
    assert trusted.message_id == untrusted.message_id  # the same email, sent again
    [received] = server.messages
    assert received.login == "ana"
    assert EmailMessage.get_by_id(trusted.activity_id).attempts == 2


def test_ssl_from_the_first_byte(shop, tmp_path, monkeypatch) -> None:
    with smtp_server(tmp_path, security="ssl", users={"ana": PASSWORD}) as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))
        configure(server)
        result = email.send(email.compose_invoice(shop["invoice_id"]))
    assert result.sent, result.reason
    assert len(server.messages) == 1


def test_wrong_password_keeps_a_failed_draft_with_the_reason(shop, tmp_path) -> None:
    with smtp_server(tmp_path, users={"ana": "the-real-one"}) as server:
        configure(server)
        result = email.send(email.compose_invoice(shop["invoice_id"]))
    assert not result.sent
    assert "refused the user name or password" in result.reason and "535" in result.reason
    assert PASSWORD not in result.reason
    assert server.messages == [] and server.auth_attempts
    assert set(server.auth_attempts) == {("ana", False)}
    activity = Activity.get_by_id(result.activity_id)
    assert activity.email_status == "failed"
    assert "535" in activity.outcome
    assert EmailMessage.get_by_id(result.activity_id).error == result.reason
    assert [e.activity_id for e in email.unsent_emails(shop["client_id"])] == [result.activity_id]


def test_refused_recipient_keeps_a_draft_and_retry_sends_it(shop, tmp_path) -> None:
    with smtp_server(tmp_path, refuse=("lucia@pm.es",)) as server:
        configure(server, user=None)
        result = email.send(email.compose_invoice(shop["invoice_id"]))
        assert not result.sent
        assert "lucia@pm.es" in result.reason and "550" in result.reason
        assert server.messages == []
    with smtp_server(tmp_path) as server:
        configure(server, user=None)
        again = email.retry_email(result.activity_id)
        assert again.sent
        with pytest.raises(RuleViolation, match="already sent"):
            email.retry_email(result.activity_id)
    assert len(server.messages) == 1
    assert Activity.get_by_id(result.activity_id).email_status == "sent"
    assert Activity.select().where(Activity.kind == "email").count() == 1


def test_unreachable_server_is_a_draft_too(shop, tmp_path) -> None:
    from smtp_support import _free_port

    settings.set_many(
        {"smtp.host": "127.0.0.1", "smtp.port": str(_free_port()), "smtp.security": "none",
         "smtp.from": "ana@disenonunez.es", "smtp.timeout": "5"}
    )  # fmt: skip
    result = email.send(email.compose_invoice(shop["invoice_id"]))
    assert not result.sent and "refused the connection" in result.reason
    assert Activity.get_by_id(result.activity_id).email_status == "failed"


def test_not_set_up_refuses_before_recording(shop) -> None:
    with pytest.raises(RuleViolation, match=r"smtp\.host, smtp\.from"):
        email.send(email.compose_invoice(shop["invoice_id"]))
    settings.set_many({"smtp.host": "mail.example.com", "smtp.from": "a@b.es", "smtp.user": "ana"})
    with pytest.raises(
        RuleViolation, match=r"no SMTP password is stored for smtp:ana@mail\.example\.com"
    ):
        email.send(email.compose_invoice(shop["invoice_id"]))
    secrets.set_smtp_password(PASSWORD)
    settings.set_many({"smtp.security": "none"})
    with pytest.raises(RuleViolation, match="unencrypted"):
        email.send(email.compose_invoice(shop["invoice_id"]))
    assert Activity.select().where(Activity.kind == "email").count() == 0


def test_draft_invoices_are_not_sent_and_readonly_may_not_send(shop, tmp_path) -> None:
    draft_id = invoices.create_draft(
        invoices.InvoiceDraftInput(
            client_id=shop["client_id"],
            lines=[LineInput(description="X", quantity=D(1), unit_price=D(5), vat_rate=D(21))],
        )
    )
    with pytest.raises(RuleViolation, match="issue it before sending"):
        email.compose_invoice(draft_id)
    with smtp_server(tmp_path) as server:
        configure(server, user=None)
        draft = email.compose_invoice(shop["invoice_id"])
        set_actor(Actor("mirona", "readonly"))
        try:
            with pytest.raises(Exception, match="may not send email"):
                email.send(draft)
        finally:
            set_actor(Actor(ME, "admin"))
    assert server.messages == []


def test_quote_email_marks_the_draft_quote_sent(shop, tmp_path) -> None:
    quote_id = quotes.create_quote(
        quotes.QuoteInput(
            client_id=shop["client_id"],
            title="Web nueva",
            lines=[
                LineInput(description="Diseño", quantity=D(2), unit_price=D(500), vat_rate=D(21))
            ],
            date=dt.date(2026, 2, 1),
        )
    )
    code = quotes.get_quote(quote_id).code
    with smtp_server(tmp_path) as server:
        configure(server, user=None)
        draft = email.compose("quote", quote_id)
        assert draft.subject == f"Presupuesto {code} de Diseño Núñez SL"
        assert "3 de marzo de 2026" in draft.body  # valid for 30 days
        result = email.send(draft)
    assert result.sent
    assert quotes.get_quote(quote_id).status == "sent"
    [attachment] = list(server.messages[0].message.iter_attachments())
    assert code in pdf_text(attachment.get_content())


def test_edited_text_is_what_is_sent(shop, tmp_path) -> None:
    from dataclasses import replace

    with smtp_server(tmp_path) as server:
        configure(server, user=None)
        draft = email.compose_invoice(shop["invoice_id"])
        edited = replace(draft, subject="Tu factura\r\nBcc: x@evil.es", body="Texto {propio}")
        result = email.send(edited)
    assert result.sent
    msg = server.messages[0].message
    assert msg["Subject"] == "Tu factura Bcc: x@evil.es"  # one line: no header injection
    assert msg["Bcc"] is None
    assert msg.get_body(("plain",)).get_content().strip() == "Texto {propio}"


# --- templates -----------------------------------------------------------------------


def test_placeholders_are_checked_and_never_executed(shop) -> None:
    values = {"client": "ACME", "number": "F1"}
    assert email_templates.fill("{client}: {number} {{literal}}", values) == "ACME: F1 {literal}"
    for text, shown in (
        ("{cliente}", "{cliente}"),
        ("{client.__class__}", "{client.__class__}"),
        ("{number[0]}", "{number[0]}"),
        ("{client!r}", "{client!r}"),
        ("{client:>30}", "{client:>30}"),
    ):
        with pytest.raises(ValidationError) as info:
            email_templates.fill(text, values)
        assert shown in info.value.errors["body"]
    with pytest.raises(ValidationError, match="lone"):
        email_templates.fill("un { suelto", values, "subject")
    with pytest.raises(ValidationError) as info:
        email_templates.save_template("cobro", "es", "invoice", "Factura {number}", "Hola {foo}")
    assert "{foo}" in info.value.errors["body"] and "{due_date}" in info.value.errors["body"]
    # {invoices} belongs to reminders, not to invoice emails
    with pytest.raises(ValidationError, match="invoices"):
        email_templates.save_template("cobro", "es", "invoice", "Factura", "{invoices}")


def test_business_templates_replace_and_extend_the_builtin_ones(shop) -> None:
    email_templates.save_template(
        "invoice", "es", "invoice", "Tu factura {number}", "Hola {contact}, total {total}."
    )
    email_templates.save_template(
        "formal", "es", "invoice", "Factura {number}", "Estimado/a {contact}: {total}"
    )
    draft = email.compose_invoice(shop["invoice_id"])
    assert draft.subject == f"Tu factura {shop['code']}"
    assert draft.body == "Hola Lucía Fernández, total 1.060,00\xa0€."
    formal = email.compose_invoice(shop["invoice_id"], template="formal")
    assert formal.body == "Estimado/a Lucía Fernández: 1.060,00\xa0€"
    assert email_templates.template_names("invoice") == ["invoice", "formal"]
    with pytest.raises(ValidationError, match="is for"):
        email.compose_invoice(shop["invoice_id"], template="reminder1")
    with pytest.raises(NotFound, match="no email template 'nada'"):
        email.compose_invoice(shop["invoice_id"], template="nada")
    with pytest.raises(ValidationError, match="is for"):
        email_templates.save_template("quote", "es", "invoice", "x", "y")
    assert email_templates.delete_template("invoice", "es")
    assert email.compose_invoice(shop["invoice_id"]).subject.startswith("Factura ")
    set_actor(Actor("sara", "sales"))
    try:
        with pytest.raises(Exception, match="may not change the business settings"):
            email_templates.save_template("x", "es", "invoice", "s", "b")
    finally:
        set_actor(Actor(ME, "admin"))


def test_language_follows_the_client_country(shop) -> None:
    from tui_crm.services import clients

    foreign = clients.create_client(
        clients.ClientInput(
            legal_name="Dupont SARL",
            tax_id="FR40303265045",
            tax_id_country="FR",
            kind="client",
            email="compta@dupont.fr",
        ),
        clients.AddressInput(
            line1="1 rue de la Paix", postal_code="75002", city="Paris", country="FR"
        ),
    )
    assert email.language_for_client(foreign) == "en"
    assert email.language_for_client(shop["client_id"]) == "es"
    assert email.default_recipient(foreign).email == "compta@dupont.fr"


# --- the password --------------------------------------------------------------------


def test_password_is_in_the_keyring_and_in_no_file_the_app_writes(
    shop, tmp_path, app_env, keyring_backend
) -> None:
    from tui_crm import db as db_module

    with smtp_server(tmp_path, users={"ana": PASSWORD}, refuse=("pedro@pm.es",)) as server:
        configure(server, **{"smtp.bcc_self": "yes"})
        assert keyring_backend.store == {("tui-crm", f"smtp:ana@{server.host}"): PASSWORD}
        assert email.send(email.compose_invoice(shop["invoice_id"])).sent
        failed = email.send(email.compose_invoice(shop["invoice_id"], to="pedro@pm.es"))
        assert not failed.sent
    with smtp_server(tmp_path, users={"ana": "other"}) as server:
        configure(server)
        wrong = email.send(email.compose_invoice(shop["invoice_id"]))
        assert not wrong.sent
    db_module.execute("PRAGMA wal_checkpoint(PASSIVE)")
    needle = PASSWORD.encode()
    written = [p for root in (shop_db_dir(), app_env.root) for p in root.rglob("*") if p.is_file()]
    assert any(p.name.endswith("-wal") or p.suffix == ".sqlite3" for p in written)
    assert app_env.settings_file in written
    assert any(".files" in str(p) for p in written)  # the stored PDFs
    for path in written:
        data = path.read_bytes()
        assert needle not in data, path
        assert needle.hex().encode() not in data, path
    for row in AuditLog.select():
        assert PASSWORD not in row.changes + row.summary


def shop_db_dir():
    from tui_crm.db import db_path

    return db_path().parent


def test_no_keyring_backend_says_how_to_configure_one(shop) -> None:
    import keyring
    from keyring.backends import chainer, fail

    settings.set_many({"smtp.host": "mail.example.com", "smtp.user": "ana", "smtp.from": "a@b.es"})
    for backend in (fail.Keyring(), chainer.ChainerBackend()):
        keyring.set_keyring(backend)
        if isinstance(backend, chainer.ChainerBackend) and backend.backends:
            continue  # this machine does have a backend; the fail keyring case covers it
        status = secrets.keyring_status()
        assert not status.usable
        with pytest.raises(secrets.KeyringUnavailable) as info:
            secrets.set_smtp_password(PASSWORD)
        message = str(info.value)
        assert "no usable system keyring" in message
        assert "PYTHON_KEYRING_BACKEND" in message and "keyrings.alt" in message
        assert "encrypted file" in message and "plain text" in message
        assert PASSWORD not in message
        with pytest.raises(secrets.KeyringUnavailable):
            email.check_ready()


def test_secrets_need_server_and_user_and_can_be_replaced(shop, keyring_backend) -> None:
    with pytest.raises(RuleViolation, match=r"smtp\.host, smtp\.user"):
        secrets.set_smtp_password(PASSWORD)
    settings.set_many({"smtp.host": "mail.example.com", "smtp.user": "ana"})
    with pytest.raises(RuleViolation, match="empty"):
        secrets.set_smtp_password("")
    assert secrets.set_smtp_password(PASSWORD) == "smtp:ana@mail.example.com"
    secrets.set_smtp_password("new-one")
    assert secrets.smtp_password() == "new-one"
    assert secrets.has_smtp_password()
    # another server or user never gets this password
    settings.set_many({"smtp.host": "smtp.other.com"})
    assert secrets.smtp_password() is None
    settings.set_many({"smtp.host": "mail.example.com"})
    assert secrets.delete_smtp_password() and not secrets.delete_smtp_password()
    assert not secrets.has_smtp_password()


def test_smtp_settings_are_validated_and_per_user(shop, app_env) -> None:
    with pytest.raises(ValidationError) as info:
        settings.set_many(
            {"smtp.port": "70000", "smtp.security": "tls", "smtp.from": "no-es-correo",
             "smtp.host": "smtp example.com", "reminders.schedule": "30,10"}
        )  # fmt: skip
    assert set(info.value.errors) == {
        "smtp.port", "smtp.security", "smtp.from", "smtp.host", "reminders.schedule"
    }  # fmt: skip
    settings.set_many({"smtp.from": " Ana <ANA@Example.COM> ", "smtp.security": "SSL"})
    assert settings.get("smtp.from") == "Ana <ANA@example.com>"
    stored = json.loads(app_env.settings_file.read_text())
    assert stored["smtp.security"] == "ssl"
    assert execute("SELECT COUNT(*) FROM setting WHERE key LIKE 'smtp.%'").fetchone()[0] == 0
    # a sales user sets their own mailbox (not a business setting)
    set_actor(Actor("sara", "sales"))
    try:
        settings.set_many({"smtp.host": "mail.example.com"})
    finally:
        set_actor(Actor(ME, "admin"))
    assert settings.set_value("reminders.schedule", "10; 30 ;60") == "10,30,60"
    assert settings.set_value("reminders.schedule", "") == ""


# --- reminders -------------------------------------------------------------------------


@pytest.fixture
def overdue(shop):
    """Two more invoices of the same client and one of another client, all past due."""
    other = make_client("Talleres Gómez SL", "B87654323")
    contacts.create_contact(other, contacts.ContactData(first_name="Eva", email="eva@gomez.es"))
    ids = [shop["invoice_id"]]
    for client_id, day in (
        (other, T - dt.timedelta(days=38)),
        (shop["client_id"], T - dt.timedelta(days=33)),
    ):
        draft = invoices.create_draft(
            invoices.InvoiceDraftInput(
                client_id=client_id,
                lines=[
                    LineInput(
                        description="Mantenimiento",
                        quantity=D(1),
                        unit_price=D(100),
                        vat_rate=D(21),
                    )
                ],
            )
        )
        ids.append(invoices.issue_invoice(draft, day).id)
    codes = [invoices.get_invoice(i).code for i in ids]
    return {**shop, "ids": ids, "codes": codes, "other": other}


def test_remind_sends_one_email_per_client_and_never_the_same_level_twice(
    overdue, tmp_path
) -> None:
    from tui_crm.services import reminders

    # F1 due T-13, F2 due T-8 (other client), F3 due T-3 (same client); schedule 7,21,45
    f1, f2, f3 = overdue["codes"]
    days = dt.timedelta
    with smtp_server(tmp_path) as server:
        configure(server, user=None)
        assert reminders.run_reminders(T - days(7)).planned == []  # F1 only 6 days
        run = reminders.run_reminders(T)  # F1 13 days, F2 8 days, F3 3 days
        assert [(p.client_name, [i.code for i in p.invoices], p.level) for p, _r in run.sent] == [
            ("Peña y Muñoz SL", [f1], 1),
            ("Talleres Gómez SL", [f2], 1),
        ]
        again = reminders.run_reminders(T)
        assert again.planned == [] and len(server.messages) == 2
        # F3 reaches 7 days: its first reminder; F1 is not due its second before 21 days
        run = reminders.run_reminders(T + days(5))
        assert [[i.code for i in p.invoices] for p, _r in run.sent] == [[f3]]
        # F1: 21 days overdue on T+8, but only 14 days (21-7) after its first reminder: T+14
        assert reminders.run_reminders(T + days(8)).planned == []
        run = reminders.run_reminders(T + days(14))
        [plan] = [p for p, _r in run.sent if p.client_id == overdue["client_id"]]
        assert plan.level == 2
        assert [(i.code, i.level) for i in plan.invoices] == [(overdue["code"], 2)]
    first = server.messages[0].message
    assert first["Subject"] == f"Recordatorio de pago: {overdue['code']}"
    body = first.get_body(("plain",)).get_content()
    assert overdue["code"] in body and "13 días de retraso" in body
    assert [a.get_filename() for a in first.iter_attachments()] == [f"{overdue['code']}.pdf"]
    second = server.messages[-1].message
    assert second["Subject"].startswith("Segundo aviso")
    levels = {(r.invoice_id, r.level) for r in PaymentReminder.select()}
    ids = overdue["ids"]
    # F2 (other client) was due its second level on T+14 too: 22 days, 14 since the first
    assert levels == {(ids[0], 1), (ids[1], 1), (ids[2], 1), (ids[0], 2), (ids[1], 2)}
    last = email.last_reminders(ids)
    assert last[ids[0]].level == 2 and last[ids[0]].sent_at.date() == dt.date.today()
    # the unique index is the last word: a second level-1 row cannot exist
    with pytest.raises(Exception, match="UNIQUE"):
        PaymentReminder.create(invoice=ids[0], level=1)


def test_remind_dry_run_and_failures_are_reused_not_repeated(overdue, tmp_path) -> None:
    from tui_crm.services import reminders

    day = T
    with smtp_server(tmp_path, refuse=("lucia@pm.es",)) as server:
        configure(server, user=None)
        dry = reminders.run_reminders(day, dry_run=True)
        assert len(dry.planned) == 2 and dry.sent == [] and server.messages == []
        run = reminders.run_reminders(day)
        assert len(run.sent) == 1 and len(run.failed) == 1
        failed_id = run.failed[0][1].activity_id
        assert "550" in run.failed[0][1].reason
        # the failed level is free again; the next run reuses the same timeline entry
        assert email.last_reminders([overdue["invoice_id"]]) == {}
        rerun = reminders.run_reminders(day)
        assert [r.activity_id for _p, r in rerun.failed] == [failed_id]
    with smtp_server(tmp_path) as server:
        configure(server, user=None)
        final = reminders.run_reminders(day)
        assert [r.activity_id for _p, r in final.sent] == [failed_id]
    reminder_entries = Activity.select().where(
        (Activity.kind == "email") & (Activity.client == overdue["client_id"])
    )
    assert reminder_entries.count() == 1
    assert EmailMessage.get_by_id(failed_id).attempts == 3


def test_remind_refuses_when_not_set_up_and_reports_clients_without_email(
    overdue, tmp_path
) -> None:
    from tui_crm.services import reminders

    with pytest.raises(RuleViolation, match="email is not set up"):
        reminders.run_reminders(T)
    assert PaymentReminder.select().count() == 0
    execute("UPDATE contact SET email = '' WHERE client_id = ?", (overdue["other"],))
    with smtp_server(tmp_path) as server:
        configure(server, user=None)
        run = reminders.run_reminders(T)
    assert len(run.sent) == 1
    [(plan, problem)] = run.problems
    assert plan.client_name == "Talleres Gómez SL" and "no email address" in problem
    settings.set_value("reminders.schedule", "")
    assert reminders.run_reminders(T + dt.timedelta(days=200)).planned == []


def test_manual_reminder_lists_the_chosen_invoices_at_the_next_level(overdue, tmp_path) -> None:
    ids = overdue["ids"]
    with smtp_server(tmp_path) as server:
        configure(server, user=None)
        draft = email.compose_reminder(overdue["client_id"], ids, as_of=T)
        # only this client's unpaid invoices are listed
        assert draft.reminder_items == ((ids[0], 1), (ids[2], 1))
        assert draft.attachments == (f"{overdue['code']}.pdf", f"{overdue['codes'][2]}.pdf")
        assert email.send(draft).sent
        second = email.compose_reminder(overdue["client_id"], ids[:1])
        assert second.reminder_level == 2 and second.subject.startswith("Segundo aviso")
        final = email.compose_reminder(overdue["client_id"], ids[:1], level=3, language="en")
        assert final.subject.startswith("Final notice")
        assert email.send(final).sent
        # a final notice sent again by hand moves the board's date, no second row
        assert email.send(email.compose_reminder(overdue["client_id"], ids[:1], level=3)).sent
    assert len(server.messages) == 3
    assert PaymentReminder.select().where(PaymentReminder.invoice == ids[0]).count() == 2
    assert email.last_reminders(ids)[ids[0]].level == 3
    with pytest.raises(RuleViolation, match="none of these invoices unpaid"):
        email.compose_reminder(overdue["client_id"], [ids[1]])


def test_statement_email_carries_its_pdf_and_is_on_the_timeline(shop, tmp_path) -> None:
    start, end = T - dt.timedelta(days=60), T
    with smtp_server(tmp_path, users={"ana": PASSWORD}) as server:
        configure(server)
        draft = email.compose_statement(shop["client_id"], start, end)
        assert draft.recipient.email == "lucia@pm.es"  # the billing contact
        # the client (a Spanish tax ID) reads Spanish (services.client_language)
        assert draft.purpose == "statement" and draft.language == "es"
        assert draft.subject.startswith("Extracto de cuenta")
        assert "El saldo a " in draft.body and " es de 1.060,00\xa0€." in draft.body
        result = email.send(draft)
    assert result.sent
    [received] = server.messages
    [attachment] = list(received.message.iter_attachments())
    assert attachment.get_filename() == f"statement-A58818501-{start}-{end}.pdf"
    text = pdf_text(attachment.get_content())
    assert "Extracto de cuenta" in text and shop["code"] in text and "1.060,00" in text
    activity = Activity.get_by_id(result.activity_id)
    assert (activity.kind, activity.email_status, activity.client_id) == (
        "email",
        "sent",
        shop["client_id"],
    )
    assert EmailMessage.get_by_id(result.activity_id).purpose == "statement"
