"""Who makes this invoicing system and how AEAT identifies it (SistemaInformatico).

The one place with the producer's identity and the system's: every record's
SistemaInformatico block, the declaración responsable (`tui-crm verifactu declaration`,
About) and the README's copy of it read it from here. The producer's legal data is not
known yet: see PRODUCER below.
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


@dataclass(frozen=True)
class Producer:
    """The person or company that produces this invoicing system (Orden HAC/1177/2024 art.
    15: the declaración responsable names it; every record's SistemaInformatico carries its
    NombreRazon and NIF to AEAT)."""

    name: str  # NombreRazon (at most 120 characters)
    nif: str  # a Spanish NIF, 9 characters: AEAT refuses a record whose NIF is malformed
    address: str


# ==========================================================================================
# PLACEHOLDER PRODUCER DATA: REPLACE BEFORE PRODUCTION USE.
# We do not have the producer's real legal data. The three values below identify nobody:
# the name and address say they are provisional, and the NIF is the CIF "B00000000"
# (letter B, a sociedad limitada; number 0000000; control digit 0), valid in form only
# (python-stdnum's NIF/CIF check passes, as AEAT's format validation requires, so records
# sent to AEAT's test service are not rejected for it) and belonging to no company.
# Before tui-crm issues invoices in AEAT's production environment, the producer must put
# its real legal name, NIF and address here and set PRODUCER_IS_PLACEHOLDER to False.
# While it is True, the declaración responsable says these data are provisional.
PRODUCER = Producer(
    name="PRODUCTOR DE TUI-CRM (DATOS PROVISIONALES)",
    nif="B00000000",
    address="Dirección del productor pendiente (datos provisionales)",
)
PRODUCER_IS_PLACEHOLDER = True
# ==========================================================================================

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
        producer_name=PRODUCER.name,
        producer_nif=PRODUCER.nif,
        name=SYSTEM_NAME,
        system_id=SYSTEM_ID,
        version=VERSION,
        installation=installation,
    )
