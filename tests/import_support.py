"""Spreadsheets for the import tests, written the way people's programs write them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl

# Valid Spanish tax IDs (checksums right).
NIFS = ("B12345674", "A58818501", "12345678Z", "X1234567L", "B60889649", "B27714633")


def xlsx(path: Path, rows: Sequence[Sequence[Any]], *, title: str = "Clientes") -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def csv_file(path: Path, rows: Sequence[Sequence[str]], *, delimiter=";", encoding="utf-8") -> Path:
    text = "\r\n".join(delimiter.join(cell for cell in row) for row in rows) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


def client_count() -> int:
    from tui_crm.db import execute

    return int(execute("SELECT COUNT(*) FROM client").fetchone()[0])


def import_audits() -> list[tuple[str, str]]:
    from tui_crm.db import execute

    return [
        (r[0], r[1])
        for r in execute("SELECT changes, summary FROM audit_log WHERE action = 'import'")
    ]
