"""The palette's clients: "Go to client …" searches the database as you type; "New client",
"New activity for …" any client, the comment templates and the custom fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hits, Provider
from textual.content import Content

from ...i18n import _
from .base import CommandList, Entry, client_hits, strip_prefix

if TYPE_CHECKING:
    from ..base import CrmApi


class ClientCommands(Provider):
    """Go to any client by name, trade name, tax ID, email or phone."""

    async def search(self, query: str) -> Hits:
        text = query.strip()
        name = strip_prefix(text, _("go to"))
        text = text if name is None else name
        if len(text) < 2:
            return
        crm = cast("CrmApi", self.app)
        async for hit in client_hits(
            text,
            _("Go to client: {name}"),
            crm.open_client,
            score=1.0,
            limit=12,
            failed=lambda exc: self.app.notify(str(exc), severity="error", markup=False),
        ):
            yield hit

    async def discover(self) -> Hits:
        yield DiscoveryHit(
            Content(_("Go to client …")),
            self.app.action_command_palette,
            help=_("Type part of a name, tax ID, email or phone"),
        )


class ClientActionCommands(CommandList):
    """ "New client", and "New activity for …" any client found by what is typed."""

    def entries(self) -> list[Entry]:
        return [
            (_("New client"), self._new_client, _("A lead or a client")),
            (_("New comment template"), self._new_template, _("A reusable text for notes")),
            (_("Comment templates"), self._templates, _("List, change or delete them")),
            (_("Custom fields"), self._custom_fields, _("Fields of your own on every client")),
        ]

    async def discover(self) -> Hits:
        yield DiscoveryHit(
            Content(_("New client")),
            self._new_client,
            help=_("A lead or a client; the form opens with the name"),
        )
        yield DiscoveryHit(
            Content(_("New activity for …")),
            self.app.action_command_palette,
            help=_("Type part of the client's name, then choose 'New activity for'"),
        )
        yield DiscoveryHit(
            Content(_("New comment template")),
            self._new_template,
            help=_("A reusable text for timeline notes"),
        )
        yield DiscoveryHit(
            Content(_("Comment templates")),
            self._templates,
            help=_("List, change or delete the reusable notes"),
        )
        yield DiscoveryHit(
            Content(_("Custom fields")),
            self._custom_fields,
            help=_("Fields of your own on every client (admins)"),
        )

    async def search(self, query: str) -> Hits:
        async for hit in super().search(query):
            yield hit
        text = query.strip()
        name = strip_prefix(
            text, _("new activity for"), _("new activity"), _("activity for"), _("activity")
        )
        text = text if name is None else name
        if len(text) < 2:
            return
        async for hit in client_hits(
            text, _("New activity for: {name}"), self._new_activity, score=0.9, limit=8
        ):
            yield hit

    @property
    def crm(self) -> CrmApi:
        return cast("CrmApi", self.app)

    def _new_client(self) -> None:
        self.crm.new_client()

    def _new_activity(self, client_id: int) -> None:
        from ..screens.client_file import ClientFileScreen

        self.crm.open_client(client_id, "timeline")
        screen = self.app.screen
        if isinstance(screen, ClientFileScreen):
            screen.call_after_refresh(screen.open_activity_form)

    def _templates(self) -> None:
        from ..screens.client_settings import CommentTemplatesScreen

        self.app.push_screen(CommentTemplatesScreen())

    def _custom_fields(self) -> None:
        from ..screens.client_settings import CustomFieldsScreen

        self.app.push_screen(CustomFieldsScreen())

    def _new_template(self) -> None:
        from ..screens.template_form import TemplateForm

        self.app.push_screen(
            TemplateForm(),
            lambda saved: saved and self.app.notify(_("Template saved.")),
        )
