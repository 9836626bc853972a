"""The second hostile review (issue #21): each finding, shown fixed."""

import contextlib
import os
import subprocess
import sys

import duckdb
import pytest
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
    forged_db = tmp_path / "d\x1b[2J\nDecision: eligible\u202e" / "q.duckdb"  # the summary's title names it
    summary = run(tmp_path, forged_db)
    assert summary.exit_code == 0 and "\x1b" not in summary.output and "\u202e" not in summary.output
    assert "\\x1b[2J\\nDecision:eligible\\u202e" in "".join(summary.output.split())  # shown escaped (wrapped)
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
    # a file added to a folder it wrote, or a link planted in it, is not its own either
    added = tmp_path / "new" / "applications" / "real_delivery.csv"
    added.write_text("a delivery\n")
    assert CliRunner().invoke(cli.app, ["generate", "--applications", "5", "--out",
                                        str(tmp_path / "new")]).exit_code == 2
    assert added.read_text() == "a delivery\n"
    added.unlink()
    victim = tmp_path / "victim.txt"
    victim.write_text("not generate's\n")
    (tmp_path / "new" / ".qcpilot-generated").unlink()
    (tmp_path / "new" / ".qcpilot-generated").symlink_to(victim)
    linked = CliRunner().invoke(cli.app, ["generate", "--applications", "5", "--out", str(tmp_path / "new"),
                                          "--replace"])
    assert linked.exit_code == 1 and victim.read_text() == "not generate's\n", linked.output
    replaced = CliRunner().invoke(cli.app, [*args, "--replace"])
    assert replaced.exit_code == 0 and not mine.exists()
    proc = CliRunner().invoke(cli.app, ["generate", "--applications", "5", "--out", "/proc/qcpilot-x"])
    assert proc.exit_code in (1, 2) and len(proc.output.strip().splitlines()) == 1
    assert proc.output.startswith("qcpilot: --out /proc/qcpilot-x"), proc.output


def test_a_leap_second_or_a_time_that_does_not_exist_rejects_the_row():
    from tests.factories import AS_OF, parsed
    from transforms.validate import validate_all

    # a leap second, a 24th hour, a 60th minute, an hour skipped by the change to summer time in Toronto; then the
    # last second of the year, and the repeated hour of November (its first time: Interpretation)
    times = ["2024-12-31T23:59:60", "2024-12-31T24:00:00", "2024-06-01T10:60:00", "2024-03-10T02:30:00",
             "2024-12-31T23:59:59", "2024-11-03T01:30:00"]
    kept, rejected = validate_all({
        "applications": parsed([app(application_id=f"A{i}", person_id=f"P{i}", submitted_at=t)
                                for i, t in enumerate(times)], "applications"),
        "experience": parsed([], "experience"), "wages": parsed([wage()], "wages")}, AS_OF)
    assert kept["applications"].get_column("application_id").to_list() == ["A4", "A5"]
    # 23:59:59 EST is 04:59:59 UTC; 01:30 the first time (EDT) is 05:30 UTC, not 06:30 (EST)
    assert kept["applications"].get_column("submitted_at").dt.hour().to_list() == [4, 5]
    assert rejected.get_column("reasons").to_list() == [
        ["submitted_at: not an ISO 8601 timestamp (a date and a time of day; a local time must exist in "
             "America/Toronto)"]] * 4


def test_an_empty_extract_path_is_refused_in_one_line_rather_than_reading_the_current_folder(tmp_path):
    result = CliRunner().invoke(cli.app, ["run", "--applications", "", "--experience", "x", "--wages", "y",
                                          "--db", str(tmp_path / "q.duckdb")])
    assert result.exit_code == 2
    assert result.output.strip() == ("qcpilot: an extract path is empty: name a file, a folder or a glob; nothing was "
                                     "published")


def test_a_field_of_16_mb_is_read_and_a_longer_row_is_refused_with_its_line_and_column(tmp_path):
    from flows.ingest import reading
    from schemas import MODELS

    big = write_csv([app(), app(application_id="A2", person_id="P2", job_title="x" * (16 << 20))], APP_COLUMNS,
                    tmp_path / "big.csv")
    df, _ = reading.read_extract("applications", [big], MODELS["applications"])
    assert df.get_column("job_title").str.len_bytes().to_list() == [len("Data scientist"), 16 << 20]
    huge = write_csv([app(), app(application_id="A2", person_id="P2", job_title="x" * (40 << 20))], APP_COLUMNS,
                     tmp_path / "huge.csv")
    try:
        reading.read_extract("applications", [huge], MODELS["applications"])
        raise AssertionError("read")
    except Exception as exc:  # an InputError: its one line names the file, the line and the column
        assert str(exc) == f"{huge}: line 3: column 'job_title' holds 40.0 MB: a field is read up to 16 MB"


def test_a_parquet_timestamp_in_nanoseconds_is_read_to_the_microsecond(tmp_path):
    import datetime as dt

    import polars as pl

    from flows.ingest import reading
    from schemas import MODELS

    rows = pl.DataFrame([app()]).with_columns(
        pl.lit(dt.datetime(2024, 3, 15, 14, 0, 0, 123456)).dt.cast_time_unit("ns").dt.offset_by("789ns")
        .dt.replace_time_zone("UTC").alias("submitted_at"))
    assert rows.schema["submitted_at"] == pl.Datetime("ns", "UTC")
    rows.write_parquet(tmp_path / "a.parquet")
    df, _ = reading.read_extract("applications", [tmp_path / "a.parquet"], MODELS["applications"])
    assert df.get_column("submitted_at").to_list() == [dt.datetime(2024, 3, 15, 14, 0, 0, 123456, tzinfo=dt.UTC)]
    assert df.get_column("__parse_errors").to_list() == [[]]


def test_a_question_mark_in_the_database_path_is_one_line_and_a_hash_works(tmp_path, prefect_harness):
    extracts(tmp_path)
    odd = tmp_path / "nightly?v=2" / "q.duckdb"
    odd.parent.mkdir()
    result = run(tmp_path, odd)
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    assert "DuckDB reads a '?' in a database path as the start of options" in result.output
    hashed = tmp_path / "lot#7" / "q.duckdb"
    assert run(tmp_path, hashed).exit_code == 0 and hashed.is_file()


@pytest.fixture
def small_disk(tmp_path):
    """A real, small file system (tmpfs, 64 MB), where the test can fill the disk; skipped where it cannot mount."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mnt)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (not root)")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


@pytest.mark.parametrize("free_kb", [0, 64, 512, 1024, 2048, 4096, 8192])
def test_a_full_disk_is_no_space_left_in_one_line_at_any_fill_level_and_leaves_the_database(
        free_kb, tmp_path, small_disk, prefect_harness):
    import hashlib

    extracts(tmp_path, [app(application_id=f"A{i}", person_id=f"P{i}") for i in range(40)])
    db = small_disk / "q.duckdb"
    assert run(tmp_path, db).exit_code == 0
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    filler = small_disk / "filler"
    with open(filler, "wb") as fh:  # fill the disk, then give back what the case leaves free
        with contextlib.suppress(OSError):
            while True:
                fh.write(b"\0" * (1 << 20))
                fh.flush()
    free = os.statvfs(small_disk).f_bavail * os.statvfs(small_disk).f_frsize
    os.truncate(filler, max(0, filler.stat().st_size - (free_kb << 10) + free))
    result = run(tmp_path, db, "--force")
    lines = result.output.strip().splitlines()
    if result.exit_code == 0:  # there was room enough
        return
    assert result.exit_code == 1 and len(lines) == 1, result.output
    assert "no space left on the device" in lines[0] and lines[0].endswith("nothing was published"), lines[0]
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in small_disk.iterdir()) == [".q.duckdb.lock", "filler", "q-analytics.duckdb",
                                                            "q.duckdb", "q.duckdb.seal", "q.pseudonym-key"]


def test_report_and_whatif_write_through_no_link_given_as_their_output(tmp_path, prefect_harness):
    extracts(tmp_path)
    db = tmp_path / "q.duckdb"
    assert run(tmp_path, db).exit_code == 0
    victim = tmp_path / "victim.html"
    victim.write_text("someone else's page")
    (tmp_path / "r.html").symlink_to(victim)
    (tmp_path / "s.duckdb").symlink_to(tmp_path / "elsewhere.duckdb")
    report = CliRunner().invoke(cli.app, ["report", "--db", str(db), "--out", str(tmp_path / "r.html")])
    assert report.exit_code == 2 and "is a symbolic link; a report writes through none" in report.output
    assert victim.read_text() == "someone else's page"
    whatif = CliRunner().invoke(cli.app, ["whatif", "--db", str(db), "--out", str(tmp_path / "s.duckdb"), "--config",
                                          str(DATA / "config" / "selection.csv")])
    assert whatif.exit_code == 2 and "is a symbolic link; a what-if writes through none" in whatif.output
    assert not (tmp_path / "elsewhere.duckdb").exists()


def test_generate_that_fails_half_way_leaves_the_folder_as_it_was(tmp_path, monkeypatch):
    import hashlib

    from flows.dev import generate
    from tests.conftest import DATA as data

    out = tmp_path / "g"
    generate.write_extracts(5, 1, out, "sample", data / "reference")

    def state():
        return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in out.rglob("*") if p.is_file()}

    before = state()
    real = os.replace

    def failing(src, dst):
        if str(src).endswith("new/experience"):
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(generate.os, "replace", failing)
    with pytest.raises(OSError):
        generate.write_extracts(7, 2, out, "sample", data / "reference")
    assert state() == before


def test_run_writes_through_no_link_planted_at_its_lock(tmp_path, prefect_harness):
    extracts(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("not qcpilot's")
    db = tmp_path / "out" / "q.duckdb"
    db.parent.mkdir()
    (db.parent / ".q.duckdb.lock").symlink_to(victim)
    result = run(tmp_path, db)
    assert result.exit_code != 0 and len(result.output.strip().splitlines()) == 1, result.output
    assert victim.read_text() == "not qcpilot's" and not db.exists()


def test_the_sample_reaches_a_database_only_on_purpose(tmp_path):
    db = tmp_path / "prod.duckdb"
    refused = CliRunner().invoke(cli.app, ["run", "--db", str(db)])
    assert refused.exit_code == 2 and not db.exists()
    assert refused.output.strip().splitlines() == [
        f"qcpilot: --db {db}: no extract given (--applications, --experience, --wages); a ledger is permanent, so the "
        "shipped sample goes into a database other than the default only with --sample; nothing was published"]
    both = CliRunner().invoke(cli.app, ["run", "--sample", "--applications", "a", "--experience", "e", "--wages", "w"])
    assert both.exit_code == 2 and "give it or the extracts, not both" in both.output


@pytest.mark.parametrize(("args", "says"), [
    (["--cron", "not a cron"], "--cron 'not a cron': not a cron schedule"),
    (["--cron", "61 2 * * *"], "--cron '61 2 * * *': not a cron schedule"),
])
def test_serve_checks_its_arguments_before_it_serves(args, says, tmp_path, monkeypatch):
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    result = CliRunner().invoke(cli.app, ["serve", "--inbox", str(tmp_path / "inbox"), *args])
    assert result.exit_code == 2 and result.output.startswith(f"qcpilot: {says}") and "serving" not in result.output
    (tmp_path / "file").write_text("")
    result = CliRunner().invoke(cli.app, ["serve", "--inbox", str(tmp_path / "file")])
    assert result.exit_code == 2 and "is a file; name the folder" in result.output


def test_a_run_rejecting_more_than_the_threshold_publishes_nothing_and_keeps_its_rejected_rows_privately(
        tmp_path, prefect_harness):
    import hashlib

    import polars as pl

    good = [app(application_id=f"A{i}", person_id=f"P{i}") for i in range(20)]
    extracts(tmp_path, good)
    db = tmp_path / "q.duckdb"
    assert run(tmp_path, db).exit_code == 0  # 0 of 20 rejected
    os.chmod(db, 0o600)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    # 2 of 21 rows rejected (9.5 %), both for their birth date, one also for its French level
    extracts(tmp_path, [*good, app(application_id="B1", person_id="Q1", birth_date="1990-02-30",
                                   french_oral_level="13")])
    write_csv([app(application_id="B2", person_id="Q2", birth_date="soon")], APP_COLUMNS, tmp_path / "apps" / "b.csv")
    result = run(tmp_path, db)
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    [kept] = list(tmp_path.glob("q.duckdb.rejected-*.parquet"))
    assert line == ("qcpilot: applications: 2 of 22 rows rejected (9.1 %, more than the 5 % allowed: --max-rejected); "
                    "most frequent reasons: birth_date: not a date YYYY-MM-DD (2); french_oral_level: must be between "
                    f"1 and 12 (1); nothing was published; the rejected rows are in {kept}")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert kept.stat().st_mode & 0o777 == 0o600
    assert pl.read_parquet(kept).get_column("application_id").to_list() == ["B1", "B2"]
    assert "1990-02-30" not in line  # no row's content in the message
    allowed = run(tmp_path, db, "--max-rejected", "10")
    assert allowed.exit_code == 0, allowed.output


def test_a_night_with_nothing_new_is_named_so_in_prefect(tmp_path, prefect_harness):
    from flows.pipeline.run import pipeline

    extracts(tmp_path)
    kw = {"specs": {e: [str(tmp_path / d)] for e, d in (("applications", "apps"), ("experience", "exp"),
                                                         ("wages", "wages"))},
          "db": str(tmp_path / "q.duckdb"), "data_dir": str(DATA), "config": str(DATA / "config" / "selection.csv")}
    first = pipeline(**kw, return_state=True)
    assert first.is_completed() and first.name == "Completed"
    again = pipeline(**kw, return_state=True)
    assert again.is_completed() and again.name == "Nothing new"
    assert again.message.startswith("nothing new since run ") and again.result().noop


def test_a_failed_run_is_logged_in_one_line_without_a_traceback():
    import logging

    from flows.pipeline.run import RunResult
    from flows.runtime.errors import RunFailed
    from flows.runtime.terminal import EscapedLog

    failure = RunFailed(RunResult("r1", ok=False, message="a.csv: line 3: 42 fields where the header has 41",
                                  exit_code=2))
    try:
        raise failure  # as Prefect raises a Failed state's data when a deployment's run ends
    except RunFailed:
        record = logging.LogRecord("prefect.flow_runs", logging.ERROR, __file__, 1,
                                   "Engine execution exited with unexpected exception", None, sys.exc_info())
    assert EscapedLog().filter(record)
    assert record.exc_info is None and record.getMessage() == (
        "run failed: a.csv: line 3: 42 fields where the header has 41")
    assert "Traceback" not in logging.Formatter().format(record)


def test_a_published_night_moves_its_files_out_of_the_inbox_and_a_refused_one_leaves_them(tmp_path, prefect_harness):
    from flows.pipeline.run import pipeline

    inbox = tmp_path / "inbox"
    write_csv([app()], APP_COLUMNS, inbox / "applications" / "a.csv")
    write_csv([spell()], SPELL_COLUMNS, inbox / "experience" / "e.csv")
    write_csv([wage()], WAGE_COLUMNS, inbox / "wages" / "w.csv")
    kw = {"specs": {e: [str(inbox / e)] for e in ("applications", "experience", "wages")},
          "db": str(tmp_path / "q.duckdb"), "data_dir": str(DATA), "config": str(DATA / "config" / "selection.csv"),
          "processed": str(inbox / "processed")}
    night = pipeline(**kw, return_state=True)
    assert night.is_completed() and night.name == "Completed"
    run_id = night.result().run_id
    assert sorted(p.relative_to(inbox).as_posix() for p in inbox.rglob("*.csv")) == [
        f"processed/{run_id}/applications/a.csv", f"processed/{run_id}/experience/e.csv",
        f"processed/{run_id}/wages/w.csv"]
    empty = pipeline(**kw, return_state=True)  # the next night, nothing delivered
    assert empty.is_completed() and empty.name == "Nothing new" and "no delivery" in empty.message
    for extract, name in (("applications", "a.csv"), ("experience", "e.csv"), ("wages", "w.csv")):  # delivered again
        (inbox / extract / name).write_bytes((inbox / "processed" / run_id / extract / name).read_bytes())
    again = pipeline(**kw, return_state=True)  # found by the second hostile test: it stayed in the inbox for good
    assert again.is_completed() and again.name == "Nothing new" and f"since run {run_id}" in again.message
    assert not list((inbox / "applications").glob("*.csv")) and len(list(inbox.rglob("processed/*/wages/w.csv"))) == 2
    bad = write_csv([app()], [c for c in APP_COLUMNS if c != "profile"], inbox / "applications" / "b.csv")
    write_csv([spell()], SPELL_COLUMNS, inbox / "experience" / "e.csv")
    write_csv([wage()], WAGE_COLUMNS, inbox / "wages" / "w.csv")
    refused = pipeline(**kw, return_state=True)
    assert refused.is_failed() and bad.is_file()  # a refused night leaves its files where they were


def test_run_report_is_checked_before_the_run_like_report_out(tmp_path):
    extracts(tmp_path)
    db = tmp_path / "q.duckdb"
    for target, says in ((tmp_path, "is a folder"), (tmp_path / "r.txt", "a report is an HTML file")):
        refused = run(tmp_path, db, "--report", str(target))
        assert refused.exit_code == 2 and says in refused.output and not db.exists()
        assert refused.output.strip().endswith("nothing was published")


def test_serve_refuses_folders_it_could_not_use_or_that_would_lose_a_night(tmp_path, monkeypatch):
    """Found by the hostile test of issue #22: each of these served, then failed or misfiled every night."""
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    inbox, afile = tmp_path / "inbox", tmp_path / "afile"
    inbox.mkdir()
    afile.write_text("")
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "reports").write_text("")  # where the reports would go by default
    cases = [
        (["--inbox", str(DATA / "sample")], "holds the shipped sample"),
        (["--inbox", str(inbox), "--processed", str(inbox / "applications" / "done")], "is inside an extract's"),
        (["--inbox", str(inbox), "--reports", str(afile / "sub")],
         f"--reports {afile / 'sub'}: cannot be made ({afile} is a file)"),
        (["--inbox", str(inbox), "--processed", str(afile / "sub")],
         f"--processed {afile / 'sub'}: cannot be made ({afile} is a file)"),
        (["--inbox", str(inbox), "--db", str(tmp_path / "db" / "q.duckdb")], "reports: is a file; name a folder"),
        (["--inbox", str(inbox), "--config", str(tmp_path / "none.csv")], "none.csv"),
        (["--inbox", str(tmp_path / "inbx")], "inbx: no such folder"),  # found by the new-user test: made, empty
        # found by the second hostile test: a database (and its rejected rows) where a night reads its extracts
        (["--inbox", str(inbox), "--db", str(inbox / "applications" / "q.duckdb")], "is inside an extract's folder"),
        (["--inbox", str(inbox), "--db", str(tmp_path / "db")], "is a folder; name the database file"),
        (["--inbox", str(inbox)], "PREFECT_API_URL http://127.0.0.1:9/api: no Prefect server answers there"),
    ]
    for args, says in cases:
        result = CliRunner().invoke(cli.app, ["serve", *args])
        assert result.exit_code == 2 and says in result.output and "serving" not in result.output, (args, result.output)
        assert len(result.output.strip().splitlines()) == 1, result.output
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["afile", "db", "inbox", "reports"]  # nothing made


def test_the_archive_keeps_each_file_s_path_and_moves_only_what_was_read(tmp_path):
    """Found by the hostile test: two files of one name overwrote each other, and a file replaced after it was read
    was archived as published."""
    import logging

    from flows.ingest.reading import InputFile
    from flows.pipeline.run import archive

    inbox = tmp_path / "inbox"
    north = write_csv([app()], APP_COLUMNS, inbox / "applications" / "north" / "apps.csv")
    south = write_csv([app(application_id="A2")], APP_COLUMNS, inbox / "applications" / "south" / "apps.csv")
    spells = write_csv([spell()], SPELL_COLUMNS, inbox / "experience" / "e.csv")
    read = [InputFile.of("applications", north, 1), InputFile.of("applications", south, 1),
            InputFile.of("experience", spells, 1)]
    spells.write_text(spells.read_text() + "\n")  # replaced after it was read: not what was published
    warned = []
    log = logging.getLogger("test-archive")
    log.warning = lambda message, *args: warned.append(message % args)
    archive({"applications": [north, south], "experience": [spells]},
            {"applications": [str(inbox / "applications")], "experience": [str(inbox / "experience")]}, read,
            inbox / "processed" / "r1", log)
    assert sorted(p.relative_to(inbox).as_posix() for p in inbox.rglob("*.csv")) == [
        "experience/e.csv", "processed/r1/applications/north/apps.csv", "processed/r1/applications/south/apps.csv"]
    assert (inbox / "processed/r1/applications/south/apps.csv").read_text().count("A2") == 1
    assert warned == [f"published, but {spells} changed since it was read: left in the inbox"]


def test_a_file_delivered_twice_does_not_dilute_the_rejection_threshold(tmp_path, prefect_harness):
    good = [app(application_id=f"A{i}", person_id=f"P{i}") for i in range(20)]
    extracts(tmp_path, good)
    write_csv([app(application_id=f"B{i}", person_id=f"Q{i}", birth_date="soon") for i in (1, 2)], APP_COLUMNS,
              tmp_path / "apps" / "b.csv")
    # 2 of 22 rows rejected (9.1 %); the good file again adds 20 rows alike, which are no new rows (not 2 of 42)
    (tmp_path / "apps" / "copy_of_a.csv").write_bytes((tmp_path / "apps" / "a.csv").read_bytes())
    refused = run(tmp_path, tmp_path / "q.duckdb")
    assert refused.exit_code == 2 and "2 of 22 rows rejected (9.1 %" in refused.output, refused.output


def test_a_deployment_s_threshold_is_checked_and_a_failed_state_s_message_is_one_line(tmp_path, prefect_harness):
    from flows.pipeline.run import pipeline

    extracts(tmp_path)
    kw = {"specs": {e: [str(tmp_path / d)] for e, d in (("applications", "apps"), ("experience", "exp"),
                                                         ("wages", "wages"))},
          "db": str(tmp_path / "q.duckdb"), "data_dir": str(DATA), "config": str(DATA / "config" / "selection.csv")}
    state = pipeline(**kw, max_rejected=-3, return_state=True)
    assert state.is_failed() and state.message.startswith("max_rejected must be a percentage from 0 to 100, not -3")
    odd = tmp_path / "in box\n\x1b[31mred"
    odd.mkdir()
    state = pipeline(**{**kw, "specs": {**kw["specs"], "applications": [str(odd)]}}, return_state=True)
    assert state.is_failed() and "\n" not in state.message and "\x1b" not in state.message
    assert "\\n\\x1b[31mred" in state.message


def test_a_file_replaced_while_it_is_read_stops_the_run(tmp_path, prefect_harness, monkeypatch):
    """Found by the second hostile test: the replacement was recorded (its SHA-256) and archived as what was
    decided, though the rows decided were the first file's."""
    from flows.ingest import reading

    extracts(tmp_path, [app(application_id=f"A{i}", person_id=f"P{i}") for i in range(3)])
    target = tmp_path / "apps" / "a.csv"
    replacement = write_csv([app(application_id="Z1", person_id="Z1")], APP_COLUMNS, tmp_path / "z.csv")
    batches = reading.raw_batches

    def replaced_while_read(extract, path, model, **kw):
        for batch in batches(extract, path, model, **kw):
            if path == target and replacement.exists():
                os.replace(replacement, target)  # the source system delivers again while the run reads
            yield batch

    monkeypatch.setattr(reading, "raw_batches", replaced_while_read)
    result = run(tmp_path, tmp_path / "q.duckdb")
    assert result.exit_code == 2 and not (tmp_path / "q.duckdb").exists()
    assert result.output.strip() == (f"qcpilot: {target}: changed while it was read (replaced, or still being "
                                     "written); nothing was published")
