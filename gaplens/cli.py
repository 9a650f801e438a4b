"""The `gaplens` command: thin click commands over ingest/, analysis/ and the store.

Exit codes: 0 done; 1 an input could not be used (the message says why); 2 usage error.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import click

from gaplens.models import ASSET_FORMATS, NOTE_FORMATS, NOTE_KINDS
from gaplens.output import FORMATS, render_table, to_csv, to_json, write
from gaplens.store import DB_ENV, DEFAULT_DB, Store, resolve_db_path

REPO_DATA = Path(__file__).resolve().parent.parent / "data"
DEMO_DB = "gaplens-demo.db"


class Context:
    def __init__(self, db: str | None):
        self.db_path = db
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            try:
                self._store = Store(self.db_path)
            except Exception as exc:  # a file that is not SQLite, a folder without permission...
                raise click.ClickException(
                    f"cannot open workspace '{self.db_path or DEFAULT_DB}': {exc}"
                ) from None
        return self._store


pass_ctx = click.make_pass_decorator(Context)


def output_options(default: str = "table"):
    """--format and --out, shared by every command that prints rows."""

    def decorator(fn):
        @click.option(
            "--format",
            "fmt",
            type=click.Choice(FORMATS),
            default=default,
            show_default=True,
            help="table for people, json or csv for scripts.",
        )
        @click.option(
            "--out", type=click.Path(dir_okay=False), help="Write to FILE instead of stdout."
        )
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            return fn(*args, **kwargs)

        return wrapper

    return decorator


def core_errors(fn):
    """Turn the core's user-facing errors into clean messages with exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from analysis.curate import CurationError
        from analysis.embed import ModelError
        from analysis.incremental import ModelMismatch
        from analysis.pipeline import NothingToAnalyze
        from analysis.plan import PlanError
        from analysis.results import NoAnalysis
        from ingest import IngestError

        try:
            return fn(*args, **kwargs)
        except (
            IngestError,
            ModelError,
            NothingToAnalyze,
            NoAnalysis,
            CurationError,
            ModelMismatch,
            PlanError,
        ) as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    envvar=DB_ENV,
    type=click.Path(dir_okay=False),
    default=None,
    help=f"Workspace file (SQLite). Default: ${DB_ENV} or ./{DEFAULT_DB}.",
)
@click.version_option(package_name="gaplens")
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    """gaplens: find the prospect questions and objections your content does not answer.

    \b
    Typical session:
      gaplens ingest notes exports/*.csv          # what sales hears
      gaplens ingest assets content/              # what marketing has
      gaplens analyze                             # themes, coverage, gaps
      gaplens gaps                                # ranked content gaps
      gaplens report --format html --out q.html   # the quarterly planning report
    """
    ctx.obj = Context(db)
    ctx.call_on_close(lambda: ctx.obj._store.close() if ctx.obj._store else None)


# -- ingest ----------------------------------------------------------------


@cli.group()
def ingest() -> None:
    """Import notes (what sales hears), content assets (what marketing has) or deals (the CRM)."""


def _print_summaries(summaries, what: str) -> int:
    """Print one line per file and a total; return the exit code."""
    failed = 0
    for s in summaries:
        if s.error:
            failed += 1
            click.secho(f"error: {s.error}", fg="red", err=True)
            continue
        line = f"{s.file}: {s.added} added, {s.present} already present, {s.rejected} rejected"
        if s.masked:
            line += f", {s.masked} with emails/phone numbers masked"
        click.echo(line + (f" [{s.format}]" if s.format else ""))
        if getattr(s, "split", 0) and len(summaries) == 1:
            click.echo(f"  {_split_line(s.split, s.mentions)}")
        for r in s.rejects[:5]:
            where = f"line {r.line}" if r.line else "file"
            click.secho(f"  rejected {where}: {r.reason}", fg="yellow", err=True)
        if s.rejected > 5:
            click.secho(f"  ... and {s.rejected - 5} more", fg="yellow", err=True)
    added = sum(s.added for s in summaries)
    present = sum(s.present for s in summaries)
    rejected = sum(s.rejected for s in summaries)
    masked = sum(getattr(s, "masked", 0) for s in summaries)
    if len(summaries) > 1:
        click.echo(
            f"total: {added} {what} added, {present} already present, {rejected} rejected"
            + (f", {masked} with emails/phone numbers masked" if masked else "")
        )
    split = sum(getattr(s, "split", 0) for s in summaries)
    if len(summaries) > 1 and split:
        click.echo(f"  {_split_line(split, sum(s.mentions for s in summaries))}")
    if rejected:
        click.echo("see the rejected rows and their reasons with: gaplens rejects", err=True)
    return 1 if failed else 0


def _split_line(split: int, mentions: int) -> str:
    notes = "1 long note" if split == 1 else f"{split} long notes"
    return (
        f"{notes} split into {mentions} mentions: the questions and objections they raise, "
        "analysed one by one (small talk and logistics are kept but not analysed)"
    )


@ingest.command("notes")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--kind",
    type=click.Choice(NOTE_KINDS),
    help="Kind for every note (else from a kind column or the file).",
)
@click.option(
    "--map",
    "mapping",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Use COLUMN for FIELD (text, id, date, deal, account, amount, stage, outcome, "
    "rep, competitor, kind). Repeatable.",
)
@click.option(
    "--stage",
    "stages",
    multiple=True,
    metavar="VALUE=OUTCOME",
    help="What a deal stage value means: won, lost or open, e.g. --stage 158829339=lost "
    "for a HubSpot custom pipeline's stage id. Repeatable.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(NOTE_FORMATS),
    help="Read every file as FORMAT instead of telling each file's format from its "
    "content (a file it does not fit is reported).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Read and parse, write nothing: show each file's format, column mapping, "
    "first notes and the rows that would be rejected.",
)
@click.option(
    "--no-assign",
    is_flag=True,
    help="Do not place the new notes in the current themes (they wait for the next analysis).",
)
@click.option(
    "--keep-pii",
    is_flag=True,
    help="Keep emails and phone numbers in the note text (by default they are masked "
    "as [email] and [phone]).",
)
@pass_ctx
@core_errors
def ingest_notes(
    ctx: Context, paths, kind, mapping, stages, fmt, dry_run, no_assign, keep_pii
) -> None:
    """Import sales notes from CSV, JSON, JSONL, .txt/.md files or folders of them.

    Salesforce opportunity reports and HubSpot deal exports are recognised by
    their columns; Gong transcripts by their content (pass the call details file
    from /v2/calls/extensive with them). Re-importing a file adds nothing. Rows
    that cannot be used are kept with their reason (see `gaplens rejects`); every
    good row still lands. When the workspace has been analysed, the new notes are
    placed in its themes at once (or held as emerging), as `gaplens analyze
    --incremental` would. Emails and phone numbers in the note text are masked
    unless --keep-pii. --dry-run shows what would be imported and writes nothing.
    """
    from ingest import import_notes, parse_mapping, parse_stages

    options = dict(
        kind=kind,
        mapping=parse_mapping(list(mapping)),
        stages=parse_stages(list(stages)),
        fmt=fmt,
        keep_pii=keep_pii,
    )
    if dry_run:
        sys.exit(_preview_notes(ctx, list(paths), options))
    with _progress("importing") as bar:
        summaries = import_notes(ctx.store, list(paths), on_progress=bar, **options)
    code = _print_summaries(summaries, "notes")
    if not no_assign and sum(s.added for s in summaries) and ctx.store.latest_run():
        from analysis.embed import ModelError

        try:
            _place_new(ctx.store)
        except ModelError as exc:  # the notes are in; only their placement has to wait
            click.secho(f"the notes are imported but could not be placed now: {exc}", err=True)
            click.echo("they get their themes with the next 'gaplens analyze'", err=True)
    sys.exit(code)


def _preview_notes(ctx: Context, paths: list[str], options: dict) -> int:
    """Print what importing these notes would do, file by file; the exit code an import
    would have."""
    from ingest import preview_notes

    with _progress("reading") as bar:
        previews = preview_notes(
            paths, store_path=resolve_db_path(ctx.db_path), on_progress=bar, **options
        )
    for p in previews:
        if p.error:
            click.secho(f"error: {p.error}", fg="red", err=True)
            continue
        _echo_columns(p)
        for line in p.about:
            click.echo(f"  {line}")
        if p.mapping:  # a file of notes (Gong call details have none of their own)
            shown = f"; the first {len(p.notes)}" if p.total > len(p.notes) else ""
            click.echo(f"  {p.total} note{'s' * (p.total != 1)} would be imported{shown}:")
        for n in p.notes:
            stage = f"{n.stage} ({n.outcome})" if n.stage and n.outcome else n.stage or n.outcome
            facts = [n.note_id, n.kind, n.date, n.deal, n.account, _plain_amount(n.amount), stage]
            click.echo("    " + " | ".join(f or "-" for f in facts))
            text = " ".join(n.text.split())
            cut = text if len(text) <= 70 else text[:69].rstrip() + "\u2026"
            click.echo(f"      {cut}")
        _echo_would_reject(p.rejected, p.rejects, 3)
    click.echo("dry run: nothing was written")
    return 1 if any(p.error for p in previews) else 0


def _echo_columns(p) -> None:
    """A dry run's file line and which column fills each field (notes and deals)."""
    click.echo(f"{p.file}: {p.format}")
    width = max((len(f) for f, _ in p.mapping), default=0)
    for field, source in p.mapping:
        click.echo(f"  {field.ljust(width)} \u2190 {source}")
    if p.unused:
        click.echo(f"  not used: {', '.join(p.unused)}")


def _echo_would_reject(count: int, rejects, limit: int) -> None:
    if count:
        click.echo(f"  {count} row{'s' * (count != 1)} would be rejected:")
        for r in rejects[:limit]:
            click.echo(f"    {'line ' + str(r.line) if r.line else 'file'}: {r.reason}")


def _plain_amount(amount: float | None) -> str:
    return "" if amount is None else f"{amount:,.2f}".removesuffix(".00")


def _place_new(store, model=None):
    """Place the notes the current analysis has not seen; say what happened and what is due."""
    from analysis.incremental import assign_new_notes

    embedder = None
    if model:
        from analysis.embed import SentenceTransformerEmbedder

        embedder = SentenceTransformerEmbedder(model)
    with _progress("placing new notes") as bar:
        result = assign_new_notes(
            store, embedder=embedder, on_progress=lambda d, t: bar("embedding", d, t)
        )
    if result.placements:
        click.echo(
            f"placed {len(result.placements)} new notes: {result.joined} joined a theme, "
            f"{result.emerging} emerging ({result.pool} waiting in the emerging pool)"
        )
    if result.due:
        click.echo(f"a full analysis is due: {result.due}.  run: gaplens analyze")
    return result


@ingest.command("assets")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(ASSET_FORMATS),
    help="Read every file given as this format, whatever its name says.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Read and parse everything but write nothing: show each file's format, an "
    "inventory's columns and the first assets.",
)
@pass_ctx
@core_errors
def ingest_assets(ctx: Context, paths, fmt, dry_run) -> None:
    """Import content assets: CSV inventories, .md/.txt/.html/.pdf/.docx files, sitemap.xml
    files, or folders of them.

    A file's content decides how it is read (an HTML page saved as .txt is read as
    HTML); --format reads every file as one format. Re-importing adds nothing. A
    sitemap's pages become assets with a URL, a date and a title made from the URL
    (nothing is fetched); a page whose URL another asset holds is not added again.
    """
    if dry_run:
        sys.exit(_preview_assets(ctx, list(paths), fmt))
    from ingest import import_assets

    with _progress("importing") as bar:
        summaries = import_assets(ctx.store, list(paths), on_progress=bar, fmt=fmt)
    code = _print_summaries(summaries, "assets")
    if any(s.added for s in summaries) and ctx.store.latest_run():
        _rematch(ctx.store)
    sys.exit(code)


def _rematch(store) -> None:
    """New content: match the themes against it now and say which gaps it closed."""
    from analysis.overrides import status_text
    from analysis.pipeline import rematch_content
    from analysis.plan import publish_proposals

    with _progress("matching themes to the new content") as bar:
        bar("matching", 0, None)
        result = rematch_content(store)
    click.echo(f"gaps: {result.gaps_before} -> {result.gaps_after}")
    for _, label, was, now in result.changed:
        click.echo(f"  {label}: {status_text(was)} -> {status_text(now)}")
    for p in publish_proposals(store):
        click.echo(
            f"plan item {p.item.id} ({p.item.label}) looks published: {p.reason}. "
            f"Mark it: gaplens plan publish {p.item.id} --asset {p.asset_id}"
        )


def _preview_assets(ctx: Context, paths: list[str], fmt: str | None) -> int:
    """Print what importing would do, file by file; the exit code an import would have."""
    from ingest.assets import preview_assets

    previews = preview_assets(paths, fmt=fmt, workspace=resolve_db_path(ctx.db_path))
    for p in previews:
        if p.error:
            click.secho(f"error: {p.error}", fg="red", err=True)
            continue
        click.echo(f"{p.file}: {p.format}" + (f" (named {p.named})" if p.named else ""))
        if p.note:
            click.echo("  " + p.note.replace("\n", "\n  "))
        for field, column in p.columns:
            click.echo(f"  {field} \u2190 {column}")
        for a in p.assets:
            views = f"{a.views:,} views" if a.views is not None else "no views"
            click.echo(
                f"  {a.asset_id} | {a.title} | type {a.type or '-'} | stage {a.stage or '-'} "
                f"| updated {a.updated or '-'} | {views} | body {len(a.body):,} chars"
            )
        more = [f"{p.total} assets in all"] if p.total > len(p.assets) else []
        if p.present:
            more.append(f"{p.present} already held by another asset")
        if p.rejects:
            more.append(f"{len(p.rejects)} rejected")
        if more:
            click.echo("  " + ", ".join(more))
        for r in p.rejects[:5]:
            where = f"line {r.line}" if r.line else "file"
            click.secho(f"  would reject {where}: {r.reason}", fg="yellow", err=True)
    click.echo("dry run: nothing was written")
    return 1 if any(p.error for p in previews) else 0


@ingest.command("deals")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--stage",
    "stages",
    multiple=True,
    metavar="VALUE=OUTCOME",
    help="What a deal stage value means: won, lost or open, e.g. --stage 158829339=lost "
    "for a HubSpot custom pipeline's stage id. Repeatable.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Read and parse, write nothing: show which column fills each field, the first "
    "deals and the rows that would be rejected.",
)
@pass_ctx
@core_errors
def ingest_deals(ctx: Context, paths, stages, dry_run) -> None:
    """Import deal facts from a CRM opportunities export (CSV, JSON, JSONL or folders).

    One row per deal: id, name, account, amount, stage, outcome (won, lost or open;
    from the stage when the export has no outcome column), created, close date,
    when it entered its current stage, loss reason and competitor, recognised by
    their column names (Salesforce reports, HubSpot deals). Gives won deals and
    stuck deals to the revenue a theme touches. Re-importing adds nothing; a newer
    export updates the deals it changed. Rows that cannot be used are kept with
    their reason (see `gaplens rejects`).
    """
    from ingest.deals import import_deals

    if dry_run:
        sys.exit(_preview_deals(ctx, list(paths), list(stages)))
    with _progress("importing") as bar:
        summaries = import_deals(ctx.store, list(paths), stages=list(stages), on_progress=bar)
    sys.exit(_print_summaries(summaries, "deals"))


def _preview_deals(ctx: Context, paths: list[str], stages: list[str]) -> int:
    """Print what importing these exports would do, file by file; the exit code an
    import would have."""
    from ingest.deals import preview_deals

    previews = preview_deals(paths, stages=stages, workspace=resolve_db_path(ctx.db_path))
    for p in previews:
        if p.error:
            click.secho(f"error: {p.error}", fg="red", err=True)
            continue
        _echo_columns(p)
        shown = f"; the first {len(p.deals)}" if p.total > len(p.deals) else ""
        click.echo(f"  {p.total} deal{'s' * (p.total != 1)} would be imported{shown}:")
        for d in p.deals:
            stage = f"{d.stage} ({d.outcome})" if d.stage else d.outcome
            since = f"since {d.stage_since}" if d.stage_since else ""
            facts = [d.deal, d.name, d.account, _plain_amount(d.amount), stage, since, d.close_date]
            click.echo("    " + " | ".join(f or "-" for f in facts))
        _echo_would_reject(len(p.rejects), p.rejects, 5)
    click.echo("dry run: nothing was written")
    return 1 if any(p.error for p in previews) else 0


@cli.command()
@click.argument("text")
@click.option("--kind", type=click.Choice(NOTE_KINDS), default="call-note", show_default=True)
@click.option("--deal", help="Deal or opportunity id.")
@click.option("--account", help="Account / company.")
@click.option("--rep", help="Who heard it.")
@click.option("--amount", help="Deal value, e.g. 48000 or $48,000.")
@click.option("--date", help="When it was heard (default today).")
@click.option("--competitor", help="Competitor named.")
@click.option("--stage", help="Deal stage when it was heard.")
@click.option(
    "--no-assign", is_flag=True, help="Do not place the note in a theme now (skips the model)."
)
@click.option(
    "--keep-pii",
    is_flag=True,
    help="Keep emails and phone numbers in the note text (by default they are masked "
    "as [email] and [phone]).",
)
@pass_ctx
@core_errors
def note(
    ctx: Context,
    text,
    kind,
    deal,
    account,
    rep,
    amount,
    date,
    competitor,
    stage,
    no_assign,
    keep_pii,
) -> None:
    """Add one note a rep heard. TEXT '-' reads the note from stdin.

    Emails and phone numbers in TEXT are masked unless --keep-pii.
    """
    from ingest import add_typed_note

    if text == "-":
        text = sys.stdin.read()
    stored = add_typed_note(
        ctx.store,
        text,
        kind=kind,
        deal=deal,
        account=account,
        rep=rep,
        amount=amount,
        date=date,
        competitor=competitor,
        stage=stage,
        keep_pii=keep_pii,
    )
    masked = f", {stored.masked} emails/phone numbers masked" if stored.masked else ""
    click.echo(f"saved note {stored.note_id} ({stored.kind}{masked})")
    original = ctx.store.original(stored.note_id)
    if original is not None:
        click.echo(
            f"it raises {original['parts']} things, analysed one by one as "
            + ", ".join(f"{stored.note_id}#{k}" for k in range(1, original["parts"] + 1))
            if original["parts"]
            else "it holds no question or objection: kept, but not analysed"
        )
    if not no_assign and ctx.store.latest_run():
        result = _place_new_one(ctx.store, stored.note_id)
        if result:
            click.echo(result)


# -- analysis --------------------------------------------------------------


@cli.command()
@click.option(
    "--model", help="sentence-transformers model name or path (default: bundled all-MiniLM-L6-v2)."
)
@click.option(
    "--gap-threshold",
    type=click.FloatRange(0, 1),
    default=None,
    help="A theme is a gap when its coverage is below this "
    "(default: the last analysis's, else 0.5).",
)
@click.option("--refit", is_flag=True, help="Always fit a new map, even when few notes are new.")
@click.option(
    "--incremental",
    is_flag=True,
    help="Only place the notes that arrived since the last analysis in its themes; "
    "a full analysis follows when one is due (see README, 'Themes over time').",
)
@click.option(
    "--stop-word",
    "stop_words",
    multiple=True,
    metavar="WORD",
    help="Keep WORD out of theme labels (your company or product names). Repeatable; "
    "kept for later analyses until you give others.",
)
@pass_ctx
@core_errors
def analyze(ctx: Context, model, gap_threshold, refit, incremental, stop_words) -> None:
    """Embed, cluster and label the notes, match themes to content, rank gaps.

    Themes keep their ids (and names, and people's edits) from one analysis to
    the next; `gaplens changes` shows what this one did to them.
    """
    import json

    from analysis.coverage import DEFAULT_GAP_THRESHOLD
    from analysis.pipeline import run_analysis

    last = ctx.store.latest_run()
    if incremental and last:
        result = _place_new(ctx.store, model)
        if not result.placements and not result.due:
            click.echo("no new notes since the last analysis")
        if not result.due:
            return
        click.echo("running the full analysis now")
    last_params = json.loads(last["params"] or "{}") if last else {}
    if gap_threshold is None:
        gap_threshold = last_params.get("gap_threshold")
    if not stop_words:
        stop_words = tuple(last_params.get("stop_words") or ())
    threshold = DEFAULT_GAP_THRESHOLD if gap_threshold is None else gap_threshold
    with _progress("analysing") as bar:
        result = run_analysis(
            ctx.store,
            model=model,
            gap_threshold=threshold,
            refit=refit,
            stop_words=stop_words,
            on_progress=lambda p: bar(p.stage, p.done, p.total),
        )
    click.echo(
        f"analysed {result.n_notes} notes in {result.seconds:.1f}s: {result.n_clusters} themes, "
        f"{result.n_unclustered} unclustered, {result.n_gaps} gaps "
        f"({result.embedded} texts embedded, the rest from cache"
        f"{'; map reused' if result.reused_map else ''})"
    )
    from analysis.themes import change_counts

    counts = change_counts(ctx.store.changes(result.run_id))
    if counts:
        click.echo(f"themes since the last analysis: {counts}  (details: gaplens changes)")
    click.echo("next: gaplens gaps   (or gaplens clusters)")


def _place_new_one(store, note_id: str) -> str | None:
    """Place one typed note; a line saying where it went."""
    from analysis.incremental import assign_new_notes

    result = assign_new_notes(store, note_ids=[note_id])
    if not result.placements:
        return None
    lines = []
    for p in result.placements:  # one per mention when the note was split
        label = _label_of(store, result.run_id, p.nearest_id)
        which = f"{p.note_id}: " if len(result.placements) > 1 else ""
        if p.theme_id is not None:
            lines.append(
                f"{which}placed in theme {p.theme_id} '{label}' "
                f"(similarity {p.similarity:.2f}, confidence {p.confidence:.0%})"
            )
        else:
            lines.append(
                f"{which}fits no theme yet: emerging (closest: {p.nearest_id} '{label}', "
                f"similarity {p.similarity:.2f})"
            )
    line = "\n".join(lines)
    if result.due:
        line += f"\na full analysis is due: {result.due}.  run: gaplens analyze"
    return line


def _label_of(store, run_id: int, theme_id: int | None) -> str:
    if theme_id is None:
        return ""
    row = store.db.execute(
        "select label from clusters where run_id = ? and cluster_id = ?", [run_id, theme_id]
    ).fetchone()
    return row[0] if row else "?"


# -- themes: curation --------------------------------------------------------


@cli.group()
def themes() -> None:
    """Change the themes by hand: rename, merge, split, move notes, triage.

    \b
    Every change is recorded (who, when, what; see `gaplens themes log`) and
    replayed by each later analysis, so it survives re-analysis. Who: $GAPLENS_USER,
    else your login name.
    """


@themes.command("rename")
@click.argument("theme_id", type=int)
@click.argument("name", nargs=-1, required=True)
@pass_ctx
@core_errors
def themes_rename(ctx: Context, theme_id, name) -> None:
    """Name theme THEME_ID (e.g. gaplens themes rename 4 SSO / SAML support)."""
    from analysis.curate import rename_theme

    click.echo(rename_theme(ctx.store, theme_id, " ".join(name)).summary)


@themes.command("merge")
@click.argument("target", type=int)
@click.argument("sources", type=int, nargs=-1, required=True)
@pass_ctx
@core_errors
def themes_merge(ctx: Context, target, sources) -> None:
    """Merge the SOURCES themes into TARGET, which keeps its id and name."""
    from analysis.curate import merge_themes

    click.echo(merge_themes(ctx.store, target, list(sources)).summary)


@themes.command("split")
@click.argument("theme_id", type=int)
@click.option(
    "--parts",
    type=click.IntRange(2, 6),
    default=None,
    help="How many parts (default: the clearest split, 2 to 6).",
)
@pass_ctx
@core_errors
def themes_split(ctx: Context, theme_id, parts) -> None:
    """Re-cluster THEME_ID's notes into parts; the largest keeps the id and name."""
    from analysis.curate import split_theme

    change = split_theme(ctx.store, theme_id, parts)
    click.echo(change.summary)
    rows = {c["cluster_id"]: c for c in ctx.store.clusters(change.run_id)}
    for t in change.theme_ids:
        click.echo(f"  [{t}] {rows[t]['label']}  ({rows[t]['size']} notes)")


@themes.command("move")
@click.argument("note_ids", nargs=-1, required=True)
@click.option("--to", "theme_id", type=int, required=True, help="The theme to put them in.")
@pass_ctx
@core_errors
def themes_move(ctx: Context, note_ids, theme_id) -> None:
    """Put NOTE_IDS in a theme (also how an unclustered note is assigned)."""
    from analysis.curate import move_notes

    click.echo(move_notes(ctx.store, list(note_ids), theme_id).summary)


@themes.command("unclustered")
@output_options()
@click.option("--limit", type=int, default=50, show_default=True, help="Show at most N notes.")
@pass_ctx
@core_errors
def themes_unclustered(ctx: Context, fmt, out, limit) -> None:
    """Notes no theme took (and emerging ones), each with its closest theme: triage.

    Assign one with: gaplens themes move NOTE_ID --to THEME_ID
    """
    from analysis.results import current_run, unclustered_rows

    rows = unclustered_rows(ctx.store, current_run(ctx.store)["id"])
    total = len(rows)
    rows = rows[:limit] if limit else rows
    after = (
        f"\n{total} notes without a theme"
        + (f", {len(rows)} shown (most similar to a theme first)" if len(rows) < total else "")
        + ".  assign one: gaplens themes move NOTE_ID --to THEME_ID\n"
    )
    _emit(
        rows,
        fmt,
        out,
        ["note_id", "status", "nearest_id", "nearest_label", "similarity", "text"],
        [
            ("note_id", "note"),
            ("status", "status"),
            ("nearest_id", "closest"),
            ("nearest_label", "closest theme"),
            ("similarity", "sim"),
            ("text", "text"),
        ],
        title="Notes without a theme",
        after=after,
    )


@themes.command("log")
@output_options()
@pass_ctx
@core_errors
def themes_log(ctx: Context, fmt, out) -> None:
    """Every change people made to the themes: who, when, what."""
    rows = ctx.store.edits()
    if fmt == "table" and not rows:
        return write("no changes made to the themes yet\n", out)
    _emit(
        rows,
        fmt,
        out,
        ["id", "at", "who", "action", "theme_ids", "note_ids", "summary"],
        [("at", "when"), ("who", "who"), ("action", "action"), ("summary", "what")],
    )


@cli.command()
@output_options()
@click.option("--run", "run_id", type=int, default=None, help="A run id (default: the latest).")
@click.option("--all", "show_all", is_flag=True, help="Also list themes that stayed the same.")
@pass_ctx
@core_errors
def changes(ctx: Context, fmt, out, run_id, show_all) -> None:
    """What the last re-analysis did to the themes: new, grown, shrunk, merged, split, vanished."""
    from analysis.results import current_run
    from analysis.themes import describe_change, sort_changes

    run = ctx.store.latest_run("analysis") if run_id is None else {"id": run_id}
    if run is None:
        current_run(ctx.store)  # says what to do first
    rows = ctx.store.changes(run["id"])
    if not rows:
        return write(
            f"run {run['id']} was the first analysis (or is not one): nothing to compare\n", out
        )
    rows = sort_changes(rows)
    for r in rows:
        r["what"] = describe_change(r)
    shown = rows if show_all or fmt != "table" else [r for r in rows if r["change"] != "same"]
    same = len(rows) - len(shown)
    _emit(
        shown,
        fmt,
        out,
        ["theme_id", "change", "label", "before", "after", "related", "what"],
        [("theme_id", "id"), ("change", "change"), ("label", "theme"), ("what", "what happened")],
        title=f"What analysis run {run['id']} did to the themes",
        after=f"\n{same} themes stayed the same (--all lists them)\n" if same else None,
    )


CLUSTER_COLUMNS = [
    ("cluster_id", "id"),
    ("label", "theme"),
    ("size", "notes"),
    ("deals", "deals"),
    ("amount", "amount"),
    ("coverage", "coverage"),
    ("best_asset_title", "closest content"),
]
GAP_COLUMNS = [
    ("rank", "#"),
    ("label", "theme"),
    ("size", "notes"),
    ("deals", "deals"),
    ("accounts", "accts"),
    ("amount", "amount"),
    ("coverage", "coverage"),
    ("status", "status"),
    ("best_asset_title", "closest content"),
    ("score", "score"),
]
CLUSTER_FIELDS = [
    "cluster_id",
    "label",
    "size",
    "deals",
    "accounts",
    "amount",
    "keywords",
    "kinds",
    "first_date",
    "last_date",
    "coverage",
    "is_gap",
    "best_asset_id",
    "best_asset_title",
    "score",
    "assets",
    "examples",
]
GAP_FIELDS = [
    "rank",
    "cluster_id",
    "label",
    "size",
    "deals",
    "accounts",
    "amount",
    "recent_share",
    "coverage",
    "is_gap",
    "status",
    "best_asset_id",
    "best_asset_title",
    "best_passage",
    "demand",
    "momentum",
    "score",
]


def _emit(rows, fmt, out, fields, columns, title=None, after=None):
    if fmt == "json":
        write(to_json([{k: r.get(k) for k in fields} for r in rows]), out)
    elif fmt == "csv":
        write(to_csv(rows, fields), out)
    else:
        text = render_table(rows, columns, title=title, width=_width())
        if after:
            text += after
        write(text, out)


def _width() -> int:
    try:
        return max(80, min(os.get_terminal_size().columns, 160))
    except OSError:
        return 120


@cli.command()
@output_options()
@click.option(
    "--examples", default=3, show_default=True, help="Quotes shown per theme in the table."
)
@pass_ctx
@core_errors
def clusters(ctx: Context, fmt, out, examples) -> None:
    """The themes found by the last analysis, with keywords and quotes."""
    from analysis.results import cluster_rows, current_run

    run = current_run(ctx.store)
    rows = cluster_rows(ctx.store, run["id"], examples=max(examples, 5))
    if fmt != "table":
        return _emit(rows, fmt, out, CLUSTER_FIELDS, CLUSTER_COLUMNS)
    lines = []
    for r in rows:
        lines.append(
            f"\n[{r['cluster_id']}] {r['label']}  —  {r['size']} notes, {r['deals']} deals, "
            f"coverage {r['coverage']:.2f}{'  GAP' if r['is_gap'] else ''}"
        )
        lines.append(f"    keywords: {', '.join(r['keywords'])}")
        for e in r["examples"][:examples]:
            text = " ".join(e["text"].split())
            quote = text[:150] + ("…" if len(text) > 150 else "")
            lines.append(f"    “{quote}”  ({e['kind']}, {e['date'] or 'undated'})")
    lines.append(f"\n{run['n_unclustered']} notes unclustered (see: gaplens export assignments)\n")
    _emit(rows, fmt, out, CLUSTER_FIELDS, CLUSTER_COLUMNS, title="Themes", after="\n".join(lines))


@cli.command()
@output_options()
@click.option("--all", "show_all", is_flag=True, help="Rank every theme, not only gaps.")
@click.option("--limit", type=int, default=None, help="Show the top N.")
@pass_ctx
@core_errors
def gaps(ctx: Context, fmt, out, show_all, limit) -> None:
    """Themes ranked by gap score: demand x momentum x (1 - coverage).

    The table shows the gaps; --all ranks covered themes too. JSON and CSV
    always carry every theme with is_gap set, ordered by score.
    """
    from analysis.results import gap_rows

    rows = gap_rows(ctx.store)
    if fmt == "table" and not show_all:
        rows = [r for r in rows if r["is_gap"]]
    if limit:
        rows = rows[:limit]
    after = "\nscore = 100 × demand × momentum × (1 − coverage); see README, 'Gap score'.\n"
    _emit(
        rows,
        fmt,
        out,
        GAP_FIELDS,
        GAP_COLUMNS,
        title="Content gaps, most urgent first",
        after=after,
    )


TREND_FIELDS = [
    "quarter",
    "previous_quarter",
    "theme_id",
    "label",
    "status",
    "previous",
    "this",
    "previous_share",
    "share",
    "change",
    "p_value",
    "reason",
    "fired",
    "change_p",
    "trend_p",
    "first_quarter",
    "counts",
    "previous_total",
    "total",
    "partial",
    "through",
]


@cli.command()
@output_options()
@click.option(
    "--quarter", help="The quarter to report, e.g. 2026Q3 (default: the newest with notes)."
)
@click.option(
    "--window",
    type=click.IntRange(2, 40),
    default=6,
    show_default=True,
    help="Quarters of history per theme, the reported one last.",
)
@pass_ctx
@core_errors
def trends(ctx: Context, fmt, out, quarter, window) -> None:
    """Which themes rose, fell or appeared in a quarter, against the quarter before
    and over the last four.

    A theme is rising or falling only when its share of the quarter's notes moved
    more than chance moves it at that volume, so a busier quarter does not lift
    every theme: against the quarter before (an exact binomial test) or over the
    last four quarters (a Cochran-Armitage trend test), each at p < 0.025 so that
    together they flag a theme whose share holds still 5% of the time. New: no
    note before the quarter and at least 3 in it; quiet: under 3 notes a quarter.
    """
    from analysis.trends import ALPHA, QUIET_BELOW, TREND_SPAN, theme_trends
    from gaplens.output import sparkline

    try:
        report = theme_trends(ctx.store, quarter, window=window)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    rows = []
    for t in report.themes:
        change = t.change
        rows.append(
            {
                "quarter": report.quarter,
                "previous_quarter": report.previous,
                "theme_id": t.theme_id,
                "label": t.label,
                "status": t.status,
                "previous": t.previous,
                "this": t.this,
                "previous_share": round(t.previous_share, 4),
                "share": round(t.share, 4),
                "change": None if change is None else round(change, 3),
                "p_value": None if t.p_value is None else float(f"{t.p_value:.4g}"),
                "reason": t.reason,
                "fired": list(t.fired),
                "change_p": None if t.change_p is None else float(f"{t.change_p:.4g}"),
                "trend_p": None if t.trend_p is None else float(f"{t.trend_p:.4g}"),
                "first_quarter": t.first_quarter,
                "counts": dict(t.counts),
                "previous_total": report.previous_total,
                "total": report.total,
                "partial": report.partial,
                "through": report.through,
                # the table's own cells
                "spark": sparkline([n for _, n in t.counts]),
                "shares": f"{t.previous_share:.1%} → {t.share:.1%}",
            }
        )
    if fmt != "table":
        return _emit(rows, fmt, out, TREND_FIELDS, [])

    def moved(t) -> str:
        if t.fired == ("trend",):
            return f"{t.previous} → {t.this}, {len(report.span)}-quarter trend"
        return f"{t.previous} → {t.this}"

    flagged = [
        f"{what}: " + ", ".join(f"{t.label} ({moved(t)})" for t in themes)
        for what, themes in (
            ("new", report.new),
            ("rising", report.rising),
            ("falling", report.falling),
        )
        if themes
    ]
    lines = [
        f"{report.quarter} vs {report.previous}: {report.total} notes vs {report.previous_total}",
        "; ".join(flagged) or "no new theme, and none rose or fell by more than chance",
    ]
    if report.partial:
        lines.append(
            f"{report.quarter} is not over in the data: its notes run to {report.through} "
            "(shares are compared, so fewer notes alone do not make a theme fall)"
        )
    columns = [
        ("label", "theme"),
        ("spark", f"{report.quarters[0]}–{report.quarters[-1]}"),
        ("previous", report.previous),
        ("this", report.quarter),
        ("shares", "share of notes"),
        ("status", "status"),
        ("reason", "why"),
    ]
    after = (
        "\nrising/falling: the share moved more than chance would at that volume, against "
        f"the quarter before (exact binomial test) or over the last {TREND_SPAN} quarters "
        f"(Cochran-Armitage trend test), each at p < {ALPHA / 2:g}, so together they flag "
        f"a theme whose share holds still {ALPHA:.0%} of the time; quiet: under "
        f"{QUIET_BELOW} notes a quarter.\n"
    )
    table = render_table(rows, columns, width=_width())
    write("\n".join(lines) + "\n\n" + table + after, out)


@cli.command("report")
@click.option(
    "--quarter", help="The quarter to report, e.g. 2026Q3 (default: the newest with notes)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "html", "csv"]),
    default="md",
    show_default=True,
    help="md to paste into a wiki; html, one self-contained page to share or print; "
    "csv, one row per theme with every number.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="Write to FILE. Without it md and csv print to stdout, and html is written to "
    "gaplens-report-QUARTER.html in the current folder.",
)
@click.option(
    "--top",
    type=click.IntRange(1, 200),
    default=10,
    show_default=True,
    help="Gaps briefed in full.",
)
@click.option(
    "--stuck-days",
    type=click.IntRange(1, None),
    default=None,
    help="An open deal longer than this in one stage is stuck (default: the stuck_days "
    "setting, else 60).",
)
@pass_ctx
@core_errors
def report_cmd(ctx: Context, quarter, fmt, out, top, stuck_days) -> None:
    """The quarterly content-planning report: what to write next, and why.

    For one quarter (default: the newest with notes), read as of its last day:
    the headline (notes heard, themes, gaps, the money riding on the gaps,
    the baseline win rate); a brief for each top gap (the prospects' question,
    five quotes, deals and money, win rate against the baseline, where deals
    stalled, competitors, trend, the closest content and what it misses, the
    suggested format and funnel stage, its plan item); every theme's trend and
    revenue impact; what was planned for the quarter and what happened; the
    plan board; and content nobody's questions need.

    \b
    Bring it to the planning meeting, pick gaps from the briefs, put them on
    the plan ('gaplens plan add'); next quarter's report shows what came of them.
      gaplens report --format html --out q3.html     # share, or print on A4
      gaplens report --quarter 2026Q2 > q2.md        # paste into the wiki
      gaplens report --format csv --out themes.csv   # every number, per theme
    """
    from analysis.report import build_report
    from gaplens.report import write_report

    try:
        planning = build_report(ctx.store, quarter, top=top, stuck_days=stuck_days)
    except ValueError as exc:  # a quarter that cannot be read or has no notes
        raise click.ClickException(str(exc)) from None
    clusters = ctx.store.clusters(planning.run_id) if fmt == "csv" else None
    try:
        path = write_report(planning, fmt, out, clusters=clusters)
    except OSError as exc:
        raise click.ClickException(f"cannot write the report: {exc}") from None
    if path is not None:
        click.echo(f"wrote {path} ({len(planning.gaps)} gaps)", err=True)


@cli.command()
@click.argument("what", type=click.Choice(["assignments", "clusters", "gaps", "notes"]))
@output_options(default="csv")
@pass_ctx
@core_errors
def export(ctx: Context, what, fmt, out) -> None:
    """Export analysis results or notes (CSV by default)."""
    from analysis import results

    if what == "assignments":
        rows = results.assignment_rows(ctx.store)
        fields = ["note_id", "cluster_id", "cluster_label", "probability"]
        columns = [(f, f) for f in fields]
    elif what == "clusters":
        rows, fields, columns = results.cluster_rows(ctx.store), CLUSTER_FIELDS, CLUSTER_COLUMNS
    elif what == "gaps":
        rows, fields, columns = results.gap_rows(ctx.store), GAP_FIELDS, GAP_COLUMNS
    else:
        rows = results.note_rows(ctx.store)
        fields = list(results.NOTE_FIELDS) + ["cluster_id"]
        columns = [
            ("note_id", "id"),
            ("kind", "kind"),
            ("date", "date"),
            ("deal", "deal"),
            ("text", "text"),
        ]
    _emit(rows, fmt, out, fields, columns)


@cli.command()
@output_options()
@click.option(
    "--export",
    "export_to",
    type=click.Path(dir_okay=False),
    help="Write the rejected rows as they were written, to fix and import again: "
    "FILE.csv takes the CSV rows (under their header), FILE.jsonl the JSON/JSONL rows, "
    "FILE.txt or .md the text notes.",
)
@click.option(
    "--file",
    "source",
    metavar="SOURCE",
    help="Only the rows rejected from SOURCE (a file as imported, or its name).",
)
@pass_ctx
@core_errors
def rejects(ctx: Context, fmt, out, export_to, source) -> None:
    """Rows that could not be imported, with file, line and reason.

    With --export FILE, writes them back out to be fixed and imported again
    (only the rows the latest import of each file still rejected).
    """
    if export_to:
        return _export_rejects(ctx.store, export_to, source)
    from analysis.results import reject_rows

    rows = reject_rows(ctx.store)
    if source:
        from ingest.rejects import matching_files

        files = matching_files(source, sorted({r["file"] for r in rows}))
        rows = [r for r in rows if r["file"] in files]
    if fmt == "table" and not rows:
        return write("no rejected rows\n", out)
    _emit(
        rows,
        fmt,
        out,
        ["file", "line", "reason", "raw"],
        [("file", "file"), ("line", "line"), ("reason", "reason"), ("raw", "row as found")],
    )


def _export_rejects(store, path, source) -> None:
    from ingest.rejects import current_rejects, export_rejects

    if not current_rejects(store, source):
        click.echo("no rejected rows: nothing to export")
        return
    result = export_rejects(store, path, source)
    for w in result.written:
        click.echo(f"wrote {w.rows} rejected rows to {w.path} (from {', '.join(w.sources)})")
    if len(result.written) > 1:
        click.echo(
            f"the rows come from files with different columns: one file per source, next to {path}"
        )
    for why, n in result.left.items():
        click.echo(f"not written: {n} rows {why}", err=True)
    if result.written:
        roles = sorted(
            {
                "notes" if role in (None, "typed") else role
                for (role,) in store.db.execute(
                    "select distinct s.role from rejects r "
                    "left join sources s on s.id = r.source_id"
                ).fetchall()
            }
        )
        commands = " or ".join(f"gaplens ingest {role} FILE" for role in roles)
        click.echo(f"fix them in the file, then: {commands}")
    else:
        click.echo("nothing written")


@cli.command()
@output_options()
@pass_ctx
@core_errors
def status(ctx: Context, fmt, out) -> None:
    """What the workspace holds and when it was last analysed."""
    from analysis.results import workspace_summary

    s = workspace_summary(ctx.store)
    if fmt == "json":
        import json

        return write(json.dumps(s, indent=2) + "\n", out)
    width = max(map(len, s))
    lines = [f"{k:>{width}}: {v}" for k, v in s.items()]
    write("\n".join(lines) + "\n", out)


# -- content planning: coverage people control, briefs, impact, the plan ----------


@cli.group()
def content() -> None:
    """Say which content answers which theme, and which content is outdated.

    \b
    A link or unlink overrides the automatic match for one theme; an outdated
    mark makes an asset count only half for every theme. Both hold across
    re-analyses, and each theme's status (no content, weak, covered) updates at once.
      gaplens content link 12 A-004        # A-004 answers theme 12
      gaplens content unlink 12 A-007      # A-007 does not, however close it reads
      gaplens content reset 12 A-007       # back to the automatic match
      gaplens content outdated A-013 --reason "2024 prices"
    """


def _link_command(name: str, action: str | None, doc: str):
    """content link / unlink / reset: the same command with a different say."""

    @content.command(name, help=doc)
    @click.argument("theme_id", type=int)
    @click.argument("asset_id")
    @pass_ctx
    @core_errors
    def command(ctx: Context, theme_id, asset_id) -> None:
        from analysis.overrides import set_link

        click.echo(set_link(ctx.store, theme_id, asset_id, action).summary)

    return command


content_link = _link_command(
    "link", "link", "Say ASSET_ID answers theme THEME_ID (counts as covering it)."
)
content_unlink = _link_command(
    "unlink", "unlink", "Say ASSET_ID does not answer theme THEME_ID (taken out of its matches)."
)
content_reset = _link_command(
    "reset", None, "Forget a link or unlink of ASSET_ID on THEME_ID: the match decides again."
)


@content.command("outdated")
@click.argument("asset_id")
@click.option("--reason", help="Why it is outdated (shown beside it).")
@click.option("--undo", is_flag=True, help="Mark it up to date again.")
@pass_ctx
@core_errors
def content_outdated(ctx: Context, asset_id, reason, undo) -> None:
    """Mark ASSET_ID outdated: it answers its themes only weakly until refreshed."""
    from analysis.overrides import mark_outdated

    click.echo(mark_outdated(ctx.store, asset_id, not undo, reason).summary)


@content.command("links")
@output_options()
@pass_ctx
@core_errors
def content_links(ctx: Context, fmt, out) -> None:
    """Every link and unlink people made, and every asset marked outdated."""
    from dataclasses import asdict

    from analysis.overrides import link_rows, outdated_assets

    rows = [
        {**asdict(r), "label": r.label or "(not in the current analysis)"}
        for r in link_rows(ctx.store)
    ]
    titles = ctx.store.asset_titles()
    rows += [
        {"theme_id": None, "label": "", "asset_id": a, "title": titles.get(a),
         "action": "outdated" + (f": {why}" if why else ""), "at": None, "who": None}
        for a, why in outdated_assets(ctx.store).items()
    ]  # fmt: skip
    fields = ["theme_id", "label", "asset_id", "title", "action", "at", "who"]
    columns = [("action", "say"), ("theme_id", "theme"), ("label", "name"),
               ("asset_id", "asset"), ("title", "title"), ("who", "by")]  # fmt: skip
    _emit(rows, fmt, out, fields, columns, title="What people said about the content")


@cli.command()
@click.argument("theme_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md",
              show_default=True, help="md to read or paste, json for scripts.")  # fmt: skip
@click.option("--out", type=click.Path(dir_okay=False), help="Write to FILE instead of stdout.")
@pass_ctx
@core_errors
def brief(ctx: Context, theme_id, fmt, out) -> None:
    """The gap brief for theme THEME_ID: what a writer needs to answer it.

    The prospect's question in their words, the five most telling quotes, the
    deals and money involved, competitors, the closest content and what it
    misses, and a suggested format and funnel stage with the reason for each.
    """
    import json
    from dataclasses import asdict

    if fmt == "json":
        from analysis.brief import gap_brief

        found = gap_brief(ctx.store, theme_id)
        write(json.dumps(asdict(found), ensure_ascii=False, indent=2, default=str) + "\n", out)
    else:
        from analysis.report import build_report
        from gaplens.report import brief_markdown

        write(brief_markdown(build_report(ctx.store, themes=[theme_id])), out)


IMPACT_COLUMNS = [
    ("theme_id", "id"),
    ("label", "theme"),
    ("notes", "notes"),
    ("deals", "deals"),
    ("open_pipeline", "open pipeline"),
    ("lost_amount", "lost"),
    ("win", "win rate (n)"),
    ("stalled", "stalled / died at"),
    ("stuck_deals", "stuck"),
    ("rivals", "competitors"),
]
IMPACT_FIELDS = [
    "theme_id", "label", "notes", "deals", "accounts", "open_deals", "open_pipeline",
    "lost_deals", "lost_amount", "won_deals", "closed", "win_rate", "win_rate_low",
    "win_rate_high", "lost_stages", "open_stages", "competitors", "stuck",
]  # fmt: skip


@cli.command()
@click.argument("theme_id", type=int, required=False)
@output_options()
@click.option("--as-of", "as_of", help="Count what was known on this day (YYYY-MM-DD or 2026Q3).")
@click.option("--stuck-days", type=int, help="Days without a stage change that make a deal stuck.")
@pass_ctx
@core_errors
def impact(ctx: Context, theme_id, fmt, out, as_of, stuck_days) -> None:
    """Revenue riding on each theme, each deal counted once.

    Open pipeline and lost amount of the deals whose notes raise the theme, the
    win rate of those deals against everyone's (with the number of closed deals
    it stands on), where they stalled or died, competitors named alongside, and
    open deals stuck in their stage. With THEME_ID: that theme, with its stuck
    deals and the CRM loss reason beside what the notes say.
    """
    from dataclasses import asdict

    from analysis.impact import reason_checks, theme_impact, theme_impacts
    from gaplens.output import money, rate

    as_of = _as_of(as_of)
    if theme_id is not None:
        one = theme_impact(ctx.store, theme_id, as_of=as_of, stuck_days=stuck_days)
        checks = reason_checks(ctx.store, theme_id)
        if fmt != "table":
            row = {**asdict(one), "reason_checks": [asdict(c) for c in checks]}
            _emit([row], fmt, out, [*IMPACT_FIELDS, "reason_checks"], [])
            return
        write(_impact_text(one, checks), out)
        return
    report = theme_impacts(ctx.store, as_of=as_of, stuck_days=stuck_days)
    rows = []
    for t in report.themes:
        row = asdict(t)
        row.update(
            open_pipeline=money(t.open_pipeline),
            lost_amount=money(t.lost_amount),
            win=rate(t.win_rate, t.closed),
            stalled=", ".join(f"{s} {n}" for s, n in (t.lost_stages or t.open_stages)[:2]),
            stuck_deals=len(t.stuck) or "",
            rivals=", ".join(f"{c} {n}" for c, n in t.competitors[:2]),
        )
        rows.append(row if fmt == "table" else asdict(t))
    after = (
        f"\nAll deals: win rate {rate(report.win_rate, report.closed)}, open pipeline "
        f"{money(report.open_pipeline)}, lost {money(report.lost_amount)}. A deal is stuck after "
        f"{report.stuck_days} days in one stage (--stuck-days, or 'gaplens config stuck_days N').\n"
    )
    _emit(rows, fmt, out, IMPACT_FIELDS, IMPACT_COLUMNS, title="Revenue impact by theme",
          after=after)  # fmt: skip


def _as_of(text: str | None) -> str | None:
    """'2026Q3' -> its last day; a date stays; None stays."""
    if not text:
        return None
    from analysis.browse import parse_period

    try:
        period = parse_period(text)
    except ValueError:
        period = None
    if period is None:
        raise click.BadParameter(f"'{text}' is neither a date (2026-09-30) nor a quarter (2026Q3)")
    return period.end


def _impact_text(t, checks) -> str:
    from gaplens.output import money, rate

    lines = [
        f"Theme {t.theme_id}: {t.label}",
        f"  {t.notes} notes, {t.deals} deals, {t.accounts} accounts",
        f"  open pipeline {money(t.open_pipeline)} in {t.open_deals} deals; "
        f"lost {money(t.lost_amount)} in {t.lost_deals}; won {t.won_deals}",
        f"  win rate {rate(t.win_rate, t.closed)}"
        + (f" (95% {t.win_rate_low:.0%}–{t.win_rate_high:.0%})" if t.win_rate is not None else ""),
    ]
    if t.lost_stages:
        lines.append("  lost deals died at: " + ", ".join(f"{s} {n}" for s, n in t.lost_stages))
    if t.open_stages:
        lines.append("  open deals sit at: " + ", ".join(f"{s} {n}" for s, n in t.open_stages))
    if t.competitors:
        lines.append("  competitors: " + ", ".join(f"{c} ({n} notes)" for c, n in t.competitors))
    if t.stuck:
        lines.append(f"  stuck deals ({len(t.stuck)}):")
        for d in t.stuck[:10]:
            lines.append(
                f"    {d.deal} {d.account or ''} {money(d.amount)}: {d.stage} since "
                f"{d.stage_since} ({d.days} days)"
            )
    if checks:
        lines.append("  CRM loss reason vs what the notes say:")
        for c in checks:
            agree = "agrees" if c.agrees else f"CRM files it under {c.crm_theme or 'no theme'}"
            lines.append(f"    {c.deal} {c.account or ''} {money(c.amount)} ({agree})")
            lines.append(f"      CRM:   {_clip(c.crm_reason or '(none)')}")
            for said in c.notes_say:
                lines.append(f"      notes: {_clip(said)}")
    return "\n".join(lines) + "\n"


def _clip(text: str, n: int = 110) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


@cli.group()
def plan() -> None:
    """The content plan: themes the team decided to answer, and what came of them.

    \b
    Statuses: backlog, planned, in progress, published, won't do.
      gaplens plan add 12 --status planned --owner Maya --quarter 2026Q4 --format "faq entry"
      gaplens plan set 3 --status "in progress"
      gaplens plan publish 3 --asset A-031      # notes before and after show in the report
      gaplens plan proposals --accept           # new content that answers planned themes
    """


PLAN_FIELDS = [
    "id", "theme_id", "label", "status", "owner", "quarter", "format", "comment", "asset_id",
    "published_at", "notes", "content_status", "score", "in_analysis", "created_at",
    "updated_at",
]  # fmt: skip
PLAN_COLUMNS = [
    ("id", "#"),
    ("status", "status"),
    ("theme_id", "theme"),
    ("label", "name"),
    ("owner", "owner"),
    ("quarter", "quarter"),
    ("format", "format"),
    ("notes", "notes"),
    ("content_status", "content"),
    ("comment", "comment"),
]


def _plan_options(fn):
    for decl, help_text in reversed(
        [
            ("--status", "backlog, planned, in progress, published or won't do."),
            ("--owner", "Who writes it."),
            ("--quarter", "Target quarter, e.g. 2026Q4."),
            ("--format", "faq entry, how-to, battlecard, comparison page, case study..."),
            ("--comment", "Anything the team should know."),
        ]
    ):
        fn = click.option(decl, help=help_text)(fn)
    return fn


@plan.command("add")
@click.argument("theme_id", type=int)
@_plan_options
@pass_ctx
@core_errors
def plan_add(ctx: Context, theme_id, **fields) -> None:
    """Put theme THEME_ID on the plan (status backlog unless given)."""
    from analysis.plan import add_item

    fields["status"] = fields["status"] or "backlog"
    item = add_item(ctx.store, theme_id, **fields)
    click.echo(f"plan item {item.id}: {item.label} ({item.status})")


@plan.command("set")
@click.argument("item_id", type=int)
@_plan_options
@pass_ctx
@core_errors
def plan_set(ctx: Context, item_id, **fields) -> None:
    """Change plan item ITEM_ID (only the options given). Use "" to clear a field."""
    from analysis.plan import update_item

    given = {k: v for k, v in fields.items() if v is not None}
    if not given:
        raise click.UsageError(
            "say what to change: --status, --owner, --quarter, --format or --comment"
        )
    item = update_item(ctx.store, item_id, **given)
    click.echo(
        f"plan item {item.id}: {item.label} ({item.status}, {item.owner or 'no owner'}, "
        f"{item.quarter or 'no quarter'})"
    )


@plan.command("publish")
@click.argument("item_id", type=int)
@click.option("--asset", "asset_id", help="The asset that answers it now.")
@click.option("--on", "day", help="When it was published (YYYY-MM-DD; default today).")
@pass_ctx
@core_errors
def plan_publish(ctx: Context, item_id, asset_id, day) -> None:
    """Mark plan item ITEM_ID published (and say by which asset)."""
    from analysis.plan import update_item

    changes = {"status": "published"}
    if asset_id:
        changes["asset_id"] = asset_id
    item = update_item(ctx.store, item_id, published_on=day, **changes)
    click.echo(f"plan item {item.id}: {item.label} published {item.published_at}")


@plan.command("remove")
@click.argument("item_id", type=int)
@pass_ctx
@core_errors
def plan_remove(ctx: Context, item_id) -> None:
    """Delete plan item ITEM_ID and its history (use --status "won't do" to keep it)."""
    from analysis.plan import remove_item

    remove_item(ctx.store, item_id)
    click.echo(f"plan item {item_id} removed")


@plan.command("list")
@output_options()
@click.option("--open", "only_open", is_flag=True, help="Only backlog, planned and in progress.")
@pass_ctx
@core_errors
def plan_list(ctx: Context, fmt, out, only_open) -> None:
    """The plan board: every item with its theme as the current analysis sees it."""
    from dataclasses import asdict

    from analysis.overrides import status_text
    from analysis.plan import plan_items

    rows = []
    for item in plan_items(ctx.store, include_closed=not only_open):
        row = asdict(item)
        if fmt == "table":
            row["content_status"] = status_text(item.content_status)
            if not item.in_analysis:
                row["label"] += " (not in the current analysis)"
        rows.append(row)
    _emit(rows, fmt, out, PLAN_FIELDS, PLAN_COLUMNS, title="Content plan")


@plan.command("proposals")
@click.option("--accept", is_flag=True, help="Mark every proposed item published.")
@pass_ctx
@core_errors
def plan_proposals(ctx: Context, accept) -> None:
    """Planned items that content imported since now answers: publish them?"""
    from analysis.plan import publish_proposals, update_item

    found = publish_proposals(ctx.store)
    if not found:
        click.echo("no proposals: no planned theme is answered by content imported since")
        return
    for p in found:
        click.echo(f"item {p.item.id} {p.item.label}: {p.reason}")
        if accept:
            update_item(ctx.store, p.item.id, status="published", asset_id=p.asset_id)
            click.echo("  -> marked published")
    if not accept:
        click.echo("accept with: gaplens plan proposals --accept (or gaplens plan publish ID)")


SETTINGS = {"stuck_days": ("60", "days without a stage change that make an open deal stuck")}


@cli.command()
@click.argument("key", required=False, type=click.Choice(sorted(SETTINGS)))
@click.argument("value", required=False)
@pass_ctx
def config(ctx: Context, key, value) -> None:
    """Show or change workspace settings (e.g. gaplens config stuck_days 45)."""
    if key and value is not None:
        if key == "stuck_days" and (not value.isdigit() or int(value) < 1):
            raise click.BadParameter(f"stuck_days must be a whole number of days, not '{value}'")
        ctx.store.set_setting(key, value)
    for k in [key] if key else sorted(SETTINGS):
        default, meaning = SETTINGS[k]
        click.echo(f"{k} = {ctx.store.setting(k, default)}   ({meaning})")


# -- demo ------------------------------------------------------------------


@cli.command()
@click.option("--no-tui", is_flag=True, help="Build the demo workspace and print the top gaps.")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Demo data folder (default: the repository's data/).",
)
@click.option("--model", help="Embedding model name or path (default: bundled).")
@click.pass_context
@core_errors
def demo(click_ctx: click.Context, no_tui, data_dir, model) -> None:
    """Build a workspace from the bundled demo data (Orbitly, a fictional help-desk vendor).

    Imports the notes, content and (when data/deals/ exists) CRM deals in data/,
    analyses them and prints the top gaps. Uses ./gaplens-demo.db unless --db is given.
    """
    from analysis.pipeline import run_analysis
    from analysis.results import gap_rows, workspace_summary
    from ingest import import_assets, import_notes

    ctx: Context = click_ctx.obj
    if ctx.db_path is None:
        ctx.db_path = DEMO_DB
    data = Path(data_dir) if data_dir else REPO_DATA
    if not (data / "notes").is_dir() or not (data / "assets").is_dir():
        raise click.ClickException(
            f"demo data not found in '{data}' (expected notes/ and assets/); pass --data DIR"
        )
    click.echo(f"building the demo workspace in {ctx.db_path}")
    with _progress("importing notes") as bar:
        notes = import_notes(ctx.store, [data / "notes"], on_progress=bar)
    with _progress("importing content") as bar:
        assets = import_assets(ctx.store, [data / "assets"], on_progress=bar)
    deals = []
    if (data / "deals").is_dir():
        from ingest.deals import import_deals

        with _progress("importing deals") as bar:
            deals = import_deals(ctx.store, [data / "deals"], on_progress=bar)
    _print_summaries(notes, "notes")
    _print_summaries(assets, "assets")
    if deals:
        _print_summaries(deals, "deals")
    if workspace_summary(ctx.store)["new_since_run"] or model:
        with _progress("analysing") as bar:
            result = run_analysis(
                ctx.store,
                model=model,
                stop_words=["orbitly"],
                on_progress=lambda p: bar(p.stage, p.done, p.total),
            )
        click.echo(
            f"analysed {result.n_notes} notes: {result.n_clusters} themes, "
            f"{result.n_unclustered} unclustered, {result.n_gaps} gaps\n"
        )
    else:
        click.echo("the demo workspace is already analysed (delete it to rebuild)\n")
    if not no_tui and sys.stdin.isatty() and sys.stdout.isatty():
        ctx.store.close()
        _run_tui(ctx.db_path, model)
        return
    rows = [r for r in gap_rows(ctx.store) if r["is_gap"]][:10]
    click.echo(render_table(rows, GAP_COLUMNS, title="Top content gaps", width=_width()))
    click.echo(
        f"Explore: gaplens --db {ctx.db_path} tui   (the terminal UI)\n"
        f"     or: gaplens --db {ctx.db_path} clusters | gaps --all | export gaps --format json\n"
        f"   plan: gaplens --db {ctx.db_path} report --quarter 2026Q3 --format html "
        "--out report.html"
    )


@cli.command()
@click.option("--model", help="Embedding model for analyses run from the UI (default: bundled).")
@click.pass_context
@core_errors
def tui(click_ctx: click.Context, model) -> None:
    """Open the terminal UI on the workspace: themes and gaps, notes, content.

    Keys: a analyse, n add a note, i import, / filter, ? help, q quit.
    """
    ctx: Context = click_ctx.obj
    path = resolve_db_path(ctx.db_path)
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        raise click.ClickException("the terminal UI needs an interactive terminal")
    ctx.store.close()  # opens (and upgrades) the workspace first: a bad file fails here, plainly
    _run_tui(path, model)


def _run_tui(db_path, model) -> None:
    from tui.app import make_app

    make_app(db_path, model=model).run()


# -- progress --------------------------------------------------------------


class _progress:
    """A stderr progress line fed by (stage, done, total) callbacks; quiet when not a terminal."""

    def __init__(self, label: str):
        self.label = label
        self.tty = sys.stderr.isatty()
        self.last_stage = None

    def __enter__(self):
        return self

    def __call__(self, stage, done: int, total) -> None:
        stage = str(stage)
        if not self.tty:
            if stage != self.last_stage:
                click.echo(f"{self.label}: {stage}", err=True)
                self.last_stage = stage
            return
        name = Path(stage).name if os.sep in stage else stage
        if total:
            width = 30
            filled = int(width * done / total) if total else 0
            bar = "█" * filled + "░" * (width - filled)
            msg = f"\r{self.label}: {name} {bar} {done}/{total}"
        else:
            msg = f"\r{self.label}: {name} {done or ''}"
        click.echo(msg.ljust(100)[:100], err=True, nl=False)
        self.last_stage = stage

    def __exit__(self, *exc):
        if self.tty and self.last_stage is not None:
            click.echo("\r" + " " * 100 + "\r", err=True, nl=False)
        return False


def main() -> None:
    try:
        cli(prog_name="gaplens")
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # never show a traceback; keep it available for bug reports
        if os.environ.get("GAPLENS_DEBUG"):
            raise
        click.secho(f"gaplens: unexpected error: {type(exc).__name__}: {exc}", fg="red", err=True)
        click.echo("run again with GAPLENS_DEBUG=1 to see the details, and report it", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
