"""The SOAP envelope, AEAT's answers and the mutual-TLS transport, against the local AEAT
stand-in (tests/aeat_standin.py): no database here."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from aeat_standin import (
    BAD_HASH,
    FUTURE_DATE,
    HEADER_FAULT,
    NS_LR,
    SOAP_ENV,
    TESTS_DIR,
    Behaviour,
    TestRecord,
    make_message,
    schema,
    wait_until,
)
from lxml import etree

from tui_crm.verifactu import soap, transport

TODAY = dt.date.today()


def _records(n: int, prefix: str = "F2026-") -> list[TestRecord]:
    return [TestRecord(f"{prefix}{i:05d}", TODAY) for i in range(1, n + 1)]


@pytest.fixture
def context(aeat_pki):
    cert = transport.load_certificate(aeat_pki.client_p12, aeat_pki.password)
    return transport.ssl_context(cert, cafile=str(aeat_pki.ca_file))


# --- the envelope ------------------------------------------------------------------


def test_envelope_is_aeat_s_soap_1_1_with_the_message_unchanged_as_its_body():
    message = make_message(_records(2))
    envelope = soap.wrap(message)
    assert envelope.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = etree.fromstring(envelope)
    schema("envelope").assertValid(root)
    # The prefixes of AEAT's own example (description §9.1.1.1), declared on the envelope.
    assert root.nsmap == soap.ENVELOPE_NSMAP
    assert [etree.QName(c).localname for c in root] == ["Header", "Body"]
    assert len(root[0]) == 0
    body = root.find(f"{{{SOAP_ENV}}}Body")
    (inner,) = list(body)
    assert inner.tag == f"{{{NS_LR}}}RegFactuSistemaFacturacion"
    assert b"<soapenv:Body><sum:RegFactuSistemaFacturacion><sum:Cabecera><sum1:" in envelope
    schema("message").assertValid(inner)
    # Same content, whatever the prefixes: canonical XML of both is identical.
    assert etree.canonicalize(etree.tostring(inner).decode(), rewrite_prefixes=True) == (
        etree.canonicalize(message.decode(), rewrite_prefixes=True)
    )


def test_wrap_refuses_what_is_not_a_submission():
    with pytest.raises(soap.MalformedMessage):
        soap.wrap(b"<Something/>")
    with pytest.raises(soap.MalformedMessage):
        soap.wrap(b"<unclosed")


# --- the answers ---------------------------------------------------------------------

# AEAT's fault example, verbatim from the description §6.2.6.
AEAT_FAULT = """<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/">
   <env:Body>
      <env:Fault>
         <faultcode>env:Client</faultcode>
         <faultstring>Codigo[4104].El NIF del titular en la cabecera no está identificado.
     NIF:iii. NOMBRE_RAZON:xxx
        </faultstring>
         <detail>
            <callstack>WSExcepcion [faultcode=null, detailMap=null, version=0,........</callstack>
         </detail>
      </env:Fault>
   </env:Body>
</env:Envelope>""".encode()


def test_aeat_s_fault_example_is_read():
    fault = soap.fault_of(AEAT_FAULT)
    assert fault == soap.SoapFault(
        code="env:Client",
        kind="Client",
        message="Codigo[4104].El NIF del titular en la cabecera no está identificado. "
        "NIF:iii. NOMBRE_RAZON:xxx",
        aeat_code=4104,
    )
    assert not fault.resend  # a Client fault: fix the message first (§5.1)
    server = soap.fault_of(AEAT_FAULT.replace(b"env:Client", b"env:Server"))
    assert server.kind == "Server" and server.resend


R = soap.NS_RESPONSE
SF = soap.NS_SF

# An answer as the description lays it out (§6.4.4), other prefixes than the stand-in's,
# with a RegistroDuplicado, spaces around values (AEAT trims: §6.7).
ANSWER = f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}"><soapenv:Body>
<r:RespuestaRegFactuSistemaFacturacion xmlns:r="{R}" xmlns:s="{SF}">
  <r:CSV>A-YDSW8NLFLANWPM</r:CSV>
  <r:DatosPresentacion><s:NIFPresentador>89890002E</s:NIFPresentador>
    <s:TimestampPresentacion>2027-01-04T11:54:10+01:00</s:TimestampPresentacion>
  </r:DatosPresentacion>
  <r:Cabecera><s:ObligadoEmision><s:NombreRazon>EMPRESA SL</s:NombreRazon>
    <s:NIF>89890001K</s:NIF></s:ObligadoEmision></r:Cabecera>
  <r:TiempoEsperaEnvio>90</r:TiempoEsperaEnvio>
  <r:EstadoEnvio>ParcialmenteCorrecto</r:EstadoEnvio>
  <r:RespuestaLinea>
    <r:IDFactura><s:IDEmisorFactura>89890001K</s:IDEmisorFactura>
      <s:NumSerieFactura> F2027-00001 </s:NumSerieFactura>
      <s:FechaExpedicionFactura>04-01-2027</s:FechaExpedicionFactura></r:IDFactura>
    <r:Operacion><s:TipoOperacion>Alta</s:TipoOperacion></r:Operacion>
    <r:EstadoRegistro>AceptadoConErrores</r:EstadoRegistro>
    <r:CodigoErrorRegistro>2000</r:CodigoErrorRegistro>
    <r:DescripcionErrorRegistro>El cálculo de la huella suministrada es incorrecta.
    </r:DescripcionErrorRegistro>
  </r:RespuestaLinea>
  <r:RespuestaLinea>
    <r:IDFactura><s:IDEmisorFactura>89890001K</s:IDEmisorFactura>
      <s:NumSerieFactura>F2027-00002</s:NumSerieFactura>
      <s:FechaExpedicionFactura>04-01-2027</s:FechaExpedicionFactura></r:IDFactura>
    <r:Operacion><s:TipoOperacion>Alta</s:TipoOperacion><s:Subsanacion>S</s:Subsanacion>
      <s:RechazoPrevio>X</s:RechazoPrevio></r:Operacion>
    <r:RefExterna>42</r:RefExterna>
    <r:EstadoRegistro>Incorrecto</r:EstadoRegistro>
    <r:CodigoErrorRegistro>3000</r:CodigoErrorRegistro>
    <r:DescripcionErrorRegistro>Registro de facturación duplicado.</r:DescripcionErrorRegistro>
    <r:RegistroDuplicado><s:IdPeticionRegistroDuplicado>20270104115410360242</s:IdPeticionRegistroDuplicado>
      <s:EstadoRegistroDuplicado>AceptadaConErrores</s:EstadoRegistroDuplicado>
      <s:CodigoErrorRegistro>2005</s:CodigoErrorRegistro>
      <s:DescripcionErrorRegistro>El campo ImporteTotal tiene un valor incorrecto
      </s:DescripcionErrorRegistro>
    </r:RegistroDuplicado>
  </r:RespuestaLinea>
  <r:RespuestaLinea>
    <r:IDFactura><s:IDEmisorFactura>89890001K</s:IDEmisorFactura>
      <s:NumSerieFactura>F2027-00003</s:NumSerieFactura>
      <s:FechaExpedicionFactura>04-01-2027</s:FechaExpedicionFactura></r:IDFactura>
    <r:Operacion><s:TipoOperacion>Anulacion</s:TipoOperacion></r:Operacion>
    <r:EstadoRegistro>Correcto</r:EstadoRegistro>
  </r:RespuestaLinea>
</r:RespuestaRegFactuSistemaFacturacion></soapenv:Body></soapenv:Envelope>""".encode()


def test_every_field_of_a_documented_answer_is_read():
    root = etree.fromstring(ANSWER)
    schema("response").assertValid(root[0][0])  # the structure the description gives
    assert soap.fault_of(ANSWER) is None
    answer = soap.parse_response(ANSWER)
    assert answer.csv == "A-YDSW8NLFLANWPM"
    assert answer.presenter_nif == "89890002E"
    assert answer.presented_at == dt.datetime(
        2027, 1, 4, 11, 54, 10, tzinfo=dt.timezone(dt.timedelta(hours=1))
    )
    assert (answer.issuer_name, answer.issuer_nif) == ("EMPRESA SL", "89890001K")
    assert answer.wait_seconds == 90
    assert answer.state == "ParcialmenteCorrecto"
    first, second, third = answer.lines
    assert first.invoice == soap.InvoiceId("89890001K", "F2027-00001", "04-01-2027")
    assert first.invoice.date == dt.date(2027, 1, 4)
    assert (first.operation, first.state, first.error_code) == ("Alta", "AceptadoConErrores", 2000)
    assert first.error == "El cálculo de la huella suministrada es incorrecta."
    assert first.duplicate is None and first.correction is None
    assert (second.correction, second.previous_rejection, second.external_ref) == ("S", "X", "42")
    assert (second.state, second.error_code) == ("Incorrecto", 3000)
    assert second.duplicate == soap.Duplicate(
        request_id="20270104115410360242",
        state="AceptadaConErrores",
        error_code=2005,
        error="El campo ImporteTotal tiene un valor incorrecto",
    )
    assert (third.operation, third.state, third.error_code, third.error) == (
        "Anulacion",
        "Correcto",
        None,
        "",
    )


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ((b"<r:EstadoEnvio>ParcialmenteCorrecto</r:EstadoEnvio>", b""), "EstadoEnvio"),
        ((b"ParcialmenteCorrecto", b"Aceptado"), "EstadoEnvio"),
        ((b"<r:TiempoEsperaEnvio>90", b"<r:TiempoEsperaEnvio>soon"), "TiempoEsperaEnvio"),
        ((b"<r:EstadoRegistro>Correcto</r:EstadoRegistro>", b""), "EstadoRegistro"),
        ((b"Anulacion</s:TipoOperacion>", b"Baja</s:TipoOperacion>"), "TipoOperacion"),
        ((b"FechaExpedicionFactura>04-01-2027", b"FechaExpedicionFactura>2027-01-04"), "dd-mm"),
        # Unqualified elements are not AEAT's: we read namespace-qualified names only.
        ((R.encode(), b"urn:not-aeat"), "RespuestaRegFactuSistemaFacturacion"),
        ((b"<soapenv:Body>", b"<soapenv:Bodi>"), "Body"),
    ],
)
def test_an_answer_off_the_documented_structure_is_malformed(change, complaint):
    with pytest.raises(soap.MalformedResponse, match=complaint):
        soap.parse_response(ANSWER.replace(*change, 1))


def test_garbage_is_malformed_and_entities_are_never_expanded(tmp_path):
    for data in (b"", b"   ", b"<html><body>Bad gateway</body></html>", b"\xff\xfe<"):
        with pytest.raises(soap.MalformedResponse):
            soap.parse_response(data)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    hostile = ANSWER.replace(
        b"<soapenv:Envelope",
        f'<!DOCTYPE x [<!ENTITY leak SYSTEM "file://{secret}">]><soapenv:Envelope'.encode(),
    ).replace(b"A-YDSW8NLFLANWPM", b"&leak;")
    try:
        parsed = soap.parse_response(hostile)
    except soap.MalformedResponse:
        return
    assert "TOP-SECRET" not in (parsed.csv or "")


# --- the transport against the stand-in ----------------------------------------------


def test_all_correct_over_mutual_tls(aeat, aeat_pki, context):
    records = _records(3)
    sent = transport.submit(make_message(records), endpoint=aeat.url, context=context)
    answer = sent.response
    assert answer.state == "Correcto" and answer.csv and len(answer.csv) == 16
    assert answer.wait_seconds == 60
    assert answer.presenter_nif == aeat_pki.client_nif  # the certificate we presented
    assert [line.invoice.number for line in answer.lines] == [r.number for r in records]
    assert {line.state for line in answer.lines} == {"Correcto"}
    assert aeat.invalid == [] and aeat.presenters == [aeat_pki.client_nif]
    headers, body = aeat.requests[0]
    assert headers["SOAPAction"] == '""'
    assert headers["Content-Type"] == "text/xml; charset=utf-8"
    assert body == sent.envelope
    assert sent.raw == aeat.answered[0]


def test_accepted_with_errors_rejected_and_duplicates_come_back_per_record(aeat, context):
    records = _records(4)
    aeat.outcomes["F2026-00002"] = ("AceptadoConErrores", *BAD_HASH)
    aeat.outcomes["F2026-00003"] = ("Incorrecto", *FUTURE_DATE)
    aeat.wait_seconds = 120
    answer = transport.submit(make_message(records), endpoint=aeat.url, context=context).response
    assert answer.state == "ParcialmenteCorrecto" and answer.wait_seconds == 120
    assert [(line.state, line.error_code) for line in answer.lines] == [
        ("Correcto", None),
        ("AceptadoConErrores", 2000),
        ("Incorrecto", 1112),
        ("Correcto", None),
    ]
    assert answer.lines[2].error == FUTURE_DATE[1]
    # The same message again: AEAT holds 1, 2 and 4 already and says so; 3 was refused
    # before, so it is registered now.
    aeat.outcomes.clear()
    again = transport.submit(make_message(records), endpoint=aeat.url, context=context).response
    states = [(ln.state, ln.error_code, ln.duplicate and ln.duplicate.state) for ln in again.lines]
    assert states == [
        ("Incorrecto", 3000, "Correcta"),
        ("Incorrecto", 3000, "AceptadaConErrores"),
        ("Correcto", None, None),
        ("Incorrecto", 3000, "Correcta"),
    ]
    assert again.lines[1].duplicate.error_code == 2000
    assert aeat.registered_count() == {(r.key, "Alta"): 1 for r in records}


def test_all_refused_has_no_csv(aeat, context):
    aeat.outcomes["F2026-00001"] = ("Incorrecto", *FUTURE_DATE)
    answer = transport.submit(make_message(_records(1)), endpoint=aeat.url, context=context)
    assert answer.response.state == "Incorrecto" and answer.response.csv is None


def test_soap_faults_say_whether_to_send_again(aeat, context):
    aeat.script.append(Behaviour("fault", fault_code="Client", fault_string=HEADER_FAULT))
    aeat.script.append(Behaviour("fault", fault_code="Server"))
    with pytest.raises(transport.FaultError) as client:
        transport.submit(make_message(_records(1)), endpoint=aeat.url, context=context)
    assert client.value.fault.aeat_code == 4104 and client.value.kind == "fault"
    assert not client.value.retry_later and not client.value.may_have_arrived
    assert "4104" in str(client.value)
    with pytest.raises(transport.FaultError) as server:
        transport.submit(make_message(_records(1)), endpoint=aeat.url, context=context)
    assert server.value.retry_later
    assert aeat.registered == {}  # a fault registers nothing


def test_a_late_answer_is_a_timeout_that_may_have_arrived(aeat, context):
    aeat.script.append(Behaviour("late", delay=5))
    started = time.monotonic()
    with pytest.raises(transport.NetworkError) as failure:
        transport.submit(make_message(_records(2)), endpoint=aeat.url, context=context, timeout=1.0)
    assert time.monotonic() - started < 4
    assert failure.value.kind == "timeout" and failure.value.retry_later
    assert failure.value.may_have_arrived  # and indeed AEAT registered it:
    assert len(aeat.registered) == 2


def test_a_connection_cut_mid_answer_may_have_arrived(aeat, context):
    aeat.script.append(Behaviour("cut"))
    with pytest.raises(transport.NetworkError) as failure:
        transport.submit(make_message(_records(2)), endpoint=aeat.url, context=context)
    assert failure.value.kind == "network" and failure.value.may_have_arrived
    assert "cut short" in str(failure.value) or "broke" in str(failure.value)


def test_http_errors_and_non_xml_answers(aeat, context):
    aeat.script.append(Behaviour("http", status=503))
    aeat.script.append(Behaviour("http", status=403))
    with pytest.raises(transport.HttpError) as unavailable:
        transport.submit(make_message(_records(1)), endpoint=aeat.url, context=context)
    assert unavailable.value.status == 503 and unavailable.value.retry_later
    with pytest.raises(transport.HttpError) as forbidden:
        transport.submit(make_message(_records(1)), endpoint=aeat.url, context=context)
    assert forbidden.value.status == 403 and not forbidden.value.may_have_arrived


def test_no_service_at_the_address_is_a_network_error_that_did_not_arrive(context):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(transport.NetworkError) as failure:
        transport.post(f"https://127.0.0.1:{port}/x", b"<x/>", context=context)
    assert failure.value.kind == "network" and not failure.value.may_have_arrived
    with pytest.raises(transport.NetworkError, match="https://"):
        transport.post("http://127.0.0.1/x", b"<x/>", context=context)


def test_the_server_is_verified_against_the_system_authorities_not_ours(aeat, aeat_pki):
    cert = transport.load_certificate(aeat_pki.client_p12, aeat_pki.password)
    default = transport.ssl_context(cert)  # the system's authorities only
    with pytest.raises(transport.NetworkError) as failure:
        transport.submit(make_message(_records(1)), endpoint=aeat.url, context=default)
    assert failure.value.kind == "tls" and not failure.value.may_have_arrived
    assert "verif" in str(failure.value)
    assert aeat.requests == []


def test_ssl_cert_file_points_python_at_another_authority(aeat, aeat_pki, tmp_path):
    # A separate process, as cron would run it: no cafile anywhere, only the variable.
    script = tmp_path / "send.py"
    script.write_text(
        "import sys, datetime as dt\n"
        f"sys.path.insert(0, {str(TESTS_DIR)!r})\n"
        "from aeat_standin import make_message, TestRecord\n"
        "from tui_crm.verifactu import transport\n"
        "cert = transport.load_certificate(sys.argv[2], sys.stdin.readline().rstrip('\\n'))\n"
        "ctx = transport.ssl_context(cert)\n"
        "msg = make_message([TestRecord('F2026-00001', dt.date.today())])\n"
        "try:\n"
        "    print(transport.submit(msg, endpoint=sys.argv[1], context=ctx).response.state)\n"
        "except transport.TransportError as exc:\n"
        "    print(exc.kind)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}

    def run(extra):
        return subprocess.run(
            [sys.executable, str(script), aeat.url, str(aeat_pki.client_p12)],
            input=aeat_pki.password + "\n",
            capture_output=True,
            text=True,
            env={**env, **extra},
            timeout=60,
            check=True,
        ).stdout.strip()

    assert run({}) == "tls"
    assert run({"SSL_CERT_FILE": str(aeat_pki.ca_file)}) == "Correcto"


def test_the_stand_in_requires_our_client_certificate(aeat, aeat_pki):
    anonymous = ssl.create_default_context(cafile=str(aeat_pki.ca_file))
    stranger = transport.ssl_context(
        transport.load_certificate(aeat_pki.stranger_p12, aeat_pki.password),
        cafile=str(aeat_pki.ca_file),
    )
    for context in (anonymous, stranger):
        with pytest.raises(transport.NetworkError) as failure:
            transport.submit(make_message(_records(1)), endpoint=aeat.url, context=context)
        assert failure.value.kind in ("tls", "network")
        assert not failure.value.may_have_arrived or failure.value.kind == "network"
    assert wait_until(lambda: aeat.refused_handshakes >= 2)
    assert aeat.requests == []


# --- the certificate -----------------------------------------------------------------


def test_non_ascii_password_and_legacy_pkcs12_open(aeat, aeat_pki):
    assert not aeat_pki.password.isascii()
    for path in (aeat_pki.client_p12, aeat_pki.client_p12_legacy):
        cert = transport.load_certificate(path, aeat_pki.password)
        assert "89890001K" in cert.holder
        context = transport.ssl_context(cert, cafile=str(aeat_pki.ca_file))
        answer = transport.submit(
            make_message([TestRecord(f"L-{path.stem}", TODAY)]),
            endpoint=aeat.url,
            context=context,
        )
        assert answer.response.state == "Correcto"


def test_certificate_problems_never_show_the_password(aeat_pki, tmp_path):
    password = aeat_pki.password
    wrong = password + "x"
    cases = [
        (aeat_pki.client_p12, wrong, "password is wrong"),
        (tmp_path / "missing.p12", password, "cannot read"),
        (aeat_pki.ca_file, password, "PKCS#12"),
        (aeat_pki.expired_p12, password, "expired"),
    ]
    for path, secret, complaint in cases:
        with pytest.raises(transport.CertificateError) as failure:
            transport.load_certificate(path, secret)
        text = str(failure.value)
        assert complaint in text and str(path.name) in text
        assert password not in text and wrong not in text
        assert not failure.value.retry_later
    cert = transport.load_certificate(aeat_pki.client_p12, password)
    assert password not in repr(cert) and "PRIVATE" not in repr(cert)


def test_the_key_reaches_openssl_only_encrypted_and_never_through_a_disk_file(
    aeat_pki, monkeypatch
):
    cert = transport.load_certificate(aeat_pki.client_p12, aeat_pki.password)
    seen: list[tuple[str, bytes]] = []
    original = ssl.SSLContext.load_cert_chain

    def spy(self, certfile, keyfile=None, password=None):
        with open(certfile, "rb") as fh:
            seen.append((str(certfile), fh.read()))
        return original(self, certfile, keyfile, password)

    monkeypatch.setattr(ssl.SSLContext, "load_cert_chain", spy)

    def no_disk(*args, **kwargs):
        raise AssertionError("a temporary file was used although memfd exists")

    if hasattr(os, "memfd_create"):
        monkeypatch.setattr(transport.tempfile, "mkstemp", no_disk)
        transport.ssl_context(cert)
        path, content = seen.pop()
        assert path.startswith("/proc/self/fd/")
        assert not os.path.exists(path)  # closed right after loading
        assert b"ENCRYPTED PRIVATE KEY" in content and b"BEGIN PRIVATE KEY" not in content
        monkeypatch.undo()
        monkeypatch.setattr(ssl.SSLContext, "load_cert_chain", spy)
        monkeypatch.delattr(os, "memfd_create")
    # The fallback: a private temporary file with the encrypted key, removed at once.
    transport.ssl_context(cert)
    path, content = seen.pop()
    assert not path.startswith("/proc/") and not Path(path).exists()
    assert b"ENCRYPTED PRIVATE KEY" in content and b"BEGIN PRIVATE KEY" not in content


# --- a proxy, as urllib honours https_proxy ------------------------------------------


def _connect_proxy():
    """A minimal HTTP CONNECT proxy on 127.0.0.1; returns (port, targets seen, stop)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    seen: list[str] = []

    def pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def serve():
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            head = b""
            while b"\r\n\r\n" not in head:
                head += client.recv(1024)
            target = head.split(b" ")[1].decode()
            seen.append(target)
            host, port = target.rsplit(":", 1)
            upstream = socket.create_connection((host, int(port)))
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return server.getsockname()[1], seen, server.close


def test_https_proxy_is_honoured(aeat, context, monkeypatch):
    port, seen, stop = _connect_proxy()
    try:
        for name in ("no_proxy", "NO_PROXY", "HTTPS_PROXY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{port}")
        answer = transport.submit(make_message(_records(1)), endpoint=aeat.url, context=context)
        assert answer.response.state == "Correcto"
        assert seen == [f"127.0.0.1:{aeat.port}"]
        monkeypatch.setenv("no_proxy", "127.0.0.1")
        transport.submit(make_message(_records(1, "B-")), endpoint=aeat.url, context=context)
        assert len(seen) == 1  # bypassed
    finally:
        stop()


# --- the query service (ConsultaFactuSistemaFacturacion) -------------------------------------

# The example answer of the description's §11.1.1.1, as AEAT printed it (the space before
# the closing tag's ">" included).
QUERY_ANSWER = """<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/">
   <env:Header/>
   <env:Body Id="Body">
      <tikLRRC:RespuestaConsultaFactuSistemaFacturacion
xmlns:tikLRRC="https://www2.agenciatributaria.gob.es/static_files/common/internet/dep/aplicaciones/es/aeat/tike/cont/ws/RespuestaConsultaLR.xsd"
xmlns:tik="https://www2.agenciatributaria.gob.es/static_files/common/internet/dep/aplicaciones/es/aeat/tike/cont/ws/SuministroInformacion.xsd">
         <tikLRRC:Cabecera>
            <tik:IDVersion>1.0</tik:IDVersion>
            <tik:ObligadoEmision>
               <tik:NombreRazon>EMPRESAXXXX</tik:NombreRazon>
               <tik:NIF>89890001K</tik:NIF>
            </tik:ObligadoEmision>
         </tikLRRC:Cabecera>
         <tikLRRC:PeriodoImputacion>
            <tikLRRC:Ejercicio>2024</tikLRRC:Ejercicio>
            <tikLRRC:Periodo>11</tikLRRC:Periodo>
         </tikLRRC:PeriodoImputacion>
         <tikLRRC:IndicadorPaginacion>N</tikLRRC:IndicadorPaginacion>
         <tikLRRC:ResultadoConsulta>ConDatos</tikLRRC:ResultadoConsulta>
         <tikLRRC:RegistroRespuestaConsultaFactuSistemaFacturacion>
            <tikLRRC:IDFactura>
                  <tik:IDEmisorFactura>89890001K</tik:IDEmisorFactura>
                  <tik:NumSerieFactura>88</tik:NumSerieFactura>
                  <tik:FechaExpedicionFactura>27-11-2024</tik:FechaExpedicionFactura>
            </tikLRRC:IDFactura>
            <tikLRRC:DatosRegistroFacturacion>
               <tikLRRC:TipoFactura>F1</tikLRRC:TipoFactura>
               <tikLRRC:DescripcionOperacion>Servicios de reparación</tikLRRC:DescripcionOperacion>
               <tikLRRC:Destinatarios>
                  <tikLRRC:IDDestinatario>
                         <tik:NombreRazon>yyyyyyyyyyyyy</tik:NombreRazon>
                         <tik:NIF>A84532509</tik:NIF>
                   </tikLRRC:IDDestinatario>
               </tikLRRC:Destinatarios>
               <tikLRRC:Cupon>N</tikLRRC:Cupon>
                  <tikLRRC:Desglose>
                     <tik:DetalleDesglose>
<tik:Impuesto>01</tik:Impuesto>
<tik:ClaveRegimen>01</tik:ClaveRegimen>
<tik:CalificacionOperacion>S1</tik:CalificacionOperacion>
                          <tik:TipoImpositivo>4</tik:TipoImpositivo>
                          <tik:BaseImponibleOimporteNoSujeto>1044.03</tik:BaseImponibleOimporteNoSujeto>
                          <tik:CuotaRepercutida>41.76</tik:CuotaRepercutida>
                     </tik:DetalleDesglose>
                  </tikLRRC:Desglose>
               <tikLRRC:CuotaTotal>41.76</tikLRRC:CuotaTotal>
               <tikLRRC:ImporteTotal>16976.37</tikLRRC:ImporteTotal>
               <tikLRRC:Encadenamiento>
                  <tikLRRC:RegistroAnterior>
                     <tik:IDEmisorFactura>89890001K</tik:IDEmisorFactura>
                     <tik:NumSerieFactura>87</tik:NumSerieFactura>
                     <tik:FechaExpedicionFactura>27-11-2024</tik:FechaExpedicionFactura>
                     <tik:Huella>3C464DAF61ACB827C65FDA19F352A4E3BDC2C640E9E9FC4CC058073F38F12F60</tik:Huella>
                  </tikLRRC:RegistroAnterior>
               </tikLRRC:Encadenamiento>
               <tikLRRC:FechaHoraHusoGenRegistro>2024-11-27T11:54:10+01:00</tikLRRC:FechaHoraHusoGenRegistro>
               <tikLRRC:TipoHuella>01</tikLRRC:TipoHuella>
               <tikLRRC:Huella>DAA7F72EEDC1AE8A294B7A011EC4A1EC2BE0E4DDB79AF3758377F8D61F38FE6B</tikLRRC:Huella>
</tikLRRC:DatosRegistroFacturacion>
            <tikLRRC:DatosPresentacion>
               <tik:NIFPresentador>89890002E</tik:NIFPresentador>
               <tik:TimestampPresentacion>2024-11-13T11:54:10+01:00</tik:TimestampPresentacion>
               <tik:IdPeticion>20241113115410360242</tik:IdPeticion>
            </tikLRRC:DatosPresentacion>
            <tikLRRC:EstadoRegistro>
               <tikLRRC:TimestampUltimaModificacion>2024-11-27T11:54:10+01:00</tikLRRC:TimestampUltimaModificacion>
               <tikLRRC:EstadoRegistro>Correcta</tikLRRC:EstadoRegistro>
            </tikLRRC:EstadoRegistro>
         </tikLRRC:RegistroRespuestaConsultaFactuSistemaFacturacion>
      </tikLRRC:RespuestaConsultaFactuSistemaFacturacion >
   </env:Body>
</env:Envelope>""".encode()


def test_the_query_is_aeat_s_consulta_in_the_envelope_of_its_example():
    from tui_crm.verifactu import schema as aeat_schema

    message = aeat_schema.build_query(
        "EMPRESA SL", "89890001K", year=2027, month=1,
        issued_from=dt.date(2027, 1, 2), issued_to=dt.date(2027, 1, 4),
        after=("89890001K", "F2027-00003", "04-01-2027"),
    )  # fmt: skip
    root = etree.fromstring(message)
    schema("query").assertValid(root)  # AEAT's ConsultaLR.xsd
    envelope = etree.fromstring(soap.wrap(message))
    schema("envelope").assertValid(envelope)
    assert envelope.nsmap == {"soapenv": SOAP_ENV, "con": soap.NS_QUERY, "sum": soap.NS_SF}
    (body,) = envelope.find(f"{{{SOAP_ENV}}}Body")
    sf, con = soap.NS_SF, soap.NS_QUERY
    assert body.findtext(f"{{{con}}}Cabecera/{{{sf}}}IDVersion") == "1.0"
    assert body.findtext(f"{{{con}}}Cabecera/{{{sf}}}ObligadoEmision/{{{sf}}}NIF") == "89890001K"
    period = body.find(f"{{{con}}}FiltroConsulta/{{{con}}}PeriodoImputacion")
    assert (period.findtext(f"{{{sf}}}Ejercicio"), period.findtext(f"{{{sf}}}Periodo")) == (
        "2027",
        "01",
    )
    span = body.find(f"{{{con}}}FiltroConsulta/{{{con}}}FechaExpedicionFactura")[0]
    assert [e.text for e in span] == ["02-01-2027", "04-01-2027"]
    key = body.find(f"{{{con}}}FiltroConsulta/{{{con}}}ClavePaginacion")
    assert [e.text for e in key] == ["89890001K", "F2027-00003", "04-01-2027"]
    with pytest.raises(aeat_schema.SchemaViolation):
        aeat_schema.build_query("EMPRESA SL", "NOT-A-NIF-AT-ALL", year=2027, month=13)


def test_aeat_s_example_answer_to_a_query_is_read():
    answer = soap.parse_query_response(QUERY_ANSWER)
    assert (answer.issuer_nif, answer.year, answer.period) == ("89890001K", "2024", "11")
    assert answer.found and not answer.more and answer.next_key is None
    (held,) = answer.records
    assert held.invoice == soap.InvoiceId("89890001K", "88", "27-11-2024")
    assert held.hash == "DAA7F72EEDC1AE8A294B7A011EC4A1EC2BE0E4DDB79AF3758377F8D61F38FE6B"
    assert (held.state, held.error_code, held.error) == ("Correcta", None, "")
    assert held.request_id == "20241113115410360242" and held.presenter_nif == "89890002E"
    assert held.presented_at == dt.datetime(
        2024, 11, 13, 11, 54, 10, tzinfo=dt.timezone(dt.timedelta(hours=1))
    )
    broken = QUERY_ANSWER.replace(b">Correcta<", b">Registrada<")
    with pytest.raises(soap.MalformedResponse, match="EstadoRegistro"):
        soap.parse_query_response(broken)
    paged = QUERY_ANSWER.replace(b"IndicadorPaginacion>N<", b"IndicadorPaginacion>S<")
    with pytest.raises(soap.MalformedResponse, match="ClavePaginacion"):
        soap.parse_query_response(paged)


def test_a_query_over_mutual_tls_gets_what_the_stand_in_holds(aeat, context):
    from tui_crm.verifactu import schema as aeat_schema

    records = _records(3)
    sent = transport.submit(make_message(records), endpoint=aeat.url, context=context)
    assert sent.response.state == "Correcto"
    aeat.query_page_size = 2
    asked = aeat_schema.build_query(
        "PRUEBAS VERIFACTU SL", "89890001K", year=TODAY.year, month=TODAY.month
    )
    first = transport.query(asked, endpoint=aeat.url, context=context)
    assert first.response.found and first.response.more
    assert [h.invoice.number for h in first.response.records] == ["F2026-00001", "F2026-00002"]
    key = first.response.next_key
    assert key is not None and key.number == "F2026-00002"
    again = aeat_schema.build_query(
        "PRUEBAS VERIFACTU SL", "89890001K", year=TODAY.year, month=TODAY.month,
        after=(key.issuer_nif, key.number, key.issue_date),
    )  # fmt: skip
    second = transport.query(again, endpoint=aeat.url, context=context)
    assert not second.response.more
    ((held),) = second.response.records
    assert held.invoice.number == "F2026-00003" and held.state == "Correcta"
    assert len(held.hash) == 64 and held.request_id
    # the stand-in's answers match the description's structure; nothing it got was invalid
    for raw in (first.raw, second.raw):
        schema("query-response").assertValid(etree.fromstring(raw)[1][0])
    assert aeat.invalid == [] and len(aeat.queries) == 2
    other = aeat_schema.build_query("X", "89890001K", year=TODAY.year - 1, month=TODAY.month)
    empty = transport.query(other, endpoint=aeat.url, context=context)
    assert not empty.response.found and empty.response.records == ()


def test_a_query_that_is_not_consultalr_is_refused_by_the_stand_in(aeat, context):
    bogus = (
        f'<con:ConsultaFactuSistemaFacturacion xmlns:con="{soap.NS_QUERY}">'
        "<con:Cabecera/></con:ConsultaFactuSistemaFacturacion>"
    ).encode()
    with pytest.raises(transport.FaultError, match="4102"):
        transport.query(bogus, endpoint=aeat.url, context=context)
    assert aeat.invalid and aeat.queries == []
