"""What the palette providers share: a fixed list of commands, and clients by name."""

from __future__ import annotations

from collections.abc import Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

Entry = tuple[str, Callable[[], None], str]  # (title, command, help), translated


class CommandList(Provider):
    """A provider of fixed commands: each listed when the palette opens, and found by
    what is typed (fuzzy, as Textual matches)."""

    def entries(self) -> list[Entry]:
        raise NotImplementedError

    async def discover(self) -> Hits:
        for title, command, help_text in self.entries():
            yield DiscoveryHit(Content(title), command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, command, help_text in self.entries():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), command, help=help_text)


def client_matches(text: str, limit: int = 12) -> list[tuple[int, str, str]]:
    """Clients and leads matching `text`: (id, name, tax ID), in the palette's thread."""
    from ...services.calls import run_call
    from ...services.client_list import ClientFilter, list_clients

    rows = run_call(lambda: list_clients(ClientFilter(text=text, status=""), 0, limit))
    return [(row.id, row.name, row.tax_id) for row in rows]


async def client_hits(
    text: str,
    template: str,
    command: Callable[[int], None],
    *,
    score: float,
    limit: int,
    failed: Callable[[Exception], None] | None = None,
) -> Hits:
    """One hit per client matching `text` ("Go to client: {name}"), best first. When the
    database is busy there are none (`failed` is told): the palette must not break."""
    import asyncio

    try:
        found = await asyncio.to_thread(client_matches, text, limit)
    except Exception as exc:
        if failed is not None:
            failed(exc)
        return
    for position, (client_id, name, tax_id) in enumerate(found):
        label = Content(template.format(name=name))
        yield Hit(
            score=score - position / 100,
            match_display=label,
            command=lambda cid=client_id: command(cid),
            text=label.plain,
            help=tax_id or None,
        )


def strip_prefix(text: str, *prefixes: str) -> str | None:
    """`text` without the first of `prefixes` it starts with (any case), or None."""
    for prefix in prefixes:
        if text.casefold().startswith(prefix.casefold()):
            return text[len(prefix) :].strip()
    return None
