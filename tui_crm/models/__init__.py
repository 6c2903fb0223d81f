"""Peewee models for every entity. Thin: the rules live in `services`.

Money columns end in `_cents` (integer), rates in `_bp` (hundredths of a percent),
quantities in `_milli` (thousandths), so raw SQL and reports read them without
guessing. The schema itself is created by `tui_crm.migrations`, not from here.
"""

from __future__ import annotations

import datetime as dt

from peewee import (
    AutoField,
    BlobField,
    BooleanField,
    CharField,
    CompositeKey,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from .base import BaseModel, MoneyField, QuantityField, RateField, VersionedModel, utcnow

# --- people, settings, audit ---------------------------------------------------

ROLES = ("admin", "accounting", "sales", "readonly")


class User(BaseModel):
    id = AutoField()
    login = CharField(max_length=64, unique=True)
    full_name = CharField(max_length=200, default="")
    email = CharField(max_length=254, default="")
    role = CharField(max_length=16, default="sales")
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(null=True)


class Setting(BaseModel):
    """The business's own settings (issuer data, invoice series, defaults), shared by all users."""

    key = CharField(max_length=64, primary_key=True)
    value = TextField(default="")
    updated_at = DateTimeField(default=utcnow)
    updated_by = CharField(max_length=64, default="")


class AuditLog(BaseModel):
    id = AutoField()
    at = DateTimeField(default=utcnow, index=True)
    user = CharField(max_length=64)
    action = CharField(max_length=16)  # create update delete issue payment merge import ...
    entity = CharField(max_length=32)
    entity_id = CharField(max_length=64, default="")
    client_id = IntegerField(null=True)  # whose history this belongs to, for the client file
    changes = TextField(default="{}")  # JSON {field: [before, after]}
    summary = TextField(default="")
    # m0012: who really acted (an admin acting as `user`), and the hash chain (services.evidence)
    real_user = CharField(max_length=64, default="")
    prev_hash = CharField(max_length=64, default="")
    hash = CharField(max_length=64, default="")

    class Meta:
        table_name = "audit_log"
        indexes = (
            (("entity", "entity_id"), False),
            (("client_id", "at"), False),
            (("user", "at"), False),
        )


# --- clients -------------------------------------------------------------------

CLIENT_KINDS = ("lead", "client")
LEAD_STAGES = ("new", "contacted", "qualified", "lost")
CLIENT_STATUSES = ("active", "archived", "merged")


class Client(VersionedModel):
    id = AutoField()
    kind = CharField(max_length=8, default="lead")
    status = CharField(max_length=10, default="active")
    is_company = BooleanField(default=True)
    legal_name = CharField(max_length=200)
    trade_name = CharField(max_length=200, default="")
    sort_name = CharField(max_length=200, default="")  # folded: lower case, no accents
    tax_id = CharField(max_length=32, default="")  # as shown: "B12345674", "ESB12345674"
    tax_id_country = CharField(max_length=2, default="ES")
    tax_id_compact = CharField(max_length=32, default="")  # for duplicate checks
    email = CharField(max_length=254, default="")
    phone = CharField(max_length=40, default="")
    mobile = CharField(max_length=40, default="")
    fax = CharField(max_length=40, default="")
    website = CharField(max_length=200, default="")
    payment_days = IntegerField(default=30)
    payment_method = CharField(max_length=20, default="transfer")
    iban = CharField(max_length=40, default="")
    language = CharField(max_length=5, default="")  # documents' language; "": by country
    vat_rate = RateField(column_name="vat_rate_bp", default=21)
    vat_exempt = BooleanField(default=False)
    exemption_reason = CharField(max_length=200, default="")
    irpf_rate = RateField(column_name="irpf_rate_bp", default=0)
    recargo = BooleanField(default=False)
    owner = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="clients")
    notes = TextField(default="")
    merged_into = ForeignKeyField("self", null=True, on_delete="SET NULL")
    became_client_at = DateField(null=True)
    # Running figures kept by the invoicing services, so lists sort without aggregating.
    revenue_total = MoneyField(column_name="revenue_total_cents", default=0)
    outstanding = MoneyField(column_name="outstanding_cents", default=0)
    last_activity_at = DateTimeField(null=True)
    lead_source = CharField(max_length=60, default="")  # m0014
    lead_stage = CharField(max_length=10, default="new")  # LEAD_STAGES (m0014)
    lead_lost_reason = CharField(max_length=200, default="")

    class Meta:
        indexes = (
            (("status", "sort_name", "id"), False),
            (("tax_id_compact",), False),
            (("email",), False),
            (("owner", "sort_name"), False),
        )


class Address(VersionedModel):
    id = AutoField()
    client = ForeignKeyField(Client, backref="addresses", on_delete="CASCADE")
    label = CharField(max_length=80, default="")
    line1 = CharField(max_length=200, default="")
    line2 = CharField(max_length=200, default="")
    postal_code = CharField(max_length=16, default="")
    city = CharField(max_length=100, default="")
    province = CharField(max_length=100, default="")
    country = CharField(max_length=2, default="ES")
    contact_name = CharField(max_length=200, default="")
    is_invoice_default = BooleanField(default=False)
    is_delivery_default = BooleanField(default=False)
    is_quote_default = BooleanField(default=False)


class Contact(VersionedModel):
    id = AutoField()
    client = ForeignKeyField(Client, backref="contacts", on_delete="CASCADE")
    first_name = CharField(max_length=100, default="")
    last_name = CharField(max_length=100, default="")
    position = CharField(max_length=100, default="")
    email = CharField(max_length=254, default="")
    phone = CharField(max_length=40, default="")
    mobile = CharField(max_length=40, default="")
    is_billing = BooleanField(default=False)
    notes = TextField(default="")


CUSTOM_FIELD_KINDS = ("text", "number", "date", "choice", "bool")


class CustomFieldDef(BaseModel):
    id = AutoField()
    key = CharField(max_length=64, unique=True)
    label = CharField(max_length=100)
    kind = CharField(max_length=8, default="text")
    choices = TextField(default="[]")  # JSON list, for kind == "choice"
    required = BooleanField(default=False)
    position = IntegerField(default=0)
    active = BooleanField(default=True)

    class Meta:
        table_name = "custom_field_def"


class CustomFieldValue(BaseModel):
    field = ForeignKeyField(CustomFieldDef, on_delete="CASCADE", backref="values")
    client = ForeignKeyField(Client, on_delete="CASCADE", backref="custom_values")
    value = TextField(default="")

    class Meta:
        table_name = "custom_field_value"
        primary_key = CompositeKey("field", "client")


class Tag(BaseModel):
    id = AutoField()
    name = CharField(max_length=60, unique=True)
    color = CharField(max_length=20, default="")


class ClientTag(BaseModel):
    client = ForeignKeyField(Client, on_delete="CASCADE", backref="client_tags")
    tag = ForeignKeyField(Tag, on_delete="CASCADE", backref="client_tags")

    class Meta:
        table_name = "client_tag"
        primary_key = CompositeKey("client", "tag")


class ClientRevenue(BaseModel):
    """Taxable base invoiced per client and calendar year, kept by triggers on `invoice` (m0004)."""

    client = ForeignKeyField(Client, on_delete="CASCADE", backref="revenue_by_year")
    year = IntegerField()
    base = MoneyField(column_name="base_cents", default=0)

    class Meta:
        table_name = "client_revenue"
        primary_key = CompositeKey("client", "year")


PROJECT_STATUSES = ("planned", "active", "on_hold", "done", "cancelled")


class Project(VersionedModel):
    id = AutoField()
    client = ForeignKeyField(Client, backref="projects", on_delete="CASCADE")
    name = CharField(max_length=200)
    status = CharField(max_length=10, default="active")
    start_date = DateField(null=True)
    end_date = DateField(null=True)
    budget = MoneyField(column_name="budget_cents", default=0)
    description = TextField(default="")


OPPORTUNITY_STAGES = ("new", "qualified", "proposal", "negotiation", "won", "lost")


class Opportunity(VersionedModel):
    id = AutoField()
    client = ForeignKeyField(Client, backref="opportunities", on_delete="CASCADE")
    project = ForeignKeyField(Project, null=True, on_delete="SET NULL")
    title = CharField(max_length=200)
    stage = CharField(max_length=12, default="new")
    amount = MoneyField(column_name="amount_cents", default=0)
    probability = IntegerField(default=10)  # percent
    expected_close = DateField(null=True)
    lost_reason = CharField(max_length=200, default="")
    owner = ForeignKeyField(User, null=True, on_delete="SET NULL")
    notes = TextField(default="")

    class Meta:
        indexes = ((("stage", "expected_close"), False),)


ACTIVITY_KINDS = ("call", "meeting", "email", "note", "task")


class Activity(VersionedModel):
    """A timeline entry. With a due date and no done date it is a follow-up on the agenda."""

    id = AutoField()
    client = ForeignKeyField(Client, backref="activities", on_delete="CASCADE")
    kind = CharField(max_length=8, default="note")
    subject = CharField(max_length=200, default="")
    body = TextField(default="")
    outcome = CharField(max_length=200, default="")
    contact = ForeignKeyField(Contact, null=True, on_delete="SET NULL")
    project = ForeignKeyField(Project, null=True, on_delete="SET NULL")
    author = CharField(max_length=64, default="")
    occurred_at = DateTimeField(default=utcnow)
    due_date = DateField(null=True)
    done_at = DateTimeField(null=True)
    email_status = CharField(max_length=8, default="")  # "", "draft", "sent", "failed"
    message_id = CharField(max_length=250, default="")
    # A meeting (m0014): it starts at occurred_at, lasts duration_minutes, takes place at
    # place; its calendar invitations carry ical_uid and ical_sequence.
    duration_minutes = IntegerField(null=True)
    place = CharField(max_length=200, default="")
    ical_uid = CharField(max_length=120, default="")
    ical_sequence = IntegerField(default=0)
    cancelled_at = DateTimeField(null=True)

    class Meta:
        indexes = (
            (("client", "occurred_at"), False),
            (("due_date", "done_at"), False),
        )


class ActivityAttendee(BaseModel):
    """Who is invited to a meeting: a contact of its client or a colleague (m0014)."""

    id = AutoField()
    activity = ForeignKeyField(Activity, backref="attendees", on_delete="CASCADE")
    contact = ForeignKeyField(Contact, null=True, on_delete="SET NULL")
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    name = CharField(max_length=200, default="")
    email = CharField(max_length=254, default="")

    class Meta:
        table_name = "activity_attendee"


class CommentTemplate(BaseModel):
    id = AutoField()
    name = CharField(max_length=100, unique=True)
    kind = CharField(max_length=8, default="note")
    subject = CharField(max_length=200, default="")
    body = TextField(default="")

    class Meta:
        table_name = "comment_template"


# --- catalog, quotes, orders, invoices -----------------------------------------


class Product(VersionedModel):
    id = AutoField()
    code = CharField(max_length=40, unique=True)
    name = CharField(max_length=200)
    description = TextField(default="")
    unit = CharField(max_length=12, default="")
    unit_price = MoneyField(column_name="unit_price_cents", default=0)
    vat_rate = RateField(column_name="vat_rate_bp", default=21)
    unit_cost = MoneyField(column_name="unit_cost_cents", default=0)
    is_service = BooleanField(default=True)
    active = BooleanField(default=True)


class _Totals(VersionedModel):
    """Totals of a quote, order or invoice, as computed by `money.document_totals`."""

    base = MoneyField(column_name="base_cents", default=0)
    vat = MoneyField(column_name="vat_cents", default=0)
    recargo = MoneyField(column_name="recargo_cents", default=0)
    irpf_rate = RateField(column_name="irpf_rate_bp", default=0)
    irpf = MoneyField(column_name="irpf_cents", default=0)
    total = MoneyField(column_name="total_cents", default=0)
    cost = MoneyField(column_name="cost_cents", default=0)
    exemption_reason = CharField(max_length=200, default="")


class _LineFields(BaseModel):
    position = IntegerField(default=0)
    product = ForeignKeyField(Product, null=True, on_delete="SET NULL")
    description = TextField(default="")
    quantity = QuantityField(column_name="quantity_milli", default=1)
    unit_price = MoneyField(column_name="unit_price_cents", default=0)
    discount = RateField(column_name="discount_bp", default=0)
    vat_rate = RateField(column_name="vat_rate_bp", default=21)
    recargo_rate = RateField(column_name="recargo_rate_bp", default=0)
    unit_cost = MoneyField(column_name="unit_cost_cents", default=0)
    base = MoneyField(column_name="base_cents", default=0)


QUOTE_STATUSES = ("draft", "sent", "accepted", "rejected", "expired")


class Quote(_Totals):
    id = AutoField()
    client = ForeignKeyField(Client, backref="quotes", on_delete="RESTRICT")
    project = ForeignKeyField(Project, null=True, on_delete="SET NULL")
    opportunity = ForeignKeyField(Opportunity, null=True, on_delete="SET NULL")
    code = CharField(max_length=40, unique=True)
    title = CharField(max_length=200, default="")
    status = CharField(max_length=10, default="draft")
    date = DateField(default=dt.date.today)
    valid_days = IntegerField(null=True)
    valid_until = DateField(null=True)
    delivery_time = CharField(max_length=100, default="")
    shipping_mode = CharField(max_length=12, default="included")  # included not_included amount
    shipping = MoneyField(column_name="shipping_cents", default=0)
    payment_terms = TextField(default="")
    milestones = TextField(default="")
    warranty = TextField(default="")
    conditions = TextField(default="")
    internal_notes = TextField(default="")  # never reaches the client
    rejected_reason = CharField(max_length=200, default="")
    address = ForeignKeyField(Address, null=True, on_delete="SET NULL")
    created_by = CharField(max_length=64, default="")

    class Meta:
        indexes = ((("client", "date"), False), (("status", "valid_until"), False))


class QuoteLine(_LineFields):
    id = AutoField()
    quote = ForeignKeyField(Quote, backref="lines", on_delete="CASCADE")

    class Meta:
        table_name = "quote_line"


ORDER_STATUSES = ("open", "partially_invoiced", "invoiced", "cancelled")


class SalesOrder(_Totals):
    id = AutoField()
    client = ForeignKeyField(Client, backref="orders", on_delete="RESTRICT")
    quote = ForeignKeyField(Quote, null=True, on_delete="SET NULL", backref="orders")
    project = ForeignKeyField(Project, null=True, on_delete="SET NULL")
    code = CharField(max_length=40, unique=True)
    title = CharField(max_length=200, default="")
    date = DateField(default=dt.date.today)
    status = CharField(max_length=20, default="open")
    invoiced = MoneyField(column_name="invoiced_cents", default=0)  # base already invoiced

    class Meta:
        table_name = "sales_order"
        indexes = ((("client", "date"), False),)


class OrderLine(_LineFields):
    id = AutoField()
    order = ForeignKeyField(SalesOrder, backref="lines", on_delete="CASCADE")
    quantity_invoiced = QuantityField(column_name="quantity_invoiced_milli", default=0)

    class Meta:
        table_name = "order_line"


INVOICE_STATUSES = ("draft", "issued", "partially_paid", "paid", "voided")
INVOICE_KINDS = ("standard", "rectifying")
# AEAT's TipoFactura (VERI*FACTU, list L2): F1 invoice, F2 simplified, F3 replacing simplified
# ones, R1-R4 rectifying by legal cause, R5 rectifying a simplified invoice.
INVOICE_TYPES = ("F1", "F2", "F3", "R1", "R2", "R3", "R4", "R5")
# Why an invoice line carries no IVA: exempt (E1-E6, list L10) or not subject (N1, N2).
EXEMPTION_CODES = ("E1", "E2", "E3", "E4", "E5", "E6", "N1", "N2")


class Invoice(_Totals):
    """A draft has no number; issuing numbers it, freezes the fiscal data and makes it immutable."""

    id = AutoField()
    kind = CharField(max_length=12, default="standard")
    status = CharField(max_length=16, default="draft")
    series = CharField(max_length=16, default="F")
    year = IntegerField(null=True)
    number = IntegerField(null=True)
    code = CharField(max_length=40, null=True, unique=True)  # "F2026-00001"
    client = ForeignKeyField(Client, backref="invoices", on_delete="RESTRICT")
    project = ForeignKeyField(Project, null=True, on_delete="SET NULL")
    quote = ForeignKeyField(Quote, null=True, on_delete="SET NULL")
    order = ForeignKeyField(SalesOrder, null=True, on_delete="SET NULL")
    rectifies = ForeignKeyField("self", null=True, on_delete="RESTRICT", backref="rectifications")
    rectification_reason = TextField(default="")
    rectification_mode = CharField(max_length=12, default="")  # difference replacement
    issue_date = DateField(null=True)
    operation_date = DateField(null=True)
    due_date = DateField(null=True)
    paid = MoneyField(column_name="paid_cents", default=0)
    outstanding = MoneyField(column_name="outstanding_cents", default=0)
    paid_date = DateField(null=True)  # when it became fully paid
    payment_terms = TextField(default="")
    notes = TextField(default="")
    imported = BooleanField(default=False)
    # Frozen on issue: what the invoice says, whatever happens to the client later.
    client_name = CharField(max_length=200, default="")
    client_tax_id = CharField(max_length=32, default="")
    client_address = TextField(default="")  # line1\nline2\npostal code city\nprovince\ncountry
    issuer_name = CharField(max_length=200, default="")
    issuer_tax_id = CharField(max_length=32, default="")
    issuer_address = TextField(default="")
    address = ForeignKeyField(Address, null=True, on_delete="SET NULL")
    created_by = CharField(max_length=64, default="")
    issued_by = CharField(max_length=64, default="")
    issued_at = DateTimeField(null=True)
    # Made by a recurring template for this period (m0003): unique, so a run never repeats.
    recurring_id = IntegerField(null=True)
    recurring_date = DateField(null=True)
    # m0012: SHA-256 of the fiscal content as issued (services.evidence), written once
    fiscal_hash = CharField(max_length=64, default="")
    # VERI*FACTU (m0010): AEAT's type (frozen on issue), the exemption or non-subjection code
    # of the lines without IVA, and voiding (status "voided": the invoice should never have
    # existed; it stays, counts for nothing, and a registro de anulación joins the chain).
    invoice_type = CharField(max_length=2, default="")
    exemption_code = CharField(max_length=2, default="")
    voided_at = DateTimeField(null=True)
    voided_by = CharField(max_length=64, default="")
    void_reason = TextField(default="")
    debit_returned_on = DateField(null=True)  # a direct debit of it came back (m0011)

    class Meta:
        indexes = (
            (("series", "year", "number"), True),
            (("recurring_id", "recurring_date"), True),
            (("client", "issue_date"), False),
            (("issue_date",), False),
            (("status", "due_date"), False),
        )


class InvoiceReplaced(BaseModel):
    """The simplified invoices (F2) an F3 invoice replaces (m0010; frozen once issued)."""

    invoice = ForeignKeyField(Invoice, on_delete="CASCADE", backref="replaced_links")
    replaced = ForeignKeyField(Invoice, on_delete="RESTRICT")

    class Meta:
        table_name = "invoice_replaced"
        primary_key = CompositeKey("invoice", "replaced")


class InvoiceLine(_LineFields):
    id = AutoField()
    invoice = ForeignKeyField(Invoice, backref="lines", on_delete="CASCADE")
    order_line = ForeignKeyField(OrderLine, null=True, on_delete="SET NULL")

    class Meta:
        table_name = "invoice_line"


class AuditChainHead(BaseModel):
    """The audit log's last entry (m0012), so entries removed from its end show."""

    id = IntegerField(primary_key=True)
    last_id = IntegerField()
    last_hash = CharField(max_length=64)

    class Meta:
        table_name = "audit_chain_head"


class SeriesCounter(BaseModel):
    """The last number issued per series and year: the source of gapless numbering."""

    series = CharField(max_length=16)
    year = IntegerField()
    last_number = IntegerField(default=0)
    last_issue_date = DateField(null=True)

    class Meta:
        table_name = "series_counter"
        primary_key = CompositeKey("series", "year")


class Payment(BaseModel):
    id = AutoField()
    client = ForeignKeyField(Client, backref="payments", on_delete="RESTRICT")
    date = DateField()
    amount = MoneyField(column_name="amount_cents")
    method = CharField(max_length=16, default="transfer")
    reference = CharField(max_length=100, default="")
    notes = TextField(default="")
    created_by = CharField(max_length=64, default="")
    created_at = DateTimeField(default=utcnow)
    reversed_at = DateTimeField(null=True)
    reversed_by = CharField(max_length=64, default="")
    reversal_reason = CharField(max_length=200, default="")

    class Meta:
        indexes = ((("client", "date"), False),)


class PaymentAllocation(BaseModel):
    id = AutoField()
    payment = ForeignKeyField(Payment, backref="allocations", on_delete="CASCADE")
    invoice = ForeignKeyField(Invoice, backref="allocations", on_delete="RESTRICT")
    amount = MoneyField(column_name="amount_cents")

    class Meta:
        table_name = "payment_allocation"


RECURRENCE = ("monthly", "quarterly", "yearly")


class RecurringInvoice(VersionedModel):
    id = AutoField()
    client = ForeignKeyField(Client, backref="recurring_invoices", on_delete="CASCADE")
    title = CharField(max_length=200, default="")
    frequency = CharField(max_length=10, default="monthly")
    next_date = DateField()
    end_date = DateField(null=True)
    issue_directly = BooleanField(default=False)
    series = CharField(max_length=16, default="")
    irpf_rate = RateField(column_name="irpf_rate_bp", default=0)
    active = BooleanField(default=True)
    last_run_date = DateField(null=True)

    class Meta:
        table_name = "recurring_invoice"


class RecurringLine(_LineFields):
    id = AutoField()
    recurring = ForeignKeyField(RecurringInvoice, backref="lines", on_delete="CASCADE")

    class Meta:
        table_name = "recurring_line"


class PaymentReminder(BaseModel):
    id = AutoField()
    invoice = ForeignKeyField(Invoice, backref="reminders", on_delete="CASCADE")
    level = IntegerField()  # 1 first, 2 second, 3 final notice
    sent_at = DateTimeField(default=utcnow)
    activity = ForeignKeyField(Activity, null=True, on_delete="SET NULL")

    class Meta:
        table_name = "payment_reminder"
        indexes = ((("invoice", "level"), True),)


class EmailTemplate(BaseModel):
    id = AutoField()
    name = CharField(max_length=60)
    language = CharField(max_length=5, default="es")
    kind = CharField(max_length=12)  # quote invoice reminder1 reminder2 reminder3
    subject = CharField(max_length=250)
    body = TextField()

    class Meta:
        table_name = "email_template"
        indexes = ((("name", "language"), True),)


class EmailMessage(BaseModel):
    """What an email on the timeline went to and was about (m0005), to retry a failed one."""

    activity = ForeignKeyField(Activity, primary_key=True, on_delete="CASCADE")
    purpose = CharField(max_length=12)  # invoice quote reminder test
    invoice = ForeignKeyField(Invoice, null=True, on_delete="SET NULL")
    quote = ForeignKeyField(Quote, null=True, on_delete="SET NULL")
    reminder_level = IntegerField(null=True)
    reminder_invoices = TextField(default="")  # JSON list of invoice ids
    to_addr = CharField(max_length=254)
    to_name = CharField(max_length=200, default="")
    template = CharField(max_length=60, default="")
    language = CharField(max_length=5, default="")
    attempts = IntegerField(default=0)
    last_attempt_at = DateTimeField(null=True)
    error = TextField(default="")
    more_to = TextField(default="")  # m0020: JSON [[address, name, contact id], ...]
    cc = TextField(default="")  # m0020: the copies, alike
    delivered = TextField(default="")  # m0023: JSON [address, ...] a failed attempt reached

    class Meta:
        table_name = "email_message"


class EmailAttachment(BaseModel):
    """A file an email carries as it was composed (m0020), to retry it with the same bytes."""

    id = AutoField()
    activity = ForeignKeyField(
        EmailMessage, field="activity", column_name="activity_id", on_delete="CASCADE"
    )
    position = IntegerField()
    filename = CharField(max_length=255)
    mime = CharField(max_length=100)
    data = BlobField()

    class Meta:
        table_name = "email_attachment"


class Document(BaseModel):
    """A file attached to a client, project, quote or invoice, stored by content hash."""

    id = AutoField()
    sha256 = CharField(max_length=64, index=True)
    filename = CharField(max_length=255)
    size = IntegerField()
    mime = CharField(max_length=100, default="")
    client = ForeignKeyField(Client, null=True, backref="documents", on_delete="CASCADE")
    project = ForeignKeyField(Project, null=True, on_delete="SET NULL")
    quote = ForeignKeyField(Quote, null=True, on_delete="SET NULL")
    invoice = ForeignKeyField(Invoice, null=True, on_delete="SET NULL")
    uploaded_by = CharField(max_length=64, default="")
    uploaded_at = DateTimeField(default=utcnow)
    notes = TextField(default="")


# --- VERI*FACTU -------------------------------------------------------------------

VERIFACTU_RECORD_TYPES = ("alta", "anulacion")
VERIFACTU_STATUSES = ("pending", "accepted", "accepted_with_errors", "rejected")


class VerifactuSubmission(BaseModel):
    """One RegFactuSistemaFacturacion message sent to AEAT (written by the sender).

    `outcome` is AEAT's EstadoEnvio (Correcto, ParcialmenteCorrecto, Incorrecto) or, when
    no answer came, "fault" (a SOAP fault), "error" (the message never left: no
    connection; `error` says which), "in_doubt" (it may have reached AEAT: the answer was
    lost, or the sender died) or "sending" (a sender is waiting for AEAT now). A row with
    outcome "query" is not a message of records: AEAT was asked what it holds of in-doubt
    records (`response` holds its answers). `response` is AEAT's raw answer, `csv` its CSV
    (only kept here: AEAT cannot give it again), `wait_seconds` its TiempoEsperaEnvio.
    """

    id = AutoField()
    issuer_nif = CharField(max_length=9)
    environment = CharField(max_length=10, default="")
    endpoint = TextField(default="")
    started_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)
    record_count = IntegerField(default=0)
    outcome = CharField(max_length=24, default="")
    csv = CharField(max_length=30, default="")
    response = TextField(default="")
    error = TextField(default="")
    wait_seconds = IntegerField(null=True)
    sent_by = CharField(max_length=64, default="")

    class Meta:
        table_name = "verifactu_submission"


class VerifactuRecord(BaseModel):
    """A registro de facturación (alta or anulación), in chain order per issuer NIF.

    Written only by `services.verifactu` (in the transaction that issues or voids the
    invoice, or that corrects a rejected record); every column down to `created_by`
    is immutable below the services (m0010 triggers: no UPDATE of them, no DELETE,
    and an INSERT must follow its chain). What was sent is exactly `xml` (the
    RegistroAlta / RegistroAnulacion element, UTF-8, namespace-qualified); the other
    record columns repeat what it says, for queries and for `tui-crm check`.

    - `sequence`: position in the issuer's chain, 1, 2, 3 … without gaps;
      UNIQUE(issuer_nif, sequence) and UNIQUE(issuer_nif, previous_hash) forbid forks.
    - `first_record` (PrimerRegistro=S) or the previous record's identity
      (`previous_issuer_nif`, `previous_number`, `previous_issue_date`) and `hash`.
    - `subsanacion` (Subsanacion=S), `rechazo_previo` ('' = not sent, 'S' or 'X'),
      `sin_registro_previo` (anulación of an invoice AEAT never registered);
      `corrects_id` is the record this one corrects (a subsanación or a repeated
      anulación), None for an ordinary record.
    - `invoice_type` F1…R5, `vat_total` (CuotaTotal) and `total` (ImporteTotal) are the
      exact text sent ('' for an anulación); `generated_at` is FechaHoraHusoGenRegistro
      ("2026-01-15T10:20:30+01:00"); `environment` is where it must go ("test" or
      "production", `verifactu.environment` when it was made).

    Transmission columns, the only ones that change (the sender writes them):
    - `status`: "pending" (waiting to be sent, or sent without an answer yet),
      "accepted" (Correcto), "accepted_with_errors" (AceptadoConErrores),
      "rejected" (Incorrecto). A rejected record stays rejected: its correction is a
      new record (`corrects_id` points back).
    - `error_code`, `error`: AEAT's CodigoErrorRegistro and DescripcionErrorRegistro
      (also for accepted_with_errors).
    - `csv`, `submission_id`, `sent_at`: the submission that carried it, its CSV and when.
    - `attempts`: how many times it was put in a message.

    The outbox of an issuer is `services.verifactu.pending_records(nif)`: status
    "pending", ordered by `sequence` (the partial index `verifactu_record_open` serves it).
    """

    id = AutoField()
    issuer_nif = CharField(max_length=9)
    issuer_name = CharField(max_length=120)
    sequence = IntegerField()
    invoice = ForeignKeyField(Invoice, on_delete="RESTRICT", backref="verifactu_records")
    record_type = CharField(max_length=9)
    subsanacion = BooleanField(default=False)
    rechazo_previo = CharField(max_length=1, default="")
    sin_registro_previo = BooleanField(default=False)
    corrects = ForeignKeyField("self", null=True, on_delete="RESTRICT", backref="corrections")
    invoice_number = CharField(max_length=60)
    issue_date = DateField()
    invoice_type = CharField(max_length=2, default="")
    vat_total = CharField(max_length=20, default="")
    total = CharField(max_length=20, default="")
    first_record = BooleanField(default=False)
    previous_issuer_nif = CharField(max_length=9, default="")
    previous_number = CharField(max_length=60, default="")
    previous_issue_date = DateField(null=True)
    previous_hash = CharField(max_length=64, default="")
    hash = CharField(max_length=64)
    generated_at = CharField(max_length=25)
    environment = CharField(max_length=10)
    xml = TextField()
    created_at = DateTimeField(default=utcnow)
    created_by = CharField(max_length=64)
    # transmission (mutable)
    status = CharField(max_length=20, default="pending")
    error_code = CharField(max_length=10, default="")
    error = TextField(default="")
    csv = CharField(max_length=30, default="")
    submission = ForeignKeyField(
        VerifactuSubmission, null=True, on_delete="RESTRICT", backref="records"
    )
    sent_at = DateTimeField(null=True)
    attempts = IntegerField(default=0)

    class Meta:
        table_name = "verifactu_record"


class VerifactuChain(BaseModel):
    """The head of one issuer's chain (the row that serialises record generation) and
    when the next message to AEAT may leave (`next_send_at`, UTC, from TiempoEsperaEnvio)."""

    issuer_nif = CharField(max_length=9, primary_key=True)
    last_sequence = IntegerField(default=0)
    last_hash = CharField(max_length=64, default="")
    last_generated_at = CharField(max_length=25, default="")
    next_send_at = DateTimeField(null=True)
    updated_at = DateTimeField(null=True)

    class Meta:
        table_name = "verifactu_chain"


# --- money in from the bank (m0011) ----------------------------------------------

SEPA_SCHEMES = ("CORE", "B2B")
SEPA_SEQUENCES = ("FRST", "RCUR")


class SepaMandate(VersionedModel):
    """A client's direct-debit mandate: what a SEPA collection quotes to the debtor's bank."""

    id = AutoField()
    client = ForeignKeyField(Client, backref="mandates", on_delete="CASCADE")
    reference = CharField(max_length=35, unique=True)
    signed_on = DateField()
    iban = CharField(max_length=34)  # compact: "ES9121000418450200051332"
    bic = CharField(max_length=11, default="")
    scheme = CharField(max_length=4, default="CORE")
    sequence = CharField(max_length=4, default="FRST")  # of its NEXT collection
    active = BooleanField(default=True)
    last_collected_on = DateField(null=True)

    class Meta:
        table_name = "sepa_mandate"


class Remittance(BaseModel):
    """A pain.008 direct-debit file: its invoices are collected on `collection_date`."""

    id = AutoField()
    created_at = DateTimeField(default=utcnow)
    created_by = CharField(max_length=64, default="")
    message_id = CharField(max_length=35, unique=True)
    scheme = CharField(max_length=4, default="CORE")
    due_by = DateField()
    collection_date = DateField()
    count = IntegerField(default=0)
    total = MoneyField(column_name="total_cents", default=0)
    file_name = CharField(max_length=255, default="")
    status = CharField(max_length=10, default="sent")  # sent collected cancelled


class RemittanceItem(BaseModel):
    id = AutoField()
    remittance = ForeignKeyField(Remittance, backref="items", on_delete="CASCADE")
    invoice = ForeignKeyField(Invoice, on_delete="RESTRICT")
    mandate = ForeignKeyField(SepaMandate, on_delete="RESTRICT")
    client = ForeignKeyField(Client, on_delete="RESTRICT")
    amount = MoneyField(column_name="amount_cents")
    end_to_end_id = CharField(max_length=35, unique=True)
    sequence = CharField(max_length=4)
    status = CharField(max_length=10, default="sent")  # sent collected returned cancelled
    payment = ForeignKeyField(Payment, null=True, on_delete="SET NULL")

    class Meta:
        table_name = "remittance_item"


class BankStatement(BaseModel):
    """One Norma 43 file as imported (its lines are `BankMovement`s, each stored once)."""

    id = AutoField()
    imported_at = DateTimeField(default=utcnow)
    imported_by = CharField(max_length=64, default="")
    file_name = CharField(max_length=255, default="")
    sha256 = CharField(max_length=64, default="")
    accounts = CharField(max_length=200, default="")
    first_date = DateField(null=True)
    last_date = DateField(null=True)
    lines = IntegerField(default=0)
    new_lines = IntegerField(default=0)

    class Meta:
        table_name = "bank_statement"


MOVEMENT_STATUSES = ("pending", "accepted", "ignored", "returned")


class BankMovement(BaseModel):
    """One line of a bank statement, once whatever statements repeat it (`identity`)."""

    id = AutoField()
    statement = ForeignKeyField(BankStatement, backref="movements", on_delete="RESTRICT")
    identity = CharField(max_length=64, unique=True)
    account = CharField(max_length=34, default="")
    operation_date = DateField()
    value_date = DateField()
    amount = MoneyField(column_name="amount_cents")  # credits positive, charges negative
    shared_item = IntegerField(default=0)
    own_item = IntegerField(default=0)
    document_number = CharField(max_length=10, default="")
    reference1 = CharField(max_length=12, default="")
    reference2 = CharField(max_length=16, default="")
    concept = TextField(default="")
    payer = CharField(max_length=120, default="")
    end_to_end = CharField(max_length=35, default="")  # a SEPA debit's reference
    mandate_reference = CharField(max_length=35, default="")
    kind = CharField(max_length=8, default="credit")  # credit return charge
    status = CharField(max_length=10, default="pending")
    confidence = CharField(max_length=10, default="none")  # sure likely ambiguous none
    proposal = TextField(default="{}")  # JSON: what the matcher proposes
    note = TextField(default="")
    payment = ForeignKeyField(Payment, null=True, on_delete="SET NULL")
    remittance = ForeignKeyField(Remittance, null=True, on_delete="SET NULL")
    resolved_at = DateTimeField(null=True)
    resolved_by = CharField(max_length=64, default="")

    class Meta:
        table_name = "bank_movement"


# --- expenses (m0013) --------------------------------------------------------------


class Expense(VersionedModel):
    """A cost that is not a line of a sale: a supplier's bill, for the P&L and margins."""

    id = AutoField()
    expense_date = DateField()
    supplier_name = CharField(max_length=200)
    supplier_tax_id = CharField(max_length=20, default="")
    description = TextField(default="")
    base = MoneyField(column_name="base_cents", default=0)
    vat = MoneyField(column_name="vat_cents", default=0)
    total = MoneyField(column_name="total_cents", default=0)
    client = ForeignKeyField(Client, null=True, on_delete="SET NULL")
    project = ForeignKeyField(Project, null=True, on_delete="SET NULL")
    document = ForeignKeyField(Document, null=True, on_delete="SET NULL")


ALL_MODELS = (
    User,
    Setting,
    AuditLog,
    AuditChainHead,
    Client,
    Address,
    Contact,
    CustomFieldDef,
    CustomFieldValue,
    Tag,
    ClientTag,
    ClientRevenue,
    Project,
    Opportunity,
    Activity,
    ActivityAttendee,
    CommentTemplate,
    Product,
    Quote,
    QuoteLine,
    SalesOrder,
    OrderLine,
    Invoice,
    InvoiceLine,
    InvoiceReplaced,
    SeriesCounter,
    Payment,
    PaymentAllocation,
    RecurringInvoice,
    RecurringLine,
    PaymentReminder,
    EmailTemplate,
    EmailMessage,
    EmailAttachment,
    Document,
    VerifactuSubmission,
    VerifactuRecord,
    VerifactuChain,
    SepaMandate,
    Remittance,
    RemittanceItem,
    BankStatement,
    BankMovement,
    Expense,
)
