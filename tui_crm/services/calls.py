"""One service call from the TUI's worker threads: inside its own database connection, a
failure said in the words a person reads.

The TUI's worker helper (`ui/base.py`) and its table sources (`ui/widgets/sources.py`)
call `run_call`; nothing in the ui opens a connection or imports `tui_crm.db` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ..i18n import _

R = TypeVar("R")


def run_call(call: Callable[[], R], *, snapshot: bool = False) -> R:
    """`call()` inside a connection of this (worker) thread; with `snapshot`, inside one
    read-only transaction too, so a long report reads one consistent state."""
    from ..db import database, read_snapshot

    with database.connection_context():
        if not snapshot:
            return call()
        with read_snapshot():
            return call()


def failure_text(exc: BaseException) -> str:
    """What a person reads when a call failed: a refusal's own line (a ServiceError, a
    write on a read-only database), or "Could not do it: …" naming the machine's fault
    (the disk is full, permission denied) when there is one."""
    from ..db import ReadOnlyDatabase
    from .errors import ServiceError

    if isinstance(exc, ServiceError | ReadOnlyDatabase):
        return str(exc)
    return _("Could not do it: {error}").format(error=fault_text(exc))


def fault_text(exc: BaseException) -> str:
    """The machine's fault behind `exc` in words ("the disk is full"), else its own text."""
    from ..db import describe_fault

    return describe_fault(exc) or str(exc)
