"""Verify a hash chain: a small generic piece shared by every chained log.

A chain is a sequence of links, each with its position, the hash it says it has, the
hash it says comes before it, and the hash recomputed from its own content. The chain
is sound when every link's stored hash equals the recomputed one, positions run 1, 2,
3 … without gaps or repeats, the first link points at nothing and every other link
points at the stored hash of the link before it. VERI*FACTU's record chain uses it
per issuer; any other hash-chained log (the audit log) can feed it its own links.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K")


@dataclass(frozen=True)
class Link(Generic[K]):
    key: K  # what the caller names a finding by (a record id, an invoice number…)
    position: int
    stored_hash: str
    previous_hash: str  # "" for the first link
    computed_hash: str  # recomputed from the link's content by the caller


@dataclass(frozen=True)
class Break(Generic[K]):
    """One thing wrong with a chain, at `key` (kind: hash, gap, repeat, first, link)."""

    key: K
    position: int
    kind: str


def verify_chain(
    links: Iterable[Link[K]], *, first_previous: str = "", start: int = 1
) -> Iterator[Break[K]]:
    """Yield every break of a chain given in position order; nothing when it is sound.

    Streams: memory does not grow with the chain, so a million links are fine.
    `first_previous` is what the first link must point at ("" for a chain's start).
    """
    expected_position = start
    previous_stored: str | None = None
    for link in links:
        if link.computed_hash != link.stored_hash:
            yield Break(link.key, link.position, "hash")
        if link.position < expected_position:
            yield Break(link.key, link.position, "repeat")
        elif link.position > expected_position:
            yield Break(link.key, link.position, "gap")
        if previous_stored is None:
            if link.position == start and link.previous_hash != first_previous:
                yield Break(link.key, link.position, "first")
        elif link.previous_hash != previous_stored:
            yield Break(link.key, link.position, "link")
        previous_stored = link.stored_hash
        expected_position = max(expected_position, link.position) + 1


def count_breaks(links: Iterable[Link[K]], report: Callable[[Break[K]], None]) -> int:
    """Run `verify_chain`, hand each break to `report`, and return how many there were."""
    found = 0
    for broken in verify_chain(links):
        report(broken)
        found += 1
    return found
