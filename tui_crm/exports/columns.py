"""A column of a list as the writers see it: its key in the rows, its header, its kind."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReportColumn:
    """`kind` decides how a value is written: text, money (Decimal euros), date, int or
    percent. `labels` (N_-marked) shows codes as words where people read them (the
    spreadsheet): "partially_paid" becomes "Partially paid"; csv and json keep the code."""

    key: str
    label: str  # N_-marked; translate at use
    kind: str = "text"  # text money date int percent
    labels: Mapping[str, str] | None = field(default=None, compare=False)
