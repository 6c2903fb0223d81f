"""The benchmarks of ARCHITECTURE.md's "Targets" that exist so far (see bench/__main__.py to
add one).

- demo generation at the scale case (< 90 s, absolute);
- search as you type over the client list (≤ 20 ms per keystroke, the worst keystroke);
- the client list: first page with its count, and the jump to the last page;
- the receivables board over all invoices (≤ 1.5 × the raw SQL aggregate), through
  `bench.invoicing.board_at_scale` run on this dataset.
"""

from __future__ import annotations

from .registry import Context, Result, register

SEARCH_KEYSTROKES = ("m", "mu", "mun", "muno", "munoz")
PAGE_BUDGET_S = 0.100  # a third of the 300 ms first-paint target of the client list


@register(order=10)
def demo_generation(ctx: Context) -> Result:
    data = ctx.dataset
    note = (
        f"CPU {data.meta.get('cpu_seconds', '?')} s (both threads), load average "
        f"{data.meta.get('load_average', '?')} while generating"
    )
    if not data.generated_now:
        note += f"; recorded when generated, {data.generated_at}"
    return Result(
        data.generation_seconds,
        None,
        f"demo generation ({data.clients:,} clients, {data.invoices:,} invoices)",
        "< 90 s",
        max_seconds=90.0,
        note=note,
    )


@register(order=20)
def search_as_you_type(ctx: Context) -> Result:
    from tui_crm.db import execute
    from tui_crm.services.clients import ClientFilter, list_clients

    ctx.open()
    per_key = {
        text: ctx.measure(lambda text=text: list_clients(ClientFilter(text=text), 0, 50))
        for text in SEARCH_KEYSTROKES
    }
    reference = ctx.measure(
        lambda: execute(
            "SELECT id, legal_name, trade_name, tax_id, kind, status, email, phone "
            "FROM client LIMIT 50"
        ).fetchall()
    )
    worst = max(per_key, key=per_key.__getitem__)
    return Result(
        per_key[worst],
        reference,
        f"search as you type over {ctx.clients:,} clients (worst keystroke)",
        "≤ 20 ms per keystroke",
        max_seconds=0.020,
        note="  ".join(f"{k!r} {v * 1000:.1f} ms" for k, v in per_key.items()),
    )


@register(order=30)
def client_list_pages(ctx: Context) -> list[Result]:
    from tui_crm.db import execute
    from tui_crm.services.clients import ClientFilter, count_clients, list_clients

    ctx.open()
    flt = ClientFilter()
    total = count_clients(flt)
    last = max(0, total - 50)
    columns = "id, legal_name, trade_name, tax_id, kind, status, email, phone"

    def first_page() -> None:
        count_clients(flt)
        list_clients(flt, 0, 60)

    first = ctx.measure(first_page)
    first_raw = ctx.measure(
        lambda: execute(f"SELECT {columns} FROM client ORDER BY sort_name LIMIT 60").fetchall()
    )
    end = ctx.measure(lambda: list_clients(flt, last, 50))
    end_raw = ctx.measure(
        lambda: execute(
            f"SELECT {columns} FROM client ORDER BY sort_name LIMIT 50 OFFSET ?", (last,)
        ).fetchall()
    )
    return [
        Result(
            first,
            first_raw,
            f"client list: count + first page of {total:,}",
            "≤ 100 ms (⅓ of the 300 ms first paint)",
            max_seconds=PAGE_BUDGET_S,
        ),
        Result(
            end,
            end_raw,
            f"client list: jump to the end (offset {last:,})",
            "≤ 100 ms (⅓ of the 300 ms first paint)",
            max_seconds=PAGE_BUDGET_S,
        ),
    ]


@register(order=50)
def receivables_board(ctx: Context) -> list[Result]:
    from . import invoicing

    figures = invoicing.board_at_scale(ctx.invoices, ctx.db_path)
    return [
        Result(
            figures["board_today_s"],
            figures["raw_today_s"],
            f"receivables board over {ctx.invoices:,} invoices, as of today",
            "≤ 1.5 × the raw SQL aggregate",
            max_ratio=1.5,
        ),
        Result(
            figures["board_open_s"],
            figures["raw_aggregate_s"],
            f"receivables board over {ctx.invoices:,} invoices, as of {invoicing.AS_OF}",
            "≤ 1.5 × the raw SQL aggregate",
            max_ratio=1.5,
        ),
        Result(
            figures["summary_s"],
            figures["raw_summary_s"],
            "receivables summary (buckets, billing, defaulters)",
            "informational (vs its raw SQL)",
        ),
    ]
