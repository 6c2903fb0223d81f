"""Settings: your email (SMTP, the password in the keyring), reminders, and the business data.

Every field is a setting of `services.settings.SPECS`, validated by the service
exactly as `tui-crm config set` does; only the values changed are saved. The
SMTP settings are each user's own (their settings file); the business data needs
the admin role. F7 stores the SMTP password in the system keyring (never in a
file); F8 sends a test email to the From address; F9 stores the password of the
VERI*FACTU certificate (verifactu.certificate) in the keyring once it has opened that
file (as `tui-crm secrets set verifactu` does). The lines under the title say which
keyring is used and whether each password is stored, or, on a machine without one,
how to configure it. A password is typed hidden and never shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Static

from ...i18n import _
from ..dialogs.form import FieldSpec, FormScreen

SMTP_KEYS = (
    "smtp.host",
    "smtp.port",
    "smtp.security",
    "smtp.user",
    "smtp.from",
    "smtp.reply_to",
    "smtp.bcc_self",
    "smtp.timeout",
)
BUSINESS_KEYS = (
    "reminders.schedule",
    "company.name",
    "company.tax_id",
    "company.address",
    "company.postal_code",
    "company.city",
    "company.province",
    "company.country",
    "company.email",
    "company.phone",
    "company.iban",
    "company.bic",
    "sepa.creditor_id",
    "invoice.series",
    "invoice.rectifying_series",
    "invoice.default_vat",
    "invoice.default_irpf",
    "invoice.payment_days",
    "invoice.simplified_limit",
    "verifactu.enabled",
    "verifactu.environment",
    "verifactu.endpoint",
    "verifactu.certificate",
    "verifactu.installation",
)
KEYS = SMTP_KEYS + BUSINESS_KEYS
SELECTS = {
    "smtp.security": (("STARTTLS", "starttls"), ("SSL/TLS", "ssl"), (_("none"), "none")),
    "invoice.default_vat": tuple((f"{v} %", v) for v in ("21", "10", "4", "0")),
    "invoice.default_irpf": tuple((f"{v} %", v) for v in ("0", "7", "15", "19")),
    "invoice.simplified_limit": (("400 €", "400"), ("3.000 €", "3000")),
    "verifactu.environment": (
        (_("test (AEAT's test portal)"), "test"),
        (_("production"), "production"),
    ),
}
BOOLS = ("smtp.bcc_self", "verifactu.enabled")
INTS = ("smtp.port", "smtp.timeout", "invoice.payment_days")


def load_settings() -> dict[str, Any]:
    """The values the form shows (in a worker, inside a connection)."""
    from ...services import settings

    values: dict[str, Any] = dict(settings.get_all())
    for key in BOOLS:
        values[key] = values.get(key) == "yes"
    return {key: values.get(key, "") for key in KEYS}


def keyring_line(user: str, host: str) -> str:
    """Which keyring holds the SMTP password and whether one is stored (or how to get one)."""
    from ...services import secrets
    from ...services.errors import ServiceError

    status = secrets.keyring_status()
    if not status.usable:
        return status.message
    if not user or not host:
        return _("Keyring: {backend}. Set the SMTP server and user to store a password.").format(
            backend=status.backend
        )
    try:
        stored = secrets.smtp_password(user=user, host=host) is not None
    except ServiceError as exc:
        return str(exc)
    account = secrets.smtp_account(user, host)
    if stored:
        return _("Keyring: {backend}. A password is stored for {account}.").format(
            backend=status.backend, account=account
        )
    return _("Keyring: {backend}. No password stored for {account} yet: press F7.").format(
        backend=status.backend, account=account
    )


def certificate_line(path: str) -> str:
    """Whether the VERI*FACTU certificate's password is stored (or how to get a keyring)."""
    from ...services import secrets
    from ...services.errors import ServiceError

    if not path.strip():
        return _("VERI*FACTU certificate: none set (verifactu.certificate).")
    status = secrets.keyring_status("verifactu")
    if not status.usable:
        return status.message
    try:
        stored = secrets.verifactu_password(path=path) is not None
    except ServiceError as exc:
        return str(exc)
    if stored:
        return _("VERI*FACTU certificate {path}: its password is stored.").format(path=path)
    return _("VERI*FACTU certificate {path}: no password stored yet: press F9.").format(path=path)


class SettingsScreen(FormScreen[dict]):
    """The settings form; dismisses with the values saved ({} when nothing changed)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *FormScreen.BINDINGS,
        Binding("f7", "password", _("SMTP password"), id="smtp_password"),
        Binding("f8", "test_email", _("Test email"), id="test_email"),
        Binding("f9", "certificate_password", _("Certificate password"), id="cert_password"),
    ]

    def __init__(self, initial: dict[str, Any]) -> None:
        super().__init__(initial, title=_("Settings"))
        self.saved: dict[str, str] = {}

    def fields(self) -> Sequence[FieldSpec]:
        from ...services import settings

        specs = []
        for key in KEYS:
            label = settings.label(key)
            if key in SELECTS:
                specs.append(FieldSpec(key, label, "select", choices=SELECTS[key]))
            elif key in BOOLS:
                specs.append(FieldSpec(key, label, "bool"))
            elif key in INTS:
                specs.append(FieldSpec(key, label, "int"))
            else:
                specs.append(FieldSpec(key, label))
        return specs

    def on_mount(self) -> None:
        super().on_mount()
        form = self.query_one(".form")
        form.mount(
            Static(Content(_("Checking the keyring…")), id="settings-keyring"),
            after=self.query_one(".form-title"),
        )
        form.mount(Static(Content(""), id="settings-certificate"), after="#settings-keyring")
        form.mount(
            Static(
                Content(
                    _(
                        "Email (yours): SMTP server to Send me a copy. Business (admin): "
                        "reminder days, your fiscal data, invoice defaults. "
                        "F7 SMTP password · F8 test email · F9 certificate password. "
                        "VERI*FACTU (RD 1007/2023, required "
                        "from 1 January 2027 for companies and 1 July 2027 for the rest): "
                        "every issued invoice gets a chained record for AEAT and a QR code; "
                        "once on it stays on. Test sends to AEAT's test portal; the service "
                        "URL left empty is AEAT's; the certificate is your PKCS#12 file "
                        "(its password: F9, or tui-crm secrets set verifactu); the "
                        "installation number is set when it is turned on."
                    )
                ),
                classes="settings-hint",
            ),
            after="#settings-certificate",
        )
        self._refresh_keyring()

    def _smtp_account(self) -> tuple[str, str]:
        values = self.values()
        return str(values.get("smtp.user") or "").strip(), str(
            values.get("smtp.host") or ""
        ).strip().lower()

    def _certificate(self) -> str:
        return str(self.initial.get("verifactu.certificate") or "").strip()

    def _refresh_keyring(self) -> None:
        """Which keyring, and whether each password is stored (read in a worker)."""
        (user, host), certificate = self._smtp_account(), self._certificate()

        def read() -> tuple[str, str]:
            try:
                line = keyring_line(user, host)
            except Exception as exc:  # a broken keyring backend must not break the form
                line = _("The keyring could not be read: {error}").format(error=exc)
            try:
                second = certificate_line(certificate)
            except Exception as exc:
                second = _("The keyring could not be read: {error}").format(error=exc)
            return line, second

        self.run_service(
            read, lambda lines: self._show_keyring(*lines), group="settings-keyring", exclusive=True
        )

    def _show_keyring(self, line: str, certificate: str = "") -> None:
        self.query_one("#settings-keyring", Static).update(Content(line))
        self.query_one("#settings-certificate", Static).update(Content(certificate))

    def save(self, values: dict[str, Any]) -> dict:
        from ...services import settings

        changed: dict[str, str] = {}
        for key in KEYS:
            value = values.get(key)
            if key in BOOLS:
                value = "yes" if value else "no"
                before = "yes" if self.initial.get(key) else "no"
            else:
                value = "" if value is None else str(value)
                before = "" if self.initial.get(key) is None else str(self.initial.get(key))
            if value != before:
                changed[key] = value
        if changed:
            settings.set_many(changed)
        return changed

    def reload(self) -> dict[str, Any] | None:
        return load_settings()

    def _saved(self, result: dict) -> None:
        # Stay open: after saving the SMTP settings people store the password and test.
        self._saving = False
        self.initial.update(self.values())
        self.saved.update(result)
        self.notify(_("Settings saved.") if result else _("Nothing changed."))
        self._refresh_keyring()

    def action_close(self) -> None:
        if self.is_dirty():
            super().action_close()
        else:
            self.dismiss(dict(self.saved))

    def action_password(self) -> None:
        user, host = self._smtp_account()
        if not user or not host:
            self.notify(_("Fill in the SMTP server and user name first."), severity="warning")
            return

        def stored(ok: bool | None) -> None:
            if ok:
                self.notify(_("Password stored in the keyring."))
                self._refresh_keyring()

        from ..dialogs.password import PasswordDialog

        self.app.push_screen(PasswordDialog(user, host), stored)

    def action_certificate_password(self) -> None:
        typed = str(self.values().get("verifactu.certificate") or "").strip()
        if not typed:
            self.notify(
                _("Fill in the VERI*FACTU certificate (its PKCS#12 file) first."),
                severity="warning",
            )
            return
        if typed != self._certificate():
            self.notify(_("Save the settings first (ctrl+s), then store it."), severity="warning")
            return

        def stored(ok: bool | None) -> None:
            if ok:
                self.notify(_("Certificate password stored in the keyring."))
                self._refresh_keyring()

        from ..dialogs.password import CertificatePasswordDialog

        self.app.push_screen(CertificatePasswordDialog(typed), stored)

    def action_test_email(self) -> None:
        if self.is_dirty():
            self.notify(_("Save the settings first (ctrl+s), then test."), severity="warning")
            return
        self.notify(_("Sending a test email…"))
        self._run_test()

    def _run_test(self) -> None:
        from ...services import email
        from ...services.errors import ServiceError

        def failed(exc: Exception) -> bool:
            if not isinstance(exc, ServiceError):
                return False
            message = _("Test email not sent: {reason}").format(reason=exc)
            self.notify(message, severity="error", timeout=12, markup=False)
            return True

        self.run_service(
            email.send_test_email,
            lambda to: self.notify(_("Test email sent to {to}.").format(to=to), markup=False),
            refused=failed,
            group="settings-test",
            exclusive=True,
        )
