"""A client's named addresses, each possibly the default for invoices, deliveries or quotes.

Rules:
- a client has any number of addresses; each has a label ("Head office", "Warehouse");
- at most one address per client is the default for each purpose: setting the flag
  on one clears it on the others, in the same transaction;
- the first address of a client becomes the default for every purpose;
- edits carry the version the person started from (optimistic locking);
- every change is audited under the client.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from ..db import transactional
from ..i18n import _
from ..models import Address
from ..text import clean_input
from . import audit
from .errors import NotFound, ValidationError
from .permissions import require
from .records import copy_record, live_client, model_rows, save_versioned, text_limit
from .session import login
from .validation import one_line_errors

DEFAULT_FLAGS = ("is_invoice_default", "is_delivery_default", "is_quote_default")


@dataclass
class AddressData:
    """What a person types about one address."""

    label: str = ""
    line1: str = ""
    line2: str = ""
    postal_code: str = ""
    city: str = ""
    province: str = ""
    country: str = "ES"
    contact_name: str = ""
    is_invoice_default: bool = False
    is_delivery_default: bool = False
    is_quote_default: bool = False


@dataclass(frozen=True)
class AddressRow:
    id: int
    client_id: int
    version: int
    data: AddressData

    def one_line(self) -> str:
        d = self.data
        place = " ".join(p for p in (d.postal_code, d.city) if p)
        return ", ".join(p for p in (d.line1, d.line2, place, d.province, d.country) if p)


_LIMITS = {
    "label": 80,
    "line1": 200,
    "line2": 200,
    "postal_code": 16,
    "city": 100,
    "province": 100,
    "contact_name": 200,
}


_ONE_LINE = (
    "label",
    "line1",
    "line2",
    "postal_code",
    "city",
    "province",
    "country",
    "contact_name",
)


def validate(data: AddressData) -> AddressData:
    """A cleaned copy, or ValidationError: some part of the address or a label is required."""
    errors: dict[str, str] = {}
    clean = copy_record(data)
    for name, limit in _LIMITS.items():
        setattr(
            clean,
            name,
            text_limit(clean_input(str(getattr(clean, name) or "")), limit, errors, name),
        )
    country = clean_input(str(clean.country or "ES")).upper()
    if len(country) != 2 or not country.isalpha():
        errors["country"] = _("must be a two-letter country code (e.g. ES)")
    clean.country = country
    for flag in DEFAULT_FLAGS:
        setattr(clean, flag, bool(getattr(clean, flag)))
    if not any((clean.line1, clean.line2, clean.postal_code, clean.city, clean.label)):
        errors["line1"] = _("type at least a street, a city or a label")
    errors.update(
        one_line_errors(
            {
                n: getattr(data, n)
                for n in (
                    "label",
                    "line1",
                    "line2",
                    "postal_code",
                    "city",
                    "province",
                    "country",
                    "contact_name",
                )
            }
        )
    )
    if errors:
        raise ValidationError(errors)
    return clean


_DATA_FIELDS = tuple(f.name for f in fields(AddressData))


def _row(a: dict) -> AddressRow:
    data = AddressData(**{name: a[name] for name in _DATA_FIELDS})
    return AddressRow(id=a["id"], client_id=a["client"], version=a["version"], data=data)


def list_addresses(client_id: int) -> list[AddressRow]:
    """The client's addresses: the invoice default first, then in the order they were added."""
    rows = model_rows(Address, "client_id = ?", [client_id], "is_invoice_default DESC, id")
    return [_row(a) for a in rows]


def get_address(address_id: int) -> AddressRow:
    found = model_rows(Address, "id = ?", [address_id])
    if not found:
        raise NotFound(_("address {id} does not exist").format(id=address_id))
    return _row(found[0])


def _clear_other_defaults(client_id: int, keep_id: int, data: AddressData) -> None:
    for flag in DEFAULT_FLAGS:
        if getattr(data, flag):
            Address.update({flag: False}).where(
                (Address.client == client_id) & (Address.id != keep_id) & (getattr(Address, flag))
            ).execute()


@transactional
def create_address(client_id: int, data: AddressData) -> int:
    """Add an address; the client's first one is the default for everything."""
    require("clients.write")
    client = live_client(client_id)
    clean = validate(data)
    if not Address.select().where(Address.client == client_id).exists():
        for flag in DEFAULT_FLAGS:
            setattr(clean, flag, True)
    address = Address.create(client=client_id, updated_by=login(), **asdict(clean))
    _clear_other_defaults(client_id, address.id, clean)
    audit.record(
        "create",
        "address",
        address.id,
        client_id=client_id,
        changes={k: (None, v) for k, v in asdict(clean).items() if v not in ("", False)},
        summary=_("address {label} of {client}").format(
            label=clean.label or clean.city, client=client.legal_name
        ),
    )
    return address.id


@transactional
def update_address(address_id: int, data: AddressData, expected_version: int) -> int:
    """Save an address if nobody saved it meanwhile; flags set here are cleared elsewhere."""
    require("clients.write")
    current = get_address(address_id)
    live_client(current.client_id)
    clean = validate(data)
    version = save_versioned(
        Address, address_id, expected_version, asdict(clean), entity="address", what=_("address")
    )
    _clear_other_defaults(current.client_id, address_id, clean)
    before = asdict(current.data)
    audit.record(
        "update",
        "address",
        address_id,
        client_id=current.client_id,
        changes={k: (before[k], v) for k, v in asdict(clean).items() if before[k] != v},
        summary=clean.label or clean.city,
    )
    return version


@transactional
def set_default(address_id: int, purpose: str) -> None:
    """Make one address the default for `purpose` (invoice, delivery or quote)."""
    require("clients.write")
    flag = f"is_{purpose}_default"
    if flag not in DEFAULT_FLAGS:
        raise ValidationError({"purpose": _("must be invoice, delivery or quote")})
    current = get_address(address_id)
    live_client(current.client_id)
    if getattr(current.data, flag):
        return
    Address.update({flag: True, Address.version: Address.version + 1}).where(
        Address.id == address_id
    ).execute()
    data = AddressData(**{**asdict(current.data), flag: True})
    _clear_other_defaults(current.client_id, address_id, data)
    audit.record(
        "update",
        "address",
        address_id,
        client_id=current.client_id,
        changes={flag: (False, True)},
        summary=current.data.label or current.data.city,
    )


@transactional
def delete_address(address_id: int) -> None:
    """Remove an address; the defaults it held pass to the oldest remaining address.

    Issued invoices keep the address they were issued with (a frozen copy)."""
    require("clients.write")
    current = get_address(address_id)
    live_client(current.client_id)
    Address.delete().where(Address.id == address_id).execute()
    held = {flag: True for flag in DEFAULT_FLAGS if getattr(current.data, flag)}
    heir = (
        Address.select(Address.id)
        .where(Address.client == current.client_id)
        .order_by(Address.id)
        .first()
    )
    if held and heir is not None:
        Address.update(held).where(Address.id == heir.id).execute()
    audit.record(
        "delete",
        "address",
        address_id,
        client_id=current.client_id,
        changes={k: (v, None) for k, v in asdict(current.data).items() if v not in ("", False)},
        summary=current.data.label or current.data.city,
    )
