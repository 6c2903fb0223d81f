"""The command line as a user runs it: `python -m tui_crm ...` in a subprocess."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import stat
from pathlib import Path

import pytest

from tests.people import ME
from tui_crm.services import clients
from tui_crm.services.clients import AddressInput, ClientInput

# The columns of `export clients` too: one definition of the client list (issue 14).
REPORT_KEYS = [
    "id", "name", "trade_name", "tax_id", "kind", "status", "email", "phone", "mobile", "fax",
    "website", "address", "address2", "postal_code", "city", "province", "country", "owner",
    "payment_days", "iban", "language", "revenue_year", "revenue_total", "outstanding",
    "became_client_at", "notes",
]  # fmt: skip


def one_line_error(result, *words: str) -> str:
    """The run failed with exactly one line on stderr, naming `words`, and no traceback."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "internal error" not in lines[0], lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


@pytest.fixture
def private_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "private"
    directory.mkdir(mode=0o700)
    directory.chmod(0o700)
    return directory


@pytest.fixture
def filled(db):
    """Three clients created through the service in the `db` file."""
    clients.create_client(
        ClientInput(
            legal_name="Muñoz Asesores SL",
            kind="client",
            tax_id="B12345674",
            email="info@munoz.es",
            phone="954 123 456",
        ),
        AddressInput(line1="Calle Feria 12", city="Sevilla"),
    )
    clients.create_client(ClientInput(legal_name="Ángel Pérez", tax_id="12345678Z"))
    clients.create_client(ClientInput(legal_name="Zeta Consulting", trade_name="Zeta"))
    return db


# --- init and file modes -----------------------------------------------------------------


def test_init_creates_a_private_database(cli, private_dir: Path) -> None:
    path = private_dir / "crm.sqlite3"
    result = cli("--db", path, "init")
    assert result.returncode == 0, result.stderr
    assert str(path) in result.stdout
    assert path.exists()
    for file in [path, *private_dir.glob("crm.sqlite3-*")]:
        assert stat.S_IMODE(file.stat().st_mode) & 0o007 == 0, (file, oct(file.stat().st_mode))
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert con.execute("SELECT login, role FROM user").fetchall() == [(ME, "admin")]
    again = cli("--db", path, "init")
    assert again.returncode == 0, again.stderr
    assert "0 migrations applied" in again.stdout


def test_init_uses_the_data_directory_by_default(cli, app_env) -> None:
    result = cli("init")
    assert result.returncode == 0, result.stderr
    assert (app_env.data_home / "tui-crm" / "tui-crm.sqlite3").exists()


def test_tui_crm_db_environment_variable_is_honoured(cli, private_dir: Path, app_env) -> None:
    path = private_dir / "shared.sqlite3"
    env = {"TUI_CRM_DB": str(path)}
    assert cli("init", env=env).returncode == 0
    assert path.exists()
    assert not (app_env.data_home / "tui-crm" / "tui-crm.sqlite3").exists()
    assert cli("config", "set", "company.name", "Env SL", env=env).returncode == 0
    result = cli("config", "get", "company.name", env=env)
    assert result.stdout.strip() == "Env SL"
    # --db beats the environment variable.
    other = private_dir / "other.sqlite3"
    assert cli("--db", other, "init", env=env).returncode == 0
    assert cli("--db", other, "config", "get", "company.name", env=env).stdout.strip() == ""


# --- config --------------------------------------------------------------------------------


def test_config_set_then_get(cli, private_dir: Path) -> None:
    db = private_dir / "crm.sqlite3"
    assert cli("--db", db, "init").returncode == 0
    result = cli("--db", db, "config", "set", "company.name", "  Muñoz Asesores SL ")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "company.name = Muñoz Asesores SL"
    result = cli("--db", db, "config", "get", "company.name")
    assert result.returncode == 0
    assert result.stdout == "Muñoz Asesores SL\n"
    everything = cli("--db", db, "config", "get")
    assert "company.name = Muñoz Asesores SL" in everything.stdout.splitlines()
    assert "invoice.default_vat = 21" in everything.stdout.splitlines()


def test_config_set_bad_value_is_one_line_naming_the_key(cli, private_dir: Path) -> None:
    db = private_dir / "crm.sqlite3"
    assert cli("--db", db, "init").returncode == 0
    result = cli("--db", db, "config", "set", "invoice.default_vat", "22")
    one_line_error(result, "invoice.default_vat", "21")
    assert cli("--db", db, "config", "get", "invoice.default_vat").stdout.strip() == "21"


def test_config_unknown_key(cli, private_dir: Path) -> None:
    db = private_dir / "crm.sqlite3"
    assert cli("--db", db, "init").returncode == 0
    one_line_error(cli("--db", db, "config", "set", "company.nmae", "x"), "company.nmae", "unknown")
    one_line_error(cli("--db", db, "config", "get", "company.nmae"), "company.nmae", "unknown")


def test_config_language_goes_to_the_user_file(cli, private_dir: Path, app_env) -> None:
    db = private_dir / "crm.sqlite3"
    assert cli("--db", db, "init").returncode == 0
    assert cli("--db", db, "config", "set", "ui.language", "en").returncode == 0
    assert json.loads(app_env.settings_file.read_text()) == {"ui.language": "en"}
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM setting WHERE key = 'ui.language'").fetchone() == (
            0,
        )


# --- report clients ---------------------------------------------------------------------------


def test_report_clients_json(cli, filled) -> None:
    result = cli("--db", filled, "report", "clients", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, list) and len(data) == 3
    for row in data:
        assert list(row) == REPORT_KEYS
        assert row["revenue_total"] == "0.00"
        assert row["outstanding"] == "0.00"
        assert isinstance(row["id"], int)
    assert [row["name"] for row in data] == ["Ángel Pérez", "Muñoz Asesores SL", "Zeta Consulting"]
    munoz = data[1]
    assert munoz["tax_id"] == "B12345674"
    assert munoz["kind"] == "client"
    assert munoz["city"] == "Sevilla"
    assert munoz["phone"] == "954 123 456"
    assert munoz["owner"] == ""
    assert munoz["status"] == "active"
    assert data[2]["trade_name"] == "Zeta"


def test_report_json_amounts_are_decimal_strings(cli, filled) -> None:
    from tui_crm.db import execute

    execute(
        "UPDATE client SET revenue_total_cents = 106000, outstanding_cents = 5 "
        "WHERE tax_id = 'B12345674'"
    )
    data = json.loads(cli("--db", filled, "report", "clients", "--format", "json").stdout)
    munoz = next(row for row in data if row["tax_id"] == "B12345674")
    assert munoz["revenue_total"] == "1060.00"
    assert munoz["outstanding"] == "0.05"


def test_report_json_empty_is_an_empty_list(cli, db) -> None:
    result = cli("--db", db, "report", "clients", "--format", "json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == []


def test_report_clients_csv(cli, filled) -> None:
    result = cli("--db", filled, "report", "clients", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == REPORT_KEYS
    assert [r[1] for r in rows[1:]] == ["Ángel Pérez", "Muñoz Asesores SL", "Zeta Consulting"]
    revenue = REPORT_KEYS.index("revenue_total")
    assert rows[2][revenue : revenue + 2] == ["0.00", "0.00"]


@pytest.mark.parametrize("fmt", ["plain", "github"])
def test_report_clients_tables(cli, filled, fmt: str) -> None:
    result = cli("--db", filled, "report", "clients", "--format", fmt)
    assert result.returncode == 0, result.stderr
    for name in ("Ángel Pérez", "Muñoz Asesores SL", "Zeta Consulting", "B12345674"):
        assert name in result.stdout
    if fmt == "github":
        assert result.stdout.splitlines()[1].startswith("|-")


def test_report_filters(cli, filled) -> None:
    def names(*args: str) -> list[str]:
        result = cli("--db", filled, "report", "clients", "--format", "json", *args)
        assert result.returncode == 0, result.stderr
        return [row["name"] for row in json.loads(result.stdout)]

    assert names("--search", "munoz") == ["Muñoz Asesores SL"]
    assert names("--kind", "client") == ["Muñoz Asesores SL"]
    assert names("--kind", "lead") == ["Ángel Pérez", "Zeta Consulting"]


@pytest.mark.parametrize(
    "args",
    [
        ("report", "clients", "--format", "xml"),
        ("report", "nonsense"),
        ("report",),
        ("frobnicate",),
        ("config",),
        ("config", "set", "company.name"),
        ("--no-such-option", "init"),
    ],
)
def test_bad_usage_exits_2(cli, db, args) -> None:
    result = cli("--db", db, *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert "usage" in result.stderr.lower()


# --- errors a user can make ---------------------------------------------------------------------


def test_missing_directory_is_one_line(cli) -> None:
    result = cli("--db", "/nonexistent/dir/x.db", "report", "clients")
    one_line_error(result, "/nonexistent/dir")
    assert result.stdout == ""
    assert not Path("/nonexistent/dir").exists()


def test_missing_database_file_is_one_line(cli, private_dir: Path) -> None:
    path = private_dir / "missing.sqlite3"
    one_line_error(cli("--db", path, "report", "clients"), str(path), "init")
    assert not path.exists()


def test_a_file_that_is_not_a_database(cli, private_dir: Path) -> None:
    path = private_dir / "notes.db"
    path.write_text("these are my notes, not a database\n" * 20)
    one_line_error(cli("--db", path, "report", "clients"), str(path), "not")
    one_line_error(cli("--db", path, "init"), str(path))
    assert path.read_text().startswith("these are my notes")


def test_a_directory_given_as_database(cli, private_dir: Path) -> None:
    one_line_error(cli("--db", private_dir, "report", "clients"), str(private_dir), "directory")


def test_database_from_a_newer_tui_crm(cli, private_dir: Path) -> None:
    path = private_dir / "crm.sqlite3"
    assert cli("--db", path, "init").returncode == 0
    with sqlite3.connect(path) as con:
        con.execute("INSERT INTO schema_version VALUES (999, 'future', '2030-01-01 00:00:00')")
    one_line_error(cli("--db", path, "report", "clients"), "999", "upgrade tui-crm")


# --- check and backup ----------------------------------------------------------------------


def test_check_on_a_healthy_database(cli, private_dir: Path) -> None:
    path = private_dir / "crm.sqlite3"
    assert cli("--db", path, "init").returncode == 0
    result = cli("--db", path, "check")
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "integrity check passed" in result.stdout
    assert "warning" not in result.stdout and "error" not in result.stdout


def test_check_warns_about_a_world_readable_database(cli, private_dir: Path) -> None:
    path = private_dir / "crm.sqlite3"
    assert cli("--db", path, "init").returncode == 0
    path.chmod(0o644)
    result = cli("--db", path, "check")
    assert result.returncode == 1
    assert "chmod o-rwx" in result.stdout
    assert "Traceback" not in result.stderr


def test_backup_is_a_complete_consistent_copy(cli, filled, private_dir: Path) -> None:
    target = private_dir / "backup.sqlite3"
    result = cli("--db", filled, "backup", target)
    assert result.returncode == 0, result.stderr
    assert str(target) in result.stdout
    assert stat.S_IMODE(target.stat().st_mode) & 0o007 == 0
    assert [p.name for p in private_dir.iterdir()] == ["backup.sqlite3"]  # no temporary left
    con = sqlite3.connect(target)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        names = [r[0] for r in con.execute("SELECT legal_name FROM client ORDER BY sort_name")]
        assert names == ["Ángel Pérez", "Muñoz Asesores SL", "Zeta Consulting"]
    finally:
        con.close()
    # The copy is a working database for the command line as well.
    report = cli("--db", target, "report", "clients", "--format", "json", "--search", "munoz")
    assert [r["name"] for r in json.loads(report.stdout)] == ["Muñoz Asesores SL"]


def test_backup_into_a_missing_directory(cli, db) -> None:
    one_line_error(cli("--db", db, "backup", "/nonexistent/dir/b.sqlite3"), "/nonexistent/dir")


def test_spanish_messages_with_a_spanish_locale(cli, private_dir: Path) -> None:
    spanish = {"LANG": "es_ES.UTF-8"}
    missing = cli("--db", private_dir / "x.sqlite3", "config", "get", "nope", env=spanish)
    assert missing.returncode == 1
    assert "no existe" in missing.stderr  # the database does not exist yet
    assert cli("--db", private_dir / "x.sqlite3", "init").returncode == 0
    unknown = cli("--db", private_dir / "x.sqlite3", "config", "get", "nope", env=spanish)
    assert unknown.returncode == 1
    assert "desconocid" in unknown.stderr
