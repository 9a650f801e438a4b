"""Gong call transcripts: what the prospect said on each call, one note per call.

Gong's API gives a call's words and its people in two responses, and both are needed:

- ``POST /v2/calls/transcript``: ``{"callTranscripts": [{"callId", "transcript":
  [{"speakerId", "topic", "sentences": [{"start", "end", "text"}]}]}]}``, where each
  ``transcript`` item is one monologue, and speakers are known only by ``speakerId``;
- ``POST /v2/calls/extensive`` (with parties and context): ``{"calls": [{"metaData":
  {"id", "started", "primaryUserId", ...}, "parties": [{"speakerId", "userId", "name",
  "affiliation"}], "context": [{"system": "Salesforce", "objects": [...]}]}]}``.

The details tell the prospect from the rep: a party's ``affiliation`` is Internal
(someone at the seller: never kept), External (kept) or Unknown. Unknown is kept as
the prospect's side: Gong marks every one of its own users Internal, so an Unknown
speaker is someone it could not match to a CRM contact (a prospect joining from a
personal address or by phone, or a partner), unless the party has a Gong ``userId``.
A speaker with no party at all is left out.

Each call becomes a ``call-note``: the prospect's monologues in order, one paragraph
each (blank-line separated); its id ``gong-<callId>``; its date the day ``started``
says (as written, not moved to UTC); its deal, amount and stage from the Salesforce
Opportunity in the call's context (the 18-character id shortened to the 15 a report
export shows, so the call and the report row name the same deal), its account from
the Account object (else the Opportunity's account name); its rep the primary user's
name. Files are recognised by content, not by name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from gaplens.models import Note, Reject
from ingest.crm import short_id
from ingest.errors import IngestError
from ingest.privacy import mask_contacts
from ingest.values import as_text, normalize_outcome, parse_amount, parse_date

TRANSCRIPTS = "gong transcripts"
CALLS = "gong call details"
KEEP = ("external", "unknown")


def sniff(head: bytes) -> bool:
    """Whether a file's first bytes could be a Gong response (a JSON object naming one)."""
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    return text.startswith("{") and (b'"callTranscripts"' in head or b'"calls"' in head)


def kind_of(data: Any) -> str | None:
    """TRANSCRIPTS, CALLS or None, by the shape of a parsed JSON document."""
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("callTranscripts"), list):
        return TRANSCRIPTS
    calls = data.get("calls")
    if isinstance(calls, list) and any(
        isinstance(c, dict) and ("parties" in c or "metaData" in c) for c in calls
    ):
        return CALLS
    return None


def load(text: str) -> tuple[str | None, Any]:
    """(kind, document) of a file's text; kind None when it is not a Gong response."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None, None
    return kind_of(data), data


NOT_GONG = (
    "not a Gong export: expected a JSON object with callTranscripts (POST /v2/calls/"
    "transcript) or calls with parties (POST /v2/calls/extensive)"
)


def missing_details(name: str) -> str:
    return (
        f"{name}: Gong transcripts need their call details: also pass the response of "
        "POST /v2/calls/extensive (with parties and context), e.g. gaplens ingest notes "
        f"{name} calls.json. A transcript names its speakers only by speakerId, so "
        "without the call's parties the prospect cannot be told apart from the rep"
    )


def details_alone(name: str) -> str:
    return (
        f"{name}: Gong call details hold no words: pass the transcripts (the response "
        "of POST /v2/calls/transcript) with this file"
    )


# -- call details ------------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    name: str | None
    affiliation: str  # internal / external / unknown
    user_id: str | None

    @property
    def prospect(self) -> bool:
        return self.affiliation in KEEP and not (self.affiliation == "unknown" and self.user_id)


@dataclass(frozen=True)
class Call:
    """What a transcript needs from /v2/calls/extensive about one call."""

    call_id: str
    started: str | None
    speakers: dict[str, Party]  # speakerId -> party
    rep: str | None
    deal: str | None = None
    account: str | None = None
    amount: str | float | None = None
    stage: str | None = None


def read_calls(data: dict, name: str) -> dict[str, Call]:
    """callId -> Call for every call in a /v2/calls/extensive response."""
    calls: dict[str, Call] = {}
    for n, item in enumerate(data.get("calls") or [], start=1):
        if not isinstance(item, dict):
            raise IngestError(f"{name}: calls[{n}] is not an object")
        meta = item.get("metaData") if isinstance(item.get("metaData"), dict) else {}
        call_id = as_text(meta.get("id") or item.get("id"))
        if call_id is None:
            raise IngestError(f"{name}: calls[{n}] has no metaData.id")
        parties = [p for p in item.get("parties") or [] if isinstance(p, dict)]
        speakers: dict[str, Party] = {}
        rep = first_internal = None
        for p in parties:
            party = Party(
                as_text(p.get("name")),
                (as_text(p.get("affiliation")) or "unknown").lower(),
                as_text(p.get("userId")),
            )
            if (sid := as_text(p.get("speakerId"))) is not None:
                speakers[sid] = party
            if party.affiliation == "internal" and first_internal is None:
                first_internal = party.name
            if party.user_id and party.user_id == as_text(meta.get("primaryUserId")):
                rep = party.name
        crm = _salesforce(item.get("context"))
        calls[call_id] = Call(
            call_id,
            as_text(meta.get("started") or meta.get("scheduled")),
            speakers,
            rep or first_internal,
            **crm,
        )
    return calls


def _salesforce(context: Any) -> dict[str, Any]:
    """deal, account, amount, stage from the Salesforce objects in a call's context."""
    out: dict[str, Any] = {}
    for system in context if isinstance(context, list) else []:
        if not isinstance(system, dict) or (system.get("system") or "").lower() != "salesforce":
            continue
        for obj in system.get("objects") or []:
            if not isinstance(obj, dict):
                continue
            fields = {
                str(f.get("name")).lower(): f.get("value")
                for f in obj.get("fields") or []
                if isinstance(f, dict)
            }
            kind = (obj.get("objectType") or "").lower()
            if kind == "opportunity" and "deal" not in out:
                out["deal"] = short_id(as_text(obj.get("objectId")))
                out["amount"] = fields.get("amount")
                out["stage"] = as_text(fields.get("stagename"))
                if out.get("account") is None:
                    out["account"] = as_text(fields.get("accountname") or fields.get("account"))
            elif kind == "account" and as_text(fields.get("name")):
                out["account"] = as_text(fields.get("name"))
    return out


# -- transcripts -------------------------------------------------------------------------


def transcript_notes(
    data: dict,
    name: str,
    calls: dict[str, Call],
    details_from: list[str],
    keep_pii: bool = False,
    stages: dict[str, str] | None = None,
) -> tuple[list[tuple[Note, str]], list[Reject], list[str]]:
    """One call-note per transcript, a Reject for a transcript that cannot be one, and
    what the summary should say (e.g. that the file is one page of a longer answer)."""
    notes: list[tuple[Note, str]] = []
    rejects: list[Reject] = []
    files = ", ".join(details_from)
    for line, item in enumerate(data.get("callTranscripts") or [], start=1):
        raw = json.dumps(item, ensure_ascii=False)
        call_id = as_text(item.get("callId")) if isinstance(item, dict) else None
        if call_id is None:
            rejects.append(Reject(name, line, "a transcript without a callId", raw))
            continue
        call = calls.get(call_id)
        if call is None:
            reason = (
                f"call {call_id}: no call details for it in {files}; they are needed to "
                "tell the prospect from the rep (fetch them with POST /v2/calls/extensive)"
            )
            rejects.append(Reject(name, line, reason, raw))
            continue
        paragraphs = []
        for mono in item.get("transcript") or []:
            if not isinstance(mono, dict):
                continue
            party = call.speakers.get(as_text(mono.get("speakerId")) or "")
            if party is None or not party.prospect:
                continue
            said = " ".join(
                t for s in mono.get("sentences") or [] if (t := as_text(_text(s))) is not None
            )
            if said:
                paragraphs.append(said)
        if not paragraphs:
            reason = f"call {call_id}: the transcript holds nothing said by the prospect"
            rejects.append(Reject(name, line, reason, raw))
            continue
        body = "\n\n".join(paragraphs)
        try:
            date = parse_date(call.started)
        except ValueError:
            date = None  # the call stays; its day is unknown
        try:
            amount = parse_amount(call.amount)
        except ValueError:
            amount = None  # a CRM field the call does not depend on
        masked, found = mask_contacts(body)
        note = Note(
            note_id=f"gong-{call_id}",
            text=body if keep_pii else masked,
            kind="call-note",
            date=date,
            deal=call.deal,
            account=call.account,
            amount=amount,
            stage=call.stage,
            outcome=normalize_outcome(None, call.stage, stages),
            rep=call.rep,
            line=line,
            masked=0 if keep_pii else found,
        )
        notes.append((note, raw))
    return notes, rejects, _paging(data)


def _text(sentence: Any) -> Any:
    return sentence.get("text") if isinstance(sentence, dict) else None


def _paging(data: dict) -> list[str]:
    records = data.get("records") if isinstance(data.get("records"), dict) else {}
    total, size = records.get("totalRecords"), records.get("currentPageSize")
    if isinstance(total, int) and isinstance(size, int) and total > size:
        return [f"one page of {total} calls: fetch the rest with the response's cursor"]
    return []


MAPPING = (
    ("text", "what External (and Unknown) speakers said, a paragraph per monologue"),
    ("id", "gong-<callId>"),
    ("date", "metaData.started"),
    ("deal", "Salesforce Opportunity objectId (context)"),
    ("account", "Salesforce Account Name (context)"),
    ("amount", "Salesforce Opportunity Amount (context)"),
    ("stage", "Salesforce Opportunity StageName (context)"),
    ("outcome", "from the stage"),
    ("rep", "the primary user's name (parties)"),
)
