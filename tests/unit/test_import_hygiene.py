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


# What the client list's first page does not need, kept off the way to it: the rules for
# writing a client, the audit log (its hash chain, VERI*FACTU's formats) and the checks of
# tax IDs. Each is imported where something is changed.
NOT_FOR_THE_FIRST_PAGE = (
    "tui_crm.services.clients",
    "tui_crm.services.audit",
    "tui_crm.services.evidence",
    "tui_crm.services.validation",
    "tui_crm.services.records",
    "tui_crm.verifactu.formats",
)


def _modules_after(code: str) -> set[str]:
    """Every module loaded by running `code` in a fresh interpreter."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_the_way_to_the_client_list_loads_no_writing_rules() -> None:
    """What the cold start imports (bench/targets_startup.py) up to the client list's first
    page: opening a database, the app, the list's screen and its reading of a page."""
    loaded = _modules_after(
        "import tui_crm.services.startup, tui_crm.ui.app, tui_crm.ui.screens.clients\n"
        "import tui_crm.services.client_list"
    )
    assert "tui_crm.services.client_list" in loaded  # the probe did reach the list
    assert sorted(loaded.intersection(NOT_FOR_THE_FIRST_PAGE)) == []


def test_the_probe_sees_the_writing_rules_when_they_are_loaded() -> None:
    """The guard can fail: the client services still bring the audit log with them."""
    loaded = _modules_after("import tui_crm.services.clients")
    assert {"tui_crm.services.clients", "tui_crm.services.audit"} <= loaded
