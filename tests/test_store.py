import sqlite3

import numpy as np

from gaplens.models import Note, Reject
from gaplens.store import Store, resolve_db_path


def test_new_workspace_has_schema_and_wal(tmp_path):
    path = tmp_path / "w.db"
    with Store(path) as s:
        tables = set(s.db.table_names())
        assert {
            "sources",
            "notes",
            "rejects",
            "assets",
            "passages",
            "embeddings",
            "runs",
            "clusters",
            "assignments",
            "coverage",
        } <= tables
        applied = [m["name"] for m in s.db["_sqlite_migrations"].rows]
        assert applied[0] == "0001_initial"
    mode = sqlite3.connect(path).execute("pragma journal_mode").fetchone()[0]
    assert mode == "wal"


def test_reopen_applies_no_migration_twice(tmp_path):
    path = tmp_path / "w.db"
    Store(path).close()
    with Store(path) as s:
        names = [m["name"] for m in s.db["_sqlite_migrations"].rows]
        assert len(names) == len(set(names))


def test_db_path_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv("GAPLENS_DB", str(tmp_path / "env.db"))
    assert resolve_db_path(None) == tmp_path / "env.db"
    assert resolve_db_path(tmp_path / "x.db") == tmp_path / "x.db"
    monkeypatch.delenv("GAPLENS_DB")
    assert str(resolve_db_path(None)) == "gaplens.db"


def test_notes_and_rejects_round_trip(store):
    sid = store.add_source("calls.csv", "notes", "csv", "abc")
    store.insert_notes([Note("n1", "needs SSO", kind="objection", amount=1200.5, deal="D1")], sid)
    store.add_rejects([Reject("calls.csv", 3, "empty text", "3,,")], sid)
    store.add_rejects([Reject("calls.csv", 3, "empty text", "3,,")], sid)  # same reject again
    notes = store.notes()
    assert [(n["note_id"], n["kind"], n["amount"], n["source_id"]) for n in notes] == [
        ("n1", "objection", 1200.5, sid)
    ]
    assert store.existing_notes(["n1", "n2"]).keys() == {"n1"}
    assert [(r["file"], r["line"], r["reason"]) for r in store.rejects()] == [
        ("calls.csv", 3, "empty text")
    ]


def test_full_text_search_follows_inserts(store):
    store.insert_notes([Note("a", "Okta SAML login"), Note("b", "pricing too high")], None)
    hits = [r["note_id"] for r in store.db["notes"].search("saml")]
    assert hits == ["a"]


def test_embedding_cache_round_trip(store):
    v = np.arange(4, dtype=np.float32) / 10
    store.cache_embeddings("m", {"h1": v})
    got = store.cached_embeddings("m", ["h1", "h2"])
    assert list(got) == ["h1"]
    np.testing.assert_array_equal(got["h1"], v)
    assert store.cached_embeddings("other-model", ["h1"]) == {}
