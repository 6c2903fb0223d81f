"""Clients and leads: create, update, archive, delete, convert; the client list.

Rules enforced here, for the TUI and the command line alike:
- the legal name is required; tax IDs are checked for their country; emails and
  phones are checked;
- an update carries the version the person started from: if someone saved the
  record meanwhile, nothing is written and ConflictError says who and when;
- a client with issued invoices is never deleted (archive or merge it instead);
- every change is audited with its before and after values, and the search
  index is updated in the same transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from operator import attrgetter

from ..db import execute, transactional
from ..i18n import _, ngettext
from ..models import Address, Client, Invoice, User
from ..models.base import utcnow
from ..money import IRPF_RATES, VAT_RATES
from ..text import clean_input, fold
from . import audit, search
from .client_language import DOCUMENT_LANGUAGES
from .client_list import (  # noqa: F401  (the client list, re-exported for its callers)
    SORTS,
    ClientFilter,
    ClientRow,
    count_clients,
    list_clients,
    position_of,
)
from .errors import ConflictError, ConflictInfo, NotFound, RuleViolation, ValidationError
from .permissions import require
from .records import copy_record
from .session import login
from .validation import (
    TaxIdError,
    check_email,
    check_iban,
    check_phone,
    check_tax_id,
    one_line_errors,
    tax_id_variants,
)


@dataclass
class AddressInput:
    label: str = ""
    line1: str = ""
    line2: str = ""
    postal_code: str = ""
    city: str = ""
    province: str = ""
    country: str = "ES"
    contact_name: str = ""

    def is_empty(self) -> bool:
        return not any((self.line1, self.line2, self.postal_code, self.city, self.province))


@dataclass
class ClientInput:
    """What a person can type about a client (the form, the import, the CLI)."""

    legal_name: str = ""
    trade_name: str = ""
    kind: str = "lead"
    is_company: bool = True
    tax_id: str = ""
    tax_id_country: str = "ES"
    email: str = ""
    phone: str = ""
    mobile: str = ""
    fax: str = ""
    website: str = ""
    payment_days: int = 30
    payment_method: str = "transfer"
    iban: str = ""
    language: str = ""  # the language of its documents: "", "es", "en" ("": by its country)
    vat_rate: Decimal = Decimal(21)
    vat_exempt: bool = False
    exemption_reason: str = ""
    irpf_rate: Decimal = Decimal(0)
    recargo: bool = False
    owner_login: str = ""
    notes: str = ""


EDITABLE = tuple(f.name for f in fields(ClientInput) if f.name != "owner_login")


@dataclass(frozen=True)
class ClientDetail:
    """A client as the screens see it: plain values, no lazy database access."""

    id: int
    version: int
    status: str
    data: ClientInput
    owner_login: str
    revenue_total: Decimal
    outstanding: Decimal
    created_at: dt.datetime
    updated_at: dt.datetime
    updated_by: str
    became_client_at: dt.date | None
    merged_into_id: int | None
    addresses: tuple[AddressInput, ...] = field(default_factory=tuple)


# --- validation ----------------------------------------------------------------


def validate(data: ClientInput) -> ClientInput:
    """Return a cleaned copy of `data`, or raise ValidationError naming every bad field."""
    errors: dict[str, str] = one_line_errors(
        {
            name: getattr(data, name)
            for name in (
                "legal_name",
                "trade_name",
                "tax_id",
                "email",
                "phone",
                "mobile",
                "fax",
                "website",
                "iban",
                "exemption_reason",
            )
        }
    )
    clean = copy_record(data)
    for name in (
        "legal_name",
        "trade_name",
        "tax_id",
        "email",
        "phone",
        "mobile",
        "fax",
        "website",
        "iban",
        "exemption_reason",
        "owner_login",
    ):
        setattr(clean, name, clean_input(str(getattr(clean, name) or "")))
    clean.notes = clean_input(str(clean.notes or ""))
    clean.tax_id_country = (clean.tax_id_country or "ES").strip().upper()
    clean.language = (clean.language or "").strip().lower()

    if "legal_name" in errors:
        pass
    elif not clean.legal_name:
        errors["legal_name"] = _("is required")
    elif len(clean.legal_name) > 200:
        errors["legal_name"] = _("is longer than {n} characters").format(n=200)
    if len(clean.trade_name) > 200:
        errors["trade_name"] = _("is longer than {n} characters").format(n=200)
    if clean.language not in DOCUMENT_LANGUAGES:
        errors["language"] = _("must be one of {values}").format(
            values=", ".join(code for code in DOCUMENT_LANGUAGES if code)
        )
    if clean.kind not in ("lead", "client"):
        errors["kind"] = _("must be lead or client")
    if clean.tax_id and "tax_id" not in errors:
        try:
            clean.tax_id = check_tax_id(clean.tax_id, clean.tax_id_country).display
        except TaxIdError as exc:
            errors["tax_id"] = str(exc)
    if clean.email:
        try:
            clean.email = check_email(clean.email)
        except ValueError as exc:
            errors["email"] = str(exc)
    for name in ("phone", "mobile", "fax"):
        value = getattr(clean, name)
        if value:
            try:
                setattr(clean, name, check_phone(value))
            except ValueError as exc:
                errors[name] = str(exc)
    if clean.iban and "iban" not in errors:
        try:
            clean.iban = check_iban(clean.iban)
        except ValueError as exc:
            errors["iban"] = str(exc)
    try:
        clean.payment_days = int(clean.payment_days)
        if not 0 <= clean.payment_days <= 365:
            raise ValueError
    except (TypeError, ValueError):
        errors["payment_days"] = _("must be between {low} and {high}").format(low=0, high=365)
    try:
        clean.vat_rate = Decimal(str(clean.vat_rate))
        if clean.vat_rate not in VAT_RATES:
            raise ValueError
    except (ArithmeticError, ValueError):
        errors["vat_rate"] = _("must be one of {values}").format(values="21, 10, 4, 0")
    try:
        clean.irpf_rate = Decimal(str(clean.irpf_rate))
        if clean.irpf_rate not in IRPF_RATES:
            raise ValueError
    except (ArithmeticError, ValueError):
        errors["irpf_rate"] = _("must be one of {values}").format(values="0, 7, 15, 19")
    if clean.vat_exempt and not clean.exemption_reason:
        errors["exemption_reason"] = _("is required when the client is exempt from IVA")
    if clean.owner_login and User.get_or_none(User.login == clean.owner_login) is None:
        errors["owner_login"] = _("unknown user {login}").format(login=clean.owner_login)
    if errors:
        raise ValidationError(errors)
    return clean


def _compact_tax_id(data: ClientInput) -> str:
    if not data.tax_id:
        return ""
    try:
        return check_tax_id(data.tax_id, data.tax_id_country).compact
    except TaxIdError:
        return data.tax_id.upper()


@dataclass(frozen=True)
class Duplicate:
    id: int
    legal_name: str
    reason: str  # "tax_id" or "email"


def find_duplicates(data: ClientInput, exclude_id: int | None = None) -> list[Duplicate]:
    """Other live records with the same tax ID or email (the form warns, the import decides)."""
    found: list[Duplicate] = []
    compact = _compact_tax_id(data)
    query = Client.select(Client.id, Client.legal_name, Client.tax_id_compact, Client.email).where(
        Client.status != "merged"
    )
    if exclude_id is not None:
        query = query.where(Client.id != exclude_id)
    if compact:
        for c in query.where(Client.tax_id_compact.in_(tax_id_variants(compact))):
            found.append(Duplicate(c.id, c.legal_name, "tax_id"))
    if data.email:
        email = data.email.strip()
        with contextlib.suppress(ValueError):
            email = check_email(email)  # stored values have a lower-case domain
        for c in query.where(Client.email == email):
            if all(d.id != c.id for d in found):
                found.append(Duplicate(c.id, c.legal_name, "email"))
    return found


# --- writes --------------------------------------------------------------------


def _owner_id(owner_login: str) -> int | None:
    if not owner_login:
        return None
    user = User.get_or_none(User.login == owner_login)
    return user.id if user else None


_EDITABLE_VALUES = attrgetter(*EDITABLE)


def column_values(data: ClientInput) -> dict[str, object]:
    # One C call for the editable values: an import builds this for each of its rows.
    values: dict[str, object] = dict(zip(EDITABLE, _EDITABLE_VALUES(data), strict=True))
    # The list shows the legal name, so it sorts by it ("by name" follows what is shown).
    values["sort_name"] = fold(data.legal_name)[:200]
    values["tax_id_compact"] = _compact_tax_id(data)
    values["owner"] = _owner_id(data.owner_login)
    return values


def _address_columns(address: AddressInput) -> dict[str, object]:
    values = {k: clean_input(str(v)) for k, v in asdict(address).items()}
    values["country"] = (values["country"] or "ES").upper()[:2]
    return values


def _validate_with_extras(
    data: ClientInput, tag_names: list[str] | None, custom: dict[str, object] | None
) -> tuple[ClientInput, list[str] | None, dict[str, str] | None]:
    """Validate the client, its tags and custom values together, so every wrong field shows."""
    from . import custom_fields, tags

    errors: dict[str, str] = {}
    clean: ClientInput | None = None
    clean_tags = clean_custom = None
    try:
        clean = validate(data)
    except ValidationError as exc:
        errors.update(exc.errors)
    if tag_names is not None:
        try:
            clean_tags = tags.check_tags(tags.parse_tags(tag_names))
        except ValidationError as exc:
            errors.update(exc.errors)
    if custom is not None:
        try:
            clean_custom = custom_fields.check_values(custom)
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors or clean is None:
        raise ValidationError(errors)
    return clean, clean_tags, clean_custom


def _write_extras(
    client_id: int, clean_tags: list[str] | None, clean_custom: dict[str, str] | None
) -> dict[str, tuple[object, object]]:
    from . import custom_fields, tags

    changes: dict[str, tuple[object, object]] = {}
    if clean_tags is not None:
        change = tags.write_tags(client_id, clean_tags)
        if change:
            changes["tags"] = (", ".join(change[0]), ", ".join(change[1]))
    if clean_custom is not None:
        changes.update(custom_fields.write_values(client_id, clean_custom))
    return changes


@transactional
def create_client(
    data: ClientInput,
    address: AddressInput | None = None,
    *,
    tags: list[str] | str | None = None,
    custom: dict[str, object] | None = None,
) -> int:
    """Create a lead or client (and its first address, the default for everything).

    `tags` (names) and `custom` (values by custom field key; required fields must
    be there) are saved with it when given."""
    require("clients.write")
    clean, clean_tags, clean_custom = _validate_with_extras(data, tags, custom)
    values = column_values(clean)
    if clean.kind == "client":
        values["became_client_at"] = dt.date.today()
    client = Client.create(updated_by=login(), **values)
    if address is not None and not address.is_empty():
        Address.create(
            client=client.id,
            updated_by=login(),
            is_invoice_default=True,
            is_delivery_default=True,
            is_quote_default=True,
            **_address_columns(address),
        )
    extras = _write_extras(client.id, clean_tags, clean_custom)
    search.reindex_client(client.id)
    audit.record(
        "create",
        "client",
        client.id,
        client_id=client.id,
        changes={k: (None, v) for k, v in asdict(clean).items() if v not in ("", None, False)}
        | extras,
        summary=clean.legal_name,
    )
    return client.id


def _load(client_id: int) -> Client:
    client = Client.get_or_none(Client.id == client_id)
    if client is None or client.status == "merged":
        raise NotFound(_("client {id} does not exist").format(id=client_id))
    return client


def _input_of(client: Client) -> ClientInput:
    owner = User.get_or_none(User.id == client.owner_id) if client.owner_id else None
    values = {name: getattr(client, name) for name in EDITABLE}
    return ClientInput(owner_login=owner.login if owner else "", **values)


def _conflict(client_id: int, mine: ClientInput, expected_version: int) -> ConflictError:
    current = Client.get_by_id(client_id)
    theirs = _input_of(current)
    differences = {
        name: (getattr(mine, name), getattr(theirs, name))
        for name in (f.name for f in fields(ClientInput))
        if getattr(mine, name) != getattr(theirs, name)
    }
    info = ConflictInfo(
        entity="client",
        entity_id=client_id,
        changed_by=current.updated_by,
        changed_at=current.updated_at,
        differences=differences,
    )
    when = current.updated_at.replace(tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M")
    return ConflictError(
        info,
        _(
            "{user} changed this client at {when} (version {theirs}, you started from {mine}); "
            "nothing was saved"
        ).format(
            user=current.updated_by or "?", when=when, theirs=current.version, mine=expected_version
        ),
    )


@transactional
def update_client(
    client_id: int,
    data: ClientInput,
    expected_version: int,
    *,
    tags: list[str] | str | None = None,
    custom: dict[str, object] | None = None,
) -> int:
    """Save the client if nobody else saved it since `expected_version`; returns the new version.

    `tags` and `custom` (when given) replace the client's tags and custom values in
    the same transaction, and are checked with the rest of the form."""
    require("clients.write")
    clean, clean_tags, clean_custom = _validate_with_extras(data, tags, custom)
    client = _load(client_id)
    before = _input_of(client)
    values = column_values(clean)
    if clean.kind == "client" and client.kind == "lead" and client.became_client_at is None:
        values["became_client_at"] = dt.date.today()
    rows = (
        Client.update(version=Client.version + 1, updated_at=utcnow(), updated_by=login(), **values)
        .where((Client.id == client_id) & (Client.version == expected_version))
        .execute()
    )
    if rows == 0:
        raise _conflict(client_id, clean, expected_version)
    extras = _write_extras(client_id, clean_tags, clean_custom)
    search.reindex_client(client_id)
    changes = {
        name: (getattr(before, name), getattr(clean, name))
        for name in (f.name for f in fields(ClientInput))
        if getattr(before, name) != getattr(clean, name)
    } | extras
    audit.record(
        "update",
        "client",
        client_id,
        client_id=client_id,
        changes=changes,
        summary=clean.legal_name,
    )
    return expected_version + 1


def _set_status(client_id: int, status: str, action: str) -> None:
    client = _load(client_id)
    if client.status == status:
        return
    Client.update(
        status=status, version=Client.version + 1, updated_at=utcnow(), updated_by=login()
    ).where(Client.id == client_id).execute()
    audit.record(
        action,
        "client",
        client_id,
        client_id=client_id,
        changes={"status": (client.status, status)},
        summary=client.legal_name,
    )


@transactional
def archive_client(client_id: int) -> None:
    """Hide a client from the everyday lists; its history stays."""
    require("clients.write")
    _set_status(client_id, "archived", "archive")


@transactional
def unarchive_client(client_id: int) -> None:
    require("clients.write")
    _set_status(client_id, "active", "unarchive")


@transactional
def convert_to_client(client_id: int) -> None:
    """A lead becomes a client (by hand, or on its first issued invoice)."""
    require("clients.write")
    client = _load(client_id)
    if client.kind == "client":
        return
    Client.update(
        kind="client",
        became_client_at=client.became_client_at or dt.date.today(),
        version=Client.version + 1,
        updated_at=utcnow(),
        updated_by=login(),
    ).where(Client.id == client_id).execute()
    audit.record(
        "update",
        "client",
        client_id,
        client_id=client_id,
        changes={"kind": ("lead", "client")},
        summary=client.legal_name,
    )


def delete_refusal(client_id: int) -> str | None:
    """Why this client may not be deleted, or None when it may."""
    issued = (
        Invoice.select().where((Invoice.client == client_id) & (Invoice.status != "draft")).count()
    )
    if issued:
        return ngettext(
            "it has {n} issued invoice; a client with invoices can only be archived or merged",
            "it has {n} issued invoices; a client with invoices can only be archived or merged",
            issued,
        ).format(n=issued)
    payments = execute("SELECT COUNT(*) FROM payment WHERE client_id = ?", (client_id,)).fetchone()
    if payments[0]:
        return _("it has registered payments; archive it instead")
    return None


@transactional
def delete_client(client_id: int) -> None:
    """Delete a client with everything that hangs on it, unless it has issued invoices."""
    require("clients.delete")
    client = _load(client_id)
    reason = delete_refusal(client_id)
    if reason:
        raise RuleViolation(
            _("Cannot delete {name}: {reason}").format(name=client.legal_name, reason=reason)
        )
    snapshot = asdict(_input_of(client))
    # Drafts, quotes and orders go with the client (they were never issued).
    execute("DELETE FROM invoice WHERE client_id = ? AND status = 'draft'", (client_id,))
    execute("DELETE FROM sales_order WHERE client_id = ?", (client_id,))
    execute("DELETE FROM quote WHERE client_id = ?", (client_id,))
    execute("UPDATE client SET merged_into_id = NULL WHERE merged_into_id = ?", (client_id,))
    stored = [
        r[0] for r in execute("SELECT sha256 FROM document WHERE client_id = ?", (client_id,))
    ]
    Client.delete().where(Client.id == client_id).execute()  # documents go with it (cascade)
    search.reindex_client(client_id)
    audit.record(
        "delete",
        "client",
        client_id,
        client_id=client_id,
        changes={k: (v, None) for k, v in snapshot.items() if v not in ("", None, False)},
        summary=client.legal_name,
    )
    _forget_files(stored)


def _forget_files(hashes: list[str]) -> None:
    """Delete stored document files that no document row refers to any more."""
    if not hashes:
        return
    from .documents import blob_path

    for sha256 in set(hashes):
        if execute("SELECT 1 FROM document WHERE sha256 = ? LIMIT 1", (sha256,)).fetchone():
            continue
        with contextlib.suppress(OSError):
            blob_path(sha256).unlink()


# --- reads ---------------------------------------------------------------------


def get_client(client_id: int) -> ClientDetail:
    """The client with its addresses (NotFound when missing or merged away)."""
    from .records import model_rows

    found = model_rows(Client, "id = ?", [client_id])
    if not found or found[0]["status"] == "merged":
        raise NotFound(_("client {id} does not exist").format(id=client_id))
    client = found[0]
    owner_login = ""
    if client["owner"] is not None:
        owner = execute('SELECT login FROM "user" WHERE id = ?', (client["owner"],)).fetchone()
        owner_login = owner[0] if owner else ""
    names = [f.name for f in fields(AddressInput)]
    addresses = tuple(
        AddressInput(**{name: a[name] for name in names})
        for a in model_rows(Address, "client_id = ?", [client_id], "is_invoice_default DESC, id")
    )
    data = ClientInput(owner_login=owner_login, **{name: client[name] for name in EDITABLE})
    return ClientDetail(
        id=client["id"],
        version=client["version"],
        status=client["status"],
        data=data,
        owner_login=owner_login,
        revenue_total=client["revenue_total"],
        outstanding=client["outstanding"],
        created_at=client["created_at"],
        updated_at=client["updated_at"],
        updated_by=client["updated_by"],
        became_client_at=client["became_client_at"],
        merged_into_id=client["merged_into"],
        addresses=addresses,
    )


def find_by_tax_id(tax_id: str, country: str = "ES") -> int | None:
    try:
        compact = check_tax_id(tax_id, country).compact
    except TaxIdError:
        compact = tax_id.strip().upper()
    row = (
        Client.select(Client.id)
        .where((Client.tax_id_compact.in_(tax_id_variants(compact))) & (Client.status != "merged"))
        .order_by(Client.id)
        .first()
    )
    return row.id if row else None


def find_by_name(name: str) -> list[int]:
    """The clients (merged ones left out) whose legal or trade name is `name`, accents, case
    and spacing aside: how the command line finds a client without a tax ID (a walk-in
    customer of simplified invoices). Several can share a name: the caller says so."""
    from peewee import fn

    wanted = fold(" ".join(clean_input(name or "").split()))
    if not wanted:
        return []
    candidates = (
        Client.select(Client.id, Client.legal_name, Client.trade_name)
        .where(
            (
                (Client.sort_name == wanted[:200])
                | (fn.LOWER(Client.legal_name) == wanted)
                | (fn.LOWER(Client.trade_name) == wanted)
            )
            & (Client.status != "merged")
        )
        .order_by(Client.id)
    )
    return [
        c.id
        for c in candidates
        if wanted in (fold(" ".join(c.legal_name.split())), fold(" ".join(c.trade_name.split())))
    ]
