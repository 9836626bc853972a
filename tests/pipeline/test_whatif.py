"""qcpilot whatif: the same applications under another configuration or other legal values, at the boundaries the
rule book names (a rank at the cap, a day of a window, a cent of a threshold); never a write to the baseline."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from flows import cli
from flows.cli import whatif as whatif_command
from tests.conftest import DATA
from tests.factories import APP_COLUMNS, SPELL_COLUMNS, WAGE_COLUMNS, app, spell, wage, write_csv

CONFIG = DATA / "config" / "selection.csv"
# five AI foreign workers, eligible on every rule, in the order of their submission: ranks 1..5 in the ai stream of
# 2024. A4 earns exactly 100 000.00 $ in Montreal (the CMM threshold, to the cent); A5 comes on the intake window's
# last day (2024-12-31, local time).
SUBMITTED = {"A1": "2024-03-01T09:00:00", "A2": "2024-03-02T09:00:00", "A3": "2024-03-03T09:00:00",
             "A4": "2024-03-04T09:00:00", "A5": "2024-12-31T23:30:00"}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory, prefect_harness):
    root = tmp_path_factory.mktemp("whatif")
    write_csv([app(application_id=a, person_id=f"P{a}", submitted_at=t,
                   job_annual_salary_cad="100000.00" if a == "A4" else "120000") for a, t in SUBMITTED.items()],
              APP_COLUMNS, root / "apps" / "a.csv")
    write_csv([spell(application_id=a) for a in SUBMITTED], SPELL_COLUMNS, root / "exp" / "e.csv")
    write_csv([wage()], WAGE_COLUMNS, root / "wages" / "w.csv")
    db = root / "q.duckdb"
    result = CliRunner().invoke(cli.app, ["run", "--applications", str(root / "apps"), "--experience",
                                          str(root / "exp"), "--wages", str(root / "wages"), "--db", str(db)])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(db), read_only=True) as con:
        ranks = dict(con.sql("SELECT application_id, rank_in_stream FROM selections WHERE status = 'selected'")
                     .fetchall())
    assert ranks == {"A1": 1, "A2": 2, "A3": 3, "A4": 4, "A5": 5}
    return root, db


def config_with(root, name: str, change) -> str:
    path = root / name
    pl.read_csv(CONFIG, infer_schema_length=0).with_columns(change).write_csv(path)
    return str(path)


def whatif(db, out, *options) -> tuple[int, str, dict[str, dict]]:
    result = CliRunner().invoke(cli.app, ["whatif", "--db", str(db), "--out", str(out), *options])
    assert "…" not in result.output  # printed to a pipe, no table is cut short (issue #22)
    if result.exit_code != 0:
        return result.exit_code, result.output, {}
    with duckdb.connect(str(out), read_only=True) as con:
        changes = {r["application_id"]: r for r in con.sql("SELECT * FROM whatif_changes").pl().to_dicts()}
    return result.exit_code, result.output, changes


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_stream_cap_lowered_to_exactly_an_applications_rank_keeps_it_and_the_next_ones_leave(baseline):
    root, db = baseline
    before = digest(db)
    is_ai_cap = (pl.col("kind") == "cap") & (pl.col("stream") == "ai")
    config = config_with(root, "cap3.csv",
                         pl.when(is_ai_cap).then(pl.lit("3")).otherwise(pl.col("value")).alias("value"))
    code, output, changes = whatif(db, root / "cap.duckdb", "--config", config)
    assert code == 0, output
    assert "reading the extracts recorded for run" in output
    assert set(changes) == {"A4", "A5"}  # A3, ranked 3rd, stays selected
    for a in ("A4", "A5"):
        c = changes[a]
        assert (c["baseline_status"], c["scenario_status"]) == ("selected", "cap_reached")
        assert c["changed_rules"] == [] and c["baseline_outcome"] == c["scenario_outcome"] == "eligible"
        assert (c["baseline_stream_cap"], c["scenario_stream_cap"]) == (275, 3)
    with duckdb.connect(str(root / "cap.duckdb"), read_only=True) as con:
        row = (con.sql("SELECT * FROM whatif_summary WHERE stream = 'ai' AND selection_year = 2024").pl()
               .row(0, named=True))
    assert (row["baseline_selected"], row["scenario_selected"], row["scenario_cap_reached"]) == (5, 3, 2)
    assert (row["entering_selection"], row["leaving_selection"]) == (0, 2)
    assert digest(db) == before  # the baseline database is only read
    letter = CliRunner().invoke(cli.app, ["explain", "A4", "--whatif", str(root / "cap.duckdb"), "--lang", "en"])
    assert letter.exit_code == 0
    assert "Selection: selected -> cap reached" in letter.output and "stream cap 275 -> 3" in letter.output
    plain = CliRunner().invoke(cli.app, ["explain", "A4", "--db", str(root / "cap.duckdb"), "--lang", "en"])
    assert "Selection: cap reached (rank 4 in the stream, - in the program)" in plain.output
    assert "None" not in plain.output + letter.output


def test_an_intake_window_shortened_by_one_day_leaves_out_the_application_of_that_day_only(baseline):
    root, db = baseline
    ends_2024 = (pl.col("kind") == "window") & (pl.col("program") == "ai_it_vfx") & (pl.col("end_on") == "2024-12-31")
    config = config_with(root, "window.csv",
                         pl.when(ends_2024).then(pl.lit("2024-12-30")).otherwise(pl.col("end_on")).alias("end_on"))
    code, output, changes = whatif(db, root / "window.duckdb", "--config", config)
    assert code == 0, output
    assert set(changes) == {"A5"}
    assert (changes["A5"]["baseline_status"], changes["A5"]["scenario_status"]) == ("selected", "outside_intake")


def test_a_threshold_moved_by_one_cent_fails_the_application_at_the_old_threshold_only(baseline):
    root, db = baseline
    override = root / "cent.yaml"
    override.write_text("ai_it_vfx:\n  salary_minimum_in_cmm:\n    values: {2021-04-22: 100000.01}\n", encoding="utf-8")
    code, output, changes = whatif(db, root / "cent.duckdb", "--parameters", str(override))
    assert code == 0, output
    a4 = changes["A4"]
    assert a4["changed_rules"] == ["AI_FW_SALARY"]
    assert (a4["baseline_outcome"], a4["scenario_outcome"]) == ("eligible", "ineligible")
    assert (a4["baseline_status"], a4["scenario_status"]) == ("selected", "ineligible")
    assert a4["scenario_failed_rules"] == ["AI_FW_SALARY"]
    # A5 moves up one rank; nobody else's rules or status move
    assert set(changes) == {"A4", "A5"}
    assert (changes["A5"]["baseline_rank_in_stream"], changes["A5"]["scenario_rank_in_stream"]) == (5, 4)
    assert changes["A5"]["changed_rules"] == []
    with duckdb.connect(str(root / "cent.duckdb"), read_only=True) as con:
        values = con.sql("SELECT name, baseline_value, scenario_value FROM whatif_parameters").fetchall()
        roles = dict(con.sql("SELECT role, sha256 FROM whatif_inputs").fetchall())
    assert values == [("ai_it_vfx.salary_minimum_in_cmm", "$100,000", "$100,000.01")]
    assert roles["parameters_override"] == digest(override)
    fr = CliRunner().invoke(cli.app, ["explain", "A4", "--whatif", str(root / "cent.duckdb")])
    assert "AI_FW_SALARY (art. 7 4° b)) : satisfaite -> non satisfaite" in fr.output
    # any spelling of the id is the same application (identity is the canonical form, never the spelling)
    for spelled in ("a4", "Ａ４"):
        again = CliRunner().invoke(cli.app, ["explain", spelled, "--whatif", str(root / "cent.duckdb")])
        assert again.exit_code == 0 and again.output == fr.output, again.output
    assert "au moins 100\u00a0000,01\u00a0$" in fr.output and "requis 100\u00a0000,01\u00a0$" in fr.output
    report = root / "report.html"
    made = CliRunner().invoke(cli.app, ["report", "--db", str(db), "--whatif", str(root / "cent.duckdb"), "--out",
                                        str(report), "--lang", "en"])
    assert made.exit_code == 0, made.output
    text = report.read_text(encoding="utf-8")
    section = text[text.index("What-if: cent.duckdb"):]
    assert "2 applications change" in section
    # selected per stream and year, baseline beside scenario, entering and leaving; the rule that moved; the value
    assert "<td>2024</td><td>5</td><td>4</td><td>0</td><td>1</td>" in section
    assert re.search(r"Gross annual salary of at least \$100,000\.01 [^<]*<code>AI_FW_SALARY</code></td><td>1</td>",
                     section)
    # who leaves the selection, and why: the rule's text as the scenario fills it, its outcome on each side
    leaving = section[section.index('id="leaving"'):]
    assert re.search(r"<tr><td>A4</td><td>artificial intelligence</td><td>2024</td><td>selected → ineligible</td>"
                     r"<td>4 → –</td><td><div>Gross annual salary of at least \$100,000\.01 [^<]* "
                     r"<code>AI_FW_SALARY</code>: met → not met</div></td></tr>", leaving)
    # the documented what-if queries answer on a scenario database
    page = (Path(__file__).resolve().parents[2] / "docs" / "whatif.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sql\n-- db: whatif[^\n]*\n(.*?)```", page, flags=re.S)
    queries = [q for b in blocks for q in b.split(";") if "SELECT" in q]
    assert len(queries) == 2
    with duckdb.connect(str(root / "cent.duckdb"), read_only=True) as con:
        assert con.sql(queries[0]).fetchall() == [(1, 1)]  # A4 fails the salary rule, and loses its place
        assert [r[0] for r in con.sql(queries[1]).fetchall()] == ["A4"]


def test_an_identical_scenario_changes_nothing(baseline):
    root, db = baseline
    same = root / "same.yaml"
    same.write_text("ai_it_vfx:\n  salary_minimum_in_cmm:\n    values: {2021-04-22: 100000}\n", encoding="utf-8")
    code, output, changes = whatif(db, root / "same.duckdb", "--config", str(CONFIG), "--parameters", str(same))
    assert code == 0, output
    assert changes == {}
    assert "0 application(s) change" in output


@pytest.mark.parametrize("when", ["comparison_sql", "RunResult"])
def test_a_signal_says_in_one_line_whether_the_scenario_was_written(baseline, when, monkeypatch):
    """A SIGTERM while the scenario is decided (Prefect's flow engine handles it) writes nothing; a SIGINT just after
    the swap (the result is what the flow builds next) says the scenario was written: it was."""
    from flows.pipeline import whatif as flow
    from flows.runtime import interrupts

    sig = signal.SIGTERM if when == "comparison_sql" else signal.SIGINT

    def signal_arrives(*args, **kwargs):
        os.kill(os.getpid(), sig)
        time.sleep(10)

    monkeypatch.setattr(flow, when, signal_arrives)
    monkeypatch.setattr(interrupts, "received", None)
    root, db = baseline
    out = root / f"stopped-{when}" / "w.duckdb"
    result = CliRunner().invoke(cli.app, ["whatif", "--db", str(db), "--out", str(out), "--config", str(CONFIG)])
    last = result.output.strip().splitlines()[-1]
    if when == "comparison_sql":
        assert (result.exit_code, last) == (1, "qcpilot: stopped by SIGTERM; nothing was written")
        assert not out.exists()
    else:
        assert (result.exit_code, last) == (1, f"qcpilot: stopped by SIGINT after the scenario was written to {out}")
        with duckdb.connect(str(out), read_only=True) as con:
            assert con.sql("SELECT count(*) FROM whatif_summary").fetchall()[0][0] > 0
    assert sorted(p.name for p in out.parent.iterdir() if p.name != ".w.duckdb.lock") == (["w.duckdb"] if out.exists()
                                                                                           else [])


def test_a_scenario_never_writes_the_published_database_and_refuses_bad_input(baseline):
    root, db = baseline
    before = digest(db)
    code, output, _ = whatif(db, db, "--config", str(CONFIG))
    assert code == 2 and "is the baseline database" in output
    code, output, _ = whatif(db, root / "x.duckdb")
    assert code == 2 and "give --config, --parameters or both" in output
    bad = root / "bad.yaml"
    bad.write_text("ai_it_vfx:\n  salary_minimum_in_montreal:\n    values: {2021-04-22: 1}\n", encoding="utf-8")
    code, output, _ = whatif(db, root / "x.duckdb", "--parameters", str(bad))
    assert code == 2 and "ai_it_vfx.salary_minimum_in_montreal: no such parameter" in output
    bad_config = config_with(root, "badcap.csv", pl.when(pl.col("kind") == "cap").then(pl.lit("-1"))
                             .otherwise(pl.col("value")).alias("value"))
    code, output, _ = whatif(db, root / "x.duckdb", "--config", bad_config)
    assert code == 2 and "badcap.csv" in output
    assert digest(db) == before and not (root / "x.duckdb").exists()
    # another published database (found by the hostile test: it was replaced, ledger and all), or any other file
    other = root / "other-ledger.duckdb"
    shutil.copy(db, other)
    with duckdb.connect(str(other)) as con:  # an analyst's own table of that name does not make it a what-if
        con.execute("CREATE TABLE whatif_changes AS SELECT 1 AS x")
    notes = root / "notes.txt"
    notes.write_text("mine\n")
    for out in (other, notes):
        kept = digest(out)
        code, output, _ = whatif(db, out, "--config", str(CONFIG))
        assert code == 2 and f"--out {out}: exists and is not a what-if database" in output, output
        assert digest(out) == kept


def test_a_recorded_extract_that_changed_is_an_error_not_a_silent_difference(baseline, tmp_path):
    root, db = baseline
    spells = root / "exp" / "e.csv"
    original = spells.read_bytes()
    try:
        spells.write_bytes(original + b"\n")
        code, output, _ = whatif(db, tmp_path / "w.duckdb", "--config", str(CONFIG))
        assert code == 2 and f"{spells}: changed since run" in output
    finally:
        spells.write_bytes(original)


def test_a_baseline_is_refused_when_todays_legal_values_are_not_those_of_the_published_run(baseline, tmp_path,
                                                                                          monkeypatch):
    root, db = baseline
    data = tmp_path / "data"
    shutil.copytree(DATA / "reference", data / "reference")
    shutil.copytree(DATA / "rulebook", data / "rulebook")
    monkeypatch.setattr(whatif_command, "DATA", data)
    same = whatif(db, tmp_path / "same.duckdb", "--config", str(CONFIG))
    assert same[0] == 0 and same[2] == {}
    rulebook = data / "rulebook" / "parameters.yaml"
    rulebook.write_text(rulebook.read_text(encoding="utf-8").replace("values: {2021-04-22: 100000}",
                                                                      "values: {2021-04-22: 110000}"), encoding="utf-8")
    code, output, _ = whatif(db, tmp_path / "w.duckdb", "--config", str(CONFIG))
    assert code == 2 and f"{rulebook}: not the file run" in output and "would not be the published decisions" in output


def test_a_run_never_takes_a_scenario_database_for_its_ledger(baseline):
    """Found by the third hostile test: `run --db SCENARIO` published the what-if's hypothetical decisions as the
    permanent ledger."""
    root, db = baseline
    out = root / "for-run" / "w.duckdb"
    code, output, _ = whatif(db, out, "--config", str(CONFIG))
    assert code == 0, output
    before = digest(out)
    result = CliRunner().invoke(cli.app, ["run", "--applications", str(root / "apps"), "--experience",
                                          str(root / "exp"), "--wages", str(root / "wages"), "--db", str(out),
                                          "--force"])
    assert (result.exit_code, result.output.strip()) == (2, (
        f"qcpilot: {out}: is a what-if scenario database (written by qcpilot whatif): its decisions are hypotheses, "
        "not a ledger a run may carry forward; run on the published database; nothing was published"))
    assert digest(out) == before
    partial = root / "for-run" / "partial.duckdb"  # one what-if table is enough to tell hypotheses from a ledger
    shutil.copy(out, partial)
    with duckdb.connect(str(partial)) as con:
        for table in ("whatif_summary", "whatif_changes", "whatif_inputs"):
            con.execute(f"DROP TABLE {table}")
    result = CliRunner().invoke(cli.app, ["run", "--applications", str(root / "apps"), "--experience",
                                          str(root / "exp"), "--wages", str(root / "wages"), "--db", str(partial),
                                          "--force"])
    assert result.exit_code == 2 and "is a what-if scenario database" in result.output, result.output


def test_a_report_never_writes_over_a_database_and_says_in_one_line_where_it_cannot_write(baseline):
    """Found by the third hostile test: `report --out` naming the published database (or a link to it) replaced
    the ledger with HTML and exited 0; a folder or an unreachable path was an internal error."""
    root, db = baseline
    link = root / "report-link.html"
    link.symlink_to(db)
    before = digest(db)
    for target, code, says in [
        (db, 2, f"--out {db}: is a DuckDB database; a report never writes over one: name another file"),
        (link, 2, f"--out {link}: is a DuckDB database; a report never writes over one: name another file"),
        (root, 2, f"--out {root}: is a folder; name the HTML file to write"),
        (root / ".q.duckdb.lock", 2, f"--out {root / '.q.duckdb.lock'}: a report is an HTML file: name it .html"),
        (root / "q.duckdb.wal", 2, f"--out {root / 'q.duckdb.wal'}: a report is an HTML file: name it .html"),
        (Path("/proc/qcpilot/r.html"), 1, "--out /proc/qcpilot/r.html: cannot be written (No such file or directory)"),
    ]:
        result = CliRunner().invoke(cli.app, ["report", "--db", str(db), "--out", str(target)])
        assert (result.exit_code, result.output.strip()) == (code, f"qcpilot: {says}"), target
    assert digest(db) == before
    written = CliRunner().invoke(cli.app, ["report", "--db", str(db), "--out", str(root / "r.html")])
    assert written.exit_code == 0 and (root / "r.html").read_text(encoding="utf-8").startswith("<!doctype html>")
    assert not list(root.glob(".r.html*"))
