"""Six processes at once on one database file: nothing lost, nothing locked, numbers gapless.

The long version runs in `make bench` (bench/stress.py) with the operations per second.
"""

from __future__ import annotations

import pytest

from bench.stress import KINDS, run_stress

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("stress")]


def test_mixed_work_from_six_processes(tmp_path, app_env):
    from tui_crm.db import close_database

    result = run_stress(tmp_path / "stress.sqlite3", seconds=4, env=app_env.vars)
    close_database()
    assert result.problems == []
    assert len(result.outcomes) == len(KINDS) >= 6
    for outcome in result.outcomes:
        assert outcome.done > 0, f"{outcome.kind} did nothing: {outcome}"
    assert sum(o.imported for o in result.outcomes) > 0


def test_the_checks_catch_gaps_and_lost_updates(tmp_path, app_env):
    import sqlite3

    from bench.stress import Outcome, check, prepare
    from tui_crm.db import close_database

    path = tmp_path / "broken.sqlite3"
    prepare(path, clients=2)
    close_database()
    conn = sqlite3.connect(path)
    client_id = conn.execute("SELECT MIN(id) FROM client").fetchone()[0]
    for number in (1, 3):  # number 2 is missing
        conn.execute(
            "INSERT INTO invoice (kind, status, series, year, number, code, client_id, "
            "base_cents, vat_cents, recargo_cents, irpf_rate_bp, irpf_cents, total_cents, "
            "cost_cents, paid_cents, outstanding_cents, exemption_reason, version, created_at, "
            "updated_at, updated_by, rectification_reason, rectification_mode, payment_terms, "
            "notes, imported, client_name, client_tax_id, client_address, issuer_name, "
            "issuer_tax_id, issuer_address, created_by, issued_by) VALUES ('standard', 'issued', "
            "'F', 2026, ?, ?, ?, 100, 21, 0, 0, 0, 121, 0, 0, 121, '', 1, '2026-01-01', "
            "'2026-01-01', 'x', '', '', '', '', 0, 'c', 'x', '', 'i', 'x', '', 'x', 'x')",
            (number, f"F2026-{number}", client_id),
        )
    conn.commit()
    conn.close()
    outcomes = [
        Outcome(kind="issue", done=2),
        Outcome(kind="edit", done=1, tags=[[client_id, "edit-0-0"]]),
    ]
    problems = check(path, outcomes)
    assert any("numbering of F2026" in p for p in problems)
    assert any("lost update: edit-0-0" in p for p in problems)
