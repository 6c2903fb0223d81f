"""Command palette providers (ctrl+p): "Go to client …" searches the database as you type;
"New client", "New activity for …", and every action of the current screen."""

from __future__ import annotations

import asyncio
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from ..i18n import _


def client_matches(text: str, limit: int = 12) -> list[tuple[int, str, str]]:
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
            found = await asyncio.to_thread(client_matches, text)
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


class ClientActionCommands(Provider):
    """ "New client", and "New activity for …" any client found by what is typed."""

    async def discover(self) -> Hits:
        yield DiscoveryHit(
            Content(_("New client")),
            self._new_client,
            help=_("A lead or a client; the form opens with the name"),
        )
        yield DiscoveryHit(
            Content(_("New activity for …")),
            self._prompt,
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
        matcher = self.matcher(query)
        for label, command, help_text in (
            (_("New client"), self._new_client, _("A lead or a client")),
            (_("New comment template"), self._new_template, _("A reusable text for notes")),
            (_("Comment templates"), self._templates, _("List, change or delete them")),
            (_("Custom fields"), self._custom_fields, _("Fields of your own on every client")),
        ):
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), command, help=help_text)
        text = query.strip()
        for prefix in (_("new activity for"), _("new activity"), _("activity for"), _("activity")):
            if text.casefold().startswith(prefix.casefold()):
                text = text[len(prefix) :].strip()
                break
        if len(text) < 2:
            return
        try:
            found = await asyncio.to_thread(client_matches, text, 8)
        except Exception:
            return
        for position, (client_id, name, tax_id) in enumerate(found):
            label = Content(_("New activity for: {name}").format(name=name))
            yield Hit(
                score=0.9 - position / 100,
                match_display=label,
                command=lambda cid=client_id: self._new_activity(cid),
                text=label.plain,
                help=tax_id or None,
            )

    def _prompt(self) -> None:
        self.app.action_command_palette()

    def _new_client(self) -> None:
        new_client = getattr(self.app, "new_client", None)
        if new_client is not None:
            new_client()

    def _new_activity(self, client_id: int) -> None:
        from .screens.client_file import ClientFileScreen

        open_client = getattr(self.app, "open_client", None)
        if open_client is None:
            return
        open_client(client_id, "timeline")
        screen = self.app.screen
        if isinstance(screen, ClientFileScreen):
            screen.call_after_refresh(screen.open_activity_form)

    def _templates(self) -> None:
        from .screens.client_settings import CommentTemplatesScreen

        self.app.push_screen(CommentTemplatesScreen())

    def _custom_fields(self) -> None:
        from .screens.client_settings import CustomFieldsScreen

        self.app.push_screen(CustomFieldsScreen())

    def _new_template(self) -> None:
        from .screens.template_form import TemplateForm

        self.app.push_screen(
            TemplateForm(),
            lambda saved: saved and self.app.notify(_("Template saved.")),
        )


class ScreenActionCommands(Provider):
    """Every action of the current screen (its footer and help keys), by name."""

    def _actions(self) -> list[tuple[str, str, str, object]]:
        found = []
        seen: set[str] = set()
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if not binding.description or not active.enabled or binding.system:
                continue
            if binding.action in seen or binding.action.startswith("command_palette"):
                continue
            seen.add(binding.action)
            shown = binding.key_display or self.app.get_key_display(binding)
            found.append((binding.description, binding.action, shown or key, active.node))
        return found

    async def discover(self) -> Hits:
        for description, action, key, node in self._actions():
            yield DiscoveryHit(
                Content(description),
                partial(self.app.run_action, action, node),
                help=_("key: {key}").format(key=key),
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for description, action, key, node in self._actions():
            score = matcher.match(description)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(description),
                    partial(self.app.run_action, action, node),
                    help=_("key: {key}").format(key=key),
                )
