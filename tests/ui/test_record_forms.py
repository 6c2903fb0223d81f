"""The client's record forms save, reload and update through their own services."""

from __future__ import annotations

import pytest

from tui_crm.services import addresses, clients, contacts, opportunities, projects
from tui_crm.services.errors import ConflictError
from tui_crm.ui.screens.client_record_forms import (
    AddressForm,
    ContactForm,
    OpportunityForm,
    ProjectForm,
)

CASES = [
    (
        AddressForm,
        addresses.AddressData(line1="Calle Mayor 1", postal_code="23001", city="Jaén"),
        "city",
        "Úbeda",
    ),
    (ContactForm, contacts.ContactData(first_name="José", last_name="Peña"), "position", "CEO"),
    (ProjectForm, projects.ProjectData(name="Web nueva", budget="1200"), "budget", "1500.00"),
    (
        OpportunityForm,
        opportunities.OpportunityData(title="Renovación", amount="900"),
        "amount",
        "950.00",
    ),
]


@pytest.mark.parametrize(("form_class", "data", "field", "new_value"), CASES)
def test_a_record_form_creates_reloads_and_updates(db, form_class, data, field, new_value):
    client_id = clients.create_client(clients.ClientInput(legal_name="Formularios SL"))
    record_id = form_class(client_id).save(form_class.values_of(data))

    editing = form_class(client_id, record_id, 1)
    values = editing.reload()
    assert values is not None and editing.version == 1
    values[field] = new_value
    assert editing.save(values) == record_id
    assert editing.version == 2
    assert form_class(client_id, record_id, 2).reload()[field] == new_value

    stale = form_class(client_id, record_id, 1)  # opened before the save above
    with pytest.raises(ConflictError):
        stale.save(values)
