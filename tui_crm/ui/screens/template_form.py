"""A comment template: a reusable text for timeline entries ({client}, {user}, {date} ...)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...i18n import _
from ..dialogs.form import FieldSpec, FormScreen
from .activity_form import kind_choices


class TemplateForm(FormScreen[int]):
    """New template (or edit one, given its id and values); dismisses with its id."""

    def __init__(self, template_id: int | None = None, initial: dict[str, Any] | None = None):
        super().__init__(
            {"kind": "note"} | dict(initial or {}),
            title=_("Comment template") if template_id else _("New comment template"),
        )
        self.template_id = template_id

    def fields(self) -> Sequence[FieldSpec]:
        return [
            FieldSpec("name", _("Name"), required=True, max_length=100),
            FieldSpec("kind", _("Kind"), "select", choices=kind_choices()),
            FieldSpec(
                "subject",
                _("Subject"),
                max_length=200,
                placeholder=_("may use {client} {contact} {user} {date}"),
            ),
            FieldSpec("body", _("Text"), "multiline"),
        ]

    def save(self, values: dict[str, Any]) -> int:
        from ...services import timeline

        if self.template_id is None:
            return timeline.create_template(
                values["name"], values["kind"], values["subject"], values["body"]
            )
        timeline.update_template(
            self.template_id, values["name"], values["kind"], values["subject"], values["body"]
        )
        return self.template_id
