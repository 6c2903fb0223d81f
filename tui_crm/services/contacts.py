"""The people at a client: name, position, email, phones, and who receives the invoices.

Rules:
- a contact needs a first or last name; email and phones are checked;
- the billing-contact flag marks who invoices are sent to (several may be flagged);
- the client's search document includes its contacts, so every change reindexes it;
- edits carry the version the person started from; every change is audited.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from ..db import transactional
from ..i18n import _
from ..models import Contact
from ..text import clean_input
from . import audit, search
from .errors import NotFound, ValidationError
from .permissions import require
from .records import copy_record, live_client, model_rows, save_versioned, text_limit
from .session import login
from .validation import check_email, check_phone, one_line_errors


@dataclass
class ContactData:
    first_name: str = ""
    last_name: str = ""
    position: str = ""
    email: str = ""
    phone: str = ""
    mobile: str = ""
    is_billing: bool = False
    notes: str = ""


@dataclass(frozen=True)
class ContactRow:
    id: int
    client_id: int
    version: int
    data: ContactData

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.data.first_name, self.data.last_name) if p)


_LIMITS = {"first_name": 100, "last_name": 100, "position": 100, "email": 254}


_ONE_LINE = ("first_name", "last_name", "position", "email", "phone", "mobile")


def validate(data: ContactData) -> ContactData:
    """A cleaned copy, or ValidationError naming every wrong field."""
    errors: dict[str, str] = {}
    clean = copy_record(data)
    for name in ("first_name", "last_name", "position", "email", "phone", "mobile", "notes"):
        setattr(clean, name, clean_input(str(getattr(clean, name) or "")))
    for name, limit in _LIMITS.items():
        text_limit(getattr(clean, name), limit, errors, name)
    if not clean.first_name and not clean.last_name:
        errors["first_name"] = _("type a first or a last name")
    if clean.email:
        try:
            clean.email = check_email(clean.email)
        except ValueError as exc:
            errors["email"] = str(exc)
    for name in ("phone", "mobile"):
        value = getattr(clean, name)
        if value:
            try:
                setattr(clean, name, check_phone(value))
            except ValueError as exc:
                errors[name] = str(exc)
    clean.is_billing = bool(clean.is_billing)
    errors.update(
        one_line_errors(
            {
                n: getattr(data, n)
                for n in ("first_name", "last_name", "position", "email", "phone", "mobile")
            }
        )
    )
    if errors:
        raise ValidationError(errors)
    return clean


_DATA_FIELDS = tuple(f.name for f in fields(ContactData))


def _row(c: Contact | dict) -> ContactRow:
    if not isinstance(c, dict):
        c = {name: getattr(c, name) for name in (*_DATA_FIELDS, "id", "version")} | {
            "client": c.client_id
        }
    data = ContactData(**{name: c[name] for name in _DATA_FIELDS})
    return ContactRow(id=c["id"], client_id=c["client"], version=c["version"], data=data)


def list_contacts(client_id: int) -> list[ContactRow]:
    """Billing contacts first, then by name."""
    rows = model_rows(
        Contact, "client_id = ?", [client_id], "is_billing DESC, first_name, last_name, id"
    )
    return [_row(c) for c in rows]


def billing_contacts(client_id: int) -> list[ContactRow]:
    """Who invoices go to: the billing contacts with an email."""
    return [c for c in list_contacts(client_id) if c.data.is_billing and c.data.email]


def get_contact(contact_id: int) -> ContactRow:
    contact = Contact.get_or_none(Contact.id == contact_id)
    if contact is None:
        raise NotFound(_("contact {id} does not exist").format(id=contact_id))
    return _row(contact)


@transactional
def create_contact(client_id: int, data: ContactData) -> int:
    """Add a person to a client (and to the client's search document)."""
    require("clients.write")
    client = live_client(client_id)
    clean = validate(data)
    contact = Contact.create(client=client_id, updated_by=login(), **asdict(clean))
    search.reindex_client(client_id)
    audit.record(
        "create",
        "contact",
        contact.id,
        client_id=client_id,
        changes={k: (None, v) for k, v in asdict(clean).items() if v not in ("", False)},
        summary=_("{name} at {client}").format(name=_row(contact).name, client=client.legal_name),
    )
    return contact.id


@transactional
def update_contact(contact_id: int, data: ContactData, expected_version: int) -> int:
    """Save a contact if nobody saved it meanwhile; returns the new version."""
    require("clients.write")
    current = get_contact(contact_id)
    live_client(current.client_id)
    clean = validate(data)
    version = save_versioned(
        Contact, contact_id, expected_version, asdict(clean), entity="contact", what=_("contact")
    )
    search.reindex_client(current.client_id)
    before = asdict(current.data)
    audit.record(
        "update",
        "contact",
        contact_id,
        client_id=current.client_id,
        changes={k: (before[k], v) for k, v in asdict(clean).items() if before[k] != v},
        summary=" ".join(p for p in (clean.first_name, clean.last_name) if p),
    )
    return version


@transactional
def delete_contact(contact_id: int) -> None:
    """Remove a contact; timeline entries that named them keep their text."""
    require("clients.write")
    current = get_contact(contact_id)
    live_client(current.client_id)
    Contact.delete().where(Contact.id == contact_id).execute()
    search.reindex_client(current.client_id)
    audit.record(
        "delete",
        "contact",
        contact_id,
        client_id=current.client_id,
        changes={k: (v, None) for k, v in asdict(current.data).items() if v not in ("", False)},
        summary=current.name,
    )
