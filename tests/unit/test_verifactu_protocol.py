"""The protocol side of VERI*FACTU, headless: AEAT's worked examples of the hash, the XML of
records checked against AEAT's schemas, the submission message, the QR code's URL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from tui_crm.verifactu import formats, huella, qr, records, schema
from tui_crm.verifactu.chain import Link, verify_chain
from tui_crm.verifactu.records import (
    Alta,
    Anulacion,
    Detail,
    InvoiceId,
    Party,
    Previous,
    Rectified,
    build_alta,
    build_anulacion,
)
from tui_crm.verifactu.system import this_system

NIF = "89890001K"  # AEAT's test NIF, used only in tests
SHARED = Path(__file__).resolve().parents[2] / "tui_crm" / "verifactu" / "xsd"

# --- AEAT's worked examples (hash specification v0.1.2, section 6) -------------------

CASE_1 = "3C464DAF61ACB827C65FDA19F352A4E3BDC2C640E9E9FC4CC058073F38F12F60"
CASE_2 = "F7B94CFD8924EDFF273501B01EE5153E4CE8F259766F88CF6ACB8935802A2B97"
CASE_3 = "177547C0D57AC74748561D054A9CEC14B4C4EA23D1BEFD6F2E69E3A388F90C68"


def test_case_1_first_alta_record() -> None:
    text = huella.alta_input(
        issuer_nif=NIF,
        number="12345678/G33",
        issue_date="01-01-2024",
        invoice_type="F1",
        vat_total="12.35",
        total="123.45",
        previous_hash="",
        generated_at="2024-01-01T19:20:30+01:00",
    )
    assert text == (
        "IDEmisorFactura=89890001K&NumSerieFactura=12345678/G33&FechaExpedicionFactura="
        "01-01-2024&TipoFactura=F1&CuotaTotal=12.35&ImporteTotal=123.45&Huella=&"
        "FechaHoraHusoGenRegistro=2024-01-01T19:20:30+01:00"
    )
    assert huella.sha256_upper(text) == CASE_1


def test_case_2_second_alta_record() -> None:
    assert (
        huella.alta_hash(
            issuer_nif=NIF,
            number="12345679/G34",
            issue_date="01-01-2024",
            invoice_type="F1",
            vat_total="12.35",
            total="123.45",
            previous_hash=CASE_1,
            generated_at="2024-01-01T19:20:35+01:00",
        )
        == CASE_2
    )


def test_case_3_anulacion_record() -> None:
    text = huella.anulacion_input(
        issuer_nif=NIF,
        number="12345679/G34",
        issue_date="01-01-2024",
        previous_hash=CASE_2,
        generated_at="2024-01-01T19:20:40+01:00",
    )
    assert text.startswith("IDEmisorFacturaAnulada=89890001K&NumSerieFacturaAnulada=")
    assert huella.sha256_upper(text) == CASE_3


def test_values_are_trimmed_and_empty_ones_written_bare() -> None:
    spaced = huella.alta_input(
        issuer_nif=" 89890001K ",
        number="    12345678 / G33  ",
        issue_date="01-01-2024",
        invoice_type="F1",
        vat_total="12.35",
        total="123.45",
        previous_hash="",
        generated_at="2024-01-01T19:20:30+01:00",
    )
    assert "NumSerieFactura=12345678 / G33&" in spaced  # inner spaces stay
    assert "IDEmisorFactura=89890001K&" in spaced
    assert "&Huella=&" in spaced


def test_the_xml_of_aeat_case_1_carries_the_same_hash() -> None:
    """Built as a record, AEAT's first example hashes to AEAT's value: the amounts,
    dates and time that go into the XML are exactly the ones hashed."""
    built = build_alta(
        Alta(
            invoice=InvoiceId(NIF, "12345678/G33", dt.date(2024, 1, 1)),
            issuer_name="Empresa de pruebas SL",
            invoice_type="F1",
            description="Servicios",
            details=(_taxed("102.10", "21", "12.35"),),  # 102.10 + 12.35 = 114.45 (≠123.45 ok)
            vat_total=Decimal("12.35"),
            total=Decimal("123.45"),
            system=this_system("1"),
            generated_at="2024-01-01T19:20:30+01:00",
            previous=None,
            recipients=(Party("Cliente SA", nif="B12345674"),),
        )
    )
    assert built.hash == CASE_1
    fields = records.read_fields(built.xml)
    assert records.recompute_hash(fields) == CASE_1
    assert (fields.vat_total, fields.total, fields.issue_date) == ("12.35", "123.45", "01-01-2024")


# --- formats ----------------------------------------------------------------------


def test_amounts_dates_and_times_as_aeat_writes_them() -> None:
    assert formats.amount(Decimal("1234.5")) == "1234.50"
    assert formats.amount(Decimal("-0.40")) == "-0.40"
    assert formats.amount(Decimal("-0.00")) == "0.00"
    with pytest.raises(formats.FormatError):
        formats.amount(Decimal("1.234"))
    assert formats.date(dt.date(2014, 7, 2)) == "02-07-2014"
    winter = dt.datetime(2026, 1, 15, 9, 20, 30, tzinfo=dt.UTC)
    summer = dt.datetime(2026, 7, 15, 9, 20, 30, 123456, tzinfo=dt.UTC)
    assert formats.timestamp(winter) == "2026-01-15T10:20:30+01:00"
    assert formats.timestamp(summer) == "2026-07-15T11:20:30+02:00"
    with pytest.raises(formats.FormatError):
        formats.timestamp(dt.datetime(2026, 1, 1))


# --- records against AEAT's schemas ---------------------------------------------------


def _taxed(base: str, rate: str, vat: str, recargo_rate: str = "", recargo: str = "") -> Detail:
    return Detail(
        base=Decimal(base),
        qualification="S1",
        vat_rate=Decimal(rate),
        vat=Decimal(vat),
        recargo_rate=Decimal(recargo_rate) if recargo_rate else None,
        recargo=Decimal(recargo) if recargo else None,
    )


PREVIOUS = Previous(NIF, "F2026-00001", dt.date(2026, 1, 2), CASE_2)
RECIPIENT = Party("Cliente SA", nif="B12345674")


def _alta(**changes) -> Alta:
    values = {
        "invoice": InvoiceId(NIF, "F2026-00002", dt.date(2026, 1, 3)),
        "issuer_name": "Empresa de pruebas SL",
        "invoice_type": "F1",
        "description": "Consultoría de enero",
        "details": (_taxed("1000.00", "21", "210.00"),),
        "vat_total": Decimal("210.00"),
        "total": Decimal("1210.00"),
        "system": this_system("20260101120000"),
        "generated_at": "2026-01-03T10:00:00+01:00",
        "previous": PREVIOUS,
        "recipients": (RECIPIENT,),
    }
    values.update(changes)
    return Alta(**values)


ORIGINAL = InvoiceId(NIF, "F2026-00001", dt.date(2026, 1, 2))
SIMPLIFIED = InvoiceId(NIF, "S2026-00007", dt.date(2026, 1, 2))

KINDS = {
    "F1": _alta(),
    "F1 first record": _alta(previous=None),
    "F1 several rates with recargo": _alta(
        details=(
            _taxed("100.00", "21", "21.00", "5.2", "5.20"),
            _taxed("50.00", "10", "5.00", "1.4", "0.70"),
            _taxed("10.00", "4", "0.40", "0.5", "0.05"),
        ),
        vat_total=Decimal("32.35"),
        total=Decimal("192.35"),
    ),
    "F1 exempt": _alta(
        details=(Detail(base=Decimal("500.00"), exemption="E1"),),
        vat_total=Decimal("0.00"),
        total=Decimal("500.00"),
    ),
    "F1 export": _alta(
        details=(Detail(base=Decimal("500.00"), regime="02", exemption="E2"),),
        vat_total=Decimal("0.00"),
        total=Decimal("500.00"),
    ),
    "F1 not subject": _alta(
        details=(Detail(base=Decimal("500.00"), qualification="N2"),),
        vat_total=Decimal("0.00"),
        total=Decimal("500.00"),
        recipients=(Party("Client Ltd", country="US", id_type="04", other_id="98-7654321"),),
    ),
    "F1 EU recipient": _alta(
        details=(Detail(base=Decimal("500.00"), exemption="E5"),),
        vat_total=Decimal("0.00"),
        total=Decimal("500.00"),
        recipients=(Party("Société SA", country="FR", id_type="02", other_id="FR40303265045"),),
    ),
    "F1 with IRPF (withholding is not in the record)": _alta(operation_date=dt.date(2026, 1, 1)),
    "F2": _alta(
        invoice_type="F2",
        recipients=(),
        details=(_taxed("100.00", "21", "21.00"),),
        vat_total=Decimal("21.00"),
        total=Decimal("121.00"),
    ),
    "F3": _alta(invoice_type="F3", replaced=(SIMPLIFIED,)),
    **{
        f"{kind} by difference": _alta(
            invoice_type=kind,
            rectification_kind="I",
            rectified=(ORIGINAL,),
            details=(_taxed("-100.00", "21", "-21.00"),),
            vat_total=Decimal("-21.00"),
            total=Decimal("-121.00"),
        )
        for kind in ("R1", "R2", "R3", "R4")
    },
    **{
        f"{kind} by substitution": _alta(
            invoice_type=kind,
            rectification_kind="S",
            rectified=(ORIGINAL,),
            rectified_amounts=Rectified(Decimal("1000.00"), Decimal("210.00")),
        )
        for kind in ("R1", "R2", "R3", "R4")
    },
    "R5 by difference": _alta(
        invoice_type="R5",
        recipients=(),
        rectification_kind="I",
        rectified=(SIMPLIFIED,),
        details=(_taxed("-10.00", "21", "-2.10"),),
        vat_total=Decimal("-2.10"),
        total=Decimal("-12.10"),
    ),
    "R5 by substitution with recargo": _alta(
        invoice_type="R5",
        recipients=(),
        rectification_kind="S",
        rectified=(SIMPLIFIED,),
        rectified_amounts=Rectified(Decimal("100.00"), Decimal("21.00"), Decimal("5.20")),
        details=(_taxed("90.00", "21", "18.90", "5.2", "4.68"),),
        vat_total=Decimal("23.58"),
        total=Decimal("113.58"),
    ),
    "subsanación": _alta(subsanacion=True),
    "subsanación after a rejection": _alta(subsanacion=True, rechazo_previo="X"),
    "subsanación after a rejected subsanación": _alta(subsanacion=True, rechazo_previo="S"),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_alta_validates_against_aeat_schema(kind: str) -> None:
    built = build_alta(KINDS[kind])
    schema.validate(built.xml)
    assert records.recompute_hash(records.read_fields(built.xml)) == built.hash
    message = schema.build_message("Empresa de pruebas SL", NIF, [built.xml])
    assert built.xml in message  # the record goes out exactly as stored


@pytest.mark.parametrize(
    ("rechazo", "sin_registro"), [(False, False), (True, False), (False, True), (True, True)]
)
def test_every_anulacion_validates_against_aeat_schema(rechazo: bool, sin_registro: bool) -> None:
    built = build_anulacion(
        Anulacion(
            invoice=ORIGINAL,
            system=this_system("7"),
            generated_at="2026-01-04T10:00:00+01:00",
            previous=PREVIOUS,
            rechazo_previo=rechazo,
            sin_registro_previo=sin_registro,
        )
    )
    schema.validate(built.xml)
    root = etree.fromstring(built.xml)
    assert (root.find(f"{{{records.SF}}}RechazoPrevio") is not None) == rechazo
    assert (root.find(f"{{{records.SF}}}SinRegistroPrevio") is not None) == sin_registro
    assert records.recompute_hash(records.read_fields(built.xml)) == built.hash


def test_the_schema_refuses_what_aeat_would() -> None:
    bad = build_alta(_alta(invoice_type="F9")).xml
    with pytest.raises(schema.SchemaViolation, match="TipoFactura"):
        schema.validate(bad)
    long_number = build_alta(_alta(invoice=InvoiceId(NIF, "X" * 61, dt.date(2026, 1, 3)))).xml
    with pytest.raises(schema.SchemaViolation):
        schema.validate(long_number)
    with pytest.raises(schema.SchemaViolation, match="well-formed"):
        schema.validate(b"<RegistroAlta>")


def test_a_message_holds_one_to_a_thousand_records_of_its_issuer() -> None:
    record = build_alta(_alta()).xml
    message = schema.build_message("Empresa de pruebas SL", NIF, [record] * 1000)
    root = etree.fromstring(message)
    assert root.tag == f"{{{schema.LR}}}RegFactuSistemaFacturacion"
    assert len(root.findall(f"{{{schema.LR}}}RegistroFactura")) == 1000
    assert root.findtext(f".//{{{records.SF}}}ObligadoEmision/{{{records.SF}}}NIF") == NIF
    assert message.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    with pytest.raises(schema.SchemaViolation, match="1000"):
        schema.build_message("Empresa", NIF, [record] * 1001)
    with pytest.raises(schema.SchemaViolation, match="at least one"):
        schema.build_message("Empresa", NIF, [])
    with pytest.raises(schema.SchemaViolation, match="B12345674"):
        schema.build_message("Otra", "B12345674", [record])


def test_schemas_load_from_the_shipped_files_only(monkeypatch) -> None:
    """The imports resolve to the files in the package; nothing is fetched."""
    resolver = schema._ShippedSchemas()
    with pytest.raises(schema.SchemaViolation, match="outside"):
        resolver.resolve("http://www.w3.org/2001/XMLSchema.dtd", None, None)
    assert {p.name for p in SHARED.iterdir()} >= schema._SCHEMA_FILES


# --- the QR code ---------------------------------------------------------------------


def test_qr_url_as_aeat_specifies_it() -> None:
    url = qr.qr_url(
        issuer_nif=NIF,
        number="12345678&G33",
        issue_date=dt.date(2024, 1, 1),
        total="241.40",
        environment="test",
    )
    assert url == (
        "https://prewww2.aeat.es/wlpl/TIKE-CONT/ValidarQR?nif=89890001K&numserie=12345678%26G33"
        "&fecha=01-01-2024&importe=241.40"
    )
    production = qr.qr_url(
        issuer_nif=NIF,
        number="12345678-G33",
        issue_date="01-09-2024",
        total="241.40",
        environment="production",
    )
    assert production.startswith("https://www2.agenciatributaria.gob.es/wlpl/TIKE-CONT/ValidarQR?")
    assert production.endswith("numserie=12345678-G33&fecha=01-09-2024&importe=241.40")


def test_qr_png_decodes_to_the_url() -> None:
    import io

    import zxingcpp
    from PIL import Image

    url = qr.qr_url(
        issuer_nif=NIF,
        number="F2026/7 A",
        issue_date="03-01-2026",
        total="1.00",
        environment="test",
    )
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.qr_png(url))))
    assert [d.text for d in decoded] == [url]
    assert decoded[0].ec_level == "M"


# --- the generic chain check -----------------------------------------------------------


def _links(n: int) -> list[Link[int]]:
    out, previous = [], ""
    for position in range(1, n + 1):
        digest = huella.sha256_upper(f"{previous}{position}")
        out.append(Link(position, position, digest, previous, digest))
        previous = digest
    return out


def test_a_sound_chain_has_no_breaks_and_each_tampering_is_named() -> None:
    links = _links(6)
    assert list(verify_chain(links)) == []
    changed = list(links)
    changed[2] = Link(3, 3, links[2].stored_hash, links[2].previous_hash, "0" * 64)
    assert [(b.key, b.kind) for b in verify_chain(changed)] == [(3, "hash")]
    gap = links[:3] + links[4:]
    assert ("gap", 5) in {(b.kind, b.key) for b in verify_chain(gap)}
    assert ("link", 5) in {(b.kind, b.key) for b in verify_chain(gap)}
    fork = [*links[:4], Link(9, 4, "F" * 64, links[2].stored_hash, "F" * 64), *links[4:]]
    kinds = {(b.kind, b.key) for b in verify_chain(fork)}
    assert ("repeat", 9) in kinds
    bad_first = [Link(1, 1, links[0].stored_hash, "A" * 64, links[0].stored_hash), *links[1:]]
    assert [(b.kind, b.key) for b in verify_chain(bad_first)] == [("first", 1)]
