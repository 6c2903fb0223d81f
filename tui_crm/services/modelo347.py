"""Modelo 347, the yearly return of operations with third parties (sales side).

What is declared, following AEAT's instructions for the model (RD 1065/2007, arts.
31-35; Orden EHA/3012/2008):
- every client (by tax ID) whose invoices issued in the calendar year add up to MORE than
  €3,005.06, counted with IVA: base + IVA + recargo de equivalencia, net of rectifying
  invoices (a rectifying invoice counts, negative, in the year and quarter it is issued);
- voided invoices are left out: they should never have existed (their registro de
  anulación says so to AEAT), so no operation took place;
- invoices with IRPF withheld are left out (those operations go to Modelo 190 instead),
  and so is a rectifying invoice of such an invoice;
- invoices to a client outside Spain that carry no Spanish IVA nor recargo are left out:
  intra-EU operations are declared in Modelo 349, exports are excluded by art. 33.2;
  a foreign client charged Spanish IVA stays, with province 99 and its country code;
- the amount is split in the four calendar quarters of the invoices' issue dates;
- the province is the INE two-digit code of the client's invoice address (the first two
  digits of a Spanish postal code, else its province's name), the country its ISO code.

The figures are kept per year, tax ID, client and quarter by the database (migration
m0017, `modelo347_figures`, triggers on `invoice`), so a year's return is one aggregate
over tens of thousands of rows, never over the year's invoices; names and addresses are
looked up only for the rows shown (`describe`).

Not done here: purchases (suppliers do not exist yet), cash received over €6,000, rents of
business premises, and the AEAT file format itself (the figures are what the form asks).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..db import execute
from ..i18n import N_, _
from ..money import from_cents
from ..text import fold
from .errors import ValidationError
from .reports import ReportColumn

THRESHOLD_CENTS = 300_506  # €3,005.06: declared when the year's total is above it
FIRST_YEAR = 2000

COLUMNS = (
    ReportColumn("client", N_("Client")),
    ReportColumn("tax_id", N_("Tax ID")),
    ReportColumn("province", N_("Province")),
    ReportColumn("country", N_("Country")),
    ReportColumn("total", N_("Total"), "money"),
    ReportColumn("q1", N_("1st quarter"), "money"),
    ReportColumn("q2", N_("2nd quarter"), "money"),
    ReportColumn("q3", N_("3rd quarter"), "money"),
    ReportColumn("q4", N_("4th quarter"), "money"),
)

# INE province codes (Real Decreto 1690/1986), by every usual name, folded.
_PROVINCES = {
    "01": ("alava", "araba", "araba/alava", "alava/araba"),
    "02": ("albacete",),
    "03": ("alicante", "alacant", "alicante/alacant"),
    "04": ("almeria",),
    "05": ("avila",),
    "06": ("badajoz",),
    "07": ("baleares", "illes balears", "islas baleares", "balears"),
    "08": ("barcelona",),
    "09": ("burgos",),
    "10": ("caceres",),
    "11": ("cadiz",),
    "12": ("castellon", "castello", "castellon/castello", "castellon de la plana"),
    "13": ("ciudad real",),
    "14": ("cordoba",),
    "15": ("a coruna", "la coruna", "coruna"),
    "16": ("cuenca",),
    "17": ("girona", "gerona"),
    "18": ("granada",),
    "19": ("guadalajara",),
    "20": ("gipuzkoa", "guipuzcoa"),
    "21": ("huelva",),
    "22": ("huesca",),
    "23": ("jaen",),
    "24": ("leon",),
    "25": ("lleida", "lerida"),
    "26": ("la rioja", "rioja"),
    "27": ("lugo",),
    "28": ("madrid",),
    "29": ("malaga",),
    "30": ("murcia",),
    "31": ("navarra", "nafarroa"),
    "32": ("ourense", "orense"),
    "33": ("asturias",),
    "34": ("palencia",),
    "35": ("las palmas", "palmas"),
    "36": ("pontevedra",),
    "37": ("salamanca",),
    "38": ("santa cruz de tenerife", "tenerife"),
    "39": ("cantabria",),
    "40": ("segovia",),
    "41": ("sevilla",),
    "42": ("soria",),
    "43": ("tarragona",),
    "44": ("teruel",),
    "45": ("toledo",),
    "46": ("valencia",),
    "47": ("valladolid",),
    "48": ("bizkaia", "vizcaya"),
    "49": ("zamora",),
    "50": ("zaragoza",),
    "51": ("ceuta",),
    "52": ("melilla",),
}
_BY_NAME = {name: code for code, names in _PROVINCES.items() for name in names}
ABROAD = "99"


def province_code(postal_code: str, province: str, country: str = "ES") -> str:
    """The INE code: "28" for 28001 or "Madrid"; "99" abroad; "" when unknown."""
    if (country or "ES").upper() != "ES":
        return ABROAD
    postal = (postal_code or "").strip()
    if len(postal) == 5 and postal.isdigit() and "01" <= postal[:2] <= "52":
        return postal[:2]
    return _BY_NAME.get(" ".join(fold(province or "").split()), "")


@dataclass(frozen=True)
class Declared:
    """One client of the year's Modelo 347."""

    client_id: int
    client: str
    tax_id: str
    province: str
    country: str  # "" for clients in Spain
    total: Decimal
    q1: Decimal
    q2: Decimal
    q3: Decimal
    q4: Decimal

    def as_row(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "tax_id": self.tax_id,
            "province": self.province,
            "country": self.country,
            "total": self.total,
            "q1": self.q1,
            "q2": self.q2,
            "q3": self.q3,
            "q4": self.q4,
        }


def check_year(year: int | None) -> int:
    if year is None:
        return dt.date.today().year - 1  # the return is filed in February for last year
    if not FIRST_YEAR <= year <= dt.date.today().year:
        raise ValidationError(
            {
                "year": _("must be between {low} and {high}").format(
                    low=FIRST_YEAR, high=dt.date.today().year
                )
            }
        )
    return year


# One declared tax ID's figures before its name and address are looked up: (key: the tax ID
# as the return groups it, "client:ID" when there is none; the latest invoice counted, whose
# name and tax ID are shown; the total; the four quarters), all amounts in cents.
KeyTotals = tuple[str, int, int, int, int, int, int]


def _totals_sql(year: int) -> tuple[str, list[object]]:
    """The declared tax IDs' totals in the return's order (see `totals`) and its parameters."""
    quarters = [f"CAST(SUM(f.q{q}_cents) AS BIGINT)" for q in range(1, 5)]
    total = " + ".join(quarters)
    return (
        f"SELECT f.tax_key, MAX(f.last_invoice_id), {total} AS total, {', '.join(quarters)} "
        "FROM modelo347_figures f WHERE f.year = ? AND f.invoices > 0 "
        # The client is looked up only for the (few) rows without IVA nor recargo.
        "AND (f.untaxed = 0 OR EXISTS (SELECT 1 FROM client c WHERE c.id = f.client_id "
        "AND c.tax_id_country = 'ES')) "
        f"GROUP BY f.tax_key HAVING {total} > ? ORDER BY {total} DESC, f.tax_key",
        [year, THRESHOLD_CENTS],
    )


def totals(year: int | None = None) -> list[KeyTotals]:
    """The year's declared tax IDs with their totals, largest total first (then by key).

    One aggregate over `modelo347_figures` (m0017: per year, tax ID, client and quarter,
    kept by triggers on `invoice` with the rules above that depend on the invoice alone);
    a client outside Spain is left out here for its invoices without IVA nor recargo
    (`untaxed`), by its country now. Tax IDs are grouped upper case, without spaces,
    dashes or dots, a Spanish VAT number ("ESB12345674") as its NIF; invoices without a
    tax ID are grouped by client."""
    sql, params = _totals_sql(check_year(year))
    # Plain tuples: a year can declare tens of thousands of tax IDs, and the screen shows
    # them a page at a time (`describe`).
    return execute(sql, params).fetchall()


def declared_count(year: int | None = None) -> tuple[int, Decimal]:
    """How many tax IDs `totals` declares for the year and their amount, as one row the
    database adds up (a screen shows these before any page of names)."""
    sql, params = _totals_sql(check_year(year))
    row = execute(f"SELECT COUNT(*), COALESCE(SUM(t.total), 0) FROM ({sql}) t", params).fetchone()
    return int(row[0]), from_cents(int(row[1]))


def totals_page(year: int | None, offset: int, limit: int) -> list[KeyTotals]:
    """`totals(year)[offset:offset + limit]`, cut by the database."""
    sql, params = _totals_sql(check_year(year))
    return execute(f"{sql} LIMIT ? OFFSET ?", [*params, limit, offset]).fetchall()


def describe(found: Sequence[KeyTotals]) -> list[Declared]:
    """The declared rows of `found` with the name and tax ID of each one's latest invoice
    and its client's province and country (a page of the screen, or the whole return)."""
    facts = _facts([int(t[1]) for t in found])
    out = []
    for _key, last_id, total, *quarters in found:
        client_id, name, tax_id, postal, province, country = facts[int(last_id)]
        country = (country or "ES").upper()
        q1, q2, q3, q4 = (from_cents(int(c)) for c in quarters)
        out.append(
            Declared(
                client_id=client_id,
                client=name,
                tax_id=tax_id,
                province=province_code(postal, province, country),
                country="" if country == "ES" else country,
                total=from_cents(int(total)),
                q1=q1,
                q2=q2,
                q3=q3,
                q4=q4,
            )
        )
    return out


def declared(year: int | None = None) -> list[Declared]:
    """The year's Modelo 347: clients above the threshold, largest total first."""
    return describe(totals(year))


def _facts(invoice_ids: list[int]) -> dict[int, tuple[int, str, str, str, str, str]]:
    """invoice id -> (client id, name and tax ID as invoiced, postal code, province and
    country of the client's invoice address, else of its tax ID)."""
    facts: dict[int, tuple[int, str, str, str, str, str]] = {}
    for start in range(0, len(invoice_ids), 500):
        chunk = invoice_ids[start : start + 500]
        for r in execute(
            "SELECT i.id, i.client_id, i.client_name, i.client_tax_id, a.postal_code, "
            "a.province, COALESCE(a.country, c.tax_id_country) FROM invoice i "
            "JOIN client c ON c.id = i.client_id "
            "LEFT JOIN address a ON a.id = (SELECT a2.id FROM address a2 WHERE "
            "a2.client_id = i.client_id ORDER BY a2.is_invoice_default DESC, a2.id LIMIT 1) "
            f"WHERE i.id IN ({', '.join('?' * len(chunk))})",
            chunk,
        ):
            facts[int(r[0])] = (
                int(r[1]),
                str(r[2]),
                str(r[3]),
                str(r[4] or ""),
                str(r[5] or ""),
                str(r[6] or "ES"),
            )
    return facts


def rows(year: int | None = None) -> Iterator[dict[str, Any]]:
    """The report's rows (`tui-crm report 347`, the Reports screen, the export)."""
    return iter([d.as_row() for d in declared(year)])
