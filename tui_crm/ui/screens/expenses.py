"""Expenses (palette "Expenses", or `g` on a client's file): costs that are not lines of
a sale, for the P&L, the projects' margin and the client's Analytics.

Keys: `/` search (supplier, tax ID, description, client or project), `n` new, `e` or
enter edits, `delete` deletes after confirmation (the document it points at stays),
`c` shows one client's (and then `n` writes one for that client, choosing among its
projects and documents), `x` exports the list as shown to Excel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from ...i18n import N_, _
from ..dialogs.confirm import ConfirmDialog
from ..dialogs.form import FieldSpec, FormScreen
from ..formatting import date as show_date
from ..formatting import money
from ..safe_text import one_line
from ..widgets.lazy_table import Column, LazyTable, Row
from ..widgets.line_editor import number_text
from ..widgets.sources import PagedSource
from .list_screen import SearchableList


def expense_row(r: Any) -> Row:
    return Row(
        key=r.id,
        cells=(
            show_date(r.expense_date),
            one_line(r.supplier_name),
            r.supplier_tax_id,
            one_line(r.description),
            money(r.base),
            money(r.vat),
            money(r.total),
            one_line(r.client),
            one_line(r.project),
            "📎" if r.document_id else "",
        ),
    )


def expense_columns() -> list[Column]:
    return [
        Column("date", _("Date"), 10, min_width=10),
        Column("supplier", _("Supplier"), 20, flex=True, min_width=12),
        Column("tax_id", _("Tax ID"), 11, min_width=9, priority=3),
        Column("description", _("Description"), 20, flex=True, min_width=8, priority=2),
        Column("base", _("Base"), 12, align="right", min_width=10),
        Column("vat", _("IVA"), 10, align="right", min_width=8, priority=1),
        Column("total", _("Total"), 12, align="right", min_width=10),
        Column("client", _("Client"), 16, flex=True, min_width=8, priority=1),
        Column("project", _("Project"), 14, min_width=8, priority=2),
        Column("doc", "", 2, min_width=2, priority=3),
    ]


def expense_source(flt: Any) -> PagedSource[Any]:
    from ...services import expenses

    return PagedSource.over(expenses.count_expenses, expenses.list_expenses, flt, expense_row)


def form_choices(client_id: int | None) -> tuple[list, list]:
    """A client's projects and documents, as the form's pickers list them (in a worker)."""
    if client_id is None:
        return [], []
    from ...services import attachments, projects

    works = [(name, str(pid)) for name, pid in projects.project_choices(client_id)]
    files = [(d.filename, str(d.id)) for d in attachments.client_documents(client_id)]
    return works, files


class ExpenseForm(FormScreen[int]):
    """One expense; the service checks it (`services.expenses.validate`)."""

    def __init__(
        self,
        expense_id: int | None = None,
        version: int | None = None,
        initial: dict[str, Any] | None = None,
        *,
        projects: Sequence[tuple[str, str]] = (),
        documents: Sequence[tuple[str, str]] = (),
    ):
        super().__init__(
            initial or {}, title=_("New expense") if expense_id is None else _("Edit expense")
        )
        self.expense_id = expense_id
        self.version = version
        self.projects = [(_("(none)"), ""), *projects]
        self.documents = [(_("(none)"), ""), *documents]

    def fields(self) -> Sequence[FieldSpec]:
        return [
            FieldSpec("expense_date", _("Date"), "date", required=True),
            FieldSpec("supplier_name", _("Supplier"), required=True, max_length=200),
            FieldSpec("supplier_tax_id", _("Supplier tax ID"), max_length=20),
            FieldSpec("description", _("Description"), "multiline"),
            FieldSpec("base", _("Base"), "money", required=True),
            FieldSpec("vat", _("IVA"), "money"),
            FieldSpec("total", _("Total"), "money", placeholder=_("base + IVA")),
            FieldSpec("client", _("Client tax ID"), max_length=20),
            FieldSpec("project", _("Project"), "select", choices=self.projects),
            FieldSpec("document", _("Document"), "select", choices=self.documents),
            FieldSpec("file", _("Or a file on disk"), "path"),
        ]

    @staticmethod
    def values_of(row: Any, client_tax_id: str = "") -> dict[str, Any]:
        return {
            "expense_date": row.expense_date.isoformat(),
            "supplier_name": row.supplier_name,
            "supplier_tax_id": row.supplier_tax_id,
            "description": row.description,
            "base": number_text(row.base, 2),
            "vat": number_text(row.vat, 2) if row.vat else "",
            "total": number_text(row.total, 2),
            "client": client_tax_id,
            "project": str(row.project_id or ""),
            "document": str(row.document_id or ""),
            "file": "",
        }

    def save(self, values: dict[str, Any]) -> int:
        from ...services import expenses
        from ...services.errors import ValidationError
        from ...services.reports import client_id_for

        client_id = None
        tax_id = str(values.get("client") or "").strip()
        if tax_id:
            client_id = client_id_for(tax_id)
            if client_id is None:
                raise ValidationError(
                    {"client": _("no client with tax ID {tax_id}").format(tax_id=tax_id)}
                )
        project = str(values.get("project") or "")
        document = str(values.get("document") or "")
        data = expenses.ExpenseData(
            expense_date=values.get("expense_date"),
            supplier_name=values.get("supplier_name") or "",
            supplier_tax_id=values.get("supplier_tax_id") or "",
            description=values.get("description") or "",
            base=values.get("base") or "",
            vat=values.get("vat") or "",
            total=values.get("total") or "",
            client_id=client_id,
            project_id=int(project) if project.isdigit() else None,
            document_id=int(document) if document.isdigit() else None,
        )
        file = str(values.get("file") or "").strip() or None
        if self.expense_id is None:
            return expenses.create_expense(data, file=file)
        assert self.version is not None
        self.version = expenses.update_expense(self.expense_id, data, self.version, file=file)
        return self.expense_id

    def reload(self) -> dict[str, Any] | None:
        if self.expense_id is None:
            return None
        row, tax_id = load_expense(self.expense_id)
        self.version = row.version
        return self.values_of(row, tax_id)


def load_expense(expense_id: int) -> tuple[Any, str]:
    """An expense and its client's tax ID (in a worker)."""
    from ...services import expenses
    from ...services.clients import get_client

    row = expenses.get_expense(expense_id)
    tax_id = get_client(row.client_id).data.tax_id if row.client_id else ""
    return row, tax_id or ""


class ExpensesScreen(SearchableList):
    """Every expense, newest first (or one client's)."""

    LIST_ID = "expense"
    CLIENT_PROMPT = N_("Expenses of which client?")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back"), id="back"),
        Binding("slash", "search", _("Search"), id="search"),
        Binding("n", "new", _("New"), id="new"),
        Binding("e", "edit", _("Edit"), id="edit"),
        Binding("delete", "delete", _("Delete"), id="delete"),
        Binding("c", "filter_client", _("Client"), id="filter_client"),
        Binding("x", "export", _("Export"), id="export"),
        Binding("ctrl+r", "reload", _("Reload"), show=False, id="reload"),
    ]

    def __init__(self, client_id: int | None = None, client_name: str = "") -> None:
        super().__init__()
        from ...services.expenses import ExpenseFilter

        self.flt = ExpenseFilter(client_id=client_id)
        self.client_name = client_name

    def compose(self) -> ComposeResult:
        yield from self.compose_list(
            expense_columns(),
            _("/ search supplier, tax ID, description, client or project…"),
            _("No expenses match. n records one."),
        )

    def on_mount(self) -> None:
        self.show_list(_("Expenses"))

    def make_source(self) -> PagedSource[Any]:
        return expense_source(self.flt)

    def filter_parts(self) -> list[str]:
        parts = self.client_parts()
        return parts or [_("every client")]

    def action_back(self) -> None:
        self.dismiss(None)

    def action_new(self) -> None:
        client_id = self.flt.client_id

        def load() -> tuple[str, list, list]:
            tax_id = ""
            if client_id is not None:
                from ...services.clients import get_client

                tax_id = get_client(client_id).data.tax_id or ""
            return (tax_id, *form_choices(client_id))

        def show(loaded: tuple[str, list, list]) -> None:
            tax_id, works, files = loaded
            import datetime as dt

            form = ExpenseForm(
                initial={"expense_date": dt.date.today().isoformat(), "client": tax_id},
                projects=works,
                documents=files,
            )
            self.app.push_screen(form, self._saved)

        self.run_service(load, show)

    def action_edit(self) -> None:
        expense_id = self.selected_id()
        if expense_id is None:
            return

        def load() -> tuple[Any, str, list, list]:
            row, tax_id = load_expense(expense_id)
            return (row, tax_id, *form_choices(row.client_id))

        def show(loaded: tuple[Any, str, list, list]) -> None:
            row, tax_id, works, files = loaded
            form = ExpenseForm(
                row.id,
                row.version,
                ExpenseForm.values_of(row, tax_id),
                projects=works,
                documents=files,
            )
            self.app.push_screen(form, self._saved)

        self.run_service(load, show)

    def _saved(self, result: int | None) -> None:
        if result is not None:
            self.notify(_("Saved."))
            self.action_reload()

    @on(LazyTable.RowSelected, "#expense-table")
    def _open(self) -> None:
        self.action_edit()

    def action_delete(self) -> None:
        expense_id = self.selected_id()
        if expense_id is None:
            return
        row = self.table.get_row(self.table.cursor_index)
        what = " · ".join(one_line(str(c)) for c in row.cells[:2]) if row else ""

        def answer(ok: bool | None) -> None:
            if not ok:
                return
            from ...services import expenses

            self.run_service(
                lambda: expenses.delete_expense(expense_id),
                lambda _result: self.action_reload(),
                done=_("Deleted."),
            )

        self.app.push_screen(
            ConfirmDialog(_("Delete the expense {what}?").format(what=what), yes=_("Delete")),
            answer,
        )

    def action_export(self) -> None:
        """The list as filtered now, to Excel (the `export expenses` list)."""
        from ...services import lists
        from ..dialogs.export import export_list

        spec = lists.LISTS["expenses"]
        flt = self.flt
        export_list(
            self,
            _(spec.title),
            spec.columns,
            lambda: spec.rows(flt),
            stem=spec.stem,
            count=lambda: spec.count(flt),
            notes=spec.describe(flt),
        )
