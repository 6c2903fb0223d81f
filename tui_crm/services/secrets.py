"""Secrets (the SMTP password, the VERI*FACTU certificate's password) in the system keyring,
never anywhere else.

Rules:
- a secret is stored with `keyring` under the service name `tui-crm`; the SMTP
  password's user name is `smtp:<smtp.user>@<smtp.host>`, so changing the server
  or the account never sends an old password to a new server; the certificate's password
  is stored under `verifactu:<absolute path of the PKCS#12 file>` (`verifactu.certificate`),
  so another certificate file never gets an old password, and it is stored only after it
  has opened that file;
- a secret never reaches the database, the settings file, a log, the audit log or
  an error message: errors from a keyring backend are passed on with the secret
  masked, and nothing here formats a secret into text;
- where the machine has no usable keyring backend (a headless server: keyring's
  `fail.Keyring`, or a chainer with no backends), storing is refused with a plain
  explanation of the ways to configure one; there is no silent plain-text fallback;
- `keyring` is imported lazily (start-up stays fast; most sessions never need it).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..i18n import _
from .errors import RuleViolation, ServiceError

SERVICE = "tui-crm"


class KeyringUnavailable(ServiceError):
    """No usable keyring backend on this machine; the message says how to configure one."""


class SecretStoreError(ServiceError):
    """The keyring backend exists but refused (locked, D-Bus gone, ...)."""


@dataclass(frozen=True)
class KeyringStatus:
    usable: bool
    backend: str  # the backend's name, e.g. "SecretService Keyring"
    message: str  # why it is not usable and what to do ("" when usable)


def _keyring():
    import keyring

    return keyring


def _config_file() -> str:
    try:
        from keyring.util.platform_ import config_root

        return str(config_root() / "keyringrc.cfg")
    except Exception:  # an exotic platform module: the hint still names the file
        return "keyringrc.cfg"


def no_backend_message(secret: str = "smtp") -> str:
    """What to tell a person whose machine has no keyring: plain words and the ways out."""
    if secret == "verifactu":
        return _(
            "This machine has no usable system keyring, so tui-crm cannot store the "
            "certificate's password safely (it never writes passwords in plain text). "
            "Configure a keyring for this user, then run `tui-crm secrets set verifactu` again. "
            "On a headless server: an encrypted file backend, e.g. `pip install "
            "keyrings.cryptfile` and "
            "PYTHON_KEYRING_BACKEND=keyrings.cryptfile.cryptfile.CryptFileKeyring (for cron, "
            "give its file password in KEYRING_CRYPTFILE_PASSWORD), or keyrings.alt's "
            "keyrings.alt.file.EncryptedKeyring (asks for its password); on a desktop or over "
            "`ssh` with D-Bus: GNOME Keyring or KWallet (Secret Service). The backend can also "
            "be chosen in {config}."
        ).format(config=_config_file())
    return _(
        "This machine has no usable system keyring, so tui-crm cannot store the SMTP password "
        "safely (it never writes passwords in plain text). Configure a keyring for this user, "
        "then run `tui-crm secrets set smtp` again. On a headless server: an encrypted file "
        "backend, e.g. `pip install keyrings.cryptfile` and "
        "PYTHON_KEYRING_BACKEND=keyrings.cryptfile.cryptfile.CryptFileKeyring (for cron, give "
        "its file password in KEYRING_CRYPTFILE_PASSWORD), or keyrings.alt's "
        "keyrings.alt.file.EncryptedKeyring (asks for its password); on a desktop or over "
        "`ssh` with D-Bus: GNOME Keyring or KWallet (Secret Service). The backend can also be "
        "chosen in {config}."
    ).format(config=_config_file())


def _is_unusable(backend: object) -> bool:
    from keyring.backends import chainer, fail

    if isinstance(backend, fail.Keyring):
        return True
    try:
        from keyring.backends import null

        if isinstance(backend, null.Keyring):
            return True
    except ImportError:  # pragma: no cover - older keyring without the null backend
        pass
    return isinstance(backend, chainer.ChainerBackend) and not backend.backends


def keyring_status(secret: str = "smtp") -> KeyringStatus:
    """Whether secrets can be stored on this machine, by which backend, and if not, why
    (the explanation names `secret`'s command: smtp or verifactu)."""
    keyring = _keyring()
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # a broken keyringrc.cfg or backend module
        return KeyringStatus(
            False, "", f"{no_backend_message(secret)} ({type(exc).__name__}: {exc})"
        )
    name = getattr(backend, "name", "") or type(backend).__name__
    if _is_unusable(backend):
        return KeyringStatus(False, name, no_backend_message(secret))
    return KeyringStatus(True, name, "")


def _require_backend(secret: str = "smtp"):
    status = keyring_status(secret)
    if not status.usable:
        raise KeyringUnavailable(status.message)
    return _keyring()


def _masked(error: BaseException, secret: str | None) -> str:
    text = str(error) or type(error).__name__
    if secret:
        text = text.replace(secret, "********")
    return " ".join(text.split())


def smtp_account(user: str | None = None, host: str | None = None) -> str:
    """The keyring user name of the SMTP password: "smtp:<user>@<host>"."""
    from . import settings

    user = settings.get("smtp.user") if user is None else user
    host = settings.get("smtp.host") if host is None else host
    if not user or not host:
        raise RuleViolation(
            _(
                "set the SMTP server and user name first (smtp.host, smtp.user: Settings, or "
                "`tui-crm config set smtp.host smtp.example.com`)"
            )
        )
    return f"smtp:{user}@{host}"


def set_smtp_password(password: str, *, user: str | None = None, host: str | None = None) -> str:
    """Store the SMTP password in the keyring; returns the account it was stored under.

    An empty password is refused (delete it instead); no keyring backend is refused with
    the ways to configure one."""
    if not password:
        raise RuleViolation(_("the password is empty; nothing was stored"))
    if "\n" in password or "\r" in password:
        raise RuleViolation(_("the password contains a line break; nothing was stored"))
    account = smtp_account(user, host)
    keyring = _require_backend()
    try:
        keyring.set_password(SERVICE, account, password)
    except Exception as exc:
        raise SecretStoreError(
            _("the keyring refused to store the password: {reason}").format(
                reason=_masked(exc, password)
            )
        ) from None
    return account


def smtp_password(*, user: str | None = None, host: str | None = None) -> str | None:
    """The stored SMTP password for the configured account, or None when none is stored."""
    account = smtp_account(user, host)
    keyring = _require_backend()
    try:
        return keyring.get_password(SERVICE, account)
    except Exception as exc:
        raise SecretStoreError(
            _("the keyring could not be read: {reason}").format(reason=_masked(exc, None))
        ) from None


def has_smtp_password() -> bool:
    """True when a password is stored for the configured account (False if none can be)."""
    try:
        return smtp_password() is not None
    except ServiceError:
        return False


def delete_smtp_password(*, user: str | None = None, host: str | None = None) -> bool:
    """Remove the stored SMTP password; False when there was none."""
    account = smtp_account(user, host)
    keyring = _require_backend()
    from keyring.errors import PasswordDeleteError

    try:
        if keyring.get_password(SERVICE, account) is None:
            return False
        keyring.delete_password(SERVICE, account)
    except PasswordDeleteError:
        return False
    except Exception as exc:
        raise SecretStoreError(
            _("the keyring refused to delete the password: {reason}").format(
                reason=_masked(exc, None)
            )
        ) from None
    return True


# --- the VERI*FACTU certificate's password ----------------------------------------------


def verifactu_account(path: str | None = None) -> str:
    """The keyring user name of the certificate's password: "verifactu:<absolute path>"."""
    import os

    from . import settings

    path = settings.get("verifactu.certificate") if path is None else path
    if not path or not path.strip():
        raise RuleViolation(
            _(
                "set the certificate file first (verifactu.certificate: Settings, or "
                "`tui-crm config set verifactu.certificate /path/to/certificate.p12`)"
            )
        )
    return "verifactu:" + os.path.abspath(os.path.expanduser(path.strip()))


def set_verifactu_password(password: str, *, path: str | None = None) -> str:
    """Store the password of the VERI*FACTU certificate (PKCS#12) in the keyring; returns the
    account it was stored under.

    Refused: an empty password or one with a line break, a password that does not open the
    certificate file (or a file that cannot be used: missing, expired; the reason is given,
    never the password), and a machine without a keyring backend (with the ways to get one).
    """
    if not password:
        raise RuleViolation(_("the password is empty; nothing was stored"))
    if "\n" in password or "\r" in password:
        raise RuleViolation(_("the password contains a line break; nothing was stored"))
    account = verifactu_account(path)
    keyring = _require_backend("verifactu")
    from ..verifactu import transport

    try:
        transport.load_certificate(account.removeprefix("verifactu:"), password)
    except transport.CertificateError as exc:
        raise RuleViolation(
            _("{reason}; nothing was stored").format(reason=_masked(exc, password))
        ) from None
    try:
        keyring.set_password(SERVICE, account, password)
    except Exception as exc:
        raise SecretStoreError(
            _("the keyring refused to store the password: {reason}").format(
                reason=_masked(exc, password)
            )
        ) from None
    return account


def verifactu_password(*, path: str | None = None) -> str | None:
    """The stored password of the configured certificate file, or None when none is stored."""
    account = verifactu_account(path)
    keyring = _require_backend("verifactu")
    try:
        return keyring.get_password(SERVICE, account)
    except Exception as exc:
        raise SecretStoreError(
            _("the keyring could not be read: {reason}").format(reason=_masked(exc, None))
        ) from None


def delete_verifactu_password(*, path: str | None = None) -> bool:
    """Remove the stored certificate password; False when there was none."""
    account = verifactu_account(path)
    keyring = _require_backend("verifactu")
    from keyring.errors import PasswordDeleteError

    try:
        if keyring.get_password(SERVICE, account) is None:
            return False
        keyring.delete_password(SERVICE, account)
    except PasswordDeleteError:
        return False
    except Exception as exc:
        raise SecretStoreError(
            _("the keyring refused to delete the password: {reason}").format(
                reason=_masked(exc, None)
            )
        ) from None
    return True
