"""How numbers look on screen: money, trends, sparklines, bars. Pure functions."""

from __future__ import annotations

from rich.text import Text

from gaplens.output import money  # noqa: F401  (the screens format money as the CLI does)

BLOCKS = "▁▂▃▄▅▆▇█"
STATUS_STYLE = {"no content": "bold red", "weak": "yellow", "covered": "green"}


def sparkline(counts: tuple[int, ...] | list[int]) -> str:
    """One block per count, scaled to the largest; blank for no counts."""
    if not counts:
        return ""
    top = max(counts)
    if top == 0:
        return BLOCKS[0] * len(counts)
    return "".join(BLOCKS[min(len(BLOCKS) - 1, round(c / top * (len(BLOCKS) - 1)))] for c in counts)


def trend_text(change: float | None, recent: int) -> Text:
    """↑ 40% / ↓ 25% / → 0%, or 'new' when nothing came before the recent window."""
    if change is None:
        return Text("new", style="cyan") if recent else Text("–", style="dim")
    pct = round(change * 100)
    if pct >= 10:
        return Text(f"↑{min(pct, 999)}%", style="red")
    if pct <= -10:
        return Text(f"↓{-pct}%", style="green")
    return Text(f"→{pct:+d}%" if pct else "→0%", style="dim")


def percent(value: float | None) -> str:
    return "–" if value is None else f"{round(value * 100)}%"


def status_text(status: str) -> Text:
    return Text(status or "–", style=STATUS_STYLE.get(status, "dim"))


def bars(rows: list[tuple[str, int]], width: int = 30) -> Text:
    """A horizontal bar chart: one line per (label, count)."""
    out = Text()
    if not rows:
        return out
    top = max(c for _, c in rows) or 1
    pad = max(len(label) for label, _ in rows)
    for label, count in rows:
        filled = round(count / top * width)
        out.append(f"{label:<{pad}} ")
        out.append("█" * filled, style="cyan")
        out.append(f" {count}\n")
    out.rstrip()
    return out


def said_by(note, *more: str | None) -> str:
    """kind · date · deal account · rep · amount (and ``more``), for a note or a quote."""
    parts = (
        note.kind,
        note.date,
        " ".join(filter(None, (note.deal, note.account))),
        note.rep,
        money(note.amount) if note.amount else None,
        *more,
    )
    return " · ".join(p for p in parts if p)


def shorten(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: max(0, width - 1)].rstrip() + "…"
