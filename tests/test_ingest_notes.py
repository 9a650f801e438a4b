"""Importing notes: formats, column aliases, kinds, bad rows, encodings, idempotency."""

from __future__ import annotations

from pathlib import Path

import pytest

from gaplens.store import Store
from ingest import IngestError, import_notes, parse_mapping

FIXTURES = Path(__file__).parent / "fixtures" / "ingest" / "notes"


def notes_by_id(store: Store) -> dict[str, dict]:
    """The notes as imported: a note stored as its mentions is its first mention's row
    with the whole text (ingest.mentions)."""
    notes = {}
    for n in store.notes():
        if n["parent_id"] is None:
            notes[n["note_id"]] = n
        elif n["parent_id"] not in notes:
            notes[n["parent_id"]] = {**n, "text": store.original(n["note_id"])["text"]}
    return notes


def only(summaries):
    assert len(summaries) == 1, summaries
    return summaries[0]


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


# -- formats and aliases ------------------------------------------------------------


def test_csv_with_aliases_quoting_and_embedded_newlines(store):
    s = only(import_notes(store, [FIXTURES / "call_notes.csv"]))
    assert (s.format, s.added, s.present, s.rejected, s.error) == ("csv", 3, 0, 0, None)
    notes = notes_by_id(store)
    c1, c2, c3 = notes["C-1"], notes["C-2"], notes["C-3"]
    assert c1["text"] == "Asked whether SSO can be enforced, per workspace, for contractors too"
    assert (c1["date"], c1["deal"], c1["account"], c1["rep"]) == (
        "2026-03-02",
        "Acme - New",
        "Acme Corp",
        "Priya Raman",
    )
    assert (c1["amount"], c1["stage"], c1["outcome"], c1["competitor"]) == (
        48000.0,
        "Discovery",
        "open",
        "Zentrix",
    )
    assert c1["kind"] == "call-note" and c1["line"] == 2
    assert c2["text"] == "Multi-line note:\nthey need SAML, Okta\nand audit logs"
    assert (c2["date"], c2["amount"], c2["outcome"], c2["line"]) == (
        "2026-03-14",
        12500.0,
        "won",
        3,
    )
    assert c3["text"] == 'Said "too expensive" vs CaseBloom, at $39/agent'
    assert (c3["date"], c3["amount"], c3["outcome"], c3["line"]) == (
        "2026-03-20",
        12500.0,
        "lost",
        6,
    )


def test_semicolon_csv_prefers_note_id_over_opportunity_id(store):
    s = only(import_notes(store, [FIXTURES / "objections.csv"]))
    assert (s.added, s.rejected, s.error) == (2, 0, None)
    notes = notes_by_id(store)
    assert set(notes) == {"OBJ-1", "OBJ-2"}
    obj1 = notes["OBJ-1"]
    assert (obj1["kind"], obj1["deal"], obj1["account"], obj1["rep"]) == (
        "objection",
        "D-1",
        "Acme",
        "Priya Raman",
    )
    assert (obj1["date"], obj1["amount"]) == ("2026-03-14", 48000.0)
    assert notes["OBJ-2"]["text"] == "Need EU data residency; Frankfurt hosting is a must"
    assert notes["OBJ-2"]["amount"] == 9500.0


def test_crm_export_whose_only_id_is_the_opportunity(store):
    s = only(import_notes(store, [FIXTURES / "crm_lost.csv"]))
    assert (s.added, s.rejected) == (2, 0)
    note = notes_by_id(store)["006A1"]
    assert (note["deal"], note["kind"], note["outcome"], note["stage"]) == (
        "006A1",
        "loss-reason",
        "lost",
        "Closed Lost",
    )
    assert (note["account"], note["rep"], note["competitor"], note["amount"]) == (
        "Acme",
        "Priya Raman",
        "Zentrix",
        30000.0,
    )
    assert note["date"] == "2026-01-15"


def test_json_array(store):
    s = only(import_notes(store, [FIXTURES / "notes.json"]))
    assert (s.format, s.added, s.rejected) == ("json", 2, 1)
    assert s.rejects[0].line == 2 and "expected an object" in s.rejects[0].reason
    notes = notes_by_id(store)
    first = notes["101"]
    assert (first["kind"], first["date"], first["deal"], first["amount"]) == (
        "question",
        "2026-03-14",
        "D-9",
        48000.0,
    )
    assert first["competitor"] == "Zentrix, CaseBloom"
    assert notes["103"]["date"] == "2026-03-15"  # the date as written, not moved to UTC
    assert notes["103"]["kind"] == "call-note" and notes["103"]["line"] == 3


def test_json_object_holding_the_array(store, tmp_path):
    path = write(tmp_path, "wrapped.json", '{"notes": [{"note": "Asks about SSO"}]}')
    assert only(import_notes(store, [path])).added == 1


def test_jsonl_with_a_broken_line(store):
    s = only(import_notes(store, [FIXTURES / "notes.jsonl"]))
    assert (s.format, s.added, s.rejected) == ("jsonl", 2, 2)
    assert [r.line for r in s.rejects] == [2, 5]
    assert "invalid JSON" in s.rejects[0].reason
    assert s.rejects[0].raw == '{"id": "J-2", "body": "broken line'
    assert "expected an object, found an array" in s.rejects[1].reason
    notes = notes_by_id(store)
    assert notes["J-3"]["kind"] == "objection"
    assert notes["J-1"]["kind"] == "call-note" and notes["J-3"]["line"] == 4


def test_invalid_json_file_names_file_and_position(store, tmp_path):
    path = write(tmp_path, "broken.json", '[\n  {"text": "a"},\n  {"text": }\n]')
    s = only(import_notes(store, [path]))
    assert s.error is not None and "broken.json" in s.error
    assert "line 3, column 12" in s.error
    assert store.count_notes() == 0


def test_tab_and_pipe_delimiters(store, tmp_path):
    tab = write(tmp_path, "a.tsv", "Note\tDate\nSSO question, urgent\t2026-01-02\n")
    pipe = write(tmp_path, "b.csv", "Comment|Created\nPrice, again|2026-01-03\n")
    sums = import_notes(store, [tab, pipe])
    assert [(s.added, s.rejected) for s in sums] == [(1, 0), (1, 0)]
    assert sorted(n["text"] for n in store.notes()) == ["Price, again", "SSO question, urgent"]


@pytest.mark.parametrize(
    ("field", "header", "cell", "expected"),
    [
        ("text", "Body", "x", "x"),
        ("text", "Loss Reason", "x", "x"),
        ("text", "closed_lost_reason", "x", "x"),
        ("text", "DETAILS", "x", "x"),
        ("note_id", "Record ID", "R-7", "R-7"),
        ("note_id", "note_id", "N-7", "N-7"),
        ("date", "Timestamp", "2026-03-14T10:00:00+02:00", "2026-03-14"),
        ("date", "createdAt", "3/4/2026", "2026-03-04"),
        ("deal", "Deal ID", "D-1", "D-1"),
        ("deal", "Opportunity Name", "Acme - New", "Acme - New"),
        ("account", "Customer", "Acme", "Acme"),
        ("amount", "ARR", "$1.2M", 1_200_000.0),
        ("amount", "Deal Amount", "48.000,00 €", 48000.0),
        ("stage", "Deal Stage", "Demo", "Demo"),
        ("outcome", "Result", "Closed Won", "won"),
        ("outcome", "Status", "On hold", "On hold"),
        ("rep", "Opportunity Owner", "Priya", "Priya"),
        ("rep", "author", "Priya", "Priya"),
        ("competitor", "Primary Competitor", "Zentrix", "Zentrix"),
        ("kind", "Note Type", "Loss Reason", "loss-reason"),
    ],
)
def test_column_alias_families(store, tmp_path, field, header, cell, expected):
    text_header = "Summary" if field != "text" else header
    text_cell = "Prospect asked about SSO" if field != "text" else cell
    columns = [text_header] if field == "text" else [text_header, header]
    cells = [text_cell] if field == "text" else [text_cell, cell]
    path = write(
        tmp_path, "aliases.csv", ",".join(columns) + "\n" + ",".join(f'"{c}"' for c in cells)
    )
    s = only(import_notes(store, [path]))
    assert (s.added, s.rejected, s.error) == (1, 0, None), s.rejects
    assert store.notes()[0][field] == expected


def test_type_column_with_deal_types_is_not_a_kind(store, tmp_path):
    path = write(tmp_path, "deals.csv", "Type,Notes\nNew Business,Asked about SSO\nRenewal,Price\n")
    s = only(import_notes(store, [path]))
    assert (s.added, s.rejected) == (2, 0)
    assert {n["kind"] for n in store.notes()} == {"call-note"}


def test_picklist_text_column_gives_way_to_free_text(store, tmp_path):
    path = write(
        tmp_path,
        "lost.csv",
        "Loss Reason,Description\nPrice,They found CaseBloom cheaper for twelve agents\n"
        "Product,The widget could not be restyled to match the brand\n",
    )
    s = only(import_notes(store, [path]))
    assert s.added == 2
    texts = {n["text"]: n["kind"] for n in store.notes()}
    assert texts["They found CaseBloom cheaper for twelve agents"] == "loss-reason"


# -- mapping ----------------------------------------------------------------------------


def test_parse_mapping():
    assert parse_mapping(["text=Objection", "date = Logged On", "note_id=Ref"]) == {
        "text": "Objection",
        "date": "Logged On",
        "id": "Ref",
    }
    with pytest.raises(IngestError, match="expected FIELD=COLUMN"):
        parse_mapping(["text"])
    with pytest.raises(IngestError, match="expected FIELD=COLUMN"):
        parse_mapping(["text="])
    with pytest.raises(IngestError, match="unknown field 'colour'.*text"):
        parse_mapping(["colour=Red"])
    with pytest.raises(IngestError, match="mapped twice"):
        parse_mapping(["text=A", "text=B"])


def test_mapping_overrides_guesses(store, tmp_path):
    path = write(
        tmp_path,
        "custom.csv",
        "Ref,Feedback,When,Notes\nF-1,Wants SSO for contractors,14/03/2026,internal only\n",
    )
    mapping = parse_mapping(["text=Feedback", "date=When", "id=Ref"])
    s = only(import_notes(store, [path], mapping=mapping))
    assert (s.added, s.rejected) == (1, 0)
    note = store.notes()[0]
    assert (note["note_id"], note["text"], note["date"]) == (
        "F-1",
        "Wants SSO for contractors",
        "2026-03-14",
    )


def test_mapping_to_a_missing_column_lists_the_columns(store):
    s = only(import_notes(store, [FIXTURES / "call_notes.csv"], mapping={"text": "Objection"}))
    assert s.error is not None
    assert "--map text=Objection" in s.error and "'Note ID'" in s.error and "'Notes'" in s.error
    assert store.count_notes() == 0


def test_unknown_mapping_field_or_kind_raises(store):
    with pytest.raises(IngestError, match="unknown field"):
        import_notes(store, [FIXTURES / "call_notes.csv"], mapping={"colour": "Notes"})
    with pytest.raises(IngestError, match="--kind 'webinar'"):
        import_notes(store, [FIXTURES / "call_notes.csv"], kind="webinar")


def test_no_text_column_fails_the_file_and_lists_columns(store):
    s = only(import_notes(store, [FIXTURES / "no_text.csv"]))
    assert s.error is not None and s.added == 0
    assert "no_text.csv" in s.error
    assert "'Account', 'Amount', 'Stage'" in s.error
    assert "--map text=COLUMN" in s.error


# -- kinds -----------------------------------------------------------------------------


def test_kind_option_overrides_everything(store):
    s = only(import_notes(store, [FIXTURES / "notes.jsonl"], kind="Question"))
    assert s.added == 2
    assert {n["kind"] for n in store.notes()} == {"question"}


def test_kind_column_values_are_normalised_and_unknown_ones_rejected(store, tmp_path):
    path = write(
        tmp_path,
        "kinds.csv",
        "kind,text\nCall Note,a\nloss_reason,b\nObjections,c\nwebinar,d\n,e\n",
    )
    s = only(import_notes(store, [path]))
    assert (s.added, s.rejected) == (4, 1)
    assert s.rejects[0].line == 5
    assert "unknown kind 'webinar' in column 'kind'" in s.rejects[0].reason
    kinds = {n["text"]: n["kind"] for n in store.notes()}
    assert kinds == {"a": "call-note", "b": "loss-reason", "c": "objection", "e": "call-note"}


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("Objection", "objection"),
        ("Question", "question"),
        ("Reason", "loss-reason"),
        ("Notes", "call-note"),
    ],
)
def test_kind_inferred_from_the_text_column(store, tmp_path, header, kind):
    path = write(tmp_path, "k.csv", f"{header}\nSomething a prospect said\n")
    only(import_notes(store, [path]))
    assert store.notes()[0]["kind"] == kind


# -- bad rows ----------------------------------------------------------------------------


def test_bad_rows_are_rejected_and_good_rows_land(store):
    s = only(import_notes(store, [FIXTURES / "bad_rows.csv"]))
    assert (s.added, s.rejected) == (2, 4)
    by_line = {r.line: r for r in s.rejects}
    assert set(by_line) == {3, 4, 5, 6}
    assert by_line[3].reason == "unparsable date '31/31/2026' in column 'date'"
    assert by_line[3].raw == "b2,31/31/2026,100,Bad date row"
    assert by_line[4].reason == "unparsable amount 'lots' in column 'amount'"
    assert by_line[5].reason == "empty text in column 'text'"
    assert by_line[6].reason == "ragged row: 6 fields where the header has 4"
    assert by_line[6].raw == "b5,2026-03-04,100,Ragged,row,extra"
    assert sorted(notes_by_id(store)) == ["b1", "b6"]
    assert notes_by_id(store)["b6"]["amount"] == 1000.0
    stored = store.rejects()
    assert [r["line"] for r in stored] == [3, 4, 5, 6]
    assert stored[0]["reason"] == by_line[3].reason


def test_unbalanced_quote_rejects_one_line_and_reads_on(store, tmp_path):
    path = write(
        tmp_path,
        "quote.csv",
        'id,text,date\nq1,fine,2026-01-01\nq2,"never closed,2026-01-02\n'
        "q3,still lands,2026-01-03\nq4,also lands,2026-01-04\n",
    )
    s = only(import_notes(store, [path]))
    assert s.rejected == 1 and s.rejects[0].line == 3
    assert "unbalanced quote" in s.rejects[0].reason
    assert s.rejects[0].raw == 'q2,"never closed,2026-01-02'
    assert sorted(notes_by_id(store)) == ["q1", "q3", "q4"]
    assert notes_by_id(store)["q4"]["line"] == 5


def test_blank_lines_and_trailing_delimiters_are_not_rejects(store, tmp_path):
    path = write(tmp_path, "blank.csv", "id;text\r\n\r\nx1;hello;\r\n;;\r\nx2;world\r\n")
    s = only(import_notes(store, [path]))
    assert (s.added, s.rejected) == (2, 0)
    assert notes_by_id(store)["x2"]["line"] == 5


# -- encodings --------------------------------------------------------------------------


def test_utf8_bom_semicolon_export(store, tmp_path):
    content = (
        "Opportunity ID;Account Name;Amount;Close Date;Stage;Loss Reason\r\n"
        "D-1;Café Crème;48.000,00 €;2026-03-01;Closed Lost;"
        "They’d rather stay on Zentrix – migration risk\r\n"
    )
    path = write(tmp_path, "crm.csv", b"\xef\xbb\xbf" + content.encode("utf-8"))
    s = only(import_notes(store, [path]))
    assert (s.added, s.rejected, s.error) == (1, 0, None)
    note = store.notes()[0]
    assert note["note_id"] == "D-1" and note["account"] == "Café Crème"
    assert note["text"] == "They’d rather stay on Zentrix – migration risk"
    assert note["amount"] == 48000.0 and note["kind"] == "loss-reason"


def test_windows_1252_file(store, tmp_path):
    content = (
        "id,account,amount,text\nw1,Société Générale,5 000 €,Prospect’s CFO said “too pricey”\n"
    )
    path = write(tmp_path, "legacy.csv", content.encode("cp1252"))
    s = only(import_notes(store, [path]))
    assert (s.added, s.rejected, s.error) == (1, 0, None)
    note = store.notes()[0]
    assert note["account"] == "Société Générale"
    assert note["text"] == "Prospect’s CFO said “too pricey”"
    assert note["amount"] == 5000.0


def test_mostly_utf8_file_rejects_only_the_damaged_row(store, tmp_path):
    data = (
        "id,text\n".encode()
        + "u1,Zürich team wants SSO\n".encode()
        + "u2,Café owner\xe9s pricing\n".encode("latin-1")
        + "u3,Ça marche – on the cheaper plan\n".encode()
    )
    path = write(tmp_path, "mixed.csv", data)
    s = only(import_notes(store, [path]))
    assert (s.added, s.rejected) == (2, 1)
    assert s.rejects[0].line == 3 and "undecodable bytes" in s.rejects[0].reason
    assert s.rejects[0].raw == "u2,Café owner\xe9s pricing"  # shown as Windows-1252
    assert sorted(notes_by_id(store)) == ["u1", "u3"]


def test_utf16_export(store, tmp_path):
    path = write(
        tmp_path, "excel.txt.csv", "Notes\tDate\nAsks about SSO\t2026-01-02\n".encode("utf-16")
    )
    s = only(import_notes(store, [path]))
    assert (s.added, s.error) == (1, None)


# -- ids and idempotency --------------------------------------------------------------------


def test_importing_twice_adds_nothing(store):
    paths = [FIXTURES / "call_notes.csv", FIXTURES / "notes.jsonl", FIXTURES / "rep_notes"]
    first = import_notes(store, paths)
    added = sum(s.added for s in first)
    assert added == store.count_notes() > 0
    second = import_notes(store, paths)
    assert sum(s.added for s in second) == 0
    assert sum(s.present for s in second) == added
    assert store.count_notes() == added
    assert len(store.rejects()) == sum(s.rejected for s in first)  # rejects not duplicated


def test_generated_ids_are_stable(store, tmp_path):
    path = write(tmp_path, "noid.csv", "text,date,deal\nWants SSO,2026-01-01,D-1\nPrice,,\n")
    import_notes(store, [path])
    ids = sorted(n["note_id"] for n in store.notes())
    assert all(i.startswith("n-") and len(i) == 14 for i in ids)
    assert only(import_notes(store, [path])).present == 2
    assert sorted(n["note_id"] for n in store.notes()) == ids


def test_same_id_with_different_text_is_rejected(store, tmp_path):
    import_notes(store, [write(tmp_path, "a.csv", "id,text\nX-1,original text\n")])
    s = only(import_notes(store, [write(tmp_path, "b.csv", "id,text\nX-1,edited text\nX-2,new\n")]))
    assert (s.added, s.rejected) == (1, 1)
    reason = s.rejects[0].reason
    assert "'X-1'" in reason and "different text" in reason and "--map id=" in reason
    assert s.rejects[0].raw == "X-1,edited text"
    assert notes_by_id(store)["X-1"]["text"] == "original text"


def test_duplicate_rows_in_one_file(store, tmp_path):
    path = write(tmp_path, "dups.csv", "id,text\nD-1,same\nD-1,same\nD-2,one\nD-2,two\n")
    s = only(import_notes(store, [path]))
    assert (s.added, s.present, s.rejected) == (2, 1, 1)
    assert s.rejects[0].line == 5 and "line 4 of this file" in s.rejects[0].reason


# -- text files and folders -----------------------------------------------------------------


def test_folder_of_text_notes(store):
    sums = import_notes(store, [FIXTURES / "rep_notes"])
    by_file = {Path(s.file).name: s for s in sums}
    assert ".draft.md" not in by_file
    xlsx = by_file["pipeline.xlsx"]
    assert (xlsx.format, xlsx.error, xlsx.rejected) == ("skipped", None, 1)
    assert "save it as CSV" in xlsx.rejects[0].reason
    assert [r["file"] for r in store.rejects()] == [xlsx.file]
    assert [Path(s.file).name for s in sums] == [
        "2026-03-14-acme-discovery.md",
        "pipeline.xlsx",
        "2026-04-01-beta.md",
        "untitled.txt",
    ]
    notes = notes_by_id(store)
    acme = notes["2026-03-14-acme-discovery"]
    assert acme["date"] == "2026-03-14" and acme["kind"] == "call-note"
    assert acme["text"].startswith("Met their head of support.")
    assert "discovery call" not in acme["text"]
    assert notes["2026-04-01-beta"]["text"] == "Only a heading"
    assert notes["untitled"]["date"] is None


def test_text_note_kind_option(store):
    import_notes(store, [FIXTURES / "rep_notes" / "untitled.txt"], kind="objection")
    assert store.notes()[0]["kind"] == "objection"


def test_missing_and_unsupported_paths_are_summaries(store, tmp_path):
    odd = write(tmp_path, "notes.pdf", b"%PDF")
    sums = import_notes(store, [tmp_path / "nope.csv", odd, FIXTURES / "objections.csv"])
    assert "no such file or folder" in sums[0].error
    assert "'.pdf' files are not read" in sums[1].error
    assert sums[2].added == 2


def test_empty_and_binary_files(store, tmp_path):
    empty = write(tmp_path, "empty.csv", "")
    binary = write(tmp_path, "blob.csv", bytes(range(256)) * 4)
    sums = import_notes(store, [empty, binary])
    assert "empty" in sums[0].error
    assert sums[1].error is not None


def test_progress_is_reported(store, tmp_path):
    rows = "".join(f"r{i},note number {i}\n" for i in range(1200))
    path = write(tmp_path, "big.csv", "id,text\n" + rows)
    calls = []
    s = only(
        import_notes(store, [path], on_progress=lambda f, done, total: calls.append((done, total)))
    )
    assert s.added == 1200
    assert calls == [(0, 1200), (500, 1200), (1000, 1200), (1200, 1200)]


def test_source_rows_record_each_file(store):
    import_notes(store, [FIXTURES / "bad_rows.csv"])
    (source,) = store.sources()
    assert (source["role"], source["format"], source["added"], source["rejected"]) == (
        "notes",
        "csv",
        2,
        4,
    )
    assert len(source["sha256"]) == 64


def test_a_single_path_and_the_workspace_in_the_folder(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    write(folder, "notes.csv", "id,text,\nA-1,hello,\n")  # trailing delimiter, header too
    with Store(folder / "gaplens.db") as store:
        sums = import_notes(store, str(folder))
        assert [(Path(s.file).name, s.added, s.error) for s in sums] == [("notes.csv", 1, None)]
        assert only(import_notes(store, folder / "notes.csv")).present == 1


def test_a_mapped_column_serves_only_its_field(store, tmp_path):
    path = write(tmp_path, "m.csv", "ID,Notes\nD-1,hello\n")
    only(import_notes(store, [path], mapping={"deal": "ID"}))
    note = store.notes()[0]
    assert note["deal"] == "D-1" and note["note_id"].startswith("n-")
