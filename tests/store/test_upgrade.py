"""Upgrades: a database published by an earlier release keeps every decision and run (issue #15).

Fixtures under tests/fixtures/ are databases published by real earlier releases (each with the command and commit
that made it). Each layout change adds its own.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from flows import cli
from flows.readers.explain import explain
from flows.runtime.errors import InputError
from flows.store import layout
from tests.conftest import DATA
from tests.factories import APP_COLUMNS, SPELL_COLUMNS, app, spell, write_csv

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
README = Path(__file__).resolve().parents[2] / "README.md"
# fixtures published by releases of an older layout than this one
OLDER = ["layout1", "layout2", "layout3", "layout4", "layout5"]
PUBLISHED = [*OLDER, "layout6"]  # ... and by this layout's first release: the next change of layout starts from it


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def table(db: Path, name: str) -> pl.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(f"SELECT * FROM {name}").pl()


def describe(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.sql(f"DESCRIBE {name}").fetchall()]


# -- the steps, one by one ------------------------------------------------------------------------------------------

def _carried(db: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"ATTACH '{db}' AS previous (READ_ONLY)")
    for t in layout.carried(layout.inspect(db).layout):
        con.execute(f"CREATE TABLE {t} AS SELECT * FROM previous.{t}")
    con.execute("DETACH previous")
    return con


def test_step_1_to_2_records_the_layout_of_every_earlier_run_and_keeps_decisions_as_they_were():
    db = FIXTURES / "layout1" / "qcpilot.duckdb"
    con = _carried(db)
    decisions_before = con.sql("SELECT * FROM decisions").pl()
    runs_before = con.sql("SELECT * FROM runs").pl()
    layout.upgrade_1_to_2(con)
    runs_after = con.sql("SELECT * FROM runs").pl()
    assert runs_after.columns == [*runs_before.columns, "layout_version", "upgraded_from_layout"]
    others = [c for c in runs_before.columns if c != "inputs"]
    assert_frame_equal(runs_after.select(others), runs_before.select(others))
    # each input keeps what it recorded, and gains its size and time, unknown for these runs
    def fields(frame, names):
        return [[{k: i[k] for k in names} for i in row] for row in frame.get_column("inputs").to_list()]

    assert fields(runs_after, ["extract", "path", "sha256", "rows"]) == fields(runs_before, ["extract", "path",
                                                                                             "sha256", "rows"])
    assert {v for row in fields(runs_after, ["bytes", "modified_ns"]) for i in row for v in i.values()} == {None}
    assert runs_after.get_column("layout_version").to_list() == [1, 1, 1]
    assert runs_after.get_column("upgraded_from_layout").null_count() == 3
    assert_frame_equal(con.sql("SELECT * FROM decisions").pl(), decisions_before)


@pytest.mark.parametrize(("fixture", "step"), [("layout2", layout.upgrade_2_to_3), ("layout3", layout.upgrade_3_to_4)])
def test_steps_that_change_no_carried_table_pass_them_as_they_are(fixture, step):
    con = _carried(FIXTURES / fixture / "qcpilot.duckdb")
    before = {t: (describe(con, t), con.sql(f"SELECT * FROM {t}").pl()) for t in layout.carried(4)}
    step(con)
    for t, (shape, rows) in before.items():
        assert describe(con, t) == shape
        assert_frame_equal(con.sql(f"SELECT * FROM {t}").pl(), rows)


def test_step_4_to_5_gives_every_decision_its_keys_and_no_grounds_and_every_run_the_new_counts_unknown():
    con = _carried(FIXTURES / "layout4" / "qcpilot.duckdb")
    decisions, runs = con.sql("SELECT * FROM decisions").pl(), con.sql("SELECT * FROM runs").pl()
    layout.upgrade_4_to_5(con)
    after = con.sql("SELECT * FROM decisions").pl()
    # the shape a run of layout 5's release published (the fixture), not the code's own list
    with duckdb.connect(str(FIXTURES / "layout5" / "qcpilot.duckdb"), read_only=True) as published:
        assert describe(con, "decisions") == describe(published, "decisions")
        assert describe(con, "runs") == describe(published, "runs")
        added_to_runs = [c for c, _ in describe(published, "runs") if c not in runs.columns]
    assert after.columns[:len(decisions.columns)] == decisions.columns
    assert_frame_equal(after.select(decisions.columns), decisions)
    assert after.get_column("evaluation_id").null_count() == after.height  # the grounds were not kept then
    assert not after.get_column("promoted").any()
    assert (after.get_column("application_key") == after.get_column("application_id").str.to_lowercase()).all()
    after_runs = con.sql("SELECT * FROM runs").pl()
    assert_frame_equal(after_runs.select(runs.columns), runs)
    assert added_to_runs and all(after_runs.get_column(c).null_count() == runs.height for c in added_to_runs)
    assert [con.sql(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in ("evaluations", "evaluation_wages",
                                                                          "rulebooks")] == [0, 0, 0]


@pytest.mark.parametrize("fixture", OLDER)
def test_every_step_in_order_gives_the_carried_tables_of_a_new_database(fixture):
    db = FIXTURES / fixture / "qcpilot.duckdb"
    upgraded = duckdb.connect()
    layout.carry_forward(upgraded, layout.inspect(db))
    # the carried tables as this layout's release published them (its fixture), not as the code describes them
    with duckdb.connect(str(FIXTURES / PUBLISHED[-1] / "qcpilot.duckdb"), read_only=True) as published:
        for t in ("decisions", "runs", "evaluation_wages", "rulebooks"):
            assert describe(upgraded, t) == describe(published, t), t
        # evaluations: its head; the columns of each rule are added by the run that first keeps an evaluation
        head = describe(upgraded, "evaluations")
        assert len(head) >= 5 and head == describe(published, "evaluations")[:len(head)]


def test_the_steps_cover_every_layout_up_to_the_current_one():
    assert sorted(layout.STEPS) == list(range(1, layout.CURRENT))


# -- a run of this release on a database of an earlier one ---------------------------------------------------------

@pytest.fixture(scope="module", params=PUBLISHED)
def upgraded(request, tmp_path_factory, prefect_harness):
    """A fixture database published by an earlier release, copied, then run on by this release with its inputs and
    new applications: ten AI foreign workers submitted in December 2023 and two in June 2024."""
    fixture = FIXTURES / request.param
    root = tmp_path_factory.mktemp(f"upgrade-{request.param}")
    db = root / "qcpilot.duckdb"
    shutil.copy(fixture / "qcpilot.duckdb", db)
    new = [app(application_id=f"N{i:02d}", person_id=f"NP{i:02d}", submitted_at=f"2023-12-{5 + i:02d}T10:00:00")
           for i in range(10)]
    new += [app(application_id=f"N{i:02d}", person_id=f"NP{i:02d}", submitted_at=f"2024-06-{i:02d}T10:00:00")
            for i in (10, 11)]
    write_csv(new, APP_COLUMNS, root / "new" / "applications.csv")
    write_csv([spell(application_id=a["application_id"]) for a in new], SPELL_COLUMNS, root / "new" / "spells.csv")
    before = {"decisions": table(db, "decisions"), "runs": table(db, "runs"), "digest": digest(db),
              "layout": layout.inspect(db).layout, "fixture": request.param}
    result = CliRunner().invoke(cli.app, [
        "run", "--applications", str(fixture / "extracts" / "applications"),
        "--applications", str(fixture / "extra" / "applications_duplicates.csv"),
        "--applications", str(root / "new" / "applications.csv"),
        "--experience", str(fixture / "extracts" / "experience"),
        "--experience", str(fixture / "extra" / "experience_duplicates.csv"),
        "--experience", str(root / "new" / "spells.csv"),
        "--wages", str(DATA / "sample" / "wages"), "--config", str(fixture / "selection.csv"), "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db, before


def test_every_earlier_decision_is_kept_unchanged(upgraded):
    db, before = upgraded
    after = table(db, "decisions")
    kept = after.join(before["decisions"].select("application_id"), on="application_id", how="semi")
    assert_frame_equal(kept.select(before["decisions"].columns).sort("application_id"),
                       before["decisions"].sort("application_id"))
    assert after.height > before["decisions"].height


def test_every_earlier_run_is_kept_and_the_new_one_says_whether_it_upgraded(upgraded):
    db, before = upgraded
    runs = table(db, "runs").sort("started_at")
    old = before["layout"]
    # layout 1's inputs gained two fields (step 1 -> 2); the step's own test checks they keep what they recorded
    others = [c for c in before["runs"].columns if not (old == 1 and c == "inputs")]
    assert_frame_equal(runs.head(3).select(others), before["runs"].sort("started_at").select(others))
    last = runs.row(-1, named=True)
    upgraded_from = old if old != layout.CURRENT else None
    assert (last["layout_version"], last["upgraded_from_layout"]) == (layout.CURRENT, upgraded_from)
    assert runs.get_column("layout_version").to_list() == [old, old, old, layout.CURRENT]
    assert layout.inspect(db).layout == layout.CURRENT


# What the new applications become, worked out by hand from each fixture's ledger (cap 8 for the ai stream, 12 for
# the program, every year) and its README:
NEW_DECISIONS = {
    # 2023: the ai stream had its 8 places, none taken; the program 11 of 12 (one it_vfx selection).
    # 2024: the stream was full (8 selected, 14 ranked): the new ones rank 15 and 16, beyond the cap; June 2024 is
    # before the latest 2024 application ranked by the earlier runs: late arrivals.
    "layout1": ([(f"N{i:02d}", 2023, "selected", i + 1, None) for i in range(8)]
                + [("N08", 2023, "cap_reached", 9, "stream"), ("N09", 2023, "cap_reached", 10, "stream")]
                + [("N10", 2024, "cap_reached", 15, "stream"), ("N11", 2024, "cap_reached", 16, "stream")],
                [False] * 10 + [True, True]),
    # 2023: one ai application ranked and selected (submitted 28 December 2023, rank 1), none in it_vfx: 7 places
    # left in the stream, 11 in the program. The new ones (5-14 December) rank 2 to 11, after it, and are late
    # arrivals: submitted before it. 2024: the stream was full (8 selected, 15 ranked): ranks 16 and 17.
    "layout2": ([(f"N{i:02d}", 2023, "selected", i + 2, None) for i in range(7)]
                + [(f"N{i:02d}", 2023, "cap_reached", i + 2, "stream") for i in (7, 8, 9)]
                + [("N10", 2024, "cap_reached", 16, "stream"), ("N11", 2024, "cap_reached", 17, "stream")],
                [True] * 12),
}
# the same extracts as layout2, decided the same (see their READMEs)
for later in ("layout3", "layout4", "layout5", "layout6"):
    NEW_DECISIONS[later] = NEW_DECISIONS["layout2"]


def shapes(db: Path) -> dict[str, list[tuple[str, str]]]:
    with duckdb.connect(str(db), read_only=True) as con:
        names = [r[0] for r in con.sql("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]
        return {name: describe(con, name) for name in names}


def test_every_table_and_view_has_the_shape_of_this_layout(upgraded):
    """A run publishes exactly the shape of the database this layout's first release published: a change of any
    published table's or view's shape without a new layout (its step and its fixture) fails here."""
    db, _ = upgraded
    assert shapes(db) == shapes(FIXTURES / PUBLISHED[-1] / "qcpilot.duckdb"), (
        "the published shape changed: add layout CURRENT + 1 (flows/store/layout.py), its step and a fixture")


def test_a_decision_of_an_earlier_layout_says_its_grounds_were_not_kept_and_gives_today_s_evaluation_as_today_s(
        upgraded):
    db, before = upgraded
    old = before["decisions"].filter(pl.col("status") == "selected").sort("application_id").row(0, named=True)
    letter = explain(db, old["application_id"], "en")
    if before["layout"] >= 5:  # decided by a release that kept the grounds (layout 5 on): as made, no such line
        assert "Decision: eligible" in letter and "grounds" not in letter
        return
    lines = letter.splitlines()
    assert lines[0] == (f"This decision was taken on {old['decided_at'].date()} (run {old['decided_run_id']}), before "
                        "qcpilot kept the grounds of its decisions: they cannot be given.")
    assert "Today's evaluation follows; it is not the one the decision was taken on." in lines
    assert not any(line.startswith("Decision:") for line in lines)
    assert any(line.startswith("Today's evaluation: ") for line in lines)
    assert "Selection: selected" in letter


def test_new_applications_are_ranked_against_the_capacity_left(upgraded):
    db, before = upgraded
    new = table(db, "decisions").filter(pl.col("application_id").str.starts_with("N")).sort("application_id")
    decisions, late = NEW_DECISIONS[before["fixture"]]
    assert new.select("application_id", "selection_year", "status", "rank_in_stream", "cap_applied").rows() == decisions
    assert new.get_column("late_arrival").to_list() == late


def test_the_documented_queries_answer_on_the_upgraded_database(upgraded):
    db, _ = upgraded
    pages = [README, *sorted((README.parent / "docs").glob("*.md"))]
    blocks = [b for page in pages for b in re.findall(r"```sql\n(.*?)```", page.read_text(), flags=re.S)
              if not b.startswith("-- db:")]  # a what-if scenario's queries: test_whatif
    statements = [code for b in blocks for s in b.split(";")
                  if (code := "\n".join(line for line in s.splitlines() if not line.strip().startswith("--")).strip())]
    assert len(statements) >= 7
    with duckdb.connect(str(db), read_only=True) as con:
        for sql in statements:
            con.sql(sql).fetchall()


def test_a_database_in_a_folder_whose_name_has_quotes_and_brackets_is_upgraded(tmp_path, prefect_harness):
    """Found by the hostile test: the folder's name was pasted into SQL (ATTACH, the spill's files)."""
    folder = tmp_path / "ministère de l'Immigration [2024] [bold] *" / "[" / "x]"  # a path that reads "[/x]"
    folder.mkdir(parents=True)
    db = folder / "previous.duckdb"  # the name a staging database once shared with the ledger it attached
    shutil.copy(FIXTURES / "layout1" / "qcpilot.duckdb", db)
    decisions = table(db, "decisions")
    for _ in range(2):  # the upgrade, then a run on the upgraded database (the sample over another population's
        # ledger: its ids decided in other programs are rejected, above the 5 % that stops a night)
        result = CliRunner().invoke(cli.app, ["run", "--sample", "--force", "--max-rejected", "100", "--db", str(db)])
        assert result.exit_code == 0, result.output
    first = decisions.get_column("application_id").sort().item(0)
    result = CliRunner().invoke(cli.app, ["explain", first, "--db", str(db)])
    assert result.exit_code == 0 and first in result.output, result.output
    result = CliRunner().invoke(cli.app, ["explain", "[/x]", "--db", str(db)])  # an id with markup is a name too
    assert result.exit_code == 1 and "no application '[/x]' in" in result.output, result.output
    assert layout.inspect(db).layout == layout.CURRENT
    # every earlier entry as it was (the sample's larger caps promote cap_reached ones: a second entry each)
    assert_frame_equal(table(db, "decisions").filter(~pl.col("promoted"))
                       .join(decisions.select("application_id"), on="application_id", how="semi")
                       .select(decisions.columns).sort("application_id"),
                       decisions.sort("application_id"))


def test_a_database_path_with_a_backslash_is_refused_in_one_line(tmp_path):
    """Found by the second hostile test: DuckDB reads `a\\b/q.duckdb` as `a/b/q.duckdb`, another database."""
    (tmp_path / "a" / "b").mkdir(parents=True)
    shutil.copy(FIXTURES / "layout4" / "qcpilot.duckdb", tmp_path / "a" / "b" / "q.duckdb")
    odd = tmp_path / "a\\b" / "q.duckdb"
    odd.parent.mkdir()
    shutil.copy(FIXTURES / "layout1" / "qcpilot.duckdb", odd)
    for command in (["run", "--sample"], ["explain", "A00000001"], ["report", "--out", str(tmp_path / "r.html")]):
        result = CliRunner().invoke(cli.app, [*command, "--db", str(odd)])
        assert result.exit_code == 2 and "DuckDB reads a backslash in a path as a folder separator" in result.output


@pytest.mark.parametrize(("error", "says"), [
    (duckdb.IOException, "damaged, a part of it cannot be read (an input/output error); it is left untouched "
                         "(restore it from its copy)"),
    (duckdb.ConversionException, "its ledger cannot be read to be checked (ConversionException); it is left untouched"),
])
def test_a_ledger_that_cannot_be_read_to_be_checked_is_refused_in_one_line(error, says, tmp_path, monkeypatch):
    db = tmp_path / "q.duckdb"
    shutil.copy(FIXTURES / "layout4" / "qcpilot.duckdb", db)

    def unreadable(con, *args):
        raise error("could not read block 7: 'Jean Tremblay, 1977-07-07'")  # a library's own words, quoting a row

    monkeypatch.setattr(layout, "_check_ledger", unreadable)
    with pytest.raises(InputError) as refused:
        layout.check_sealed(layout.inspect(db))
    assert str(refused.value) == f"{db}: {says}"


def test_a_damaged_file_is_not_called_locked():
    """Found by the second hostile test: a checksum error "in block at location 4096" was read as a lock."""
    damaged = layout._open_error(Path("q.duckdb"), duckdb.IOException("Corrupt database file: computed checksum "
                                                                      "does not match in block at location 4096"))
    assert "not a DuckDB database that qcpilot can read" in str(damaged)
    locked = layout._open_error(Path("q.duckdb"), duckdb.IOException('Could not set lock on file "q.duckdb": '
                                                                     "Conflicting lock is held"))
    assert "another process holds it open for writing" in str(locked)


def test_a_run_with_nothing_new_still_refuses_a_ledger_changed_since_it_was_sealed(tmp_path, prefect_harness):
    """Found by the second hostile test: the no-op answer came before the ledger was checked, so a nightly run
    with no new file said "nothing new" of a forged decision."""
    fixture = FIXTURES / "layout4"
    db = tmp_path / "q.duckdb"
    shutil.copy(fixture / "qcpilot.duckdb", db)
    args = ["run", "--applications", str(fixture / "extracts" / "applications"),
            "--applications", str(fixture / "extra" / "applications_duplicates.csv"),
            "--experience", str(fixture / "extracts" / "experience"),
            "--experience", str(fixture / "extra" / "experience_duplicates.csv"),
            "--wages", str(DATA / "sample" / "wages"), "--config", str(fixture / "selection.csv"), "--db", str(db)]
    assert CliRunner().invoke(cli.app, args).exit_code == 0  # this release's own run: the next one has nothing new
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 0 and "nothing new since run" in result.output, result.output
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE decisions SET status = 'selected' WHERE application_id = "
                    "(SELECT min(application_id) FROM decisions WHERE status = 'ineligible')")
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 2 and "its decisions ledger was changed outside qcpilot" in result.output


# -- refusals -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fixture", OLDER)
def test_explain_and_report_on_an_older_layout_say_in_one_line_that_a_run_will_upgrade_it(fixture, tmp_path):
    db = tmp_path / "old.duckdb"
    shutil.copy(FIXTURES / fixture / "qcpilot.duckdb", db)
    old = layout.inspect(db).layout
    for command in (["explain", "A00000001"], ["report", "--out", str(tmp_path / "r.html")]):
        result = CliRunner().invoke(cli.app, [*command, "--db", str(db)])
        assert result.exit_code == 2
        assert result.output.strip().splitlines() == [
            f"qcpilot: {db}: published by an earlier release (layout {old}); the next `qcpilot run` on it upgrades it "
            f"to layout {layout.CURRENT}, keeping every decision and run"]


def test_explain_and_report_answer_on_a_database_of_this_layout_published_by_its_first_release(tmp_path):
    db = tmp_path / "current.duckdb"
    shutil.copy(FIXTURES / PUBLISHED[-1] / "qcpilot.duckdb", db)
    assert layout.inspect(db).layout == layout.CURRENT
    selected = table(db, "decisions").filter(pl.col("status") == "selected").sort("application_id").item(0, 0)
    result = CliRunner().invoke(cli.app, ["explain", selected, "--lang", "en", "--db", str(db)])
    assert result.exit_code == 0 and "selected" in result.output, result.output
    result = CliRunner().invoke(cli.app, ["report", "--out", str(tmp_path / "r.html"), "--db", str(db)])
    assert result.exit_code == 0 and (tmp_path / "r.html").stat().st_size > 0, result.output


def test_a_database_of_a_newer_layout_is_refused_and_left_untouched(upgraded, tmp_path, prefect_harness):
    db = tmp_path / "newer.duckdb"
    shutil.copy(upgraded[0], db)
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE qcpilot_meta SET layout_version = 99")
    before = digest(db)
    for command in (["run", "--sample", "--force"], ["explain", "N00"], ["report"]):
        result = CliRunner().invoke(cli.app, [*command, "--db", str(db)])
        assert result.exit_code == 2, command
        assert "published by a newer qcpilot (layout 99)" in result.output
    assert digest(db) == before


# Databases changed outside qcpilot, found by the hostile test of the upgrade (exit 1 "internal error", a false
# message, or carried forward): (fixture, the SQL that changes a copy, what the one line says).
DAMAGED_LAYOUT = {
    "only a qcpilot_meta": ("layout3", ["DROP VIEW IF EXISTS selections", "DROP VIEW IF EXISTS decision_review",
                                        "DROP TABLE decisions", "DROP TABLE runs"], "its decisions table is missing"),
    "layout as text": ("layout3", ["ALTER TABLE qcpilot_meta ALTER layout_version SET DATA TYPE VARCHAR",
                                   "UPDATE qcpilot_meta SET layout_version = 'three'"],
                       "qcpilot_meta has no whole-number layout_version"),
    "meta without its digests": ("layout3", ["CREATE OR REPLACE TABLE qcpilot_meta AS SELECT 3::INTEGER AS "
                                             "layout_version"], "qcpilot_meta does not have the columns of layout 3"),
    "layout 0": ("layout3", ["UPDATE qcpilot_meta SET layout_version = 0"],
                 "qcpilot_meta records layout 0, which never had that table"),
    "layout -1": ("layout2", ["UPDATE qcpilot_meta SET layout_version = -1"],
                  "qcpilot_meta records layout -1, which never had that table"),
    "no layout": ("layout3", ["UPDATE qcpilot_meta SET layout_version = NULL"], "qcpilot_meta records no layout"),
    "meta emptied": ("layout3", ["DELETE FROM qcpilot_meta"], "qcpilot_meta holds 0 rows"),
    "meta twice": ("layout2", ["INSERT INTO qcpilot_meta SELECT * REPLACE (3 AS layout_version) FROM qcpilot_meta"],
                   "qcpilot_meta holds 2 rows"),
    "a ledger column dropped": ("layout1", ["ALTER TABLE decisions DROP COLUMN late_arrival"],
                                "its decisions table does not have the columns of layout 1"),
    "a ledger column added": ("layout1", ["ALTER TABLE decisions ADD COLUMN note VARCHAR"],
                              "its decisions table does not have the columns of layout 1"),
    "meta dropped from a later layout": ("layout2", ["DROP TABLE qcpilot_meta"],
                                         "its runs table does not have the columns of layout 1"),
    # found by the second hostile test
    "a digest emptied": ("layout4", ["UPDATE qcpilot_meta SET decisions_digest = NULL"],
                         "qcpilot_meta has no decisions_digest"),
    "the ledger replaced by a view": ("layout4", ["CREATE TABLE kept AS SELECT * FROM decisions",
                                                  "DROP TABLE decisions", "CREATE VIEW decisions AS FROM kept"],
                                      "its decisions table is missing"),
    "a collation on the ledger": ("layout1", ["ALTER TABLE decisions ALTER status SET DATA TYPE VARCHAR "
                                              "COLLATE NOCASE"],
                                  "its decisions table does not have the columns of layout 1"),
}


def damaged_copy(fixture: str, sql: list[str], folder: Path) -> tuple[Path, dict]:
    """A copy of a fixture database changed by `sql`, whose {first}, {first_selected}, {rows} and {sealed_by} name
    the first application, the first selected one, the number of decisions and the run that sealed the ledger."""
    db = folder / "damaged.duckdb"
    shutil.copy(FIXTURES / fixture / "qcpilot.duckdb", db)
    with duckdb.connect(str(db)) as con:
        ids = {"first": con.sql("SELECT min(application_id) FROM decisions").fetchall()[0][0],
               "first_selected": con.sql("SELECT min(application_id) FROM decisions WHERE status = 'selected'")
               .fetchall()[0][0],
               "rows": con.sql("SELECT count(*) FROM decisions").fetchall()[0][0],
               "first_run": con.sql("SELECT min(run_id) FROM runs").fetchall()[0][0]}
        if con.sql("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'qcpilot_meta'").fetchall()[0][0]:
            ids["sealed_by"] = con.sql("SELECT run_id FROM qcpilot_meta").fetchall()[0][0]
        for statement in sql:
            con.execute(statement.format(**ids))
    return db, ids


@pytest.mark.parametrize("case", DAMAGED_LAYOUT)
def test_a_database_whose_layout_record_or_carried_tables_were_changed_is_refused_in_one_line(
        case, tmp_path, prefect_harness):
    fixture, sql, says = DAMAGED_LAYOUT[case]
    db, _ = damaged_copy(fixture, sql, tmp_path)
    before = digest(db)
    for command in (["run", "--sample", "--force"], ["explain", "A00000001"],
                    ["report", "--out", str(tmp_path / "r.html")]):
        result = CliRunner().invoke(cli.app, [*command, "--db", str(db)])
        assert result.exit_code == 2, (command, result.output)
        published = "; nothing was published" if command[0] == "run" else ""
        assert result.output.strip().splitlines() == [
            f"qcpilot: {db}: {says}: changed outside qcpilot, so its layout cannot be trusted; it is left untouched "
            f"(restore it from its copy){published}"], command
    assert digest(db) == before


# Ledgers that no qcpilot release could have written, or changed after the last publish sealed them: a run refuses to
# carry them forward. (fixture, SQL, what the one line says)
DAMAGED_LEDGER = {
    "an application decided twice": (
        "layout1", ["INSERT INTO decisions SELECT * REPLACE ('cap_reached' AS status) FROM decisions "
                    "WHERE application_id = (SELECT min(application_id) FROM decisions WHERE status = 'selected')"],
        "application {first_selected} is decided twice in the ledger"),
    "a status never published": (
        "layout1", ["UPDATE decisions SET status = 'bogus' WHERE application_id = '{first_selected}'"],
        "application {first_selected} has a status that qcpilot never publishes"),
    "a decision without its person": (
        "layout1", ["UPDATE decisions SET person_id = NULL WHERE application_id = '{first}'"],
        "application {first} lacks a value that qcpilot always writes"),
    "a decision in a program qcpilot does not know (found by the third hostile test)": (
        "layout1", ["UPDATE decisions SET program = 'nonexistent_program' WHERE application_id = '{first}'"],
        "application {first} decides a program and stream that qcpilot does not know"),
    "a run without the inputs it read (found by the third hostile test)": (
        "layout1", ["UPDATE runs SET inputs = NULL WHERE run_id = '{first_run}'"],
        "run {first_run} lacks a value that qcpilot always writes"),
    "a run without its end": (
        "layout1", ["UPDATE runs SET finished_at = NULL WHERE run_id = '{first_run}'"],
        "run {first_run} lacks a value that qcpilot always writes"),
    "decisions of runs not in the history": (
        "layout1", ["DELETE FROM runs"],
        "application {first} was decided by a run that the runs history does not hold"),
    "a run's row edited (layout 4 seals the history)": (
        PUBLISHED[-1], ["UPDATE runs SET newly_decided = 999 WHERE run_id = (SELECT min(run_id) FROM runs)"],
        "its runs history was changed outside qcpilot since run {sealed_by} sealed it (3 rows then, 3 now)"),
    "a decision edited, the database written by another DuckDB (layout 4 digests do not depend on it)": (
        PUBLISHED[-1], ["UPDATE qcpilot_meta SET duckdb_version = '0.10.0'",
                        "UPDATE decisions SET status = 'selected', rank_in_stream = 1 WHERE status = 'ineligible' AND "
                        "application_id = (SELECT min(application_id) FROM decisions WHERE status = 'ineligible')"],
        "its decisions ledger was changed outside qcpilot since run {sealed_by} sealed it "
        "({rows} rows then, {rows} now)"),
}


@pytest.mark.parametrize("case", DAMAGED_LEDGER)
def test_a_ledger_qcpilot_could_not_have_written_or_changed_since_it_was_sealed_is_not_carried(
        case, tmp_path, prefect_harness):
    fixture, sql, says = DAMAGED_LEDGER[case]
    db, ids = damaged_copy(fixture, sql, tmp_path)
    before = digest(db)
    result = CliRunner().invoke(cli.app, ["run", "--sample", "--force", "--db", str(db)])
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        f"qcpilot: {db}: {says.format(**ids)}; a ledger that is never revoked cannot be carried forward from it: "
        "restore the database from its copy; nothing was published"]
    assert digest(db) == before


def damage_block_of(db: Path, table: str) -> None:
    """Spoil stored bytes of `table`'s first column, as a failing disk would: their block then fails its checksum."""
    with duckdb.connect(str(db), read_only=True) as con:
        block_size = con.sql("SELECT block_size FROM pragma_database_size()").fetchall()[0][0]
        block, offset = con.sql(f"SELECT block_id, block_offset FROM pragma_storage_info('{table}') "
                                "WHERE block_id >= 0 ORDER BY column_id, segment_id LIMIT 1").fetchall()[0]
    with open(db, "r+b") as f:
        f.seek(3 * 4096 + block * block_size + 8 + offset)  # after the three header blocks and the block's checksum
        f.write(b"\xff" * 16)


@pytest.mark.parametrize("table", ["decisions", "runs", "evaluations", "deliveries"])
def test_a_damaged_block_is_refused_in_one_line_by_every_command_that_reads_it(table, tmp_path, prefect_harness):
    """Found by damaging blocks of a published database: explain, report and run said "internal error (Error)"."""
    db = tmp_path / "q.duckdb"
    shutil.copy(FIXTURES / PUBLISHED[-1] / "qcpilot.duckdb", db)
    with duckdb.connect(str(db), read_only=True) as con:
        first = con.sql("SELECT min(application_id) FROM decisions").fetchall()[0][0]
    damage_block_of(db, table)
    before = digest(db)
    says = f"qcpilot: {db}: damaged, a part of it cannot be read (a block fails its checksum); it is left untouched " \
           "(restore it from its copy)"
    # (the run: the sample over another population's ledger rejects its ids decided in other programs, above 5 %)
    for command in (["explain", first], ["report", "--out", str(tmp_path / "r.html")],
                    ["run", "--sample", "--force", "--max-rejected", "100"]):
        result = CliRunner().invoke(cli.app, [*command, "--db", str(db)])
        if command[0] == "run" and table == "deliveries":  # a run rebuilds it: the ledger and history are whole
            assert result.exit_code == 0, result.output
            assert CliRunner().invoke(cli.app, ["explain", first, "--db", str(db)]).exit_code == 0
            return
        published = "; nothing was published" if command[0] == "run" else ""
        assert (result.exit_code, result.output.strip()) == (2, says + published), command
    assert digest(db) == before


@pytest.mark.parametrize("fixture", OLDER)
def test_a_failed_upgrade_leaves_the_old_database_as_it_was(fixture, tmp_path, prefect_harness, monkeypatch):
    db = tmp_path / "old.duckdb"
    shutil.copy(FIXTURES / fixture / "qcpilot.duckdb", db)
    before = digest(db)

    def broken(con):
        raise RuntimeError("a step that fails half-way")

    monkeypatch.setitem(layout.STEPS, layout.inspect(db).layout, broken)  # the first step it needs
    result = CliRunner().invoke(cli.app, ["run", "--sample", "--force", "--db", str(db)])
    assert result.exit_code == 1 and "internal error (RuntimeError" in result.output
    assert digest(db) == before and sorted(p.name for p in tmp_path.iterdir()) == [".old.duckdb.lock", "old.duckdb"]
