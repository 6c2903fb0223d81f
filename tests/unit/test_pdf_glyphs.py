"""Invoice PDFs never lose a character silently: fallback fonts print what DejaVu lacks,
and what no font on the machine prints is named by the print and by the issue."""

from __future__ import annotations

import io

import pytest

from tests.invoicing_support import draft, line, make_client, set_issuer
from tui_crm.exports import glyphs
from tui_crm.services import invoices, printing, settings


def _text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _have(*names: str) -> bool:
    return all(glyphs._find((name,)) is not None for name in names)


needs_fonts = pytest.mark.skipif(
    not _have("NotoSansCJK-Regular.ttc", "Symbola_hint.ttf"),
    reason="the Debian fonts the tests use are missing (make test installs fonts-noto-cjk, "
    "fonts-symbola)",
)


@pytest.fixture
def cohetes(db) -> int:
    set_issuer()
    settings.set_value("company.name", "🚀 Cohetes S.L.")
    client_id = make_client("北京贸易有限公司 ＡＢＣ", "B60889649")
    return invoices.issue_invoice(draft(client_id, line("Lanzamiento 🚀 y 中文 ✓", price="100"))).id


@needs_fonts
def test_emoji_chinese_and_full_width_letters_print(cohetes) -> None:
    printed = printing.print_invoice(cohetes)
    text = _text(printed.data)
    for piece in ("🚀", "Cohetes S.L.", "北", "京", "贸", "司", "Ａ", "Ｂ", "Ｃ", "✓", "中", "文"):
        assert piece in text, piece
    assert printed.unprintable == "" and printed.warning() == ""
    # the footer after a fallback font keeps its own text, in the document's language:
    # a client with a Spanish tax ID reads Spanish (services.client_language)
    assert "página 1 de 1" in text


@needs_fonts
def test_the_statement_of_account_prints_them_too(cohetes) -> None:
    """The statement begins its PDF as the invoice does, fallback fonts included."""
    from tui_crm.services import statements

    client_id = invoices.get_invoice(cohetes).client_id
    text = _text(statements.print_statement(client_id).data)
    for piece in ("🚀", "Cohetes S.L.", "北", "京", "贸", "司", "Ａ", "Ｂ", "Ｃ"):
        assert piece in text, piece
    assert "página 1 de 1" in text


def test_what_no_font_prints_is_named_by_the_print_and_the_issue(db, cli, tmp_path) -> None:
    set_issuer()
    make_client("Cliente SL", "B60889649")
    shaped = "" if glyphs.shaping_available() else "شركة"
    issued = cli(
        "--db", db, "invoice", "create", "--client", "B60889649",
        "--line", f"Servicio \ue000 {shaped}|1|10|21", "--issue",
    )  # fmt: skip
    assert issued.returncode == 0, issued.stderr  # issued all the same: said plainly
    code = issued.stdout.strip()
    assert "U+E000" in issued.stderr and code in issued.stderr
    if shaped:
        assert "ش (U+0634)" in issued.stderr  # Arabic needs text shaping (uharfbuzz)
    out = tmp_path / "f.pdf"
    printed = cli("--db", db, "print", "invoice", code, "-o", out)
    assert printed.returncode == 0, printed.stderr
    assert out.exists()
    assert "warning" in printed.stderr and "\ue000 (U+E000)" in printed.stderr


def test_without_the_system_fonts_the_wheel_says_what_it_cannot_print(
    db, monkeypatch, tmp_path
) -> None:
    """A machine with none of the fallback fonts (the wheel ships DejaVu only)."""
    monkeypatch.setattr(glyphs, "SYSTEM_DIRS", (tmp_path / "none",))
    glyphs._font_index.cache_clear()
    try:
        set_issuer()
        client_id = make_client("Cohetes 🚀 SL", "B60889649")
        invoice_id = invoices.issue_invoice(draft(client_id, line("Ñandú č ř ł €"))).id
        printed = printing.print_invoice(invoice_id)
        assert printed.unprintable == "🚀 (U+1F680)"  # DejaVu has Ñ č ř ł €
        assert "🚀 (U+1F680)" in printed.warning()
        assert (
            invoices.preview_issue(
                invoices.create_draft(
                    invoices.InvoiceDraftInput(client_id=client_id, lines=[line("中")])
                )
            ).unprintable
            == "中 (U+4E2D), 🚀 (U+1F680)"  # the line, and the client's name
        )
    finally:
        glyphs._font_index.cache_clear()


def test_a_font_the_business_drops_in_its_folder_is_used(db, app_env) -> None:
    if not _have("Symbola_hint.ttf"):
        pytest.skip("fonts-symbola is not installed (make test installs it)")
    import shutil

    folder = glyphs.user_font_dir()
    folder.mkdir(parents=True)
    shutil.copy(glyphs._find(("Symbola_hint.ttf",)), folder / "MiFuente.ttf")
    glyphs._font_index.cache_clear()
    try:
        needs = glyphs.coverage("🚀", glyphs.SHIPPED_DIR / "DejaVuSans.ttf")
        assert [f.path for f in needs.fonts] == [folder / "MiFuente.ttf"]
        assert needs.unprintable == ()
    finally:
        glyphs._font_index.cache_clear()
