"""Write rows as a readable table, JSON or CSV, to stdout or a file."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

FORMATS = ("table", "json", "csv")


def _flat(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def to_csv(rows: Sequence[dict], fields: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(
        buf, fieldnames=list(fields), extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _flat(row.get(k)) for k in fields})
    return buf.getvalue()


def to_json(rows: Sequence[dict]) -> str:
    return json.dumps(list(rows), ensure_ascii=False, indent=2) + "\n"


def render_table(
    rows: Sequence[dict],
    columns: Sequence[tuple[str, str]],
    title: str | None = None,
    width: int | None = None,
) -> str:
    """columns: (field, heading). Returns the table as text."""
    table = Table(title=title, show_lines=False, header_style="bold", title_justify="left")
    for field, heading in columns:
        numeric = field in {
            "size",
            "deals",
            "accounts",
            "amount",
            "coverage",
            "score",
            "rank",
            "line",
            "cluster_id",
            "notes",
            "added",
            "present",
            "rejected",
        }
        table.add_column(heading, justify="right" if numeric else "left", overflow="fold")
    for row in rows:
        table.add_row(*[_cell(field, row.get(field)) for field, _ in columns])
    console = Console(
        file=io.StringIO(), width=width or 120, force_terminal=False, color_system=None
    )
    console.print(table)
    return console.file.getvalue()


def _cell(field: str, value) -> str:
    if value is None:
        return "—" if field in {"cluster_id", "best_asset_title"} else ""
    if field == "amount":
        return f"{value:,.0f}"
    if field in {"coverage", "probability"}:
        return f"{value:.2f}"
    if field == "score":
        return f"{value:.1f}"
    if field == "is_gap":
        return "GAP" if value else ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def money(amount: float | None, nothing: str = "–") -> str:
    """$1.2M, $340k, $4.5k, $950; ``nothing`` for no amount."""
    if not amount:
        return nothing
    value = float(amount)
    sign, value = ("-" if value < 0 else ""), abs(value)
    if value >= 999_500:
        text = f"{value / 1e6:.1f}".removesuffix(".0") + "M"
    elif value >= 9_950:
        text = f"{value / 1e3:.0f}k"
    elif value >= 1_000:
        text = f"{value / 1e3:.1f}".removesuffix(".0") + "k"
    else:
        text = f"{value:.0f}"
    return f"{sign}${text}"


def rate(value: float | None, n: int) -> str:
    """A win rate with the number of closed deals it stands on: '38% (n=21)', '– (n=0)'."""
    return f"{'–' if value is None else f'{value:.0%}'} (n={n})"


def sparkline(counts: Sequence[int]) -> str:
    """One block per count, scaled to the largest (all lowest when every count is 0)."""
    blocks, top = "▁▂▃▄▅▆▇█", max(counts, default=0) or 1
    return "".join(blocks[round(c / top * (len(blocks) - 1))] for c in counts)


def write(text: str, out: str | None) -> None:
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text, encoding="utf-8", newline="")
    else:
        import click

        click.echo(text, nl=False)
