"""The VERI*FACTU certificate's password from the Settings screen (F9), by keyboard: typed
twice, hidden, tried on the PKCS#12 file before it is kept in the keyring (a wrong one is
refused and nothing stored), never echoed, never in a file or the database."""

from __future__ import annotations

import os

from invoicing_support import set_issuer

from tui_crm.services import settings
from tui_crm.ui.app import CrmApp
from tui_crm.ui.dialogs.password import CertificatePasswordDialog
from tui_crm.ui.screens.settings import SettingsScreen

from .conftest import settle
from .screen_text import screen_text

SIZE = (110, 40)


async def type_in(pilot, field, text: str) -> None:
    """Type `text` into `field` key by key; the Pilot has no key for "€", which arrives as a
    terminal paste does."""
    from textual import events

    field.focus()
    for char in text:
        if char == "€":
            field.post_message(events.Paste(char))
            await pilot.pause()
        else:
            await pilot.press(char)


async def test_settings_store_the_certificate_password_once_it_opens_the_file(
    db, aeat_pki, keyring_backend, app_env
) -> None:
    set_issuer()
    settings.set_many({"verifactu.enabled": "yes"})
    password = aeat_pki.password
    wrong = "no-es-esta-" + password
    app = CrmApp(db.opened, first_run=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        app.show_settings()
        await settle(pilot, app)
        form = app.screen
        assert isinstance(form, SettingsScreen)
        line = form.query_one("#settings-certificate")
        assert "none set" in str(line.render())
        await pilot.press("f9")  # no certificate yet: says what to do first
        await settle(pilot, app)
        assert isinstance(app.screen, SettingsScreen)
        # The certificate typed in but not saved: save first.
        form.query_one("#field-verifactu-certificate").value = str(aeat_pki.client_p12)
        await pilot.press("f9")
        await settle(pilot, app)
        assert isinstance(app.screen, SettingsScreen)
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert settings.get("verifactu.certificate") == str(aeat_pki.client_p12)
        assert "no password stored yet: press F9" in str(line.render())

        await pilot.press("f9")
        await settle(pilot, app)
        dialog = app.screen
        assert isinstance(dialog, CertificatePasswordDialog)
        assert str(aeat_pki.client_p12) in screen_text(app)
        await type_in(pilot, dialog.query_one("#password-first"), wrong)
        await type_in(pilot, dialog.query_one("#password-second"), wrong)
        await settle(pilot, app)
        shown = screen_text(app)
        assert wrong not in shown and password not in shown  # hidden while typed
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert app.screen is dialog  # refused: the file did not open with it
        error = str(dialog.query_one("#password-error").render())
        assert "password is wrong" in error and "nothing was stored" in error
        assert wrong not in error
        assert keyring_backend.store == {}
        for field in ("#password-first", "#password-second"):
            dialog.query_one(field).value = ""
            await type_in(pilot, dialog.query_one(field), password)
        await pilot.press("ctrl+s")
        await settle(pilot, app)
        assert isinstance(app.screen, SettingsScreen)
        assert "its password is stored" in str(line.render())
        assert password not in screen_text(app)
    account = "verifactu:" + os.path.abspath(aeat_pki.client_p12)
    assert keyring_backend.store == {("tui-crm", account): password}
    # never in a file of ours or the database
    for path in [db.path, *app_env.root.rglob("*")]:
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path
