"""Timeline entries: the form (new, edit, from a template) and reschedule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from ...i18n import _
from ..dialogs.form import FieldSpec, FormScreen, field_id
from ..safe_text import one_line
from .client_record_forms import RecordForm


def kind_choices() -> list[tuple[str, str]]:
    from ...services.timeline import KIND_LABELS

    return [(_(label), key) for key, label in KIND_LABELS.items()]


class ActivityForm(RecordForm):
    """A call, meeting, email, note or task; a due date makes it a follow-up.

    `contacts` and `projects` are (label, id) choices of this client, read before
    the form opens. The subject is focused first: typing a note is one step.
    """

    SERVICE, RECORD, DATA = "timeline", "activity", "ActivityData"

    def __init__(
        self,
        client_id: int,
        record_id: int | None = None,
        version: int | None = None,
        initial: dict[str, Any] | None = None,
        *,
        contacts: Sequence[tuple[str, Any]] = (),
        projects: Sequence[tuple[str, Any]] = (),
        title: str | None = None,
    ):
        base = {"kind": "note", "occurred_at": ""}
        super().__init__(client_id, record_id, version, base | dict(initial or {}), title=title)
        self.contact_choices = [(_("(none)"), ""), *list(contacts)]
        self.project_choices = [(_("(none)"), ""), *list(projects)]

    def fields(self) -> Sequence[FieldSpec]:
        return [
            FieldSpec("subject", _("Subject"), max_length=200),
            FieldSpec("kind", _("Kind"), "select", choices=kind_choices()),
            FieldSpec("body", _("Text"), "multiline"),
            FieldSpec("outcome", _("Outcome"), max_length=200),
            FieldSpec("contact_id", _("Contact"), "select", choices=self.contact_choices),
            FieldSpec("project_id", _("Project"), "select", choices=self.project_choices),
            FieldSpec(
                "occurred_at",
                _("When"),
                placeholder=_("YYYY-MM-DD HH:MM (empty: now)"),
                max_length=19,
            ),
            FieldSpec(
                "due_date",
                _("Follow up on"),
                "date",
                placeholder=_("YYYY-MM-DD: puts it on the agenda"),
            ),
        ]

    def on_mount(self) -> None:
        self.query_one(f"#{field_id('subject')}").focus()

    @staticmethod
    def values_of(row: Any) -> dict[str, Any]:
        from ...services.timeline import local_text

        return {
            "subject": row.subject,
            "kind": row.kind,
            "body": row.body,
            "outcome": row.outcome,
            "contact_id": row.contact_id or "",
            "project_id": row.project_id or "",
            "occurred_at": local_text(row.occurred_at),
            "due_date": row.due_date.isoformat() if row.due_date else "",
        }

    def to_data(self, values: dict[str, Any]) -> Any:
        from ...services.records import optional_id
        from ...services.timeline import ActivityData

        return ActivityData(
            kind=values["kind"] or "note",
            subject=values["subject"],
            body=values["body"],
            outcome=values["outcome"],
            contact_id=optional_id(values.get("contact_id")),
            project_id=optional_id(values.get("project_id")),
            occurred_at=values["occurred_at"] or None,
            due_date=values["due_date"] or None,
        )

    def load(self) -> tuple[int, dict[str, Any]]:
        assert self.record_id is not None
        row = self._service().get_activity(self.record_id)  # the row itself is the data
        return row.version, self.values_of(row)


class RescheduleForm(FormScreen[dt.date | None]):
    """Move a follow-up to another day (with the version it was read at)."""

    def __init__(self, activity_id: int, version: int, due: dt.date | None, subject: str):
        tomorrow = dt.date.today() + dt.timedelta(days=1)
        super().__init__(
            {"due_date": (due if due and due > dt.date.today() else tomorrow).isoformat()},
            title=_("Reschedule: {subject}").format(subject=one_line(subject)[:60]),
        )
        self.activity_id = activity_id
        self.version = version

    def fields(self) -> Sequence[FieldSpec]:
        return [FieldSpec("due_date", _("Follow up on"), "date", required=True)]

    def save(self, values: dict[str, Any]) -> dt.date | None:
        from ...services import timeline

        self.version = timeline.reschedule(self.activity_id, values["due_date"], self.version)
        return timeline.get_activity(self.activity_id).due_date

    def reload(self) -> dict[str, Any] | None:
        from ...services import timeline

        row = timeline.get_activity(self.activity_id)
        self.version = row.version
        return {"due_date": row.due_date.isoformat() if row.due_date else ""}
