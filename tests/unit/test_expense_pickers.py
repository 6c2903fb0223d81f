"""A new expense's project and document pickers before a client is chosen (every open
project, every document, labelled with their client) and once it is (that client's,
and the documents of no client); a project or document of another client is refused
naming the field and both clients, by the service and by `tui-crm expense add`."""

from __future__ import annotations

import pytest
from invoicing_support import make_client, set_issuer

from tui_crm.services import documents, expenses, projects
from tui_crm.services.errors import ValidationError


@pytest.fixture
def two_clients(db):
    set_issuer()
    alfa = make_client("Alfa SL", "B60889649")
    beta = make_client("Beta SL", "A58818501")
    web = projects.create_project(alfa, projects.ProjectData(name="Web"))
    app = projects.create_project(beta, projects.ProjectData(name="App"))
    old = projects.create_project(beta, projects.ProjectData(name="Vieja", status="done"))
    contract = documents.add_document(b"c", "contrato.pdf", client_id=alfa)
    ticket = documents.add_document(b"t", "ticket-beta.pdf", client_id=beta)
    loose = documents.add_document(b"l", "recibo-suelto.pdf")
    return locals()


def test_pickers_without_a_client_offer_every_open_project_and_document(two_clients) -> None:
    t = two_clients
    picks = expenses.project_picks()
    assert [(p.id, p.client_id) for p in picks] == [(t["web"], t["alfa"]), (t["app"], t["beta"])]
    assert picks[0].label.endswith("— Alfa SL") and picks[0].label.startswith("Web")
    assert picks[1].client_tax_id == "A58818501"
    docs = {d.id: d for d in expenses.document_picks()}
    assert set(docs) == {t["contract"], t["ticket"], t["loose"]}
    assert docs[t["ticket"]].label == "ticket-beta.pdf — Beta SL"
    assert docs[t["loose"]].client_id is None


def test_pickers_narrow_to_the_client_chosen(two_clients) -> None:
    t = two_clients
    beta = [p.id for p in expenses.project_picks(t["beta"])]
    assert beta == [t["app"], t["old"]]  # every status of its own, open first
    assert {d.id for d in expenses.document_picks(t["beta"])} == {t["ticket"], t["loose"]}


def test_project_or_document_of_another_client_is_refused_naming_the_field(two_clients) -> None:
    t = two_clients
    base = dict(expense_date="2026-02-03", supplier_name="Papelería", base="10")
    with pytest.raises(ValidationError) as caught:
        expenses.create_expense(
            expenses.ExpenseData(**base, client_id=t["alfa"], project_id=t["app"])
        )
    assert caught.value.errors == {"project": "is a project of Beta SL, not of Alfa SL"}
    with pytest.raises(ValidationError) as caught:
        expenses.create_expense(
            expenses.ExpenseData(**base, project_id=t["web"], document_id=t["ticket"])
        )
    assert caught.value.errors == {"document": "is a document of Beta SL, not of Alfa SL"}
    assert expenses.count_expenses() == 0
    # Chosen with no client: the project, or the document, brings its client.
    by_project = expenses.create_expense(
        expenses.ExpenseData(**base, project_id=t["app"], document_id=t["loose"])
    )
    by_document = expenses.create_expense(expenses.ExpenseData(**base, document_id=t["contract"]))
    assert expenses.get_expense(by_project).client == "Beta SL"
    assert expenses.get_expense(by_document).client == "Alfa SL"


def test_cli_expense_add_refuses_a_project_of_another_client(two_clients, cli, db) -> None:
    t = two_clients
    refused = cli("--db", db, "expense", "add", "--date", "2026-02-03", "--supplier", "Taxi",
                  "--base", "12", "--client", "B60889649", "--project", str(t["app"]))  # fmt: skip
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "project" in refused.stderr and "Beta SL, not of Alfa SL" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    alone = cli("--db", db, "expense", "add", "--date", "2026-02-03", "--supplier", "Taxi",
                "--base", "12", "--project", str(t["app"]))  # fmt: skip
    assert alone.returncode == 0, alone.stderr
    assert expenses.get_expense(int(alone.stdout.strip().split()[-1])).client == "Beta SL"
