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


@pytest.mark.parametrize(("failure", "attempts", "state"), [
    (OSError(5, "Input/output error", "share/a.csv"), 2, "Completed"),  # a share that blinked: retried, then read
    (InputError("a.csv: line 3: 42 fields where the header has 41"), 1, "Failed"),  # bad input: never retried
])
def test_ingest_is_retried_after_a_transient_io_error_only(failure, attempts, state, monkeypatch, prefect_harness):
    import datetime as dt

    from prefect import flow

    from flows.ingest import spill

    calls = []

    def flaky(extract, files, store, as_of, advance):
        calls.append(extract)
        if len(calls) == 1:
            raise failure
        store.read[extract] = 0

    class Store:
        read: dict = {}
        files: list = []

    monkeypatch.setattr(spill, "ingest_extract", flaky)
    quick = ingest.with_options(retry_delay_seconds=0)  # the nightly waits 10 s between attempts

    @flow
    def night():
        return quick({"applications": [], "experience": [], "wages": []}, Store(), dt.datetime.now(dt.UTC),
                     return_state=True).name

    assert night() == state and calls[0] == "applications"
    assert calls.count("applications") == attempts
    assert publish.retries == 0  # a publish is never replayed half-way


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
