"""VERI*FACTU business rules on a real database: the registro de alta made where the invoice
is numbered, every type of invoice, voiding with a registro de anulación, correcting what
AEAT refused, the settings that cannot go back, and `check` catching a hand-made change."""

from __future__ import annotations

import datetime as dt
import sqlite3

import peewee
import pytest
from invoicing_support import D, draft, line, make_client, set_issuer
from lxml import etree

from tui_crm.db import execute
from tui_crm.models import Invoice, VerifactuRecord
from tui_crm.services import (
    analytics,
    invoices,
    maintenance,
    payments,
    receivables,
    session,
    settings,
    verifactu,
)
from tui_crm.services.errors import PermissionDenied, RuleViolation, ValidationError
from tui_crm.verifactu import formats, records, schema
from tui_crm.verifactu.records import SF

NS = {"sf": SF}
TODAY = dt.date.today()


@pytest.fixture
def vf(db):
    """A business with VERI*FACTU on and one client with a Spanish NIF."""
    set_issuer()
    settings.set_value("verifactu.enabled", "yes")
    return make_client("Peña y Muñoz SL", "A58818501")


def xml_of(record: VerifactuRecord) -> etree._Element:
    return etree.fromstring(record.xml.encode())


def text(root: etree._Element, path: str) -> str | None:
    return root.findtext(path, namespaces=NS)


def latest(invoice_id: int) -> VerifactuRecord:
    return (
        VerifactuRecord.select()
        .where(VerifactuRecord.invoice == invoice_id)
        .order_by(VerifactuRecord.sequence.desc())
        .get()
    )


def issue(client_id: int, *lines, **kw):
    return invoices.issue_invoice(draft(client_id, *lines, **kw))


# --- the record is made where the invoice is numbered --------------------------------


def test_no_record_while_verifactu_is_off(db) -> None:
    set_issuer()
    client = make_client()
    issue(client)
    assert VerifactuRecord.select().count() == 0
    assert verifactu.invoice_record_state(Invoice.get().id).kind == "none"


def test_issuing_writes_the_chained_alta_with_every_field(vf) -> None:
    first = issue(vf, line("Diseño web", price="1000"), irpf_rate=D(15))
    second = issue(vf, line("Mantenimiento", quantity="2", price="50.25"))
    one, two = latest(first.id), latest(second.id)
    assert (one.sequence, two.sequence) == (1, 2)
    assert one.first_record and not two.first_record
    assert two.previous_hash == one.hash and two.previous_number == first.code
    root = xml_of(one)
    schema.validate(one.xml.encode())
    assert text(root, "sf:IDVersion") == "1.0"
    assert text(root, "sf:IDFactura/sf:IDEmisorFactura") == "B12345674"
    assert text(root, "sf:IDFactura/sf:NumSerieFactura") == first.code
    assert text(root, "sf:IDFactura/sf:FechaExpedicionFactura") == formats.date(TODAY)
    assert text(root, "sf:NombreRazonEmisor") == "Diseño Núñez SL"
    assert text(root, "sf:TipoFactura") == "F1"
    assert text(root, "sf:DescripcionOperacion") == "Diseño web"
    assert text(root, "sf:Destinatarios/sf:IDDestinatario/sf:NIF") == "A58818501"
    assert text(root, "sf:Destinatarios/sf:IDDestinatario/sf:NombreRazon") == "Peña y Muñoz SL"
    detail = "sf:Desglose/sf:DetalleDesglose/"
    assert text(root, detail + "sf:ClaveRegimen") == "01"
    assert text(root, detail + "sf:CalificacionOperacion") == "S1"
    assert text(root, detail + "sf:TipoImpositivo") == "21.00"
    assert text(root, detail + "sf:BaseImponibleOimporteNoSujeto") == "1000.00"
    assert text(root, detail + "sf:CuotaRepercutida") == "210.00"
    # IRPF is not part of the record: ImporteTotal is base plus taxes (AEAT FAQ 20).
    assert first.total == D("1060.00")
    assert (text(root, "sf:CuotaTotal"), text(root, "sf:ImporteTotal")) == ("210.00", "1210.00")
    assert (one.vat_total, one.total) == ("210.00", "1210.00")
    assert text(root, "sf:Encadenamiento/sf:PrimerRegistro") == "S"
    assert text(root, "sf:SistemaInformatico/sf:IdSistemaInformatico") == "TC"
    assert text(root, "sf:SistemaInformatico/sf:TipoUsoPosibleSoloVerifactu") == "S"
    assert text(root, "sf:SistemaInformatico/sf:NumeroInstalacion") == settings.get(
        "verifactu.installation"
    )
    assert text(root, "sf:TipoHuella") == "01"
    assert text(root, "sf:Huella") == one.hash
    generated = formats.parse_timestamp(text(root, "sf:FechaHoraHusoGenRegistro"))
    assert generated.utcoffset() in (dt.timedelta(hours=1), dt.timedelta(hours=2))
    chained = xml_of(two)
    assert text(chained, "sf:Encadenamiento/sf:RegistroAnterior/sf:Huella") == one.hash
    assert text(chained, "sf:Encadenamiento/sf:RegistroAnterior/sf:NumSerieFactura") == first.code
    assert one.status == "pending" and one.environment == "test"
    assert verifactu.verify_chain()[0].level == "ok"


def test_several_rates_with_recargo_and_operation_date(vf) -> None:
    client = make_client("Tienda Recargo SL", "B60889649", recargo=True)
    invoice = issue(
        client,
        line("Camisetas", price="100"),
        line("Libros", price="50", vat="4"),
        operation_date=TODAY - dt.timedelta(days=3),
    )
    root = xml_of(latest(invoice.id))
    details = root.findall("sf:Desglose/sf:DetalleDesglose", NS)
    assert [
        (text(d, "sf:TipoImpositivo"), text(d, "sf:TipoRecargoEquivalencia")) for d in details
    ] == [
        ("21.00", "5.20"),
        ("4.00", "0.50"),
    ]
    assert [text(d, "sf:CuotaRecargoEquivalencia") for d in details] == ["5.20", "0.25"]
    assert text(root, "sf:CuotaTotal") == "28.45"  # 21 + 5.20 + 2 + 0.25
    assert text(root, "sf:ImporteTotal") == "178.45"
    assert text(root, "sf:FechaOperacion") == formats.date(TODAY - dt.timedelta(days=3))


@pytest.mark.parametrize(
    ("reason", "chosen", "expected"),
    [
        ("Exenta de IVA, art. 20.Uno.9º Ley 37/1992", None, ("01", "E1", None)),
        ("Exenta, artículo 21 LIVA: exportación", None, ("02", "E2", None)),
        ("Exenta de IVA, art. 25 Ley 37/1992", None, ("01", "E5", None)),
        ("Operación no sujeta por reglas de localización", None, ("01", None, "N2")),
        ("No sujeta, art. 7 LIVA", None, ("01", None, "N1")),
        ("Servicio exento", "N2", ("01", None, "N2")),
    ],
)
def test_exempt_and_not_subject(vf, reason: str, chosen: str | None, expected) -> None:
    invoice = issue(
        vf, line("Curso", price="300", vat="0"), exemption_reason=reason, exemption_code=chosen
    )
    detail = xml_of(latest(invoice.id)).find("sf:Desglose/sf:DetalleDesglose", NS)
    found = (
        text(detail, "sf:ClaveRegimen"),
        text(detail, "sf:OperacionExenta"),
        text(detail, "sf:CalificacionOperacion"),
    )
    assert found == expected
    assert text(detail, "sf:TipoImpositivo") is None and text(detail, "sf:CuotaRepercutida") is None
    assert text(detail, "sf:BaseImponibleOimporteNoSujeto") == "300.00"
    schema.validate(latest(invoice.id).xml.encode())


def test_an_unknown_exemption_code_is_refused_by_name(vf) -> None:
    with pytest.raises(ValidationError) as info:
        draft(vf, line(vat="0"), exemption_reason="Exenta", exemption_code="E9")
    assert "exemption_code" in info.value.errors
    with pytest.raises(ValidationError) as info:
        draft(vf, line(), exemption_code="E1")
    assert "exemption_code" in info.value.errors


def test_foreign_recipients_are_identified_by_idotro(vf) -> None:
    from tui_crm.services import clients

    french = clients.create_client(
        clients.ClientInput(legal_name="Société Générale", tax_id="FR40303265045", vat_rate=D(0))
    )
    invoice = issue(
        french,
        line("Conseil", vat="0"),
        exemption_reason="Exenta de IVA, art. 25 Ley 37/1992",
    )
    recipient = xml_of(latest(invoice.id)).find("sf:Destinatarios/sf:IDDestinatario", NS)
    assert text(recipient, "sf:NIF") is None
    assert text(recipient, "sf:IDOtro/sf:IDType") == "02"
    assert text(recipient, "sf:IDOtro/sf:ID") == "FR40303265045"


# --- simplified invoices -------------------------------------------------------------


def test_simplified_invoice_f2_has_no_recipient_and_a_limit(vf) -> None:
    from tui_crm.services import clients

    walk_in = clients.create_client(clients.ClientInput(legal_name="Cliente de contado"))
    with pytest.raises(RuleViolation, match="tax ID"):
        issue(walk_in, line(price="10"))  # a complete invoice needs the recipient's tax ID
    ticket = issue(walk_in, line("Café", quantity="3", price="1.50"), invoice_type="F2")
    detail = invoices.get_invoice(ticket.id)
    assert (
        detail.invoice_type == "F2" and detail.client_tax_id == "" and detail.client_address == ""
    )
    root = xml_of(latest(ticket.id))
    assert text(root, "sf:TipoFactura") == "F2"
    assert root.find("sf:Destinatarios", NS) is None
    # Up to 400 € with IVA; 330.58 + 21 % = 400.00 passes, a cent more does not.
    issue(walk_in, line(price="330.58"), invoice_type="F2")
    too_much = draft(walk_in, line(price="330.59"), invoice_type="F2")
    with pytest.raises(RuleViolation, match="400"):
        invoices.issue_invoice(too_much)
    assert Invoice.get_by_id(too_much).status == "draft"  # nothing numbered, nothing recorded
    settings.set_value("invoice.simplified_limit", "3000")
    invoices.issue_invoice(too_much)
    with pytest.raises(RuleViolation, match="3000"):
        issue(walk_in, line(price="2500"), invoice_type="F2")
    with pytest.raises(RuleViolation, match="EU"):
        issue(walk_in, line(vat="0"), invoice_type="F2", exemption_reason="Exenta, art. 25")
    assert verifactu.verify_chain()[0].level == "ok"


def test_f3_replaces_simplified_invoices(vf) -> None:
    ticket = issue(vf, line(price="10"), invoice_type="F2")
    with pytest.raises(ValidationError) as info:
        draft(vf, line(), invoice_type="F1", replaces=[ticket.code])
    assert "replaces" in info.value.errors
    normal = issue(vf, line())
    with pytest.raises(ValidationError, match="simplified"):
        draft(vf, line(), invoice_type="F3", replaces=[normal.code])
    full = issue(vf, line(price="10"), invoice_type="F3", replaces=[ticket.code])
    assert invoices.get_invoice(full.id).replaces == (ticket.code,)
    root = xml_of(latest(full.id))
    assert text(root, "sf:TipoFactura") == "F3"
    replaced = "sf:FacturasSustituidas/sf:IDFacturaSustituida/"
    assert text(root, replaced + "sf:NumSerieFactura") == ticket.code
    assert text(root, "sf:Destinatarios/sf:IDDestinatario/sf:NIF") == "A58818501"
    with pytest.raises((peewee.IntegrityError, peewee.DatabaseError, sqlite3.DatabaseError)):
        execute("DELETE FROM invoice_replaced WHERE invoice_id = ?", (full.id,))


# --- rectifying invoices --------------------------------------------------------------


@pytest.mark.parametrize("cause", ["R1", "R2", "R3", "R4"])
def test_rectifying_by_difference_with_its_legal_cause(vf, cause: str) -> None:
    original = issue(vf, line(price="100"))
    rect_id = invoices.create_rectifying_draft(original.id, "difference", "Descuento", cause=cause)
    rect = invoices.issue_invoice(rect_id)
    root = xml_of(latest(rect.id))
    assert text(root, "sf:TipoFactura") == cause
    assert text(root, "sf:TipoRectificativa") == "I"
    assert text(root, "sf:FacturasRectificadas/sf:IDFacturaRectificada/sf:NumSerieFactura") == (
        original.code
    )
    assert root.find("sf:ImporteRectificacion", NS) is None
    assert (text(root, "sf:CuotaTotal"), text(root, "sf:ImporteTotal")) == ("-21.00", "-121.00")
    assert (
        text(root, "sf:DescripcionOperacion")
        == f"Factura rectificativa de {original.code}: Descuento"
    )
    schema.validate(latest(rect.id).xml.encode())


def test_rectifying_by_substitution_states_the_new_amounts(vf) -> None:
    original = issue(vf, line(price="100"))
    rect_id = invoices.create_rectifying_draft(
        original.id, "replacement", "Precio equivocado", [line(price="80")], cause="R1"
    )
    rect = invoices.issue_invoice(rect_id)
    root = xml_of(latest(rect.id))
    assert text(root, "sf:TipoRectificativa") == "S"
    assert text(root, "sf:ImporteRectificacion/sf:BaseRectificada") == "100.00"
    assert text(root, "sf:ImporteRectificacion/sf:CuotaRectificada") == "21.00"
    assert text(root, "sf:Desglose/sf:DetalleDesglose/sf:BaseImponibleOimporteNoSujeto") == "80.00"
    assert (text(root, "sf:CuotaTotal"), text(root, "sf:ImporteTotal")) == ("16.80", "96.80")
    assert invoices.get_invoice(rect.id).totals.total == D("-24.20")  # the net correction
    assert verifactu.verify_chain()[0].level == "ok"


def test_a_simplified_invoice_is_rectified_by_an_r5(vf) -> None:
    ticket = issue(vf, line(price="10"), invoice_type="F2")
    rect = invoices.issue_invoice(
        invoices.create_rectifying_draft(ticket.id, "difference", "Devolución", cause="R2")
    )
    root = xml_of(latest(rect.id))
    assert text(root, "sf:TipoFactura") == "R5"
    assert root.find("sf:Destinatarios", NS) is None
    with pytest.raises(ValidationError):
        invoices.create_rectifying_draft(issue(vf, line()).id, "difference", "x", cause="R9")


# --- voiding ---------------------------------------------------------------------------


def test_voiding_keeps_the_invoice_and_chains_an_anulacion(vf) -> None:
    keep = issue(vf, line(price="500"))
    wrong = issue(vf, line(price="1000"))
    as_of = TODAY
    billed = receivables.total_billing(receivables.ReceivablesFilter(as_of=as_of))
    result = verifactu.void_invoice(wrong.id, "Emitida por error: no hubo venta")
    detail = invoices.get_invoice(wrong.id)
    assert detail.status == "voided" and detail.outstanding == 0 and detail.code == wrong.code
    assert detail.void_reason == "Emitida por error: no hubo venta"
    record = VerifactuRecord.get_by_id(result.record_id)
    assert record.record_type == "anulacion" and record.sequence == 3
    assert record.previous_hash == latest(keep.id).hash or record.previous_hash == (
        VerifactuRecord.get(VerifactuRecord.sequence == 2).hash
    )
    root = xml_of(record)
    assert root.tag == f"{{{SF}}}RegistroAnulacion"
    assert text(root, "sf:IDFactura/sf:NumSerieFacturaAnulada") == wrong.code
    assert root.find("sf:SinRegistroPrevio", NS) is None  # its alta went (or goes) first
    schema.validate(record.xml.encode())
    # It no longer counts anywhere: receivables, revenue, the client's figures.
    assert receivables.total_billing(receivables.ReceivablesFilter(as_of=as_of)) == billed - D(
        "1210.00"
    )
    assert analytics.business_revenue(None, as_of) == D("500.00")
    row = execute(
        "SELECT revenue_total_cents, outstanding_cents FROM client WHERE id = ?", (vf,)
    ).fetchone()
    assert row == (50000, 60500)
    assert (
        execute("SELECT base_cents FROM client_revenue WHERE client_id = ?", (vf,)).fetchone()[0]
        == 50000
    )
    unpaid = receivables.list_receivables(receivables.ReceivablesFilter(as_of=as_of))
    assert [r.code for r in unpaid] == [keep.code]
    state = verifactu.invoice_record_state(wrong.id)
    assert state.record_type == "anulacion" and state.voided
    assert verifactu.verify_chain()[0].level == "ok"


def test_what_may_not_be_voided(vf) -> None:
    paid = issue(vf, line(price="100"))
    payments.register_payment(vf, TODAY, D("121.00"), allocations=[(paid.id, D("121.00"))])
    with pytest.raises(RuleViolation, match="payments"):
        verifactu.void_invoice(paid.id, "error")
    rectified = issue(vf, line(price="100"))
    invoices.create_rectifying_draft(rectified.id, "difference", "Descuento")
    with pytest.raises(RuleViolation, match="rectifying"):
        verifactu.void_invoice(rectified.id, "error")
    plain = issue(vf, line(price="100"))
    with pytest.raises(ValidationError):
        verifactu.void_invoice(plain.id, "  ")
    with pytest.raises(RuleViolation, match="draft"):
        verifactu.void_invoice(draft(vf, line()), "error")
    verifactu.void_invoice(plain.id, "error")
    with pytest.raises(RuleViolation, match="already voided"):
        verifactu.void_invoice(plain.id, "again")
    with pytest.raises(RuleViolation, match="voided"):
        invoices.create_rectifying_draft(plain.id, "difference", "x")
    # Only an admin voids.
    session.set_actor(session.Actor("ana", "accounting"))
    try:
        with pytest.raises(PermissionDenied):
            verifactu.void_invoice(issue(vf, line()).id, "error")
    finally:
        session.set_actor(session.Actor("tester", "admin"))


def test_voiding_an_invoice_issued_before_verifactu_says_it_was_never_registered(db) -> None:
    set_issuer()
    client = make_client()
    old = issue(client, line())
    settings.set_value("verifactu.enabled", "yes")
    result = verifactu.void_invoice(old.id, "Factura de pruebas")
    root = xml_of(VerifactuRecord.get_by_id(result.record_id))
    assert text(root, "sf:SinRegistroPrevio") == "S"
    assert text(root, "sf:Encadenamiento/sf:PrimerRegistro") == "S"


# --- correcting what AEAT refused ------------------------------------------------------


def test_a_rejected_alta_is_corrected_by_a_subsanacion_after_rejection(vf) -> None:
    invoice = issue(vf, line("Curso", vat="0"), exemption_reason="Exenta de IVA")
    first = latest(invoice.id)
    assert xml_of(first).findtext(".//sf:OperacionExenta", namespaces=NS) == "E6"
    with pytest.raises(RuleViolation, match="pending"):
        verifactu.correct_record(first.id)
    verifactu.record_result(first.id, "rejected", error_code="1110", error="Clave errónea")
    fixed_id = verifactu.correct_record(first.id, exemption_code="E1")
    fixed = VerifactuRecord.get_by_id(fixed_id)
    root = xml_of(fixed)
    assert fixed.subsanacion and fixed.rechazo_previo == "X" and fixed.corrects_id == first.id
    assert (text(root, "sf:Subsanacion"), text(root, "sf:RechazoPrevio")) == ("S", "X")
    assert root.findtext(".//sf:OperacionExenta", namespaces=NS) == "E1"
    assert Invoice.get_by_id(invoice.id).exemption_code == "E1"
    schema.validate(fixed.xml.encode())
    with pytest.raises(RuleViolation, match="newer"):
        verifactu.correct_record(first.id)
    # The VERI*FACTU screen no longer lists the rejected one, only the correction.
    listed = {row.record_id for row in verifactu.attention_rows()}
    assert first.id not in listed and fixed_id in listed
    # AEAT accepts it with errors, then a later correction is refused and corrected again.
    verifactu.record_result(fixed_id, "accepted_with_errors", error_code="2000", error="x")
    again = VerifactuRecord.get_by_id(verifactu.correct_record(fixed_id))
    assert again.subsanacion and again.rechazo_previo == ""
    verifactu.record_result(again.id, "rejected", error_code="3000", error="y")
    last = VerifactuRecord.get_by_id(verifactu.correct_record(again.id))
    assert last.rechazo_previo == "S"
    assert verifactu.verify_chain()[0].level == "ok"


def test_a_rejected_anulacion_is_generated_again(vf) -> None:
    invoice = issue(vf, line())
    alta = latest(invoice.id)
    verifactu.record_result(alta.id, "rejected", error_code="4102", error="NIF")
    void = verifactu.void_invoice(invoice.id, "Error")
    anulacion = VerifactuRecord.get_by_id(void.record_id)
    assert anulacion.sin_registro_previo  # AEAT never registered the alta
    verifactu.record_result(anulacion.id, "rejected", error_code="3002", error="z")
    again = VerifactuRecord.get_by_id(verifactu.correct_record(anulacion.id))
    root = xml_of(again)
    assert (text(root, "sf:SinRegistroPrevio"), text(root, "sf:RechazoPrevio")) == ("S", "S")
    with pytest.raises(RuleViolation):
        verifactu.correct_record(alta.id)  # superseded: the anulación is its latest record


# --- settings that cannot go back -----------------------------------------------------------


def test_verifactu_cannot_be_turned_off_once_it_recorded(vf) -> None:
    assert len(settings.get("verifactu.installation")) == 14  # the moment it was turned on
    settings.set_value("verifactu.enabled", "yes")
    issue(vf, line())
    with pytest.raises(ValidationError, match="cannot be turned off"):
        settings.set_value("verifactu.enabled", "no")
    with pytest.raises(
        ValidationError,
        match="1 record still waits to be sent to the test environment; send it first",
    ):
        settings.set_value("verifactu.environment", "production")
    for record in VerifactuRecord.select():
        verifactu.record_result(record.id, "accepted", csv="A-CSV")
    settings.set_value("verifactu.environment", "production")
    assert verifactu.endpoint().startswith("https://www1.agenciatributaria.gob.es/")
    with pytest.raises(ValidationError, match="https"):
        settings.set_value("verifactu.endpoint", "http://example.com/x")


def test_verifactu_needs_a_spanish_nif_for_the_business(db) -> None:
    set_issuer()
    settings.set_many({"company.country": "FR", "company.tax_id": "FR40303265045"})
    with pytest.raises(ValidationError, match="Spanish NIF"):
        settings.set_value("verifactu.enabled", "yes")


def test_dates_aeat_would_refuse_are_refused_before_numbering(vf) -> None:
    future = draft(vf, line())
    with pytest.raises(RuleViolation, match="today or earlier"):
        invoices.issue_invoice(future, TODAY + dt.timedelta(days=1))
    late = draft(vf, line(), operation_date=TODAY + dt.timedelta(days=2))
    with pytest.raises(RuleViolation, match="operation date"):
        invoices.issue_invoice(late)
    assert Invoice.select().where(Invoice.status != "draft").count() == 0
    assert VerifactuRecord.select().count() == 0


def test_a_clock_behind_the_last_record_issues_nothing(vf) -> None:
    issue(vf, line())
    ahead = formats.timestamp(formats.now() + dt.timedelta(minutes=5))
    execute("UPDATE verifactu_chain SET last_generated_at = ?", (ahead,))
    waiting = draft(vf, line())
    with pytest.raises(RuleViolation, match="clock"):
        invoices.issue_invoice(waiting)
    assert Invoice.get_by_id(waiting).status == "draft"


def test_imported_invoices_get_no_record(vf) -> None:
    invoice = issue(vf, line())
    execute("DROP TRIGGER invoice_issued_update")
    execute("UPDATE invoice SET imported = 1 WHERE id = ?", (invoice.id,))
    state = verifactu.invoice_record_state(invoice.id)
    assert state.kind == "imported"
    assert "another system" in state.describe()


# --- check catches what was changed by hand ----------------------------------------------------


def test_check_names_an_invoice_changed_by_hand(vf) -> None:
    good = issue(vf, line(price="100"))
    bad = issue(vf, line(price="200"))
    assert all(f.level == "ok" for f in verifactu.verify_chain())
    execute("DROP TRIGGER invoice_issued_update")
    execute("UPDATE invoice SET total_cents = total_cents + 100000 WHERE id = ?", (bad.id,))
    execute("UPDATE invoice SET base_cents = base_cents + 100000 WHERE id = ?", (bad.id,))
    found = [f.message for f in verifactu.verify_chain() if f.level == "error"]
    assert any(bad.code in m and "no longer matches" in m for m in found), found
    assert not any(good.code in m for m in found)
    messages = [f.message for f in maintenance.check_database()]
    assert any(bad.code in m for m in messages)


def test_check_catches_a_record_changed_by_hand(vf) -> None:
    issue(vf, line(price="100"))
    second = issue(vf, line(price="200"))
    issue(vf, line(price="300"))
    execute("DROP TRIGGER verifactu_record_update")
    execute("UPDATE verifactu_record SET total = '9.99' WHERE invoice_id = ?", (second.id,))
    found = " | ".join(f.message for f in verifactu.verify_chain())
    assert "hash does not match" in found and second.code in found
    assert "XML does not match" in found


def test_check_catches_a_gap_in_the_chain(vf) -> None:
    for price in ("1", "2", "3"):
        issue(vf, line(price=price))
    execute("DROP TRIGGER verifactu_record_delete")
    execute("PRAGMA foreign_keys = OFF")
    execute("DELETE FROM verifactu_record WHERE sequence = 2")
    found = " | ".join(f.message for f in verifactu.verify_chain())
    assert "missing before record 3" in found
    assert "does not point to the record before it" in found
    assert "without its VERI*FACTU record" in found


def test_report_rows_in_chain_order(vf) -> None:
    a = issue(vf, line(price="10"))
    b = issue(vf, line(price="20"))
    verifactu.void_invoice(a.id, "error")
    rows = list(verifactu.report_rows())
    assert [(r.number, r.record_type) for r in rows] == [
        (a.code, "alta"),
        (b.code, "alta"),
        (a.code, "anulacion"),
    ]
    assert rows[2].vat_total == "" and rows[1].total == "24.20"
    assert [r.previous_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]


def test_the_qr_url_comes_from_the_record(vf) -> None:
    invoice = issue(vf, line(price="1000"), irpf_rate=D(15))
    code = verifactu.qr_for_invoice(invoice.id)
    assert code.url == (
        "https://prewww2.aeat.es/wlpl/TIKE-CONT/ValidarQR?nif=B12345674&numserie="
        f"{invoice.code}&fecha={formats.date(TODAY)}&importe=1210.00"
    )


def test_pending_records_for_the_sender_in_chain_order(vf) -> None:
    codes = [issue(vf, line(price=str(n))).code for n in (1, 2, 3)]
    assert verifactu.issuers_with_pending() == ["B12345674"]
    pending = verifactu.pending_records("B12345674")
    assert [p.invoice_number for p in pending] == codes
    message = schema.build_message(
        verifactu.issuer_name("B12345674"), "B12345674", [p.xml for p in pending]
    )
    assert all(p.xml in message for p in pending)
    verifactu.record_result(pending[0].id, "accepted", csv="CSV1")
    assert [p.invoice_number for p in verifactu.pending_records("B12345674", limit=1)] == [codes[1]]
    assert records.read_fields(pending[0].xml).number == codes[0]


def test_a_voided_invoice_is_not_emailed(vf) -> None:
    from tui_crm.services import email

    invoice = issue(vf, line())
    verifactu.void_invoice(invoice.id, "Error")
    with pytest.raises(RuleViolation, match="voided"):
        email.compose_invoice(invoice.id, to="cliente@example.com")


# --- the producer's identity ------------------------------------------------------------------


def test_the_producer_in_every_record_is_a_well_formed_nif_from_one_place(vf) -> None:
    """AEAT rejects a record whose SistemaInformatico NIF is malformed: the producer's NIF,
    from the one block of system.py, passes python-stdnum's NIF/CIF check."""
    from stdnum.es import cif, nif

    from tui_crm.verifactu import system

    invoice = issue(vf, line())
    verifactu.void_invoice(invoice.id, "error")
    for record in VerifactuRecord.select():
        root = xml_of(record)
        sent = text(root, "sf:SistemaInformatico/sf:NIF")
        assert sent == system.PRODUCER.nif
        assert nif.is_valid(sent) and cif.is_valid(sent), sent
        assert text(root, "sf:SistemaInformatico/sf:NombreRazon") == system.PRODUCER.name
    assert nif.compact(system.PRODUCER.nif) == system.PRODUCER.nif  # 9 characters as sent
    assert len(system.PRODUCER.name) <= 120


def test_the_declaration_shows_the_producer_and_says_its_data_are_provisional() -> None:
    from tui_crm.verifactu import system

    text_ = verifactu.declaration()
    assert f"Productor: {system.PRODUCER.name}, NIF {system.PRODUCER.nif}" in text_
    assert f"Dirección de contacto del productor: {system.PRODUCER.address}" in text_
    assert system.PRODUCER_IS_PLACEHOLDER  # until the producer's real data are known
    assert "AVISO: los datos del productor son provisionales" in text_
