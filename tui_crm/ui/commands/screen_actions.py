"""The palette runs any key of the current screen by its name (its footer and help keys)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from ...i18n import _


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
