"""Reading a worksheet in a child process while the import checks the rows already read.

openpyxl parses the XML of a workbook in pure Python, and that parse is most of an
import's time (ARCHITECTURE.md, "Targets": 10,000 clients in at most 1.5 × what
openpyxl needs to read the file). Run in a child process, it uses the machine's other
core while this process validates and prepares the rows it has received. The child writes pickled
messages to a pipe: ("meta", rows the sheet declares), then ("rows", [(row number,
values), ...]) batches and ("end",), or ("error", phase, exception name). When this
process falls behind, the child waits on the full pipe: nothing piles up in memory.

A process that runs one thread forks the child (a few milliseconds, the modules
already loaded); one that runs more (the TUI: Textual reads the keyboard in a
thread) starts `python -m tui_crm.imports.xlsx_child` instead, because forking a
threaded process can deadlock the child. This module imports nothing of ours, so
that the fresh interpreter starts quickly.

The child reads the workbook's shared strings (the text of most cells, half of
openpyxl's reading time on a typical client list) as the rows need them instead of all
before the first row, as openpyxl's own `load_workbook` does: the first rows reach this
process at once, and it checks them while the child reads on (`_StringsOnDemand`).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
import pickle
import signal
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

BATCH_ROWS = 500


class ChildReadError(Exception):
    """The child could not read the workbook: `phase` is "open" or "read", `error` the
    name of the exception openpyxl raised, or "" when the child died without a word."""

    def __init__(self, phase: str, error: str, exitcode: int | None = None) -> None:
        super().__init__(phase, error, exitcode)
        self.phase, self.error, self.exitcode = phase, error, exitcode


def is_empty(values: Sequence[Any]) -> bool:
    """True when no cell of the row has a value (blank text counts as none)."""
    for value in values:
        if value is not None and (value.__class__ is not str or value.strip()):
            return False
    return True


class _StringsOnDemand:
    """A workbook's shared strings, parsed up to the highest index asked for so far.

    Spreadsheets number their shared strings in the order cells first use them, so a row
    needs strings at most a little past those the rows above it needed: reading them on
    demand spreads openpyxl's parse of the string table over the rows. Each string is
    made exactly as openpyxl's `read_string_table` makes it, with openpyxl's own parts
    (tied to the pinned openpyxl 3.1.5, like the reader class below).
    """

    def __init__(self, source: BinaryIO) -> None:
        self._strings: list[str] = []
        self._source = source
        self._pending: Iterator[str] | None = self._parse()

    def _parse(self) -> Iterator[str]:
        from openpyxl.cell.text import Text
        from openpyxl.xml.constants import SHEET_MAIN_NS
        from openpyxl.xml.functions import iterparse

        tag = f"{{{SHEET_MAIN_NS}}}si"
        try:
            for _event, node in iterparse(self._source):
                if node.tag == tag:
                    text = Text.from_tree(node).content.replace("x005F_", "")
                    node.clear()
                    yield text
        finally:
            self._source.close()

    def __getitem__(self, index: int) -> str:
        strings = self._strings
        if self._pending is not None and (index < 0 or index >= len(strings)):
            # A negative index counts from the end of the whole table: read it all.
            wanted = None if index < 0 else index + 1 - len(strings)
            strings.extend(itertools.islice(self._pending, wanted))
            if wanted is None or index >= len(strings):
                self._pending = None  # the table is read to its end
        return strings[index]

    def __len__(self) -> int:
        if self._pending is not None:
            self._strings.extend(self._pending)
            self._pending = None
        return len(self._strings)


def _load_workbook(path: str) -> Any:
    """`openpyxl.load_workbook(path, read_only=True, data_only=True)`, its shared strings
    read on demand (see _StringsOnDemand)."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.xml.constants import SHARED_STRINGS

    class Reader(ExcelReader):
        def read_strings(self) -> None:  # what ExcelReader.read_strings does, but lazily
            part = self.package.find(SHARED_STRINGS)
            if part is not None:
                self.shared_strings = _StringsOnDemand(self.archive.open(part.PartName[1:]))

    reader = Reader(path, read_only=True, data_only=True)
    reader.read()
    return reader.wb


def _read(out: BinaryIO, path: str, sheet: str) -> None:
    """The child's work: read the sheet and write its messages to `out`.

    The cyclic garbage collector is off in the child: openpyxl leaves about 2,400
    objects in cycles per workbook, however many rows it has (measured at 2,000 and
    30,000 rows), and collections while it reads cost an eighth of the read.
    """
    warnings.simplefilter("ignore")  # openpyxl warns on stderr, which may be the TUI's terminal

    def send(message: tuple[Any, ...]) -> None:
        pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()

    try:
        workbook = _load_workbook(path)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        send(("error", "open", type(exc).__name__))
        return
    try:
        worksheet = workbook[sheet]
        try:
            declared = worksheet.max_row
        except Exception:
            declared = None
        worksheet.reset_dimensions()  # read what is there, not the size the file declares
        send(("meta", declared if isinstance(declared, int) else None))
        batch: list[tuple[int, tuple[Any, ...]]] = []
        for number, values in enumerate(worksheet.iter_rows(values_only=True), 1):
            if not is_empty(values):
                batch.append((number, values))
                if len(batch) >= BATCH_ROWS:
                    send(("rows", batch))
                    batch = []
        if batch:
            send(("rows", batch))
        send(("end",))
    except BrokenPipeError:
        raise  # the parent stopped listening: nobody to tell
    except Exception as exc:
        send(("error", "read", type(exc).__name__))
    finally:
        workbook.close()


def _forked_child(write_fd: int, path: str, sheet: str) -> None:
    """The forked child: never returns into the parent's code, whatever happens."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # ^C is the parent's to handle
        gc.disable()  # see _read; its collections would also copy the heap it shares with us
        with os.fdopen(write_fd, "wb") as out:
            _read(out, path, sheet)
        code = 0
    except BaseException:
        pass  # the parent hears of it as the end of the pipe
    finally:
        os._exit(code)


def _can_fork() -> bool:
    return hasattr(os, "fork") and threading.active_count() == 1


class ChildReader:
    """A worksheet being read by a child process. Close it (or use `with`) when done.

    `method` is "fork" or "exec" (a fresh interpreter); by default fork when this
    process runs a single thread.
    """

    def __init__(self, path: str, sheet: str, method: str | None = None) -> None:
        self._pid: int | None = None
        self._popen: subprocess.Popen[bytes] | None = None
        if method is None:
            method = "fork" if _can_fork() else "exec"
        if method == "fork":
            read_fd, write_fd = os.pipe()
            try:
                pid = os.fork()
            except BaseException:
                os.close(read_fd)
                os.close(write_fd)
                raise
            if pid == 0:
                os.close(read_fd)
                _forked_child(write_fd, path, sheet)  # never returns
            os.close(write_fd)
            self._pid = pid
            self._stream: BinaryIO = os.fdopen(read_fd, "rb")
        else:
            self._popen = subprocess.Popen(
                [sys.executable, "-m", __name__, path, sheet],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            assert self._popen.stdout is not None
            self._stream = self._popen.stdout
        self._closed = False

    @property
    def pid(self) -> int | None:
        """The child's process id (None once it has been waited for)."""
        if self._popen is not None:
            return self._popen.pid
        return self._pid

    def _exitcode(self) -> int | None:
        if self._pid is not None:
            _pid, status = os.waitpid(self._pid, 0)
            self._pid = None
            return os.waitstatus_to_exitcode(status)
        if self._popen is not None:
            return self._popen.wait()
        return None

    def _receive(self) -> tuple[Any, ...]:
        try:
            message = pickle.load(self._stream)
        except (EOFError, OSError, pickle.UnpicklingError):
            raise ChildReadError("read", "", self._exitcode()) from None
        if message[0] == "error":
            raise ChildReadError(message[1], message[2])
        return message

    def declared_rows(self) -> int | None:
        """The number of rows the sheet declares (the first message of the child)."""
        message = self._receive()
        if message[0] != "meta":
            raise ChildReadError("read", "protocol")
        return message[1]

    def rows(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """The sheet's non-empty rows: (row number as the spreadsheet shows it, values)."""
        while True:
            message = self._receive()
            if message[0] == "rows":
                yield from message[1]
            elif message[0] == "end":
                return
            else:
                raise ChildReadError("read", "protocol")

    def close(self) -> None:
        """Stop the child (it may still be reading) and wait for it to go."""
        if self._closed:
            return
        self._closed = True
        self._stream.close()  # a child still writing gets a broken pipe and ends
        if self._pid is not None:
            # A fork holds nothing to clean up; SIGKILL also passes any handler it inherited.
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._pid = None
        if self._popen is not None:
            self._popen.terminate()
            try:
                self._popen.wait(5)
            except subprocess.TimeoutExpired:
                self._popen.kill()
                self._popen.wait()

    def __enter__(self) -> ChildReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":  # the child of a threaded process: python -m ... PATH SHEET
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.disable()  # see _read
    try:
        _read(sys.stdout.buffer, sys.argv[1], sys.argv[2])
    except BrokenPipeError:
        sys.exit(1)
