"""tui_crm.services.clients over a real database file: rules, locking, audit, search, lists."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import replace
from decimal import Decimal

import pytest

from tests.people import ME
from tui_crm.db import execute
from tui_crm.models import Address, AuditLog, Client, Contact, Invoice, InvoiceLine, Payment
from tui_crm.services import clients, search, users
from tui_crm.services.clients import AddressInput, ClientFilter, ClientInput
from tui_crm.services.errors import ConflictError, NotFound, RuleViolation, ValidationError
from tui_crm.services.session import Actor, login, set_actor

ALL = ClientFilter(status="")


def make(name: str, **fields: object) -> int:
    return clients.create_client(ClientInput(legal_name=name, **fields))


def names(flt: ClientFilter) -> list[str]:
    return [row.name for row in clients.list_clients(flt, 0, None)]


def audit_rows(client_id: int, action: str | None = None) -> list[AuditLog]:
    query = AuditLog.select().where(
        (AuditLog.entity == "client") & (AuditLog.entity_id == str(client_id))
    )
    if action:
        query = query.where(AuditLog.action == action)
    return list(query.order_by(AuditLog.id))


def act_as(login_name: str) -> None:
    info = users.register(login_name)
    set_actor(Actor(login=info.login, role=info.role))


def issue_invoice(client_id: int, number: int = 1, status: str = "issued") -> Invoice:
    """An issued invoice row written through the model (there is no invoicing service yet)."""
    return Invoice.create(
        client=client_id,
        status=status,
        series="F",
        year=2026,
        number=number,
        code=f"F2026-{number:05d}",
        issue_date=dt.date(2026, 1, 15),
        due_date=dt.date(2026, 2, 14),
        base=Decimal("1000.00"),
        vat=Decimal("210.00"),
        total=Decimal("1210.00"),
        outstanding=Decimal("1210.00"),
        client_name="x",
    )


# --- create ----------------------------------------------------------------------


def test_create_with_address(db) -> None:
    cid = clients.create_client(
        ClientInput(
            legal_name="  Muñoz Asesores SL ",
            trade_name="Asesoría Muñoz",
            kind="client",
            tax_id="b12345674",
            email="Info@Munoz.ES",
            phone="+34 954 123 456",
            vat_rate=Decimal(10),
            irpf_rate=Decimal(15),
        ),
        AddressInput(line1="Calle Feria 12", postal_code="41003", city="Sevilla", country="es"),
    )
    detail = clients.get_client(cid)
    assert detail.version == 1
    assert detail.status == "active"
    assert detail.data.legal_name == "Muñoz Asesores SL"
    assert detail.data.tax_id == "B12345674"
    assert detail.data.email == "Info@munoz.es"
    assert detail.data.vat_rate == Decimal(10)
    assert str(detail.data.vat_rate) == "10"
    assert detail.data.irpf_rate == Decimal(15)
    assert detail.became_client_at == dt.date.today()
    assert detail.updated_by == ME
    assert detail.revenue_total == Decimal("0.00")
    assert [(a.line1, a.city, a.country) for a in detail.addresses] == [
        ("Calle Feria 12", "Sevilla", "ES")
    ]
    address = Address.get(Address.client == cid)
    assert address.is_invoice_default and address.is_delivery_default and address.is_quote_default
    row = Client.get_by_id(cid)
    assert row.sort_name == "munoz asesores sl"  # the legal name it is listed by
    assert row.tax_id_compact == "B12345674"
    stored = execute("SELECT vat_rate_bp, irpf_rate_bp FROM client WHERE id = ?", (cid,)).fetchone()
    assert stored == (1000, 1500)
    [listed] = clients.list_clients(ALL)
    assert (listed.id, listed.city, listed.phone, listed.kind) == (
        cid,
        "Sevilla",
        "+34 954 123 456",
        "client",
    )


def test_lead_has_no_conversion_date_and_empty_address_is_not_stored(db) -> None:
    cid = clients.create_client(ClientInput(legal_name="Lead SL"), AddressInput(label="Sede"))
    detail = clients.get_client(cid)
    assert detail.data.kind == "lead"
    assert detail.became_client_at is None
    assert detail.addresses == ()


def test_validation_names_every_bad_field_and_writes_nothing(db) -> None:
    bad = ClientInput(
        legal_name="   ",
        kind="customer",
        tax_id="12345678A",
        email="ana@",
        phone="call me",
        mobile="123",
        payment_days=400,
        vat_rate=Decimal(22),
        irpf_rate=Decimal(3),
        vat_exempt=True,
        owner_login="nobody",
    )
    with pytest.raises(ValidationError) as info:
        clients.create_client(bad)
    errors = info.value.errors
    assert set(errors) == {
        "legal_name",
        "kind",
        "tax_id",
        "email",
        "phone",
        "mobile",
        "payment_days",
        "vat_rate",
        "irpf_rate",
        "exemption_reason",
        "owner_login",
    }
    assert "required" in errors["legal_name"]
    assert "check digit" in errors["tax_id"]
    assert "21, 10, 4, 0" in errors["vat_rate"]
    assert "nobody" in errors["owner_login"]
    for name in errors:
        assert name in str(info.value)
    assert Client.select().count() == 0
    assert AuditLog.select().where(AuditLog.entity == "client").count() == 0


def test_legal_name_too_long(db) -> None:
    with pytest.raises(ValidationError) as info:
        make("x" * 201)
    assert set(info.value.errors) == {"legal_name"}
    assert "200" in info.value.errors["legal_name"]


def test_foreign_tax_id_is_checked_for_its_country(db) -> None:
    cid = make("Škoda Praha s.r.o.", tax_id="25596641", tax_id_country="cz")
    assert clients.get_client(cid).data.tax_id_country == "CZ"
    with pytest.raises(ValidationError) as info:
        make("Other s.r.o.", tax_id="25596642", tax_id_country="CZ")
    assert "Czech" in info.value.errors["tax_id"]


# --- update and optimistic locking -------------------------------------------------


def test_update_bumps_version_and_audits_before_and_after(db) -> None:
    cid = make("Alfa SL", email="a@alfa.es")
    detail = clients.get_client(cid)
    new_version = clients.update_client(
        cid, replace(detail.data, email="hola@alfa.es", vat_rate=Decimal(4)), detail.version
    )
    assert new_version == 2
    after = clients.get_client(cid)
    assert after.version == 2
    assert after.data.email == "hola@alfa.es"
    assert after.data.vat_rate == Decimal(4)
    [row] = audit_rows(cid, "update")
    assert row.user == ME
    assert json.loads(row.changes) == {
        "email": ["a@alfa.es", "hola@alfa.es"],
        "vat_rate": ["21", "4"],
    }


def test_update_validation_error_keeps_the_record(db) -> None:
    cid = make("Alfa SL")
    detail = clients.get_client(cid)
    with pytest.raises(ValidationError) as info:
        clients.update_client(cid, replace(detail.data, legal_name="", email="x"), 1)
    assert set(info.value.errors) == {"legal_name", "email"}
    assert clients.get_client(cid).version == 1
    assert clients.get_client(cid).data.legal_name == "Alfa SL"


def test_second_save_from_the_same_version_is_a_conflict_naming_the_first_user(db) -> None:
    cid = make("Muñoz Asesores SL", email="info@munoz.es")
    first = clients.get_client(cid)  # two people open the same record at version 1
    second = clients.get_client(cid)
    assert first.version == second.version == 1

    act_as("alice")
    assert clients.update_client(cid, replace(first.data, phone="954 111 222"), 1) == 2

    act_as("bob")
    with pytest.raises(ConflictError) as info:
        clients.update_client(cid, replace(second.data, email="bob@munoz.es"), second.version)
    message = str(info.value)
    assert "alice" in message
    assert "nothing was saved" in message
    assert info.value.info.changed_by == "alice"
    assert info.value.info.entity_id == cid
    assert info.value.info.differences["phone"] == ("", "954 111 222")
    assert info.value.info.differences["email"] == ("bob@munoz.es", "info@munoz.es")

    now = clients.get_client(cid)  # alice's save is intact, bob's was not written
    assert now.version == 2
    assert now.updated_by == "alice"
    assert now.data.phone == "954 111 222"
    assert now.data.email == "info@munoz.es"
    assert [r.user for r in audit_rows(cid, "update")] == ["alice"]

    # Reloading and saving again works.
    assert clients.update_client(cid, replace(now.data, email="bob@munoz.es"), now.version) == 3
    assert clients.get_client(cid).updated_by == "bob"


def test_update_of_missing_client(db) -> None:
    with pytest.raises(NotFound):
        clients.update_client(999, ClientInput(legal_name="X"), 1)


# --- status, conversion, deletion ---------------------------------------------------


def test_archive_and_unarchive(db) -> None:
    cid = make("Alfa SL")
    make("Beta SL")
    clients.archive_client(cid)
    assert clients.get_client(cid).status == "archived"
    assert clients.get_client(cid).version == 2
    assert names(ClientFilter()) == ["Beta SL"]
    assert names(ClientFilter(status="archived")) == ["Alfa SL"]
    assert names(ALL) == ["Alfa SL", "Beta SL"]
    clients.archive_client(cid)  # again: nothing changes
    assert clients.get_client(cid).version == 2
    clients.unarchive_client(cid)
    assert clients.get_client(cid).status == "active"
    assert names(ClientFilter()) == ["Alfa SL", "Beta SL"]
    archive = audit_rows(cid, "archive")
    unarchive = audit_rows(cid, "unarchive")
    assert len(archive) == len(unarchive) == 1
    assert json.loads(archive[0].changes) == {"status": ["active", "archived"]}
    assert json.loads(unarchive[0].changes) == {"status": ["archived", "active"]}
    assert archive[0].user == ME


def test_convert_lead_to_client(db) -> None:
    cid = make("Lead SL")
    assert names(ClientFilter(kind="lead")) == ["Lead SL"]
    clients.convert_to_client(cid)
    detail = clients.get_client(cid)
    assert detail.data.kind == "client"
    assert detail.became_client_at == dt.date.today()
    assert detail.version == 2
    assert names(ClientFilter(kind="lead")) == []
    assert names(ClientFilter(kind="client")) == ["Lead SL"]
    [row] = audit_rows(cid, "update")
    assert json.loads(row.changes) == {"kind": ["lead", "client"]}
    clients.convert_to_client(cid)  # already a client: no new version, no new audit row
    assert clients.get_client(cid).version == 2
    assert len(audit_rows(cid, "update")) == 1


def test_update_from_lead_to_client_sets_conversion_date(db) -> None:
    cid = make("Lead SL")
    detail = clients.get_client(cid)
    clients.update_client(cid, replace(detail.data, kind="client"), 1)
    assert clients.get_client(cid).became_client_at == dt.date.today()


def test_delete_lead_without_invoices(db) -> None:
    cid = clients.create_client(
        ClientInput(legal_name="Lead SL", email="lead@lead.es"), AddressInput(city="Cádiz")
    )
    Contact.create(client=cid, first_name="Lucía")
    draft = Invoice.create(client=cid, status="draft")
    InvoiceLine.create(invoice=draft.id, description="draft line")
    assert clients.delete_refusal(cid) is None
    clients.delete_client(cid)
    assert Client.get_or_none(Client.id == cid) is None
    assert Address.select().count() == Contact.select().count() == 0
    assert Invoice.select().count() == InvoiceLine.select().count() == 0
    assert execute("SELECT COUNT(*) FROM client_search").fetchone()[0] == 0
    [row] = audit_rows(cid, "delete")
    assert row.user == ME
    changes = json.loads(row.changes)
    assert changes["legal_name"] == ["Lead SL", None]
    assert changes["email"] == ["lead@lead.es", None]
    with pytest.raises(NotFound):
        clients.get_client(cid)


def test_client_with_an_issued_invoice_cannot_be_deleted(db) -> None:
    cid = make("Muñoz Asesores SL", kind="client")
    issue_invoice(cid)
    reason = clients.delete_refusal(cid)
    assert reason is not None and "issued invoice" in reason
    with pytest.raises(RuleViolation) as info:
        clients.delete_client(cid)
    message = str(info.value)
    assert "Muñoz Asesores SL" in message
    assert "issued invoice" in message
    assert "archived or merged" in message
    assert clients.get_client(cid).status == "active"
    assert Invoice.select().where(Invoice.client == cid).count() == 1
    assert audit_rows(cid, "delete") == []
    assert names(ClientFilter(text="munoz")) == ["Muñoz Asesores SL"]


@pytest.mark.parametrize("status", ["partially_paid", "paid"])
def test_paid_invoices_also_block_deletion(db, status: str) -> None:
    cid = make("Alfa SL", kind="client")
    issue_invoice(cid, status=status)
    with pytest.raises(RuleViolation):
        clients.delete_client(cid)
    assert Client.get_or_none(Client.id == cid) is not None


def test_client_with_payments_cannot_be_deleted(db) -> None:
    cid = make("Alfa SL", kind="client")
    Payment.create(client=cid, date=dt.date(2026, 3, 1), amount=Decimal("50.00"))
    with pytest.raises(RuleViolation, match="payments"):
        clients.delete_client(cid)
    assert Client.get_or_none(Client.id == cid) is not None


# --- duplicates -----------------------------------------------------------------------


def test_find_duplicates_by_tax_id_and_email(db) -> None:
    alfa = make("Alfa SL", tax_id="B12345674", email="info@alfa.es")
    beta = make("Beta SL", email="hola@beta.es")

    by_tax = clients.find_duplicates(ClientInput(legal_name="Alfa 2", tax_id=" b-12345674 "))
    assert [(d.id, d.legal_name, d.reason) for d in by_tax] == [(alfa, "Alfa SL", "tax_id")]

    by_email = clients.find_duplicates(ClientInput(legal_name="B", email=" hola@beta.es "))
    assert [(d.id, d.reason) for d in by_email] == [(beta, "email")]

    both = clients.find_duplicates(ClientInput(tax_id="B12345674", email="info@alfa.es"))
    assert [(d.id, d.reason) for d in both] == [(alfa, "tax_id")]  # listed once

    assert clients.find_duplicates(ClientInput(tax_id="B12345674"), exclude_id=alfa) == []
    assert clients.find_duplicates(ClientInput(tax_id="12345678Z", email="x@y.es")) == []


def test_find_duplicates_normalises_like_the_stored_values(db) -> None:
    alfa = make("Alfa SL", tax_id="B12345674", email="info@alfa.es")
    # The same mailbox typed with the domain in capitals (stored with a lower-case domain).
    found = clients.find_duplicates(ClientInput(email="info@ALFA.ES"))
    assert [(d.id, d.reason) for d in found] == [(alfa, "email")]
    # The same Spanish company typed as its EU VAT number.
    found = clients.find_duplicates(ClientInput(tax_id="ESB12345674"))
    assert [(d.id, d.reason) for d in found] == [(alfa, "tax_id")]
    beta = make("Beta SL", tax_id="ESA58818501")
    found = clients.find_duplicates(ClientInput(tax_id="A58818501"))
    assert [(d.id, d.reason) for d in found] == [(beta, "tax_id")]


def test_merged_records_are_not_duplicates(db) -> None:
    alfa = make("Alfa SL", tax_id="B12345674")
    execute("UPDATE client SET status = 'merged' WHERE id = ?", (alfa,))
    assert clients.find_duplicates(ClientInput(tax_id="B12345674")) == []
    assert clients.find_by_tax_id("B12345674") is None


def test_find_by_tax_id(db) -> None:
    alfa = make("Alfa SL", tax_id="B12345674")
    assert clients.find_by_tax_id("b12345674") == alfa
    assert clients.find_by_tax_id("12345678Z") is None


# --- audit ------------------------------------------------------------------------------


def test_create_is_audited_with_the_values_and_user(db) -> None:
    act_as("carmen")
    cid = make("Alfa SL", email="info@alfa.es", vat_rate=Decimal(10))
    [row] = audit_rows(cid, "create")
    assert row.user == "carmen"
    assert row.client_id == cid
    assert row.summary == "Alfa SL"
    changes = json.loads(row.changes)
    assert changes["legal_name"] == [None, "Alfa SL"]
    assert changes["email"] == [None, "info@alfa.es"]
    assert changes["vat_rate"] == [None, "10"]
    assert "trade_name" not in changes  # empty values are not noise in the log
    assert row.at is not None


# --- search -------------------------------------------------------------------------------


@pytest.fixture
def people(db) -> dict[str, int]:
    return {
        "munoz": make("Muñoz Asesores SL", tax_id="B12345674"),
        "perez": make("Ángel Pérez", tax_id="12345678Z", email="angel@perez.es"),
        "ramun": make("Ramundo Gestión SL"),
        "zeta": make("zeta consulting"),
        "nandu": make("Ñandú Eventos SL", phone="+34 600 123 456"),
    }


def test_search_is_accent_and_case_insensitive(people) -> None:
    assert names(ClientFilter(text="munoz")) == ["Muñoz Asesores SL"]
    # Three characters or more match anywhere in the name ("Ramundo" holds "mun" too).
    assert names(ClientFilter(text="MUÑ")) == ["Muñoz Asesores SL", "Ramundo Gestión SL"]
    assert names(ClientFilter(text="MUÑOZ")) == ["Muñoz Asesores SL"]
    assert names(ClientFilter(text="Muñoz asesores")) == ["Muñoz Asesores SL"]
    assert names(ClientFilter(text="ANGEL PEREZ")) == ["Ángel Pérez"]
    assert names(ClientFilter(text="nandu")) == ["Ñandú Eventos SL"]
    assert names(ClientFilter(text="gestion")) == ["Ramundo Gestión SL"]
    assert names(ClientFilter(text="nobody here")) == []
    assert clients.count_clients(ClientFilter(text="munoz")) == 1


def test_search_by_tax_id_email_and_phone_fragments(people) -> None:
    assert names(ClientFilter(text="2345674")) == ["Muñoz Asesores SL"]
    assert names(ClientFilter(text="b1234")) == ["Muñoz Asesores SL"]
    assert names(ClientFilter(text="345678z")) == ["Ángel Pérez"]
    assert names(ClientFilter(text="perez.es")) == ["Ángel Pérez"]
    assert names(ClientFilter(text="600123")) == ["Ñandú Eventos SL"]


def test_short_queries_match_name_prefixes(people) -> None:
    assert names(ClientFilter(text="mu")) == ["Muñoz Asesores SL"]  # not "Ramundo"
    assert names(ClientFilter(text="z")) == ["zeta consulting"]  # not Muñoz, Pérez
    assert names(ClientFilter(text="Á")) == ["Ángel Pérez"]
    assert names(ClientFilter(text="ñ")) == ["Ñandú Eventos SL"]
    assert names(ClientFilter(text="r")) == ["Ramundo Gestión SL"]
    assert clients.count_clients(ClientFilter(text="mu")) == 1


def test_short_query_pages_merge_names_and_tax_ids(db) -> None:
    """A one- or two-letter search reads its pages from two ranges (names, tax IDs) merged
    (`_prefix_page`): every page, with every filter, is the slice of the whole list."""
    from stdnum.es import cif

    for n in range(14):
        body = f"B{n:07d}"
        kind = "lead" if n % 3 == 0 else "client"
        # Names starting with "b", and companies whose CIF starts with B but name does not.
        name = f"Bodega {n:02d} SL" if n % 2 else f"Alfa {n:02d} SL"
        make(name, tax_id=body + cif.calc_check_digits(body)[-1], kind=kind)
    make("Beta Zero SL")
    make("Zeta Bravo SL")
    archived = make("Bodega Vieja SL")
    clients.archive_client(archived)
    for flt in (
        ClientFilter(text="b"),
        ClientFilter(text="bo"),
        ClientFilter(text="B", kind="lead"),
        ClientFilter(text="b", status=""),
        ClientFilter(text="b", status="archived"),
        ClientFilter(text="z"),
    ):
        whole = [row.id for row in clients.list_clients(flt, 0, None)]
        assert len(whole) == clients.count_clients(flt)
        for size in (1, 4, 50):
            paged = [
                row.id
                for offset in range(0, len(whole) + size, size)
                for row in clients.list_clients(flt, offset, size)
            ]
            assert paged == whole, (flt, size)
    assert len(names(ClientFilter(text="b"))) == 15  # 7 Bodegas, Beta, 7 more CIFs: 14 + 1
    assert "Zeta Bravo SL" not in names(ClientFilter(text="b"))


def test_substring_search_pages_start_from_names_that_start_with_it(db) -> None:
    """A substring search by name reads a page from the names starting with the text when
    they fill it (`_name_start_page`), else from the index: every page, with each filter,
    is the slice of the whole list, names holding the text first."""
    for n in range(9):
        make(f"Bodega {n:02d} SL", kind="lead" if n % 3 == 0 else "client")
    exact = make("Bodega")
    inside = make("La Bodega Vieja SL")
    by_email = make("Zeta SL", email="pedidos@bodega.es")
    alfa = make("Alfa SL")
    Contact.create(client=alfa, first_name="Ana", last_name="Bodega")
    search.reindex_client(alfa)
    clients.archive_client(make("Bodega Cerrada SL"))
    clients.archive_client(make("Otra Bodega Cerrada SL"))
    for flt in (
        ClientFilter(text="bodega"),
        ClientFilter(text="BOD"),
        ClientFilter(text="bodega 0"),
        ClientFilter(text="bod", kind="lead"),
        ClientFilter(text="bod", status=""),
        ClientFilter(text="bod", status="archived"),
    ):
        whole = [row.id for row in clients.list_clients(flt, 0, None)]
        assert len(whole) == clients.count_clients(flt)
        for size in (1, 3, 4, 50):
            paged = [
                row.id
                for offset in range(0, len(whole) + size, size)
                for row in clients.list_clients(flt, offset, size)
            ]
            assert paged == whole, (flt, size)
    whole = [row.id for row in clients.list_clients(ClientFilter(text="bodega"), 0, None)]
    assert len(whole) == 13 and whole[0] == exact and whole[10] == inside
    assert by_email in whole[11:]
    assert [r.id for r in clients.list_clients(ClientFilter(text="bodega"), 0, 2)] == whole[:2]
    # Folded on both sides; a name without its document (not indexed) is not a match.
    accented = make("Bodéga Ñandú SL")
    unindexed = make("Bodega Sin Índice SL")
    execute("DELETE FROM client_search WHERE rowid = ?", (unindexed,))
    assert [r.id for r in clients.list_clients(ClientFilter(text="BODÉGA ÑAN"), 0, 1)] == [accented]
    flt = ClientFilter(text="bodega")
    whole = [row.id for row in clients.list_clients(flt, 0, None)]
    paged = [row.id for n in range(16) for row in clients.list_clients(flt, n, 1)]
    assert paged == whole and accented in whole and unindexed not in whole and len(whole) == 14


def test_contact_name_finds_the_client_once(people) -> None:
    cid = people["ramun"]
    Contact.create(client=cid, first_name="Lucía", last_name="Fernández", email="lf@ramundo.es")
    Contact.create(client=cid, first_name="Lucía", last_name="Gómez")
    assert names(ClientFilter(text="lucia")) == []  # not indexed yet
    search.reindex_client(cid)
    assert names(ClientFilter(text="lucia")) == ["Ramundo Gestión SL"]
    assert names(ClientFilter(text="LUCÍA FERNÁNDEZ")) == ["Ramundo Gestión SL"]
    assert names(ClientFilter(text="lf@ramundo")) == ["Ramundo Gestión SL"]
    assert clients.count_clients(ClientFilter(text="lucia")) == 1


def test_search_follows_updates_and_archive_filter(people) -> None:
    cid = people["munoz"]
    detail = clients.get_client(cid)
    clients.update_client(cid, replace(detail.data, legal_name="Castaño Asesores SL"), 1)
    assert names(ClientFilter(text="munoz")) == []
    assert names(ClientFilter(text="castano")) == ["Castaño Asesores SL"]
    clients.archive_client(cid)
    assert names(ClientFilter(text="castano")) == []
    assert names(ClientFilter(text="castano", status="archived")) == ["Castaño Asesores SL"]


def test_search_text_with_quotes_and_symbols_is_safe(people) -> None:
    for text in ['"', 'mu"ñoz', "a OR b", "NEAR(x y)", "*", "%", "_", "'; DROP TABLE client; --"]:
        rows = clients.list_clients(ClientFilter(text=text))
        assert clients.count_clients(ClientFilter(text=text)) == len(rows)
    assert Client.select().count() == 5


# --- the list -----------------------------------------------------------------------------


def test_list_is_ordered_by_folded_name_and_count_agrees(people) -> None:
    listed = names(ClientFilter())
    assert listed == [
        "Ángel Pérez",
        "Muñoz Asesores SL",
        "Ñandú Eventos SL",
        "Ramundo Gestión SL",
        "zeta consulting",
    ]
    assert clients.count_clients(ClientFilter()) == len(listed)


def test_list_pages(db) -> None:
    for i in range(25):
        make(f"Cliente {i:02d}")
    page1 = clients.list_clients(ClientFilter(), 0, 10)
    page3 = clients.list_clients(ClientFilter(), 20, 10)
    assert [r.name for r in page1] == [f"Cliente {i:02d}" for i in range(10)]
    assert [r.name for r in page3] == [f"Cliente {i:02d}" for i in range(20, 25)]
    assert clients.count_clients(ClientFilter()) == 25


def test_list_sorts_by_the_legal_name_it_shows(db) -> None:
    # Issue 16: it sorted by the trade name while showing the legal name.
    make("Zapatos SL", trade_name="Alpargatas")
    make("Bodega SL")
    assert names(ClientFilter()) == ["Bodega SL", "Zapatos SL"]


def test_filters_kind_status_owner(db) -> None:
    users.register("alice")
    users.register("bob")
    make("Alfa SL", kind="client", owner_login="alice")
    make("Beta SL", kind="lead", owner_login="bob")
    gamma = make("Gamma SL", kind="client", owner_login="alice")
    make("Delta SL", kind="lead")
    clients.archive_client(gamma)

    cases = {
        ClientFilter(): ["Alfa SL", "Beta SL", "Delta SL"],
        ClientFilter(kind="client"): ["Alfa SL"],
        ClientFilter(kind="lead"): ["Beta SL", "Delta SL"],
        ClientFilter(status="archived"): ["Gamma SL"],
        ClientFilter(status=""): ["Alfa SL", "Beta SL", "Delta SL", "Gamma SL"],
        ClientFilter(owner_login="alice"): ["Alfa SL"],
        ClientFilter(owner_login="alice", status=""): ["Alfa SL", "Gamma SL"],
        ClientFilter(owner_login="bob", kind="client"): [],
        ClientFilter(owner_login="nobody"): [],
        ClientFilter(kind="client", status="", text="gam"): ["Gamma SL"],
    }
    for flt, expected in cases.items():
        assert names(flt) == expected, flt
        assert clients.count_clients(flt) == len(expected), flt
    owners = {r.name: r.owner for r in clients.list_clients(ALL, 0, None)}
    assert owners == {"Alfa SL": "alice", "Beta SL": "bob", "Gamma SL": "alice", "Delta SL": ""}


def test_acting_user_is_the_process_login_not_the_environment(db) -> None:
    # app_env sets TUI_CRM_USER, LOGNAME and USER to an impostor's name: ignored.
    assert os.environ["TUI_CRM_USER"] == os.environ["LOGNAME"] == "impostor"
    assert login() == ME
    assert db.opened.login == ME
    assert db.opened.role == "admin"
