"""Importing CRM deal facts: `gaplens ingest deals` and ingest.deals."""

import csv
import functools
import io
import json
from pathlib import Path

from click.testing import CliRunner
from conftest import topic_texts

from gaplens.cli import cli
from gaplens.store import Store
from ingest.deals import import_deals, preview_deals, read_deals

DATA = Path(__file__).resolve().parent.parent / "data"

SALESFORCE = (
    "Opportunity ID,Opportunity Name,Account Name,Amount,Stage,Created Date,Close Date,"
    "Last Stage Change Date,Loss Reason,Primary Competitor\n"
    'D-1,Acme - Help Desk,Acme,"USD 48,000.00",Closed Won,1/5/2026,3/14/2026,3/14/2026,,\n'
    'D-2,Birch - Pilot,Birch,"$12,500",Closed Lost,1/20/2026,4/2/2026,4/2/2026,'
    "Price,CaseBloom\n"
    "D-3,Cedar - Suite,Cedar,150k,Negotiation,2/1/2026,12/18/2026,6/30/2026,,Zentrix\n"
)


def invoke(db, *args):
    return CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def by_id(store: Store) -> dict[str, dict]:
    return {d["deal"]: d for d in store.deals()}


def test_salesforce_report_with_us_amounts_and_dates(store, tmp_path):
    path = write(tmp_path / "opportunities.csv", SALESFORCE)
    [summary] = import_deals(store, [path])
    assert (summary.added, summary.present, summary.rejected, summary.error) == (3, 0, 0, None)
    assert summary.format == "salesforce report (csv)"
    deals = by_id(store)
    assert list(deals) == ["D-1", "D-2", "D-3"]
    won, lost, open_ = deals["D-1"], deals["D-2"], deals["D-3"]
    assert (won["outcome"], won["amount"], won["close_date"]) == ("won", 48000.0, "2026-03-14")
    assert (won["name"], won["account"], won["created"]) == (
        "Acme - Help Desk",
        "Acme",
        "2026-01-05",
    )
    assert (lost["outcome"], lost["amount"], lost["loss_reason"]) == ("lost", 12500.0, "Price")
    assert lost["competitor"] == "CaseBloom"
    assert (open_["outcome"], open_["stage"], open_["amount"]) == ("open", "Negotiation", 150000.0)
    assert open_["stage_since"] == "2026-06-30" and open_["line"] == 4
    [source] = store.sources()
    assert (source["role"], source["added"], source["path"]) == ("deals", 3, str(path))
    assert all(d["source_id"] == source["id"] for d in deals.values())


def test_european_export_semicolons_bom_and_day_first_dates(store, tmp_path):
    text = (
        "Opportunity ID;Opportunity Name;Account Name;Amount;Stage;Created Date;Close Date;"
        "Stage Change Date\n"
        "E-1;Nordlicht - Suite;Nordlicht GmbH;EUR 12.500,00;Closed Won;03.02.2026;"
        "14.03.2026;14.03.2026\n"
        "E-2;Lumen - Pilot;Lumen SA;48.000,00 €;Proposal;20/01/2026;28/02/2027;13/11/2026\n"
    )
    path = write(tmp_path / "export.csv", "\ufeff" + text, "utf-8")
    [summary] = import_deals(store, [path])
    assert summary.added == 2 and summary.rejected == 0
    deals = by_id(store)
    assert deals["E-1"]["amount"] == 12500.0 and deals["E-1"]["created"] == "2026-02-03"
    assert deals["E-2"]["amount"] == 48000.0 and deals["E-2"]["created"] == "2026-01-20"
    assert deals["E-2"]["stage_since"] == "2026-11-13" and deals["E-2"]["outcome"] == "open"


def test_cp1252_export_reads(store, tmp_path):
    text = "Deal ID,Deal Name,Company,Amount,Deal Stage\nH-1,Café Crème,Café Crème SARL,9000,Won\n"
    path = write(tmp_path / "legacy.csv", text, "cp1252")
    [summary] = import_deals(store, [path])
    assert summary.added == 1
    assert by_id(store)["H-1"]["account"] == "Café Crème SARL"


def test_hubspot_property_names_and_stage_mapping(store, tmp_path):
    text = (
        "hs_object_id,dealname,associatedcompany,amount,dealstage,createdate,closedate,"
        "closed_lost_reason,hs_date_entered_appointmentscheduled,hs_date_entered_158829339\n"
        "9001,Acme renewal,,30000,closedwon,2026-01-02T10:00:00Z,2026-02-01T00:00:00Z,,"
        "2026-01-02,\n"
        "9002,Birch new,,20000,appointmentscheduled,2026-03-01,2026-12-01,,2026-03-04,\n"
        "9003,Cedar pilot,,5000,158829339,2026-01-10,2026-04-01,Went with Deskwise,,"
        "2026-04-01\n"
    )
    path = write(tmp_path / "hubspot.csv", text)
    without = read_deals(path)
    assert [d.deal for d in without.deals] == ["9001", "9002"]
    [reject] = without.rejects
    assert reject.line == 4 and "158829339" in reject.reason and "--stage" in reject.reason

    [summary] = import_deals(store, [path], stages=["158829339=lost"])
    assert summary.added == 3 and summary.rejected == 0
    deals = by_id(store)
    assert [deals[d]["outcome"] for d in ("9001", "9002", "9003")] == ["won", "open", "lost"]
    assert deals["9001"]["name"] == "Acme renewal" and deals["9001"]["close_date"] == "2026-02-01"
    # when the deal entered its stage: the hs_date_entered_ column of the row's stage
    assert deals["9002"]["stage_since"] == "2026-03-04"
    assert deals["9003"]["stage_since"] == "2026-04-01"
    assert deals["9003"]["loss_reason"] == "Went with Deskwise"


def test_hubspot_ui_export_headers(store, tmp_path):
    text = (
        "Record ID,Deal Name,Associated Company (Primary),Amount,Deal Stage,Create Date,"
        "Close Date,Closed Lost Reason\n"
        "77,Acme,Acme Inc,1200,Closed Lost,2026-01-01,2026-02-01,Budget\n"
    )
    [summary] = import_deals(store, [write(tmp_path / "hs.csv", text)])
    assert summary.added == 1
    deal = by_id(store)["77"]
    assert (deal["account"], deal["outcome"], deal["loss_reason"]) == ("Acme Inc", "lost", "Budget")


def test_a_report_without_ids_keys_deals_by_name_and_skips_its_footer(store, tmp_path):
    text = (
        "Opportunity Owner,Account Name,Opportunity Name,Stage,Amount,Close Date\n"
        'Dev Patel,Acme,Acme - Help Desk,Closed Lost,"EUR 12.500,00",3/14/2026\n'
        'Dev Patel,Birch,Birch - Pilot,Proposal,"USD 48,000.00",12/1/2026\n'
        "\n"
        'Grand Totals (2 records),,,,"60,500.00",\n'
        "Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved.\n"
        "Confidential Information - Do Not Distribute\n"
    )
    [summary] = import_deals(store, [write(tmp_path / "report.csv", text)])
    assert (summary.added, summary.rejected) == (2, 0)
    assert summary.format == "salesforce report (csv); report footer skipped"
    deals = by_id(store)
    assert deals["Acme - Help Desk"]["amount"] == 12500.0
    assert deals["Birch - Pilot"]["amount"] == 48000.0
    assert deals["Birch - Pilot"]["name"] == "Birch - Pilot"


def test_hubspot_date_entered_columns_of_the_ui_export(store, tmp_path):
    text = (
        'Record ID,Deal Name,Deal Stage,Date entered "Contract Sent (Sales Pipeline)",'
        'Date entered "Closed Lost (Sales Pipeline)"\n'
        "1,Acme,Contract Sent,2026-10-01,\n"
        "2,Birch,Closed Lost,2026-08-01,2026-09-15\n"
    )
    import_deals(store, [write(tmp_path / "hs.csv", text)])
    deals = by_id(store)
    assert deals["1"]["stage_since"] == "2026-10-01" and deals["1"]["outcome"] == "open"
    assert deals["2"]["stage_since"] == "2026-09-15" and deals["2"]["outcome"] == "lost"


def test_outcome_column_wins_and_stage_settles_the_rest(store, tmp_path):
    text = (
        "Opportunity ID,Stage,Won/Lost,Amount\n"
        "O-1,Negotiation,Won,100\n"  # the outcome column says it
        "O-2,Verbal Commit,Undecided,100\n"  # no outcome word, a stage that is not closed: open
        "O-3,Closed Lost,Closed,100\n"  # the outcome names none, the stage does
        "O-4,Closed,Undecided,100\n"  # nothing says won, lost or open: a reject
        "O-5,,lost,100\n"
    )
    [summary] = import_deals(store, [write(tmp_path / "o.csv", text)])
    deals = by_id(store)
    assert {d: deals[d]["outcome"] for d in deals} == {
        "O-1": "won",
        "O-2": "open",
        "O-3": "lost",
        "O-5": "lost",
    }
    [reject] = summary.rejects
    assert reject.line == 5
    assert (
        reject.reason
        == "unknown outcome 'Undecided' in column 'Won/Lost' (expected won, lost or open)"
    )


def test_bad_rows_are_rejected_with_where_and_why_and_good_rows_kept(store, tmp_path):
    text = (
        "Opportunity ID,Account Name,Amount,Stage,Close Date\n"
        "B-1,Acme,1000,Demo,2026-12-01\n"
        ",Birch,2000,Demo,2026-12-01\n"
        "B-3,Cedar,lots,Demo,2026-12-01\n"
        "B-4,Delta,4000,Demo,next spring\n"
        "B-5,Ember,5000,Demo,2026-12-01\n"
        "B-1,Acme,9999,Demo,2026-12-01\n"
    )
    path = write(tmp_path / "bad.csv", text)
    [summary] = import_deals(store, [path])
    assert (summary.added, summary.rejected) == (2, 4)
    assert sorted(by_id(store)) == ["B-1", "B-5"]
    assert by_id(store)["B-1"]["amount"] == 1000.0  # the first row of a deal stands
    reasons = {r.line: r.reason for r in summary.rejects}
    assert reasons == {
        3: "no deal id in column 'Opportunity ID'",
        4: "unparsable amount 'lots' in column 'Amount'",
        5: "unparsable date 'next spring' in column 'Close Date'",
        7: "deal 'B-1' is already on line 2 of this file with other facts "
        "(an opportunities export has one row per deal)",
    }
    stored = {r["line"]: r for r in store.rejects()}
    assert set(stored) == {3, 4, 5, 7}
    assert stored[4]["file"] == str(path) and stored[4]["raw"] == "B-3,Cedar,lots,Demo,2026-12-01"
    assert stored[4]["header"] == "Opportunity ID,Account Name,Amount,Stage,Close Date"
    shown = invoke(store.path, "rejects", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(shown.output)))
    assert {(r["line"], r["reason"]) for r in rows} >= {("5", reasons[5])}


def test_a_file_that_is_not_an_opportunities_export_is_refused_and_writes_nothing(store, tmp_path):
    notes = write(tmp_path / "notes.csv", "Note,Logged On\nneeds SSO,2026-01-02\n")
    [summary] = import_deals(store, [notes])
    assert summary.error.startswith(f"{notes}: not an opportunities export: no deal id column")
    assert "columns found: 'Note', 'Logged On'" in summary.error
    no_stage = write(tmp_path / "ids.csv", "id,text\n1,needs SSO\n")
    [summary] = import_deals(store, [no_stage])
    assert "no Stage or Outcome column" in summary.error and "'id', 'text'" in summary.error
    # a log of notes: the same deal on many rows, with other stages
    stages = ["Demo", "Proposal", "Negotiation"]
    rows = [f"D-{i % 4},{stages[i % 3]},note {i}" for i in range(20)]
    log = write(tmp_path / "log.csv", "Opportunity,Stage,Objection\n" + "\n".join(rows) + "\n")
    [summary] = import_deals(store, [log])
    assert (
        "not an opportunities export" in summary.error and "gaplens ingest notes" in summary.error
    )
    assert store.deals() == [] and store.sources() == [] and store.rejects() == []


def test_reimport_adds_nothing_and_a_newer_export_updates(store, tmp_path):
    path = write(tmp_path / "opportunities.csv", SALESFORCE)
    import_deals(store, [path])
    before = by_id(store)
    [again] = import_deals(store, [path])
    assert (again.added, again.present, again.rejected) == (0, 3, 0)
    assert "updated" not in again.format
    assert by_id(store) == before  # not even touched

    newer = SALESFORCE.replace(
        "D-3,Cedar - Suite,Cedar,150k,Negotiation,2/1/2026,12/18/2026,6/30/2026,,Zentrix",
        "D-3,Cedar - Suite,Cedar,180k,Closed Won,2/1/2026,11/18/2026,11/18/2026,,Zentrix",
    )
    newer += "D-4,Delta - Pilot,Delta,9000,Discovery,11/2/2026,2/1/2027,11/2/2026,,\n"
    [update] = import_deals(store, [write(tmp_path / "opportunities-nov.csv", newer)])
    assert (update.added, update.present) == (1, 3)
    assert "1 updated with this export's facts" in update.format
    after = by_id(store)
    assert (after["D-3"]["outcome"], after["D-3"]["amount"]) == ("won", 180000.0)
    assert after["D-3"]["close_date"] == "2026-11-18"
    assert after["D-3"]["source_id"] != before["D-3"]["source_id"]
    assert after["D-1"] == before["D-1"]

    # an export without some columns leaves what an earlier one said of them
    short = "Opportunity ID,Stage,Amount\nD-1,Closed Won,50000\n"
    [partial] = import_deals(store, [write(tmp_path / "short.csv", short)])
    assert partial.present == 1 and "1 updated" in partial.format
    d1 = by_id(store)["D-1"]
    assert d1["amount"] == 50000.0 and d1["created"] == "2026-01-05" and d1["name"]


def test_json_and_jsonl_exports(store, tmp_path):
    deals = [
        {"Deal ID": "J-1", "Deal Name": "Acme", "Amount": 1000, "Deal Stage": "Closed Won"},
        {"Deal ID": "J-2", "Deal Name": "Birch", "Amount": "2,000", "Deal Stage": "Demo"},
    ]
    array = write(tmp_path / "deals.json", json.dumps({"deals": deals}))
    lines = write(
        tmp_path / "more.jsonl",
        json.dumps({"Deal ID": "J-3", "Deal Stage": "closedlost"}) + "\n{oops\n",
    )
    first, second = import_deals(store, [array, lines])
    assert (first.added, first.format) == (2, "json")
    assert (second.added, second.rejected) == (1, 1) and second.rejects[0].line == 2
    assert {d["deal"]: d["outcome"] for d in store.deals()} == {
        "J-1": "won",
        "J-2": "open",
        "J-3": "lost",
    }


def test_folders_are_walked_and_other_files_skipped(store, tmp_path):
    folder = tmp_path / "crm"
    folder.mkdir()
    write(folder / "q3.csv", "Opportunity ID,Stage\nF-1,Demo\n")
    write(folder / "q4.csv", "Opportunity ID,Stage\nF-2,Closed Won\n")
    write(folder / "readme.txt", "exported by hand")
    summaries = import_deals(store, [folder])
    assert [(Path(s.file).name, s.added) for s in summaries] == [
        ("q3.csv", 1),
        ("q4.csv", 1),
        ("readme.txt", 0),
    ]
    assert summaries[2].format == "skipped"
    assert sorted(by_id(store)) == ["F-1", "F-2"]


def test_preview_reads_as_an_import_would(tmp_path):
    path = write(tmp_path / "o.csv", SALESFORCE + "D-9,Zed,Zed,??,Demo,,,,,\n")
    [p] = preview_deals([path])
    assert dict(p.mapping)["deal"] == "Opportunity ID"
    assert dict(p.mapping)["outcome"] == "from Stage"
    assert dict(p.mapping)["stage_since"] == "Last Stage Change Date"
    assert p.total == 3 and [d.deal for d in p.deals] == ["D-1", "D-2", "D-3"]
    assert [r.line for r in p.rejects] == [5]


# -- the command line ------------------------------------------------------------------


def test_cli_ingest_deals(tmp_path):
    db = tmp_path / "w.db"
    path = write(tmp_path / "opportunities.csv", SALESFORCE)
    result = invoke(db, "ingest", "deals", str(path))
    assert result.exit_code == 0, result.output
    assert f"{path}: 3 added, 0 already present, 0 rejected [salesforce report (csv)]" in (
        result.output
    )
    again = invoke(db, "ingest", "deals", str(path))
    assert "0 added, 3 already present, 0 rejected" in again.output
    with Store(db) as s:
        assert len(s.deals()) == 3


def test_cli_stage_mapping_and_errors(tmp_path):
    db = tmp_path / "w.db"
    path = write(tmp_path / "hs.csv", "hs_object_id,dealstage\n1,158829339\n2,closedwon\n")
    unmapped = invoke(db, "ingest", "deals", str(path))
    assert "1 added, 0 already present, 1 rejected" in unmapped.output
    mapped = invoke(db, "ingest", "deals", str(path), "--stage", "158829339=lost")
    assert "1 added, 1 already present, 0 rejected" in mapped.output
    with Store(db) as s:
        assert by_id(s)["1"]["outcome"] == "lost"
    bad = invoke(db, "ingest", "deals", str(path), "--stage", "158829339=maybe")
    assert bad.exit_code == 1 and "the outcome must be won, lost or open" in bad.output
    notes = write(tmp_path / "notes.csv", "id,text\n1,needs SSO\n")
    refused = invoke(db, "ingest", "deals", str(notes))
    assert refused.exit_code == 1 and "not an opportunities export" in refused.output


def test_cli_dry_run_writes_nothing(tmp_path):
    db = tmp_path / "w.db"
    path = write(tmp_path / "o.csv", SALESFORCE + "D-9,Zed,Zed,??,Demo,,,,,\n")
    result = invoke(db, "ingest", "deals", str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "deal        \u2190 Opportunity ID" in result.output
    assert "3 deals would be imported" in result.output
    assert "D-1 | Acme - Help Desk | Acme | 48,000 | Closed Won (won)" in result.output
    assert "line 5: unparsable amount '??' in column 'Amount'" in result.output
    assert "dry run: nothing was written" in result.output
    assert not db.exists()


def test_demo_imports_the_deals_folder(tmp_path, monkeypatch, fake_embedder):
    """`gaplens demo` imports data/deals/ after the notes and content (the fake embedder
    stands in for the model, on a small demo folder)."""
    import analysis.pipeline

    real = analysis.pipeline.run_analysis
    monkeypatch.setattr(
        analysis.pipeline, "run_analysis", functools.partial(real, embedder=fake_embedder)
    )
    data = tmp_path / "data"
    for sub in ("notes", "assets", "deals"):
        (data / sub).mkdir(parents=True)
    lines = ["Opportunity,Objection,Date"]
    for t in ("sso", "hipaa", "voice"):
        lines += [f"D-{t}-{i % 3},{text},2026-0{1 + i % 9}-10" for i, text in
                  enumerate(topic_texts(t, 20))]  # fmt: skip
    write(data / "notes" / "objections.csv", "\n".join(lines) + "\n")
    write(data / "assets" / "sso.md", "# SSO guide\n\nsaml sso okta login single sign azure\n")
    deals = ["Opportunity ID,Amount,Stage"] + [
        f"D-{t}-{i},{1000 * (i + 1)},{stage}"
        for t, stage in (("sso", "Closed Won"), ("hipaa", "Closed Lost"), ("voice", "Demo"))
        for i in range(3)
    ]
    write(data / "deals" / "opportunities.csv", "\n".join(deals) + "\n")
    db = tmp_path / "demo.db"
    result = invoke(db, "demo", "--no-tui", "--data", str(data))
    assert result.exit_code == 0, result.output
    assert "opportunities.csv: 9 added, 0 already present, 0 rejected" in result.output
    with Store(db) as s:
        assert len(s.deals()) == 9
        assert {d["outcome"] for d in s.deals()} == {"won", "lost", "open"}
        assert [r["role"] for r in s.sources()][-1] == "deals"


def test_the_demo_deals_file_imports_cleanly(store):
    [summary] = import_deals(store, [DATA / "deals"])
    assert summary.error is None and summary.rejected == 0 and summary.added >= 380
    outcomes = {d["outcome"] for d in store.deals()}
    assert outcomes == {"won", "lost", "open"}
