"""One project (enter on a client's Projects tab): its quotes, orders, invoices and
expenses, and what it has quoted, ordered, invoiced, been paid and still owes, its cost
(its lines' cost + its expenses) and margin (`services.projects.ProjectFigures`).

Keys: enter opens the highlighted document (an expense opens its form), `e` edits the
project, `a` files a quote, order or invoice of the client under it by its number (an
issued invoice too: the project is not fiscal data), `delete` takes the highlighted
quote, order or invoice out of the project (after confirmation), `c` the client.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Header, Static

from ...i18n import N_, _, pgettext
from ..base import CrmScreen
from ..dialogs.confirm import ConfirmDialog
from ..dialogs.form import FieldSpec
from ..formatting import date as show_date
from ..formatting import money
from ..labels import INVOICE_STATUS_LABELS, ORDER_STATUS_LABELS, QUOTE_STATUS_LABELS, label
from ..safe_text import one_line
from ..widgets.footer import Footer
from ..widgets.lazy_table import Column, LazyTable, Row
from ..widgets.sources import LoadedSource

KIND_LABELS = {
    "quote": N_("Quote"),
    "order": N_("Order"),
    "invoice": N_("Invoice"),
    "expense": N_("Expense"),
}
_STATUS_LABELS = {
    "quote": QUOTE_STATUS_LABELS,
    "order": ORDER_STATUS_LABELS,
    "invoice": INVOICE_STATUS_LABELS,
}


def document_row(d: Any) -> Row:
    status = label(_STATUS_LABELS[d.kind], d.status) if d.kind in _STATUS_LABELS else ""
    code = d.code or (_("draft {id}").format(id=d.id) if d.kind == "invoice" else "")
    return Row(
        key=f"{d.kind}:{d.id}",
        cells=(
            _(KIND_LABELS[d.kind]),
            code,
            show_date(d.day) if d.day else "",
            one_line(d.title),
            status,
            money(d.base),
            money(d.total),
        ),
        style="muted" if d.status in ("rejected", "expired", "cancelled", "voided") else "",
    )


def figures_text(f: Any) -> Content:
    """The project's figures in one line (amounts bold, the margin green or red)."""
    parts: list[tuple[str, str]] = []
    for name, value in (
        (_("quoted"), f.quoted),
        (_("ordered"), f.ordered),
        (_("invoiced"), f.invoiced),
        (pgettext("amount", "paid"), f.paid),
        (_("pending"), f.pending),
        (_("cost"), f.cost),
    ):
        parts += [(name + " ", "dim"), (money(value) + "  ", "bold")]
    parts += [
        (_("margin") + " ", "dim"),
        (money(f.margin), "bold green" if f.margin >= 0 else "bold red"),
    ]
    return Content.assemble(*parts)


class ProjectScreen(CrmScreen[None]):
    """A project and what it holds."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", _("Back"), id="back"),
        Binding("e", "edit", _("Edit project"), id="edit"),
        Binding("a", "file", _("Add a document"), id="file"),
        Binding("delete", "unfile", _("Take out"), id="unfile"),
        Binding("c", "client", _("Client"), id="client"),
        Binding("ctrl+r", "reload", _("Reload"), show=False, id="reload"),
    ]

    def __init__(self, project_id: int) -> None:
        super().__init__()
        self.project_id = project_id
        self.figures: Any = None

    def compose(self) -> ComposeResult:
        from ...services import projects

        project_id = self.project_id
        yield Header()
        yield Static("", id="pv-facts")
        yield Static("", id="pv-figures")
        yield LazyTable(
            [
                Column("kind", _("Kind"), 10, min_width=8),
                Column("code", _("Number"), 13, min_width=10),
                Column("date", _("Date"), 10, min_width=10, priority=1),
                Column("title", _("Title"), 20, flex=True, min_width=10, priority=2),
                Column("status", _("Status"), 12, min_width=8),
                Column("base", _("Base"), 12, align="right", min_width=10),
                Column("total", _("Total"), 12, align="right", min_width=10, priority=1),
            ],
            LoadedSource(lambda: projects.project_documents(project_id), document_row),
            empty_text=_(
                "Nothing in this project yet: a quote, order or invoice joins it "
                "from its editor, or with a."
            ),
            id="pv-table",
        )
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("Project")
        self.table.focus()
        self._read()

    @property
    def table(self) -> LazyTable:
        return self.query_one("#pv-table", LazyTable)

    def _read(self) -> None:
        from ...services import projects

        project_id = self.project_id
        self.run_service(
            lambda: (projects.get_project(project_id), projects.project_figures(project_id)),
            self._show,
        )

    def _show(self, loaded: tuple[Any, Any]) -> None:
        from ...services.projects import STATUS_LABELS

        row, figures = loaded
        self.figures = figures
        d = row.data
        self.title = _("Project {name}").format(name=one_line(d.name))
        self.sub_title = one_line(figures.client)
        dates = " – ".join(show_date(x) for x in (d.start_date, d.end_date) if x)
        facts = [
            _(STATUS_LABELS.get(d.status, d.status)),
            one_line(figures.client),
            dates,
            _("budget {amount}").format(amount=money(d.budget)) if d.budget else "",
        ]
        self.query_one("#pv-facts", Static).update(Content(" · ".join(f for f in facts if f)))
        self.query_one("#pv-figures", Static).update(figures_text(figures))

    def action_reload(self) -> None:
        self.table.refresh_rows()
        self._read()

    def returned(self) -> None:
        self.action_reload()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_client(self) -> None:
        if self.figures is not None:
            self.crm.open_client(self.figures.client_id, "projects")

    def action_edit(self) -> None:
        from ...services import projects
        from .client_record_forms import ProjectForm

        project_id = self.project_id

        def show(row: Any) -> None:
            form = ProjectForm(
                row.client_id,
                row.id,
                row.version,
                ProjectForm.values_of(row.data),
                title=_("Edit project"),
            )
            self.app.push_screen(form, lambda result: self.action_reload() if result else None)

        self.run_service(lambda: projects.get_project(project_id), show)

    @on(LazyTable.RowSelected, "#pv-table")
    def _open(self, event: LazyTable.RowSelected) -> None:
        kind, _sep, number = str(event.row_key).partition(":")
        record_id = int(number)
        if kind == "quote":
            self.crm.open_quote(record_id)
        elif kind == "order":
            self.crm.open_order(record_id)
        elif kind == "invoice":
            self.crm.open_invoice(record_id)
        else:
            self._edit_expense(record_id)

    def _edit_expense(self, expense_id: int) -> None:
        from .expenses import ExpenseForm, form_choices, load_expense

        def load() -> tuple[Any, str, Any]:
            row, tax_id = load_expense(expense_id)
            return row, tax_id, form_choices(row.client_id)

        def show(loaded: tuple[Any, str, Any]) -> None:
            row, tax_id, choices = loaded
            form = ExpenseForm(
                row.id, row.version, ExpenseForm.values_of(row, tax_id), choices=choices
            )
            self.app.push_screen(form, lambda result: self.action_reload() if result else None)

        self.run_service(load, show)

    def action_file(self) -> None:
        from ...services import projects
        from ..dialogs.prompt import PromptForm

        project_id = self.project_id

        def done(result: Any) -> None:
            if result is not None:
                self.notify(_("Added to the project."))
                self.action_reload()

        self.app.push_screen(
            PromptForm(
                _("Add a quote, order or invoice of this client"),
                [FieldSpec("number", _("Number"), required=True, max_length=40)],
                lambda values: projects.file_by_number(project_id, values.get("number") or ""),
                hint=_("e.g. F2026-00001, P2026-0001 or its order's number"),
            ),
            done,
        )

    def action_unfile(self) -> None:
        key = self.table.selected_key
        if key is None:
            self.nothing_selected()
            return
        kind, _sep, number = str(key).partition(":")
        if kind == "expense":
            self.notify(_("An expense leaves its project from its form."), severity="warning")
            return
        row = self.table.get_row(self.table.cursor_index)
        what = " ".join(one_line(str(c)) for c in row.cells[:2]) if row else ""

        def answer(ok: bool | None) -> None:
            if not ok:
                return
            from ...services import projects

            self.run_service(
                lambda: projects.set_document_project(kind, int(number), None),
                lambda _result: self.action_reload(),
                done=_("Taken out of the project."),
            )

        self.app.push_screen(
            ConfirmDialog(
                _("Take {what} out of this project?").format(what=what), yes=_("Take out")
            ),
            answer,
        )
