"""How a payment is made: the methods a person registers, and how each reads.

One place for the whole program: the payment service checks against `METHODS`, the
command line offers them (its parser is built at start-up, so this module imports
nothing but gettext's markers), the screens, the payment book and the statement of
account print `METHOD_LABELS` (translated when shown, `_(METHOD_LABELS[m])`).
"""

from __future__ import annotations

from .i18n import N_

METHODS = ("transfer", "card", "cash", "direct_debit", "cheque", "other")
# A rectifying invoice settles its original by a payment of this method (no money moves);
# only the service makes one.
COMPENSATION_METHOD = "compensation"
METHOD_LABELS = {
    "transfer": N_("bank transfer"),
    "card": N_("card"),
    "cash": N_("cash"),
    "direct_debit": N_("direct debit"),
    "cheque": N_("cheque"),
    "other": N_("other"),
    COMPENSATION_METHOD: N_("compensation"),
}
