"""Typing a password twice (hidden) straight into the system keyring: SMTP's, and the
VERI*FACTU certificate's (kept only once it has opened the PKCS#12 file)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Input, Label, Static

from ...i18n import _
from ..base import CrmModalScreen


class PasswordDialog(CrmModalScreen[bool]):
    """Type the SMTP password twice (hidden); it goes straight to the keyring."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "store", _("Store"), id="store", priority=True),
        Binding("escape", "cancel", _("Cancel"), id="cancel"),
    ]

    def __init__(self, user: str, host: str) -> None:
        super().__init__(classes="dialog-screen")
        self.user = user
        self.host = host

    def explanation(self) -> str:
        return _("SMTP password for {user} at {host}, kept in the system keyring.").format(
            user=self.user, host=self.host
        )

    def keep(self, password: str) -> None:
        """Store the password (in a worker thread); a ServiceError says why not."""
        from ...services import secrets

        secrets.set_smtp_password(password, user=self.user, host=self.host)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(self.explanation()), classes="dialog-text")
            with Horizontal(classes="form-row"):
                yield Label(_("Password"), classes="form-label")
                yield Input(password=True, compact=True, id="password-first")
            with Horizontal(classes="form-row"):
                yield Label(_("Again"), classes="form-label")
                yield Input(password=True, compact=True, id="password-second")
            yield Static("", id="password-error", classes="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Store (ctrl+s)"), id="password-store", variant="primary")
                yield Button(_("Cancel (escape)"), id="password-cancel")

    def on_mount(self) -> None:
        self.query_one("#password-first", Input).focus()

    @on(Input.Submitted, "#password-first")
    def _next(self) -> None:
        self.query_one("#password-second", Input).focus()

    @on(Input.Submitted, "#password-second")
    @on(Button.Pressed, "#password-store")
    def _store_pressed(self) -> None:
        self.action_store()

    @on(Button.Pressed, "#password-cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(False)

    def _error(self, message: str) -> None:
        label = self.query_one("#password-error", Static)
        label.update(Content(message))
        label.add_class("-shown")

    def action_store(self) -> None:
        first = self.query_one("#password-first", Input).value
        second = self.query_one("#password-second", Input).value
        if first != second:
            self._error(_("The two passwords differ."))
            return
        self.run_service(
            lambda: self.keep(first),
            lambda _kept: self.dismiss(True),
            refused=self._refused,
            group="password",
            exclusive=True,
        )

    def _refused(self, exc: Exception) -> bool:
        """Why the keyring did not take it, under the fields."""
        from ...services.errors import ServiceError

        if isinstance(exc, ServiceError):
            self._error(str(exc))
            return True
        return False

    def action_cancel(self) -> None:
        self.dismiss(False)


class CertificatePasswordDialog(PasswordDialog):
    """Type the password of the VERI*FACTU certificate twice (hidden); it is stored in the
    keyring only once it has opened the PKCS#12 file (a wrong one is refused, saying why,
    and nothing is stored)."""

    def __init__(self, path: str) -> None:
        super().__init__("", "")
        self.path = path

    def explanation(self) -> str:
        return _(
            "Password of the VERI*FACTU certificate {path}: it is tried on the file, then kept "
            "in the system keyring (never in a file or the database)."
        ).format(path=self.path)

    def keep(self, password: str) -> None:
        from ...services import secrets

        secrets.set_verifactu_password(password, path=self.path)
