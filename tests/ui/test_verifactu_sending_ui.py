"""The TUI's background VERI*FACTU sender and "Send VERI*FACTU records now", against the local
AEAT stand-in (trusted through SSL_CERT_FILE, as a user's system would trust AEAT)."""

from __future__ import annotations

import datetime as dt

import pytest
from aeat_standin import FUTURE_DATE, wait_until
from invoicing_support import issued, make_client, set_issuer
from smtp_support import MemoryKeyring

from tui_crm.models import VerifactuRecord, VerifactuSubmission
from tui_crm.services import secrets, settings
from tui_crm.ui import verifactu_sending
from tui_crm.ui.app import CrmApp

from .conftest import settle

TODAY = dt.date.today()


@pytest.fixture
def office(db, aeat, aeat_pki, monkeypatch):
    import keyring

    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    monkeypatch.setenv("SSL_CERT_FILE", str(aeat_pki.ca_file))
    set_issuer()
    settings.set_many(
        {
            "verifactu.enabled": "yes",
            "verifactu.endpoint": aeat.url,
            "verifactu.certificate": str(aeat_pki.client_p12),
        }
    )
    secrets.set_verifactu_password(aeat_pki.password)
    yield make_client()
    keyring.set_keyring(previous)


def _messages(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_the_background_sender_sends_and_names_what_aeat_rejected(
    db, office, aeat, monkeypatch
):
    codes = [issued(office, TODAY).code for _ in range(2)]
    aeat.outcomes[codes[1]] = ("Incorrecto", *FUTURE_DATE)
    monkeypatch.setattr(verifactu_sending, "FIRST_LOOK_S", 0.2)
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(100):
            await pilot.pause(0.1)
            if VerifactuSubmission.select().where(VerifactuSubmission.finished_at.is_null(False)):
                break
        await settle(pilot, app)
        statuses = [r.status for r in VerifactuRecord.select().order_by(VerifactuRecord.id)]
        assert statuses == ["accepted", "rejected"]
        rejected = [m for m in _messages(app) if "AEAT rejected 1 VERI*FACTU record" in m]
        assert len(rejected) == 1
        assert f"{codes[1]}: [1112] {FUTURE_DATE[1]}" in rejected[0]
        # Quiet otherwise: no summary, no "nothing to send" from the background.
        assert not any(m.startswith("sent ") for m in _messages(app))


async def test_send_now_from_the_palette_and_quiet_background_when_offline(db, office, aeat):
    issued(office, TODAY)
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p", *"send veri")
        await pilot.pause(0.3)
        await pilot.press("enter")
        assert wait_until(lambda: len(aeat.requests) == 1, timeout=15)
        await settle(pilot, app)
        assert VerifactuRecord.get().status == "accepted"
        assert any(
            m.startswith("sent 1, accepted 1, with errors 0, rejected 0, pending 0")
            for m in _messages(app)
        )
        # Offline: the background says nothing, the records wait.
        issued(office, TODAY)
        aeat.stop()
        from tui_crm.models import VerifactuChain

        VerifactuChain.update(next_send_at=None).execute()
        before = len(app._notifications)
        app._verifactu_tick()
        await settle(pilot, app)
        assert len(app._notifications) == before
        assert VerifactuRecord.select().where(VerifactuRecord.status == "pending").count() == 1
        # "Send now" explains why nothing went: first AEAT's wait, then the network.
        app.send_verifactu_now()
        await settle(pilot, app)
        assert any("pending 1; next send allowed at" in m for m in _messages(app))
        VerifactuChain.update(next_send_at=None).execute()
        app.send_verifactu_now()
        await settle(pilot, app)
        assert any("pending 1" in m and "no connection to 127.0.0.1" in m for m in _messages(app))


async def test_send_now_on_the_verifactu_screen_then_it_reloads(db, office, aeat):
    from textual.widgets import DataTable

    from tui_crm.ui.screens.verifactu import VerifactuScreen

    codes = [issued(office, TODAY).code for _ in range(2)]
    aeat.outcomes[codes[0]] = ("Incorrecto", *FUTURE_DATE)
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(110, 30)) as pilot:
        await settle(pilot, app)
        await app.push_screen(VerifactuScreen())
        await settle(pilot, app)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 2  # both wait
        await pilot.press("S")
        assert wait_until(lambda: len(aeat.requests) == 1, timeout=15)
        for _ in range(50):
            await settle(pilot, app)
            if table.row_count == 1:
                break
        # Reloaded after AEAT's answer: only the refused one is left, with AEAT's words.
        assert isinstance(app.screen, VerifactuScreen) and table.row_count == 1
        row = [str(cell) for cell in table.get_row_at(0)]
        assert row[0] == codes[0] and "1112" in row[-1] and FUTURE_DATE[1] in row[-1]
        assert any("rejected 1" in m for m in _messages(app))


async def test_without_the_password_the_background_warns_once_then_waits_for_a_manual_send(
    db, office, aeat, aeat_pki
):
    issued(office, TODAY)
    secrets.delete_verifactu_password()
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        for _ in range(2):
            app._verifactu_tick()
            await settle(pilot, app)
        warnings = [m for m in _messages(app) if "not being sent" in m]
        assert len(warnings) == 1 and "secrets set verifactu" in warnings[0]
        assert app._verifactu_paused and aeat.requests == []
        # The password stored again: a send from the palette works and the background resumes.
        secrets.set_verifactu_password(aeat_pki.password)
        app.send_verifactu_now()
        await settle(pilot, app)
        assert VerifactuRecord.get().status == "accepted" and not app._verifactu_paused
