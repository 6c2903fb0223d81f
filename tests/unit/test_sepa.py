"""SEPA mandates and direct-debit remittances: validation by python-stdnum, the pain.008 XML
validated against the schema sepaxml ships (with lxml), FRST -> RCUR, all-or-nothing
files and records, cancelling."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from invoicing_support import JAN, D, issued, line, make_client, set_issuer

from tests.bank_support import pain008_schema
from tui_crm.db import execute
from tui_crm.services import payments, sepa, settings
from tui_crm.services.errors import RuleViolation, ValidationError

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"}
TODAY = dt.date.today()
CREDITOR = {
    "company.iban": "ES91 2100 0418 4502 0005 1332",
    "company.bic": "caixesbbxxx",
    "sepa.creditor_id": "ES23 ZZZ 47690558N",
}


def count(table: str) -> int:
    return int(execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


@pytest.fixture
def book(db):
    set_issuer()
    settings.set_many(CREDITOR)
    pena = make_client("Peña y Muñoz SL", "A58818501")
    otra = make_client("Otra Empresa SL", "B58818501")
    nadie = make_client("Sin Mandato SL", "B12345674")
    sepa.create_mandate(
        sepa.MandateInput(pena, "NEXO-PENA", dt.date(2025, 3, 1), "ES76 2077 0024 0031 0257 5766")
    )
    sepa.create_mandate(
        sepa.MandateInput(
            otra, "NEXO-OTRA", dt.date(2024, 6, 1), "ES1000492352082414205416", sequence="RCUR"
        )
    )
    return {
        "pena": pena,
        "otra": otra,
        "a": issued(pena, JAN, line(price="1000")),  # 1210.00, due 31 Jan
        "b": issued(otra, JAN, line(price="100")),  # 121.00
        "late": issued(pena, JAN, line(price="10"), due_date=TODAY + dt.timedelta(days=90)),
        "none": issued(nadie, JAN, line(price="500")),  # no mandate: never collected
    }


def test_settings_and_mandates_are_checked_with_python_stdnum(db):
    set_issuer()
    assert settings.set_value("company.bic", "caixesbbxxx") == "CAIXESBBXXX"
    assert settings.set_value("sepa.creditor_id", "ES 23 ZZZ 47690558N") == "ES23ZZZ47690558N"
    with pytest.raises(ValidationError, match="BIC"):
        settings.set_value("company.bic", "CAIXESBB1")
    with pytest.raises(ValidationError, match="creditor identifier"):
        settings.set_value("sepa.creditor_id", "ES24ZZZ47690558N")
    client = make_client()
    bad = sepa.MandateInput(
        client, "MANDATO ñ#1", TODAY + dt.timedelta(days=1), "ES76 2077 0024 0031 0257 5767",
        bic="NOTABIC", scheme="XYZ", sequence="OOFF",
    )  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        sepa.create_mandate(bad)
    assert set(refused.value.errors) == {
        "reference", "signed_on", "iban", "bic", "scheme", "sequence",
    }  # fmt: skip
    good = sepa.MandateInput(client, "M-1", dt.date(2025, 1, 1), "es76 2077 0024 0031 0257 5766")
    mandate_id = sepa.create_mandate(good)
    stored = sepa.get_mandate(mandate_id)
    assert stored.iban == "ES7620770024003102575766"
    assert stored.iban_text == "ES76 2077 0024 0031 0257 5766"
    with pytest.raises(ValidationError, match="another mandate"):
        sepa.create_mandate(good)
    assert count("sepa_mandate") == 1


def test_the_remittance_is_valid_pain008_and_recorded_with_its_invoices(book, tmp_path):
    from lxml import etree

    collect_on = sepa.default_collection_date()
    result = sepa.create_remittance(TODAY + dt.timedelta(days=7), tmp_path / "remesa.xml")
    assert (result.count, result.total, result.first) == (2, D("1331.00"), 1)
    document = etree.parse(str(result.path))
    xsd = pain008_schema()
    assert xsd.validate(document), xsd.error_log
    header = document.find("p:CstmrDrctDbtInitn/p:GrpHdr", NS)
    assert header.findtext("p:MsgId", namespaces=NS) == result.message_id
    assert header.findtext("p:NbOfTxs", namespaces=NS) == "2"
    assert header.findtext("p:CtrlSum", namespaces=NS) == "1331.00"
    by_sequence = {}
    for info in document.iterfind("p:CstmrDrctDbtInitn/p:PmtInf", NS):
        assert info.findtext("p:ReqdColltnDt", namespaces=NS) == collect_on.isoformat()
        assert info.findtext("p:PmtTpInf/p:LclInstrm/p:Cd", namespaces=NS) == "CORE"
        assert info.findtext("p:CdtrAcct/p:Id/p:IBAN", namespaces=NS) == "ES9121000418450200051332"
        assert info.findtext("p:CdtrAgt/p:FinInstnId/p:BIC", namespaces=NS) == "CAIXESBBXXX"
        creditor = info.findtext("p:CdtrSchmeId/p:Id/p:PrvtId/p:Othr/p:Id", namespaces=NS)
        assert creditor == "ES23ZZZ47690558N"
        for tx in info.iterfind("p:DrctDbtTxInf", NS):
            by_sequence[tx.findtext("p:PmtId/p:EndToEndId", namespaces=NS)] = (
                info.findtext("p:PmtTpInf/p:SeqTp", namespaces=NS),
                tx.findtext("p:InstdAmt", namespaces=NS),
                tx.findtext("p:DrctDbtTx/p:MndtRltdInf/p:MndtId", namespaces=NS),
                tx.findtext("p:DbtrAcct/p:Id/p:IBAN", namespaces=NS),
            )
    assert by_sequence == {
        f"{book['a'].code}-R{result.id}": (
            "FRST", "1210.00", "NEXO-PENA", "ES7620770024003102575766",
        ),
        f"{book['b'].code}-R{result.id}": (
            "RCUR", "121.00", "NEXO-OTRA", "ES1000492352082414205416",
        ),
    }  # fmt: skip
    items = execute(
        "SELECT invoice_id, amount_cents, sequence, status FROM remittance_item ORDER BY id"
    ).fetchall()
    assert items == [(book["a"].id, 121000, "FRST", "sent"), (book["b"].id, 12100, "RCUR", "sent")]
    assert [(m.reference, m.sequence, m.last_collected_on) for m in sepa.list_mandates()] == [
        ("NEXO-OTRA", "RCUR", collect_on),
        ("NEXO-PENA", "RCUR", collect_on),  # FRST -> RCUR after its first collection
    ]
    # The invoices are in a remittance waiting for the bank: not collected twice.
    assert sepa.collectable_invoices(TODAY + dt.timedelta(days=7)) == []
    with pytest.raises(RuleViolation, match="nothing to collect"):
        sepa.create_remittance(TODAY + dt.timedelta(days=7), tmp_path / "otra.xml")
    assert not (tmp_path / "otra.xml").exists()


def test_cancelling_frees_the_invoices_and_gives_the_first_collection_back(book, tmp_path):
    result = sepa.create_remittance(TODAY + dt.timedelta(days=7), tmp_path / "r.xml")
    assert sepa.cancel_remittance(result.id) == 2
    assert {m.reference: m.sequence for m in sepa.list_mandates()} == {
        "NEXO-PENA": "FRST",
        "NEXO-OTRA": "RCUR",
    }
    assert len(sepa.collectable_invoices(TODAY + dt.timedelta(days=7))) == 2
    with pytest.raises(RuleViolation, match="cancelled"):
        sepa.cancel_remittance(result.id)
    audit = [r[0] for r in execute("SELECT action FROM audit_log WHERE entity = 'remittance'")]
    assert audit == ["create", "cancel"]


def test_only_chosen_invoices_of_one_scheme_and_paid_ones_are_left_out(book, tmp_path):
    payments.register_payment(book["otra"], JAN, D("121.00"), allocations=[(book["b"].id, D(121))])
    found = sepa.collectable_invoices(TODAY + dt.timedelta(days=120))
    assert [c.code for c in found] == [book["a"].code, book["late"].code]
    assert sepa.collectable_invoices(TODAY + dt.timedelta(days=120), "B2B") == []
    result = sepa.create_remittance(
        TODAY + dt.timedelta(days=120), tmp_path / "r.xml", invoice_ids=[book["late"].id]
    )
    assert result.count == 1 and result.total == D("12.10")
    with pytest.raises(RuleViolation, match="can no longer be collected"):
        sepa.create_remittance(
            TODAY + dt.timedelta(days=120), tmp_path / "s.xml", invoice_ids=[book["late"].id]
        )


def test_the_file_and_the_records_go_together_or_not_at_all(book, tmp_path, monkeypatch):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    target = tmp_path / "remesa.xml"
    target.write_text("someone else's file")
    with pytest.raises(ValidationError, match="--force"):
        sepa.create_remittance(TODAY + dt.timedelta(days=7), target)
    assert target.read_text() == "someone else's file"
    link = tmp_path / "enlace.xml"
    link.symlink_to(tmp_path / "elsewhere.xml")
    with pytest.raises(ValidationError, match="symbolic link"):
        sepa.create_remittance(TODAY + dt.timedelta(days=7), link, force=True)
    assert not (tmp_path / "elsewhere.xml").exists()
    with pytest.raises(ValidationError, match="collect_on"):
        sepa.create_remittance(TODAY + dt.timedelta(days=7), tmp_path / "x.xml", collect_on=TODAY)

    def refused(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "link", refused)  # the disk fills up at the last step
    with pytest.raises(OSError):
        sepa.create_remittance(TODAY + dt.timedelta(days=7), tmp_path / "lleno.xml")
    monkeypatch.undo()
    assert count("remittance") == count("remittance_item") == 0
    assert {m.sequence for m in sepa.list_mandates() if m.reference == "NEXO-PENA"} == {"FRST"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["enlace.xml", "remesa.xml"]
    result = sepa.create_remittance(TODAY + dt.timedelta(days=7), target, force=True)
    from lxml import etree

    assert pain008_schema().validate(etree.parse(str(target)))
    assert result.count == 2


def test_a_remittance_needs_the_creditor_data(db, tmp_path):
    set_issuer()
    client = make_client()
    sepa.create_mandate(
        sepa.MandateInput(client, "M-1", dt.date(2025, 1, 1), "ES9121000418450200051332")
    )
    issued(client, JAN)
    with pytest.raises(RuleViolation, match=r"company\.iban, company\.bic, sepa\.creditor_id"):
        sepa.create_remittance(TODAY, tmp_path / "r.xml")
    assert not (tmp_path / "r.xml").exists() and count("remittance") == 0


def test_a_revoked_mandate_is_not_collected(book, tmp_path):
    mandate_id = sepa.find_mandate("NEXO-PENA")
    sepa.set_mandate_active(mandate_id, False)
    assert [c.code for c in sepa.collectable_invoices(TODAY)] == [book["b"].code]
    sepa.set_mandate_active(mandate_id, True)
    assert len(sepa.collectable_invoices(TODAY)) == 2
