"""The analyst views, checked by value on a small fixture whose every number is computed by hand."""

from __future__ import annotations

import duckdb
import pytest
from typer.testing import CliRunner

from flows import cli
from tests.factories import APP_COLUMNS, SPELL_COLUMNS, WAGE_COLUMNS, app, spell, wage, write_csv

CONFIG = """kind,program,stream,start_on,end_on,year,value,source
window,ai_it_vfx,,2023-11-23,2024-12-31,,,test
window,orderlies,,2023-11-23,2024-12-31,,,test
cap,ai_it_vfx,,,,,3,test
cap,ai_it_vfx,ai,,,,2,test
cap,ai_it_vfx,it_vfx,,,,2,test
cap,orderlies,,,,,600,test
"""

# AI foreign workers (each with a spell 2020-01-01..2023-12-31, 1461 days: enough), D in 2024 unless said.
APPS = [
    app(application_id="A1", person_id="P1", submitted_at="2024-02-01T10:00:00"),  # selected, rank 1
    app(application_id="A2", person_id="P2", submitted_at="2024-02-02T10:00:00"),  # selected, rank 2
    app(application_id="A3", person_id="P3", submitted_at="2024-02-03T10:00:00"),  # cap_reached (stream cap 2)
    app(application_id="A4", person_id="P4", submitted_at="2024-02-04T10:00:00", french_oral_level="5"),  # ineligible
    app(application_id="A5", person_id="P5", submitted_at="2024-02-05T10:00:00", french_oral_level=""),  # undetermined
    app(application_id="A6", person_id="P1", submitted_at="2024-02-06T10:00:00"),  # P1 again: duplicate
    app(application_id="A7", person_id="P7", submitted_at="2023-06-01T10:00:00"),  # eligible, outside every window
    app(application_id="O1", person_id="P8", submitted_at="2024-03-01T10:00:00", program="orderlies", stream="work",
        substream=""),  # fails ORD_W_DIPLOMA (not orderly-related) and ORD_W_EXPERIENCE (no orderly spell)
]
SPELLS = [spell(application_id=a["application_id"]) for a in APPS if a["program"] == "ai_it_vfx"]


@pytest.fixture(scope="module")
def published(tmp_path_factory, prefect_harness):
    root = tmp_path_factory.mktemp("views")
    (root / "selection.csv").write_text(CONFIG)
    write_csv(SPELLS, SPELL_COLUMNS, root / "exp" / "e.csv")
    write_csv([wage()], WAGE_COLUMNS, root / "wages" / "w.csv")

    def run(apps):
        write_csv(apps, APP_COLUMNS, root / "apps" / "a.csv")
        result = CliRunner().invoke(cli.app, [
            "run", "--applications", str(root / "apps"), "--experience", str(root / "exp"),
            "--wages", str(root / "wages"), "--config", str(root / "selection.csv"), "--db", str(root / "q.duckdb")])
        assert result.exit_code == 0, result.output

    run(APPS)
    first = duckdb.connect(str(root / "q.duckdb"), read_only=True)
    views = {v: first.sql(f"SELECT * FROM {v}").fetchall() for v in ("cap_usage", "funnel_by_status",
                                                                     "funnel_by_rule", "decision_review")}
    first.close()
    # a second run where A1's data changed (its oral French is now 5): the published decision stands, for review
    run([dict(a, french_oral_level="5") if a["application_id"] == "A1" else a for a in APPS])
    with duckdb.connect(str(root / "q.duckdb"), read_only=True) as con:
        review = con.sql("SELECT application_id, program, stream, selection_year, decided_status, decided_outcome, "
                         "current_outcome, failed_rules, unknown_rules, law_changed, data_changed, wages_changed, "
                         "engine_changed, rules_moved FROM decision_review").fetchall()
    return views, review


def test_cap_usage(published):
    views, _ = published
    # program, stream, year, level, cap, selected, remaining, cap_reached, undetermined_for_review
    assert views["cap_usage"] == [
        ("ai_it_vfx", "ai", 2023, "stream", 2, 0, 2, 0, 0),
        ("ai_it_vfx", None, 2023, "program", 3, 0, 3, 0, 0),
        ("ai_it_vfx", "ai", 2024, "stream", 2, 2, 0, 1, 1),
        ("ai_it_vfx", None, 2024, "program", 3, 2, 1, 1, 1),
        ("orderlies", "work", 2024, "stream", None, 0, None, 0, 0),
        ("orderlies", None, 2024, "program", 600, 0, 600, 0, 0),
    ]


def test_funnel_by_status(published):
    views, _ = published
    assert sorted(views["funnel_by_status"]) == sorted([
        ("ai_it_vfx", 2023, "outside_intake", 1),
        ("ai_it_vfx", 2024, "selected", 2),
        ("ai_it_vfx", 2024, "cap_reached", 1),
        ("ai_it_vfx", 2024, "ineligible", 1),
        ("ai_it_vfx", 2024, "undetermined", 1),
        ("ai_it_vfx", 2024, "duplicate", 1),
        ("orderlies", 2024, "ineligible", 1),
    ])


def test_funnel_by_rule(published):
    views, _ = published
    # program, year, rule, citation, failed, unknown
    assert views["funnel_by_rule"] == [
        ("ai_it_vfx", 2024, "GEN_FRENCH_ORAL_7", "art. 6 2°; seed 002", 1, 1),
        ("orderlies", 2024, "ORD_W_DIPLOMA", "seed 002 Work stream, Education", 1, 0),
        ("orderlies", 2024, "ORD_W_EXPERIENCE", "seed 002 Work stream, Work experience", 1, 0),
    ]


def test_decision_review_lists_a_published_decision_todays_evaluation_no_longer_reaches(published):
    views, review = published
    assert views["decision_review"] == []  # after the first run, every decision agrees with its evaluation
    # its data moved (the row as read), nothing else; the rule whose outcome moved is named
    assert review == [("A1", "ai_it_vfx", "ai", 2024, "selected", "eligible", "ineligible", ["GEN_FRENCH_ORAL_7"], [],
                       False, True, False, False, ["GEN_FRENCH_ORAL_7"])]
