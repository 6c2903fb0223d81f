"""What an import did or would do: counts, every rejected or skipped row, and remarks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..i18n import _, count_text, ngettext
from ..services.errors import ServiceError

# progress(phase, done, total): phase is "read" or "write"; total None when unknown.
Progress = Callable[[str, int, int | None], None]
Cancelled = Callable[[], bool]


class ImportCancelled(ServiceError):
    def __init__(self) -> None:
        super().__init__(_("import cancelled; nothing was imported"))


@dataclass(frozen=True)
class RowIssue:
    """One problem of one row: the row number as the spreadsheet shows it, the column
    ("C (CIF)", or "" when the problem is the whole row) and the reason."""

    row: int
    column: str
    reason: str

    def line(self) -> str:
        if self.column:
            return _("row {row}, column {column}: {reason}").format(
                row=self.row, column=self.column, reason=self.reason
            )
        return _("row {row}: {reason}").format(row=self.row, reason=self.reason)


@dataclass
class ImportReport:
    """The outcome of `import_clients` / `import_invoices` (also of a dry run)."""

    what: str  # "clients" or "invoices"
    file: str
    sheet: str = ""
    header_row: int = 1
    rows: int = 0  # data rows read
    created: int = 0
    updated: int = 0
    created_clients: int = 0  # invoices: clients created for rows that matched none
    payments: int = 0  # invoices: payments registered
    rejected: list[RowIssue] = field(default_factory=list)
    skipped: list[RowIssue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False
    skip_invalid: bool = False
    committed: bool = False

    @property
    def rejected_rows(self) -> int:
        return len({issue.row for issue in self.rejected})

    @property
    def failed(self) -> bool:
        """Nothing was (or would be) imported because of rejected rows: exit status 1."""
        if not self.rejected:
            return False
        return not self.skip_invalid or (self.created == 0 and self.updated == 0)

    def summary(self, skip_hint: str | None = None) -> str:
        """One line; `skip_hint` says how to import the valid rows (the TUI's key)."""
        counts = {
            "skip_hint": skip_hint or _("use --skip-invalid to import the other rows"),
            "file": self.file,
            "created": count_text(self.created),
            "what": self.what_label(self.created),
            "updated": count_text(self.updated),
            "skipped": count_text(len({i.row for i in self.skipped})),
            "rejected": count_text(self.rejected_rows),
            "total": count_text(self.rows),
        }
        if self.what == "invoices":
            return self._invoice_summary(counts)
        if self.rejected and not self.skip_invalid:
            line = _(
                "Nothing imported: {rejected} of {total} rows rejected; fix them, or "
                "{skip_hint} ({created} {what} to create, {updated} to update, {skipped} to skip)"
            ).format(**counts)
        elif self.dry_run:
            line = _(
                "Dry run, nothing written: {created} {what} to create, {updated} to update, "
                "{skipped} to skip, {rejected} rejected"
            ).format(**counts)
        else:
            line = _(
                "Imported from {file}: {created} {what} created, {updated} updated, "
                "{skipped} skipped, {rejected} rejected"
            ).format(**counts)
        return line

    def _invoice_summary(self, counts: dict[str, object]) -> str:
        counts = {
            **counts,
            "clients": ngettext("{n} new client", "{n} new clients", self.created_clients).format(
                n=count_text(self.created_clients)
            ),
            "payments": ngettext("{n} payment", "{n} payments", self.payments).format(
                n=count_text(self.payments)
            ),
        }
        if self.rejected and not self.skip_invalid:
            return _(
                "Nothing imported: {rejected} of {total} rows rejected; fix them, or "
                "{skip_hint} ({created} {what}, {clients}, {payments})"
            ).format(**counts)
        if self.dry_run:
            return _(
                "Dry run, nothing written: {created} {what} to create, {clients}, {payments}, "
                "{skipped} skipped, {rejected} rejected"
            ).format(**counts)
        return _(
            "Imported from {file}: {created} {what} created, {clients}, {payments}, "
            "{skipped} skipped, {rejected} rejected"
        ).format(**counts)

    def what_label(self, n: int) -> str:
        if self.what == "invoices":
            return ngettext("invoice", "invoices", n)
        if self.what == "expenses":
            return ngettext("expense", "expenses", n)
        return ngettext("client", "clients", n)

    def lines(self, skip_hint: str | None = None) -> list[str]:
        """The report as printed: remarks, every rejected and skipped row, the summary."""
        out = [*self.notes]
        out.extend(_("rejected: {issue}").format(issue=i.line()) for i in self.rejected)
        out.extend(_("skipped: {issue}").format(issue=i.line()) for i in self.skipped)
        out.append(self.summary(skip_hint))
        return out
