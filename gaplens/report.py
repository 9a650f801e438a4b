"""Render the quarterly planning report (``analysis.report.PlanningReport``) for people.

Three formats from the same data:

- **Markdown**, to paste into a wiki page or a ticket: GitHub-flavoured tables,
  money as $1.2M / $340k, note text escaped so it stays text;
- **HTML**, one self-contained file to share or print: inline CSS, inline SVG
  charts drawn here (no script, no font, image or stylesheet fetched from
  anywhere), a print stylesheet for A4;
- **CSV**, one row per theme with every number, for a spreadsheet.

The sections, in order, in Markdown and HTML: headline, top gaps (one brief
each), trends, revenue impact, what was planned for the quarter and what
happened, the plan board, and content nobody's questions need.

Nothing here reads the workspace except ``render_csv`` when given the run's
theme rows (``Store.clusters``), which the report does not carry for themes
outside the top gaps.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from analysis.brief import STAGE_TEXT
from gaplens.output import money as _money
from gaplens.output import sparkline

REPORT_FORMATS = ("md", "html", "csv")
TITLE = "Content planning"
_STATUS_WORDS = {"none": "no content", "weak": "weak", "covered": "covered"}
_ABBREV = {"faq entry": "FAQ entry"}
_STUCK_SHOWN = 3  # stuck deals named per gap, the biggest first
_STAGES_SHOWN = 4
_SAFE_URL = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)


# -- numbers as people read them ------------------------------------------------


def money(amount: float | None) -> str:
    """Money as the report writes it: '$0' for nothing (see gaplens.output.money)."""
    return _money(amount, nothing="$0")


def pct(share: float | None, digits: int = 0) -> str:
    return "—" if share is None else f"{share * 100:.{digits}f}%"


def _p(p: float | None) -> str:
    if p is None:
        return ""
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"


def _fmt_name(value: str | None) -> str:
    if not value:
        return ""
    return _ABBREV.get(value, value[:1].upper() + value[1:])


def _status(value: str | None) -> str:
    return _STATUS_WORDS.get(value or "", value or "")


def _plural(n: int | float, word: str, many: str | None = None) -> str:
    return f"{n:g} {word if n == 1 else many or word + 's'}"


def _ranked(pairs: Iterable[tuple[str, int]], limit: int = _STAGES_SHOWN) -> str:
    pairs = list(pairs)
    text = ", ".join(f"{name} {n}" for name, n in pairs[:limit])
    return text + (f", +{len(pairs) - limit} more" if len(pairs) > limit else "")


def _change(this: int, before: int) -> str:
    if not before:
        return ""
    return f" ({(this / before - 1) * 100:+.0f}%)"


def win_rate_text(impact, baseline: float | None, baseline_closed: int) -> str:
    """'24% (4 won of 17 closed; 95% interval 10–47%), below the 30% baseline'."""
    if impact is None or not impact.closed:
        return "no closed deals to measure yet"
    text = (
        f"{pct(impact.win_rate)} ({impact.won_deals} won of {impact.closed} closed; "
        f"95% interval {pct(impact.win_rate_low)}–{pct(impact.win_rate_high)})"
    )
    if baseline is None:
        return text
    base = f"the {pct(baseline)} baseline of all {baseline_closed} closed deals"
    if impact.win_rate_high is not None and impact.win_rate_high < baseline:
        return f"{text}, below {base}"
    if impact.win_rate_low is not None and impact.win_rate_low > baseline:
        return f"{text}, above {base}"
    return f"{text}: not clearly different from {base}"


def _short_win(impact) -> str:
    if impact is None or not impact.closed:
        return "—"
    return f"{pct(impact.win_rate)} ({impact.closed})"


def trend_reason(trend, previous: str) -> str:
    """The trends module's reason where it gives one, else the counts and the test's p."""
    reason = getattr(trend, "reason", None)
    if reason:
        return reason
    if trend.status == "quiet":
        return f"under 3 notes in both quarters ({trend.previous} → {trend.this}): not tested"
    if trend.status == "new":
        return f"first notes this quarter ({trend.this})"
    return f"{trend.previous} → {trend.this} notes vs {previous}, share " + (
        f"{pct(trend.previous_share, 1)} → {pct(trend.share, 1)}"
        + (f", {_p(trend.p_value)}" if trend.p_value is not None else "")
    )


def _stuck_text(stuck: Sequence, days: int) -> str:
    if not stuck:
        return f"none over {days} days in one stage"
    biggest = sorted(stuck, key=lambda s: (-s.amount, -s.days, s.deal))[:_STUCK_SHOWN]
    named = "; ".join(
        f"{s.deal}{f' ({s.account})' if s.account else ''} {money(s.amount)}, "
        f"{s.days} days in {s.stage}"
        for s in biggest
    )
    more = f"; +{len(stuck) - len(biggest)} more" if len(stuck) > len(biggest) else ""
    return f"{_plural(len(stuck), 'open deal')} over {days} days in one stage: {named}{more}"


def _plan_text(item) -> str:
    if item is None:
        return "not on the plan"
    parts = [item.status]
    if item.owner:
        parts.append(f"owner {item.owner}")
    if item.quarter:
        parts.append(f"for {item.quarter}")
    if item.format:
        parts.append(_fmt_name(item.format))
    if item.published_at:
        parts.append(f"published {item.published_at}")
    text = f"item {item.id}: " + ", ".join(parts)
    return text + (f" — {item.comment}" if item.comment else "")


def _quote_meta(q) -> str:
    parts = [q.date[:10] if q.date else "undated", q.account, q.deal, q.kind]
    if q.amount:
        parts.insert(3, money(q.amount))
    text = " · ".join(p for p in parts if p)
    return text + (f" · {q.source}" if q.source else "")


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _gap_facts(report, g) -> list[tuple[str, str]]:
    """(label, plain text) of one gap's numbers, in the order both formats show them."""
    imp, b = g.impact, g.brief
    h = report.headline
    notes = f"{imp.notes} notes" if imp else f"{b.notes} notes"
    if imp and b.notes != imp.notes:
        notes += f" by {report.as_of} ({b.notes} in the analysis)"
    who = (
        f"{notes}, {_plural(imp.deals, 'deal')}, {_plural(imp.accounts, 'account')}"
        if imp
        else notes
    )
    facts = [("Heard in", who)]
    if imp:
        facts += [
            (
                "Open pipeline",
                f"{money(imp.open_pipeline)} in {_plural(imp.open_deals, 'open deal')}",
            ),
            ("Lost", f"{money(imp.lost_amount)} in {_plural(imp.lost_deals, 'deal')}"),
            ("Win rate", win_rate_text(imp, h.win_rate, h.closed)),
            ("Lost deals died at", _ranked(imp.lost_stages) or "—"),
            ("Open deals sit at", _ranked(imp.open_stages) or "—"),
            ("Competitors named", _ranked(imp.competitors) or "none"),
            ("Stuck deals", _stuck_text(imp.stuck, report.stuck_days)),
        ]
    lost, named = g.reasons
    if lost:
        said = f"names it for {named} of the {_plural(lost, 'lost deal')} whose notes raise it"
        for c in g.misfiled:
            filed = f" (filed under {c.crm_theme})" if c.crm_theme else ""
            said += (
                f"; {c.deal} ({c.account or 'no account'}, {money(c.amount)}): the CRM says "
                f'"{_clip(c.crm_reason)}"{filed}, the notes "{_clip(c.notes_say[0])}"'
            )
        facts.append(("CRM loss reason", said))
    if g.trend:
        facts.append(("Trend", f"{g.trend.status} — {trend_reason(g.trend, report.previous)}"))
    return facts


def _clip(text: str, n: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _gap_suggestions(b) -> list[tuple[str, str]]:
    stage = b.stage.value
    if b.stage.value in STAGE_TEXT and STAGE_TEXT[b.stage.value] not in b.stage.reason:
        stage += f" ({STAGE_TEXT[b.stage.value]})"
    return [
        ("Suggested format", f"{_fmt_name(b.format.value)} — {b.format.reason}"),
        ("Funnel stage", f"{stage} — {b.stage.reason}"),
    ]


def _closest_text(c) -> tuple[str, str]:
    """(what it is, what it misses) in plain text; ('', '') when nothing answers."""
    if c is None:
        return "", ""
    flags = [c.type or "", f"coverage {c.coverage:.2f}"]
    if c.outdated:
        flags.append("marked outdated")
    if c.linked:
        flags.append("linked by a person")
    what = ", ".join(f for f in flags if f)
    misses = (
        "never uses " + ", ".join(c.misses)
        if c.misses
        else "uses every keyword of the theme, but answers it only in part"
    )
    return what, misses


def _headline_lines(report) -> list[tuple[str, str]]:
    h = report.headline
    base = (
        f"{pct(h.win_rate)} ({report.impact.won} won of {h.closed} closed deals)"
        if h.closed
        else "no closed deals in the workspace yet"
    )
    return [
        (
            f"{h.notes} notes",
            f" in {report.quarter}, vs {h.notes_before} in {report.previous}"
            f"{_change(h.notes, h.notes_before)}",
        ),
        (
            f"{h.themes} themes:",
            f" {h.no_content} with no content, {h.weak} with weak content, {h.covered} covered; "
            f"{h.gaps} are gaps (coverage below the threshold)",
        ),
        (
            f"{money(h.gap_open_pipeline)} open pipeline",
            f" and {money(h.gap_lost_amount)} lost in the {h.gap_deals} deals whose notes "
            "raise a gap (each deal counted once, however many gaps it raises)",
        ),
        ("Baseline win rate:", f" {base}"),
    ]


# -- Markdown -------------------------------------------------------------------

# ``<`` only where it could open a tag or an autolink; ``>`` only quotes at a line's start
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~]|<(?=[A-Za-z/!?]))")


def md_text(text: str | None) -> str:
    """Note text as Markdown that renders as the same text: one line, specials escaped."""
    return _MD_SPECIAL.sub(r"\\\1", _one_line(text))


def md_table(headers: Sequence[str], rows: Iterable[Sequence], right: Iterable[int] = ()) -> str:
    """A GitHub-flavoured table; cells are escaped here, so pass plain text."""
    right = set(right)
    lines = [
        "| " + " | ".join(md_text(h) for h in headers) + " |",
        "|" + "|".join("---:" if i in right else "---" for i in range(len(headers))) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(md_text(str(c)) for c in row) + " |")
    return "\n".join(lines)


def _md_link(title: str, url: str | None) -> str:
    if url and _SAFE_URL.match(url) and not re.search(r"[()]", url):
        return f"[{md_text(title)}]({url})"
    return md_text(title)


def render_markdown(report) -> str:
    out: list[str] = []
    add = out.append
    add(f"# {TITLE} — {report.quarter}\n")
    add(
        f"Workspace `{report.workspace}` · as of {report.as_of} · generated {report.generated} "
        f"· analysis run {report.run_id}\n"
    )
    for note in report.notes:
        add(f"> **Note:** {md_text(note)}\n")

    add("## Headline\n")
    for bold, rest in _headline_lines(report):
        add(f"- **{md_text(bold)}** {md_text(rest)}")
    add("")

    add(f"## Top gaps ({len(report.gaps)})\n")
    if not report.gaps:
        add("No theme is a gap: every theme has content that answers it.\n")
    for g in report.gaps:
        out.extend(_md_gap(report, g))

    out.extend(_md_trends(report))
    out.extend(_md_impact(report))
    out.extend(_md_review(report))
    out.extend(_md_plan(report))
    out.extend(_md_unused(report))
    return "\n".join(out).rstrip() + "\n"


def _md_gap(report, g) -> list[str]:
    b = g.brief
    out = [f"### {g.rank}. {md_text(b.label)}\n", f"> **{md_text(b.question)}**\n"]
    score = f"score {b.score:.1f}" if b.score is not None else "unscored"
    coverage = f"coverage {b.closest.coverage:.2f}" if b.closest else "coverage 0"
    out.append(f"*{md_text(_status(b.status) or b.status)}* · {coverage} · {score}\n")
    for label, text in _gap_facts(report, g):
        out.append(f"- **{label}:** {md_text(text)}")
    if g.series:
        counts = " · ".join(
            f"**{q} {n}**" if q == report.quarter else f"{q} {n}" for q, n in g.series
        )
        out.append(f"- **Notes per quarter:** `{sparkline([n for _, n in g.series])}` {counts}")
    out.append("")
    if b.quotes:
        out.append("**What prospects said**\n")
        for i, q in enumerate(b.quotes, 1):
            out.append(f'{i}. "{md_text(q.text)}" — *{md_text(_quote_meta(q))}*')
        out.append("")
    c = b.closest
    if c is None:
        out.append("- **Closest content:** nothing answers it")
    else:
        what, misses = _closest_text(c)
        out.append(f"- **Closest content:** {_md_link(c.title, c.url)} ({md_text(what)})")
        out.append(f"- **What it misses:** {md_text(misses)}")
    for label, text in _gap_suggestions(b):
        out.append(f"- **{label}:** {md_text(text)}")
    out.append(f"- **Plan:** {md_text(_plan_text(g.plan))}")
    out.append("")
    return out


def brief_markdown(report) -> str:
    """The briefs of a report built for chosen themes (``build_report(themes=[...])``)."""
    out = []
    for g in report.gaps:
        lines = _md_gap(report, g)
        lines[0] = f"## Gap brief: {md_text(g.brief.label)} (theme {g.brief.theme_id})\n"
        rank = f"gap #{g.rank} of {report.headline.gaps}" if g.rank else "not a gap"
        lines.insert(1, f"*{rank} · as of {report.as_of} · {report.workspace}*\n")
        out += lines
    return "\n".join(out)


def _md_trends(report) -> list[str]:
    t = report.trends
    out = [
        f"## Trends — {t.quarter} vs {t.previous}\n",
        f"{t.total} notes in {t.quarter}, {t.previous_total} in {t.previous}. A theme rises or "
        "falls when its share of the quarter's notes moved more than chance would at its "
        "volume; new: no note before the quarter.\n",
    ]
    for name, themes in (("New", t.new), ("Rising", t.rising), ("Falling", t.falling)):
        if not themes:
            out.append(f"- **{name} (0):** none")
            continue
        out.append(f"- **{name} ({len(themes)}):**")
        out.extend(
            f"  - {md_text(x.label)} ({x.previous} → {x.this}): "
            f"{md_text(trend_reason(x, t.previous))}"
            for x in themes
        )
    out.append("")
    span = f"{t.quarters[0]}–{t.quarters[-1]}"
    rows = [
        (
            x.label,
            sparkline([n for _, n in x.counts]),
            x.previous,
            x.this,
            f"{pct(x.previous_share, 1)} → {pct(x.share, 1)}",
            x.status,
            trend_reason(x, t.previous),
        )
        for x in t.themes
    ]
    out.append(
        md_table(
            ["Theme", span, t.previous, t.quarter, "Share of notes", "Status", "Why"],
            rows,
            right=(2, 3),
        )
    )
    out.append("")
    return out


def _gap_rank(report) -> dict[int, int]:
    return {g.brief.theme_id: g.rank for g in report.gaps}


IMPACT_HEADERS = (
    "Theme", "Gap", "Notes", "Deals", "Open pipeline", "Lost", "Win rate (n)", "Stuck",
    "Competitors (notes)",
)  # fmt: skip
IMPACT_NUMERIC = (2, 3, 4, 5, 6, 7)


def _impact_intro(report) -> str:
    imp, h = report.impact, report.headline
    return (
        f"Every theme's deals, each deal counted once per theme, as of "
        f"{imp.as_of or report.as_of}. All deals: {money(imp.open_pipeline)} open in "
        f"{imp.open_deals}, {money(imp.lost_amount)} lost in {imp.lost}, "
        f"{money(imp.won_amount)} won in {imp.won}; win rate {pct(h.win_rate)} of {h.closed} "
        f"closed. Stuck: open over {report.stuck_days} days in one stage."
    )


def _impact_rows(report) -> list[tuple[int | None, list[str]]]:
    """(gap rank or None, plain-text cells after the rank column) per theme."""
    ranks = _gap_rank(report)
    return [
        (
            ranks.get(t.theme_id),
            [
                t.label,
                str(t.notes),
                str(t.deals),
                money(t.open_pipeline),
                money(t.lost_amount),
                _short_win(t),
                str(len(t.stuck)),
                _ranked(t.competitors, 3) or "—",
            ],
        )  # fmt: skip
        for t in report.impact.themes
    ]


def _md_impact(report) -> list[str]:
    rows = [
        [cells[0], f"#{rank}" if rank else "", *cells[1:]] for rank, cells in _impact_rows(report)
    ]
    return [
        "## Revenue impact\n",
        _impact_intro(report) + "\n",
        md_table(IMPACT_HEADERS, rows, right=IMPACT_NUMERIC),
        "",
    ]


def _effect_cells(item, e) -> tuple:
    span = (
        "–".join(dict.fromkeys([e.after_quarters[0], e.after_quarters[-1]]))
        if e.after_quarters
        else ""
    )
    after = (
        f"{e.after:.1f} a quarter in {span} ({pct(e.after_share, 1)})"
        if e.after_quarters
        else "no full quarter since"
    )
    return (
        item.label,
        e.published_at,
        f"{e.before} in {e.before_quarter} ({pct(e.before_share, 1)})",
        after,
        e.verdict,
    )


_EFFECT_HEADERS = ["Theme", "Published", "Notes before (share)", "Notes after (share)", "Verdict"]


def _md_review(report) -> list[str]:
    out = [f"## Planned for {report.quarter} — what happened\n"]
    if report.review.items:
        for item, what in report.review.items:
            who = f", {item.owner}" if item.owner else ""
            out.append(
                f"- **{md_text(item.label)}** (item {item.id}{md_text(who)}): {md_text(what)}"
            )
    else:
        out.append(f"Nothing on the plan targeted {report.quarter} or was published in it.")
    out.append("")
    out.append("**What published content did to its theme's notes**\n")
    if report.effects:
        out.append(md_table(_EFFECT_HEADERS, [_effect_cells(i, e) for i, e in report.effects]))
        out.append(
            "\nShares are of all notes in those quarters, so a quieter quarter for everyone "
            "does not read as success; fell or rose: the share moved by a quarter or more."
        )
    else:
        out.append("Nothing on the plan is published yet.")
    out.append("")
    out.append("**New content may publish these**\n")
    if report.proposals:
        for p in report.proposals:
            out.append(
                f"- **{md_text(p.item.label)}** (item {p.item.id}, {p.item.status}): "
                f"{md_text(p.reason)} — `gaplens plan publish {p.item.id} --asset {p.asset_id}`"
            )
    else:
        out.append("No planned theme is answered by content imported since it was planned.")
    out.append("")
    return out


def _plan_row(item) -> tuple:
    return (
        item.status,
        item.label,
        item.owner or "",
        item.quarter or "",
        _fmt_name(item.format),
        item.comment or "",
    )


_PLAN_HEADERS = ["Status", "Theme", "Owner", "Quarter", "Format", "Comment"]


def _md_plan(report) -> list[str]:
    out = ["## Plan board\n"]
    if report.plan:
        out.append(md_table(_PLAN_HEADERS, [_plan_row(i) for i in report.plan]))
    else:
        out.append("The plan is empty: put a gap on it with `gaplens plan add THEME_ID`.")
    out.append("")
    return out


def _unused_cells(u) -> tuple:
    return (
        u.type or "",
        "" if u.views is None else f"{u.views:,}",
        (u.updated or "")[:10],
        "outdated" if u.outdated else "",
        f"{u.best:.2f}",
    )


_UNUSED_HEADERS = ["Asset", "Type", "Views", "Updated", "Outdated", "Best coverage"]


def _md_unused(report) -> list[str]:
    out = [
        "## Content nobody's questions need\n",
        "Assets that are no theme's closest content, below the gap threshold for every theme "
        "and linked to none: candidates to retire, merge or rewrite. Most viewed first.\n",
    ]
    if not report.unused:
        out.append("None: every asset answers some theme.")
    else:
        # the title cell carries a link, so this table is put together by hand
        head = md_table(_UNUSED_HEADERS, [], right=(2, 5))
        rows = [
            "| "
            + " | ".join([_md_link(u.title, u.url), *(md_text(c) for c in _unused_cells(u))])
            + " |"
            for u in report.unused
        ]
        out.append("\n".join([head, *rows]))
    out.append("")
    return out


# -- HTML -----------------------------------------------------------------------


def esc(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _a(title: str, url: str | None) -> str:
    if url and _SAFE_URL.match(url):
        return f'<a href="{esc(url)}">{esc(title)}</a>'
    return esc(title)


def _short_q(quarter: str) -> str:
    """'2026Q3' -> "Q3 '26" for chart labels."""
    return f"Q{quarter[-1]} '{quarter[2:4]}" if re.match(r"^\d{4}Q[1-4]$", quarter) else quarter


def bar_chart_svg(series: Sequence[tuple[str, int]], highlight: str, title: str) -> str:
    """Notes per quarter as columns, the report's quarter dark, with its count on top."""
    bw, gap, pad, top, plot, bottom = 40, 12, 6, 16, 80, 18
    n = max(len(series), 1)
    width = pad * 2 + n * bw + (n - 1) * gap
    height = top + plot + bottom
    peak = max((c for _, c in series), default=0) or 1
    parts = []
    for i, (q, c) in enumerate(series):
        x = pad + i * (bw + gap)
        h = round(c / peak * plot) if c else 0
        h = max(h, 2) if c else 0
        y = top + plot - h
        cls = "bar hl" if q == highlight else "bar"
        parts.append(
            f'<rect class="{cls}" x="{x}" y="{y}" width="{bw}" height="{h}"/>'
            f'<text class="val" x="{x + bw / 2:g}" y="{y - 4}">{c}</text>'
            f'<text class="ax{" hl" if q == highlight else ""}" x="{x + bw / 2:g}" '
            f'y="{height - 4}">{esc(_short_q(q))}</text>'
        )
    base = top + plot + 0.5
    label = f"{title}: " + ", ".join(f"{q} {c}" for q, c in series)
    return (
        f'<svg class="chart cols" role="img" aria-label="{esc(label)}" viewBox="0 0 {width} '
        f'{height}" width="{width}" height="{height}"><title>{esc(label)}</title>'
        + "".join(parts)
        + f'<line class="axis" x1="0" x2="{width}" y1="{base}" y2="{base}"/></svg>'
    )


def spark_svg(counts: Sequence[int], status: str, title: str) -> str:
    """A small line of notes per quarter, its last point marked."""
    w, h, pad = 96, 24, 3
    peak = max(counts, default=0) or 1
    n = len(counts)
    step = (w - 2 * pad) / max(n - 1, 1)
    pts = [(pad + i * step, h - pad - c / peak * (h - 2 * pad)) for i, c in enumerate(counts)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    last = pts[-1] if pts else (pad, h - pad)
    return (
        f'<svg class="spark {esc(status)}" role="img" aria-label="{esc(title)}" '
        f'viewBox="0 0 {w} {h}" width="{w}" height="{h}"><title>{esc(title)}</title>'
        f'<polyline points="{line}"/><circle cx="{last[0]:.1f}" cy="{last[1]:.1f}" r="2.5"/></svg>'
    )


def money_chart_svg(report) -> str:
    """The top gaps as horizontal bars: open pipeline, then what was lost, score beside."""
    rows = [g for g in report.gaps if g.impact]
    if not rows:
        return ""
    label_w, bar_w, value_w, row_h, top = 230, 380, 170, 24, 26
    width = label_w + bar_w + value_w
    height = top + row_h * len(rows) + 6
    peak = max(g.impact.at_stake for g in rows) or 1
    parts = [
        f'<rect class="open" x="{label_w}" y="4" width="12" height="10"/>'
        f'<text class="legend" x="{label_w + 16}" y="13">open pipeline</text>'
        f'<rect class="lost" x="{label_w + 120}" y="4" width="12" height="10"/>'
        f'<text class="legend" x="{label_w + 136}" y="13">lost</text>'
    ]
    for i, g in enumerate(rows):
        y = top + i * row_h
        imp = g.impact
        name = g.brief.label if len(g.brief.label) <= 30 else g.brief.label[:29] + "…"
        ow = imp.open_pipeline / peak * bar_w
        lw = imp.lost_amount / peak * bar_w
        score = f" · score {g.brief.score:.0f}" if g.brief.score is not None else ""
        parts.append(
            f'<text class="name" x="{label_w - 8}" y="{y + 15}">{g.rank}. {esc(name)}</text>'
            f'<rect class="open" x="{label_w}" y="{y + 4}" width="{ow:.1f}" height="14"/>'
            f'<rect class="lost" x="{label_w + ow:.1f}" y="{y + 4}" width="{lw:.1f}" height="14"/>'
            f'<text class="amt" x="{label_w + ow + lw + 6:.1f}" y="{y + 15}">'
            f"{money(imp.open_pipeline)} + {money(imp.lost_amount)}{score}</text>"
        )
    label = "Money on the top gaps, open pipeline and lost: " + "; ".join(
        f"{g.rank}. {g.brief.label} {money(g.impact.open_pipeline)} open, "
        f"{money(g.impact.lost_amount)} lost"
        for g in rows
    )
    return (
        f'<svg class="chart money" role="img" aria-label="{esc(label)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        f"<title>{esc(label)}</title>" + "".join(parts) + "</svg>"
    )


def status_bar_svg(none: int, weak: int, covered: int) -> str:
    """The themes split by content status, as one bar."""
    total = none + weak + covered or 1
    w, h = 520, 14
    x, parts = 0.0, []
    for cls, n in (("none", none), ("weak", weak), ("covered", covered)):
        width = n / total * w
        parts.append(f'<rect class="st-{cls}" x="{x:.1f}" y="0" width="{width:.1f}" height="{h}"/>')
        x += width
    label = f"Themes by content: {none} no content, {weak} weak, {covered} covered"
    return (
        f'<svg class="chart status" role="img" aria-label="{esc(label)}" viewBox="0 0 {w} {h}" '
        f'width="{w}" height="{h}"><title>{esc(label)}</title>' + "".join(parts) + "</svg>"
    )


def html_table(headers: Sequence[str], rows: Iterable[Sequence[str]], numeric=(), cls="") -> str:
    """Cells must already be HTML (escape data with ``esc``)."""
    numeric = set(numeric)
    head = "".join(
        f'<th scope="col"{" class=num" if i in numeric else ""}>{esc(h)}</th>'
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            (
                f'<th scope="row">{c}</th>'
                if i == 0
                else f"<td{' class=num' if i in numeric else ''}>{c}</td>"
            )
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return (
        f'<div class="scroll"><table class="{cls}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


CSS = """
:root { --ink:#1d232b; --muted:#5b6673; --line:#d5dbe2; --accent:#1f5fa8; --lost:#d9822b;
  --none:#b42318; --weak:#b26a00; --covered:#2f7d32; --soft:#f4f6f8; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; font-size: 15px; }
body { margin:0; color:var(--ink); background:#fff; font: 1rem/1.5 system-ui, -apple-system,
  "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
.page { max-width: 1080px; margin: 0 auto; padding: 28px 32px 48px; }
h1 { font-size: 1.9rem; margin: 0 0 .2rem; letter-spacing: -.01em; }
h2 { font-size: 1.35rem; margin: 2.2rem 0 .8rem; padding-bottom: .3rem;
  border-bottom: 2px solid var(--ink); }
h3 { font-size: 1.15rem; margin: 0; }
h4 { font-size: .8rem; text-transform: uppercase; letter-spacing: .06em; color: var(--muted);
  margin: 1rem 0 .4rem; }
p { margin: .4rem 0; }
a { color: var(--accent); }
.meta, .muted { color: var(--muted); }
.meta { font-size: .9rem; }
.caveat { border-left: 4px solid var(--weak); padding: .4rem .8rem; margin: .8rem 0;
  background: #fff8eb; }
nav.toc { font-size: .88rem; margin: 1rem 0; color: var(--muted); }
nav.toc a { margin-right: .8rem; white-space: nowrap; }
.kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 12px;
  margin: 1rem 0; }
.kpi { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.kpi .big { font-size: 1.6rem; font-weight: 650; line-height: 1.2; }
.kpi .small { font-size: .86rem; color: var(--muted); }
figure { margin: .6rem 0; }
figcaption { font-size: .82rem; color: var(--muted); }
svg.chart { max-width: 100%; height: auto; display: block; }
svg text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  fill: var(--ink); }
svg .bar { fill: #a9bfd8; } svg .bar.hl { fill: var(--accent); }
svg text.val, svg text.ax { text-anchor: middle; } svg text.ax { fill: var(--muted); }
svg text.ax.hl { fill: var(--ink); font-weight: 700; }
svg .axis { stroke: var(--muted); stroke-width: 1; }
svg .open { fill: var(--accent); } svg .lost { fill: var(--lost); }
svg text.name { text-anchor: end; } svg text.amt { fill: var(--muted); }
svg .st-none { fill: var(--none); } svg .st-weak { fill: var(--weak); }
svg .st-covered { fill: var(--covered); }
svg.spark polyline { fill: none; stroke: #7d8896; stroke-width: 1.5; }
svg.spark circle { fill: #7d8896; }
svg.spark.rising polyline, svg.spark.new polyline { stroke: var(--lost); }
svg.spark.rising circle, svg.spark.new circle { fill: var(--lost); }
svg.spark.falling polyline { stroke: var(--covered); }
svg.spark.falling circle { fill: var(--covered); }
.gap { border: 1px solid var(--line); border-radius: 10px; padding: 16px 20px; margin: 16px 0;
  break-inside: avoid; }
.gap header { display: flex; align-items: baseline; gap: 10px; flex-wrap: wrap; }
.rank { font-weight: 700; color: var(--muted); font-size: 1.1rem; }
.badge { display: inline-block; font-size: .75rem; font-weight: 600; padding: 1px 8px;
  border-radius: 999px; border: 1.5px solid currentColor; text-transform: uppercase;
  letter-spacing: .04em; }
.badge.none { color: var(--none); } .badge.weak { color: var(--weak); }
.badge.covered { color: var(--covered); }
.badge.rising, .badge.new { color: var(--lost); } .badge.falling { color: var(--covered); }
.badge.steady, .badge.quiet { color: var(--muted); }
.question { font-size: 1.2rem; font-weight: 600; margin: .8rem 0; padding: .2rem 0 .2rem 14px;
  border-left: 4px solid var(--accent); }
.cols2 { display: grid; grid-template-columns: minmax(0, 1fr) 290px; gap: 20px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 14px; margin: 0;
  font-size: .92rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
ol.quotes { margin: 0; padding-left: 1.3rem; }
ol.quotes li { margin: 0 0 .55rem; }
ol.quotes q { quotes: "\\201C" "\\201D"; }
ol.quotes .meta { font-size: .8rem; display: block; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .88rem; margin: .5rem 0; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px;
  border-bottom: 1px solid var(--line); }
thead th { border-bottom: 2px solid var(--ink); font-weight: 650; white-space: nowrap; }
tbody th { font-weight: 500; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.why { color: var(--muted); font-size: .82rem; }
table.trends td:last-child { min-width: 17em; }
table.impact td:last-child { min-width: 12em; }
ul.flat { padding-left: 1.1rem; }
.side h4 { margin-top: .8rem; }
ul.stuck { margin: 0; padding-left: 1.1rem; font-size: .88rem; }
.nb { white-space: nowrap; }
footer { margin-top: 2.5rem; font-size: .8rem; color: var(--muted); }
@media (max-width: 760px) {
  .page { padding: 16px; }
  .cols2 { grid-template-columns: 1fr; }
}
@page { size: A4; margin: 14mm 13mm 16mm; }
@media print {
  html { font-size: 8.5pt; }
  body { line-height: 1.4; background: none; }
  h2 { margin-top: 1.2rem; }
  .kpis { grid-template-columns: repeat(4, minmax(0, 1fr)); }
  .gap { padding: 10px 14px; margin: 0 0 10px; }
  .question { font-size: 1.1rem; margin: .5rem 0; }
  ol.quotes li { margin-bottom: .35rem; }
  .page { max-width: none; padding: 0; }
  nav.toc { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h2.new-page { break-before: page; page-break-before: always; }
  .gap, .kpi, figure, tr, ol.quotes li { break-inside: avoid; page-break-inside: avoid; }
  .gap { border-color: #999; }
  .caveat { background: none; }
  .cols2 { grid-template-columns: minmax(0, 1fr) 250px; }
  .scroll { overflow: visible; }
  table { font-size: 8pt; }
  thead th { white-space: normal; }
  table.trends td:last-child { min-width: 0; width: 34%; }
  a { color: inherit; text-decoration: none; }
  a[href^="http"]::after { content: " <" attr(href) ">"; font-size: 7.5pt; color: #555;
    word-break: break-all; }
}
"""


def render_html(report) -> str:
    h = report.headline
    title = f"{TITLE} — {report.quarter}"
    body: list[str] = []
    add = body.append
    add(f"<header><h1>{esc(title)}</h1>")
    add(
        f'<p class="meta">Workspace <b>{esc(report.workspace)}</b> · as of {esc(report.as_of)} '
        f"· generated {esc(report.generated)} · analysis run {report.run_id}</p>"
    )
    for note in report.notes:
        add(f'<p class="caveat"><b>Note:</b> {esc(note)}</p>')
    add("</header>")
    links = [
        ("headline", "Headline"),
        ("gaps", "Top gaps"),
        ("trends", "Trends"),
        ("impact", "Revenue impact"),
        ("review", "What happened"),
        ("plan", "Plan board"),
        ("unused", "Unused content"),
    ]
    add(
        '<nav class="toc" aria-label="Sections">'
        + "".join(f'<a href="#{k}">{esc(v)}</a>' for k, v in links)
        + "</nav>"
    )

    # headline
    add('<section id="headline"><h2>Headline</h2><div class="kpis">')
    base = (
        f"{report.impact.won} won of {h.closed} closed deals" if h.closed else "no closed deals yet"
    )
    tiles = [
        (f"{h.notes}", f"notes in {report.quarter}",
         f"vs {h.notes_before} in {report.previous}{_change(h.notes, h.notes_before)}"),
        (f"{h.gaps} of {h.themes}", "themes are gaps",
         f"{h.no_content} no content · {h.weak} weak · {h.covered} covered"),
        (money(h.gap_open_pipeline), "open pipeline on gaps",
         f"{money(h.gap_lost_amount)} lost · {h.gap_deals} deals, each once"),
        (pct(h.win_rate), "baseline win rate", base),
    ]  # fmt: skip
    for big, what, small in tiles:
        add(
            f'<div class="kpi"><div class="big">{esc(big)}</div><div>{esc(what)}</div>'
            f'<div class="small">{esc(small)}</div></div>'
        )
    add("</div>")
    add(
        f"<figure>{status_bar_svg(h.no_content, h.weak, h.covered)}<figcaption>"
        f'<span class="badge none">no content</span> {h.no_content} · '
        f'<span class="badge weak">weak</span> {h.weak} · '
        f'<span class="badge covered">covered</span> {h.covered}; a theme is a gap while its '
        "coverage is below the threshold.</figcaption></figure>"
    )
    chart = money_chart_svg(report)
    if chart:
        add(
            f"<figure>{chart}<figcaption>What rides on each top gap: open pipeline and lost "
            f"amount of the deals whose notes raise it, as of {esc(report.as_of)}.</figcaption>"
            "</figure>"
        )
    add("</section>")

    add(f'<section id="gaps"><h2>Top gaps ({len(report.gaps)})</h2>')
    if not report.gaps:
        add("<p>No theme is a gap: every theme has content that answers it.</p>")
    for g in report.gaps:
        add(_html_gap(report, g))
    add("</section>")
    add(_html_trends(report))
    add(_html_impact(report))
    add(_html_review(report))
    add(_html_plan(report))
    add(_html_unused(report))
    add(
        "<footer>Made by gaplens from the notes sales wrote and the content marketing has. "
        "Quotes are the notes' own words; nothing in this report is generated text.</footer>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f'<main class="page">\n' + "\n".join(body) + "\n</main>\n</body>\n</html>\n"
    )


def _dl(pairs: Iterable[tuple[str, str]]) -> str:
    return (
        '<dl class="facts">' + "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in pairs) + "</dl>"
    )


def _html_gap(report, g) -> str:
    b = g.brief
    status = _status(b.status) or b.status
    cls = {"no content": "none"}.get(status, status)
    score = f"score {b.score:.1f}" if b.score is not None else "unscored"
    coverage = f"coverage {b.closest.coverage:.2f}" if b.closest else "coverage 0"
    trend = (
        f' <span class="badge {esc(g.trend.status)}">{esc(g.trend.status)}</span>'
        if g.trend
        else ""
    )
    out = [
        f'<article class="gap" id="gap-{g.rank}" aria-labelledby="gap-{g.rank}-h">',
        f'<header><span class="rank">{g.rank}</span><h3 id="gap-{g.rank}-h">{esc(b.label)}</h3>'
        f'<span class="badge {esc(cls)}">{esc(status)}</span>{trend}'
        f'<span class="muted">{coverage} · {score} · theme {b.theme_id}</span></header>',
        f'<blockquote class="question">{esc(b.question)}</blockquote>',
        '<div class="cols2"><div>',
        _dl((k, esc(v)) for k, v in _gap_facts(report, g) if k not in ("Trend", "Stuck deals")),
        '</div><div class="side">',
    ]
    if g.series:
        trend = (
            f"<br><b>{esc(g.trend.status.capitalize())}:</b> "
            f"{esc(trend_reason(g.trend, report.previous))}"
            if g.trend
            else ""
        )
        out.append(
            "<figure>"
            + bar_chart_svg(g.series, report.quarter, f"Notes per quarter on {b.label}")
            + f"<figcaption>Notes per quarter, {esc(report.quarter)} dark.{trend}</figcaption>"
            "</figure>"
        )
    if g.impact:
        out.append(_html_stuck(g.impact.stuck, report.stuck_days))
    out.append("</div></div>")
    if b.quotes:
        out.append('<h4>What prospects said</h4><ol class="quotes">')
        for q in b.quotes:
            out.append(
                f'<li><q>{esc(_one_line(q.text))}</q><span class="meta">{esc(_quote_meta(q))}'
                "</span></li>"
            )
        out.append("</ol>")
    c = b.closest
    if c is None:
        content = [("Closest content", "<b>nothing answers it</b>")]
    else:
        what, misses = _closest_text(c)
        content = [
            ("Closest content", f"{_a(c.title, c.url)} <span class=muted>({esc(what)})</span>"),
            ("What it misses", esc(misses)),
        ]
    content += [(k, esc(v)) for k, v in _gap_suggestions(b)]
    content.append(("Plan", esc(_plan_text(g.plan))))
    out.append("<h4>What to write</h4>" + _dl(content))
    out.append("</article>")
    return "\n".join(out)


def _html_stuck(stuck: Sequence, days: int) -> str:
    head = f"<h4>Stuck: {len(stuck)} over {days} days in a stage</h4>"
    if not stuck:
        return head.replace("<h4>Stuck: 0", "<h4>Stuck: none")
    biggest = sorted(stuck, key=lambda s: (-s.amount, -s.days, s.deal))[:_STUCK_SHOWN]
    items = "".join(
        f'<li><span class="nb">{esc(s.deal)}</span> {esc(s.account or "")} · '
        f'{money(s.amount)} · <span class="nb">{s.days} days</span> in {esc(s.stage)}</li>'
        for s in biggest
    )
    more = (
        f'<li class="muted">+{len(stuck) - len(biggest)} more</li>'
        if len(stuck) > len(biggest)
        else ""
    )
    return f'{head}<ul class="stuck">{items}{more}</ul>'


def _html_trends(report) -> str:
    t = report.trends
    out = [
        '<section id="trends">',
        f"<h2>Trends — {esc(t.quarter)} vs {esc(t.previous)}</h2>",
        f"<p>{t.total} notes in {esc(t.quarter)}, {t.previous_total} in {esc(t.previous)}. "
        "A theme rises or falls when its share of the quarter's notes moved more than chance "
        'would at its volume; new: no note before the quarter.</p><ul class="flat">',
    ]
    for name, themes in (("New", t.new), ("Rising", t.rising), ("Falling", t.falling)):
        items = "".join(
            f"<li><b>{esc(x.label)}</b> ({x.previous} → {x.this}): "
            f"{esc(trend_reason(x, t.previous))}</li>"
            for x in themes
        )
        items = f"<ul>{items}</ul>" if items else "none"
        out.append(f"<li><b>{name} ({len(themes)}):</b> {items}</li>")
    out.append("</ul>")
    span = f"{t.quarters[0]}–{t.quarters[-1]}"
    rows = [
        (
            esc(x.label),
            spark_svg(
                [n for _, n in x.counts],
                x.status,
                f"{x.label}: " + ", ".join(f"{q} {n}" for q, n in x.counts),
            ),
            str(x.previous),
            str(x.this),
            f"{pct(x.previous_share, 1)} → {pct(x.share, 1)}",
            f'<span class="badge {esc(x.status)}">{esc(x.status)}</span>',
            f'<span class="why">{esc(trend_reason(x, t.previous))}</span>',
        )
        for x in t.themes
    ]
    out.append(
        html_table(
            ["Theme", span, t.previous, t.quarter, "Share of notes", "Status", "Why"],
            rows,
            numeric=(2, 3, 4),
            cls="trends",
        )
    )
    out.append("</section>")
    return "\n".join(out)


def _html_impact(report) -> str:
    rows = [
        [
            esc(cells[0]),
            f'<a href="#gap-{rank}">#{rank}</a>' if rank else "",
            *(esc(c) for c in cells[1:]),
        ]
        for rank, cells in _impact_rows(report)
    ]
    return (
        '<section id="impact"><h2 class="new-page">Revenue impact</h2>'
        f"<p>{esc(_impact_intro(report))}</p>"
        + html_table(IMPACT_HEADERS, rows, numeric=IMPACT_NUMERIC, cls="impact")
        + "</section>"
    )


def _html_review(report) -> str:
    out = [f'<section id="review"><h2>Planned for {esc(report.quarter)} — what happened</h2>']
    if report.review.items:
        out.append('<ul class="flat">')
        for item, what in report.review.items:
            who = f", {item.owner}" if item.owner else ""
            out.append(
                f"<li><b>{esc(item.label)}</b> <span class=muted>(item {item.id}{esc(who)})"
                f"</span>: {esc(what)}</li>"
            )
        out.append("</ul>")
    else:
        out.append(
            f"<p>Nothing on the plan targeted {esc(report.quarter)} or was published in it.</p>"
        )
    out.append("<h4>What published content did to its theme's notes</h4>")
    if report.effects:
        rows = [tuple(esc(c) for c in _effect_cells(i, e)) for i, e in report.effects]
        out.append(html_table(_EFFECT_HEADERS, rows))
        out.append(
            '<p class="meta">Shares are of all notes in those quarters, so a quieter quarter '
            "for everyone does not read as success; fell or rose: the share moved by a "
            "quarter or more.</p>"
        )
    else:
        out.append("<p>Nothing on the plan is published yet.</p>")
    out.append("<h4>New content may publish these</h4>")
    if report.proposals:
        out.append('<ul class="flat">')
        for p in report.proposals:
            out.append(
                f"<li><b>{esc(p.item.label)}</b> (item {p.item.id}, {esc(p.item.status)}): "
                f"{esc(p.reason)} — <code>gaplens plan publish {p.item.id} --asset "
                f"{esc(p.asset_id)}</code></li>"
            )
        out.append("</ul>")
    else:
        out.append("<p>No planned theme is answered by content imported since it was planned.</p>")
    out.append("</section>")
    return "\n".join(out)


def _html_plan(report) -> str:
    out = ['<section id="plan"><h2>Plan board</h2>']
    if report.plan:
        rows = [tuple(esc(c) for c in _plan_row(i)) for i in report.plan]
        out.append(html_table(_PLAN_HEADERS, rows))
    else:
        out.append(
            "<p>The plan is empty: put a gap on it with <code>gaplens plan add THEME_ID</code>.</p>"
        )
    out.append("</section>")
    return "\n".join(out)


def _html_unused(report) -> str:
    out = [
        '<section id="unused"><h2>Content nobody\'s questions need</h2>',
        "<p>Assets that are no theme's closest content, below the gap threshold for every "
        "theme and linked to none: candidates to retire, merge or rewrite. Most viewed "
        "first.</p>",
    ]
    if report.unused:
        rows = [(_a(u.title, u.url), *(esc(c) for c in _unused_cells(u))) for u in report.unused]
        out.append(html_table(_UNUSED_HEADERS, rows, numeric=(2, 5)))
    else:
        out.append("<p>None: every asset answers some theme.</p>")
    out.append("</section>")
    return "\n".join(out)


# -- CSV ------------------------------------------------------------------------

CSV_FIELDS = [
    "quarter", "rank", "theme_id", "label", "content_status", "is_gap", "coverage", "score",
    "notes_this_quarter", "notes_previous_quarter", "trend_status", "trend_p", "trend_reason",
    "notes", "deals", "accounts", "open_deals", "open_pipeline", "lost_deals", "lost_amount",
    "won", "closed", "win_rate", "win_rate_low", "win_rate_high", "stuck_deals",
    "top_competitors", "question", "format", "format_reason", "stage", "stage_reason",
    "closest_asset_id", "closest_title", "misses", "plan_status", "plan_owner", "plan_quarter",
    "plan_format",
]  # fmt: skip


def _num(value, digits: int = 4):
    if value is None:
        return ""
    if isinstance(value, float):
        return int(value) if value.is_integer() else round(value, digits)
    return value


def _plan_by_theme(plan) -> dict[int, object]:
    """Each theme's open item, else its latest (as the report picks them for gaps)."""
    out: dict[int, object] = {}
    for item in sorted(plan, key=lambda i: i.id):
        current = out.get(item.theme_id)
        if (
            current is None
            or item.status in ("backlog", "planned", "in progress")
            or (current.status not in ("backlog", "planned", "in progress"))
        ):
            out[item.theme_id] = item
    return out


def theme_rows(report, clusters: Sequence[dict] | None = None) -> list[dict]:
    """One dict per theme with every number, the gaps first by rank, then the rest by score.

    ``clusters`` (``Store.clusters(report.run_id)``) gives the status, coverage and score of
    themes outside the top gaps and ranks every gap; without it those cells stay empty.
    """
    impact = {t.theme_id: t for t in report.impact.themes}
    trend = {t.theme_id: t for t in report.trends.themes}
    gap = {g.brief.theme_id: g for g in report.gaps}
    plan = _plan_by_theme(report.plan)
    cluster = {c["cluster_id"]: c for c in clusters or ()}
    ids = list(dict.fromkeys([*gap, *cluster, *impact, *trend]))
    if cluster:
        ids.sort(
            key=lambda i: (
                not (cluster.get(i) or {}).get("is_gap"),
                -((cluster.get(i) or {}).get("score") or 0),
                i,
            )
        )
    ranks = {g.brief.theme_id: g.rank for g in report.gaps}
    n = len(ranks)
    for i in ids:
        if cluster.get(i, {}).get("is_gap") and i not in ranks:
            n += 1
            ranks[i] = n
    rows = []
    for i in ids:
        g, imp, t, c = gap.get(i), impact.get(i), trend.get(i), cluster.get(i)
        b = g.brief if g else None
        item = plan.get(i)
        row = {
            "quarter": report.quarter,
            "rank": ranks.get(i, ""),
            "theme_id": i,
            "label": (b and b.label)
            or (c and c["label"])
            or (imp and imp.label)
            or (t and t.label)
            or "",
            "content_status": _status(c["content_status"]) if c else (b.status if b else ""),
            "is_gap": int(bool(c["is_gap"])) if c else (int(b.is_gap) if b else ""),
            "coverage": _num(
                c["coverage"] if c else (b.closest.coverage if b and b.closest else None)
            ),
            "score": _num(c["score"] if c else (b.score if b else None), 2),
            "notes_this_quarter": t.this if t else "",
            "notes_previous_quarter": t.previous if t else "",
            "trend_status": t.status if t else "",
            "trend_p": _num(t.p_value if t else None, 6),
            "trend_reason": trend_reason(t, report.previous) if t else "",
        }
        if imp:
            row.update(
                notes=imp.notes,
                deals=imp.deals,
                accounts=imp.accounts,
                open_deals=imp.open_deals,
                open_pipeline=_num(imp.open_pipeline, 2),
                lost_deals=imp.lost_deals,
                lost_amount=_num(imp.lost_amount, 2),
                won=imp.won_deals,
                closed=imp.closed,
                win_rate=_num(imp.win_rate),
                win_rate_low=_num(imp.win_rate_low),
                win_rate_high=_num(imp.win_rate_high),
                stuck_deals=len(imp.stuck),
                top_competitors="; ".join(f"{name} ({k})" for name, k in imp.competitors[:3]),
            )
        if b:
            row.update(
                question=b.question,
                format=b.format.value,
                format_reason=b.format.reason,
                stage=b.stage.value,
                stage_reason=b.stage.reason,
                closest_asset_id=b.closest.asset_id if b.closest else "",
                closest_title=b.closest.title if b.closest else "",
                misses="; ".join(b.closest.misses) if b.closest else "",
            )
        if item:
            row.update(
                plan_status=item.status,
                plan_owner=item.owner or "",
                plan_quarter=item.quarter or "",
                plan_format=item.format or "",
            )
        rows.append(row)
    return rows


def render_csv(report, clusters: Sequence[dict] | None = None) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(theme_rows(report, clusters))
    return buf.getvalue()


# -- writing ----------------------------------------------------------------------


def render(report, fmt: str, *, clusters: Sequence[dict] | None = None) -> str:
    if fmt == "md":
        return render_markdown(report)
    if fmt == "html":
        return render_html(report)
    if fmt == "csv":
        return render_csv(report, clusters)
    raise ValueError(f"'{fmt}' is not a report format: use one of {', '.join(REPORT_FORMATS)}")


def default_name(report, fmt: str) -> str:
    return f"gaplens-report-{report.quarter}.{fmt}"


def write_report(
    report, fmt: str, out: str | Path | None, *, clusters: Sequence[dict] | None = None
) -> Path | None:
    """Write the report to ``out`` (folders made as needed) and return the path; with no
    ``out``, print Markdown or CSV to stdout and return None. HTML needs a file: without
    ``out`` it goes to ``gaplens-report-<quarter>.html`` in the current folder."""
    text = render(report, fmt, clusters=clusters)
    if out is None and fmt == "html":
        out = default_name(report, fmt)
    if out is None:
        import click

        click.echo(text, nl=False)
        return None
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
    return path


__all__ = [
    "CSV_FIELDS",
    "REPORT_FORMATS",
    "bar_chart_svg",
    "default_name",
    "money",
    "money_chart_svg",
    "pct",
    "render",
    "render_csv",
    "render_html",
    "render_markdown",
    "spark_svg",
    "theme_rows",
    "win_rate_text",
    "write_report",
]
