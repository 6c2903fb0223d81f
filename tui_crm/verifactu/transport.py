"""HTTPS with mutual TLS to AEAT's VERI*FACTU service, and what can go wrong on the way.

Rules:
- the client is authenticated by the taxpayer's certificate, a PKCS#12 file and its
  password; the private key is never written to disk in clear, not even for a moment:
  `ssl` can only read a certificate chain from a file, so the key is re-encrypted with a
  random one-time passphrase (kept in memory only) and the PEM is handed over through an
  anonymous in-memory file (`memfd_create`, read as /proc/self/fd/N and closed right after
  loading). Where there is no memfd (macOS, the BSDs) the same *encrypted* PEM goes through
  a private temporary file (mode 0600) removed right after loading: what touches the disk
  is useless without the passphrase, which never leaves this process's memory;
- the server is verified against the system's certificate authorities (Python's default
  context: hostname checked, TLS 1.2 at least); the standard `SSL_CERT_FILE` /
  `SSL_CERT_DIR` variables point elsewhere, as for any Python program. `cafile` exists for
  tests only;
- `https_proxy` / `no_proxy` are honoured as urllib honours them (a CONNECT tunnel);
- every exchange has a connection timeout and an overall deadline; a failure is raised as
  one of the classes below, each saying whether to try again later and whether AEAT may
  have received the message (an answer lost on its way back);
- the password and the key never appear in an exception, a log or a repr.
"""

from __future__ import annotations

import datetime as dt
import http.client
import os
import secrets
import ssl
import tempfile
import time
import urllib.parse
import urllib.request
from base64 import b64encode
from dataclasses import dataclass, field
from pathlib import Path

from ..i18n import _
from . import soap

CONNECT_TIMEOUT_S = 20.0
TIMEOUT_S = 120.0  # the whole exchange: connect, send, AEAT's work on 1,000 records, answer
MAX_ANSWER_BYTES = 32 * 1024 * 1024


class TransportError(Exception):
    """The message did not get an answer we can use.

    `kind`: certificate, network, timeout, tls, http, fault or malformed.
    `retry_later`: trying again later, unchanged, may work (a network cut, a Server fault).
    `may_have_arrived`: AEAT may have received and registered the message although we have
    no answer (the connection broke or timed out after the request was sent)."""

    kind = "network"
    retry_later = True

    def __init__(self, message: str, *, may_have_arrived: bool = False) -> None:
        super().__init__(message)
        self.may_have_arrived = may_have_arrived


class CertificateError(TransportError):
    """The PKCS#12 file cannot be used (missing, wrong password, expired, no key)."""

    kind = "certificate"
    retry_later = False


class NetworkError(TransportError):
    """No connection, a cut, a timeout or a TLS failure: try again later."""

    def __init__(self, message: str, *, kind: str, may_have_arrived: bool) -> None:
        super().__init__(message, may_have_arrived=may_have_arrived)
        self.kind = kind


class HttpError(TransportError):
    """An HTTP status other than 200 without a SOAP fault."""

    kind = "http"

    def __init__(self, message: str, *, status: int) -> None:
        # A 5xx may come from a front end after AEAT registered the message.
        super().__init__(message, may_have_arrived=status >= 500)
        self.status = status
        self.retry_later = status >= 500 or status in (408, 429)


class FaultError(TransportError):
    """AEAT refused the whole message with a SOAP fault (nothing of it was registered)."""

    kind = "fault"

    def __init__(self, fault: soap.SoapFault) -> None:
        super().__init__(
            _("AEAT refused the submission ({code}): {message}").format(
                code=fault.code or "Fault", message=fault.message or "-"
            ),
            may_have_arrived=False,
        )
        self.fault = fault
        self.retry_later = fault.resend


class MalformedAnswer(TransportError):
    """An answer that is not the XML the description promises: send again (§5.1)."""

    kind = "malformed"

    def __init__(self, message: str) -> None:
        super().__init__(message, may_have_arrived=True)


# --- the taxpayer's certificate ----------------------------------------------------


@dataclass(frozen=True, repr=False)
class ClientCertificate:
    """A PKCS#12 file, opened: the certificate's facts, and its key in memory only."""

    path: Path
    holder: str  # the certificate's subject, as RFC 4514 text
    not_before: dt.datetime
    not_after: dt.datetime
    _key: object = field(compare=False)
    _chain: tuple = field(compare=False)  # the certificate first, then its issuers

    def __repr__(self) -> str:  # never the key
        return f"ClientCertificate({str(self.path)!r}, holder={self.holder!r})"


def load_certificate(path: str | os.PathLike, password: str) -> ClientCertificate:
    """Open the taxpayer's PKCS#12 file with its password.

    Refuses, with a sentence that names the file and never the password: a missing or
    unreadable file, a wrong password or a file that is not PKCS#12, a file without a key
    or certificate, and a certificate outside its validity dates."""
    from cryptography.hazmat.primitives.serialization import pkcs12

    file = Path(path).expanduser()
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise CertificateError(
            _("cannot read the certificate file {path}: {reason}").format(
                path=file, reason=exc.strerror or type(exc).__name__
            )
        ) from None
    try:
        bundle = pkcs12.load_pkcs12(data, password.encode("utf-8") if password else None)
    except Exception:  # cryptography says only "invalid password or PKCS12 data"
        raise CertificateError(
            _(
                "cannot open the certificate file {path}: the password is wrong or it is not "
                "a PKCS#12 (.p12/.pfx) file"
            ).format(path=file)
        ) from None
    if bundle.key is None or bundle.cert is None:
        raise CertificateError(
            _("the certificate file {path} has no private key or no certificate").format(path=file)
        )
    cert = bundle.cert.certificate
    chain = (cert, *(extra.certificate for extra in bundle.additional_certs))
    loaded = ClientCertificate(
        path=file,
        holder=cert.subject.rfc4514_string(),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        _key=bundle.key,
        _chain=chain,
    )
    now = dt.datetime.now(dt.UTC)
    if now > loaded.not_after:
        raise CertificateError(
            _("the certificate in {path} expired on {date}").format(
                path=file, date=loaded.not_after.date().isoformat()
            )
        )
    if now < loaded.not_before:
        raise CertificateError(
            _("the certificate in {path} is not valid before {date}").format(
                path=file, date=loaded.not_before.date().isoformat()
            )
        )
    return loaded


def _pem(certificate: ClientCertificate, passphrase: bytes) -> bytes:
    from cryptography.hazmat.primitives import serialization

    certs = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificate._chain)
    key = certificate._key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    return certs + key


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _load_chain(context: ssl.SSLContext, certificate: ClientCertificate) -> None:
    passphrase = secrets.token_urlsafe(32).encode("ascii")
    pem = _pem(certificate, passphrase)
    memfd_create = getattr(os, "memfd_create", None)
    if memfd_create is not None and os.path.isdir("/proc/self/fd"):
        fd = memfd_create("tui-crm-client-certificate", getattr(os, "MFD_CLOEXEC", 0))
        try:
            _write_all(fd, pem)
            context.load_cert_chain(f"/proc/self/fd/{fd}", password=passphrase)
        finally:
            os.close(fd)
        return
    # No memfd: a private temporary file holding only the encrypted key (see the module's
    # docstring), removed as soon as OpenSSL has read it.
    fd, name = tempfile.mkstemp(prefix="tui-crm-cert-", suffix=".pem")
    try:
        os.fchmod(fd, 0o600)
        _write_all(fd, pem)
        os.close(fd)
        fd = -1
        context.load_cert_chain(name, password=passphrase)
    finally:
        if fd >= 0:
            os.close(fd)
        os.unlink(name)


def ssl_context(certificate: ClientCertificate, *, cafile: str | None = None) -> ssl.SSLContext:
    """A client TLS context: the system's authorities (or `cafile`, for tests), hostname
    checked, TLS 1.2 or later, and the taxpayer's certificate to present."""
    context = ssl.create_default_context(cafile=cafile)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        _load_chain(context, certificate)
    except ssl.SSLError as exc:
        raise CertificateError(
            _("the certificate in {path} cannot be used for TLS: {reason}").format(
                path=certificate.path, reason=exc.reason or exc.__class__.__name__
            )
        ) from None
    return context


# --- one HTTPS exchange ------------------------------------------------------------


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    reason: str
    content_type: str
    body: bytes


def _proxy_for(host: str) -> tuple[str, int, dict[str, str]] | None:
    proxy = urllib.request.getproxies().get("https")
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    if "://" not in proxy:
        proxy = "http://" + proxy
    parts = urllib.parse.urlsplit(proxy)
    if not parts.hostname:
        return None
    headers = {}
    if parts.username:
        credentials = f"{urllib.parse.unquote(parts.username)}:"
        credentials += urllib.parse.unquote(parts.password or "")
        headers["Proxy-Authorization"] = "Basic " + b64encode(credentials.encode()).decode()
    return parts.hostname, parts.port or 8080, headers


def _tls_alert(exc: ssl.SSLError) -> bool:
    return "ALERT" in str(exc.reason or "").upper() or "alert" in str(exc)


def post(
    url: str,
    body: bytes,
    *,
    context: ssl.SSLContext,
    headers: dict[str, str] | None = None,
    timeout: float = TIMEOUT_S,
    connect_timeout: float = CONNECT_TIMEOUT_S,
) -> HttpAnswer:
    """POST `body` to an https URL and read the whole answer within `timeout` seconds.

    Redirects are not followed (the service never redirects; a redirect is an HTTP error).
    Failures are raised as NetworkError (kinds network, timeout, tls), each saying whether
    the request may have reached the server."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise NetworkError(
            _("the service address must be an https:// URL: {url}").format(url=url),
            kind="network",
            may_have_arrived=False,
        )
    host, port = parts.hostname, parts.port or 443
    path = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
    deadline = time.monotonic() + timeout
    proxy = _proxy_for(host)
    if proxy:
        conn = http.client.HTTPSConnection(
            proxy[0], proxy[1], context=context, timeout=min(connect_timeout, timeout)
        )
        conn.set_tunnel(host, port, headers=proxy[2])
    else:
        conn = http.client.HTTPSConnection(
            host, port, context=context, timeout=min(connect_timeout, timeout)
        )
    where = f"{host}:{port}"
    sent = False
    try:
        try:
            conn.connect()
        except ssl.SSLCertVerificationError as exc:
            raise NetworkError(
                _("the server {host} could not be verified: {reason}").format(
                    host=where, reason=exc.verify_message or exc.reason
                ),
                kind="tls",
                may_have_arrived=False,
            ) from None
        except ssl.SSLError as exc:
            raise NetworkError(
                _("TLS with {host} failed: {reason}").format(
                    host=where, reason=exc.reason or exc.__class__.__name__
                ),
                kind="tls",
                may_have_arrived=False,
            ) from None
        except TimeoutError:
            raise NetworkError(
                _("no connection to {host} within {seconds} s").format(
                    host=where, seconds=round(min(connect_timeout, timeout))
                ),
                kind="timeout",
                may_have_arrived=False,
            ) from None
        except OSError as exc:
            raise NetworkError(
                _("no connection to {host}: {reason}").format(
                    host=where, reason=exc.strerror or exc.__class__.__name__
                ),
                kind="network",
                may_have_arrived=False,
            ) from None

        def remaining() -> float:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            return left

        request_headers = {
            "Content-Type": soap.CONTENT_TYPE,
            "SOAPAction": soap.SOAP_ACTION,
            "Accept": "text/xml",
            **(headers or {}),
        }
        # The response takes the socket over from the connection: keep our own handle.
        sock = conn.sock
        sock.settimeout(remaining())
        conn.request("POST", path, body=body, headers=request_headers)
        sent = True
        sock.settimeout(remaining())
        response = conn.getresponse()
        chunks, size = [], 0
        while True:
            sock.settimeout(remaining())
            chunk = response.read1(65536) if hasattr(response, "read1") else response.read(65536)
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                raise MalformedAnswer(
                    _("the answer from {host} is larger than {size} MB").format(
                        host=where, size=MAX_ANSWER_BYTES // (1024 * 1024)
                    )
                )
            chunks.append(chunk)
        if response.length not in (None, 0):  # Content-Length promised more than came
            raise http.client.IncompleteRead(b"".join(chunks), response.length)
        return HttpAnswer(
            status=response.status,
            reason=response.reason or "",
            content_type=response.getheader("Content-Type", ""),
            body=b"".join(chunks),
        )
    except TransportError:
        raise
    except TimeoutError:
        raise NetworkError(
            _("no answer from {host} within {seconds} s").format(
                host=where, seconds=round(timeout)
            ),
            kind="timeout",
            may_have_arrived=sent,
        ) from None
    except ssl.SSLError as exc:
        if _tls_alert(exc) and not isinstance(exc, ssl.SSLEOFError):
            # TLS 1.3 reports a refused client certificate after the handshake: the server
            # dropped the connection before reading the request.
            raise NetworkError(
                _("{host} refused the TLS connection: {reason}").format(
                    host=where, reason=exc.reason or exc.__class__.__name__
                ),
                kind="tls",
                may_have_arrived=False,
            ) from None
        raise NetworkError(
            _("the connection to {host} broke: {reason}").format(
                host=where, reason=exc.reason or exc.__class__.__name__
            ),
            kind="network",
            may_have_arrived=sent,
        ) from None
    except (http.client.HTTPException, OSError) as exc:
        reason = getattr(exc, "strerror", None) or exc.__class__.__name__
        if isinstance(exc, http.client.IncompleteRead):
            reason = _("the answer was cut short")
        raise NetworkError(
            _("the connection to {host} broke: {reason}").format(host=where, reason=reason),
            kind="network",
            may_have_arrived=sent,
        ) from None
    finally:
        conn.close()


def exchange(
    url: str,
    envelope: bytes,
    *,
    context: ssl.SSLContext,
    timeout: float = TIMEOUT_S,
    connect_timeout: float = CONNECT_TIMEOUT_S,
) -> bytes:
    """POST a SOAP envelope; the answer's bytes when it is not a fault.

    A SOAP fault (whatever the HTTP status) raises FaultError; another status than 200
    raises HttpError; an answer that is not a SOAP envelope raises MalformedAnswer."""
    answer = post(url, envelope, context=context, timeout=timeout, connect_timeout=connect_timeout)
    looks_xml = answer.body.lstrip()[:1] == b"<"
    if looks_xml:
        try:
            fault = soap.fault_of(answer.body)
        except soap.MalformedResponse as exc:
            if answer.status == 200:
                raise MalformedAnswer(
                    _("the answer from AEAT is not what was expected: {reason}").format(reason=exc)
                ) from None
            fault = None
        if fault is not None:
            raise FaultError(fault)
    if answer.status != 200:
        raise HttpError(
            _("AEAT answered HTTP {status} {reason}").format(
                status=answer.status, reason=answer.reason
            ),
            status=answer.status,
        )
    if not looks_xml:
        raise MalformedAnswer(
            _("the answer from AEAT is not XML (Content-Type {type})").format(
                type=answer.content_type or "-"
            )
        )
    return answer.body


@dataclass(frozen=True)
class Submitted:
    """A submission that got AEAT's answer: what we sent and what came back."""

    envelope: bytes
    raw: bytes
    response: soap.SubmissionResponse


def submit(
    message: bytes,
    *,
    endpoint: str,
    context: ssl.SSLContext,
    timeout: float = TIMEOUT_S,
    connect_timeout: float = CONNECT_TIMEOUT_S,
) -> Submitted:
    """Send one `RegFactuSistemaFacturacion` message (already validated) and read the answer."""
    envelope = soap.wrap(message)
    raw = exchange(
        endpoint, envelope, context=context, timeout=timeout, connect_timeout=connect_timeout
    )
    try:
        response = soap.parse_response(raw)
    except soap.MalformedResponse as exc:
        raise MalformedAnswer(
            _("the answer from AEAT is not what was expected: {reason}").format(reason=exc)
        ) from None
    return Submitted(envelope=envelope, raw=raw, response=response)


@dataclass(frozen=True)
class Queried:
    """A query that got AEAT's answer: what we asked and what came back."""

    envelope: bytes
    raw: bytes
    response: soap.QueryResponse


def query(
    message: bytes,
    *,
    endpoint: str,
    context: ssl.SSLContext,
    timeout: float = TIMEOUT_S,
    connect_timeout: float = CONNECT_TIMEOUT_S,
) -> Queried:
    """Send one `ConsultaFactuSistemaFacturacion` (already validated; the same service as the
    submissions) and read AEAT's answer. Failures are raised as for `submit`; a query
    changes nothing at AEAT, so asking again is always safe."""
    envelope = soap.wrap(message)
    raw = exchange(
        endpoint, envelope, context=context, timeout=timeout, connect_timeout=connect_timeout
    )
    try:
        response = soap.parse_query_response(raw)
    except soap.MalformedResponse as exc:
        raise MalformedAnswer(
            _("the answer from AEAT is not what was expected: {reason}").format(reason=exc)
        ) from None
    return Queried(envelope=envelope, raw=raw, response=response)
