"""The gap brief: the question, quotes, closest content, and format and stage with reasons."""

from __future__ import annotations

import pytest

from analysis.brief import (
    as_question,
    missing_words,
    pick_question,
    suggest_format,
    suggest_stage,
)


@pytest.mark.parametrize(
    "sentence, question",
    [
        ("Can we drop the Powered by footer?", "Can we drop the Powered by footer?"),
        ("Oskar asked: can we drop the footer for good?", "Can we drop the footer for good?"),
        (
            "asked whether agents can reply in English and have it translated",
            "Can agents reply in English and have it translated?",
        ),
        ("IT asked if our bot learns from chats", "Does your bot learn from chats?"),
        ("asked if they need a PS package", "Do we need a PS package?"),
        ("asked if the widget is fast enough", "Is the widget fast enough?"),
        (
            "asked if Orbitly, unlike Zentrix, hosts in Frankfurt",
            "Does Orbitly, unlike Zentrix, host in Frankfurt?",
        ),
        (
            "asked if the Frankfurt region option really exists",
            "Is it true that the Frankfurt region option really exists?",
        ),
        ("Dana asked how long setup takes - she has 3 weeks", "How long setup takes?"),
        ("asked about HIPAA and a signed BAA", "What about HIPAA and a signed BAA?"),
        ("They want to know whether we can sign a BAA", "Can you sign a BAA?"),
        ("sent the migration one-pager.", None),
        ("Budget is frozen until Q3.", None),
    ],
)
def test_as_question(sentence, question):
    assert as_question(sentence) == question


def test_pick_question_prefers_the_themes_words_then_representative_notes():
    notes = [
        ("n1", "Good call. Asked whether the widget loads fast."),
        ("n2", "asked if we sign a BAA for PHI. Legal is waiting."),
        ("n3", "Do you sign a BAA so we can store PHI?"),
        ("n4", "Clinic group; HIPAA is a must."),
    ]
    question, source, asked = pick_question(notes, ("baa", "phi", "hipaa"), "BAA / PHI")
    # n2 and n3 both use two keywords; n2 is the more representative (ranked first)
    assert (question, source) == ("Do you sign a BAA for PHI?", "n2")
    assert asked == 2  # n1 asks with none of the theme's words, n4 asks nothing
    # no question anywhere: the statement that says the theme best, as what to answer
    said = [("n5", "Great call overall."), ("n4", "Clinic group. HIPAA is a must for them.")]
    assert pick_question(said, ("hipaa",), "BAA / PHI")[:2] == (
        'How do we answer "HIPAA is a must for them"?',
        "n4",
    )
    # nothing in the theme's words at all: the label is phrased as one
    assert pick_question([("n5", "Great call overall.")], ("hipaa",), "BAA / PHI")[:2] == (
        "What should we know about BAA and PHI?",
        None,
    )


def test_suggest_format_rules_in_order():
    base = {"notes": 20, "kinds": {"objection": 20}, "howto_notes": 0}
    battle = suggest_format(**base, competitors=[("Zentrix", 8), ("CaseBloom", 2)])
    assert battle.value == "battlecard" and battle.reason.startswith("8 of 20 notes name Zentrix")
    compare = suggest_format(**base, competitors=[("Zentrix", 8), ("CaseBloom", 4)])
    assert compare.value == "comparison page" and "Zentrix (8), CaseBloom (4)" in compare.reason
    proof = suggest_format(
        notes=20, kinds={"loss-reason": 9, "objection": 11}, competitors=[], howto_notes=0
    )
    assert proof.value == "case study" and proof.reason.startswith("9 of 20 notes are loss reasons")
    howto = suggest_format(notes=20, kinds={"question": 20}, competitors=[], howto_notes=6)
    assert howto.value == "how-to" and howto.reason.startswith("6 of 20 notes")
    faq = suggest_format(notes=20, kinds={"question": 12, "loss-reason": 2}, howto_notes=5,
                         competitors=[("Zentrix", 3)], asked=11)  # fmt: skip
    assert faq.value == "faq entry"
    assert faq.reason.startswith("11 of 20 notes ask it outright, no competitor is named in more ")
    assert "than 3 and 2 are loss reasons" in faq.reason


def test_suggest_stage_counts_notes_by_funnel():
    s = suggest_stage({"Discovery": 4, "Security Review": 5, "Negotiation": 2, "Demo": 3})
    assert s.value == "BOFU"
    assert s.reason == (
        "7 of 14 notes with a stage were said in Security Review 5, Negotiation 2 "
        "(bottom of funnel)"
    )
    assert suggest_stage({"Discovery": 6, "Demo": 2}).value == "TOFU"
    assert suggest_stage({}).value == "MOFU"


def test_missing_words():
    text = "SSO guide: set up SAML single sign-on with Okta or Azure AD."
    assert missing_words(("saml", "okta", "scim", "provisioning", "azure ad"), text) == (
        "scim",
        "provisioning",
    )
