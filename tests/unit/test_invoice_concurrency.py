"""Several processes writing to one database file at once, as colleagues on one server do:
invoice numbers stay gapless and unique, no "database is locked" reaches anyone, and two cron
runs of the recurring invoices at the same moment create each period once."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap

import pytest
from invoicing_support import D, line, make_client, set_issuer

from tui_crm.db import execute
from tui_crm.services import recurring

pytestmark = pytest.mark.slow

WRITERS = 4
INVOICES_EACH = 25

ISSUER_SCRIPT = textwrap.dedent(
    """
    import sys
    from decimal import Decimal
    from tui_crm.config import DatabaseTarget
    from tui_crm.services.startup import open_for_use
    from tui_crm.services import invoices
    from tui_crm.services.lines import LineInput

    path, client_id, count, worker = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    open_for_use(DatabaseTarget(path))
    for n in range(count):
        draft = invoices.create_draft(invoices.InvoiceDraftInput(
            client_id=client_id,
            lines=[LineInput(f"Trabajo {worker}-{n}", Decimal(1), Decimal("10.00"))],
        ))
        print(invoices.issue_invoice(draft).code, flush=True)
    """
)

RECURRING_SCRIPT = textwrap.dedent(
    """
    import datetime, sys
    from tui_crm.config import DatabaseTarget
    from tui_crm.services.startup import open_for_use
    from tui_crm.services import recurring

    open_for_use(DatabaseTarget(sys.argv[1]))
    run = recurring.run_recurring(datetime.date.fromisoformat(sys.argv[2]))
    print(len(run.created), len(run.problems))
    """
)


def _spawn(script: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *(str(a) for a in args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )


def test_concurrent_writers_get_gapless_unique_numbers(db) -> None:
    set_issuer()
    client_id = make_client()
    procs = [_spawn(ISSUER_SCRIPT, db.path, client_id, INVOICES_EACH, w) for w in range(WRITERS)]
    codes: list[str] = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert "locked" not in err.lower()
        codes.extend(out.split())
    total = WRITERS * INVOICES_EACH
    year = dt.date.today().year
    assert len(codes) == total and len(set(codes)) == total
    assert sorted(codes) == [f"F{year}-{n:05d}" for n in range(1, total + 1)]
    numbers = [r[0] for r in execute("SELECT number FROM invoice ORDER BY number")]
    assert numbers == list(range(1, total + 1))
    assert (
        execute(
            "SELECT last_number FROM series_counter WHERE series = 'F' AND year = ?", (year,)
        ).fetchone()[0]
        == total
    )
    assert execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    outstanding = execute("SELECT outstanding_cents FROM client WHERE id = ?", (client_id,))
    assert outstanding.fetchone()[0] == total * 1210


def test_two_recurring_runs_at_once_create_each_period_once(db) -> None:
    set_issuer()
    client_id = make_client()
    for _ in range(5):
        recurring.create_recurring(
            recurring.RecurringInput(
                client_id=client_id,
                title="Cuota",
                next_date=dt.date(2025, 1, 1),
                issue_directly=True,
                lines=[line("Cuota mensual", price="30")],
            )
        )
    procs = [_spawn(RECURRING_SCRIPT, db.path, "2025-12-31") for _ in range(3)]
    created = 0
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        made, problems = map(int, out.split())
        assert problems == 0
        created += made
    assert created == 5 * 12
    rows = execute(
        "SELECT COUNT(*), COUNT(DISTINCT recurring_id || '/' || recurring_date), MAX(number) "
        "FROM invoice"
    ).fetchone()
    assert rows == (60, 60, 60)
    assert D(execute("SELECT SUM(total_cents) FROM invoice").fetchone()[0]) == 60 * 3630
