"""The client file's Analytics tab: what the client is worth (`widgets/client_analytics.py`)."""

from __future__ import annotations

import datetime as dt

from textual.app import ComposeResult

from ...widgets.client_analytics import ANALYTICS_TAB, ClientAnalyticsPanel
from .base import ClientTab


class AnalyticsTab(ClientTab):
    KEY = ANALYTICS_TAB

    def __init__(self, title: str, client_id: int, today: dt.date, as_of: dt.date | None):
        super().__init__(title, client_id, today)
        self.as_of = as_of

    # The panel (fifteen widgets, two tables) is built when its tab is first shown; it
    # reads its figures each time it is shown.
    listed = False

    def compose(self) -> ComposeResult:
        if self.listed:
            yield self._panel()

    def _panel(self) -> ClientAnalyticsPanel:
        return ClientAnalyticsPanel(self.client_id, as_of=self.as_of, id="cf-analytics")

    def show_list(self) -> None:
        if not self.listed:
            self.listed = True
            if self.is_mounted:
                self.mount(self._panel())

    def focus_first(self) -> None:
        self.show_list()
        self.query_one("#cf-analytics").focus()
