"""Import clients, or an invoice history, from a spreadsheet: file, mapping, dry run, import.

Clients from the client browser (`i`) or the palette; invoice history from the
palette ("Import invoice history"). Every step reads or writes in a
thread worker; the screen only shows what the import services say:

1. the file name (→ completes a path), enter opens it: the header row and how
   each column maps are shown; unknown headers are marked;
2. ←/→ (or enter) change what the highlighted column is imported as, delete
   leaves it out; `u` switches duplicates between skip and update, `s` whether
   rejected rows stop the import;
3. `d` runs a dry run: every rejected or skipped row with its reason;
4. ctrl+s imports (after a confirmation), with a progress bar; escape cancels
   while it runs (nothing is written then).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Header, Input, Label, ProgressBar, Static
from textual.worker import get_current_worker

from ...i18n import N_, _
from ..base import CrmScreen
from ..dialogs.confirm import ConfirmDialog
from ..widgets.footer import Footer
from ..widgets.paths import PathSuggester

NOT_IMPORTED = ""


class MappingTable(DataTable[Any]):
    """One row per column of the file; ←/→ change what it is imported as."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "screen.change_field(-1)", _("Previous field"), id="field_prev"),
        Binding("right", "screen.change_field(1)", _("Next field"), id="field_next"),
        Binding("enter", "screen.change_field(1)", _("Next field"), show=False, id="field_enter"),
        Binding("delete,backspace", "screen.clear_field", _("Not imported"), id="field_clear"),
    ]


@dataclass(frozen=True)
class ImportKind:
    """What one import screen imports."""

    name: str  # "clients" or "invoices"
    title: str  # N_-marked
    duplicates: bool  # the skip/update choice applies


KINDS = {
    "clients": ImportKind("clients", N_("Import clients"), True),
    "invoices": ImportKind("invoices", N_("Import invoice history"), False),
}


def inspect_file(kind: str, path: Path) -> tuple[list[str], dict[int, str], list, int, list]:
    """The file's header row and how each column maps, its first values and notes (in a
    worker): (headers, mapping, samples, header row, notes)."""
    from ...imports import clients, invoices
    from ...imports.clients import mapping_notes

    inspect = invoices.inspect_file if kind == "invoices" else clients.inspect_file
    inspection = inspect(path)
    with inspection.table as table:
        samples: list[list[str]] = []
        for _number, values in table.rows:
            samples.append(["" if v is None else str(v) for v in values])
            if len(samples) >= 3:
                break
        notes = [*table.notes, *mapping_notes(inspection, inspection.mapping.columns)]
        header_row = table.header_row
    return inspection.headers, dict(inspection.mapping.columns), samples, header_row, notes


def _columns_of(kind: str):
    if kind == "invoices":
        from ...imports.invoices import INVOICE_COLUMNS

        return INVOICE_COLUMNS
    from ...imports.clients import CLIENT_COLUMNS

    return CLIENT_COLUMNS


class ImportScreen(CrmScreen[None]):
    """An import, step by step (see the module docstring)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back"), id="back"),
        Binding("d", "dry_run", _("Dry run"), id="dry_run"),
        Binding("ctrl+s", "import", _("Import"), id="import", priority=True),
        Binding("u", "toggle_duplicates", _("Duplicates"), id="duplicates"),
        Binding("s", "toggle_skip_invalid", _("Rejected rows"), id="skip_invalid"),
    ]

    def __init__(self, path: str = "", *, kind: str = "clients") -> None:
        super().__init__()
        self.kind = KINDS[kind]
        self.initial_path = path
        self.path: Path | None = None
        self.headers: list[str] = []
        self.samples: list[list[str]] = []
        self.mapping: dict[int, str] = {}
        self.on_duplicate = "skip"
        self.skip_invalid = False
        self.busy = False
        self._cancel = threading.Event()

    # --- layout ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="import-body"):
            with Horizontal(id="import-file-bar"):
                yield Label(_("File"), id="import-file-label")
                yield Input(
                    self.initial_path,
                    placeholder=_("path to a .xlsx or .csv file (→ completes)"),
                    suggester=PathSuggester(suffixes=(".xlsx", ".xlsm", ".csv", ".txt")),
                    compact=True,
                    id="import-path",
                )
            yield Static("", id="import-options")
            yield MappingTable(id="import-mapping", cursor_type="row", zebra_stripes=True)
            yield ProgressBar(total=None, show_eta=False, id="import-progress")
            with VerticalScroll(id="import-report"):
                yield Static(
                    Content(
                        _(
                            "Type the path of the file and press enter. Then ←/→ change what a "
                            "column is imported as, d checks the file (dry run), ctrl+s imports."
                        )
                    ),
                    id="import-report-text",
                )
        yield Footer()

    def on_mount(self) -> None:
        self.title = _(self.kind.title)
        table = self.query_one("#import-mapping", DataTable)
        table.add_columns(_("Column"), _("Header"), _("Imported as"), _("First values"))
        self.query_one("#import-progress", ProgressBar).display = False
        self._show_options()
        self.query_one("#import-path", Input).focus()
        if self.initial_path:
            self._open(self.initial_path)

    # --- step 1: the file -----------------------------------------------------------

    @on(Input.Submitted, "#import-path")
    def _path_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self._open(event.value.strip())

    def _open(self, text: str) -> None:
        self._report([_("Reading {file}…").format(file=text)])
        self._inspect(text)

    def _inspect(self, text: str) -> None:
        path = Path(text).expanduser()
        kind = self.kind.name

        def failed(exc: Exception) -> bool:
            from ...services.errors import ServiceError

            if isinstance(exc, OSError):
                self._report([f"{path}: {exc.strerror or exc}"], True)
            elif isinstance(exc, ServiceError):
                self._report([str(exc)], True)
            else:
                self._report([_("Import failed: {error}").format(error=exc)], True)
            return True

        self.run_service(
            lambda: inspect_file(kind, path),
            lambda found: self._opened(path, *found),
            refused=failed,
            group="import",
            exclusive=True,
        )

    def _opened(
        self,
        path: Path,
        headers: list[str],
        mapping: dict[int, str],
        samples: list[list[str]],
        header_row: int,
        notes: list[str],
    ) -> None:
        self.path = path
        self.headers = headers
        self.mapping = mapping
        self.samples = samples
        self._fill_table()
        lines = [
            _("{file}: header in row {row}, {n} columns.").format(
                file=path.name, row=header_row, n=len(headers)
            ),
            *notes,
            *self._mapping_problems(),
            _("Press d for a dry run, ctrl+s to import."),
        ]
        self._report(lines)
        self.query_one("#import-mapping", DataTable).focus()

    # --- step 2: the mapping --------------------------------------------------------

    def _fields(self) -> list[tuple[str, str]]:
        return [(NOT_IMPORTED, _("(not imported)"))] + [
            (f.key, _(f.label)) for f in _columns_of(self.kind.name).fields
        ]

    def _field_label(self, key: str) -> str:
        return dict(self._fields()).get(key, key)

    def _fill_table(self) -> None:
        from ...imports.tables import column_letter

        table = self.query_one("#import-mapping", DataTable)
        row = table.cursor_row
        table.clear()
        for index, header in enumerate(self.headers):
            key = self.mapping.get(index, NOT_IMPORTED)
            label = self._field_label(key)
            if index not in self.mapping and header:
                label = _("(unknown header: not imported)")
            sample = " · ".join(s[index] for s in self.samples if index < len(s) and s[index])
            table.add_row(
                column_letter(index), Text(header), Text(label), Text(sample[:60]), key=str(index)
            )
        if self.headers:
            table.move_cursor(row=min(max(row, 0), len(self.headers) - 1))

    def _mapping_problems(self) -> list[str]:
        from ...imports.columns import check_mapping

        if self.kind.name == "invoices":
            from ...imports.invoices import mapping_problems

            return mapping_problems(self.mapping)
        return check_mapping(self.mapping, _columns_of(self.kind.name))

    def action_change_field(self, step: int) -> None:
        table = self.query_one("#import-mapping", DataTable)
        if not self.headers or self.busy:
            return
        index = table.cursor_row
        used = {v for k, v in self.mapping.items() if k != index and v != NOT_IMPORTED}
        keys = [k for k, _label in self._fields() if k not in used]  # one column per field
        current = self.mapping.get(index, NOT_IMPORTED)
        chosen = keys[(keys.index(current) + step) % len(keys)] if current in keys else keys[0]
        self._set_field(index, chosen)

    def action_clear_field(self) -> None:
        table = self.query_one("#import-mapping", DataTable)
        if self.headers and not self.busy:
            self._set_field(table.cursor_row, NOT_IMPORTED)

    def _set_field(self, index: int, key: str) -> None:
        if key == NOT_IMPORTED:
            self.mapping[index] = NOT_IMPORTED
        else:
            for other, value in list(self.mapping.items()):
                if value == key and other != index:
                    self.mapping[other] = NOT_IMPORTED  # one column per field
            self.mapping[index] = key
        self._fill_table()
        problems = self._mapping_problems()
        self._report(problems or [_("Mapping ready: d for a dry run, ctrl+s to import.")])

    def _show_options(self) -> None:
        if not self.kind.duplicates:
            invalid_only = (
                _("rejected rows: import the others")
                if self.skip_invalid
                else _("rejected rows: import nothing")
            )
            self.query_one("#import-options", Static).update(Content(f"{invalid_only} (s)"))
            return
        duplicates = (
            _("duplicates: update the client on file")
            if self.on_duplicate == "update"
            else _("duplicates: skip")
        )
        invalid = (
            _("rejected rows: import the others")
            if self.skip_invalid
            else _("rejected rows: import nothing")
        )
        self.query_one("#import-options", Static).update(
            Content(f"{duplicates} (u) · {invalid} (s)")
        )

    def action_toggle_duplicates(self) -> None:
        if self._typing() or not self.kind.duplicates:
            return
        self.on_duplicate = "update" if self.on_duplicate == "skip" else "skip"
        self._show_options()

    def action_toggle_skip_invalid(self) -> None:
        if self._typing():
            return
        self.skip_invalid = not self.skip_invalid
        self._show_options()

    def _typing(self) -> bool:
        return self.query_one("#import-path", Input).has_focus

    # --- steps 3 and 4: dry run and import ---------------------------------------------

    def _ready(self) -> bool:
        if self.busy:
            return False
        if self.path is None:
            self._report([_("Open a file first: type its path and press enter.")], True)
            return False
        problems = self._mapping_problems()
        if problems:
            self._report(problems, True)
            return False
        return True

    def action_dry_run(self) -> None:
        if self._typing() or not self._ready():
            return
        self._start(dry_run=True)

    def action_import(self) -> None:
        if not self._ready():
            return

        def answer(go: bool | None) -> None:
            if go:
                self._start(dry_run=False)

        assert self.path is not None
        self.app.push_screen(
            ConfirmDialog(
                (
                    _("Import the invoices of {file}? Everything is written in one go, or nothing.")
                    if self.kind.name == "invoices"
                    else _(
                        "Import the clients of {file}? Everything is written in one go, or nothing."
                    )
                ).format(file=self.path.name),
                yes=_("Import"),
                no=_("Not yet"),
            ),
            answer,
        )

    def _start(self, *, dry_run: bool) -> None:
        self.busy = True
        self._cancel.clear()
        bar = self.query_one("#import-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self._report([_("Checking the file…") if dry_run else _("Importing…")])
        self._run(dry_run, dict(self.mapping), self.on_duplicate, self.skip_invalid)

    class Progressed(Message, bubble=False):
        """Rows read so far (posted by the import's worker)."""

        def __init__(self, done: int, total: int | None) -> None:
            super().__init__()
            self.done = done
            self.total = total

    def _run(
        self, dry_run: bool, mapping: dict[int, str], on_duplicate: str, skip_invalid: bool
    ) -> None:
        assert self.path is not None
        path, kind = self.path, self.kind.name

        def work() -> Any:
            from ...imports.clients import import_clients
            from ...imports.invoices import import_invoices

            worker = get_current_worker()
            options: dict[str, Any] = {
                "mapping": mapping,
                "dry_run": dry_run,
                "skip_invalid": skip_invalid,
                "progress": lambda _phase, done, total: self.post_message(
                    self.Progressed(done, total)
                ),
                "cancelled": lambda: self._cancel.is_set() or worker.is_cancelled,
            }
            if kind == "invoices":
                return import_invoices(path, **options)
            return import_clients(path, on_duplicate=on_duplicate, **options)

        def imported(report: Any) -> None:
            lines = report.lines(skip_hint=_("press s to import the other rows"))
            self._done(lines, report.failed, report)

        def failed(exc: Exception) -> bool:
            from ...imports.report import ImportCancelled
            from ...services.errors import ServiceError

            if isinstance(exc, ImportCancelled | ServiceError):
                self._done([str(exc)], True, None)
            else:  # shown, never a traceback
                self._done([_("Import failed: {error}").format(error=exc)], True, None)
            return True

        self.run_service(work, imported, refused=failed, group="import", exclusive=True)

    def on_import_screen_progressed(self, message: Progressed) -> None:
        self._progress("", message.done, message.total)

    def _progress(self, phase: str, done: int, total: int | None) -> None:
        self.query_one("#import-progress", ProgressBar).update(total=total, progress=done)

    def _done(self, lines: list[str], failed: bool, report: Any) -> None:
        self.busy = False
        self.query_one("#import-progress", ProgressBar).display = False
        self._report(lines, failed)
        if report is not None and report.committed:
            self.app.notify(report.summary(), timeout=8, markup=False)

    def _report(self, lines: list[str], error: bool = False) -> None:
        text = self.query_one("#import-report-text", Static)
        text.update(Content("\n".join(lines)))
        text.set_class(error, "-error")

    def action_back(self) -> None:
        if self.busy:
            self._cancel.set()
            self._report([_("Cancelling…")])
            return
        self.dismiss(None)


class ImportClientsScreen(ImportScreen):
    """The client import (`i` on the client list)."""

    def __init__(self, path: str = "") -> None:
        super().__init__(path, kind="clients")
