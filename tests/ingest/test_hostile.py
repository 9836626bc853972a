"""What a hostile tester found on the trust work, each kept as a test: inputs that crashed or were misread, a
database changed under a run, a ledger changed outside qcpilot, and command-line paths that printed more than a line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from flows import cli
from flows.cli import run as run_command
from flows.ingest import reading
from flows.runtime.errors import InputError
from flows.store.lock import lock_path
from schemas import MODELS
from tests.conftest import DATA, QCPILOT, qcpilot
from tests.factories import (
    APP_COLUMNS,
    AS_OF,
    SPELL_COLUMNS,
    WAGE_COLUMNS,
    app,
    parsed,
    published_pair,
    spell,
    wage,
    write_csv,
)
from transforms.validate import validate_all

APPS = MODELS["applications"]
SAMPLE = DATA / "sample"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def arrow_apps(rows=None) -> pa.Table:
    rows = rows or [app(), app(application_id="A2", person_id="P2")]
    return parsed(rows, "applications").select(APP_COLUMNS).to_arrow()


def read(path: Path) -> pl.DataFrame:
    return reading.read_extract("applications", [path], APPS)[0]


# -- inputs -------------------------------------------------------------------------------------------------------

def test_an_extra_column_polars_cannot_convert_is_ignored_and_any_utc_offset_is_read(tmp_path):
    t = arrow_apps()
    at = pa.array([dt.datetime(2024, 3, 15, 14, 0, tzinfo=dt.UTC)] * 2, pa.timestamp("us", tz="+05:30"))
    t = t.append_column("exported_at", pa.array([dt.datetime(2024, 3, 1, 12)] * 2, pa.timestamp("us", tz="-03:30")))
    t = t.set_column(t.column_names.index("submitted_at"), "submitted_at", at)
    pq.write_table(t, tmp_path / "a.parquet")
    df = read(tmp_path / "a.parquet")
    assert df.get_column("submitted_at").to_list() == [dt.datetime(2024, 3, 15, 14, 0, tzinfo=dt.UTC)] * 2
    assert df.get_column("__parse_errors").list.len().sum() == 0


def test_a_timestamp_out_of_range_stops_the_run_with_one_line(tmp_path):
    t = arrow_apps()
    huge = pa.array([1709294400000 + 2**61] * 2, pa.timestamp("ms", tz="UTC"))
    pq.write_table(t.set_column(t.column_names.index("submitted_at"), "submitted_at", huge), tmp_path / "a.parquet")
    with pytest.raises(InputError, match="column 'submitted_at' holds a timestamp out of the range"):
        read(tmp_path / "a.parquet")


def test_decimals_in_integer_columns_are_never_truncated(tmp_path):
    t = arrow_apps()
    for col, values in (("adults_in_family", ["1.5", "1.0"]), ("children_under_18", ["2.9", "3.0"])):
        import decimal
        arr = pa.array([decimal.Decimal(v) for v in values], pa.decimal128(5, 1))
        t = t.set_column(t.column_names.index(col), col, arr)
    pq.write_table(t, tmp_path / "a.parquet")
    kept, rejected = validate_all({"applications": read(tmp_path / "a.parquet"), "experience": parsed([], "experience"),
                                   "wages": parsed([], "wages")}, AS_OF)
    assert kept["applications"].select("adults_in_family", "children_under_18").rows() == [(1, 3)]
    assert rejected.get_column("reasons").to_list() == [["adults_in_family: not an integer",
                                                         "children_under_18: not an integer"]]


@pytest.mark.parametrize(("text", "accepted"), [
    ("2024-04-15", False),  # a date alone: no time of day to rank by
    ("2024-04-15T12:00:00+99:99", False),
    ("2024-04-15T12:00:00+15:00", False),
    ("2024-04-15T12:00:00+14:00", True),
    ("2024-04-15T12:00:00-05:30", True),
    ("2024-04-15 12:00", True),
])
def test_a_submission_time_is_a_date_and_a_time_of_day_with_a_real_offset(text, accepted):
    kept, rejected = validate_all({"applications": parsed([app(submitted_at=text)], "applications"),
                                   "experience": parsed([], "experience"), "wages": parsed([], "wages")}, AS_OF)
    assert kept["applications"].height == int(accepted)
    if not accepted:
        assert rejected.get_column("reasons").to_list() == [
            ["submitted_at: not an ISO 8601 timestamp (a date and a time of day; a local time must exist in "
             "America/Toronto)"]]


def test_csv_lines_ending_in_a_lone_carriage_return_are_named(tmp_path):
    path = write_csv([app()], APP_COLUMNS, tmp_path / "a.csv")
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r"))
    with pytest.raises(InputError, match="lines end with a carriage return alone"):
        read(path)


def test_a_header_name_with_spaces_around_it_is_named(tmp_path):
    path = write_csv([app()], APP_COLUMNS, tmp_path / "a.csv")
    path.write_text(path.read_text().replace("program,", "program ,", 1))
    with pytest.raises(InputError, match="column 'program ' has spaces around its name"):
        read(path)


def test_a_long_field_is_not_taken_for_a_quoting_problem(tmp_path):
    rows = [app(), app(application_id="A2", job_title="x" * 200_000), app(application_id="A3"),
            app(application_id="A4")]
    path = write_csv(rows, APP_COLUMNS, tmp_path / "a.csv")
    lines = path.read_text().splitlines()
    lines[4] += ",extra"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="line 5: 42 fields where the header has 41"):
        read(path)


def test_a_configuration_without_any_intake_window_is_refused(tmp_path):
    path = tmp_path / "selection.csv"
    path.write_text((DATA / "config" / "selection.csv").read_text().splitlines()[0] + "\n")
    with pytest.raises(InputError, match="no intake window at all"):
        reading.read_config(path, __import__("schemas.config", fromlist=["SelectionConfig"]).SelectionConfig)


# -- the published database ------------------------------------------------------------------------------------------

@pytest.fixture
def published(tmp_path, prefect_harness):
    return published_pair(tmp_path)


def test_a_pending_write_ahead_log_beside_the_database_is_refused(published):
    db, args = published
    wal = db.with_name(db.name + ".wal")
    wal.write_bytes(b"an analyst's uncheckpointed changes")
    before = digest(db)
    result = CliRunner().invoke(cli.app, ["run", *args, "--db", str(db), "--force"])
    assert result.exit_code == 2 and "has a write-ahead log" in result.output
    assert digest(db) == before and wal.exists()


def test_a_ledger_changed_outside_qcpilot_is_refused(published):
    db, args = published
    with duckdb.connect(str(db)) as con:  # someone "fixes" a decision by hand, and checkpoints
        con.execute("UPDATE decisions SET status = 'cap_reached' WHERE application_id = 'A2'")
    before = digest(db)
    result = CliRunner().invoke(cli.app, ["run", *args, "--db", str(db), "--force"])
    assert result.exit_code == 2
    assert "its decisions ledger was changed outside qcpilot since run" in result.output
    assert digest(db) == before


def test_a_symbolic_link_to_the_database_shares_its_lock_and_keeps_pointing_at_it(published, prefect_harness):
    db, args = published
    link = db.with_name("alias.duckdb")
    link.symlink_to(db.name)
    result = CliRunner().invoke(cli.app, ["run", *args, "--db", str(link), "--force"])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and not lock_path(link).exists()
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM runs").fetchall()[0][0] == 2


def test_a_run_whose_lock_file_is_removed_under_it_does_not_publish(tmp_path, prefect_api):
    db = tmp_path / "out" / "q.duckdb"
    extracts = ["--applications", str(SAMPLE / "applications"), "--experience", str(SAMPLE / "experience"),
                "--wages", str(SAMPLE / "wages")]
    assert qcpilot(prefect_api, "run", *extracts, "--db", str(db)).returncode == 0
    before = digest(db)
    proc = subprocess.Popen([str(QCPILOT), "run", *extracts, "--db", str(db), "--force"], env=prefect_api,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not any(p.name.endswith(".tmp") for p in db.parent.iterdir()):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    lock_path(db).unlink()  # a "stale lock" cleanup: another run could now take a new lock
    out, errors = proc.communicate(timeout=120)
    assert proc.returncode == 1, out + errors
    assert "its lock file was removed during this run" in errors
    assert digest(db) == before


@pytest.fixture
def own_data(tmp_path, monkeypatch):
    """A copy of the reference data and the legal values for the CLI to read, and the run arguments on the sample."""
    data = tmp_path / "data"
    shutil.copytree(DATA / "reference", data / "reference")
    shutil.copytree(DATA / "rulebook", data / "rulebook")
    monkeypatch.setattr(run_command, "DATA", data)
    db = tmp_path / "q.duckdb"
    return data, db, ["run", "--applications", str(SAMPLE / "applications"), "--experience",
                      str(SAMPLE / "experience"), "--wages", str(SAMPLE / "wages"), "--db", str(db)]


def test_a_change_of_the_reference_data_is_not_a_no_op(own_data, prefect_harness):
    data, db, args = own_data
    assert CliRunner().invoke(cli.app, args).exit_code == 0
    assert "nothing new" in CliRunner().invoke(cli.app, args).output
    scale = data / "reference" / "self_sufficiency_scale.csv"
    table = pl.read_csv(scale)
    table.with_columns(pl.col("amount_cad") + (pl.int_range(pl.len()) == 0)).write_csv(scale)  # one amount, +1 $
    again = CliRunner().invoke(cli.app, args)
    assert again.exit_code == 0 and "nothing new" not in again.output
    with duckdb.connect(str(db), read_only=True) as con:
        refs = con.sql("SELECT [i.path FOR i IN inputs IF i.extract = 'reference'] FROM runs "
                       "ORDER BY finished_at DESC LIMIT 1").fetchall()[0][0]
    assert str(scale) in refs


# -- the command line ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "message"), [
    (["run", "--applications", str(SAMPLE / "applications")],
     "qcpilot: --experience, --wages missing: give the three extracts, or none to run the shipped sample"),
    (["run", "--wait", "nan"], "qcpilot: --wait must be a number of seconds >= 0, not nan"),
    (["run", "--db", ":memory:"],
     "qcpilot: --db must name a database file (:memory: is not one); nothing was published"),
    (["run", "--nope"], "qcpilot: No such option: --nope"),
    (["generate", "--seed", "-1"], "qcpilot: --seed must be 0 or more, not -1"),
    (["generate", "--out", str(DATA / "config" / "selection.csv")], "--out"),
])
def test_command_line_mistakes_are_one_line(args, message):
    proc = subprocess.run([str(QCPILOT), *args], capture_output=True, text=True, timeout=60)
    text = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 2 and len(text.splitlines()) == 1 and "Traceback" not in text, text
    assert text.startswith(message) if message.startswith("qcpilot") else message in text


def test_an_amount_too_large_for_cents_in_64_bits_and_one_with_a_fraction_of_a_cent_are_worded_as_compared(
        tmp_path, prefect_harness):
    db = tmp_path / "q.duckdb"
    write_csv([app(funds_available_cad="1e17"), app(application_id="A2", person_id="P2",
                                                    funds_available_cad="6171.996")],
              APP_COLUMNS, tmp_path / "in" / "apps.csv")
    write_csv([spell(), spell(application_id="A2")], SPELL_COLUMNS, tmp_path / "in" / "spells.csv")
    write_csv([wage()], WAGE_COLUMNS, tmp_path / "in" / "wages.csv")
    result = CliRunner().invoke(cli.app, [
        "run", "--applications", str(tmp_path / "in" / "apps.csv"), "--experience", str(tmp_path / "in" / "spells.csv"),
        "--wages", str(tmp_path / "in" / "wages.csv"), "--db", str(db)])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(db), read_only=True) as con:
        details = dict(con.sql("SELECT application_id, detail FROM rule_results "
                               "WHERE rule_id = 'GEN_SELF_SUFFICIENCY'").fetchall())
    assert "funds available 100000000000000000.00 CAD" in details["A1"]
    assert "funds available 6171.9960 CAD" in details["A2"]


def test_a_change_of_the_legal_values_is_not_a_no_op_and_is_recorded_as_a_change_of_the_rules(
        own_data, prefect_harness):
    data, db, args = own_data
    assert CliRunner().invoke(cli.app, args).exit_code == 0
    rulebook = data / "rulebook" / "parameters.yaml"
    rulebook.write_text(rulebook.read_text(encoding="utf-8").replace("values: {2021-04-22: 100000}",
                                                                      "values: {2021-04-22: 110000}"), encoding="utf-8")
    again = CliRunner().invoke(cli.app, args)
    assert again.exit_code == 0 and "nothing new" not in again.output
    with duckdb.connect(str(db), read_only=True) as con:
        changed = con.sql("SELECT engine_changed FROM runs ORDER BY finished_at").fetchall()
    assert changed == [(False,), (True,)]  # the decisions of the first run were taken under other legal values


def test_a_bad_csv_row_that_is_not_utf8_prints_no_traceback(tmp_path):
    """Found by the fuzz test on CI: pyarrow, decoding such a row for its invalid-row handler, printed a traceback
    ("Exception ignored in ...") above the run's one line."""
    sample = DATA / "sample"
    apps = tmp_path / "apps"
    apps.mkdir()
    lines = (sample / "applications" / "applications_0000a.csv").read_bytes().splitlines(keepends=True)[:20]
    (apps / "a.csv").write_bytes(b"".join(lines) + b"A9,x\xbdy,3\n")  # too few fields, and a byte that is not UTF-8
    done = qcpilot(dict(os.environ), "run", "--applications", str(apps), "--experience", str(sample / "experience"),
                   "--wages", str(sample / "wages"), "--db", str(tmp_path / "q.duckdb"))
    assert (done.returncode, (done.stdout + done.stderr).strip()) == (
        2, f"qcpilot: {apps / 'a.csv'}: line 21: not UTF-8 text (the contract's CSV is UTF-8); nothing was published")
    assert not (tmp_path / "q.duckdb").exists()


def test_a_fifo_put_in_an_input_file_s_place_is_refused_not_waited_on(tmp_path):
    """An input is hashed by a worker thread (RunContext.fingerprint), which a signal cannot stop: a FIFO put in a
    listed file's place (as the run starts) is refused at once, one line naming it, instead of holding the run and
    its lock until someone writes to it."""
    import threading

    from flows.ingest.files import sha256

    fifo = tmp_path / "applications.csv"
    os.mkfifo(fifo)
    said: list[BaseException] = []

    def hash_it():
        try:
            sha256(fifo)
        except BaseException as exc:  # noqa: BLE001 - what it raised is the assertion
            said.append(exc)

    worker = threading.Thread(target=hash_it, daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "waited on the FIFO"
    assert [type(e) for e in said] == [InputError] and str(said[0]) == (
        f"{fifo}: not a regular file (replaced since the extract's files were listed)")


def test_a_fingerprint_that_fails_keeps_nothing_and_is_made_whole_again(tmp_path):
    """The inputs' SHA-256 are kept all or none: after a file that could not be hashed is put back, the context's
    fingerprint is every file's, not the part hashed before the failure."""
    from flows.cli.common import DEFAULT_CONFIG
    from flows.pipeline.context import RunContext

    shutil.copytree(SAMPLE, tmp_path / "in")
    ctx = RunContext(specs={e: [str(tmp_path / "in" / e)] for e in ("applications", "experience", "wages")},
                     db=tmp_path / "x.duckdb", config=DEFAULT_CONFIG, data_dir=DATA)
    whole = RunContext(specs=ctx.specs, db=ctx.db, config=ctx.config, data_dir=DATA).fingerprint()
    victim = ctx.files()["experience"][0]
    kept = victim.read_bytes()
    victim.unlink()
    victim.mkdir()
    with pytest.raises(InputError, match="not a regular file"):
        ctx.fingerprint()
    victim.rmdir()
    victim.write_bytes(kept)
    assert ctx.fingerprint() == whole


def test_an_input_gone_since_it_was_listed_is_named_in_one_line(tmp_path):
    """A file listed, then removed before it is hashed (a no-op's check, the run's own record): an InputError naming
    it (exit 2), never an internal error."""
    from flows.ingest.files import sha256

    gone = tmp_path / "applications.csv"
    with pytest.raises(InputError) as said:
        sha256(gone)
    assert str(said.value) == f"{gone}: cannot be read (No such file or directory)"
