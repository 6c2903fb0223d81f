"""Which font prints each character of a PDF, and which characters none can.

DejaVu Sans ships with the package and covers Latin, Greek, Cyrillic and much more, but
not Chinese, Japanese or Korean, full-width letters, most emoji, nor Arabic or Hebrew
as they must be drawn. A legal document never loses a character silently, so:

- characters DejaVu lacks are looked up in free fonts the machine has (Debian packages
  fonts-noto-core, fonts-noto-cjk and fonts-symbola, or any font file a business drops
  in tui-crm's `fonts` folder of its config directory), which the PDF then embeds as
  fpdf2 fallback fonts;
- right-to-left and joined scripts (Arabic, Hebrew, Syriac, Thaana, N'Ko and the Indic
  scripts) need text shaping, which fpdf2 does with the uharfbuzz package: without it
  those characters would print in the wrong order or unjoined, so they count as
  unprintable;
- what is left is named, character and code point, by the print and by the issue.

Fonts are read lazily (their character maps with fontTools, once per process): a
document in Spanish never opens any of them.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SHIPPED_DIR = Path(__file__).with_name("fonts")
BIG_FONT_BYTES = 5 * 1024 * 1024
SYSTEM_DIRS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local" / "share" / "fonts",
    Path.home() / ".fonts",
)


@dataclass(frozen=True)
class Fallback:
    """A fallback font: its family name in the PDF, and the file names to look for."""

    family: str
    regular: tuple[str, ...]
    bold: tuple[str, ...] = ()
    face: str = ""  # in a font collection (.ttc), the face whose name contains this


# In order of preference; each is used only for characters the ones before it lack.
FALLBACKS = (
    Fallback("NotoSans", ("NotoSans-Regular.ttf",), ("NotoSans-Bold.ttf",)),
    Fallback(
        "NotoSansCJK",
        ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf"),
        ("NotoSansCJK-Bold.ttc", "NotoSansCJKsc-Bold.otf"),
        face="CJK SC",
    ),
    Fallback("NotoSansArabic", ("NotoSansArabic-Regular.ttf",), ("NotoSansArabic-Bold.ttf",)),
    Fallback("NotoSansHebrew", ("NotoSansHebrew-Regular.ttf",), ("NotoSansHebrew-Bold.ttf",)),
    Fallback(
        "NotoSansDevanagari",
        ("NotoSansDevanagari-Regular.ttf",),
        ("NotoSansDevanagari-Bold.ttf",),
    ),
    Fallback("NotoSansThai", ("NotoSansThai-Regular.ttf",), ("NotoSansThai-Bold.ttf",)),
    Fallback("NotoSansSymbols2", ("NotoSansSymbols2-Regular.ttf",)),
    Fallback("NotoSansSymbols", ("NotoSansSymbols-Regular.ttf",), ("NotoSansSymbols-Bold.ttf",)),
    Fallback("NotoSansMath", ("NotoSansMath-Regular.ttf",)),
    Fallback("Symbola", ("Symbola.ttf", "Symbola_hint.ttf")),
)

# Scripts drawn right to left or with joined, reordered glyphs: without a shaping engine
# their text prints wrong, so their letters are not printable then.
_SHAPED_BIDI = frozenset({"R", "AL"})
_SHAPED_RANGES = (
    (0x0590, 0x08FF),  # Hebrew, Arabic, Syriac, Thaana, N'Ko, Samaritan, Mandaic
    (0x0900, 0x0DFF),  # Devanagari ... Sinhala
    (0x0F00, 0x0FFF),  # Tibetan
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0xFB1D, 0xFDFF),  # Hebrew and Arabic presentation forms
    (0xFE70, 0xFEFF),  # Arabic presentation forms B
)


_NO_GLYPH = frozenset({"Cc", "Cf", "Zl", "Zp"})


@dataclass(frozen=True)
class FontFile:
    family: str
    style: str  # "" or "B"
    path: Path
    face_index: int = 0


@dataclass(frozen=True)
class Coverage:
    """What a text needs: the fallback fonts to embed, and the characters none prints."""

    fonts: tuple[FontFile, ...]
    unprintable: tuple[str, ...]
    shaping: bool  # text shaping must be on (uharfbuzz present and a shaped script used)

    def describe(self) -> str:
        """ "🚀 (U+1F680), 中 (U+4E2D)": each character, with its code point."""
        return ", ".join(f"{ch} (U+{ord(ch):04X})" for ch in self.unprintable)


def user_font_dir() -> Path:
    from ..config import config_dir

    return config_dir() / "fonts"


@lru_cache(maxsize=1)
def _font_index() -> dict[str, Path]:
    """File name -> path of every font file under the font directories (first wins)."""
    found: dict[str, Path] = {}
    for directory in (user_font_dir(), *SYSTEM_DIRS):
        if not directory.is_dir():
            continue
        for root, _dirs, files in os.walk(directory):
            for name in files:
                if name.lower().endswith((".ttf", ".otf", ".ttc")):
                    found.setdefault(name, Path(root) / name)
    return found


@lru_cache(maxsize=64)
def _cmap(path: Path, face_index: int) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(str(path), fontNumber=face_index, lazy=True)
        try:
            return frozenset(font.getBestCmap() or {})
        finally:
            font.close()
    except Exception:  # a damaged or unreadable font covers nothing
        return frozenset()


@lru_cache(maxsize=16)
def _face_index(path: Path, wanted: str) -> int:
    """The face of a collection whose full name contains `wanted` (0 if none does)."""
    if not wanted or path.suffix.lower() != ".ttc":
        return 0
    from fontTools.ttLib import TTCollection

    try:
        collection = TTCollection(str(path), lazy=True)
        try:
            for number, font in enumerate(collection.fonts):
                name = font["name"].getDebugName(4) or ""
                if wanted in name:
                    return number
        finally:
            collection.close()
    except Exception:
        return 0
    return 0


def _find(names: Iterable[str]) -> Path | None:
    index = _font_index()
    for name in names:
        if name in index:
            return index[name]
    return None


def _extra_user_fonts() -> list[Fallback]:
    """Font files a business put in its config directory's `fonts` folder, as fallbacks."""
    directory = user_font_dir()
    if not directory.is_dir():
        return []
    return [
        Fallback(f"User{n}", (path.name,))
        for n, path in enumerate(sorted(directory.iterdir()))
        if path.suffix.lower() in (".ttf", ".otf", ".ttc")
    ]


def shaping_available() -> bool:
    try:
        import uharfbuzz  # noqa: F401
    except ImportError:
        return False
    return True


def needs_shaping(ch: str) -> bool:
    code = ord(ch)
    if unicodedata.bidirectional(ch) in _SHAPED_BIDI:
        return True
    return any(low <= code <= high for low, high in _SHAPED_RANGES)


def coverage(text: str, base: Path) -> Coverage:
    """The fallback fonts `text` needs beyond `base` (the shipped DejaVu Sans), and what
    no font can print."""
    # control and format characters (line breaks, joiners) are not glyphs to print
    wanted = {ch for ch in text if not ch.isspace() and unicodedata.category(ch) not in _NO_GLYPH}
    if not wanted:
        return Coverage((), (), False)
    base_map = _cmap(base, 0)
    missing = {ch for ch in wanted if ord(ch) not in base_map}
    shaped = {ch for ch in wanted if needs_shaping(ch)}
    can_shape = shaping_available()
    if shaped and not can_shape:
        missing -= shaped
    fonts: list[FontFile] = []
    for fallback in (*_extra_user_fonts(), *FALLBACKS):
        if not missing:
            break
        path = _find(fallback.regular)
        if path is None:
            continue
        face = _face_index(path, fallback.face)
        covered = {ch for ch in missing if ord(ch) in _cmap(path, face)}
        if not covered:
            continue
        missing -= covered
        fonts.append(FontFile(fallback.family, "", path, face))
        bold = _find(fallback.bold) if fallback.bold else None
        # a bold face doubles what fpdf2 parses; a big one (CJK: ~20 MB) is left to the
        # regular face, which fpdf2 then uses for bold text too
        if bold is not None and bold.stat().st_size < BIG_FONT_BYTES:
            fonts.append(FontFile(fallback.family, "B", bold, _face_index(bold, fallback.face)))
    unprintable = set(missing)
    if shaped and not can_shape:
        unprintable |= shaped
    return Coverage(
        tuple(fonts),
        tuple(sorted(unprintable, key=ord)),
        bool(shaped) and can_shape,
    )
