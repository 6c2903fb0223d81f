"""The client file's Timeline tab: open follow-ups first (overdue in red), `d` marks one
done (again: reopen), `r` reschedules it, `t` fills a note from a comment template,
enter shows an entry in full, `M` sends a failed email again. A meeting (`I` on the
client file) opens in its own form (time, place, attendees, invitation); `X` cancels
the meeting under the cursor and tells its attendees."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ....i18n import N_, _
from ...formatting import date as show_date
from ...formatting import local_datetime
from ...widgets.lazy_table import Column, Row
from ...widgets.sources import PagedSource
from .base import ListTab

if TYPE_CHECKING:
    from ..client_record_forms import RecordForm


def activity_row(a: Any, today: Any) -> Row:
    from ....services.timeline import KIND_LABELS

    if a.email_status in ("failed", "draft"):
        follow, style = _("not sent (M resends)"), "danger"
    elif a.is_follow_up:
        follow = _("due {date}").format(date=show_date(a.due_date))
        style = "danger" if a.due_date < today else "warning"
    elif a.done_at is not None and a.due_date is not None:
        follow, style = _("done"), ""
    else:
        follow, style = "", ""
    return Row(
        key=a.id,
        cells=(
            local_datetime(a.occurred_at),
            _(KIND_LABELS.get(a.kind, a.kind)),
            a.title,
            a.contact_name,
            a.author,
            follow,
        ),
        style=style,
    )


class TimelineTab(ListTab):
    KEY = "timeline"
    ACTIONS = ListTab.ACTIONS | {"done", "reschedule", "template", "email", "cancel_meeting"}
    EMPTY = N_("Nothing on the timeline yet: n records a call, a note, a task…")
    DELETE_QUESTION = N_("Delete the timeline entry {what}?")
    NAME_CELL = 2  # the subject

    def columns(self) -> list[Column]:
        # The subject is what a person reads the timeline for: at 80 columns it keeps
        # 24 cells (and the date its 16) while "By" gives way, the contact is squeezed.
        return [
            Column("when", _("When"), 16, min_width=16),
            Column("kind", _("Kind"), 8, min_width=7, priority=2),
            Column("subject", _("Subject"), 30, flex=True, min_width=24),
            Column("contact", _("Contact"), 14, min_width=8, priority=3),
            Column("author", _("By"), 8, min_width=8, priority=4),
            Column("follow", _("Follow-up"), 15, min_width=10),
        ]

    def source(self) -> PagedSource[Any]:
        from ....services import timeline

        client_id, today = self.client_id, self.today
        return PagedSource(
            lambda: timeline.count_timeline(client_id),
            lambda offset, limit: timeline.list_timeline(client_id, offset, limit),
            lambda a: activity_row(a, today),
        )

    def form(self) -> type[RecordForm]:
        from ..activity_form import ActivityForm

        return ActivityForm

    def new(self) -> None:
        self.open_form()

    def edit(self) -> None:
        key = self.selected()
        if key is not None:
            self.open_form(key)

    def open_form(
        self, activity_id: int | None = None, initial: dict[str, Any] | None = None
    ) -> None:
        """The entry form with this client's contacts and projects to choose from."""
        from ....services import contacts, projects, timeline
        from ..activity_form import ActivityForm

        client_id = self.client_id

        def load() -> tuple[Any, list, list]:
            row = timeline.get_activity(activity_id) if activity_id is not None else None
            if row is not None and row.kind == "meeting" and row.email_status == "":
                from ...screens.meeting_form import load_setup

                return load_setup(client_id, row.id), [], []
            people = [(c.name, c.id) for c in contacts.list_contacts(client_id)]
            works = [(p.data.name, p.id) for p in projects.list_projects(client_id)]
            return row, people, works

        def show(loaded: tuple[Any, list, list]) -> None:
            row, people, works = loaded
            from ...screens.meeting_form import MeetingSetup

            if isinstance(row, MeetingSetup):
                self._open_meeting(row)
                return
            if row is None:
                form = ActivityForm(
                    client_id,
                    initial=initial,
                    contacts=people,
                    projects=works,
                    title=_("New timeline entry"),
                )
            else:
                form = ActivityForm(
                    client_id,
                    row.id,
                    row.version,
                    ActivityForm.values_of(row),
                    contacts=people,
                    projects=works,
                    title=_("Edit timeline entry"),
                )
            self.app.push_screen(form, self.after_form())

        self.run_service(load, show)

    def new_meeting(self) -> None:
        """A new meeting with this client (its own form: time, place, attendees)."""
        from ...screens.meeting_form import load_setup

        client_id = self.client_id
        self.run_service(lambda: load_setup(client_id), self._open_meeting)

    def _open_meeting(self, setup: Any) -> None:
        from ...screens.meeting_form import MeetingForm, saved_message

        def saved(result: Any) -> None:
            if result is None:
                return
            text, severity = saved_message(result)
            self.changed()
            if result.invited and not result.sent and result.email_id is not None:
                from ...screens.send_email import offer_retry

                offer_retry(self, result.email_id, result.reason, then=lambda _id: self.changed())
                return
            self.notify(text, severity=severity, markup=False)  # type: ignore[arg-type]

        self.app.push_screen(MeetingForm(setup), saved)

    def cancel_meeting(self) -> None:
        """`X`: call the meeting off (it leaves the agenda); its attendees get a CANCEL."""
        from ....services import meetings
        from ....services.errors import ServiceError

        key = self.selected()
        if key is None:
            return

        def cancel() -> Any:
            meetings.cancel_meeting(int(key))
            try:
                result = meetings.send_invitation(int(key), "CANCEL")
            except ServiceError as exc:
                return _("Meeting cancelled; nobody was told: {reason}").format(reason=exc)
            if not result.sent:
                return result  # kept as composed, the .ics too: offered again below
            return _("Meeting cancelled; the attendees were told.")

        def cancelled(outcome: Any) -> None:
            if isinstance(outcome, str):
                self.changed(message=outcome)
                return
            from ...screens.send_email import offer_retry

            self.changed()
            offer_retry(
                self,
                outcome.activity_id,
                _("the cancellation of the meeting: {reason}").format(reason=outcome.reason),
                then=lambda _id: self.changed(),
            )

        def check(row: Any) -> None:
            if row.kind != "meeting" or row.email_status:
                self.notify(_("Only a meeting can be cancelled."), severity="warning")
                return
            self.confirm(
                _("Cancel the meeting {what} and tell its attendees?").format(what=row.title),
                lambda: self.run_service(cancel, cancelled),
            )

        from ....services import timeline

        self.run_service(lambda: timeline.get_activity(int(key)), check)

    def done(self) -> None:
        from ....services import timeline

        key = self.selected()
        if key is None:
            return

        def toggle() -> str:
            if timeline.mark_done(key):
                return _("Marked done: d again reopens it.")
            timeline.reopen(key)
            return _("Reopened.")

        self.run_service(toggle, lambda message: self.changed(message=message))

    def reschedule(self) -> None:
        from ....services import timeline
        from ..activity_form import RescheduleForm

        key = self.selected()
        if key is None:
            return
        self.run_service(
            lambda: timeline.get_activity(key),
            lambda row: self.app.push_screen(
                RescheduleForm(row.id, row.version, row.due_date, row.title),
                self.after_form(_("Rescheduled.")),
            ),
        )

    def template(self) -> None:
        from ....services import timeline
        from ...dialogs.choice import ChoicePrompt

        def chosen(template: Any) -> None:
            if template is None:
                return
            name = self.client_name

            def fill() -> dict[str, Any]:
                filled = timeline.fill_template(template, client=name)
                return {"kind": filled.kind, "subject": filled.subject, "body": filled.body}

            self.run_service(fill, lambda values: self.open_form(None, values))

        def show(templates: list[Any]) -> None:
            if not templates:
                self.notify(
                    _("No comment templates yet: the palette (ctrl+p) has 'New comment template'."),
                    severity="warning",
                )
                return
            self.app.push_screen(
                ChoicePrompt(_("Fill a note from a template"), [(t.name, t) for t in templates]),
                chosen,
            )

        self.run_service(timeline.list_templates, show)

    def open(self, key: Any) -> None:
        """Enter: the entry in full; from there `e` edits it, `d` marks it done."""
        from ....services import timeline
        from ...dialogs.activity_view import ActivityView

        def chosen(choice: str | None) -> None:
            if choice == "edit":
                self.open_form(int(key))
            elif choice == "done":
                self.done()

        self.run_service(
            lambda: timeline.get_activity(int(key)),
            lambda row: self.app.push_screen(ActivityView(row), chosen),
        )

    def email(self) -> None:
        """`M`: send a failed email again."""
        key = self.selected()
        if key is not None:
            self.crm.send_document("retry", int(key), then=lambda _entry: self.changed())
