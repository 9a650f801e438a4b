"""The workspace: one SQLite file every stage reads and writes.

Everything gaplens knows lives here: what was imported (sources), the notes and
the rows that could not be used (rejects), content assets and their passages, an
embedding cache, and each analysis run with its clusters, assignments and
coverage. The schema is a list of sqlite-utils migrations applied on open, so an
older workspace is upgraded in place.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

import numpy as np


def _import_sqlite_utils():
    """sqlite-utils imports pandas when it is installed, only to map pandas timestamps to a
    column type, which gaplens never stores. That import costs about 0.2 s on every command
    and every opening of the UI, so pandas is hidden while sqlite-utils loads (unless
    something already imported it); anything that needs pandas later still gets it."""
    if "pandas" in sys.modules:
        return importlib.import_module("sqlite_utils")
    sys.modules["pandas"] = None  # makes "import pandas" raise ImportError
    try:
        return importlib.import_module("sqlite_utils")
    finally:
        del sys.modules["pandas"]


sqlite_utils = _import_sqlite_utils()
from sqlite_utils.migrations import Migrations  # noqa: E402

from gaplens.models import Asset, Note, Reject  # noqa: E402

DEFAULT_DB = "gaplens.db"
DB_ENV = "GAPLENS_DB"

migrations = Migrations("gaplens")


@migrations(name="0001_initial")
def _initial(db: sqlite_utils.Database) -> None:
    db["sources"].create(
        {
            "id": int,
            "path": str,
            "role": str,  # notes | assets | typed
            "format": str,
            "sha256": str,
            "imported_at": str,
            "added": int,
            "present": int,
            "rejected": int,
        },
        pk="id",
    )
    db["notes"].create(
        {
            "note_id": str,
            "kind": str,
            "text": str,
            "date": str,
            "deal": str,
            "account": str,
            "amount": float,
            "stage": str,
            "outcome": str,
            "rep": str,
            "competitor": str,
            "text_hash": str,
            "source_id": int,
            "line": int,
            "created_at": str,
        },
        pk="note_id",
        foreign_keys=[("source_id", "sources", "id")],
    )
    db["notes"].create_index(["kind"])
    db["notes"].create_index(["date"])
    db["notes"].create_index(["deal"])
    db["notes"].enable_fts(["text"], create_triggers=True, tokenize="porter")
    db["rejects"].create(
        {
            "id": str,  # hash of file, line and raw text: re-importing adds no duplicate
            "source_id": int,
            "file": str,
            "line": int,
            "reason": str,
            "raw": str,
            "created_at": str,
        },
        pk="id",
    )
    db["assets"].create(
        {
            "asset_id": str,
            "title": str,
            "url": str,
            "type": str,
            "stage": str,
            "updated": str,
            "path": str,
            "body": str,
            "body_hash": str,
            "source_id": int,
            "created_at": str,
        },
        pk="asset_id",
    )
    db["passages"].create(
        {"id": int, "asset_id": str, "idx": int, "text": str, "text_hash": str},
        pk="id",
        foreign_keys=[("asset_id", "assets", "asset_id")],
    )
    db["passages"].create_index(["asset_id", "idx"], unique=True)
    db["embeddings"].create(
        {"model": str, "text_hash": str, "dim": int, "vector": bytes},
        pk=("model", "text_hash"),
    )
    db["runs"].create(
        {
            "id": int,
            "started_at": str,
            "finished_at": str,
            "status": str,  # running | done | failed | cancelled
            "model": str,
            "params": str,  # JSON
            "n_notes": int,
            "n_clusters": int,
            "n_unclustered": int,
            "n_assets": int,
            "seconds": float,
            "error": str,
        },
        pk="id",
    )
    db["clusters"].create(
        {
            "run_id": int,
            "cluster_id": int,
            "label": str,
            "keywords": str,  # JSON list
            "examples": str,  # JSON list of note ids, most representative first
            "size": int,
            "deals": int,
            "accounts": int,
            "amount": float,
            "first_date": str,
            "last_date": str,
            "recent_share": float,
            "coverage": float,
            "best_asset_id": str,
            "best_passage_id": int,
            "best_similarity": float,
            "is_gap": int,
            "score": float,
            "score_parts": str,  # JSON
            "centroid": bytes,
        },
        pk=("run_id", "cluster_id"),
        foreign_keys=[("run_id", "runs", "id")],
    )
    db["assignments"].create(
        {
            "run_id": int,
            "note_id": str,
            "cluster_id": int,
            "probability": float,
            "coords": bytes,  # the note's point in the run's reduced space (float64)
        },
        pk=("run_id", "note_id"),
        foreign_keys=[("run_id", "runs", "id")],
    )
    db["assignments"].create_index(["run_id", "cluster_id"])
    db["coverage"].create(
        {
            "run_id": int,
            "cluster_id": int,
            "asset_id": str,
            "similarity": float,
            "score": float,
            "passage_id": int,
            "rank": int,
        },
        pk=("run_id", "cluster_id", "asset_id"),
        foreign_keys=[("run_id", "runs", "id")],
    )


@migrations(name="0002_theme_names")
def _theme_names(db: sqlite_utils.Database) -> None:
    # A name a person gave a theme, with the one the analysis made kept beside it.
    db["clusters"].add_column("auto_label", str)
    db["clusters"].add_column("renamed_at", str)
    # Which cached embedding a note was analysed with (its scrubbed text's hash),
    # so "similar notes" can read vectors without redoing the scrubbing.
    db["assignments"].add_column("vector_hash", str)


@migrations(name="0003_facts_cache")
def _facts_cache(db: sqlite_utils.Database) -> None:
    # what the themes table counts for each note of a run, packed, so a large
    # workspace opens without re-reading every note (analysis.browse.load_facts)
    db["facts_cache"].create(
        {"run_id": int, "notes": int, "data": bytes},
        pk="run_id",
        foreign_keys=[("run_id", "runs", "id")],
    )


@migrations(name="0004_stable_themes")
def _stable_themes(db: sqlite_utils.Database) -> None:
    # analysis: a full clustering; curation: a person's merge or split, rebuilt from the last run
    db["runs"].add_column("kind", str, not_null_default="analysis")
    # how close to a theme's centre a note must be to join it between analyses
    db["clusters"].add_column("fit_threshold", float)
    # deciles of its own notes' similarity to its centre (JSON), for a newcomer's confidence
    db["clusters"].add_column("fit_deciles", str)
    # how the note got its theme (cluster | pinned | incremental | emerging), and the theme
    # it is closest to with that similarity, which is what triage shows for unclustered notes
    db["assignments"].add_column("method", str)
    db["assignments"].add_column("nearest_id", int)
    db["assignments"].add_column("nearest_similarity", float)
    # every change a person made to the themes, replayed on each re-analysis
    db["theme_edits"].create(
        {
            "id": int,
            "at": str,
            "who": str,
            "action": str,  # rename | merge | split | move
            "run_id": int,  # the run it was made on
            "theme_ids": str,  # JSON: the themes it names, the target first
            "note_ids": str,  # JSON: the notes it moved (move)
            "detail": str,  # JSON: anything else (the new name...)
            "summary": str,  # one line for people
        },
        pk="id",
    )
    # what a re-analysis did to each theme of the run before it
    db["theme_changes"].create(
        {
            "run_id": int,
            "theme_id": int,
            "change": str,  # new | grown | shrunk | same | merged | split | vanished
            "before": int,
            "after": int,
            "related": str,  # JSON list of theme ids (merged into / split from)
            "label": str,
        },
        pk=("run_id", "theme_id"),
        foreign_keys=[("run_id", "runs", "id")],
    )


@migrations(name="0005_masked_notes_reject_headers")
def _masked_notes_reject_headers(db: sqlite_utils.Database) -> None:
    # how many emails and phone numbers were masked in a note's text at import
    db["notes"].add_column("masked", int, not_null_default=0)
    # a rejected CSV row's header line, so `gaplens rejects --export` can write it back
    db["rejects"].add_column("header", str)


@migrations(name="0006_mentions")
def _mentions(db: sqlite_utils.Database) -> None:
    # A long note that raises several things is stored as its mentions (ingest.mentions):
    # each mention is a row of `notes` (what analysis clusters) pointing at the note it
    # came from, and the note itself is kept whole in `note_originals`.
    db["notes"].add_column("parent_id", str)  # the original note's id; NULL for a whole note
    db["notes"].add_column("part", int)  # 1-based position among the original's mentions
    db["notes"].add_column("parts", int)  # how many mentions the original has
    db["notes"].add_column("span_start", int)  # where the mention sits in the original text
    db["notes"].add_column("span_end", int)
    db["notes"].create_index(["parent_id"])
    db["note_originals"].create(
        {
            "note_id": str,
            "text": str,
            "text_hash": str,
            "kind": str,
            "date": str,
            "deal": str,
            "account": str,
            "amount": float,
            "stage": str,
            "outcome": str,
            "rep": str,
            "competitor": str,
            "masked": int,
            "parts": int,  # mentions kept (0: small talk and logistics only, not analysed)
            "dropped": int,  # sentences left out as small talk or logistics
            "source_id": int,
            "line": int,
            "created_at": str,
        },
        pk="note_id",
    )


@migrations(name="0007_asset_usage")
def _asset_usage(db: sqlite_utils.Database) -> None:
    # how much an asset is used, from an inventory's usage columns (pageviews, views,
    # sessions or downloads, the best one the row has), and which column that was
    db["assets"].add_column("views", int)
    db["assets"].add_column("views_column", str)


@migrations(name="0008_planning")
def _planning(db: sqlite_utils.Database) -> None:
    # What the CRM says of each deal, from an opportunities export (ingest.deals): the
    # outcome and stage the notes may not carry, won deals included, and when the deal
    # entered its current stage (what "stuck" is measured from).
    db["deals"].create(
        {
            "deal": str,
            "name": str,
            "account": str,
            "amount": float,
            "stage": str,
            "outcome": str,  # won | lost | open
            "created": str,  # ISO date the deal was opened
            "close_date": str,  # ISO date it closed (or is expected to)
            "stage_since": str,  # ISO date it entered its current stage
            "loss_reason": str,  # the picklist value or text a rep chose in the CRM
            "competitor": str,
            "source_id": int,
            "line": int,
            "updated_at": str,
        },
        pk="deal",
    )
    # A person's say on which content answers a theme: "link" makes the asset count as
    # answering it, "unlink" takes it out of the theme's matches. Keyed by the stable
    # theme id, so it holds across re-analyses.
    db["asset_links"].create(
        {"theme_id": int, "asset_id": str, "action": str, "at": str, "who": str},
        pk=("theme_id", "asset_id"),
    )
    # an asset a person marked outdated: it still answers, but only weakly
    db["asset_marks"].create(
        {"asset_id": str, "outdated": int, "reason": str, "at": str, "who": str},
        pk="asset_id",
    )
    # clusters: what the automatic match alone said, and the three-way content status
    # after people's links and marks (none | weak | covered)
    db["clusters"].add_column("auto_coverage", float)
    db["clusters"].add_column("auto_asset_id", str)
    db["clusters"].add_column("content_status", str)
    db.execute("update clusters set auto_coverage = coverage, auto_asset_id = best_asset_id")
    # the content plan: one item per theme someone decided to act on
    db["plan_items"].create(
        {
            "id": int,
            "theme_id": int,
            "label": str,  # the theme's name when it was planned
            "status": str,  # backlog | planned | in progress | published | won't do
            "owner": str,
            "quarter": str,  # target quarter, 2026Q3
            "format": str,  # faq | battlecard | case study | comparison page | how-to | ...
            "comment": str,
            "asset_id": str,  # what published it
            "created_at": str,
            "updated_at": str,
            "published_at": str,  # ISO date it was marked published
            "who": str,
        },
        pk="id",
    )
    db["plan_items"].create_index(["theme_id"])
    # workspace settings a team changes rarely (stuck_days...), as text
    db["settings"].create({"key": str, "value": str}, pk="key")
    # every change to a plan item, for "what was planned last quarter and what happened"
    db["plan_events"].create(
        {
            "id": int,
            "item_id": int,
            "at": str,
            "who": str,
            "field": str,
            "old": str,
            "new": str,
        },
        pk="id",
    )


# what note_originals keeps of a note stored as its mentions (all but the mention fields)
_ORIGINAL_FIELDS = (
    "note_id", "text", "kind", "date", "deal", "account", "amount", "stage", "outcome",
    "rep", "competitor", "masked", "line",
)  # fmt: skip


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def resolve_db_path(path: str | os.PathLike | None = None) -> Path:
    """The workspace file: an explicit path, else $GAPLENS_DB, else ./gaplens.db."""
    return Path(path or os.environ.get(DB_ENV) or DEFAULT_DB)


class Store:
    """A gaplens workspace. Open one per thread (sqlite3 connections are not shared)."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = resolve_db_path(path)
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite_utils.Database(self.path)
        self.db.execute("PRAGMA busy_timeout = 10000")
        if str(self.path) != ":memory:":
            self.db.enable_wal()
        self.db.execute("PRAGMA foreign_keys = ON")
        migrations.apply(self.db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- sources ---------------------------------------------------------

    def add_source(self, path: str, role: str, fmt: str, sha256: str | None) -> int:
        table = self.db["sources"]
        table.insert(
            {
                "path": path,
                "role": role,
                "format": fmt,
                "sha256": sha256,
                "imported_at": now(),
                "added": 0,
                "present": 0,
                "rejected": 0,
            }
        )
        return table.last_pk

    def finish_source(self, source_id: int, added: int, present: int, rejected: int) -> None:
        self.db["sources"].update(
            source_id, {"added": added, "present": present, "rejected": rejected}
        )

    def sources(self) -> list[dict]:
        return list(self.db["sources"].rows_where(order_by="id"))

    # -- settings --------------------------------------------------------

    def setting(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("select value from settings where key = ?", [key]).fetchone()
        return row[0] if row else default

    def set_setting(self, key: str, value: str) -> None:
        self.db["settings"].upsert({"key": key, "value": str(value)}, pk="key")

    # -- notes -----------------------------------------------------------

    def existing_notes(self, note_ids: Iterable[str]) -> dict[str, str]:
        """note_id -> text_hash for the ids already stored (whole, or as mentions)."""
        return {k: v[0] for k, v in self.stored_notes(note_ids).items()}

    def stored_notes(self, note_ids: Iterable[str]) -> dict[str, tuple[str, int, int | None]]:
        """note_id -> (text_hash, source_id, line) for the ids already stored, as a whole
        note or as the original of a note stored as its mentions."""
        ids = list(dict.fromkeys(note_ids))
        found: dict[str, tuple[str, int, int | None]] = {}
        columns = "note_id, text_hash, source_id, line"
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(
                f"select {columns} from notes where note_id in ({marks}) union all "
                f"select {columns} from note_originals where note_id in ({marks})",
                chunk + chunk,
            ).fetchall():
                found[row[0]] = tuple(row[1:])
        return found

    def insert_notes(self, notes: Iterable[Note], source_id: int | None) -> None:
        stamp = now()
        rows = []
        for note in notes:
            row = asdict(note)
            row.update(text_hash=text_hash(note.text), source_id=source_id, created_at=stamp)
            rows.append(row)
        if rows:
            self.db["notes"].insert_all(rows, batch_size=1000)

    def add_originals(
        self, originals: Iterable[tuple[Note, int, int]], source_id: int | None
    ) -> None:
        """Keep whole the notes stored as their mentions: (note, mentions, units dropped)."""
        stamp = now()
        rows = [
            {
                **{k: getattr(note, k) for k in _ORIGINAL_FIELDS},
                "text_hash": text_hash(note.text),
                "parts": parts,
                "dropped": dropped,
                "source_id": source_id,
                "created_at": stamp,
            }
            for note, parts, dropped in originals
        ]
        if rows:
            self.db["note_originals"].insert_all(rows, batch_size=1000)

    def original(self, note_id: str) -> dict | None:
        """The whole note a mention came from (given the mention's id or the note's)."""
        rows = self.db.query(
            "select * from note_originals where note_id = coalesce("
            "(select parent_id from notes where note_id = ?), ?)",
            [note_id, note_id],
        )
        return next(iter(rows), None)

    def add_rejects(self, rejects: Iterable[Reject], source_id: int | None) -> None:
        stamp = now()
        rows = [
            {
                "id": text_hash(f"{r.file}\0{r.line}\0{r.raw}\0{r.reason}")[:20],
                "source_id": source_id,
                "file": r.file,
                "line": r.line,
                "reason": r.reason,
                "raw": r.raw,
                "header": r.header,
                "created_at": stamp,
            }
            for r in rejects
        ]
        if rows:
            self.db["rejects"].upsert_all(rows, pk="id")

    def notes(self, where: str | None = None, params: Iterable = ()) -> list[dict]:
        return list(self.db["notes"].rows_where(where, list(params), order_by="rowid"))

    def count_notes(self) -> int:
        """What analysis clusters: whole notes and the mentions of split ones."""
        return self.db["notes"].count

    def count_imported(self) -> int:
        """Notes as they came in: whole ones, and each split note once."""
        return self.db.execute(
            "select (select count(*) from notes where parent_id is null)"
            " + (select count(*) from note_originals)"
        ).fetchone()[0]

    def rejects(self) -> list[dict]:
        return list(self.db["rejects"].rows_where(order_by="file, line"))

    # -- deals -----------------------------------------------------------

    # what an opportunities export says of a deal: a change to any of these updates its row
    _DEAL_FACTS = (
        "name", "account", "amount", "stage", "outcome", "created", "close_date",
        "stage_since", "loss_reason", "competitor",
    )  # fmt: skip

    def upsert_deals(self, rows: Iterable[dict], source_id: int | None) -> tuple[int, int]:
        """Store what a CRM export says of each deal, keyed by ``deal``: a new deal is
        added; a stored one is updated in the facts a row gives (a key the row lacks
        keeps its stored value) when one of them changed, and then takes this source
        and line; one whose facts are the same is left as it is. Returns (added, updated)."""
        rows = list(rows)
        ids = list(dict.fromkeys(r["deal"] for r in rows))
        stored: dict[str, dict] = {}
        facts = ", ".join(self._DEAL_FACTS)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(
                f"select deal, {facts} from deals where deal in ({marks})", chunk
            ).fetchall():
                stored[row[0]] = dict(zip(self._DEAL_FACTS, row[1:], strict=True))
        stamp = now()
        added = updated = 0
        changed = []
        for r in rows:
            given = {f: r[f] for f in self._DEAL_FACTS if f in r}
            before = stored.get(r["deal"])
            if before is not None and all(before[f] == v for f, v in given.items()):
                continue
            if before is None:
                added += 1
            else:
                updated += 1
            stored[r["deal"]] = {**dict.fromkeys(self._DEAL_FACTS), **(before or {}), **given}
            changed.append(
                {
                    "deal": r["deal"],
                    **stored[r["deal"]],
                    "source_id": source_id,
                    "line": r.get("line"),
                    "updated_at": stamp,
                }
            )
        if changed:
            self.db["deals"].upsert_all(changed, pk="deal", batch_size=500)
        return added, updated

    def deals(self) -> list[dict]:
        return list(self.db["deals"].rows_where(order_by="deal"))

    # -- assets ----------------------------------------------------------

    # what an asset says besides its text: a change to these alone rewrites the row, not
    # the passages (the path is where it was read from, which is not a change of the asset)
    _ASSET_FACTS = ("url", "type", "stage", "updated", "views", "views_column")

    def upsert_asset(self, asset: Asset, passages: list[str], source_id: int | None) -> bool:
        """Store an asset and its passages. Returns False when it was already stored unchanged.

        When only its facts changed (a new date or view count, say), the row is updated
        and its passages are kept as they are.
        """
        body_hash = text_hash(asset.title + "\0" + asset.body)
        facts = ", ".join(self._ASSET_FACTS)
        current = self.db.execute(
            f"select body_hash, {facts} from assets where asset_id = ?", [asset.asset_id]
        ).fetchone()
        row = asdict(asset)
        if current and current[0] == body_hash:
            if tuple(current[1:]) == tuple(row[f] for f in self._ASSET_FACTS):
                return False
            self.db["assets"].update(
                asset.asset_id, {f: row[f] for f in self._ASSET_FACTS + ("path",)}
            )
            return True
        row.update(body_hash=body_hash, source_id=source_id, created_at=now())
        self.db["assets"].upsert(row, pk="asset_id")
        self.db.execute("delete from passages where asset_id = ?", [asset.asset_id])
        self.db["passages"].insert_all(
            {"asset_id": asset.asset_id, "idx": i, "text": p, "text_hash": text_hash(p)}
            for i, p in enumerate(passages)
        )
        return True

    def assets(self) -> list[dict]:
        return list(self.db["assets"].rows_where(order_by="asset_id"))

    def asset_titles(self) -> dict[str, str]:
        return dict(self.db.execute("select asset_id, title from assets").fetchall())

    def best_passages(self, run_id: int) -> dict[int, str]:
        """passage id -> text, for the passages that answer a theme of this run best."""
        return dict(
            self.db.execute(
                "select id, text from passages where id in "
                "(select best_passage_id from clusters where run_id = ?)",
                [run_id],
            ).fetchall()
        )

    def passages(self) -> list[dict]:
        return list(self.db["passages"].rows_where(order_by="asset_id, idx"))

    # -- embedding cache -------------------------------------------------

    def cached_embeddings(self, model: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        wanted = list(dict.fromkeys(hashes))
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for h, dim, blob in self.db.execute(
                "select text_hash, dim, vector from embeddings "
                f"where model = ? and text_hash in ({marks})",
                [model, *chunk],
            ).fetchall():
                found[h] = np.frombuffer(blob, dtype=np.float32, count=dim)
        return found

    def cache_embeddings(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        rows = (
            {
                "model": model,
                "text_hash": h,
                "dim": int(v.shape[0]),
                "vector": np.asarray(v, dtype=np.float32).tobytes(),
            }
            for h, v in vectors.items()
        )
        self.db["embeddings"].upsert_all(rows, pk=("model", "text_hash"), batch_size=500)

    # -- analysis runs ---------------------------------------------------

    def start_run(self, model: str, params: dict, kind: str = "analysis") -> int:
        table = self.db["runs"]
        table.insert(
            {
                "started_at": now(),
                "status": "running",
                "model": model,
                "params": json.dumps(params),
                "kind": kind,
            }
        )
        return table.last_pk

    def end_run(self, run_id: int, status: str, **fields) -> None:
        self.db["runs"].update(run_id, {"status": status, "finished_at": now(), **fields})

    def latest_run(self, kind: str | None = None) -> dict | None:
        """The newest finished run (of one kind: analysis or curation, when given)."""
        where = "status = 'done'" + (" and kind = ?" if kind else "")
        rows = list(
            self.db["runs"].rows_where(where, [kind] if kind else [], order_by="id desc", limit=1)
        )
        return rows[0] if rows else None

    def runs(self) -> list[dict]:
        return list(self.db["runs"].rows_where(order_by="id"))

    def save_results(
        self,
        run_id: int,
        clusters: list[dict],
        assignments: list[dict],
        coverage: list[dict],
    ) -> None:
        with self.db.atomic():
            self.db["clusters"].insert_all(
                ({"run_id": run_id, **c} for c in clusters), batch_size=500
            )
            self.db["assignments"].insert_all(
                ({"run_id": run_id, **a} for a in assignments), batch_size=2000
            )
            self.db["coverage"].insert_all(
                ({"run_id": run_id, **c} for c in coverage), batch_size=1000
            )

    def rename_cluster(self, run_id: int, cluster_id: int, label: str) -> None:
        """Give a theme a person's name; the analysis's own name stays in auto_label."""
        label = " ".join(label.split())
        if not label:
            raise ValueError("a theme name cannot be empty")
        with self.db.atomic():
            found = self.db.execute(
                "update clusters set auto_label = coalesce(auto_label, label), label = ?, "
                "renamed_at = ? where run_id = ? and cluster_id = ?",
                [label, now(), run_id, cluster_id],
            ).rowcount
        if not found:
            raise KeyError(f"run {run_id} has no theme {cluster_id}")

    def add_edit(
        self,
        action: str,
        summary: str,
        *,
        run_id: int | None,
        who: str,
        theme_ids: Iterable[int] = (),
        note_ids: Iterable[str] = (),
        detail: dict | None = None,
    ) -> int:
        table = self.db["theme_edits"]
        table.insert(
            {
                "at": now(),
                "who": who,
                "action": action,
                "run_id": run_id,
                "theme_ids": json.dumps([int(t) for t in theme_ids]),
                "note_ids": json.dumps(list(note_ids)),
                "detail": json.dumps(detail or {}),
                "summary": summary,
            }
        )
        return table.last_pk

    def edits(self) -> list[dict]:
        """Every change people made to the themes, oldest first."""
        rows = list(self.db["theme_edits"].rows_where(order_by="id"))
        for r in rows:
            r["theme_ids"] = json.loads(r["theme_ids"] or "[]")
            r["note_ids"] = json.loads(r["note_ids"] or "[]")
            r["detail"] = json.loads(r["detail"] or "{}")
        return rows

    def save_changes(self, run_id: int, rows: list[dict]) -> None:
        self.db["theme_changes"].insert_all(
            ({"run_id": run_id, **r, "related": json.dumps(r.get("related", []))} for r in rows),
            batch_size=500,
        )

    def changes(self, run_id: int) -> list[dict]:
        rows = list(self.db["theme_changes"].rows_where("run_id = ?", [run_id]))
        for r in rows:
            r["related"] = json.loads(r["related"] or "[]")
        return rows

    def next_theme_id(self) -> int:
        """A theme id never used before in this workspace."""
        found = self.db.execute("select max(cluster_id) from clusters").fetchone()[0]
        return 0 if found is None else int(found) + 1

    def clusters(self, run_id: int) -> list[dict]:
        return list(self.db["clusters"].rows_where("run_id = ?", [run_id], order_by="cluster_id"))

    def assignments(self, run_id: int) -> list[dict]:
        return list(
            self.db.query(
                "select n.note_id, a.cluster_id, a.probability from notes n "
                "left join assignments a on a.note_id = n.note_id and a.run_id = ? "
                "order by n.rowid",
                [run_id],
            )
        )

    def coverage(self, run_id: int) -> list[dict]:
        return list(
            self.db["coverage"].rows_where("run_id = ?", [run_id], order_by="cluster_id, rank")
        )
