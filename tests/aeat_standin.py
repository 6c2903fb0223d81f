"""A local stand-in for AEAT's VERI*FACTU web service, over HTTPS with mutual TLS.

`make_pki(directory)` makes, with `cryptography`, a certificate authority, a server
certificate for 127.0.0.1 and localhost, and the taxpayer's client certificate in a PKCS#12
file protected by a non-ASCII password (plus a second client certificate from an authority
the stand-in does not trust, and an expired one).

`AeatStandIn(pki)` listens on 127.0.0.1 (a free port) in a thread. It:
- requires a client certificate from its authority (TLS handshake refused otherwise);
- validates every request: HTTP method, path, Content-Type and SOAPAction, the SOAP 1.1
  envelope against its schema (tests/data/soap-envelope-1.1.xsd), then the Body's
  `RegFactuSistemaFacturacion` against AEAT's SuministroLR.xsd; an invalid message is
  answered with a SOAP fault "Codigo[4102]" and kept in `.invalid`;
- applies AEAT's rules per record (description §9, validations §3.1 and annex 5): an alta
  whose invoice AEAT already holds is refused with 3000 "Registro de facturación duplicado."
  and a `RegistroDuplicado` block giving the state of the one it holds; a subsanación needs
  an existing record (3002 otherwise) unless RechazoPrevio=X; an anulación needs an existing
  record (3002); IDEmisorFactura must be the header's NIF (1108);
- remembers every record it registered (`.registered`, by invoice identity) and every record
  it received (`.received`, in order): the proof that nothing is registered or sent twice;
- answers `RespuestaRegFactuSistemaFacturacion` as the description's §6.4.4 lays it out
  (checked against tests/data/respuesta-suministro.xsd before it leaves), with a CSV unless
  every record was refused, and `TiempoEsperaEnvio` = `.wait_seconds`;
- answers the query `ConsultaFactuSistemaFacturacion` (validated against AEAT's
  ConsultaLR.xsd; one that is not is answered with the 4102 fault) with what it holds of
  the header's issuer in the imputation period asked (the month of FechaOperacion, else of
  the issue date), filtered by NumSerieFactura and issue date(s) when given, in the order
  registered, `.query_page_size` a page (10,000 as AEAT) with IndicadorPaginacion and
  ClavePaginacion, each record with its data (hash included), IdPeticion and state
  (Correcta, AceptadaConErrores, Anulada): `RespuestaConsultaFactuSistemaFacturacion` as
  §6.4.2 and the example of §11.1.1.1 lay it out, checked against
  tests/data/respuesta-consulta.xsd before it leaves. Queries are kept in `.queries`.

What a request gets can be scripted: `.outcomes[number] = (state, code, description)` forces
a record's result (AceptadoConErrores or Incorrecto with AEAT's codes), and `.script` is a
queue of `Behaviour`s, one per request (then the normal answer): a SOAP fault, an answer
after a delay (a timeout for the client), the connection cut in the middle of the answer,
an HTTP error, or a longer TiempoEsperaEnvio. `late` and `cut` register the records
before failing (AEAT got the message, the answer was lost); `hang` and `drop` register
nothing (the message never got to AEAT's processing).

Fixtures: `aeat_pki` (one per session) and `aeat` (a started stand-in, stopped after the
test); conftest.py makes them available to every test.

Codes and descriptions are AEAT's (errores.properties, to which the validations document
§4.4 refers; 4104 as in the description's §6.2.6 example).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import http.server
import ipaddress
import secrets
import socket
import ssl
import string
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from lxml import etree

TESTS_DIR = Path(__file__).resolve().parent
PACKAGE_DIR = TESTS_DIR.parent / "tui_crm"
XSD_DIR = PACKAGE_DIR / "verifactu" / "xsd"
DATA_DIR = TESTS_DIR / "data"

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
_AEAT = (
    "https://www2.agenciatributaria.gob.es/static_files/common/internet/dep/aplicaciones/"
    "es/aeat/tike/cont/ws/"
)
NS_LR = _AEAT + "SuministroLR.xsd"
NS_SF = _AEAT + "SuministroInformacion.xsd"
NS_R = _AEAT + "RespuestaSuministro.xsd"
NS_Q = _AEAT + "ConsultaLR.xsd"
NS_RQ = _AEAT + "RespuestaConsultaLR.xsd"
SERVICE_PATH = "/wlpl/TIKE-CONT/ws/SistemaFacturacion/VerifactuSOAP"
MADRID = ZoneInfo("Europe/Madrid")

CLIENT_PASSWORD = "contraseña-Ñandú-€-2027"
CLIENT_NIF = "89890001K"
CLIENT_NAME = "PRUEBAS VERIFACTU SL"

# AEAT's codes and descriptions (errores.properties).
DUPLICATE = (3000, "Registro de facturación duplicado.")
NOT_FOUND = (3002, "No existe el registro de facturación.")
WRONG_ISSUER = (
    1108,
    "El NIF del IDEmisorFactura debe ser el mismo que el NIF del ObligadoEmision.",
)
FUTURE_DATE = (1112, "El campo FechaExpedicionFactura es superior a la fecha actual.")
BAD_HASH = (2000, "El cálculo de la huella suministrada es incorrecta.")
BAD_TOTAL = (
    2005,
    "El campo ImporteTotal tiene un valor incorrecto para el valor de los campos "
    "BaseImponibleOimporteNoSujeto, CuotaRepercutida y CuotaRecargoEquivalencia suministrados.",
)
SCHEMA_FAULT = "Codigo[4102].El XML no cumple el esquema. Falta informar campo obligatorio."
HEADER_FAULT = (
    "Codigo[4104].Error en la cabecera: el valor del campo NIF del bloque ObligadoEmision "
    "no está identificado."
)


# --- certificates ---------------------------------------------------------------


@dataclass(frozen=True)
class Pki:
    directory: Path
    ca_file: Path  # the authority the client must trust (SSL_CERT_FILE or cafile)
    server_cert: Path
    server_key: Path
    client_p12: Path  # the taxpayer's certificate, protected by CLIENT_PASSWORD
    client_p12_legacy: Path  # the same, with PBES1 3DES/SHA-1 as older exports use
    stranger_p12: Path  # a client certificate from an authority the stand-in does not trust
    expired_p12: Path
    password: str = CLIENT_PASSWORD
    client_nif: str = CLIENT_NIF


def _name(common: str, serial: str | None = None):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "ES"),
        x509.NameAttribute(NameOID.COMMON_NAME, common),
    ]
    if serial:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    return x509.Name(attributes)


def _authority(common: str):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(_name(common))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _issue(
    ca,
    subject,
    public_key,
    *,
    server: bool,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID

    ca_key, ca_cert = ca
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - dt.timedelta(hours=1))
        .not_valid_after(not_after or now + dt.timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),
            critical=False,
        )
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
    return builder.sign(ca_key, hashes.SHA256())


def _p12(path: Path, key, cert, ca_cert, password: str, *, legacy: bool = False) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import (
        BestAvailableEncryption,
        PrivateFormat,
        pkcs12,
    )

    if legacy:
        encryption = (
            PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(2048)
            .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
            .hmac_hash(hashes.SHA1())
            .build(password.encode("utf-8"))
        )
    else:
        encryption = BestAvailableEncryption(password.encode("utf-8"))
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(b"verifactu", key, cert, [ca_cert], encryption)
    )


def make_pki(directory: Path) -> Pki:
    """Certificates for one stand-in and its client (see the module docstring)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    directory.mkdir(parents=True, exist_ok=True)
    ca = _authority("tui-crm test AEAT authority")
    stranger_ca = _authority("an authority nobody trusts")
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = _issue(ca, _name("localhost"), server_key.public_key(), server=True)
    pem = serialization.Encoding.PEM
    ca_file = directory / "ca.pem"
    ca_file.write_bytes(ca[1].public_bytes(pem))
    (directory / "server.pem").write_bytes(server_cert.public_bytes(pem))
    (directory / "server.key").write_bytes(
        server_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    # The taxpayer's certificate: RSA as AEAT's qualified certificates are, named as FNMT
    # names them (CN "<name> - <NIF>", serialNumber "IDCES-<NIF>").
    client_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = _name(f"{CLIENT_NAME} - {CLIENT_NIF}", f"IDCES-{CLIENT_NIF}")
    client_cert = _issue(ca, subject, client_key.public_key(), server=False)
    _p12(directory / "client.p12", client_key, client_cert, ca[1], CLIENT_PASSWORD)
    _p12(
        directory / "client-legacy.p12",
        client_key,
        client_cert,
        ca[1],
        CLIENT_PASSWORD,
        legacy=True,
    )
    stranger_key = ec.generate_private_key(ec.SECP256R1())
    stranger = _issue(stranger_ca, subject, stranger_key.public_key(), server=False)
    _p12(directory / "stranger.p12", stranger_key, stranger, stranger_ca[1], CLIENT_PASSWORD)
    now = dt.datetime.now(dt.UTC)
    expired = _issue(
        ca,
        subject,
        client_key.public_key(),
        server=False,
        not_before=now - dt.timedelta(days=10),
        not_after=now - dt.timedelta(days=1),
    )
    _p12(directory / "expired.p12", client_key, expired, ca[1], CLIENT_PASSWORD)
    return Pki(
        directory=directory,
        ca_file=ca_file,
        server_cert=directory / "server.pem",
        server_key=directory / "server.key",
        client_p12=directory / "client.p12",
        client_p12_legacy=directory / "client-legacy.p12",
        stranger_p12=directory / "stranger.p12",
        expired_p12=directory / "expired.p12",
    )


# --- schemas ------------------------------------------------------------------


_schemas: dict[str, etree.XMLSchema] = {}


def schema(name: str) -> etree.XMLSchema:
    """envelope, message (AEAT's SuministroLR.xsd), response (the description's answer),
    query (AEAT's ConsultaLR.xsd) or query-response (the description's answer to it)."""
    if name not in _schemas:
        path = {
            "envelope": DATA_DIR / "soap-envelope-1.1.xsd",
            "message": XSD_DIR / "SuministroLR.xsd",
            "response": DATA_DIR / "respuesta-suministro.xsd",
            "query": XSD_DIR / "ConsultaLR.xsd",
            "query-response": DATA_DIR / "respuesta-consulta.xsd",
        }[name]
        _schemas[name] = etree.XMLSchema(etree.parse(str(path)))
    return _schemas[name]


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


# --- test messages (until the records side builds them) -----------------------------


@dataclass(frozen=True)
class TestRecord:
    """The minimum of one record for a valid message: an alta (F1) or an anulación."""

    number: str
    issue_date: dt.date
    issuer_nif: str = CLIENT_NIF
    operation: str = "Alta"  # or "Anulacion"
    base: str = "100.00"
    vat: str = "21.00"
    correction: str | None = None  # Subsanacion
    previous_rejection: str | None = None  # RechazoPrevio

    __test__ = False  # not a pytest class

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.issuer_nif, self.number, self.issue_date.strftime("%d-%m-%Y"))


def _sub(parent, tag: str, text: str | None = None, ns: str = NS_SF):
    element = etree.SubElement(parent, f"{{{ns}}}{tag}")
    if text is not None:
        element.text = text
    return element


def record_element(record: TestRecord, previous: TestRecord | None, previous_hash: str):
    """One RegistroAlta or RegistroAnulacion, valid against AEAT's schema, hash included."""
    when = dt.datetime.now(MADRID).replace(microsecond=0).isoformat()
    date = record.issue_date.strftime("%d-%m-%Y")
    if record.operation == "Alta":
        root = etree.Element(f"{{{NS_SF}}}RegistroAlta", nsmap={"sf": NS_SF})
        _sub(root, "IDVersion", "1.0")
        ident = _sub(root, "IDFactura")
        _sub(ident, "IDEmisorFactura", record.issuer_nif)
        _sub(ident, "NumSerieFactura", record.number)
        _sub(ident, "FechaExpedicionFactura", date)
        _sub(root, "NombreRazonEmisor", CLIENT_NAME)
        if record.correction:
            _sub(root, "Subsanacion", record.correction)
        if record.previous_rejection:
            _sub(root, "RechazoPrevio", record.previous_rejection)
        _sub(root, "TipoFactura", "F1")
        _sub(root, "DescripcionOperacion", "Servicios de consultoría")
        recipient = _sub(_sub(root, "Destinatarios"), "IDDestinatario")
        _sub(recipient, "NombreRazon", "Cliente de Prueba, S.L.")
        _sub(recipient, "NIF", "B12345674")
        detail = _sub(_sub(root, "Desglose"), "DetalleDesglose")
        _sub(detail, "ClaveRegimen", "01")
        _sub(detail, "CalificacionOperacion", "S1")
        _sub(detail, "TipoImpositivo", "21")
        _sub(detail, "BaseImponibleOimporteNoSujeto", record.base)
        _sub(detail, "CuotaRepercutida", record.vat)
        total = f"{float(record.base) + float(record.vat):.2f}"
        _sub(root, "CuotaTotal", record.vat)
        _sub(root, "ImporteTotal", total)
        fields = [
            ("IDEmisorFactura", record.issuer_nif),
            ("NumSerieFactura", record.number),
            ("FechaExpedicionFactura", date),
            ("TipoFactura", "F1"),
            ("CuotaTotal", record.vat),
            ("ImporteTotal", total),
            ("Huella", previous_hash),
            ("FechaHoraHusoGenRegistro", when),
        ]
    else:
        root = etree.Element(f"{{{NS_SF}}}RegistroAnulacion", nsmap={"sf": NS_SF})
        _sub(root, "IDVersion", "1.0")
        ident = _sub(root, "IDFactura")
        _sub(ident, "IDEmisorFacturaAnulada", record.issuer_nif)
        _sub(ident, "NumSerieFacturaAnulada", record.number)
        _sub(ident, "FechaExpedicionFacturaAnulada", date)
        fields = [
            ("IDEmisorFacturaAnulada", record.issuer_nif),
            ("NumSerieFacturaAnulada", record.number),
            ("FechaExpedicionFacturaAnulada", date),
            ("Huella", previous_hash),
            ("FechaHoraHusoGenRegistro", when),
        ]
    chain = _sub(root, "Encadenamiento")
    if previous is None:
        _sub(chain, "PrimerRegistro", "S")
    else:
        before = _sub(chain, "RegistroAnterior")
        _sub(before, "IDEmisorFactura", previous.issuer_nif)
        _sub(before, "NumSerieFactura", previous.number)
        _sub(before, "FechaExpedicionFactura", previous.issue_date.strftime("%d-%m-%Y"))
        _sub(before, "Huella", previous_hash)
    system = _sub(root, "SistemaInformatico")
    _sub(system, "NombreRazon", "tui-crm")
    _sub(system, "NIF", "B00000034")
    _sub(system, "NombreSistemaInformatico", "tui-crm")
    _sub(system, "IdSistemaInformatico", "TC")
    _sub(system, "Version", "0.1.0")
    _sub(system, "NumeroInstalacion", "1")
    _sub(system, "TipoUsoPosibleSoloVerifactu", "S")
    _sub(system, "TipoUsoPosibleMultiOT", "N")
    _sub(system, "IndicadorMultiplesOT", "N")
    _sub(root, "FechaHoraHusoGenRegistro", when)
    _sub(root, "TipoHuella", "01")
    digest = hashlib.sha256("&".join(f"{k}={v}" for k, v in fields).encode()).hexdigest()
    _sub(root, "Huella", digest.upper())
    return root, digest.upper()


def make_message(
    records: list[TestRecord], *, issuer_nif: str = CLIENT_NIF, issuer_name: str = CLIENT_NAME
) -> bytes:
    """A valid `RegFactuSistemaFacturacion` for these records, chained in order."""
    root = etree.Element(f"{{{NS_LR}}}RegFactuSistemaFacturacion", nsmap={"sfLR": NS_LR})
    header = _sub(root, "Cabecera", ns=NS_LR)
    issuer = _sub(header, "ObligadoEmision")
    _sub(issuer, "NombreRazon", issuer_name)
    _sub(issuer, "NIF", issuer_nif)
    previous, previous_hash = None, ""
    for record in records:
        element, digest = record_element(record, previous, previous_hash)
        _sub(root, "RegistroFactura", ns=NS_LR).append(element)
        previous, previous_hash = record, digest
    data = etree.tostring(root, encoding="UTF-8")
    schema("message").assertValid(etree.fromstring(data))
    return data


# --- the service ----------------------------------------------------------------


@dataclass(frozen=True)
class Behaviour:
    """What one request gets instead of (or on top of) the normal answer.

    kind: "answer" (the normal answer; with `wait` a different TiempoEsperaEnvio),
    "fault" (a SOAP fault: `fault_code` Client or Server, `fault_string`), "late" (register,
    then answer after `delay` seconds), "hang" (read the message, register nothing, close
    after `delay` seconds without answering), "cut" (register, then close the connection
    halfway through the answer), "drop" (close the connection without reading the message
    further), "http" (HTTP `status` with an HTML page)."""

    kind: str = "answer"
    wait: int | None = None
    omit: int = 0  # leave the last `omit` RespuestaLinea out of the answer
    delay: float = 0.0
    fault_code: str = "Server"
    fault_string: str = "Codigo[9999].Error técnico. Vuelva a intentarlo más tarde."
    status: int = 503


@dataclass
class Registered:
    """What AEAT holds for one invoice identity."""

    operation: str  # Alta or Anulacion (the last one registered)
    state: str  # Correcta, AceptadaConErrores or Anulada
    request_id: str
    code: int | None = None
    description: str = ""
    # the alta it holds (what a query answers): its simple fields, hash included
    data: dict = field(default_factory=dict)
    period: tuple[str, str] = ("", "")  # imputation period (year, month)
    presenter: str = ""
    presented_at: str = ""
    modified_at: str = ""


_DATA_FIELDS = (
    "TipoFactura",
    "DescripcionOperacion",
    "CuotaTotal",
    "ImporteTotal",
    "FechaHoraHusoGenRegistro",
    "TipoHuella",
    "Huella",
)


def _alta_data(record: etree._Element) -> tuple[dict, tuple[str, str]]:
    """The simple fields of a RegistroAlta a query gives back, and its imputation period."""
    data = {name: record.findtext(f"{{{NS_SF}}}{name}") for name in _DATA_FIELDS}
    day = record.findtext(f"{{{NS_SF}}}FechaOperacion") or record.findtext(
        f"{{{NS_SF}}}IDFactura/{{{NS_SF}}}FechaExpedicionFactura"
    )
    _d, month, year = day.strip().split("-")
    return {k: v.strip() for k, v in data.items() if v is not None}, (year, month)


@dataclass(frozen=True)
class Received:
    """One record as it arrived, with what AEAT answered."""

    request: int  # the request's number, from 1
    key: tuple[str, str, str]
    operation: str
    correction: str | None
    previous_rejection: str | None
    state: str  # the EstadoRegistro answered ("" when the answer was not sent)
    code: int | None


@dataclass
class AeatStandIn:
    pki: Pki
    wait_seconds: int = 60
    script: deque = field(default_factory=deque)
    outcomes: dict = field(default_factory=dict)
    registered: dict = field(default_factory=dict)
    received: list = field(default_factory=list)
    requests: list = field(default_factory=list)  # (headers, body bytes) of each request
    invalid: list = field(default_factory=list)
    refused_handshakes: int = 0
    presenters: list = field(default_factory=list)
    answered: list = field(default_factory=list)  # the answers' bytes
    queries: list = field(default_factory=list)  # (NIF, year, month, filters) of each query
    query_page_size: int = 10_000

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._request_count = 0
        self.arrived = threading.Event()  # set whenever a message has been read

    # -- life cycle

    def start(self) -> AeatStandIn:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.pki.server_cert, self.pki.server_key)
        context.load_verify_locations(self.pki.ca_file)
        context.verify_mode = ssl.CERT_REQUIRED
        standin = self

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True

            def get_request(self):
                sock, address = self.socket.accept()
                return context.wrap_socket(
                    sock, server_side=True, do_handshake_on_connect=False
                ), address

            def handle_error(self, request, client_address):  # quiet: clients that vanish
                pass

        class Handler(_Handler):
            owner = standin

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}{SERVICE_PATH}"

    # -- what the tests read

    def submissions(self) -> list[bytes]:
        """The bodies of the requests that carried records (queries left out)."""
        return [
            body
            for _headers, body in self.requests
            if b"ConsultaFactuSistemaFacturacion" not in body
        ]

    def received_count(self) -> Counter:
        """How many times each (invoice identity, operation) arrived."""
        return Counter((r.key, r.operation) for r in self.received)

    def registered_count(self) -> Counter:
        """How many times each (invoice identity, operation) was registered (accepted)."""
        return Counter(
            (r.key, r.operation)
            for r in self.received
            if r.state in ("Correcto", "AceptadoConErrores")
        )

    # -- the rules

    def _next_behaviour(self) -> Behaviour:
        with self._lock:
            return self.script.popleft() if self.script else Behaviour()

    def process(self, message: etree._Element, presenter: str, wait: int, omit: int = 0) -> bytes:
        """Register what the message carries, AEAT-like, and build the answer's bytes."""
        with self._lock:
            self._request_count += 1
            number = self._request_count
            request_id = f"{dt.datetime.now():%Y%m%d%H%M%S}{number:06d}"
            header_nif = message.findtext(
                f"{{{NS_LR}}}Cabecera/{{{NS_SF}}}ObligadoEmision/{{{NS_SF}}}NIF"
            )
            header_name = message.findtext(
                f"{{{NS_LR}}}Cabecera/{{{NS_SF}}}ObligadoEmision/{{{NS_SF}}}NombreRazon"
            )
            lines = []
            for wrapper in message.findall(f"{{{NS_LR}}}RegistroFactura"):
                lines.append(self._one(wrapper[0], header_nif, number, request_id, presenter))
            states = {line["state"] for line in lines}
            if states == {"Correcto"}:
                overall = "Correcto"
            elif states == {"Incorrecto"}:
                overall = "Incorrecto"
            else:
                overall = "ParcialmenteCorrecto"
            return self._answer(
                lines[: len(lines) - omit],
                overall,
                header_nif,
                header_name,
                presenter,
                wait,
                all_refused=overall == "Incorrecto",
            )

    def _one(
        self,
        record: etree._Element,
        header_nif: str,
        number: int,
        request_id: str,
        presenter: str = "",
    ) -> dict:
        alta = etree.QName(record).localname == "RegistroAlta"
        ident = record.find(f"{{{NS_SF}}}IDFactura")
        suffix = "" if alta else "Anulada"
        key = (
            ident.findtext(f"{{{NS_SF}}}IDEmisorFactura{suffix}").strip(),
            ident.findtext(f"{{{NS_SF}}}NumSerieFactura{suffix}").strip(),
            ident.findtext(f"{{{NS_SF}}}FechaExpedicionFactura{suffix}").strip(),
        )
        correction = record.findtext(f"{{{NS_SF}}}Subsanacion")
        rejection = record.findtext(f"{{{NS_SF}}}RechazoPrevio")
        without = record.findtext(f"{{{NS_SF}}}SinRegistroPrevio")
        operation = "Alta" if alta else "Anulacion"
        held = self.registered.get(key)
        state, code, description, duplicate = "Correcto", None, "", None
        forced = self.outcomes.get(key[1])
        if key[0] != header_nif:
            state, (code, description) = "Incorrecto", WRONG_ISSUER
        elif alta and held is not None and (correction != "S" or rejection == "X"):
            # A new alta, or an alta after a rejection, for an invoice AEAT already holds.
            state, (code, description), duplicate = "Incorrecto", DUPLICATE, held
        elif held is None and (
            (alta and correction == "S" and rejection != "X") or (not alta and without != "S")
        ):
            # A subsanación or an anulación of an invoice AEAT does not hold.
            state, (code, description) = "Incorrecto", NOT_FOUND
        elif forced is not None:
            state, code, description = forced
        if state != "Incorrecto":
            now = dt.datetime.now(MADRID).replace(microsecond=0).isoformat()
            if alta:
                data, period = _alta_data(record)
                self.registered[key] = Registered(
                    "Alta",
                    "AceptadaConErrores" if state == "AceptadoConErrores" else "Correcta",
                    request_id,
                    code,
                    description,
                    data=data,
                    period=period,
                    presenter=presenter,
                    presented_at=now,
                    modified_at=now,
                )
            else:
                before = held or Registered("Alta", "Correcta", request_id)
                _d, month, year = key[2].split("-")
                self.registered[key] = Registered(
                    "Anulacion",
                    "Anulada",
                    request_id,
                    data=before.data,
                    period=before.period if before.period != ("", "") else (year, month),
                    presenter=before.presenter or presenter,
                    presented_at=before.presented_at or now,
                    modified_at=now,
                )
        self.received.append(Received(number, key, operation, correction, rejection, state, code))
        return {
            "key": key,
            "operation": operation,
            "correction": correction,
            "rejection": rejection,
            "without": without,
            "state": state,
            "code": code,
            "description": description,
            "duplicate": duplicate,
        }

    def _answer(self, lines, overall, nif, name, presenter, wait, *, all_refused) -> bytes:
        envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"env": SOAP_ENV})
        etree.SubElement(envelope, f"{{{SOAP_ENV}}}Header")
        body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body", Id="Body")
        answer = etree.SubElement(
            body,
            f"{{{NS_R}}}RespuestaRegFactuSistemaFacturacion",
            nsmap={"tikR": NS_R, "tik": NS_SF},
        )
        if not all_refused:
            alphabet = string.ascii_uppercase + string.digits
            _sub(answer, "CSV", "A-" + "".join(secrets.choice(alphabet) for _ in range(14)), NS_R)
        presentation = _sub(answer, "DatosPresentacion", ns=NS_R)
        _sub(presentation, "NIFPresentador", presenter)
        _sub(
            presentation,
            "TimestampPresentacion",
            dt.datetime.now(MADRID).replace(microsecond=0).isoformat(),
        )
        issuer = _sub(_sub(answer, "Cabecera", ns=NS_R), "ObligadoEmision")
        _sub(issuer, "NombreRazon", name)
        _sub(issuer, "NIF", nif)
        _sub(answer, "TiempoEsperaEnvio", str(wait), NS_R)
        _sub(answer, "EstadoEnvio", overall, NS_R)
        for line in lines:
            element = _sub(answer, "RespuestaLinea", ns=NS_R)
            ident = _sub(element, "IDFactura", ns=NS_R)
            for tag, value in zip(
                ("IDEmisorFactura", "NumSerieFactura", "FechaExpedicionFactura"),
                line["key"],
                strict=True,
            ):
                _sub(ident, tag, value)
            operation = _sub(element, "Operacion", ns=NS_R)
            _sub(operation, "TipoOperacion", line["operation"])
            if line["correction"]:
                _sub(operation, "Subsanacion", line["correction"])
            if line["rejection"]:
                _sub(operation, "RechazoPrevio", line["rejection"])
            if line["without"]:
                _sub(operation, "SinRegistroPrevio", line["without"])
            _sub(element, "EstadoRegistro", line["state"], NS_R)
            if line["code"] is not None:
                _sub(element, "CodigoErrorRegistro", str(line["code"]), NS_R)
                _sub(element, "DescripcionErrorRegistro", line["description"], NS_R)
            held = line["duplicate"]
            if held is not None:
                duplicate = _sub(element, "RegistroDuplicado", ns=NS_R)
                _sub(duplicate, "IdPeticionRegistroDuplicado", held.request_id)
                _sub(duplicate, "EstadoRegistroDuplicado", held.state)
                if held.code is not None:
                    _sub(duplicate, "CodigoErrorRegistro", str(held.code))
                    _sub(duplicate, "DescripcionErrorRegistro", held.description)
        schema("response").assertValid(answer)
        data = b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(
            envelope, encoding="UTF-8"
        )
        self.answered.append(data)
        return data

    # -- the query service

    def query(self, message: etree._Element) -> bytes:
        """What AEAT holds for the query's issuer and filters, one page of it."""
        q, sf = f"{{{NS_Q}}}", f"{{{NS_SF}}}"
        with self._lock:
            header = message.find(f"{q}Cabecera/{sf}ObligadoEmision")
            nif, name = header.findtext(f"{sf}NIF"), header.findtext(f"{sf}NombreRazon")
            filters = message.find(f"{q}FiltroConsulta")
            year = filters.findtext(f"{q}PeriodoImputacion/{sf}Ejercicio")
            month = filters.findtext(f"{q}PeriodoImputacion/{sf}Periodo")
            number = filters.findtext(f"{q}NumSerieFactura")
            exact = filters.findtext(f"{q}FechaExpedicionFactura/{sf}FechaExpedicionFactura")
            since = filters.findtext(
                f"{q}FechaExpedicionFactura/{sf}RangoFechaExpedicion/{sf}Desde"
            )
            until = filters.findtext(
                f"{q}FechaExpedicionFactura/{sf}RangoFechaExpedicion/{sf}Hasta"
            )
            after = filters.find(f"{q}ClavePaginacion")
            self.queries.append((nif, year, month, number, exact, since, until, after is not None))

            def day(text: str) -> dt.date:
                return dt.datetime.strptime(text, "%d-%m-%Y").date()

            matching = [
                (key, held)
                for key, held in self.registered.items()
                if key[0] == nif
                and held.period == (year, month)
                and (number is None or key[1] == number.strip())
                and (exact is None or key[2] == exact.strip())
                and (since is None or day(key[2]) >= day(since))
                and (until is None or day(key[2]) <= day(until))
            ]
            if after is not None:
                last = tuple(
                    after.findtext(f"{sf}{tag}").strip()
                    for tag in ("IDEmisorFactura", "NumSerieFactura", "FechaExpedicionFactura")
                )
                keys = [key for key, _held in matching]
                matching = matching[keys.index(last) + 1 :] if last in keys else []
            page = matching[: self.query_page_size]
            more = len(matching) > len(page)
            return self._query_answer(nif, name, year, month, page, more)

    def _query_answer(self, nif, name, year, month, page, more) -> bytes:
        envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"env": SOAP_ENV})
        etree.SubElement(envelope, f"{{{SOAP_ENV}}}Header")
        body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body", Id="Body")
        answer = etree.SubElement(
            body,
            f"{{{NS_RQ}}}RespuestaConsultaFactuSistemaFacturacion",
            nsmap={"tikLRRC": NS_RQ, "tik": NS_SF},
        )
        header = _sub(answer, "Cabecera", ns=NS_RQ)
        _sub(header, "IDVersion", "1.0")
        issuer = _sub(header, "ObligadoEmision")
        _sub(issuer, "NombreRazon", name)
        _sub(issuer, "NIF", nif)
        period = _sub(answer, "PeriodoImputacion", ns=NS_RQ)
        _sub(period, "Ejercicio", year, NS_RQ)
        _sub(period, "Periodo", month, NS_RQ)
        _sub(answer, "IndicadorPaginacion", "S" if more else "N", NS_RQ)
        _sub(answer, "ResultadoConsulta", "ConDatos" if page else "SinDatos", NS_RQ)
        for key, held in page:
            element = _sub(answer, "RegistroRespuestaConsultaFactuSistemaFacturacion", ns=NS_RQ)
            ident = _sub(element, "IDFactura", ns=NS_RQ)
            for tag, value in zip(
                ("IDEmisorFactura", "NumSerieFactura", "FechaExpedicionFactura"), key, strict=True
            ):
                _sub(ident, tag, value)
            data = _sub(element, "DatosRegistroFacturacion", ns=NS_RQ)
            for tag in _DATA_FIELDS:
                if tag in held.data:
                    _sub(data, tag, held.data[tag], NS_RQ)
            presentation = _sub(element, "DatosPresentacion", ns=NS_RQ)
            _sub(presentation, "NIFPresentador", held.presenter or CLIENT_NIF)
            _sub(presentation, "TimestampPresentacion", held.presented_at)
            _sub(presentation, "IdPeticion", held.request_id)
            state = _sub(element, "EstadoRegistro", ns=NS_RQ)
            _sub(state, "TimestampUltimaModificacion", held.modified_at, NS_RQ)
            _sub(state, "EstadoRegistro", held.state, NS_RQ)
            if held.code is not None:
                _sub(state, "CodigoErrorRegistro", str(held.code), NS_RQ)
                _sub(state, "DescripcionErrorRegistro", held.description, NS_RQ)
        if more:
            last = page[-1][0]
            key = _sub(answer, "ClavePaginacion", ns=NS_RQ)
            for tag, value in zip(
                ("IDEmisorFactura", "NumSerieFactura", "FechaExpedicionFactura"), last, strict=True
            ):
                _sub(key, tag, value)
        schema("query-response").assertValid(answer)
        data = b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(
            envelope, encoding="UTF-8"
        )
        self.answered.append(data)
        return data


def fault_answer(code: str, text: str) -> bytes:
    """A SOAP 1.1 fault as AEAT writes one (description §6.2.6)."""
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"env": SOAP_ENV})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    fault = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(fault, "faultcode").text = f"env:{code}"
    etree.SubElement(fault, "faultstring").text = text
    etree.SubElement(etree.SubElement(fault, "detail"), "callstack").text = "WSExcepcion [...]"
    schema("envelope").assertValid(envelope)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(envelope, encoding="UTF-8")


class _Handler(http.server.BaseHTTPRequestHandler):
    owner: AeatStandIn
    protocol_version = "HTTP/1.1"
    timeout = 30

    def setup(self) -> None:
        self.request.settimeout(self.timeout)
        try:
            self.request.do_handshake()
        except (ssl.SSLError, OSError):
            with self.owner._lock:
                self.owner.refused_handshakes += 1
            raise
        super().setup()

    def log_message(self, format, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str = "text/xml; charset=utf-8"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def _presenter(self) -> str:
        subject = dict(x[0] for x in self.request.getpeercert().get("subject", ()))
        serial = subject.get("serialNumber", "")
        return serial.removeprefix("IDCES-") or "89890001K"

    def do_GET(self) -> None:  # the service answers POST only
        self._send(405, b"<html>Method Not Allowed</html>", "text/html")

    def do_POST(self) -> None:
        owner = self.owner
        behaviour = owner._next_behaviour()
        length = int(self.headers.get("Content-Length", "0"))
        if behaviour.kind == "drop":
            self.close_connection = True
            self.request.shutdown(socket.SHUT_RDWR)
            return
        data = self.rfile.read(length)
        with owner._lock:
            owner.requests.append((dict(self.headers), data))
            presenter = self._presenter()
            owner.presenters.append(presenter)
        problems = []
        if self.path != SERVICE_PATH:
            problems.append(f"path {self.path}")
        if not self.headers.get("Content-Type", "").startswith("text/xml"):
            problems.append(f"Content-Type {self.headers.get('Content-Type')}")
        if "SOAPAction" not in self.headers:
            problems.append("no SOAPAction header")
        message = None
        try:
            root = etree.fromstring(data, _safe_parser())
            schema("envelope").assertValid(root)
            children = [c for c in root.find(f"{{{SOAP_ENV}}}Body") if isinstance(c.tag, str)]
            if len(children) != 1:
                raise ValueError(f"{len(children)} elements in the Body")
            message = children[0]
            if message.tag == f"{{{NS_Q}}}ConsultaFactuSistemaFacturacion":
                schema("query").assertValid(message)
            else:
                schema("message").assertValid(message)
        except (etree.XMLSyntaxError, etree.DocumentInvalid, ValueError) as exc:
            problems.append(str(exc))
        if problems:
            with owner._lock:
                owner.invalid.append("; ".join(problems))
            self._send(500, fault_answer("Client", SCHEMA_FAULT))
            owner.arrived.set()
            return
        if behaviour.kind == "hang":
            owner.arrived.set()
            owner._stopping.wait(behaviour.delay)
            self.close_connection = True
            return
        if behaviour.kind == "fault":
            owner.arrived.set()
            self._send(500, fault_answer(behaviour.fault_code, behaviour.fault_string))
            return
        if behaviour.kind == "http":
            owner.arrived.set()
            self._send(
                behaviour.status, b"<html><body>Service Unavailable</body></html>", "text/html"
            )
            return
        if message.tag == f"{{{NS_Q}}}ConsultaFactuSistemaFacturacion":
            answer = owner.query(message)
        else:
            answer = owner.process(
                message,
                presenter,
                behaviour.wait if behaviour.wait is not None else owner.wait_seconds,
                behaviour.omit,
            )
        owner.arrived.set()
        if behaviour.kind == "late":
            if owner._stopping.wait(behaviour.delay):
                return
            with contextlib.suppress(OSError):  # the client gave up, as it should
                self._send(200, answer)
            return
        if behaviour.kind == "cut":
            self.send_response(200)
            self.send_header("Content-Type", "text/xml; charset=utf-8")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer[: len(answer) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.request.shutdown(socket.SHUT_RDWR)
            return
        self._send(200, answer)


# --- fixtures -----------------------------------------------------------------


@pytest.fixture(scope="session")
def aeat_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """Certificates for the stand-in and its client, made once per test session."""
    return make_pki(tmp_path_factory.mktemp("aeat-pki"))


@pytest.fixture
def aeat(aeat_pki: Pki):
    """A running AEAT stand-in (TiempoEsperaEnvio 60 unless a test changes `.wait_seconds`)."""
    standin = AeatStandIn(aeat_pki).start()
    try:
        yield standin
    finally:
        standin.stop()


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.02) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
