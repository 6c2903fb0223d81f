"""An import that skips duplicates writes its new clients batch after batch while the
file is still being read, in its one transaction. Whatever the size of the batches,
it must decide and write exactly what planning the whole file at once decides (the
dry run), and a rejected row, a cancel or an error must leave nothing written.
"""

from __future__ import annotations

import pytest
from postgres_support import fresh_schema

from tests.import_support import client_count, import_audits, xlsx
from tui_crm.imports import clients as client_import
from tui_crm.imports.clients import import_clients
from tui_crm.imports.report import ImportCancelled

HEADER = ["Nombre", "NIF", "Email", "Teléfono", "Población"]


def nif(n: int) -> str:
    number = 20_000_000 + n
    return f"{number}{'TRWAGMYFPDXBNJZSQVHLCKE'[number % 23]}"


def _on_file() -> dict[str, int]:
    from tui_crm.services import clients

    return {
        "existing": clients.create_client(
            clients.ClientInput(legal_name="Ya Existe SL", tax_id=nif(0))
        ),
        "by_email": clients.create_client(
            clients.ClientInput(legal_name="Por Email", email="sin.nif@existe.es")
        ),
    }


ROWS = [
    HEADER,
    ["Uno", nif(1), "uno@x.es", "", "Madrid"],  # row 2
    ["Dos", nif(2), "", "", ""],
    ["Tres", nif(3), "compartido@x.es", "", ""],
    ["Existe otra vez", "ES" + nif(0), "", "", ""],  # row 5: on file, as a VAT number
    ["Cuatro", nif(4), "compartido@x.es", "", ""],  # same email, another tax ID: new
    ["Uno bis", nif(1), "", "", ""],  # row 7: repeats row 2 (same tax ID)
    ["Sin NIF", "", "uno@x.es", "", ""],  # row 8: repeats row 2 (same email)
    ["Por email", "", "sin.nif@EXISTE.ES", "", ""],  # row 9: on file (same email)
    ["Cinco", nif(5), "sin.nif@existe.es", "", ""],  # row 10: repeats row 9
    ["Seis", nif(6), "uno@x.es", "", ""],  # same email as row 2, both with tax IDs: new
    ["Siete", "", "siete@x.es", "", ""],
    ["Siete bis", "", "siete@x.es", "", "Sevilla"],  # row 13: repeats row 12
    ["Ocho", nif(8), "", "600 000 000", ""],
]
CREATED = {"Uno", "Dos", "Tres", "Cuatro", "Seis", "Siete", "Ocho"}


def _names() -> set[str]:
    from tui_crm.db import execute

    return {r[0] for r in execute("SELECT legal_name FROM client")}


def _skipped(report) -> list[tuple[int, str]]:
    return [(i.row, i.reason) for i in report.skipped]


def _streamed_as_planned(path, monkeypatch, batch: int) -> None:
    monkeypatch.setattr(client_import, "WRITE_BATCH", batch)
    on_file = _on_file()
    planned = import_clients(path, dry_run=True)
    assert [row for row, _reason in _skipped(planned)] == [5, 7, 8, 9, 10, 13], _skipped(planned)
    assert planned.created == len(CREATED)
    report = import_clients(path)
    assert report.committed and report.created == len(CREATED)
    assert _skipped(report) == _skipped(planned)
    reasons = dict(_skipped(report))
    assert f"client {on_file['existing']}" in reasons[5]
    assert f"client {on_file['by_email']}" in reasons[9] and "same email" in reasons[9]
    assert reasons[10] == "repeats row 9 (same email)"  # row 9 has no tax ID
    assert reasons[7] == "repeats row 2 (same tax ID)"
    assert reasons[8] == "repeats row 2 (same email)"
    assert reasons[13] == "repeats row 12 (same email)"
    assert _names() == CREATED | {"Ya Existe SL", "Por Email"}
    assert len(import_audits()) == 1
    # Run again: every row is now a duplicate of a client on file, none of the file.
    again = import_clients(path)
    assert again.created == 0 and len(again.skipped) == len(ROWS) - 1
    assert client_count() == len(CREATED) + 2


@pytest.mark.parametrize("batch", [1, 2, 3, 5, 1000])
def test_batches_of_any_size_write_what_the_whole_file_plans(db, tmp_path, monkeypatch, batch):
    _streamed_as_planned(xlsx(tmp_path / "clientes.xlsx", ROWS), monkeypatch, batch)


@pytest.mark.slow
@pytest.mark.xdist_group("postgres")
def test_batches_write_what_the_whole_file_plans_on_postgresql(
    pg_url, app_env, tmp_path, monkeypatch
):
    path = xlsx(tmp_path / "clientes.xlsx", ROWS)
    with fresh_schema(pg_url):
        _streamed_as_planned(path, monkeypatch, 2)


def test_a_rejected_row_after_batches_were_written_leaves_nothing(db, tmp_path, monkeypatch):
    monkeypatch.setattr(client_import, "WRITE_BATCH", 2)
    rows = [*ROWS, ["", nif(9), "sin-nombre@x.es", "", ""]]  # the last row: no name
    path = xlsx(tmp_path / "clientes.xlsx", rows)
    report = import_clients(path)
    assert not report.committed and report.failed
    assert [i.row for i in report.rejected] == [len(rows)]
    assert report.created == len(CREATED) + 2  # what it would create: nothing is on file
    assert client_count() == 0 and import_audits() == []

    report = import_clients(path, skip_invalid=True)
    assert report.committed and report.created == len(CREATED) + 2
    assert client_count() == len(CREATED) + 2


def test_rows_after_a_rejected_one_are_written_with_skip_invalid(db, tmp_path, monkeypatch):
    monkeypatch.setattr(client_import, "WRITE_BATCH", 2)
    rows = [HEADER, ["Uno", nif(1), "", "", ""], ["Malo", "B12345678", "", "", ""]]
    rows += [[f"Cliente {n}", nif(n), "", "", ""] for n in range(10, 17)]
    path = xlsx(tmp_path / "clientes.xlsx", rows)
    report = import_clients(path, skip_invalid=True)
    assert report.committed and report.created == 8 and report.rejected_rows == 1
    assert _names() == {"Uno", *(f"Cliente {n}" for n in range(10, 17))}


def test_a_cancel_after_batches_were_written_leaves_nothing(db, tmp_path, monkeypatch):
    monkeypatch.setattr(client_import, "WRITE_BATCH", 2)
    path = xlsx(tmp_path / "clientes.xlsx", ROWS)
    seen: list[int] = []

    def cancelled() -> bool:
        seen.append(client_count())  # inside the import's transaction: its own writes
        return seen[-1] >= 4

    with pytest.raises(ImportCancelled):
        import_clients(path, cancelled=cancelled)
    assert max(seen) >= 4  # batches had been written when it was cancelled
    assert client_count() == 0 and import_audits() == []


def test_update_mode_reads_the_whole_file_before_writing(db, tmp_path, monkeypatch):
    """A file's repeated rows are merged into one client before it is written."""
    monkeypatch.setattr(client_import, "WRITE_BATCH", 1)
    path = xlsx(tmp_path / "clientes.xlsx", ROWS)
    report = import_clients(path, on_duplicate="update")
    assert report.committed and report.created == len(CREATED) + 2  # rows 5 and 9 are new here
    from tui_crm.db import execute

    city = execute(
        "SELECT a.city FROM address a JOIN client c ON c.id = a.client_id "
        "WHERE c.legal_name = 'Siete bis'"
    ).fetchall()
    assert city == [("Sevilla",)]  # row 13's values went into row 12's client
