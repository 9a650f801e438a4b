"""The quarterly planning features: speed at scale, trend rule honesty, the demo against its labels.

    python bench/planning.py [--notes 100000] [--repeat 3] [--sims 2000] [--skip-demo]
                             [--out bench/results]

1. Planning queries at scale. ``bench.tui.build_workspace`` builds a synthetic analysed
   workspace of --notes notes and one of 1,000 notes (the small reference), both through
   the Store API. Each then gets what a planning workspace has besides notes: a ``deals``
   row per deal (``Store.upsert_deals``; won / lost / open, lost where a loss-reason note
   says so, stage, created / close / stage_since dates, some open deals idle for months),
   20 plan items (``analysis.plan.add_item`` / ``update_item``: backlog, planned, in
   progress, published with an asset and a date, won't do), two asset links and an
   outdated mark (``analysis.overrides``), and ``apply_overrides`` once, as after an
   analysis. Then, ``--repeat`` rounds, each query in turn, every call in a fresh Store
   connection (opened before the clock starts): ``analysis.results.gap_rows`` (the
   reference: what ``gaplens gaps`` already ran), ``theme_impacts``, ``theme_trends``,
   ``plan_items`` + ``publish_proposals``, ``gap_brief`` of the top gap,
   ``build_report(top=10)``, ``gaplens.report.render_html / render_markdown /
   render_csv`` of a report built beforehand (imported lazily: skipped with a note when
   that module is missing or fails), and ``apply_overrides`` (it runs after every analysis
   and twice in every ``set_link``). Medians; each as a ratio to gap_rows' median on the
   same workspace, and big / small. Memory: tracemalloc's peak of gap_rows and of
   build_report (Python allocations only; SQLite's page cache is not among them), and the
   RSS high-water mark each raises in a fresh child process (VmHWM after the call minus
   VmRSS just before it). Where build_report's time goes: one untimed run under cProfile,
   the calls and cumulative seconds of the functions it is built from.

2. Trend rule honesty (numpy, seeded; no workspace). Themes drawn as Binomial(N_q, share)
   per quarter over 6 quarters, for volumes of 5 to 200 notes a quarter, quarter totals
   equal (4,000 each) or unequal (x0.7 to x1.4 of 4,000). The decision is
   ``analysis.trends.classify`` on the last ``TREND_SPAN`` quarters, as ``theme_trends``
   calls it. False flags: a constant share, flagged rising or falling, at one quarterly
   review and at any of five (quarters 2 to 6, each a review of its own span); against
   the naive rule "share moved by 50% or more since the quarter before". Power: the share
   doubles in the last quarter (v, v, v, 2v), rises steadily x2 a quarter (v/4, v/2, v,
   2v: 1% -> 2% -> 4% -> 8% when v is 4%), or x1.5 a quarter (v/2.25, v/1.5, v, 1.5v);
   v is the volume in the quarter before the reviewed one; the share of draws flagged
   *rising*.

3. The demo against its labels (--skip-demo leaves it out; ~40 s with the real model).
   ``gaplens --db TMP demo --no-tui`` in a subprocess; each theme is named by the majority
   ground-truth theme of its notes (data/labels/*.csv, a mention by its parent note); the
   truth content status of a theme key from data/labels/assets.csv (a ``full`` asset:
   covered; only ``partial``: weak; none: none). The 3x3 confusion of
   ``clusters.content_status`` against it, and ``is_gap`` as a detector of "none". Which
   themes ``theme_trends`` flags new / rising / falling in 2026Q2..Q4 beside data/README.md's
   story. The headline of ``build_report('2026Q3')``. Wall time of ``gaplens report
   --quarter 2026Q3 --format html --out X`` against ``gaplens gaps`` (the reference), both
   subprocesses, alternated, --repeat each.

Writes bench/results/planning.json and planning.md. Timings are wall clock
(``time.perf_counter``) with *others' CPU* (bench/run.py's CpuMeter) beside them.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# bench/ itself off the path: its tui.py would shadow the project's tui package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
sys.path.insert(0, str(REPO))

from bench.run import CpuMeter, machine_info, md_table, source_digest, write_atomic  # noqa: E402
from bench.tui import build_workspace  # noqa: E402

SMALL = 1000
SMALL_ROUNDS = 15  # the small workspace's calls take milliseconds: more rounds, a steadier median
LABELS = REPO / "data" / "labels"
VENV_BIN = Path(sys.executable).parent
STATUSES3 = ("none", "weak", "covered")
STORY = {  # data/README.md: "The 29 recurring themes"
    "rising": ("ai-data-usage", "hipaa", "scim-provisioning", "permissions-rbac", "ai-accuracy"),
    "falling": ("zentrix-migration", "deskwise-bundle"),
    "peak": ("budget-freeze",),  # peaks in 2026Q2-Q3
}
_T0 = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - _T0:6.0f}s planning] {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


# -- 1. planning queries at scale ---------------------------------------------------------


def add_planning_data(path: Path, seed: int = 0) -> dict:
    """Deals rows, 20 plan items, two links and an outdated mark, then apply_overrides once."""
    import numpy as np

    from analysis.overrides import apply_overrides, mark_outdated, set_link
    from analysis.plan import add_item, update_item
    from analysis.results import gap_rows
    from gaplens.store import Store

    rng = np.random.default_rng(seed)
    last_day = date(2026, 12, 31)
    store = Store(path)
    started = time.perf_counter()
    facts = store.db.execute(
        "select deal, max(amount), min(account), min(date), max(date), "
        "max(kind = 'loss-reason') from notes where deal is not null group by deal"
    ).fetchall()
    rows = []
    for i, (deal, amount, account, first, last, lost) in enumerate(facts):
        first, last = date.fromisoformat(first), date.fromisoformat(last)
        created = first - timedelta(days=int(rng.integers(0, 45)))
        outcome = "lost" if lost else ("won", "open")[int(rng.random() < 0.55)]
        row = {
            "deal": deal,
            "name": f"{account} deal",
            "account": account,
            "amount": amount,
            "outcome": outcome,
            "created": created.isoformat(),
            "line": i + 2,
        }
        if outcome == "open":
            span = max(1, (last - first).days)
            row["stage"] = str(rng.choice(["Discovery", "Demo", "Proposal", "Negotiation"]))
            row["stage_since"] = (first + timedelta(days=int(rng.integers(0, span)))).isoformat()
            row["close_date"] = (last + timedelta(days=int(rng.integers(30, 120)))).isoformat()
        else:
            closed = min(last_day, last + timedelta(days=int(rng.integers(0, 21))))
            row["stage"] = "Closed Lost" if outcome == "lost" else "Closed Won"
            row["stage_since"] = row["close_date"] = closed.isoformat()
            if outcome == "lost":
                row["loss_reason"] = str(rng.choice(["Price", "Features", "No decision", "Timing"]))
                row["competitor"] = str(rng.choice(["Zentrix", "Deskwise", "Casebloom"]))
        rows.append(row)
    source = store.add_source("bench-opportunities.csv", "deals", "csv", None)
    added, _ = store.upsert_deals(rows, source)
    store.finish_source(source, added, 0, 0)
    outcomes = Counter(r["outcome"] for r in rows)
    deals_seconds = time.perf_counter() - started

    apply_overrides(store)  # as after an analysis: content_status filled in
    gaps = [r["cluster_id"] for r in gap_rows(store) if r["is_gap"]]
    covered = [r["cluster_id"] for r in gap_rows(store) if not r["is_gap"]]
    assets = [r[0] for r in store.db.execute("select asset_id from assets order by asset_id")]
    themes = gaps[:16] + covered[:4]
    plan = Counter()
    for i, theme in enumerate(themes):
        step = i % 5  # 0 backlog, 1 planned, 2 in progress, 3 published, 4 won't do
        item = add_item(
            store,
            theme,
            status="backlog" if step == 0 else "planned",
            owner=("Maya", "Jon", "Priya")[i % 3],
            quarter=("2026Q3", "2026Q4", "2027Q1")[i % 3],
            format=("faq entry", "how-to", "battlecard", "case study")[i % 4],
            comment=f"bench item {i}",
            who="bench",
        )
        if step >= 2 and step != 4:
            update_item(store, item.id, status="in progress", who="bench")
        if step == 3:
            update_item(
                store,
                item.id,
                status="published",
                asset_id=assets[i % len(assets)],
                published_on=("2026-05-12", "2026-08-20")[i % 2],
                who="bench",
            )
        if step == 4:
            update_item(store, item.id, status="won't do", comment="out of scope", who="bench")
        plan[("backlog", "planned", "in progress", "published", "won't do")[step]] += 1
    with CpuMeter() as link:
        set_link(store, gaps[0], assets[0], "link", who="bench")
    set_link(store, covered[0], assets[1], "unlink", who="bench")
    mark_outdated(store, assets[2], reason="bench: old pricing", who="bench")
    store.close()
    return {
        "deals": len(rows),
        "outcomes": dict(outcomes),
        "deals_seconds": round(deals_seconds, 2),
        "plan_items": dict(plan),
        "set_link_seconds": round(link.seconds, 3),
        "set_link_others_cpu": link.others,
    }


def _report_module():
    """gaplens.report, imported lazily: it may be missing or broken while it is written."""
    try:
        import gaplens.report as module

        for name in ("render_html", "render_markdown", "render_csv"):
            getattr(module, name)
        return module, None
    except Exception as exc:  # noqa: BLE001 (any failure means: skip, and say why)
        return None, f"gaplens.report unavailable: {type(exc).__name__}: {exc}"


def queries(render) -> list[tuple[str, str, object]]:
    """(key, description, fn(store, ctx)); gap_rows first: the reference."""
    from analysis.brief import gap_brief
    from analysis.impact import theme_impacts
    from analysis.overrides import apply_overrides
    from analysis.plan import plan_items, publish_proposals
    from analysis.report import build_report
    from analysis.results import gap_rows
    from analysis.trends import theme_trends

    out = [
        ("gap_rows", "`gap_rows` (reference: `gaplens gaps`)", lambda s, c: gap_rows(s)),
        ("theme_impacts", "`theme_impacts`", lambda s, c: theme_impacts(s)),
        ("theme_trends", "`theme_trends` (newest quarter)", lambda s, c: theme_trends(s)),
        (
            "plan",
            "`plan_items` + `publish_proposals`",
            lambda s, c: (plan_items(s), publish_proposals(s)),
        ),
        ("gap_brief", "`gap_brief` of the top gap", lambda s, c: gap_brief(s, c["top_gap"])),
        ("build_report", "`build_report(top=10)`", lambda s, c: build_report(s, top=10)),
    ]
    if render is not None:
        out += [
            (
                "render_html",
                "`render_html` of that report",
                lambda s, c: render.render_html(c["report"]),
            ),
            (
                "render_markdown",
                "`render_markdown` of that report",
                lambda s, c: render.render_markdown(c["report"]),
            ),
            (
                "render_csv",
                "`render_csv` of that report (with the run's themes)",
                lambda s, c: render.render_csv(c["report"], c["clusters"]),
            ),
        ]
    out.append(
        (
            "apply_overrides",
            "`apply_overrides` (writes every theme)",
            lambda s, c: apply_overrides(s),
        )
    )
    return out


def time_queries(path: Path, repeat: int, render) -> dict:
    """Median seconds of every query, round-robin over --repeat rounds, fresh connections."""
    from analysis.report import build_report
    from analysis.results import current_run, gap_rows
    from gaplens.store import Store

    with Store(path) as store:
        ctx = {"top_gap": next(r["cluster_id"] for r in gap_rows(store) if r["is_gap"])}
        ctx["report"] = build_report(store, top=10)
        ctx["clusters"] = store.clusters(current_run(store)["id"])
    qs = queries(render)
    runs: dict[str, list] = {k: [] for k, _, _ in qs}
    errors: dict[str, str] = {}
    for _ in range(repeat):
        for key, _, fn in qs:
            if key in errors:
                continue
            store = Store(path)
            try:
                with CpuMeter() as meter:
                    fn(store, ctx)
                runs[key].append((meter.seconds, meter.others))
            except Exception as exc:  # noqa: BLE001 (a broken query is a finding, not a crash)
                errors[key] = f"{type(exc).__name__}: {exc}"
                log(f"{key} failed on {path.name}: {errors[key]}")
            finally:
                store.close()
    out = {}
    for key, desc, _ in qs:
        secs = [s for s, _ in runs[key]]
        out[key] = {
            "what": desc,
            "seconds": median(secs),
            "runs": [round(s, 4) for s in secs],
            "others_cpu": [o for _, o in runs[key]],
            "error": errors.get(key),
        }
    ref = out["gap_rows"]["seconds"]
    for v in out.values():
        v["ratio_gap_rows"] = v["seconds"] / ref if v["seconds"] and ref else None
    r = ctx["report"]
    out["_report_facts"] = {
        "quarter": r.quarter,
        "gaps_listed": len(r.gaps),
        "themes": r.headline.themes,
        "plan_items": len(r.plan),
        "proposals": len(r.proposals),
        "effects": len(r.effects),
        "unused_assets": len(r.unused),
        "flagged": {s: len(getattr(r.trends, s)) for s in ("new", "rising", "falling")},
    }
    return out


def tracemalloc_peaks(path: Path, render) -> dict:
    """tracemalloc's peak (MB) for gap_rows and build_report, each in a fresh connection."""
    from analysis.report import build_report
    from analysis.results import gap_rows
    from gaplens.store import Store

    out = {}
    for key, fn in (("gap_rows", gap_rows), ("build_report", lambda s: build_report(s, top=10))):
        with Store(path) as store:
            tracemalloc.start()
            fn(store)
            out[key] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
            tracemalloc.stop()
    return out


def rss_child(key: str, db: str) -> None:
    """--child-mem: the RSS high-water mark one query raises, in a fresh process. VmHWM, not
    ru_maxrss: Linux keeps ru_maxrss across execve, so a child would report its parent's."""
    from analysis.report import build_report
    from analysis.results import gap_rows
    from gaplens.store import Store

    def status(field: str) -> float:
        with open("/proc/self/status") as fh:
            line = next(x for x in fh if x.startswith(field + ":"))
        return int(line.split()[1]) / 1024  # kB

    fn = {"gap_rows": gap_rows, "build_report": lambda s: build_report(s, top=10)}[key]
    store = Store(db)
    before = status("VmRSS")
    fn(store)
    print(json.dumps({"rss_before_mb": round(before, 1), "maxrss_mb": round(status("VmHWM"), 1)}))


PROFILED = (  # (module, function): what build_report is built from
    ("analysis/impact.py", "theme_impacts"),
    ("analysis/impact.py", "deal_facts"),
    ("analysis/report.py", "_gap_money"),
    ("analysis/trends.py", "theme_trends"),
    ("analysis/trends.py", "theme_series"),
    ("analysis/brief.py", "gap_brief"),
    ("analysis/plan.py", "plan_items"),
    ("analysis/plan.py", "_theme_notes"),
    ("analysis/plan.py", "quarter_review"),
    ("analysis/plan.py", "publish_effect"),
    ("analysis/plan.py", "publish_proposals"),
    ("analysis/report.py", "unused_assets"),
)


def profile_report(path: Path) -> dict:
    """build_report once under cProfile: calls and cumulative seconds of its parts."""
    import cProfile
    import pstats

    from analysis.report import build_report
    from gaplens.store import Store

    prof = cProfile.Profile()
    with Store(path) as store:
        prof.runcall(build_report, store, top=10)
    stats = pstats.Stats(prof).stats
    total = max(ct for (_, _, _, ct, _) in stats.values())
    parts = {}
    for (file, _, func), (_, calls, _, cum, _) in stats.items():
        for mod, name in PROFILED:
            if func == name and file.replace(os.sep, "/").endswith(mod):
                parts[name] = {"calls": calls, "seconds": round(cum, 3)}
    return {"total": round(total, 3), "parts": parts}


def rss_deltas(path: Path) -> dict:
    out = {}
    for key in ("gap_rows", "build_report"):
        done = subprocess.run(
            [sys.executable, __file__, "--child-mem", key, "--db", str(path)],
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        if done.returncode:
            out[key] = {"error": done.stderr.strip().splitlines()[-1:]}
            continue
        got = json.loads(done.stdout.strip().splitlines()[-1])
        got["delta_mb"] = round(got["maxrss_mb"] - got["rss_before_mb"], 1)
        out[key] = got
    return out


def bench_scale(args, tmp: Path) -> dict:
    render, render_note = _report_module()
    if render_note:
        log(render_note)
    out = {"render_note": render_note, "workspaces": {}}
    for key, n in (("big", args.notes), ("small", SMALL)):
        path = tmp / f"{key}.db"
        log(f"building {n:,} notes")
        built = build_workspace(path, n)
        log(f"built in {built['seconds']}s ({built['mb']} MB); adding deals and a plan")
        extra = add_planning_data(path)
        rounds = args.repeat if key == "big" else max(args.repeat, SMALL_ROUNDS)
        log(f"timing queries on {n:,} notes, {rounds} rounds")
        timings = time_queries(path, rounds, render)
        facts = timings.pop("_report_facts")
        ws = {
            "notes": n,
            "build": built,
            "planning_data": extra,
            "report": facts,
            "queries": timings,
        }
        log(
            ", ".join(
                f"{k} {v['seconds']:.3f}s" for k, v in timings.items() if v["seconds"] is not None
            )
        )
        ws["tracemalloc_mb"] = tracemalloc_peaks(path, render)
        if key == "big":
            ws["rss"] = rss_deltas(path)
            ws["profile"] = profile_report(path)
        out["workspaces"][key] = ws
        path.unlink(missing_ok=True)
    big, small = out["workspaces"]["big"]["queries"], out["workspaces"]["small"]["queries"]
    out["big_over_small"] = {
        k: big[k]["seconds"] / small[k]["seconds"]
        if big[k]["seconds"] and small[k]["seconds"]
        else None
        for k in big
    }
    return out


# -- 2. trend rule honesty ------------------------------------------------------------------

VOLUMES = (5, 10, 20, 50, 100, 200)
TOTAL = 4000
UNEQUAL = (0.7, 1.3, 0.9, 1.4, 0.8, 1.2)  # x TOTAL: quarter totals for the unequal case
QUARTERS = 6
SCENARIOS = {  # share multipliers over the last 4 quarters; v = the volume the quarter before
    "doubling": (1.0, 1.0, 1.0, 2.0),
    "steady rise x2": (0.25, 0.5, 1.0, 2.0),
    "steady rise x1.5": (1 / 2.25, 1 / 1.5, 1.0, 1.5),
}


def _decide():
    """The module's own decision function, memoised (draws repeat at small volumes)."""
    from analysis.trends import TREND_SPAN, classify

    @lru_cache(maxsize=None)
    def decide(counts: tuple, totals: tuple, seen_before: bool) -> str:
        return classify(counts, totals, seen_before=seen_before).status

    return decide, TREND_SPAN


def naive(counts, totals) -> str:
    """'The share moved by 50% or more since the quarter before' (up from nothing counts)."""
    (k1, k2), (n1, n2) = counts[-2:], totals[-2:]
    s1, s2 = k1 / n1, k2 / n2
    if s1 == 0:
        return "rising" if s2 > 0 else "steady"
    change = s2 / s1 - 1
    return "rising" if change >= 0.5 else "falling" if change <= -0.5 else "steady"


def bench_trends(sims: int, seed: int) -> dict:
    import numpy as np

    decide, span = _decide()
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    totals = {
        "equal": np.full(QUARTERS, TOTAL),
        "unequal": np.round(TOTAL * np.asarray(UNEQUAL)).astype(int),
    }
    false, power = [], []
    for tname, tot in totals.items():
        for v in VOLUMES:
            share = v / TOTAL
            draws = rng.binomial(tot, share, size=(sims, QUARTERS))
            one = every = n_one = n_every = 0
            for row in draws:
                flags, nflags = [], []
                for q in range(1, QUARTERS):  # a review at quarters 2..6 of its own span
                    lo = max(0, q + 1 - span)
                    ks, ns = (
                        tuple(int(x) for x in row[lo : q + 1]),
                        tuple(int(x) for x in tot[lo : q + 1]),
                    )
                    status = decide(ks, ns, bool(row[:q].sum() > 0))
                    flags.append(status in ("rising", "falling"))
                    nflags.append(naive(ks, ns) != "steady")
                one += flags[-1]
                n_one += nflags[-1]
                every += any(flags)
                n_every += any(nflags)
            false.append(
                {
                    "totals": tname,
                    "volume": v,
                    "rule_one": one / sims,
                    "naive_one": n_one / sims,
                    "rule_any5": every / sims,
                    "naive_any5": n_every / sims,
                }
            )
            for sname, mult in SCENARIOS.items():
                t4 = tot[-span:]
                shares = share * np.asarray(mult)
                d = rng.binomial(t4, np.minimum(shares, 1.0), size=(sims, span))
                hit = n_hit = 0
                for row in d:
                    ks, ns = tuple(int(x) for x in row), tuple(int(x) for x in t4)
                    hit += decide(ks, ns, True) == "rising"
                    n_hit += naive(ks, ns) == "rising"
                power.append(
                    {
                        "totals": tname,
                        "volume": v,
                        "scenario": sname,
                        "rule": hit / sims,
                        "naive": n_hit / sims,
                    }
                )
        log(f"trends: {tname} totals done ({time.perf_counter() - started:.0f}s)")
    from analysis.trends import ALPHA, MIN_TREND, QUIET_BELOW

    return {
        "sims": sims,
        "seed": seed,
        "total": TOTAL,
        "unequal_totals": [int(x) for x in totals["unequal"]],
        "span": span,
        "alpha": ALPHA,
        "min_trend": MIN_TREND,
        "quiet_below": QUIET_BELOW,
        "false_flags": false,
        "power": power,
        "seconds": round(time.perf_counter() - started, 1),
    }


# -- 3. the demo against its labels ---------------------------------------------------------


def truth_tables() -> tuple[dict, dict]:
    """note id -> theme keys (logistics: none), theme key -> none | weak | covered."""
    notes = {}
    for name in ("call_notes", "objection_log", "crm_lost_deals", "rep_notes"):
        with open(LABELS / f"{name}.csv", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                notes[r["id"]] = [t for t in r["themes"].split(";") if t and t != "none"]
    strength: dict[str, set] = {}
    with open(LABELS / "assets.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            for t in r["themes"].split(";"):
                if t and t != "none":
                    strength.setdefault(t, set()).add(r["strength"])
    keys = {t for ts in notes.values() for t in ts}
    status = {
        t: "covered" if "full" in strength.get(t, ()) else "weak" if strength.get(t) else "none"
        for t in keys
    }
    return notes, status


def _gaplens(*argv: str) -> list[str]:
    exe = VENV_BIN / "gaplens"
    return [str(exe)] + list(argv) if exe.exists() else [sys.executable, "-m", "gaplens.cli", *argv]


def bench_demo(repeat: int, tmp: Path) -> dict:
    from analysis.report import build_report
    from analysis.results import current_run
    from analysis.trends import theme_trends
    from gaplens.store import Store

    db = tmp / "demo.db"
    env = {**os.environ, "TQDM_DISABLE": "1"}
    log("building the demo with the real model")
    with CpuMeter() as built:
        child = _children_cpu()
        done = subprocess.run(
            _gaplens("--db", str(db), "demo", "--no-tui"), capture_output=True, text=True, env=env
        )
        child = _children_cpu() - child
    _not_others(built, child)
    if done.returncode:
        return {"error": f"gaplens demo exited {done.returncode}: {done.stderr[-500:]}"}
    notes_truth, truth_status = truth_tables()
    out: dict = {"build_seconds": round(built.seconds, 1), "build_others_cpu": built.others}
    with Store(db) as store:
        run = current_run(store)
        members: dict[int, list[str]] = {}
        for cid, note in store.db.execute(
            "select a.cluster_id, coalesce(n.parent_id, n.note_id) from assignments a "
            "join notes n on n.note_id = a.note_id where a.run_id = ? and a.cluster_id is not null",
            [run["id"]],
        ).fetchall():
            members.setdefault(cid, []).append(note.split("#")[0])
        themes = []
        for c in store.clusters(run["id"]):
            counts = Counter(
                t for n in members.get(c["cluster_id"], []) for t in notes_truth.get(n, [])
            )
            key, hits = counts.most_common(1)[0] if counts else (None, 0)
            themes.append(
                {
                    "theme_id": c["cluster_id"],
                    "label": c["label"],
                    "size": len(members.get(c["cluster_id"], [])),
                    "truth": key,
                    "purity": round(hits / max(1, len(members.get(c["cluster_id"], []))), 2),
                    "truth_status": truth_status.get(key),
                    "content_status": c["content_status"],
                    "is_gap": bool(c["is_gap"]),
                    "coverage": round(c["coverage"], 3),
                }
            )
        confusion = {t: {p: 0 for p in STATUSES3} for t in STATUSES3}
        for t in themes:
            if t["truth_status"] in confusion and t["content_status"] in STATUSES3:
                confusion[t["truth_status"]][t["content_status"]] += 1
        scored = [t for t in themes if t["truth_status"]]
        tp = sum(t["is_gap"] and t["truth_status"] == "none" for t in scored)
        flagged = sum(t["is_gap"] for t in scored)
        actual = sum(t["truth_status"] == "none" for t in scored)
        found = {t["truth"] for t in themes}
        out.update(
            themes=themes,
            confusion=confusion,
            gap_precision=tp / flagged if flagged else None,
            gap_recall=tp / actual if actual else None,
            gap_tp=tp,
            gap_flagged=flagged,
            gap_actual=actual,
            truth_themes_without_a_theme=sorted(set(truth_status) - found),
            truth_keys_shared=sorted(
                k for k, n in Counter(t["truth"] for t in themes).items() if n > 1
            ),
        )
        name = {t["theme_id"]: t["truth"] for t in themes}
        trends, story = {}, {}
        for q in ("2026Q2", "2026Q3", "2026Q4"):
            tr = theme_trends(store, q)
            for t in tr.themes:  # the story's themes, flagged or not: their counts and p
                key = name.get(t.theme_id)
                if any(key in keys for keys in STORY.values()):
                    mine = story.setdefault(
                        t.theme_id, {"label": t.label, "truth": key, "counts": {}, "quarters": {}}
                    )
                    mine["counts"].update(dict(t.counts))
                    mine["quarters"][q] = {
                        "status": t.status,
                        "change_p": t.change_p,
                        "trend_p": t.trend_p,
                    }
            trends[q] = {
                "total": tr.total,
                "previous_total": tr.previous_total,
                "partial": tr.partial,
                "through": tr.through,
                "flags": [
                    {
                        "theme_id": t.theme_id,
                        "label": t.label,
                        "truth": name.get(t.theme_id),
                        "status": t.status,
                        "fired": list(t.fired),
                        "reason": t.reason,
                        "story": story_verdict(name.get(t.theme_id), t.status, q),
                    }
                    for t in tr.themes
                    if t.status in ("new", "rising", "falling")
                ],
            }
        flagged_keys = {f["truth"] for q in trends.values() for f in q["flags"]}
        out["trends"] = trends
        out["story_themes"] = sorted(story.values(), key=lambda x: (x["truth"], x["label"]))
        out["totals"] = dict(tr.totals)  # the last report's: every quarter to 2026Q4
        out["story_never_flagged"] = sorted(
            k for ks in STORY.values() for k in ks if k not in flagged_keys
        )
        r = build_report(store, "2026Q3")
        h = r.headline
        out["headline"] = {
            "quarter": r.quarter,
            "notes": h.notes,
            "themes": h.themes,
            "gaps": h.gaps,
            "no_content": h.no_content,
            "weak": h.weak,
            "covered": h.covered,
            "gap_deals": h.gap_deals,
            "gap_open_pipeline": h.gap_open_pipeline,
            "gap_lost_amount": h.gap_lost_amount,
            "win_rate": h.win_rate,
            "closed": h.closed,
        }
    out["cli"] = cli_timings(db, repeat, tmp, env)
    return out


def story_verdict(key: str | None, status: str, quarter: str) -> str:
    """How a flag sits with data/README.md's story."""
    if key in STORY["rising"]:
        return "agrees" if status in ("rising", "new") else "contradicts"
    if key in STORY["falling"]:
        return "agrees" if status == "falling" else "contradicts"
    if key in STORY["peak"]:  # peaks in Q2-Q3: up into it, down after it
        if status == "rising":
            return "agrees" if quarter <= "2026Q3" else "contradicts"
        return "agrees" if quarter >= "2026Q3" else "contradicts"
    return "not in the story"


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _not_others(meter: CpuMeter, child_cpu: float) -> None:
    """CpuMeter counts a subprocess's CPU as others'; take the timed child's own back out."""
    if meter.others is not None and meter.seconds > 0:
        own = child_cpu / (meter.seconds * (os.cpu_count() or 1))
        meter.others = round(max(0.0, meter.others - own), 3)


def cli_timings(db: Path, repeat: int, tmp: Path, env: dict) -> dict:
    """`gaplens report --format html` against `gaplens gaps` (reference), alternated."""
    html = tmp / "report.html"
    cmds = {
        "gaps": _gaplens("--db", str(db), "gaps"),
        "report": _gaplens(
            "--db", str(db), "report", "--quarter", "2026Q3", "--format", "html", "--out", str(html)
        ),
    }
    times: dict[str, list] = {k: [] for k in cmds}
    errors = {}
    for i in range(repeat):
        for key in ("gaps", "report") if i % 2 == 0 else ("report", "gaps"):
            if key in errors:
                continue
            with CpuMeter() as meter:
                child = _children_cpu()
                done = subprocess.run(cmds[key], capture_output=True, text=True, env=env)
                child = _children_cpu() - child
            _not_others(meter, child)
            if done.returncode:
                errors[key] = (done.stderr or done.stdout).strip().splitlines()[-1:]
                log(f"`gaplens {key}` failed: {errors[key]}")
                continue
            times[key].append((meter.seconds, meter.others))
    out = {
        k: {
            "seconds": median([s for s, _ in v]),
            "runs": [round(s, 3) for s, _ in v],
            "others_cpu": [o for _, o in v],
            "error": errors.get(k),
        }
        for k, v in times.items()
    }
    out["html_kb"] = round(html.stat().st_size / 1024, 1) if html.exists() else None
    ref, rep = out["gaps"]["seconds"], out["report"]["seconds"]
    out["ratio"] = rep / ref if ref and rep else None
    return out


# -- the report -----------------------------------------------------------------------------


def _s(x: float | None, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _x(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}x" if x < 100 else f"{x:.0f}x"


def _pc(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{100 * x:.{digits}f}%"


def _cpu(values: list, runs: list | None = None) -> str:
    """The largest others' CPU over a figure's runs of 0.2 s or more (/proc/stat counts in
    10 ms ticks: a shorter run's share says nothing)."""
    runs = runs or [1.0] * len(values)
    keep = [v for v, s in zip(values, runs, strict=True) if v is not None and s >= 0.2]
    return "–" if not keep else f"{100 * max(keep):.0f}%"


def _money(x: float | None) -> str:
    if x is None:
        return "–"
    return f"${x / 1e6:.2f}M" if x >= 1e6 else f"${x / 1e3:.0f}k"


def markdown(res: dict) -> str:
    m = res["machine"]
    out = [
        "# Planning: queries at scale, trend rule honesty, the demo against its labels",
        "",
        f"Generated {res['date']} by `{res['command']}` ({res['bench_seconds']:.0f}s) on sources "
        f"`{res['source_digest']}`. Machine: {m['cpus']} CPUs ({m['processor']}), "
        f"{m['platform']}, Python {m['python']}, numpy {m['versions'].get('numpy')}; load "
        f"average {res['load'][0]:.2f} before, {res['load'][1]:.2f} after.",
        "",
        "Timings are wall clock; *others' CPU* is the largest share of the machine's CPUs other "
        "processes used during any of a figure's runs of 0.2 s or more (bench/run.py's CpuMeter; "
        "'–': every run was shorter). Every timing is read as a ratio to a reference measured "
        "in the same run.",
    ]
    if "scale" in res:
        out += scale_md(res["scale"])
    out += trends_md(res["trends"])
    if "demo" in res:
        out += demo_md(res["demo"])
    return "\n".join(out) + "\n"


def scale_md(s: dict) -> list[str]:
    big, small = s["workspaces"]["big"], s["workspaces"]["small"]
    nb, ns = f"{big['notes']:,}", f"{small['notes']:,}"
    pd = big["planning_data"]
    outcomes = ", ".join(f"{k} {v:,}" for k, v in sorted(pd["outcomes"].items()))
    items = ", ".join(f"{k} {v}" for k, v in pd["plan_items"].items())
    out = [
        "",
        "## 1. Planning queries at scale",
        "",
        f"`bench.tui.build_workspace`: {nb} notes (built in {big['build']['seconds']}s, "
        f"{big['build']['mb']} MB) and {ns} (the reference); 150 themes, 60 assets. Added: "
        f"{big['planning_data']['deals']:,} / {small['planning_data']['deals']:,} deals rows "
        f"(big: {outcomes}), 20 plan items ({items}), "
        "two links, an outdated mark. Median of "
        f"{len(big['queries']['gap_rows']['runs'])} runs each on {nb} notes, "
        f"{len(small['queries']['gap_rows']['runs'])} on {ns}; round-robin over the queries, a "
        "fresh Store connection per call (opened before the clock).",
        "",
    ]
    if s.get("render_note"):
        out += [f"**Rendering skipped:** {s['render_note']}", ""]
    rows = []
    for k, q in big["queries"].items():
        sq = small["queries"][k]
        if q["error"] or sq["error"]:
            rows.append([q["what"], f"failed: {q['error'] or sq['error']}", "", "", "", "", ""])
            continue
        rows.append(
            [
                q["what"],
                _s(q["seconds"]),
                f"**{_x(q['ratio_gap_rows'])}**",
                _s(sq["seconds"], 4),
                _x(sq["ratio_gap_rows"]),
                f"**{_x(s['big_over_small'][k])}**",
                f"{_cpu(q['others_cpu'], q['runs'])} / {_cpu(sq['others_cpu'], sq['runs'])}",
            ]
        )
    out += md_table(
        [
            "query",
            f"{nb}: s",
            "/ gap_rows",
            f"{ns}: s",
            "/ gap_rows",
            f"{nb} / {ns}",
            "others' CPU",
        ],
        rows,
    )
    tb, ts = big["tracemalloc_mb"], small["tracemalloc_mb"]
    rss = big.get("rss", {})
    out += [
        "",
        "Memory (Python allocations by tracemalloc, peak; RSS: high-water mark the call raised in "
        "a fresh process over its resident size just before):",
        "",
    ]

    def rss_cell(key):
        r = rss.get(key, {})
        return f"+{r['delta_mb']} MB (to {r['maxrss_mb']} MB)" if "delta_mb" in r else "–"

    out += md_table(
        ["", f"{nb}: tracemalloc peak", f"{nb}: RSS", f"{ns}: tracemalloc peak"],
        [
            [
                "`gap_rows` (reference)",
                f"{tb['gap_rows']} MB",
                rss_cell("gap_rows"),
                f"{ts['gap_rows']} MB",
            ],
            [
                "`build_report(top=10)`",
                f"{tb['build_report']} MB",
                rss_cell("build_report"),
                f"{ts['build_report']} MB",
            ],
            [
                "ratio build_report / gap_rows",
                f"**{_x(tb['build_report'] / tb['gap_rows']) if tb['gap_rows'] else '–'}**",
                _x(rss["build_report"]["delta_mb"] / rss["gap_rows"]["delta_mb"])
                if rss.get("gap_rows", {}).get("delta_mb")
                and "delta_mb" in rss.get("build_report", {})
                else "–",
                _x(ts["build_report"] / ts["gap_rows"]) if ts["gap_rows"] else "–",
            ],
        ],
    )
    f = big["report"]
    out += [
        "",
        f"- The {nb}-note report ({f['quarter']}): {f['gaps_listed']} gaps briefed of "
        f"{f['themes']} themes; trends flag {f['flagged']['new']} new, {f['flagged']['rising']} "
        f"rising, {f['flagged']['falling']} falling; {f['plan_items']} plan items, "
        f"{f['proposals']} publish proposals, {f['effects']} publish effects, "
        f"{f['unused_assets']} unused assets.",
        f"- One `set_link` (it runs `apply_overrides` twice: before and after) took "
        f"{pd['set_link_seconds']:.2f}s on {nb} notes, "
        f"{small['planning_data']['set_link_seconds']:.3f}s "
        f"on {ns}. Writing the deals rows: {pd['deals_seconds']:.1f}s / "
        f"{small['planning_data']['deals_seconds']:.2f}s.",
        "- Rendering times are of a report built beforehand; `render_csv` is given the run's theme "
        "rows (`Store.clusters`), as `gaplens report --format csv` would.",
        "- `gap_rows` reads the run's theme rows only (150 here, whatever the notes), so it takes "
        "milliseconds at any size and the '/ gap_rows' ratios grow with the workspace by "
        "construction; the big / small column is the scaling (the notes, deals and assignments "
        "grow 100x).",
    ]
    prof = big.get("profile")
    if prof:
        out += [
            "",
            f"Where `build_report` spends its time on {nb} notes: one run under cProfile "
            f"({prof['total']:.1f}s with the profiler's overhead), cumulative seconds of its "
            "parts (nested: `theme_impacts` includes a `deal_facts`, `quarter_review` its "
            "`publish_effect` calls...):",
            "",
        ]
        out += md_table(
            ["function", "calls", "cumulative s", "share of build_report"],
            [
                [
                    f"`{name}`",
                    p["calls"],
                    f"{p['seconds']:.2f}",
                    _pc(p["seconds"] / prof["total"], 0),
                ]
                for name, p in sorted(prof["parts"].items(), key=lambda kv: -kv[1]["seconds"])
            ],
        )
    return out


def trends_md(t: dict) -> list[str]:
    out = [
        "",
        "## 2. Trend rule honesty (simulation)",
        "",
        f"`analysis.trends.classify` as `theme_trends` calls it (the last {t['span']} quarters, "
        f"alpha {t['alpha']}; quiet under {t['quiet_below']} notes) against the naive rule "
        '"share moved by 50% or more since the quarter before". '
        f"{t['sims']:,} themes per cell, numpy seed {t['seed']}; quarter totals {t['total']:,} "
        f"each (equal) or {', '.join(f'{x:,}' for x in t['unequal_totals'])} (unequal). "
        "Volume: the theme's notes a quarter (its constant share x the mean total).",
        "",
        "**False flags**: the share never changes; flagged rising or falling at one quarterly "
        "review (a 4-quarter span), and at any of five reviews (quarters 2 to 6 of 6).",
        "",
    ]
    rows = [
        [
            r["volume"],
            r["totals"],
            f"**{_pc(r['rule_one'])}**",
            _pc(r["naive_one"]),
            f"**{_pc(r['rule_any5'])}**",
            _pc(r["naive_any5"]),
        ]
        for r in sorted(t["false_flags"], key=lambda r: (r["totals"], r["volume"]))
    ]
    out += md_table(
        [
            "notes / quarter",
            "totals",
            "rule: one review",
            "naive: one review",
            "rule: any of 5",
            "naive: any of 5",
        ],
        rows,
    )
    out += [
        "",
        "**Power**: the share of draws flagged *rising*. v = the volume in the quarter before the "
        "reviewed one: doubling v, v, v, 2v; steady rise x2 v/4, v/2, v, 2v (1% -> 2% -> 4% -> "
        "8% when v is 4%); x1.5 v/2.25, v/1.5, v, 1.5v.",
        "",
    ]
    scen = list(SCENARIOS)
    for tot in ("equal", "unequal"):
        rows = []
        for v in VOLUMES:
            cells = [v]
            for sname in scen:
                r = next(
                    p
                    for p in t["power"]
                    if p["totals"] == tot and p["volume"] == v and p["scenario"] == sname
                )
                cells.append(f"**{_pc(r['rule'], 0)}** / {_pc(r['naive'], 0)}")
            rows.append(cells)
        out += [f"{tot.capitalize()} totals, rule / naive:", ""]
        out += md_table(["v"] + scen, rows) + [""]
    out.append(f"Simulation time {t['seconds']:.0f}s.")
    return out


def demo_md(d: dict) -> list[str]:
    out = ["", "## 3. The demo against its labels", ""]
    if "error" in d:
        return out + [f"**Failed:** {d['error']}"]
    c = d["confusion"]
    out += [
        f"`gaplens demo --no-tui` built in {d['build_seconds']:.0f}s (real model). "
        f"{len(d['themes'])} themes, each named by the majority label of its notes; truth "
        "status of that label from data/labels/assets.csv (full asset: covered; partial only: "
        "weak; none: none).",
        "",
        "Content status, themes (rows: truth, columns: gaplens `clusters.content_status`):",
        "",
    ]
    out += md_table(
        ["truth \\ gaplens"] + list(STATUSES3) + ["total"],
        [[t] + [c[t][p] for p in STATUSES3] + [sum(c[t].values())] for t in STATUSES3],
    )
    diag = sum(c[t][t] for t in STATUSES3)
    total = sum(sum(r.values()) for r in c.values())
    out += [
        "",
        f'Agreement {diag} of {total}. `is_gap` as a detector of truth "none": precision '
        f"**{_pc(d['gap_precision'], 0)}** ({d['gap_tp']} of {d['gap_flagged']} flagged), recall "
        f"**{_pc(d['gap_recall'], 0)}** ({d['gap_tp']} of {d['gap_actual']}).",
        "Label themes no theme is named after: "
        f"{', '.join(d['truth_themes_without_a_theme']) or 'none'}; "
        f"labels naming two themes or more: {', '.join(d['truth_keys_shared']) or 'none'}.",
        "",
        "<details><summary>Every theme</summary>",
        "",
    ]

    def order(t: dict) -> tuple:
        return (STATUSES3.index(t["truth_status"]) if t["truth_status"] else 9, t["truth"] or "")

    out += md_table(
        ["id", "label", "notes", "majority label", "purity", "truth", "gaplens", "is_gap", "cov."],
        [
            [t["theme_id"], t["label"], t["size"], t["truth"], t["purity"], t["truth_status"],
             t["content_status"], "yes" if t["is_gap"] else "", t["coverage"]]
            for t in sorted(d["themes"], key=order)
        ],
    )  # fmt: skip
    out += [
        "",
        "</details>",
        "",
        "Trend flags (`theme_trends`) beside data/README.md's story "
        "(rising: ai-data-usage, hipaa, scim-provisioning, permissions-rbac, ai-accuracy; "
        "falling: zentrix-migration, deskwise-bundle; budget-freeze peaks 2026Q2–Q3):",
        "",
    ]
    rows = []
    for q, tr in d["trends"].items():
        partial = f", partial to {tr['through']}" if tr["partial"] else ""
        head = f"{q} ({tr['previous_total']} -> {tr['total']} notes{partial})"
        if not tr["flags"]:
            rows.append([head, "–", "", "", ""])
        for i, f in enumerate(tr["flags"]):
            rows.append(
                [
                    head if i == 0 else "",
                    f"{f['status']}",
                    f"{f['label']} ({f['truth']})",
                    f["story"],
                    f["reason"],
                ]
            )
    out += md_table(["quarter", "status", "theme (majority label)", "story", "why"], rows)
    out += [
        "",
        "Story themes flagged in none of the three quarters: "
        f"{', '.join(d['story_never_flagged']) or 'none'}.",
        "",
        "The story's themes, flagged or not: notes per quarter (all dated notes: "
        + ", ".join(f"{q} {n}" for q, n in d.get("totals", {}).items())
        + ") and the rule's status with the smaller of its two p values (each test fires "
        "under 0.025 when both run):",
        "",
    ]
    qs = sorted({q for x in d.get("story_themes", []) for q in x["counts"]})
    rows = []
    for x in d.get("story_themes", []):
        cells = [f"{x['label']} ({x['truth']})", " / ".join(str(x["counts"].get(q, 0)) for q in qs)]
        for q in ("2026Q2", "2026Q3", "2026Q4"):
            v = x["quarters"].get(q)
            ps = [p for p in (v["change_p"], v["trend_p"]) if p is not None] if v else []
            cells.append(f"{v['status']} (p {min(ps):.3g})" if ps else v["status"] if v else "–")
        rows.append(cells)
    out += md_table(["theme (majority label)", " / ".join(qs), "2026Q2", "2026Q3", "2026Q4"], rows)
    out += [""]
    h = d["headline"]
    out += [
        f"Headline of `build_report('{h['quarter']}')`: {h['notes']} notes, {h['themes']} themes, "
        f"**{h['gaps']} gaps** ({h['no_content']} no content, {h['weak']} weak, {h['covered']} "
        f"covered); **{h['gap_deals']} deals raise a gap: {_money(h['gap_open_pipeline'])} open "
        f"pipeline, {_money(h['gap_lost_amount'])} lost**; baseline win rate "
        f"**{_pc(h['win_rate'], 0)}** of {h['closed']} closed deals.",
        "",
    ]
    cli = d["cli"]
    rows = []
    for k, label in (
        ("gaps", "`gaplens gaps` (reference)"),
        ("report", "`gaplens report --quarter 2026Q3 --format html --out X`"),
    ):
        x = cli[k]
        rows.append(
            [
                label,
                ("failed: " + " ".join(x["error"])) if x["error"] else _s(x["seconds"], 2),
                ", ".join(f"{s:.2f}" for s in x["runs"]),
                _cpu(x["others_cpu"], x["runs"]),
            ]
        )
    out += md_table(["command (subprocess)", "median s", "runs", "others' CPU"], rows)
    out += [
        "",
        f"**report / gaps: {_x(cli['ratio'])}**"
        + (f"; the HTML file is {cli['html_kb']} KB." if cli["html_kb"] else "."),
    ]
    return out


# -- main -----------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--notes", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sims", type=int, default=2000, help="simulated themes per trend cell")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-demo", action="store_true", help="leave out part 3 (the real model)")
    ap.add_argument("--skip-scale", action="store_true", help="leave out part 1")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--child-mem", choices=("gap_rows", "build_report"), help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_mem:
        rss_child(args.child_mem, args.db)
        return 0
    started, load, digest = time.perf_counter(), [os.getloadavg()[0]], source_digest()
    tmp = Path(tempfile.mkdtemp(prefix="gaplens-planning-bench-"))
    res: dict = {}
    try:
        if not args.skip_scale:
            res["scale"] = bench_scale(args, tmp)
        log(f"trend simulation, {args.sims} themes per cell")
        res["trends"] = bench_trends(args.sims, args.seed)
        if not args.skip_demo:
            res["demo"] = bench_demo(args.repeat, tmp)
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if source_digest() != digest:
        log("the gaplens sources changed while the bench ran")
        digest += " (sources changed during the run)"
    flags = [f"--notes {args.notes}", f"--repeat {args.repeat}", f"--sims {args.sims}"]
    flags += ["--skip-demo"] * args.skip_demo + ["--skip-scale"] * args.skip_scale
    res = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": "python bench/planning.py " + " ".join(flags),
        "machine": machine_info(),
        "load": [*load, os.getloadavg()[0]],
        "source_digest": digest,
        "bench_seconds": round(time.perf_counter() - started, 1),
        **res,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    write_atomic(args.out / "planning.json", json.dumps(res, indent=1, default=str) + "\n")
    text = markdown(res)
    write_atomic(args.out / "planning.md", text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
