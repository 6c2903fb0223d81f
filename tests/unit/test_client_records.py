"""Addresses, contacts, custom fields and tags of a client, over a real database file."""

from __future__ import annotations

import json

import pytest

from tests.people import ME
from tui_crm.models import Address, AuditLog
from tui_crm.services import addresses, clients, contacts, custom_fields, tags, users
from tui_crm.services.addresses import AddressData
from tui_crm.services.clients import ClientFilter, ClientInput
from tui_crm.services.contacts import ContactData
from tui_crm.services.custom_fields import FieldDefInput
from tui_crm.services.errors import (
    ConflictError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from tui_crm.services.session import Actor, set_actor


def make(name: str = "Talleres Núñez SL", **fields: object) -> int:
    return clients.create_client(ClientInput(legal_name=name, **fields))


def act_as(login: str, role: str) -> None:
    users.register(login)
    users.set_role(login, role)
    set_actor(Actor(login=login, role=role))


def flags(client_id: int) -> dict[str, tuple[bool, bool, bool]]:
    return {
        a.data.label: (
            a.data.is_invoice_default,
            a.data.is_delivery_default,
            a.data.is_quote_default,
        )
        for a in addresses.list_addresses(client_id)
    }


# --- addresses -------------------------------------------------------------------


def test_first_address_is_default_for_everything_and_defaults_are_exclusive(db) -> None:
    cid = make()
    other = make("Otro SL")
    hq = addresses.create_address(
        cid, AddressData(label="Sede", line1="Calle Mayor 1", city="Jaén")
    )
    other_hq = addresses.create_address(other, AddressData(label="Sede", city="Úbeda"))
    assert flags(cid) == {"Sede": (True, True, True)}
    addresses.create_address(
        cid, AddressData(label="Almacén", city="Linares", is_delivery_default=True)
    )
    assert flags(cid) == {"Sede": (True, False, True), "Almacén": (False, True, False)}
    # setting a flag on an edit clears it on the others, never on another client's addresses
    current = addresses.get_address(hq)
    data = current.data
    data.is_delivery_default = True
    addresses.update_address(hq, data, current.version)
    assert flags(cid) == {"Sede": (True, True, True), "Almacén": (False, False, False)}
    assert addresses.get_address(other_hq).data.is_delivery_default


def test_set_default_and_delete_passes_defaults_on(db) -> None:
    cid = make()
    first = addresses.create_address(cid, AddressData(label="Sede", city="Jaén"))
    second = addresses.create_address(cid, AddressData(label="Obra", city="Baeza"))
    addresses.set_default(second, "quote")
    assert flags(cid) == {"Sede": (True, True, False), "Obra": (False, False, True)}
    addresses.delete_address(first)
    assert flags(cid) == {"Obra": (True, True, True)}
    with pytest.raises(ValidationError):
        addresses.set_default(second, "billing")


def test_address_validation_and_conflict(db) -> None:
    cid = make()
    with pytest.raises(ValidationError) as info:
        addresses.create_address(cid, AddressData(country="Spain"))
    assert set(info.value.errors) == {"line1", "country"}
    aid = addresses.create_address(cid, AddressData(label="Sede", city="Jaén"))
    row = addresses.get_address(aid)
    addresses.update_address(
        aid, AddressData(label="Sede", city="Jaén", postal_code="23001"), row.version
    )
    with pytest.raises(ConflictError) as conflict:
        addresses.update_address(aid, AddressData(label="Sede", city="Andújar"), row.version)
    assert ME in str(conflict.value)
    assert conflict.value.info.differences["city"] == ("Andújar", "Jaén")
    assert addresses.get_address(aid).data.city == "Jaén"


def test_address_changes_are_audited_under_the_client(db) -> None:
    cid = make()
    aid = addresses.create_address(cid, AddressData(label="Sede", city="Jaén"))
    row = addresses.get_address(aid)
    addresses.update_address(aid, AddressData(label="Sede", city="Baeza"), row.version)
    addresses.delete_address(aid)
    actions = [
        (a.action, json.loads(a.changes).get("city"))
        for a in AuditLog.select()
        .where((AuditLog.entity == "address") & (AuditLog.client_id == cid))
        .order_by(AuditLog.id)
    ]
    assert actions == [
        ("create", [None, "Jaén"]),
        ("update", ["Jaén", "Baeza"]),
        ("delete", ["Baeza", None]),
    ]
    assert not Address.select().where(Address.id == aid).exists()


def test_read_only_user_may_not_change_addresses(db) -> None:
    cid = make()
    act_as("lector", "readonly")
    with pytest.raises(PermissionDenied) as info:
        addresses.create_address(cid, AddressData(city="Jaén"))
    assert "lector" in str(info.value)
    assert addresses.list_addresses(cid) == []


def test_records_of_a_merged_or_missing_client_are_refused(db) -> None:
    with pytest.raises(NotFound):
        addresses.create_address(999, AddressData(city="Jaén"))


# --- contacts --------------------------------------------------------------------


def test_contacts_are_searchable_and_billing_contacts_listed_first(db) -> None:
    cid = make()
    contacts.create_contact(cid, ContactData(first_name="Luis", last_name="Pérez"))
    ana = contacts.create_contact(
        cid,
        ContactData(first_name="Ana", last_name="Ibáñez", email="ana@nunez.es", is_billing=True),
    )
    listed = contacts.list_contacts(cid)
    assert [c.name for c in listed] == ["Ana Ibáñez", "Luis Pérez"]
    assert [c.id for c in contacts.billing_contacts(cid)] == [ana]
    found = clients.list_clients(ClientFilter(text="ibanez"))
    assert [r.id for r in found] == [cid]
    # renaming the contact reindexes the client
    row = contacts.get_contact(ana)
    contacts.update_contact(
        ana, ContactData(first_name="Ana", last_name="Gómez", email="ana@nunez.es"), row.version
    )
    assert clients.list_clients(ClientFilter(text="ibanez")) == []
    assert [r.id for r in clients.list_clients(ClientFilter(text="gomez"))] == [cid]
    contacts.delete_contact(ana)
    assert clients.list_clients(ClientFilter(text="gomez")) == []


def test_contact_validation_names_every_bad_field(db) -> None:
    cid = make()
    with pytest.raises(ValidationError) as info:
        contacts.create_contact(cid, ContactData(email="ana@", phone="call me"))
    assert set(info.value.errors) == {"first_name", "email", "phone"}
    assert contacts.list_contacts(cid) == []


def test_contact_conflict_says_who_saved_first(db) -> None:
    cid = make()
    contact_id = contacts.create_contact(cid, ContactData(first_name="Ana"))
    start = contacts.get_contact(contact_id).version
    act_as("marta", "sales")
    contacts.update_contact(contact_id, ContactData(first_name="Ana", position="CEO"), start)
    set_actor(Actor(login=ME, role="admin"))
    with pytest.raises(ConflictError) as info:
        contacts.update_contact(contact_id, ContactData(first_name="Anabel"), start)
    assert "marta" in str(info.value)
    assert contacts.get_contact(contact_id).data.position == "CEO"


# --- custom fields -----------------------------------------------------------------


def define(key: str, kind: str, **extra: object) -> int:
    return custom_fields.create_definition(
        FieldDefInput(key=key, label=key.replace("_", " ").title(), kind=kind, **extra)
    )


@pytest.mark.parametrize(
    ("kind", "extra", "typed", "stored"),
    [
        ("text", {}, "  Sector naval ", "Sector naval"),
        ("number", {}, "1.234,5", None),
        ("number", {}, "1234,50", "1234.5"),
        ("date", {}, "2026-03-01", "2026-03-01"),
        ("date", {}, "01/03/2026", "2026-03-01"),
        ("choice", {"choices": "Bronce, Plata, Oro"}, "Plata", "Plata"),
        ("choice", {"choices": "Bronce, Plata, Oro"}, "Platino", None),
        ("bool", {}, "sí", "yes"),
        ("bool", {}, True, "yes"),
        ("bool", {}, "quizá", None),
        ("date", {}, "30/02/2026", None),
    ],
)
def test_custom_values_are_checked_for_their_kind(db, kind, extra, typed, stored) -> None:
    define("campo", kind, **extra)
    cid = make()
    if stored is None:
        with pytest.raises(ValidationError) as info:
            custom_fields.set_values(cid, {"campo": typed})
        assert list(info.value.errors) == ["custom.campo"]
        assert custom_fields.values_of(cid) == {}
    else:
        custom_fields.set_values(cid, {"campo": typed})
        assert custom_fields.values_of(cid) == {"campo": stored}


def test_client_form_saves_tags_and_custom_values_with_the_client(db) -> None:
    define("sector", "choice", choices=["Naval", "Agro"], required=True)
    define("socio_desde", "date")
    with pytest.raises(ValidationError) as info:
        clients.create_client(ClientInput(legal_name=""), tags=["x" * 61], custom={})
    assert set(info.value.errors) == {"legal_name", "tags", "custom.sector"}
    cid = clients.create_client(
        ClientInput(legal_name="Astilleros Vigo SA"),
        tags="VIP, vigo , vip",
        custom={"sector": "Naval", "socio_desde": ""},
    )
    assert tags.tags_of(cid) == ["vigo", "VIP"]  # alphabetical, accent- and case-blind
    assert custom_fields.values_of(cid) == {"sector": "Naval"}
    version = clients.get_client(cid).version
    clients.update_client(
        cid,
        ClientInput(legal_name="Astilleros Vigo SA"),
        version,
        tags=["vigo"],
        custom={"sector": "Agro", "socio_desde": "2020-01-31"},
    )
    assert tags.tags_of(cid) == ["vigo"]
    assert custom_fields.values_of(cid) == {"sector": "Agro", "socio_desde": "2020-01-31"}
    audit = (
        AuditLog.select()
        .where(
            (AuditLog.entity == "client")
            & (AuditLog.entity_id == str(cid))
            & (AuditLog.action == "update")
        )
        .get()
    )
    changes = json.loads(audit.changes)
    assert changes["tags"] == ["vigo, VIP", "vigo"]
    assert changes["custom.sector"] == ["Naval", "Agro"]
    # the import and the command line, which know nothing of custom fields, still work
    assert clients.create_client(ClientInput(legal_name="Sin sector SL")) > 0


def test_definitions_are_for_admins_and_kind_is_kept_once_used(db) -> None:
    field_id = define("nivel", "text")
    cid = make()
    custom_fields.set_values(cid, {"nivel": "alto"})
    with pytest.raises(ValidationError) as info:
        custom_fields.update_definition(
            field_id, FieldDefInput(key="nivel", label="Nivel", kind="number")
        )
    assert "kind" in info.value.errors
    with pytest.raises(ValidationError) as info:
        define("nivel", "text")
    assert "key" in info.value.errors
    with pytest.raises(ValidationError) as info:
        define("Bad Key", "choice")
    assert set(info.value.errors) == {"key", "choices"}
    act_as("vendedor", "sales")
    with pytest.raises(PermissionDenied):
        define("otro", "text")
    custom_fields.set_values(cid, {"nivel": "medio"})  # values are the client's: sales may
    assert custom_fields.values_of(cid) == {"nivel": "medio"}


# --- tags --------------------------------------------------------------------------


def test_tags_are_case_insensitive_and_filter_the_client_list(db) -> None:
    a = make("Alfa SL")
    b = make("Beta SL")
    make("Gamma SL")
    tags.set_tags(a, "Feria 2026, VIP")
    tags.set_tags(b, ["vip"])
    assert tags.all_tags() == ["Feria 2026", "VIP"]
    assert tags.tags_of(b) == ["VIP"]  # the first spelling wins
    listed = clients.list_clients(ClientFilter(tag="VIP"))
    assert [r.name for r in listed] == ["Alfa SL", "Beta SL"]
    assert clients.count_clients(ClientFilter(tag="Feria 2026")) == 1
    assert tags.delete_tag("VIP") == 2
    assert tags.tags_of(a) == ["Feria 2026"]
