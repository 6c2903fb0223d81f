"""User text on screen exactly as typed: never markup, never a terminal control sequence.

`Content(text)` already keeps Rich markup literal; these helpers also replace
control characters (an escape sequence in a note must not repaint the terminal)
and bidi overrides, keeping newlines where a widget shows several lines.
"""

from __future__ import annotations

from textual.content import Content

from .widgets.lazy_table import sanitize


def one_line(text: str | None) -> str:
    """Text for one line: newlines become spaces, control characters become visible symbols."""
    return sanitize(text or "")


def lines(text: str | None) -> str:
    """Text for several lines: each line sanitised, the line breaks kept."""
    return "\n".join(sanitize(line) for line in (text or "").split("\n"))


def plain(text: str | None) -> Content:
    """A widget-ready Content of user text (several lines), shown literally."""
    return Content(lines(text))
