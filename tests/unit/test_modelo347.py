"""Modelo 347: the threshold (more than €3,005.06 with IVA and recargo), quarters, rectifying
invoices netted, IRPF invoices and foreign operations without IVA left out, INE province
codes; and, through the command line, the 347 totals equal a sum over `report invoices`."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from invoicing_support import D, issued, line, make_client, set_issuer

from tui_crm.services import clients, invoices, modelo347
from tui_crm.services.errors import ValidationError

Y = 2025


def day(month: int, d: int = 15) -> dt.date:
    return dt.date(Y, month, d)


def foreign(name: str, tax_id: str, *, exempt: bool) -> int:
    return clients.create_client(
        clients.ClientInput(
            legal_name=name,
            tax_id=tax_id,
            tax_id_country="FR",
            kind="client",
            vat_exempt=exempt,
            exemption_reason="Entrega intracomunitaria exenta (art. 25 LIVA)" if exempt else "",
            vat_rate=D(0) if exempt else D(21),
        ),
        clients.AddressInput(line1="1 rue de Lyon", postal_code="69001", city="Lyon", country="FR"),
    )


def build_year() -> dict[str, object]:
    """Invoices of 2024-2026 for clients below, at and above the threshold (in date order:
    issue dates never go backwards in a series)."""
    set_issuer()
    a = make_client("Alfa Barcelona SL", "A58818501")  # 08001
    at = make_client("Justo Umbral SL", "B58818501")
    above = clients.create_client(
        clients.ClientInput(legal_name="Un Céntimo Más SL", tax_id="B12345674", kind="client"),
        clients.AddressInput(line1="Calle Sierpes 1", city="Sevilla", province="Sevilla"),
    )
    irpf = make_client("Profesional Con Retención", "12345678Z", irpf=D(15))
    recargo = make_client("Tienda Recargo SL", "B65410011", recargo=True)
    exempt = foreign("Société Exonérée", "FR40303265045", exempt=True)
    taxed = foreign("Client Taxé SARL", "FR23334175221", exempt=False)
    issued(a, dt.date(2024, 12, 30), line(price="9000"))  # another year
    first = issued(a, day(2), line(price="2000"))  # 2420.00 in Q1
    issued(at, day(2, 20), line(price="2483.52"))  # 3005.06: not MORE than the threshold
    issued(above, day(3), line(price="2483.53"))  # 3005.07
    issued(irpf, day(4), line(price="5000"))  # IRPF withheld: left out
    issued(irpf, day(5), line(price="4000"), irpf_rate=D(0))  # 4840.00, no withholding
    issued(recargo, day(6), line(price="2500", recargo_rate=D("5.2")))  # 2500+525+130
    issued(exempt, day(7), line(price="10000", vat="0"))  # intra-EU, no IVA: left out
    issued(taxed, day(8), line(price="3000"))  # 3630.00 with Spanish IVA: declared, 99 FR
    issued(a, day(9), line(price="500"))  # 605.00 in Q3: A totals 3025.00
    return {"a": a, "first": first, "above": above, "irpf": irpf, "recargo": recargo}


def by_tax_id(found) -> dict[str, modelo347.Declared]:
    return {d.tax_id: d for d in found}


def test_who_is_declared_and_with_what(db) -> None:
    book = build_year()
    declared = by_tax_id(modelo347.declared(Y))
    assert set(declared) == {"A58818501", "B12345674", "12345678Z", "B65410011", "FR23334175221"}
    a = declared["A58818501"]
    assert (a.total, a.q1, a.q2, a.q3, a.q4) == (
        D("3025.00"),
        D("2420.00"),
        D("0.00"),
        D("605.00"),
        D("0.00"),
    )
    assert (a.province, a.country, a.client) == ("08", "", "Alfa Barcelona SL")
    assert declared["B12345674"].total == D("3005.07")
    assert declared["B12345674"].province == "41"  # from the province's name: no postal code
    assert declared["12345678Z"].total == D("4840.00")  # the IRPF invoice left out
    assert declared["B65410011"].total == D("3155.00")  # recargo counts
    assert (declared["FR23334175221"].province, declared["FR23334175221"].country) == (
        "99",
        "FR",
    )
    assert [d.total for d in modelo347.declared(Y)] == sorted(
        (d.total for d in declared.values()), reverse=True
    )

    # A rectifying invoice nets in the quarter it is issued: A falls below the threshold.
    rect = invoices.create_rectifying_draft(
        book["first"].id,
        "difference",
        "Descuento por pronto pago",
        [line(quantity="-1", price="20")],
        issue_date=day(11),
    )
    invoices.issue_invoice(rect, day(11))
    assert "A58818501" not in by_tax_id(modelo347.declared(Y))


def test_province_codes() -> None:
    assert modelo347.province_code("28001", "") == "28"
    assert modelo347.province_code("", "A Coruña") == "15"
    assert modelo347.province_code("", "Illes Balears") == "07"
    assert modelo347.province_code("", "Atlantis") == ""
    assert modelo347.province_code("75001", "Paris", "FR") == "99"
    with pytest.raises(ValidationError):
        modelo347.check_year(1999)


def test_the_347_totals_equal_a_sum_over_report_invoices(db, cli) -> None:
    build_year()
    path = str(db.path)

    def report(*args: str) -> list[dict]:
        result = cli("--db", path, "report", *args, "--year", str(Y), "--format", "json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    declared = report("347")
    assert declared and list(declared[0]) == [
        "client", "tax_id", "province", "country", "total", "q1", "q2", "q3", "q4",
    ]  # fmt: skip
    totals: dict[str, Decimal] = {}
    for row in report("invoices"):
        amount = D(row["base"]) + D(row["vat"]) + D(row["recargo"])
        foreign_without_vat = row["tax_id"].startswith("FR") and amount == D(row["base"])
        if D(row["irpf"]) != 0 or foreign_without_vat:
            continue
        totals[row["tax_id"]] = totals.get(row["tax_id"], D(0)) + amount
    expected = {k: v for k, v in totals.items() if v > D("3005.06")}
    assert {r["tax_id"]: D(r["total"]) for r in declared} == expected
    for r in declared:
        assert D(r["q1"]) + D(r["q2"]) + D(r["q3"]) + D(r["q4"]) == D(r["total"])

    # ... and the same rows in the workbook of `export 347`.
    from openpyxl import load_workbook

    out = db.path.parent / "347.xlsx"
    result = cli("--db", path, "export", "347", "--year", str(Y), "-o", out)
    assert result.returncode == 0, result.stderr
    sheet = load_workbook(out, read_only=True).worksheets[0]
    values = [[c for c in r] for r in sheet.iter_rows(values_only=True)]
    header = next(i for i, r in enumerate(values) if r and r[0] == "Client")
    rows = [r for r in values[header + 1 :] if r and r[1] in expected]
    assert {r[1]: Decimal(str(r[4])).quantize(D("0.01")) for r in rows} == expected
    assert cli("--db", path, "report", "347", "--year", "1999").returncode == 1


def test_a_rectifying_invoice_of_an_irpf_invoice_stays_out(db) -> None:
    set_issuer()
    pro = make_client("Asesor Con Retención", "12345678Z", irpf=D(15))
    other = make_client("Otro SL", "B58818501")
    original = issued(pro, day(1), line(price="9000"))
    issued(other, day(2), line(price="3000"))  # 3630.00
    rect = invoices.create_rectifying_draft(
        original.id, "difference", "Error", [line(quantity="-1", price="100")], issue_date=day(3)
    )
    invoices.issue_invoice(rect, day(3))
    assert [d.tax_id for d in modelo347.declared(Y)] == ["B58818501"]


def test_the_command_line_refuses_a_bad_year_before_opening(cli, tmp_path) -> None:
    result = cli("--db", tmp_path / "none.sqlite3", "report", "347", "--year", "1999")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "year" in result.stderr
    assert not (tmp_path / "none.sqlite3").exists()
