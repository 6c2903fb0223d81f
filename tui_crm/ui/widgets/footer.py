"""Textual's footer, rebuilt only when the keys it shows change.

Textual's Footer recomposes itself, all its ~20 key widgets and their styles, on
every "bindings updated" signal of its screen: three times while the client list
starts, once per focus move, each time for the same keys. This one coalesces the
signals of a frame and rebuilds only when the keys shown (key, label, enabled,
tooltip) are not the ones already on screen.

Each key widget is also built in its final style (the footer's, compact or not; the
palette's key compact): Textual's starts compact and is then told it is not, so every
key was restyled twice, with its two parts, after being styled once (some 120 passes
of the stylesheet per screen opened, a third of what opening a list cost the UI
thread).
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey


class Footer(TextualFooter):
    _shown: tuple[tuple[str, str, bool, bool, str], ...] | None = None
    _pending: bool = False

    def _keys_to_show(self) -> tuple[tuple[str, str, bool, bool, str], ...]:
        # Only what it shows: a hidden key coming and going (`/` once a list has a size)
        # changes nothing on screen.
        palette = self.app.COMMAND_PALETTE_BINDING
        return tuple(
            (binding.key, binding.description, binding.show, enabled, tooltip)
            for (key, (_node, binding, enabled, tooltip)) in self.screen.active_bindings.items()
            if binding.show or key == palette
        )

    def compose(self):
        if self._bindings_ready:
            self._shown = self._keys_to_show()
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                # The palette's key is not bound to the footer's style: it stays compact.
                compact = True if widget.has_class("-command-palette") else self.compact
                widget.set_reactive(FooterKey.compact, compact)
                widget.set_class(compact, "-compact", update=False)
            yield widget

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._pending:
            self._pending = True
            self.call_after_refresh(self._refresh_keys)

    async def _refresh_keys(self) -> None:
        self._pending = False
        if self.is_attached and self._keys_to_show() != self._shown:
            await self.recompose()
