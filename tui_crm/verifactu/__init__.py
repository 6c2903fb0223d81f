"""VERI*FACTU (RD 1007/2023, Orden HAC/1177/2024): the protocol side, headless and free of
the database: the record hash (huella), the XML of records and submissions checked against
AEAT's schemas (`xsd/`, AEAT's public files, unchanged), the QR code's URL, and the
SOAP transport over mutual TLS. The business rules (which record, when, in which chain)
live in `tui_crm.services.verifactu`.
"""
