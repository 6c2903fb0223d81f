"""The SOAP 1.1 layer of AEAT's VERI*FACTU web service: the envelope around a
`RegFactuSistemaFacturacion` message, and AEAT's two possible answers to it.

Everything here follows AEAT's "Sistemas Informáticos de Facturación: descripción del
servicio web" (version 1.0.1):

- §4.2, §9.1.1.1: SOAP 1.1, style document, use literal; the envelope carries an empty
  `soapenv:Header` and the message as the only child of `soapenv:Body`, with the prefixes
  of AEAT's examples (`soapenv`, `sum` for SuministroLR.xsd, `sum1` for
  SuministroInformacion.xsd). The WSDL declares an empty SOAPAction for the operation, so
  the HTTP header is `SOAPAction: ""` (SOAP 1.1 requires the header to be present).
- §6.2.5, §6.4.4: the answer `RespuestaRegFactuSistemaFacturacion` in the namespace of
  RespuestaSuministro.xsd: `CSV`, `DatosPresentacion` (`NIFPresentador`,
  `TimestampPresentacion`), `Cabecera`, `TiempoEsperaEnvio`, `EstadoEnvio`, then up to 1,000
  `RespuestaLinea` (`IDFactura`, `Operacion`, `RefExterna`, `EstadoRegistro`,
  `CodigoErrorRegistro`, `DescripcionErrorRegistro`, `RegistroDuplicado`). The children of
  the blocks typed in SuministroInformacion.xsd (`IDFactura`'s fields, `Operacion`'s,
  `DatosPresentacion`'s, `Cabecera`'s, `RegistroDuplicado`'s) are in that schema's namespace,
  as in AEAT's examples of answers. Elements are found by namespace-qualified name only.
- §6.2.6: a message that fails the XML or header validations is answered with a SOAP
  `Fault` (`faultcode` `env:Client` or `env:Server`, `faultstring` such as
  "Codigo[4104].El NIF del titular en la cabecera no está identificado.").
- §5.1: a `Server` fault, or no answer, or an answer that is not the XML expected: send the
  message again; a `Client` fault: the message is wrong, read `faultstring` before sending
  again.
- §6.2.3, §6.4, §11.1 (annex IV): the query `ConsultaFactuSistemaFacturacion`
  (ConsultaLR.xsd) goes in the same envelope to the same service (the WSDL's two operations
  share one port and an empty SOAPAction); its answer
  `RespuestaConsultaFactuSistemaFacturacion` (namespace of RespuestaConsultaLR.xsd) holds
  `Cabecera`, `PeriodoImputacion`, `IndicadorPaginacion`, `ResultadoConsulta` (ConDatos,
  SinDatos), up to 10,000 `RegistroRespuestaConsultaFactuSistemaFacturacion` (`IDFactura`,
  `DatosRegistroFacturacion` with the record's `Huella`, `DatosPresentacion` with
  `IdPeticion`, `EstadoRegistro` with the state Correcta, AceptadaConErrores or Anulada and
  AEAT's code and words) and, when there are more, `ClavePaginacion`: the last record
  given, from which the next page starts. Blocks and children as the description's
  example answer (§11.1.1.1) writes them.

Parsing never resolves entities, never loads a DTD and never touches the network.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from lxml import etree

from ..i18n import _

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
_AEAT = (
    "https://www2.agenciatributaria.gob.es/static_files/common/internet/dep/aplicaciones/"
    "es/aeat/tike/cont/ws/"
)
NS_LR = _AEAT + "SuministroLR.xsd"
NS_SF = _AEAT + "SuministroInformacion.xsd"
NS_RESPONSE = _AEAT + "RespuestaSuministro.xsd"
NS_QUERY = _AEAT + "ConsultaLR.xsd"
NS_QUERY_RESPONSE = _AEAT + "RespuestaConsultaLR.xsd"
NS_DSIG = "http://www.w3.org/2000/09/xmldsig#"

# The prefixes of AEAT's example messages (§9.1.1.1).
ENVELOPE_NSMAP = {"soapenv": SOAP_ENV, "sum": NS_LR, "sum1": NS_SF, "xd": NS_DSIG}
SOAP_ACTION = '""'
CONTENT_TYPE = "text/xml; charset=utf-8"

MESSAGE_TAG = f"{{{NS_LR}}}RegFactuSistemaFacturacion"
RESPONSE_TAG = f"{{{NS_RESPONSE}}}RespuestaRegFactuSistemaFacturacion"
QUERY_TAG = f"{{{NS_QUERY}}}ConsultaFactuSistemaFacturacion"
QUERY_RESPONSE_TAG = f"{{{NS_QUERY_RESPONSE}}}RespuestaConsultaFactuSistemaFacturacion"
# The prefixes of AEAT's example query (§11.1.1.1).
QUERY_NSMAP = {"soapenv": SOAP_ENV, "con": NS_QUERY, "sum": NS_SF}

# L18, L19, L21, L22 of the description (§6.5.2).
SUBMISSION_STATES = ("Correcto", "ParcialmenteCorrecto", "Incorrecto")
RECORD_STATES = ("Correcto", "AceptadoConErrores", "Incorrecto")
DUPLICATE_STATES = ("Correcta", "AceptadaConErrores", "Anulada")
OPERATIONS = ("Alta", "Anulacion")
DUPLICATE_CODE = 3000  # "Registro de facturación duplicado." (AEAT's errores.properties)


class MalformedMessage(ValueError):
    """What we were asked to wrap is not a `RegFactuSistemaFacturacion` element."""


class MalformedResponse(ValueError):
    """AEAT's answer is not the XML the description promises; the message says what is wrong."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


# --- the request -----------------------------------------------------------------


def wrap(message: bytes | etree._Element) -> bytes:
    """The SOAP 1.1 envelope around one `RegFactuSistemaFacturacion` message (or one
    `ConsultaFactuSistemaFacturacion` query), as UTF-8 bytes.

    The message's content is carried unchanged (same elements, same text); only namespace
    declarations move up to the envelope, with the prefixes AEAT's examples use."""
    if isinstance(message, bytes | bytearray):
        try:
            element = etree.fromstring(bytes(message), _parser())
        except etree.XMLSyntaxError as exc:
            raise MalformedMessage(
                _("the message is not well-formed XML: {reason}").format(reason=exc)
            ) from None
    else:
        element = message
    if element.tag not in (MESSAGE_TAG, QUERY_TAG):
        raise MalformedMessage(
            _("the message must be a RegFactuSistemaFacturacion element, not {tag}").format(
                tag=element.tag
            )
        )
    nsmap = ENVELOPE_NSMAP if element.tag == MESSAGE_TAG else QUERY_NSMAP
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap=nsmap)
    etree.SubElement(envelope, f"{{{SOAP_ENV}}}Header")
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    body.append(_copy(element))
    keep = ["xd"] if element.tag == MESSAGE_TAG else []
    etree.cleanup_namespaces(envelope, top_nsmap=nsmap, keep_ns_prefixes=keep)
    # The declaration exactly as AEAT's examples write it.
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(envelope, encoding="UTF-8")


def _copy(element: etree._Element) -> etree._Element:
    # A copy, so the caller's tree is never moved into our envelope.
    return etree.fromstring(etree.tostring(element), _parser())


def unwrap(envelope: bytes) -> etree._Element:
    """The one element inside `soapenv:Body` of a request (what the stand-in and tests read)."""
    root = _parse_envelope(envelope)
    return _body_child(root)


# --- the answers -----------------------------------------------------------------


@dataclass(frozen=True)
class SoapFault:
    """A SOAP 1.1 fault: the whole message was refused (§6.2.6)."""

    code: str  # as written, e.g. "env:Client"
    kind: str  # "Client", "Server" or the code's local part otherwise
    message: str  # faultstring, whitespace collapsed
    aeat_code: int | None  # the number in "Codigo[4104]...", when AEAT gives one

    @property
    def resend(self) -> bool:
        """§5.1: a Server fault means "send the message again"; a Client fault means the
        message itself is wrong."""
        return self.kind != "Client"


@dataclass(frozen=True)
class InvoiceId:
    issuer_nif: str
    number: str
    issue_date: str  # dd-mm-yyyy, as AEAT wrote it

    @property
    def date(self) -> dt.date:
        return dt.datetime.strptime(self.issue_date, "%d-%m-%Y").date()


@dataclass(frozen=True)
class Duplicate:
    """`RegistroDuplicado`: AEAT already holds a record with this invoice's identity."""

    request_id: str  # IdPeticionRegistroDuplicado
    state: str  # Correcta, AceptadaConErrores or Anulada
    error_code: int | None
    error: str


@dataclass(frozen=True)
class ResponseLine:
    """One `RespuestaLinea`: what AEAT did with one record of the submission."""

    invoice: InvoiceId
    operation: str  # Alta or Anulacion
    correction: str | None  # Subsanacion as sent (S/N), when sent
    previous_rejection: str | None  # RechazoPrevio as sent (N/S/X), when sent
    without_previous: str | None  # SinRegistroPrevio as sent (S/N), when sent
    external_ref: str | None
    state: str  # Correcto, AceptadoConErrores or Incorrecto
    error_code: int | None
    error: str
    duplicate: Duplicate | None

    @property
    def is_duplicate(self) -> bool:
        return self.duplicate is not None


@dataclass(frozen=True)
class SubmissionResponse:
    """`RespuestaRegFactuSistemaFacturacion`."""

    csv: str | None  # absent when every record was rejected
    presenter_nif: str | None
    presented_at: dt.datetime | None  # AEAT's clock, with its offset
    issuer_name: str
    issuer_nif: str
    wait_seconds: int  # TiempoEsperaEnvio
    state: str  # Correcto, ParcialmenteCorrecto or Incorrecto
    lines: tuple[ResponseLine, ...]


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _parse_envelope(data: bytes) -> etree._Element:
    if not data or not data.strip():
        raise MalformedResponse(_("the answer is empty"))
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedResponse(
            _("the answer is not well-formed XML ({reason})").format(reason=exc)
        ) from None
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        raise MalformedResponse(
            _("the answer is not a SOAP 1.1 envelope (root {tag})").format(tag=root.tag)
        )
    return root


def _body_child(root: etree._Element) -> etree._Element:
    body = root.find(f"{{{SOAP_ENV}}}Body")
    if body is None:
        raise MalformedResponse(_("the SOAP envelope has no Body"))
    children = [c for c in body if isinstance(c.tag, str)]
    if len(children) != 1:
        raise MalformedResponse(
            _("the SOAP Body holds {n} elements, not one").format(n=len(children))
        )
    return children[0]


_CODE = re.compile(r"Codigo\s*\[\s*(\d+)\s*\]", re.IGNORECASE)


def fault_of(data: bytes) -> SoapFault | None:
    """The SOAP fault in an answer, or None when the answer is not a fault.

    Raises MalformedResponse when the answer is not a SOAP envelope at all."""
    child = _body_child(_parse_envelope(data))
    if child.tag != f"{{{SOAP_ENV}}}Fault":
        return None
    # SOAP 1.1 fault children are unqualified; accept qualified ones too.
    fields = {_local(c.tag): c for c in child if isinstance(c.tag, str)}
    code = (fields["faultcode"].text or "").strip() if "faultcode" in fields else ""
    text = " ".join((fields["faultstring"].text or "").split()) if "faultstring" in fields else ""
    local = code.rsplit(":", 1)[-1]
    kind = local.split(".", 1)[0] if local else "Server"
    found = _CODE.search(text)
    return SoapFault(
        code=code, kind=kind, message=text, aeat_code=int(found.group(1)) if found else None
    )


def _text(parent: etree._Element, ns: str, name: str, *, required: bool, where: str) -> str | None:
    element = parent.find(f"{{{ns}}}{name}")
    if element is None:
        if required:
            raise MalformedResponse(_("{where} has no {name}").format(where=where, name=name))
        return None
    # §6.7: AEAT trims values; so do we.
    return (element.text or "").strip()


def _int(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    if not value.lstrip("-").isdigit():
        raise MalformedResponse(
            _("{name} is not a number: {value!r}").format(name=name, value=value)
        )
    return int(value)


def _choice(value: str | None, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise MalformedResponse(
            _("{name} is {value!r}, not one of {allowed}").format(
                name=name, value=value, allowed=", ".join(allowed)
            )
        )
    return value  # type: ignore[return-value]


def _timestamp(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise MalformedResponse(
            _("TimestampPresentacion is not a date and time: {value!r}").format(value=value)
        ) from None


def _line(element: etree._Element, position: int) -> ResponseLine:
    where = _("RespuestaLinea {n}").format(n=position)
    id_block = element.find(f"{{{NS_RESPONSE}}}IDFactura")
    if id_block is None:
        raise MalformedResponse(_("{where} has no {name}").format(where=where, name="IDFactura"))
    invoice = InvoiceId(
        issuer_nif=_text(id_block, NS_SF, "IDEmisorFactura", required=True, where=where) or "",
        number=_text(id_block, NS_SF, "NumSerieFactura", required=True, where=where) or "",
        issue_date=_text(id_block, NS_SF, "FechaExpedicionFactura", required=True, where=where)
        or "",
    )
    try:
        invoice.date  # noqa: B018 - the check is the parse
    except ValueError:
        raise MalformedResponse(
            _("{where}: FechaExpedicionFactura is not dd-mm-yyyy: {value!r}").format(
                where=where, value=invoice.issue_date
            )
        ) from None
    operation = element.find(f"{{{NS_RESPONSE}}}Operacion")
    if operation is None:
        raise MalformedResponse(_("{where} has no {name}").format(where=where, name="Operacion"))
    duplicate = None
    dup = element.find(f"{{{NS_RESPONSE}}}RegistroDuplicado")
    if dup is not None:
        dwhere = f"{where}: RegistroDuplicado"
        duplicate = Duplicate(
            request_id=_text(dup, NS_SF, "IdPeticionRegistroDuplicado", required=True, where=dwhere)
            or "",
            state=_choice(
                _text(dup, NS_SF, "EstadoRegistroDuplicado", required=True, where=dwhere),
                DUPLICATE_STATES,
                f"{dwhere}: EstadoRegistroDuplicado",
            ),
            error_code=_int(
                _text(dup, NS_SF, "CodigoErrorRegistro", required=False, where=dwhere),
                "CodigoErrorRegistro",
            ),
            error=_text(dup, NS_SF, "DescripcionErrorRegistro", required=False, where=dwhere) or "",
        )
    return ResponseLine(
        invoice=invoice,
        operation=_choice(
            _text(operation, NS_SF, "TipoOperacion", required=True, where=where),
            OPERATIONS,
            f"{where}: TipoOperacion",
        ),
        correction=_text(operation, NS_SF, "Subsanacion", required=False, where=where),
        previous_rejection=_text(operation, NS_SF, "RechazoPrevio", required=False, where=where),
        without_previous=_text(operation, NS_SF, "SinRegistroPrevio", required=False, where=where),
        external_ref=_text(element, NS_RESPONSE, "RefExterna", required=False, where=where),
        state=_choice(
            _text(element, NS_RESPONSE, "EstadoRegistro", required=True, where=where),
            RECORD_STATES,
            f"{where}: EstadoRegistro",
        ),
        error_code=_int(
            _text(element, NS_RESPONSE, "CodigoErrorRegistro", required=False, where=where),
            "CodigoErrorRegistro",
        ),
        error=_text(element, NS_RESPONSE, "DescripcionErrorRegistro", required=False, where=where)
        or "",
        duplicate=duplicate,
    )


def parse_response(data: bytes) -> SubmissionResponse:
    """Read AEAT's answer to a `RegFactuSistemaFacturacion` submission.

    A fault is not an answer: call `fault_of` first (the transport does). Anything that is
    not the documented structure raises MalformedResponse, naming what is wrong."""
    child = _body_child(_parse_envelope(data))
    if child.tag == f"{{{SOAP_ENV}}}Fault":
        raise MalformedResponse(_("the answer is a SOAP fault, not a response"))
    if child.tag != RESPONSE_TAG:
        raise MalformedResponse(
            _("the answer is {tag}, not RespuestaRegFactuSistemaFacturacion").format(tag=child.tag)
        )
    where = _("the response")
    presenter_nif = presented_at = None
    presentation = child.find(f"{{{NS_RESPONSE}}}DatosPresentacion")
    if presentation is not None:
        presenter_nif = _text(presentation, NS_SF, "NIFPresentador", required=True, where=where)
        presented_at = _timestamp(
            _text(presentation, NS_SF, "TimestampPresentacion", required=True, where=where)
        )
    header = child.find(f"{{{NS_RESPONSE}}}Cabecera")
    if header is None:
        raise MalformedResponse(_("{where} has no {name}").format(where=where, name="Cabecera"))
    issuer = header.find(f"{{{NS_SF}}}ObligadoEmision")
    if issuer is None:
        raise MalformedResponse(
            _("{where} has no {name}").format(where="Cabecera", name="ObligadoEmision")
        )
    wait = _int(
        _text(child, NS_RESPONSE, "TiempoEsperaEnvio", required=True, where=where),
        "TiempoEsperaEnvio",
    )
    if wait is None or wait < 0:
        raise MalformedResponse(_("TiempoEsperaEnvio is empty or negative"))
    lines = tuple(
        _line(element, i)
        for i, element in enumerate(child.findall(f"{{{NS_RESPONSE}}}RespuestaLinea"), start=1)
    )
    return SubmissionResponse(
        csv=_text(child, NS_RESPONSE, "CSV", required=False, where=where) or None,
        presenter_nif=presenter_nif,
        presented_at=presented_at,
        issuer_name=_text(issuer, NS_SF, "NombreRazon", required=True, where="ObligadoEmision")
        or "",
        issuer_nif=_text(issuer, NS_SF, "NIF", required=True, where="ObligadoEmision") or "",
        wait_seconds=wait,
        state=_choice(
            _text(child, NS_RESPONSE, "EstadoEnvio", required=True, where=where),
            SUBMISSION_STATES,
            "EstadoEnvio",
        ),
        lines=lines,
    )


# --- the query's answer ------------------------------------------------------------

HELD_STATES = ("Correcta", "AceptadaConErrores", "Anulada")  # EstadoRegistroSFType
QUERY_RESULTS = ("ConDatos", "SinDatos")


@dataclass(frozen=True)
class HeldRecord:
    """One `RegistroRespuestaConsultaFactuSistemaFacturacion`: what AEAT holds of an invoice."""

    invoice: InvoiceId
    hash: str  # DatosRegistroFacturacion/Huella: the record AEAT holds ("" if not given)
    state: str  # Correcta, AceptadaConErrores or Anulada
    error_code: int | None
    error: str
    request_id: str  # DatosPresentacion/IdPeticion: the submission that registered it
    presented_at: dt.datetime | None
    presenter_nif: str


@dataclass(frozen=True)
class QueryResponse:
    """`RespuestaConsultaFactuSistemaFacturacion`."""

    issuer_nif: str
    year: str
    period: str
    more: bool  # IndicadorPaginacion = S: ask again from `next_key`
    found: bool  # ResultadoConsulta = ConDatos
    records: tuple[HeldRecord, ...]
    next_key: InvoiceId | None  # ClavePaginacion


def _held(element: etree._Element, position: int) -> HeldRecord:
    ns = NS_QUERY_RESPONSE
    where = _("RegistroRespuestaConsultaFactuSistemaFacturacion {n}").format(n=position)
    id_block = element.find(f"{{{ns}}}IDFactura")
    if id_block is None:
        raise MalformedResponse(_("{where} has no {name}").format(where=where, name="IDFactura"))
    invoice = InvoiceId(
        issuer_nif=_text(id_block, NS_SF, "IDEmisorFactura", required=True, where=where) or "",
        number=_text(id_block, NS_SF, "NumSerieFactura", required=True, where=where) or "",
        issue_date=_text(id_block, NS_SF, "FechaExpedicionFactura", required=True, where=where)
        or "",
    )
    try:
        invoice.date  # noqa: B018 - the check is the parse
    except ValueError:
        raise MalformedResponse(
            _("{where}: FechaExpedicionFactura is not dd-mm-yyyy: {value!r}").format(
                where=where, value=invoice.issue_date
            )
        ) from None
    data = element.find(f"{{{ns}}}DatosRegistroFacturacion")
    digest = "" if data is None else (_text(data, ns, "Huella", required=False, where=where) or "")
    presentation = element.find(f"{{{ns}}}DatosPresentacion")
    request_id = presenter = ""
    presented_at = None
    if presentation is not None:
        request_id = _text(presentation, NS_SF, "IdPeticion", required=False, where=where) or ""
        presenter = _text(presentation, NS_SF, "NIFPresentador", required=False, where=where) or ""
        presented_at = _timestamp(
            _text(presentation, NS_SF, "TimestampPresentacion", required=False, where=where)
        )
    status = element.find(f"{{{ns}}}EstadoRegistro")
    if status is None:
        raise MalformedResponse(
            _("{where} has no {name}").format(where=where, name="EstadoRegistro")
        )
    return HeldRecord(
        invoice=invoice,
        hash=digest.upper(),
        state=_choice(
            _text(status, ns, "EstadoRegistro", required=True, where=where),
            HELD_STATES,
            f"{where}: EstadoRegistro",
        ),
        error_code=_int(
            _text(status, ns, "CodigoErrorRegistro", required=False, where=where),
            "CodigoErrorRegistro",
        ),
        error=_text(status, ns, "DescripcionErrorRegistro", required=False, where=where) or "",
        request_id=request_id,
        presented_at=presented_at,
        presenter_nif=presenter,
    )


def parse_query_response(data: bytes) -> QueryResponse:
    """Read AEAT's answer to a `ConsultaFactuSistemaFacturacion` query.

    A fault is not an answer: the transport raises it first. Anything that is not the
    documented structure raises MalformedResponse, naming what is wrong."""
    child = _body_child(_parse_envelope(data))
    if child.tag == f"{{{SOAP_ENV}}}Fault":
        raise MalformedResponse(_("the answer is a SOAP fault, not a response"))
    if child.tag != QUERY_RESPONSE_TAG:
        raise MalformedResponse(
            _("the answer is {tag}, not RespuestaConsultaFactuSistemaFacturacion").format(
                tag=child.tag
            )
        )
    ns = NS_QUERY_RESPONSE
    where = _("the response")
    header = child.find(f"{{{ns}}}Cabecera")
    issuer = None if header is None else header.find(f"{{{NS_SF}}}ObligadoEmision")
    if issuer is None:
        raise MalformedResponse(
            _("{where} has no {name}").format(where="Cabecera", name="ObligadoEmision")
        )
    period = child.find(f"{{{ns}}}PeriodoImputacion")
    if period is None:
        raise MalformedResponse(
            _("{where} has no {name}").format(where=where, name="PeriodoImputacion")
        )
    more = _choice(
        _text(child, ns, "IndicadorPaginacion", required=True, where=where),
        ("S", "N"),
        "IndicadorPaginacion",
    )
    found = _choice(
        _text(child, ns, "ResultadoConsulta", required=True, where=where),
        QUERY_RESULTS,
        "ResultadoConsulta",
    )
    records = tuple(
        _held(element, i)
        for i, element in enumerate(
            child.findall(f"{{{ns}}}RegistroRespuestaConsultaFactuSistemaFacturacion"), start=1
        )
    )
    next_key = None
    key = child.find(f"{{{ns}}}ClavePaginacion")
    if key is not None:
        kwhere = f"{where}: ClavePaginacion"
        next_key = InvoiceId(
            issuer_nif=_text(key, NS_SF, "IDEmisorFactura", required=True, where=kwhere) or "",
            number=_text(key, NS_SF, "NumSerieFactura", required=True, where=kwhere) or "",
            issue_date=_text(key, NS_SF, "FechaExpedicionFactura", required=True, where=kwhere)
            or "",
        )
    if more == "S" and next_key is None:
        raise MalformedResponse(_("IndicadorPaginacion is S but there is no ClavePaginacion"))
    return QueryResponse(
        issuer_nif=_text(issuer, NS_SF, "NIF", required=True, where="ObligadoEmision") or "",
        year=_text(period, ns, "Ejercicio", required=True, where="PeriodoImputacion") or "",
        period=_text(period, ns, "Periodo", required=True, where="PeriodoImputacion") or "",
        more=more == "S",
        found=found == "ConDatos",
        records=records,
        next_key=next_key,
    )
