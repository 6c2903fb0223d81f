"""The client file's Projects tab: `n`, `e`, `delete`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ....i18n import N_, _
from ...formatting import date as show_date
from ...formatting import money
from ...widgets.lazy_table import Column, Row
from ...widgets.sources import LoadedSource
from .base import ListTab

if TYPE_CHECKING:
    from ..client_record_forms import RecordForm


def project_row(p: Any) -> Row:
    from ....services.projects import STATUS_LABELS

    d = p.data
    dates = " – ".join(show_date(x) for x in (d.start_date, d.end_date) if x)
    return Row(
        key=p.id,
        cells=(
            d.name,
            _(STATUS_LABELS.get(d.status, d.status)),
            dates,
            money(d.budget) if d.budget else "",
            money(p.invoiced) if p.invoiced else "",
        ),
        style="muted" if d.status in ("done", "cancelled") else "",
    )


class ProjectsTab(ListTab):
    KEY = "projects"
    EMPTY = N_("No projects yet: n opens one.")
    DELETE_QUESTION = N_("Delete the project {what}?")
    NEW_TITLE = N_("New project")
    EDIT_TITLE = N_("Edit project")
    NEW_VALUES: ClassVar[dict[str, Any]] = {"status": "active"}

    def columns(self) -> list[Column]:
        return [
            Column("name", _("Project"), 20, flex=True, min_width=12),
            Column("status", _("Status"), 10, min_width=7),
            Column("dates", _("Dates"), 23, min_width=10, priority=2),
            Column("budget", _("Budget"), 13, align="right", min_width=10, priority=1),
            Column("invoiced", _("Invoiced"), 13, align="right", min_width=10, priority=3),
        ]

    def source(self) -> LoadedSource[Any]:
        from ....services import projects

        client_id = self.client_id
        return LoadedSource(lambda: projects.list_projects(client_id), project_row)

    def form(self) -> type[RecordForm]:
        from ..client_record_forms import ProjectForm

        return ProjectForm
