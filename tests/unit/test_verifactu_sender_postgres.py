"""The VERI*FACTU sender on PostgreSQL: one sender at a time through a session advisory lock
(another process finds it taken), and a sender killed mid-batch leaves a submission the
next one resolves, nothing lost, nothing registered twice. Against the AEAT stand-in."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys

import pytest
from aeat_standin import Behaviour, wait_until
from smtp_support import FileKeyring, keyring_env

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("postgres")]

TODAY = dt.date.today()


def _send_process(url, env):
    return subprocess.Popen(
        [sys.executable, "-m", "tui_crm", "--db", url, "verifactu", "send"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_one_sender_at_a_time_and_a_killed_one_resolved_on_postgresql(
    pg_url,
    app_env,
    aeat,
    aeat_pki,
    tmp_path,
    monkeypatch,
):
    import keyring

    from tests.invoicing_support import issued, make_client, set_issuer
    from tui_crm.config import DatabaseTarget
    from tui_crm.db import close_database
    from tui_crm.models import VerifactuRecord, VerifactuSubmission
    from tui_crm.services import secrets, settings
    from tui_crm.services import verifactu_sender as sender
    from tui_crm.services.startup import open_for_use

    shared = keyring_env(tmp_path)
    for name, value in shared.items():
        monkeypatch.setenv(name, value)
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    env = {**app_env.vars, **shared, "SSL_CERT_FILE": str(aeat_pki.ca_file)}
    open_for_use(DatabaseTarget(pg_url))
    try:
        set_issuer()
        settings.set_many(
            {
                "verifactu.enabled": "yes",
                "verifactu.endpoint": aeat.url,
                "verifactu.certificate": str(aeat_pki.client_p12),
            }
        )
        secrets.set_verifactu_password(aeat_pki.password)
        client = make_client("Envíos SL", "B60889649")
        aeat.wait_seconds = 0
        codes = [issued(client, TODAY).code for _ in range(3)]
        numbers = set(codes)

        def mine(counter):
            return {key: n for key, n in counter.items() if key[0][1] in numbers}

        # Another process is sending (AEAT is slow to answer): this one finds the lock taken.
        aeat.script.append(Behaviour("late", delay=3))
        process = _send_process(pg_url, env)
        assert wait_until(aeat.arrived.is_set, timeout=60)
        busy = sender.send_pending(cafile=str(aeat_pki.ca_file))
        assert busy.busy and busy.sent == 0
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        assert out.strip() == "sent 3, accepted 3, with errors 0, rejected 0, pending 0"
        assert set(mine(aeat.received_count()).values()) == {1}

        # A sender killed while AEAT holds its message: the advisory lock goes with its
        # session, and the next sender asks AEAT what it holds: nothing is sent again.
        more = [issued(client, TODAY).code for _ in range(2)]
        numbers |= set(more)
        aeat.arrived.clear()
        aeat.script.append(Behaviour("late", delay=60))
        process = _send_process(pg_url, env)
        assert wait_until(aeat.arrived.is_set, timeout=60)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        (dead,) = VerifactuSubmission.select().where(VerifactuSubmission.outcome == "sending")
        report = sender.send_pending(cafile=str(aeat_pki.ca_file))
        assert not report.busy and report.in_doubt == 2
        assert (report.sent, report.accepted, report.confirmed, report.pending) == (0, 2, 2, 0)
        assert VerifactuSubmission.get_by_id(dead.id).outcome == "in_doubt"
        statuses = {
            r.invoice_number: r.status
            for r in VerifactuRecord.select().where(VerifactuRecord.invoice_number.in_(numbers))
        }
        assert statuses == dict.fromkeys(numbers, "accepted")
        assert set(mine(aeat.registered_count()).values()) == {1}
        assert set(mine(aeat.received_count()).values()) == {1}  # none sent twice
    finally:
        close_database()
        keyring.set_keyring(previous)
