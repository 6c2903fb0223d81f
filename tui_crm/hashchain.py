"""A hash chain: each entry carries the hash of the one before it, so an entry changed,
removed or slipped in between shows when the chain is walked again.

Generic on purpose (the audit log uses it; a VERI*FACTU record chain is the same idea):
the caller says what an entry's canonical content is, this module links and verifies.
No database, no Textual: plain values in, plain findings out.

`link(previous, content)` is SHA-256 over the previous hash, a newline and the canonical
content, as lower-case hex. The first entry's previous hash is "" (GENESIS).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

GENESIS = ""


def _default(value: Any) -> Any:
    """What JSON does not know, as text (json calls this for those values only)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"cannot hash a {type(value).__name__}")


def canonical(content: Mapping[str, Any]) -> bytes:
    """One byte string per content, whatever the key order: sorted-key compact JSON, UTF-8
    (decimals, dates and times as their ISO text)."""
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    ).encode("utf-8")


def digest(content: Mapping[str, Any]) -> str:
    """The SHA-256 (hex) of a content's canonical form: a fingerprint with no chain."""
    return hashlib.sha256(canonical(content)).hexdigest()


def link(previous: str, content: Mapping[str, Any]) -> str:
    """The hash of an entry: its canonical content bound to the previous entry's hash."""
    return hashlib.sha256(previous.encode("ascii") + b"\n" + canonical(content)).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One stored entry as read back: its key (an id), the hashes it carries, its content."""

    key: object
    previous: str
    hash: str
    content: Mapping[str, Any]


@dataclass(frozen=True)
class Break:
    """What walking the chain found wrong at one entry.

    kind: "changed"  the entry's content no longer gives its hash (edited after writing);
          "gap"      the entry does not follow the one before it (entries removed, or
                     inserted, between `after` and `key`);
          "unchained" the entry carries no hash at all (written behind the application's back).
    """

    kind: str
    key: object
    after: object = None


def verify(entries: Iterable[Entry]) -> list[Break]:
    """Walk the entries in chain order and name every break (empty list: the chain holds)."""
    breaks: list[Break] = []
    expected = GENESIS
    previous_key: object = None
    for entry in entries:
        if not entry.hash:
            breaks.append(Break("unchained", entry.key, previous_key))
            previous_key = entry.key
            continue
        if entry.previous != expected:
            breaks.append(Break("gap", entry.key, previous_key))
        if link(entry.previous, entry.content) != entry.hash:
            breaks.append(Break("changed", entry.key, previous_key))
        expected = entry.hash
        previous_key = entry.key
    return breaks
