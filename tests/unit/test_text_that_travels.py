"""Text that leaves the application: CSV a spreadsheet opens, SMTP logins, error messages,
crash logs, email headers; and text that must be one line where it is one line."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.invoicing_support import make_client
from tests.smtp_support import smtp_server
from tests.unit.test_email import PASSWORD, configure, shop  # noqa: F401 (fixtures)
from tui_crm.config import DatabaseTarget, mask_secrets
from tui_crm.exports.tabular import csv_safe
from tui_crm.services import clients, contacts, email, settings, timeline
from tui_crm.services.errors import ValidationError

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


# --- CSV injection -----------------------------------------------------------------


def test_cells_a_spreadsheet_would_evaluate_are_neutralised() -> None:
    for text in ("=HYPERLINK(\"http://x\",\"y\")", "@SUM(A1:A9)", "+34 600 000 000", "-x", "\tT",
                 "\rR", "=1+1"):  # fmt: skip
        assert csv_safe(text) == "'" + text
    for text in ("-150.00", "+3", "-0.5", "1e3", "Muñoz", "", "a=b", " =x"):
        assert csv_safe(text) == text  # numbers stay numbers; text not starting a formula


def test_report_csv_neutralises_formulas_and_keeps_negative_numbers(db, cli) -> None:
    clients.create_client(
        clients.ClientInput(legal_name='=HYPERLINK("http://evil.example","pulse")', kind="client")
    )
    clients.create_client(clients.ClientInput(legal_name="@SUM(1+1)*cmd|' /C calc'!A0"))
    from tui_crm.db import execute

    execute("UPDATE client SET outstanding_cents = -15000")  # a credit: negative, a number
    result = cli("--db", db, "report", "clients", "--format", "csv", "--status", "all")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    names = sorted(r["name"] for r in rows)
    assert names == ['\'=HYPERLINK("http://evil.example","pulse")', "'@SUM(1+1)*cmd|' /C calc'!A0"]
    assert {r["outstanding"] for r in rows} == {"-150.00"}
    json_out = cli("--db", db, "report", "clients", "--format", "json", "--status", "all")
    assert "=HYPERLINK" in json.loads(json_out.stdout)[0]["name"]  # JSON is data, untouched


# --- database passwords ------------------------------------------------------------


def test_database_urls_never_show_their_password() -> None:
    for url, shown in (
        ("postgresql://crm:S3cret@host/crm", "postgresql://crm:***@host/crm"),
        ("postgresql://crm:p@ss:w@rd@db.local:5432/crm", "postgresql://crm:***@db.local:5432/crm"),
        ("postgresql://host/crm?user=crm&password=S3cret", "postgresql://host/crm?user=crm&password=***"),
        ("postgresql://crm@host/crm", "postgresql://crm@host/crm"),
    ):  # fmt: skip
        assert mask_secrets(url) == shown
        assert mask_secrets(f"cannot open database {url}: refused") == (
            f"cannot open database {shown}: refused"
        )
        assert str(DatabaseTarget(url)) == shown and DatabaseTarget(url).value == url


def test_a_password_in_the_database_url_reaches_no_message_nor_the_crash_log(cli, app_env) -> None:
    from tests.postgres_support import free_port

    url = f"postgresql://crm:S3cretPw@127.0.0.1:{free_port()}/crm"
    for args in (("--db", url, "report", "clients"), ("--db", url, "init"), ("--db", url, "check")):
        result = cli(*args)
        assert result.returncode == 1
        assert "S3cretPw" not in result.stdout + result.stderr
        assert "crm:***@" in result.stderr or "127.0.0.1" in result.stderr
    # an unexpected error whose text and command line both hold the URL
    import sys

    from tui_crm import cli as cli_module

    argv = sys.argv
    sys.argv = ["tui-crm", "--db", url, "report", "clients"]
    try:
        try:
            raise RuntimeError(f"lost the connection to {url}")
        except RuntimeError:
            log = cli_module._log_crash()
    finally:
        sys.argv = argv
    assert log is not None
    text = log.read_text()
    assert "crm:***@127.0.0.1" in text and "S3cretPw" not in text
    result = cli("--db", url, "report", "clients", env={"TUI_CRM_DB": url})
    assert "S3cretPw" not in result.stderr


# --- SMTP passwords in UTF-8, and no part of a secret anywhere ------------------------


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_a_password_with_non_ascii_letters_logs_in(shop, tmp_path, keyring_backend, mechanism):  # noqa: F811
    secret = "contraseña-Ñandú-€"
    exclude = ("PLAIN",) if mechanism == "LOGIN" else ()
    with smtp_server(tmp_path, users={"ana": secret}, exclude_auth=exclude) as server:
        configure(server, password=secret)
        result = email.send(email.compose_invoice(shop["invoice_id"]))
        assert result is not None and result.sent, result and result.reason
    assert server.auth_attempts == [("ana", True)]
    assert len(server.messages) == 1


def test_a_refused_password_leaves_no_part_of_it_on_the_timeline(shop, tmp_path) -> None:  # noqa: F811
    secret = "clave-Ñoño-xQ7!"
    with smtp_server(tmp_path, users={"ana": "otra"}) as server:
        configure(server, password=secret)
        result = email.send(email.compose_invoice(shop["invoice_id"]))
    assert result is not None and not result.sent
    stored = email.get_email(result.activity_id)
    for text in (result.reason, stored.error, stored.body, stored.subject):
        for size in range(4, len(secret) + 1):
            for start in range(len(secret) - size + 1):
                assert secret[start : start + size] not in text
    assert "refused the user name or password" in stored.error


def test_scrub_removes_every_fragment_of_a_secret() -> None:
    secret = "Zq9-ñandú-s3cr3t"
    text = "UnicodeEncodeError: 'ascii' codec can't encode 'ñandú' in position 4 (Zq9-ñ)"
    scrubbed = email.scrub(text, secret)
    assert "ñandú" not in scrubbed and "Zq9-" not in scrubbed
    assert email.scrub("nothing secret here", secret) == "nothing secret here"


# --- one line where it is one line ---------------------------------------------------


def test_control_characters_are_refused_naming_the_field(db) -> None:
    c1 = make_client("C SL", "B60889649")
    c2 = make_client("D SL", "A58818501")
    cases = (
        (lambda: clients.create_client(clients.ClientInput(legal_name="Cohetes\nS.L.")),
         "legal_name"),
        (lambda: clients.create_client(clients.ClientInput(legal_name="A", trade_name="B\x1b[31m")),
         "trade_name"),
        (lambda: clients.create_client(clients.ClientInput(legal_name="A", tax_id="B1234\n5674")),
         "tax_id"),
        (lambda: contacts.create_contact(c1, contacts.ContactData(first_name="Ana\r")),
         "first_name"),
        (lambda: timeline.create_activity(c2, timeline.ActivityData(subject="Llamada\x07")),
         "subject"),
        (lambda: settings.set_value("company.name", "Mi Empresa\nS.L."), "company.name"),
    )  # fmt: skip
    for call, field in cases:
        with pytest.raises(ValidationError) as refused:
            call()
        assert refused.value.errors[field] == "must be one line, without control characters"
    # multi-line fields keep their lines
    cid = clients.create_client(clients.ClientInput(legal_name="Notas SL", notes="uno\ndos"))
    assert clients.get_client(cid).data.notes == "uno\ndos"


def test_ibans_are_checked_by_stdnum(db) -> None:
    with pytest.raises(ValidationError) as refused:
        clients.create_client(clients.ClientInput(legal_name="Banco SL", iban="ES00 0000"))
    assert "not a valid IBAN" in refused.value.errors["iban"]
    cid = clients.create_client(
        clients.ClientInput(legal_name="Banco SL", iban="es9121000418450200051332")
    )
    assert clients.get_client(cid).data.iban == "ES91 2100 0418 4502 0005 1332"
    with pytest.raises(ValidationError):
        settings.set_value("company.iban", "ES91 2100 0418 4502 0005 1333")


def test_a_name_stored_with_a_newline_before_the_rule_still_sends(shop, tmp_path) -> None:  # noqa: F811
    from tui_crm.db import execute

    execute("UPDATE contact SET first_name = 'Lucía\nFernández' WHERE email = 'lucia@pm.es'")
    execute("UPDATE setting SET value = 'Diseño\nNúñez SL' WHERE key = 'company.name'")
    with smtp_server(tmp_path, users={"ana": PASSWORD}) as server:
        configure(server)
        result = email.send(email.compose_invoice(shop["invoice_id"]))
    assert result is not None and result.sent, result and result.reason
    message = server.messages[0].message
    assert "\n" not in message["To"] and "Lucía Fernández" in message["To"]
