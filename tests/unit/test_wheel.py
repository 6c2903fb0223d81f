"""The wheel carries the Textual CSS: build, install in a fresh venv, start the app headless."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"  # the exact versions `make` installs

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheel")]

PROBE = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    import tui_crm
    from tui_crm.config import DatabaseTarget
    from tui_crm.services.startup import open_for_use
    from tui_crm.ui.styles import styles_dir
    from tui_crm.ui.app import CrmApp

    package = Path(tui_crm.__file__).resolve().parent
    assert "site-packages" in str(package), package
    assert styles_dir() == package / "styles", styles_dir()
    assert (package / "styles" / "app.tcss").is_file()

    opened = open_for_use(DatabaseTarget(sys.argv[1]))

    async def main():
        # the app opens on the home screen (17B): the client list is where this bar is
        app = CrmApp(opened, first_run=False, start="clients")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            bar = app.screen.query_one("#client-search-bar")
            # height: 1 comes from styles/clients.tcss, not from any default
            print("search-bar-height", bar.styles.height)
            print("css-files", sorted(Path(p).name for p in app.css_path))

    asyncio.run(main())
    """
)


def test_wheel_ships_styles_and_runs(tmp_path: Path, app_env) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
        # the build backend at the locked version, as `make` installs it
        env={**os.environ, "PIP_CONSTRAINT": str(LOCK)},
    )
    wheels = list(dist.glob("tui_crm-*.whl"))
    assert len(wheels) == 1

    import zipfile

    names = zipfile.ZipFile(wheels[0]).namelist()
    assert "tui_crm/styles/app.tcss" in names
    assert "tui_crm/styles/clients.tcss" in names
    assert any(n.endswith("tui_crm/i18n/es/LC_MESSAGES/tui_crm.mo") for n in names)

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--constraint", str(LOCK), str(wheels[0])],
        check=True,
        capture_output=True,
        timeout=900,
    )
    env = {k: v for k, v in app_env.vars.items() if k != "PYTHONPATH"}
    workdir = tmp_path / "elsewhere"  # not the checkout: imports must come from the wheel
    workdir.mkdir()
    result = subprocess.run(
        [str(python), "-c", PROBE, str(tmp_path / "w.sqlite3")],
        capture_output=True,
        text=True,
        env=env,
        cwd=workdir,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "search-bar-height 1" in result.stdout
    assert "clients.tcss" in result.stdout

    script = env_dir / "bin" / "tui-crm"
    init = subprocess.run(
        [str(script), "--db", str(tmp_path / "cli.sqlite3"), "init"],
        capture_output=True,
        text=True,
        env=env,
        cwd=workdir,
    )
    assert init.returncode == 0, init.stderr
    assert os.path.exists(tmp_path / "cli.sqlite3")
