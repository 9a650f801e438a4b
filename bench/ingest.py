"""How fast, and in how much memory, `gaplens ingest notes` reads a large CSV.

Writes a 1,000,000-row and a 100,000-row notes CSV (short realistic notes with a deal,
an amount and a date) to a temp dir, imports each into a fresh workspace in its own
child process, and reports wall time, rows/s and the child's peak RSS. The 100k run is
the reference: when peak RSS grows with the file, the 1M/100k ratio approaches 10; a
streaming reader keeps it near 1.

    python bench/ingest.py                  # 1M and 100k rows, writes bench/results/ingest.md
    python bench/ingest.py --rows 200000    # a smaller main run
    python bench/ingest.py --out /tmp/x.md

Nothing here is part of the tests.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "ingest.md"

SUBJECTS = [
    "Prospect asked whether SSO can be enforced for contractors",
    "CFO said the price is too high compared with Zentrix",
    "They need EU data residency before legal signs off",
    "Security review wants SOC 2 Type II and a pen test summary",
    "Support lead worried about migrating macros from CaseBloom",
    "Asked about HIPAA and whether we sign a BAA",
    "Wants call recording and IVR in the same seat price",
    "Procurement pushing for a multi-year discount",
]
TAILS = [
    "follow up next week",
    "sent the one-pager, no reply yet",
    "champion is keen but budget is frozen until Q3",
    "demo went well; they want a trial for twelve agents",
    "legal has questions about the DPA",
    "they compared us with two other vendors",
]
STAGES = ["Discovery", "Demo", "Proposal", "Negotiation", "Closed Won", "Closed Lost"]
REPS = ["Ana Diaz", "Ben Osei", "Cleo Park", "Dev Shah"]


def write_csv(path: Path, rows: int, seed: int = 7) -> int:
    """A notes export of ``rows`` rows; returns its size in bytes."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Note ID", "Deal", "Amount", "Date", "Stage", "Rep", "Notes"])
        for i in range(rows):
            note = f"{rng.choice(SUBJECTS)}; {rng.choice(TAILS)} (call {i})"
            w.writerow(
                [
                    f"N-{i}",
                    f"D-{rng.randrange(rows // 5 + 1)}",
                    f"${rng.randrange(5, 200) * 500:,}",
                    f"2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
                    rng.choice(STAGES),
                    rng.choice(REPS),
                    note,
                ]
            )
    return path.stat().st_size


def child(db: str, csv_path: str) -> None:
    """Run in the child process: import one file, print figures as JSON."""
    import resource

    sys.path.insert(0, str(ROOT))
    from gaplens.store import Store
    from ingest import import_notes

    calls = 0

    def progress(_name, _done, _total):
        nonlocal calls
        calls += 1

    start = time.perf_counter()
    with Store(db) as store:
        (summary,) = import_notes(store, [csv_path], on_progress=progress)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    out = {
        "added": summary.added,
        "rejected": summary.rejected,
        "error": summary.error,
        "seconds": seconds,
        "peak_rss_mb": peak / 1024,
        "progress_calls": calls,
    }
    print(json.dumps(out))


def measure(tmp: Path, rows: int) -> dict:
    path = tmp / f"notes_{rows}.csv"
    size = write_csv(path, rows)
    db = tmp / f"ws_{rows}.db"
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(db), str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    figures.update(rows=rows, file_mb=size / 1e6, rows_per_s=rows / figures["seconds"])
    path.unlink()
    return figures


def report(big: dict, small: dict, label: str) -> str:
    ratio = big["peak_rss_mb"] / small["peak_rss_mb"]
    lines = [
        f"### {label}",
        "",
        "| rows | file | wall time | rows/s | peak RSS | added |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for f in (big, small):
        lines.append(
            f"| {f['rows']:,} | {f['file_mb']:.0f} MB | {f['seconds']:.1f} s | "
            f"{f['rows_per_s']:,.0f} | {f['peak_rss_mb']:.0f} MB | {f['added']:,} |"
        )
    lines += [
        "",
        f"Peak RSS ratio {big['rows']:,} / {small['rows']:,} rows: **{ratio:.2f}** "
        f"(rows ratio {big['rows'] / small['rows']:.0f}).",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--reference", type=int, default=100_000)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--label", default="this run")
    ap.add_argument("--child", nargs=2, metavar=("DB", "CSV"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="gaplens-bench-") as tmp:
        small = measure(Path(tmp), args.reference)
        print(json.dumps(small), file=sys.stderr)
        big = measure(Path(tmp), args.rows)
        print(json.dumps(big), file=sys.stderr)
    header = (
        "# Ingest: a large notes CSV\n\n"
        f"`python bench/ingest.py` on {platform.node() or 'this machine'} "
        f"({os.cpu_count()} CPUs, Python {platform.python_version()}), "
        f"{time.strftime('%Y-%m-%d')}. Each file is imported into a fresh workspace in its "
        "own child process; peak RSS is that child's `ru_maxrss`.\n\n"
    )
    text = report(big, small, args.label)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(header + text)


if __name__ == "__main__":
    main()
