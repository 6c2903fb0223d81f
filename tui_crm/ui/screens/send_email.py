"""The send dialog: an invoice, a quote, a payment reminder, a client's statement of
account or a failed email, by email.

Opened from the client file, the invoice and quote views and the reminders screen
through `CrmApp.send_document(kind, id)`. It shows who it goes to (the client's
contacts, billing contacts first, or any address typed), the template (Spanish and
English), the subject and the text (both editable: what is shown is what is sent)
and the attached PDFs. ctrl+s sends in a worker; the result is notified. A failure
keeps the email on the client's timeline as a draft with the server's reason, and
the dialog stays open to try again (the same timeline entry records each attempt).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from ...i18n import _
from ..base import CrmModalScreen
from ..dialogs.confirm import ConfirmDialog, ask

KINDS = ("invoice", "quote", "reminder", "statement", "retry")
OTHER = "__other__"


@dataclass(frozen=True)
class SendRequest:
    """What to send: an invoice or quote id, a reminder (client and invoices) or a retry."""

    kind: str  # invoice quote reminder statement retry
    document_id: int | None = None  # invoice or quote id; the timeline entry for a retry
    client_id: int | None = None  # reminders
    invoice_ids: tuple[int, ...] = ()  # reminders
    level: int | None = None  # reminders; None: the next level due
    period: tuple[Any, Any] | None = None  # a statement's (from, to)


@dataclass(frozen=True)
class Loaded:
    draft: Any  # services.email.EmailDraft
    recipients: tuple[Any, ...]  # services.email.Recipient
    templates: tuple[tuple[str, str], ...]  # (name, language)
    problem: str  # why sending would be refused now ("" when ready)


def _load(request: SendRequest) -> Loaded:
    """Compose the email (in a worker, inside a connection)."""
    from ...services import email, email_templates
    from ...services.errors import ServiceError

    document_id, client_id = request.document_id or 0, request.client_id or 0
    if request.kind == "invoice":
        draft = email.compose_invoice(document_id)
    elif request.kind == "quote":
        draft = email.compose_quote(document_id)
    elif request.kind == "reminder":
        draft = email.compose_reminder(client_id, list(request.invoice_ids), level=request.level)
    elif request.kind == "statement":
        start, end = request.period or (None, None)
        draft = email.compose_statement(client_id, start, end)
    else:
        draft = email.stored_draft(document_id)
    kind = draft.purpose if draft.purpose != "reminder" else f"reminder{draft.reminder_level}"
    templates = tuple(
        (t.name, t.language) for t in email_templates.list_templates(kind) if t.kind == kind
    )
    recipients = tuple(email.recipients(draft.client_id))
    problem = ""
    try:
        email.check_ready()
    except ServiceError as exc:
        problem = str(exc)
    return Loaded(draft, recipients, templates, problem)


def offer_retry(
    node: Any, activity_id: int, reason: str, then: Callable[[int | None], None] | None = None
) -> None:
    """A send that failed: say why and offer to send it again now, exactly as composed
    (yes opens this dialog on the kept email); no leaves it on the client's timeline,
    where `M` sends it again later."""
    question = _(
        "Not sent: {reason}\n\nIt is kept on the client's timeline (M there sends it "
        "again). Try again now?"
    ).format(reason=reason)
    ask(
        node,
        question,
        lambda: node.crm.send_document("retry", activity_id, then=then),
        yes=_("Try again"),
    )


def _recipient_label(r: Any) -> str:
    label = r.label
    if r.is_billing:
        label += " · " + _("billing")
    elif r.position:
        label += " · " + r.position
    return label


class SendEmailScreen(CrmModalScreen[int | None]):
    """Review and send one email; dismisses with the timeline entry id (None if cancelled)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", _("Send"), id="send", priority=True),
        Binding("escape", "close", _("Close"), id="close"),
    ]

    def __init__(self, request: SendRequest) -> None:
        super().__init__(classes="form-screen")
        self.request = request
        self.loaded: Loaded | None = None
        self.draft: Any = None
        self.activity_id: int | None = request.document_id if request.kind == "retry" else None
        self._sending = False
        self._rendered: tuple[str, str] = ("", "")

    def compose(self) -> ComposeResult:
        with Vertical(classes="form send-email"):
            yield Static(Content(_("Send by email")), classes="form-title", id="send-title")
            yield Static("", id="send-problem", classes="send-problem")
            with VerticalScroll(classes="form-fields"):
                with Horizontal(classes="form-row"):
                    yield Label(_("To"), classes="form-label")
                    yield Select([], prompt=_("Loading…"), compact=True, id="send-recipient")
                with Horizontal(classes="form-row", id="send-other-row"):
                    yield Label(_("Other address"), classes="form-label")
                    yield Input(placeholder="name@example.com", compact=True, id="send-to")
                yield Label("", classes="form-error", id="send-to-error")
                with Horizontal(classes="form-row"):
                    yield Label(_("Template"), classes="form-label")
                    yield Select([], prompt=_("Loading…"), compact=True, id="send-template")
                with Horizontal(classes="form-row"):
                    yield Label(_("Subject"), classes="form-label")
                    yield Input(compact=True, id="send-subject", max_length=200)
                yield Label("", classes="form-error", id="send-subject-error")
                area = TextArea("", id="send-body", soft_wrap=True, tab_behavior="focus")
                area.show_line_numbers = False
                yield area
                yield Label("", classes="form-error", id="send-body-error")
                yield Static("", id="send-attachments", classes="send-attachments")
            yield Static("", id="send-status", classes="send-status")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Send (ctrl+s)"), id="send-button", variant="primary")
                yield Button(_("Close (escape)"), id="close-button")

    def on_mount(self) -> None:
        self.query_one("#send-other-row").display = False
        self._load()

    # --- loading and re-rendering ------------------------------------------------------

    def _load(self) -> None:
        request = self.request

        def failed(exc: Exception) -> bool:
            from ...services.errors import ServiceError

            if isinstance(exc, ServiceError):
                self._cannot_open(str(exc))
            else:  # a database error must not leave a blank dialog
                self._cannot_open(_("Could not prepare the email: {error}").format(error=exc))
            return True

        self.run_service(
            lambda: _load(request), self._show, refused=failed, group="send-load", exclusive=True
        )

    def _cannot_open(self, message: str) -> None:
        self.notify(message, severity="error", timeout=10, markup=False)
        self.dismiss(None)

    def _show(self, loaded: Loaded) -> None:
        self.loaded = loaded
        draft = loaded.draft
        title = {
            "invoice": _("Send invoice {number} by email"),
            "quote": _("Send quote {number} by email"),
            "reminder": _("Send a payment reminder (level {level}) for {number}"),
            "statement": _("Send the statement of account of {client} by email"),
        }.get(draft.purpose, _("Send {number} by email"))
        if self.request.kind == "retry":
            title = _("Send again: {subject}")
        self.query_one("#send-title", Static).update(
            Content(
                title.format(
                    number=draft.document or draft.client_name,
                    client=draft.client_name,
                    level=draft.reminder_level,
                    subject=draft.subject,
                )
            )
        )
        options = [(_recipient_label(r), r.email) for r in loaded.recipients]
        options.append((_("Another address…"), OTHER))
        recipient = self.query_one("#send-recipient", Select)
        recipient.set_options(options)
        current = draft.recipient.email if draft.recipient else None
        known = {r.email for r in loaded.recipients}
        with self.prevent(Select.Changed):
            if current in known:
                recipient.value = current
            else:
                recipient.value = OTHER
                self.query_one("#send-to", Input).value = current or ""
                self.query_one("#send-other-row").display = True
        template = self.query_one("#send-template", Select)
        template.set_options(
            [(f"{name} ({lang})", f"{name}\t{lang}") for name, lang in loaded.templates]
        )
        with self.prevent(Select.Changed):
            key = f"{draft.template}\t{draft.language}"
            if any(f"{n}\t{lang}" == key for n, lang in loaded.templates):
                template.value = key
        if self.request.kind in ("retry", "statement"):
            template.disabled = True  # the stored text is what is sent again; a statement
            # is written by the service, in the client's language
        self._set_text(draft)
        files = ", ".join(draft.attachments)
        lines = [_("Attached: {files}").format(files=files) if files else _("No attachment")]
        if draft.more_to:
            lines.insert(
                0, _("Also to: {who}").format(who=", ".join(r.label for r in draft.more_to))
            )
        if draft.cc:
            lines.insert(
                len(lines) - 1, _("Copy to: {who}").format(who=", ".join(r.label for r in draft.cc))
            )
        self.query_one("#send-attachments", Static).update(Content("\n".join(lines)))
        self._show_problem(loaded.problem)
        self.query_one("#send-recipient", Select).focus()

    def _show_problem(self, problem: str) -> None:
        widget = self.query_one("#send-problem", Static)
        widget.update(Content(problem))
        widget.display = bool(problem)

    def _set_text(self, draft: Any) -> None:
        self.draft = draft
        self.query_one("#send-subject", Input).value = draft.subject
        self.query_one("#send-body", TextArea).text = draft.body
        self._rendered = (draft.subject, draft.body)

    def _text_edited(self) -> bool:
        subject = self.query_one("#send-subject", Input).value
        body = self.query_one("#send-body", TextArea).text
        return (subject, body) != self._rendered

    @on(Select.Changed, "#send-recipient")
    def _recipient_changed(self, event: Select.Changed) -> None:
        other = event.value == OTHER
        self.query_one("#send-other-row").display = other
        if other:
            self.query_one("#send-to", Input).focus()
            return
        if self.loaded is None or self.draft is None:
            return
        chosen = next((r for r in self.loaded.recipients if r.email == event.value), None)
        if chosen is None:
            return
        if self._text_edited() or self.request.kind == "retry":
            self.draft = replace(self.draft, recipient=chosen)  # keep what was typed
            return
        self._rerender(lambda email, draft: email.with_recipient(draft, chosen))

    @on(Select.Changed, "#send-template")
    def _template_changed(self, event: Select.Changed) -> None:
        if self.draft is None or event.value in (Select.BLANK, None):
            return
        name, language = str(event.value).split("\t", 1)
        if (name, language) == (self.draft.template, self.draft.language):
            return
        self._rerender(lambda email, draft: email.with_template(draft, name, language))

    def _rerender(self, change) -> None:
        draft = self.draft
        current = self._current_recipient()
        if current is not None:
            draft = replace(draft, recipient=current)
        self._run_rerender(draft, change)

    def _run_rerender(self, draft: Any, change) -> None:
        from ...services import email

        self.run_service(
            lambda: change(email, draft), self._set_text, group="send-render", exclusive=True
        )

    # --- sending ---------------------------------------------------------------------

    def _current_recipient(self) -> Any:
        from ...services.email import Recipient

        value = self.query_one("#send-recipient", Select).value
        if value == OTHER:
            typed = self.query_one("#send-to", Input).value.strip()
            if not typed:
                return None
            known = next(
                (
                    r
                    for r in (self.loaded.recipients if self.loaded else ())
                    if r.email.casefold() == typed.casefold()
                ),
                None,
            )
            return known or Recipient(typed, "")
        if self.loaded is None:
            return None
        return next((r for r in self.loaded.recipients if r.email == value), None)

    def _clear_errors(self) -> None:
        for label in self.query(".form-error"):
            label.update("")
            label.remove_class("-shown")

    def _show_errors(self, errors: dict[str, str]) -> None:
        self._clear_errors()
        unplaced = []
        for key, reason in errors.items():
            found = self.query(f"#send-{key}-error")
            if found:
                label = found.first(Label)
                label.update(Content(reason))
                label.add_class("-shown")
            else:
                unplaced.append(f"{key}: {reason}")
        self.notify(
            "; ".join(unplaced) or _("Please correct the highlighted fields."), severity="warning"
        )

    def action_send(self) -> None:
        if self._sending or self.draft is None:
            return
        recipient = self._current_recipient()
        draft = replace(
            self.draft,
            recipient=recipient,
            subject=self.query_one("#send-subject", Input).value,
            body=self.query_one("#send-body", TextArea).text,
        )
        self._sending = True
        self._clear_errors()
        self.query_one("#send-status", Static).update(
            Content(_("Sending to {to}…").format(to=recipient.email if recipient else "?"))
        )
        self._run_send(draft, self.activity_id)

    def _run_send(self, draft: Any, activity_id: int | None) -> None:
        from ...services import email

        def send() -> Any:
            if activity_id is not None:
                return email.retry_email(activity_id, draft)
            return email.send(draft)

        def failed(exc: Exception) -> bool:
            from ...services.errors import ServiceError, ValidationError

            if isinstance(exc, ValidationError):
                self._refused(lambda: self._show_errors(exc.errors))
            elif isinstance(exc, ServiceError):
                self._refused(lambda: self._show_problem(str(exc)))
            else:
                message = _("Could not send: {error}").format(error=exc)
                self._refused(lambda: self._show_problem(message))
            return True

        self.run_service(send, self._done, refused=failed, group="send-email", exclusive=True)

    def _refused(self, show) -> None:
        self._sending = False
        self.query_one("#send-status", Static).update("")
        show()

    def _done(self, result: Any) -> None:
        self._sending = False
        self.activity_id = result.activity_id
        if result.sent:
            if result.note:
                self.notify(
                    _("Sent to {to}, but {note}.").format(to=result.to, note=result.note),
                    severity="warning",
                    timeout=15,
                    markup=False,
                )
            else:
                self.notify(_("Sent to {to}.").format(to=result.to), markup=False)
            self.dismiss(result.activity_id)
            return
        message = _(
            "Not sent: {reason}. It is kept on the timeline as a draft; ctrl+s tries again."
        ).format(reason=result.reason)
        self.query_one("#send-status", Static).update("")
        self._show_problem(message)
        self.notify(message, severity="error", timeout=10)

    @on(Button.Pressed, "#send-button")
    def _send_pressed(self) -> None:
        self.action_send()

    @on(Button.Pressed, "#close-button")
    def _close_pressed(self) -> None:
        self.action_close()

    def action_close(self) -> None:
        if self._sending:
            self.notify(_("Sending… wait for the server's answer."), severity="warning")
            return
        if self.activity_id is not None or not self._text_edited():
            self.dismiss(self.activity_id)
            return

        def answer(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmDialog(_("Discard this email?"), yes=_("Discard"), no=_("Keep editing")),
            answer,
        )
