"""A column of a list as the writers see it: its key in the rows, its header, its kind."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReportColumn:
    """`kind` decides how a value is written: text, money (Decimal euros), date, int or
    percent. `labels` (N_-marked) shows codes as words where people read them (the
    spreadsheet, the plain and github formats): "partially_paid" becomes "Partially paid";
    csv and json keep the code. A percent column's values are percentages (12.5) unless
    `fraction` says they are shares of one (0.125): json and csv keep them as they are,
    what a person reads shows "12,5 %"."""

    key: str
    label: str  # N_-marked; translate at use
    kind: str = "text"  # text money date int percent
    labels: Mapping[str, str] | None = field(default=None, compare=False)
    fraction: bool = False
