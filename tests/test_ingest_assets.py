"""Importing content assets: inventory, folders, HTML, front matter, passages."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from gaplens.store import Store
from ingest import import_assets
from ingest.html import html_to_text
from ingest.passages import MAX_WORDS, MIN_WORDS, split_passages, split_sentences

FIXTURES = Path(__file__).parent / "fixtures" / "ingest" / "assets"


def assets_by_id(store: Store) -> dict[str, dict]:
    return {a["asset_id"]: a for a in store.assets()}


def passages_of(store: Store, asset_id: str) -> list[str]:
    return [p["text"] for p in store.passages() if p["asset_id"] == asset_id]


def test_folder_with_inventory_and_documents(store):
    sums = import_assets(store, [FIXTURES])
    by_file = {Path(s.file).name: s for s in sums}
    assert ".draft.md" not in by_file and "sso.md" not in by_file  # hidden; named by inventory
    logo = by_file["logo.svg"]
    assert (logo.format, logo.error, logo.rejected) == ("skipped", None, 1)
    assert "'.svg' files are not read" in logo.rejects[0].reason
    inventory = by_file["inventory.csv"]
    assert (inventory.added, inventory.rejected) == (2, 1)
    assert inventory.rejects[0].line == 4 and "no title" in inventory.rejects[0].reason
    assets = assets_by_id(store)
    assert set(assets) == {
        "AS-1",
        "AS-2",
        "a-extra.md",
        "a-page.html",
        "a-untitled-page.html",
        "a-release-notes.txt",
    }
    sso = assets["AS-1"]
    assert (sso["title"], sso["url"], sso["type"], sso["stage"], sso["updated"]) == (
        "SSO setup guide",
        "https://example.com/sso",
        "guide",
        "BOFU",
        "2026-03-18",
    )
    assert "Browse App Catalog" in sso["body"]  # the body came from sso.md
    assert sso["path"].endswith("sso.md")
    pricing = assets["AS-2"]
    assert pricing["body"].startswith("Plans start at $9,000 per year")  # the summary
    assert pricing["updated"] == "2026-03-01" and pricing["path"] is None
    assert passages_of(store, "AS-2") == [
        "Pricing one-pager\n\nPlans start at $9,000 per year. Enterprise adds SSO enforcement "
        "and a 99.95% uptime SLA."
    ]


def test_reimport_is_present(store):
    first = import_assets(store, [FIXTURES])
    second = import_assets(store, [FIXTURES])
    assert sum(s.added for s in first) == 6
    assert sum(s.added for s in second) == 0
    assert sum(s.present for s in second) == 6
    assert len(store.assets()) == 6


def test_changed_document_is_updated(store, tmp_path):
    folder = tmp_path / "library"
    folder.mkdir()
    doc = folder / "faq.md"
    doc.write_text("# FAQ\n\nFirst answer.\n", encoding="utf-8")
    assert import_assets(store, [folder])[0].added == 1
    doc.write_text("# FAQ\n\nSecond answer.\n", encoding="utf-8")
    assert import_assets(store, [folder])[0].added == 1
    assert passages_of(store, "a-faq.md") == ["FAQ\n\nSecond answer."]


def test_markdown_title_and_front_matter(store):
    import_assets(store, [FIXTURES / "extra.md", FIXTURES / "release-notes.txt"])
    assets = assets_by_id(store)
    extra = assets["a-extra.md"]
    assert (extra["title"], extra["url"], extra["type"], extra["stage"], extra["updated"]) == (
        "Data residency FAQ",
        "https://example.com/eu",
        "faq",
        "BOFU",
        "2025-11-04",
    )
    assert not extra["body"].startswith("---")
    assert assets["a-release-notes.txt"]["title"] == "release-notes"


def test_markdown_title_from_first_heading(store, tmp_path):
    (tmp_path / "guide.md").write_text("Intro line.\n\n# The Real Title\n\nBody text.\n")
    import_assets(store, [tmp_path / "guide.md"])
    assert store.assets()[0]["title"] == "The Real Title"


def test_html_title_and_stripping(store):
    import_assets(store, [FIXTURES / "page.html", FIXTURES / "untitled-page.html"])
    assets = assets_by_id(store)
    page = assets["a-page.html"]
    assert page["title"] == "Security overview | Orbitly"
    assert "AES-256 & in transit with TLS 1.3" in page["body"]
    for junk in ("tracking", "color: red", "Pricing", "Copyright"):
        assert junk not in page["body"]
    assert assets["a-untitled-page.html"]["title"] == "Webhooks you can rely on"
    (passage,) = passages_of(store, "a-page.html")
    assert passage.startswith("Security overview | Orbitly\n\nWe encrypt")
    assert "Assurance" in passage and "SOC 2 Type II since 2023." in passage


def test_html_to_text_structure():
    title, body = html_to_text(
        "<html><head><title>T</title></head><body><header><h1>Head</h1></header>"
        "<p>One<br>two</p><table><tr><td>a</td><td>b</td></tr></table>"
        "<nav><ul><li>Menu</li></ul></nav><p>Last &lt;p&gt;</p></body></html>"
    )
    assert title == "T"
    assert body == "# Head\n\nOne\ntwo\n\na b\n\nLast <p>"


def test_inventory_given_alone_and_with_its_files(store):
    sums = import_assets(store, [FIXTURES / "inventory.csv", FIXTURES / "sso.md"])
    assert [Path(s.file).name for s in sums] == ["inventory.csv"]  # sso.md: inventory row wins
    assert {a["asset_id"] for a in store.assets()} == {"AS-1", "AS-2"}


def test_inventory_without_ids_uses_file_or_title(store, tmp_path):
    shutil.copy(FIXTURES / "sso.md", tmp_path / "sso.md")
    (tmp_path / "content.csv").write_text(
        "Title,URL,File\nSSO guide,https://x/sso,sso.md\nBattlecard vs Zentrix,https://x/bc,\n"
    )
    import_assets(store, [tmp_path])
    assert {a["asset_id"] for a in store.assets()} == {"a-sso.md", "a-battlecard-vs-zentrix"}


def test_not_an_inventory(store, tmp_path):
    (tmp_path / "data.csv").write_text("Foo,Bar\n1,2\n")
    (s,) = import_assets(store, [tmp_path / "data.csv"])
    assert s.error is not None and "'Foo', 'Bar'" in s.error


def test_missing_asset_path(store, tmp_path):
    (s,) = import_assets(store, [tmp_path / "nowhere"])
    assert "no such file or folder" in s.error


def test_cp1252_asset(store, tmp_path):
    doc = tmp_path / "old.md"
    doc.write_bytes("# Résumé\n\nOur customers’ data stays in the EU.\n".encode("cp1252"))
    import_assets(store, [doc])
    asset = store.assets()[0]
    assert asset["title"] == "Résumé" and "customers’ data" in asset["body"]


# -- passages -------------------------------------------------------------------------


def _sentences(n: int, start: int = 0) -> str:
    return " ".join(
        f"Sentence number {i} talks about single sign-on and audit logs for the team."
        for i in range(start, start + n)
    )


LONG = f"""# Security guide

{_sentences(5)}

## Encryption

{_sentences(12, 100)}

{_sentences(9, 200)}

## Short section

{_sentences(2, 300)}

## Access

- Hardware keys for every engineer, e.g. for on-call work.
- Just-in-time access that expires.

{_sentences(30, 400)}
"""


def test_passages_pack_whole_sentences_within_bounds():
    passages = split_passages("Security guide", LONG)
    assert len(passages) > 3
    bodies = []
    for p in passages:
        head, _, body = p.partition("\n\n")
        assert head.startswith("Security guide")
        n = len(body.split())
        assert n <= MAX_WORDS
        bodies.append(body)
        assert re.search(r"[.!?:]$", body), body[-40:]  # ends at a sentence end
    assert all(len(b.split()) >= MIN_WORDS for b in bodies[:-1])
    text = " ".join(bodies)
    source = re.findall(r"Sentence number \d+ [^.]*\.", LONG)
    assert all(text.count(s) == 1 for s in source)  # nothing lost, nothing cut, nothing doubled
    assert "Hardware keys for every engineer, e.g. for on-call work." in text


def test_passages_carry_section_headings():
    passages = split_passages("Security guide", LONG)
    assert any(p.startswith("Security guide — Encryption\n\n") for p in passages)
    short = [p for p in passages if p.startswith("Security guide — Short section\n\n")]
    assert len(short) == 1 and "\n\nAccess:\n\n" in short[0]  # a short section runs on


def test_short_asset_is_one_passage():
    assert split_passages("Title", "# Title\n\nJust one line.") == ["Title\n\nJust one line."]
    assert split_passages("Only a title", "") == ["Only a title"]


def test_markdown_tables_become_sentences():
    body = "## Limits\n\n| Plan | Requests per minute |\n|---|---|\n| Starter | 200 |\n"
    (passage,) = split_passages("API", body)
    assert "Plan: Starter; Requests per minute: 200." in passage


def test_sentence_splitting_keeps_abbreviations():
    assert split_sentences("We use SAML, e.g. Okta. It works! Does it? Yes.") == [
        "We use SAML, e.g. Okta.",
        "It works!",
        "Does it?",
        "Yes.",
    ]


def test_documents_stored_through_an_inventory_are_not_imported_again(store, tmp_path):
    shutil.copy(FIXTURES / "sso.md", tmp_path / "sso.md")
    shutil.copy(FIXTURES / "extra.md", tmp_path / "extra.md")
    (tmp_path / "inventory.csv").write_text("Asset ID,Title,File\nAS-1,SSO guide,sso.md\n")
    import_assets(store, [tmp_path / "inventory.csv"])
    sums = import_assets(store, [tmp_path / "sso.md", tmp_path / "extra.md"])
    assert [Path(s.file).name for s in sums] == ["extra.md"]
    assert {a["asset_id"] for a in store.assets()} == {"AS-1", "a-extra.md"}


def test_asset_progress(store):
    calls = []
    import_assets(store, [FIXTURES], on_progress=lambda f, done, total: calls.append((done, total)))
    assert calls[0] == (3, 3)  # the inventory's rows ...
    assert calls[-1] == (4, 4)  # ... then each document
