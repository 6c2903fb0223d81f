"""Email templates: the business's texts for quotes, invoices and the three reminders.

Each kind has a built-in template in Spanish and English; editing one saves the
business's own version (the built-in one comes back when it is deleted), and `n`
adds another named template (chosen in the send dialog or with `--template`).
Placeholders are checked by the service: an unknown one is refused by name beside
the field. Changing templates is an admin's business setting.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Header, Static

from ...i18n import _
from ..base import CrmScreen
from ..dialogs.confirm import ConfirmDialog
from ..dialogs.form import FieldSpec, FormScreen
from ..widgets.footer import Footer
from ..widgets.lazy_table import Column, LazyTable, Row
from ..widgets.sources import LoadedSource


def template_columns() -> list[Column]:
    return [
        Column("name", _("Name"), 14, min_width=10),
        Column("language", _("Language"), 8, min_width=6),
        Column("kind", _("Kind"), 26, min_width=12, priority=1),
        Column("subject", _("Subject"), 40, flex=True, min_width=16),
        Column("origin", _("Origin"), 10, min_width=8, priority=2),
    ]


def template_row(t: Any) -> Row:
    from ...services.email_templates import KIND_LABELS, LANGUAGE_LABELS

    return Row(
        key=f"{t.name}\t{t.language}",
        cells=(
            t.name,
            _(LANGUAGE_LABELS[t.language]) if t.language in LANGUAGE_LABELS else t.language,
            _(KIND_LABELS.get(t.kind, t.kind)),
            t.subject,
            _("built-in") if t.builtin else _("yours"),
        ),
        style="muted" if t.builtin else "",
    )


class EmailTemplateForm(FormScreen[str]):
    """One template: name, language, kind, subject and text with placeholders."""

    def __init__(self, initial: dict[str, Any], *, title: str) -> None:
        super().__init__(initial, title=title)

    def fields(self) -> Sequence[FieldSpec]:
        from ...services.email_templates import KIND_LABELS, KINDS, LANGUAGE_LABELS, LANGUAGES

        return [
            FieldSpec("name", _("Name"), required=True, max_length=60),
            FieldSpec(
                "language",
                _("Language"),
                "select",
                choices=[(_(LANGUAGE_LABELS[lang]), lang) for lang in LANGUAGES],
            ),
            FieldSpec("kind", _("Kind"), "select", choices=[(_(KIND_LABELS[k]), k) for k in KINDS]),
            FieldSpec("subject", _("Subject"), required=True, max_length=200),
            FieldSpec("body", _("Text"), "multiline", required=True),
        ]

    def save(self, values: dict[str, Any]) -> str:
        from ...services import email_templates

        saved = email_templates.save_template(
            str(values["name"]),
            str(values["language"]),
            str(values["kind"]),
            str(values["subject"]),
            str(values["body"]),
        )
        return saved.name


def _form_title(kind: str) -> str:
    from ...services.email_templates import placeholders_text

    return _("Email template · placeholders: {names}").format(names=placeholders_text(kind))


class EmailTemplatesScreen(CrmScreen[None]):
    """The templates, built-in and the business's own."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back"), id="back"),
        Binding("n", "new", _("New"), id="new"),
        Binding("e", "edit", _("Edit"), id="edit"),
        Binding("delete", "delete", _("Delete"), id="delete"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(
            Content(
                _(
                    "Editing a built-in template saves your own version; deleting yours "
                    "brings the built-in one back."
                )
            ),
            id="templates-hint",
        )
        yield LazyTable(template_columns(), self._source(), id="templates-table")
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Email templates")
        self.query_one(LazyTable).focus()

    def _source(self) -> LoadedSource[Any]:
        from ...services.email_templates import list_templates

        self.source = LoadedSource(list_templates, template_row, remember=True)
        return self.source

    def _selected(self) -> Any:
        return self.source.item(self.query_one(LazyTable).selected_key)

    def _after(self, result: Any) -> None:
        if result:
            self.notify(_("Template saved."))
            self.query_one(LazyTable).refresh_rows()

    def action_new(self) -> None:
        initial = {"language": "es", "kind": "invoice", "name": "", "subject": "", "body": ""}
        self.app.push_screen(EmailTemplateForm(initial, title=_form_title("invoice")), self._after)

    def action_edit(self) -> None:
        template = self._selected()
        if template is None:
            return
        initial = {
            "name": template.name,
            "language": template.language,
            "kind": template.kind,
            "subject": template.subject,
            "body": template.body,
        }
        self.app.push_screen(
            EmailTemplateForm(initial, title=_form_title(template.kind)), self._after
        )

    @on(LazyTable.RowSelected)
    def _open(self) -> None:
        self.action_edit()

    def action_delete(self) -> None:
        from ...services import email_templates

        template = self._selected()
        if template is None:
            return
        if template.builtin:
            self.notify(
                _("Built-in templates stay; edit it to write your own."), severity="warning"
            )
            return
        question = _("Delete the template {name} ({language})?").format(
            name=template.name, language=template.language
        )

        def answer(ok: bool | None) -> None:
            if ok:
                self.run_service(
                    lambda: email_templates.delete_template(template.name, template.language),
                    lambda _result: self._deleted(),
                    group="templates-delete",
                    exclusive=True,
                )

        self.app.push_screen(ConfirmDialog(question, yes=_("Delete")), answer)

    def _deleted(self) -> None:
        self.notify(_("Template deleted."))
        self.query_one(LazyTable).refresh_rows()

    def action_back(self) -> None:
        self.app.pop_screen()
