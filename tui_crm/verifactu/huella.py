"""The record hash (huella), exactly as AEAT's "Detalle de las especificaciones técnicas para
generación de la huella o hash de los registros de facturación" (v0.1.2) says.

The input is `Name=value` pairs joined by `&`, in a fixed order, each value trimmed at
both ends (inner spaces stay), an absent or empty value written `Name=`; the UTF-8
bytes of that string go through SHA-256 and the result is written in upper-case
hexadecimal (64 characters). Amounts are hashed as the text that goes in the XML.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

TIPO_HUELLA = "01"  # list L12: SHA-256

ALTA_FIELDS = (
    "IDEmisorFactura",
    "NumSerieFactura",
    "FechaExpedicionFactura",
    "TipoFactura",
    "CuotaTotal",
    "ImporteTotal",
    "Huella",
    "FechaHoraHusoGenRegistro",
)
ANULACION_FIELDS = (
    "IDEmisorFacturaAnulada",
    "NumSerieFacturaAnulada",
    "FechaExpedicionFacturaAnulada",
    "Huella",
    "FechaHoraHusoGenRegistro",
)


def hash_input(pairs: Iterable[tuple[str, str | None]]) -> str:
    """`Name=value&Name=value…` with every value trimmed; None or "" gives `Name=`."""
    return "&".join(f"{name}={(value or '').strip()}" for name, value in pairs)


def sha256_upper(text: str) -> str:
    """SHA-256 of the UTF-8 text, 64 upper-case hexadecimal characters."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest().upper()


def alta_input(
    *,
    issuer_nif: str,
    number: str,
    issue_date: str,
    invoice_type: str,
    vat_total: str,
    total: str,
    previous_hash: str,
    generated_at: str,
) -> str:
    """The string hashed for a registro de alta (dates dd-mm-yyyy, amounts as in the XML)."""
    values = (
        issuer_nif,
        number,
        issue_date,
        invoice_type,
        vat_total,
        total,
        previous_hash,
        generated_at,
    )
    return hash_input(zip(ALTA_FIELDS, values, strict=True))


def anulacion_input(
    *, issuer_nif: str, number: str, issue_date: str, previous_hash: str, generated_at: str
) -> str:
    """The string hashed for a registro de anulación."""
    values = (issuer_nif, number, issue_date, previous_hash, generated_at)
    return hash_input(zip(ANULACION_FIELDS, values, strict=True))


def alta_hash(**fields: str) -> str:
    """The huella of a registro de alta (keyword arguments of `alta_input`)."""
    return sha256_upper(alta_input(**fields))


def anulacion_hash(**fields: str) -> str:
    """The huella of a registro de anulación (keyword arguments of `anulacion_input`)."""
    return sha256_upper(anulacion_input(**fields))
