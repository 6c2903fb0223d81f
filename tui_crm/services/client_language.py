"""The language a client reads: its quotes, invoices, reminders, their PDFs and emails.

Rules: a client's own choice (`client.language`, "es" or "en") wins; without one,
Spanish for a client in a Spanish-speaking country (by its invoice address, else its
tax ID's country), and the business's default (`documents.language`, English unless
set) for everyone else. The person printing or sending never changes it: a Spanish
colleague's invoice to a London client is in English, and an English colleague's to a
Madrid client in Spanish.
"""

from __future__ import annotations

import re

from ..db import execute
from ..i18n import LANGUAGES, N_, _, in_language

# "" is "by the client's country"; labels for the form and the exports.
DOCUMENT_LANGUAGES = ("", "es", "en")
LANGUAGE_LABELS = {"": N_("By country"), "es": N_("Spanish"), "en": N_("English")}
SPANISH_COUNTRIES = frozenset(
    ("ES", "AR", "BO", "CL", "CO", "CR", "CU", "DO", "EC", "GT", "GQ", "HN", "MX", "NI", "PA",
     "PE", "PR", "PY", "SV", "UY", "VE")
)  # fmt: skip


def language_for(override: str, country: str, default: str) -> str:
    """The rule itself, on plain values: the override, else Spanish for a Spanish-speaking
    country, else the business's default."""
    if override in ("es", "en"):
        return override
    if (country or "ES").upper() in SPANISH_COUNTRIES:
        return "es"
    return default if default in ("es", "en") else "en"


def language_for_client(client_id: int) -> str:
    """The language of this client's documents (the module's rule)."""
    from . import settings

    row = execute(
        "SELECT c.language, COALESCE((SELECT a.country FROM address a WHERE a.client_id = c.id "
        "ORDER BY a.is_invoice_default DESC, a.id LIMIT 1), c.tax_id_country) "
        "FROM client c WHERE c.id = ?",
        (client_id,),
    ).fetchone()
    if row is None:
        return "en"
    return language_for(row[0] or "", row[1] or "", settings.get("documents.language"))


# The default payment terms an invoice or quote takes, saved as words: printed in the
# document's language whatever language they were saved in.
PAYMENT_WITHIN = N_("Payment within {days} days")


def payment_terms(days: int) -> str:
    """The default payment terms for `days`, in the current language ("" for 0 days)."""
    return _(PAYMENT_WITHIN).format(days=days) if days else ""


def payment_terms_in(text: str) -> str:
    """`text` in the current language when it is the default payment terms written in any
    language ("Pago a 30 días" -> "Payment within 30 days"); any other text as it is."""
    stripped = (text or "").strip()
    if not stripped:
        return text
    for lang in LANGUAGES:
        with in_language(lang):
            worded = _(PAYMENT_WITHIN)
        head, _sep, tail = worded.partition("{days}")
        match = re.fullmatch(re.escape(head) + r"(\d{1,3})" + re.escape(tail), stripped)
        if match:
            return payment_terms(int(match.group(1)))
    return text
