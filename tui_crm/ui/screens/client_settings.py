"""The business's client settings: custom fields (admins) and comment templates.

Both open from the command palette ("Custom fields", "Comment templates"); each is a
list with `n` new, `e` (or enter) edit and `delete` (after a question). Who may
change what is decided by the services (custom fields are business settings).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Header, Static

from ...i18n import N_, _
from ..base import CrmScreen
from ..dialogs.confirm import ConfirmDialog
from ..dialogs.form import FieldSpec, FormScreen
from ..widgets.footer import Footer
from ..widgets.lazy_table import Column, LazyTable, Row
from ..widgets.sources import LoadedSource


class FieldDefForm(FormScreen[int]):
    """A custom field: its key, label, kind (and choices), required, order, in use."""

    def __init__(self, field_id: int | None = None, initial: dict[str, Any] | None = None):
        base = {"kind": "text", "active": True, "position": "0"}
        title = _("Custom field") if field_id else _("New custom field")
        super().__init__(base | dict(initial or {}), title=title)
        self.field_id = field_id

    def fields(self) -> Sequence[FieldSpec]:
        from ...services.custom_fields import KIND_LABELS

        return [
            FieldSpec("label", _("Label"), required=True, max_length=100),
            FieldSpec("key", _("Key (letters, digits, _)"), required=True, max_length=64),
            FieldSpec(
                "kind",
                _("Kind"),
                "select",
                choices=[(_(label), key) for key, label in KIND_LABELS.items()],
            ),
            FieldSpec("choices", _("Choices (comma separated)"), placeholder=_("for a choice")),
            FieldSpec("required", _("Required for every client"), "bool"),
            FieldSpec("position", _("Position in the form"), "int", max_length=4),
            FieldSpec("active", _("In use"), "bool"),
        ]

    def save(self, values: dict[str, Any]) -> int:
        from ...services import custom_fields
        from ...services.custom_fields import FieldDefInput

        data = FieldDefInput(
            key=values["key"],
            label=values["label"],
            kind=values["kind"],
            choices=values["choices"],
            required=values["required"],
            position=int(values["position"] or 0),
            active=values["active"],
        )
        if self.field_id is None:
            return custom_fields.create_definition(data)
        custom_fields.update_definition(self.field_id, data)
        return self.field_id


class _ListScreen(CrmScreen[None]):
    """A short list read whole, with n / e / delete."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back"), id="back"),
        Binding("n", "new", _("New"), id="new"),
        Binding("e", "edit", _("Edit"), id="edit"),
        Binding("delete", "delete", _("Delete"), id="delete"),
    ]
    TITLE_TEXT = ""
    HINT = ""
    EMPTY = ""

    def columns(self) -> list[Column]:
        raise NotImplementedError

    def load(self) -> list[Any]:
        raise NotImplementedError

    def to_row(self, item: Any) -> Row:
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Content(_(self.HINT)), classes="settings-hint")
        yield LazyTable(self.columns(), self.source, empty_text=_(self.EMPTY))
        yield Footer()

    def __init__(self) -> None:
        super().__init__()
        self.source = LoadedSource(self.load, self.to_row, remember=True)

    def on_mount(self) -> None:
        self.title = _(self.TITLE_TEXT)
        self.query_one(LazyTable).focus()

    def selected(self) -> Any:
        item = self.source.item(self.query_one(LazyTable).selected_key)
        if item is None:
            self.nothing_selected()
        return item

    def saved(self, result: Any) -> None:
        if result is not None:
            self.query_one(LazyTable).refresh_rows()
            self.notify(_("Saved."))

    @on(LazyTable.RowSelected)
    def _open(self) -> None:
        self.action_edit()

    def delete_with(self, call: Callable[[], Any]) -> None:
        """Delete (in a worker), then re-read the list."""
        self.run_service(
            call,
            lambda _result: self.query_one(LazyTable).refresh_rows(),
            done=_("Deleted."),
            group="settings-write",
        )

    def confirm(self, question: str, then: Callable[[], None]) -> None:
        self.app.push_screen(ConfirmDialog(question, yes=_("Delete")), lambda ok: ok and then())

    def action_back(self) -> None:
        self.dismiss()


class CustomFieldsScreen(_ListScreen):
    """The custom fields every client has (text, number, date, choice, yes/no)."""

    TITLE_TEXT = N_("Custom fields")
    HINT = N_("Fields of your own on every client's form and overview (admins change them).")
    EMPTY = N_("No custom fields yet: n adds one.")

    def columns(self) -> list[Column]:
        return [
            Column("label", _("Label"), 20, flex=True, min_width=10),
            Column("key", _("Key"), 14, min_width=8),
            Column("kind", _("Kind"), 8, min_width=6),
            Column("choices", _("Choices"), 20, min_width=8, priority=1),
            Column("required", _("Required"), 9, min_width=8, priority=2),
            Column("active", _("In use"), 7, min_width=6, priority=3),
        ]

    def load(self) -> list[Any]:
        from ...services.custom_fields import list_definitions

        return list_definitions(include_inactive=True)

    def to_row(self, d: Any) -> Row:
        from ...services.custom_fields import KIND_LABELS

        return Row(
            key=d.id,
            cells=(
                d.label,
                d.key,
                _(KIND_LABELS.get(d.kind, d.kind)),
                ", ".join(d.choices),
                _("yes") if d.required else "",
                _("yes") if d.active else _("no"),
            ),
            style="" if d.active else "muted",
        )

    def action_new(self) -> None:
        self.app.push_screen(FieldDefForm(), self.saved)

    def action_edit(self) -> None:
        d = self.selected()
        if d is None:
            return
        values = {
            "label": d.label,
            "key": d.key,
            "kind": d.kind,
            "choices": ", ".join(d.choices),
            "required": d.required,
            "position": str(d.position),
            "active": d.active,
        }
        self.app.push_screen(FieldDefForm(d.id, values), self.saved)

    def action_delete(self) -> None:
        from ...services import custom_fields

        d = self.selected()
        if d is None:
            return
        self.confirm(
            _("Delete the custom field {label} and every client's value for it?").format(
                label=d.label
            ),
            lambda: self.delete_with(lambda: custom_fields.delete_definition(d.id)),
        )


class CommentTemplatesScreen(_ListScreen):
    """Reusable texts for timeline notes (`t` on a client's Timeline fills one in)."""

    TITLE_TEXT = N_("Comment templates")
    HINT = N_("{client}, {contact}, {user} and {date} are filled in when a template is used.")
    EMPTY = N_("No comment templates yet: n adds one.")

    def columns(self) -> list[Column]:
        return [
            Column("name", _("Name"), 20, min_width=10),
            Column("kind", _("Kind"), 8, min_width=6, priority=2),
            Column("subject", _("Subject"), 20, flex=True, min_width=10),
            Column("body", _("Text"), 30, min_width=10, priority=1),
        ]

    def load(self) -> list[Any]:
        from ...services.timeline import list_templates

        return list_templates()

    def to_row(self, t: Any) -> Row:
        from ...services.timeline import KIND_LABELS

        return Row(key=t.id, cells=(t.name, _(KIND_LABELS.get(t.kind, t.kind)), t.subject, t.body))

    def action_new(self) -> None:
        from .template_form import TemplateForm

        self.app.push_screen(TemplateForm(), self.saved)

    def action_edit(self) -> None:
        from .template_form import TemplateForm

        t = self.selected()
        if t is None:
            return
        values = {"name": t.name, "kind": t.kind, "subject": t.subject, "body": t.body}
        self.app.push_screen(TemplateForm(t.id, values), self.saved)

    def action_delete(self) -> None:
        from ...services import timeline

        t = self.selected()
        if t is None:
            return
        self.confirm(
            _("Delete the template {name}?").format(name=t.name),
            lambda: self.delete_with(lambda: timeline.delete_template(t.id)),
        )
