"""Text and Markdown call-note files that hold several notes: logs, bullets, dated lines."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gaplens.store import Store
from ingest import import_notes
from ingest.privacy import EMAIL, PHONE
from ingest.textnotes import read_text_notes

FIXTURES = Path(__file__).parent / "fixtures" / "textnotes"
DEMO = Path(__file__).resolve().parent.parent / "data" / "notes" / "rep_notes"


def only(summaries):
    assert len(summaries) == 1, summaries
    return summaries[0]


def imported(store: Store) -> dict[str, dict]:
    """Each note as it was imported, by id: a note stored as its mentions (ingest.mentions)
    is read back with its original text and line."""
    originals = {r["note_id"]: r for r in store.db["note_originals"].rows}
    notes: dict[str, dict] = {}
    for row in store.notes():
        note_id = row["parent_id"] or row["note_id"]
        if note_id in notes:
            continue
        note = dict(row, note_id=note_id)
        if row["parent_id"]:
            note.update(text=originals[note_id]["text"], line=originals[note_id]["line"])
        notes[note_id] = note
    for note_id, original in originals.items():  # a split that kept no mention
        notes.setdefault(note_id, dict(original))
    return notes


def by_line(store: Store) -> list[dict]:
    return sorted(imported(store).values(), key=lambda n: n["line"])


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "w.db") as s:
        yield s


# -- the shapes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, shape, notes",
    [
        ("acme-motors-calls.md", "headings", 4),
        ("jordan-notes-2026.txt", "paragraphs", 5),
        ("objection-log.md", "bullets", 6),
        ("2026-03-19-delta-clinics-demo.md", "whole", 1),
        ("field-notes-feb-2026.md", "sections", 3),
        ("birch-bank-log.md", "headings", 2),
    ],
)
def test_each_fixture_is_read_as_its_shape(name, shape, notes):
    read = read_text_notes((FIXTURES / name).read_text(encoding="utf-8"), name)
    assert (read.shape, len(read.entries)) == (shape, notes)


def test_running_markdown_log_with_front_matter(store):
    s = only(import_notes(store, [FIXTURES / "acme-motors-calls.md"]))
    assert (s.format, s.added, s.rejected, s.error) == ("markdown", 4, 0, None)
    assert s.masked == 1  # the section with Victor's email and phone number
    intro, discovery, security, pricing = by_line(store)
    assert [n["line"] for n in (intro, discovery, security, pricing)] == [1, 11, 21, 29]
    assert [n["date"] for n in (intro, discovery, security, pricing)] == [
        None,
        "2026-03-14",
        "2026-03-23",
        "2026-04-02",
    ]
    # the front matter gives every note its account, deal, rep and competitor
    for n in (intro, discovery, security, pricing):
        assert (n["account"], n["deal"], n["rep"], n["competitor"]) == (
            "Acme Motors",
            "D-2207",
            "Priya Raman",
            "Zentrix",
        )
        assert n["kind"] == "call-note"
    # the text before the first dated section is the file's own note, id = file stem
    assert intro["note_id"] == "acme-motors-calls"
    assert intro["text"].startswith("Dealer support desk, ~60 agents")
    assert discovery["note_id"].startswith("acme-motors-calls:2026-03-14:")
    assert discovery["text"].startswith("- Keiko: every agent has to log in through Azure AD")
    assert discovery["text"].endswith("Next steps: NDA out today, book a security call.")
    assert "Discovery w/ Victor" not in discovery["text"]  # the heading is a title
    assert "---" not in discovery["text"]  # the divider before the next section
    assert "### Open items" in security["text"]  # a sub-heading stays in its section
    assert f"Reach him at {EMAIL} or {PHONE}." in security["text"]
    assert pricing["text"].endswith("wants termination for convenience in yr 1.")


def test_txt_with_us_dated_paragraphs(store):
    s = only(import_notes(store, [FIXTURES / "jordan-notes-2026.txt"]))
    assert (s.format, s.added, s.rejected) == ("text", 5, 0)
    notes = by_line(store)
    assert [(n["line"], n["date"], n["account"]) for n in notes] == [
        (3, "2026-03-14", "Acme Motors"),
        (5, "2026-03-17", "Birch Bank"),
        (8, "2026-03-20", None),
        (13, "2026-03-23", "Harbor Home Goods"),  # 'Mon 23 Mar': the year from the name
        (15, "2026-03-26", "Lumen Bank"),
    ]
    acme, birch, delta, harbor, lumen = notes
    assert acme["text"].startswith("discovery w/ their IT admin. must have SSO via Azure AD")
    assert birch["text"].endswith("anything over 25k needs CFO sign off.")  # its 2nd line
    assert delta["text"].startswith("Delta Clinics demo follow-up. Renee (compliance)")
    assert "Also: does Orbit Assist send patient msgs" in delta["text"]  # its 2nd paragraph
    assert harbor["text"].endswith(f"call him back at {PHONE}.")
    assert not any("running file" in n["text"] for n in notes)  # the first line: a title


def test_txt_day_first_dates_are_decided_for_the_whole_file(store, tmp_path):
    path = write(
        tmp_path,
        "emea-calls.txt",
        "14/3/26 - Kestrel Retail: want EU hosting, Frankfurt only\n"
        "3/4/26 - Norden Logistik: asked if the KB can be in German + Dutch\n"
        "20/4/26 - Kestrel Retail: DPA redlines back from legal\n",
    )
    s = only(import_notes(store, [path]))
    assert s.added == 3
    assert [n["date"] for n in by_line(store)] == ["2026-03-14", "2026-04-03", "2026-04-20"]


def test_bullet_objection_log(store):
    s = only(import_notes(store, [FIXTURES / "objection-log.md"]))
    assert (s.added, s.rejected) == (6, 0)
    notes = by_line(store)
    assert [n["line"] for n in notes] == [6, 7, 8, 10, 11, 12]
    assert {n["kind"] for n in notes} == {"objection"}  # kind: objection in front matter
    assert [(n["account"], n["rep"], n["deal"]) for n in notes] == [
        ("Acme Motors", "Jordan", None),
        ("Birch Bank", "Priya", "D-2231"),
        ("Delta Clinics", "Sam", None),
        ("Harbor Home Goods", "Jordan", None),
        ("Lumen Bank", "Priya", None),
        ("Driftwood Bank", "Sam", None),
    ]
    assert notes[0]["text"].startswith("asked whether SCIM provisioning is included")
    assert notes[1]["text"] == '"why would we pay per seat when half our agents are part time?"'
    assert notes[2]["text"] == (
        "wont move forward w/o a signed BAA that covers chat transcripts\n"
        "- also wants Orbit Assist off by default until their legal team signs off"
    )
    assert [n["date"] for n in notes] == [
        "2026-03-02",
        "2026-03-04",
        "2026-03-09",
        "2026-03-11",
        "2026-03-16",
        None,  # an undated bullet is still an item of the log
    ]


def test_kind_option_wins_over_front_matter(store):
    only(import_notes(store, [FIXTURES / "objection-log.md"], kind="question"))
    assert {n["kind"] for n in imported(store).values()} == {"question"}


def test_single_meeting_note_with_structural_headings_stays_one(store):
    path = FIXTURES / "2026-03-19-delta-clinics-demo.md"
    s = only(import_notes(store, [path]))
    assert (s.added, s.rejected) == (1, 0)
    (note,) = imported(store).values()
    assert (note["note_id"], note["date"], note["line"]) == (
        "2026-03-19-delta-clinics-demo",
        "2026-03-19",
        1,
    )
    assert note["text"].startswith("## Attendees\n- Renee Park (compliance officer)")
    for part in ("## Discussion", "**Pain points:**", "## Next steps", "- 3/24 send BAA"):
        assert part in note["text"]
    assert "demo w/ compliance + ops" not in note["text"]  # the title


def test_single_note_with_a_dated_title_stays_a_file_note(store, tmp_path):
    path = write(
        tmp_path,
        "acme-discovery.md",
        "# 2026-03-14 Acme Motors discovery\n\n## Attendees\n- Victor (infosec)\n\n"
        "## Discussion\nWants SAML enforced for every agent, no local passwords.\n",
    )
    s = only(import_notes(store, [path]))
    assert (s.added, s.rejected) == (1, 0)
    (note,) = imported(store).values()
    assert (note["note_id"], note["date"]) == ("acme-discovery", "2026-03-14")
    assert note["text"].startswith("## Attendees\n- Victor (infosec)")


def test_sections_between_rules_with_date_and_account_lines(store):
    s = only(import_notes(store, [FIXTURES / "field-notes-feb-2026.md"]))
    assert (s.added, s.rejected) == (3, 0)  # the empty sections at the end: skipped
    notes = by_line(store)
    assert [(n["line"], n["date"], n["account"], n["deal"]) for n in notes] == [
        (1, "2026-02-10", "Harbor Home Goods", None),
        (7, "2026-02-12", "Lumen Bank", "D-2188"),
        (14, "2026-02-17", "Birch Travel", None),  # 'Feb 17': the year from the name
    ]
    assert notes[1]["text"].startswith("Daniel (IT dir) wants the whole user lifecycle")
    assert not any("Date:" in n["text"] or "Account:" in n["text"] for n in notes)


def test_bad_date_is_rejected_with_file_and_line_and_the_rest_land(store):
    path = FIXTURES / "birch-bank-log.md"
    s = only(import_notes(store, [path]))
    assert (s.added, s.rejected) == (2, 1)
    (bad,) = s.rejects
    assert bad.file == s.file and s.file.endswith("birch-bank-log.md")
    assert bad.line == 7
    assert bad.reason.startswith("unparsable date '2026-02-30' in the heading")
    assert bad.raw.startswith("## 2026-02-30 — Pricing w/ procurement\n\nGreg opened")
    stored = store.rejects()
    assert [(r["file"], r["line"]) for r in stored] == [(s.file, 7)]
    assert [(n["line"], n["date"]) for n in by_line(store)] == [
        (3, "2026-02-03"),
        (11, "2026-03-12"),
    ]


def test_year_less_date_without_a_year_is_rejected_saying_so(store, tmp_path):
    path = write(
        tmp_path,
        "notes.txt",
        "Mon 14 Mar - Acme Motors: asked if SAML can be enforced for contractors too\n\n"
        "3/20/26 - Birch Bank: CFO wants an ROI one-pager before anything over 25k\n",
    )
    s = only(import_notes(store, [path]))
    assert (s.added, s.rejected) == (1, 1)
    assert s.rejects[0].line == 1
    assert "the date 'Mon 14 Mar' at the start of the line has no year" in s.rejects[0].reason
    assert [n["date"] for n in imported(store).values()] == ["2026-03-20"]


def test_heading_without_a_body_is_not_a_note_and_empty_sections_are_silent(store, tmp_path):
    path = write(
        tmp_path,
        "beta-calls.md",
        "# Beta Logistics\n\n"
        "## 2026-03-14 — Discovery\n\nThey want voice: 40% of contacts come in by phone.\n\n"
        "---\n\n---\n\n"
        "## 2026-03-21 — Demo w/ ops\n\n"
        "## 2026-03-28 — Pricing\n\nAsked for a seasonal tier, peak is Nov-Dec.\n",
    )
    s = only(import_notes(store, [path]))
    assert (s.added, s.rejected) == (2, 1)
    assert s.rejects[0].line == 11
    assert s.rejects[0].reason.startswith("nothing under '2026-03-21 — Demo w/ ops'")
    assert [n["date"] for n in by_line(store)] == ["2026-03-14", "2026-03-28"]


# -- ids ------------------------------------------------------------------------------


def test_reimporting_adds_nothing(store):
    first = import_notes(store, [FIXTURES])
    added = sum(s.added for s in first)
    assert added == 4 + 5 + 6 + 1 + 3 + 2
    again = import_notes(store, [FIXTURES])
    assert sum(s.added for s in again) == 0
    assert sum(s.present for s in again) == added
    assert sum(s.rejected for s in again) == 1  # the bad date, still there
    assert len(imported(store)) == added


def test_appending_or_inserting_a_section_adds_only_that_section(store, tmp_path):
    path = tmp_path / "acme-motors-calls.md"
    shutil.copy(FIXTURES / "acme-motors-calls.md", path)
    assert only(import_notes(store, [path])).added == 4
    before = set(imported(store))

    with path.open("a", encoding="utf-8") as f:
        f.write(
            "\n## 2026-04-09 — Legal call\n\n"
            "Their counsel asked if we cap liability for data breaches, and wants our DPA "
            "+ a list of sub-processors before redlines.\n"
        )
    s = only(import_notes(store, [path]))
    assert (s.added, s.present, s.rejected) == (1, 4, 0)
    (new,) = set(imported(store)) - before
    assert new.startswith("acme-motors-calls:2026-04-09:")
    assert imported(store)[new]["line"] == 34  # the file had 32 lines, then a blank one

    # a section put between two others shifts every line below it, and no id
    text = path.read_text(encoding="utf-8").replace(
        "## 2026-03-23",
        "## 2026-03-18 — Quick sync w/ Keiko\n\nAzure AD groups should map to Orbitly teams.\n\n"
        "## 2026-03-23",
    )
    path.write_text(text, encoding="utf-8")
    s = only(import_notes(store, [path]))
    assert (s.added, s.present, s.rejected) == (1, 5, 0)
    assert len(imported(store)) == 6


def test_sections_on_the_same_date_get_their_own_ids(store, tmp_path):
    path = write(
        tmp_path,
        "day.md",
        "## 2026-03-14 — Acme Motors\n\nWant SCIM, they deprovision through Okta.\n\n"
        "## 2026-03-14 — Birch Bank\n\nCaseBloom quoted 40% under us.\n\n"
        "## 2026-03-14 — Acme Motors\n\nWant SCIM, they deprovision through Okta.\n",
    )
    s = only(import_notes(store, [path]))
    assert (s.added, s.present, s.rejected) == (2, 1, 0)  # the same section twice: one note
    ids = sorted(imported(store))
    assert len(ids) == 2 and all(i.startswith("day:2026-03-14:") for i in ids)


def test_a_single_note_that_grows_into_a_log_keeps_its_id(store, tmp_path):
    path = write(
        tmp_path,
        "2026-03-14-acme.md",
        "# Acme - discovery call\n\nThey run 40 agents on Zentrix and worry about history.\n",
    )
    only(import_notes(store, [path]))
    assert imported(store)["2026-03-14-acme"]["text"] == (
        "They run 40 agents on Zentrix and worry about history."
    )
    with path.open("a", encoding="utf-8") as f:
        f.write("\n## 2026-03-21 — Follow-up\n\nAsked whether attachments migrate too.\n")
    s = only(import_notes(store, [path]))
    assert (s.added, s.present, s.rejected) == (1, 1, 0)
    notes = imported(store)
    assert notes["2026-03-14-acme"]["date"] == "2026-03-14"
    follow_up = next(n for i, n in notes.items() if i != "2026-03-14-acme")
    assert (follow_up["date"], follow_up["line"]) == ("2026-03-21", 5)


def test_ids_do_not_depend_on_keep_pii(tmp_path):
    path = FIXTURES / "jordan-notes-2026.txt"
    with Store(tmp_path / "masked.db") as masked, Store(tmp_path / "kept.db") as kept:
        only(import_notes(masked, [path]))
        s = only(import_notes(kept, [path], keep_pii=True))
        assert s.masked == 0
        assert set(imported(masked)) == set(imported(kept))
        assert any("(312) 555-0187" in n["text"] for n in imported(kept).values())
        assert not any("555-0187" in n["text"] for n in imported(masked).values())


def test_demo_rep_notes_stay_one_note_each_as_before(store):
    sums = import_notes(store, [DEMO])
    files = sorted(DEMO.glob("*.md"))
    assert len(sums) == len(files) == 8
    assert all((s.added, s.rejected) == (1, 0) for s in sums)
    notes = imported(store)
    assert set(notes) == {f.stem for f in files}
    for f in files:
        heading, _, body = f.read_text(encoding="utf-8").partition("\n")
        assert heading.startswith("# ")
        note = notes[f.stem]
        assert note["text"] == body.strip()  # the text below the title, as it always was
        assert (note["date"], note["line"]) == (f.name[:10], 1)
