"""The client file's Opportunities tab: `n`, `e`, `delete`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ....i18n import N_, _, pgettext
from ...formatting import date as show_date
from ...formatting import money
from ...widgets.lazy_table import Column, Row
from ...widgets.sources import LoadedSource
from .base import ListTab

if TYPE_CHECKING:
    from ..client_record_forms import RecordForm


def opportunity_row(o: Any) -> Row:
    from ....services.opportunities import STAGE_LABELS

    d = o.data
    stage = _(STAGE_LABELS.get(d.stage, d.stage))
    if d.stage == "lost" and d.lost_reason:
        stage = f"{stage}: {d.lost_reason}"
    return Row(
        key=o.id,
        cells=(
            d.title,
            stage,
            money(d.amount),
            f"{d.probability} %",
            show_date(d.expected_close),
            d.owner_login,
        ),
        style="muted" if d.stage in ("won", "lost") else "",
    )


class OpportunitiesTab(ListTab):
    KEY = "opportunities"
    EMPTY = N_("No opportunities yet: n adds one.")
    DELETE_QUESTION = N_("Delete the opportunity {what}?")

    def columns(self) -> list[Column]:
        return [
            Column("title", _("Opportunity"), 20, flex=True, min_width=12),
            Column("stage", _("Stage"), 14, min_width=8),
            Column("amount", _("Amount"), 13, align="right", min_width=10),
            Column("probability", _("Prob."), 6, align="right", min_width=5, priority=2),
            Column("close", pgettext("expected close date", "Close"), 10, min_width=8, priority=1),
            Column("owner", _("Owner"), 8, min_width=5, priority=3),
        ]

    def source(self) -> LoadedSource[Any]:
        from ....services import opportunities

        client_id = self.client_id
        return LoadedSource(lambda: opportunities.list_opportunities(client_id), opportunity_row)

    def form(self) -> type[RecordForm]:
        from ..client_record_forms import OpportunityForm

        return OpportunityForm

    def new(self) -> None:
        self.open_form(None)

    def edit(self) -> None:
        key = self.selected()
        if key is not None:
            self.open_form(key)

    def open_form(self, opportunity_id: int | None) -> None:
        """The form with this client's projects and the active users to choose from."""
        from ....services import opportunities, projects, users
        from ..client_record_forms import OpportunityForm

        client_id = self.client_id

        def load() -> tuple[Any, list, list]:
            row = (
                opportunities.get_opportunity(opportunity_id)
                if opportunity_id is not None
                else None
            )
            works = [(p.data.name, p.id) for p in projects.list_projects(client_id)]
            owners = [(u.login, u.login) for u in users.list_users() if u.active]
            return row, works, owners

        def show(loaded: tuple[Any, list, list]) -> None:
            row, works, owners = loaded
            if row is None:
                form = OpportunityForm(
                    client_id,
                    initial={"stage": "new"},
                    projects=works,
                    owners=owners,
                    title=_("New opportunity"),
                )
            else:
                form = OpportunityForm(
                    client_id,
                    row.id,
                    row.version,
                    OpportunityForm.values_of(row.data),
                    projects=works,
                    owners=owners,
                    title=_("Edit opportunity"),
                )
            self.app.push_screen(form, self.after_form())

        self.run_service(load, show)
