"""Operations: the nightly deployment and its schedule, retries on transient I/O only, readers during a publish."""

import subprocess
import sys

import duckdb
import polars as pl
import pytest

from flows.pipeline.run import ingest, publish, transient_io_error
from flows.pipeline.serve import DEFAULT_CRON, nightly_deployment
from flows.runtime.errors import InputError
from flows.store import database


def test_nightly_deployment_runs_at_2am_toronto_on_the_inbox(tmp_path):
    dep = nightly_deployment(tmp_path / "inbox", tmp_path / "q.duckdb", tmp_path / "data", tmp_path / "c.csv")
    assert dep.name == "qcpilot-nightly"
    [schedule] = dep.schedules
    assert ((schedule.schedule.cron, schedule.schedule.timezone) == (DEFAULT_CRON, "America/Toronto")
            == ("0 2 * * *", "America/Toronto"))
    assert dep.parameters["specs"] == {e: [str((tmp_path / "inbox" / e).resolve())]
                                       for e in ("applications", "experience", "wages")}
    assert dep.parameters["db"] == str((tmp_path / "q.duckdb").resolve())
    # the contract's rejection threshold, and where a published night's files go (issue #22)
    assert dep.parameters["max_rejected"] == 5.0
    assert dep.parameters["processed"] == str((tmp_path / "inbox" / "processed").resolve())
    assert dep.parameters["report"] == str(tmp_path.resolve() / "reports" / "report-{run_id}.html")
    assert dep.concurrency_limit == 1


def test_the_schedule_is_configurable(tmp_path):
    dep = nightly_deployment(tmp_path, tmp_path / "q.duckdb", tmp_path, tmp_path / "c.csv", cron="30 23 * * 1-5")
    assert dep.schedules[0].schedule.cron == "30 23 * * 1-5"


class _State:
    def __init__(self, exc):
        self.exc = exc

    def result(self):
        raise self.exc


@pytest.mark.parametrize(
    ("exc", "retry"),
    [(OSError("stale NFS handle"), True), (duckdb.IOException("disk full"), True),
     (InputError("x.csv: missing required column 'a'"), False), (ValueError("bug"), False)],
)
def test_only_transient_io_errors_are_retried(exc, retry):
    assert transient_io_error(None, None, _State(exc)) is retry


def test_ingest_retries_transient_failures_and_publish_does_not_replay_a_half_built_database():
    assert ingest.retries == 2
    assert ingest.retry_condition_fn is transient_io_error
    assert publish.retries == 0


def test_a_reader_keeps_reading_the_published_database_while_a_run_replaces_it(tmp_path):
    db = tmp_path / "q.duckdb"
    database.publish(db, {"t": pl.DataFrame({"v": [1]})}, views=[], run_id="one")
    reader = duckdb.connect(str(db), read_only=True)
    try:
        assert reader.sql("SELECT v FROM t").fetchall() == [(1,)]
        database.publish(db, {"t": pl.DataFrame({"v": [2]})}, views=[], run_id="two")
        assert reader.sql("SELECT v FROM t").fetchall() == [(1,)]  # the old file, still open, unchanged
        # an analyst connecting now (another process; DuckDB shares one instance per path within a process)
        fresh = subprocess.run(
            [sys.executable, "-c",
             f"import duckdb; print(duckdb.connect({str(db)!r}, read_only=True).sql('SELECT v FROM t').fetchall())"],
            capture_output=True, text=True, check=True,
        )
        assert fresh.stdout.strip() == "[(2,)]"
    finally:
        reader.close()


def test_the_serve_console_prints_a_failure_in_one_line_without_its_traceback(capsys):
    import logging

    from prefect.logging.handlers import PrefectConsoleHandler

    from flows.runtime.logs import console_without_tracebacks

    logger = logging.getLogger("qcpilot-test-serve")
    handler = PrefectConsoleHandler()
    logger.addHandler(handler)
    try:
        console_without_tracebacks()
        try:
            raise InputError("x.csv: line 3: 42 fields where the header has 41")
        except InputError:
            logger.exception("Task run failed")
    finally:
        logger.removeHandler(handler)
    err = capsys.readouterr().err
    assert "Task run failed" in err and "Traceback" not in err
