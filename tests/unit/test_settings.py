"""tui_crm.services.settings: the business's settings in the database, the user's in a file."""

from __future__ import annotations

import json

import pytest

from tests.people import ME
from tui_crm.models import AuditLog, Setting
from tui_crm.services import settings
from tui_crm.services.errors import ValidationError
from tui_crm.services.session import Actor, set_actor

COMPANY = {
    "company.name": "Muñoz Asesores SL",
    "company.tax_id": "B12345674",
    "company.address": "Calle Feria 12",
    "company.postal_code": "41003",
    "company.city": "Sevilla",
}


def stored() -> dict[str, str]:
    return {s.key: s.value for s in Setting.select()}


def test_defaults_before_anything_is_set(db) -> None:
    assert settings.get("invoice.series") == "F"
    assert settings.get("invoice.default_vat") == "21"
    assert settings.get("company.name") == ""
    assert settings.get("company.country") == "ES"
    everything = settings.get_all()
    assert set(everything) == {spec.key for spec in settings.SPECS}
    assert everything["invoice.payment_days"] == "30"


def test_set_and_get_normalised_values(db) -> None:
    assert settings.set_value("company.name", "  Muñoz Asesores SL ") == "Muñoz Asesores SL"
    assert settings.set_value("company.tax_id", "b-12345674") == "B12345674"
    assert settings.set_value("invoice.default_vat", "10 %") == "10"
    assert settings.set_value("invoice.default_irpf", "7,0") == "7"
    assert settings.set_value("invoice.series", "fa") == "FA"
    assert settings.set_value("clients.lead_to_client_on_invoice", "sí") == "yes"
    assert settings.set_value("invoice.payment_days", " 60 ") == "60"
    assert settings.get("company.name") == "Muñoz Asesores SL"
    assert settings.get("company.tax_id") == "B12345674"
    assert settings.get("invoice.default_vat") == "10"
    assert settings.get("invoice.series") == "FA"
    assert stored()["invoice.payment_days"] == "60"
    assert Setting.get_by_id("company.name").updated_by == ME


def test_changes_are_audited_with_user_and_values(db) -> None:
    set_actor(Actor("carmen"))
    settings.set_value("invoice.default_vat", "10")
    settings.set_value("invoice.default_vat", "10")  # unchanged: no second row
    rows = list(AuditLog.select().where(AuditLog.entity == "setting"))
    assert len(rows) == 1
    assert rows[0].user == "carmen"
    assert rows[0].entity_id == "invoice.default_vat"
    assert json.loads(rows[0].changes) == {"value": ["21", "10"]}


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("company.tax_id", "B12345675", ("check digit",)),
        ("company.tax_id", "1234", ("length",)),
        ("invoice.default_vat", "22", ("21, 10, 4, 0",)),
        ("invoice.default_vat", "abc", ("not a number",)),
        ("invoice.default_irpf", "16", ("0, 7, 15, 19",)),
        ("invoice.payment_days", "400", ("between 0 and 365",)),
        ("invoice.payment_days", "thirty", ("whole number",)),
        ("invoice.series", "F 2026!", ("letters or digits",)),
        ("company.name", "   ", ("required",)),
        ("company.country", "Spain", ("two-letter",)),
        ("clients.lead_to_client_on_invoice", "maybe", ("yes or no",)),
        ("ui.language", "fr", ("en, es",)),
    ],
)
def test_bad_values_are_refused_naming_the_setting(db, key: str, value: str, words) -> None:
    before = stored()
    with pytest.raises(ValidationError) as info:
        settings.set_value(key, value)
    assert list(info.value.errors) == [key]
    assert key in str(info.value)
    for word in words:
        assert word in info.value.errors[key]
    assert stored() == before


def test_unknown_key_is_refused_and_lists_the_known_ones(db) -> None:
    for call in (
        lambda: settings.set_value("company.nmae", "x"),
        lambda: settings.get("company.nmae"),
        lambda: settings.validate_key("company.nmae"),
    ):
        with pytest.raises(ValidationError) as info:
            call()
        assert list(info.value.errors) == ["company.nmae"]
        assert "unknown setting" in str(info.value)
        assert "company.name" in str(info.value)
    assert stored() == {}


def test_set_many_is_all_or_nothing(db, app_env) -> None:
    values = dict(COMPANY, **{"invoice.default_vat": "22", "ui.language": "es"})
    with pytest.raises(ValidationError) as info:
        settings.set_many(values)
    assert set(info.value.errors) == {"invoice.default_vat"}
    assert stored() == {}
    assert not app_env.settings_file.exists()
    assert settings.get("ui.language") == ""

    two_bad = dict(COMPANY, **{"company.tax_id": "B12345675", "invoice.series": ""})
    with pytest.raises(ValidationError) as info:
        settings.set_many(two_bad)
    assert set(info.value.errors) == {"company.tax_id", "invoice.series"}
    assert stored() == {}

    assert (
        settings.set_many(values | {"invoice.default_vat": "21"})["company.name"]
        == COMPANY["company.name"]
    )
    assert {k: stored()[k] for k in COMPANY} == COMPANY


def test_tax_id_is_checked_against_the_country_given_with_it(db) -> None:
    # The first-run form sends the country and the tax ID together.
    settings.set_many({"company.country": "CZ", "company.tax_id": "25596641"})
    assert settings.get("company.country") == "CZ"
    assert settings.get("company.tax_id") == "25596641"
    with pytest.raises(ValidationError) as info:
        settings.set_many({"company.country": "ES", "company.tax_id": "25596641"})
    assert set(info.value.errors) == {"company.tax_id"}
    assert settings.get("company.country") == "CZ"


def test_language_goes_to_the_user_settings_file(db, app_env) -> None:
    assert settings.set_value("ui.language", "ES") == "es"
    assert json.loads(app_env.settings_file.read_text(encoding="utf-8")) == {"ui.language": "es"}
    assert (app_env.settings_file.stat().st_mode & 0o077) == 0  # private to the user
    assert "ui.language" not in stored()
    assert settings.get("ui.language") == "es"
    assert settings.get_all()["ui.language"] == "es"
    # Another user's file (another XDG_CONFIG_HOME) does not see it; the database is shared.
    app_env.settings_file.unlink()
    assert settings.get("ui.language") == ""


def test_missing_for_invoicing(db) -> None:
    assert settings.missing_for_invoicing() == list(settings.REQUIRED_FOR_INVOICING)
    settings.set_many({"company.name": "Muñoz Asesores SL", "company.city": "Sevilla"})
    assert settings.missing_for_invoicing() == [
        "company.tax_id",
        "company.address",
        "company.postal_code",
    ]
    settings.set_many(COMPANY)
    assert settings.missing_for_invoicing() == []


def test_labels_exist_for_every_key() -> None:
    for spec in settings.SPECS:
        assert settings.label(spec.key)
