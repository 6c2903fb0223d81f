"""VERI*FACTU: the business rules of the chained records AEAT receives (RD 1007/2023,
Orden HAC/1177/2024, AEAT's specifications in `tui_crm.verifactu`).

Rules enforced here, for the TUI and the command line alike:
- only when `verifactu.enabled` is yes; once an issuer's chain has a record it can no
  longer be turned off (AEAT: no switching modes at will), and the environment cannot
  change while records wait to be sent;
- issuing an invoice writes its registro de alta in the SAME transaction that numbers it
  (`record_issue`, called by `invoices.issue_invoice`): the chain of the issuer's NIF is
  advanced through its `verifactu_chain` row (the row lock serialises every writer, on
  SQLite and on PostgreSQL), the previous record is checked before chaining to it, the
  record is built from the invoice (type, breakdown per IVA rate with recargo, exemption
  or non-subjection, recipients, rectified and replaced invoices) and validated against
  AEAT's schema before it is stored; a record AEAT's schema would refuse is never
  written, and the invoice is then not issued either;
- the time of a record never goes back more than a minute before the previous one
  (Orden art. 7.i.2): a machine whose clock is behind is told so and issues nothing;
- voiding (`void_invoice`, admins only, with a reason): the invoice should never have
  existed; it stays, marked voided, counts for nothing (revenue, receivables, client
  figures), and a registro de anulación joins the chain;
- a record AEAT rejected, or accepted with errors, is corrected by a new record
  (`correct_record`): a subsanación of the alta (Subsanacion=S, RechazoPrevio X when
  AEAT never registered the invoice, S when its last correction was rejected) or a new
  anulación (RechazoPrevio=S, SinRegistroPrevio=S when AEAT never registered the alta);
- imported history invoices were issued by another system: they get no record.

The transport (sending the outbox, reading AEAT's answers) lives in
`services.verifactu_sender`; it reads `pending_records` and writes `record_result`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby

from ..db import execute, transactional
from ..i18n import N_, _, ngettext
from ..models import (
    EXEMPTION_CODES,
    Invoice,
    InvoiceLine,
    InvoiceReplaced,
    Setting,
    VerifactuRecord,
)
from ..models.base import utcnow
from ..money import ZERO, from_cents, to_cents
from ..text import clean_input
from ..verifactu import formats, huella, records, schema
from ..verifactu.chain import Link
from ..verifactu.chain import verify_chain as verify_links
from ..verifactu.formats import new_installation_number
from ..verifactu.qr import qr_url
from ..verifactu.system import (
    DECLARATION_DATE,
    DECLARATION_PLACE,
    MULTIPLE_TAXPAYERS_POSSIBLE,
    ONLY_VERIFACTU,
    PRODUCER,
    PRODUCER_IS_PLACEHOLDER,
    SYSTEM_ID,
    SYSTEM_NAME,
    VERSION,
    this_system,
)
from . import audit, settings
from .errors import NotFound, RuleViolation, ValidationError
from .lines import read_lines, totals_of
from .permissions import require
from .session import login
from .validation import TaxIdError, check_tax_id, issuer_nif

ENVIRONMENTS = ("test", "production")
ENDPOINTS = {
    "test": "https://prewww1.aeat.es/wlpl/TIKE-CONT/ws/SistemaFacturacion/VerifactuSOAP",
    "production": (
        "https://www1.agenciatributaria.gob.es/wlpl/TIKE-CONT/ws/SistemaFacturacion/VerifactuSOAP"
    ),
}
STATUSES = ("pending", "accepted", "accepted_with_errors", "rejected")
REGISTERED = ("accepted", "accepted_with_errors")  # AEAT holds the record
RECTIFYING_CAUSES = ("R1", "R2", "R3", "R4")
SIMPLIFIED_LIMITS = (Decimal(400), Decimal(3000))
FIRST_VERIFACTU_DATE = dt.date(2024, 10, 28)  # Orden HAC/1177/2024 in force: AEAT's lower bound
CLOCK_TOLERANCE = dt.timedelta(minutes=1)

TYPE_LABELS = {
    "F1": N_("F1 invoice"),
    "F2": N_("F2 simplified invoice"),
    "F3": N_("F3 invoice replacing simplified ones"),
    "R1": N_("R1 rectifying: error in law, art. 80.1, 80.2, 80.6 LIVA"),
    "R2": N_("R2 rectifying: insolvency proceedings, art. 80.3 LIVA"),
    "R3": N_("R3 rectifying: bad debt, art. 80.4 LIVA"),
    "R4": N_("R4 rectifying: other causes"),
    "R5": N_("R5 rectifying a simplified invoice"),
}
EXEMPTION_LABELS = {
    "E1": N_("E1 exempt under art. 20 LIVA (health, education, finance, rents…)"),
    "E2": N_("E2 exempt under art. 21 LIVA (exports)"),
    "E3": N_("E3 exempt under art. 22 LIVA (operations treated as exports)"),
    "E4": N_("E4 exempt under art. 23 and 24 LIVA (customs and tax warehouses)"),
    "E5": N_("E5 exempt under art. 25 LIVA (deliveries to other EU countries)"),
    "E6": N_("E6 exempt for another reason"),
    "N1": N_("N1 not subject to IVA (art. 7, 14 LIVA, others)"),
    "N2": N_("N2 not subject to IVA by the place-of-supply rules"),
}
STATUS_LABELS = {
    "pending": N_("pending"),
    "accepted": N_("accepted"),
    "accepted_with_errors": N_("accepted with errors"),
    "rejected": N_("rejected"),
}


# --- settings --------------------------------------------------------------------


def _setting(key: str) -> str:
    """One business setting, read with plain SQL (issuing reads a few of these each time)."""
    row = execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
    return row[0] if row is not None else settings.SPEC_BY_KEY[key].default


def enabled() -> bool:
    return _setting("verifactu.enabled") == "yes"


def environment() -> str:
    return _setting("verifactu.environment") or "test"


def endpoint() -> str:
    """The service URL: `verifactu.endpoint`, or AEAT's for the environment."""
    return settings.get("verifactu.endpoint") or ENDPOINTS[environment()]


def _installation() -> str:
    """`verifactu.installation`, set to the moment of installation the first time it is needed
    (a system-determined value: no permission needed, audited like any setting)."""
    value = _setting("verifactu.installation")
    if value:
        return value
    value = new_installation_number()
    Setting.insert(
        key="verifactu.installation", value=value, updated_at=utcnow(), updated_by=login()
    ).on_conflict_ignore().execute()
    audit.record("update", "setting", "verifactu.installation", changes={"value": ("", value)})
    return settings.get("verifactu.installation")


def has_records() -> bool:
    return VerifactuRecord.select().exists()


# --- invoice coding ----------------------------------------------------------------

_ARTICLE = re.compile(r"\bart(?:[íi]culo|\.)?\s*(\d+)", re.IGNORECASE)


def infer_exemption_code(reason: str) -> str:
    """The AEAT code our exemption text most likely means; the person can choose another.

    "no sujet…" gives N2 when it speaks of the place of supply (localización, arts. 68-70,
    inversión), else N1; "exent…" gives E1-E5 by the article of the IVA law it cites
    (20, 21, 22, 23/24, 25), else E6."""
    text = clean_input(reason or "").lower()
    if not text:
        return ""
    if "no sujet" in text or "not subject" in text:
        if any(word in text for word in ("localiza", "place of supply", "69", "70", "68")):
            return "N2"
        return "N1"
    for match in _ARTICLE.finditer(text):
        article = int(match.group(1))
        code = {20: "E1", 21: "E2", 22: "E3", 23: "E4", 24: "E4", 25: "E5"}.get(article)
        if code:
            return code
    return "E6"


def check_exemption_code(code: str, exemption_reason: str) -> str:
    """The code to store: "" for an invoice with IVA, else the given code or the inferred one."""
    code = (code or "").strip().upper()
    if not exemption_reason:
        if code:
            raise ValidationError(
                {"exemption_code": _("only for an invoice without IVA (give the exemption first)")}
            )
        return ""
    if not code:
        return infer_exemption_code(exemption_reason)
    if code not in EXEMPTION_CODES:
        raise ValidationError(
            {
                "exemption_code": _("must be one of {values}").format(
                    values=", ".join(EXEMPTION_CODES)
                )
            }
        )
    return code


def check_invoice_type(invoice_type: str, kind: str) -> str:
    """F1, F2 or F3 for an ordinary invoice (default F1); R1-R5 for a rectifying one."""
    value = (invoice_type or "").strip().upper()
    allowed = ("F1", "F2", "F3") if kind == "standard" else ("R1", "R2", "R3", "R4", "R5")
    if not value:
        return allowed[0]
    if value not in allowed:
        raise ValidationError(
            {"invoice_type": _("must be one of {values}").format(values=", ".join(allowed))}
        )
    return value


def rectifying_type(cause: str, original: Invoice) -> str:
    """R5 when the rectified invoice is simplified (F2), else the legal cause R1-R4."""
    if (original.invoice_type or "F1") == "F2":
        return "R5"
    cause = (cause or "R1").strip().upper()
    if cause not in RECTIFYING_CAUSES:
        raise ValidationError(
            {"cause": _("must be one of {values}").format(values=", ".join(RECTIFYING_CAUSES))}
        )
    return cause


def simplified_limit() -> Decimal:
    return Decimal(settings.get("invoice.simplified_limit") or "400")


def is_simplified(invoice_type: str) -> bool:
    return invoice_type in ("F2", "R5")


def check_simplified(invoice: Invoice, total_with_tax: Decimal) -> None:
    """RD 1619/2012 art. 4: a simplified invoice (F2) up to 400 € with IVA, or 3,000 € for
    the activities of art. 4.1 (setting `invoice.simplified_limit`); never for deliveries
    to other EU countries (art. 4.2)."""
    if invoice.invoice_type != "F2":
        return
    limit = simplified_limit()
    if total_with_tax > limit:
        raise RuleViolation(
            _(
                "Cannot issue a simplified invoice (F2) of {total} €: the law allows it up to "
                "{limit} € with IVA (art. 4 RD 1619/2012; 3,000 € for retail, hospitality, "
                "transport of people and the other activities of its art. 4.1, setting "
                "invoice.simplified_limit); issue a complete invoice (F1)"
            ).format(total=total_with_tax, limit=limit)
        )
    if invoice.exemption_code == "E5":
        raise RuleViolation(
            _(
                "Cannot issue a simplified invoice (F2) for a delivery to another EU country "
                "(art. 4.2 RD 1619/2012); issue a complete invoice (F1)"
            )
        )


def replaced_invoices(codes: list[str]) -> list[int]:
    """The ids of the simplified invoices an F3 replaces, by their numbers (each an issued F2)."""
    ids: list[int] = []
    for raw in codes:
        code = raw.strip().upper()
        if not code:
            continue
        row = Invoice.get_or_none(Invoice.code == code)
        if row is None:
            raise ValidationError(
                {"replaces": _("invoice {code} does not exist").format(code=code)}
            )
        if row.invoice_type != "F2" or row.status in ("draft", "voided"):
            raise ValidationError(
                {"replaces": _("{code} is not an issued simplified invoice (F2)").format(code=code)}
            )
        if row.id not in ids:
            ids.append(row.id)
    return ids


# --- the issuer, the chain ---------------------------------------------------------


@dataclass(frozen=True)
class _Head:
    sequence: int  # the sequence the new record takes
    previous: records.Previous | None
    last_generated_at: str


@dataclass(frozen=True)
class _Link:
    """A stored record's chain fields (read with plain SQL)."""

    id: int
    issuer_nif: str
    sequence: int
    record_type: str
    invoice_number: str
    issue_date: dt.date
    invoice_type: str
    vat_total: str
    total: str
    previous_hash: str
    hash: str
    generated_at: str


def _advance_chain(nif: str) -> _Head:
    """Take the next place in `nif`'s chain. The UPDATE locks the chain row until commit
    (PostgreSQL's row lock; SQLite's IMMEDIATE transaction), so writers queue here."""
    execute(
        "INSERT INTO verifactu_chain (issuer_nif, last_sequence, last_hash, last_generated_at) "
        "VALUES (?, 0, '', '') ON CONFLICT (issuer_nif) DO NOTHING",
        (nif,),
    )
    execute(
        "UPDATE verifactu_chain SET last_sequence = last_sequence + 1, updated_at = ? "
        "WHERE issuer_nif = ?",
        (utcnow(), nif),
    )
    sequence, last_generated_at = execute(
        "SELECT last_sequence, last_generated_at FROM verifactu_chain WHERE issuer_nif = ?",
        (nif,),
    ).fetchone()
    if sequence == 1:
        return _Head(1, None, "")
    rows = [
        _Link(r[0], r[1], r[2], r[3], r[4], _day(r[5]), r[6], r[7], r[8], r[9], r[10], r[11])
        for r in execute(
            "SELECT id, issuer_nif, sequence, record_type, invoice_number, issue_date, "
            "invoice_type, vat_total, total, previous_hash, hash, generated_at "
            "FROM verifactu_record WHERE issuer_nif = ? AND sequence BETWEEN ? AND ? "
            "ORDER BY sequence",
            (nif, sequence - 2, sequence - 1),
        )
    ]
    last = rows[-1] if rows else None
    if last is None or last.sequence != sequence - 1:
        # The chain row and the records disagree: the database was changed by hand.
        raise RuleViolation(
            _(
                "the VERI*FACTU chain of {nif} is damaged (record {n} is missing); run "
                "`tui-crm check`"
            ).format(nif=nif, n=sequence - 1)
        )
    # Orden art. 7.i.1 (FAQ 15): the last record must be well chained before chaining to it.
    sound = _hash_of(last) == last.hash and (
        len(rows) < 2 or last.previous_hash == rows[0].hash or sequence - 1 == 1
    )
    if not sound:
        # Invoicing never stops for it (AEAT FAQ 15.2): it is recorded, and `check` names it.
        audit.record(
            "check",
            "verifactu_record",
            last.id,
            summary=_("VERI*FACTU record {n} of {nif} is not well chained").format(
                n=last.sequence, nif=nif
            ),
        )
    previous = records.Previous(nif, last.invoice_number, last.issue_date, last.hash)
    return _Head(sequence, previous, last_generated_at or "")


def _hash_of(row: _Link) -> str:
    if row.record_type == "alta":
        return huella.alta_hash(
            issuer_nif=row.issuer_nif,
            number=row.invoice_number,
            issue_date=formats.date(row.issue_date),
            invoice_type=row.invoice_type,
            vat_total=row.vat_total,
            total=row.total,
            previous_hash=row.previous_hash,
            generated_at=row.generated_at,
        )
    return huella.anulacion_hash(
        issuer_nif=row.issuer_nif,
        number=row.invoice_number,
        issue_date=formats.date(row.issue_date),
        previous_hash=row.previous_hash,
        generated_at=row.generated_at,
    )


def _generation_time(head: _Head) -> str:
    now = formats.now()
    if head.last_generated_at:
        last = formats.parse_timestamp(head.last_generated_at)
        if now < last - CLOCK_TOLERANCE:
            raise RuleViolation(
                _(
                    "This computer's clock ({now}) is behind the last VERI*FACTU record "
                    "({last}); records must follow each other in time: correct the clock"
                ).format(now=formats.timestamp(now), last=head.last_generated_at)
            )
    return formats.timestamp(now)


def _store(
    *,
    invoice: Invoice,
    nif: str,
    issuer_name: str,
    head: _Head,
    built: records.BuiltRecord,
    record_type: str,
    generated_at: str,
    invoice_type: str = "",
    vat_total: str = "",
    total: str = "",
    subsanacion: bool = False,
    rechazo_previo: str = "",
    sin_registro_previo: bool = False,
    corrects: int | None = None,
) -> int:
    try:
        schema.validate(built.xml)
    except schema.SchemaViolation as exc:
        raise RuleViolation(
            _("the VERI*FACTU record of {code} does not match AEAT's schema: {error}").format(
                code=invoice.code, error=exc
            )
        ) from None
    values = {
        "issuer_nif": nif,
        "issuer_name": " ".join(issuer_name.split())[:120],
        "sequence": head.sequence,
        "invoice_id": invoice.id,
        "record_type": record_type,
        "subsanacion": subsanacion,
        "rechazo_previo": rechazo_previo,
        "sin_registro_previo": sin_registro_previo,
        "corrects_id": corrects,
        "invoice_number": invoice.code,
        "issue_date": invoice.issue_date.isoformat(),
        "invoice_type": invoice_type,
        "vat_total": vat_total,
        "total": total,
        "first_record": head.previous is None,
        "previous_issuer_nif": head.previous.issuer_nif if head.previous else "",
        "previous_number": head.previous.number if head.previous else "",
        "previous_issue_date": head.previous.issue_date.isoformat() if head.previous else None,
        "previous_hash": head.previous.hash if head.previous else "",
        "hash": built.hash,
        "generated_at": generated_at,
        "environment": environment(),
        "xml": built.xml.decode("utf-8"),
        "created_at": utcnow(),
        "created_by": login(),
    }
    record_id = execute(
        f"INSERT INTO verifactu_record ({', '.join(values)}) "
        f"VALUES ({', '.join('?' * len(values))}) RETURNING id",
        list(values.values()),
    ).fetchone()[0]
    execute(
        "UPDATE verifactu_chain SET last_hash = ?, last_generated_at = ? WHERE issuer_nif = ?",
        (built.hash, generated_at, nif),
    )
    return int(record_id)


# --- building a registro de alta from an invoice -------------------------------------


@dataclass(frozen=True)
class _Facts:
    """What a record says of an invoice, read with plain SQL (a peewee model of fifty
    columns costs more to query than the whole record costs to build)."""

    id: int
    code: str
    status: str
    kind: str
    issue_date: dt.date
    operation_date: dt.date | None
    rectifies_id: int | None
    rectification_mode: str
    rectification_reason: str
    client_id: int
    client_name: str
    client_tax_id: str
    issuer_name: str
    issuer_tax_id: str
    invoice_type: str
    exemption_code: str
    imported: bool


_FACTS = (
    "SELECT id, code, status, kind, issue_date, operation_date, rectifies_id, "
    "rectification_mode, rectification_reason, client_id, client_name, client_tax_id, "
    "issuer_name, issuer_tax_id, invoice_type, exemption_code, imported "
    "FROM invoice WHERE id = ?"
)


def _day(value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _facts(invoice_id: int) -> _Facts:
    r = execute(_FACTS, (invoice_id,)).fetchone()
    if r is None:
        raise NotFound(_("invoice {id} does not exist").format(id=invoice_id))
    return _Facts(
        id=r[0],
        code=r[1] or "",
        status=r[2],
        kind=r[3],
        issue_date=_day(r[4]),
        operation_date=_day(r[5]),
        rectifies_id=r[6],
        rectification_mode=r[7] or "",
        rectification_reason=r[8] or "",
        client_id=r[9],
        client_name=r[10] or "",
        client_tax_id=r[11] or "",
        issuer_name=r[12] or "",
        issuer_tax_id=r[13] or "",
        invoice_type=r[14] or "",
        exemption_code=r[15] or "",
        imported=bool(r[16]),
    )


def _money_lines(invoice_id: int) -> list[tuple[object, str]]:
    """(money.Line, description) of an invoice's lines, in order."""
    from ..money import Line, bp_to_rate, milli_to_quantity
    from ..money import from_cents as euros

    return [
        (
            Line(
                quantity=milli_to_quantity(int(r[0])),
                unit_price=euros(int(r[1])),
                discount=bp_to_rate(int(r[2])),
                vat_rate=bp_to_rate(int(r[3])),
                recargo_rate=bp_to_rate(int(r[4])),
            ),
            r[5] or "",
        )
        for r in execute(
            "SELECT quantity_milli, unit_price_cents, discount_bp, vat_rate_bp, "
            "recargo_rate_bp, description FROM invoice_line WHERE invoice_id = ? "
            "ORDER BY position, id",
            (invoice_id,),
        )
    ]


def _spanish_text(value: str) -> str:
    return " ".join((value or "").split())


def _description(invoice: _Facts, descriptions: list[str], original: _Facts | None) -> str:
    """DescripcionOperacion: what the invoice is for, never empty (at most 500 characters)."""
    if invoice.kind == "rectifying" and original is not None:
        reason = _spanish_text(invoice.rectification_reason)
        return f"Factura rectificativa de {original.code}: {reason}"[:500]
    seen: list[str] = []
    for description in descriptions:
        text = _spanish_text(description)
        if text and text not in seen:
            seen.append(text)
    joined = "; ".join(seen)
    return joined if joined else f"Factura {invoice.code}"


def _recipients(invoice: _Facts) -> tuple[records.Party, ...]:
    """Destinatarios: none for a simplified invoice (F2, R5), else the frozen recipient."""
    if is_simplified(invoice.invoice_type) or not invoice.client_tax_id:
        return ()
    name = _spanish_text(invoice.client_name)[:120]
    row = execute("SELECT tax_id_country FROM client WHERE id = ?", (invoice.client_id,))
    found = row.fetchone()
    country = (found[0] if found else "") or "ES"
    try:
        info = check_tax_id(invoice.client_tax_id, country)
    except TaxIdError:
        return (records.Party(name, country=country, id_type="06", other_id=invoice.client_tax_id),)
    if info.country == "ES":
        nif = info.compact[2:] if info.compact.startswith("ES") else info.compact
        return (records.Party(name, nif=nif),)
    if info.kind in ("vat", "dic"):
        return (records.Party(name, id_type="02", other_id=info.compact[:20]),)
    return (records.Party(name, country=info.country, id_type="04", other_id=info.compact[:20]),)


def _details(breakdown, exemption_code: str) -> tuple[list[records.Detail], Decimal, Decimal]:
    details: list[records.Detail] = []
    vat_total = ZERO
    total = ZERO
    for group in breakdown:
        if group.vat_rate == 0:
            code = exemption_code or "E6"
            if code.startswith("N"):
                details.append(records.Detail(base=group.base, qualification=code))
            else:
                regime = "02" if code in ("E2", "E3") else "01"
                details.append(records.Detail(base=group.base, regime=regime, exemption=code))
            total += group.base
            continue
        has_recargo = group.recargo_rate != 0
        details.append(
            records.Detail(
                base=group.base,
                qualification="S1",
                vat_rate=group.vat_rate,
                vat=group.vat,
                recargo_rate=group.recargo_rate if has_recargo else None,
                recargo=group.recargo if has_recargo else None,
            )
        )
        vat_total += group.vat + group.recargo
        total += group.base + group.vat + group.recargo
    return details, vat_total, total


def _invoice_id(invoice: _Facts) -> records.InvoiceId:
    return records.InvoiceId(issuer_nif(invoice.issuer_tax_id), invoice.code, invoice.issue_date)


def alta_for(
    invoice: _Facts,
    *,
    system_installation: str,
    generated_at: str,
    previous: records.Previous | None,
    subsanacion: bool = False,
    rechazo_previo: str = "",
) -> records.Alta:
    """The registro de alta an issued invoice gives (its frozen data, its lines)."""
    from ..money import document_totals

    original = _facts(invoice.rectifies_id) if invoice.rectifies_id else None
    locked = 0
    if original is not None and invoice.rectification_mode == "replacement":
        # A replacement's first lines cancel the original's (one each): not restated.
        locked = execute(
            "SELECT COUNT(*) FROM invoice_line WHERE invoice_id = ?", (original.id,)
        ).fetchone()[0]
    lines = _money_lines(invoice.id)
    stated = lines[locked:]
    totals = document_totals(line for line, _text in stated)
    details, vat_total, total = _details(totals.breakdown, invoice.exemption_code)
    rectified_amounts = None
    if original is not None and invoice.rectification_mode == "replacement":
        original_totals = document_totals(line for line, _text in lines[:locked])
        # The cancelling lines negate the original: what is rectified is their opposite.
        rectified_amounts = records.Rectified(
            base=-original_totals.base,
            vat=-original_totals.vat,
            recargo=-original_totals.recargo if original_totals.recargo else None,
        )
        if not details:  # the original cancelled in full and nothing restated
            first = original_totals.breakdown[0] if original_totals.breakdown else None
            if first is not None and first.vat_rate != 0:
                details = [
                    records.Detail(base=ZERO, qualification="S1", vat_rate=first.vat_rate, vat=ZERO)
                ]
            else:
                code = invoice.exemption_code or "E6"
                details = [
                    records.Detail(base=ZERO, qualification=code)
                    if code.startswith("N")
                    else records.Detail(base=ZERO, exemption=code)
                ]
    replaced = tuple(
        records.InvoiceId(issuer_nif(r[2]), r[0], _day(r[1]))
        for r in execute(
            "SELECT i.code, i.issue_date, i.issuer_tax_id FROM invoice_replaced x "
            "JOIN invoice i ON i.id = x.replaced_id WHERE x.invoice_id = ? ORDER BY i.code",
            (invoice.id,),
        )
    )
    kind = ""
    if original is not None:
        kind = "S" if invoice.rectification_mode == "replacement" else "I"
    operation_date = (
        invoice.operation_date
        if invoice.operation_date and invoice.operation_date != invoice.issue_date
        else None
    )
    return records.Alta(
        invoice=_invoice_id(invoice),
        issuer_name=_spanish_text(invoice.issuer_name),
        invoice_type=invoice.invoice_type or ("R1" if original is not None else "F1"),
        description=_description(invoice, [text for _line, text in stated], original),
        details=tuple(details),
        vat_total=vat_total,
        total=total,
        system=this_system(system_installation),
        generated_at=generated_at,
        previous=previous,
        recipients=_recipients(invoice),
        rectification_kind=kind,
        rectified=(_invoice_id(original),) if original is not None else (),
        replaced=replaced,
        rectified_amounts=rectified_amounts,
        operation_date=operation_date,
        subsanacion=subsanacion,
        rechazo_previo=rechazo_previo,
    )


def check_issue_dates(issue_date: dt.date, operation_date: dt.date | None) -> None:
    """What AEAT refuses of the dates (validations 3.1.3.1 and 3.1.3.7): an issue date in the
    future or before VERI*FACTU existed, an operation date after the issue date or more
    than twenty years back."""
    today = formats.now().date()
    if issue_date > today:
        raise RuleViolation(
            _("Cannot issue on {date}: a VERI*FACTU invoice is issued today or earlier").format(
                date=issue_date.isoformat()
            )
        )
    if issue_date < FIRST_VERIFACTU_DATE:
        raise RuleViolation(
            _("Cannot issue on {date}: VERI*FACTU records start on {first}").format(
                date=issue_date.isoformat(), first=FIRST_VERIFACTU_DATE.isoformat()
            )
        )
    if operation_date is not None:
        if operation_date > issue_date:
            raise RuleViolation(
                _(
                    "Cannot issue: the operation date {operation} is after the issue date "
                    "{date}; AEAT does not accept it"
                ).format(operation=operation_date.isoformat(), date=issue_date.isoformat())
            )
        if operation_date < today.replace(year=today.year - 20):
            raise RuleViolation(
                _("Cannot issue: the operation date {operation} is over twenty years ago").format(
                    operation=operation_date.isoformat()
                )
            )


def record_issue(invoice_id: int) -> int | None:
    """The registro de alta of a just-issued invoice, inside `issue_invoice`'s transaction.

    Nothing when VERI*FACTU is off or the invoice was imported. Returns the record id."""
    if not enabled():
        return None
    invoice = _facts(invoice_id)
    if invoice.imported:
        return None
    nif = issuer_nif(invoice.issuer_tax_id)
    installation = _installation()
    head = _advance_chain(nif)
    generated_at = _generation_time(head)
    alta = alta_for(
        invoice,
        system_installation=installation,
        generated_at=generated_at,
        previous=head.previous,
    )
    built = records.build_alta(alta)
    return _store(
        invoice=invoice,
        nif=nif,
        issuer_name=alta.issuer_name,
        head=head,
        built=built,
        record_type="alta",
        generated_at=generated_at,
        invoice_type=alta.invoice_type,
        vat_total=formats.amount(alta.vat_total),
        total=formats.amount(alta.total),
    )


# --- voiding ------------------------------------------------------------------------


@dataclass(frozen=True)
class VoidResult:
    invoice_id: int
    code: str
    record_id: int | None


def _registered_at_aeat(invoice_id: int) -> bool:
    """Whether AEAT holds (or, while it is pending, will hold) an alta of this invoice."""
    statuses = {
        r.status
        for r in VerifactuRecord.select(VerifactuRecord.status).where(
            (VerifactuRecord.invoice == invoice_id) & (VerifactuRecord.record_type == "alta")
        )
    }
    return bool(statuses & {"accepted", "accepted_with_errors", "pending"})


def _anulacion(
    invoice: Invoice,
    *,
    rechazo_previo: bool,
    sin_registro_previo: bool,
    corrects: int | None,
) -> int:
    nif = issuer_nif(invoice.issuer_tax_id)
    installation = _installation()
    head = _advance_chain(nif)
    generated_at = _generation_time(head)
    built = records.build_anulacion(
        records.Anulacion(
            invoice=records.InvoiceId(nif, invoice.code, invoice.issue_date),
            system=this_system(installation),
            generated_at=generated_at,
            previous=head.previous,
            rechazo_previo=rechazo_previo,
            sin_registro_previo=sin_registro_previo,
        )
    )
    return _store(
        invoice=invoice,
        nif=nif,
        issuer_name=invoice.issuer_name,
        head=head,
        built=built,
        record_type="anulacion",
        generated_at=generated_at,
        rechazo_previo="S" if rechazo_previo else "",
        sin_registro_previo=sin_registro_previo,
        corrects=corrects,
    )


@transactional
def void_invoice(invoice_id: int, reason: str) -> VoidResult:
    """Void an issued invoice that should never have existed (an admin, with a reason).

    The invoice stays, numbered, with status "voided": it no longer counts as revenue or
    as money owed, and its order quantities are free to invoice again. With VERI*FACTU
    on, a registro de anulación joins the chain (SinRegistroPrevio=S when AEAT never
    registered the invoice). A correction of a real operation is a rectifying invoice,
    not this: refused for an invoice with payments or compensations (reverse them
    first), with a rectifying invoice, replaced by an F3, imported from another system,
    a draft, or one already voided."""
    require("invoices.void")
    reason = clean_input(reason or "")
    if not reason:
        raise ValidationError({"reason": _("is required")})
    if len(reason) > 500:
        raise ValidationError({"reason": _("is longer than {n} characters").format(n=500)})
    invoice = Invoice.get_or_none(Invoice.id == invoice_id)
    if invoice is None:
        raise NotFound(_("invoice {id} does not exist").format(id=invoice_id))
    if invoice.status == "draft":
        raise RuleViolation(_("a draft is deleted, not voided"))
    if invoice.status == "voided":
        raise RuleViolation(
            _("{code} was already voided by {user}").format(
                code=invoice.code, user=invoice.voided_by
            )
        )
    if invoice.imported:
        raise RuleViolation(
            _("{code} was issued by another system (imported); void it there").format(
                code=invoice.code
            )
        )
    paid = execute(
        "SELECT COUNT(*) FROM payment_allocation a JOIN payment p ON p.id = a.payment_id "
        "WHERE a.invoice_id = ? AND p.reversed_at IS NULL",
        (invoice_id,),
    ).fetchone()[0]
    if paid:
        raise RuleViolation(
            _(
                "{code} has payments or compensations; an invoice that was paid or rectified "
                "happened: correct it with a rectifying invoice, or reverse its payments first"
            ).format(code=invoice.code)
        )
    rectifier = (
        Invoice.select(Invoice.id, Invoice.code).where(Invoice.rectifies == invoice_id).first()
    )
    if rectifier is not None:
        raise RuleViolation(
            _("{code} has a rectifying invoice ({other}); it cannot be voided").format(
                code=invoice.code, other=rectifier.code or _("Draft {id}").format(id=rectifier.id)
            )
        )
    replacing = (
        InvoiceReplaced.select(InvoiceReplaced.invoice)
        .where(InvoiceReplaced.replaced == invoice_id)
        .first()
    )
    if replacing is not None:
        other = Invoice.get_by_id(replacing.invoice_id)
        raise RuleViolation(
            _("{code} is replaced by {other}; it cannot be voided").format(
                code=invoice.code, other=other.code or _("Draft {id}").format(id=other.id)
            )
        )
    record_id = None
    if enabled():
        record_id = _anulacion(
            invoice,
            rechazo_previo=False,
            sin_registro_previo=not _registered_at_aeat(invoice_id),
            corrects=None,
        )
    updated = (
        Invoice.update(
            status="voided",
            outstanding=ZERO,
            voided_at=utcnow(),
            voided_by=login(),
            void_reason=reason,
            version=Invoice.version + 1,
            updated_at=utcnow(),
            updated_by=login(),
        )
        .where((Invoice.id == invoice_id) & (Invoice.status == invoice.status))
        .execute()
    )
    if updated != 1:
        raise RuleViolation(_("the invoice changed meanwhile; try again"))
    execute(
        "UPDATE client SET revenue_total_cents = revenue_total_cents - ?, "
        "outstanding_cents = outstanding_cents - ? WHERE id = ?",
        (to_cents(invoice.base), to_cents(invoice.outstanding), invoice.client_id),
    )
    if (
        InvoiceLine.select()
        .where((InvoiceLine.invoice == invoice_id) & InvoiceLine.order_line.is_null(False))
        .exists()
    ):
        from .order_ledger import release_invoiced

        release_invoiced(invoice_id)
    audit.record(
        "void",
        "invoice",
        invoice_id,
        client_id=invoice.client_id,
        changes={"status": (invoice.status, "voided"), "reason": (None, reason)},
        summary=_("Voided {code}").format(code=invoice.code),
    )
    return VoidResult(invoice_id, invoice.code, record_id)


# --- correcting a record AEAT rejected (subsanación) ------------------------------------


def _latest_record(invoice_id: int) -> VerifactuRecord | None:
    return (
        VerifactuRecord.select()
        .where(VerifactuRecord.invoice == invoice_id)
        .order_by(VerifactuRecord.sequence.desc(), VerifactuRecord.id.desc())
        .first()
    )


@transactional
def correct_record(record_id: int, *, exemption_code: str | None = None) -> int:
    """Generate the record that corrects `record_id`, the latest record of its invoice,
    which AEAT rejected (or accepted with errors, for an alta); returns the new record's id.

    An alta becomes a subsanación (Subsanacion=S) with RechazoPrevio=X when AEAT holds no
    alta of the invoice, RechazoPrevio=S when AEAT holds it and this correction follows a
    rejected one, and no RechazoPrevio otherwise (AEAT's table of admissible operations).
    `exemption_code` corrects the invoice's exemption or non-subjection code (a coding the
    printed invoice does not show: AEAT FAQ 17.2.b). A rejected anulación is generated
    again with RechazoPrevio=S (and SinRegistroPrevio=S when AEAT holds no alta)."""
    require("invoices.rectify")
    if not enabled():
        raise RuleViolation(_("VERI*FACTU is not turned on (verifactu.enabled)"))
    record = VerifactuRecord.get_or_none(VerifactuRecord.id == record_id)
    if record is None:
        raise NotFound(_("VERI*FACTU record {id} does not exist").format(id=record_id))
    latest = _latest_record(record.invoice_id)
    invoice = Invoice.get_by_id(record.invoice_id)
    if latest is not None and latest.id != record.id:
        raise RuleViolation(
            _("a newer record of {code} exists (record {id}); correct that one instead").format(
                code=invoice.code, id=latest.id
            )
        )
    correctable = (
        ("rejected", "accepted_with_errors") if record.record_type == "alta" else ("rejected",)
    )
    if record.status not in correctable:
        raise RuleViolation(
            _("the record of {code} is {status}; only a record AEAT refused is corrected").format(
                code=invoice.code, status=_(STATUS_LABELS[record.status])
            )
        )
    registered = {
        r.status
        for r in VerifactuRecord.select(VerifactuRecord.status).where(
            (VerifactuRecord.invoice == invoice.id) & (VerifactuRecord.record_type == "alta")
        )
    } & set(REGISTERED)
    if record.record_type == "anulacion":
        if exemption_code:
            raise ValidationError({"exemption_code": _("a voided invoice has no breakdown")})
        new_id = _anulacion(
            invoice,
            rechazo_previo=True,
            sin_registro_previo=not registered,
            corrects=record.id,
        )
    else:
        if invoice.status == "voided":
            raise RuleViolation(_("{code} is voided").format(code=invoice.code))
        if exemption_code is not None and exemption_code.strip():
            code = check_exemption_code(exemption_code, invoice.exemption_reason)
            if code != invoice.exemption_code:
                Invoice.update(exemption_code=code).where(Invoice.id == invoice.id).execute()
                audit.record(
                    "update",
                    "invoice",
                    invoice.id,
                    client_id=invoice.client_id,
                    changes={"exemption_code": (invoice.exemption_code, code)},
                    summary=invoice.code,
                )
                invoice = Invoice.get_by_id(invoice.id)
        if not registered:
            rechazo = "X"
        elif record.status == "rejected":
            rechazo = "S"
        else:
            rechazo = ""
        nif = issuer_nif(invoice.issuer_tax_id)
        installation = _installation()
        head = _advance_chain(nif)
        generated_at = _generation_time(head)
        alta = alta_for(
            _facts(invoice.id),
            system_installation=installation,
            generated_at=generated_at,
            previous=head.previous,
            subsanacion=True,
            rechazo_previo=rechazo,
        )
        new_id = _store(
            invoice=invoice,
            nif=nif,
            issuer_name=alta.issuer_name,
            head=head,
            built=records.build_alta(alta),
            record_type="alta",
            generated_at=generated_at,
            invoice_type=alta.invoice_type,
            vat_total=formats.amount(alta.vat_total),
            total=formats.amount(alta.total),
            subsanacion=True,
            rechazo_previo=rechazo,
            corrects=record.id,
        )
    audit.record(
        "correct",
        "verifactu_record",
        new_id,
        client_id=invoice.client_id,
        changes={"corrects": (None, record.id)},
        summary=_("VERI*FACTU correction of {code}").format(code=invoice.code),
    )
    return new_id


# --- the outbox, for the sender -----------------------------------------------------------


@dataclass(frozen=True)
class PendingRecord:
    id: int
    issuer_nif: str
    issuer_name: str
    sequence: int
    record_type: str
    invoice_number: str
    environment: str
    xml: bytes
    attempts: int


def issuers_with_pending() -> list[str]:
    """The issuer NIFs that have records waiting to be sent."""
    return [
        r[0]
        for r in execute(
            "SELECT DISTINCT issuer_nif FROM verifactu_record WHERE status = 'pending' "
            "ORDER BY issuer_nif"
        )
    ]


def pending_records(nif: str, limit: int = schema.MAX_RECORDS) -> list[PendingRecord]:
    """The records of `nif` waiting to be sent, in chain order (at most `limit`)."""
    return [
        PendingRecord(
            id=r.id,
            issuer_nif=r.issuer_nif,
            issuer_name=r.issuer_name,
            sequence=r.sequence,
            record_type=r.record_type,
            invoice_number=r.invoice_number,
            environment=r.environment,
            xml=r.xml.encode("utf-8"),
            attempts=r.attempts,
        )
        for r in VerifactuRecord.select()
        .where((VerifactuRecord.issuer_nif == nif) & (VerifactuRecord.status == "pending"))
        .order_by(VerifactuRecord.sequence)
        .limit(limit)
    ]


def issuer_name(nif: str) -> str:
    """The issuer's name as its latest record says it (the Cabecera's NombreRazon)."""
    row = (
        VerifactuRecord.select(VerifactuRecord.issuer_name)
        .where(VerifactuRecord.issuer_nif == nif)
        .order_by(VerifactuRecord.sequence.desc())
        .first()
    )
    return row.issuer_name if row else settings.get("company.name")


def record_result(
    record_id: int,
    status: str,
    *,
    error_code: str = "",
    error: str = "",
    csv: str = "",
    submission_id: int | None = None,
    sent_at: dt.datetime | None = None,
) -> None:
    """Write AEAT's answer for one record (the sender calls it inside its transaction)."""
    if status not in STATUSES:
        raise ValueError(f"unknown VERI*FACTU status {status!r}")
    VerifactuRecord.update(
        status=status,
        error_code=error_code[:10],
        error=error,
        csv=csv,
        submission=submission_id,
        sent_at=sent_at or utcnow(),
    ).where(VerifactuRecord.id == record_id).execute()


# --- what people see ------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordState:
    """An invoice's VERI*FACTU state for its view: kind is "none", "imported", "record"."""

    kind: str
    record_id: int | None = None
    record_type: str = ""
    status: str = ""
    error_code: str = ""
    error: str = ""
    csv: str = ""
    generated_at: str = ""
    subsanacion: bool = False
    voided: bool = False

    def describe(self) -> str:
        """One translated line: "accepted (CSV …)", "rejected: 4102 …", "voided, pending"…"""
        if self.kind == "imported":
            return _("issued by another system (imported): no VERI*FACTU record")
        if self.kind == "none":
            return _("no VERI*FACTU record (issued while VERI*FACTU was off)")
        status = _(STATUS_LABELS.get(self.status, self.status))
        if self.record_type == "anulacion":
            text = _("voided; registro de anulación {status}").format(status=status)
        elif self.subsanacion:
            text = _("corrected (subsanación) {status}").format(status=status)
        else:
            text = status
        if self.status == "rejected" or (self.status == "accepted_with_errors" and self.error):
            text += f": {self.error_code} {self.error}".rstrip()
        elif self.status == "accepted" and self.csv:
            text += f" (CSV {self.csv})"
        return text


def invoice_record_state(invoice_id: int) -> RecordState:
    """The state of the latest record of an invoice (or why it has none)."""
    invoice = Invoice.get_or_none(Invoice.id == invoice_id)
    if invoice is None:
        raise NotFound(_("invoice {id} does not exist").format(id=invoice_id))
    if invoice.imported:
        return RecordState("imported")
    latest = _latest_record(invoice_id)
    if latest is None:
        return RecordState("none", voided=invoice.status == "voided")
    return RecordState(
        "record",
        record_id=latest.id,
        record_type=latest.record_type,
        status=latest.status,
        error_code=latest.error_code,
        error=latest.error,
        csv=latest.csv,
        generated_at=latest.generated_at,
        subsanacion=latest.subsanacion,
        voided=invoice.status == "voided",
    )


@dataclass(frozen=True)
class AttentionRow:
    """A record the VERI*FACTU screen lists: waiting to be sent, or refused by AEAT."""

    record_id: int
    invoice_id: int
    number: str
    issue_date: dt.date
    record_type: str
    invoice_type: str
    status: str
    error_code: str
    error: str
    generated_at: str
    attempts: int


def attention_rows(limit: int = 500) -> list[AttentionRow]:
    """Records pending or rejected, in chain order; a rejected record already corrected by a
    newer one is left out."""
    rows = execute(
        "SELECT r.id, r.invoice_id, r.invoice_number, r.issue_date, r.record_type, "
        "r.invoice_type, r.status, r.error_code, r.error, r.generated_at, r.attempts "
        "FROM verifactu_record r WHERE r.status IN ('pending', 'rejected') "
        "AND NOT EXISTS (SELECT 1 FROM verifactu_record c WHERE c.corrects_id = r.id) "
        "ORDER BY r.issuer_nif, r.sequence LIMIT ?",
        (limit,),
    )
    return [
        AttentionRow(
            record_id=r[0],
            invoice_id=r[1],
            number=r[2],
            issue_date=dt.date.fromisoformat(str(r[3])[:10]),
            record_type=r[4],
            invoice_type=r[5],
            status=r[6],
            error_code=r[7],
            error=r[8],
            generated_at=r[9],
            attempts=r[10],
        )
        for r in rows
    ]


def counts() -> dict[str, int]:
    """How many records there are per status (the VERI*FACTU screen's header)."""
    found = {status: 0 for status in STATUSES}
    for status, n in execute("SELECT status, COUNT(*) FROM verifactu_record GROUP BY status"):
        found[status] = int(n)
    return found


@dataclass(frozen=True)
class ReportRow:
    number: str
    issue_date: dt.date
    record_type: str
    invoice_type: str
    vat_total: str
    total: str
    previous_hash: str
    hash: str
    generated_at: str
    status: str
    error_code: str
    error: str
    csv: str


def report_rows() -> Iterator[ReportRow]:
    """Every record in chain order (issuer by issuer), for `tui-crm report verifactu`."""
    for r in execute(
        "SELECT invoice_number, issue_date, record_type, invoice_type, vat_total, total, "
        "previous_hash, hash, generated_at, status, error_code, error, csv "
        "FROM verifactu_record ORDER BY issuer_nif, sequence"
    ):
        yield ReportRow(
            number=r[0],
            issue_date=dt.date.fromisoformat(str(r[1])[:10]),
            record_type=r[2],
            invoice_type=r[3],
            vat_total=r[4],
            total=r[5],
            previous_hash=r[6],
            hash=r[7],
            generated_at=r[8],
            status=r[9],
            error_code=r[10],
            error=r[11],
            csv=r[12],
        )


def records_of(invoice_id: int) -> list[tuple[int, str, str, str]]:
    """(id, record type, status, XML) of every record of an invoice, oldest first."""
    return [
        (r.id, r.record_type, r.status, r.xml)
        for r in VerifactuRecord.select()
        .where(VerifactuRecord.invoice == invoice_id)
        .order_by(VerifactuRecord.sequence)
    ]


@dataclass(frozen=True)
class QrCode:
    url: str
    total: str  # the ImporteTotal the QR carries


def qr_for_invoice(invoice_id: int) -> QrCode | None:
    """The QR code's URL of an invoice with an alta record (None: no record, or voided).

    The values are those of the record (what AEAT holds) and the host that of the
    environment the record was made for."""
    row = (
        VerifactuRecord.select()
        .where((VerifactuRecord.invoice == invoice_id) & (VerifactuRecord.record_type == "alta"))
        .order_by(VerifactuRecord.sequence.desc())
        .first()
    )
    if row is None:
        return None
    url = qr_url(
        issuer_nif=row.issuer_nif,
        number=row.invoice_number,
        issue_date=row.issue_date,
        total=row.total,
        environment=row.environment if row.environment in ENVIRONMENTS else "test",
    )
    return QrCode(url, row.total)


# --- the declaración responsable ---------------------------------------------------------


def declaration() -> str:
    """The declaración responsable (Orden HAC/1177/2024, art. 15), in Spanish as the law
    writes it, with the system's identity, components and the producer."""
    components = (
        "Programa tui-crm (Python): interfaz de terminal y línea de órdenes; módulo de "
        "facturación que numera las facturas y genera en la misma transacción cada registro "
        "de facturación de alta y de anulación encadenado con su huella SHA-256; módulo "
        "VERI*FACTU que construye y valida los registros con los esquemas XSD de la AEAT, el "
        "código QR de la factura y la remisión a la sede electrónica de la AEAT por servicio "
        "web SOAP con certificado electrónico cualificado; base de datos SQLite o PostgreSQL "
        "que conserva facturas y registros inalterables. Funciona en cualquier ordenador con "
        "Linux, macOS o Windows y Python 3.11 o superior."
    )
    lines = [
        "DECLARACIÓN RESPONSABLE DEL SISTEMA INFORMÁTICO DE FACTURACIÓN",
        "",
        f"Nombre del sistema informático: {SYSTEM_NAME}",
        f"Código identificador del sistema informático: {SYSTEM_ID}",
        f"Versión: {VERSION}",
        f"Componentes y funcionalidades: {components}",
        "Tipo de uso: exclusivamente como sistema de emisión de facturas verificables "
        "(VERI*FACTU): " + ("sí" if ONLY_VERIFACTU else "no") + ".",
        "Uso por varios obligados tributarios: "
        + (
            "sí."
            if MULTIPLE_TAXPAYERS_POSSIBLE
            else "no; cada instalación (cada base de datos, con su número de instalación) "
            "da soporte a la facturación de un único obligado tributario."
        ),
        "Tipo de firma de los registros: no aplica (sistema VERI*FACTU; los registros se "
        "remiten a la AEAT).",
        f"Productor: {PRODUCER.name}, NIF {PRODUCER.nif}",
        f"Dirección de contacto del productor: {PRODUCER.address}",
    ]
    if PRODUCER_IS_PLACEHOLDER:
        lines += [
            "",
            "AVISO: los datos del productor son provisionales (no identifican a nadie) y "
            "deben sustituirse por su nombre o razón social, NIF y dirección reales antes de "
            "usar este sistema en el entorno de producción de la AEAT.",
        ]
    lines += [
        "",
        f"{PRODUCER.name}, como productor de este sistema informático de facturación, declara "
        "bajo su responsabilidad que el sistema, en la versión indicada, cumple con lo "
        "dispuesto en el artículo 29.2.j) de la Ley 58/2003, de 17 de diciembre, General "
        "Tributaria, en el Reglamento aprobado por el Real Decreto 1007/2023, de 5 de "
        "diciembre, en la Orden HAC/1177/2024, de 17 de octubre, y en las especificaciones "
        "publicadas en la sede electrónica de la Agencia Estatal de Administración Tributaria.",
        "",
        f"En {DECLARATION_PLACE}, a {DECLARATION_DATE}.",
    ]
    return "\n".join(lines)


# --- tui-crm check -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainFinding:
    level: str  # ok, warning, error
    message: str


def _fields_of_row(r) -> tuple[str, str]:
    """(hash input recomputed from the columns, hash) of a record row (see verify_chain)."""
    _id, _seq, rtype, nif, number, issue, itype, vat, total, prev, _hash, gen = r[:12]
    day = formats.date(dt.date.fromisoformat(str(issue)[:10]))
    if rtype == "alta":
        text = huella.alta_input(
            issuer_nif=nif,
            number=number,
            issue_date=day,
            invoice_type=itype,
            vat_total=vat,
            total=total,
            previous_hash=prev,
            generated_at=gen,
        )
    else:
        text = huella.anulacion_input(
            issuer_nif=nif, number=number, issue_date=day, previous_hash=prev, generated_at=gen
        )
    return text, huella.sha256_upper(text)


def verify_chain(limit_per_kind: int = 20) -> list[ChainFinding]:
    """`tui-crm check`: every record's hash recomputed from its fields and from its XML, every
    chain gapless and unforked, and every invoice's data against its latest alta. Names
    each invoice whose data no longer matches its record. Streams the records, all of it
    in one read snapshot: colleagues issuing meanwhile never make a chain head look ahead
    of its records."""
    from ..db import read_snapshot

    with read_snapshot():
        return _verify_chain(limit_per_kind)


def _verify_chain(limit_per_kind: int) -> list[ChainFinding]:
    findings: list[ChainFinding] = []
    problems: dict[str, int] = {}

    def report(kind: str, message: str) -> None:
        problems[kind] = problems.get(kind, 0) + 1
        if problems[kind] <= limit_per_kind:
            findings.append(ChainFinding("error", message))

    total_records = 0
    issuers: dict[str, tuple[int, str]] = {}
    rows = execute(
        "SELECT id, sequence, record_type, issuer_nif, invoice_number, issue_date, "
        "invoice_type, vat_total, total, previous_hash, hash, generated_at, xml "
        "FROM verifactu_record ORDER BY issuer_nif, sequence, id"
    )

    def links() -> Iterator[Link[tuple[str, str, int]]]:
        nonlocal total_records
        for r in rows:
            total_records += 1
            _text, computed = _fields_of_row(r)
            xml_fields = _xml_fields(r[12])
            if xml_fields is None or not _xml_matches(xml_fields, r, computed):
                report(
                    "xml",
                    _("VERI*FACTU record {n} of {number}: its XML does not match its data").format(
                        n=r[1], number=r[4]
                    ),
                )
            issuers[r[3]] = (r[1], r[10])
            yield Link((r[3], r[4], r[1]), r[1], r[10], r[9], computed)

    messages = {
        "hash": N_("VERI*FACTU record {n} of {nif} ({number}): its hash does not match its data"),
        "gap": N_("VERI*FACTU chain of {nif}: records are missing before record {n} ({number})"),
        "repeat": N_("VERI*FACTU chain of {nif}: record {n} ({number}) is forked"),
        "first": N_(
            "VERI*FACTU chain of {nif}: the first record ({number}) points to a previous one"
        ),
        "link": N_(
            "VERI*FACTU chain of {nif}: record {n} ({number}) does not point to the record "
            "before it"
        ),
    }
    # One issuer's chain after another, streamed: memory does not grow with the chain.
    for _nif, chain in groupby(links(), key=lambda link: link.key[0]):
        for broken in verify_links(chain):
            nif, number, sequence = broken.key
            report("chain", _(messages[broken.kind]).format(nif=nif, n=sequence, number=number))
    for nif, last_sequence, last_hash in execute(
        "SELECT issuer_nif, last_sequence, last_hash FROM verifactu_chain"
    ):
        seen = issuers.get(nif)
        if seen is None and last_sequence == 0:
            continue
        if seen is None or seen != (last_sequence, last_hash):
            report(
                "head",
                _(
                    "VERI*FACTU chain of {nif}: its head says record {n}, the records end at {m}"
                ).format(nif=nif, n=last_sequence, m=seen[0] if seen else 0),
            )
    _check_invoices(report)
    if not problems:
        if total_records:
            findings.append(
                ChainFinding(
                    "ok",
                    ngettext(
                        "VERI*FACTU: {n} record, its hash and chain verified",
                        "VERI*FACTU: {n} records, every hash and chain verified",
                        total_records,
                    ).format(n=total_records),
                )
            )
        return findings
    for n in problems.values():
        if n > limit_per_kind:
            findings.append(
                ChainFinding(
                    "error",
                    ngettext(
                        "… and {n} more VERI*FACTU problem of the same kind",
                        "… and {n} more VERI*FACTU problems of the same kind",
                        n - limit_per_kind,
                    ).format(n=n - limit_per_kind),
                )
            )
    return findings


_XML_TAGS = (
    "IDEmisorFactura",
    "NumSerieFactura",
    "FechaExpedicionFactura",
    "TipoFactura",
    "CuotaTotal",
    "ImporteTotal",
    "FechaHoraHusoGenRegistro",
)


def _xml_fields(xml: str) -> records.RecordFields | None:
    try:
        return records.read_fields(xml)
    except Exception:  # a damaged XML is a finding, not a crash
        return None


def _xml_matches(fields: records.RecordFields, r, computed: str) -> bool:
    _id, _seq, rtype, nif, number, issue, itype, vat, total, prev, stored, gen = r[:12]
    day = formats.date(dt.date.fromisoformat(str(issue)[:10]))
    return (
        fields.record_type == rtype
        and fields.issuer_nif == nif
        and fields.number == number
        and fields.issue_date == day
        and fields.invoice_type == itype
        and fields.vat_total == vat
        and fields.total == total
        and fields.previous_hash == prev
        and fields.generated_at == gen
        and fields.hash == stored
        and records.recompute_hash(fields) == computed
    )


def _replacement_totals(invoice_id: int, original_id: int):
    locked = InvoiceLine.select().where(InvoiceLine.invoice == original_id).count()
    lines = read_lines(InvoiceLine, InvoiceLine.invoice, invoice_id, locked_count=locked)
    everything = totals_of([line.as_input() for line in lines])
    stated = totals_of([line.as_input() for line in lines if not line.locked])
    return everything, stated


def _check_invoices(report) -> None:
    """Every invoice against its latest record: number, date, type and amounts of an alta;
    a voided invoice's latest record an anulación; an issued invoice without a record after
    its issuer's chain started."""
    rows = execute(
        "SELECT i.code, i.status, i.issue_date, i.invoice_type, i.base_cents, i.vat_cents, "
        "i.recargo_cents, i.rectification_mode, i.id, i.rectifies_id, "
        "r.record_type, r.invoice_number, r.issue_date, r.invoice_type, r.vat_total, r.total "
        "FROM verifactu_record r JOIN invoice i ON i.id = r.invoice_id "
        "WHERE r.sequence = (SELECT MAX(x.sequence) FROM verifactu_record x "
        "WHERE x.invoice_id = r.invoice_id AND x.issuer_nif = r.issuer_nif)"
    ).fetchall()
    for row in rows:
        (code, status, issue, itype, base, vat, recargo, mode, invoice_id, original_id) = row[:10]
        rtype, rnumber, rissue, ritype, rvat, rtotal = row[10:]
        problems = []
        if rnumber != code:
            problems.append(_("number {a} against {b}").format(a=code, b=rnumber))
        if str(rissue)[:10] != str(issue)[:10]:
            problems.append(_("issue date {a} against {b}").format(a=issue, b=rissue))
        if status == "voided" and rtype != "anulacion":
            problems.append(_("voided without its registro de anulación"))
        if status not in ("voided", "draft") and rtype == "anulacion":
            problems.append(_("a registro de anulación for an invoice that is not voided"))
        if rtype == "alta":
            tax = int(vat) + int(recargo)
            gross = int(base) + tax
            if mode == "replacement" and original_id is not None:
                # A substitution states the invoice as it should be: its lines after the
                # cancelling ones. Its stored totals (net of both) must match all its lines.
                everything, stated = _replacement_totals(invoice_id, original_id)
                if (to_cents(everything.base), to_cents(everything.vat + everything.recargo)) != (
                    int(base),
                    tax,
                ):
                    problems.append(_("totals that do not match its lines"))
                tax = to_cents(stated.vat + stated.recargo)
                gross = to_cents(stated.base) + tax
            if (itype or ritype) != ritype:
                problems.append(_("type {a} against {b}").format(a=itype, b=ritype))
            if formats.amount(from_cents(tax)) != rvat:
                problems.append(
                    _("taxes {a} against {b}").format(a=formats.amount(from_cents(tax)), b=rvat)
                )
            if formats.amount(from_cents(gross)) != rtotal:
                problems.append(
                    _("total {a} against {b}").format(a=formats.amount(from_cents(gross)), b=rtotal)
                )
        if problems:
            report(
                "invoice",
                _("invoice {code} no longer matches its VERI*FACTU record: {problems}").format(
                    code=code or rnumber, problems="; ".join(problems)
                ),
            )
    first = execute("SELECT MIN(created_at) FROM verifactu_record").fetchone()[0]
    if first is None:
        return
    # Expected to have one: issued after the first record was made (timestamps are to the
    # second, hence also: numbered after an invoice of its series and year that has one).
    no_record = "AND NOT EXISTS (SELECT 1 FROM verifactu_record r WHERE r.invoice_id = i.id)"
    codes = {
        row[0]
        for row in execute(
            "SELECT i.code FROM invoice i WHERE i.status <> 'draft' AND i.imported = ? "
            f"AND i.issued_at > ? {no_record}",
            (False, first),
        )
    }
    starts = execute(
        "SELECT p.series, p.year, MIN(p.number) FROM verifactu_record q "
        "JOIN invoice p ON p.id = q.invoice_id GROUP BY p.series, p.year"
    ).fetchall()
    for series, year, number in starts:
        codes.update(
            row[0]
            for row in execute(
                "SELECT i.code FROM invoice i WHERE i.series = ? AND i.year = ? AND i.number > ? "
                f"AND i.imported = ? {no_record}",
                (series, year, number, False),
            )
        )
    missing = [(code,) for code in sorted(codes)]
    for (code,) in missing:
        report(
            "missing",
            _("invoice {code} was issued without its VERI*FACTU record").format(code=code),
        )
