"""How statuses and methods of sales documents read on screen (translated when shown)."""

from __future__ import annotations

from ..i18n import N_, NC_, _
from ..payment_methods import METHOD_LABELS as METHOD_LABELS  # the screens' words too
from ..payment_methods import METHODS

INVOICE_STATUS_LABELS = {
    "draft": N_("Draft"),
    "issued": N_("Issued"),
    "partially_paid": N_("Partially paid"),
    "paid": NC_("invoice status", "Paid"),
    "voided": N_("Voided"),
}
QUOTE_STATUS_LABELS = {
    "draft": N_("Draft"),
    "sent": N_("Sent"),
    "accepted": N_("Accepted"),
    "rejected": N_("Rejected"),
    "expired": N_("Expired"),
}
ORDER_STATUS_LABELS = {
    "open": N_("Open"),
    "partially_invoiced": N_("Partly invoiced"),
    "invoiced": N_("Invoiced"),
    "cancelled": N_("Cancelled"),
}
# The methods a person registers a payment with (a compensation is made by the service).
PAYABLE_METHODS = METHODS
SHIPPING_LABELS = {
    "included": N_("included"),
    "not_included": N_("not included"),
    "amount": N_("charged"),
}
MODE_LABELS = {
    "difference": N_("by difference (correct what changed)"),
    "replacement": N_("by replacement (cancel and restate)"),
}


def label(labels: dict[str, str], value: str) -> str:
    """The translated label of a status or method (the raw value if unknown)."""
    return _(labels[value]) if value in labels else value
