"""Where the Textual CSS lives: inside the installed package, or the checkout's `styles/`.

`STYLESHEETS` is every stylesheet of the app, in the order they cascade. The app reads at
start only `app` and the stylesheet of the screen it opens on (`MODE_STYLESHEETS`); the
rest is read once the first screen has shown its rows (`ui/app.py`, `_read_later_css`):
parsing them all came to a tenth of the time to the first frame, for rules that only
other screens use.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent

STYLESHEETS = (
    "app",
    "clients",
    "first_run",
    "admin",
    "client_file",
    "agenda",
    "excel",
    "invoices",
    "receivables",
    "email",
    "reports",
    "bank",
    "dashboard",
)
# The stylesheets each mode's own screen uses (ui/app.py, MODES), read at start with
# app.tcss (tests/ui/test_later_css.py checks that the rest changes nothing there).
MODE_STYLESHEETS = {
    "home": ("dashboard", "admin"),  # admin.tcss: .screen-help
    "clients": ("clients",),
    "agenda": ("agenda",),
    "invoices": ("invoices",),
    "receivables": ("receivables",),
    "reports": ("reports",),
}


def styles_dir() -> Path:
    installed = _PACKAGE / "styles"  # the wheel ships the top-level styles/ here
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / "styles"  # an editable install runs from the checkout


def css_paths(*names: str) -> list[Path]:
    directory = styles_dir()
    return [directory / f"{name}.tcss" for name in names]


def first_css_paths(mode: str) -> list[Path]:
    """What the first frame of `mode` needs: app.tcss and the mode's own stylesheets, in
    the order of `STYLESHEETS`."""
    wanted = {"app", *MODE_STYLESHEETS.get(mode, ())}
    return css_paths(*(name for name in STYLESHEETS if name in wanted))
