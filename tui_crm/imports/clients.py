"""Import clients from a spreadsheet (`.xlsx` or `.csv`) with Spanish or English headers.

Rules, for the command line and the TUI alike:
- every row is checked by the client service's own rules (`clients.validate`:
  name required, tax ID checksum for its country, email and phones; the
  address and contact services check theirs); a rejected row is reported with
  its row number as the spreadsheet shows it, its column and the reason;
- a client already on file, or earlier in the same file, is a duplicate when it
  has the same tax ID (in any form it may be on file as: B12345674 is
  ESB12345674), else the same email when one of the two has no tax ID. A
  duplicate is skipped, or with on_duplicate="update" it updates that client
  with the values the row has (empty cells change nothing);
- by default a file with any rejected row imports nothing; skip_invalid imports
  the valid rows and reports the others; a dry run writes nothing and reports
  what would happen;
- what is written is written in ONE transaction with ONE audit record
  ("import"), and the search index is brought up to date in bulk. When duplicates
  are skipped, new clients are written while the rest of the file is still being
  read (_read_and_write): the transaction then holds the write lock for the whole
  reading (about 2 s per 10,000 rows; colleagues' saves wait their turn meanwhile),
  and is rolled back as a whole when a row is rejected, on a cancel or an error.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Callable, Collection, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..db import database, execute, is_sqlite, read_snapshot, transactional
from ..i18n import N_, _
from ..services import addresses, contacts
from ..services.clients import ClientInput, validate
from ..services.errors import RuleViolation, ValidationError
from ..text import fold
from .columns import (
    IGNORE,
    HeaderMapping,
    ImportField,
    KnownColumns,
    check_mapping,
    column_name,
    guess_mapping,
)
from .report import Cancelled, ImportCancelled, ImportReport, Progress, RowIssue
from .tables import CELL_ERRORS, ImportFileError, Table, bulk_work, cell_text, open_table

CLIENT_COLUMNS = KnownColumns(
    fields=(
        ImportField(
            "legal_name",
            N_("Name"),
            (
                "Nombre",
                "Razón social",
                "Name",
                "Nombre o razón social",
                "Nombre fiscal",
                "Denominación social",
                "Legal name",
                "Company",
                "Company name",
                "Empresa",
                "Cliente",
                "Client",
                "Customer",
                "Nombre del cliente",
                "Client name",
                "Customer name",
                "Nombre y apellidos",
                "Full name",
            ),
            required=True,
        ),
        ImportField(
            "trade_name",
            N_("Trade name"),
            ("Nombre comercial", "Trade name", "Commercial name", "Marca", "Brand"),
        ),
        ImportField(
            "tax_id",
            N_("Tax ID"),
            (
                "CIF",
                "NIF",
                "NIE",
                "DNI",
                "VAT",
                "Tax ID",
                "CIF/NIF",
                "NIF/CIF",
                "NIF/NIE",
                "DNI/NIF",
                "CIF/NIF/NIE",
                "NIF-IVA",
                "NIF IVA",
                "VAT number",
                "VAT ID",
                "Tax number",
                "Identificación fiscal",
                "IČO",
                "DIČ",
            ),
        ),
        ImportField(
            "email",
            N_("Email"),
            ("Email", "E-mail", "Correo", "Correo electrónico", "Mail", "Email address"),
        ),
        ImportField(
            "phone",
            N_("Phone"),
            (
                "Teléfono",
                "Phone",
                "Tel",
                "Tel.",
                "Tfno",
                "Telephone",
                "Teléfono fijo",
                "Phone number",
            ),
        ),
        ImportField(
            "mobile",
            N_("Mobile"),
            ("Móvil", "Mobile", "Teléfono móvil", "Celular", "Mobile phone", "Cell phone"),
        ),
        ImportField("fax", N_("Fax"), ("Fax",)),
        ImportField(
            "website",
            N_("Website"),
            ("Web", "Website", "Sitio web", "Página web", "URL", "Web site"),
        ),
        ImportField(
            "line1",
            N_("Address"),
            (
                "Dirección",
                "Address",
                "Domicilio",
                "Domicilio fiscal",
                "Dirección fiscal",
                "Calle",
                "Street",
                "Address line 1",
                "Dirección 1",
            ),
        ),
        ImportField(
            "line2",
            N_("Address line 2"),
            ("Dirección 2", "Address line 2", "Address 2", "Piso", "Puerta"),
        ),
        ImportField(
            "postal_code",
            N_("Postal code"),
            ("CP", "C.P.", "Código postal", "Postal code", "Zip", "Zip code", "Postcode"),
        ),
        ImportField(
            "city",
            N_("City"),
            ("Ciudad", "Población", "City", "Localidad", "Municipio", "Town"),
        ),
        ImportField("province", N_("Province"), ("Provincia", "Province", "State", "Región")),
        ImportField("country", N_("Country"), ("País", "Country")),
        ImportField(
            "contact",
            N_("Contact"),
            ("Contacto", "Contact", "Persona de contacto", "Contact person", "Contact name"),
        ),
        ImportField(
            "notes",
            N_("Notes"),
            ("Notas", "Notes", "Observaciones", "Comentarios", "Comments", "Nota", "Note"),
        ),
        ImportField("kind", N_("Kind"), ("Tipo", "Kind", "Type", "Tipo de cliente")),
        ImportField("status", N_("Status"), ("Estado", "Status")),
        ImportField(
            "owner",
            N_("Owner"),
            ("Responsable", "Comercial", "Owner", "Account owner", "Gestor"),
        ),
        ImportField(
            "payment_days",
            N_("Payment days"),
            ("Días de pago", "Plazo de pago", "Payment days", "Días", "Forma de pago (días)"),
        ),
        ImportField("iban", N_("IBAN"), ("IBAN", "Cuenta bancaria", "Bank account", "Cuenta")),
        ImportField(
            "language",
            N_("Documents' language"),
            ("Idioma", "Language", "Idioma de los documentos", "Documents' language", "Lengua"),
        ),
    ),
    # Our own exports' computed columns: known, never imported.
    ignored=("ID", "Id", "Facturación", "Pendiente", "Cliente desde", "Alta"),
    ignored_labels=(
        N_("ID"),
        N_("Revenue"),
        N_("Revenue this year"),
        N_("Outstanding"),
        N_("Client since"),
    ),
)

# Which import field each ClientInput / address / contact field reports its errors under.
_ERROR_FIELDS = {
    "legal_name": "legal_name",
    "trade_name": "trade_name",
    "tax_id": "tax_id",
    "email": "email",
    "phone": "phone",
    "mobile": "mobile",
    "fax": "fax",
    "website": "website",
    "iban": "iban",
    "language": "language",
    "payment_days": "payment_days",
    "owner_login": "owner",
    "kind": "kind",
    "notes": "notes",
}
_ADDRESS_ERROR_FIELDS = {
    "line1": "line1",
    "line2": "line2",
    "postal_code": "postal_code",
    "city": "city",
    "province": "province",
    "country": "country",
}
_CONTACT_ERROR_FIELDS = {"first_name": "contact", "last_name": "contact"}

_KINDS = {
    "lead": "lead",
    "potencial": "lead",
    "prospecto": "lead",
    "posible cliente": "lead",
    "client": "client",
    "cliente": "client",
    "customer": "client",
}
_STATUSES = {
    "active": "active",
    "activo": "active",
    "activa": "active",
    "alta": "active",
    "archived": "archived",
    "archivado": "archived",
    "archivada": "archived",
    "inactive": "archived",
    "inactivo": "archived",
    "inactiva": "archived",
    "baja": "archived",
}
# A Spanish DNI or NIE is a person; any other tax ID a company.
_PERSON_ID = re.compile(r"^(ES)?([0-9]{8}|[XYZ][0-9]{7})[A-Z]$")
_FOUR_DIGITS = re.compile(r"[0-9]{4}")
_DAYS = re.compile(r"[0-9]{1,3}")
CHECK_EVERY = 500
WRITE_BATCH = 1000  # valid rows written at a time while a file is still being read
EMPTY: Any = object()  # a row with nothing to import
_TOTAL_WORDS = frozenset({"total", "totales", "total general", "suma", "sum", "grand total"})
_IDENTIFYING = frozenset({"tax_id", "email", "phone", "mobile", "line1", "contact"})


@lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    """Folded country names in Spanish and English (and ISO codes) -> ISO code."""
    from babel import Locale

    names: dict[str, str] = {}
    for locale in ("en", "es"):
        for code, name in Locale.parse(locale).territories.items():
            if len(code) == 2 and code.isalpha():
                names[fold(name)] = code
                names[code.lower()] = code
    names.update({"espana": "ES", "spain": "ES", "chequia": "CZ", "czechia": "CZ", "uk": "GB"})
    return names


def country_code(text: str) -> str | None:
    """ "España", "Spain", "es" -> "ES"; None when it names no country."""
    key = fold(text.strip()).replace(".", "")
    return _countries().get(key)


@dataclass
class ClientRowData:
    """One valid row: the client as the service cleaned it, and what the file said."""

    row: int
    client: Any  # services.clients.ClientInput, cleaned
    address: Any | None  # services.addresses.AddressData, cleaned
    contact: Any | None  # services.contacts.ContactData, cleaned
    status: str
    present: frozenset[str]  # import fields with a value in the file
    compact_tax_id: str = ""
    columns: dict[str, Any] = field(default_factory=dict)  # the client table's values
    merged_rows: list[int] = field(default_factory=list)  # later rows folded into this one
    stored: _Stored | None = None  # the rows a creation writes, built while reading


@dataclass
class Inspection:
    """A file opened for import: where the header is and how its columns map."""

    table: Table
    mapping: HeaderMapping

    @property
    def headers(self) -> list[str]:
        return self.table.headers


def inspect_file(path: Path | str) -> Inspection:
    """Open the file and guess its column mapping (the TUI shows it for changes)."""
    table = open_table(path, _score)
    return Inspection(table, guess_mapping(table.headers, CLIENT_COLUMNS))


def _score(headers: list[str]) -> int:
    table = _alias_table()
    return sum(1 for h in headers if h and table.get(h) not in (None, IGNORE))


def _alias_table() -> dict[str, str]:
    from ..i18n import current_language

    return _alias_table_for(current_language())


@lru_cache(maxsize=4)
def _alias_table_for(language: str) -> dict[str, str]:
    del language  # the translated labels depend on it
    return CLIENT_COLUMNS.alias_table()


def mapping_notes(inspection: Inspection, mapping: Mapping[int, str]) -> list[str]:
    """Remarks about columns that will not be imported."""
    headers = inspection.headers
    notes = []
    for index, earlier in inspection.mapping.repeated:
        if mapping.get(index, IGNORE) == IGNORE:
            notes.append(
                _("Column {column} repeats column {earlier}; it is not imported").format(
                    column=column_name(index, headers), earlier=column_name(earlier, headers)
                )
            )
    unknown = [i for i in inspection.mapping.unknown if mapping.get(i, IGNORE) == IGNORE]
    if unknown:
        notes.append(
            _("Columns not imported (unknown headers): {columns}").format(
                columns=", ".join(column_name(i, headers) for i in unknown)
            )
        )
    return notes


# --- reading and validating ---------------------------------------------------------


def _cell_value(raw: Any) -> tuple[str, str | None]:
    """(text, error) of one cell: a formula error shows as such, not as text."""
    if raw.__class__ is str:
        text = raw.strip()
        if text in CELL_ERRORS:
            return "", _("the cell shows the error {error} (a formula that failed)").format(
                error=text
            )
        return text, None
    return cell_text(raw), None


_LANGUAGE_WORDS = {
    "es": "es",
    "spanish": "es",
    "espanol": "es",
    "castellano": "es",
    "en": "en",
    "english": "en",
    "ingles": "en",
}


def _language_code(value: str) -> str | None:
    """ "es", "Español", "Spanish" -> "es"; the export's "By country" (in either language)
    -> ""; None for anything else."""
    from ..i18n import in_language
    from ..services.client_language import LANGUAGE_LABELS

    word = fold(value)
    if word in _LANGUAGE_WORDS:
        return _LANGUAGE_WORDS[word]
    for lang in ("en", "es"):
        with in_language(lang):
            for code, text in LANGUAGE_LABELS.items():
                if fold(_(text)) == word:
                    return code
    return None


def _parse_row(
    number: int,
    values: Sequence[Any],
    mapping: Sequence[tuple[int, str]],
    headers: Sequence[str],
    issues: list[RowIssue],
) -> ClientRowData | None:
    """A cleaned client from one row; None with its problems added to `issues`; EMPTY
    when no imported column has a value (a totals row, notes beside the table)."""
    found: dict[str, str] = {}
    errors: dict[str, str] = {}
    width = len(values)
    for index, key in mapping:
        if index >= width:
            continue
        raw = values[index]
        if raw is None:
            continue
        if raw.__class__ is str and (text := raw.strip()) not in CELL_ERRORS:
            if text:  # the common case, without a call: an import does this 150,000 times
                found[key] = text
            continue
        text, error = _cell_value(raw)
        if error:
            errors[key] = error
        elif text:
            found[key] = text
    if not found and not errors:
        return EMPTY
    if not found.keys() & _IDENTIFYING and fold(found.get("legal_name", "")) in _TOTAL_WORDS:
        return EMPTY  # the spreadsheet's own totals row, not a client called "Total"

    country = "ES"
    if "country" in found:
        code = country_code(found["country"])
        if code is None:
            errors["country"] = _("{value} is not a country this program knows").format(
                value=found["country"]
            )
        else:
            country = code
    kind = "client"
    if "kind" in found:
        kinds = {**_KINDS, fold(_("Lead")): "lead", fold(_("Client")): "client"}
        kind = kinds.get(fold(found["kind"]), "")
        if not kind:
            errors["kind"] = _("must be lead or client")
    status = "active"
    if "status" in found:
        statuses = {**_STATUSES, fold(_("Active")): "active", fold(_("Archived")): "archived"}
        status = statuses.get(fold(found["status"]), "")
        if not status:
            errors["status"] = _("must be active or archived")
    payment_days: Any = 30
    if "payment_days" in found:
        payment_days = found["payment_days"]
        if not _DAYS.fullmatch(payment_days):
            errors["payment_days"] = _("must be a whole number of days")
            payment_days = 30
    language = ""
    if "language" in found:
        language = _language_code(found["language"])
        if language is None:
            errors["language"] = _("must be Spanish, English or empty (by the client's country)")
            language = ""
    tax_id = found.get("tax_id", "")
    data = ClientInput(
        legal_name=found.get("legal_name", ""),
        trade_name=found.get("trade_name", ""),
        kind=kind or "client",
        is_company=not _PERSON_ID.match(tax_id.replace(" ", "").replace("-", "").upper()),
        tax_id=tax_id,
        tax_id_country=country,
        email=found.get("email", ""),
        phone=found.get("phone", ""),
        mobile=found.get("mobile", ""),
        fax=found.get("fax", ""),
        website=found.get("website", ""),
        payment_days=payment_days,
        iban=found.get("iban", ""),
        language=language,
        owner_login=found.get("owner", ""),
        notes=found.get("notes", ""),
    )
    clean = None
    try:
        clean = validate(data)
    except ValidationError as exc:
        for name, reason in exc.errors.items():
            errors.setdefault(_ERROR_FIELDS.get(name, name), reason)

    address = None
    if any(k in found for k in _ADDRESS_ERROR_FIELDS):
        postal_code = found.get("postal_code", "")
        if country == "ES" and _FOUR_DIGITS.fullmatch(postal_code):
            postal_code = "0" + postal_code  # a number cell lost the leading zero: 08001
        try:
            address = addresses.validate(
                addresses.AddressData(
                    line1=found.get("line1", ""),
                    line2=found.get("line2", ""),
                    postal_code=postal_code,
                    city=found.get("city", ""),
                    province=found.get("province", ""),
                    country=country,
                    is_invoice_default=True,
                    is_delivery_default=True,
                    is_quote_default=True,
                )
            )
        except ValidationError as exc:
            only_country = set(exc.errors) == {"line1"} and set(found) & set(
                _ADDRESS_ERROR_FIELDS
            ) <= {"country", "province"}
            if not only_country:  # a lone country or province is not an address: not an error
                for name, reason in exc.errors.items():
                    errors.setdefault(_ADDRESS_ERROR_FIELDS.get(name, "line1"), reason)

    contact = None
    if "contact" in found:
        first, _space, last = found["contact"].partition(" ")
        try:
            contact = contacts.validate(contacts.ContactData(first_name=first, last_name=last))
        except ValidationError as exc:
            for name, reason in exc.errors.items():
                errors.setdefault(_CONTACT_ERROR_FIELDS.get(name, "contact"), reason)

    if errors or clean is None:
        index_of = {key: index for index, key in mapping}
        for key, reason in sorted(errors.items(), key=lambda kv: index_of.get(kv[0], 10**6)):
            index = index_of.get(key)
            column = column_name(index, headers) if index is not None else ""
            issues.append(RowIssue(number, column, reason))
        return None
    return ClientRowData(
        row=number,
        client=clean,
        address=address,
        contact=contact,
        status=status,
        present=frozenset(found),
    )


def read_clients(
    table: Table,
    mapping: Mapping[int, str],
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    builder: _RowBuilder | None = None,
    batches: Callable[[list[ClientRowData], bool], None] | None = None,
) -> tuple[list[ClientRowData], list[RowIssue], int, list[str]]:
    """Every data row checked: (valid rows, problems, rows read, remarks).

    Each valid row is also prepared for writing (its columns and compact tax ID, and
    with a `builder` the very rows an insert needs): a large workbook is parsed by a
    child process meanwhile (see tables), so this work costs no time of its own.
    `batches` is given the valid rows every WRITE_BATCH of them, and the rest at the
    end, with whether any row was rejected so far.
    """
    pairs = [(index, key) for index, key in sorted(mapping.items()) if key != IGNORE]
    valid: list[ClientRowData] = []
    issues: list[RowIssue] = []
    notes: list[str] = []
    headers = table.headers
    mapped = {index for index, _key in pairs}
    unlabelled: set[int] = set()
    total = table.estimated_rows
    count = 0
    handed = 0  # valid rows given to `batches`
    empty: list[int] = []
    for number, values in table.rows:
        count += 1
        row = _parse_row(number, values, pairs, headers, issues)
        if row is EMPTY:
            count -= 1
            empty.append(number)
        elif row is not None:
            _prepare(row)
            if builder is not None:
                builder.build(row)
            valid.append(row)
            if batches is not None and len(valid) - handed >= WRITE_BATCH:
                batches(valid[handed:], bool(issues))
                handed = len(valid)
        for index in range(len(headers), len(values)):
            if index not in mapped and values[index] not in (None, ""):
                unlabelled.add(index)
        if count % CHECK_EVERY == 0:
            if cancelled is not None and cancelled():
                raise ImportCancelled()
            if progress is not None:
                progress("read", count, total)
    if batches is not None and len(valid) > handed:
        batches(valid[handed:], bool(issues))
    if progress is not None:
        progress("read", count, count)
    if empty:
        shown = ", ".join(str(n) for n in empty[:10]) + (" …" if len(empty) > 10 else "")
        notes.append(
            _("Rows with nothing in the imported columns were ignored: {rows}").format(rows=shown)
        )
    if unlabelled:
        notes.append(
            _("Columns with values but no header were not imported: {columns}").format(
                columns=", ".join(column_name(i, headers) for i in sorted(unlabelled))
            )
        )
    return valid, issues, count, notes


# --- duplicates ---------------------------------------------------------------------


@dataclass(frozen=True)
class _OnFile:
    id: int
    legal_name: str
    has_tax_id: bool


def _on_file(
    rows: list[ClientRowData], ignore: Container[int] = ()
) -> tuple[dict[str, _OnFile], dict[str, _OnFile]]:
    """Live clients sharing a tax ID form or an email with the rows: two look-up tables.
    Clients whose id is in `ignore` (written by this very import) are left out."""
    from ..services.validation import tax_id_variants

    variants = sorted({v for r in rows for v in tax_id_variants(r.compact_tax_id)})
    emails = sorted({r.client.email for r in rows if r.client.email})
    by_tax: dict[str, _OnFile] = {}
    by_email: dict[str, _OnFile] = {}
    for cid, name, compact in _clients_where(
        "SELECT id, legal_name, tax_id_compact FROM client", "tax_id_compact", variants
    ):
        if cid not in ignore:
            by_tax.setdefault(compact, _OnFile(cid, name, True))
    for cid, name, email, compact in _clients_where(
        "SELECT id, legal_name, email, tax_id_compact FROM client", "email", emails
    ):
        if cid not in ignore:
            by_email.setdefault(email, _OnFile(cid, name, bool(compact)))
    return by_tax, by_email


def _clients_where(select: str, column: str, values: list[str]) -> Iterable[tuple]:
    """Live clients (not merged) whose `column` is one of `values`, by id: one query
    with the values as one parameter (a JSON array on SQLite, an array on PostgreSQL)
    instead of one per 500 values (tens of them for a 10,000-row file)."""
    if not values:
        return []
    if is_sqlite():
        return execute(
            f"{select} WHERE status <> 'merged' AND {column} IN (SELECT value FROM json_each(?)) "
            "ORDER BY id",
            (json.dumps(values),),
        )
    return execute(
        f"{select} WHERE status <> 'merged' AND {column} = ANY(?) ORDER BY id", (values,)
    )


@dataclass
class _Plan:
    creates: list[ClientRowData] = field(default_factory=list)
    updates: dict[int, ClientRowData] = field(default_factory=dict)  # client id -> row
    skipped: list[RowIssue] = field(default_factory=list)


def _prepare(row: ClientRowData) -> None:
    """The columns create_client would write for this row (its compact tax ID among them)."""
    from ..services.clients import column_values  # the same columns create_client writes

    row.columns = column_values(row.client)
    row.compact_tax_id = str(row.columns["tax_id_compact"])


def _merge_into(target: ClientRowData, newer: ClientRowData) -> None:
    """A later row of the file for the same client: its non-empty values win."""
    client = dataclasses.replace(target.client)
    for name in _client_fields_of(newer.present):
        setattr(client, name, getattr(newer.client, name))
    target.client = client
    if newer.address is not None:
        target.address = newer.address
    if newer.contact is not None and target.contact is None:
        target.contact = newer.contact
    if "status" in newer.present:
        target.status = newer.status
    target.present = target.present | newer.present
    target.merged_rows.append(newer.row)
    _prepare(target)
    target.stored = None  # built again from the merged values


def _client_fields_of(present: frozenset[str]) -> list[str]:
    """The ClientInput fields a row sets (from the import fields it has values for)."""
    names = [n for n, key in _ERROR_FIELDS.items() if key in present]
    if "country" in present and "tax_id" in present:
        names.append("tax_id_country")
    if "tax_id" in present:
        names.append("is_company")
    return names


def plan_clients(rows: list[ClientRowData], on_duplicate: str) -> _Plan:
    """Decide for each valid row: create, update an existing client, or skip (a duplicate)."""
    return _Planner(on_duplicate).plan(rows)


class _Planner:
    """Plans the rows of one file, all at once or batch after batch as they are read:
    each batch is checked against the rows of the batches before it (the file's own
    repeats) and against the clients on file, but those written by this import."""

    def __init__(self, on_duplicate: str) -> None:
        self.on_duplicate = on_duplicate
        self.seen_tax: dict[str, ClientRowData] = {}
        self.seen_email: dict[str, ClientRowData] = {}

    def plan(self, rows: list[ClientRowData], ignore: Container[int] = ()) -> _Plan:
        from ..services.validation import tax_id_variants

        for row in rows:
            if not row.columns:
                _prepare(row)
        by_tax, by_email = _on_file(rows, ignore)
        on_duplicate = self.on_duplicate
        plan = _Plan()
        seen_tax, seen_email = self.seen_tax, self.seen_email
        for row in rows:
            variants = tax_id_variants(row.compact_tax_id)
            email = row.client.email
            # 1. the same client earlier in this file
            earlier = next((seen_tax[v] for v in variants if v in seen_tax), None)
            reason = _("same tax ID")
            if earlier is None and email and email in seen_email:
                candidate = seen_email[email]
                if not (candidate.compact_tax_id and row.compact_tax_id):
                    earlier, reason = candidate, _("same email")
            if earlier is not None:
                if on_duplicate == "update":
                    _merge_into(earlier, row)
                else:
                    plan.skipped.append(
                        RowIssue(
                            row.row,
                            "",
                            _("repeats row {earlier} ({reason})").format(
                                earlier=earlier.row, reason=reason
                            ),
                        )
                    )
                continue
            # 2. a client already on file
            existing = next((by_tax[v] for v in variants if v in by_tax), None)
            reason = _("same tax ID")
            if existing is None and email and email in by_email:
                candidate = by_email[email]
                if not (candidate.has_tax_id and row.compact_tax_id):
                    existing, reason = candidate, _("same email")
            for v in variants:
                seen_tax[v] = row
            if email:
                seen_email.setdefault(email, row)
            if existing is not None:
                if on_duplicate == "update":
                    plan.updates[existing.id] = row
                else:
                    plan.skipped.append(
                        RowIssue(
                            row.row,
                            "",
                            _("already on file as client {id}, {name} ({reason})").format(
                                id=existing.id, name=existing.legal_name, reason=reason
                            ),
                        )
                    )
                continue
            plan.creates.append(row)
        return plan


# --- writing ------------------------------------------------------------------------


class _RowMaker:
    """Database rows of one model from field values, its defaults filled in.

    Built once per import: the defaults are evaluated once (every row of an import
    has the same timestamps), and only the fields whose stored form differs from
    the Python value (money, rates, quantities, foreign keys) are converted. A row
    is a list in the order of `columns`: the id first (given when it is inserted),
    then the field named `first` (the owning client, known only then too).
    """

    def __init__(
        self, model, first: str | None = None, fixed: Mapping[str, Any] | None = None
    ) -> None:
        import peewee

        from ..models.base import MoneyField, QuantityField, RateField

        converted = (MoneyField, RateField, QuantityField, peewee.ForeignKeyField)
        fields = [f for f in model._meta.sorted_fields if f.name != "id"]
        fields.sort(key=lambda f: f.name != first)  # stable: the rest keep their order
        self.table: str = model._meta.table_name
        self.columns = ["id", *(f.column_name for f in fields)]
        self.base: list[Any] = [None]
        self.lookup: dict[str, tuple[int, Any]] = {}
        for position, f in enumerate(fields, 1):
            default = f.default() if callable(f.default) else f.default
            convert = f.db_value if isinstance(f, converted) else None
            if convert is not None and default is not None:
                default = convert(default)
            self.base.append(default)
            self.lookup[f.name] = (position, convert)
        # Values every row of this import shares (its moment and user): set once, here.
        self.base = self(fixed or {})

    def __call__(self, values: Mapping[str, Any]) -> list[Any]:
        row = self.base.copy()
        lookup = self.lookup
        for name, value in values.items():
            position, convert = lookup[name]
            row[position] = convert(value) if convert is not None and value is not None else value
        return row

    def position(self, name: str) -> int:
        """Where the field `name` is in a row (a field stored as it is, not converted)."""
        position, convert = self.lookup[name]
        assert convert is None, name
        return position


def _insert(maker: _RowMaker, rows: list[list[Any]]) -> list[int]:
    """Insert rows made by `maker`; returns their ids in order.

    On SQLite the ids are given explicitly from the highest one on file (we hold
    the write lock, so nobody else takes them) and the rows go in with one
    executemany; elsewhere (PostgreSQL) each row is inserted on its own and
    returns its id. The values are already in their stored form: plain SQL, not
    the model (which would convert money and rates a second time).
    """
    if not rows:
        return []
    table = maker.table
    if is_sqlite():
        first = int(execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"').fetchone()[0])
        ids = list(range(first, first + len(rows)))
        for row_id, row in zip(ids, rows, strict=True):
            row[0] = row_id
        names = ", ".join(f'"{c}"' for c in maker.columns)
        marks = ", ".join("?" for _c in maker.columns)
        database.cursor().executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
        return ids
    names = ", ".join(f'"{c}"' for c in maker.columns[1:])
    marks = ", ".join("?" for _c in maker.columns[1:])
    sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks}) RETURNING "id"'
    return [int(execute(sql, row[1:]).fetchone()[0]) for row in rows]


@dataclass
class _Stored:
    """The database rows one new client is written as (ids are given at insert time)."""

    client: list[Any]
    address: list[Any] | None
    contact: list[Any] | None
    search_doc: str


class _RowBuilder:
    """Builds the rows of new clients: one import stamps them all with one moment and
    one user, as the services would for a single save."""

    def __init__(self) -> None:
        from ..models import Address, Client, Contact
        from ..models.base import utcnow
        from ..services.session import login

        # Dates as the text SQLite stores them (what its adapter would make of them, once).
        now = utcnow().isoformat(" ")
        self.today = dt.date.today().isoformat()
        stamp = {"created_at": now, "updated_at": now, "updated_by": login()}
        self.client_row = _RowMaker(Client, fixed=stamp)
        self.address_row = _RowMaker(Address, first="client", fixed=stamp)
        self.contact_row = _RowMaker(Contact, first="client", fixed=stamp)
        self._status = self.client_row.position("status")
        self._became_client = self.client_row.position("became_client_at")

    def build(self, row: ClientRowData) -> _Stored:
        from ..services.search import client_search_doc

        client = self.client_row(row.columns)
        client[self._status] = row.status
        if row.client.kind == "client":
            client[self._became_client] = self.today
        contacts_doc: list[tuple[str, str, str, str]] = []
        contact = None
        if row.contact is not None:
            c = row.contact
            contact = self.contact_row(vars(c))
            contacts_doc.append((c.first_name, c.last_name, c.email, c.mobile or c.phone))
        address = None
        if row.address is not None:
            address = self.address_row(vars(row.address))
        c = row.columns
        doc = client_search_doc(
            c["legal_name"],
            c["trade_name"],
            c["tax_id"],
            c["email"],
            (c["phone"], c["mobile"], c["fax"]),
            contacts_doc,
        )
        row.stored = _Stored(client, address, contact, doc)
        return row.stored


def _create_all(
    plan: _Plan,
    builder: _RowBuilder,
    progress: Progress | None,
    cancelled: Cancelled | None,
    total: int,
) -> list[int]:
    """Insert the planned new clients with their address and contact and index them for
    search; returns their ids in the order of the plan."""
    from ..services.search import index_new_clients

    stored = []
    for position, row in enumerate(plan.creates):
        stored.append(row.stored or builder.build(row))
        if cancelled is not None and position % CHECK_EVERY == 0 and cancelled():
            raise ImportCancelled()
    ids = _insert(builder.client_row, [s.client for s in stored])
    if progress is not None:
        progress("write", len(ids) // 2, total)
    for part, maker in (("address", builder.address_row), ("contact", builder.contact_row)):
        rows = []
        for client_id, s in zip(ids, stored, strict=True):
            row = getattr(s, part)
            if row is not None:
                row[1] = client_id
                rows.append(row)
        _insert(maker, rows)
    index_new_clients(zip(ids, (s.search_doc for s in stored), strict=True))
    return ids


def _update_all(plan: _Plan) -> list[int]:
    """Existing clients updated with the values their rows have (empty cells keep theirs)."""
    from ..models import Address, Client, Contact
    from ..models.base import utcnow
    from ..services.clients import column_values, get_client
    from ..services.session import login

    updated = []
    for client_id, row in plan.updates.items():
        detail = get_client(client_id)
        merged = dataclasses.replace(detail.data)
        for name in _client_fields_of(row.present):
            setattr(merged, name, getattr(row.client, name))
        try:
            clean = validate(merged)
        except ValidationError as exc:  # e.g. their owner was removed since
            raise ImportFileError(
                _("row {row}: updating client {id}: {reason}").format(
                    row=row.row, id=client_id, reason=exc
                )
            ) from None
        values = column_values(clean)
        if "status" in row.present:
            values["status"] = row.status
        count = (
            Client.update(
                version=Client.version + 1, updated_at=utcnow(), updated_by=login(), **values
            )
            .where((Client.id == client_id) & (Client.version == detail.version))
            .execute()
        )
        if count != 1:  # cannot happen inside our IMMEDIATE transaction; refuse rather than guess
            raise RuleViolation(_("client {id} changed meanwhile; try again").format(id=client_id))
        if row.address is not None:
            default = (
                Address.select()
                .where(Address.client == client_id)
                .order_by(Address.is_invoice_default.desc(), Address.id)
                .first()
            )
            if default is None:
                Address.create(
                    client=client_id, updated_by=login(), **dataclasses.asdict(row.address)
                )
            else:
                changes = {
                    name: getattr(row.address, name)
                    for name in _ADDRESS_ERROR_FIELDS
                    if name in row.present
                }
                Address.update(
                    version=Address.version + 1, updated_at=utcnow(), updated_by=login(), **changes
                ).where(Address.id == default.id).execute()
        if row.contact is not None:
            wanted = fold(f"{row.contact.first_name} {row.contact.last_name}".strip())
            known = {
                fold(f"{c.first_name} {c.last_name}".strip())
                for c in Contact.select(Contact.first_name, Contact.last_name).where(
                    Contact.client == client_id
                )
            }
            if wanted not in known:
                clean_contact = contacts.validate(row.contact)
                Contact.create(
                    client=client_id, updated_by=login(), **dataclasses.asdict(clean_contact)
                )
        updated.append(client_id)
    return updated


@transactional
def _commit(
    rows: list[ClientRowData],
    report: ImportReport,
    on_duplicate: str,
    builder: _RowBuilder,
    progress: Progress | None,
    cancelled: Cancelled | None,
) -> None:
    """Classify against the database and write it all: one transaction, one audit record."""
    from ..services import search
    from ..services.permissions import require

    require("data.import")
    plan = plan_clients(rows, on_duplicate)
    report.skipped = plan.skipped
    total = len(plan.creates) + len(plan.updates)
    created = _create_all(plan, builder, progress, cancelled, total)
    updated = _update_all(plan)
    if cancelled is not None and cancelled():
        raise ImportCancelled()
    search.reindex_clients(updated)
    _record(report, created, updated)
    if progress is not None:
        progress("write", total, total)


def _record(report: ImportReport, created: Collection[int], updated: list[int]) -> None:
    """The import's counts in its report, and its one audit record."""
    from ..services import audit

    report.created, report.updated = len(created), len(updated)
    changes: dict[str, tuple[Any, Any]] = {
        "file": (None, report.file),
        "created": (None, len(created)),
        "updated": (None, len(updated)),
        "skipped": (None, len({i.row for i in report.skipped})),
        "rejected": (None, report.rejected_rows),
    }
    if created:
        changes["created_ids"] = (None, f"{min(created)}-{max(created)}")
    if updated:
        changes["updated_ids"] = (None, sorted(updated))
    audit.record(
        "import",
        "client",
        "",
        changes=changes,
        summary=_("Imported {created} new and {updated} updated clients from {file}").format(
            created=len(created), updated=len(updated), file=report.file
        ),
    )


class _NotWritten(Exception):
    """Rolls the streamed transaction back: nothing of the file is to be written (no
    valid row, or rejected rows without skip_invalid). Carries what was read."""

    def __init__(self, read: tuple[list[ClientRowData], list[RowIssue], int, list[str]]):
        super().__init__()
        self.read = read


class _StreamWriter:
    """Writes new clients batch after batch while the rest of the file is still being
    read, inside the import's one transaction (skipping duplicates only: an update merges
    a file's repeated rows, which must all be read first)."""

    def __init__(self, builder: _RowBuilder, cancelled: Cancelled | None) -> None:
        self.builder = builder
        self.cancelled = cancelled
        self.planner = _Planner("skip")
        self.created: set[int] = set()
        self.skipped: list[RowIssue] = []

    def write(self, rows: list[ClientRowData]) -> None:
        plan = self.planner.plan(rows, ignore=self.created)
        self.skipped.extend(plan.skipped)
        self.created.update(_create_all(plan, self.builder, None, self.cancelled, 0))


def _read_and_write(
    table: Table,
    columns: Mapping[int, str],
    report: ImportReport,
    skip_invalid: bool,
    builder: _RowBuilder,
    progress: Progress | None,
    cancelled: Cancelled | None,
) -> None:
    """Read the rows and write the new clients as they come, in one transaction with
    one audit record: the writes overlap the reading of a large workbook (see
    xlsx_child) instead of following it. The transaction holds the write lock from the
    first rows to the last; it is rolled back (_NotWritten) when the file turns out to
    have nothing to write, and on any error or a cancel."""
    from ..db import streamed_transaction
    from ..services.permissions import require

    with streamed_transaction():
        require("data.import")
        writer = _StreamWriter(builder, cancelled)

        def batch(rows: list[ClientRowData], rejected: bool) -> None:
            if not rejected or skip_invalid:  # else nothing is written: rolled back below
                writer.write(rows)

        read = read_clients(
            table, columns, progress=progress, cancelled=cancelled, builder=builder, batches=batch
        )
        rows, issues, count, notes = read
        if not rows or (issues and not skip_invalid):
            raise _NotWritten(read)
        if cancelled is not None and cancelled():
            raise ImportCancelled()
        report.rows, report.rejected, report.skipped = count, issues, writer.skipped
        report.notes.extend(notes)
        _record(report, writer.created, [])
        if progress is not None:
            progress("write", len(writer.created), len(writer.created))


def import_clients(
    path: Path | str,
    *,
    mapping: Mapping[int, str] | None = None,
    dry_run: bool = False,
    skip_invalid: bool = False,
    on_duplicate: str = "skip",
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> ImportReport:
    """Import the clients of a spreadsheet (see the module docstring for the rules).

    `mapping` ({column index: field key}) overrides the guessed one (the TUI's
    manual mapping). Raises ImportFileError when the file cannot be imported at
    all; rows with problems are in the report, never raised.
    """
    from ..services.permissions import require

    require("data.import")
    if on_duplicate not in ("skip", "update"):
        raise ValueError(on_duplicate)
    with bulk_work():
        return _import(path, mapping, dry_run, skip_invalid, on_duplicate, progress, cancelled)


def _import(
    path: Path | str,
    mapping: Mapping[int, str] | None,
    dry_run: bool,
    skip_invalid: bool,
    on_duplicate: str,
    progress: Progress | None,
    cancelled: Cancelled | None,
) -> ImportReport:
    inspection = inspect_file(path)
    with inspection.table as table:
        columns = dict(inspection.mapping.columns if mapping is None else mapping)
        problems = check_mapping(columns, CLIENT_COLUMNS)
        if problems:
            raise ImportFileError(
                _("{file}: {problems}").format(file=table.path.name, problems="; ".join(problems))
            )
        report = ImportReport(
            what="clients",
            file=table.path.name,
            sheet=table.sheet,
            header_row=table.header_row,
            dry_run=dry_run,
            skip_invalid=skip_invalid,
        )
        report.notes.extend(table.notes)
        if table.header_row != 1:
            report.notes.append(
                _("The header is row {row}; the rows above it were not imported").format(
                    row=table.header_row
                )
            )
        report.notes.extend(mapping_notes(inspection, columns))
        builder = None if dry_run else _RowBuilder()
        if builder is not None and on_duplicate == "skip":
            try:
                _read_and_write(table, columns, report, skip_invalid, builder, progress, cancelled)
                report.committed = True
                return report
            except _NotWritten as stop:
                rows, issues, count, notes = stop.read
        else:
            rows, issues, count, notes = read_clients(
                table, columns, progress=progress, cancelled=cancelled, builder=builder
            )
    report.rows = count
    report.rejected = issues
    report.notes.extend(notes)
    if count == 0:
        raise ImportFileError(_("{file} has headers but no data rows").format(file=report.file))
    if dry_run or (issues and not skip_invalid):
        with read_snapshot():
            plan = plan_clients(rows, on_duplicate)
        report.skipped = plan.skipped
        report.created, report.updated = len(plan.creates), len(plan.updates)
        return report
    if rows:
        _commit(rows, report, on_duplicate, builder or _RowBuilder(), progress, cancelled)
        report.committed = True
    return report
