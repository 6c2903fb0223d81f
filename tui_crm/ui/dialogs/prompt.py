"""A short form of a few fields whose answer is worked out by a callable (in the worker):
a date, a reason, a file name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from textual.content import Content
from textual.widgets import Static

from ...i18n import _
from .form import FieldSpec, FormScreen


class PromptForm(FormScreen[Any]):
    """A short form of a few fields whose `save` is a callable run in the worker.

    `submit(values)` validates and does the work (raising ValidationError with the
    field keys); its result dismisses the form.
    """

    def __init__(
        self,
        title: str,
        specs: Sequence[FieldSpec],
        submit: Callable[[dict[str, Any]], Any],
        initial: dict[str, Any] | None = None,
        *,
        hint: str = "",
    ):
        super().__init__(initial, title=title)
        self._specs = list(specs)
        self._submit = submit
        self.hint = hint

    def fields(self) -> Sequence[FieldSpec]:
        return self._specs

    def on_mount(self) -> None:
        super().on_mount()
        if self.hint:
            keys = self.query_one(".form-keys", Static)
            keys_text = _("ctrl+s save · escape close · tab next field")
            keys.update(Content(self.hint + "\n" + keys_text))

    def save(self, values: dict[str, Any]) -> Any:
        return self._submit(values)
