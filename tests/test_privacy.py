"""Masking emails and phone numbers in note text at import, and --keep-pii."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from gaplens.cli import cli
from gaplens.store import Store
from ingest import add_typed_note, import_notes
from ingest.privacy import EMAIL, PHONE, mask, mask_contacts


def invoke(db, *args):
    return CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)


@pytest.mark.parametrize(
    "email",
    [
        "jane.doe@acme.com",
        "jane+crm@acme.com",
        "j_smith@mail.eu.acme.co.uk",
        "Priya.Raman@Acme-Corp.io",
    ],
)
def test_emails_are_masked(email):
    assert mask(f"Sent the deck to {email}, she will forward it.") == (
        f"Sent the deck to {EMAIL}, she will forward it."
    )
    assert mask(f"({email})") == f"({EMAIL})"
    assert mask(f"mail {email}.") == f"mail {EMAIL}."


@pytest.mark.parametrize(
    "phone",
    [
        "+44 20 7946 0958",
        "+1-415-555-0132",
        "+1 415 555 0132",
        "+14155550132",
        "+44 (0)20 7946 0958",
        "+49 30 1234567",
        "(415) 555-0132",
        "415.555.0132",
        "415-555-0132",
        "415 555 0132",
        "1-800-555-0199",
        "020 7946 0958",
        "415-555-0132 x204",
        "(415) 555-0132 ext. 12",
        "+1-415-555-0132x204",
    ],
)
def test_phone_numbers_are_masked(phone):
    assert mask(f"Call Dana on {phone} before Friday.") == f"Call Dana on {PHONE} before Friday."
    assert mask(f"direct line: {phone}") == f"direct line: {PHONE}"


@pytest.mark.parametrize(
    "text",
    [
        "Budget is $48,000 for 2026, maybe 48000 net",
        "Renewal on 2026-03-14, or 3/14/2026, or 14.03.2026",
        "Churn fell 15% to 4.5 % in Q3 2025",
        "They run v2.3.1 and 10.4.12 of the agent",
        "Deal D-2044 and OPP-000123, ticket #4155550132",
        "Call moved to 10:30, then 14:45-15:30",
        "3 seats, 25 agents, 120 tickets a day, 555-0132 internal",
        "Order 4155550132 and SKU 123-456-78901",
        "Phone is 70% of their contact volume; they want IVR",
        "Quote 1,250,000 over 36 months; 12.5k per month",
        "support@ or @acme on Twitter, user@localhost",
    ],
)
def test_look_alikes_are_left_alone(text):
    assert mask_contacts(text) == (text, 0)


def test_masking_is_idempotent_and_counts():
    text = "jane@acme.com, +1 415 555 0132 and (415) 555-0199"
    once, n = mask_contacts(text)
    assert (once, n) == (f"{EMAIL}, {PHONE} and {PHONE}", 3)
    assert mask_contacts(once) == (once, 0)


def write_csv(tmp_path, name="calls.csv"):
    path = tmp_path / name
    path.write_text(
        "account,rep,note,date\n"
        'Acme,Priya Raman,"Wants SSO; mail jane.doe@acme.com or call +1-415-555-0132",2026-03-02\n'
        "Acme,Priya Raman,Asked for a $48000 quote by 2026-03-14,2026-03-03\n"
        "Birch,Dev Patel,Reach Sam at (415) 555-0199 x204,2026-03-04\n",
        encoding="utf-8",
    )
    return path


def test_table_rows_are_masked_by_default_and_reimport_adds_nothing(store, tmp_path):
    path = write_csv(tmp_path)
    (s,) = import_notes(store, [path])
    assert (s.added, s.rejected, s.masked) == (3, 0, 2)
    texts = sorted(n["text"] for n in store.notes())
    assert texts == [
        "Asked for a $48000 quote by 2026-03-14",
        f"Reach Sam at {PHONE}",
        f"Wants SSO; mail {EMAIL} or call {PHONE}",
    ]
    assert {n["account"] for n in store.notes()} == {"Acme", "Birch"}  # names are not masked
    assert {n["rep"] for n in store.notes()} == {"Priya Raman", "Dev Patel"}
    ids = sorted(n["note_id"] for n in store.notes())
    (again,) = import_notes(store, [path])
    assert (again.added, again.present, again.rejected) == (0, 3, 0)
    assert sorted(n["note_id"] for n in store.notes()) == ids


def test_keep_pii_keeps_them_with_the_same_ids(tmp_path):
    path = write_csv(tmp_path)
    with Store(tmp_path / "masked.db") as masked, Store(tmp_path / "kept.db") as kept:
        import_notes(masked, [path])
        (s,) = import_notes(kept, [path], keep_pii=True)
        assert (s.added, s.masked) == (3, 0)
        texts = {n["text"] for n in kept.notes()}
        assert "Wants SSO; mail jane.doe@acme.com or call +1-415-555-0132" in texts
        assert {n["note_id"] for n in kept.notes()} == {n["note_id"] for n in masked.notes()}
        (again,) = import_notes(kept, [path], keep_pii=True)
        assert (again.added, again.present) == (0, 3)


def test_switching_the_option_never_stores_a_note_twice(store, tmp_path):
    path = write_csv(tmp_path)
    import_notes(store, [path])
    (s,) = import_notes(store, [path], keep_pii=True)
    assert (s.added, s.present, s.rejected) == (0, 1, 2)  # the two with contacts clash
    assert store.count_notes() == 3


def test_json_and_text_notes_are_masked(store, tmp_path):
    (tmp_path / "n.jsonl").write_text(
        json.dumps({"id": "J1", "text": "ping bob+deals@x.io"}) + "\n", encoding="utf-8"
    )
    (tmp_path / "2026-03-01-acme.md").write_text(
        "# Acme call\n\nTheir admin (+44 20 7946 0958) needs SCIM.\n", encoding="utf-8"
    )
    summaries = import_notes(store, [tmp_path])
    assert [s.masked for s in summaries] == [1, 1]
    texts = {n["note_id"]: n["text"] for n in store.notes()}
    assert texts == {"J1": f"ping {EMAIL}", "2026-03-01-acme": f"Their admin ({PHONE}) needs SCIM."}
    assert [s.added for s in import_notes(store, [tmp_path])] == [0, 0]


def test_typed_note_is_masked_unless_kept(store):
    note = add_typed_note(store, "Call me on 415.555.0132 or dana@acme.com", date="2026-03-01")
    assert (note.text, note.masked) == (f"Call me on {PHONE} or {EMAIL}", 2)
    kept = add_typed_note(store, "Call me on 415.555.0199", date="2026-03-01", keep_pii=True)
    assert (kept.text, kept.masked) == ("Call me on 415.555.0199", 0)
    stored = {n["note_id"]: n["text"] for n in store.notes()}
    assert stored == {note.note_id: note.text, kept.note_id: kept.text}


def test_cli_masks_by_default_and_says_so(tmp_path):
    path = write_csv(tmp_path)
    result = invoke(tmp_path / "w.db", "ingest", "notes", str(path), "--no-assign")
    assert result.exit_code == 0, result.output
    assert "3 added, 0 already present, 0 rejected, 2 with emails/phone numbers masked" in (
        result.output
    )
    kept = invoke(tmp_path / "k.db", "ingest", "notes", str(path), "--keep-pii")
    assert "3 added, 0 already present, 0 rejected [csv]" in kept.output
    with Store(tmp_path / "k.db") as s:
        assert any("jane.doe@acme.com" in n["text"] for n in s.notes())


def test_cli_note_keep_pii(tmp_path):
    db = tmp_path / "w.db"
    masked = invoke(db, "note", "Email dana@acme.com about SSO", "--no-assign")
    assert masked.exit_code == 0 and "1 emails/phone numbers masked" in masked.output
    kept = invoke(db, "note", "Email sam@acme.com about SCIM", "--keep-pii", "--no-assign")
    assert kept.exit_code == 0 and "masked" not in kept.output
    with Store(db) as s:
        assert sorted(n["text"] for n in s.notes()) == [
            f"Email {EMAIL} about SSO",
            "Email sam@acme.com about SCIM",
        ]
