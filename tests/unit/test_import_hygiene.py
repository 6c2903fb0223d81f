"""Start-up stays light: importing the TUI, or building the command line's parser, in a
fresh interpreter loads none of the heavy libraries a single feature needs. Each is
imported where it is used (ARCHITECTURE.md, "Imports that stay deferred"); a module-level
import of one of them anywhere on the way to the app would slow every start."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# What each of these is for: spreadsheets out and in, PDFs, the keyring, XML and QR codes
# (VERI*FACTU), the certificate, bank files (Norma 43, SEPA), and the PostgreSQL driver
# (peewee would import it at once; tui_crm.db hands it over when PostgreSQL is opened).
HEAVY = (
    "xlsxwriter",
    "openpyxl",
    "fpdf",
    "keyring",
    "lxml",
    "segno",
    "cryptography",
    "csb43",
    "sepaxml",
    "psycopg2",
)


def _loaded_after(code: str) -> set[str]:
    """The top-level packages loaded by running `code` in a fresh interpreter."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return {name.split(".")[0] for name in json.loads(done.stdout.splitlines()[-1])}


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("import tui_crm.ui.app", id="the TUI"),
        pytest.param("from tui_crm.cli import build_parser; build_parser()", id="the parser"),
    ],
)
def test_starting_loads_no_heavy_library(code: str) -> None:
    loaded = _loaded_after(code)
    assert "tui_crm" in loaded  # the probe did import the app
    assert sorted(loaded.intersection(HEAVY)) == []


def test_the_probe_sees_a_heavy_library_when_one_is_loaded() -> None:
    """The guard can fail: importing the spreadsheet writer's module is seen."""
    assert "xlsxwriter" in _loaded_after("import xlsxwriter")
