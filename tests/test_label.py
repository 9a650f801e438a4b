import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np

from analysis.label import (
    ThemeName,
    keywords_by_cluster,
    make_labels,
    name_clusters,
    representative,
    scrub,
)

RESIDENCY = [
    "Legal needs data residency in the EU before signing",
    "data residency is the blocker, hosting must stay in Frankfurt",
    "asked again about data residency for backups",
    "Their DPO wants data residency guarantees in writing",
    "data residency + a sub-processor list",
]
SEATS = [
    "Per-seat pricing is too steep for 40 agents",
    "per-seat pricing kills it for seasonal staff",
    "CaseBloom is cheaper, per-seat pricing again",
    "They hate per-seat pricing; casebloom offers concurrent seats",
    "CaseBloom quoted less",
]
SSO = [
    "SSO via Okta is a must",
    "need sso through Okta before rollout",
    "Okta SSO and SAML for all agents",
    "IT asks for SAML SSO with Okta",
]


def corpus(*groups: list[str]) -> tuple[list[str], np.ndarray]:
    texts = [t for g in groups for t in g]
    labels = np.concatenate([np.full(len(g), i) for i, g in enumerate(groups)])
    return texts, labels


def everything_shown(named: dict[int, ThemeName]) -> str:
    return " | ".join(t.label + " | " + " | ".join(t.keywords) for t in named.values()).lower()


def test_a_recurring_phrase_beats_its_lone_words():
    named = name_clusters(*corpus(RESIDENCY, SEATS, SSO))
    assert named[0].label == "Data residency"
    assert named[0].keywords[0] == "data residency"
    # neither word is listed again on its own once the phrase carries it
    assert "residency" not in named[0].keywords and "data" not in named[0].keywords
    # a hyphenated phrase keeps its hyphen and matches the spaced spelling
    assert named[1].label.startswith("Per-seat pricing")


def test_acronyms_and_names_keep_their_case_and_sentence_capitals_do_not():
    named = name_clusters(*corpus(RESIDENCY, SEATS, SSO))
    # written "sso" once and "SSO" thrice; "Okta" always capitalised
    assert named[2].label in {"Okta / SSO", "SSO / Okta"}
    assert "SAML" in named[2].keywords
    # "CaseBloom" mostly written so (once "casebloom"): the notes' own spelling wins
    assert "CaseBloom" in named[1].keywords
    # "Per-seat" opens two sentences: only its lower-case spelling counts
    assert named[1].keywords[0] == "per-seat pricing"


def test_acronyms_written_in_lower_case_are_shown_upper_case_in_labels():
    texts, labels = corpus(
        ["gdpr and the dpa", "need the dpa signed, gdpr", "gdpr review of the dpa"],
        ["voice channel please", "voice channel for the ivr", "ivr and voice channel"],
    )
    named = name_clusters(texts, labels)
    assert set(named[0].label.split(" / ")) == {"GDPR", "DPA"}
    assert named[1].label == "Voice channel / IVR"
    # keywords stay exactly as the notes write them
    assert set(named[0].keywords) == {"gdpr", "dpa"}
    assert named[1].keywords == ("voice channel", "ivr")


def test_labels_are_unique_and_told_apart_by_a_distinguishing_term():
    okta = ["SSO login needed"] * 98 + ["SSO login via okta", "okta SSO login"]
    azure = ["SSO login needed"] * 98 + ["SSO login via azure", "azure SSO login"]
    named = name_clusters(*corpus(okta, azure, okta))
    assert named[0].label == "SSO login / okta"
    assert named[1].label == "SSO login / azure"
    # clusters 0 and 2 hold the very same notes: only then does a number tell them apart
    assert named[2].label == "SSO login / okta (2)"


def test_keyword_only_labels_are_unique():
    labels = make_labels({0: ["sso", "okta", "login"], 1: ["sso", "okta", "login", "scim"], 2: []})
    assert labels == {0: "SSO / okta", 1: "SSO / okta / login", 2: "Theme 2"}


def test_a_label_does_not_repeat_a_form_of_its_first_word():
    assert make_labels({0: ["seasonal", "season", "flex seats"]}) == {0: "Seasonal / flex seats"}
    seasons = [
        "seasonal hires",
        "seasonal",
        "seasonal",
        "busy season",
        "busy season",
        "flex",
        "flex",
    ]
    named = name_clusters(*corpus(seasons, SSO))
    assert named[0].keywords[:2] == ("seasonal", "busy season")
    assert named[0].label == "Seasonal / flex"  # "busy season" ranks second but says it again


def test_domain_stop_words_never_appear_single_or_multi_word():
    assistant = [
        "Does Orbit Assist train on our tickets?",
        "orbit assist model training on customer data",
        "Orbitly's Orbit-Assist: is our data used for training?",
        "ORBIT ASSIST training data retention",
        "Orbitly AI data retention policy",
        "orbitly data retention terms",
    ]
    texts, labels = corpus(assistant, SSO)
    named = name_clusters(texts, labels, extra_stop_words=["Orbitly", "orbit assist"])
    shown = everything_shown(named)
    for word in ("orbitly", "orbit", "assist"):
        assert word not in shown
    assert named[0].label == "Data retention / training"
    # a stop word between two words does not join them into a phrase
    assert "orbitly data" not in shown
    kw = keywords_by_cluster(texts, labels, extra_stop_words=["ORBITLY", "Orbit  Assist"])
    assert not any("orbit" in k.lower() or "assist" in k.lower() for ks in kw.values() for k in ks)


def test_same_notes_in_any_order_get_the_same_names():
    texts, labels = corpus(RESIDENCY, SEATS, SSO, ["ok will do", "will do thanks"])
    expected = name_clusters(texts, labels, extra_stop_words=["Frankfurt"])
    for seed in range(5):
        order = list(range(len(texts)))
        random.Random(seed).shuffle(order)
        shuffled = name_clusters(
            [texts[i] for i in order], labels[order], extra_stop_words=["Frankfurt"]
        )
        assert shuffled == expected


def test_same_names_whatever_the_hash_seed():
    """Set and dict order of strings changes with PYTHONHASHSEED; the names must not."""
    texts, labels = corpus(RESIDENCY, SEATS, SSO)
    script = (
        "import json, sys, numpy as np\n"
        "from analysis.label import name_clusters\n"
        "texts, labels = json.load(sys.stdin)\n"
        "named = name_clusters(texts, np.array(labels))\n"
        "print(json.dumps({c: [t.label, list(t.keywords)] for c, t in named.items()}))\n"
    )
    root = Path(__file__).resolve().parents[1]
    outputs = set()
    for seed in ("1", "2", "3"):
        run = subprocess.run(
            [sys.executable, "-c", script],
            input=json.dumps([texts, labels.tolist()]),
            capture_output=True,
            text=True,
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
        )
        outputs.add(run.stdout)
    assert len(outputs) == 1


def test_a_cluster_of_stop_words_still_gets_a_usable_label():
    stop_only = ["ok will do", "yes will do thanks", "will do", "Orbitly will do"]
    name_only = ["Orbitly", "orbitly!", "ORBITLY"]
    texts, labels = corpus(SSO, stop_only, name_only)
    named = name_clusters(texts, labels, extra_stop_words=["orbitly"])
    assert named[1].label == "Will do" and named[1].keywords[0] == "will do"
    # nothing but the domain stop word: a neutral name, never the word itself
    assert named[2] == ThemeName("Theme 2", ())
    assert len({t.label for t in named.values()}) == 3


def test_words_used_once_only_still_name_a_cluster():
    texts, labels = corpus(SSO, ["sandbox environment", "staging copy"])
    named = name_clusters(texts, labels)
    assert named[1].label and named[1].label != "Theme 1"
    assert set(named[1].keywords) <= {"sandbox environment", "staging copy"}


def test_old_calls_still_work_and_agree_with_name_clusters():
    texts, labels = corpus(RESIDENCY, SEATS, SSO)
    labels = np.concatenate([labels, [-1, -1]])
    texts = texts + ["unclustered note about SSO", "another one"]
    named = name_clusters(texts, labels, extra_stop_words=["CaseBloom"])
    kw = keywords_by_cluster(texts, labels, extra_stop_words=["CaseBloom"])
    assert sorted(kw) == [0, 1, 2]
    assert kw == {c: list(t.keywords) for c, t in named.items()}
    assert all(isinstance(k, str) for ks in kw.values() for k in ks)
    with_notes = make_labels(kw, texts=texts, labels=labels, extra_stop_words=["CaseBloom"])
    assert with_notes == {c: t.label for c, t in named.items()}
    # from keywords alone: the leading phrase, acronyms upper-cased
    assert make_labels(kw)[0] == "Data residency"
    assert make_labels({0: ["sso", "saml", "okta"]}) == {0: "SSO / SAML"}
    assert name_clusters(texts, np.full(len(texts), -1)) == {}


def test_keywords_pick_distinctive_terms_and_skip_filler():
    texts = [
        "they asked about okta sso again",
        "sso with okta is a must",
        "needs okta sso login",
        "price too high vs zentrix",
        "zentrix price is lower",
        "asked about zentrix price",
    ]
    kw = keywords_by_cluster(texts, np.array([0, 0, 0, 1, 1, 1]))
    assert kw == {0: ["okta sso"], 1: ["zentrix price"]}


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
