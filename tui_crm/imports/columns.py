"""Which column of a spreadsheet is which field: header recognition and the mapping.

Headers are compared after `normalise_header` (case, accents and punctuation
ignored), against each field's Spanish and English aliases plus the translated
labels our own exports write, so a file exported by tui-crm imports back.
A mapping is {column index: field key}; a column mapped to IGNORE is read past.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ..i18n import _
from .tables import column_letter, normalise_header

IGNORE = ""


@dataclass(frozen=True)
class ImportField:
    key: str
    label: str  # N_-marked
    aliases: tuple[str, ...]  # written as people write them; normalised when compared
    required: bool = False
    also_labels: tuple[str, ...] = field(default_factory=tuple)  # N_-marked export labels


@dataclass(frozen=True)
class KnownColumns:
    """The fields of one kind of import, and headers known but not imported."""

    fields: tuple[ImportField, ...]
    ignored: tuple[str, ...] = ()  # e.g. our exports' computed columns ("Revenue")
    ignored_labels: tuple[str, ...] = ()  # N_-marked

    def by_key(self) -> dict[str, ImportField]:
        return {f.key: f for f in self.fields}

    def alias_table(self) -> dict[str, str]:
        """normalised header -> field key (IGNORE for known, not imported columns)."""
        table: dict[str, str] = {}
        for name in (*self.ignored, *(_(label) for label in self.ignored_labels)):
            table.setdefault(normalise_header(name), IGNORE)
        for spec in self.fields:
            names: Iterable[str] = (
                *spec.aliases,
                spec.label,
                _(spec.label),
                *spec.also_labels,
                *(_(label) for label in spec.also_labels),
            )
            for name in names:
                table[normalise_header(name)] = spec.key
        return table

    def score(self, headers: Sequence[str]) -> int:
        """How many of `headers` (already normalised) name a field: picks the header row."""
        table = self.alias_table()
        return sum(1 for h in headers if h and table.get(h) not in (None, IGNORE))


@dataclass(frozen=True)
class HeaderMapping:
    """The guessed mapping of a header row, and what it could not place."""

    columns: dict[int, str]  # column index -> field key (IGNORE: known, not imported)
    unknown: list[int]  # columns with a header no field recognises
    repeated: list[tuple[int, int]]  # (column, earlier column) naming the same field


def guess_mapping(headers: Sequence[str], known: KnownColumns) -> HeaderMapping:
    table = known.alias_table()
    columns: dict[int, str] = {}
    seen: dict[str, int] = {}
    unknown: list[int] = []
    repeated: list[tuple[int, int]] = []
    for index, header in enumerate(headers):
        if not header.strip():
            continue
        key = table.get(normalise_header(header))
        if key is None:
            unknown.append(index)
            continue
        if key != IGNORE and key in seen:
            repeated.append((index, seen[key]))
            columns[index] = IGNORE
            continue
        columns[index] = key
        if key != IGNORE:
            seen[key] = index
    return HeaderMapping(columns, unknown, repeated)


def column_name(index: int, headers: Sequence[str]) -> str:
    """How a column is named in messages: C (Email)."""
    header = headers[index] if index < len(headers) else ""
    letter = column_letter(index)
    return f"{letter} ({header})" if header else letter


def check_mapping(mapping: Mapping[int, str], known: KnownColumns) -> list[str]:
    """What is wrong with a mapping: a required field without a column, a field twice."""
    problems: list[str] = []
    used: dict[str, int] = {}
    for index, key in sorted(mapping.items()):
        if key == IGNORE:
            continue
        if key in used:
            problems.append(
                _("columns {first} and {second} are both mapped to {field}").format(
                    first=column_letter(used[key]),
                    second=column_letter(index),
                    field=_(known.by_key()[key].label),
                )
            )
        used[key] = index
    for spec in known.fields:
        if spec.required and spec.key not in used:
            names = ", ".join(spec.aliases[:3])
            problems.append(
                _("no column for {field} (a header such as {names})").format(
                    field=_(spec.label), names=names
                )
            )
    return problems
