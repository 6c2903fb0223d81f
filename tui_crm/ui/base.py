"""What every screen, dialog and widget of the TUI shares (light: loaded at start-up).

- `self.crm`: the app, typed by what the TUI asks of it (`CrmApi`): `self.crm.open_invoice(7)`.
- `self.run_service(call, then)`: the one road from the UI to a service. `call()` runs in
  a thread worker inside its own database connection (`services.calls.run_call`); the
  worker posts a typed message back to the node that asked, `CrmNode.Done` with the
  result or `CrmNode.Refused` with what went wrong, and the node's handler (here) runs
  `then(result)` on the UI thread. A node that has closed meanwhile gets nothing.
  A refusal (ServiceError) or a fault of the machine is shown the same way everywhere:
  one line, or a dialog titled `refusal_title` when it must be read; its text is shown
  literally, never as markup.
- `CrmScreen`: re-reads what it shows (`returned()`) when the person comes back to it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, cast

from textual.dom import DOMNode
from textual.message import Message
from textual.screen import ModalScreen, Screen, ScreenResultType

from ..i18n import _

if TYPE_CHECKING:
    _Node = DOMNode
else:
    # A plain mixin at run time: Textual finds a widget's CSS type names (what `TabPane {…}`
    # or `Static {…}` rules match) by following each class's first DOMNode base, so a
    # DOMNode mixin first in the bases would hide the widget's own kind from its CSS.
    _Node = object

Refused = Callable[[Exception], bool | None]


class CrmApi(Protocol):
    """What screens, dialogs, widgets and palette commands ask of the app (`CrmApp` is one:
    app.py checks it). A protocol rather than the class itself: `app` imports every screen,
    so a screen importing `app`, even only to type it, would be an import loop."""

    # navigation
    def open_client(self, client_id: int, tab: str = "overview") -> None: ...
    def new_client(self) -> None: ...
    def pick_client(self, title: str, then: Callable[[int], None]) -> None: ...
    def open_invoice(self, invoice_id: int) -> None: ...
    def new_invoice(self, client_id: int | None = None) -> None: ...
    def open_quote(self, quote_id: int) -> None: ...
    def new_quote(self, client_id: int | None = None) -> None: ...
    def open_order(self, order_id: int) -> None: ...
    def open_sales_record(self, key: str) -> None: ...
    def new_sales_document(self, client_id: int) -> None: ...
    def register_payment(
        self,
        client_id: int | None = None,
        invoice_id: int | None = None,
        done: Callable[[int], None] | None = None,
    ) -> None: ...
    def send_document(
        self,
        kind: str,
        document_id: int | None = None,
        *,
        client_id: int | None = None,
        invoice_ids: tuple[int, ...] | list[int] = (),
        level: int | None = None,
        period: tuple[Any, Any] | None = None,
        then: Callable[[int | None], None] | None = None,
    ) -> None: ...
    def send_verifactu_now(self, then: Callable[[], None] | None = None) -> None: ...
    def switch_mode(self, mode: str) -> Any: ...
    async def action_to_list(self, mode: str) -> None: ...  # F2-F6: the section's list
    def show_quotes(self) -> None: ...
    def show_orders(self) -> None: ...
    def show_catalog(self) -> None: ...
    def show_expenses(self) -> None: ...
    def show_recurring(self, client_id: int | None = None, client_name: str = "") -> None: ...
    def show_reminders(self, marked: tuple[int, ...] = ()) -> None: ...
    def show_settings(self) -> None: ...
    def show_email_templates(self) -> None: ...
    def show_audit(self, client_id: int | None = None, title: str | None = None) -> None: ...
    # the dialogs that code below the screens opens
    def show_message(self, title: str, text: str) -> None: ...
    def ask(
        self, question: str, then: Callable[[bool | None], None], *, yes: str | None = None
    ) -> None: ...


class CrmNode(_Node):
    """Mixin of every screen, dialog and widget that calls services (see the module doc)."""

    class Done(Message, bubble=False):
        """A service call returned: its `result`, for `then`."""

        def __init__(self, result: Any, then: Callable[[Any], None] | None, done: str) -> None:
            super().__init__()
            self.result = result
            self.then = then
            self.done = done

    class Refused(Message, bubble=False):
        """A service call refused (ServiceError) or failed: `error`, and `text` to show."""

        def __init__(self, error: Exception, text: str, title: str, refused: Refused | None):
            super().__init__()
            self.error = error
            self.text = text
            self.title = title
            self.refused = refused

    @property
    def crm(self) -> CrmApi:
        """The application, typed: its navigation (`open_client`, `open_invoice` …)."""
        return cast("CrmApi", self.app)

    def run_service(
        self,
        call: Callable[[], Any],
        then: Callable[[Any], None] | None = None,
        *,
        done: str = "",
        refusal_title: str = "",
        refused: Refused | None = None,
        group: str = "service",
        exclusive: bool = False,
        snapshot: bool = False,
    ) -> None:
        """Run `call()` in a thread worker, then `then(result)` here, on the UI thread.

        `done`: a line to say once it worked. `refusal_title`: show a refusal in a dialog
        with this title instead of one line. `refused(error)`: called first with what went
        wrong; returning True means it was shown already. `exclusive`: a newer call of the
        same `group` replaces this one (its result is dropped). `snapshot`: the reads see
        one consistent state (a read-only transaction)."""
        self.run_worker(
            partial(_work, self, call, then, done, refusal_title, refused, snapshot),
            thread=True,
            group=group,
            exclusive=exclusive,
            exit_on_error=False,
        )

    def run_services_in_order(
        self,
        steps: Sequence[tuple[Callable[[], Any], Callable[[Any], None], Refused | None]],
        *,
        group: str = "service",
        exclusive: bool = False,
    ) -> None:
        """Run each `(call, then, refused)` of `steps` in turn in one thread worker, each
        outcome posted back as soon as it is known (as `run_service` does for one call).

        For a screen that reads several things, the first wanted first: one worker in
        order leaves the UI thread the processor a pool of them would share out."""
        self.run_worker(
            partial(_work_in_order, self, tuple(steps)),
            thread=True,
            group=group,
            exclusive=exclusive,
            exit_on_error=False,
        )

    def on_crm_node_done(self, message: CrmNode.Done) -> None:
        if message.done:
            self.notify(message.done, markup=False)
        if message.then is not None:
            message.then(message.result)

    def on_crm_node_refused(self, message: CrmNode.Refused) -> None:
        if message.refused is not None and message.refused(message.error):
            return
        show_refusal(self, message.text, message.title)


def _work(
    node: CrmNode,
    call: Callable[[], Any],
    then: Callable[[Any], None] | None,
    done: str,
    title: str,
    refused: Refused | None,
    snapshot: bool,
) -> None:
    """The worker thread: the call in a connection, its outcome posted back as a message."""
    from textual.worker import get_current_worker

    from ..services.calls import failure_text, run_call

    worker = get_current_worker()
    try:
        result = run_call(call, snapshot=snapshot)
    except Exception as exc:  # a refusal, or the database is busy or gone: never a crash
        if not worker.is_cancelled:
            node.post_message(CrmNode.Refused(exc, failure_text(exc), title, refused))
        return
    if not worker.is_cancelled:
        node.post_message(CrmNode.Done(result, then, done))


def _work_in_order(
    node: CrmNode,
    steps: tuple[tuple[Callable[[], Any], Callable[[Any], None], Refused | None], ...],
) -> None:
    """The worker thread of `run_services_in_order`: each call, each outcome posted."""
    from textual.worker import get_current_worker

    from ..services.calls import failure_text, run_call

    worker = get_current_worker()
    for call, then, refused in steps:
        if worker.is_cancelled:
            return
        try:
            result = run_call(call)
        except Exception as exc:  # a refusal, or the database is busy or gone: never a crash
            if not worker.is_cancelled:
                node.post_message(CrmNode.Refused(exc, failure_text(exc), "", refused))
            continue
        if not worker.is_cancelled:
            node.post_message(CrmNode.Done(result, then, ""))


def show_refusal(node: DOMNode, text: str, title: str = "") -> None:
    """A refusal as every screen shows one: one line, or a dialog when it must be read."""
    if title:
        cast("CrmApi", node.app).show_message(title, text)
    else:
        node.notify(text, severity="error", timeout=10, markup=False)


class CrmScreen(CrmNode, Screen[ScreenResultType]):
    """A full screen of the TUI.

    When the person comes back to it from another screen (an editor, a view, another
    mode), `returned()` re-reads what may have changed; not after a dialog, whose own
    callback refreshes what it changed (a board over a million invoices is not re-read
    for nothing), unless `REREAD_AFTER_DIALOGS`."""

    REREAD_AFTER_DIALOGS: ClassVar[bool] = False
    _left = False

    def on_screen_suspend(self) -> None:
        self._left = self.REREAD_AFTER_DIALOGS or not isinstance(self.app.screen, ModalScreen)

    def on_screen_resume(self) -> None:
        if self._left:
            self._left = False
            self.returned()

    def returned(self) -> None:
        """Re-read what another screen may have changed."""

    def nothing_selected(self) -> None:
        """The hint when a key acts on the highlighted row and there is none."""
        self.notify(_("Nothing selected."), severity="warning")


class CrmModalScreen(CrmNode, ModalScreen[ScreenResultType]):
    """A dialog or a form over the current screen."""
