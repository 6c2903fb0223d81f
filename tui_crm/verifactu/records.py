"""The XML of VERI*FACTU records (RegistroAlta, RegistroAnulacion) built with lxml.

Plain values in (dataclasses below), the record element out as UTF-8 bytes, with its
hash computed from exactly the text that went into the XML (`huella`). Element order
and content follow AEAT's SuministroInformacion.xsd (IDVersion 1.0); `schema.validate`
checks the result against the shipped XSDs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from . import formats, huella
from .system import SoftwareSystem

SF = (
    "https://www2.agenciatributaria.gob.es/static_files/common/internet/dep/aplicaciones/"
    "es/aeat/tike/cont/ws/SuministroInformacion.xsd"
)
ID_VERSION = "1.0"  # VersionType: the only value the schema allows
MACRODATO_FROM = Decimal("100000000.00")  # Macrodato=S from |ImporteTotal| of 100 million

# list L7 (IDType): 02 NIF-IVA, 03 passport, 04 official ID of the country of residence,
# 05 certificate of residence, 06 other document, 07 not registered (no censado).
ID_TYPES = ("02", "03", "04", "05", "06", "07")


@dataclass(frozen=True)
class InvoiceId:
    """IDFactura: the issuer's NIF, the series and number, the issue date."""

    issuer_nif: str
    number: str
    issue_date: dt.date


@dataclass(frozen=True)
class Party:
    """A recipient: a Spanish NIF, or another identifier (IDOtro: country, type, ID)."""

    name: str
    nif: str = ""
    country: str = ""
    id_type: str = ""
    other_id: str = ""


@dataclass(frozen=True)
class Detail:
    """One DetalleDesglose: a regime key and either a qualification (S1, S2, N1, N2) with
    its rate and tax, or an exemption (E1-E6) with only the base."""

    base: Decimal
    regime: str = "01"
    qualification: str = ""  # S1 S2 N1 N2
    exemption: str = ""  # E1 … E6
    vat_rate: Decimal | None = None
    vat: Decimal | None = None
    recargo_rate: Decimal | None = None
    recargo: Decimal | None = None


@dataclass(frozen=True)
class Previous:
    """RegistroAnterior: the record before this one in the issuer's chain."""

    issuer_nif: str
    number: str
    issue_date: dt.date
    hash: str


@dataclass(frozen=True)
class Rectified:
    """ImporteRectificacion of a substitution: the rectified invoice's base and taxes."""

    base: Decimal
    vat: Decimal
    recargo: Decimal | None = None


@dataclass(frozen=True)
class Alta:
    """Everything a RegistroAlta says."""

    invoice: InvoiceId
    issuer_name: str
    invoice_type: str
    description: str
    details: tuple[Detail, ...]
    vat_total: Decimal
    total: Decimal
    system: SoftwareSystem
    generated_at: str  # formats.timestamp()
    previous: Previous | None  # None: PrimerRegistro
    recipients: tuple[Party, ...] = ()
    rectification_kind: str = ""  # TipoRectificativa: S substitution, I difference
    rectified: tuple[InvoiceId, ...] = ()
    replaced: tuple[InvoiceId, ...] = ()  # FacturasSustituidas of an F3
    rectified_amounts: Rectified | None = None
    operation_date: dt.date | None = None
    subsanacion: bool = False
    rechazo_previo: str = ""  # "", "S" or "X"


@dataclass(frozen=True)
class Anulacion:
    """Everything a RegistroAnulacion says."""

    invoice: InvoiceId
    system: SoftwareSystem
    generated_at: str
    previous: Previous | None
    rechazo_previo: bool = False
    sin_registro_previo: bool = False


@dataclass(frozen=True)
class BuiltRecord:
    xml: bytes
    hash: str
    hash_input: str


def _q(name: str) -> str:
    return f"{{{SF}}}{name}"


class _Node:
    """Where the next element goes: a record is first written as a plan, the elements in
    document order with their depth and text, then made into lxml elements (`_render`)."""

    __slots__ = ("depth", "plan")

    def __init__(self, plan: list[tuple[int, str, str | None]], depth: int):
        self.plan = plan
        self.depth = depth


def _sub(parent: _Node, name: str, text: str | None = None) -> _Node:
    parent.plan.append((parent.depth + 1, name, text))
    return _Node(parent.plan, parent.depth + 1)


# Creating a namespaced lxml element costs some 6 µs (the long AEAT namespace is parsed
# each time); copying a ready tree of the same shape and filling its texts costs a fifth
# of that. So each shape of record (which elements, in which order) is built once and
# copied after: a demo's hundred thousand records, or a busy day's, take seconds, not minutes.
_SKELETONS: dict[tuple, etree._Element] = {}
_SKELETON_LIMIT = 512


def _render(root_name: str, plan: list[tuple[int, str, str | None]]) -> etree._Element:
    import copy

    key = (root_name, tuple((depth, name, text is None) for depth, name, text in plan))
    skeleton = _SKELETONS.get(key)
    if skeleton is None:
        skeleton = etree.Element(_q(root_name), nsmap={"sf": SF})
        stack = [skeleton]
        for depth, name, _text in plan:
            del stack[depth:]
            stack.append(etree.SubElement(stack[-1], _q(name)))
        if len(_SKELETONS) >= _SKELETON_LIMIT:
            _SKELETONS.clear()
        _SKELETONS[key] = skeleton
    root = copy.deepcopy(skeleton)
    for element, (_depth, _name, text) in zip(root.iterdescendants(), plan, strict=True):
        if text is not None:
            element.text = text
    return root


def _clean(text: str, limit: int) -> str:
    """Text as AEAT stores it: lines joined by spaces, trimmed, cut to `limit` characters."""
    one_line = " ".join(str(text).split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1].rstrip() + "…"


def _invoice_id(parent: _Node, name: str, invoice: InvoiceId) -> None:
    block = _sub(parent, name)
    _sub(block, "IDEmisorFactura", invoice.issuer_nif)
    _sub(block, "NumSerieFactura", invoice.number)
    _sub(block, "FechaExpedicionFactura", formats.date(invoice.issue_date))


def _party(parent: _Node, name: str, party: Party) -> None:
    block = _sub(parent, name)
    _sub(block, "NombreRazon", _clean(party.name, 120))
    if party.nif:
        _sub(block, "NIF", party.nif)
        return
    other = _sub(block, "IDOtro")
    if party.country:
        _sub(other, "CodigoPais", party.country)
    _sub(other, "IDType", party.id_type)
    _sub(other, "ID", party.other_id)


def _chain(parent: _Node, previous: Previous | None) -> None:
    block = _sub(parent, "Encadenamiento")
    if previous is None:
        _sub(block, "PrimerRegistro", "S")
        return
    before = _sub(block, "RegistroAnterior")
    _sub(before, "IDEmisorFactura", previous.issuer_nif)
    _sub(before, "NumSerieFactura", previous.number)
    _sub(before, "FechaExpedicionFactura", formats.date(previous.issue_date))
    _sub(before, "Huella", previous.hash)


def _system(parent: _Node, system: SoftwareSystem) -> None:
    block = _sub(parent, "SistemaInformatico")
    _sub(block, "NombreRazon", _clean(system.producer_name, 120))
    _sub(block, "NIF", system.producer_nif)
    _sub(block, "NombreSistemaInformatico", system.name)
    _sub(block, "IdSistemaInformatico", system.system_id)
    _sub(block, "Version", system.version)
    _sub(block, "NumeroInstalacion", system.installation)
    _sub(block, "TipoUsoPosibleSoloVerifactu", "S" if system.only_verifactu else "N")
    _sub(block, "TipoUsoPosibleMultiOT", "S" if system.multiple_taxpayers_possible else "N")
    _sub(block, "IndicadorMultiplesOT", "S" if system.multiple_taxpayers else "N")


def _detail(parent: _Node, detail: Detail) -> None:
    block = _sub(parent, "DetalleDesglose")
    if detail.regime:
        _sub(block, "ClaveRegimen", detail.regime)
    if detail.exemption:
        _sub(block, "OperacionExenta", detail.exemption)
    else:
        _sub(block, "CalificacionOperacion", detail.qualification)
    if detail.vat_rate is not None:
        _sub(block, "TipoImpositivo", formats.rate(detail.vat_rate))
    _sub(block, "BaseImponibleOimporteNoSujeto", formats.amount(detail.base))
    if detail.vat is not None:
        _sub(block, "CuotaRepercutida", formats.amount(detail.vat))
    if detail.recargo_rate is not None:
        _sub(block, "TipoRecargoEquivalencia", formats.rate(detail.recargo_rate))
    if detail.recargo is not None:
        _sub(block, "CuotaRecargoEquivalencia", formats.amount(detail.recargo))


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def build_alta(alta: Alta) -> BuiltRecord:
    """The RegistroAlta element and its huella."""
    vat_total = formats.amount(alta.vat_total)
    total = formats.amount(alta.total)
    generated_at = alta.generated_at
    previous_hash = alta.previous.hash if alta.previous else ""
    text = huella.alta_input(
        issuer_nif=alta.invoice.issuer_nif,
        number=alta.invoice.number,
        issue_date=formats.date(alta.invoice.issue_date),
        invoice_type=alta.invoice_type,
        vat_total=vat_total,
        total=total,
        previous_hash=previous_hash,
        generated_at=generated_at,
    )
    digest = huella.sha256_upper(text)

    root = _Node([], 0)
    _sub(root, "IDVersion", ID_VERSION)
    _invoice_id(root, "IDFactura", alta.invoice)
    _sub(root, "NombreRazonEmisor", _clean(alta.issuer_name, 120))
    if alta.subsanacion:
        _sub(root, "Subsanacion", "S")
    if alta.rechazo_previo:
        _sub(root, "RechazoPrevio", alta.rechazo_previo)
    _sub(root, "TipoFactura", alta.invoice_type)
    if alta.rectification_kind:
        _sub(root, "TipoRectificativa", alta.rectification_kind)
    if alta.rectified:
        block = _sub(root, "FacturasRectificadas")
        for invoice in alta.rectified:
            _invoice_id(block, "IDFacturaRectificada", invoice)
    if alta.replaced:
        block = _sub(root, "FacturasSustituidas")
        for invoice in alta.replaced:
            _invoice_id(block, "IDFacturaSustituida", invoice)
    if alta.rectified_amounts is not None:
        block = _sub(root, "ImporteRectificacion")
        _sub(block, "BaseRectificada", formats.amount(alta.rectified_amounts.base))
        _sub(block, "CuotaRectificada", formats.amount(alta.rectified_amounts.vat))
        if alta.rectified_amounts.recargo is not None:
            _sub(block, "CuotaRecargoRectificado", formats.amount(alta.rectified_amounts.recargo))
    if alta.operation_date is not None:
        _sub(root, "FechaOperacion", formats.date(alta.operation_date))
    _sub(root, "DescripcionOperacion", _clean(alta.description, 500))
    if abs(alta.total) >= MACRODATO_FROM:
        _sub(root, "Macrodato", "S")
    if alta.recipients:
        block = _sub(root, "Destinatarios")
        for party in alta.recipients:
            _party(block, "IDDestinatario", party)
    breakdown = _sub(root, "Desglose")
    for detail in alta.details:
        _detail(breakdown, detail)
    _sub(root, "CuotaTotal", vat_total)
    _sub(root, "ImporteTotal", total)
    _chain(root, alta.previous)
    _system(root, alta.system)
    _sub(root, "FechaHoraHusoGenRegistro", generated_at)
    _sub(root, "TipoHuella", huella.TIPO_HUELLA)
    _sub(root, "Huella", digest)
    return BuiltRecord(_serialize(_render("RegistroAlta", root.plan)), digest, text)


def build_anulacion(record: Anulacion) -> BuiltRecord:
    """The RegistroAnulacion element and its huella."""
    previous_hash = record.previous.hash if record.previous else ""
    text = huella.anulacion_input(
        issuer_nif=record.invoice.issuer_nif,
        number=record.invoice.number,
        issue_date=formats.date(record.invoice.issue_date),
        previous_hash=previous_hash,
        generated_at=record.generated_at,
    )
    digest = huella.sha256_upper(text)

    root = _Node([], 0)
    _sub(root, "IDVersion", ID_VERSION)
    block = _sub(root, "IDFactura")
    _sub(block, "IDEmisorFacturaAnulada", record.invoice.issuer_nif)
    _sub(block, "NumSerieFacturaAnulada", record.invoice.number)
    _sub(block, "FechaExpedicionFacturaAnulada", formats.date(record.invoice.issue_date))
    if record.sin_registro_previo:
        _sub(root, "SinRegistroPrevio", "S")
    if record.rechazo_previo:
        _sub(root, "RechazoPrevio", "S")
    _chain(root, record.previous)
    _system(root, record.system)
    _sub(root, "FechaHoraHusoGenRegistro", record.generated_at)
    _sub(root, "TipoHuella", huella.TIPO_HUELLA)
    _sub(root, "Huella", digest)
    return BuiltRecord(_serialize(_render("RegistroAnulacion", root.plan)), digest, text)


@dataclass(frozen=True)
class RecordFields:
    """What `tui-crm check` reads back from a stored record's XML: the hashed fields."""

    record_type: str  # alta, anulacion
    issuer_nif: str
    number: str
    issue_date: str  # dd-mm-yyyy as written
    invoice_type: str
    vat_total: str
    total: str
    previous_hash: str
    generated_at: str
    hash: str


def read_fields(xml: bytes | str) -> RecordFields:
    """The hashed fields of a stored RegistroAlta / RegistroAnulacion, as written in it."""
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(xml, parser)

    def text(path: str) -> str:
        found = root.find(path, {"sf": SF})
        return (found.text or "").strip() if found is not None else ""

    if root.tag == _q("RegistroAlta"):
        return RecordFields(
            "alta",
            text("sf:IDFactura/sf:IDEmisorFactura"),
            text("sf:IDFactura/sf:NumSerieFactura"),
            text("sf:IDFactura/sf:FechaExpedicionFactura"),
            text("sf:TipoFactura"),
            text("sf:CuotaTotal"),
            text("sf:ImporteTotal"),
            text("sf:Encadenamiento/sf:RegistroAnterior/sf:Huella"),
            text("sf:FechaHoraHusoGenRegistro"),
            text("sf:Huella"),
        )
    if root.tag == _q("RegistroAnulacion"):
        return RecordFields(
            "anulacion",
            text("sf:IDFactura/sf:IDEmisorFacturaAnulada"),
            text("sf:IDFactura/sf:NumSerieFacturaAnulada"),
            text("sf:IDFactura/sf:FechaExpedicionFacturaAnulada"),
            "",
            "",
            "",
            text("sf:Encadenamiento/sf:RegistroAnterior/sf:Huella"),
            text("sf:FechaHoraHusoGenRegistro"),
            text("sf:Huella"),
        )
    raise ValueError(f"not a VERI*FACTU record: {root.tag}")


def recompute_hash(fields: RecordFields) -> str:
    """The huella the fields of a stored record give (what AEAT recomputes)."""
    if fields.record_type == "alta":
        return huella.alta_hash(
            issuer_nif=fields.issuer_nif,
            number=fields.number,
            issue_date=fields.issue_date,
            invoice_type=fields.invoice_type,
            vat_total=fields.vat_total,
            total=fields.total,
            previous_hash=fields.previous_hash,
            generated_at=fields.generated_at,
        )
    return huella.anulacion_hash(
        issuer_nif=fields.issuer_nif,
        number=fields.number,
        issue_date=fields.issue_date,
        previous_hash=fields.previous_hash,
        generated_at=fields.generated_at,
    )
