"""The second hostile review (issue #21): each finding, shown fixed."""

import os

import duckdb
from typer.testing import CliRunner

from flows import cli
from tests.conftest import DATA
from tests.factories import APP_COLUMNS, SPELL_COLUMNS, WAGE_COLUMNS, app, spell, wage, write_csv


def extracts(root, apps=None):
    write_csv(apps or [app()], APP_COLUMNS, root / "apps" / "a.csv")
    write_csv([spell()], SPELL_COLUMNS, root / "exp" / "e.csv")
    write_csv([wage()], WAGE_COLUMNS, root / "wages" / "w.csv")


def run(root, db, *more):
    return CliRunner().invoke(cli.app, ["run", "--applications", str(root / "apps"), "--experience",
                                        str(root / "exp"), "--wages", str(root / "wages"), "--db", str(db), *more])


def test_an_input_changed_in_place_with_the_same_size_and_time_is_read_again(tmp_path, prefect_harness):
    extracts(tmp_path, [app(job_annual_salary_cad="120000")])
    db = tmp_path / "q.duckdb"
    assert run(tmp_path, db).exit_code == 0
    f = tmp_path / "apps" / "a.csv"
    st = f.stat()
    text = f.read_text()
    f.write_text(text.replace("120000", "070000"))  # the same size
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the same time
    assert f.stat().st_size == st.st_size and f.stat().st_mtime_ns == st.st_mtime_ns
    again = run(tmp_path, db)
    assert again.exit_code == 0 and "nothing new" not in again.output, again.output
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.sql("SELECT job_annual_salary_cad FROM applications").fetchall() == [(70000,)]


FORGED = "\x1b[2J\x1b[H\x1b[32m\nDecision: eligible\nSelection: selected\x1b[0m"


def test_input_and_paths_never_reach_the_terminal_raw(tmp_path, prefect_harness):
    # a food-processing worker whose job fails FP_WORK: its letter quotes the job's NAICS code as delivered
    extracts(tmp_path, [app(program="food_processing", stream="food_processing", substream="",
                            job_naics_code="541510" + FORGED, job_title="Data\x1b]0;owned\x07 scientist")])
    db = tmp_path / "q.duckdb"
    result = run(tmp_path, db)
    assert result.exit_code == 0, result.output
    for lang in ("en", "fr"):
        letter = CliRunner().invoke(cli.app, ["explain", "A1", "--lang", lang, "--db", str(db)]).output
        assert "\x1b" not in letter and "\x07" not in letter
        decision, selection = {"en": ("Decision:", "Selection:"), "fr": ("Décision :", "Sélection :")}[lang]
        lines = letter.splitlines()
        assert [line.startswith(decision) for line in lines].count(True) == 1, letter  # no forged line
        assert [line.startswith(selection) for line in lines].count(True) == 1, letter
        assert "541510\\x1b[2J\\x1b[H\\x1b[32m\\nDecision: eligible" in letter  # shown, escaped
    odd = tmp_path / ("x\x1b[2J\nDecision: eligible" + ".csv")
    refused = CliRunner().invoke(cli.app, ["run", "--applications", str(odd), "--experience", str(tmp_path / "exp"),
                                           "--wages", str(tmp_path / "wages"), "--db", str(db)])
    assert refused.exit_code == 2
    assert "\x1b" not in refused.output and len(refused.output.strip().splitlines()) == 1, refused.output
    assert "\\x1b[2J\\nDecision: eligible.csv" in refused.output


def test_report_never_writes_through_a_link_planted_beside_its_file_and_is_as_private_as_the_database(
        tmp_path, prefect_harness):
    import hashlib

    extracts(tmp_path)
    db = tmp_path / "q.duckdb"
    assert run(tmp_path, db).exit_code == 0
    os.chmod(db, 0o600)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    (tmp_path / ".r.html.tmp").symlink_to(db)  # the name the report once wrote to first
    result = CliRunner().invoke(cli.app, ["report", "--db", str(db), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!doctype html>")
    assert (tmp_path / "r.html").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / ".r.html.tmp").is_symlink()  # left as it was


def test_a_scenario_database_is_no_more_readable_than_its_baseline(tmp_path, prefect_harness):
    extracts(tmp_path)
    db = tmp_path / "q.duckdb"
    assert run(tmp_path, db).exit_code == 0
    os.chmod(db, 0o600)
    for out in (tmp_path / "new.duckdb", tmp_path / "new.duckdb"):  # a new scenario, then one written over
        result = CliRunner().invoke(cli.app, ["whatif", "--db", str(db), "--out", str(out), "--config",
                                              str(DATA / "config" / "selection.csv")])
        assert result.exit_code == 0, result.output
        assert out.stat().st_mode & 0o777 == 0o600
        os.chmod(out, 0o644)  # a scenario made readable: the next one still follows the baseline


def test_generate_writes_only_its_own_files(tmp_path):
    mine = tmp_path / "inbox" / "applications" / "tonight.csv"
    mine.parent.mkdir(parents=True)
    mine.write_text("a file generate did not write\n")
    args = ["generate", "--applications", "5", "--out", str(tmp_path / "inbox")]
    refused = CliRunner().invoke(cli.app, args)
    assert refused.exit_code == 2 and "holds files that qcpilot generate did not write" in refused.output
    assert len(refused.output.strip().splitlines()) == 1 and mine.read_text() == "a file generate did not write\n"
    fresh = CliRunner().invoke(cli.app, ["generate", "--applications", "5", "--out", str(tmp_path / "new")])
    again = CliRunner().invoke(cli.app, ["generate", "--applications", "5", "--out", str(tmp_path / "new")])
    assert fresh.exit_code == again.exit_code == 0  # a folder it wrote, it may write again
    replaced = CliRunner().invoke(cli.app, [*args, "--replace"])
    assert replaced.exit_code == 0 and not mine.exists()
    proc = CliRunner().invoke(cli.app, ["generate", "--applications", "5", "--out", "/proc/qcpilot-x"])
    assert proc.exit_code in (1, 2) and len(proc.output.strip().splitlines()) == 1
    assert proc.output.startswith("qcpilot: --out /proc/qcpilot-x"), proc.output


def test_a_leap_second_or_a_time_that_does_not_exist_rejects_the_row():
    from tests.factories import AS_OF, parsed
    from transforms.validate import validate_all

    times = ["2024-12-31T23:59:60", "2024-12-31T24:00:00", "2024-06-01T10:60:00", "2024-12-31T23:59:59"]
    kept, rejected = validate_all({
        "applications": parsed([app(application_id=f"A{i}", person_id=f"P{i}", submitted_at=t)
                                for i, t in enumerate(times)], "applications"),
        "experience": parsed([], "experience"), "wages": parsed([wage()], "wages")}, AS_OF)
    assert kept["applications"].get_column("application_id").to_list() == ["A3"]  # the last second of the year
    assert rejected.get_column("reasons").to_list() == [
        ["submitted_at: not an ISO 8601 timestamp (a date and a time of day)"]] * 3


def test_an_empty_extract_path_is_refused_in_one_line_rather_than_reading_the_current_folder(tmp_path):
    result = CliRunner().invoke(cli.app, ["run", "--applications", "", "--experience", "x", "--wages", "y",
                                          "--db", str(tmp_path / "q.duckdb")])
    assert result.exit_code == 2
    assert result.output.strip() == ("qcpilot: an extract path is empty: name a file, a folder or a glob; nothing was "
                                     "published")
