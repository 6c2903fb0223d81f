"""SEPA direct debits: clients' mandates, and remittances (pain.008 files) of due invoices.

Rules enforced here:
- a mandate has a unique reference (up to 35 SEPA characters), a date of signature not
  in the future, an IBAN checked by python-stdnum (a BIC too when given), the scheme
  (CORE, or B2B between businesses) and the sequence type of its NEXT collection (FRST,
  or RCUR once one has gone out); only active mandates are collected;
- a remittance collects, on one collection date after today, every issued invoice with
  money outstanding, due by a date, of a client with an active mandate of the chosen
  scheme, that is not already in a remittance waiting for the bank; one collection per
  invoice, of what it still owes;
- the XML is written by `sepaxml` (pain.008.001.02) and validated against the schema the
  library ships before anything is kept; the business's name, IBAN, BIC and creditor
  identifier (settings `company.name`, `company.iban`, `company.bic`,
  `sepa.creditor_id`) must be set and valid;
- the remittance, its items and the mandates moving from FRST to RCUR are recorded in
  one transaction together with the file: the file appears (through a temporary file in
  its directory, never following a symlink, never replacing one without `force`) only if
  the records commit, and the records only if the file was written;
- a remittance is paid when a bank statement confirms it (`services.bank`); until then
  it can be cancelled, which frees its invoices and gives mandates back their FRST;
- every change needs the `payments.write` permission, checked before anything else, and
  is audited.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ..db import execute, transactional
from ..exports.columns import ReportColumn
from ..i18n import N_, _
from ..models import SEPA_SCHEMES, SEPA_SEQUENCES, Remittance, RemittanceItem, SepaMandate
from ..models.base import utcnow
from ..money import ZERO, from_cents, to_cents
from ..text import clean_input
from . import audit
from .errors import NotFound, RuleViolation, ValidationError
from .permissions import require
from .records import live_client, save_versioned
from .session import login

SCHEMA = "pain.008.001.02"
# The SEPA character set (EPC guidelines): what a mandate reference may contain.
_SEPA_TEXT = re.compile(r"^[A-Za-z0-9/\-?:().,'+ ]+$")
REMITTANCE_STATUS = {
    "sent": N_("waiting for the bank"),
    "collected": N_("collected"),
    "cancelled": N_("cancelled"),
}
# The command line's lists (`remittance list`, `mandate list`): one column per key.
REMITTANCE_COLUMNS = (
    ReportColumn("id", N_("ID"), "int"),
    ReportColumn("message_id", N_("Message ID")),
    ReportColumn("created_at", N_("Created"), "date"),
    ReportColumn("collection_date", N_("Collection date"), "date"),
    ReportColumn("scheme", N_("Scheme")),
    ReportColumn("count", N_("Direct debits"), "int"),
    ReportColumn("total", N_("Total"), "money"),
    ReportColumn("status", N_("Status"), labels=REMITTANCE_STATUS),
    ReportColumn("collected", N_("Collected"), "int"),
    ReportColumn("returned", N_("Returned"), "int"),
    ReportColumn("file", N_("File")),
)
MANDATE_COLUMNS = (
    ReportColumn("reference", N_("Reference")),
    ReportColumn("client", N_("Client")),
    ReportColumn("tax_id", N_("Tax ID")),
    ReportColumn("signed_on", N_("Signed on"), "date"),
    ReportColumn("iban", N_("IBAN")),
    ReportColumn("bic", N_("BIC")),
    ReportColumn("scheme", N_("Scheme")),
    ReportColumn("sequence", N_("Sequence")),
    ReportColumn("active", N_("Active")),
    ReportColumn("last_collected_on", N_("Last collected"), "date"),
)


# --- IBANs ---------------------------------------------------------------------------------


def check_iban(value: str) -> str:
    """The compact IBAN ("ES9121000418450200051332"), or ValueError with the reason."""
    from stdnum import iban
    from stdnum.exceptions import ValidationError as StdnumError

    text = (value or "").strip()
    if not text:
        raise ValueError(_("is required"))
    try:
        return iban.validate(text)
    except StdnumError:
        raise ValueError(_("is not a valid IBAN (e.g. ES91 2100 0418 4502 0005 1332)")) from None


def format_iban(compact: str) -> str:
    """Grouped by four for people: "ES91 2100 0418 4502 0005 1332"."""
    raw = (compact or "").replace(" ", "")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def compact_iban(value: str) -> str:
    """Upper case without separators, valid or not (for comparing)."""
    return re.sub(r"[^0-9A-Z]", "", (value or "").upper())


# --- mandates ------------------------------------------------------------------------------


@dataclass
class MandateInput:
    client_id: int
    reference: str
    signed_on: dt.date | None
    iban: str
    bic: str = ""
    scheme: str = "CORE"
    sequence: str = "FRST"
    active: bool = True


@dataclass(frozen=True)
class MandateRow:
    id: int
    version: int
    client_id: int
    client_name: str
    tax_id: str
    reference: str
    signed_on: dt.date
    iban: str  # compact
    bic: str
    scheme: str
    sequence: str
    active: bool
    last_collected_on: dt.date | None

    @property
    def iban_text(self) -> str:
        return format_iban(self.iban)


def _clean_mandate(data: MandateInput, mandate_id: int | None = None) -> dict[str, object]:
    errors: dict[str, str] = {}
    reference = clean_input(data.reference or "").strip()
    if not reference:
        errors["reference"] = _("is required")
    elif len(reference) > 35:
        errors["reference"] = _("is longer than {n} characters").format(n=35)
    elif not _SEPA_TEXT.match(reference):
        errors["reference"] = _("may only use letters, digits, spaces and / - ? : ( ) . , ' +")
    else:
        clash = SepaMandate.get_or_none(SepaMandate.reference == reference)
        if clash is not None and clash.id != mandate_id:
            errors["reference"] = _("another mandate has this reference")
    if not isinstance(data.signed_on, dt.date):
        errors["signed_on"] = _("is required")
    elif data.signed_on > dt.date.today():
        errors["signed_on"] = _("must not be in the future")
    iban = ""
    try:
        iban = check_iban(data.iban)
    except ValueError as exc:
        errors["iban"] = str(exc)
    bic = (data.bic or "").strip().upper()
    if bic:
        from stdnum import bic as stdnum_bic
        from stdnum.exceptions import ValidationError as StdnumError

        try:
            bic = stdnum_bic.validate(bic)
        except StdnumError:
            errors["bic"] = _("is not a valid BIC (e.g. CAIXESBBXXX)")
    scheme = (data.scheme or "").strip().upper()
    if scheme not in SEPA_SCHEMES:
        errors["scheme"] = _("must be one of {values}").format(values=", ".join(SEPA_SCHEMES))
    sequence = (data.sequence or "").strip().upper()
    if sequence not in SEPA_SEQUENCES:
        errors["sequence"] = _("must be one of {values}").format(values=", ".join(SEPA_SEQUENCES))
    if errors:
        raise ValidationError(errors)
    return {
        "reference": reference,
        "signed_on": data.signed_on,
        "iban": iban,
        "bic": bic,
        "scheme": scheme,
        "sequence": sequence,
        "active": bool(data.active),
    }


@transactional
def create_mandate(data: MandateInput) -> int:
    """Record a client's signed mandate (see the module's rules); returns its id."""
    require("payments.write")
    client = live_client(data.client_id)
    values = _clean_mandate(data)
    mandate = SepaMandate.create(client=client.id, updated_by=login(), **values)
    audit.record(
        "create",
        "sepa_mandate",
        mandate.id,
        client_id=client.id,
        changes={k: (None, v) for k, v in values.items()},
        summary=_("Direct-debit mandate {reference}").format(reference=values["reference"]),
    )
    return mandate.id


@transactional
def update_mandate(mandate_id: int, data: MandateInput, expected_version: int) -> int:
    """Change a mandate (optimistic locking: a colleague's save is never overwritten)."""
    require("payments.write")
    mandate = SepaMandate.get_or_none(SepaMandate.id == mandate_id)
    if mandate is None:
        raise NotFound(_("mandate {id} does not exist").format(id=mandate_id))
    values = _clean_mandate(data, mandate_id)
    before = {k: getattr(mandate, k) for k in values}
    version = save_versioned(
        SepaMandate,
        mandate_id,
        expected_version,
        values,
        entity="sepa_mandate",
        what=_("mandate"),
        before=before,
    )
    changes = {k: (before[k], v) for k, v in values.items() if before[k] != v}
    audit.record("update", "sepa_mandate", mandate_id, client_id=mandate.client_id, changes=changes)
    return version


@transactional
def set_mandate_active(mandate_id: int, active: bool) -> None:
    """Revoke a mandate (no more collections under it) or make it active again."""
    require("payments.write")
    mandate = SepaMandate.get_or_none(SepaMandate.id == mandate_id)
    if mandate is None:
        raise NotFound(_("mandate {id} does not exist").format(id=mandate_id))
    if mandate.active == active:
        return
    SepaMandate.update(
        active=active, version=SepaMandate.version + 1, updated_at=utcnow(), updated_by=login()
    ).where(SepaMandate.id == mandate_id).execute()
    audit.record(
        "update",
        "sepa_mandate",
        mandate_id,
        client_id=mandate.client_id,
        changes={"active": (mandate.active, active)},
        summary=_("Mandate {reference} revoked").format(reference=mandate.reference)
        if not active
        else _("Mandate {reference} active again").format(reference=mandate.reference),
    )


_MANDATE_SELECT = (
    "SELECT m.id, m.version, m.client_id, c.legal_name, c.tax_id, m.reference, m.signed_on, "
    "m.iban, m.bic, m.scheme, m.sequence, m.active, m.last_collected_on "
    "FROM sepa_mandate m JOIN client c ON c.id = m.client_id"
)


def _day(value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _mandate_row(r: Sequence[object]) -> MandateRow:
    return MandateRow(
        id=int(r[0]),
        version=int(r[1]),
        client_id=int(r[2]),
        client_name=str(r[3]),
        tax_id=str(r[4]),
        reference=str(r[5]),
        signed_on=_day(r[6]) or dt.date.min,
        iban=str(r[7]),
        bic=str(r[8]),
        scheme=str(r[9]),
        sequence=str(r[10]),
        active=bool(r[11]),
        last_collected_on=_day(r[12]),
    )


def get_mandate(mandate_id: int) -> MandateRow:
    row = execute(f"{_MANDATE_SELECT} WHERE m.id = ?", (mandate_id,)).fetchone()
    if row is None:
        raise NotFound(_("mandate {id} does not exist").format(id=mandate_id))
    return _mandate_row(row)


def list_mandates(
    client_id: int | None = None, offset: int = 0, limit: int | None = 100
) -> list[MandateRow]:
    """Mandates, active first, by client name (one client's when `client_id` is given)."""
    where, params = ("WHERE m.client_id = ?", [client_id]) if client_id is not None else ("", [])
    sql = f"{_MANDATE_SELECT} {where} ORDER BY m.active DESC, c.sort_name, m.id"
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        params += [limit, offset]
    return [_mandate_row(r) for r in execute(sql, params)]


def count_mandates(client_id: int | None = None) -> int:
    if client_id is None:
        return int(execute("SELECT COUNT(*) FROM sepa_mandate").fetchone()[0])
    return int(
        execute("SELECT COUNT(*) FROM sepa_mandate WHERE client_id = ?", (client_id,)).fetchone()[0]
    )


def find_mandate(reference: str) -> int:
    mandate = SepaMandate.get_or_none(SepaMandate.reference == (reference or "").strip())
    if mandate is None:
        raise NotFound(_("no mandate has the reference {reference}").format(reference=reference))
    return mandate.id


# --- what a remittance would collect -------------------------------------------------------


@dataclass(frozen=True)
class Collection:
    """An invoice a remittance can collect, with the mandate it is collected under."""

    invoice_id: int
    code: str
    client_id: int
    client_name: str
    due_date: dt.date
    outstanding: Decimal
    mandate_id: int
    mandate_reference: str
    signed_on: dt.date
    iban: str
    bic: str
    sequence: str


def collectable_invoices(due_by: dt.date, scheme: str = "CORE") -> list[Collection]:
    """Invoices due by `due_by` that a remittance may collect (see the module's rules),
    oldest due first. A client with several active mandates is collected under the most
    recently signed one."""
    rows = execute(
        "SELECT i.id, i.code, i.client_id, i.client_name, i.due_date, i.outstanding_cents, "
        "m.id, m.reference, m.signed_on, m.iban, m.bic, m.sequence "
        "FROM invoice i JOIN sepa_mandate m ON m.id = ("
        "  SELECT m2.id FROM sepa_mandate m2 WHERE m2.client_id = i.client_id "
        "  AND m2.active AND m2.scheme = ? ORDER BY m2.signed_on DESC, m2.id DESC LIMIT 1) "
        "WHERE i.outstanding_cents > 0 AND i.status IN ('issued', 'partially_paid') "
        "AND i.due_date <= ? AND NOT EXISTS (SELECT 1 FROM remittance_item r "
        "  WHERE r.invoice_id = i.id AND r.status = 'sent') "
        "ORDER BY i.due_date, i.id",
        (scheme, due_by.isoformat()),
    )
    return [
        Collection(
            invoice_id=int(r[0]),
            code=str(r[1]),
            client_id=int(r[2]),
            client_name=str(r[3]),
            due_date=_day(r[4]) or due_by,
            outstanding=from_cents(int(r[5])),
            mandate_id=int(r[6]),
            mandate_reference=str(r[7]),
            signed_on=_day(r[8]) or dt.date.min,
            iban=str(r[9]),
            bic=str(r[10]),
            sequence=str(r[11]),
        )
        for r in rows
    ]


def default_collection_date(today: dt.date | None = None) -> dt.date:
    """The next business day (Monday to Friday) after today: the earliest a bank takes."""
    day = (today or dt.date.today()) + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


@dataclass(frozen=True)
class RemittanceResult:
    id: int
    message_id: str
    count: int
    total: Decimal
    collection_date: dt.date
    path: Path
    first: int  # collections sent with sequence FRST


@dataclass(frozen=True)
class Creditor:
    name: str
    iban: str
    bic: str
    creditor_id: str


def creditor() -> Creditor:
    """The business as a SEPA creditor, from the settings; RuleViolation says what is missing."""
    from . import settings

    values = settings.get_all()
    missing = []
    name = values.get("company.name", "").strip()
    if not name:
        missing.append("company.name")
    try:
        iban = check_iban(values.get("company.iban", ""))
    except ValueError:
        iban = ""
        missing.append("company.iban")
    bic = values.get("company.bic", "").strip()
    if not bic:
        missing.append("company.bic")
    creditor_id = values.get("sepa.creditor_id", "").strip()
    if not creditor_id:
        missing.append("sepa.creditor_id")
    if missing:
        raise RuleViolation(
            _(
                "a remittance needs the business's {keys}: set them with "
                "`tui-crm config set` or in Settings"
            ).format(keys=", ".join(missing))
        )
    return Creditor(name, iban, bic, creditor_id)


def check_output(path: Path | str, *, force: bool = False) -> Path:
    """Where the XML goes: refused with a reason when it cannot or should not be written."""
    target = Path(path).expanduser()
    if target.suffix.lower() != ".xml":
        raise ValidationError(
            {"output": _("{path}: the file name must end in .xml").format(path=target)}
        )
    if target.is_symlink():
        raise ValidationError(
            {"output": _("{path} is a symbolic link; choose another name").format(path=target)}
        )
    if target.is_dir():
        raise ValidationError({"output": _("{path} is a directory").format(path=target)})
    if not target.parent.is_dir():
        raise ValidationError(
            {"output": _("directory {path} does not exist").format(path=target.parent)}
        )
    if target.exists() and not force:
        raise ValidationError(
            {
                "output": _(
                    "{path} exists; choose another name or add --force to replace it"
                ).format(path=target)
            }
        )
    return target


def _xml(
    company: Creditor,
    scheme: str,
    collect_on: dt.date,
    items: Sequence[tuple[Collection, str]],
) -> tuple[bytes, str]:
    """The pain.008 document for `items` [(collection, end_to_end_id)], validated against
    the schema sepaxml ships; returns (xml, message id)."""
    from sepaxml import SepaDD
    from sepaxml.validation import ValidationError as SchemaError

    sepa = SepaDD(
        {
            "name": company.name,
            "IBAN": company.iban,
            "BIC": company.bic,
            "batch": True,
            "creditor_id": company.creditor_id,
            "currency": "EUR",
            "instrument": scheme,
        },
        schema=SCHEMA,
    )
    for collection, end_to_end in items:
        payment = {
            "name": collection.client_name,
            "IBAN": collection.iban,
            "amount": to_cents(collection.outstanding),
            "type": collection.sequence,
            "collection_date": collect_on,
            "mandate_id": collection.mandate_reference,
            "mandate_date": collection.signed_on,
            "description": _("Invoice {code}").format(code=collection.code),
            "endtoend_id": end_to_end,
        }
        if collection.bic:
            payment["BIC"] = collection.bic
        sepa.add_payment(payment)
    try:
        return sepa.export(validate=True), sepa.msg_id
    except SchemaError as exc:
        raise RuleViolation(
            _("the remittance file does not validate against {schema}: {error}").format(
                schema=SCHEMA, error=exc.__cause__ or exc
            )
        ) from None


def end_to_end_id(code: str, remittance_id: int) -> str:
    """The collection's end-to-end id: the invoice number and the remittance, e.g.
    "F2026-00001-R12" (what the bank quotes back on a return)."""
    return f"{code}-R{remittance_id}"[:35]


def create_remittance(
    due_by: dt.date,
    output: Path | str,
    *,
    collect_on: dt.date | None = None,
    scheme: str = "CORE",
    invoice_ids: Sequence[int] | None = None,
    force: bool = False,
    today: dt.date | None = None,
) -> RemittanceResult:
    """Collect the invoices due by `due_by` (or only `invoice_ids` among them) on
    `collect_on` (default: the next business day): write the pain.008 file at `output`
    and record the remittance (see the module's rules: all of it or nothing)."""
    require("payments.write")
    scheme = (scheme or "").strip().upper()
    if scheme not in SEPA_SCHEMES:
        raise ValidationError(
            {"scheme": _("must be one of {values}").format(values=", ".join(SEPA_SCHEMES))}
        )
    today = today or dt.date.today()
    collect_on = collect_on or default_collection_date(today)
    if collect_on <= today:
        raise ValidationError({"collect_on": _("must be after today")})
    if collect_on > today + dt.timedelta(days=400):
        raise ValidationError({"collect_on": _("is more than a year away")})
    target = check_output(output, force=force)
    linked: list[Path] = []
    try:
        return _record_remittance(due_by, target, collect_on, scheme, invoice_ids, force, linked)
    except BaseException:
        for path in linked:  # the records did not commit: neither does the file
            path.unlink(missing_ok=True)
        raise


@transactional
def _record_remittance(
    due_by: dt.date,
    target: Path,
    collect_on: dt.date,
    scheme: str,
    invoice_ids: Sequence[int] | None,
    force: bool,
    linked: list[Path],
) -> RemittanceResult:
    company = creditor()
    found = collectable_invoices(due_by, scheme)
    if invoice_ids is not None:
        wanted = set(invoice_ids)
        found = [c for c in found if c.invoice_id in wanted]
        if len(found) != len(wanted):
            raise RuleViolation(
                _(
                    "{n} of the chosen invoices can no longer be collected (paid, or already "
                    "in a remittance): look again"
                ).format(n=len(wanted) - len(found))
            )
    if not found:
        raise RuleViolation(
            _(
                "nothing to collect: no invoice due by {date} is owed by a client with an "
                "active {scheme} mandate"
            ).format(date=due_by.isoformat(), scheme=scheme)
        )
    total = sum((c.outstanding for c in found), ZERO)
    remittance = Remittance.create(
        created_by=login(),
        message_id=f"pending-{os.getpid()}-{utcnow().timestamp()}",
        scheme=scheme,
        due_by=due_by,
        collection_date=collect_on,
        count=len(found),
        total=total,
        file_name=str(target),
        status="sent",
    )
    items = [(c, end_to_end_id(c.code, remittance.id)) for c in found]
    xml, message_id = _xml(company, scheme, collect_on, items)
    Remittance.update(message_id=message_id).where(Remittance.id == remittance.id).execute()
    RemittanceItem.insert_many(
        [
            {
                "remittance": remittance.id,
                "invoice": c.invoice_id,
                "mandate": c.mandate_id,
                "client": c.client_id,
                "amount": c.outstanding,
                "end_to_end_id": e2e,
                "sequence": c.sequence,
                "status": "sent",
            }
            for c, e2e in items
        ]
    ).execute()
    first = {c.mandate_id for c in found if c.sequence == "FRST"}
    for mandate_id in {c.mandate_id for c in found}:
        values: dict[str, object] = {"last_collected_on": collect_on}
        if mandate_id in first:
            values["sequence"] = "RCUR"  # the next collection under it is a recurrent one
        SepaMandate.update(**values).where(SepaMandate.id == mandate_id).execute()
    audit.record(
        "create",
        "remittance",
        remittance.id,
        changes={
            "invoices": (None, ", ".join(c.code for c in found)),
            "total": (None, total),
            "collection_date": (None, collect_on),
            "message_id": (None, message_id),
        },
        summary=_("Remittance of {n} direct debits, {total}, to collect on {date}").format(
            n=len(found), total=total, date=collect_on.isoformat()
        ),
    )
    _write_file(target, xml, force, linked)
    return RemittanceResult(
        id=remittance.id,
        message_id=message_id,
        count=len(found),
        total=total,
        collection_date=collect_on,
        path=target,
        first=sum(1 for c in found if c.sequence == "FRST"),
    )


def _write_file(target: Path, data: bytes, force: bool, linked: list[Path]) -> None:
    """Write through a temporary file in the target's directory; link it into place (an
    existing name is never replaced unless `force`, a symlink never followed)."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tui-crm-", suffix=".xml.tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        if force and target.exists() and not target.is_symlink():
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)
            except FileExistsError:
                raise ValidationError(
                    {
                        "output": _(
                            "{path} exists; choose another name or add --force to replace it"
                        ).format(path=target)
                    }
                ) from None
        linked.append(target)
    finally:
        Path(tmp).unlink(missing_ok=True)


# --- remittances ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RemittanceRow:
    id: int
    created_at: dt.datetime
    created_by: str
    message_id: str
    scheme: str
    due_by: dt.date
    collection_date: dt.date
    count: int
    total: Decimal
    file_name: str
    status: str
    collected: int
    returned: int


def list_remittances(offset: int = 0, limit: int = 100) -> list[RemittanceRow]:
    """Remittances, newest first, with how many of their collections were paid or returned."""
    rows = execute(
        "SELECT r.id, r.created_at, r.created_by, r.message_id, r.scheme, r.due_by, "
        "r.collection_date, r.count, r.total_cents, r.file_name, r.status, "
        "(SELECT COUNT(*) FROM remittance_item i WHERE i.remittance_id = r.id "
        " AND i.status = 'collected'), "
        "(SELECT COUNT(*) FROM remittance_item i WHERE i.remittance_id = r.id "
        " AND i.status = 'returned') "
        "FROM remittance r ORDER BY r.id DESC LIMIT ? OFFSET ?",
        (limit, offset),
    )
    return [
        RemittanceRow(
            id=int(r[0]),
            created_at=r[1]
            if isinstance(r[1], dt.datetime)
            else dt.datetime.fromisoformat(str(r[1])),
            created_by=str(r[2]),
            message_id=str(r[3]),
            scheme=str(r[4]),
            due_by=_day(r[5]) or dt.date.min,
            collection_date=_day(r[6]) or dt.date.min,
            count=int(r[7]),
            total=from_cents(int(r[8])),
            file_name=str(r[9]),
            status=str(r[10]),
            collected=int(r[11]),
            returned=int(r[12]),
        )
        for r in rows
    ]


@transactional
def cancel_remittance(remittance_id: int) -> int:
    """Cancel a remittance the bank never collected: its invoices can be collected again,
    and a mandate whose first collection it was goes back to FRST. Refused once a
    collection of it was paid or returned. Returns how many collections were cancelled."""
    require("payments.write")
    remittance = Remittance.get_or_none(Remittance.id == remittance_id)
    if remittance is None:
        raise NotFound(_("remittance {id} does not exist").format(id=remittance_id))
    if remittance.status != "sent":
        raise RuleViolation(
            _("remittance {id} is {status}; only one waiting for the bank can be cancelled").format(
                id=remittance_id,
                status=_(REMITTANCE_STATUS.get(remittance.status, remittance.status)),
            )
        )
    items = list(RemittanceItem.select().where(RemittanceItem.remittance == remittance_id))
    if any(i.status != "sent" for i in items):
        raise RuleViolation(
            _("remittance {id} was already collected in part; it cannot be cancelled").format(
                id=remittance_id
            )
        )
    RemittanceItem.update(status="cancelled").where(
        RemittanceItem.remittance == remittance_id
    ).execute()
    Remittance.update(status="cancelled").where(Remittance.id == remittance_id).execute()
    for mandate_id in {i.mandate_id for i in items}:
        others = execute(
            "SELECT MAX(r.collection_date), COUNT(*) FROM remittance_item i "
            "JOIN remittance r ON r.id = i.remittance_id "
            "WHERE i.mandate_id = ? AND i.status <> 'cancelled'",
            (mandate_id,),
        ).fetchone()
        values: dict[str, object] = {"last_collected_on": _day(others[0])}
        if not others[1] and any(i.sequence == "FRST" for i in items if i.mandate_id == mandate_id):
            values["sequence"] = "FRST"
        SepaMandate.update(**values).where(SepaMandate.id == mandate_id).execute()
    audit.record(
        "cancel",
        "remittance",
        remittance_id,
        changes={"status": ("sent", "cancelled")},
        summary=_("Remittance {id} cancelled ({n} direct debits)").format(
            id=remittance_id, n=len(items)
        ),
    )
    return len(items)
