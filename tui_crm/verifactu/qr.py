"""The QR code of a VERI*FACTU invoice (AEAT's "Detalle de las especificaciones técnicas del
código QR de la factura", v0.4.7): the URL of AEAT's verification service with four
URL-encoded parameters, and the code itself made by segno with error correction M.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from . import formats

QR_BASE = {
    "test": "https://prewww2.aeat.es/wlpl/TIKE-CONT/ValidarQR",
    "production": "https://www2.agenciatributaria.gob.es/wlpl/TIKE-CONT/ValidarQR",
}


def qr_url(
    *, issuer_nif: str, number: str, issue_date: dt.date | str, total: str, environment: str
) -> str:
    """`…/ValidarQR?nif=…&numserie=…&fecha=dd-mm-yyyy&importe=…` on the environment's host.

    `total` is the ImporteTotal text of the record ("241.40"); every value is
    URL-encoded as UTF-8 (a series "12345678&G33" becomes "12345678%26G33").
    """
    if environment not in QR_BASE:
        raise ValueError(f"unknown VERI*FACTU environment {environment!r}")
    fecha = issue_date if isinstance(issue_date, str) else formats.date(issue_date)
    query = urlencode(
        (("nif", issuer_nif), ("numserie", number), ("fecha", fecha), ("importe", total)),
        encoding="utf-8",
    )
    return f"{QR_BASE[environment]}?{query}"


def qr_png(url: str, *, scale: int = 10) -> bytes:
    """The QR code of `url` as a PNG (ISO/IEC 18004, error correction M, a 4-module quiet
    zone), for a PDF to place at 30-40 mm."""
    import io

    import segno

    code = segno.make_qr(url, error="m", boost_error=False)
    out = io.BytesIO()
    code.save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
