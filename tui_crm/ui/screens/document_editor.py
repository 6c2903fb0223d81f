"""What the invoice and quote editors share: header fields above the line editor, one or
more pages of fields, ctrl+s saving in a worker, the service's reasons beside the fields
(and on the lines), the conflict dialog, and escape asking before unsaved work is lost.

An editor opens with `EditorData` read in a worker (the client's defaults and the saved
document, if any: `new_document`, `saved_document`). A subclass says which fields it
has (`pages()`), how the header sets the tax context of the lines (`tax_context()`; by
default the header's IRPF, recargo and exemption with the client's usual IVA), and how
to save (`persist()`, run in a worker inside a database connection, returning the
record's id and version).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
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
from ..base import CrmScreen
from ..dialogs.confirm import ConfirmDialog
from ..dialogs.conflict import ConflictDialog
from ..dialogs.form import field_editor, read_value
from ..safe_text import one_line
from ..widgets.footer import Footer
from ..widgets.line_editor import EditLine, LineEditor, TaxContext, parse_quantity


@dataclass(frozen=True)
class EditorData:
    """What a document editor opens with, read in a worker (plain values)."""

    defaults: Any  # invoices.InvoiceDefaults of the client (series, IRPF, recargo, IVA …)
    detail: Any | None = None  # the saved document (a draft invoice, a quote, a template)
    quote_id: int | None = None  # a new invoice written from this quote
    order_id: int | None = None  # … or this order


def new_document(
    client_id: int, quote_id: int | None = None, order_id: int | None = None
) -> EditorData:
    """A new document of a client: its defaults (in a worker)."""
    from ...services import invoices

    return EditorData(invoices.invoice_defaults(client_id), None, quote_id, order_id)


def saved_document(detail: Any) -> EditorData:
    """A saved document with its client's defaults (in a worker)."""
    from ...services import invoices

    return EditorData(invoices.invoice_defaults(detail.client_id), detail)


def iso(day: dt.date | None) -> str:
    """A date as a date field shows it ("" for none)."""
    return day.isoformat() if day else ""


def parse_percent(text: str) -> Any:
    """A percent typed in a field ("15", "5,2"); the text itself when it is not a number,
    so that the service names the field."""
    text = (text or "").strip()
    if not text:
        return Decimal(0)
    try:
        return parse_quantity(text)
    except ValueError:
        return text


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


class DocumentEditor(CrmScreen[Any]):
    """Header fields and lines of one document; ctrl+s saves, escape closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", _("Save"), id="save", priority=True),
        Binding("ctrl+n", "new_line", _("New line"), id="new_line_any"),
        Binding("escape", "close", _("Close"), id="close"),
    ]

    AUTO_FOCUS = ""  # set per editor from first_focus() in compose
    data: EditorData  # set by each editor before this __init__

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
        irpf = parse_percent(str(values.get("irpf_rate", "")))
        return TaxContext(
            recargo=bool(values.get("recargo")),
            exemption_reason=str(values.get("exemption_reason") or "").strip(),
            irpf_rate=irpf if isinstance(irpf, Decimal) else Decimal(0),
            default_vat=self.data.defaults.vat_rate,
        )

    def title_text(self) -> str:
        return ""

    def subtitle_text(self) -> str:
        """The client (and its tax ID) under the title."""
        defaults = self.data.defaults
        text = one_line(defaults.client_name)
        if defaults.tax_id:
            text += f" ({one_line(defaults.tax_id)})"
        return text

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
        values = self.values()
        self.run_service(
            lambda: self.persist(values, inputs),
            lambda saved: self._saved(*saved, then),
            refused=self._save_refused,
            group="document-save",
            exclusive=True,
        )

    def _save_refused(self, exc: Exception) -> bool:
        """Reasons beside the fields and on the lines, a colleague's save in the conflict
        dialog, any other refusal in the error line (what was typed is never lost)."""
        from ...services.errors import ConflictError, ServiceError, ValidationError

        self._saving = False
        if isinstance(exc, ValidationError):
            self.show_errors(exc.errors)
        elif isinstance(exc, ConflictError):
            self._conflict(exc)
        elif isinstance(exc, ServiceError):
            self._refusal(str(exc))
        else:
            self._refusal(_("Could not save: {error}").format(error=exc))
        return True

    def _refusal(self, message: str) -> None:
        self._show_error_line(message)
        self.notify(message, severity="error", timeout=10, markup=False)

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

    def _run_reload(self) -> None:
        def reloaded(fresh: tuple[dict[str, Any], list[EditLine], int] | None) -> None:
            if fresh is not None:
                self._reloaded(*fresh)

        self.run_service(self.reload, reloaded, group="document-reload", exclusive=True)

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
