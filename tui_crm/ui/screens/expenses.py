"""Expenses (palette "Expenses", or `g` on a client's file): costs that are not lines of
a sale, for the P&L, the projects' margin and the client's Analytics.

Keys: `/` search (supplier, tax ID, description, client or project), `n` new, `e` or
enter edits, `delete` deletes after confirmation (the document it points at stays),
`c` shows one client's (and then `n` writes one for that client, choosing among its
projects and documents), `x` exports the list as shown to Excel. In the form, the
project and document pickers list every open project and document until a client's
tax ID is typed, then only that client's; typing in an open picker finds by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Select

from ...i18n import N_, _
from ..dialogs.confirm import ConfirmDialog
from ..dialogs.form import FieldSpec, FormScreen, field_id
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


@dataclass(frozen=True)
class Choices:
    """What the project and document pickers offer: (label, value) and each value's
    client (id, tax ID), to fill the client in from a project chosen first."""

    projects: tuple[tuple[str, str], ...] = ()
    documents: tuple[tuple[str, str], ...] = ()
    owners: dict[str, tuple[int | None, str]] = field(default_factory=dict)  # "p12" → client


def form_choices(client_id: int | None) -> Choices:
    """The pickers' choices (in a worker): without a client every open project and every
    document (typing a project's, a file's or a client's name finds them); with one,
    that client's (and the documents of no client)."""
    from ...services import expenses

    works = expenses.project_picks(client_id)
    files = expenses.document_picks(client_id)
    owners = {f"p{p.id}": (p.client_id, p.client_tax_id) for p in works}
    owners |= {f"d{d.id}": (d.client_id, d.client_tax_id) for d in files}
    return Choices(
        tuple((p.label, str(p.id)) for p in works),
        tuple((d.label, str(d.id)) for d in files),
        owners,
    )


def client_choices(tax_id: str) -> tuple[int | None, Choices]:
    """The client with this tax ID (None when there is none, or nothing typed) and the
    pickers' choices for it (in a worker)."""
    from ...services.reports import client_id_for

    client_id = client_id_for(tax_id) if tax_id.strip() else None
    return client_id, form_choices(client_id)


NARROW_AFTER = 0.3  # seconds of no typing in the client's tax ID before the pickers follow


class ExpenseForm(FormScreen[int]):
    """One expense; the service checks it (`services.expenses.validate`).

    The project and document pickers follow the client's tax ID as it is typed: every
    open project and every document while there is none, that client's once it names
    one. A project chosen first fills the client in. A choice already made stays when
    the client changes, so saving says plainly that it is another client's."""

    def __init__(
        self,
        expense_id: int | None = None,
        version: int | None = None,
        initial: dict[str, Any] | None = None,
        *,
        choices: Choices | None = None,
    ):
        super().__init__(
            initial or {}, title=_("New expense") if expense_id is None else _("Edit expense")
        )
        self.expense_id = expense_id
        self.version = version
        self.choices = choices or Choices()
        self.projects = [(_("(none)"), ""), *self.choices.projects]
        self.documents = [(_("(none)"), ""), *self.choices.documents]
        self._narrowed_for: str | None = str((initial or {}).get("client") or "").strip()
        self._narrow_timer: Any = None

    @on(Input.Changed)
    def _client_typed(self, event: Input.Changed) -> None:
        if event.input.id != field_id("client"):
            return
        if self._narrow_timer is not None:
            self._narrow_timer.stop()
        self._narrow_timer = self.set_timer(NARROW_AFTER, self._narrow)

    def _narrow(self) -> None:
        tax_id = self.query_one(f"#{field_id('client')}", Input).value.strip()
        if tax_id == self._narrowed_for:
            return
        self._narrowed_for = tax_id
        self.run_service(
            lambda: client_choices(tax_id),
            self._show_choices,
            group="expense-picks",
            exclusive=True,
        )

    def _show_choices(self, found: tuple[int | None, Choices]) -> None:
        _client_id, choices = found
        owners = dict(self.choices.owners)
        self.choices = Choices(choices.projects, choices.documents, owners | choices.owners)
        for key, offered in (("project", choices.projects), ("document", choices.documents)):
            picker = self.query_one(f"#{field_id(key)}", Select)
            current = picker.value
            options = [(_("(none)"), ""), *offered]
            if current not in (Select.BLANK, "") and all(v != current for _l, v in options):
                # kept, with its label: the save refuses it if it is another client's
                label = next(
                    (lbl for lbl, v in (self.projects if key == "project" else self.documents)
                     if v == current),
                    str(current),
                )  # fmt: skip
                options.append((label, str(current)))
            if key == "project":
                self.projects = options
            else:
                self.documents = options
            with self.prevent(Select.Changed):
                picker.set_options(options)
                picker.value = current if current != Select.BLANK else ""

    @on(Select.Changed)
    def _project_chosen(self, event: Select.Changed) -> None:
        """A project chosen with no client yet brings its client (and narrows the rest)."""
        if event.select.id != field_id("project") or event.value in (Select.BLANK, ""):
            return
        client = self.query_one(f"#{field_id('client')}", Input)
        if client.value.strip():
            return
        _owner, tax_id = self.choices.owners.get(f"p{event.value}", (None, ""))
        if tax_id:
            client.value = tax_id

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

        def load() -> tuple[str, Choices]:
            tax_id = ""
            if client_id is not None:
                from ...services.clients import get_client

                tax_id = get_client(client_id).data.tax_id or ""
            return tax_id, form_choices(client_id)

        def show(loaded: tuple[str, Choices]) -> None:
            tax_id, choices = loaded
            import datetime as dt

            form = ExpenseForm(
                initial={"expense_date": dt.date.today().isoformat(), "client": tax_id},
                choices=choices,
            )
            self.app.push_screen(form, self._saved)

        self.run_service(load, show)

    def action_edit(self) -> None:
        expense_id = self.selected_id()
        if expense_id is None:
            return

        def load() -> tuple[Any, str, Choices]:
            row, tax_id = load_expense(expense_id)
            return row, tax_id, form_choices(row.client_id)

        def show(loaded: tuple[Any, str, Choices]) -> None:
            row, tax_id, choices = loaded
            form = ExpenseForm(
                row.id, row.version, ExpenseForm.values_of(row, tax_id), choices=choices
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
