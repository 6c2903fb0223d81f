"""`tui-crm secrets`, `send` and `remind` as a person or a cron job runs them, against a real
SMTP server on localhost and a keyring shared with the subprocesses (no keyring needed)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from invoicing_support import make_client, set_issuer
from smtp_support import NO_KEYRING_ENV, keyring_env, smtp_server

PASSWORD = "cron-Pa55word-9x"
T = dt.date.today()
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture
def office(db, tmp_path):
    """An issuer, a client with a billing contact and an invoice 13 days overdue."""
    from tui_crm.services import contacts, invoices
    from tui_crm.services.lines import LineInput

    set_issuer()
    client_id = make_client()
    contacts.create_contact(
        client_id,
        contacts.ContactData(first_name="Lucía", email="lucia@pm.es", is_billing=True),
    )
    draft = invoices.create_draft(
        invoices.InvoiceDraftInput(
            client_id=client_id,
            lines=[
                LineInput(
                    description="Diseño", quantity=Decimal(1), unit_price=Decimal(250),
                    vat_rate=Decimal(21),
                )
            ],
        )
    )  # fmt: skip
    code = invoices.issue_invoice(draft, T - dt.timedelta(days=43)).code
    return {"db": db, "code": code, "env": keyring_env(tmp_path), "tmp": tmp_path}


def smtp_settings(cli, office, server, user: str = "ana") -> None:
    for key, value in (
        ("smtp.host", server.host),
        ("smtp.port", str(server.port)),
        ("smtp.security", "none"),
        ("smtp.user", user),
        ("smtp.from", "facturas@disenonunez.es"),
    ):
        result = cli("--db", office["db"], "config", "set", key, value)
        assert result.returncode == 0, result.stderr


def test_secrets_set_from_standard_input_then_send(cli, office) -> None:
    env = office["env"]
    with smtp_server(office["tmp"], users={"ana": PASSWORD}) as server:
        smtp_settings(cli, office, server)
        stored = cli("secrets", "set", "smtp", input=PASSWORD + "\n", env=env)
        assert stored.returncode == 0, stored.stderr
        assert f"smtp:ana@{server.host}" in stored.stdout
        keyring_file = json.loads(Path(env["TUI_CRM_TEST_KEYRING"]).read_text())
        assert list(keyring_file.values()) == [PASSWORD.encode().hex()]
        status = cli("secrets", "status", "smtp", env=env)
        assert status.returncode == 0 and "password stored" in status.stdout
        preview = cli("--db", office["db"], "send", "invoice", office["code"], "--dry-run", env=env)
        assert preview.returncode == 0, preview.stderr
        assert (
            "To: Lucía <lucia@pm.es>" in preview.stdout
            and f"{office['code']}.pdf" in preview.stdout
        )
        assert server.messages == []
        sent = cli("--db", office["db"], "send", "invoice", office["code"].lower(), env=env)
        assert sent.returncode == 0, sent.stderr
        assert f"{office['code']} sent to lucia@pm.es" in sent.stdout
    [received] = server.messages
    assert received.login == "ana" and received.rcpt_tos == ["lucia@pm.es"]
    assert received.message["Subject"] == f"Factura {office['code']} de Diseño Núñez SL"
    timeline = cli(
        "--db", office["db"], "report", "timeline", "--client", "A58818501", "--format", "json"
    )
    assert timeline.returncode == 0, timeline.stderr
    rows = json.loads(timeline.stdout)
    assert [r["subject"] for r in rows] == [received.message["Subject"]]
    for output in (stored, status, preview, sent, timeline):
        assert PASSWORD not in output.stdout + output.stderr


def test_wrong_password_then_retry(cli, office) -> None:
    env = office["env"]
    with smtp_server(office["tmp"], users={"ana": "another"}) as server:
        smtp_settings(cli, office, server)
        assert cli("secrets", "set", "smtp", input=PASSWORD, env=env).returncode == 0
        failed = cli("--db", office["db"], "send", "invoice", office["code"], env=env)
        assert failed.returncode == 1
        [line] = failed.stderr.strip().splitlines()
        assert "refused the user name or password" in line and "535" in line
        assert "tui-crm send retry " in line and PASSWORD not in line
        entry = line.rsplit("send retry ", 1)[1].split("`")[0]
        assert cli("secrets", "set", "smtp", input="another", env=env).returncode == 0
        retried = cli("--db", office["db"], "send", "retry", entry, env=env)
        assert retried.returncode == 0, retried.stderr
        assert f"timeline entry {entry}" in retried.stdout
        again = cli("--db", office["db"], "send", "retry", entry, env=env)
        assert again.returncode == 1 and "already sent" in again.stderr
    assert len(server.messages) == 1


def test_send_errors_are_one_line(cli, office) -> None:
    env = office["env"]
    not_set_up = cli("--db", office["db"], "send", "invoice", office["code"], env=env)
    assert not_set_up.returncode == 1
    assert "email is not set up: smtp.host, smtp.from not set" in not_set_up.stderr
    with smtp_server(office["tmp"]) as server:
        smtp_settings(cli, office, server, user="")
        for args, message in (
            (("invoice", "F2026-99999"), "invoice F2026-99999 does not exist"),
            (("invoice", office["code"], "--template", "nada"), "no email template 'nada'"),
            (("invoice", office["code"], "--template", "quote"), "is for Quote"),
            (("invoice", office["code"], "--to", "no-es-correo"), "not a valid email address"),
            (("retry", "abc"), "timeline entry"),
        ):
            result = cli("--db", office["db"], "send", *args, env=env)
            assert result.returncode == 1, args
            assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
        usage = cli("--db", office["db"], "send", "order", "X", env=env)
        assert usage.returncode == 2
    assert server.messages == []
    bad = cli("--db", office["db"], "config", "set", "smtp.security", "tls")
    assert bad.returncode == 1 and "smtp.security: must be one of starttls, ssl, none" in bad.stderr


def test_no_keyring_backend(cli, office) -> None:
    with smtp_server(office["tmp"]) as server:
        smtp_settings(cli, office, server)
    result = cli("secrets", "set", "smtp", input=PASSWORD, env=NO_KEYRING_ENV)
    assert result.returncode == 1
    assert "no usable system keyring" in result.stderr
    assert "PYTHON_KEYRING_BACKEND" in result.stderr and "encrypted file" in result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    status = cli("secrets", "status", "smtp", env=NO_KEYRING_ENV)
    assert status.returncode == 1 and "no usable system keyring" in status.stderr


def test_remind_for_cron(cli, office) -> None:
    env = office["env"]
    with smtp_server(office["tmp"]) as server:
        smtp_settings(cli, office, server, user="")
        dry = cli("--db", office["db"], "remind", "--dry-run", env=env)
        assert dry.returncode == 0, dry.stderr
        assert f"due: Peña y Muñoz SL <lucia@pm.es>: level 1, {office['code']}" in dry.stdout
        assert server.messages == []
        run = cli("--db", office["db"], "remind", env=env)
        assert run.returncode == 0, run.stderr
        assert "1 reminder sent, 0 failed" in run.stdout
        again = cli("--db", office["db"], "remind", env=env)
        assert again.returncode == 0 and "0 reminders sent" in again.stdout
        later = (T + dt.timedelta(days=5)).isoformat()
        assert "0 reminders sent" in cli("--db", office["db"], "remind", "--as-of", later).stdout
        off = cli("--db", office["db"], "config", "set", "reminders.schedule", "")
        assert off.returncode == 0
        assert "off" in cli("--db", office["db"], "remind", env=env).stdout
    assert len(server.messages) == 1
    assert server.messages[0].message["Subject"] == f"Recordatorio de pago: {office['code']}"
