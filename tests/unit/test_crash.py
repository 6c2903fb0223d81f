"""A process killed (SIGKILL) mid-import or mid-issue leaves a sound database:
the import entirely absent, no invoice number lost or duplicated."""

from __future__ import annotations

import csv
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from bench.stress import _dni, prepare

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("crash")]

ISSUER = textwrap.dedent(
    """
    import datetime as dt, sys
    from decimal import Decimal
    from tui_crm.config import DatabaseTarget
    from tui_crm.services.startup import open_for_use
    from tui_crm.services import invoices
    from tui_crm.services.lines import LineInput
    open_for_use(DatabaseTarget(sys.argv[1]))
    client = int(sys.argv[2])
    print("ready", flush=True)
    while True:
        draft = invoices.create_draft(invoices.InvoiceDraftInput(
            client_id=client,
            lines=[LineInput(description="Horas", quantity=Decimal(3), unit_price=Decimal("45.5"))],
        ))
        invoices.issue_invoice(draft, dt.date.today())
    """
)


def _integrity(path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def test_killed_mid_import_leaves_nothing_behind(tmp_path, cli, app_env):
    from tui_crm.db import close_database

    db = tmp_path / "crm.sqlite3"
    prepare(db, clients=3)
    close_database()
    big = tmp_path / "clientes.csv"
    with big.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(["Razón social", "NIF", "Email", "Teléfono", "Población"])
        for n in range(60_000):
            number = 20_000_000 + n
            writer.writerow(
                [f"Cliente Importado {n}", _dni(number), f"i{n}@example.es", "600000000", "Jaén"]
            )
    before = sqlite3.connect(db).execute("SELECT COUNT(*) FROM client").fetchone()[0]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_crm", "--db", str(db), "import", "clients", str(big)],
        env=app_env.vars,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(2.0)
    assert proc.poll() is None, "the import finished before it could be killed: make it bigger"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert _integrity(db) == "ok"
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM client").fetchone()[0] == before
    assert conn.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'import'").fetchone()[0] == 0
    conn.close()
    # and the database works afterwards
    result = cli("--db", db, "report", "clients", "--format", "csv")
    assert result.returncode == 0
    assert len(result.stdout.strip().splitlines()) == before + 1


@pytest.mark.parametrize("kill_after", [0.7, 1.3, 2.1])
def test_killed_while_issuing_loses_no_number(tmp_path, app_env, kill_after):
    from tui_crm.config import DatabaseTarget
    from tui_crm.db import close_database
    from tui_crm.services import invoices
    from tui_crm.services.lines import LineInput
    from tui_crm.services.startup import open_for_use

    db = tmp_path / "crm.sqlite3"
    prepare(db, clients=1)
    close_database()
    client = sqlite3.connect(db).execute("SELECT MIN(id) FROM client").fetchone()[0]
    proc = subprocess.Popen(
        [sys.executable, "-c", ISSUER, str(db), str(client)],
        env=app_env.vars,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(kill_after)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert _integrity(db) == "ok"
    conn = sqlite3.connect(db)
    numbers = [r[0] for r in conn.execute("SELECT number FROM invoice WHERE number IS NOT NULL")]
    counter = conn.execute("SELECT MAX(last_number) FROM series_counter").fetchone()[0]
    conn.close()
    assert numbers, "nothing was issued before the kill"
    assert sorted(numbers) == list(range(1, len(numbers) + 1))
    assert counter == len(numbers)
    # the next invoice continues right after the last one
    open_for_use(DatabaseTarget(str(db)))
    try:
        draft = invoices.create_draft(
            invoices.InvoiceDraftInput(client_id=client, lines=[LineInput(description="x")])
        )
        issued = invoices.issue_invoice(draft)
        assert issued.number == len(numbers) + 1
    finally:
        close_database()
