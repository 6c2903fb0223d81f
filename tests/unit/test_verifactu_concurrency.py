"""The VERI*FACTU chain with several processes writing one database at once, as colleagues on
one server do: one chain per issuer, gapless and unforked, in the order invoices were
numbered; and a property test over random issues, rectifications and voids from several
processes after which the whole chain verifies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from invoicing_support import make_client, set_issuer

from tui_crm import db as db_module
from tui_crm.config import DatabaseTarget
from tui_crm.db import execute
from tui_crm.models import Invoice, VerifactuRecord
from tui_crm.services import settings, verifactu
from tui_crm.services.startup import open_for_use

pytestmark = pytest.mark.slow

WORKER = textwrap.dedent(
    """
    import json, sys
    from decimal import Decimal
    from tui_crm.config import DatabaseTarget
    from tui_crm.services.startup import open_for_use
    from tui_crm.services import invoices, verifactu
    from tui_crm.services.errors import ServiceError
    from tui_crm.services.lines import LineInput

    path, client_id, plan = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
    open_for_use(DatabaseTarget(path))
    mine = []
    for op in plan:
        try:
            if op[0] == "issue":
                draft = invoices.create_draft(invoices.InvoiceDraftInput(
                    client_id=client_id,
                    lines=[LineInput("Trabajo", Decimal(1), Decimal(op[1]))],
                ))
                mine.append(invoices.issue_invoice(draft).id)
            elif op[0] == "rectify" and mine:
                original = mine[op[1] % len(mine)]
                mode = "difference" if op[2] else "replacement"
                draft = invoices.create_rectifying_draft(original, mode, "Corrección")
                mine.append(invoices.issue_invoice(draft).id)
            elif op[0] == "void" and mine:
                verifactu.void_invoice(mine[op[1] % len(mine)], "Emitida por error")
        except ServiceError as exc:
            print("refused:", exc, file=sys.stderr)
    print(json.dumps(mine))
    """
)


def _spawn(path: Path, client_id: int, plan: list) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, str(path), str(client_id), json.dumps(plan)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )


def _run(path: Path, client_id: int, plans: list[list]) -> list[int]:
    procs = [_spawn(path, client_id, plan) for plan in plans]
    made: list[int] = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        assert "locked" not in err.lower() and "Traceback" not in err, err
        made.extend(json.loads(out.strip().splitlines()[-1]))
    return made


def _assert_sound_chain() -> list[VerifactuRecord]:
    findings = verifactu.verify_chain()
    chain = list(VerifactuRecord.select().order_by(VerifactuRecord.sequence))
    # one "ok" line for a sound chain; nothing at all to say when every operation was refused
    expected = ["ok"] if chain else []
    assert [f.level for f in findings] == expected, [f.message for f in findings]
    if not chain:
        heads = execute("SELECT last_sequence FROM verifactu_chain").fetchall()
        assert all(h[0] == 0 for h in heads)
        return chain
    assert [r.sequence for r in chain] == list(range(1, len(chain) + 1))
    assert [r.previous_hash for r in chain] == ["", *[r.hash for r in chain[:-1]]]
    assert len({r.hash for r in chain}) == len(chain)
    head = execute("SELECT last_sequence, last_hash FROM verifactu_chain").fetchall()
    assert [tuple(h) for h in head] == [(len(chain), chain[-1].hash if chain else "")]
    times = [r.generated_at for r in chain]
    assert times == sorted(times)  # generated one after another, never back in time
    return chain


def test_four_processes_issuing_at_once_make_one_gapless_chain(db) -> None:
    set_issuer()
    settings.set_value("verifactu.enabled", "yes")
    client_id = make_client()
    plans = [[("issue", f"{w + 1}.{n:02d}") for n in range(25)] for w in range(4)]
    made = _run(db.path, client_id, plans)
    assert len(made) == 100
    chain = _assert_sound_chain()
    assert len(chain) == 100
    # The chain follows the numbering: the record is made in the transaction that numbers.
    numbers = [Invoice.get_by_id(r.invoice_id).number for r in chain]
    assert numbers == list(range(1, 101))
    assert {r.invoice_id for r in chain} == set(made)


OPS = st.one_of(
    st.tuples(st.just("issue"), st.sampled_from(["10.00", "99.99", "1234.56", "0.10"])),
    st.tuples(st.just("rectify"), st.integers(0, 20), st.booleans()),
    st.tuples(st.just("void"), st.integers(0, 20)),
)


@hsettings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plans=st.lists(st.lists(OPS, min_size=1, max_size=8), min_size=2, max_size=3))
def test_random_issues_rectifications_and_voids_from_several_processes(
    plans, app_env, tmp_path_factory
) -> None:
    path = tmp_path_factory.mktemp("vf") / "crm.sqlite3"
    open_for_use(DatabaseTarget(str(path)))
    try:
        set_issuer()
        settings.set_value("verifactu.enabled", "yes")
        client_id = make_client()
        _run(path, client_id, [[list(op) for op in plan] for plan in plans])
        chain = _assert_sound_chain()
        issued = list(Invoice.select().where(Invoice.status != "draft"))
        by_invoice: dict[int, list[VerifactuRecord]] = {}
        for record in chain:
            by_invoice.setdefault(record.invoice_id, []).append(record)
        # Every issued invoice has its alta first; a voided one ends with its anulación.
        assert set(by_invoice) == {i.id for i in issued}
        for invoice in issued:
            kinds = [r.record_type for r in by_invoice[invoice.id]]
            assert kinds[0] == "alta"
            expected = ["alta", "anulacion"] if invoice.status == "voided" else ["alta"]
            assert kinds == expected
        voided = [i for i in issued if i.status == "voided"]
        assert all(i.outstanding == 0 for i in voided)
        owed = sum(i.outstanding for i in issued if i.status != "voided")
        client_owes = execute("SELECT outstanding_cents FROM client WHERE id = ?", (client_id,))
        assert client_owes.fetchone()[0] == int(owed * 100)
    finally:
        db_module.close_database()
