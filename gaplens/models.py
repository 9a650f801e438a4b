"""Plain records shared by every stage: what ingest produces and the store keeps."""

from __future__ import annotations

from dataclasses import dataclass, field

NOTE_KINDS = ("call-note", "objection", "loss-reason", "question")
# the readers `--format` can force (ingest.notes, ingest.assets)
NOTE_FORMATS = ("csv", "json", "jsonl", "text", "markdown", "salesforce", "hubspot", "gong")
ASSET_FORMATS = ("inventory", "markdown", "text", "html", "pdf", "docx", "sitemap")


@dataclass(frozen=True)
class Note:
    note_id: str
    text: str
    kind: str = "call-note"
    date: str | None = None  # ISO 8601 date (YYYY-MM-DD)
    deal: str | None = None
    account: str | None = None
    amount: float | None = None
    stage: str | None = None
    outcome: str | None = None  # "won", "lost", "open" or the export's own value
    rep: str | None = None
    competitor: str | None = None
    line: int | None = None  # where it came from in its file, 1-based
    masked: int = 0  # emails and phone numbers masked in the text (ingest.privacy)
    # a mention of a longer note (ingest.mentions): the note it came from, its place there
    parent_id: str | None = None
    part: int | None = None
    parts: int | None = None
    span_start: int | None = None
    span_end: int | None = None


@dataclass(frozen=True)
class Reject:
    file: str
    line: int | None
    reason: str
    raw: str = ""
    header: str | None = None  # a CSV row's header line, so the row can be exported as CSV


@dataclass(frozen=True)
class Asset:
    asset_id: str
    title: str
    body: str = ""
    url: str | None = None
    type: str | None = None
    stage: str | None = None  # funnel stage (TOFU / MOFU / BOFU or the inventory's words)
    updated: str | None = None
    path: str | None = None
    views: int | None = None  # usage from an inventory: pageviews, else views, sessions, downloads
    views_column: str | None = None  # the inventory column the views came from


@dataclass(frozen=True)
class ImportSummary:
    """What one file (or one typed note) did to the workspace."""

    file: str
    format: str
    added: int = 0
    present: int = 0
    rejected: int = 0
    rejects: tuple[Reject, ...] = field(default=())
    error: str | None = None  # set when the whole file could not be used
    masked: int = 0  # notes whose text had emails or phone numbers masked
    split: int = 0  # notes stored as their mentions (ingest.mentions)
    mentions: int = 0  # the mentions those notes became
