"""Norma 43 (AEB Cuaderno 43) bank statements: import, match each line to open invoices,
and turn the accepted lines into payments.

Rules enforced here:
- a statement is read with the `csb43` library; a file with an illegal record, or whose
  accounts' closing totals do not add up (damaged, cut short), is refused as a whole with
  the line that is wrong; nothing of it is kept;
- every bank line is stored ONCE: its identity is a hash of the account, both dates, the
  amount, the concepts, the document number, both references and the text, plus its
  position among identical lines of the same day in that file. Importing the same
  statement twice, or two statements that overlap, adds only the lines not seen before,
  so nothing is ever paid twice;
- credit lines are matched against open invoices (see `Matcher`): the invoice numbers in
  the text with the exact amount, a remittance or one of its collections, the client
  found by the IBAN or the name in the line with one invoice of that amount or several of
  its invoices adding up to it, else the amount alone. A match is "sure" (accepted in one
  go, `--accept-sure` or `A`), "likely", "ambiguous" or none; within one run an invoice
  claimed by one line is not offered in full to the next;
- a charge that is a returned direct debit (concept 14, "devolución", or a SEPA debit of
  our own creditor identifier) is matched to the payment it undoes; accepting it reverses
  that payment (the invoice owes again) and flags the invoice (`debit_returned_on`);
  other charges are not client payments and are kept as "ignored";
- an accepted line becomes a payment (`services.payments`, so: no overpayment, one
  client per payment, audit) dated on the bank's operation date; a remittance's credit
  becomes one direct-debit payment per collection; lines not accepted wait, pending,
  for a later look (the review screen, or the next import, which matches them again);
- the import, and each acceptance, is one transaction: all of it or nothing (with
  `accept_sure`, a line whose payment is refused stays pending with the reason);
- changes need the `payments.write` permission, checked before the file is even read; a
  dry run reads and proposes and writes nothing.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..db import database, execute, read_snapshot, transactional
from ..i18n import N_, _
from ..models import BankMovement, BankStatement, Invoice, Remittance, RemittanceItem
from ..models.base import utcnow
from ..money import from_cents, to_cents
from ..text import fold
from . import audit
from .errors import NotFound, RuleViolation, ServiceError, ValidationError
from .permissions import require
from .session import login

MAX_FILE_BYTES = 64 * 1024 * 1024  # a year of a busy account is a few MB
CONFIDENCES = ("sure", "likely", "ambiguous", "none")
RETURN_ITEM = 14  # AEB concepto común 14: DEVOLUCIONES E IMPAGADOS
SUBSET_LIMIT = 14  # a client's oldest open invoices tried for "several add up to it"
GROUP_LIMIT = 5  # ... at most this many of them in one transfer
REMITTANCE_DAYS = 5  # a remittance's credit is expected within these days of its date
_RETURN_WORDS = ("DEVOL", "IMPAGAD", "RETROCES", "RECHAZ")
# An invoice number as banks copy it: "F2026-00001", "F 2026/1", "F202600001"; a series
# holds its number in five digits or more ("F2026-123456" once past 99,999).
_CODE = re.compile(r"(?<![A-Z0-9])([A-Z][A-Z0-9]{0,9})[ ./-]?(20\d\d)[ ./-]?(\d{1,9})(?!\d)")
_IBAN = re.compile(r"\b([A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30})\b")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
_WORDS = re.compile(r"[^0-9a-z]+")
_LEGAL_FORMS = {
    "sl", "sa", "slu", "sll", "slne", "scoop", "coop", "sc", "cb", "sau", "srl", "sas",
    "sociedad", "limitada", "anonima", "s", "l", "u", "a",
}  # fmt: skip
_PAYER_PREFIXES = (
    "transferencia de ",
    "transferencia recibida de ",
    "transf. de ",
    "transf de ",
    "trf de ",
    "abono transferencia ",
    "ordenante: ",
    "ordenante ",
    "ord: ",
    "de: ",
)


# --- reading a statement -------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    """One bank line as the file says it (plain values)."""

    number: int  # its position among the file's lines, 1-based
    account: str  # bank, branch and account number: "2100 4521 0200051332"
    operation_date: dt.date
    value_date: dt.date
    amount: Decimal  # credits positive, charges negative
    shared_item: int
    own_item: int
    document_number: str
    reference1: str
    reference2: str
    concept: str  # every text of the line, joined
    payer: str  # the name of who paid (SEPA originator or debtor), when the line says
    end_to_end: str  # a SEPA debit's creditor reference (our end-to-end id)
    mandate_reference: str
    creditor_id: str
    identity: str = ""

    @property
    def cents(self) -> int:
        return to_cents(self.amount)


@dataclass(frozen=True)
class ParsedStatement:
    file_name: str
    sha256: str
    accounts: tuple[str, ...]
    lines: tuple[StatementLine, ...]

    @property
    def first_date(self) -> dt.date | None:
        return min((ln.operation_date for ln in self.lines), default=None)

    @property
    def last_date(self) -> dt.date | None:
        return max((ln.operation_date for ln in self.lines), default=None)


class StatementError(ServiceError):
    """The file is not a readable Norma 43 statement (the message names the file and line)."""


def _text(value: object) -> str:
    return " ".join(str(value or "").split())


def read_statement(path: Path | str, *, data: bytes | None = None) -> ParsedStatement:
    """Read a Norma 43 file into plain lines (see the module's rules), or StatementError."""
    source = Path(path)
    name = source.name
    if data is None:
        try:
            if source.is_dir():
                raise StatementError(_("{file} is a directory").format(file=source))
            if source.stat().st_size > MAX_FILE_BYTES:
                raise StatementError(
                    _("{file} is too large for a bank statement ({mb} MB at most)").format(
                        file=source, mb=MAX_FILE_BYTES // (1024 * 1024)
                    )
                )
            data = source.read_bytes()
        except OSError as exc:
            raise StatementError(f"{source}: {exc.strerror or exc}") from None
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise StatementError(_("{file} is empty").format(file=name))
    accounts, lines = _Reader(name).read(data)
    return ParsedStatement(name, digest, tuple(accounts), tuple(_with_identities(lines)))


class _Reader:
    """Each record (80 characters) is read by `csb43`'s own record class, which decodes and
    checks its fields (dates, amounts and their sign, codes); this only puts them in
    order: an account (11), its lines (22) with their concepts (23, or the five records
    of a SEPA transfer or direct debit), its closing record (33) whose totals must match
    the lines, and the end of file (88). Reading record by record, rather than through
    `csb43.aeb43.read_batch`, keeps a 10,000-line statement to about a second: the batch
    reader compares every concept record with the others of its line as it goes."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, number: int, error: object) -> StatementError:
        return StatementError(
            _("{file}, line {line}: not a valid Norma 43 record: {error}").format(
                file=self.name, line=number, error=error
            )
        )

    def read(self, data: bytes) -> tuple[list[str], list[StatementLine]]:
        import dataclasses

        from csb43 import aeb43
        from csb43.aeb43.record.context import Aeb43Context
        from csb43.aeb43.record.errors import ValidationException

        base = Aeb43Context(strict=False, silent=True, sepa=True)
        accounts: list[str] = []
        lines: list[StatementLine] = []
        context = base
        key = ""
        account: Any = None
        opening = Decimal(0)
        mine: list[StatementLine] = []  # the current account's lines
        pending: tuple[int, Any, list[bytes]] | None = None  # a line and its concepts
        records = closed = 0
        ended = False

        def finish() -> None:
            nonlocal pending
            if pending is not None:
                _number, transaction, items = pending
                line = _line(len(lines) + 1, key, transaction, items, context)
                lines.append(line)
                mine.append(line)
                pending = None

        with base.scope():
            for number, raw in enumerate(data.splitlines(), start=1):
                if not raw.strip():
                    continue
                if ended:
                    raise self.fail(number, _("a record after the end of file (88)"))
                code = raw[:2]
                try:
                    if code == b"11":
                        if account is not None and closed < len(accounts):
                            raise self.fail(number, _("the previous account was not closed (33)"))
                        account = aeb43.Account(context=base, raw=raw)
                        context = dataclasses.replace(
                            base, information_mode=account.information_mode
                        )
                        key = f"{account.bank_code} {account.branch_code} {account.account_number}"
                        accounts.append(key)
                        opening = Decimal(account.initial_balance)
                        mine = []
                    elif account is None or (closed == len(accounts) and code != b"88"):
                        raise self.fail(number, _("a record outside an account (11 … 33)"))
                    elif code == b"22":
                        finish()
                        pending = (number, aeb43.Transaction(context=context, raw=raw), [])
                    elif code == b"23":
                        if pending is None or len(pending[2]) == 5:
                            raise self.fail(number, _("a concept record (23) out of place"))
                        pending[2].append(bytes(raw))  # read (and checked) with its line
                    elif code == b"24":
                        if pending is None:
                            raise self.fail(number, _("an exchange record (24) out of place"))
                        aeb43.Exchange(context=context, raw=raw)
                    elif code == b"33":
                        finish()
                        self._check_closing(number, aeb43.ClosingAccount(context=context, raw=raw),
                                            opening, mine)  # fmt: skip
                        closed += 1
                    elif code == b"88":
                        finish()
                        end = aeb43.EndOfFile(context=base, raw=raw)
                        if int(end.total_records) != records:
                            raise self.fail(
                                number,
                                _("the end of file counts {n} records, the file has {m}").format(
                                    n=int(end.total_records), m=records
                                ),
                            )
                        ended = True
                        continue
                    else:
                        raise self.fail(number, _("unknown record code {code!r}").format(
                            code=code.decode("latin-1")
                        ))  # fmt: skip
                except ValidationException as exc:
                    raise self.fail(number, exc) from None
                except (ValueError, TypeError, IndexError, LookupError) as exc:
                    raise self.fail(number, exc) from None
                records += 1
            finish()
        if not accounts:
            raise StatementError(
                _("{file} is not a Norma 43 statement: it has no account record (11)").format(
                    file=self.name
                )
            )
        if closed < len(accounts):
            raise StatementError(
                _("{file} is cut short: an account has no closing record (33)").format(
                    file=self.name
                )
            )
        return accounts, lines

    def _check_closing(
        self, number: int, closing: Any, opening: Decimal, lines: Sequence[StatementLine]
    ) -> None:
        """The closing record's entries and totals are those of the account's lines."""
        income = [ln.amount for ln in lines if ln.amount >= 0]
        expense = [-ln.amount for ln in lines if ln.amount < 0]
        expected = (
            len(income),
            sum(income, Decimal(0)),
            len(expense),
            sum(expense, Decimal(0)),
            opening + sum((ln.amount for ln in lines), Decimal(0)),
        )
        found = (
            int(closing.income_entries),
            Decimal(closing.income),
            int(closing.expense_entries),
            Decimal(closing.expense),
            Decimal(closing.final_balance),
        )
        if expected != found:
            raise self.fail(
                number,
                _("the account's totals do not add up (damaged or incomplete file)"),
            )


def _line(number: int, account: str, t: Any, items: list[bytes], context: Any) -> StatementLine:
    from csb43 import aeb43
    from csb43.aeb43.record.errors import ValidationException

    parts: list[str] = []
    payer = end_to_end = mandate = creditor_id = ""
    sepa: Any = None
    if len(items) == 5 and context.sepa:  # the five records of a SEPA line, as csb43 reads them
        for kind in (aeb43.SepaDebit, aeb43.SepaTransfer):
            try:
                sepa = kind.new(*items, context=context)
                break
            except ValidationException:
                continue
    if isinstance(sepa, aeb43.SepaTransfer):
        payer = _text(sepa.originator_name)
        parts += [payer, _text(sepa.remitance_information), _text(sepa.originator_reference)]
        parts += [_text(sepa.originator_reference_party), _text(sepa.additional_info)]
    elif isinstance(sepa, aeb43.SepaDebit):
        payer = _text(sepa.debtor_name)
        end_to_end = _text(sepa.creditor_reference)
        mandate = _text(sepa.mandate_reference)
        creditor_id = _text(sepa.creditor_id)
        parts += [_text(sepa.creditor_name), mandate, _text(sepa.remitance_information)]
        parts += [end_to_end, payer]
    else:
        for raw in items:
            item = aeb43.Item(context=context, raw=raw)
            parts += [_text(item.item1), _text(item.item2)]
    concept = " · ".join(p for p in parts if p)
    return StatementLine(
        number=number,
        account=account,
        operation_date=t.transaction_date,
        value_date=t.value_date,
        amount=Decimal(t.amount).quantize(Decimal("0.01")),
        shared_item=int(t.shared_item or 0),
        own_item=int(t.own_item or 0),
        document_number=_text(t.document_number),
        reference1=_text(t.reference1),
        reference2=_text(t.reference2),
        concept=concept,
        payer=payer,
        end_to_end=end_to_end,
        mandate_reference=mandate,
        creditor_id=creditor_id,
    )


def _with_identities(lines: Sequence[StatementLine]) -> Iterable[StatementLine]:
    """Each line's identity: what it says, plus its rank among identical lines in the file
    (two equal transfers on one day are two movements; the same one in two files is one)."""
    from dataclasses import replace

    seen: dict[str, int] = {}
    for line in lines:
        base = "|".join(
            (
                line.account,
                line.operation_date.isoformat(),
                line.value_date.isoformat(),
                str(line.cents),
                str(line.shared_item),
                str(line.own_item),
                line.document_number,
                line.reference1,
                line.reference2,
                line.concept,
            )
        )
        rank = seen.get(base, 0) + 1
        seen[base] = rank
        digest = hashlib.sha256(f"{base}#{rank}".encode()).hexdigest()
        yield replace(line, identity=digest)


def line_kind(line: StatementLine, creditor_id: str = "") -> str:
    """credit (money in), return (a direct debit of ours coming back) or charge (money out)."""
    if line.amount > 0:
        return "credit"
    upper = line.concept.upper()
    if (
        line.shared_item == RETURN_ITEM
        or any(word in upper for word in _RETURN_WORDS)
        or (creditor_id and _compact(line.creditor_id) == _compact(creditor_id))
    ):
        return "return"
    return "charge"


def _compact(text: str) -> str:
    return _NOT_ALNUM.sub("", (text or "").upper())


_JOINERS = re.compile(r"[-./_]")


def _loose(text: str) -> str:
    """Upper case without the joiners banks drop or keep ("F2026-00001-R3" and
    "F202600001R3" alike); spaces still separate words."""
    return _JOINERS.sub("", (text or "").upper())


def name_key(name: str) -> str:
    """A name as the matcher compares it: folded, words only, without the legal form."""
    words = [w for w in _WORDS.split(fold(name or "")) if w]
    while words and words[-1] in _LEGAL_FORMS:
        words.pop()
    return " ".join(words)


# --- proposals -----------------------------------------------------------------------------


@dataclass
class Proposal:
    """What the matcher proposes for one line (stored as JSON on the line)."""

    confidence: str = "none"  # sure likely ambiguous none
    reason: str = "none"
    client_id: int | None = None
    client_name: str = ""
    allocations: list[tuple[int, str, int]] = field(default_factory=list)  # id, code, cents
    candidates: list[tuple[int, str, int, str]] = field(default_factory=list)  # + client
    remittance_id: int | None = None
    item_id: int | None = None
    payment_id: int | None = None  # a return: the payment it undoes
    note: str = ""

    def to_json(self) -> str:
        return json.dumps(
            {
                "reason": self.reason,
                "client_id": self.client_id,
                "client_name": self.client_name,
                "allocations": self.allocations,
                "candidates": self.candidates,
                "remittance_id": self.remittance_id,
                "item_id": self.item_id,
                "payment_id": self.payment_id,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_row(cls, confidence: str, text: str, note: str = "") -> Proposal:
        try:
            data = json.loads(text or "{}")
        except ValueError:
            data = {}
        return cls(
            confidence=confidence,
            reason=data.get("reason", "none"),
            client_id=data.get("client_id"),
            client_name=data.get("client_name", ""),
            allocations=[tuple(a) for a in data.get("allocations", [])],  # type: ignore[misc]
            candidates=[tuple(c) for c in data.get("candidates", [])],  # type: ignore[misc]
            remittance_id=data.get("remittance_id"),
            item_id=data.get("item_id"),
            payment_id=data.get("payment_id"),
            note=note,
        )

    @property
    def total_cents(self) -> int:
        return sum(a[2] for a in self.allocations)


REASON_LABELS = {
    "invoice": N_("invoice number and amount"),
    "invoice_partial": N_("invoice number, part of what it owes"),
    "invoice_more": N_("invoice number, and more of the client's invoices"),
    "remittance": N_("remittance"),
    "collection": N_("direct debit of a remittance"),
    "client_exact": N_("client and exact amount"),
    "client_group": N_("client, several invoices adding up"),
    "client_partial": N_("client, part of what it owes"),
    "amount": N_("amount only"),
    "return": N_("returned direct debit"),
    "charge": N_("a charge, not a client payment"),
    "none": N_("no match"),
    "manual": N_("chosen by hand"),
}


@dataclass(frozen=True)
class _Open:
    id: int
    code: str
    client_id: int
    client_name: str
    cents: int  # outstanding, less what earlier lines of this run claimed


_OPEN = "outstanding_cents <> 0 AND status IN ('issued', 'partially_paid')"
# Whom a bank line may name: the clients who owe something (their running figure) or
# collect by direct debit; a payer is not looked for among 100,000 others.
_PAYERS = (
    "status <> 'merged' AND (outstanding_cents <> 0 OR id IN (SELECT client_id FROM sepa_mandate))"
)


class Matcher:
    """Proposes a match for each line of a run; keeps what earlier lines claimed."""

    def __init__(self, creditor_id: str = "") -> None:
        from . import settings

        self.creditor_id = creditor_id or settings.get("sepa.creditor_id")
        self.claimed: dict[int, int] = {}
        self._ibans: dict[str, set[int]] | None = None
        self._names: dict[str, set[int]] | None = None
        self._sorted_names: list[str] = []
        self._series: set[str] | None = None
        self._remittances: list[dict[str, Any]] | None = None

    # lookups, loaded when first needed

    def series(self) -> set[str]:
        if self._series is None:
            self._series = {r[0] for r in execute("SELECT DISTINCT series FROM series_counter")}
        return self._series

    def ibans(self) -> dict[str, set[int]]:
        if self._ibans is None:
            found: dict[str, set[int]] = {}
            for client_id, iban in execute(
                f"SELECT id, iban FROM client WHERE iban <> '' AND {_PAYERS} "
                "UNION ALL SELECT client_id, iban FROM sepa_mandate"
            ):
                found.setdefault(_compact(iban), set()).add(int(client_id))
            self._ibans = found
        return self._ibans

    def names(self) -> dict[str, set[int]]:
        if self._names is None:
            found: dict[str, set[int]] = {}
            for client_id, legal, trade in execute(
                f"SELECT id, legal_name, trade_name FROM client WHERE {_PAYERS}"
            ):
                for name in (legal, trade):
                    key = name_key(name)
                    if len(key) >= 3:
                        found.setdefault(key, set()).add(int(client_id))
            self._names = found
            self._sorted_names = sorted(found)
        return self._names

    def remittances(self) -> list[dict[str, Any]]:
        if self._remittances is None:
            pending: dict[int, dict[str, Any]] = {}
            for row in execute(
                "SELECT r.id, r.message_id, r.collection_date, i.id, i.end_to_end_id, "
                "i.invoice_id, i.client_id, i.amount_cents, i.status, i.payment_id, v.code "
                "FROM remittance r JOIN remittance_item i ON i.remittance_id = r.id "
                "JOIN invoice v ON v.id = i.invoice_id "
                "WHERE r.status IN ('sent', 'collected') AND i.status IN ('sent', 'collected')"
            ):
                entry = pending.setdefault(
                    int(row[0]),
                    {
                        "id": int(row[0]),
                        "message_id": str(row[1]),
                        "date": _day(row[2]),
                        "items": [],
                    },
                )
                entry["items"].append(
                    {
                        "id": int(row[3]),
                        "e2e": str(row[4]),
                        "invoice_id": int(row[5]),
                        "client_id": int(row[6]),
                        "cents": int(row[7]),
                        "status": str(row[8]),
                        "payment_id": row[9],
                        "code": str(row[10]),
                    }
                )
            self._remittances = list(pending.values())
        return self._remittances

    def _items_named(self, text: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Collections whose end-to-end id ("F2026-00001-R12") the compacted text quotes."""
        found = []
        for remittance in self.remittances():
            token = f"R{remittance['id']}"
            by_e2e = remittance.get("by_e2e")
            if by_e2e is None:
                by_e2e = {_loose(i["e2e"]): i for i in remittance["items"]}
                remittance["by_e2e"] = by_e2e
            start = text.find(token)
            while start != -1:
                end = start + len(token)
                if end >= len(text) or not text[end].isdigit():
                    for begin in range(max(0, start - 30), start):
                        item = by_e2e.get(text[begin:end])
                        if item is not None:
                            found.append((remittance, item))
                            break
                start = text.find(token, start + 1)
        return found

    # open invoices, less what this run claimed

    def _open(self, rows: Iterable[Sequence[Any]]) -> list[_Open]:
        found = []
        for r in rows:
            cents = int(r[4]) - self.claimed.get(int(r[0]), 0)
            found.append(_Open(int(r[0]), str(r[1]), int(r[2]), str(r[3]), cents))
        return found

    def by_codes(self, text: str) -> tuple[list[_Open], list[str]]:
        """Invoices named in the text: (open ones, codes of those with nothing to pay)."""
        known = self.series()
        seen: set[tuple[str, int, int]] = set()
        open_found: list[_Open] = []
        paid: list[str] = []
        for match in _CODE.finditer(text.upper()):
            series, year, number = match.group(1), int(match.group(2)), int(match.group(3))
            candidates = [series]
            # "FRA F2026-1" or "FACTURA2026/1": the series may end the word before it
            candidates += [series[i:] for i in range(1, len(series)) if series[i:] in known]
            for candidate in candidates:
                if candidate not in known or (candidate, year, number) in seen:
                    continue
                seen.add((candidate, year, number))
                row = execute(
                    "SELECT id, code, client_id, client_name, outstanding_cents, status "
                    "FROM invoice WHERE series = ? AND year = ? AND number = ?",
                    (candidate, year, number),
                ).fetchone()
                if row is None:
                    continue
                item = self._open([row])[0]
                if row[5] in ("issued", "partially_paid") and item.cents > 0:
                    open_found.append(item)
                else:
                    paid.append(item.code)
        return open_found, paid

    def of_client(self, client_id: int) -> list[_Open]:
        rows = execute(
            "SELECT id, code, client_id, client_name, outstanding_cents FROM invoice "
            f"WHERE client_id = ? AND {_OPEN} ORDER BY due_date, issue_date, id",
            (client_id,),
        )
        return [o for o in self._open(rows) if o.cents > 0]

    def by_amount(self, cents: int, limit: int = 6) -> list[_Open]:
        """Open invoices owing exactly `cents` (the partial index `invoice_open_amount`)."""
        rows = execute(
            "SELECT id, code, client_id, client_name, outstanding_cents FROM invoice "
            f"WHERE outstanding_cents = ? AND {_OPEN} ORDER BY due_date, id LIMIT ?",
            (cents, limit + 4),
        )
        found = [o for o in self._open(rows) if o.cents == cents]
        return found[:limit]

    def clients_in(self, line: StatementLine) -> set[int]:
        """Clients the line names: by an IBAN in its text, else by the payer's name."""
        found: set[int] = set()
        for match in _IBAN.finditer(line.concept.upper()):
            found |= self.ibans().get(_compact(match.group(1)), set())
        if found:
            return found
        names = []
        if line.payer:
            names.append(line.payer)
        for part in line.concept.split(" · "):
            lowered = part.lower()
            for prefix in _PAYER_PREFIXES:
                if lowered.startswith(prefix):
                    names.append(part[len(prefix) :])
                    break
            else:
                names.append(part)
        index = None
        for name in names:
            key = name_key(name)
            if len(key) < 3:
                continue
            if index is None:
                index = self.names()
            if key in index:
                return set(index[key])
            if len(key) >= 10:  # a name the bank cut short
                start = bisect.bisect_left(self._sorted_names, key)
                prefixed = []
                for candidate in self._sorted_names[start : start + 4]:
                    if candidate.startswith(key):
                        prefixed.append(candidate)
                if len(prefixed) == 1:
                    return set(index[prefixed[0]])
        return found

    # the proposal

    def propose(self, line: StatementLine, kind: str | None = None) -> Proposal:
        kind = kind or line_kind(line, self.creditor_id)
        if kind == "charge":
            return Proposal(reason="charge")
        if kind == "return":
            return self._return(line)
        proposal = self._credit(line)
        for invoice_id, _code, cents in proposal.allocations:
            self.claimed[invoice_id] = self.claimed.get(invoice_id, 0) + cents
        return proposal

    def _text(self, line: StatementLine) -> str:
        return " ".join((line.concept, line.reference1, line.reference2))

    def _credit(self, line: StatementLine) -> Proposal:
        cents = line.cents
        text = self._text(line)
        remitted = self._remittance(line, cents)
        if remitted is not None:
            return remitted
        named, paid = self.by_codes(text)
        note = _("{codes} has nothing left to pay").format(codes=", ".join(paid)) if paid else ""
        if named:
            clients = {o.client_id for o in named}
            owed = sum(o.cents for o in named)
            if len(clients) == 1 and owed == cents:
                return _allocate(named, cents, "sure", "invoice")
            if len(clients) == 1 and cents < owed:
                return _allocate(named, cents, "likely", "invoice_partial")
            if len(clients) == 1:
                client_id = next(iter(clients))
                more = self._for_client(client_id, cents, named)
                if more is not None:
                    more.reason = "invoice_more"
                    more.confidence = "likely"
                    return more
            proposal = _allocate(named, min(cents, owed), "ambiguous", "invoice")
            proposal.note = _("the invoices named owe {owed}, the line is {amount}").format(
                owed=from_cents(owed), amount=line.amount
            )
            return proposal
        clients = self.clients_in(line)
        if len(clients) == 1:
            proposal = self._for_client(next(iter(clients)), cents)
            if proposal is not None:
                if paid and proposal.confidence == "sure":
                    proposal.confidence = "likely"
                proposal.note = note
                return proposal
        elif len(clients) > 1:  # namesakes: likely when only one of them fits the amount
            fits = [
                p
                for p in (self._for_client(c, cents) for c in sorted(clients)[:5])
                if p is not None and p.reason in ("client_exact", "client_group")
            ]
            if len(fits) == 1:
                fits[0].confidence = "likely"
                fits[0].note = note
                return fits[0]
        same = self.by_amount(cents)
        if len(same) == 1:
            proposal = _allocate(same, cents, "likely", "amount")
            proposal.note = note
            return proposal
        if same:
            proposal = _allocate(same[:1], cents, "ambiguous", "amount")
            proposal.candidates = [(o.id, o.code, o.cents, o.client_name) for o in same]
            proposal.note = _("{n} open invoices owe exactly this amount").format(n=len(same))
            return proposal
        return Proposal(note=note or _("no open invoice matches"))

    def _for_client(
        self, client_id: int, cents: int, named: Sequence[_Open] = ()
    ) -> Proposal | None:
        invoices = self.of_client(client_id)
        if not invoices:
            return None
        exact = [o for o in invoices if o.cents == cents]
        if exact and not named:
            return _allocate(exact[:1], cents, "sure", "client_exact")
        ordered = list(named) + [o for o in invoices if o.id not in {n.id for n in named}]
        subsets = _subsets(ordered[:SUBSET_LIMIT], cents, must=len(named))
        if subsets:
            confidence = "sure" if len(subsets) == 1 else "likely"
            return _allocate(subsets[0], cents, confidence, "client_group")
        owed = sum(o.cents for o in invoices)
        if cents < owed and not named:
            return _allocate(invoices, cents, "likely", "client_partial")
        return None

    def _remittance(self, line: StatementLine, cents: int) -> Proposal | None:
        remittances = self.remittances()
        if not remittances:
            return None
        text = _loose(self._text(line))
        for remittance, item in self._items_named(text):
            if item["status"] == "sent" and item["cents"] == cents:
                return Proposal(
                    confidence="sure",
                    reason="collection",
                    client_id=item["client_id"],
                    allocations=[(item["invoice_id"], item["code"], cents)],
                    remittance_id=remittance["id"],
                    item_id=item["id"],
                )
        for remittance in remittances:
            waiting = [i for i in remittance["items"] if i["status"] == "sent"]
            total = sum(i["cents"] for i in waiting)
            if not waiting:
                continue
            named = _loose(remittance["message_id"]) in text
            near = abs((line.operation_date - remittance["date"]).days) <= REMITTANCE_DAYS
            if total == cents and (named or near):
                return Proposal(
                    confidence="sure",
                    reason="remittance",
                    allocations=[(i["invoice_id"], i["code"], i["cents"]) for i in waiting],
                    remittance_id=remittance["id"],
                )
        return None

    def _return(self, line: StatementLine) -> Proposal:
        cents = -line.cents
        text = _loose(self._text(line))
        for remittance, item in self._items_named(text):
            if item["cents"] == cents:
                if item["status"] != "collected" or not item["payment_id"]:
                    return Proposal(
                        reason="return",
                        remittance_id=remittance["id"],
                        item_id=item["id"],
                        note=_(
                            "{code}: its collection is not recorded yet; accept the "
                            "remittance's credit first"
                        ).format(code=item["code"]),
                    )
                return self._undo(int(item["payment_id"]), "sure", item["id"])
        payments = self._payments_for(line, cents)
        if len(payments) == 1:
            return self._undo(payments[0], "sure")
        if len(payments) > 1:
            proposal = self._undo(payments[0], "ambiguous")
            proposal.note = _("{n} payments of this amount could be the one returned").format(
                n=len(payments)
            )
            return proposal
        return Proposal(reason="return", note=_("no payment of this amount to undo"))

    def _payments_for(self, line: StatementLine, cents: int) -> list[int]:
        """Payments not reversed yet that a returned debit may undo: of an invoice named
        in the line, else of the mandate's (or the named client's) direct debits."""
        text = self._text(line).upper()
        codes = {f"{m.group(1)}{m.group(2)}-{int(m.group(3)):05d}" for m in _CODE.finditer(text)}
        if codes:
            rows = execute(
                "SELECT DISTINCT p.id FROM payment p JOIN payment_allocation a "
                "ON a.payment_id = p.id JOIN invoice i ON i.id = a.invoice_id "
                f"WHERE i.code IN ({', '.join('?' * len(codes))}) AND p.reversed_at IS NULL "
                "AND p.amount_cents = ? ORDER BY p.id DESC",
                [*sorted(codes), cents],
            ).fetchall()
            if rows:
                return [int(r[0]) for r in rows]
        clients: set[int] = set()
        if line.mandate_reference:
            clients |= {
                int(r[0])
                for r in execute(
                    "SELECT client_id FROM sepa_mandate WHERE reference = ?",
                    (line.mandate_reference,),
                )
            }
        if not clients:
            clients = self.clients_in(line)
        if not clients:
            return []
        rows = execute(
            "SELECT id FROM payment WHERE client_id IN "
            f"({', '.join('?' * len(clients))}) AND reversed_at IS NULL "
            "AND method = 'direct_debit' AND amount_cents = ? ORDER BY date DESC, id DESC",
            [*sorted(clients), cents],
        ).fetchall()
        return [int(r[0]) for r in rows]

    def _undo(self, payment_id: int, confidence: str, item_id: int | None = None) -> Proposal:
        row = execute(
            "SELECT p.client_id, c.legal_name FROM payment p JOIN client c ON c.id = p.client_id "
            "WHERE p.id = ?",
            (payment_id,),
        ).fetchone()
        allocations = [
            (int(r[0]), str(r[1] or ""), int(r[2]))
            for r in execute(
                "SELECT a.invoice_id, i.code, a.amount_cents FROM payment_allocation a "
                "JOIN invoice i ON i.id = a.invoice_id WHERE a.payment_id = ? ORDER BY a.id",
                (payment_id,),
            )
        ]
        return Proposal(
            confidence=confidence,
            reason="return",
            client_id=int(row[0]) if row else None,
            client_name=str(row[1]) if row else "",
            allocations=allocations,
            payment_id=payment_id,
            item_id=item_id,
        )


def _day(value: object) -> dt.date:
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _allocate(invoices: Sequence[_Open], cents: int, confidence: str, reason: str) -> Proposal:
    """Spread `cents` over `invoices` in their order, each at most what it owes."""
    left = cents
    allocations = []
    for invoice in invoices:
        if left <= 0:
            break
        share = min(left, invoice.cents)
        if share > 0:
            allocations.append((invoice.id, invoice.code, share))
            left -= share
    first = invoices[0] if invoices else None
    return Proposal(
        confidence=confidence,
        reason=reason,
        client_id=first.client_id if first else None,
        client_name=first.client_name if first else "",
        allocations=allocations,
    )


def _subsets(invoices: Sequence[_Open], cents: int, must: int = 0) -> list[list[_Open]]:
    """Up to two sets of at most GROUP_LIMIT `invoices` adding up to exactly `cents` (the
    first `must` of them always in), preferring older invoices; a bounded search."""
    found: list[list[_Open]] = []
    amounts = [o.cents for o in invoices]
    suffix = [0] * (len(amounts) + 1)  # what the invoices from here on add up to
    smallest = [0] * (len(amounts) + 1)  # the smallest of them
    for i in range(len(amounts) - 1, -1, -1):
        suffix[i] = suffix[i + 1] + amounts[i]
        smallest[i] = amounts[i] if i == len(amounts) - 1 else min(amounts[i], smallest[i + 1])
    steps = [0]

    def walk(index: int, left: int, chosen: list[_Open]) -> None:
        if len(found) >= 2 or steps[0] > 20_000:
            return
        steps[0] += 1
        if left == 0 and index >= must:
            found.append(list(chosen))
            return
        if index >= len(amounts) or left < smallest[index] or suffix[index] < left:
            return
        if len(chosen) >= GROUP_LIMIT:
            return
        chosen.append(invoices[index])
        walk(index + 1, left - amounts[index], chosen)
        chosen.pop()
        if index >= must:
            walk(index + 1, left, chosen)

    walk(0, cents, [])
    return [s for s in found if len(s) >= 2 or must]


# --- importing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportedLine:
    line: StatementLine
    kind: str
    known: bool  # already imported before (by this or another statement)
    status: str  # pending accepted ignored, or "new" in a dry run
    proposal: Proposal
    accepted: bool = False
    error: str = ""


@dataclass(frozen=True)
class ImportReport:
    file_name: str
    statement_id: int | None
    dry_run: bool
    lines: tuple[ImportedLine, ...]

    @property
    def new(self) -> int:
        return sum(1 for ln in self.lines if not ln.known)

    @property
    def known(self) -> int:
        return sum(1 for ln in self.lines if ln.known)

    @property
    def accepted(self) -> int:
        return sum(1 for ln in self.lines if ln.accepted)

    @property
    def sure(self) -> int:
        return sum(
            1
            for ln in self.lines
            if not ln.known and ln.proposal.confidence == "sure" and ln.kind != "charge"
        )

    @property
    def pending(self) -> int:
        return sum(1 for ln in self.lines if ln.status == "pending" and not ln.accepted)

    @property
    def failed(self) -> int:
        return sum(1 for ln in self.lines if ln.error)


def import_statement(
    path: Path | str,
    *,
    dry_run: bool = False,
    accept_sure: bool = False,
    data: bytes | None = None,
) -> ImportReport:
    """Import a Norma 43 file (see the module's rules); a dry run writes nothing."""
    if not dry_run:
        require("payments.write")  # before the file is even read
    parsed = read_statement(path, data=data)
    if dry_run:
        with read_snapshot():
            return _propose_only(parsed)
    import peewee

    try:
        return _import(parsed, accept_sure)
    except peewee.IntegrityError:  # a colleague imported the same lines at this very moment
        raise RuleViolation(
            _("{file}: someone imported the same lines meanwhile; import it again").format(
                file=parsed.file_name
            )
        ) from None


def _existing(identities: Sequence[str]) -> dict[str, tuple[int, str, str, str, str]]:
    """identity -> (movement id, status, confidence, proposal, note) of lines already stored."""
    found: dict[str, tuple[int, str, str, str, str]] = {}
    for start in range(0, len(identities), 500):
        chunk = identities[start : start + 500]
        for row in execute(
            "SELECT identity, id, status, confidence, proposal, note FROM bank_movement "
            f"WHERE identity IN ({', '.join('?' * len(chunk))})",
            chunk,
        ):
            found[str(row[0])] = (int(row[1]), str(row[2]), str(row[3]), str(row[4]), str(row[5]))
    return found


def _propose_only(parsed: ParsedStatement) -> ImportReport:
    matcher = Matcher()
    existing = _existing([ln.identity for ln in parsed.lines])
    lines = []
    for line in _credits_first(parsed.lines, matcher.creditor_id):
        kind = line_kind(line, matcher.creditor_id)
        known = existing.get(line.identity)
        if known is not None:
            proposal = Proposal.from_row(known[2], known[3], known[4])
            lines.append(ImportedLine(line, kind, True, known[1], proposal))
            continue
        proposal = matcher.propose(line, kind)
        status = "ignored" if kind == "charge" else "new"
        lines.append(ImportedLine(line, kind, False, status, proposal))
    lines.sort(key=lambda item: item.line.number)
    return ImportReport(parsed.file_name, None, True, tuple(lines))


def _credits_first(lines: Sequence[StatementLine], creditor_id: str) -> list[StatementLine]:
    """Credits before returns: a remittance's credit is recorded before its returns undo it."""
    return sorted(lines, key=lambda ln: (line_kind(ln, creditor_id) == "return", ln.number))


@transactional
def _import(parsed: ParsedStatement, accept_sure: bool) -> ImportReport:
    matcher = Matcher()
    existing = _existing([ln.identity for ln in parsed.lines])
    new_lines = [ln for ln in parsed.lines if ln.identity not in existing]
    statement = BankStatement.create(
        imported_by=login(),
        file_name=parsed.file_name[:255],
        sha256=parsed.sha256,
        accounts=", ".join(parsed.accounts)[:200],
        first_date=parsed.first_date,
        last_date=parsed.last_date,
        lines=len(parsed.lines),
        new_lines=len(new_lines),
    )
    # Lines still waiting from earlier imports are matched again first: invoices change.
    _rematch(matcher)
    proposals: dict[str, tuple[str, Proposal]] = {}
    rows = []
    now = utcnow()
    for line in _credits_first(new_lines, matcher.creditor_id):
        kind = line_kind(line, matcher.creditor_id)
        proposal = matcher.propose(line, kind)
        proposals[line.identity] = (kind, proposal)
        rows.append(
            (
                statement.id,
                line.identity,
                line.account,
                line.operation_date.isoformat(),
                line.value_date.isoformat(),
                line.cents,
                line.shared_item,
                line.own_item,
                line.document_number[:10],
                line.reference1[:12],
                line.reference2[:16],
                line.concept,
                line.payer[:120],
                line.end_to_end[:35],
                line.mandate_reference[:35],
                kind,
                "ignored" if kind == "charge" else "pending",
                proposal.confidence,
                proposal.to_json(),
                proposal.note,
                now.isoformat(sep=" ") if kind == "charge" else None,
                login() if kind == "charge" else "",
            )
        )
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        marks = ", ".join(["(" + ", ".join("?" * 22) + ")"] * len(chunk))
        execute(
            "INSERT INTO bank_movement (statement_id, identity, account, operation_date, "
            "value_date, amount_cents, shared_item, own_item, document_number, reference1, "
            "reference2, concept, payer, end_to_end, mandate_reference, kind, status, "
            "confidence, proposal, note, "
            f"resolved_at, resolved_by) VALUES {marks}",
            [value for row in chunk for value in row],
        )
    ids = {
        str(r[0]): int(r[1])
        for r in execute(
            "SELECT identity, id FROM bank_movement WHERE statement_id = ?", (statement.id,)
        )
    }
    accepted: dict[str, str] = {}  # identity -> "" (accepted) or the reason it was refused
    if accept_sure:
        for identity, (kind, proposal) in proposals.items():
            if kind == "credit" and proposal.confidence == "sure":
                accepted[identity] = _accept_quietly(ids[identity])
        # Returns are matched once the credits they undo are payments.
        returns = {ids[i]: i for i, (kind, _p) in proposals.items() if kind == "return"}
        if returns:
            _rematch(Matcher(), returns_only=True)
            for movement in BankMovement.select().where(BankMovement.id.in_(list(returns))):
                proposal = Proposal.from_row(movement.confidence, movement.proposal, movement.note)
                proposals[returns[movement.id]] = ("return", proposal)
                if proposal.confidence == "sure":
                    accepted[returns[movement.id]] = _accept_quietly(movement.id)
    audit.record(
        "import",
        "bank_statement",
        statement.id,
        changes={
            "file": (None, parsed.file_name),
            "lines": (None, len(parsed.lines)),
            "new": (None, len(new_lines)),
            "accepted": (None, sum(1 for v in accepted.values() if not v)),
        },
        summary=_("Bank statement {file}: {new} new lines of {lines}").format(
            file=parsed.file_name, new=len(new_lines), lines=len(parsed.lines)
        ),
    )
    lines = []
    for line in parsed.lines:
        if line.identity in existing:
            known = existing[line.identity]
            kind = line_kind(line, matcher.creditor_id)
            proposal = Proposal.from_row(known[2], known[3], known[4])
            lines.append(ImportedLine(line, kind, True, known[1], proposal))
            continue
        kind, proposal = proposals[line.identity]
        error = accepted.get(line.identity, "")
        done = line.identity in accepted and not error
        status = "ignored" if kind == "charge" else ("accepted" if done else "pending")
        lines.append(ImportedLine(line, kind, False, status, proposal, done, error))
    return ImportReport(parsed.file_name, statement.id, False, tuple(lines))


def _accept_quietly(movement_id: int) -> str:
    """Accept one line inside its own savepoint: "" when done, else the refusal (the line
    stays pending with it as its note)."""
    try:
        with database.atomic():
            accept_movement(movement_id)
    except ServiceError as exc:
        BankMovement.update(note=str(exc)).where(BankMovement.id == movement_id).execute()
        return str(exc) or exc.__class__.__name__
    return ""


def _rematch(matcher: Matcher, *, returns_only: bool = False) -> int:
    """Match the lines still pending again (in date order); returns how many changed."""
    changed = 0
    rows = list(
        execute(
            "SELECT id, account, operation_date, value_date, amount_cents, shared_item, "
            "own_item, document_number, reference1, reference2, concept, payer, kind, "
            "confidence, proposal, end_to_end, mandate_reference FROM bank_movement "
            "WHERE status = 'pending' "
            + ("AND kind = 'return' " if returns_only else "")
            + "ORDER BY kind = 'return', operation_date, id"
        )
    )
    for r in rows:
        line = StatementLine(
            number=0,
            account=str(r[1]),
            operation_date=_day(r[2]),
            value_date=_day(r[3]),
            amount=from_cents(int(r[4])),
            shared_item=int(r[5]),
            own_item=int(r[6]),
            document_number=str(r[7]),
            reference1=str(r[8]),
            reference2=str(r[9]),
            concept=str(r[10]),
            payer=str(r[11]),
            end_to_end=str(r[15]),
            mandate_reference=str(r[16]),
            creditor_id="",
        )
        proposal = matcher.propose(line, str(r[12]))
        if proposal.confidence != r[13] or proposal.to_json() != r[14]:
            changed += 1
            BankMovement.update(
                confidence=proposal.confidence, proposal=proposal.to_json(), note=proposal.note
            ).where(BankMovement.id == int(r[0])).execute()
    return changed


@transactional
def rematch_pending() -> int:
    """Match every pending line again (after invoices or payments changed)."""
    require("payments.write")
    return _rematch(Matcher())


# --- reviewing and accepting ---------------------------------------------------------------


@dataclass(frozen=True)
class MovementRow:
    """A stored bank line for the review screen and the command line."""

    id: int
    statement_id: int
    operation_date: dt.date
    value_date: dt.date
    amount: Decimal
    concept: str
    payer: str
    kind: str
    status: str
    proposal: Proposal
    payment_id: int | None
    resolved_by: str

    @property
    def confidence(self) -> str:
        return self.proposal.confidence


_MOVEMENT_SELECT = (
    "SELECT id, statement_id, operation_date, value_date, amount_cents, concept, payer, kind, "
    "status, confidence, proposal, note, payment_id, resolved_by FROM bank_movement"
)


def _movement(r: Sequence[Any]) -> MovementRow:
    return MovementRow(
        id=int(r[0]),
        statement_id=int(r[1]),
        operation_date=_day(r[2]),
        value_date=_day(r[3]),
        amount=from_cents(int(r[4])),
        concept=str(r[5]),
        payer=str(r[6]),
        kind=str(r[7]),
        status=str(r[8]),
        proposal=Proposal.from_row(str(r[9]), str(r[10]), str(r[11])),
        payment_id=int(r[12]) if r[12] is not None else None,
        resolved_by=str(r[13]),
    )


@dataclass(frozen=True)
class MovementFilter:
    status: str = "pending"  # pending accepted ignored, or "" for every line
    statement_id: int | None = None


def _movement_where(flt: MovementFilter) -> tuple[str, list[Any]]:
    clauses, params = ["1 = 1"], []
    if flt.status:
        clauses.append("status = ?")
        params.append(flt.status)
    if flt.statement_id is not None:
        clauses.append("statement_id = ?")
        params.append(flt.statement_id)
    return " AND ".join(clauses), params


def count_movements(flt: MovementFilter = MovementFilter()) -> int:
    where, params = _movement_where(flt)
    return int(execute(f"SELECT COUNT(*) FROM bank_movement WHERE {where}", params).fetchone()[0])


def list_movements(
    flt: MovementFilter = MovementFilter(), offset: int = 0, limit: int = 100
) -> list[MovementRow]:
    """Lines in date order (sure ones first among the pending); one page at a time."""
    where, params = _movement_where(flt)
    order = "operation_date, id"
    if flt.status == "pending":
        order = "confidence <> 'sure', kind = 'return', operation_date, id"
    rows = execute(
        f"{_MOVEMENT_SELECT} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return [_movement(r) for r in rows]


def get_movement(movement_id: int) -> MovementRow:
    row = execute(f"{_MOVEMENT_SELECT} WHERE id = ?", (movement_id,)).fetchone()
    if row is None:
        raise NotFound(_("bank line {id} does not exist").format(id=movement_id))
    return _movement(row)


def count_sure() -> int:
    return int(
        execute(
            "SELECT COUNT(*) FROM bank_movement WHERE status = 'pending' AND confidence = 'sure'"
        ).fetchone()[0]
    )


def _reference(movement: _StoredLine) -> str:
    parts = [movement.reference2, movement.document_number.lstrip("0"), movement.concept]
    text = " ".join(p for p in parts if p)
    return ("N43 " + text)[:100]


@transactional
def accept_movement(
    movement_id: int, allocations: Sequence[tuple[int, Decimal]] | None = None
) -> list[int]:
    """Reconcile one pending line: its proposal, or `allocations` [(invoice_id, amount)]
    chosen by hand (invoices of one client adding up to the line's amount). A credit
    becomes payments, a returned debit reverses the payment it undoes. Returns the ids of
    the payments made or reversed."""
    from . import payments

    require("payments.write")
    movement = _stored(movement_id)
    if movement.status != "pending":
        raise RuleViolation(
            _("this bank line was already {status} by {user}").format(
                status=_(STATUS_LABELS.get(movement.status, movement.status)),
                user=movement.resolved_by or "?",
            )
        )
    proposal = Proposal.from_row(movement.confidence, movement.proposal, movement.note)
    made: list[int] = []
    values: dict[str, Any] = {}
    if movement.kind == "charge":
        raise RuleViolation(_("a charge is not a client payment; nothing to accept"))
    if movement.kind == "return":
        if allocations is not None:
            raise RuleViolation(_("a returned direct debit undoes a payment; choose none"))
        if proposal.payment_id is None:
            raise RuleViolation(proposal.note or _("no payment to undo was found for this line"))
        made.append(_undo_payment(movement, proposal))
        values["payment"] = proposal.payment_id
    elif allocations is not None:
        made.append(_pay_by_hand(movement, allocations))
        values["payment"] = made[0]
    elif proposal.reason in ("remittance", "collection"):
        made += _collect(movement, proposal)
        values["remittance"] = proposal.remittance_id
        values["payment"] = made[0] if len(made) == 1 else None
    elif proposal.allocations and proposal.client_id is not None:
        if proposal.total_cents != to_cents(movement.amount):
            raise RuleViolation(
                _(
                    "the proposal settles {proposed} of {amount}: split the line or choose "
                    "the invoices"
                ).format(proposed=from_cents(proposal.total_cents), amount=movement.amount)
            )
        made.append(
            payments.register_payment(
                proposal.client_id,
                movement.operation_date,
                movement.amount,
                "transfer",
                _reference(movement),
                [(a[0], from_cents(a[2])) for a in proposal.allocations],
            )
        )
        values["payment"] = made[0]
    else:
        raise RuleViolation(
            proposal.note or _("nothing is proposed for this line: choose the invoices")
        )
    execute(
        "UPDATE bank_movement SET status = 'accepted', resolved_at = ?, resolved_by = ?, "
        "note = '', payment_id = ?, remittance_id = ? WHERE id = ?",
        (
            utcnow().isoformat(sep=" "),
            login(),
            values.get("payment"),
            values.get("remittance"),
            movement_id,
        ),
    )
    if proposal.reason in ("remittance", "collection"):
        _rematch(Matcher(), returns_only=True)  # its returns can now undo their payments
    audit.record(
        "reconcile",
        "bank_movement",
        movement_id,
        client_id=proposal.client_id if allocations is None else None,
        changes={"payments": (None, ", ".join(str(p) for p in made))},
        summary=_("Bank line of {date}, {amount}: reconciled").format(
            date=movement.operation_date.isoformat(), amount=movement.amount
        ),
    )
    return made


@dataclass(frozen=True)
class _StoredLine:
    """What accepting a line reads of it (one plain SELECT: this runs thousands of times)."""

    id: int
    status: str
    resolved_by: str
    kind: str
    confidence: str
    proposal: str
    note: str
    operation_date: dt.date
    amount: Decimal
    reference2: str
    document_number: str
    concept: str


def _stored(movement_id: int) -> _StoredLine:
    row = execute(
        "SELECT id, status, resolved_by, kind, confidence, proposal, note, operation_date, "
        "amount_cents, reference2, document_number, concept FROM bank_movement WHERE id = ?",
        (movement_id,),
    ).fetchone()
    if row is None:
        raise NotFound(_("bank line {id} does not exist").format(id=movement_id))
    return _StoredLine(
        int(row[0]),
        *(str(v) for v in row[1:7]),
        _day(row[7]),
        from_cents(int(row[8])),
        str(row[9]),
        str(row[10]),
        str(row[11]),
    )


STATUS_LABELS = {"pending": N_("pending"), "accepted": N_("accepted"), "ignored": N_("ignored")}


def _pay_by_hand(movement: _StoredLine, allocations: Sequence[tuple[int, Decimal]]) -> int:
    from . import payments

    if movement.kind != "credit":
        raise RuleViolation(_("only a credit can pay invoices"))
    if not allocations:
        raise ValidationError({"allocations": _("choose at least one invoice")})
    first = Invoice.get_or_none(Invoice.id == allocations[0][0])
    if first is None:
        raise NotFound(_("invoice {id} does not exist").format(id=allocations[0][0]))
    return payments.register_payment(
        first.client_id,
        movement.operation_date,
        movement.amount,
        "transfer",
        _reference(movement),
        list(allocations),
    )


def _collect(movement: _StoredLine, proposal: Proposal) -> list[int]:
    """A remittance's credit (or one collection's): one direct-debit payment per
    collection, dated as the bank dated the credit; the remittance is collected."""
    from . import payments

    query = RemittanceItem.select().where(
        (RemittanceItem.remittance == proposal.remittance_id) & (RemittanceItem.status == "sent")
    )
    if proposal.item_id is not None:
        query = query.where(RemittanceItem.id == proposal.item_id)
    items = list(query.order_by(RemittanceItem.id))
    if not items or sum(to_cents(i.amount) for i in items) != to_cents(movement.amount):
        raise RuleViolation(
            _("the remittance changed since this line was matched: match the lines again (r)")
        )
    made = []
    for item in items:
        payment_id = payments.register_payment(
            item.client_id,
            movement.operation_date,
            item.amount,
            "direct_debit",
            item.end_to_end_id,
            [(item.invoice_id, item.amount)],
        )
        RemittanceItem.update(status="collected", payment=payment_id).where(
            RemittanceItem.id == item.id
        ).execute()
        made.append(payment_id)
    still = (
        RemittanceItem.select()
        .where(
            (RemittanceItem.remittance == proposal.remittance_id)
            & (RemittanceItem.status == "sent")
        )
        .exists()
    )
    if not still:
        Remittance.update(status="collected").where(
            Remittance.id == proposal.remittance_id
        ).execute()
    return made


def _undo_payment(movement: _StoredLine, proposal: Proposal) -> int:
    """A direct debit came back: its payment is reversed and its invoices flagged."""
    from . import payments

    assert proposal.payment_id is not None
    payment = payments.get_payment(proposal.payment_id)
    if payment.is_reversed:
        raise RuleViolation(
            _("payment {id} was already reversed by {user}").format(
                id=payment.id, user=payment.reversed_by
            )
        )
    if to_cents(payment.amount) != -to_cents(movement.amount):
        raise RuleViolation(
            _("the returned amount {amount} is not the payment's {paid}").format(
                amount=-movement.amount, paid=payment.amount
            )
        )
    reason = _("Direct debit returned by the bank on {date}").format(
        date=movement.operation_date.isoformat()
    )
    payments.reverse_payment(payment.id, reason)
    invoice_ids = [a.invoice_id for a in payment.allocations]
    Invoice.update(debit_returned_on=movement.operation_date).where(
        Invoice.id.in_(invoice_ids)
    ).execute()
    RemittanceItem.update(status="returned").where(RemittanceItem.payment == payment.id).execute()
    for invoice_id in invoice_ids:
        audit.record(
            "flag",
            "invoice",
            invoice_id,
            client_id=payment.client_id,
            changes={"debit_returned_on": (None, movement.operation_date)},
            summary=reason,
        )
    return payment.id


@dataclass(frozen=True)
class SureResult:
    accepted: int
    refused: tuple[tuple[int, str], ...]  # (movement id, reason)


def accept_all_sure() -> SureResult:
    """Accept every pending sure line, credits first and then the returns they make
    possible; each all or nothing on its own (a refused one stays pending with its
    reason)."""
    require("payments.write")
    accepted = 0
    refused: list[tuple[int, str]] = []
    for kind in ("credit", "return"):
        if kind == "return":
            _rematch_returns()
        ids = [
            int(r[0])
            for r in execute(
                "SELECT id FROM bank_movement WHERE status = 'pending' AND confidence = 'sure' "
                "AND kind = ? ORDER BY operation_date, id",
                (kind,),
            )
        ]
        for movement_id in ids:
            try:
                accept_movement(movement_id)
            except ServiceError as exc:
                refused.append((movement_id, str(exc)))
                _note(movement_id, str(exc))
            else:
                accepted += 1
    return SureResult(accepted, tuple(refused))


@transactional
def _rematch_returns() -> int:
    return _rematch(Matcher(), returns_only=True)


@transactional
def _note(movement_id: int, note: str) -> None:
    BankMovement.update(note=note).where(BankMovement.id == movement_id).execute()


@transactional
def ignore_movement(movement_id: int, reason: str = "") -> None:
    """Set a pending line aside: not a client payment (a loan, interest, a refund...)."""
    require("payments.write")
    movement = BankMovement.get_or_none(BankMovement.id == movement_id)
    if movement is None:
        raise NotFound(_("bank line {id} does not exist").format(id=movement_id))
    if movement.status != "pending":
        raise RuleViolation(
            _("this bank line was already {status} by {user}").format(
                status=_(STATUS_LABELS.get(movement.status, movement.status)),
                user=movement.resolved_by or "?",
            )
        )
    BankMovement.update(
        status="ignored", resolved_at=utcnow(), resolved_by=login(), note=reason[:200]
    ).where(BankMovement.id == movement_id).execute()
    audit.record(
        "ignore",
        "bank_movement",
        movement_id,
        changes={"status": ("pending", "ignored")},
        summary=reason[:200],
    )


def candidate_invoices(movement_id: int, text: str = "", limit: int = 50) -> list[tuple]:
    """Open invoices a person may pick for a line: those whose number or client matches
    `text`, else the line's proposal's client's, else those owing exactly its amount.
    Rows: (invoice id, code, client id, client name, outstanding)."""
    movement = get_movement(movement_id)
    wanted = text.strip()
    params: list[Any]
    if wanted:
        from .clients import ClientFilter, list_clients

        clients = [c.id for c in list_clients(ClientFilter(text=wanted, status=""), 0, 20)]
        marks = ", ".join("?" * len(clients)) or "NULL"
        params = [wanted.upper() + "%", *clients, limit]
        sql = (
            "SELECT id, code, client_id, client_name, outstanding_cents FROM invoice "
            f"WHERE {_OPEN} AND outstanding_cents > 0 AND (code LIKE ? OR client_id IN ({marks})) "
            "ORDER BY due_date, id LIMIT ?"
        )
    elif movement.proposal.client_id is not None:
        params = [movement.proposal.client_id, limit]
        sql = (
            "SELECT id, code, client_id, client_name, outstanding_cents FROM invoice "
            f"WHERE client_id = ? AND {_OPEN} AND outstanding_cents > 0 "
            "ORDER BY due_date, id LIMIT ?"
        )
    else:
        params = [to_cents(movement.amount), limit]
        sql = (
            "SELECT id, code, client_id, client_name, outstanding_cents FROM invoice "
            f"WHERE outstanding_cents = ? AND {_OPEN} ORDER BY due_date, id LIMIT ?"
        )
    return [
        (int(r[0]), str(r[1]), int(r[2]), str(r[3]), from_cents(int(r[4])))
        for r in execute(sql, params)
    ]


def describe(proposal: Proposal, amount: Decimal | None = None) -> str:
    """The proposal in words: "F2026-00001 (sure: invoice number and amount)"."""
    reason = _(REASON_LABELS.get(proposal.reason, proposal.reason))
    if proposal.reason == "charge":
        return reason
    if proposal.reason == "return" and proposal.payment_id is not None:
        codes = ", ".join(a[1] for a in proposal.allocations)
        text = _("undo payment {id} of {codes}").format(id=proposal.payment_id, codes=codes)
    elif proposal.allocations:
        text = ", ".join(
            a[1]
            if amount is None or (len(proposal.allocations) == 1 and a[2] == to_cents(amount))
            else f"{a[1]} {from_cents(a[2])}"
            for a in proposal.allocations[:6]
        )
        if len(proposal.allocations) > 6:
            text += " " + _("and {n} more").format(n=len(proposal.allocations) - 6)
    else:
        text = proposal.note or _("no match")
        return text
    confidence = _(CONFIDENCE_LABELS.get(proposal.confidence, proposal.confidence))
    return f"{text} ({confidence}: {reason})"


CONFIDENCE_LABELS = {
    "sure": N_("sure"),
    "likely": N_("likely"),
    "ambiguous": N_("ambiguous"),
    "none": N_("no match"),
}
