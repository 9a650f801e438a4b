import numpy as np

from analysis.label import keywords_by_cluster, make_labels, representative, scrub


def test_keywords_pick_distinctive_terms_and_skip_filler():
    texts = [
        "they asked about okta sso again",
        "sso with okta is a must",
        "needs okta sso login",
        "price too high vs zentrix",
        "zentrix price is lower",
        "asked about zentrix price",
    ]
    labels = np.array([0, 0, 0, 1, 1, 1])
    kw = keywords_by_cluster(texts, labels)
    assert set(kw[0][:2]) <= {"okta", "sso", "okta sso"}
    assert "zentrix" in " ".join(kw[1][:2]) and "price" in " ".join(kw[1][:3])
    assert "asked" not in " ".join(kw[0] + kw[1])


def test_labels_are_unique():
    labels = make_labels({0: ["sso", "okta", "login"], 1: ["sso", "okta", "login", "scim"], 2: []})
    assert len(set(labels.values())) == 3
    assert labels[2] == "theme 2"


def test_scrub_removes_names_as_whole_words():
    out = scrub(
        [
            "Ember Energy wants SSO",
            "energy sector needs sso",
            "ember energy again",
            "Dev says dev team",
        ],
        ["Ember Energy", "Dev"],
    )
    assert "Ember" not in out[0] and "energy sector" in out[1] and "ember" not in out[2]
    assert out[3].split() == ["says", "dev", "team"]


def test_representative_prefers_central_distinct_texts():
    vectors = np.array([[1, 0], [0.9, 0.1], [0.9, 0.1], [0, 1]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    texts = ["a", "b", "b", "c"]
    picked = representative(vectors, np.array([0, 1, 2, 3]), texts, n=3)
    assert len(picked) == 3 and texts[picked[0]] in {"a", "b"}
    assert [texts[i] for i in picked].count("b") == 1
