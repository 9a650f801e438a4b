"""Responsiveness of the terminal UI on a large workspace.

    python bench/tui.py [--notes 100000] [--repeat 3] [--out bench/results]

The issue: the TUI opens in under a second on 100,000 notes (against the time to open an
empty workspace) and no action blocks the screen for more than a tenth of a second. Every
figure comes with a reference measured in the same run (the machines are shared and noisy).

Workspaces are built through the Store API in a temporary directory, rebuilt every run: N
notes combined from hand-written fragments about B2B SaaS objections and questions (4 kinds,
6 quarters, N/5 deals with amounts, 40 reps, N/25 accounts); a finished analysis run with 150
themes (labels, keywords, 8 examples, coverage, gap flag, score, centroid), every note
assigned (10% unclustered), 60 assets with passages and coverage rows, and a cached 384-d
vector per note (assignments' vector_hash points at it, so "similar notes" works). The
references: an empty workspace (a fresh Store) and 1,000 notes built the same way.

Open: each measurement is a fresh ``python bench/tui.py --child open`` process, so imports are
cold as for ``gaplens tui`` (the child imports gaplens.cli, then tui.app). The app runs under
``run_test(size=(120, 36))``: headless, every frame is composed but none is written. Seconds
from just before the parent spawns the process (time.monotonic is system-wide) to: imports
done, MainScreen mounted, its first frame, the themes table filled (empty workspace: its
empty-state message) and drawn, every start-up worker done. Empty and big alternate,
--repeat times each; medians; the ratio big / empty.

Stalls: a fresh process per session. A task in the app's event loop sleeps 5 ms at a time
and records how late it wakes: meanwhile the loop could neither take a key nor draw. SESSION
posts key events as a terminal delivers them (--key-gap apart, not waiting for the app). A
step ends when, for 0.5 s, no worker is pending or running and the process's CPU is idle; its
time runs to the last busy moment. After --step-timeout s it is "unsettled" (a worker, or the
thread of a cancelled one, is still busy) and the next step starts anyway. The largest
lateness per step, median over --repeat sessions; the reference is the same session on 1,000
notes. CHECKS confirm that the steps did what they should.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MODEL, DIM, N_CLUSTERS, N_ASSETS, SMALL = "bench-random-384", 384, 150, 60, 1000
FIRST_DAY, DAYS = date(2025, 7, 1), 549  # 2025Q3 .. 2026Q4
TICK, QUIET = 0.005, 0.5  # stall monitor period; settled = this long without work
KINDS = {"call-note": 0.4, "objection": 0.25, "loss-reason": 0.15, "question": 0.2}
COMPETITORS = ("Zentrix", "Deskwise", "Casebloom", "Helpora", "Tickstream")
WHO = (
    "the CFO|their IT lead|the VP of Support|procurement|our champion|the security team|"
    "the admin|their CTO|the head of CX|the ops manager|legal|the support director"
)
OPENERS = {
    "call-note": "On the call {who} said|Discovery call:|Demo follow-up:|Weekly sync with {who}:|"
    "Pilot review:|Check-in call:|Intro call, {who} mentioned|In the demo {who} noted",
    "objection": "Objection:|{who} pushed back:|Pushback from {who}:|Main concern from {who}:|"
    "Blocker raised by {who}:|{who} is not convinced:|Hesitation:|Red flag from {who}:",
    "loss-reason": "Closed lost:|Lost to {comp}:|Lost, they went with {comp}:|No decision:|"
    "Lost at legal review:|Churned in trial:|Lost, budget moved:|Lost:",
    "question": "{who} asked:|Question from {who}:|Can we confirm for {who}:|Open question:|"
    "{who} wants to know:|Follow-up question:|Asked in the demo:|Question in the RFP:",
}
CLOSERS = (
    "|Need an answer before the next call.|Follow up with a one-pager.|Blocking the deal.|"
    "Asked for a reference customer.|They want it in writing.|Send the doc by Friday.|"
    "Came up twice.|{comp} showed this in their demo.|Escalate to the AE.|Could slip a "
    "quarter.|Champion is on our side.|Needs a call with product.|Revisit after the pilot.|"
    "Not a dealbreaker yet.|Raised by {n} people on the call."
)
TOPICS = """pricing: price, pricing, discount, seats, budget, cost
per-seat price too high for {n} agents|a volume discount past {n} seats|{comp} quoted 30% less
no enterprise price on the site|the price before the budget meeting|a free tier for small teams
Pro to Enterprise is a steep jump|a two-year price lock|AI add-on pricing is confusing
contract: contract, annual, renewal, terms, commitment, cancel
no three-year commitment|monthly billing, not annual|the auto-renewal clause worries legal
cancel on 30 days notice|co-term new seats with the renewal|an out clause tied to uptime
the {n}-seat minimum is above headcount|ramp seats over the year|net 60 payment terms
sso: sso, saml, okta, login, mfa, azure
SSO with Okta is a must-have|SAML only on Enterprise hurts|SSO with Azure AD is required
MFA enforced for every agent|no login without SSO by policy|JIT provisioning through SAML
the SSO setup guide is out of date|Google Workspace login|SSO for the customer portal too
provisioning: scim, provisioning, roles, permissions, users, groups
SCIM provisioning for {n} users|custom roles beyond admin and agent|same-day deprovisioning
group permissions from Okta|read-only seats for managers|no audit log of permission changes
map AD groups to teams|bulk user import from CSV fails|field-level permissions on tickets
security: security, soc, questionnaire, encryption, audit, pentest
{n} open items in the security questionnaire|our SOC 2 Type II report|encryption with own keys
the latest pen test summary|a vendor risk review of {n} weeks|our list of subprocessors
infosec flagged the chat widget|IP allowlisting for admins|HIPAA for their clinics
privacy: gdpr, eu, residency, dpa, retention, privacy
EU data residency is a hard requirement|the DPA signed before the pilot|retention per region
where backups are stored|PII redacted from tickets|the works council must approve it
a GDPR data processing map|data stays in Frankfurt|automated erasure requests
salesforce: salesforce, crm, sync, fields, contacts, objects
two-way Salesforce sync|custom objects are not supported|contact lookup is slow
case history in the CRM|mapping for {n} custom fields|{comp} has a native Salesforce app
the sync broke in the trial|opportunities linked to tickets|the package needs admin rights
integrations: integration, slack, jira, hubspot, zapier, connector
Jira for escalations|Slack notifications are a must|the HubSpot connector lacks fields
Zapier for everything else|a Microsoft Teams app|a Shopify integration
two-way sync with Jira status|too few connectors in the marketplace|tickets from Intercom
api: api, webhooks, limits, endpoints, developer, sandbox
{n} API calls a minute is too low|webhooks must retry on failure|a sandbox to test the API
the API docs lack examples|bulk export through the API times out|GraphQL instead of REST
signed webhook payloads|a Python SDK|custom fields missing from the API|API deprecation policy
migration: migration, import, zentrix, history, cutover, data
{n}k tickets of history from {comp}|attachments must migrate too|a weekend cutover
the test import lost tags|a migration service included|macros and templates from {comp}
downtime during the switch|keep the old ticket ids|help center articles with their links
onboarding: onboarding, implementation, rollout, training, timeline, admin
{n} weeks of implementation is too long|admin training for the team|a phased rollout
a dedicated onboarding manager|go-live fixed by peak season|videos are not enough training
a project plan before signing|their admin has no time|change management is their fear
reporting: reporting, dashboards, analytics, export, metrics, csat
custom dashboards for the VP|CSAT by agent and team|reports cannot be scheduled by email
raw export to their warehouse|first response times look wrong|SLA breach reporting
{comp} has better analytics|a Looker or Tableau connector|only {n} months of history
reliability: uptime, sla, outage, latency, status, downtime
a 99.9% uptime SLA in the contract|last month's outage|the agent workspace lags
our status page history|service credits for downtime|a disaster recovery plan
the chat widget loads slowly|{n} concurrent agents|slow incident updates last time
ai: ai, automation, accuracy, chatbot, answers, deflection
AI answers are not accurate enough|the bot must hand off to a human|hallucinated answers
a {n}% deflection rate sounds too good|train the bot on their docs|AI costs extra
AI replies in their brand tone|AI in German and French|legal reviews how the model uses data
support: support, response, success, escalation, manager, phone
phone support, not just email|our support response time|a named CSM is required
bad escalations with {comp}|24/7 support for the EU team|a quarterly business review
premium support costs too much|support in their time zone|references say support is slow
procurement: procurement, legal, approval, vendor, freeze, quarter
three quotes for procurement|a budget freeze until next quarter|CFO sign-off over ${n}k
vendor onboarding takes {n} weeks|legal redlined the MSA|they are consolidating vendors
the parent company decides now|a reorg put it on hold|a buying committee of {n} people"""
ASSET_TYPES = ("guide", "FAQ", "battlecard", "case study", "blog post", "whitepaper")


def topics() -> list[tuple[str, list[str], list[str]]]:
    out = []
    for line in TOPICS.splitlines():
        if ": " in line and "|" not in line:
            out.append((line.split(": ")[0], line.split(": ")[1].split(", "), []))
        else:
            out[-1][2].extend(line.split("|"))
    return out


def build_workspace(path: Path, n_notes: int, seed: int = 0) -> dict:
    """A workspace of n_notes notes with a finished analysis, written through the Store API."""
    import numpy as np

    from gaplens.models import Asset, Note
    from gaplens.store import Store, text_hash

    started, rng, tops = time.perf_counter(), np.random.default_rng(seed), topics()
    who, closers = WHO.split("|"), CLOSERS.split("|")
    openers = {k: v.split("|") for k, v in OPENERS.items()}
    n_deals, n_acc = max(1, n_notes // 5), max(1, n_notes // 25)
    reps = [
        f"{a} {b}"
        for a in "Ana Ben Chloe Dev Eli Fay Gus Hana".split()
        for b in "Ortiz Klein Moreau Patel Sato".split()
    ]
    accounts = [
        f"{rng.choice(['Acme', 'Birch', 'Delta', 'Lumen', 'Harbor', 'Kestrel'])} "
        f"{rng.choice(['Bank', 'Travel', 'Clinics', 'Motors', 'Software'])} {i}"
        for i in range(n_acc)
    ]
    d_acc, d_rep = rng.integers(0, n_acc, n_deals), rng.integers(0, len(reps), n_deals)
    d_amt = np.round(rng.lognormal(np.log(25000), 0.9, n_deals), -2)
    d_stage = rng.choice(["discovery", "demo", "proposal", "negotiation", "closed"], n_deals)
    c_topic, c_angle = np.arange(N_CLUSTERS) % len(tops), rng.integers(0, 9, N_CLUSTERS)
    growth = rng.uniform(0.6, 1.8, N_CLUSTERS)  # > 1: a theme whose notes grow recent
    cid = rng.choice(N_CLUSTERS, n_notes, p=rng.dirichlet(np.full(N_CLUSTERS, 0.8)))
    cid[rng.random(n_notes) < 0.1] = -1
    topic = np.where(cid >= 0, c_topic[cid], rng.integers(0, len(tops), n_notes))
    angle = np.where(
        (cid >= 0) & (rng.random(n_notes) < 0.7), c_angle[cid], rng.integers(0, 9, n_notes)
    )
    day = (DAYS * rng.power(np.where(cid >= 0, growth[cid], 1.0))).astype(int)
    kind = rng.choice(list(KINDS), n_notes, p=list(KINDS.values()))
    deal = np.where(rng.random(n_notes) < 0.85, rng.integers(0, n_deals, n_notes), -1)
    pick, notes = rng.integers(0, 1 << 20, (n_notes, 5)), []
    for i in range(n_notes):
        frags, k, d, (a, b, c, w, x) = tops[topic[i]][2], str(kind[i]), int(deal[i]), pick[i]
        text = f"{openers[k][a % 8]} {frags[angle[i]]}"
        if b % 2:
            text += f"; also {frags[(angle[i] + 1 + b % 7) % len(frags)]}"
        comp, dealt = COMPETITORS[x % 5], d >= 0
        text = f"{text}. {closers[c % len(closers)]}".format(
            who=who[w % len(who)], comp=comp, n=5 + x % 200
        ).strip()
        notes.append(
            Note(
                f"n{i:06d}",
                text[0].upper() + text[1:],
                kind=k,
                line=i + 1,
                date=(FIRST_DAY + timedelta(days=int(day[i]))).isoformat(),
                deal=f"D{d:05d}" if dealt else None,
                account=accounts[d_acc[d] if dealt else i % n_acc],
                amount=float(d_amt[d]) if dealt else None,
                stage=str(d_stage[d]) if dealt else None,
                outcome="lost" if k == "loss-reason" else ("open", "won")[i % 2] if dealt else None,
                rep=reps[d_rep[d] if dealt else i % len(reps)],
                competitor=comp if k in ("objection", "loss-reason") else None,
            )
        )
    store = Store(path)
    source = store.add_source("bench-generated.csv", "notes", "csv", None)
    for s in range(0, n_notes, 10000):
        store.insert_notes(notes[s : s + 10000], source)
    store.finish_source(source, n_notes, 0, 0)
    a_topic = [a % len(tops) for a in range(N_ASSETS)]
    for a in range(N_ASSETS):
        name, words, frags = tops[a_topic[a]]
        typ = ASSET_TYPES[(a // len(tops)) % len(ASSET_TYPES)]
        passages = [
            f"On {words[j % 6]}, for when {frags[j % len(frags)]}: what we offer.".format(
                who="a buyer", comp="a competitor", n=50
            )
            for j in range(6 + a % 7)
        ]
        store.upsert_asset(
            Asset(
                f"asset-{a:02d}",
                f"{name.capitalize()} {typ} {a}",
                "\n\n".join(passages),
                url=f"https://example.com/{a}",
                type=typ,
                stage=("TOFU", "MOFU", "BOFU")[a % 3],
                updated="2026-06-01",
            ),
            passages,
            None,
        )
    passage = dict(store.db.execute("select asset_id, min(id) from passages group by asset_id"))
    run_id = store.start_run(MODEL, {"gap_threshold": 0.5})
    centres = rng.normal(size=(N_CLUSTERS + 1, DIM))  # row -1: the unclustered notes
    hashes = [text_hash(n.text) for n in notes]
    for s in range(0, n_notes, 10000):  # a theme's notes lie around its centre
        chunk = slice(s, min(s + 10000, n_notes))
        block = centres[cid[chunk]] + 0.9 * rng.normal(size=(chunk.stop - s, DIM))
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        store.cache_embeddings(
            MODEL, dict(zip(hashes[chunk], block.astype(np.float32), strict=True))
        )
    recent = (FIRST_DAY + timedelta(days=DAYS - 90)).isoformat()
    clusters, coverage = [], []
    for c in range(N_CLUSTERS):
        members = [notes[j] for j in np.flatnonzero(cid == c)]
        kw = [str(w) for w in rng.permutation(tops[c_topic[c]][1])]
        deals, dates = {n.deal for n in members} - {None}, sorted(n.date for n in members)
        best = [f"asset-{a:02d}" for a in range(N_ASSETS) if a_topic[a] == c_topic[c]][:3]
        cov, demand = float(rng.beta(2, 2)), len(members) / n_notes * 10
        clusters.append(
            {
                "cluster_id": c,
                "label": f"{kw[0]} / {kw[1]}",
                "keywords": json.dumps(kw),
                "examples": json.dumps([n.note_id for n in members[:8]]),
                "size": len(members),
                "deals": len(deals),
                "accounts": len({n.account for n in members}),
                "amount": float(sum(d_amt[int(d[1:])] for d in deals)),
                "first_date": dates[0] if dates else None,
                "last_date": dates[-1] if dates else None,
                "recent_share": sum(d > recent for d in dates) / max(1, len(dates)),
                "coverage": cov,
                "best_asset_id": best[0],
                "best_passage_id": passage[best[0]],
                "best_similarity": 0.8 * cov,
                "is_gap": int(cov < 0.5),
                "score": 100 * demand * growth[c] * (1 - cov),
                "score_parts": json.dumps(
                    {"demand": demand, "momentum": growth[c], "coverage": cov}
                ),
                "centroid": (centres[c] / np.linalg.norm(centres[c])).astype(np.float32).tobytes(),
            }
        )
        coverage += [
            {
                "cluster_id": c,
                "asset_id": a,
                "similarity": 0.8 * cov / (r + 1),
                "score": cov / (r + 1),
                "passage_id": passage[a],
                "rank": r,
            }
            for r, a in enumerate(best)
        ]
    coords = rng.normal(size=(n_notes, 5))
    store.save_results(
        run_id,
        clusters,
        [
            {
                "note_id": n.note_id,
                "cluster_id": int(cid[i]) if cid[i] >= 0 else None,
                "probability": float(cid[i] >= 0),
                "coords": coords[i].tobytes(),
                "vector_hash": hashes[i],
            }
            for i, n in enumerate(notes)
        ],
        coverage,
    )
    store.end_run(
        run_id,
        "done",
        n_notes=n_notes,
        n_clusters=N_CLUSTERS,
        n_unclustered=int((cid < 0).sum()),
        n_assets=N_ASSETS,
    )
    store.close()
    return {
        "notes": n_notes,
        "seconds": round(time.perf_counter() - started, 1),
        "mb": round(path.stat().st_size / 2**20, 1),
    }


# -- children: one process per measurement ------------------------------------------------

SESSION = [  # (step, keys); "type:" types its text one key at a time
    ("open, until loaded", []),
    ("sort themes (s x4)", ["s"] * 4),
    ("filter themes (/ security)", ["slash", "type:security"]),
    ("clear the filter", ["backspace"] * 8 + ["enter"]),
    ("notes tab (2)", ["2"]),
    ("search notes (/ okta sso)", ["slash", "type:okta sso", "enter"]),
    ("similar notes (m)", ["m"]),
    ("content tab (3)", ["3"]),
    ("rejects tab (4)", ["4"]),
    ("themes tab (1)", ["1"]),
    ("move down x20", ["down"] * 20),
    ("open the theme's notes (enter)", ["enter"]),
]
CHECKS = {  # after a step: does the screen show what it should
    "open, until loaded": lambda s: s.query_one("#themes").row_count > 0,
    "filter themes (/ security)": lambda s: s.query_one("#theme-search").value == "security",
    "search notes (/ okta sso)": lambda s: (
        s.query_one("#notes").row_count > 0 and s.query_one("#note-search").value == "okta sso"
    ),
    "similar notes (m)": lambda s: any(
        "Similar notes" in str(r)
        for r in getattr(s.query_one("#note-body").content, "renderables", [])
    ),
    "open the theme's notes (enter)": lambda s: (
        s.query_one("#tabs").active == "tab-notes"
        and isinstance(s.query_one("#note-theme").value, int)
    ),
}
CHARS = {"slash": "/", "space": " ", "enter": "\r", "backspace": "\x7f", "down": None}
MARKS = ("imported", "mounted", "first_frame", "ready", "settled")


async def settle(app, limit: float) -> tuple[bool, float]:
    """Wait (at most limit s) until for QUIET s no worker is pending or running and the process's
    CPU is idle: keys may still be in the app's queues before a worker starts, and a cancelled
    thread worker runs on. Returns (settled, when the app was last busy)."""
    from textual.worker import WorkerState

    end = busy = time.monotonic()
    end += limit
    while time.monotonic() < end:
        cpu = time.process_time()
        await asyncio.sleep(0.05)
        if time.process_time() - cpu > 0.01 or any(
            w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers
        ):
            busy = time.monotonic()
        elif time.monotonic() - busy >= QUIET:
            return True, busy
    return False, busy


def child(mode: str, db: str, t0: float, args) -> None:
    marks = {"python": time.monotonic()}
    from textual import events

    import gaplens.cli  # noqa: F401  (what `gaplens tui` imports before the app)
    from tui.app import make_app
    from tui.screens.main import MainScreen
    from tui.widgets.themes import ThemesPane

    marks["imported"] = time.monotonic()
    mount, show_table, shown = MainScreen.on_mount, ThemesPane.show_table, []

    def stamp(name: str):
        return lambda: shown.append(marks.setdefault(name, time.monotonic()))

    def on_mount(self):  # the screen exists; its first frame follows
        marks.setdefault("mounted", time.monotonic())
        self.call_after_refresh(stamp("first_frame"))
        mount(self)

    def show(self, *a):  # the themes (or the empty-state message) arrive; then their frame
        show_table(self, *a)
        if "filled" not in marks:
            marks["filled"] = time.monotonic()
            self.call_after_refresh(stamp("ready"))

    MainScreen.on_mount, ThemesPane.show_table = on_mount, show
    out, timeout = {"checks": {}}, args.open_timeout

    async def run() -> None:
        app = make_app(db)
        async with app.run_test(size=(120, 36)):
            if mode == "open":
                while "ready" not in marks and time.monotonic() - t0 < timeout:
                    await asyncio.sleep(0.002)
                out["settled"], marks["settled"] = await settle(
                    app, max(1.0, timeout - (time.monotonic() - t0))
                )
                out["checks"]["themes shown"] = "ready" in marks
            else:
                await session(app)
            out["marks"] = {k: round(v - t0, 3) for k, v in marks.items()}
            print("RESULT " + json.dumps(out), flush=True)
            os._exit(0)  # no teardown: a cancelled thread worker may still be running

    async def session(app) -> None:
        steps = {name: {"max_ms": 0.0} for name, _ in SESSION}
        state = {"step": SESSION[0][0], "on": True}

        async def monitor():  # how late a 5 ms sleep wakes = how long the loop was blocked
            while state["on"]:
                before = time.perf_counter()
                await asyncio.sleep(TICK)
                late = 1000 * (time.perf_counter() - before - TICK)
                step = steps[state["step"]]
                step["max_ms"] = max(step["max_ms"], round(late, 1))

        task = asyncio.create_task(monitor())
        for name, keys in SESSION:
            state["step"], started = name, time.monotonic()
            for key in keys:
                for k in key[5:] if key.startswith("type:") else [key]:
                    k = "space" if k == " " else k
                    app.post_message(events.Key(k, CHARS.get(k, k)))
                    await asyncio.sleep(args.key_gap)
            limit = args.step_timeout if keys else timeout - (time.monotonic() - t0)
            steps[name]["settled"], busy = await settle(app, limit)
            steps[name]["seconds"] = round(busy - started, 2)
            if name in CHECKS:
                out["checks"][name] = bool(CHECKS[name](app.screen))
        state["on"] = False
        await task
        out["steps"] = steps

    asyncio.run(run())


# -- the parent: build, spawn, summarise --------------------------------------------------


def spawn(mode: str, db: Path, args) -> dict:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        mode,
        "--db",
        str(db),
        "--open-timeout",
        str(args.open_timeout),
        "--step-timeout",
        str(args.step_timeout),
        "--key-gap",
        str(args.key_gap),
    ]
    t0 = time.monotonic()
    proc = subprocess.run(
        [*cmd, "--t0", repr(t0)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=args.open_timeout + 20 * args.step_timeout + 120,
    )
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if not lines:
        sys.exit(f"bench/tui.py: the {mode} child failed on {db.name}:\n{proc.stderr[-3000:]}")
    return {**json.loads(lines[-1][7:]), "process_seconds": round(time.monotonic() - t0, 2)}


def median(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def summarise(opens: dict, sessions: dict) -> tuple[dict, dict]:
    o = {
        k: {
            "median": {m: median([r["marks"].get(m) for r in runs]) for m in MARKS},
            "all_shown": all(r["checks"]["themes shown"] for r in runs),
            "runs": runs,
        }
        for k, runs in opens.items()
    }
    s = {}
    for k, runs in sessions.items():
        steps = {
            name: {
                "max_ms": median([r["steps"][name]["max_ms"] for r in runs]),
                "seconds": median([r["steps"][name]["seconds"] for r in runs]),
                "settled": all(r["steps"][name]["settled"] for r in runs),
            }
            for name, _ in SESSION
        }
        worst = max(steps, key=lambda n: steps[n]["max_ms"])
        failed = sorted({c for r in runs for c, ok in r["checks"].items() if not ok})
        s[k] = {
            "max_ms": steps[worst]["max_ms"],
            "max_step": worst,
            "steps": steps,
            "failed_checks": failed,
            "runs": runs,
        }
    for key, mark in (("ratio_ready", "ready"), ("ratio_first_frame", "first_frame")):
        big, empty = o["big"]["median"][mark], o["empty"]["median"][mark]
        o[key] = round(big / empty, 2) if big and empty else None
    s["ratio"] = round(s["big"]["max_ms"] / max(s["small"]["max_ms"], 0.1), 2)
    return o, s


def markdown(res: dict) -> str:
    m, o, s, n = res["machine"], res["open"], res["session"], f"{res['notes']:,}"
    ready = o["big"]["median"]["ready"] if o["big"]["all_shown"] else None
    out = [
        f"# TUI responsiveness\n\nGenerated {res['date']} by `python bench/tui.py --notes "
        f"{res['notes']} --repeat {res['repeat']}` ({res['bench_seconds']:.0f}s) on sources "
        f"`{res['source_digest']}`. Machine: "
        f"{m['cpus']} CPUs, {m['platform']}, Python {m['python']}, textual {m['textual']}, "
        f"SQLite {m['sqlite']}; load average {m['load'][0]:.2f} before, {m['load'][1]:.2f} "
        f"after. Workspace: {n} notes, built in {res['build']['seconds']}s "
        f"({res['build']['mb']} MB).",
        f"\n## Opening: seconds from process spawn, median of {res['repeat']} processes\n",
        "| workspace | imports done | mounted | first frame | themes shown | all loaded |",
        "|---|---|---|---|---|---|",
    ]
    for label, key in (("empty", "empty"), (f"{n} notes", "big")):
        med = o[key]["median"]
        out.append(
            f"| {label} | "
            + " | ".join("–" if med[k] is None else f"{med[k]:.2f}" for k in MARKS)
            + " |"
        )
    verdict = (
        "not shown in time" if ready is None else "met" if ready < 1 else f"missed: {ready:.1f} s"
    )
    out += [
        f"\n**Themes shown: {n} notes / empty = {o['ratio_ready']}x** (first frame "
        f"{o['ratio_first_frame']}x). Target: under 1 s on 100,000 notes; here {verdict}.",
        f"\n## Event-loop stalls: longest per step (ms), median of {res['repeat']} sessions\n",
        f"| step | {n} notes: stall ms | step s | {SMALL:,} notes: stall ms | step s |",
        "|---|---|---|---|---|",
    ]
    for name, _ in SESSION:
        cells = [
            f"{x['max_ms']:.0f} | {x['seconds']:.1f}{'' if x['settled'] else ' (unsettled)'}"
            for x in (s["big"]["steps"][name], s["small"]["steps"][name])
        ]
        out.append(f"| {name} | {cells[0]} | {cells[1]} |")
    out.append(
        f'\n**Largest stall: {s["big"]["max_ms"]:.0f} ms in "{s["big"]["max_step"]}"** '
        f"(target: under 100 ms); on {SMALL:,} notes {s['small']['max_ms']:.0f} ms in "
        f'"{s["small"]["max_step"]}": ratio {s["ratio"]}.\n'
    )
    for key, label in (("big", n), ("small", f"{SMALL:,}")):
        if s[key]["failed_checks"]:
            out.append(
                f"- {label} notes, steps whose result never showed: "
                + ", ".join(s[key]["failed_checks"])
            )
    if not all(x["settled"] for k in ("big", "small") for x in s[k]["steps"].values()):
        out.append(
            f"- (unsettled): still busy (a worker, or the thread of a cancelled one) "
            f"after {res['step_timeout']:.0f} s ({res['open_timeout']:.0f} s to open); "
            "the next step started anyway."
        )
    out += [
        f"- Step s: until the app was last busy (no worker, CPU idle for {QUIET} s after)."
        f" Keys {res['key_gap'] * 1000:.0f} ms apart; headless: every frame is composed, "
        "none is written to a terminal."
    ]
    return "\n".join(out) + "\n"


def source_digest() -> str:
    """A short SHA-256 of the sources measured, as bench/run.py's plus tui/ (git is not read)."""
    import hashlib

    digest = hashlib.sha256()
    for file in sorted(
        f
        for d in ("gaplens", "ingest", "analysis", "tui")
        for f in (REPO / d).rglob("*")
        if f.suffix in (".py", ".tcss")
    ):
        digest.update(file.relative_to(REPO).as_posix().encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:12]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--notes", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    ap.add_argument("--open-timeout", type=float, default=240.0)
    ap.add_argument("--step-timeout", type=float, default=30.0)
    ap.add_argument("--key-gap", type=float, default=0.08, help="seconds between keys")
    ap.add_argument("--keep", action="store_true", help="keep the generated workspaces")
    ap.add_argument("--child", choices=("open", "session"), help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--t0", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.db, args.t0, args)
        sys.exit("bench/tui.py: the child ended without a result")
    import sqlite3

    import textual

    from gaplens.store import Store

    started, load, digest = time.perf_counter(), [os.getloadavg()[0]], source_digest()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:5.0f}s] {message}", file=sys.stderr, flush=True)

    tmp = Path(tempfile.mkdtemp(prefix="gaplens-tui-bench-"))
    dbs = {"big": tmp / "big.db", "small": tmp / "small.db", "empty": tmp / "empty.db"}
    opens, sessions = {"empty": [], "big": []}, {"small": [], "big": []}
    try:
        log(f"building {args.notes:,} notes in {tmp}")
        build = build_workspace(dbs["big"], args.notes)
        build_workspace(dbs["small"], SMALL)
        Store(dbs["empty"]).close()
        log(f"built in {build['seconds']}s ({build['mb']} MB)")
        for i in range(args.repeat):
            for key in opens:
                opens[key].append(spawn("open", dbs[key], args))
                log(f"open {key} #{i + 1}: {opens[key][-1]['marks']}")
        for i in range(args.repeat):
            for key in sessions:
                sessions[key].append(run := spawn("session", dbs[key], args))
                worst = max(run["steps"], key=lambda k: run["steps"][k]["max_ms"])
                log(
                    f"session {key} #{i + 1}: largest stall {run['steps'][worst]['max_ms']:.0f}"
                    f" ms ({worst}); {run['process_seconds']:.0f}s"
                )
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    o, s = summarise(opens, sessions)
    if source_digest() != digest:
        log("the sources changed while the bench ran")
        digest += " (sources changed during the run)"
    machine = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "textual": textual.__version__,
        "sqlite": sqlite3.sqlite_version,
        "load": [*load, os.getloadavg()[0]],
    }
    res = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "notes": args.notes,
        "repeat": args.repeat,
        "machine": machine,
        "build": build,
        "key_gap": args.key_gap,
        "open_timeout": args.open_timeout,
        "step_timeout": args.step_timeout,
        "bench_seconds": round(time.perf_counter() - started, 1),
        "source_digest": digest,
        "open": o,
        "session": s,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "tui.json").write_text(json.dumps(res, indent=1) + "\n")
    (args.out / "tui.md").write_text(markdown(res))
    print(markdown(res))


if __name__ == "__main__":
    main()
