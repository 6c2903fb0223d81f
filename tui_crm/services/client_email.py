"""Any email from the client file: to the client's contacts, copies to colleagues, files.

Rules:
- the recipients (To) are contacts of the client, or any address typed; at least one
  (the billing contact by default); each address once;
- copies (Cc) go to colleagues (users with an email, by login) or to typed addresses;
- the text comes from a template of kind "general" (the client's placeholders filled:
  {client}, {contact}, {company}, {date}, {tax_id}, {outstanding}, {user}) or is typed
  ("blank"); a subject or body typed replaces the template's;
- attachments are the client's own documents (never another client's) or files read
  from disk (readable regular files); 20 MB in all at most;
- it goes out through the user's SMTP settings (`services.email.send`) and is recorded
  on the client's timeline as an email (sent, or failed with the reason), audited; a
  failed one keeps its recipients, copies, text and files (their bytes as chosen, not
  their paths) and is sent again as it was (`services.email.retry_email`).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..i18n import _
from ..models import Client, User
from . import email, email_templates
from .errors import ValidationError
from .records import live_client
from .session import login
from .validation import check_email

TEMPLATE_KIND = "general"


@dataclass(frozen=True)
class Colleague:
    login: str
    name: str
    email: str

    @property
    def label(self) -> str:
        return f"{self.name or self.login} <{self.email}>"


def colleagues() -> list[Colleague]:
    """Active users with an email address (whom a copy can go to), by name."""
    rows = (
        User.select()
        .where((User.active == True) & (User.email != ""))  # noqa: E712
        .order_by(User.full_name, User.login)
    )
    return [Colleague(u.login, u.full_name, u.email) for u in rows]


def template_names() -> list[str]:
    """The templates an email from the client file may start from (the built-in first)."""
    return email_templates.template_names(TEMPLATE_KIND)


def _user_name() -> str:
    user = User.get_or_none(User.login == login())
    return (user.full_name if user and user.full_name else login()) or ""


def _values(client: Client, recipient: email.Recipient | None, language: str) -> dict[str, str]:
    values = email._common_values(client.legal_name, recipient, language)
    values.update(
        tax_id=client.tax_id or "",
        outstanding=email.format_money(client.outstanding, language),
        user=_user_name(),
    )
    return values


def _recipients(client_id: int, to: Sequence[str]) -> list[email.Recipient]:
    chosen: list[email.Recipient] = []
    seen: set[str] = set()
    for address in to:
        if not str(address).strip():
            continue
        recipient = email.recipient_for(client_id, str(address).strip())
        if recipient.email.casefold() not in seen:
            seen.add(recipient.email.casefold())
            chosen.append(recipient)
    if not chosen:
        default = email.default_recipient(client_id)
        if default is not None:
            chosen.append(default)
    return chosen


def _copies(cc: Sequence[str], taken: set[str]) -> list[email.Recipient]:
    """Copies by a colleague's login, or by address; never someone already in To."""
    people = {c.login.casefold(): c for c in colleagues()}
    out: list[email.Recipient] = []
    for item in cc:
        text = str(item).strip()
        if not text:
            continue
        colleague = people.get(text.casefold())
        if colleague is not None:
            recipient = email.Recipient(colleague.email, colleague.name or colleague.login)
        else:
            try:
                recipient = email.Recipient(check_email(text), "")
            except ValueError:
                raise ValidationError(
                    {
                        "cc": _("{who} is neither a colleague with an email nor an address").format(
                            who=text
                        )
                    }
                ) from None
        if recipient.email.casefold() not in taken:
            taken.add(recipient.email.casefold())
            out.append(recipient)
    return out


def _files(
    client_id: int, document_ids: Sequence[int], paths: Sequence[str]
) -> list[tuple[str, str, bytes]]:
    from . import attachments, documents

    files: list[tuple[str, str, bytes]] = []
    for document_id in document_ids:
        info = documents.get_document(int(document_id))
        if info.client_id != client_id:
            raise ValidationError(
                {"attach": _("document {id} is not one of this client's").format(id=document_id)}
            )
        mime = info.mime or mimetypes.guess_type(info.filename)[0] or "application/octet-stream"
        files.append((info.filename, mime, documents.read_document(info.id)))
    for path in paths:
        source: Path = attachments._source(path)
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise ValidationError(
                {"attach": _("{path} cannot be read: {error}").format(path=source, error=exc)}
            ) from None
        mime = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
        files.append((source.name, mime, data))
    return files


def compose_general(
    client_id: int,
    *,
    to: Sequence[str] = (),
    cc: Sequence[str] = (),
    template: str | None = None,
    language: str | None = None,
    subject: str | None = None,
    body: str | None = None,
    document_ids: Sequence[int] = (),
    paths: Sequence[str] = (),
) -> email.EmailDraft:
    """An email to the client's contacts `to` (addresses; default: the billing contact),
    copies to `cc` (colleagues' logins or addresses), from `template` (kind "general")
    or blank, the client's documents and the files at `paths` attached."""
    client = live_client(client_id)
    chosen = _recipients(client_id, to)
    language = language or email.language_for_client(client_id)
    values = _values(client, chosen[0] if chosen else None, language)
    draft = email.EmailDraft(
        purpose="general",
        client_id=client_id,
        client_name=client.legal_name,
        recipient=chosen[0] if chosen else None,
        more_to=tuple(chosen[1:]),
        subject="",
        body="",
        template="",
        language=language,
        values=values,
    )
    if template:
        picked = email._pick_template(TEMPLATE_KIND, template, language)
        draft = email._render(draft, picked)
    taken = {r.email.casefold() for r in chosen}
    files = _files(client_id, document_ids, paths)
    return replace(
        draft,
        subject=draft.subject if subject is None else subject,
        body=draft.body if body is None else body,
        cc=tuple(_copies(cc, taken)),
        files=tuple(files),
        attachments=tuple(name for name, _mime, _data in files),
    )


def send_general(draft: email.EmailDraft) -> email.SendResult:
    """Send an email composed by `compose_general` (perhaps edited): recorded on the
    timeline first, then sent (see `services.email.send`)."""
    if draft.purpose != "general":
        raise ValidationError({"purpose": _("is not an email from the client file")})
    result = email.send(draft)
    assert result is not None
    return result
