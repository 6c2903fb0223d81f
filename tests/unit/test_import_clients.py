"""Importing clients: headers, validation by the services, duplicates, dry run, one transaction."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from tests.import_support import NIFS, client_count, csv_file, import_audits, xlsx
from tests.people import ME
from tui_crm.imports.clients import import_clients, inspect_file
from tui_crm.imports.columns import IGNORE

HEADER = [
    "RAZON SOCIAL",
    "c.i.f.",
    "E-Mail",
    "Teléfono",
    "Dirección",
    "C.P.",
    "Población",
    "País",
    "Persona de contacto",
    "Observaciones",
]


def _row(
    name, tax_id="", email="", phone="", street="", cp="", city="", country="", contact="", notes=""
):
    return [name, tax_id, email, phone, street, cp, city, country, contact, notes]


@pytest.fixture
def good_file(tmp_path: Path) -> Path:
    return xlsx(
        tmp_path / "clientes.xlsx",
        [
            HEADER,
            _row(
                "Peña y Muñoz SL",
                NIFS[0],
                "info@pena.es",
                "912 345 678",
                "Calle Mayor 1",
                8001,
                "Barcelona",
                "España",
                "Ana García López",
                "buen cliente",
            ),
            _row("Juan Pérez", NIFS[2], "juan@example.com", "", "", "", "", "", "", ""),
            _row("Sin NIF SL", "", "hola@sinnif.es"),
        ],
    )


def test_spanish_headers_are_recognised_whatever_the_case_and_accents(db, good_file):
    inspection = inspect_file(good_file)
    mapping = inspection.mapping.columns
    assert [mapping[i] for i in range(10)] == [
        "legal_name",
        "tax_id",
        "email",
        "phone",
        "line1",
        "postal_code",
        "city",
        "country",
        "contact",
        "notes",
    ]
    assert inspection.mapping.unknown == []
    inspection.table.close()


def test_import_creates_clients_with_address_contact_and_search(db, good_file):
    from tui_crm.services import clients, contacts
    from tui_crm.services.clients import ClientFilter, list_clients

    report = import_clients(good_file)
    assert (report.created, report.updated, report.rejected, report.skipped) == (3, 0, [], [])
    assert report.committed and not report.failed
    pena = clients.get_client(clients.find_by_tax_id(NIFS[0]))
    assert pena.data.legal_name == "Peña y Muñoz SL"
    assert pena.data.kind == "client" and pena.data.is_company
    assert pena.data.notes == "buen cliente"
    address = pena.addresses[0]
    assert (address.line1, address.postal_code, address.city, address.country) == (
        "Calle Mayor 1",
        "08001",
        "Barcelona",
        "ES",
    )
    people = contacts.list_contacts(pena.id)
    assert [(p.data.first_name, p.data.last_name) for p in people] == [("Ana", "García López")]
    juan = clients.get_client(clients.find_by_tax_id(NIFS[2]))
    assert not juan.data.is_company  # a DNI is a person
    # The search index knows the imported clients, by contact name too.
    assert [r.name for r in list_clients(ClientFilter(text="garcia lopez"))] == ["Peña y Muñoz SL"]
    assert [r.name for r in list_clients(ClientFilter(text="sinnif"))] == ["Sin NIF SL"]
    audits = import_audits()
    assert len(audits) == 1
    changes = json.loads(audits[0][0])
    assert changes["created"] == [None, 3] and changes["file"] == [None, "clientes.xlsx"]


def test_rejected_rows_name_row_column_and_reason_and_nothing_is_imported(db, tmp_path):
    path = xlsx(
        tmp_path / "bad.xlsx",
        [
            HEADER,
            _row("Bien SL", NIFS[0]),
            _row("", NIFS[1], "x@y.es"),
            _row("Mal NIF SL", "B12345678", "not-an-email"),
        ],
    )
    report = import_clients(path)
    assert report.failed and not report.committed
    assert client_count() == 0 and import_audits() == []
    lines = [i.line() for i in report.rejected]
    assert lines[0] == "row 3, column A (RAZON SOCIAL): is required"
    assert lines[1].startswith("row 4, column B (c.i.f.): ") and "check digit" in lines[1]
    assert lines[2].startswith("row 4, column C (E-Mail): ")
    assert report.rejected_rows == 2
    assert "Nothing imported: 2 of 3 rows rejected" in report.summary()

    report = import_clients(path, skip_invalid=True)
    assert report.created == 1 and report.rejected_rows == 2 and not report.failed
    assert client_count() == 1


def test_dry_run_writes_nothing(db, good_file):
    report = import_clients(good_file, dry_run=True)
    assert report.created == 3 and not report.committed
    assert "Dry run, nothing written" in report.summary()
    assert client_count() == 0 and import_audits() == []


def test_duplicates_in_the_database_and_in_the_file(db, tmp_path):
    from tui_crm.services import clients

    existing = clients.create_client(
        clients.ClientInput(legal_name="Ya Existe SL", tax_id=NIFS[0], phone="911 111 111")
    )
    by_email = clients.create_client(
        clients.ClientInput(legal_name="Por Email", email="mail@dup.es")
    )
    path = xlsx(
        tmp_path / "dups.xlsx",
        [
            ["Nombre", "NIF", "Email", "Teléfono"],
            [
                "Ya Existe (otro nombre)",
                "ES" + NIFS[0],
                "nuevo@existe.es",
                "",
            ],  # the same NIF as a VAT number
            ["Por Email bis", "", "mail@DUP.ES", ""],
            ["Nueva SL", NIFS[1], "", ""],
            ["Nueva SL repetida", NIFS[1], "", "600 000 000"],
            ["Otra SL", NIFS[4], "shared@same.es", ""],
            [
                "Otra distinta SL",
                NIFS[5],
                "shared@same.es",
                "",
            ],  # same email, different NIF: not a duplicate
        ],
    )
    report = import_clients(path, dry_run=True)
    reasons = {i.row: i.reason for i in report.skipped}
    assert set(reasons) == {2, 3, 5}
    assert f"already on file as client {existing}" in reasons[2] and "same tax ID" in reasons[2]
    assert f"client {by_email}" in reasons[3] and "same email" in reasons[3]
    assert reasons[5] == "repeats row 4 (same tax ID)"
    assert report.created == 3

    report = import_clients(path, on_duplicate="update")
    assert (report.created, report.updated, report.skipped) == (3, 2, [])
    updated = clients.get_client(existing)
    assert updated.data.legal_name == "Ya Existe (otro nombre)"
    assert updated.data.email == "nuevo@existe.es"
    assert updated.data.phone == "911 111 111"  # an empty cell changes nothing
    assert updated.version == 2
    nueva = clients.get_client(clients.find_by_tax_id(NIFS[1]))
    assert nueva.data.legal_name == "Nueva SL repetida" and nueva.data.mobile == ""
    assert nueva.data.phone == "600 000 000"  # the later row of the file wins
    assert client_count() == 2 + 3


def test_csv_windows_1252_semicolons_and_utf8_bom_commas(db, tmp_path):
    spanish = csv_file(
        tmp_path / "excel.csv",
        [
            ["Nombre", "CIF", "Población", "Móvil"],
            ["Muñoz Ibáñez SL", NIFS[0], "Logroño", "600 123 456"],
        ],
        encoding="cp1252",
    )
    report = import_clients(spanish)
    assert report.created == 1
    assert any("Windows-1252" in note and "“;”" in note for note in report.notes)
    bom = csv_file(
        tmp_path / "bom.csv",
        [["Name", "Tax ID", "City"], ['"Ñandú, S.L."', NIFS[1], "Cádiz"]],
        delimiter=",",
        encoding="utf-8-sig",
    )
    assert import_clients(bom).created == 1
    from tui_crm.services import clients

    assert clients.get_client(clients.find_by_tax_id(NIFS[1])).data.legal_name == "Ñandú, S.L."
    assert clients.get_client(clients.find_by_tax_id(NIFS[0])).addresses[0].city == "Logroño"


def test_header_below_a_title_unknown_columns_and_a_totals_row(db, tmp_path):
    path = xlsx(
        tmp_path / "titled.xlsx",
        [
            ["Listado de clientes 2026"],
            [],
            ["Nombre", "NIF", "Sector", "Facturación"],
            ["Uno SL", NIFS[0], "Hostelería", 1000],
            ["Dos SL", NIFS[1], "Comercio", 500],
            ["Total", None, None, 1500],
        ],
    )
    report = import_clients(path)
    assert report.header_row == 3 and report.created == 2 and report.rejected == []
    notes = " | ".join(report.notes)
    assert "The header is row 3" in notes
    assert "C (Sector)" in notes
    assert "Facturación" not in notes  # known, not imported


def test_manual_mapping_imports_an_unknown_header(db, tmp_path):
    from tui_crm.services import clients

    path = xlsx(
        tmp_path / "odd.xlsx", [["Denominación rara", "Identificador"], ["Rara SL", NIFS[0]]]
    )
    with pytest.raises(Exception, match="no column for Name"):
        import_clients(path)
    report = import_clients(path, mapping={0: "legal_name", 1: "tax_id"})
    assert report.created == 1
    assert clients.get_client(clients.find_by_tax_id(NIFS[0])).data.legal_name == "Rara SL"
    report = import_clients(path, mapping={0: "legal_name", 1: IGNORE}, on_duplicate="skip")
    assert report.created == 1  # without the tax ID it is not a duplicate


def test_formula_values_and_errors(db, tmp_path):
    import xlsxwriter

    path = tmp_path / "formulas.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["Nombre", "Email"])
    sheet.write_formula(1, 0, '="Fórmula"&" SL"', None, "Fórmula SL")
    sheet.write_string(1, 1, "a@b.es")
    sheet.write_string(2, 0, "Error SL")
    sheet.write_formula(2, 1, "=NA()", None, "#N/A")
    book.close()
    report = import_clients(path, skip_invalid=True)
    assert report.created == 1
    assert [i.line() for i in report.rejected] == [
        "row 3, column B (Email): the cell shows the error #N/A (a formula that failed)"
    ]
    assert any("2 cells have formulas" in n for n in report.notes)


def test_import_requires_the_import_permission(db, good_file):
    from tui_crm.services import session
    from tui_crm.services.errors import PermissionDenied

    session.set_actor(session.Actor("visitor", "readonly"))
    try:
        with pytest.raises(PermissionDenied):
            import_clients(good_file)
    finally:
        session.set_actor(session.Actor(ME, "admin"))
    assert client_count() == 0


def test_cli_import_clients(db, cli, tmp_path, good_file):
    bad = xlsx(tmp_path / "bad.xlsx", [HEADER, _row("Bien SL", NIFS[0]), _row("", NIFS[1])])
    result = cli("--db", db, "import", "clients", bad)
    assert result.returncode == 1
    assert "rejected: row 3, column A (RAZON SOCIAL): is required" in result.stdout
    assert "Nothing imported" in result.stdout
    result = cli("--db", db, "import", "clients", good_file, "--dry-run")
    assert result.returncode == 0 and "Dry run" in result.stdout
    result = cli("--db", db, "import", "clients", good_file)
    assert result.returncode == 0 and "3 clients created" in result.stdout
    result = cli("--db", db, "import", "clients", good_file)
    assert result.returncode == 0 and "3 skipped" in result.stdout
    result = cli("--db", db, "import", "clients", good_file, "--on-duplicate", "update")
    assert result.returncode == 0 and "3 updated" in result.stdout
    assert (
        cli("--db", db, "import", "clients", good_file, "--on-duplicate", "merge").returncode == 2
    )


def test_round_trip_export_then_import_into_a_fresh_database(db, cli, tmp_path):
    from tui_crm.services import clients, contacts

    first = clients.create_client(
        clients.ClientInput(
            legal_name="Peña & Muñoz, S.L.",
            trade_name='=HYPERLINK("x")',
            tax_id=NIFS[0],
            kind="client",
            email="info@pena.es",
            phone="+34 912 345 678",
            mobile="600 123 456",
            website="https://pena.es",
            payment_days=60,
            iban="ES91 2100 0418 4502 0005 1332",
            notes="Paga a 60 días",
            language="en",
        ),
        clients.AddressInput(
            line1="Calle Mayor 1",
            line2="2º B",
            postal_code="08001",
            city="Barcelona",
            province="Barcelona",
        ),
    )
    contacts.create_contact(first, contacts.ContactData(first_name="Ana", last_name="García"))
    clients.create_client(clients.ClientInput(legal_name="Lead Sin Datos", kind="lead"))
    archived = clients.create_client(clients.ClientInput(legal_name="Archivado SL", tax_id=NIFS[2]))
    clients.archive_client(archived)
    exported = tmp_path / "out.xlsx"
    assert cli("--db", db, "export", "clients", "-o", exported, "--status", "all").returncode == 0

    fresh = tmp_path / "fresh.sqlite3"
    assert cli("--db", fresh, "init").returncode == 0
    result = cli("--db", fresh, "import", "clients", exported)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 clients created" in result.stdout
    again = tmp_path / "again.xlsx"
    assert cli("--db", fresh, "export", "clients", "-o", again, "--status", "all").returncode == 0

    def records(path: Path) -> list[dict]:
        rows = list(openpyxl.load_workbook(path, read_only=True).active.iter_rows(values_only=True))
        header = rows[3]
        skip = {"ID", "Owner", "Client since", "Revenue", "Revenue this year", "Outstanding"}
        return [{k: v for k, v in zip(header, r, strict=True) if k not in skip} for r in rows[4:-1]]

    before, after = records(exported), records(again)
    assert before == after
    # the list is sorted by name (16A): find the row by its name, not its place
    [pena] = [r for r in before if r["Name"] == "Peña & Muñoz, S.L."]
    assert pena["Trade name"] == '=HYPERLINK("x")'
    assert pena["Documents' language"] == "English"  # 16A's column comes back too
    assert [r["Name"] for r in before] == ["Archivado SL", "Lead Sin Datos", "Peña & Muñoz, S.L."]
    assert {r["Status"] for r in after} == {"Active", "Archived"}


def test_imported_rows_are_what_the_services_write_for_the_same_client(db, tmp_path):
    """The import writes its rows in bulk, with the values all its rows share set once:
    each row must be what create_client and create_contact write (a client and a lead,
    their status, the day it became a client, who and when), ids and moments aside."""
    from tui_crm.db import execute
    from tui_crm.services import clients, contacts

    path = xlsx(
        tmp_path / "dos.xlsx",
        [
            ["Razón social", "CIF", "Email", "Tipo", "Estado", "Dirección", "CP", "Contacto"],
            [
                "Peña y Muñoz SL",
                NIFS[0],
                "info@pena.es",
                "Cliente",
                "",
                "Calle Mayor 1",
                8001,
                "Ana",
            ],
            ["Lead Archivado", NIFS[1], "", "Potencial", "Baja", "", "", ""],
        ],
    )
    report = import_clients(path)
    assert report.committed and report.created == 2
    made = clients.create_client(
        clients.ClientInput(
            legal_name="Peña y Muñoz SL", tax_id=NIFS[0], email="info@pena.es", kind="client"
        ),
        clients.AddressInput(line1="Calle Mayor 1", postal_code="08001"),
    )
    contacts.create_contact(made, contacts.ContactData(first_name="Ana"))
    lead = clients.create_client(
        clients.ClientInput(legal_name="Lead Archivado", tax_id=NIFS[1], kind="lead")
    )
    clients.archive_client(lead)

    moments = {"id", "client_id", "created_at", "updated_at", "version"}

    def rows(table: str, key: str, value: object) -> list[dict]:
        cursor = execute(f"SELECT * FROM {table} WHERE {key} = ? ORDER BY id", (value,))
        names = [d[0] for d in cursor.description]
        return [{k: v for k, v in zip(names, r, strict=True) if k not in moments} for r in cursor]

    imported, created = rows("client", "legal_name", "Peña y Muñoz SL")
    assert imported == created and imported["became_client_at"] is not None
    imported_lead, created_lead = rows("client", "legal_name", "Lead Archivado")
    assert imported_lead == created_lead
    assert imported_lead["status"] == "archived" and imported_lead["became_client_at"] is None
    [first, second] = [
        r[0] for r in execute("SELECT id FROM client WHERE legal_name = ?", ("Peña y Muñoz SL",))
    ]
    for table in ("address", "contact"):
        assert rows(table, "client_id", first) == rows(table, "client_id", second)
    stamp = execute(
        "SELECT created_at = updated_at, updated_by FROM client WHERE id = ?", (first,)
    ).fetchone()
    assert stamp[0] == 1 and stamp[1] == ME
