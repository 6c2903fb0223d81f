"""`x` on any list: export what the screen shows to a formatted Excel file.

A screen hands over its columns, a factory for its rows (called in a worker
thread inside a database connection, with the screen's filters already
applied) and a title, in one call:

    def action_export(self) -> None:
        export_list(self, _("Clients"), lists.CLIENT_COLUMNS, lambda: lists.client_rows(flt),
                    stem="clientes", count=lambda: count_clients(flt))

The person confirms the file name (default ~/STEM-YYYY-MM-DD.xlsx; → completes a
path), the file is written in a thread worker with a progress bar (escape
cancels and nothing is left behind), and a notification says where it is.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Label, ProgressBar, Static
from textual.worker import get_current_worker

from ...i18n import _, count_text
from ...services.reports import ReportColumn
from ..base import CrmModalScreen
from ..widgets.paths import PathSuggester
from .confirm import ConfirmDialog


@dataclass(frozen=True)
class ExportJob:
    """What to export: the screen's list as it is filtered now."""

    title: str  # already translated
    columns: Sequence[ReportColumn]
    rows: Callable[[], Iterable[Mapping[str, Any] | Sequence[Any]]]
    count: Callable[[], int | None] | None = None
    stem: str = "export"
    notes: Sequence[str] = ()
    money_in_cents: bool = False  # the rows hold integer cents (reports.invoice_cents_rows)


def default_path(stem: str, today: dt.date | None = None) -> str:
    """~/clients-2026-11-23.xlsx, the list's name in the user's language."""
    from ...services.lists import default_file_name

    return "~/" + default_file_name(stem, today)


class ExportDialog(ModalScreen[Path | None]):
    """Ask where to write the file; enter accepts, escape cancels. An existing file is
    replaced only after the person says so (`replace` is then True)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", _("Cancel"), id="cancel"),
    ]

    def __init__(self, job: ExportJob) -> None:
        super().__init__(classes="dialog-screen")
        self.job = job
        self.replace = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog excel-dialog"):
            yield Static(
                Content(_("Export “{title}” to Excel").format(title=self.job.title)),
                classes="form-title",
            )
            yield Label(_("File name"), classes="field-label")
            yield Input(
                default_path(self.job.stem),
                suggester=PathSuggester(suffixes=(".xlsx",)),
                id="export-path",
            )
            yield Static("", classes="field-error", id="export-error")
            yield Static(
                Content(_("enter export · → complete the path · escape cancel")),
                classes="form-keys",
            )

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(Input.Submitted, "#export-path")
    def _submitted(self, event: Input.Submitted) -> None:
        from ...services.lists import ExportError, check_destination

        text = event.value.strip()
        if text and not text.lower().endswith(".xlsx"):
            text += ".xlsx"
        try:
            path = check_destination(text or default_path(self.job.stem))
        except ExportError as exc:
            self.query_one("#export-error", Static).update(Content(str(exc)))
            return
        from ...services.errors import ServiceError
        from ...services.output_files import check_target

        try:
            check_target(path, force=True)  # never the database, a directory, a live one
        except ServiceError as exc:
            self.query_one("#export-error", Static).update(Content(str(exc)))
            return
        if os.path.lexists(path):

            def answer(replace: bool | None) -> None:
                if replace:
                    self.replace = True
                    self.dismiss(path)

            self.app.push_screen(
                ConfirmDialog(
                    _("{path} exists. Replace it?").format(path=path),
                    yes=_("Replace"),
                    no=_("Keep it"),
                ),
                answer,
            )
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ExportProgress(CrmModalScreen[Any]):
    """Writes the file in a thread worker; a progress bar, escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", _("Cancel"), id="cancel"),
    ]

    def __init__(self, job: ExportJob, path: Path, *, replace: bool = False) -> None:
        super().__init__(classes="dialog-screen")
        self.job = job
        self.path = path
        self.replace = replace  # the person agreed to replace an existing file
        self._cancel = threading.Event()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog excel-dialog"):
            yield Static(
                Content(_("Exporting “{title}”").format(title=self.job.title)),
                classes="form-title",
            )
            yield Static(Content(str(self.path)), classes="dialog-details")
            yield ProgressBar(total=None, show_eta=False, id="export-progress")
            yield Static(_("Reading the list…"), id="export-status")
            yield Static(Content(_("escape cancel")), classes="form-keys")

    class Advanced(Message, bubble=False):
        """Rows written so far (posted by the worker)."""

        def __init__(self, done: int, total: int | None) -> None:
            super().__init__()
            self.done = done
            self.total = total

    def on_mount(self) -> None:
        self.run_service(
            self._write, self._written, refused=self._failed, group="export", snapshot=True
        )

    def _write(self) -> Any:
        """In the worker, inside one read-only transaction: the list, written to the file."""
        from ...services.lists import save_xlsx
        from ...services.session import login

        worker = get_current_worker()

        def cancelled() -> bool:
            return self._cancel.is_set() or worker.is_cancelled

        def progress(done: int, total: int | None) -> None:
            self.post_message(self.Advanced(done, total))

        total = self.job.count() if self.job.count is not None else None
        progress(0, total)
        return save_xlsx(
            self.path,
            self.job.columns,
            self.job.rows(),
            title=self.job.title,
            notes=self.job.notes,
            total=total,
            progress=progress,
            cancelled=cancelled,
            author=login(),
            force=self.replace,
            money_in_cents=self.job.money_in_cents,
        )

    def _written(self, result: Any) -> None:
        message = _("Exported {n} rows to {path}").format(
            n=count_text(result.rows), path=result.path
        )
        self._finish(result, message)

    def _failed(self, exc: Exception) -> bool:
        from ...exports.xlsx import ExportCancelled
        from ...services.calls import fault_text

        if isinstance(exc, ExportCancelled):
            self._finish(None, _("Export cancelled; no file written"))
        else:
            self._finish(None, _("Export failed: {error}").format(error=fault_text(exc)), "error")
        return True

    def on_export_progress_advanced(self, message: Advanced) -> None:
        self._progress(message.done, message.total)

    def _progress(self, done: int, total: int | None) -> None:
        bar = self.query_one("#export-progress", ProgressBar)
        bar.update(total=total, progress=done)
        status = (
            _("{done} of {total} rows").format(done=count_text(done), total=count_text(total))
            if total
            else _("{done} rows").format(done=count_text(done))
        )
        if self._cancel.is_set():
            status = _("Cancelling…")
        self.query_one("#export-status", Static).update(status)

    def _finish(self, result: Any, message: str, severity: SeverityLevel = "information") -> None:
        self.app.notify(message, severity=severity, timeout=8, markup=False)
        self.dismiss(result)

    def action_cancel(self) -> None:
        self._cancel.set()
        self.query_one("#export-status", Static).update(_("Cancelling…"))


def export_list(
    owner: Screen[Any],
    title: str,
    columns: Sequence[ReportColumn],
    rows: Callable[[], Iterable[Mapping[str, Any] | Sequence[Any]]],
    *,
    stem: str,
    count: Callable[[], int | None] | None = None,
    notes: Sequence[str] = (),
    done: Callable[[Any], None] | None = None,
    money_in_cents: bool = False,
) -> None:
    """Ask for a file name, then export the list with a progress bar (see the module doc)."""
    job = ExportJob(title, tuple(columns), rows, count, stem, tuple(notes), money_in_cents)
    dialog = ExportDialog(job)

    def chosen(path: Path | None) -> None:
        if path is not None:
            owner.app.push_screen(ExportProgress(job, path, replace=dialog.replace), done)

    owner.app.push_screen(dialog, chosen)
