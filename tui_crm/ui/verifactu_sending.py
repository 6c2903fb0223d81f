"""The VERI*FACTU background sender while the app runs, and "send now".

A timer on the UI thread only starts a thread worker (`services.verifactu_sender`); the
network call and every query run in that worker, inside a database connection. The
background run is quiet: offline, VERI*FACTU off, nothing due, another sender at work or
a user without the `verifactu.send` permission all pass without a word. What needs a
person is said: a record AEAT rejected (an error notification naming it); a certificate
or password that is missing or unusable (one warning, then the background stops trying,
so a locked keyring is not asked every minute, until a send from the screen or the
palette works); and, on "send now", the summary or why nothing went.

Quitting while a message is on its way is safe: the worker's thread dies with the
process, and the next sender resolves that submission through AEAT's duplicates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.app import App

from ..i18n import _, ngettext
from .base import CrmNode

SEND_EVERY_S = 60.0  # how often the background sender looks at the outbox
FIRST_LOOK_S = 5.0  # after start-up, once the first screen is up


@dataclass(frozen=True)
class SendOutcome:
    """What a run did, as the UI shows it (plain data across the thread boundary)."""

    ran: bool  # False: nothing was attempted (off, not allowed, nothing due)
    reason: str  # why not, when not
    summary: str
    rejections: tuple[str, ...]
    problems: tuple[str, ...]
    notes: tuple[str, ...]
    needs_setup: bool = False  # the certificate or its password is missing or unusable


def run_sender(*, manual: bool) -> SendOutcome:
    """One run of the outbox in this (worker) thread, inside its connection. The background
    run skips quietly what it cannot or need not do; `manual` sends whatever is due and
    explains the rest."""
    from ..services import verifactu_sender as sender
    from ..services.permissions import can

    if not sender.enabled():
        return SendOutcome(False, _("VERI*FACTU is off (verifactu.enabled)."), "", (), (), ())
    if not can("verifactu.send"):
        return SendOutcome(
            False, _("You may not send VERI*FACTU records; ask an admin."), "", (), (), ()
        )
    if not sender.pending_count():
        return SendOutcome(False, _("Nothing is waiting to be sent to AEAT."), "", (), (), ())
    if not manual and sender.next_send_at() is not None:  # AEAT asked us to wait until then
        return SendOutcome(False, "", "", (), (), ())
    report = sender.send_pending()
    return SendOutcome(
        True,
        "",
        report.summary(),
        tuple(report.rejections),
        tuple(report.problems),
        tuple(report.notes),
        report.needs_setup,
    )


class VerifactuSending(CrmNode, App[None]):
    """Mixed into CrmApp: the background sender's timer, and `send_verifactu_now()`."""

    _verifactu_running = False
    _verifactu_then: Callable[[], None] | None = None
    # Set when the background run found the certificate or its password missing: it stops
    # asking the keyring every minute (a locked keyring would prompt each time) until a
    # send from the screen or the palette works again.
    _verifactu_paused = False

    def start_verifactu_sender(self) -> None:
        """Look at the outbox shortly after start-up, then every minute."""
        self.set_timer(FIRST_LOOK_S, self._verifactu_tick)
        self.set_interval(SEND_EVERY_S, self._verifactu_tick)

    def _verifactu_tick(self) -> None:
        if not self._verifactu_paused:
            self._start_verifactu_run(manual=False)

    def send_verifactu_now(self, then: Callable[[], None] | None = None) -> None:
        """Send what is pending now (the VERI*FACTU screen's key and the palette's entry);
        `then` runs on the UI thread once the run is over."""
        if self._verifactu_running:
            self.notify(_("VERI*FACTU records are being sent already."))
            return
        self.notify(_("Sending VERI*FACTU records to AEAT…"))
        self._verifactu_then = then
        self._start_verifactu_run(manual=True)

    def _start_verifactu_run(self, *, manual: bool) -> None:
        if self._verifactu_running:
            return
        self._verifactu_running = True

        def failed(exc: Exception) -> bool:  # the database is busy or gone: said, no crash
            self._verifactu_done(SendOutcome(True, "", "", (), (str(exc),), ()), manual)
            return True

        self.run_service(
            lambda: run_sender(manual=manual),
            lambda outcome: self._verifactu_done(outcome, manual),
            refused=failed,
            group="verifactu-send",
        )

    def _verifactu_done(self, outcome: SendOutcome, manual: bool) -> None:
        from .safe_text import lines

        self._verifactu_running = False

        def notify(text: str, **options) -> None:
            # AEAT's words and invoice numbers are data: shown literally, never as markup.
            self.notify(lines(text), markup=False, **options)

        if outcome.rejections:
            count = len(outcome.rejections)
            notify(
                ngettext(
                    "AEAT rejected {n} VERI*FACTU record; correct it:",
                    "AEAT rejected {n} VERI*FACTU records; correct them:",
                    count,
                ).format(n=count)
                + "\n"
                + "\n".join(outcome.rejections[:5]),
                severity="error",
                timeout=30,
            )
        if outcome.needs_setup and not self._verifactu_paused and not manual:
            self._verifactu_paused = True
            notify(
                _("VERI*FACTU records are not being sent: {reason}").format(
                    reason=outcome.problems[0] if outcome.problems else ""
                ),
                severity="warning",
                timeout=20,
            )
        if manual and outcome.ran and not outcome.needs_setup:
            self._verifactu_paused = False
        if not manual:
            return  # the background stays quiet about the rest (offline is normal)
        then, self._verifactu_then = self._verifactu_then, None
        if not outcome.ran:
            notify(outcome.reason or _("Nothing is due yet."))
        else:
            extra = [*outcome.problems, *outcome.notes][:3]
            notify(
                "\n".join([outcome.summary, *extra]),
                severity="warning" if outcome.problems else "information",
                timeout=15,
            )
        if then is not None:
            then()
