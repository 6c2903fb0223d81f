"""A real SMTP server on localhost (aiosmtpd) for the email tests, a self-signed certificate
made in the test, and keyring backends that need no keyring on the machine.

`smtp_server(tmp_path, security=..., users=..., refuse=...)` starts an aiosmtpd
server on 127.0.0.1 on a free port: `security` "none" (plain, AUTH allowed without
TLS), "starttls" (STARTTLS required before AUTH and MAIL) or "ssl" (TLS from the
first byte); `users` {login: password} makes AUTH required; `refuse` lists
recipient addresses answered with 550; `exclude_auth` names AUTH mechanisms not offered.
Every accepted message is in `.messages`
(envelope sender and recipients, the parsed message, the raw bytes).

`MemoryKeyring` keeps secrets in a dict (set it with `keyring.set_keyring`).
`FileKeyring` keeps them in the JSON file named by $TUI_CRM_TEST_KEYRING,
hex-encoded, so subprocesses (the `cli` fixture) share one keyring: select it with
PYTHON_KEYRING_BACKEND=keyring_support... see `keyring_env`.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import json
import os
import socket
import ssl
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from keyring.backend import KeyringBackend

TESTS_DIR = Path(__file__).resolve().parent


# --- certificates ---------------------------------------------------------------


def make_certificate(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A self-signed certificate for `host` (and localhost); returns (cert, key) PEM paths."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tui-crm test SMTP")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(host))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path = directory / "smtp-cert.pem"
    key_path = directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


# --- the server -------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    login: str | None

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)  # type: ignore[return-value]


@dataclass
class RunningServer:
    host: str
    port: int
    security: str
    cert: Path | None
    messages: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # addresses answered 550 (may change)
    auth_attempts: list[tuple[str, bool]] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self, server: RunningServer):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.casefold() in {a.casefold() for a in self.server.refuse}:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        login = (
            session.auth_data.login.decode()
            if session.authenticated and session.auth_data
            else None
        )
        self.server.messages.append(
            Received(
                envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content), login
            )
        )
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(
    tmp_path: Path,
    *,
    security: str = "none",
    users: dict[str, str] | None = None,
    refuse: tuple[str, ...] = (),
    exclude_auth: tuple[str, ...] = (),
):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert = key = None
    context = None
    if security in ("starttls", "ssl"):
        cert, key = make_certificate(tmp_path / "tls")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
    running = RunningServer("127.0.0.1", _free_port(), security, cert, refuse=set(refuse))

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and users is not None
            and users.get(auth_data.login.decode()) == auth_data.password.decode()
        )
        running.auth_attempts.append(
            (auth_data.login.decode() if isinstance(auth_data, LoginPassword) else "", ok)
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    kwargs: dict[str, object] = {}
    if users is not None:
        kwargs.update(authenticator=authenticator, auth_required=True)
    if security == "starttls":
        kwargs.update(tls_context=context, require_starttls=True)
    elif security == "ssl":
        kwargs.update(ssl_context=context)
    if users is not None and security != "starttls":
        kwargs["auth_require_tls"] = False
    if exclude_auth:  # e.g. ("PLAIN",): a server offering LOGIN only
        kwargs["auth_exclude_mechanism"] = list(exclude_auth)
    controller = Controller(_Handler(running), hostname=running.host, port=running.port, **kwargs)
    controller.start()
    try:
        yield running
    finally:
        controller.stop()


# --- keyrings ----------------------------------------------------------------------


class MemoryKeyring(KeyringBackend):
    """Secrets in a dict, for one process."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        if self.store.pop((service, username), None) is None:
            raise PasswordDeleteError("not stored")


class FileKeyring(KeyringBackend):
    """Secrets hex-encoded in the JSON file $TUI_CRM_TEST_KEYRING (shared by subprocesses)."""

    priority = 1  # type: ignore[assignment]

    @property
    def path(self) -> Path:
        return Path(os.environ["TUI_CRM_TEST_KEYRING"])

    def _load(self) -> dict[str, str]:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}

    def get_password(self, service: str, username: str) -> str | None:
        value = self._load().get(f"{service}\n{username}")
        return bytes.fromhex(value).decode() if value is not None else None

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}\n{username}"] = password.encode().hex()
        self.path.write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        data.pop(f"{service}\n{username}", None)
        self.path.write_text(json.dumps(data))


def keyring_env(tmp_path: Path) -> dict[str, str]:
    """Environment for a subprocess that uses `FileKeyring` in `tmp_path`."""
    existing = os.environ.get("PYTHONPATH", "")
    return {
        "PYTHON_KEYRING_BACKEND": "smtp_support.FileKeyring",
        "TUI_CRM_TEST_KEYRING": str(tmp_path / "keyring.json"),
        "PYTHONPATH": os.pathsep.join(p for p in (str(TESTS_DIR), existing) if p),
    }


NO_KEYRING_ENV = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
