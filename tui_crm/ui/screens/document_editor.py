"""What the invoice and quote editors share: header fields above the line editor, one or
more pages of fields, ctrl+s saving in a worker, the service's reasons beside the fields
(and on the lines), the conflict dialog, and escape asking before unsaved work is lost.

A subclass says which fields it has (`pages()`), how the header sets the tax context of
the lines (`tax_context()`), and how to save (`persist()`, run in a worker inside a
database connection, returning the record's id and version).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import (
    Checkbox,
    Header,
    Input,
    Label,
    Select,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)
from textual.widgets.select import InvalidSelectValueError

from ...i18n import _
from ..widgets.footer import Footer
from ..widgets.form import ConfirmDialog, ConflictDialog, field_editor, read_value
from ..widgets.line_editor import EditLine, LineEditor, TaxContext
from .sales_support import ServiceCalls


@dataclass(frozen=True)
class HeaderField:
    """One field of a document's header."""

    key: str
    label: str  # already translated
    kind: str = "text"  # text, date, percent, money, int, bool, select, multiline
    width: int = 0  # cells for the editor; 0 = share the row
    choices: Sequence[tuple[str, str]] = ()
    placeholder: str = ""
    label_width: int = 0  # 0 = the label's own length + 1


@dataclass(frozen=True)
class Page:
    """A tab of the editor: rows of fields; the first page also holds the lines."""

    key: str
    title: str
    rows: Sequence[Sequence[HeaderField]]


def header_id(key: str) -> str:
    return "hf-" + key.replace("_", "-").replace(".", "-")


class DocumentEditor(ServiceCalls, Screen[Any]):
    """Header fields and lines of one document; ctrl+s saves, escape closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", _("Save"), id="save", priority=True),
        Binding("ctrl+n", "new_line", _("New line"), id="new_line_any"),
        Binding("escape", "close", _("Close"), id="close"),
    ]

    AUTO_FOCUS = ""  # set per editor from first_focus() in compose

    def __init__(
        self,
        values: dict[str, Any],
        lines: Sequence[EditLine],
        *,
        record_id: int | None = None,
        version: int | None = None,
        fixed: Sequence[Any] = (),
        fixed_note: str = "",
    ):
        super().__init__()
        self.values_at_start = dict(values)
        self.initial_lines = list(lines)
        self.record_id = record_id
        self.version = version
        self.fixed = list(fixed)
        self.fixed_note = fixed_note
        self._saved_state: tuple | None = None
        self._saving = False
        self._line_rows: list[int] = []

    # --- to implement -----------------------------------------------------------------

    def pages(self) -> Sequence[Page]:
        raise NotImplementedError

    def tax_context(self, values: dict[str, Any]) -> TaxContext:
        return TaxContext()

    def title_text(self) -> str:
        return ""

    def subtitle_text(self) -> str:
        return ""

    def persist(self, values: dict[str, Any], lines: list[Any]) -> tuple[int, int]:
        """Save (in a worker, inside a connection); returns (record id, version)."""
        raise NotImplementedError

    def reload(self) -> tuple[dict[str, Any], list[EditLine], int] | None:
        """Re-read the record after a conflict (in a worker): values, lines, version."""
        return None

    def line_totals(self) -> Callable[[list[Any], TaxContext], Any] | None:
        return None

    def first_focus(self) -> str:
        """The id of the widget focused first."""
        return "#le-table"

    # --- layout -----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # Focused as soon as the editor is composed, before its first paint: keys typed
        # the moment it appears must not arrive with nothing focused.
        self.AUTO_FOCUS = self.first_focus()
        yield Header()
        with Horizontal(id="doc-head"):
            yield Static(Content(self.title_text()), id="doc-title")
            yield Static(Content(self.subtitle_text()), id="doc-subtitle")
        pages = list(self.pages())
        editor = LineEditor(
            self.initial_lines,
            tax=self.tax_context(self.values_at_start),
            fixed=self.fixed,
            fixed_note=self.fixed_note,
            totals=self.line_totals(),
            id="doc-lines",
        )
        if len(pages) == 1:
            yield from self._rows(pages[0])
            yield Static("", id="doc-errors")
            yield editor
        else:
            with TabbedContent(id="doc-pages"):
                for index, page in enumerate(pages):
                    with TabPane(page.title, id=f"page-{page.key}"):
                        if index == 0:
                            yield from self._rows(page)
                            yield editor
                        else:
                            with VerticalScroll(classes="doc-page-scroll"):
                                yield from self._rows(page)
            yield Static("", id="doc-errors")
        yield Footer()

    def _rows(self, page: Page) -> ComposeResult:
        with Vertical(classes="doc-header"):
            for row in page.rows:
                multiline = any(spec.kind == "multiline" for spec in row)
                with Horizontal(classes="doc-row -tall" if multiline else "doc-row"):
                    for spec in row:
                        if spec.kind != "bool":
                            width = spec.label_width or len(spec.label) + 1
                            label = Label(Content(spec.label), classes="doc-label")
                            label.styles.width = width
                            yield label
                        widget = field_editor(
                            spec, self.values_at_start.get(spec.key), header_id(spec.key)
                        )
                        widget.add_class("doc-field")
                        if spec.width:
                            widget.styles.width = spec.width
                        else:
                            widget.styles.width = "1fr"
                        yield widget

    def on_mount(self) -> None:
        self._saved_state = self.state()
        if self.focused is None:
            self.set_focus(self.query_one("#le-table"))

    @property
    def line_editor(self) -> LineEditor:
        return self.query_one(LineEditor)

    def specs(self) -> list[HeaderField]:
        return [spec for page in self.pages() for row in page.rows for spec in row]

    def values(self) -> dict[str, Any]:
        return {
            spec.key: read_value(self.query_one(f"#{header_id(spec.key)}")) for spec in self.specs()
        }

    def set_values(self, values: dict[str, Any]) -> None:
        for spec in self.specs():
            if spec.key not in values:
                continue
            widget = self.query_one(f"#{header_id(spec.key)}")
            value = values[spec.key]
            # Set quietly: this is not typing (the caller refreshes what depends on it).
            with widget.prevent(Input.Changed, Checkbox.Changed, Select.Changed, TextArea.Changed):
                if isinstance(widget, Checkbox):
                    widget.value = bool(value)
                elif isinstance(widget, Select):
                    # "" may be a real option; blank only when it is not one and blank is allowed.
                    if any(value == option for _label, option in spec.choices):
                        widget.value = value
                    elif value in (None, ""):
                        with contextlib.suppress(InvalidSelectValueError):
                            widget.clear()
                elif isinstance(widget, TextArea):
                    widget.text = str(value or "")
                elif isinstance(widget, Input):
                    widget.value = "" if value is None else str(value)

    def state(self) -> tuple:
        values = self.values()
        return (tuple(sorted((k, str(v)) for k, v in values.items())), self.line_editor.snapshot())

    def is_dirty(self) -> bool:
        return (self.record_id is None and bool(self.line_editor.lines)) or (
            self._saved_state is not None and self.state() != self._saved_state
        )

    # --- reacting to typing -------------------------------------------------------------

    @on(Input.Changed, ".doc-field")
    @on(Checkbox.Changed, ".doc-field")
    @on(Select.Changed, ".doc-field")
    @on(TextArea.Changed, ".doc-field")
    def _header_changed(self, event: Any) -> None:
        widget = event.control
        key = ""
        if widget is not None:
            widget.remove_class("-bad")
            key = next((s.key for s in self.specs() if header_id(s.key) == widget.id), "")
        values = self.values()
        self.line_editor.set_tax(self.tax_context(values))
        self.header_changed(values, key)

    def header_changed(self, values: dict[str, Any], key: str) -> None:
        """The header field `key` changed (subclasses refresh what depends on it)."""

    # --- saving -------------------------------------------------------------------------

    def action_new_line(self) -> None:
        self.line_editor.add_line()

    def action_save(self, then: Callable[[], None] | None = None) -> None:
        if self._saving:
            return
        self._saving = True
        self._clear_errors()
        inputs, rows = self.line_editor.inputs_for_save()
        self._line_rows = rows
        self._run_save(self.values(), inputs, then)

    @work(thread=True, exclusive=True, group="document-save", exit_on_error=False)
    def _run_save(
        self, values: dict[str, Any], inputs: list[Any], then: Callable[[], None] | None
    ) -> None:
        from ...db import database
        from ...services.errors import ConflictError, ServiceError, ValidationError

        try:
            with database.connection_context():
                record_id, version = self.persist(values, inputs)
        except ValidationError as exc:
            errors = exc.errors
            self.app.call_from_thread(self._failed, lambda: self.show_errors(errors))
        except ConflictError as exc:
            conflict = exc
            self.app.call_from_thread(self._failed, lambda: self._conflict(conflict))
        except ServiceError as exc:
            message = str(exc)
            self.app.call_from_thread(self._failed, lambda: self._refusal(message))
        except Exception as exc:  # a database error must not lose what was typed
            message = _("Could not save: {error}").format(error=exc)
            self.app.call_from_thread(self._failed, lambda: self._refusal(message))
        else:
            self.app.call_from_thread(self._saved, record_id, version, then)

    def _failed(self, show: Callable[[], None]) -> None:
        self._saving = False
        show()

    def _refusal(self, message: str) -> None:
        self._show_error_line(message)
        self.notify(message, severity="error", timeout=10)

    def _saved(self, record_id: int, version: int, then: Callable[[], None] | None) -> None:
        self._saving = False
        self.record_id = record_id
        self.version = version
        self._saved_state = self.state()
        self.query_one("#doc-title", Static).update(Content(self.title_text()))
        self.query_one("#doc-subtitle", Static).update(Content(self.subtitle_text()))
        if then is not None:
            then()
        else:
            self.notify(_("Saved."))

    def _clear_errors(self) -> None:
        for widget in self.query(".doc-field.-bad"):
            widget.remove_class("-bad")
        self._show_error_line("")
        self.line_editor.clear_errors()

    def _show_error_line(self, text: str) -> None:
        line = self.query_one("#doc-errors", Static)
        line.update(Content(text))
        line.set_class(bool(text), "-shown")

    def show_errors(self, errors: dict[str, str]) -> None:
        """Header reasons in the error line (fields marked), line reasons on their lines."""
        labels = {spec.key: spec.label for spec in self.specs()}
        header = {k: v for k, v in errors.items() if not k.startswith("lines")}
        line_errors = {k: v for k, v in errors.items() if k.startswith("lines")}
        parts = []
        first = None
        for key, reason in header.items():
            matches = self.query(f"#{header_id(key)}") if key in labels else []
            if matches:
                widget = matches.first()
                widget.add_class("-bad")
                first = first or widget
            parts.append(f"{labels.get(key, key)}: {reason}")
        has_line_errors = self.line_editor.show_errors(line_errors, self._line_rows)
        if has_line_errors and not parts:
            parts.append(_("Some lines need correcting (marked !)."))
        self._show_error_line("; ".join(parts))
        if first is not None:
            self._reveal(first)
            first.focus()
        elif has_line_errors:
            self._reveal(self.line_editor)
            self.line_editor.table.focus()
        self.notify(_("Please correct what is marked."), severity="warning")

    def _reveal(self, widget: Widget) -> None:
        """Switch to the tab that holds `widget` (editors with several pages)."""
        tabs = self.query(TabbedContent)
        if not tabs:
            return
        for pane in widget.ancestors:
            if isinstance(pane, TabPane) and pane.id:
                tabs.first(TabbedContent).active = pane.id
                return

    def _conflict(self, exc: Any) -> None:
        def chosen(choice: str | None) -> None:
            if choice == "reload":
                self._run_reload()

        labels = {spec.key: spec.label for spec in self.specs()}
        self.app.push_screen(ConflictDialog(str(exc), exc.info.differences, labels), chosen)

    @work(thread=True, exclusive=True, group="document-reload", exit_on_error=False)
    def _run_reload(self) -> None:
        from ...db import database

        with database.connection_context():
            fresh = self.reload()
        if fresh is not None:
            self.app.call_from_thread(self._reloaded, *fresh)

    def _reloaded(self, values: dict[str, Any], lines: list[EditLine], version: int) -> None:
        self.set_values(values)
        self.version = version
        self.line_editor.set_tax(self.tax_context(self.values()))
        self.line_editor.set_lines(lines)
        self._saved_state = self.state()
        self._clear_errors()
        self.notify(_("Reloaded the latest version."))

    # --- closing ------------------------------------------------------------------------

    def action_close(self) -> None:
        if not self.is_dirty():
            self.dismiss(self.record_id)
            return

        def answer(discard: bool | None) -> None:
            if discard:
                self.dismiss(self.record_id)

        self.app.push_screen(
            ConfirmDialog(
                _("Close without saving your changes?"), yes=_("Discard"), no=_("Keep editing")
            ),
            answer,
        )
