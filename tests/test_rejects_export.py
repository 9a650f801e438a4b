"""`gaplens rejects --export`: rejected rows written back, fixed, and imported again."""

from __future__ import annotations

from click.testing import CliRunner

from gaplens.cli import cli
from gaplens.store import Store


def invoke(db, *args):
    return CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)


def write(path, text):
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_csv_round_trip(tmp_path):
    db = tmp_path / "w.db"
    src = write(
        tmp_path / "calls.csv",
        "Note ID;Note;Date;Amount\n"
        "C-1;Needs SSO for contractors;2026-03-02;48000\n"
        'C-2;"Asked about ""HIPAA"" and\na signed BAA";someday;12500\n'
        "C-3;Wants EU hosting;2026-03-04;lots\n"
        "C-4;Too expensive vs Zentrix;2026-03-05;9000\n",
    )
    first = invoke(db, "ingest", "notes", str(src), "--no-assign")
    assert "2 added, 0 already present, 2 rejected" in first.output
    out = tmp_path / "fix" / "rejects.csv"
    result = invoke(db, "rejects", "--export", str(out))
    assert result.exit_code == 0, result.output
    assert f"wrote 2 rejected rows to {out}" in result.output
    exported = out.read_text(encoding="utf-8")
    assert exported == (
        "Note ID;Note;Date;Amount\n"
        'C-2;"Asked about ""HIPAA"" and\na signed BAA";someday;12500\n'
        "C-3;Wants EU hosting;2026-03-04;lots\n"
    )
    write(out, exported.replace("someday", "2026-03-03").replace("lots", "30000"))
    again = invoke(db, "ingest", "notes", str(out), "--no-assign")
    assert "2 added, 0 already present, 0 rejected" in again.output
    with Store(db) as s:
        notes = {n["note_id"]: n for n in s.notes()}
    assert set(notes) == {"C-1", "C-2", "C-3", "C-4"}
    assert notes["C-2"]["text"] == 'Asked about "HIPAA" and\na signed BAA'
    assert (notes["C-3"]["amount"], notes["C-2"]["date"]) == (30000.0, "2026-03-03")


def test_csv_files_with_different_headers_get_one_file_each(tmp_path):
    db = tmp_path / "w.db"
    write(tmp_path / "a.csv", "id,text,date\n1,ok,2026-01-01\n2,bad,nope\n")
    write(tmp_path / "b.csv", "note,amount\nfine,5\nbad,lots\n")
    invoke(db, "ingest", "notes", str(tmp_path / "a.csv"), str(tmp_path / "b.csv"))
    out = tmp_path / "rejects.csv"
    result = invoke(db, "rejects", "--export", str(out))
    assert "one file per source" in result.output
    assert not out.exists()
    assert (tmp_path / "rejects-a.csv").read_text() == "id,text,date\n2,bad,nope\n"
    assert (tmp_path / "rejects-b.csv").read_text() == "note,amount\nbad,lots\n"


def test_jsonl_round_trip_and_file_narrowing(tmp_path):
    db = tmp_path / "w.db"
    write(
        tmp_path / "notes.jsonl",
        '{"id": "J-1", "text": "Needs SSO"}\n'
        '{"id": "J-2", "text": "broken line\n'
        '{"id": "J-3", "text": "Wants SCIM", "date": "not a date"}\n',
    )
    write(tmp_path / "other.csv", "id,text,date\n1,ok,2026-01-01\n2,bad,nope\n")
    invoke(db, "ingest", "notes", str(tmp_path / "notes.jsonl"), str(tmp_path / "other.csv"))

    narrowed = invoke(db, "rejects", "--export", str(tmp_path / "x.csv"), "--file", "notes.jsonl")
    assert "nothing written" in narrowed.output and not (tmp_path / "x.csv").exists()
    listed = invoke(db, "rejects", "--file", "other.csv", "--format", "csv")
    assert "other.csv" in listed.output and "notes.jsonl" not in listed.output

    out = tmp_path / "rejects.jsonl"
    result = invoke(db, "rejects", "--export", str(out), "--file", str(tmp_path / "notes.jsonl"))
    assert f"wrote 2 rejected rows to {out}" in result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines == [
        '{"id": "J-2", "text": "broken line',
        '{"id": "J-3", "text": "Wants SCIM", "date": "not a date"}',
    ]
    write(
        out,
        '{"id": "J-2", "text": "broken line"}\n'
        + lines[1].replace("not a date", "2026-03-01")
        + "\n",
    )
    again = invoke(db, "ingest", "notes", str(out), "--no-assign")
    assert "2 added, 0 already present, 0 rejected" in again.output


def test_a_fixed_source_is_no_longer_exported(tmp_path):
    db = tmp_path / "w.db"
    src = write(tmp_path / "a.csv", "id,text,date\n1,ok,2026-01-01\n2,bad,nope\n")
    invoke(db, "ingest", "notes", str(src))
    write(src, "id,text,date\n1,ok,2026-01-01\n2,bad,2026-01-02\n")
    invoke(db, "ingest", "notes", str(src))
    result = invoke(db, "rejects", "--export", str(tmp_path / "r.csv"))
    assert "no rejected rows" in result.output


def test_no_rejects_and_unknown_source(tmp_path):
    db = tmp_path / "w.db"
    result = invoke(db, "rejects", "--export", str(tmp_path / "r.csv"))
    assert result.exit_code == 0 and "no rejected rows: nothing to export" in result.output
    assert not (tmp_path / "r.csv").exists()
    write(tmp_path / "a.csv", "id,text,date\n2,bad,nope\n")
    invoke(db, "ingest", "notes", str(tmp_path / "a.csv"))
    unknown = invoke(db, "rejects", "--export", str(tmp_path / "r.csv"), "--file", "zzz.csv")
    assert unknown.exit_code == 1 and "no rejected rows from 'zzz.csv'" in unknown.output
    bad = invoke(db, "rejects", "--export", str(tmp_path / "r.xlsx"))
    assert bad.exit_code == 1 and ".csv, .jsonl, .txt or .md" in bad.output
