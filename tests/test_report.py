"""The planning report as Markdown, HTML and CSV (gaplens.report), and `gaplens report`.

A workspace assigned by hand, so every number in the report is known:

    theme 0 "SSO / SAML"  gap, score 60, closest content OLD (coverage 0.10)
        2026Q2: s1 (D1 Acme), s2 (D2 Beta)
        2026Q3: s3 (D1 Acme), s4 (D2 Beta, loss reason), s5 (D3 Gamma, with <script>),
                s6 (no deal, Delta), s7#1 (mention 1 of 2 of s7, Kappa)
    theme 1 "Pricing"     gap, score 40, no content at all
        2026Q2: p1 (D3), p2 (D4), p3 (D4)      2026Q3: p4 (D4), p5 (D3), p6, s7#2
    theme 2 "Exports"     covered (EXP, 0.90), score 5
        2026Q2: e1 (D5), e2 (D6), e3 (D5)      2026Q3: e4 (D5)     2026Q4: e5 (D5)
    no theme: u1 (2026Q3)

    notes per quarter: 2026Q2 8, 2026Q3 10 (s7 once), 2026Q4 1

    CRM deals (as of 2026-09-30):
    D1 Acme    120000 open at Proposal since 2026-05-01 (152 days: stuck)
    D2 Beta     50000 lost 2026-07-20        D3 Gamma 30000 won 2026-08-25
    D4 Epsilon  20000 open at Demo since 2026-09-01 (29 days)
    D5 Zeta     10000 won 2026-07-30         D6 Eta    5000 lost 2026-06-01
    D7 Iota      8000 lost 2026-03-01 (no notes)
    baseline: 2 won of 5 closed = 40%

    SSO: deals D1 D2 D3: $120k open, $50k lost, 1 won of 2 closed (Wilson 9%-91%)
    gaps together: D1 D2 D3 D4 once each: $140k open, $50k lost
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from click.testing import CliRunner

from analysis.plan import add_item, update_item
from analysis.report import build_report
from gaplens.cli import cli
from gaplens.models import Asset, Note
from gaplens.report import (
    CSV_FIELDS,
    money,
    render_csv,
    render_html,
    render_markdown,
    write_report,
)
from gaplens.store import Store

SCRIPT = "<script>alert('x')</script>"

# id, theme, date, deal, account, amount, kind, stage, competitor, text
NOTES = [
    ("s1", 0, "2026-05-02", "D1", "Acme", 120000.0, "objection", None, None,
     "Can you enforce SAML SSO with Okta for every agent?"),
    ("s2", 0, "2026-06-10", "D2", "Beta", 50000.0, "question", None, "Zentrix",
     "Does SSO work with Azure AD?"),
    ("s3", 0, "2026-07-05", "D1", "Acme", 120000.0, "call-note", None, None,
     "Security asked again about SAML SSO enforcement."),
    ("s4", 0, "2026-07-20", "D2", "Beta", 50000.0, "loss-reason", "Closed Lost", None,
     "Lost to Zentrix: no SAML SSO enforcement."),
    ("s5", 0, "2026-08-03", "D3", "Gamma", 30000.0, "question", None, None,
     f"{SCRIPT} they asked whether SSO covers the admin console"),
    ("s6", 0, "2026-09-12", None, "Delta", None, "question", None, None,
     "Do you support SCIM with SSO?"),
    ("p1", 1, "2026-04-10", "D3", "Gamma", 30000.0, "objection", None, None,
     "Pricing per agent is too high."),
    ("p2", 1, "2026-05-15", "D4", "Epsilon", 20000.0, "objection", None, None,
     "Zentrix is cheaper per seat."),
    ("p3", 1, "2026-06-20", "D4", "Epsilon", 20000.0, "question", None, None,
     "Is there a discount for annual billing?"),
    ("p4", 1, "2026-07-08", "D4", "Epsilon", 20000.0, "question", None, None,
     "What does the price include?"),
    ("p5", 1, "2026-08-19", "D3", "Gamma", 30000.0, "call-note", None, None,
     "Budget approved after the discount."),
    ("p6", 1, "2026-09-02", None, "Theta", None, "question", None, None,
     "How is pricing counted for part-time agents?"),
    ("e1", 2, "2026-04-04", "D5", "Zeta", 10000.0, "question", None, None, "Can we export to CSV?"),
    ("e2", 2, "2026-05-05", "D6", "Eta", 5000.0, "question", None, None, "Export of old tickets?"),
    ("e3", 2, "2026-06-06", "D5", "Zeta", 10000.0, "question", None, None, "Scheduled exports?"),
    ("e4", 2, "2026-07-07", "D5", "Zeta", 10000.0, "question", None, None, "Export by API?"),
    ("e5", 2, "2026-10-05", "D5", "Zeta", 10000.0, "question", None, None, "Export filters?"),
    ("u1", None, "2026-08-08", None, "Omega", None, "call-note", None, None, "Nice chat."),
]  # fmt: skip

S7 = Note(
    "s7",
    "They need SSO for contractors. And pricing for part-time seats.",
    kind="call-note",
    date="2026-09-20",
    account="Kappa",
)
MENTIONS = [("They need SSO for contractors.", 0), ("And pricing for part-time seats.", 1)]

DEALS = [
    ("D1", "Acme", 120000.0, "Proposal", "open", "2026-03-01", "2026-12-15", "2026-05-01", None),
    ("D2", "Beta", 50000.0, "Closed Lost", "lost", "2026-04-01", "2026-07-20", "2026-07-20",
     "Zentrix"),
    ("D3", "Gamma", 30000.0, "Closed Won", "won", "2026-03-15", "2026-08-25", "2026-08-25", None),
    ("D4", "Epsilon", 20000.0, "Demo", "open", "2026-05-01", "2026-11-30", "2026-09-01", None),
    ("D5", "Zeta", 10000.0, "Closed Won", "won", "2026-03-20", "2026-07-30", "2026-07-30", None),
    ("D6", "Eta", 5000.0, "Closed Lost", "lost", "2026-04-01", "2026-06-01", "2026-06-01", None),
    ("D7", "Iota", 8000.0, "Closed Lost", "lost", "2026-01-05", "2026-03-01", "2026-03-01", None),
]  # fmt: skip

ASSET_URLS = {"OLD": "https://example.com/sso", "EXP": "https://example.com/export"}


def _workspace(path) -> None:
    with Store(path) as s:
        notes, theme_of = [], {}
        for nid, theme, day, deal, account, amount, kind, stage, comp, text in NOTES:
            notes.append(
                Note(nid, text, kind=kind, date=day, deal=deal, account=account, amount=amount,
                     stage=stage, competitor=comp)
            )  # fmt: skip
            theme_of[nid] = theme
        for k, (text, theme) in enumerate(MENTIONS, start=1):
            notes.append(
                Note(f"s7#{k}", text, kind=S7.kind, date=S7.date, account=S7.account,
                     parent_id="s7", part=k, parts=len(MENTIONS))
            )  # fmt: skip
            theme_of[f"s7#{k}"] = theme
        s.insert_notes(notes, None)
        s.add_originals([(S7, len(MENTIONS), 0)], None)
        s.db["deals"].insert_all(
            [
                dict(zip(("deal", "account", "amount", "stage", "outcome", "created",
                          "close_date", "stage_since", "competitor"), row, strict=True))
                for row in DEALS
            ],
            pk="deal",
        )  # fmt: skip
        s.upsert_asset(
            Asset("OLD", "Old SSO page", "sso login", url=ASSET_URLS["OLD"], type="guide"),
            ["Old SSO page: sso login"],
            None,
        )
        s.upsert_asset(
            Asset("EXP", "Export guide", "export csv api", url=ASSET_URLS["EXP"], type="how-to"),
            ["Export guide: export csv api"],
            None,
        )
        # a link that is not a web address must never become one
        s.upsert_asset(
            Asset("OFF", "Offsite recap", "dinner", url="javascript:alert(1)", views=42),
            ["Offsite recap: dinner"],
            None,
        )
        run = s.start_run("hand-made", {"gap_threshold": 0.5})
        themes = [
            (0, "SSO / SAML", ["sso", "saml", "okta"], ["s1", "s3"], 0.10, "OLD", 1, 60.0, "none"),
            (1, "Pricing", ["pricing", "price", "discount"], ["p3"], 0.0, None, 1, 40.0, "none"),
            (2, "Exports", ["export", "csv"], ["e1"], 0.90, "EXP", 0, 5.0, "covered"),
        ]
        s.save_results(
            run,
            [
                {"cluster_id": cid, "label": label, "keywords": json.dumps(kw),
                 "examples": json.dumps(ex), "size": sum(t == cid for t in theme_of.values()),
                 "coverage": cov, "best_asset_id": asset, "is_gap": gap, "score": score,
                 "content_status": status}
                for cid, label, kw, ex, cov, asset, gap, score, status in themes
            ],
            [{"note_id": n, "cluster_id": c, "probability": 1.0} for n, c in theme_of.items()],
            [
                {"cluster_id": 0, "asset_id": "OLD", "similarity": 0.2, "score": 0.10, "rank": 1},
                {"cluster_id": 2, "asset_id": "EXP", "similarity": 0.9, "score": 0.90, "rank": 1},
            ],
        )  # fmt: skip
        s.end_run(run, "done", n_clusters=3)
        add_item(s, 0, status="planned", owner="Maya", quarter="2026Q3", format="faq entry",
                 comment="FAQ | then a battlecard", who="test")  # fmt: skip
        item = add_item(s, 2, status="planned", owner="Lee", quarter="2026Q2", who="test")
        update_item(s, item.id, status="published", asset_id="EXP", published_on="2026-05-20",
                    who="test")  # fmt: skip


@pytest.fixture
def ws(tmp_path):
    path = tmp_path / "report.db"
    _workspace(path)
    return path


@pytest.fixture
def report(ws):
    with Store(ws) as s:
        return build_report(s, "2026Q3")


@pytest.fixture
def clusters(ws):
    with Store(ws) as s:
        return s.clusters(s.latest_run()["id"])


def test_money_reads_like_people_write_it():
    assert [money(x) for x in (0, 950, 4_500, 10_000, 340_000, 999_999, 1_234_567, 12e6)] == [
        "$0", "$950", "$4.5k", "$10k", "$340k", "$1M", "$1.2M", "$12M",
    ]  # fmt: skip


def test_markdown_has_every_section_in_order_with_the_hand_made_numbers(report):
    md = render_markdown(report)
    headings = re.findall(r"^## (.+)$", md, re.M)
    assert headings == [
        "Headline",
        "Top gaps (2)",
        "Trends — 2026Q3 vs 2026Q2",
        "Revenue impact",
        "Planned for 2026Q3 — what happened",
        "Plan board",
        "Content nobody's questions need",
    ]
    assert md.startswith("# Content planning — 2026Q3\n")
    assert "Workspace `report.db` · as of 2026-09-30" in md
    # headline
    assert "- **10 notes** in 2026Q3, vs 8 in 2026Q2 (+25%)" in md
    assert "- **3 themes:** 2 with no content, 0 with weak content, 1 covered; 2 are gaps" in md
    assert "- **$140k open pipeline** and $50k lost in the 4 deals whose notes raise a gap" in md
    assert "- **Baseline win rate:** 40% (2 won of 5 closed deals)" in md

    sso = md.split("### 1. SSO / SAML")[1].split("### 2. Pricing")[0]
    assert "> **Can you enforce SAML SSO with Okta for every agent?**" in sso
    assert "*no content* · coverage 0.10 · score 60.0" in sso
    assert "- **Heard in:** 7 notes, 3 deals, 5 accounts" in sso
    assert "- **Open pipeline:** $120k in 1 open deal" in sso
    assert "- **Lost:** $50k in 1 deal" in sso
    assert (
        "- **Win rate:** 50% (1 won of 2 closed; 95% interval 9%–91%): not clearly different "
        "from the 40% baseline of all 5 closed deals"
    ) in sso
    assert "- **Competitors named:** Zentrix 2" in sso
    # D2, the one lost deal raising SSO, has its loss reason (s4) in the SSO theme itself
    assert "- **CRM loss reason:** names it for 1 of the 1 lost deal whose notes raise it" in sso
    assert "1 open deal over 60 days in one stage: D1 (Acme) $120k, 152 days in Proposal" in sso
    assert "2026Q2 2 · **2026Q3 5**" in sso
    quotes = re.findall(r"^\d\. \"", sso, re.M)
    assert len(quotes) == 5
    assert "Kappa · call-note · mention 1 of 2 of s7*" in sso
    assert "[Old SSO page](https://example.com/sso) (guide, coverage 0.10)" in sso
    assert "- **What it misses:** never uses saml, okta" in sso
    assert "- **Plan:** item 1: planned, owner Maya, for 2026Q3, FAQ entry" in sso

    pricing = md.split("### 2. Pricing")[1].split("## Trends")[0]
    assert "- **Closest content:** nothing answers it" in pricing
    assert "- **Open pipeline:** $20k in 1 open deal" in pricing
    assert "100% (1 won of 1 closed" in pricing
    assert "- **Plan:** not on the plan" in pricing

    # every theme in the trend and impact tables
    assert re.search(r"^\| SSO / SAML \| \S+ \| 2 \| 5 \| 25\.0% → 50\.0% \|", md, re.M)
    assert re.search(r"^\| Pricing \| \S+ \| 3 \| 4 \|", md, re.M)
    assert re.search(r"^\| Exports \| \S+ \| 3 \| 1 \|", md, re.M)
    assert "| SSO / SAML | #1 | 7 | 3 | $120k | $50k | 50% (2) | 1 | Zentrix 2 |" in md
    assert "| Exports |  | 4 | 2 | $0 | $5k | 50% (2) | 0 | — |" in md
    # what happened, the plan board and unused content
    assert "- **SSO / SAML** (item 1, Maya): not published: still planned" in md
    effect = (
        # a report on 2026Q3 looks no further than 2026Q3: 1 Exports note of its 10
        "| Exports | 2026-05-20 | 0 in 2026Q1 (0.0%) | 1.0 a quarter in 2026Q3 (10.0%) |"
    )
    assert effect + " rose |" in md
    assert "| planned | SSO / SAML | Maya | 2026Q3 | FAQ entry | FAQ \\| then a battlecard |" in md
    assert "| published | Exports | Lee | 2026Q2 |  |  |" in md
    # the javascript: address stays text, not a link
    assert "| Offsite recap |  | 42 |" in md
    assert "javascript" not in md


def test_markdown_keeps_note_text_as_text(report):
    md = render_markdown(report)
    assert SCRIPT not in md
    assert "\\<script>alert('x')\\</script> they asked whether SSO covers" in md


def test_markdown_of_an_unfinished_quarter_says_so(ws):
    with Store(ws) as s:
        md = render_markdown(build_report(s))  # 2026Q4: one note, 2026-10-05
    assert md.startswith("# Content planning — 2026Q4")
    assert "> **Note:** 2026Q4 is not over in the data" in md


def test_html_is_one_self_contained_document(report):
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<html") == 1 and page.count("</html>") == 1
    low = page.lower()
    # nothing fetched: no script, stylesheet link, image, font or import
    for banned in ("<script", "<link", "<img", "@import", "url(", "src="):
        assert banned not in low, banned
    # the only web addresses are the assets' own, in links
    addresses = re.findall(r"https?://[^\s\"'<>]+", page)
    assert set(addresses) == {ASSET_URLS["OLD"]}  # the closest content of a top gap
    assert page.count(f'href="{ASSET_URLS["OLD"]}"') == len(addresses)
    assert "javascript" not in low
    # the note's markup is shown, not run
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; they asked whether SSO" in page
    # charts are inline svg with a text alternative: one per gap, the overview, status bar
    # and a sparkline per theme
    svgs = re.findall(r"<svg[^>]*>.*?</svg>", page, re.S)
    assert len(svgs) == 2 + 2 + 3
    assert all('role="img"' in s and "aria-label=" in s and "<title>" in s for s in svgs)
    assert 'aria-label="Notes per quarter on SSO / SAML: 2026Q2 2, 2026Q3 5"' in page
    assert "@media print" in page and "break-inside: avoid" in page
    assert '<th scope="col"' in page
    order = [page.index(f'id="{k}"') for k in
             ("headline", "gaps", "trends", "impact", "review", "plan", "unused")]  # fmt: skip
    assert order == sorted(order)
    assert "$140k" in page and "$120k in 1 open deal" in page


def test_csv_has_one_row_per_theme_with_every_number(report, clusters):
    rows = list(csv.DictReader(io.StringIO(render_csv(report, clusters))))
    assert list(rows[0]) == CSV_FIELDS
    assert [(r["rank"], r["theme_id"], r["label"]) for r in rows] == [
        ("1", "0", "SSO / SAML"),
        ("2", "1", "Pricing"),
        ("", "2", "Exports"),
    ]
    sso, pricing, exports = rows
    assert {k: sso[k] for k in (
        "quarter", "content_status", "is_gap", "coverage", "score", "notes_this_quarter",
        "notes_previous_quarter", "notes", "deals", "accounts", "open_deals", "open_pipeline",
        "lost_deals", "lost_amount", "won", "closed", "win_rate", "win_rate_low",
        "win_rate_high", "stuck_deals", "top_competitors", "question", "closest_asset_id",
        "misses", "plan_status", "plan_owner", "plan_quarter", "plan_format",
    )} == {
        "quarter": "2026Q3", "content_status": "no content", "is_gap": "1", "coverage": "0.1",
        "score": "60", "notes_this_quarter": "5", "notes_previous_quarter": "2", "notes": "7",
        "deals": "3", "accounts": "5", "open_deals": "1", "open_pipeline": "120000",
        "lost_deals": "1", "lost_amount": "50000", "won": "1", "closed": "2", "win_rate": "0.5",
        "win_rate_low": "0.0945", "win_rate_high": "0.9055", "stuck_deals": "1",
        "top_competitors": "Zentrix (2)",
        "question": "Can you enforce SAML SSO with Okta for every agent?",
        "closest_asset_id": "OLD", "misses": "saml; okta", "plan_status": "planned",
        "plan_owner": "Maya", "plan_quarter": "2026Q3", "plan_format": "faq entry",
    }  # fmt: skip
    assert sso["format"] and sso["format_reason"] and sso["stage"] and sso["stage_reason"]
    assert (pricing["open_pipeline"], pricing["win_rate"], pricing["closest_asset_id"]) == (
        "20000", "1", "",
    )  # fmt: skip
    # a theme outside the top gaps: its numbers, no brief, its latest plan item
    assert (exports["is_gap"], exports["content_status"], exports["coverage"]) == (
        "0", "covered", "0.9",
    )  # fmt: skip
    assert (exports["lost_amount"], exports["notes_this_quarter"], exports["question"]) == (
        "5000", "1", "",
    )  # fmt: skip
    assert exports["plan_status"] == "published"


def test_write_report_makes_folders_and_prints_without_a_file(report, tmp_path, capsys):
    path = write_report(report, "md", tmp_path / "deep" / "q3.md")
    assert path.read_text(encoding="utf-8") == render_markdown(report)
    assert write_report(report, "csv", None) is None
    assert capsys.readouterr().out.startswith("quarter,rank,theme_id,label,")


def _run(db, *args):
    return CliRunner().invoke(cli, ["--db", str(db), "report", *args], catch_exceptions=False)


@pytest.mark.parametrize("fmt", ["md", "html", "csv"])
def test_cli_writes_each_format(ws, tmp_path, fmt):
    out = tmp_path / f"q3.{fmt}"
    result = _run(ws, "--quarter", "Q3 2026", "--format", fmt, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"wrote {out} (2 gaps)" in result.stderr
    text = out.read_text(encoding="utf-8")
    first = {"md": "# Content planning — 2026Q3", "html": "<!DOCTYPE html>",
             "csv": "quarter,rank,theme_id"}[fmt]  # fmt: skip
    assert text.startswith(first)
    if fmt == "csv":
        assert len(text.splitlines()) == 1 + 3


def test_cli_prints_markdown_and_names_the_html_file_it_writes(ws, tmp_path, monkeypatch):
    result = _run(ws, "--quarter", "2026Q3", "--top", "1")
    assert result.exit_code == 0
    assert "### 1. SSO / SAML" in result.stdout and "### 2." not in result.stdout
    monkeypatch.chdir(tmp_path)
    result = _run(ws, "--quarter", "2026Q3", "--format", "html")
    assert result.exit_code == 0
    assert "wrote gaplens-report-2026Q3.html (2 gaps)" in result.stderr
    assert (tmp_path / "gaplens-report-2026Q3.html").read_text().startswith("<!DOCTYPE html>")


def test_cli_stuck_days_changes_what_is_stuck(ws):
    result = _run(ws, "--quarter", "2026Q3", "--stuck-days", "200")
    assert "- **Stuck deals:** none over 200 days in one stage" in result.stdout


def test_cli_bad_quarter_and_no_analysis_exit_1(ws, tmp_path):
    result = _run(ws, "--quarter", "2025Q1")
    assert result.exit_code == 1
    assert "no notes are dated in 2025Q1" in result.stderr
    assert "2026Q2, 2026Q3, 2026Q4" in result.stderr
    result = _run(ws, "--quarter", "someday")
    assert result.exit_code == 1 and "is not a quarter" in result.stderr

    with Store(tmp_path / "fresh.db") as s:
        s.insert_notes([Note("n1", "hello there", date="2026-07-01")], None)
    result = _run(tmp_path / "fresh.db")
    assert result.exit_code == 1
    assert "no analysis yet" in result.stderr
