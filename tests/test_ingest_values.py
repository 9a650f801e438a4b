"""Cell parsers (dates, amounts, kinds, outcomes) and typed notes."""

from __future__ import annotations

import datetime as dt

import pytest

from gaplens.models import NOTE_KINDS
from ingest import IngestError, add_typed_note
from ingest.values import is_dayfirst, normalize_kind, normalize_outcome, parse_amount, parse_date


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-14", "2026-03-14"),
        ("2026-3-4", "2026-03-04"),
        ("2026-03-14T10:00:00Z", "2026-03-14"),
        ("2026-03-14T23:30:00-05:00", "2026-03-14"),
        ("2026-03-14 08:15:00", "2026-03-14"),
        ("2026/03/14", "2026-03-14"),
        ("20260314", "2026-03-14"),
        ("03/14/2026", "2026-03-14"),
        ("3/4/2026", "2026-03-04"),
        ("3/4/26", "2026-03-04"),
        ("03/14/2026 10:30 AM", "2026-03-14"),
        ("14.03.2026", "2026-03-14"),
        ("4.3.2026", "2026-03-04"),
        ("Mar 14, 2026", "2026-03-14"),
        ("14 March 2026", "2026-03-14"),
        ("March 14th, 2026", "2026-03-14"),
        ("Sat, 14 Mar 2026 10:00:00 +0000", "2026-03-14"),
        ("46095", "2026-03-14"),  # an Excel serial day
        (1773446400, "2026-03-14"),  # Unix seconds
        ("", None),
        (None, None),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    ["31/31/2026", "2026-02-30", "13/13/2026", "soon", "March 2026", "Q1 2026", "12", "2026", True],
)
def test_unparsable_dates(value):
    with pytest.raises(ValueError):
        parse_date(value)


def test_day_first_is_decided_per_column():
    assert is_dayfirst(["01/02/2026", "25/02/2026"])
    assert not is_dayfirst(["01/02/2026", "02/25/2026"])
    assert not is_dayfirst(["31/31/2026"])
    assert parse_date("01/02/2026", dayfirst=True) == "2026-02-01"
    assert parse_date("01/02/2026") == "2026-01-02"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("$48,000.00", 48000.0),
        ("48000", 48000.0),
        ("48.000,00 €", 48000.0),
        ("EUR 12,500", 12500.0),
        ("12.5k", 12500.0),
        ("12,5k", 12500.0),
        ("$1.2M", 1_200_000.0),
        ("1 234 567,89", 1234567.89),
        ("12'500 CHF", 12500.0),
        ("£99.90", 99.9),
        ("(1,200)", -1200.0),
        ("-300", -300.0),
        ("1,234,567", 1234567.0),
        ("0.500", 0.5),
        (48000, 48000.0),
        (12.5, 12.5),
        ("", None),
        ("n/a", None),
        ("-", None),
        (None, None),
    ],
)
def test_parse_amount(value, expected):
    result = parse_amount(value)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


@pytest.mark.parametrize(
    "value", ["lots", "$", "12 apples", "1,23,4", "12.5 per seat", "€€5", True]
)
def test_unparsable_amounts(value):
    with pytest.raises(ValueError):
        parse_amount(value)


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("call note", "call-note"),
        ("Call-Note", "call-note"),
        ("call_note", "call-note"),
        ("Objection", "objection"),
        ("objections", "objection"),
        ("Loss Reason", "loss-reason"),
        ("loss-reason", "loss-reason"),
        ("Closed Lost Reason", "loss-reason"),
        ("question", "question"),
        ("Prospect Question", "question"),
        ("webinar", None),
        ("", None),
    ],
)
def test_normalize_kind(value, kind):
    assert normalize_kind(value) == kind
    assert kind is None or kind in NOTE_KINDS


@pytest.mark.parametrize(
    ("outcome", "stage", "expected"),
    [
        ("Closed Won", None, "won"),
        ("won", "Negotiation", "won"),
        ("Closed Lost - No Budget", None, "lost"),
        ("LOST", None, "lost"),
        ("Open", None, "open"),
        ("On hold", None, "On hold"),
        (None, "Closed Lost", "lost"),
        (None, "Closed Won", "won"),
        (None, "Discovery", "open"),
        (None, "Closed", None),
        (None, None, None),
    ],
)
def test_normalize_outcome(outcome, stage, expected):
    assert normalize_outcome(outcome, stage) == expected


# -- typed notes --------------------------------------------------------------------------


def test_typed_note_is_stored(store):
    note = add_typed_note(
        store,
        "  Prospect asked whether SSO can be enforced for contractors  ",
        kind="Objection",
        deal="D-7",
        account="Acme",
        rep="Priya",
        amount="$48k",
        date="Mar 14, 2026",
        competitor="Zentrix",
        stage="Closed Lost",
    )
    assert note.text == "Prospect asked whether SSO can be enforced for contractors"
    assert (note.kind, note.date, note.amount, note.outcome) == (
        "objection",
        "2026-03-14",
        48000.0,
        "lost",
    )
    assert note.note_id.startswith("n-")
    (row,) = store.notes()
    assert (
        row["note_id"] == note.note_id and row["deal"] == "D-7" and row["competitor"] == "Zentrix"
    )
    assert store.sources()[0]["role"] == "typed"


def test_typed_note_defaults(store):
    note = add_typed_note(store, "Wants a payback calculation")
    assert note.kind == "call-note"
    assert note.date == dt.date.today().isoformat()
    assert note.amount is None and note.outcome is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": "   "}, "text is empty"),
        ({"text": "x", "kind": "webinar"}, "unknown kind 'webinar'"),
        ({"text": "x", "date": "31/31/2026"}, "unparsable date '31/31/2026'"),
        ({"text": "x", "amount": "lots"}, "unparsable amount 'lots'"),
    ],
)
def test_typed_note_validation(store, kwargs, message):
    with pytest.raises(IngestError, match=message):
        add_typed_note(store, **kwargs)
    assert store.count_notes() == 0


def test_typed_note_twice_is_refused(store):
    add_typed_note(store, "Asks about HIPAA", date="2026-03-01")
    with pytest.raises(IngestError, match="already in the workspace"):
        add_typed_note(store, "Asks about HIPAA", date="2026-03-01")
    assert store.count_notes() == 1
