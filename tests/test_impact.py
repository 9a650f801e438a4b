"""Revenue impact per theme (analysis.impact), checked against numbers worked out by hand.

The workspace: three themes, nine deals, seventeen notes (one of them stored as three
mentions, so twenty rows of ``notes``), and four rows in the CRM's deals table:

    theme 0 "SSO / SAML":  n1 n2 l1 (D1), n4 (D2), cn7#1 cn7#3 (D3), n10 (D7), n14 (no deal)
    theme 1 "Pricing":     n3 l2 (D2), n7 (D4), n8 (D5), n11 (D7), n12 (D8)
    theme 2 "Migration":   n5 cn7#2 (D3), l5 (D5), n9 (D6)
    no theme:              n6 (D3), n13 (D8)

    deal  notes say                            CRM row                  -> facts
    D1    Discovery, Demo, lost 03-20, 50000   -                        lost 50000 at Demo
    D2    Demo, Proposal, lost 04-02, 20000    lost, no amount, Price   lost 20000 at Proposal
    D3    Demo, Security Review x2, 80000      -                        open 80000, SR since 03-01
    D4    Negotiation 04-10, 30000             won 35000, on 06-01      won 35000
    D5    Proposal 04-01, lost 07-15, 40000    -                        lost 40000 at Proposal
    D6    Discovery 06-01, no amount           open, Demo since 06-10   open 0, Demo since 06-10
    D7    Discovery 01-20 and 06-20, 10000     -                        open 10000, Disc 01-20
    D8    Negotiation 02-15, won 03-15, 15000  -                        won 15000
    D9    no notes                             lost 5000, Pricing       lost 5000

The newest note is l5 (2026-07-15): days are counted to it unless as_of says otherwise.
"""

from __future__ import annotations

import pytest

from analysis.impact import (
    DealFacts,
    StuckDeal,
    deal_facts,
    reason_checks,
    reason_summary,
    theme_impact,
    theme_impacts,
    wilson,
)
from analysis.results import NoAnalysis
from gaplens.models import Note
from gaplens.store import Store

Z2 = 1.96**2

NOTES = [
    # id, kind, date, deal, account, amount, stage, outcome, competitor, text, theme
    ("n1", "objection", "2026-01-05", "D1", "Acme", None, "Discovery", "open", None,
     "They need SAML SSO enforced for every agent", 0),
    ("n2", "call-note", "2026-02-10", "D1", "Acme", 50000.0, "Demo", "open", "Zentrix",
     "Demo went fine but Okta SSO is a must", 0),
    ("l1", "loss-reason", "2026-03-20", "D1", "Acme", 50000.0, "Closed Lost", "lost", "Zentrix",
     "Went with Zentrix: no SAML enforcement", 0),
    ("n3", "objection", "2026-01-15", "D2", "Beta", None, "Demo", "open", None,
     "CaseBloom is half our price per agent", 1),
    ("n4", "call-note", "2026-02-01", "D2", "Beta", 20000.0, "Proposal", "open", None,
     "IT asked about SSO with Azure AD", 0),
    ("l2", "loss-reason", "2026-04-02", "D2", "Beta", 20000.0, "Closed Lost", "lost", "CaseBloom",
     "Budget: we were too expensive", 1),
    ("n6", "call-note", "2026-02-01", "D3", "Gamma", 60000.0, "Demo", "open", None,
     "Nice chat about their team offsite", None),
    ("n5", "objection", "2026-03-01", "D3", "Gamma", None, "Security Review", "open", None,
     "Worried about moving ticket history from Zentrix", 2),
    ("n7", "objection", "2026-04-10", "D4", "Delta", 30000.0, "Negotiation", "open", "Deskwise",
     "Deskwise bundles this for free", 1),
    ("n8", "call-note", "2026-04-01", "D5", "Epsilon", 40000.0, "Proposal", "open", None,
     "Pricing tiers confuse their CFO (ex-Deskwiser)", 1),
    ("l5", "loss-reason", "2026-07-15", "D5", "Epsilon", 40000.0, "Closed Lost", "lost", "Zentrix",
     "Could not move 5 years of history", 2),
    ("n9", "objection", "2026-06-01", "D6", "Zeta", None, "Discovery", "open", None,
     "How do we import our old tickets", 2),
    ("n10", "call-note", "2026-01-20", "D7", "ACME", 10000.0, "Discovery", "open", None,
     "SSO for the second Acme team", 0),
    ("n11", "objection", "2026-06-20", "D7", "acme", None, "Discovery", "open", None,
     "zentrix is cheaper", 1),
    ("n12", "call-note", "2026-02-15", "D8", None, 15000.0, "Negotiation", "open", None,
     "Discount needed to close", 1),
    ("n13", "call-note", "2026-03-15", "D8", "Eta", 15000.0, "Closed Won", "won", None,
     "Signed! kickoff next week", None),
    ("n14", "question", "2026-06-25", None, "Theta", None, None, None, None,
     "Do you support SAML like HelpScout does?", 0),
]  # fmt: skip

# cn7: one call note on D3 stored as three mentions, two of them in theme 0
CN7 = Note(
    "cn7",
    "Zentrix had SSO via Okta. Also the migration of macros. And SCIM provisioning like Zentrix.",
    kind="call-note",
    date="2026-05-01",
    deal="D3",
    account="Gamma",
    amount=80000.0,
    stage="Security Review",
    outcome="open",
)
MENTIONS = [
    ("Zentrix had SSO via Okta.", 0),
    ("Also the migration of macros.", 2),
    ("And SCIM provisioning like Zentrix.", 0),
]

DEALS = [
    {"deal": "D2", "name": "Beta - New", "account": "Beta", "amount": None,
     "stage": "Closed Lost", "outcome": "lost", "created": "2025-12-01",
     "close_date": "2026-04-02", "stage_since": "2026-04-02", "loss_reason": "Price",
     "competitor": None},
    {"deal": "D4", "name": "Delta - Renewal", "account": "Delta", "amount": 35000.0,
     "stage": "Closed Won", "outcome": "won", "created": "2026-03-01",
     "close_date": "2026-06-01", "stage_since": "2026-06-01", "loss_reason": None,
     "competitor": "Deskwise"},
    {"deal": "D6", "name": "Zeta - Pilot", "account": "Zeta", "amount": None,
     "stage": "Demo", "outcome": "open", "created": "2026-05-20",
     "close_date": "2026-09-30", "stage_since": "2026-06-10", "loss_reason": None,
     "competitor": None},
    {"deal": "D9", "name": "Iota - New", "account": "Iota", "amount": 5000.0,
     "stage": "Closed Lost", "outcome": "lost", "created": "2026-01-02",
     "close_date": "2026-02-20", "stage_since": "2026-02-20", "loss_reason": "Pricing",
     "competitor": "HelpScout"},
]  # fmt: skip

LABELS = {0: "SSO / SAML", 1: "Pricing", 2: "Migration"}


def _build(store: Store, crm: bool = True) -> Store:
    notes = [
        Note(i, text, kind=k, date=d, deal=deal, account=acc, amount=amt, stage=st,
             outcome=out, competitor=comp)
        for i, k, d, deal, acc, amt, st, out, comp, text, _ in NOTES
    ]  # fmt: skip
    mentions = [
        Note(
            f"cn7#{k}",
            text,
            kind=CN7.kind,
            date=CN7.date,
            deal=CN7.deal,
            account=CN7.account,
            amount=CN7.amount,
            stage=CN7.stage,
            outcome=CN7.outcome,
            parent_id="cn7",
            part=k,
            parts=len(MENTIONS),
        )
        for k, (text, _) in enumerate(MENTIONS, start=1)
    ]
    store.insert_notes(notes + mentions, None)
    store.add_originals([(CN7, len(MENTIONS), 0)], None)
    if crm:
        store.db["deals"].insert_all(DEALS, pk="deal")
    themes = {n[0]: n[-1] for n in NOTES}
    themes.update({f"cn7#{k}": cid for k, (_, cid) in enumerate(MENTIONS, start=1)})
    run = store.start_run("hand-made", {})
    store.save_results(
        run,
        [{"cluster_id": cid, "label": label, "size": 0} for cid, label in LABELS.items()],
        [{"note_id": i, "cluster_id": cid, "probability": 1.0} for i, cid in themes.items()],
        [],
    )
    store.end_run(run, "done", n_clusters=3)
    return store


@pytest.fixture
def ws(store: Store) -> Store:
    return _build(store)


@pytest.fixture
def no_crm(tmp_path) -> Store:
    with Store(tmp_path / "no-crm.db") as s:
        yield _build(s, crm=False)


def test_the_workspace_is_what_the_docstring_says(ws):
    assert ws.count_notes() == 20 and ws.count_imported() == 18
    assert ws.db["deals"].count == 4


def test_deal_facts_from_crm_and_notes(ws):
    facts = deal_facts(ws)
    assert list(facts) == ["D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8", "D9"]
    # notes only: l1 says lost; the last stage before it is Demo (n2, 02-10); the
    # largest amount is 50000 (n1 has none)
    assert facts["D1"] == DealFacts(
        "D1", "Acme", 50000.0, "lost", "Demo", "2026-02-10", "2026-03-20",
        "Went with Zentrix: no SAML enforcement", ("Zentrix",), crm=False,
    )  # fmt: skip
    # the CRM row has no amount (the notes give 20000) and a closed stage (the notes say
    # where it died: Proposal since 02-01); its reason wins over l2's text
    assert facts["D2"] == DealFacts(
        "D2", "Beta", 20000.0, "lost", "Proposal", "2026-02-01", "2026-04-02", "Price",
        ("CaseBloom",), crm=True,
    )  # fmt: skip
    # the split note counts once and carries the largest amount; Security Review since n5
    assert facts["D3"] == DealFacts(
        "D3", "Gamma", 80000.0, "open", "Security Review", "2026-03-01", None, None, ()
    )
    # the notes say open at 30000; the CRM says won at 35000, and wins
    d4 = facts["D4"]
    assert (d4.outcome, d4.amount, d4.close_date, d4.crm) == ("won", 35000.0, "2026-06-01", True)
    assert (d4.stage, d4.stage_since, d4.competitors) == (
        "Negotiation",
        "2026-04-10",
        ("Deskwise",),
    )
    # open in the CRM: its stage and date, the expected close; no amount anywhere: 0
    assert facts["D6"] == DealFacts(
        "D6", "Zeta", 0.0, "open", "Demo", "2026-06-10", "2026-09-30", None, (), crm=True
    )
    # two Discovery notes in a row: the stage is Discovery since the first; the account
    # is the latest note's
    assert (facts["D7"].stage_since, facts["D7"].account) == ("2026-01-20", "acme")
    # won through a "Closed Won" note; its closed stage is not where it sat
    d8 = facts["D8"]
    assert (d8.outcome, d8.stage, d8.close_date, d8.account) == (
        "won", "Negotiation", "2026-03-15", "Eta",
    )  # fmt: skip
    # in the CRM only
    assert facts["D9"] == DealFacts(
        "D9", "Iota", 5000.0, "lost", None, None, "2026-02-20", "Pricing", ("HelpScout",), True
    )


def test_deal_facts_as_of_a_past_day(ws):
    facts = deal_facts(ws, as_of="2026-05-15")
    # D6: no note by then and opened in the CRM on 05-20: not a deal yet
    assert set(facts) == {"D1", "D2", "D3", "D4", "D5", "D7", "D8", "D9"}
    # D4 closed on 06-01: open on 05-15, where its notes had it
    assert facts["D4"] == DealFacts(
        "D4", "Delta", 35000.0, "open", "Negotiation", "2026-04-10", None, None, ("Deskwise",),
        crm=True,
    )  # fmt: skip
    # D5 lost on 07-15 (l5): open at Proposal, its loss reason not written yet
    assert facts["D5"] == DealFacts(
        "D5", "Epsilon", 40000.0, "open", "Proposal", "2026-04-01", None, None, ()
    )
    assert facts["D7"].account == "ACME"  # n11 (06-20, "acme") not written yet
    # D6 on 06-05: n9 is there, but the CRM's Demo began on 06-10: its notes' stage holds
    d6 = deal_facts(ws, as_of="2026-06-05")["D6"]
    assert (d6.outcome, d6.stage, d6.stage_since) == ("open", "Discovery", "2026-06-01")
    # a quarter stands for its last day
    assert deal_facts(ws, as_of="2026Q2") == deal_facts(ws, as_of="2026-06-30")


def test_theme_impacts(ws):
    report = theme_impacts(ws)
    # every deal: won D4 35000 + D8 15000; lost D1 50000 + D2 20000 + D5 40000 + D9 5000;
    # open D3 80000 + D6 0 + D7 10000
    assert (report.won, report.lost, report.open_deals, report.closed) == (2, 4, 3, 6)
    assert report.win_rate == pytest.approx(2 / 6)
    assert (report.open_pipeline, report.lost_amount, report.won_amount) == (
        90000.0, 115000.0, 50000.0,
    )  # fmt: skip
    assert (report.as_of, report.stuck_days, report.measured_on) == (None, 60, "2026-07-15")
    # at stake: SSO 90000 + 70000, Migration 80000 + 40000, Pricing 10000 + 60000
    assert [t.theme_id for t in report.themes] == [0, 2, 1]
    sso, migration, pricing = report.themes

    # SSO: n1 n2 l1 n4 cn7 (two mentions, one note) n10 n14 = 7 notes; D1 D2 D3 D7;
    # accounts Acme (n1 n2 l1, n10 "ACME"), Beta, Gamma, Theta = 4
    assert (sso.label, sso.notes, sso.deals, sso.accounts) == ("SSO / SAML", 7, 4, 4)
    # open D3 80000 + D7 10000; lost D1 50000 + D2 20000; none won: 0 of 2
    assert (sso.open_deals, sso.open_pipeline, sso.lost_deals, sso.lost_amount) == (
        2, 90000.0, 2, 70000.0,
    )  # fmt: skip
    assert (sso.won_deals, sso.won_amount, sso.win_rate, sso.closed) == (0, 0.0, 0.0, 2)
    # Wilson for 0 of 2: low 0, high z²/2 / (1 + z²/2) = 1.9208 / 2.9208
    assert sso.win_rate_low == 0.0
    assert sso.win_rate_high == pytest.approx((Z2 / 2) / (1 + Z2 / 2))
    assert sso.lost_stages == (("Demo", 1), ("Proposal", 1))  # D1 at Demo, D2 at Proposal
    assert sso.open_stages == (("Discovery", 1), ("Security Review", 1))
    # Zentrix: n2 and l1 (field), cn7 (text of both mentions: one note);
    # HelpScout: n14's text, a name only the deals table (D9) gives
    assert sso.competitors == (("Zentrix", 3), ("HelpScout", 1))
    # days to 07-15: D7 in Discovery since 01-20 = 176, D3 in Security Review since 03-01 = 136
    assert sso.stuck == (
        StuckDeal("D7", "acme", 10000.0, "Discovery", "2026-01-20", 176),
        StuckDeal("D3", "Gamma", 80000.0, "Security Review", "2026-03-01", 136),
    )

    # Pricing: n3 l2 n7 n8 n11 n12; D2 D4 D5 D7 D8; accounts Beta, Delta, Epsilon, acme
    # and Eta (n12 names none: its deal D8's)
    assert (pricing.notes, pricing.deals, pricing.accounts) == (6, 5, 5)
    assert (pricing.open_deals, pricing.open_pipeline) == (1, 10000.0)  # D7
    assert (pricing.lost_deals, pricing.lost_amount) == (2, 60000.0)  # D2 20000 + D5 40000
    assert (pricing.won_deals, pricing.won_amount) == (2, 50000.0)  # D4 35000 + D8 15000
    assert (pricing.win_rate, pricing.closed) == (0.5, 4)
    # Wilson for 2 of 4: 0.5 -/+ 1.96 sqrt(0.25/4 + z²/64) / (1 + z²/4)
    half = 1.96 * (0.25 / 4 + Z2 / 64) ** 0.5 / (1 + Z2 / 4)
    assert pricing.win_rate_low == pytest.approx(0.5 - half)
    assert pricing.win_rate_high == pytest.approx(0.5 + half)
    assert pricing.win_rate_low == pytest.approx(0.15004, abs=1e-5)
    assert pricing.lost_stages == (("Proposal", 2),)
    assert pricing.open_stages == (("Discovery", 1),)
    # CaseBloom: n3 (text only) and l2 (field); Deskwise: n7; Zentrix: n11 ("zentrix");
    # n8's "Deskwiser" is another word
    assert pricing.competitors == (("CaseBloom", 2), ("Deskwise", 1), ("Zentrix", 1))
    assert [s.deal for s in pricing.stuck] == ["D7"]

    # Migration: n5 cn7 l5 n9; D3 D5 D6; Gamma, Epsilon, Zeta
    assert (migration.notes, migration.deals, migration.accounts) == (4, 3, 3)
    assert (migration.open_deals, migration.open_pipeline) == (2, 80000.0)  # D3 + D6 (no amount)
    assert (migration.lost_deals, migration.lost_amount, migration.won_deals) == (1, 40000.0, 0)
    assert (migration.win_rate, migration.closed) == (0.0, 1)
    assert migration.win_rate_high == pytest.approx(Z2 / (1 + Z2))  # 0 of 1
    assert migration.open_stages == (("Demo", 1), ("Security Review", 1))
    assert migration.competitors == (("Zentrix", 2),)  # n5's text, l5's field
    # D6 entered Demo on 06-10 (the CRM): 35 days, not stuck
    assert [(s.deal, s.days) for s in migration.stuck] == [("D3", 136)]

    assert theme_impact(ws, 2) == migration


def test_theme_impacts_as_of_a_past_day_with_a_custom_threshold(ws):
    report = theme_impacts(ws, as_of="2026-05-15", stuck_days=30)
    # D6 is not a deal yet; D4 (closed 06-01) and D5 (lost 07-15) are open:
    # won D8 15000; lost D1 50000 + D2 20000 + D9 5000; open D3 80000 + D4 35000
    # + D5 40000 + D7 10000
    assert (report.won, report.lost, report.open_deals, report.closed) == (1, 3, 4, 4)
    assert report.win_rate == 0.25
    assert (report.open_pipeline, report.lost_amount, report.won_amount) == (
        165000.0, 75000.0, 15000.0,
    )  # fmt: skip
    assert (report.as_of, report.measured_on, report.stuck_days) == (
        "2026-05-15", "2026-05-15", 30,
    )  # fmt: skip
    # at stake: SSO 90000 + 70000, Pricing 75000 + 20000, Migration 80000
    assert [t.theme_id for t in report.themes] == [0, 1, 2]
    sso, pricing, migration = report.themes
    # n14 (06-25) not written yet: 6 notes, no Theta, no HelpScout
    assert (sso.notes, sso.deals, sso.accounts) == (6, 4, 3)
    assert sso.competitors == (("Zentrix", 3),)
    # days to 05-15: D7 since 01-20 = 115, D3 since 03-01 = 75
    assert [(s.deal, s.days) for s in sso.stuck] == [("D7", 115), ("D3", 75)]
    # n11 (06-20) not written yet: D7 is not a Pricing deal on 05-15
    assert (pricing.notes, pricing.deals, pricing.accounts) == (5, 4, 4)
    assert (pricing.open_deals, pricing.open_pipeline) == (2, 75000.0)  # D4 + D5
    assert (pricing.lost_deals, pricing.lost_amount, pricing.won_deals) == (1, 20000.0, 1)
    assert (pricing.win_rate, pricing.closed) == (0.5, 2)
    assert pricing.open_stages == (("Negotiation", 1), ("Proposal", 1))
    assert pricing.competitors == (("CaseBloom", 2), ("Deskwise", 1))
    # D5 at Proposal since 04-01 = 44 days, D4 at Negotiation since 04-10 = 35
    assert pricing.stuck == (
        StuckDeal("D5", "Epsilon", 40000.0, "Proposal", "2026-04-01", 44),
        StuckDeal("D4", "Delta", 35000.0, "Negotiation", "2026-04-10", 35),
    )
    # only n5 and cn7#2: D3, nothing closed
    assert (migration.notes, migration.deals, migration.open_pipeline) == (2, 1, 80000.0)
    assert (migration.win_rate, migration.closed) == (None, 0)
    assert (migration.win_rate_low, migration.win_rate_high) == (None, None)
    assert migration.lost_stages == () and migration.competitors == (("Zentrix", 1),)


def test_stuck_days_from_the_setting(ws):
    # the default, 60: of the deals above only D7 (115) and D3 (75) are stuck on 05-15
    report = theme_impacts(ws, as_of="2026-05-15")
    assert report.stuck_days == 60
    assert [[s.deal for s in t.stuck] for t in report.themes] == [["D7", "D3"], [], ["D3"]]
    ws.set_setting("stuck_days", "40")
    # 40: D5 (44 days) is stuck, D4 (35) is not
    pricing = theme_impact(ws, 1, as_of="2026-05-15")
    assert [(s.deal, s.days) for s in pricing.stuck] == [("D5", 44)]
    assert theme_impacts(ws, as_of="2026-05-15").stuck_days == 40
    assert theme_impacts(ws, as_of="2026-05-15", stuck_days=100).themes[0].stuck[0].deal == "D7"
    ws.set_setting("stuck_days", "two months")
    with pytest.raises(ValueError, match="stuck_days"):
        theme_impacts(ws)


def test_an_empty_deals_table_reads_everything_from_the_notes(no_crm):
    facts = deal_facts(no_crm)
    assert "D9" not in facts and len(facts) == 8
    # D4 is open at 30000 (its notes); D2's reason is l2's text; D6 sits in Discovery
    assert (facts["D4"].outcome, facts["D4"].amount) == ("open", 30000.0)
    assert facts["D2"].loss_reason == "Budget: we were too expensive"
    assert (facts["D6"].stage, facts["D6"].stage_since, facts["D6"].close_date) == (
        "Discovery", "2026-06-01", None,
    )  # fmt: skip
    report = theme_impacts(no_crm)
    # won D8 15000; lost D1 50000 + D2 20000 + D5 40000; open D3 80000 + D4 30000 + D6 0
    # + D7 10000
    assert (report.won, report.lost, report.open_deals, report.win_rate) == (1, 3, 4, 0.25)
    assert (report.open_pipeline, report.lost_amount, report.won_amount) == (
        120000.0, 110000.0, 15000.0,
    )  # fmt: skip
    # at stake: SSO 160000, Migration 80000 + 40000, Pricing 40000 + 60000
    assert [t.theme_id for t in report.themes] == [0, 2, 1]
    sso, migration, pricing = report.themes
    assert sso.competitors == (("Zentrix", 3),)  # no deals table: HelpScout is no name
    # Pricing: open D4 30000 + D7 10000; lost D2 + D5; won D8: 1 of 3
    assert (pricing.open_deals, pricing.open_pipeline, pricing.lost_amount) == (2, 40000.0, 60000.0)
    assert (pricing.won_deals, pricing.closed) == (1, 3)
    assert pricing.win_rate == pytest.approx(1 / 3)
    assert pricing.open_stages == (("Discovery", 1), ("Negotiation", 1))
    # D4 at Negotiation since 04-10: 96 days to 07-15
    assert [(s.deal, s.days) for s in pricing.stuck] == [("D7", 176), ("D4", 96)]
    # D6 in Discovery since 06-01: 44 days, not stuck
    assert migration.open_stages == (("Discovery", 1), ("Security Review", 1))
    assert [s.deal for s in migration.stuck] == ["D3"]


def test_reason_checks_put_the_crm_reason_beside_the_notes(ws):
    checks = reason_checks(ws, 0)
    # lost deals with a note in SSO, largest first: D1 50000, D2 20000
    assert [(c.deal, c.amount) for c in checks] == [("D1", 50000.0), ("D2", 20000.0)]
    d1, d2 = checks
    # D1's loss reason (l1, no CRM row) landed in SSO itself
    assert (d1.crm_reason, d1.crm_theme, d1.crm_theme_id, d1.agrees) == (
        "Went with Zentrix: no SAML enforcement", "SSO / SAML", 0, True,
    )  # fmt: skip
    # newest first, the loss-reason note left out
    assert d1.notes_say == (
        "Demo went fine but Okta SSO is a must",
        "They need SAML SSO enforced for every agent",
    )
    # D2: the CRM says "Price" and its loss note (l2) is in Pricing; its SSO note is n4
    assert (d2.account, d2.crm_reason, d2.crm_theme, d2.crm_theme_id, d2.agrees) == (
        "Beta", "Price", "Pricing", 1, False,
    )  # fmt: skip
    assert d2.notes_say == ("IT asked about SSO with Azure AD",)
    # Pricing: D5 40000 (n8) before D2 20000; D5's reason (l5) is in Migration
    [d5] = reason_checks(ws, 1, limit=1)
    assert (d5.deal, d5.crm_reason, d5.crm_theme, d5.agrees) == (
        "D5", "Could not move 5 years of history", "Migration", False,
    )  # fmt: skip
    assert d5.notes_say == ("Pricing tiers confuse their CFO (ex-Deskwiser)",)
    # SSO: D1 and D2 raise it, the CRM names it for D1; Pricing: D2 (agrees) and D5;
    # Migration: D5 (l5)
    assert reason_summary(ws) == {0: (2, 1), 1: (2, 1), 2: (1, 1)}


def test_unknown_theme_and_no_analysis(ws, tmp_path):
    with pytest.raises(NoAnalysis, match="no theme 99"):
        theme_impact(ws, 99)
    with pytest.raises(NoAnalysis, match="no theme 99"):
        reason_checks(ws, 99)
    with Store(tmp_path / "empty.db") as empty:
        with pytest.raises(NoAnalysis):
            theme_impacts(empty)
        assert deal_facts(empty) == {}


def test_wilson_interval():
    assert wilson(0, 0) == (None, None)
    assert wilson(3, 3)[1] == 1.0 and wilson(0, 3)[0] == 0.0
    low, high = wilson(7, 10)  # p 0.7: centre (0.7 + 0.19208) / 1.38416
    assert (low, high) == (pytest.approx(0.3968, abs=1e-4), pytest.approx(0.8922, abs=1e-4))
