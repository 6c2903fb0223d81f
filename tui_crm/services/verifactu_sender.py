"""The VERI*FACTU outbox: pending records go to AEAT, and AEAT's answer is kept per record.

Rules (AEAT's "descripción del servicio web" v1.0.1, its validations document, the FAQ,
and Orden HAC/1177/2024 art. 16.2):
- records go per issuer NIF in chain order (`sequence`), at most 1,000 to a message, as a
  `RegFactuSistemaFacturacion` with Cabecera/ObligadoEmision, validated against AEAT's
  schema before it leaves (`verifactu.schema.build_message`); each record goes to the
  service of the environment it was made for (`verifactu.endpoint` for the current one);
- flow control: after a message, the next one for that issuer waits AEAT's
  `TiempoEsperaEnvio` seconds (60 until AEAT says otherwise) counted from the previous
  send, unless 1,000 records are waiting (a full message may go at once). The time is kept
  per issuer (`verifactu_chain.next_send_at`); a run before it is due sends nothing for
  that issuer and says when it may;
- every `RespuestaLinea` is stored on its record: Correcto -> accepted, AceptadoConErrores
  -> accepted_with_errors (AEAT's code and text), Incorrecto -> rejected (AEAT's code and
  text, to be corrected by a new record); the submission keeps AEAT's raw answer, its
  EstadoEnvio, its TiempoEsperaEnvio and its CSV (only here: AEAT cannot give it again);
- a network error, a timeout, a SOAP fault or an answer that is not AEAT's leaves the
  records pending, unchanged: they go in the next run; nothing is lost;
- one sender at a time per database, whoever runs it (cron, the TUI's background sender,
  a second `tui-crm verifactu send`): a lock held for the whole send (a lock file beside
  an SQLite database, a session advisory lock on PostgreSQL; both vanish with a process
  that dies). A second sender finds it taken and sends nothing. The batch is claimed in
  the database (a `verifactu_submission` with outcome "sending", and each record pointing
  at it) before the network call, so a record is never put in two messages at once;
- a sender killed after claiming (no answer stored) leaves its submission "sending"; the
  next sender, holding the lock, knows its owner is gone and marks it "in_doubt". So is a
  submission whose answer was lost on its way back (a timeout or a cut after the message
  left, an HTTP 5xx, an answer that is not AEAT's), and a record AEAT's answer left out:
  AEAT may or may not have registered those records;
- an in-doubt record is never simply sent again (AEAT would answer duplicates): first
  AEAT is asked what it holds, with the query service (ConsultaFactuSistemaFacturacion,
  per imputation period, between the records' issue dates, page after page). A record
  AEAT holds (an alta with our very hash, an anulación of an invoice it holds as
  Anulada) is accepted with the state, code and words AEAT gives (the CSV was in the lost
  answer and cannot be had again: the record says so, with AEAT's IdPeticion); an alta
  whose invoice AEAT holds under another record (and which AEAT would take as a
  duplicate) is rejected, with AEAT's code 3000; only the rest is sent again. If AEAT
  cannot be asked, nothing of that issuer is sent in this run. The query's answer is
  kept as a submission with outcome "query". (Should AEAT still answer a resent record
  as a duplicate, it registered our earlier message after we asked: the record is
  accepted with the duplicate's state. A duplicate for a record never in doubt is a real
  refusal: AEAT holds another record with that invoice's identity);
- who may send: the `verifactu.send` permission (admin, accounting), checked before
  anything changes; every submission, failed or answered, is in the audit log;
- the certificate's password comes from the keyring (`secrets.verifactu_password`) at the
  moment a message is about to leave, never stored or logged anywhere else.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import ssl
import threading
import zlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..db import database, db_path, transactional
from ..i18n import _, ngettext
from ..models import Invoice, VerifactuChain, VerifactuRecord, VerifactuSubmission
from ..models.base import utcnow
from ..verifactu import schema, soap, transport
from . import audit, settings, verifactu
from .errors import RuleViolation, ServiceError
from .permissions import require
from .session import login

try:
    import fcntl
except ImportError:  # Windows: the lease below decides instead
    fcntl = None  # type: ignore[assignment]

MAX_BATCH = schema.MAX_RECORDS  # 1,000 records per message
DEFAULT_WAIT_S = 60  # TiempoEsperaEnvio before AEAT's first answer (Orden art. 16.2)
# Without an OS lock, a submission "sending" for longer than the transport can take is
# taken for one whose sender died.
LEASE_S = int(transport.TIMEOUT_S + transport.CONNECT_TIMEOUT_S) + 60

SENDING = "sending"
IN_DOUBT = "in_doubt"
FAULT = "fault"
ERROR = "error"
QUERY = "query"  # not a message of records: AEAT asked what it holds of in-doubt ones


# --- what a run did ---------------------------------------------------------------


@dataclass
class SendReport:
    """What one run did, for the command line's summary and the TUI's notifications."""

    sent: int = 0  # records in messages that got AEAT's answer
    accepted: int = 0
    with_errors: int = 0
    rejected: int = 0
    pending: int = 0  # still waiting after the run (all issuers)
    in_doubt: int = 0  # records of a dead sender's message, resolved in this run
    confirmed: int = 0  # in-doubt records AEAT already held (asked, not sent again)
    next_send_at: dt.datetime | None = None  # UTC: when the next message may leave
    submissions: list[int] = field(default_factory=list)
    rejections: list[str] = field(default_factory=list)  # "F2026-00012: [1112] ..."
    problems: list[str] = field(default_factory=list)  # why something was not sent
    notes: list[str] = field(default_factory=list)  # skipped on purpose (flow control, busy)
    busy: bool = False  # another sender holds the lock
    needs_setup: bool = False  # the certificate or its password is missing or unusable

    def summary(self) -> str:
        """One line: sent, accepted, with errors, rejected, pending, next send allowed at."""
        text = _(
            "sent {sent}, accepted {accepted}, with errors {errors}, rejected {rejected}, "
            "pending {pending}"
        ).format(
            sent=self.sent,
            accepted=self.accepted,
            errors=self.with_errors,
            rejected=self.rejected,
            pending=self.pending,
        )
        if self.confirmed:
            text += "; " + ngettext(
                "{n} found already at AEAT (not sent again)",
                "{n} found already at AEAT (not sent again)",
                self.confirmed,
            ).format(n=self.confirmed)
        if self.pending and self.next_send_at is not None:
            text += "; " + _("next send allowed at {when}").format(
                when=local_time(self.next_send_at)
            )
        return text


def local_time(moment: dt.datetime) -> str:
    """A UTC timestamp as local date and time, to the second."""
    aware = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
    return aware.astimezone().strftime("%Y-%m-%d %H:%M:%S")


# --- configuration --------------------------------------------------------------


def enabled() -> bool:
    return verifactu.enabled()


def endpoint_for(environment: str) -> str:
    """Where records made for `environment` go: `verifactu.endpoint` (or AEAT's address)
    for the configured environment, AEAT's address for the other one."""
    if environment == verifactu.environment():
        return verifactu.endpoint()
    try:
        return verifactu.ENDPOINTS[environment]
    except KeyError:
        raise RuleViolation(
            _("records made for an unknown environment {name!r} cannot be sent").format(
                name=environment
            )
        ) from None


def _tls_context(cafile: str | None) -> ssl.SSLContext:
    """The certificate (verifactu.certificate) opened with its password from the keyring."""
    from . import secrets

    path = settings.get("verifactu.certificate").strip()
    if not path:
        raise RuleViolation(
            _(
                "no certificate to sign in to AEAT: set verifactu.certificate (the PKCS#12 "
                "file) and store its password with `tui-crm secrets set verifactu`"
            )
        )
    password = secrets.verifactu_password(path=path)
    if password is None:
        raise RuleViolation(
            _(
                "the password of the certificate {path} is not in your keyring: "
                "run `tui-crm secrets set verifactu`"
            ).format(path=path)
        )
    certificate = transport.load_certificate(path, password)
    return transport.ssl_context(certificate, cafile=cafile)


# --- one sender at a time -----------------------------------------------------------

_process_turn = threading.Lock()
_ADVISORY_KEY = zlib.crc32(b"tui-crm VERI*FACTU sender")


@contextlib.contextmanager
def sender_turn() -> Iterator[str]:
    """Hold the database's sender lock; yields "lock" (we hold it: any submission still
    "sending" belongs to a dead sender), "lease" (no lock on this system: trust only old
    submissions as dead) or "busy" (another sender is at work: send nothing)."""
    if not _process_turn.acquire(blocking=False):
        yield "busy"
        return
    try:
        path = db_path()
        if path is not None:
            try:
                fd = os.open(f"{path}-verifactu.lock", os.O_RDWR | os.O_CREAT, 0o660)
            except OSError:  # a directory we may not write to: fall back on the lease
                fd = -1
            if fcntl is None or fd < 0:
                if fd >= 0:
                    os.close(fd)
                yield "lease"
                return
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    yield "busy"
                    return
                try:
                    yield "lock"
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
            return
        # PostgreSQL: a session lock on this thread's connection; it goes with the session.
        got = database.execute_sql("SELECT pg_try_advisory_lock(%s)", (_ADVISORY_KEY,))
        if not got.fetchone()[0]:
            yield "busy"
            return
        try:
            yield "lock"
        finally:
            database.execute_sql("SELECT pg_advisory_unlock(%s)", (_ADVISORY_KEY,))
    finally:
        _process_turn.release()


# --- reading the outbox ---------------------------------------------------------------


def _pending(issuer_nif: str | None = None):
    query = VerifactuRecord.select().where(VerifactuRecord.status == "pending")
    if issuer_nif is not None:
        query = query.where(VerifactuRecord.issuer_nif == issuer_nif)
    return query


def pending_count() -> int:
    """How many records wait to be sent (every issuer)."""
    return _pending().count()


def _groups() -> list[tuple[str, str]]:
    """(issuer NIF, environment) of every pending record, issuers in NIF order."""
    rows = (
        _pending()
        .select(VerifactuRecord.issuer_nif, VerifactuRecord.environment)
        .distinct()
        .order_by(VerifactuRecord.issuer_nif, VerifactuRecord.environment)
        .tuples()
    )
    return list(rows)


def _current_wait(issuer_nif: str) -> int:
    """The last TiempoEsperaEnvio AEAT gave for this issuer (60 s before any answer)."""
    last = (
        VerifactuSubmission.select(VerifactuSubmission.wait_seconds)
        .where(
            (VerifactuSubmission.issuer_nif == issuer_nif)
            & VerifactuSubmission.wait_seconds.is_null(False)
        )
        .order_by(VerifactuSubmission.id.desc())
        .first()
    )
    return last.wait_seconds if last is not None else DEFAULT_WAIT_S


def _next_send_at(issuer_nif: str) -> dt.datetime | None:
    chain = VerifactuChain.get_or_none(VerifactuChain.issuer_nif == issuer_nif)
    return chain.next_send_at if chain is not None else None


def next_send_at() -> dt.datetime | None:
    """The earliest moment a message may leave for an issuer with pending records (UTC),
    or None when one may leave now (or nothing waits)."""
    now = utcnow()
    moments = [
        moment
        for nif in {nif for nif, _env in _groups()}
        if (moment := _next_send_at(nif)) is not None and moment > now
    ]
    return min(moments) if moments else None


def _set_next_send_at(issuer_nif: str, moment: dt.datetime) -> None:
    updated = (
        VerifactuChain.update(next_send_at=moment)
        .where(VerifactuChain.issuer_nif == issuer_nif)
        .execute()
    )
    if not updated:  # no chain head yet (records written by an older version): make one
        VerifactuChain.insert(issuer_nif=issuer_nif, next_send_at=moment).on_conflict(
            conflict_target=[VerifactuChain.issuer_nif],
            update={VerifactuChain.next_send_at: moment},
        ).execute()


# --- the steps, each its own transaction ----------------------------------------------


@transactional
def _resolve_dead_senders(mode: str) -> int:
    """Mark the submissions whose sender died before storing AEAT's answer "in_doubt"; their
    records are still pending and go again first. Returns how many records that concerns."""
    query = VerifactuSubmission.select().where(VerifactuSubmission.outcome == SENDING)
    if mode == "lease":
        limit = utcnow() - dt.timedelta(seconds=LEASE_S)
        query = query.where(VerifactuSubmission.started_at < limit)
    records = 0
    for submission in query:
        count = (
            VerifactuRecord.select()
            .where(
                (VerifactuRecord.submission == submission.id)
                & (VerifactuRecord.status == "pending")
            )
            .count()
        )
        VerifactuSubmission.update(
            outcome=IN_DOUBT,
            finished_at=utcnow(),
            error=_(
                "the sender stopped before AEAT's answer was stored; AEAT is asked what it "
                "holds of its records before the rest go again"
            ),
        ).where(
            (VerifactuSubmission.id == submission.id) & (VerifactuSubmission.outcome == SENDING)
        ).execute()
        audit.record(
            "in_doubt",
            "verifactu_submission",
            submission.id,
            summary=ngettext(
                "{n} record of an interrupted submission is in doubt",
                "{n} records of an interrupted submission are in doubt",
                count,
            ).format(n=count),
        )
        records += count
    return records


@dataclass(frozen=True)
class _Outgoing:
    id: int
    key: tuple[str, str, str, str]  # issuer, number, dd-mm-yyyy, Alta/Anulacion
    number: str
    in_doubt: bool  # put in a message before, which may have reached AEAT


def _key(record: VerifactuRecord) -> tuple[str, str, str, str]:
    return (
        record.issuer_nif.strip(),
        record.invoice_number.strip(),
        record.issue_date.strftime("%d-%m-%Y"),
        "Alta" if record.record_type == "alta" else "Anulacion",
    )


def _batch(issuer_nif: str, environment: str, limit: int) -> list[VerifactuRecord]:
    """The next records to send, in chain order; never one a live submission carries (only
    possible without a lock: see `sender_turn`)."""
    live = VerifactuSubmission.select(VerifactuSubmission.id).where(
        VerifactuSubmission.outcome == SENDING
    )
    return list(
        _pending(issuer_nif)
        .where(
            (VerifactuRecord.environment == environment)
            & (VerifactuRecord.submission.is_null() | VerifactuRecord.submission.not_in(live))
        )
        .order_by(VerifactuRecord.sequence)
        .limit(limit)
    )


@transactional
def _claim(
    issuer_nif: str, environment: str, endpoint: str, records: list[VerifactuRecord]
) -> int | None:
    """Open the submission and point the batch at it, before anything leaves. None when a
    record of the batch is no longer pending (answered meanwhile): build it again."""
    ids = [r.id for r in records]
    live = VerifactuSubmission.select(VerifactuSubmission.id).where(
        VerifactuSubmission.outcome == SENDING
    )
    # Under the write lock: still pending, and no live submission carries any of them.
    still = (
        VerifactuRecord.select()
        .where(
            VerifactuRecord.id.in_(ids)
            & (VerifactuRecord.status == "pending")
            & (VerifactuRecord.submission.is_null() | VerifactuRecord.submission.not_in(live))
        )
        .count()
    )
    if still != len(ids):
        return None
    now = utcnow()
    submission = VerifactuSubmission.create(
        issuer_nif=issuer_nif,
        environment=environment,
        endpoint=endpoint,
        started_at=now,
        record_count=len(ids),
        outcome=SENDING,
        sent_by=login(),
    )
    VerifactuRecord.update(
        submission=submission.id,
        sent_at=now,
        attempts=VerifactuRecord.attempts + 1,
    ).where(VerifactuRecord.id.in_(ids)).execute()
    # Flow control counts from this send, answered or not.
    _set_next_send_at(issuer_nif, now + dt.timedelta(seconds=_current_wait(issuer_nif)))
    return submission.id


@transactional
def _store_failure(submission_id: int, error: transport.TransportError) -> None:
    """No usable answer: the records stay pending; the submission says why. When the message
    may have reached AEAT it is in doubt: AEAT is asked about its records before any goes
    again."""
    outcome = FAULT if isinstance(error, transport.FaultError) else ERROR
    text = str(error)
    if error.may_have_arrived:
        outcome = IN_DOUBT
        text += " " + _("(AEAT may have received it: it is asked what it holds before resending)")
    VerifactuSubmission.update(outcome=outcome, error=text, finished_at=utcnow()).where(
        VerifactuSubmission.id == submission_id
    ).execute()
    audit.record("send_failed", "verifactu_submission", submission_id, summary=text[:500])


def _duplicate_note(line: soap.ResponseLine) -> str:
    assert line.duplicate is not None
    return _(
        "AEAT already held this record from an earlier submission whose answer was lost "
        "(IdPeticion {request}, {state}); that submission's CSV cannot be had again"
    ).format(request=line.duplicate.request_id, state=line.duplicate.state)


def _result(line: soap.ResponseLine, outgoing: _Outgoing, csv: str) -> dict:
    """The transmission columns of one record from its RespuestaLinea."""
    code = "" if line.error_code is None else str(line.error_code)
    if line.state == "Correcto":
        return {"status": "accepted", "error_code": "", "error": "", "csv": csv}
    if line.state == "AceptadoConErrores":
        return {
            "status": "accepted_with_errors",
            "error_code": code,
            "error": line.error,
            "csv": csv,
        }
    duplicate = line.duplicate
    if duplicate is not None and line.error_code == soap.DUPLICATE_CODE and outgoing.in_doubt:
        note = _duplicate_note(line)
        if duplicate.state == "AceptadaConErrores":
            return {
                "status": "accepted_with_errors",
                "error_code": str(duplicate.error_code or line.error_code),
                "error": f"{duplicate.error or line.error} ({note})",
                "csv": "",
            }
        return {
            "status": "accepted",
            "error_code": code,
            "error": f"{line.error} ({note})",
            "csv": "",
        }
    return {"status": "rejected", "error_code": code, "error": line.error, "csv": ""}


@transactional
def _store_answer(
    submission_id: int, outgoing: list[_Outgoing], sent: transport.Submitted, report: SendReport
) -> int:
    """AEAT's answer, per record and for the submission; the next send time from it.
    Returns how many records the answer left out (they stay pending)."""
    answer = sent.response
    csv = answer.csv or ""
    submission = VerifactuSubmission.get_by_id(submission_id)
    lines: dict[tuple, list[soap.ResponseLine]] = defaultdict(list)
    for line in answer.lines:
        inv = line.invoice
        lines[(inv.issuer_nif, inv.number, inv.issue_date, line.operation)].append(line)
    unanswered = 0
    counts = {"accepted": 0, "accepted_with_errors": 0, "rejected": 0}
    for item in outgoing:
        matching = lines.get(item.key)
        if not matching:
            unanswered += 1  # stays pending: it goes again, AEAT says what it holds
            continue
        values = _result(matching.pop(0), item, csv)
        verifactu.record_result(
            item.id, submission_id=submission_id, sent_at=submission.started_at, **values
        )
        counts[values["status"]] += 1
        if values["status"] == "rejected":
            report.rejections.append(f"{item.number}: [{values['error_code']}] {values['error']}")
    error = ""
    if unanswered:
        error = ngettext(
            "AEAT's answer did not mention {n} record; it goes again",
            "AEAT's answer did not mention {n} records; they go again",
            unanswered,
        ).format(n=unanswered)
        report.problems.append(error)
    VerifactuSubmission.update(
        outcome=answer.state,
        csv=csv,
        response=sent.raw.decode("utf-8", "replace"),
        wait_seconds=answer.wait_seconds,
        finished_at=utcnow(),
        error=error,
    ).where(VerifactuSubmission.id == submission_id).execute()
    _set_next_send_at(
        submission.issuer_nif,
        submission.started_at + dt.timedelta(seconds=answer.wait_seconds),
    )
    report.sent += len(outgoing) - unanswered
    report.accepted += counts["accepted"]
    report.with_errors += counts["accepted_with_errors"]
    report.rejected += counts["rejected"]
    audit.record(
        "send",
        "verifactu_submission",
        submission_id,
        summary=_(
            "{n} records to AEAT ({state}, CSV {csv}): {accepted} accepted, {errors} with "
            "errors, {rejected} rejected"
        ).format(
            n=len(outgoing),
            state=answer.state,
            csv=csv or "-",
            accepted=counts["accepted"],
            errors=counts["accepted_with_errors"],
            rejected=counts["rejected"],
        ),
    )
    return unanswered


# --- records in doubt: ask AEAT what it holds ---------------------------------------

_ANSWERED_OR_IN_DOUBT_EXCLUDED = (FAULT, ERROR, SENDING, QUERY)


def _doubtful(issuer_nif: str, environment: str) -> list[VerifactuRecord]:
    """The records of this issuer and environment put in a message that may have reached
    AEAT without an answer about them being stored: pending, and their submission in
    doubt, or answered without a line for them. (A submission refused whole, or that never
    left, "fault" or "error", is not in doubt; a live one, "sending", is another sender's.)"""
    return list(
        _pending(issuer_nif)
        .join(VerifactuSubmission, on=(VerifactuRecord.submission == VerifactuSubmission.id))
        .where(
            (VerifactuRecord.environment == environment)
            & VerifactuSubmission.outcome.not_in(_ANSWERED_OR_IN_DOUBT_EXCLUDED)
        )
        .order_by(VerifactuRecord.sequence)
    )


def _periods(records: list[VerifactuRecord]) -> dict[tuple[int, int], tuple[dt.date, dt.date]]:
    """AEAT's imputation periods (year, month of the operation date, or of the issue date)
    of these records, each with the first and last issue date among them."""
    ids = [r.invoice_id for r in records]
    operation = {
        invoice_id: day
        for invoice_id, day in Invoice.select(Invoice.id, Invoice.operation_date)
        .where(Invoice.id.in_(ids))
        .tuples()
    }
    periods: dict[tuple[int, int], tuple[dt.date, dt.date]] = {}
    for record in records:
        day = operation.get(record.invoice_id) or record.issue_date
        key = (day.year, day.month)
        first, last = periods.get(key, (record.issue_date, record.issue_date))
        periods[key] = (min(first, record.issue_date), max(last, record.issue_date))
    return periods


@dataclass
class _Asked:
    held: dict[tuple[str, str], soap.HeldRecord] = field(default_factory=dict)
    answers: list[bytes] = field(default_factory=list)
    started: dt.datetime = field(default_factory=utcnow)


def _ask(issuer_nif, records, endpoint, context, timeout, connect_timeout) -> _Asked:
    """What AEAT holds of these records' invoices: one query per imputation period, between
    their first and last issue dates, following AEAT's pages (ClavePaginacion)."""
    asked = _Asked()
    name = verifactu.issuer_name(issuer_nif)
    for (year, month), (first, last) in sorted(_periods(records).items()):
        after = None
        for _page in range(10_000):  # AEAT gives 10,000 a page; a bound, not a limit met
            message = schema.build_query(
                name,
                issuer_nif,
                year=year,
                month=month,
                issued_from=first,
                issued_to=last,
                after=after,
            )
            got = transport.query(
                message,
                endpoint=endpoint,
                context=context,
                timeout=timeout,
                connect_timeout=connect_timeout,
            )
            asked.answers.append(got.raw)
            for held in got.response.records:
                if held.invoice.issuer_nif.strip() == issuer_nif:
                    asked.held[(held.invoice.number.strip(), held.invoice.issue_date)] = held
            if not got.response.more or got.response.next_key is None:
                break
            key = got.response.next_key
            after = (key.issuer_nif, key.number, key.issue_date)
    return asked


def _held_note(held: soap.HeldRecord) -> str:
    when = local_time(held.presented_at.astimezone(dt.UTC)) if held.presented_at else "-"
    return _(
        "AEAT already held this record when asked (IdPeticion {request}, presented {when}); "
        "the CSV of the answer that was lost cannot be had again"
    ).format(request=held.request_id or "-", when=when)


def _settle(record: VerifactuRecord, held: soap.HeldRecord | None) -> dict | None:
    """The transmission columns of an in-doubt record from what AEAT holds of its invoice,
    or None when AEAT does not hold it (it goes again)."""
    if held is None:
        return None
    if record.record_type == "anulacion":
        if held.state == "Anulada":
            return {"status": "accepted", "error_code": "", "error": _held_note(held)}
        return None
    if held.hash == record.hash.upper():
        if held.state == "AceptadaConErrores":
            return {
                "status": "accepted_with_errors",
                "error_code": "" if held.error_code is None else str(held.error_code),
                "error": f"{held.error} ({_held_note(held)})".strip(),
            }
        return {"status": "accepted", "error_code": "", "error": _held_note(held)}
    if not record.subsanacion or record.rechazo_previo == "X":
        # AEAT holds another record of this invoice and takes this one as a duplicate.
        return {
            "status": "rejected",
            "error_code": str(soap.DUPLICATE_CODE),
            "error": _(
                "AEAT holds another record of this invoice (IdPeticion {request}, {state}); "
                "this one was not registered"
            ).format(request=held.request_id or "-", state=held.state),
        }
    return None  # a correction AEAT has not registered yet: it goes again


@transactional
def _store_query(
    issuer_nif: str,
    environment: str,
    endpoint: str,
    records: list[VerifactuRecord],
    asked: _Asked,
    report: SendReport,
) -> None:
    """What AEAT said it holds, per in-doubt record, and the query kept as a submission."""
    settled = {"accepted": 0, "accepted_with_errors": 0, "rejected": 0}
    for record in records:
        current = VerifactuRecord.get_by_id(record.id)
        if current.status != "pending" or current.submission_id != record.submission_id:
            continue  # answered meanwhile (only possible without a lock)
        key = (record.invoice_number.strip(), record.issue_date.strftime("%d-%m-%Y"))
        values = _settle(record, asked.held.get(key))
        if values is None:
            continue
        sent = VerifactuSubmission.get_by_id(record.submission_id)
        verifactu.record_result(
            record.id,
            csv="",
            submission_id=record.submission_id,
            sent_at=sent.started_at,
            **values,
        )
        settled[values["status"]] += 1
        if values["status"] == "rejected":
            report.rejections.append(
                f"{record.invoice_number}: [{values['error_code']}] {values['error']}"
            )
    found = sum(settled.values())
    submission = VerifactuSubmission.create(
        issuer_nif=issuer_nif,
        environment=environment,
        endpoint=endpoint,
        started_at=asked.started,
        finished_at=utcnow(),
        record_count=len(records),
        outcome=QUERY,
        response="\n".join(raw.decode("utf-8", "replace") for raw in asked.answers),
        sent_by=login(),
    )
    report.confirmed += settled["accepted"] + settled["accepted_with_errors"]
    report.accepted += settled["accepted"]
    report.with_errors += settled["accepted_with_errors"]
    report.rejected += settled["rejected"]
    audit.record(
        "query",
        "verifactu_submission",
        submission.id,
        summary=_(
            "Asked AEAT about {n} records in doubt: {held} already held, {rejected} held under "
            "another record, {rest} to send again"
        ).format(
            n=len(records),
            held=settled["accepted"] + settled["accepted_with_errors"],
            rejected=settled["rejected"],
            rest=len(records) - found,
        ),
    )


def _resolve_in_doubt(
    issuer_nif, environment, endpoint, context, report, timeout, connect_timeout
) -> set[int] | None:
    """Ask AEAT about this issuer's in-doubt records and settle those it holds. Returns the
    ids of the in-doubt records it does not hold (they go again), or None when AEAT could
    not be asked (then nothing of this issuer goes in this run)."""
    records = _doubtful(issuer_nif, environment)
    if not records:
        return set()
    try:
        asked = _ask(issuer_nif, records, endpoint, context, timeout, connect_timeout)
    except (transport.TransportError, schema.SchemaViolation) as exc:
        report.problems.append(
            _(
                "{nif}: AEAT could not be asked what it holds of {n} records sent before "
                "without an answer ({error}); they wait, and nothing of {nif} is sent until "
                "it can be"
            ).format(nif=issuer_nif, n=len(records), error=exc)
        )
        return None
    _store_query(issuer_nif, environment, endpoint, records, asked, report)
    return {r.id for r in _doubtful(issuer_nif, environment)}


# --- the use case ---------------------------------------------------------------------


def send_pending(
    *,
    max_batch: int = MAX_BATCH,
    cafile: str | None = None,
    timeout: float = transport.TIMEOUT_S,
    connect_timeout: float = transport.CONNECT_TIMEOUT_S,
) -> SendReport:
    """Send what is due of the outbox, per issuer in chain order, and keep AEAT's answers.

    Refused before anything changes: a user without `verifactu.send`. Nothing happens when
    VERI*FACTU is off or another sender holds the lock (the report says so). A failure
    (certificate, network, fault) ends that issuer's run with its records still pending
    and is listed in `problems`. `cafile` is for tests only (see `verifactu.transport`)."""
    require("verifactu.send")
    report = SendReport()
    if not enabled():
        report.notes.append(_("VERI*FACTU is off (verifactu.enabled): nothing is sent"))
        report.pending = pending_count()
        return report
    max_batch = max(1, min(max_batch, MAX_BATCH))
    with sender_turn() as turn:
        if turn == "busy":
            report.busy = True
            report.notes.append(_("another tui-crm is sending to AEAT right now; nothing sent"))
        else:
            report.in_doubt = _resolve_dead_senders(turn)
            _send_groups(report, max_batch, cafile, timeout, connect_timeout)
    report.pending = pending_count()
    report.next_send_at = next_send_at() if report.pending else None
    return report


def _send_groups(report, max_batch, cafile, timeout, connect_timeout) -> None:
    context = None
    for issuer_nif, environment in _groups():
        try:
            endpoint = endpoint_for(environment)
        except RuleViolation as exc:
            report.problems.append(str(exc))
            continue
        doubtful: set[int] = set()
        if _doubtful(issuer_nif, environment):
            if context is None:
                try:
                    context = _tls_context(cafile)
                except (ServiceError, transport.TransportError) as exc:
                    report.problems.append(str(exc))
                    report.needs_setup = True
                    return
            resolved = _resolve_in_doubt(
                issuer_nif, environment, endpoint, context, report, timeout, connect_timeout
            )
            if resolved is None:
                continue  # AEAT could not be asked: nothing of this issuer goes now
            doubtful = resolved
        while True:
            due = _next_send_at(issuer_nif)
            waiting = _pending(issuer_nif).count()
            if not waiting:
                break
            if due is not None and due > utcnow() and waiting < max_batch:
                report.notes.append(
                    _("{nif}: AEAT asks to wait; next send allowed at {when}").format(
                        nif=issuer_nif, when=local_time(due)
                    )
                )
                break
            records = _batch(issuer_nif, environment, max_batch)
            if not records:
                break
            try:
                message = schema.build_message(
                    verifactu.issuer_name(issuer_nif),
                    issuer_nif,
                    [r.xml.encode("utf-8") for r in records],
                )
            except schema.SchemaViolation as exc:
                report.problems.append(
                    _(
                        "{nif}: the records from {number} on do not pass AEAT's schema: {reason}"
                    ).format(nif=issuer_nif, number=records[0].invoice_number, reason=exc)
                )
                break
            if context is None:
                try:
                    context = _tls_context(cafile)
                except (ServiceError, transport.TransportError) as exc:
                    report.problems.append(str(exc))
                    report.needs_setup = True
                    return
            outgoing = [
                _Outgoing(r.id, _key(r), r.invoice_number, r.id in doubtful) for r in records
            ]
            submission_id = _claim(issuer_nif, environment, endpoint, records)
            if submission_id is None:
                continue
            report.submissions.append(submission_id)
            try:
                sent = transport.submit(
                    message,
                    endpoint=endpoint,
                    context=context,
                    timeout=timeout,
                    connect_timeout=connect_timeout,
                )
            except transport.TransportError as exc:
                _store_failure(submission_id, exc)
                report.problems.append(f"{issuer_nif}: {exc}")
                break
            if _store_answer(submission_id, outgoing, sent, report):
                break  # AEAT left some records out: they wait for the next run
