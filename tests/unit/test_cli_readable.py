"""What the command line prints is what a person reads (issue 16, items 7 and 8): the plain
and github formats show percentages and amounts as the user's language writes them, codes
as words; JSON keeps fractions, plain numbers and codes; counts agree with their nouns;
argparse's own words are translated; the default export file name is in the language."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from invoicing_support import D, line, make_client, set_issuer

T = dt.date.today()
SPANISH = {"LANGUAGE": "es", "LANG": "es_ES.UTF-8"}
ENGLISH = {"LANGUAGE": "en", "LANG": "en_GB.UTF-8"}


@pytest.fixture
def books(db):
    """One client owing 1,234.50 € overdue of 83,412.00 € billed this year (a 1.48 % share),
    and an opportunity in the pipeline's first stage."""
    from tui_crm.services import invoices, opportunities

    set_issuer()
    debtor = make_client()
    other = make_client("Ana Pérez", "12345678Z")
    for client_id, price, days_ago in ((debtor, "1020.25", 60), (other, "67914.63", 50)):
        draft = invoices.create_draft(
            invoices.InvoiceDraftInput(client_id=client_id, lines=[line("Obra", "1", price)])
        )
        invoices.issue_invoice(draft, T - dt.timedelta(days=days_ago))
    opportunities.create_opportunity(
        debtor, opportunities.OpportunityData(title="Web", stage="new", amount=D("70750"))
    )
    return db


def test_plain_report_in_spanish_shows_what_a_person_reads(cli, books) -> None:
    result = cli("--db", books, "report", "defaulters", env=SPANISH)
    assert result.returncode == 0, result.stderr
    [heading, *rows] = result.stdout.splitlines()
    assert "% de la facturación" in heading
    debtor = next(r for r in rows if "Peña" in r)
    assert "1.234,50" in debtor  # 1020.25 + IVA 214.25, with a thousands separator
    assert "1,48 %" in debtor and "0.0148" not in debtor
    pipeline = cli("--db", books, "report", "pipeline", env=SPANISH)
    assert pipeline.returncode == 0, pipeline.stderr
    assert "nueva" in pipeline.stdout and " new " not in pipeline.stdout
    assert "70.750,00" in pipeline.stdout


def test_github_report_in_english_and_json_keeps_numbers(cli, books) -> None:
    github = cli("--db", books, "report", "defaulters", "--format", "github", env=ENGLISH)
    assert github.returncode == 0, github.stderr
    assert "1,234.50" in github.stdout and "1.48 %" in github.stdout
    raw = cli("--db", books, "report", "defaulters", "--format", "json", env=SPANISH)
    [row] = [r for r in json.loads(raw.stdout) if r["tax_id"] == "A58818501"]
    assert row["overdue"] == "1234.50" and row["share_of_billing"] == "0.0148"
    stages = json.loads(cli("--db", books, "report", "pipeline", "--format", "json").stdout)
    assert stages[0]["stage"] == "new"  # JSON keeps the code


def test_argparse_speaks_spanish(cli) -> None:
    helped = cli("report", "--help", env=SPANISH)
    assert helped.returncode == 0
    assert helped.stdout.startswith("uso: tui-crm report")
    assert "argumentos posicionales:" in helped.stdout and "opciones:" in helped.stdout
    assert "positional arguments" not in helped.stdout and "options:" not in helped.stdout
    assert "muestra esta ayuda y sale" in helped.stdout
    wrong = cli("report", "nope", env=SPANISH)
    assert wrong.returncode == 2 and "opción no válida: 'nope'" in wrong.stderr
    english = cli("report", "--help", env=ENGLISH)
    assert english.stdout.startswith("usage: ") and "positional arguments:" in english.stdout


def test_counts_agree_with_their_nouns(db) -> None:
    from tui_crm.i18n import setup
    from tui_crm.services import contacts, merge

    survivor = make_client()
    absorbed = make_client("Peña y Muñoz S.L.", "B12345674")
    contacts.create_contact(absorbed, contacts.ContactData(first_name="Lucía"))
    try:
        setup("en")
        lines = merge.merge_preview(survivor, absorbed).lines()
        assert "1 contact" in lines and "1 address" in lines
        setup("es")
        lines = merge.merge_preview(survivor, absorbed).lines()
        assert "1 contacto" in lines and "1 dirección" in lines
    finally:
        setup("en")


def test_default_export_file_name_in_the_users_language() -> None:
    from tui_crm.i18n import setup
    from tui_crm.services.lists import default_file_name

    day = dt.date(2026, 11, 23)
    try:
        setup("en")
        assert default_file_name("clients", day) == "clients-2026-11-23.xlsx"
        assert default_file_name("clientes", day) == "clients-2026-11-23.xlsx"
        setup("es")
        assert default_file_name("clients", day) == "clientes-2026-11-23.xlsx"
    finally:
        setup("en")


def test_percentages_in_messages_use_the_languages_separator(db) -> None:
    from tui_crm.i18n import in_language
    from tui_crm.services import invoices
    from tui_crm.services.errors import ValidationError

    client_id = make_client(recargo=True)
    with in_language("es"), pytest.raises(ValidationError) as refused:
        invoices.create_draft(
            invoices.InvoiceDraftInput(
                client_id=client_id, lines=[line("Obra", recargo_rate=D("1.4"))]
            )
        )
    assert "debe ser 5,2 % con IVA del 21 %" in str(refused.value.errors)


def test_one_issued_invoice_is_one(db) -> None:
    from invoicing_support import issued

    from tui_crm.services import clients

    set_issuer()
    client_id = make_client()
    issued(client_id, T)
    assert clients.delete_refusal(client_id).startswith("it has 1 issued invoice;")
