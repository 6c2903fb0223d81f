"""Who makes this invoicing system and how AEAT identifies it (SistemaInformatico).

The one place with the producer's identity and the system's: every record's
SistemaInformatico block and the declaración responsable read it from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata


def _version() -> str:
    try:
        return metadata.version("tui-crm")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "0.1.0"


VERSION = _version()  # Version: the installed package's, as pyproject.toml declares it

PRODUCER_NAME = "tui-crm"
PRODUCER_NIF = "B00000000"
PRODUCER_ADDRESS = "Calle Mayor 1, 28013 Madrid, España"
SYSTEM_NAME = "tui-crm"  # NombreSistemaInformatico (at most 30 characters)
SYSTEM_ID = "TC"  # IdSistemaInformatico: two upper-case letters or digits, ours for good
# A VERI*FACTU system only: every record goes to AEAT; there is no "no VERI*FACTU" mode.
ONLY_VERIFACTU = True
# One installation (one database) keeps the invoicing of one taxpayer: its business data.
# A firm that invoices for several taxpayers uses one database, and so one installation
# number, per taxpayer.
MULTIPLE_TAXPAYERS_POSSIBLE = False
DECLARATION_PLACE = "Madrid"
DECLARATION_DATE = "2026-07-01"


@dataclass(frozen=True)
class SoftwareSystem:
    """The SistemaInformatico block of a record."""

    producer_name: str
    producer_nif: str
    name: str
    system_id: str
    version: str
    installation: str  # NumeroInstalacion: `verifactu.installation`
    only_verifactu: bool = ONLY_VERIFACTU
    multiple_taxpayers_possible: bool = MULTIPLE_TAXPAYERS_POSSIBLE
    multiple_taxpayers: bool = False


def this_system(installation: str) -> SoftwareSystem:
    """tui-crm as it identifies itself in the records of installation `installation`."""
    return SoftwareSystem(
        producer_name=PRODUCER_NAME,
        producer_nif=PRODUCER_NIF,
        name=SYSTEM_NAME,
        system_id=SYSTEM_ID,
        version=VERSION,
        installation=installation,
    )
