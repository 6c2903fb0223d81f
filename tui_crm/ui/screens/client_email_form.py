"""Any email from the client file: recipients among the client's contacts (several), copies
to colleagues, the client's documents and files from disk, from a template or blank.

`start_email(node, client_id)` asks first what to start from (blank, or a "general"
template), then opens the form filled with it; ctrl+s sends (services.client_email),
and the email lands on the client's timeline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ...i18n import _
from ..dialogs.form import FieldSpec, FormScreen


@dataclass(frozen=True)
class EmailSetup:
    """What the form offers, read in a worker before it opens."""

    client_id: int
    client_name: str
    recipients: list[tuple[str, str]]  # (email, label), the billing contact first
    colleagues: list[tuple[str, str]]  # (login, label)
    documents: list[tuple[int, str]]  # (document id, file name)
    subject: str
    body: str
    template: str


def load_setup(client_id: int, template: str | None) -> EmailSetup:
    from ...services import attachments, client_email, email

    draft = client_email.compose_general(client_id, template=template)
    return EmailSetup(
        client_id=client_id,
        client_name=draft.client_name,
        recipients=[(r.email, r.label) for r in email.recipients(client_id)],
        colleagues=[(c.login, c.label) for c in client_email.colleagues()],
        documents=[(d.id, d.filename) for d in attachments.client_documents(client_id)],
        subject=draft.subject,
        body=draft.body,
        template=template or "",
    )


class ClientEmailForm(FormScreen[Any]):
    """Write and send one email to the client's contacts; dismisses with the SendResult."""

    def __init__(self, setup: EmailSetup):
        self.setup = setup
        initial: dict[str, Any] = {"subject": setup.subject, "body": setup.body}
        if setup.recipients:
            initial["to_0"] = True  # the billing contact (or the first), as for invoices
        super().__init__(initial, title=_("Email to {client}").format(client=setup.client_name))

    def fields(self) -> Sequence[FieldSpec]:
        specs = [
            FieldSpec(f"to_{n}", _("To: {who}").format(who=label), "bool")
            for n, (_address, label) in enumerate(self.setup.recipients)
        ]
        specs.append(
            FieldSpec("more_to", _("Also to"), placeholder=_("addresses, comma separated"))
        )
        specs += [
            FieldSpec(f"cc_{n}", _("Copy to: {who}").format(who=label), "bool")
            for n, (_login, label) in enumerate(self.setup.colleagues)
        ]
        specs += [
            FieldSpec("subject", _("Subject"), required=True, max_length=200),
            FieldSpec("body", _("Text"), "multiline"),
        ]
        specs += [
            FieldSpec(f"doc_{n}", _("Attach: {name}").format(name=name), "bool")
            for n, (_id, name) in enumerate(self.setup.documents)
        ]
        specs.append(
            FieldSpec(
                "files",
                _("Attach files"),
                placeholder=_("paths on this computer, separated by ;"),
            )
        )
        return specs

    def save(self, values: dict[str, Any]) -> Any:
        from ...services import client_email

        to = [a for n, (a, _label) in enumerate(self.setup.recipients) if values.get(f"to_{n}")]
        to += [a.strip() for a in str(values.get("more_to") or "").split(",") if a.strip()]
        cc = [c for n, (c, _label) in enumerate(self.setup.colleagues) if values.get(f"cc_{n}")]
        docs = [d for n, (d, _name) in enumerate(self.setup.documents) if values.get(f"doc_{n}")]
        paths = [p.strip() for p in str(values.get("files") or "").split(";") if p.strip()]
        if not to:
            from ...services.errors import ValidationError

            raise ValidationError({"more_to": _("choose at least one recipient")})
        draft = client_email.compose_general(
            self.setup.client_id,
            to=to,
            cc=cc,
            subject=values["subject"],
            body=values["body"],
            document_ids=docs,
            paths=paths,
        )
        return client_email.send_general(draft)


def start_email(node: Any, client_id: int, then: Callable[[Any], None] | None = None) -> None:
    """Ask what to start from (blank or a template), then open the form."""
    from ...services import client_email
    from ..dialogs.choice import ChoicePrompt

    def opened(setup: EmailSetup) -> None:
        node.app.push_screen(ClientEmailForm(setup), sent)

    def sent(result: Any) -> None:
        if result is None:
            return
        if result.sent and result.note:
            node.notify(
                _("Email sent to {to}, but {note}.").format(to=result.to, note=result.note),
                severity="warning",
                timeout=15,
                markup=False,
            )
        elif result.sent:
            node.notify(_("Email sent to {to}.").format(to=result.to), markup=False)
        else:
            from .send_email import offer_retry

            # Kept as composed (copies, files): offered again at once, or later with M.
            offer_retry(
                node, result.activity_id, result.reason, then=lambda _id: then and then(result)
            )
        if then is not None:
            then(result)

    def chosen(template: str | None) -> None:
        if template is None:
            return
        node.run_service(lambda: load_setup(client_id, template or None), opened)

    def show(names: list[str]) -> None:
        options = [(_("Blank email"), "")] + [
            (_("Template: {name}").format(name=name), name) for name in names
        ]
        node.app.push_screen(ChoicePrompt(_("Start the email from"), options), chosen)

    node.run_service(client_email.template_names, show)
