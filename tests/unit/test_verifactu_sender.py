"""The VERI*FACTU outbox against the local AEAT stand-in (mutual TLS, schema-checked): real
invoices issued on a real SQLite file, their records sent, AEAT's answers stored.

The stand-in remembers every record it received and registered: the proof that nothing is
lost and nothing is registered twice. Processes are real: `verifactu send` runs as a
subprocess to be killed mid-batch and to race another one."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading

import pytest
from aeat_standin import BAD_HASH, FUTURE_DATE, HEADER_FAULT, Behaviour, wait_until
from invoicing_support import issued, make_client, set_issuer
from people import ME
from smtp_support import FileKeyring, keyring_env

from tui_crm.models import AuditLog, VerifactuChain, VerifactuRecord, VerifactuSubmission
from tui_crm.models.base import utcnow
from tui_crm.services import secrets, settings
from tui_crm.services import verifactu_sender as sender
from tui_crm.services.errors import PermissionDenied

TODAY = dt.date.today()
NIF = "B12345674"  # the issuer of invoicing_support


@pytest.fixture
def outbox(db, aeat, aeat_pki, tmp_path, monkeypatch):
    """A business with VERI*FACTU on (test environment at the stand-in), the certificate's
    password in a keyring shared with subprocesses, and one client."""
    import keyring

    env = keyring_env(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    set_issuer()
    settings.set_many(
        {
            "verifactu.enabled": "yes",
            "verifactu.environment": "test",
            "verifactu.endpoint": aeat.url,
            "verifactu.certificate": str(aeat_pki.client_p12),
        }
    )
    secrets.set_verifactu_password(aeat_pki.password)
    client = make_client()
    yield Outbox(db, aeat, aeat_pki, client, env)
    keyring.set_keyring(previous)


class Outbox:
    def __init__(self, db, aeat, pki, client, env):
        self.db, self.aeat, self.pki, self.client, self.env = db, aeat, pki, client, env

    def issue(self, n: int) -> list[str]:
        return [issued(self.client, TODAY).code for _ in range(n)]

    def send(self, **kw) -> sender.SendReport:
        return sender.send_pending(cafile=str(self.pki.ca_file), **kw)

    def allow_next_send(self) -> None:
        """Let the flow control's wait pass (as if TiempoEsperaEnvio had elapsed)."""
        VerifactuChain.update(next_send_at=utcnow() - dt.timedelta(seconds=1)).execute()


def _records() -> dict[str, VerifactuRecord]:
    return {r.invoice_number: r for r in VerifactuRecord.select().order_by(VerifactuRecord.id)}


def _key(code: str) -> tuple:
    return ((NIF, code, TODAY.strftime("%d-%m-%Y")), "Alta")


def test_all_correct(outbox):
    codes = outbox.issue(3)
    assert sender.pending_count() == 3
    started = utcnow()
    report = outbox.send()
    assert (report.sent, report.accepted, report.with_errors, report.rejected) == (3, 3, 0, 0)
    assert report.pending == 0 and not report.problems
    (submission,) = VerifactuSubmission.select()
    assert submission.outcome == "Correcto" and len(submission.csv) == 16
    assert submission.record_count == 3 and submission.wait_seconds == 60
    assert submission.issuer_nif == NIF and submission.endpoint == outbox.aeat.url
    assert submission.response.encode() == outbox.aeat.answered[0]
    for code, record in _records().items():
        assert code in codes
        assert record.status == "accepted" and record.csv == submission.csv
        assert record.submission_id == submission.id and record.attempts == 1
        assert record.error_code == "" and record.error == ""
    # Chain order in the message, every record once, the message valid (no fault).
    assert [r.key[1] for r in outbox.aeat.received] == codes
    assert outbox.aeat.invalid == []
    # Flow control: the next message waits AEAT's 60 s from this send.
    chain = VerifactuChain.get_by_id(NIF)
    assert started + dt.timedelta(seconds=59) <= chain.next_send_at
    assert chain.next_send_at <= utcnow() + dt.timedelta(seconds=60)
    audit = AuditLog.get(AuditLog.entity == "verifactu_submission")
    assert audit.action == "send" and "3 accepted" in audit.summary and audit.user == ME
    assert "accepted 3" in report.summary() and "pending 0" in report.summary()


def test_accepted_with_errors_and_rejected_are_kept_per_record(outbox):
    codes = outbox.issue(4)
    outbox.aeat.outcomes[codes[1]] = ("AceptadoConErrores", *BAD_HASH)
    outbox.aeat.outcomes[codes[2]] = ("Incorrecto", *FUTURE_DATE)
    report = outbox.send()
    assert (report.sent, report.accepted, report.with_errors, report.rejected) == (4, 2, 1, 1)
    records = _records()
    assert [records[c].status for c in codes] == [
        "accepted",
        "accepted_with_errors",
        "rejected",
        "accepted",
    ]
    with_errors, rejected = records[codes[1]], records[codes[2]]
    assert (with_errors.error_code, with_errors.error) == ("2000", BAD_HASH[1])
    assert with_errors.csv == VerifactuSubmission.get().csv  # registered: the CSV applies
    assert (rejected.error_code, rejected.error, rejected.csv) == ("1112", FUTURE_DATE[1], "")
    assert report.rejections == [f"{codes[2]}: [1112] {FUTURE_DATE[1]}"]
    assert VerifactuSubmission.get().outcome == "ParcialmenteCorrecto"
    # A rejected record is not sent again (its correction is a new record).
    outbox.allow_next_send()
    again = outbox.send()
    assert again.sent == 0 and len(outbox.aeat.requests) == 1


def test_soap_fault_keeps_everything_pending_for_the_next_run(outbox):
    codes = outbox.issue(2)
    outbox.aeat.script.append(Behaviour("fault", fault_code="Client", fault_string=HEADER_FAULT))
    report = outbox.send()
    assert report.sent == 0 and report.pending == 2
    assert report.problems and "4104" in report.problems[0]
    submission = VerifactuSubmission.get()
    assert submission.outcome == "fault" and "4104" in submission.error
    assert submission.finished_at is not None
    assert {r.status for r in _records().values()} == {"pending"}
    assert AuditLog.get(AuditLog.entity == "verifactu_submission").action == "send_failed"
    # Not before the flow control allows (counted from the failed send too):
    assert outbox.send().sent == 0 and len(outbox.aeat.requests) == 1
    outbox.allow_next_send()
    report = outbox.send()
    assert report.accepted == 2 and report.pending == 0
    assert outbox.aeat.registered_count() == {_key(c): 1 for c in codes}
    assert {r.attempts for r in _records().values()} == {2}


@pytest.mark.parametrize("failure", ["late", "cut"])
def test_answer_lost_on_the_way_back_is_resolved_by_asking_aeat(outbox, failure):
    """The answer was lost after AEAT registered the message: the next run asks AEAT what it
    holds (the query service) and sends nothing again (it used to resend and read AEAT's
    duplicates)."""
    codes = outbox.issue(3)
    outbox.aeat.script.append(Behaviour(failure, delay=3))
    report = outbox.send(timeout=1.0)
    assert report.sent == 0 and report.pending == 3
    submission = VerifactuSubmission.get()
    assert submission.outcome == "in_doubt" and "may have received" in submission.error
    # AEAT did register them; the answer never came back.
    assert outbox.aeat.registered_count() == {_key(c): 1 for c in codes}
    report = outbox.send()  # no need to wait AEAT's TiempoEsperaEnvio to ask
    assert (report.sent, report.accepted, report.rejected, report.confirmed) == (0, 3, 0, 3)
    assert "3 found already at AEAT (not sent again)" in report.summary()
    held = outbox.aeat.registered[(NIF, codes[0], TODAY.strftime("%d-%m-%Y"))]
    for code in codes:
        record = _records()[code]
        assert record.status == "accepted" and record.csv == ""  # that CSV is gone for good
        assert record.error_code == "" and f"IdPeticion {held.request_id}" in record.error
        assert record.submission_id == submission.id  # the message that took it to AEAT
    # Received once, registered once: nothing was sent twice.
    assert outbox.aeat.received_count() == {_key(c): 1 for c in codes}
    assert len(outbox.aeat.submissions()) == 1
    # The query: one, for this month, between the records' issue dates; kept with its answer.
    ((nif, year, month, _number, _exact, since, until, paged),) = outbox.aeat.queries
    assert (nif, year, month) == (NIF, str(TODAY.year), f"{TODAY.month:02d}")
    assert since == until == TODAY.strftime("%d-%m-%Y") and not paged
    asked = VerifactuSubmission.get(VerifactuSubmission.outcome == "query")
    assert asked.record_count == 3 and "RespuestaConsultaFactuSistemaFacturacion" in asked.response
    assert AuditLog.get(AuditLog.action == "query").summary.startswith("Asked AEAT about 3")
    assert outbox.aeat.invalid == []


def test_in_doubt_records_aeat_does_not_hold_are_the_only_ones_sent_again(outbox):
    """A lost answer after AEAT registered part of the message (its answer left one out):
    AEAT is asked, the ones it holds are accepted with its state, only the rest go again."""
    outbox.aeat.wait_seconds = 0
    codes = outbox.issue(3)
    from aeat_standin import BAD_HASH

    outbox.aeat.outcomes[codes[0]] = ("AceptadoConErrores", *BAD_HASH)
    outbox.aeat.script.append(Behaviour("cut"))
    report = outbox.send()
    assert report.sent == 0
    # AEAT lost the third record (as if it never reached its processing).
    del outbox.aeat.registered[(NIF, codes[2], TODAY.strftime("%d-%m-%Y"))]
    outbox.allow_next_send()  # AEAT never answered with its wait: 60 s from the lost send
    report = outbox.send()
    assert (report.confirmed, report.sent, report.accepted, report.with_errors) == (2, 1, 2, 1)
    records = _records()
    assert (records[codes[0]].status, records[codes[0]].error_code) == (
        "accepted_with_errors",
        "2000",
    )
    assert BAD_HASH[1] in records[codes[0]].error and records[codes[0]].csv == ""
    assert records[codes[1]].status == "accepted" and records[codes[1]].csv == ""
    assert records[codes[2]].status == "accepted" and len(records[codes[2]].csv) == 16
    # Sent again: only the third, which AEAT did not hold.
    assert [r.key[1] for r in outbox.aeat.received] == [*codes, codes[2]]
    assert set(outbox.aeat.registered) == {_key(c)[0] for c in codes}


def test_aeat_s_pages_are_followed(outbox):
    outbox.aeat.wait_seconds = 0
    outbox.aeat.query_page_size = 2
    codes = outbox.issue(5)
    outbox.aeat.script.append(Behaviour("cut"))
    outbox.send()
    report = outbox.send()
    assert report.confirmed == 5 and report.sent == 0
    assert [q[-1] for q in outbox.aeat.queries] == [False, True, True]  # three pages
    assert {r.status for r in _records().values()} == {"accepted"}
    assert outbox.aeat.received_count() == {_key(c): 1 for c in codes}


def test_when_aeat_cannot_be_asked_nothing_of_the_issuer_is_sent(outbox):
    outbox.aeat.wait_seconds = 0
    codes = outbox.issue(2)
    outbox.aeat.script.append(Behaviour("cut"))
    outbox.send()
    more = outbox.issue(1)
    outbox.aeat.script.append(Behaviour("fault"))  # the query gets a Server fault
    report = outbox.send()
    assert report.sent == 0 and report.pending == 3
    assert "could not be asked what it holds of 2 records" in report.problems[0]
    assert len(outbox.aeat.submissions()) == 1  # neither the doubtful nor the new one went
    outbox.allow_next_send()  # the lost message's 60 s (AEAT never answered with its own)
    report = outbox.send()  # AEAT answers again
    assert (report.confirmed, report.sent, report.pending) == (2, 1, 0)
    assert outbox.aeat.received_count() == {_key(c): 1 for c in codes + more}


def test_an_in_doubt_alta_of_an_invoice_aeat_holds_under_another_record_is_rejected(outbox):
    """AEAT holds another record of the invoice (not ours: another hash): sending ours again
    would only get a duplicate; it is rejected with AEAT's code at once."""
    from aeat_standin import Registered

    outbox.aeat.wait_seconds = 0
    (code,) = outbox.issue(1)
    outbox.aeat.script.append(Behaviour("hang", delay=3))
    outbox.send(timeout=1.0)
    key = (NIF, code, TODAY.strftime("%d-%m-%Y"))
    outbox.aeat.registered[key] = Registered(
        "Alta", "Correcta", "20260101000000000001", data={"Huella": "A" * 64},
        period=(str(TODAY.year), f"{TODAY.month:02d}"), presented_at="2026-01-01T10:00:00+01:00",
        modified_at="2026-01-01T10:00:00+01:00",
    )  # fmt: skip
    report = outbox.send()
    assert (report.rejected, report.sent, report.confirmed) == (1, 0, 0)
    record = _records()[code]
    assert (record.status, record.error_code) == ("rejected", "3000")
    assert "20260101000000000001" in record.error and "another record" in record.error
    assert len(outbox.aeat.submissions()) == 1


def test_a_record_aeat_s_answer_leaves_out_waits_for_the_next_run(outbox):
    outbox.aeat.wait_seconds = 0
    codes = outbox.issue(3)
    outbox.aeat.script.append(Behaviour("answer", omit=1))
    report = outbox.send()
    assert (report.sent, report.accepted, report.pending) == (2, 2, 1)
    assert report.problems == ["AEAT's answer did not mention 1 record; it goes again"]
    assert "did not mention" in VerifactuSubmission.get().error
    assert _records()[codes[2]].status == "pending"
    report = outbox.send()  # AEAT registered it: asked, it says so; nothing is sent again
    assert (report.sent, report.accepted, report.confirmed, report.pending) == (0, 1, 1, 0)
    assert "already held" in _records()[codes[2]].error
    assert outbox.aeat.received_count() == {_key(c): 1 for c in codes}
    assert outbox.aeat.registered_count() == {_key(c): 1 for c in codes}


def test_a_duplicate_of_a_record_never_sent_is_a_real_rejection(outbox):
    (code,) = outbox.issue(1)
    # AEAT already holds another record with this invoice's identity (another system).
    from aeat_standin import Registered

    outbox.aeat.registered[(NIF, code, TODAY.strftime("%d-%m-%Y"))] = Registered(
        "Alta", "Correcta", "20260101000000000001"
    )
    report = outbox.send()
    assert report.rejected == 1
    record = _records()[code]
    assert (record.status, record.error_code) == ("rejected", "3000")


def test_longer_wait_and_a_full_batch(outbox):
    outbox.aeat.wait_seconds = 120
    outbox.issue(2)
    started = utcnow()
    assert outbox.send().accepted == 2
    assert VerifactuSubmission.get().wait_seconds == 120
    due = VerifactuChain.get_by_id(NIF).next_send_at
    assert started + dt.timedelta(seconds=119) <= due <= utcnow() + dt.timedelta(seconds=120)
    outbox.issue(2)
    report = outbox.send(max_batch=3)
    assert report.sent == 0 and report.pending == 2
    assert report.next_send_at == due
    assert any(sender.local_time(due) in note for note in report.notes)
    assert sender.local_time(due) in report.summary()
    assert len(outbox.aeat.requests) == 1
    # As many records waiting as a message holds: they may go at once (Orden art. 16.2 c).
    outbox.issue(1)
    report = outbox.send(max_batch=3)
    assert report.sent == 3 and report.pending == 0
    assert len(outbox.aeat.requests) == 2


def test_batches_of_at_most_max_batch_in_chain_order(outbox):
    outbox.aeat.wait_seconds = 0
    codes = outbox.issue(7)
    report = outbox.send(max_batch=3)
    assert report.sent == 7 and len(report.submissions) == 3
    sizes = [VerifactuSubmission.get_by_id(s).record_count for s in report.submissions]
    assert sizes == [3, 3, 1]
    assert [r.key[1] for r in outbox.aeat.received] == codes


def test_offline_nothing_is_lost(outbox):
    codes = outbox.issue(2)
    outbox.aeat.stop()
    report = outbox.send(connect_timeout=2)
    assert report.sent == 0 and report.pending == 2 and report.problems
    assert VerifactuSubmission.get().outcome == "error"
    assert {r.status for r in _records().values()} == {"pending"}
    assert set(_records()) == set(codes)


def test_not_configured_sends_nothing_and_says_why(outbox):
    outbox.issue(1)
    secrets.delete_verifactu_password()
    report = outbox.send()
    assert report.sent == 0 and "secrets set verifactu" in report.problems[0]
    assert VerifactuSubmission.select().count() == 0  # nothing claimed
    assert outbox.aeat.requests == []


def test_only_who_may_send_does(outbox):
    from tui_crm.services.session import Actor, actor, set_actor

    outbox.issue(1)
    me = actor()
    set_actor(Actor("luis", "sales"))
    try:
        with pytest.raises(PermissionDenied, match="send VERI"):
            outbox.send()
    finally:
        set_actor(me)
    assert VerifactuSubmission.select().count() == 0 and outbox.aeat.requests == []


def test_two_threads_of_one_process_never_send_together(outbox):
    outbox.issue(2)
    outbox.aeat.script.append(Behaviour("late", delay=1.5))
    results = []

    def run():
        from tui_crm.db import connection

        with connection():
            results.append(outbox.send())

    first = threading.Thread(target=run)
    first.start()
    assert wait_until(outbox.aeat.arrived.is_set)
    run()
    first.join()
    busy = [r for r in results if r.busy]
    assert len(busy) == 1 and busy[0].sent == 0
    assert outbox.aeat.received_count() == {_key(r): 1 for r in _records()}


# --- real processes ------------------------------------------------------------------


def _send_process(outbox, *extra, env=None):
    """`tui-crm verifactu send` as cron runs it: the stand-in's CA only through SSL_CERT_FILE."""
    environment = {
        **os.environ,
        **outbox.env,
        "SSL_CERT_FILE": str(outbox.pki.ca_file),
        **(env or {}),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tui_crm", "--db", str(outbox.db), "verifactu", "send", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )


@pytest.mark.parametrize("arrived", [True, False], ids=["registered", "never-registered"])
def test_sender_killed_mid_batch_loses_nothing_and_sends_nothing_twice(outbox, arrived):
    """Killed while AEAT held its message: the next sender asks AEAT what it holds, and sends
    again only what AEAT never registered. Every record reaches AEAT exactly once."""
    outbox.aeat.wait_seconds = 0
    first = outbox.issue(2)
    assert outbox.send().accepted == 2  # AEAT's wait is now 0 s
    batch = outbox.issue(3)
    # AEAT registers the message and answers late, or holds it without registering it.
    outbox.aeat.script.append(Behaviour("late" if arrived else "hang", delay=60))
    process = _send_process(outbox)
    try:
        assert wait_until(lambda: len(outbox.aeat.requests) == 2, timeout=60)
        assert wait_until(outbox.aeat.arrived.is_set)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
    # The killed sender's claim is in the database; nothing was answered.
    (dead,) = VerifactuSubmission.select().where(VerifactuSubmission.outcome == "sending")
    assert dead.record_count == 3
    assert {_records()[c].status for c in batch} == {"pending"}
    report = outbox.send()
    assert report.in_doubt == 3 and len(outbox.aeat.queries) == 1
    assert (report.confirmed, report.sent) == ((3, 0) if arrived else (0, 3))
    assert (report.accepted, report.rejected, report.pending) == (3, 0, 0)
    assert VerifactuSubmission.get_by_id(dead.id).outcome == "in_doubt"
    for code in first + batch:
        assert _records()[code].status == "accepted"
    for code in batch:
        record = _records()[code]
        assert record.attempts == (1 if arrived else 2)
        assert record.error_code == ""
        assert (record.csv == "") == arrived
        assert ("already held" in record.error) == arrived
    assert outbox.aeat.registered_count() == {_key(c): 1 for c in first + batch}
    # Nothing twice: each record reached AEAT once (the killed sender's, or the resend).
    assert outbox.aeat.received_count() == {_key(c): 1 for c in first + batch}


def test_two_sender_processes_at_once_send_each_record_once(outbox):
    outbox.aeat.wait_seconds = 0
    codes = outbox.issue(5)
    outbox.aeat.script.append(Behaviour("late", delay=2))
    processes = [_send_process(outbox) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    summaries = sorted(out.strip() for out, _err in outputs)
    assert summaries[0].startswith("sent 0, accepted 0, with errors 0, rejected 0, pending 5")
    assert summaries[1] == "sent 5, accepted 5, with errors 0, rejected 0, pending 0"
    assert sum("another tui-crm is sending" in err for _out, err in outputs) == 1
    assert outbox.aeat.received_count() == {_key(c): 1 for c in codes}
    assert {r.status for r in _records().values()} == {"accepted"}


def test_without_an_os_lock_a_young_claim_is_respected_and_an_old_one_resolved(outbox, monkeypatch):
    """Where no lock file can be used (Windows), a submission another sender claimed is
    left alone until it is older than any send can take (the lease)."""
    monkeypatch.setattr(sender, "fcntl", None)
    outbox.aeat.wait_seconds = 0
    codes = outbox.issue(3)
    # Another machine's sender claimed the first two a moment ago and is waiting for AEAT.
    other = VerifactuSubmission.create(
        issuer_nif=NIF, environment="test", started_at=utcnow(), record_count=2, outcome="sending"
    )
    claimed = [r.id for r in VerifactuRecord.select().order_by(VerifactuRecord.sequence)][:2]
    VerifactuRecord.update(submission=other.id, attempts=1).where(
        VerifactuRecord.id.in_(claimed)
    ).execute()
    report = outbox.send()
    assert report.in_doubt == 0 and report.sent == 1  # only the third went
    assert [r.key[1] for r in outbox.aeat.received] == [codes[2]]
    assert VerifactuSubmission.get_by_id(other.id).outcome == "sending"
    # Past the lease, its sender is taken for dead: its records go again.
    old = utcnow() - dt.timedelta(seconds=sender.LEASE_S + 1)
    VerifactuSubmission.update(started_at=old).where(VerifactuSubmission.id == other.id).execute()
    outbox.allow_next_send()
    report = outbox.send()
    assert report.in_doubt == 2 and report.accepted == 2 and report.pending == 0
    assert VerifactuSubmission.get_by_id(other.id).outcome == "in_doubt"
    # AEAT never got that claim's message (asked, it holds neither): they went now, once.
    assert report.confirmed == 0 and len(outbox.aeat.queries) == 1
    assert [r.key[1] for r in outbox.aeat.received] == [codes[2], codes[0], codes[1]]
