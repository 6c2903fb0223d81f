"""AEAT's XML schemas, loaded once from the shipped copies, and the submission message.

`validate(xml)` checks a RegFactuSistemaFacturacion message, or a single RegistroAlta /
RegistroAnulacion, against SuministroLR.xsd and SuministroInformacion.xsd (which imports
the XML-signature schema). Everything is read from `xsd/` beside this module: the
schemas' imports are resolved to those files and nothing is ever fetched from the
network (a schema asking for any other URL is refused).

`build_message(issuer_name, issuer_nif, record_xmls)` wraps up to 1,000 records of one
issuer in a RegFactuSistemaFacturacion (Cabecera with ObligadoEmision) and validates it
before returning it; the transport puts the result in its SOAP envelope.

`build_query(...)` writes a ConsultaFactuSistemaFacturacion (ConsultaLR.xsd): what AEAT
holds of one issuer's records of one period (year and month of the operation, or of the
issue date), optionally between two issue dates and from a page key; validated likewise.
"""

from __future__ import annotations

import threading
from pathlib import Path

from lxml import etree

from .records import SF

LR = (
    "https://www2.agenciatributaria.gob.es/static_files/common/internet/dep/aplicaciones/"
    "es/aeat/tike/cont/ws/SuministroLR.xsd"
)
XSD_DIR = Path(__file__).with_name("xsd")
MAX_RECORDS = 1000  # RegistroFactura maxOccurs in SuministroLR.xsd
_SCHEMA_FILES = {
    "SuministroLR.xsd",
    "SuministroInformacion.xsd",
    "xmldsig-core-schema.xsd",
    "ConsultaLR.xsd",
}
QUERY = LR.replace("SuministroLR.xsd", "ConsultaLR.xsd")


class SchemaViolation(ValueError):
    """A message or record that AEAT's schema refuses; the text says where and why."""


class _ShippedSchemas(etree.Resolver):
    """Resolve every schema import to the shipped file of that name; refuse anything else."""

    def resolve(self, system_url, public_id, context):
        name = (system_url or "").replace("\\", "/").rsplit("/", 1)[-1]
        if name in _SCHEMA_FILES:
            return self.resolve_filename(str(XSD_DIR / name), context)
        raise SchemaViolation(f"schema resource outside the shipped XSDs: {system_url}")


_lock = threading.Lock()
_schema: etree.XMLSchema | None = None
_query_schema: etree.XMLSchema | None = None


def _parser() -> etree.XMLParser:
    parser = etree.XMLParser(
        no_network=True, load_dtd=False, resolve_entities=False, huge_tree=False
    )
    parser.resolvers.add(_ShippedSchemas())
    return parser


def schema() -> etree.XMLSchema:
    """SuministroLR.xsd with its imports, parsed once per process."""
    global _schema
    with _lock:
        if _schema is None:
            document = etree.parse(str(XSD_DIR / "SuministroLR.xsd"), _parser())
            _schema = etree.XMLSchema(document)
        return _schema


def query_schema() -> etree.XMLSchema:
    """ConsultaLR.xsd with its imports, parsed once per process."""
    global _query_schema
    with _lock:
        if _query_schema is None:
            document = etree.parse(str(XSD_DIR / "ConsultaLR.xsd"), _parser())
            _query_schema = etree.XMLSchema(document)
        return _query_schema


def _parse(xml: bytes) -> etree._Element:
    try:
        return etree.fromstring(xml, etree.XMLParser(no_network=True, resolve_entities=False))
    except etree.XMLSyntaxError as exc:
        raise SchemaViolation(f"not well-formed XML: {exc}") from None


def _message_around(record: etree._Element) -> etree._Element:
    """A minimal message holding one record, so a lone record is checked by the same schema."""
    root = etree.Element(f"{{{LR}}}RegFactuSistemaFacturacion", nsmap={"sfLR": LR, "sf": SF})
    header = etree.SubElement(root, f"{{{LR}}}Cabecera")
    issuer = etree.SubElement(header, f"{{{SF}}}ObligadoEmision")
    etree.SubElement(issuer, f"{{{SF}}}NombreRazon").text = "X"
    nif = record.find(f".//{{{SF}}}IDEmisorFactura")
    if nif is None:
        nif = record.find(f".//{{{SF}}}IDEmisorFacturaAnulada")
    etree.SubElement(issuer, f"{{{SF}}}NIF").text = nif.text if nif is not None else "X" * 9
    holder = etree.SubElement(root, f"{{{LR}}}RegistroFactura")
    holder.append(record)
    return root


def validate(xml: bytes) -> None:
    """Raise SchemaViolation (with the first errors, line and message) unless `xml` is a
    valid RegFactuSistemaFacturacion, RegistroAlta or RegistroAnulacion."""
    root = _parse(xml)
    if root.tag in (f"{{{SF}}}RegistroAlta", f"{{{SF}}}RegistroAnulacion"):
        root = _message_around(root)
    checker = schema()
    if not checker.validate(root):
        errors = "; ".join(
            f"line {error.line}: {error.message}" for error in list(checker.error_log)[:5]
        )
        raise SchemaViolation(errors or "does not match AEAT's schema")


def build_message(issuer_name: str, issuer_nif: str, record_xmls: list[bytes]) -> bytes:
    """A RegFactuSistemaFacturacion with `record_xmls` (RegistroAlta/RegistroAnulacion
    elements of issuer `issuer_nif`, in chain order) under a Cabecera naming the issuer.

    Validated against AEAT's schema before it is returned (SchemaViolation otherwise);
    1 to 1,000 records, each exactly as stored. UTF-8 with an XML declaration.
    """
    if not record_xmls:
        raise SchemaViolation("a message needs at least one record")
    if len(record_xmls) > MAX_RECORDS:
        raise SchemaViolation(f"a message carries at most {MAX_RECORDS} records")
    # Only the message's own namespace at the top: each record keeps its `sf` declaration,
    # so its bytes inside the message are exactly the stored ones.
    root = etree.Element(f"{{{LR}}}RegFactuSistemaFacturacion", nsmap={"sfLR": LR})
    header = etree.SubElement(root, f"{{{LR}}}Cabecera")
    issuer = etree.SubElement(header, f"{{{SF}}}ObligadoEmision", nsmap={"sf": SF})
    etree.SubElement(issuer, f"{{{SF}}}NombreRazon").text = " ".join(issuer_name.split())[:120]
    etree.SubElement(issuer, f"{{{SF}}}NIF").text = issuer_nif
    for xml in record_xmls:
        record = _parse(xml)
        owner = record.findtext(f"{{{SF}}}IDFactura/{{{SF}}}IDEmisorFactura") or record.findtext(
            f"{{{SF}}}IDFactura/{{{SF}}}IDEmisorFacturaAnulada"
        )
        if owner is None or owner.strip() != issuer_nif:
            # AEAT refuses a record whose issuer is not the ObligadoEmision of the message.
            raise SchemaViolation(f"a record of {owner} in a message of {issuer_nif}")
        holder = etree.SubElement(root, f"{{{LR}}}RegistroFactura")
        holder.append(record)
    message = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
    validate(message)
    return message


def build_query(
    issuer_name: str,
    issuer_nif: str,
    *,
    year: int,
    month: int,
    issued_from=None,
    issued_to=None,
    after: tuple[str, str, str] | None = None,
) -> bytes:
    """A ConsultaFactuSistemaFacturacion for the records of `issuer_nif` (ObligadoEmision)
    of the period `year`-`month` (AEAT's imputation period: the month of the operation, or
    of the issue date), issued between `issued_from` and `issued_to` (dates) when given,
    and from the page key `after` (issuer NIF, number, dd-mm-yyyy) when AEAT's answer had
    more. Validated against ConsultaLR.xsd before it is returned (SchemaViolation
    otherwise). UTF-8 with an XML declaration."""
    root = etree.Element(
        f"{{{QUERY}}}ConsultaFactuSistemaFacturacion", nsmap={"con": QUERY, "sum": SF}
    )
    header = etree.SubElement(root, f"{{{QUERY}}}Cabecera")
    etree.SubElement(header, f"{{{SF}}}IDVersion").text = "1.0"
    issuer = etree.SubElement(header, f"{{{SF}}}ObligadoEmision")
    etree.SubElement(issuer, f"{{{SF}}}NombreRazon").text = " ".join(issuer_name.split())[:120]
    etree.SubElement(issuer, f"{{{SF}}}NIF").text = issuer_nif
    filters = etree.SubElement(root, f"{{{QUERY}}}FiltroConsulta")
    period = etree.SubElement(filters, f"{{{QUERY}}}PeriodoImputacion")
    etree.SubElement(period, f"{{{SF}}}Ejercicio").text = f"{year:04d}"
    etree.SubElement(period, f"{{{SF}}}Periodo").text = f"{month:02d}"
    if issued_from is not None or issued_to is not None:
        dates = etree.SubElement(filters, f"{{{QUERY}}}FechaExpedicionFactura")
        span = etree.SubElement(dates, f"{{{SF}}}RangoFechaExpedicion")
        if issued_from is not None:
            etree.SubElement(span, f"{{{SF}}}Desde").text = issued_from.strftime("%d-%m-%Y")
        if issued_to is not None:
            etree.SubElement(span, f"{{{SF}}}Hasta").text = issued_to.strftime("%d-%m-%Y")
    if after is not None:
        key = etree.SubElement(filters, f"{{{QUERY}}}ClavePaginacion")
        for tag, value in zip(
            ("IDEmisorFactura", "NumSerieFactura", "FechaExpedicionFactura"), after, strict=True
        ):
            etree.SubElement(key, f"{{{SF}}}{tag}").text = value
    message = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
    checker = query_schema()
    if not checker.validate(etree.fromstring(message)):
        errors = "; ".join(
            f"line {error.line}: {error.message}" for error in list(checker.error_log)[:5]
        )
        raise SchemaViolation(errors or "does not match AEAT's schema")
    return message
