"""`tui-crm secrets set verifactu` and `tui-crm verifactu send` as a person or cron runs them:
subprocesses, a keyring shared with them (no keyring needed on the machine), the AEAT
stand-in trusted through SSL_CERT_FILE only."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from aeat_standin import FUTURE_DATE, Behaviour
from invoicing_support import issued, make_client, set_issuer
from smtp_support import NO_KEYRING_ENV, keyring_env

from tui_crm.models import VerifactuChain, VerifactuRecord
from tui_crm.models.base import utcnow
from tui_crm.services.verifactu_sender import local_time

T = dt.date.today()


@pytest.fixture
def office(db, tmp_path, aeat, aeat_pki, cli):
    """VERI*FACTU on at the stand-in, no certificate password stored yet."""
    from tui_crm.services import settings

    set_issuer()
    settings.set_many(
        {
            "verifactu.enabled": "yes",
            "verifactu.endpoint": aeat.url,
            "verifactu.certificate": str(aeat_pki.client_p12),
        }
    )
    env = {**keyring_env(tmp_path), "SSL_CERT_FILE": str(aeat_pki.ca_file)}
    return {"db": db, "env": env, "tmp": tmp_path, "client": make_client()}


def _keyring_file(office) -> dict:
    path = Path(office["env"]["TUI_CRM_TEST_KEYRING"])
    return json.loads(path.read_text()) if path.exists() else {}


def test_secrets_set_verifactu_from_standard_input(cli, office, aeat_pki) -> None:
    db, env = office["db"], office["env"]
    password = aeat_pki.password  # not ASCII: "contraseña-Ñandú-€-2027"
    wrong = cli("--db", db, "secrets", "set", "verifactu", input="not-it\n", env=env)
    assert wrong.returncode == 1
    assert "password is wrong" in wrong.stderr and "nothing was stored" in wrong.stderr
    assert "not-it" not in wrong.stdout + wrong.stderr
    assert _keyring_file(office) == {}
    stored = cli("--db", db, "secrets", "set", "verifactu", input=password + "\n", env=env)
    assert stored.returncode == 0, stored.stderr
    account = f"verifactu:{aeat_pki.client_p12}"
    assert account in stored.stdout and "opens the certificate" in stored.stdout
    assert password not in stored.stdout + stored.stderr
    keyring = _keyring_file(office)
    assert list(keyring) == [f"tui-crm\x00{account}"] or len(keyring) == 1
    status = cli("--db", db, "secrets", "status", "verifactu", env=env)
    assert status.returncode == 0 and "password stored" in status.stdout
    # Nowhere but the keyring: not the database, not the settings, not a log.
    for path in office["tmp"].rglob("*"):
        if path.is_file() and "keyring" not in path.name:
            data = path.read_bytes()
            assert password.encode() not in data, path
    removed = cli("--db", db, "secrets", "delete", "verifactu", env=env)
    assert removed.returncode == 0 and "Password removed." in removed.stdout
    assert cli("--db", db, "secrets", "status", "verifactu", env=env).returncode == 1


def test_secrets_verifactu_needs_the_certificate_and_a_keyring(cli, office, aeat_pki) -> None:
    db = office["db"]
    result = cli("--db", db, "secrets", "set", "verifactu", input="x\n", env=NO_KEYRING_ENV)
    assert result.returncode == 1
    assert "no usable system keyring" in result.stderr
    assert "tui-crm secrets set verifactu" in result.stderr and "encrypted file" in result.stderr
    cleared = cli("--db", db, "config", "set", "verifactu.certificate", "")
    assert cleared.returncode == 0, cleared.stderr
    nothing = cli("--db", db, "secrets", "set", "verifactu", input="x\n", env=office["env"])
    assert nothing.returncode == 1 and "verifactu.certificate" in nothing.stderr


def test_verifactu_send_for_cron(cli, office, aeat, aeat_pki) -> None:
    db, env = office["db"], office["env"]
    assert cli("--db", db, "secrets", "set", "verifactu", input=aeat_pki.password, env=env)
    codes = [issued(office["client"], T).code for _ in range(3)]
    aeat.outcomes[codes[1]] = ("Incorrecto", *FUTURE_DATE)
    aeat.wait_seconds = 30
    run = cli("--db", db, "verifactu", "send", env=env)
    assert run.returncode == 1  # a rejection needs a person: cron mails it
    assert run.stdout.strip() == "sent 3, accepted 2, with errors 0, rejected 1, pending 0"
    assert f"rejected: {codes[1]}: [1112] {FUTURE_DATE[1]}" in run.stderr
    statuses = [r.status for r in VerifactuRecord.select().order_by(VerifactuRecord.sequence)]
    assert statuses == ["accepted", "rejected", "accepted"]
    # Nothing waiting: nothing sent, exit 0.
    quiet = cli("--db", db, "verifactu", "send", env=env)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout.strip() == "sent 0, accepted 0, with errors 0, rejected 0, pending 0"
    # Before AEAT's 30 s have passed: skipped, saying when; --wait waits for it.
    issued(office["client"], T)
    early = cli("--db", db, "verifactu", "send", env=env)
    assert early.returncode == 0, early.stderr
    due = local_time(VerifactuChain.get().next_send_at)
    assert early.stdout.strip() == (
        f"sent 0, accepted 0, with errors 0, rejected 0, pending 1; next send allowed at {due}"
    )
    assert "AEAT asks to wait" in early.stderr and len(aeat.requests) == 1
    # Far enough ahead that the command, started on a loaded machine, still has to wait.
    VerifactuChain.update(next_send_at=utcnow() + dt.timedelta(seconds=6)).execute()
    waited = cli("--db", db, "verifactu", "send", "--wait", env=env)
    assert waited.returncode == 0, waited.stderr
    assert "waiting" in waited.stderr
    assert waited.stdout.strip() == "sent 1, accepted 1, with errors 0, rejected 0, pending 0"
    assert len(aeat.requests) == 2


def test_verifactu_send_offline_or_refused_exits_1_and_keeps_the_records(
    cli, office, aeat, aeat_pki
) -> None:
    db, env = office["db"], office["env"]
    cli("--db", db, "secrets", "set", "verifactu", input=aeat_pki.password, env=env)
    issued(office["client"], T)
    aeat.script.append(Behaviour("fault", fault_code="Server"))
    fault = cli("--db", db, "verifactu", "send", env=env)
    assert fault.returncode == 1
    assert "not sent:" in fault.stderr and "AEAT refused the submission" in fault.stderr
    assert fault.stdout.strip().startswith(
        "sent 0, accepted 0, with errors 0, rejected 0, pending 1"
    )
    untrusted = cli("--db", db, "verifactu", "send", env={**env, "SSL_CERT_FILE": None})
    assert untrusted.returncode in (0, 1)  # flow control may hold it back; never a traceback
    assert "Traceback" not in untrusted.stderr
    assert VerifactuRecord.get().status == "pending"


def test_verifactu_send_needs_the_permission(cli, office) -> None:
    from tui_crm.services import users

    users.add_user("luis", "sales")
    issued(office["client"], T)
    # the admin acting as a sales colleague (identity is the process's user id)
    result = cli("--db", office["db"], "--user", "luis", "verifactu", "send", env=office["env"])
    assert result.returncode == 1
    assert "luis (sales) may not send VERI*FACTU records to AEAT" in result.stderr
    assert VerifactuRecord.get().attempts == 0
