"""Writing a file for the user (a backup, an exported spreadsheet, a printed PDF) safely.

The one road every output file takes (ARCHITECTURE.md, "Rules every layer keeps"):

- the content goes to a fresh `tempfile.mkstemp` file in the target's own directory
  (named `.tui-crm-….part`), flock'ed while it is written, flushed and fsynced, and
  only then takes the target's name: a half-written file never has it;
- an existing target is refused, naming `--force` (the TUI asks instead); `force`
  replaces an ordinary file, never the open database or one of its companion files
  (compared by resolved path and by device and inode, so symlinks and hard links are
  caught), never a tui-crm database in use (WAL mode, or with `-wal`/`-shm`/`-journal`
  beside it, or its open lock held) and never a directory;
- a symlink at the target is replaced, never followed: the rename swaps the name;
- the file gets the mode of the directory's rules (`db.file_mode`: never world-readable,
  group-writable in a group-shared directory);
- any failure (the disk full, a size limit, an interrupt) removes the temporary file and
  says what happened (`WriteFailed`); nothing partial is left, nothing was replaced;
- a temporary file left by a killed process (our prefix, and no process holding its
  lock) is removed by the next backup in that directory or by `tui-crm check`
  (`remove_stale_temporaries`).
"""

from __future__ import annotations

import errno
import os
import secrets
import sqlite3
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # not on Windows: no lock, stale files are then left alone
    fcntl = None  # type: ignore[assignment]

from ..db import SQLITE_MAGIC, db_path, describe_fault, file_mode
from ..i18n import _
from .errors import RuleViolation, ServiceError

TEMP_PREFIX = ".tui-crm-"
TEMP_SUFFIX = ".part"
# SQLite may put companion files beside a temporary database it writes.
TEMP_COMPANIONS = ("-journal", "-wal", "-shm")
# An empty temporary file may be one a writer has just created and not yet locked: the
# cleaner looks again after this pause before it removes one.
EMPTY_RECHECK_S = 0.1
DATABASE_COMPANIONS = ("-wal", "-shm", "-journal", "-open.lock", "-writer.lock")


class WriteFailed(ServiceError):
    """The file could not be written; the message says why, and nothing was left behind."""


@dataclass
class OutputFile:
    """A file being written: `path` is the temporary file, `file` a binary file object on it
    (after a write error it drops later writes silently, so a library's clean-up code
    writing to it cannot raise a second error from a destructor), `final` the path the
    content took once complete."""

    target: Path
    path: Path
    fd: int
    file: Any = None
    final: Path | None = None
    _extra: dict[str, Any] = field(default_factory=dict)


class _Abandonable:
    """A binary file object that, after its first error, only pretends to write.

    zipfile (under xlsxwriter) finishes the archive from its destructor after a failed
    close; against a full disk that printed a second, raw traceback. Once abandoned,
    writes and seeks move a position of its own (so the archive's arithmetic stays in
    range) and nothing reaches the disk: the temporary file is deleted anyway."""

    def __init__(self, fd: int) -> None:
        self._fh = os.fdopen(os.dup(fd), "w+b")
        self.failed: BaseException | None = None
        self._pos = 0

    def abandon(self, exc: BaseException) -> None:
        if self.failed is None:
            try:
                self._pos = self._fh.tell()
            except (OSError, ValueError):
                self._pos = 0
            self.failed = exc

    def _call(self, name: str, *args: Any) -> Any:
        try:
            return getattr(self._fh, name)(*args)
        except OSError as exc:
            self.abandon(exc)
            raise

    def write(self, data: Any) -> int:
        if self.failed is not None:
            self._pos += len(data)
            return len(data)
        return self._call("write", data)

    def flush(self) -> None:
        if self.failed is None:
            self._call("flush")

    def tell(self) -> int:
        return self._pos if self.failed is not None else self._call("tell")

    def seek(self, offset: int, whence: int = 0) -> int:
        if self.failed is None:
            return self._call("seek", offset, whence)
        if whence == 0:
            self._pos = offset
        elif whence == 1:
            self._pos += offset
        return self._pos

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def read(self, *args: Any) -> bytes:
        return b"" if self.failed is not None else self._call("read", *args)

    def truncate(self, *args: Any) -> int:
        return self._pos if self.failed is not None else self._call("truncate", *args)

    def close(self) -> None:
        if self._fh.closed:
            return
        if self.failed is not None:
            with suppress(OSError):  # what could not be flushed goes with the file
                self._fh.close()
            return
        try:
            self._fh.close()
        except OSError as exc:
            self.abandon(exc)
            raise

    @property
    def closed(self) -> bool:
        return False if self.failed is not None else self._fh.closed


# --- what may be replaced -------------------------------------------------------------


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _protected_paths() -> list[Path]:
    """The open database and every file SQLite or tui-crm keeps beside it."""
    live = db_path()
    if live is None:
        return []
    return [live, *(Path(f"{live}{suffix}") for suffix in DATABASE_COMPANIONS)]


def _is_protected(target: Path) -> bool:
    """True when `target` is (by resolved name, or by device and inode through a symlink or a
    hard link) the open database or one of its companion files."""
    try:
        resolved = target.resolve()
    except OSError:
        resolved = target.absolute()
    try:
        target_stat = target.stat()
    except OSError:
        target_stat = None
    for protected in _protected_paths():
        try:
            if protected.resolve() == resolved:
                return True
        except OSError:
            pass
        if target_stat is not None:
            try:
                if _same_file(protected.stat(), target_stat):
                    return True
            except OSError:
                continue
    return False


def sqlite_in_use(path: Path) -> str:
    """Why the SQLite file at `path` counts as a live database (or "" for a plain copy):
    WAL companions or a rollback journal beside it, WAL mode in its header (a working
    tui-crm database; backups are written in rollback mode), or its open lock held."""
    for suffix in ("-wal", "-shm", "-journal"):
        if Path(f"{path}{suffix}").exists():
            return _("{path} is a database in use ({suffix} file beside it)").format(
                path=path, suffix=suffix
            )
    from ..db import read_header

    try:
        header = read_header(path, 20)
    except OSError:
        return ""
    if header[:16] != SQLITE_MAGIC:
        return ""
    if len(header) >= 20 and (header[18] == 2 or header[19] == 2):
        return _("{path} is a database in WAL mode, a working database").format(path=path)
    lock = Path(f"{path}-open.lock")
    if fcntl is not None and lock.exists():
        try:
            fd = os.open(lock, os.O_RDONLY)
        except OSError:
            return ""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return _("{path} is open in tui-crm").format(path=path)
        finally:
            os.close(fd)
    return ""


def check_target(target: Path, *, force: bool = False) -> Path:
    """The file to write, refused with one line when it must not be written there.

    Refused always: the open database or a file of it, a directory, a missing folder, a
    live database (`sqlite_in_use`). Refused unless `force`: any existing name (a
    symlink, even a dangling one, included)."""
    target = Path(target).expanduser()
    if _is_protected(target):
        raise RuleViolation(
            _("{path} is the open database or one of its files; choose another name").format(
                path=target
            )
        )
    if target.is_dir():
        raise RuleViolation(_("{path} is a directory").format(path=target))
    directory = target.parent
    if not directory.is_dir():
        raise RuleViolation(_("directory {path} does not exist").format(path=directory))
    if not os.access(directory, os.W_OK | os.X_OK):
        raise RuleViolation(_("cannot write in directory {path}").format(path=directory))
    if os.path.lexists(target):
        if not force:
            raise RuleViolation(
                _("{path} exists; choose another name or add --force to replace it").format(
                    path=target
                )
            )
        if not target.is_symlink() and target.is_file():
            in_use = sqlite_in_use(target)
            if in_use:
                raise RuleViolation(
                    _("{reason}: never replaced, not even with --force").format(reason=in_use)
                )
    return target


# --- writing -----------------------------------------------------------------------------


def _fault(exc: BaseException, target: Path) -> WriteFailed:
    cause = describe_fault(exc) or str(exc) or type(exc).__name__
    return WriteFailed(
        _("could not write {path}: {cause}; nothing was written").format(path=target, cause=cause)
    )


def _unique_candidate(target: Path) -> Path:
    return target.with_name(f"{target.stem}-{secrets.token_hex(3)}{target.suffix}")


def _publish(tmp: Path, target: Path, *, force: bool, unique: bool) -> Path:
    """Give the complete temporary file its name; returns the name it took."""
    if unique:
        for _attempt in range(100):
            candidate = _unique_candidate(target)
            try:
                os.link(tmp, candidate)  # never replaces: EEXIST means try another name
            except FileExistsError:
                continue
            os.unlink(tmp)
            return candidate
        raise WriteFailed(_("cannot find a free name beside {path}").format(path=target))
    if force:
        check_target(target, force=True)  # it may have become a live database meanwhile
        os.replace(tmp, target)  # a symlink at the target is replaced, not followed
        return target
    try:
        os.link(tmp, target)  # atomic, and never over a file that appeared meanwhile
    except FileExistsError:
        raise RuleViolation(
            _("{path} exists; choose another name or add --force to replace it").format(path=target)
        ) from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        if os.path.lexists(target):  # no hard links on this file system: check, then rename
            raise RuleViolation(
                _("{path} exists; choose another name or add --force to replace it").format(
                    path=target
                )
            ) from None
        os.rename(tmp, target)
        return target
    os.unlink(tmp)
    return target


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a directory; the rename is done either way
    finally:
        os.close(fd)


@contextmanager
def output_file(
    target: Path | str, *, force: bool = False, unique: bool = False
) -> Iterator[OutputFile]:
    """Write a file safely (see the module doc); the body writes to `out.file` or `out.path`.

    `unique` publishes under `TARGET-xxxxxx.SUFFIX`, a name no file has (the safety copies
    of a restore); `out.final` is the name taken. Refusals raise RuleViolation before
    anything is created; a failure while writing raises WriteFailed (the disk is full…)
    with the temporary file gone."""
    target = Path(target).expanduser()
    if not unique:
        check_target(target, force=force)
    elif not target.parent.is_dir():
        raise RuleViolation(_("directory {path} does not exist").format(path=target.parent))
    try:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX)
    except OSError as exc:
        raise _fault(exc, target) from exc
    tmp = Path(name)
    out = OutputFile(target=target, path=tmp, fd=fd)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)  # "being written": the cleaner leaves it alone
        os.fchmod(fd, file_mode(target.parent))
        out.file = _Abandonable(fd)
        yield out
        out.file.close()
        os.fsync(fd)
        out.final = _publish(tmp, target, force=force, unique=unique)
        _fsync_directory(target.parent)
    except BaseException as exc:
        if out.file is not None:
            out.file.abandon(exc)
            out.file.close()
        _remove_quietly(tmp)
        for suffix in TEMP_COMPANIONS:
            _remove_quietly(Path(f"{tmp}{suffix}"))
        if isinstance(exc, ServiceError | KeyboardInterrupt | SystemExit | GeneratorExit):
            raise
        if isinstance(exc, OSError | sqlite3.Error) or describe_fault(exc):
            raise _fault(exc, target) from exc
        raise
    finally:
        os.close(fd)  # drops the lock


@contextmanager
def scratch_file(directory: Path) -> Iterator[Path]:
    """An empty temporary file of ours in `directory`, locked while in use and removed
    after (with any SQLite companion files), whatever happens: work built aside."""
    try:
        fd, name = tempfile.mkstemp(dir=directory, prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX)
    except OSError as exc:
        raise _fault(exc, directory) from exc
    path = Path(name)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.fchmod(fd, file_mode(directory))
        yield path
    finally:
        _remove_quietly(path)
        for suffix in TEMP_COMPANIONS:
            _remove_quietly(Path(f"{path}{suffix}"))
        os.close(fd)


def write_bytes(target: Path | str, data: bytes, *, force: bool = False) -> Path:
    """`data` written to `target` the safe way (see `output_file`); returns the path."""
    with output_file(target, force=force) as out:
        out.file.write(data)
    assert out.final is not None
    return out.final


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError:
        pass


# --- clean-up of what killed writers left ----------------------------------------------


def _is_ours(name: str) -> bool:
    if not name.startswith(TEMP_PREFIX):
        return False
    stem = name
    for suffix in TEMP_COMPANIONS:
        if stem.endswith(TEMP_SUFFIX + suffix):
            stem = stem[: -len(suffix)]
            break
    return stem.endswith(TEMP_SUFFIX) and len(stem) > len(TEMP_PREFIX) + len(TEMP_SUFFIX)


def remove_stale_temporaries(directory: Path) -> list[Path]:
    """Remove the temporary files a killed backup, export or print left in `directory`.

    Only ours (named `.tui-crm-….part`, or SQLite's companions of one), only regular
    files, and only when no process holds the lock a writer keeps while writing. Returns
    what was removed."""
    removed: list[Path] = []
    if fcntl is None:
        return removed
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return removed
    for entry in entries:
        if not _is_ours(entry.name) or not entry.is_file(follow_symlinks=False):
            continue
        path = Path(entry.path)
        if not entry.name.endswith(TEMP_SUFFIX):
            base = Path(entry.path.rsplit(TEMP_SUFFIX, 1)[0] + TEMP_SUFFIX)
            if not base.exists():  # a companion whose database is gone
                _remove_quietly(path)
                removed.append(path)
            continue
        if _remove_if_unlocked(path):
            removed.append(path)
            for suffix in TEMP_COMPANIONS:
                companion = Path(f"{path}{suffix}")
                if companion.exists():
                    _remove_quietly(companion)
                    removed.append(companion)
    return removed


def _remove_if_unlocked(path: Path) -> bool:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        if not _unlocked(fd):
            return False  # a live writer
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return False
        if info.st_size == 0:
            # Created an instant ago by mkstemp, and about to be locked? Look again.
            fcntl.flock(fd, fcntl.LOCK_UN)
            time.sleep(EMPTY_RECHECK_S)
            if not _unlocked(fd):
                return False
        try:
            if not _same_file(os.lstat(path), info):
                return False
        except OSError:
            return False
        _remove_quietly(path)
        return True
    finally:
        os.close(fd)


def _unlocked(fd: int) -> bool:
    """Take the writer's lock if nobody holds it (kept until `fd` closes)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
