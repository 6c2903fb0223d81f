"""Running one service call from a screen without blocking it (light: loaded at start-up)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import work
from textual.dom import DOMNode

from ..i18n import _


class ServiceCalls(DOMNode):
    """Mixin for screens: run one service call in a worker, then continue on the UI thread."""

    @work(thread=True, group="service-call", exit_on_error=False)
    def call_service(
        self,
        call: Callable[[], Any],
        then: Callable[[Any], None] | None = None,
        *,
        done: str = "",
        refusal_title: str = "",
        failed: Callable[[], None] | None = None,
    ) -> None:
        """`call()` inside a database connection; a refusal (ServiceError) is shown in one
        line, or in a dialog titled `refusal_title` when it must be read; never crashes."""
        from ..db import database
        from ..services.errors import ServiceError

        try:
            with database.connection_context():
                result = call()
        except ServiceError as exc:
            message = str(exc)
            self.app.call_from_thread(self._refused, message, refusal_title, failed)
            return
        except Exception as exc:  # the database is busy or gone: say so, keep the screen
            from ..db import ReadOnlyDatabase, describe_fault

            if isinstance(exc, ReadOnlyDatabase):
                message = str(exc)
            else:
                message = _("Could not do it: {error}").format(error=describe_fault(exc) or exc)
            self.app.call_from_thread(self._refused, message, refusal_title, failed)
            return

        def finish() -> None:
            if done:
                self.notify(done)
            if then is not None:
                then(result)

        self.app.call_from_thread(finish)

    def _refused(self, message: str, title: str, failed: Callable[[], None] | None = None) -> None:
        if title:
            from .screens.sales_support import MessageDialog

            self.app.push_screen(MessageDialog(title, message))
        else:
            self.notify(message, severity="error", timeout=10)
        if failed is not None:
            failed()
