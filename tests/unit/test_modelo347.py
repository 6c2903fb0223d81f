"""Modelo 347: the threshold (more than €3,005.06 with IVA and recargo), quarters, rectifying
invoices netted, IRPF invoices and foreign operations without IVA left out, INE province
codes; and, through the command line, the 347 totals equal a sum over `report invoices`."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from invoicing_support import D, draft, issued, line, make_client, set_issuer
from postgres_support import fresh_schema

from tui_crm.money import from_cents
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


def test_a_voided_invoice_is_no_operation(db) -> None:
    """Voided: it should never have existed (its registro de anulación says so), so it is
    not declared, and the figures the database keeps let it go at once."""
    from tui_crm.services import settings, verifactu

    set_issuer()
    settings.set_value("verifactu.enabled", "yes")
    wrong = make_client("Emitida Por Error SL", "B58818501")
    other = make_client("Otro SL", "B65410011")
    mistake = issued(wrong, day(2), line(price="5000"))
    issued(other, day(2), line(price="3000"))  # 3630.00
    assert {d.tax_id for d in modelo347.declared(Y)} == {"B58818501", "B65410011"}
    verifactu.void_invoice(mistake.id, "Emitida por error")
    assert [d.tax_id for d in modelo347.declared(Y)] == ["B65410011"]


def test_the_command_line_refuses_a_bad_year_before_opening(cli, tmp_path) -> None:
    result = cli("--db", tmp_path / "none.sqlite3", "report", "347", "--year", "1999")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "year" in result.stderr
    assert not (tmp_path / "none.sqlite3").exists()


# --- the figures kept by the database (m0017) ---------------------------------------------

# The return computed afresh over the invoices: the query `declared` ran before m0017, kept
# here as the reference the stored figures must always equal.
_RAW_KEY = "UPPER(REPLACE(REPLACE(REPLACE(i.client_tax_id, ' ', ''), '-', ''), '.', ''))"
_KEY = "CASE WHEN SUBSTR(k, 1, 2) = 'ES' AND LENGTH(k) = 11 THEN SUBSTR(k, 3) ELSE k END"
FRESH = (
    "SELECT key, MAX(id), SUM(amount), "
    "SUM(CASE WHEN issue_date < ? THEN amount ELSE 0 END), "
    "SUM(CASE WHEN issue_date >= ? AND issue_date < ? THEN amount ELSE 0 END), "
    "SUM(CASE WHEN issue_date >= ? AND issue_date < ? THEN amount ELSE 0 END), "
    "SUM(CASE WHEN issue_date >= ? THEN amount ELSE 0 END) "
    "FROM (SELECT i.id, i.issue_date, "
    "i.base_cents + i.vat_cents + i.recargo_cents AS amount, "
    f"CASE WHEN k = '' THEN 'client:' || CAST(i.client_id AS TEXT) ELSE {_KEY} END AS key "
    f"FROM (SELECT i.*, {_RAW_KEY} AS k FROM invoice i "
    "  WHERE i.status NOT IN ('draft', 'voided') AND i.issue_date >= ? AND i.issue_date < ? "
    "  AND i.irpf_rate_bp = 0) i "
    "LEFT JOIN invoice o ON o.id = i.rectifies_id "
    "JOIN client c ON c.id = i.client_id "
    "WHERE (o.id IS NULL OR o.irpf_rate_bp = 0) "
    "AND NOT (c.tax_id_country <> 'ES' AND i.vat_cents = 0 AND i.recargo_cents = 0)) t "
    "GROUP BY key HAVING SUM(amount) > ? ORDER BY SUM(amount) DESC, key"
)
STORED = (
    "SELECT year, tax_key, client_id, untaxed, invoices, q1_cents, q2_cents, q3_cents, "
    "q4_cents, last_invoice_id FROM modelo347_figures WHERE invoices > 0 ORDER BY 1, 2, 3, 4"
)


def _ints(rows) -> list[tuple]:
    return [tuple(v if isinstance(v, str) else int(v) for v in r) for r in rows]


def _fresh(year: int) -> list[tuple]:
    from tui_crm.db import execute

    q2, q3, q4 = (dt.date(year, m, 1).isoformat() for m in (4, 7, 10))
    bounds = (dt.date(year, 1, 1).isoformat(), dt.date(year + 1, 1, 1).isoformat())
    params = (q2, q2, q3, q3, q4, q4, *bounds, modelo347.THRESHOLD_CENTS)
    return _ints(execute(FRESH, params))


def _every_kind_of_write() -> dict[str, object]:
    """build_year's invoices, then a payment, a rectification, a void, a draft edited and
    deleted, a client merged into another (its invoices move) and a client whose country
    changes after it was invoiced."""
    from tui_crm.db import execute
    from tui_crm.services import merge, payments, settings, verifactu

    book = build_year()
    settings.set_value("verifactu.enabled", "yes")
    payments.register_payment(book["a"], day(10), D("2420.00"))
    rect = invoices.create_rectifying_draft(
        book["first"].id, "difference", "Descuento", [line(quantity="-1", price="20")]
    )
    invoices.issue_invoice(rect, day(10, 20))
    gone = issued(book["recargo"], day(11), line(price="800"))
    verifactu.void_invoice(gone.id, "Emitida por error")  # no longer counts: never existed
    kept = draft(book["above"], line(price="5000"))
    invoices.delete_draft(draft(book["above"], line(price="7000")))
    twin = make_client("Gemela Del Umbral SL", "B58818501")  # the same tax ID, another client
    issued(twin, day(11, 20), line(price="10"))
    invoices.issue_invoice(kept, day(12))
    merge.merge_clients(book["above"], twin)
    later = foreign("Ahora Española SL", "FR61954506077", exempt=True)
    issued(later, day(12, 20), line(price="4000", vat="0"))
    execute("UPDATE client SET tax_id_country = 'ES' WHERE id = ?", (later,))
    return book


# A fell below the threshold (its rectification); the others are declared.
AFTER_EVERY_WRITE = {
    "B12345674",
    "12345678Z",
    "B65410011",
    "FR23334175221",
    "B58818501",
    "FR61954506077",
}


def _assert_figures_are_exact(rebuild: tuple[str, ...]) -> None:
    from tui_crm.db import execute

    stored = _ints(execute(STORED))
    for year in (2024, Y, 2026):
        whole = modelo347.totals(year)
        assert whole == _fresh(year), year
        # The screen's count and amount, and its pages cut by the database, are the whole's.
        count, amount = modelo347.declared_count(year)
        assert (count, amount) == (len(whole), from_cents(sum(int(t[2]) for t in whole)))
        for size in (1, 2, 50):
            pages = [modelo347.totals_page(year, start, size) for start in range(0, count, size)]
            assert [tuple(t) for page in pages for t in page] == [tuple(t) for t in whole]
    for statement in rebuild:
        execute(statement)
    assert _ints(execute(STORED)) == stored


def test_the_figures_follow_every_kind_of_write(db) -> None:
    from tui_crm.migrations import m0017_modelo347_figures as m0017

    _every_kind_of_write()
    declared = by_tax_id(modelo347.declared(Y))
    assert set(declared) == AFTER_EVERY_WRITE
    # The merged twin's invoice counts under its tax ID with the survivor's; the client
    # that became Spanish is declared with its invoice without IVA.
    assert declared["B58818501"].total == D("3005.06") + D("12.10")
    assert declared["FR61954506077"].total == D("4000.00")
    # its later invoice (800 + IVA + recargo) was voided: it counts for nothing
    assert declared["B65410011"].total == D("3155.00")
    _assert_figures_are_exact(m0017.SQLITE_REBUILD)


@pytest.mark.slow
@pytest.mark.xdist_group("postgres")
def test_the_figures_on_postgresql(pg_url, app_env) -> None:
    from tui_crm.migrations import m0017_modelo347_figures as m0017

    with fresh_schema(pg_url):
        _every_kind_of_write()
        assert {d.tax_id for d in modelo347.declared(Y)} == AFTER_EVERY_WRITE
        _assert_figures_are_exact(m0017.POSTGRESQL_REBUILD)
