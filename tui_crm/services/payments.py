"""Payments: full or partial, one payment over several invoices of one client, reversals.

Rules enforced here:
- a payment belongs to ONE client and is allocated to issued, unpaid invoices of
  that client; the allocations add up to the payment's amount;
- nothing is over-paid: an allocation larger than what the invoice still owes is
  refused, naming the amount and the outstanding (negative amounts are refunds,
  allowed only against an invoice that owes the client money, i.e. a rectifying
  invoice with a negative outstanding);
- the invoice's status follows: issued -> partially_paid -> paid (with the date
  it became paid); the client's outstanding figure moves with every payment;
- a payment is never deleted: it is reversed, with a reason, audited, and the
  invoices get back their outstanding and status;
- "compensation" payments (amount 0) are written by rectifying invoices only, to
  offset them against the invoice they correct; they cannot be reversed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ..db import execute, transactional
from ..i18n import _
from ..models import Client, Invoice, Payment, PaymentAllocation
from ..models.base import utcnow
from ..money import ZERO, from_cents, round_cents, to_cents
from ..payment_methods import COMPENSATION_METHOD, METHODS
from ..text import clean_input
from . import audit
from .errors import NotFound, RuleViolation, ValidationError
from .permissions import require
from .session import login

UNPAID_STATUSES = ("issued", "partially_paid")


def status_for(paid: Decimal, outstanding: Decimal) -> str:
    """The payment status of an issued invoice: issued, partially_paid or paid."""
    if outstanding == 0:
        return "paid"
    return "partially_paid" if paid != 0 else "issued"


@dataclass(frozen=True)
class PaymentAllocationInfo:
    invoice_id: int
    invoice_code: str
    amount: Decimal


@dataclass(frozen=True)
class PaymentDetail:
    id: int
    client_id: int
    client_name: str
    date: dt.date
    amount: Decimal
    method: str
    reference: str
    notes: str
    created_by: str
    created_at: dt.datetime
    reversed_at: dt.datetime | None
    reversed_by: str
    reversal_reason: str
    allocations: tuple[PaymentAllocationInfo, ...]

    @property
    def is_reversed(self) -> bool:
        return self.reversed_at is not None


@dataclass(frozen=True)
class OpenInvoice:
    """An invoice of the client that can take a payment (the payment form lists these)."""

    id: int
    code: str
    issue_date: dt.date
    due_date: dt.date | None
    total: Decimal
    paid: Decimal
    outstanding: Decimal


def open_invoices(client_id: int) -> list[OpenInvoice]:
    """The client's unpaid issued invoices, oldest due first (what a payment may settle)."""
    rows = execute(
        "SELECT id, code, issue_date, due_date, total_cents, paid_cents, outstanding_cents "
        "FROM invoice WHERE client_id = ? AND outstanding_cents <> 0 "
        "AND status IN ('issued', 'partially_paid') ORDER BY due_date, issue_date, id",
        (client_id,),
    )
    return [
        OpenInvoice(
            id=r[0],
            code=r[1],
            issue_date=dt.date.fromisoformat(str(r[2])),
            due_date=dt.date.fromisoformat(str(r[3])) if r[3] else None,
            total=from_cents(int(r[4])),
            paid=from_cents(int(r[5])),
            outstanding=from_cents(int(r[6])),
        )
        for r in rows
    ]


def _amount(value: object, field: str) -> Decimal:
    try:
        amount = Decimal(value) if not isinstance(value, Decimal) else value
        if not amount.is_finite() or amount != round_cents(amount):
            raise ValueError
    except (ArithmeticError, ValueError, TypeError):
        raise ValidationError({field: _("must be an amount with up to two decimals")}) from None
    return amount


def _apply(invoice: Invoice, amount: Decimal, date: dt.date) -> tuple[str, str]:
    """Move `amount` from outstanding to paid on one invoice; returns (status before, after)."""
    paid = invoice.paid + amount
    outstanding = invoice.outstanding - amount
    status = status_for(paid, outstanding)
    if status == "paid":
        paid_date = max(date, invoice.paid_date) if invoice.paid_date else date
    else:
        paid_date = None
    Invoice.update(
        paid=paid,
        outstanding=outstanding,
        status=status,
        paid_date=paid_date,
        version=Invoice.version + 1,
        updated_at=utcnow(),
        updated_by=login(),
    ).where(Invoice.id == invoice.id).execute()
    return invoice.status, status


def _auto_allocate(client_id: int, amount: Decimal) -> list[tuple[int, Decimal]]:
    left = amount
    allocations: list[tuple[int, Decimal]] = []
    for invoice in open_invoices(client_id):
        if left <= 0:
            break
        if invoice.outstanding <= 0:
            continue
        share = min(left, invoice.outstanding)
        allocations.append((invoice.id, share))
        left -= share
    if left > 0:
        owed = sum((i.outstanding for i in open_invoices(client_id)), ZERO)
        raise RuleViolation(
            _("The payment of {amount} is more than the client owes ({owed})").format(
                amount=round_cents(amount), owed=owed
            )
        )
    return allocations


def _check_allocations(
    client: Client,
    allocations: Sequence[tuple[int, Decimal]],
    *,
    compensation: bool = False,
) -> list[tuple[Invoice, Decimal]]:
    seen: set[int] = set()
    checked: list[tuple[Invoice, Decimal]] = []
    for index, (invoice_id, raw) in enumerate(allocations, start=1):
        amount = _amount(raw, f"allocations[{index}].amount")
        if invoice_id in seen:
            raise ValidationError({f"allocations[{index}]": _("the same invoice appears twice")})
        seen.add(invoice_id)
        invoice = Invoice.get_or_none(Invoice.id == invoice_id)
        if invoice is None:
            raise NotFound(_("invoice {id} does not exist").format(id=invoice_id))
        label = invoice.code or _("Draft {id}").format(id=invoice.id)
        if invoice.client_id != client.id:
            raise RuleViolation(
                _(
                    "{code} belongs to another client; one payment settles invoices of one client"
                ).format(code=label)
            )
        if compensation and amount < 0:
            # The rectifying side of a compensation takes on what the original owed.
            checked.append((invoice, amount))
            continue
        if invoice.status not in UNPAID_STATUSES or invoice.outstanding == 0:
            raise RuleViolation(
                _("{code} has nothing to pay (status {status})").format(
                    code=label, status=invoice.status
                )
            )
        if amount == 0:
            raise ValidationError({f"allocations[{index}].amount": _("must not be zero")})
        owed = invoice.outstanding
        if (amount > 0) != (owed > 0) or abs(amount) > abs(owed):
            raise RuleViolation(
                _("Overpayment refused: {amount} for {code}, which still owes {owed}").format(
                    amount=round_cents(amount), code=label, owed=owed
                )
            )
        checked.append((invoice, amount))
    return checked


@transactional
def register_payment(
    client_id: int,
    date: dt.date,
    amount: Decimal,
    method: str = "transfer",
    reference: str = "",
    allocations: Sequence[tuple[int, Decimal]] | None = None,
    notes: str = "",
) -> int:
    """Register a payment from one client, settling one or several of its invoices.

    `allocations` is [(invoice_id, amount), ...] adding up to `amount`; when None
    the payment settles the client's invoices oldest due first. Over-payment is
    refused with the reason. Returns the payment id.
    """
    require("payments.write")
    client = Client.get_or_none(Client.id == client_id)
    if client is None:
        raise NotFound(_("client {id} does not exist").format(id=client_id))
    errors: dict[str, str] = {}
    amount = _amount(amount, "amount")
    if amount == 0:
        errors["amount"] = _("must not be zero")
    if method not in METHODS:
        errors["method"] = _("must be one of {values}").format(values=", ".join(METHODS))
    if not isinstance(date, dt.date):
        errors["date"] = _("is required")
    reference = clean_input(reference or "")
    if len(reference) > 100:
        errors["reference"] = _("is longer than {n} characters").format(n=100)
    if errors:
        raise ValidationError(errors)
    if allocations is None:
        if amount < 0:
            raise ValidationError({"allocations": _("a refund must name the invoice it refunds")})
        allocations = _auto_allocate(client_id, amount)
    if not allocations:
        raise ValidationError({"allocations": _("choose at least one invoice")})
    checked = _check_allocations(client, allocations)
    allocated = sum((a for _inv, a in checked), ZERO)
    if allocated != amount:
        raise ValidationError(
            {
                "amount": _(
                    "the payment is {amount} but the invoices chosen add up to {allocated}"
                ).format(amount=round_cents(amount), allocated=round_cents(allocated))
            }
        )
    payment = Payment.create(
        client=client_id,
        date=date,
        amount=amount,
        method=method,
        reference=reference,
        notes=clean_input(notes or ""),
        created_by=login(),
    )
    changes: dict[str, tuple[object, object]] = {}
    for invoice, share in checked:
        PaymentAllocation.create(payment=payment.id, invoice=invoice.id, amount=share)
        before, after = _apply(invoice, share, date)
        changes[invoice.code] = (
            f"{invoice.outstanding} {before}",
            f"{invoice.outstanding - share} {after}",
        )
    execute(
        "UPDATE client SET outstanding_cents = outstanding_cents - ? WHERE id = ?",
        (to_cents(amount), client_id),
    )
    audit.record(
        "payment",
        "payment",
        payment.id,
        client_id=client_id,
        changes=changes,
        summary=_("Payment of {amount} ({method}) for {codes}").format(
            amount=amount, method=method, codes=", ".join(i.code for i, _a in checked)
        ),
    )
    return payment.id


def record_compensation(
    client_id: int, date: dt.date, reference: str, allocations: Sequence[tuple[int, Decimal]]
) -> int:
    """Offset invoices of one client against each other (a rectifying invoice and its original).

    Called inside `invoices.issue_invoice`'s transaction; the allocations add up to 0.
    """
    client = Client.get_by_id(client_id)
    checked = _check_allocations(client, allocations, compensation=True)
    if sum((a for _i, a in checked), ZERO) != 0:
        raise RuleViolation(_("a compensation must add up to zero"))
    payment = Payment.create(
        client=client_id,
        date=date,
        amount=ZERO,
        method=COMPENSATION_METHOD,
        reference=reference,
        created_by=login(),
    )
    for invoice, share in checked:
        PaymentAllocation.create(payment=payment.id, invoice=invoice.id, amount=share)
        _apply(invoice, share, date)
    audit.record(
        "payment",
        "payment",
        payment.id,
        client_id=client_id,
        changes={i.code: (i.outstanding, i.outstanding - a) for i, a in checked},
        summary=_("Compensation by {code}").format(code=reference),
    )
    return payment.id


@transactional
def reverse_payment(payment_id: int, reason: str) -> None:
    """Undo a payment (bounced transfer, wrong client): the invoices owe again, audited.

    Refused: no reason, a payment already reversed, a compensation."""
    require("payments.write")
    reason = clean_input(reason or "")
    if not reason:
        raise ValidationError({"reason": _("is required")})
    if len(reason) > 200:
        raise ValidationError({"reason": _("is longer than {n} characters").format(n=200)})
    payment = Payment.get_or_none(Payment.id == payment_id)
    if payment is None:
        raise NotFound(_("payment {id} does not exist").format(id=payment_id))
    if payment.reversed_at is not None:
        raise RuleViolation(
            _("payment {id} was already reversed by {user}").format(
                id=payment_id, user=payment.reversed_by
            )
        )
    if payment.method == COMPENSATION_METHOD:
        raise RuleViolation(
            _(
                "a compensation by a rectifying invoice cannot be reversed; issue another "
                "rectifying invoice instead"
            )
        )
    changes: dict[str, tuple[object, object]] = {}
    for allocation in PaymentAllocation.select().where(PaymentAllocation.payment == payment_id):
        invoice = Invoice.get_by_id(allocation.invoice_id)
        paid = invoice.paid - allocation.amount
        outstanding = invoice.outstanding + allocation.amount
        status = status_for(paid, outstanding)
        paid_date = invoice.paid_date if status == "paid" else None
        Invoice.update(
            paid=paid,
            outstanding=outstanding,
            status=status,
            paid_date=paid_date,
            version=Invoice.version + 1,
            updated_at=utcnow(),
            updated_by=login(),
        ).where(Invoice.id == invoice.id).execute()
        changes[invoice.code] = (
            f"{invoice.outstanding} {invoice.status}",
            f"{outstanding} {status}",
        )
    Payment.update(reversed_at=utcnow(), reversed_by=login(), reversal_reason=reason).where(
        Payment.id == payment_id
    ).execute()
    execute(
        "UPDATE client SET outstanding_cents = outstanding_cents + ? WHERE id = ?",
        (to_cents(payment.amount), payment.client_id),
    )
    audit.record(
        "reverse",
        "payment",
        payment_id,
        client_id=payment.client_id,
        changes=changes,
        summary=_("Payment of {amount} reversed: {reason}").format(
            amount=payment.amount, reason=reason
        ),
    )


def get_payment(payment_id: int) -> PaymentDetail:
    payment = Payment.get_or_none(Payment.id == payment_id)
    if payment is None:
        raise NotFound(_("payment {id} does not exist").format(id=payment_id))
    client = Client.get_by_id(payment.client_id)
    allocations = tuple(
        PaymentAllocationInfo(int(r[0]), r[1] or "", from_cents(int(r[2])))
        for r in execute(
            "SELECT a.invoice_id, i.code, a.amount_cents FROM payment_allocation a "
            "JOIN invoice i ON i.id = a.invoice_id WHERE a.payment_id = ? ORDER BY a.id",
            (payment_id,),
        )
    )
    return PaymentDetail(
        id=payment.id,
        client_id=payment.client_id,
        client_name=client.legal_name,
        date=payment.date,
        amount=payment.amount,
        method=payment.method,
        reference=payment.reference,
        notes=payment.notes,
        created_by=payment.created_by,
        created_at=payment.created_at,
        reversed_at=payment.reversed_at,
        reversed_by=payment.reversed_by,
        reversal_reason=payment.reversal_reason,
        allocations=allocations,
    )


def list_payments(client_id: int, offset: int = 0, limit: int = 100) -> list[PaymentDetail]:
    """A client's payments, newest first."""
    ids = [
        p.id
        for p in Payment.select(Payment.id)
        .where(Payment.client == client_id)
        .order_by(Payment.date.desc(), Payment.id.desc())
        .offset(offset)
        .limit(limit)
    ]
    return [get_payment(i) for i in ids]
