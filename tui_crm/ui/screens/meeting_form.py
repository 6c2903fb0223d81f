"""A meeting with a client: start, duration, place, attendees; saving can send invitations.

One checkbox per contact of the client and per colleague (who is invited); "Send the
invitation" emails the iCalendar invitation (services.meetings) after saving, to the
attendees with an email address; an edit sends the update (same UID, next SEQUENCE).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...i18n import _
from ..dialogs.form import FieldSpec, FormScreen, field_id


@dataclass(frozen=True)
class MeetingSetup:
    """What the form needs, read in a worker before it opens."""

    client_id: int
    contacts: list[tuple[int, str]]
    colleagues: list[tuple[str, str]]
    meeting: Any = None  # services.meetings.Meeting when editing


def load_setup(client_id: int, activity_id: int | None = None) -> MeetingSetup:
    from ...services import meetings

    contacts, colleagues = meetings.attendee_choices(client_id)
    meeting = meetings.get_meeting(activity_id) if activity_id is not None else None
    return MeetingSetup(client_id, contacts, colleagues, meeting)


@dataclass(frozen=True)
class MeetingSaved:
    activity_id: int
    invited: bool
    sent: bool
    reason: str = ""
    email_id: int | None = None  # the invitation's timeline entry, to send it again


class MeetingForm(FormScreen[MeetingSaved]):
    """New meeting, or an edit of one (with the version it was read at)."""

    def __init__(self, setup: MeetingSetup):
        from ...services.timeline import local_text

        self.setup = setup
        meeting = setup.meeting
        initial: dict[str, Any] = {"duration": "60", "invite": False}
        if meeting is not None:
            invited_contacts = {a.contact_id for a in meeting.attendees if a.contact_id}
            invited_users = {a.login for a in meeting.attendees if a.login}
            initial.update(
                subject=meeting.subject,
                start=local_text(meeting.start),
                duration=str(meeting.duration_minutes),
                place=meeting.place,
                body=meeting.body,
            )
            for contact_id, _label in setup.contacts:
                initial[f"contact_{contact_id}"] = contact_id in invited_contacts
            for n, (login, _label) in enumerate(setup.colleagues):
                initial[f"colleague_{n}"] = login in invited_users
        super().__init__(
            initial, title=_("Edit meeting") if meeting is not None else _("New meeting")
        )

    def fields(self) -> Sequence[FieldSpec]:
        specs = [
            FieldSpec("subject", _("Subject"), required=True, max_length=200),
            FieldSpec(
                "start",
                _("Starts"),
                required=True,
                placeholder=_("YYYY-MM-DD HH:MM"),
                max_length=19,
            ),
            FieldSpec("duration", _("Minutes"), required=True, max_length=4),
            FieldSpec("place", _("Place"), max_length=200),
            FieldSpec("body", _("Notes"), "multiline"),
        ]
        specs += [
            FieldSpec(f"contact_{contact_id}", label, "bool")
            for contact_id, label in self.setup.contacts
        ]
        specs += [
            FieldSpec(f"colleague_{n}", _("Colleague: {who}").format(who=label), "bool")
            for n, (_login, label) in enumerate(self.setup.colleagues)
        ]
        specs.append(FieldSpec("invite", _("Send the invitation by email"), "bool"))
        return specs

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one(f"#{field_id('subject')}").focus()

    def save(self, values: dict[str, Any]) -> MeetingSaved:
        from ...services import meetings

        data = meetings.MeetingData(
            subject=values["subject"],
            body=values["body"],
            start=values["start"],
            duration_minutes=values["duration"],
            place=values["place"],
            contact_ids=[c for c, _label in self.setup.contacts if values.get(f"contact_{c}")],
            colleagues=[
                login
                for n, (login, _label) in enumerate(self.setup.colleagues)
                if values.get(f"colleague_{n}")
            ],
        )
        meeting = self.setup.meeting
        if meeting is None:
            activity_id = meetings.create_meeting(self.setup.client_id, data)
        else:
            activity_id = meeting.activity_id
            meetings.update_meeting(activity_id, data, meeting.version)
        if not values.get("invite"):
            return MeetingSaved(activity_id, False, False)
        # Saved first (its own transaction); the invitation then goes out with no
        # transaction open: a slow mail server never holds the database.
        from ...services.errors import ServiceError

        try:
            result = meetings.send_invitation(activity_id)
        except ServiceError as exc:  # email not set up, nobody with an address: saved anyway
            return MeetingSaved(activity_id, True, False, str(exc))
        return MeetingSaved(activity_id, True, result.sent, result.reason, result.activity_id)


def saved_message(saved: MeetingSaved) -> tuple[str, str]:
    """What to say once a meeting is saved (the text, the severity)."""
    if not saved.invited:
        return _("Meeting saved."), "information"
    if saved.sent:
        return _("Meeting saved; invitation sent."), "information"
    return (
        _("Meeting saved; the invitation was not sent: {reason}").format(reason=saved.reason),
        "error",
    )
