"""Hashing for tamper evidence: a canonical form of a content, its fingerprint, and the
link of a hash chain (each entry's hash covers the previous entry's hash and its own
canonical content, so an entry changed, removed or slipped in between shows).

Walking a chain and naming its breaks is `verifactu.chain.verify_chain`, shared with
VERI*FACTU's record chain (whose hash, the huella, AEAT defines itself). No database,
no Textual: plain values in, plain hashes out.

`link(previous, content)` is SHA-256 over the previous hash, a newline and the canonical
content, as lower-case hex. The first entry's previous hash is "" (GENESIS).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
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
