"""Who runs the tests: the login of the test process's real user id.

tui-crm takes the user from the password database, never from the environment
(`config.current_login`), so the tests' own login is whoever runs them (root in CI). The
first user of a fresh database is admin: the `db` fixture's database is this person's.
Tests that need someone in another role either act as them through an admin's `--user`
(`open_for_use(..., user=...)`), set the services' actor directly, or run a real process
as another operating-system user (`tests/os_users.py`).
"""

from __future__ import annotations

import os
import pwd

ME = pwd.getpwuid(os.getuid()).pw_name
# What the test environment claims in the variables a cheater would set (see conftest).
IMPOSTOR = "impostor"
