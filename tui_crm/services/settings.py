"""Settings: the business's own data and defaults (in the database, shared by all users)
and per-user preferences (in the user's settings file).

Every key is declared here with its validation, so `tui-crm config set`, the
first-run form and the settings screen accept and refuse exactly the same values.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from .. import config
from ..db import transactional
from ..i18n import LANGUAGES, N_, _, ngettext
from ..models import Setting, VerifactuRecord
from ..models.base import utcnow
from ..money import IRPF_RATES, VAT_RATES, MoneyError
from ..text import has_control
from .errors import RuleViolation, ValidationError
from .permissions import require
from .session import login

# The audit log (its hash chain, VERI*FACTU's formats) and the checks of tax IDs are
# imported where a change is made: every start reads settings and registers its user
# before the first paint, and only reads (tests/unit/test_import_hygiene.py).


def _text(max_len: int, required: bool = False) -> Callable[[str], str]:
    def check(value: str) -> str:
        if has_control(value):  # a name or an address goes into headers and PDFs: one line
            raise ValueError(_("must be one line, without control characters"))
        value = value.strip()
        if required and not value:
            raise ValueError(_("is required"))
        if len(value) > max_len:
            raise ValueError(_("is longer than {n} characters").format(n=max_len))
        return value

    return check


def _iban(value: str) -> str:
    """Empty, or an IBAN whose check digits hold (python-stdnum), in groups of four."""
    from .validation import check_iban

    return check_iban(value) if value.strip() else ""


def _rate(allowed: tuple[Decimal, ...]) -> Callable[[str], str]:
    def check(value: str) -> str:
        try:
            rate = Decimal(value.strip().rstrip("%").replace(",", ".").strip())
        except (ArithmeticError, ValueError, MoneyError):
            raise ValueError(_("is not a number")) from None
        if rate not in allowed:
            raise ValueError(
                _("must be one of {values}").format(
                    values=", ".join(f"{r.normalize():f}" for r in allowed)
                )
            )
        return f"{rate.normalize():f}"

    return check


def _int_range(low: int, high: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        try:
            number = int(value.strip())
        except ValueError:
            raise ValueError(_("is not a whole number")) from None
        if not low <= number <= high:
            raise ValueError(_("must be between {low} and {high}").format(low=low, high=high))
        return str(number)

    return check


def _series(value: str) -> str:
    value = value.strip().upper()
    if not value or len(value) > 10 or not value.replace("-", "").isalnum():
        raise ValueError(_("must be 1 to 10 letters or digits (e.g. F)"))
    return value


def _timezone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    value = value.strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(_("is not a time zone (e.g. Europe/Madrid)")) from None
    return value


def _country(value: str) -> str:
    value = value.strip().upper()
    if len(value) != 2 or not value.isalpha():
        raise ValueError(_("must be a two-letter country code (e.g. ES)"))
    return value


def _language(value: str) -> str:
    value = value.strip().lower()
    if value not in (*LANGUAGES, ""):
        raise ValueError(_("must be one of {values}").format(values=", ".join(LANGUAGES)))
    return value


def _yes_no(value: str) -> str:
    v = value.strip().lower()
    if v in ("1", "yes", "true", "on", "si", "sí", "y", "s"):
        return "yes"
    if v in ("0", "no", "false", "off", "n"):
        return "no"
    raise ValueError(_("must be yes or no"))


def _host(value: str) -> str:
    value = value.strip().lower()
    if len(value) > 253 or any(ch.isspace() or ch in "/@:" for ch in value):
        raise ValueError(_("must be a host name or address, e.g. smtp.example.com"))
    return value


def _choice(*choices: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        value = value.strip().lower()
        if value not in choices:
            raise ValueError(_("must be one of {values}").format(values=", ".join(choices)))
        return value

    return check


def _address(required: bool = False) -> Callable[[str], str]:
    """An email address, optionally with a display name: "Ana Núñez <ana@example.com>"."""

    def check(value: str) -> str:
        from email.utils import formataddr, parseaddr

        from .validation import check_email

        value = value.strip()
        if not value:
            if required:
                raise ValueError(_("is required"))
            return ""
        name, addr = parseaddr(value)
        if not addr or ("<" in value) != (">" in value):
            raise ValueError(_("is not a valid email address (expected name@example.com)"))
        addr = check_email(addr)
        if len(value) > 254:
            raise ValueError(_("is longer than {n} characters").format(n=254))
        return formataddr((name, addr)) if name else addr

    return check


def _schedule(value: str) -> str:
    """Days overdue for the first, second and final reminder: "7,21,45"; empty turns them off."""
    text = value.replace(";", ",").replace(" ", ",")
    parts = [p for p in text.split(",") if p]
    try:
        days = [int(p) for p in parts]
    except ValueError:
        raise ValueError(_("must be up to three whole numbers of days, e.g. 7,21,45")) from None
    if len(days) > 3 or any(d < 1 or d > 3650 for d in days):
        raise ValueError(_("must be up to three whole numbers of days, e.g. 7,21,45"))
    if any(b <= a for a, b in pairwise(days)):
        raise ValueError(_("each level must come later than the one before, e.g. 7,21,45"))
    return ",".join(str(d) for d in days)


def _https_url(value: str) -> str:
    """A service URL: empty (AEAT's own for the environment) or https://host/path."""
    from urllib.parse import urlsplit

    value = value.strip()
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or any(ch.isspace() for ch in value):
        raise ValueError(_("must be an https:// address, or empty for AEAT's own"))
    return value


def _certificate_file(value: str) -> str:
    """The PKCS#12 file (.p12 or .pfx) of the certificate that signs in to AEAT."""
    import os

    value = value.strip()
    if not value:
        return ""
    path = os.path.abspath(os.path.expanduser(value))
    if not os.path.isfile(path):
        raise ValueError(_("{path} is not a file").format(path=path))
    if not path.lower().endswith((".p12", ".pfx")):
        raise ValueError(_("must be a PKCS#12 certificate file (.p12 or .pfx)"))
    return path


def _bic(value: str) -> str:
    """The business bank's BIC (SWIFT code), checked by python-stdnum; empty is allowed."""
    from stdnum import bic
    from stdnum.exceptions import ValidationError as StdnumError

    value = value.strip()
    if not value:
        return ""
    try:
        return bic.validate(value)
    except StdnumError:
        raise ValueError(_("is not a valid BIC (e.g. CAIXESBBXXX)")) from None


def _creditor_id(value: str) -> str:
    """The SEPA creditor identifier (AT-02), checked by python-stdnum; empty is allowed."""
    from stdnum.eu import at_02
    from stdnum.exceptions import ValidationError as StdnumError

    value = value.strip()
    if not value:
        return ""
    try:
        return at_02.validate(value)
    except StdnumError:
        raise ValueError(
            _("is not a valid SEPA creditor identifier (e.g. ES23ZZZ47690558N)")
        ) from None


@dataclass(frozen=True)
class SettingSpec:
    key: str
    label: str  # N_-marked, translated at use
    default: str
    check: Callable[[str], str]
    scope: str = "business"  # "business" (database) or "user" (settings file)


SPECS: tuple[SettingSpec, ...] = (
    SettingSpec("company.name", N_("Business name"), "", _text(200, required=True)),
    SettingSpec("company.tax_id", N_("Tax ID"), "", _text(32, required=True)),
    SettingSpec("company.address", N_("Address"), "", _text(200, required=True)),
    SettingSpec("company.postal_code", N_("Postal code"), "", _text(16, required=True)),
    SettingSpec("company.city", N_("City"), "", _text(100, required=True)),
    SettingSpec("company.province", N_("Province"), "", _text(100)),
    SettingSpec("company.country", N_("Country"), "ES", _country),
    SettingSpec("company.email", N_("Email"), "", _text(254)),
    SettingSpec("company.phone", N_("Phone"), "", _text(40)),
    SettingSpec("company.iban", N_("IBAN for transfers"), "", _iban),
    SettingSpec("company.bic", N_("BIC of the business's bank"), "", _bic),
    SettingSpec("sepa.creditor_id", N_("SEPA creditor identifier"), "", _creditor_id),
    SettingSpec(
        "documents.language",
        N_("Documents' language for clients outside Spanish-speaking countries (en, es)"),
        "en",
        _choice("en", "es"),
    ),
    SettingSpec("invoice.series", N_("Invoice series"), "F", _series),
    SettingSpec("invoice.rectifying_series", N_("Rectifying invoice series"), "R", _series),
    SettingSpec("invoice.default_vat", N_("Default IVA %"), "21", _rate(VAT_RATES)),
    SettingSpec("invoice.default_irpf", N_("Default IRPF %"), "0", _rate(IRPF_RATES)),
    SettingSpec("invoice.payment_days", N_("Payment days"), "30", _int_range(0, 365)),
    SettingSpec(
        "invoice.simplified_limit",
        N_("Simplified invoices (F2) up to, IVA included (400, or 3000 for art. 4.1 activities)"),
        "400",
        _choice("400", "3000"),
    ),
    SettingSpec(
        "clients.lead_to_client_on_invoice",
        N_("Lead becomes client on first invoice"),
        "yes",
        _yes_no,
    ),
    SettingSpec(
        "analytics.relationship_years",
        N_("Expected relationship length (years)"),
        "3",
        _int_range(1, 50),
    ),
    SettingSpec(
        "analytics.concentration_alert",
        N_("Warn when one client brings more than this % of a year's revenue"),
        "30",
        _int_range(1, 100),
    ),
    SettingSpec(
        "calendar.timezone",
        N_("Time zone of meeting invitations"),
        "Europe/Madrid",
        _timezone,
    ),
    SettingSpec("backup.daily", N_("Daily backup"), "no", _yes_no),
    SettingSpec("backup.keep_days", N_("Keep daily backups (days)"), "14", _int_range(1, 3650)),
    SettingSpec("backup.directory", N_("Backup directory"), "", _text(500)),
    SettingSpec("ui.language", N_("Language"), "", _language, scope="user"),
    # Email goes out through each user's own mailbox: their settings file and their keyring.
    SettingSpec("smtp.host", N_("SMTP server"), "", _host, scope="user"),
    SettingSpec("smtp.port", N_("SMTP port"), "587", _int_range(1, 65535), scope="user"),
    SettingSpec(
        "smtp.security",
        N_("SMTP security (starttls, ssl, none)"),
        "starttls",
        _choice("starttls", "ssl", "none"),
        scope="user",
    ),
    SettingSpec("smtp.user", N_("SMTP user name"), "", _text(254), scope="user"),
    SettingSpec("smtp.from", N_("From address"), "", _address(), scope="user"),
    SettingSpec("smtp.reply_to", N_("Reply-To address"), "", _address(), scope="user"),
    SettingSpec("smtp.bcc_self", N_("Send me a copy (Bcc)"), "no", _yes_no, scope="user"),
    SettingSpec(
        "smtp.timeout", N_("SMTP timeout (seconds)"), "30", _int_range(5, 300), scope="user"
    ),
    # VERI*FACTU (RD 1007/2023): records of every issued invoice, sent to AEAT.
    SettingSpec(
        "verifactu.enabled", N_("VERI*FACTU: record every invoice for AEAT"), "no", _yes_no
    ),
    SettingSpec(
        "verifactu.environment",
        N_("VERI*FACTU environment (test, production)"),
        "test",
        _choice("test", "production"),
    ),
    SettingSpec("verifactu.endpoint", N_("VERI*FACTU service URL (empty: AEAT's)"), "", _https_url),
    SettingSpec(
        "verifactu.certificate",
        N_("VERI*FACTU certificate (PKCS#12 file)"),
        "",
        _certificate_file,
    ),
    SettingSpec("verifactu.installation", N_("VERI*FACTU installation number"), "", _text(100)),
    SettingSpec(
        "reminders.schedule",
        N_("Payment reminders: days overdue for levels 1, 2, 3"),
        "7,21,45",
        _schedule,
    ),
)
SPEC_BY_KEY = {spec.key: spec for spec in SPECS}

# What an invoice cannot be issued without (the first-run form asks for these).
REQUIRED_FOR_INVOICING = (
    "company.name",
    "company.tax_id",
    "company.address",
    "company.postal_code",
    "company.city",
)


def _spec(key: str) -> SettingSpec:
    try:
        return SPEC_BY_KEY[key]
    except KeyError:
        raise ValidationError(
            {key: _("unknown setting; known settings: {keys}").format(keys=", ".join(SPEC_BY_KEY))}
        ) from None


def validate_key(key: str) -> None:
    """Refuse an unknown setting name, listing the known ones."""
    _spec(key)


def validate(key: str, value: str, country: str | None = None) -> str:
    """The normalised value, or ValidationError naming the setting and the reason.

    A tax ID is checked for `country` (default: the stored company.country).
    """
    from .validation import TaxIdError, check_tax_id

    spec = _spec(key)
    try:
        clean = spec.check(value)
        if key == "company.tax_id" and clean:
            country = country or get("company.country") or "ES"
            clean = check_tax_id(clean, country).display
    except (ValueError, TaxIdError) as exc:
        raise ValidationError({key: str(exc)}) from None
    return clean


def get(key: str) -> str:
    spec = _spec(key)
    if spec.scope == "user":
        return config.read_user_settings().get(key, spec.default)
    row = Setting.get_or_none(Setting.key == key)
    return row.value if row is not None else spec.default


def get_all() -> dict[str, str]:
    stored = {s.key: s.value for s in Setting.select()}
    user = config.read_user_settings()
    return {
        spec.key: (user if spec.scope == "user" else stored).get(spec.key, spec.default)
        for spec in SPECS
    }


def _verifactu_refusals(values: dict[str, str]) -> dict[str, str]:
    """Refusals for a change of the VERI*FACTU settings (the validated values): no turning
    it off once records exist, no change of environment while records wait, no turning it
    on without a Spanish NIF for the business."""
    errors: dict[str, str] = {}
    turning_off = values.get("verifactu.enabled") == "no" and get("verifactu.enabled") == "yes"
    if turning_off and VerifactuRecord.select().exists():
        errors["verifactu.enabled"] = _(
            "cannot be turned off: this system has issued VERI*FACTU records, and a "
            "system does not switch modes at will (RD 1007/2023)"
        )
    environment = get("verifactu.environment") or "test"
    new_environment = values.get("verifactu.environment")
    if new_environment and new_environment != environment:
        waiting = VerifactuRecord.select().where(VerifactuRecord.status == "pending").count()
        if waiting:
            errors["verifactu.environment"] = ngettext(
                "{n} record still waits to be sent to the {environment} environment; send it first",
                "{n} records still wait to be sent to the {environment} environment; send them "
                "first",
                waiting,
            ).format(n=waiting, environment=environment)
    if values.get("verifactu.enabled") == "yes":
        tax_id = values.get("company.tax_id") or get("company.tax_id")
        if tax_id:
            from .validation import issuer_nif

            try:
                issuer_nif(tax_id)
            except RuleViolation as exc:
                errors["verifactu.enabled"] = str(exc)
    return errors


@transactional
def set_many(values: dict[str, str]) -> dict[str, str]:
    """Validate every value first, then store them all (all or nothing), audited.

    Business settings need the admin role; a user's own preferences do not."""
    if any(_spec(k).scope == "business" for k in values):
        require("settings.write")
    errors: dict[str, str] = {}
    clean: dict[str, str] = {}
    country = None  # a tax ID sent with its country is checked for that country
    if "company.country" in values:
        with contextlib.suppress(ValueError):  # a bad country is reported on its own
            country = _country(values["company.country"])
    for key, value in values.items():
        try:
            clean[key] = validate(key, value, country)
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    if any(key.startswith("verifactu.") for key in clean):
        errors.update(_verifactu_refusals(clean))
        if errors:
            raise ValidationError(errors)
        if clean.get("verifactu.enabled") == "yes" and not (
            clean.get("verifactu.installation") or get("verifactu.installation")
        ):
            # AEAT's recommended installation number: the moment it was installed (FAQ 4).
            from ..verifactu.formats import new_installation_number

            clean["verifactu.installation"] = new_installation_number()
    from . import audit

    user_values = config.read_user_settings()
    user_changed = False
    for key, value in clean.items():
        spec = SPEC_BY_KEY[key]
        if spec.scope == "user":
            user_values[key] = value
            user_changed = True
            continue
        before = get(key)
        if before == value and Setting.get_or_none(Setting.key == key) is not None:
            continue
        Setting.insert(key=key, value=value, updated_at=utcnow(), updated_by=login()).on_conflict(
            conflict_target=[Setting.key],
            update={
                Setting.value: value,
                Setting.updated_at: utcnow(),
                Setting.updated_by: login(),
            },
        ).execute()
        audit.record("update", "setting", key, changes={"value": (before, value)})
    if user_changed:
        config.write_user_settings(user_values)
    return clean


def set_value(key: str, value: str) -> str:
    return set_many({key: value})[key]


def missing_for_invoicing() -> list[str]:
    """The business data still missing before an invoice can be issued."""
    values = get_all()
    return [key for key in REQUIRED_FOR_INVOICING if not values.get(key)]


def label(key: str) -> str:
    return _(SPEC_BY_KEY[key].label)
