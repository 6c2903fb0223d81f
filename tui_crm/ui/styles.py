"""Where the Textual CSS lives: inside the installed package, or the checkout's `styles/`."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


def styles_dir() -> Path:
    installed = _PACKAGE / "styles"  # the wheel ships the top-level styles/ here
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / "styles"  # an editable install runs from the checkout


def css_paths(*names: str) -> list[Path]:
    directory = styles_dir()
    return [directory / f"{name}.tcss" for name in names]
