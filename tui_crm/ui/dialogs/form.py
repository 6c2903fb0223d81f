"""Forms: what every screen that edits something shares.

A form is a `FormScreen` subclass that declares its fields (`FieldSpec`) and a
`save(values)` that calls a service. The form collects what was typed, runs the
save through the one road to a service (`run_service`), shows each
`ValidationError` reason beside its field, and turns a `ConflictError` (a
colleague saved meanwhile) into a dialog that says who and when and offers to
reload. Validation itself lives in the services, never here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, Static, TextArea
from textual.widgets.select import InvalidSelectValueError

from ...i18n import _
from ..base import CrmModalScreen
from .confirm import ConfirmDialog
from .conflict import ConflictDialog

T = TypeVar("T")

FIELD_KINDS = ("text", "multiline", "select", "bool", "date", "money", "int", "percent", "path")


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str  # already translated
    kind: str = "text"
    choices: Sequence[tuple[str, str]] = ()  # (label, value) for kind == "select"
    required: bool = False
    placeholder: str = ""
    max_length: int = 0
    suffixes: Sequence[str] = ()  # kind == "path": the files → completes (and directories)


def field_id(key: str) -> str:
    return "field-" + key.replace(".", "-").replace("_", "-")


def field_editor(spec: Any, value: Any, widget_id: str | None = None) -> Widget:
    """The editor of one field (a FieldSpec, or anything with its key, label, kind,
    choices and placeholder: the document editor's header fields)."""
    wid = widget_id or field_id(spec.key)
    if spec.kind == "bool":
        return Checkbox(spec.label, value=bool(value), id=wid, compact=True)
    if spec.kind == "select":
        options = [(label, val) for label, val in spec.choices]
        values = [val for _label, val in options]
        current = value if value in values else (values[0] if values else Select.BLANK)
        return Select(options, value=current, allow_blank=not values, compact=True, id=wid)
    if spec.kind == "multiline":
        area = TextArea(
            str(value or ""),
            id=wid,
            soft_wrap=True,
            tab_behavior="focus",
            placeholder=spec.placeholder,
        )
        area.show_line_numbers = False
        return area
    placeholder = spec.placeholder
    if not placeholder and spec.kind == "date":
        placeholder = _("YYYY-MM-DD")
    restrict = {
        "int": r"-?[0-9]*",
        "money": r"[-0-9.,' €]*",
        "percent": r"[0-9.,]*",
        "date": r"[0-9/\-]*",
    }.get(spec.kind)
    suggester = None
    if spec.kind == "path":
        from ..widgets.paths import PathSuggester

        suggester = PathSuggester(suffixes=getattr(spec, "suffixes", ()))
    return Input(
        value="" if value is None else str(value),
        placeholder=placeholder,
        restrict=restrict,
        max_length=getattr(spec, "max_length", 0),
        suggester=suggester,
        compact=True,
        id=wid,
    )


def read_value(widget: Widget) -> Any:
    if isinstance(widget, Checkbox):
        return widget.value
    if isinstance(widget, Select):
        return "" if widget.value == Select.BLANK else widget.value
    if isinstance(widget, TextArea):
        return widget.text
    if isinstance(widget, Input):
        return widget.value
    raise TypeError(f"not a form editor: {widget!r}")


class FormScreen(CrmModalScreen[T]):
    """A modal form: tab/shift+tab move, ctrl+s saves, escape closes (asking if changed).

    Subclasses set `TITLE_TEXT`, implement `fields()` and `save(values)` (runs in a
    worker thread inside a database connection; returns the dismiss value), and
    may implement `reload()` (also in a worker) to re-read the record after a
    conflict, returning fresh initial values.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", _("Save"), id="save", priority=True),
        Binding("escape", "close", _("Close"), id="close"),
    ]

    TITLE_TEXT = ""

    def __init__(self, initial: dict[str, Any] | None = None, *, title: str | None = None):
        super().__init__(classes="form-screen")
        self.initial = dict(initial or {})
        self.title_text = title or self.TITLE_TEXT
        self._saving = False

    # --- to implement ----------------------------------------------------------

    def fields(self) -> Sequence[FieldSpec]:
        raise NotImplementedError

    def save(self, values: dict[str, Any]) -> T:
        raise NotImplementedError

    def reload(self) -> dict[str, Any] | None:
        return None

    def field_labels(self) -> dict[str, str]:
        return {spec.key: spec.label for spec in self.fields()}

    # --- layout ----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(classes="form"):
            yield Static(Content(self.title_text), classes="form-title")
            with VerticalScroll(classes="form-fields"):
                for spec in self.fields():
                    with Horizontal(classes=f"form-row form-row-{spec.kind}"):
                        if spec.kind != "bool":
                            marker = " *" if spec.required else ""
                            yield Label(Content(spec.label + marker), classes="form-label")
                        else:
                            yield Label("", classes="form-label")
                        yield field_editor(spec, self.initial.get(spec.key))
                    yield Label("", classes="form-error", id=field_id(spec.key) + "-error")
            yield Static(
                Content(_("ctrl+s save · escape close · tab next field")), classes="form-keys"
            )

    def on_mount(self) -> None:
        specs = self.fields()
        if specs:
            self.query_one(f"#{field_id(specs[0].key)}").focus()
        for spec in specs:
            if spec.kind == "path":  # typing goes on after what is there
                path = self.query_one(f"#{field_id(spec.key)}", Input)
                path.cursor_position = len(path.value)

    def values(self) -> dict[str, Any]:
        return {
            spec.key: read_value(self.query_one(f"#{field_id(spec.key)}")) for spec in self.fields()
        }

    def set_values(self, values: dict[str, Any], *, remember: bool = True) -> None:
        """Show `values` in the fields; `remember` makes them the baseline for "changed"."""
        for spec in self.fields():
            if spec.key not in values:
                continue
            widget = self.query_one(f"#{field_id(spec.key)}")
            value = values[spec.key]
            if isinstance(widget, Checkbox):
                widget.value = bool(value)
            elif isinstance(widget, Select):
                # "" may be a real option ("(nobody)"); blank only when it is not one.
                if any(value == option for _label, option in spec.choices):
                    widget.value = value
                elif value in (None, ""):
                    with contextlib.suppress(InvalidSelectValueError):  # no blank allowed
                        widget.clear()
            elif isinstance(widget, TextArea):
                widget.text = str(value or "")
            elif isinstance(widget, Input):
                widget.value = "" if value is None else str(value)
        if remember:
            self.initial.update(values)

    def changed_values(self) -> dict[str, Any]:
        """The fields the person changed since the form was filled (or last reloaded)."""
        current = self.values()
        return {
            k: v
            for k, v in current.items()
            if str(v if v is not None else "") != str(self.initial.get(k, "") or "")
            and not (v in ("", False) and self.initial.get(k) in (None, "", False))
        }

    def is_dirty(self) -> bool:
        return bool(self.changed_values())

    # --- errors ----------------------------------------------------------------

    def clear_errors(self) -> None:
        for label in self.query(".form-error"):
            label.update("")
            label.remove_class("-shown")

    def show_errors(self, errors: dict[str, str]) -> None:
        self.clear_errors()
        first = None
        unplaced = []
        for key, reason in errors.items():
            matches = self.query(f"#{field_id(key)}-error")
            if matches:
                label = matches.first(Label)
                label.update(Content(reason))
                label.add_class("-shown")
                first = first or key
            else:
                unplaced.append(f"{key}: {reason}")
        if first:
            self.query_one(f"#{field_id(first)}").focus()
        message = _("Please correct the highlighted fields.")
        if unplaced:
            message = "; ".join(unplaced)
        self.notify(message, severity="warning")

    # --- actions ---------------------------------------------------------------

    def action_save(self) -> None:
        if self._saving:
            return
        self._saving = True
        # ctrl+s is a priority binding, handled as soon as it arrives, while the keys typed
        # just before it may still wait in the focused field's queue (a paste, a fast typist
        # over SSH): read the values only after that field has processed them.
        focused = self.focused
        if focused is not None:
            focused.call_later(self._save_values)
        else:
            self._save_values()

    def _save_values(self) -> None:
        self.clear_errors()
        values = self.values()
        self.run_service(
            lambda: self.save(values),
            self._saved,
            refused=self._save_refused,
            group="form-save",
            exclusive=True,
        )

    def _save_refused(self, exc: Exception) -> bool:
        """The service's reasons beside the fields, a colleague's save in the conflict
        dialog; any other refusal in one line (False: the standard way)."""
        from ...services.errors import ConflictError, ServiceError, ValidationError

        self._saving = False
        if isinstance(exc, ValidationError):
            self.show_errors(exc.errors)
        elif isinstance(exc, ConflictError):
            self._conflict(exc)
        elif not isinstance(exc, ServiceError):  # a database error must not lose the form
            message = _("Could not save: {error}").format(error=exc)
            self.notify(message, severity="error", timeout=10, markup=False)
        else:
            return False
        return True

    def _saved(self, result: T) -> None:
        self._saving = False
        self.dismiss(result)

    def _conflict(self, exc: Any) -> None:
        mine = self.changed_values()

        def chosen(choice: str | None) -> None:
            if choice == "reload":
                self._reload()
            elif choice == "both":
                self._reload(mine)

        self.app.push_screen(
            ConflictDialog(str(exc), exc.info.differences, self.field_labels()), chosen
        )

    def _reload(self, reapply: dict[str, Any] | None = None) -> None:
        def reloaded(fresh: dict[str, Any] | None) -> None:
            if fresh is not None:
                self._reloaded(fresh, reapply)

        self.run_service(self.reload, reloaded, group="form-reload", exclusive=True)

    def _reloaded(self, fresh: dict[str, Any], reapply: dict[str, Any] | None = None) -> None:
        self.set_values(fresh)
        self.clear_errors()
        if reapply:
            # Theirs is now the baseline; yours go back on top, unsaved, for review.
            self.set_values(reapply, remember=False)
            self.notify(
                _("Their version is loaded and your changes are back on top: review, then ctrl+s.")
            )
        else:
            self.notify(_("Reloaded the latest version."))

    def action_close(self) -> None:
        if not self.is_dirty():
            self.dismiss(None)
            return

        def answer(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmDialog(_("Discard your changes?"), yes=_("Discard"), no=_("Keep editing")),
            answer,
        )
