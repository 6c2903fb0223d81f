"""The terminal as text, from the app's own SVG screenshot (public API only), for assertions.

Each `<text>` element of `App.export_screenshot()` carries its line (clip-path
`line-N`) and its x position; joined in order they give what a user reads.
"""

from __future__ import annotations

import html
import re

_TEXT = re.compile(
    r'<text [^>]*x="(?P<x>[0-9.]+)"[^>]*textLength="(?P<w>[0-9.]+)"[^>]*'
    r'clip-path="url\(#terminal-[0-9]+-line-(?P<line>[0-9]+)\)"[^>]*>(?P<text>[^<]*)</text>'
)
CELL = 12.2  # width of one terminal cell in Rich's SVG export


def screen_lines(app) -> list[str]:
    """Every line of the screen as plain text (wide characters take their cells)."""
    svg = app.export_screenshot()
    lines: dict[int, list[tuple[float, str]]] = {}
    for match in _TEXT.finditer(svg):
        text = html.unescape(match.group("text")).replace("\u00a0", " ")
        lines.setdefault(int(match.group("line")), []).append((float(match.group("x")), text))
    out = []
    for number in range(max(lines, default=-1) + 1):
        parts = sorted(lines.get(number, []))
        line = ""
        for x, text in parts:
            column = round(x / CELL)
            if len(line) < column:
                line += " " * (column - len(line))
            line += text
        out.append(line.rstrip())
    return out


def screen_text(app) -> str:
    return "\n".join(screen_lines(app))
