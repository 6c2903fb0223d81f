"""The catalog (palette "Catalog"): the products and services that invoice lines pick by
code or name. `n` new, `e` or enter edits, `delete` deletes one never used on a line
(otherwise the service says to deactivate it), `a` shows the inactive ones too."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Header, Static

from ...i18n import _
from ..base import CrmScreen
from ..dialogs.confirm import ConfirmDialog
from ..dialogs.form import FieldSpec, FormScreen
from ..formatting import money, rows_text
from ..widgets.footer import Footer
from ..widgets.lazy_table import Column, LazyTable, Row
from ..widgets.line_editor import number_text
from ..widgets.sources import PagedSource


def product_row(p: Any) -> Row:
    data = p.data
    return Row(
        key=p.id,
        cells=(
            data.code,
            data.name,
            money(data.unit_price),
            number_text(data.vat_rate),
            money(data.unit_cost) if data.unit_cost else "",
            data.unit,
            "" if data.active else _("inactive"),
        ),
        style="" if data.active else "muted",
    )


def product_source(include_inactive: bool) -> PagedSource[Any]:
    from ...services import catalog

    return PagedSource.over(
        catalog.count_products, catalog.list_products, include_inactive, product_row
    )


class ProductForm(FormScreen[int]):
    """A product or service; the service validates (unique code, IVA rate, amounts)."""

    def __init__(
        self,
        product_id: int | None = None,
        version: int | None = None,
        initial: dict[str, Any] | None = None,
    ):
        super().__init__(
            initial or {"vat_rate": "21", "is_service": True, "active": True},
            title=_("New product or service") if product_id is None else _("Edit product"),
        )
        self.product_id = product_id
        self.version = version

    def fields(self) -> Sequence[FieldSpec]:
        return [
            FieldSpec("code", _("Code"), required=True, max_length=40),
            FieldSpec("name", _("Name"), required=True, max_length=200),
            FieldSpec("description", _("Description"), "multiline"),
            FieldSpec("unit_price", _("Unit price"), "money", required=True),
            FieldSpec(
                "vat_rate",
                _("IVA %"),
                "select",
                choices=[(f"{rate} %", rate) for rate in ("21", "10", "4", "0")],
            ),
            FieldSpec("unit_cost", _("Unit cost (margin)"), "money"),
            FieldSpec("unit", _("Unit (h, ud, kg…)"), max_length=12),
            FieldSpec("is_service", _("A service (not goods)"), "bool"),
            FieldSpec("active", _("Active (offered on new lines)"), "bool"),
        ]

    @staticmethod
    def values_of(data: Any) -> dict[str, Any]:
        return {
            "code": data.code,
            "name": data.name,
            "description": data.description,
            "unit_price": number_text(data.unit_price, 2),
            "vat_rate": number_text(data.vat_rate),
            "unit_cost": number_text(data.unit_cost, 2) if data.unit_cost else "",
            "unit": data.unit,
            "is_service": data.is_service,
            "active": data.active,
        }

    def save(self, values: dict[str, Any]) -> int:
        from decimal import Decimal

        from ...services import catalog
        from ...services.errors import ValidationError
        from ...services.records import read_amount

        errors: dict[str, str] = {}
        amounts: dict[str, Decimal] = {}
        for key in ("unit_price", "unit_cost"):
            if key == "unit_cost" and not str(values.get(key) or "").strip():
                amounts[key] = Decimal(0)
                continue
            try:
                amounts[key] = read_amount(values.get(key), key)
            except ValidationError as exc:
                errors.update(exc.errors)
        if errors:
            raise ValidationError(errors)
        data = catalog.ProductInput(
            code=values["code"],
            name=values["name"],
            description=values["description"],
            unit=values["unit"],
            unit_price=amounts["unit_price"],
            vat_rate=Decimal(values["vat_rate"] or "21"),
            unit_cost=amounts["unit_cost"],
            is_service=bool(values["is_service"]),
            active=bool(values["active"]),
        )
        if self.product_id is None:
            return catalog.create_product(data)
        assert self.version is not None
        self.version = catalog.update_product(self.product_id, data, self.version)
        return self.product_id

    def reload(self) -> dict[str, Any] | None:
        from ...services import catalog

        if self.product_id is None:
            return None
        detail = catalog.get_product(self.product_id)
        self.version = detail.version
        return self.values_of(detail.data)


class CatalogScreen(CrmScreen[None]):
    """Every product and service, by code."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back"), id="back"),
        Binding("n", "new", _("New"), id="new"),
        Binding("e", "edit", _("Edit"), id="edit"),
        Binding("delete", "delete", _("Delete"), id="delete"),
        Binding("a", "toggle_inactive", _("Inactive too"), id="toggle_inactive"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.include_inactive = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="catalog-filters", classes="list-filters")
        yield LazyTable(
            [
                Column("code", _("Code"), 12, min_width=8),
                Column("name", _("Name"), 28, flex=True, min_width=14),
                Column("price", _("Price"), 12, align="right", min_width=10),
                Column("vat", _("IVA%"), 5, align="right", min_width=4),
                Column("cost", _("Cost"), 12, align="right", min_width=10, priority=2),
                Column("unit", _("Unit"), 6, min_width=4, priority=3),
                Column("state", _("State"), 9, min_width=8, priority=1),
            ],
            product_source(False),
            empty_text=_("The catalog is empty: n adds a product or service."),
            id="catalog-table",
        )
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Catalog")
        self._show_filters()
        self.table.focus()

    @property
    def table(self) -> LazyTable:
        return self.query_one("#catalog-table", LazyTable)

    def _show_filters(self) -> None:
        parts = [_("active and inactive") if self.include_inactive else _("active")]
        if not self.table.is_loading:
            parts.append(rows_text(self.table.row_count))
        self.query_one("#catalog-filters", Static).update(Content(" · ".join(parts)))

    @on(LazyTable.RowHighlighted)
    def _rows_arrived(self) -> None:
        self._show_filters()

    @on(LazyTable.RowSelected, "#catalog-table")
    def _open(self) -> None:
        self.action_edit()

    def _saved(self, product_id: int | None) -> None:
        if product_id is not None:
            self.notify(_("Saved."))
            self.table.refresh_rows()
            self._show_filters()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_new(self) -> None:
        self.app.push_screen(ProductForm(), self._saved)

    def action_edit(self) -> None:
        from ...services import catalog

        key = self.table.selected_key
        if key is None:
            self.nothing_selected()
            return
        product_id = int(key)
        self.run_service(
            lambda: catalog.get_product(product_id),
            lambda detail: self.app.push_screen(
                ProductForm(product_id, detail.version, ProductForm.values_of(detail.data)),
                self._saved,
            ),
        )

    def action_delete(self) -> None:
        from ...services import catalog

        row = self.table.get_row(self.table.cursor_index)
        if row is None:
            self.nothing_selected()
            return
        product_id = int(row.key)

        def answer(ok: bool | None) -> None:
            if ok:
                self.run_service(
                    lambda: catalog.delete_product(product_id),
                    lambda _r: self.table.refresh_rows(),
                    done=_("Deleted."),
                )

        self.app.push_screen(
            ConfirmDialog(
                _("Delete {code} from the catalog?").format(code=row.cells[0]), yes=_("Delete")
            ),
            answer,
        )

    def action_toggle_inactive(self) -> None:
        self.include_inactive = not self.include_inactive
        self.table.set_source(product_source(self.include_inactive))
        self._show_filters()
