"""Command palette providers (ctrl+p): "Go to client …" searches the database as you type."""

from __future__ import annotations

import asyncio

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from ..i18n import _


def _search_clients(text: str, limit: int = 12) -> list[tuple[int, str, str]]:
    from ..db import database
    from ..services.clients import ClientFilter, list_clients

    with database.connection_context():
        rows = list_clients(ClientFilter(text=text, status=""), 0, limit)
    return [(row.id, row.name, row.tax_id) for row in rows]


class ClientCommands(Provider):
    """Go to any client by name, trade name, tax ID, email or phone."""

    async def search(self, query: str) -> Hits:
        text = query.strip()
        prefix = _("go to").casefold()
        if text.casefold().startswith(prefix):
            text = text[len(prefix) :].strip()
        if len(text) < 2:
            return
        try:
            found = await asyncio.to_thread(_search_clients, text)
        except Exception as exc:  # the palette must not break because the database is busy
            self.app.notify(str(exc), severity="error")
            return
        for position, (client_id, name, tax_id) in enumerate(found):
            label = Content(_("Go to client: {name}").format(name=name))
            yield Hit(
                score=1.0 - position / 100,
                match_display=label,
                command=lambda cid=client_id: self._open(cid),
                text=label.plain,
                help=tax_id or None,
            )

    async def discover(self) -> Hits:
        yield DiscoveryHit(
            Content(_("Go to client …")),
            self._prompt,
            help=_("Type part of a name, tax ID, email or phone"),
        )

    def _prompt(self) -> None:
        self.app.action_command_palette()

    def _open(self, client_id: int) -> None:
        open_client = getattr(self.app, "open_client", None)
        if open_client is not None:
            open_client(client_id)
