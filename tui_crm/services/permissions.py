"""Roles and what they may do, enforced in the services so the TUI and the CLI obey alike.

admin       everything, users and settings, voiding issued invoices
accounting  invoices (draft, issue, rectify), payments, expenses, clients, timeline, quotes, import
sales       clients, timeline, quotes and orders, draft invoices, import
readonly    reading only
"""

from __future__ import annotations

from ..i18n import N_, _
from .errors import PermissionDenied
from .session import actor

ACTIONS = {
    "clients.write": N_("change clients"),
    "clients.delete": N_("delete records"),
    "clients.merge": N_("merge clients"),
    "timeline.write": N_("change the timeline"),
    "quotes.write": N_("change quotes and orders"),
    "invoices.draft": N_("write draft invoices"),
    "invoices.issue": N_("issue invoices"),
    "invoices.rectify": N_("correct invoices"),
    "invoices.void": N_("void issued invoices"),
    "payments.write": N_("register payments"),
    "expenses.write": N_("record expenses"),
    "catalog.write": N_("change products and services"),
    "settings.write": N_("change the business settings"),
    "users.admin": N_("manage users and roles"),
    "data.import": N_("import data"),
    "data.restore": N_("restore a backup"),
    "email.send": N_("send email"),
    "verifactu.send": N_("send VERI*FACTU records to AEAT"),
}

_SALES = {
    "clients.write",
    "timeline.write",
    "quotes.write",
    "invoices.draft",
    "data.import",
    "email.send",
}
_ACCOUNTING = _SALES | {
    "verifactu.send",
    "invoices.issue",
    "invoices.rectify",
    "payments.write",
    "expenses.write",
    "catalog.write",
}
ROLE_ACTIONS: dict[str, set[str]] = {
    "admin": set(ACTIONS),
    "accounting": _ACCOUNTING,
    "sales": _SALES | {"catalog.write"},
    "readonly": set(),
}
ROLE_LABELS = {
    "admin": N_("admin"),
    "accounting": N_("accounting"),
    "sales": N_("sales"),
    "readonly": N_("read-only"),
}


def can(action: str, role: str | None = None) -> bool:
    if action not in ACTIONS:
        raise KeyError(action)
    return action in ROLE_ACTIONS.get(role or actor().role, set())


def require(action: str) -> None:
    """Refuse with a sentence naming the user, the role and what was refused; on a database
    this process opened read-only, refuse every change saying why editing is off."""
    from ..db import read_only_reason

    reason = read_only_reason()
    if reason:
        raise PermissionDenied(
            _("editing is off: {reason}, so tui-crm opened the database read-only").format(
                reason=reason
            )
        )
    current = actor()
    if not can(action, current.role):
        raise PermissionDenied(
            _("{user} ({role}) may not {action}; ask an admin").format(
                user=current.login,
                role=_(ROLE_LABELS.get(current.role, current.role)),
                action=_(ACTIONS[action]),
            )
        )
