"""Maintain the catalogs: `python -m tui_crm.i18n extract|compile|missing`.

extract  merges new source strings into every .po (keeping translations)
compile  writes the .mo files the app loads
missing  lists strings without a Spanish translation (exit 1 if any)
"""

from __future__ import annotations

import sys

from .catalog import compile_catalogs, extract_into_catalogs, missing_translations


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "compile"
    if command == "extract":
        extract_into_catalogs()
        return 0
    if command == "compile":
        compile_catalogs()
        return 0
    if command == "missing":
        missing = missing_translations("es")
        for msgid in missing:
            print(msgid)
        return 1 if missing else 0
    print(__doc__)
    return 2


sys.exit(main(sys.argv[1:]))
