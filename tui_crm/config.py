"""Where things live: database, settings file, attachments; and who the user is."""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "tui-crm"
ENV_DB = "TUI_CRM_DB"
DB_FILENAME = "tui-crm.sqlite3"
DEMO_DB_FILENAME = "demo.sqlite3"


def data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False))


def default_db_path() -> Path:
    return data_dir() / DB_FILENAME


def demo_db_path() -> Path:
    return data_dir() / DEMO_DB_FILENAME


def settings_file() -> Path:
    return config_dir() / "settings.json"


def is_url(target: str) -> bool:
    return "://" in target


# A password in a URL's authority (scheme://user:PASSWORD@host; greedy to the last "@", a
# raw "@" in a password included) or in its query (?password=...).
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/:@]*):[^\s/]*@")
_QUERY_PASSWORD = re.compile(
    r"(?P<head>[?&](?:password|passwd|pwd)=)(?:(?!:\s)[^&\s])*", re.IGNORECASE
)


def mask_secrets(text: str) -> str:
    """`text` with every database URL's password replaced by ***: for errors, logs, output."""
    if "://" not in text and "=" not in text:
        return text
    text = _URL_PASSWORD.sub(r"\g<head>:***@", text)
    return _QUERY_PASSWORD.sub(r"\g<head>***", text)


@dataclass(frozen=True)
class DatabaseTarget:
    """A SQLite file path or a PostgreSQL URL."""

    value: str

    @property
    def is_sqlite(self) -> bool:
        return not is_url(self.value) or self.value.startswith("sqlite://")

    @property
    def path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        if self.value.startswith("sqlite:///"):
            return Path(self.value[len("sqlite:///") - 1 :])
        return Path(self.value).expanduser()

    def __str__(self) -> str:
        """Shown to people: never with a password (`value` keeps it, to connect)."""
        return mask_secrets(self.value)


def resolve_database(cli_value: str | None) -> DatabaseTarget:
    """`--db` beats `TUI_CRM_DB`, which beats the user's data directory."""
    value = cli_value or os.environ.get(ENV_DB) or str(default_db_path())
    return DatabaseTarget(value)


def current_login() -> str:
    """The login of the process's real user id, from the password database (over SSH, the
    SSH user). Never from the environment: TUI_CRM_USER, LOGNAME and USER are anyone's to
    set, so a colleague could sign as someone else."""
    try:
        import pwd
    except ImportError:  # Windows: no user ids, and no shared server to guard
        import getpass

        return getpass.getuser()
    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # no passwd entry (containers): the uid is still the person
        return f"uid{uid}"


def attachments_dir(db_path: Path) -> Path:
    """Documents are stored content-addressed beside the database."""
    return db_path.with_name(db_path.name + ".files")


# --- the per-user settings file (preferences that are not the business's) ---


def read_user_settings() -> dict[str, str]:
    path = settings_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def write_user_settings(values: dict[str, str]) -> None:
    """Write atomically (temporary file, then rename) and private to the user."""
    path = settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".settings-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(values, fh, indent=2, sort_keys=True, ensure_ascii=False)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
