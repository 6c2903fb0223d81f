"""What the TUI tests share: waiting for the app, a fixed clock, and a demo business.

`settle(pilot, app=None, rounds=4)`
    Let the workers finish and the messages they post be handled (a service call's
    result arrives as a message after its worker ends), a few rounds, since a result
    often starts the next read. Tests import it: `from .conftest import settle`.
`frozen_clock`
    Today is `TODAY` (Monday 16 March 2026) and now is `NOW` (09:30 UTC) for the whole
    application: it reads the date and the time through the `datetime` module's
    `date.today()` / `datetime.now()` everywhere, which this fixture answers (values
    are real `date`/`datetime` objects; `isinstance` keeps working). Local time is UTC.
`demo`
    A believable business (`tui_crm.demo`, fixed seed, generated as of `TODAY`) in a
    SQLite file of its own (a copy of one generated per test process), opened by
    "tester": the login every machine reports here (`config.current_login`), so that no
    screen shows whoever runs the tests, and an empty keyring in memory (`MemoryKeyring`),
    so that the settings do not show this machine's. Returns the `Opened` to give `CrmApp`.
`office`
    A client with two contacts (Lucía, the billing one, and Pedro, both with an email), a
    colleague "marta" with her address, a document of the client, and an empty keyring
    in memory: the set-up of the email and meeting journeys. Yields a dict of their ids
    ("db", "client_id", "lucia", "pedro", "doc").
`fresh_ui(language)`
    The TUI imported anew in `language` ("en" or "es"): key labels are translated when
    a screen's module is imported, so a screen in Spanish needs its modules imported in
    Spanish. Yields the fresh `tui_crm.ui.app` module; the modules the other tests
    imported are put back afterwards.
"""

from __future__ import annotations

import contextlib
import datetime
import shutil
import sqlite3  # noqa: F401 - its date adapters must know the real classes (see frozen_clock)
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

TODAY = datetime.date(2026, 3, 16)
NOW = datetime.datetime(2026, 3, 16, 9, 30, 0)  # UTC
DEMO_SIZE = (40, 300, 7)  # clients, invoices, seed


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "snapshot: an SVG snapshot of a screen (snap_compare)")


async def settle(pilot, app=None, rounds: int = 4) -> None:
    """Let the workers finish and the messages they post be handled (see the module doc)."""
    app = app or pilot.app
    for _ in range(rounds):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()


# --- a fixed clock ------------------------------------------------------------------------

_REAL_DATE = datetime.date
_REAL_DATETIME = datetime.datetime


class _Frozen(type):
    """Instances and subclasses of the real class count as the frozen class's own."""

    _real: type

    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, cls._real)

    def __subclasscheck__(cls, sub: type) -> bool:
        return issubclass(sub, cls._real)


class FrozenDate(_REAL_DATE, metaclass=_Frozen):
    _real = _REAL_DATE

    def __new__(cls, *args, **kwargs):  # a real date, whatever constructs it
        return _REAL_DATE.__new__(_REAL_DATE, *args, **kwargs)

    @classmethod
    def today(cls):
        return TODAY


class FrozenDateTime(_REAL_DATETIME, metaclass=_Frozen):
    _real = _REAL_DATETIME

    def __new__(cls, *args, **kwargs):
        return _REAL_DATETIME.__new__(_REAL_DATETIME, *args, **kwargs)

    @classmethod
    def now(cls, tz=None):
        if tz is None:
            return NOW
        return NOW.replace(tzinfo=datetime.UTC).astimezone(tz)

    @classmethod
    def utcnow(cls):
        return NOW

    @classmethod
    def today(cls):
        return NOW


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Libraries that key something by the real classes at import time (sqlite3's date
    # adapters, imported above) keep working: every value stays a real date or datetime.
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(datetime, "date", FrozenDate)
    monkeypatch.setattr(datetime, "datetime", FrozenDateTime)
    yield
    monkeypatch.undo()
    time.tzset()


# --- a demo business ----------------------------------------------------------------------


_TEMPLATES: dict[tuple[int, int, int], Path] = {}  # one demo database per test process


def _demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo business generated once per test process (a second, not a tenth of one, to
    copy); every `demo` test gets its own copy of the directory."""
    from tui_crm import db as db_module
    from tui_crm.config import DatabaseTarget
    from tui_crm.demo import generate_demo
    from tui_crm.services.startup import open_for_use

    if DEMO_SIZE not in _TEMPLATES:
        from tui_crm.services.session import Actor, set_actor

        # As when a person first opens it: nobody acts yet (an earlier test may have set
        # someone), so the audit log says the system created its first user.
        set_actor(Actor(login="system", role="admin"))
        directory = tmp_path_factory.mktemp("demo") / "db"
        directory.mkdir(mode=0o700)
        open_for_use(DatabaseTarget(str(directory / "crm.sqlite3")))
        clients, invoices, seed = DEMO_SIZE
        generate_demo(clients, invoices, seed, today=TODAY)
        db_module.close_database()
        _TEMPLATES[DEMO_SIZE] = directory
    return _TEMPLATES[DEMO_SIZE]


@pytest.fixture
def demo(
    app_env,
    frozen_clock,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
):
    import keyring.core
    from smtp_support import MemoryKeyring

    from tui_crm import config, i18n
    from tui_crm import db as db_module
    from tui_crm.config import DatabaseTarget
    from tui_crm.services.startup import open_for_use

    for name in ("NO_COLOR", "FORCE_COLOR", "TEXTUAL", "SSH_CONNECTION", "COLUMNS", "LINES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(config, "current_login", lambda: "tester")
    # A keyring that works, the same on every machine (the settings name its backend).
    monkeypatch.setattr(keyring.core, "_keyring_backend", MemoryKeyring())
    directory = tmp_path / "db"
    shutil.copytree(_demo_template(tmp_path_factory), directory)
    opened = open_for_use(DatabaseTarget(str(directory / "crm.sqlite3")))
    try:
        yield opened
    finally:
        db_module.close_database()
        i18n.setup("en")


# --- the TUI imported in a language -------------------------------------------------------


@contextlib.contextmanager
def fresh_ui(language: str) -> Iterator[ModuleType]:
    from tui_crm import i18n

    saved = {name: module for name, module in sys.modules.items() if _is_ui(name)}
    for name in saved:
        del sys.modules[name]
    i18n.setup(language)
    try:
        import tui_crm.ui.app as app_module

        yield app_module
    finally:
        for name in [name for name in sys.modules if _is_ui(name)]:
            del sys.modules[name]
        sys.modules.update(saved)
        if "tui_crm.ui" in saved:  # the package's attribute, as the other tests knew it
            sys.modules["tui_crm"].ui = saved["tui_crm.ui"]  # type: ignore[attr-defined]
        i18n.setup("en")


def _is_ui(name: str) -> bool:
    return name == "tui_crm.ui" or name.startswith("tui_crm.ui.")


@pytest.fixture
def office(db, keyring_backend):
    """See the module's docstring."""
    from invoicing_support import make_client, set_issuer

    from tui_crm.services import contacts, documents, users

    set_issuer()
    client_id = make_client()
    lucia = contacts.create_contact(
        client_id,
        contacts.ContactData(first_name="Lucía", last_name="Fernández", email="lucia@pm.es",
                             is_billing=True),
    )  # fmt: skip
    pedro = contacts.create_contact(
        client_id, contacts.ContactData(first_name="Pedro", email="pedro@pm.es")
    )
    users.add_user("marta", "sales", "Marta Gómez")
    users.set_details("marta", "Marta Gómez", "marta@disenonunez.es")
    doc = documents.add_document(b"tarifa", "tarifa.txt", mime="text/plain", client_id=client_id)
    return {"db": db, "client_id": client_id, "lucia": lucia, "pedro": pedro, "doc": doc}
