"""The catalog: products and services that a document line can pick by code or name.

Rules: the code is unique (compared case-insensitively, stored upper case); the
name is required; price and cost are non-negative cents; IVA is one of
`money.VAT_RATES`. A product already used on a line is deactivated, never
deleted, so old documents keep pointing at it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields
from decimal import Decimal

from ..db import execute, transactional
from ..i18n import _
from ..models import Product
from ..models.base import utcnow
from ..money import VAT_RATES, round_cents
from ..text import clean_input, fold
from . import audit
from .errors import ConflictError, ConflictInfo, NotFound, RuleViolation, ValidationError
from .lines import LineInput
from .permissions import require
from .session import login
from .validation import one_line_errors


@dataclass
class ProductInput:
    code: str = ""
    name: str = ""
    description: str = ""
    unit: str = ""
    unit_price: Decimal = Decimal(0)
    vat_rate: Decimal = Decimal(21)
    unit_cost: Decimal = Decimal(0)
    is_service: bool = True
    active: bool = True


@dataclass(frozen=True)
class ProductDetail:
    id: int
    version: int
    data: ProductInput
    updated_at: dt.datetime
    updated_by: str

    @property
    def code(self) -> str:
        return self.data.code

    @property
    def name(self) -> str:
        return self.data.name

    @property
    def margin(self) -> Decimal:
        return self.data.unit_price - self.data.unit_cost


def validate(data: ProductInput, exclude_id: int | None = None) -> ProductInput:
    """A cleaned copy, or ValidationError naming each bad field."""
    errors: dict[str, str] = {}
    clean = ProductInput(**asdict(data))
    clean.code = clean_input(str(clean.code)).upper()
    clean.name = clean_input(str(clean.name))
    clean.description = clean_input(str(clean.description))
    clean.unit = clean_input(str(clean.unit))
    if not clean.code:
        errors["code"] = _("is required")
    elif len(clean.code) > 40 or any(ch.isspace() for ch in clean.code):
        errors["code"] = _("must be up to 40 characters without spaces")
    else:
        query = Product.select(Product.id).where(Product.code == clean.code)
        if exclude_id is not None:
            query = query.where(Product.id != exclude_id)
        if query.exists():
            errors["code"] = _("{code} is already in the catalog").format(code=clean.code)
    if not clean.name:
        errors["name"] = _("is required")
    elif len(clean.name) > 200:
        errors["name"] = _("is longer than {n} characters").format(n=200)
    if len(clean.unit) > 12:
        errors["unit"] = _("is longer than {n} characters").format(n=12)
    for name in ("unit_price", "unit_cost"):
        try:
            value = Decimal(str(getattr(clean, name)))
            if value < 0 or value != round_cents(value):
                raise ValueError
            setattr(clean, name, value)
        except (ArithmeticError, ValueError):
            errors[name] = _("must be an amount of at least 0 with up to two decimals")
    try:
        clean.vat_rate = Decimal(str(clean.vat_rate))
        if clean.vat_rate not in VAT_RATES:
            raise ValueError
    except (ArithmeticError, ValueError):
        errors["vat_rate"] = _("must be one of {values}").format(values="21, 10, 4, 0")
    errors.update(one_line_errors({"code": data.code, "name": data.name, "unit": data.unit}))
    if errors:
        raise ValidationError(errors)
    return clean


def _input_of(row: Product) -> ProductInput:
    return ProductInput(**{f.name: getattr(row, f.name) for f in fields(ProductInput)})


def _detail(row: Product) -> ProductDetail:
    return ProductDetail(
        id=row.id,
        version=row.version,
        data=_input_of(row),
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


@transactional
def create_product(data: ProductInput) -> int:
    """Add a product or service to the catalog; the code must be new."""
    require("catalog.write")
    clean = validate(data)
    row = Product.create(updated_by=login(), **asdict(clean))
    audit.record(
        "create",
        "product",
        row.id,
        changes={k: (None, v) for k, v in asdict(clean).items() if v not in ("", None)},
        summary=clean.code,
    )
    return row.id


@transactional
def update_product(product_id: int, data: ProductInput, expected_version: int) -> int:
    """Save a product if nobody saved it since `expected_version`; returns the new version.

    Lines already written keep the price they were written with."""
    require("catalog.write")
    row = Product.get_or_none(Product.id == product_id)
    if row is None:
        raise NotFound(_("product {id} does not exist").format(id=product_id))
    clean = validate(data, exclude_id=product_id)
    before = _input_of(row)
    updated = (
        Product.update(
            version=Product.version + 1, updated_at=utcnow(), updated_by=login(), **asdict(clean)
        )
        .where((Product.id == product_id) & (Product.version == expected_version))
        .execute()
    )
    if not updated:
        current = Product.get_by_id(product_id)
        raise ConflictError(
            ConflictInfo(
                "product",
                product_id,
                current.updated_by,
                current.updated_at,
                {
                    k: (getattr(clean, k), getattr(_input_of(current), k))
                    for k in asdict(clean)
                    if getattr(clean, k) != getattr(_input_of(current), k)
                },
            ),
            _("{user} changed this product meanwhile (version {theirs}); nothing was saved").format(
                user=current.updated_by or "?", theirs=current.version
            ),
        )
    audit.record(
        "update",
        "product",
        product_id,
        changes={
            k: (getattr(before, k), getattr(clean, k))
            for k in asdict(clean)
            if getattr(before, k) != getattr(clean, k)
        },
        summary=clean.code,
    )
    return expected_version + 1


@transactional
def delete_product(product_id: int) -> None:
    """Delete an unused product; one used on any document line can only be deactivated."""
    require("catalog.write")
    row = Product.get_or_none(Product.id == product_id)
    if row is None:
        raise NotFound(_("product {id} does not exist").format(id=product_id))
    used = execute(
        "SELECT EXISTS(SELECT 1 FROM invoice_line WHERE product_id = ?) "
        "OR EXISTS(SELECT 1 FROM quote_line WHERE product_id = ?) "
        "OR EXISTS(SELECT 1 FROM order_line WHERE product_id = ?) "
        "OR EXISTS(SELECT 1 FROM recurring_line WHERE product_id = ?)",
        (product_id,) * 4,
    ).fetchone()[0]
    if used:
        raise RuleViolation(
            _("{code} is used on document lines; deactivate it instead").format(code=row.code)
        )
    Product.delete().where(Product.id == product_id).execute()
    audit.record("delete", "product", product_id, summary=row.code)


def get_product(product_id: int) -> ProductDetail:
    row = Product.get_or_none(Product.id == product_id)
    if row is None:
        raise NotFound(_("product {id} does not exist").format(id=product_id))
    return _detail(row)


def find_by_code(code: str) -> ProductDetail | None:
    row = Product.get_or_none(Product.code == clean_input(code).upper())
    return _detail(row) if row else None


def lookup(text: str, limit: int = 10, include_inactive: bool = False) -> list[ProductDetail]:
    """Products for the line editor as you type: exact code first, then code prefix, then
    names starting with the text (accent- and case-insensitive), then names containing it."""
    text = clean_input(text)
    if not text:
        return []
    code = text.upper()
    folded = fold(text)
    query = Product.select()
    if not include_inactive:
        query = query.where(Product.active == True)  # noqa: E712
    candidates = list(
        query.where(
            Product.code.startswith(code) | Product.name.contains(text) | (Product.code == code)
        )
        .order_by(Product.code)
        .limit(limit * 5)
    )
    if len(candidates) < limit:  # accent-insensitive fallback over names ("diseno" -> "Diseño")
        seen = {p.id for p in candidates}
        for row in query.order_by(Product.code).limit(5000):
            if row.id not in seen and folded in fold(row.name):
                candidates.append(row)
                if len(candidates) >= limit * 5:
                    break

    def rank(row: Product) -> tuple[int, str]:
        name = fold(row.name)
        if row.code == code:
            return (0, row.code)
        if row.code.startswith(code):
            return (1, row.code)
        if name.startswith(folded):
            return (2, name)
        return (3, name)

    return [_detail(row) for row in sorted(candidates, key=rank)[:limit]]


def list_products(include_inactive: bool = False, offset: int = 0, limit: int = 200):
    query = Product.select().order_by(Product.code)
    if not include_inactive:
        query = query.where(Product.active == True)  # noqa: E712
    return [_detail(row) for row in query.offset(offset).limit(limit)]


def count_products(include_inactive: bool = False) -> int:
    query = Product.select()
    if not include_inactive:
        query = query.where(Product.active == True)  # noqa: E712
    return query.count()


def line_from_product(product_id: int, quantity: Decimal = Decimal(1)) -> LineInput:
    """A line filled from the catalog (the editor then lets the person change anything)."""
    product = get_product(product_id).data
    description = product.name + (f"\n{product.description}" if product.description else "")
    return LineInput(
        description=description,
        quantity=quantity,
        unit_price=product.unit_price,
        vat_rate=product.vat_rate,
        unit_cost=product.unit_cost,
        product_id=product_id,
    )
