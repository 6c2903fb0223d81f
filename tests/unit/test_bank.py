"""Norma 43 statements against open invoices, with files written by `csb43` (bank_support):
exact, partial, grouped, ambiguous, duplicate (the same file twice, overlapping files)
and returned payments; damaged files refused whole; roles checked before anything."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from bank_support import Movement, statement, write_statement
from invoicing_support import JAN, D, issued, line, make_client, set_issuer

from tui_crm.db import execute
from tui_crm.services import bank, clients, invoices, payments, sepa, settings
from tui_crm.services.errors import PermissionDenied, RuleViolation
from tui_crm.services.session import Actor, actor, set_actor

FEB = dt.date(2026, 2, 2)


@pytest.fixture
def shop(db):
    """Two clients with open invoices: Peña (1210.00, 121.00, 242.00) and Otra (60.50)."""
    set_issuer()
    pena = make_client("Peña y Muñoz SL", "A58818501")
    otra = make_client("Otra Empresa SL", "B58818501")
    return {
        "pena": pena,
        "otra": otra,
        "big": issued(pena, JAN, line(price="1000")),  # 1210.00
        "small": issued(pena, JAN, line(price="100")),  # 121.00
        "mid": issued(pena, JAN, line(price="200")),  # 242.00
        "other": issued(otra, JAN, line(price="50")),  # 60.50
    }


def count(table: str) -> int:
    return int(execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def by_number(report: bank.ImportReport) -> dict[int, bank.ImportedLine]:
    return {item.line.number: item for item in report.lines}


def test_exact_payment_by_invoice_number_is_sure_and_paid_on_the_bank_date(shop, tmp_path):
    big = shop["big"]
    path = write_statement(
        tmp_path / "enero.n43",
        [Movement(FEB, "1210.00", ["TRANSFERENCIA DE PENA Y MUNOZ", f"PAGO FRA {big.code}"])],
    )
    dry = bank.import_statement(path, dry_run=True)
    assert dry.lines[0].proposal.confidence == "sure"
    assert dry.lines[0].proposal.reason == "invoice"
    assert count("bank_movement") == count("bank_statement") == count("payment") == 0

    report = bank.import_statement(path, accept_sure=True)
    assert (report.new, report.accepted, report.pending) == (1, 1, 0)
    detail = invoices.get_invoice(big.id)
    assert (detail.status, detail.outstanding, detail.paid_date) == ("paid", D("0.00"), FEB)
    [payment] = detail.payments
    assert payment.date == FEB and payment.amount == D("1210.00")
    assert payments.get_payment(payment.payment_id).method == "transfer"
    assert clients.get_client(shop["pena"]).outstanding == D("363.00")
    audit = [r[0] for r in execute("SELECT action FROM audit_log WHERE entity LIKE 'bank%'")]
    assert audit == ["reconcile", "import"]


def test_partial_payment_is_likely_and_leaves_the_rest_owed(shop, tmp_path):
    big = shop["big"]
    path = write_statement(tmp_path / "p.n43", [Movement(FEB, "500.00", [f"A CUENTA {big.code}"])])
    report = bank.import_statement(path, accept_sure=True)
    item = report.lines[0]
    assert (item.proposal.confidence, item.proposal.reason) == ("likely", "invoice_partial")
    assert item.status == "pending" and not item.accepted  # only sure lines go by themselves
    [waiting] = bank.list_movements()
    bank.accept_movement(waiting.id)
    detail = invoices.get_invoice(big.id)
    assert (detail.status, detail.paid, detail.outstanding) == (
        "partially_paid",
        D("500.00"),
        D("710.00"),
    )
    assert bank.count_movements() == 0


def test_several_invoices_of_one_client_adding_up_by_name_and_by_iban(shop, tmp_path):
    clients_iban = "ES76 2077 0024 0031 0257 5766"
    detail = clients.get_client(shop["otra"])
    data = detail.data
    data.iban = clients_iban
    clients.update_client(shop["otra"], data, detail.version)
    second = issued(shop["otra"], JAN, line(price="10"))  # 12.10
    path = write_statement(
        tmp_path / "g.n43",
        [
            # the SEPA originator's name, legal form and accents aside: 121.00 + 242.00
            Movement(FEB, "363.00", transfer_from="PENA Y MUNOZ S.L.", transfer_text="FACTURAS"),
            # an IBAN in the text: 60.50 + 12.10
            Movement(FEB, "72.60", ["INGRESO DE ES7620770024003102575766"]),
        ],
    )
    report = bank.import_statement(path, accept_sure=True)
    lines = by_number(report)
    assert lines[1].proposal.reason == "client_group" and lines[1].accepted
    assert lines[2].proposal.reason == "client_group" and lines[2].accepted
    assert {a[1] for a in lines[1].proposal.allocations} == {shop["small"].code, shop["mid"].code}
    for inv in (shop["small"], shop["mid"], shop["other"], second):
        assert invoices.get_invoice(inv.id).status == "paid"
    assert invoices.get_invoice(shop["big"].id).status == "issued"


def test_ambiguous_amount_waits_and_is_settled_by_hand(shop, tmp_path):
    twin = issued(shop["otra"], JAN, line(price="50"))  # 60.50, like "other"
    path = write_statement(tmp_path / "a.n43", [Movement(FEB, "60.50", ["INGRESO EFECTIVO"])])
    report = bank.import_statement(path, accept_sure=True)
    item = report.lines[0]
    assert item.proposal.confidence == "ambiguous" and not item.accepted
    assert {c[1] for c in item.proposal.candidates} == {shop["other"].code, twin.code}
    [waiting] = bank.list_movements()
    candidates = bank.candidate_invoices(waiting.id)
    assert {c[1] for c in candidates} >= {shop["other"].code, twin.code}
    bank.accept_movement(waiting.id, [(twin.id, D("60.50"))])
    assert invoices.get_invoice(twin.id).status == "paid"
    assert invoices.get_invoice(shop["other"].id).status == "issued"
    with pytest.raises(RuleViolation, match="already accepted"):
        bank.accept_movement(waiting.id, [(shop["other"].id, D("60.50"))])
    assert invoices.get_invoice(shop["other"].id).status == "issued"


def test_more_than_owed_is_never_paid(shop, tmp_path):
    small = shop["small"]
    path = write_statement(tmp_path / "o.n43", [Movement(FEB, "999.00", [f"FRA {small.code}"])])
    report = bank.import_statement(path, accept_sure=True)
    assert report.lines[0].proposal.confidence == "ambiguous" and not report.accepted
    [waiting] = bank.list_movements()
    with pytest.raises(RuleViolation):
        bank.accept_movement(waiting.id)
    with pytest.raises(RuleViolation, match="Overpayment"):
        bank.accept_movement(waiting.id, [(small.id, D("999.00"))])
    assert count("payment") == 0 and bank.count_movements() == 1


def test_the_same_statement_twice_and_overlapping_statements_pay_nothing_twice(shop, tmp_path):
    big, small, mid = shop["big"], shop["small"], shop["mid"]
    day = [dt.date(2026, 2, d) for d in range(1, 5)]
    lines = {
        1: Movement(day[0], "1210.00", [f"FRA {big.code}"]),
        2: Movement(day[1], "121.00", [f"FRA {small.code}"]),
        # two equal transfers on one day are two movements, not a duplicate
        3: Movement(day[2], "100.00", [f"A CUENTA {mid.code}"], document=7),
        4: Movement(day[2], "100.00", [f"A CUENTA {mid.code}"], document=7),
        5: Movement(day[3], "42.00", [f"RESTO {mid.code}"]),
    }
    first = write_statement(tmp_path / "a.n43", [lines[1], lines[2], lines[3], lines[4]])
    report = bank.import_statement(first, accept_sure=True)
    assert report.new == 4
    bank.accept_all_sure()
    for movement in bank.list_movements():
        bank.accept_movement(movement.id)  # the two partial ones
    paid = count("payment")
    assert paid == 4
    assert invoices.get_invoice(mid.id).outstanding == D("42.00")

    again = bank.import_statement(first, accept_sure=True)
    assert (again.new, again.known, again.accepted) == (0, 4, 0)
    assert {item.status for item in again.lines} == {"accepted"}
    # A later statement repeating days 2 and 3 (both equal lines) and adding day 4.
    overlap = write_statement(tmp_path / "b.n43", [lines[2], lines[3], lines[4], lines[5]])
    later = bank.import_statement(overlap, accept_sure=True)
    assert (later.new, later.known, later.accepted) == (1, 3, 1)
    assert count("payment") == paid + 1
    assert count("bank_movement") == 5 and count("bank_statement") == 3
    assert invoices.get_invoice(mid.id).status == "paid"


def test_within_one_statement_an_invoice_is_not_offered_twice(shop, tmp_path):
    small = shop["small"]
    path = write_statement(
        tmp_path / "d.n43",
        [Movement(FEB, "121.00", [f"FRA {small.code}"]), Movement(FEB, "121.00", ["PAGO"])],
    )
    report = bank.import_statement(path, accept_sure=True)
    lines = by_number(report)
    assert lines[1].accepted
    assert not lines[2].accepted and small.id not in [a[0] for a in lines[2].proposal.allocations]
    assert invoices.get_invoice(small.id).paid == D("121.00")


@pytest.fixture
def collecting(shop, tmp_path):
    """A remittance of Peña's 1210.00 and Otra's 60.50, sent to the bank."""
    settings.set_many(
        {
            "company.iban": "ES9121000418450200051332",
            "company.bic": "CAIXESBBXXX",
            "sepa.creditor_id": "ES23ZZZ47690558N",
        }
    )
    for client_id, reference, iban in (
        (shop["pena"], "NEXO-PENA", "ES7620770024003102575766"),
        (shop["otra"], "NEXO-OTRA", "ES1000492352082414205416"),
    ):
        sepa.create_mandate(sepa.MandateInput(client_id, reference, dt.date(2025, 1, 1), iban))
    for paid in (shop["small"], shop["mid"]):  # only big and other are collected
        payments.register_payment(
            shop["pena"], JAN, paid.total, allocations=[(paid.id, paid.total)]
        )
    result = sepa.create_remittance(dt.date(2026, 3, 1), tmp_path / "remesa.xml")
    assert result.count == 2 and result.total == D("1270.50")
    return result


def test_a_remittance_confirmed_by_the_statement_and_a_returned_debit(shop, collecting, tmp_path):
    day = collecting.collection_date
    other = shop["other"]
    e2e = sepa.end_to_end_id(other.code, collecting.id)
    path = write_statement(
        tmp_path / "remesa.n43",
        [
            Movement(day, "1270.50", ["ABONO REMESA", collecting.message_id], shared_item=6),
            Movement(
                day + dt.timedelta(days=3),
                "-60.50",
                shared_item=14,
                debit={
                    "creditor_name": "DISENO NUNEZ",
                    "creditor_id": "ES23ZZZ47690558N",
                    "mandate_reference": "NEXO-OTRA",
                    "creditor_reference": e2e,
                    "remitance_information": "DEVOLUCION MD06",
                    "debtor_name": "OTRA EMPRESA SL",
                },
            ),
        ],
    )
    report = bank.import_statement(path, accept_sure=True)
    lines = by_number(report)
    assert lines[1].proposal.reason == "remittance" and lines[1].accepted
    assert lines[2].kind == "return" and lines[2].proposal.reason == "return"
    assert lines[2].accepted
    big = invoices.get_invoice(shop["big"].id)
    assert big.status == "paid" and big.paid_date == day
    assert [p.method for p in big.payments] == ["direct_debit"]
    returned = invoices.get_invoice(other.id)
    assert (returned.status, returned.outstanding) == ("issued", D("60.50"))
    back = day + dt.timedelta(days=3)
    assert returned.debit_returned_on == back  # flagged: on the board and in its view
    from tui_crm.services import receivables

    assert receivables.get_receivable(other.id, back).debit_returned_on == back
    [undone] = [p for p in payments.list_payments(shop["otra"]) if p.is_reversed]
    assert "returned" in undone.reversal_reason
    items = dict(execute("SELECT invoice_id, status FROM remittance_item").fetchall())
    assert items == {shop["big"].id: "collected", other.id: "returned"}
    assert execute("SELECT status FROM remittance").fetchone()[0] == "collected"
    # Importing it again undoes nothing twice.
    again = bank.import_statement(path, accept_sure=True)
    assert again.new == 0 and again.accepted == 0
    assert invoices.get_invoice(other.id).outstanding == D("60.50")


def test_a_return_before_its_collection_is_recorded_waits(shop, collecting, tmp_path):
    other = shop["other"]
    e2e = sepa.end_to_end_id(other.code, collecting.id)
    path = write_statement(
        tmp_path / "r.n43",
        [
            Movement(
                collecting.collection_date, "-60.50", ["DEVOLUCION RECIBO", e2e], shared_item=14
            )
        ],
    )
    report = bank.import_statement(path, accept_sure=True)
    item = report.lines[0]
    assert item.kind == "return" and not item.accepted
    assert "not recorded yet" in item.proposal.note
    assert count("payment") == 2  # the two paid by hand in the fixture


def test_charges_are_kept_aside_and_lines_can_be_set_aside(shop, tmp_path):
    path = write_statement(
        tmp_path / "c.n43",
        [
            Movement(FEB, "-12.00", ["COMISION MANTENIMIENTO"], shared_item=17),
            Movement(FEB, "5.55", ["INTERESES"], shared_item=17),
        ],
    )
    report = bank.import_statement(path, accept_sure=True)
    lines = by_number(report)
    assert (lines[1].kind, lines[1].status) == ("charge", "ignored")
    assert lines[2].status == "pending"
    [waiting] = bank.list_movements()
    bank.ignore_movement(waiting.id, "intereses de la cuenta")
    assert bank.count_movements() == 0
    assert bank.count_movements(bank.MovementFilter(status="ignored")) == 2
    with pytest.raises(RuleViolation, match="already"):
        bank.ignore_movement(waiting.id)


def test_a_damaged_or_foreign_file_is_refused_whole(shop, tmp_path):
    good = statement([Movement(FEB, "1210.00", [f"FRA {shop['big'].code}"])])
    for name, data in (
        ("factura.pdf", b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\n"),
        ("vacio.n43", b"   \n"),
        # one line's amount changed: the account's closing totals no longer add up
        ("tocado.n43", good.replace(b"000000121000", b"000000121100", 1)),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(bank.StatementError) as refused:
            bank.import_statement(path, accept_sure=True)
        assert name in str(refused.value)
    with pytest.raises(bank.StatementError, match="No such file"):
        bank.import_statement(tmp_path / "missing.n43")
    assert count("bank_statement") == count("bank_movement") == count("payment") == 0


def test_roles_are_checked_before_the_file_is_read(shop, tmp_path):
    from tui_crm.services import users

    path = write_statement(tmp_path / "x.n43", [Movement(FEB, "1210.00", [shop["big"].code])])
    users.register("rosa")
    users.set_role("rosa", "sales")
    me = actor()
    set_actor(Actor("rosa", "sales"))
    try:
        with pytest.raises(PermissionDenied, match="may not register payments"):
            bank.import_statement(path, accept_sure=True)
        with pytest.raises(PermissionDenied):
            bank.import_statement(tmp_path / "does-not-exist.n43")  # refused before reading
        assert bank.import_statement(path, dry_run=True).lines[0].proposal.confidence == "sure"
    finally:
        set_actor(me)
    assert count("bank_statement") == count("bank_movement") == count("payment") == 0
    bank.import_statement(path)
    [waiting] = bank.list_movements()
    set_actor(Actor("rosa", "sales"))
    try:
        with pytest.raises(PermissionDenied):
            bank.accept_movement(waiting.id)
        with pytest.raises(PermissionDenied):
            bank.ignore_movement(waiting.id)
    finally:
        set_actor(me)
    assert count("payment") == 0 and bank.count_movements() == 1


def test_waiting_lines_are_matched_again_when_the_invoice_appears(shop, tmp_path):
    path = write_statement(tmp_path / "w.n43", [Movement(FEB, "96.80", ["ANTICIPO"])])
    report = bank.import_statement(path, accept_sure=True)
    assert report.lines[0].proposal.confidence == "none"
    fresh = issued(shop["otra"], FEB, line(price="80"))  # 96.80
    assert bank.rematch_pending() == 1
    [waiting] = bank.list_movements()
    assert waiting.proposal.allocations[0][1] == fresh.code
    bank.accept_movement(waiting.id)
    assert invoices.get_invoice(fresh.id).status == "paid"


def test_statement_lines_keep_their_text_and_identity(tmp_path: Path):
    data = statement(
        [
            Movement(FEB, "10.00", ["TRANSFERENCIA DE ÁNGEL NÚÑEZ", "FRA F2026-00007"]),
            Movement(FEB, "10.00", ["TRANSFERENCIA DE ÁNGEL NÚÑEZ", "FRA F2026-00007"]),
        ]
    )
    parsed = bank.read_statement(tmp_path / "n.n43", data=data)
    first, second = parsed.lines
    assert first.concept == second.concept == "TRANSFERENCIA DE ÁNGEL NÚÑEZ · FRA F2026-00007"
    assert first.identity != second.identity  # two equal lines of one day are two movements
    assert parsed.accounts == ("2100 4521 0200051332",)
    again = bank.read_statement(tmp_path / "n.n43", data=data)
    assert [ln.identity for ln in again.lines] == [first.identity, second.identity]


def test_a_real_bank_file_shipped_with_csb43_is_read(tmp_path: Path):
    """The sample statement of the csb43 library (a bank's, with SEPA direct debits and
    references whose control digits csb43's strict reader rejects) reads line by line."""
    import csb43

    sample = Path(csb43.__file__).parent / "tests" / "sample_sepa.csb"
    parsed = bank.read_statement(sample)
    assert len(parsed.lines) == 14 and parsed.accounts == ("1234 1234 1234567890",)
    debit = parsed.lines[1]
    assert debit.amount == D("-31.00") and debit.payer == "Alfonso Beta Gammez"
    assert debit.mandate_reference == "400TLUGKTDHD1QKBHY9GVM7MQA8OJCT3NHX"
    assert bank.line_kind(debit) == "charge"  # someone else's direct debit: money out


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("PAGO FRA F2026-00001", [("F", "2026", "00001")]),
        ("FRA F2026-123456 Y R2026-00002", [("F", "2026", "123456"), ("R", "2026", "00002")]),
        ("F 2026/7", [("F", "2026", "7")]),
        ("F202600001", [("F", "2026", "00001")]),
        ("CUENTA 12345678901234", []),
    ],
)
def test_invoice_numbers_as_banks_copy_them(text, found):
    assert [m.groups() for m in bank._CODE.finditer(text)] == found
