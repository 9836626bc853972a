"""Trust, with `qcpilot run` in real processes: one writer per database, one-line refusals with no traceback and no
personal data, staging files never left behind, a cheap no-op, and `generate` that cannot hurt the sample."""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest
from filelock import FileLock

from flows.store import analytics, sealfile
from flows.store.lock import lock_path
from tests.conftest import DATA, QCPILOT, qcpilot
from tests.factories import APP_COLUMNS, app, write_csv

SAMPLE = DATA / "sample"


def extracts(*applications: str | Path) -> list[str]:
    args = [a for p in applications for a in ("--applications", str(p))]
    return [*args, "--experience", str(SAMPLE / "experience"), "--wages", str(SAMPLE / "wages")]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ledger_ids(db: Path) -> set[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {r[0] for r in con.sql("SELECT application_id FROM decisions").fetchall()}


def leftovers(db: Path) -> list[str]:
    """What lies beside `db` but for what a run publishes: the database, its lock, its analysts' database, the
    pseudonym key and the record of the file published."""
    published = (db.name, lock_path(db).name, analytics.target_of(db).name, analytics.key_file(db).name,
                 sealfile.record_path(db).name)
    return sorted(p.name for p in db.parent.iterdir() if p.name not in published)


def one_line(proc: subprocess.CompletedProcess) -> str:
    text = (proc.stdout + proc.stderr).strip()
    assert "Traceback" not in text and len(text.splitlines()) == 1, text
    return text


@pytest.fixture(scope="module")
def published(tmp_path_factory, prefect_api):
    """A database published from the shipped sample, once for the module."""
    db = tmp_path_factory.mktemp("published") / "q.duckdb"
    done = qcpilot(prefect_api, "run", *extracts(SAMPLE / "applications"), "--db", str(db))
    assert done.returncode == 0, done.stdout + done.stderr
    return db


@pytest.fixture
def base(published, tmp_path):
    """A copy of what publishing the sample left (the database, its analysts' database and pseudonym key), of its own,
    for a test that runs on it or changes it."""
    db = tmp_path / "out" / "q.duckdb"
    db.parent.mkdir()
    shutil.copy2(published, db)
    shutil.copy2(analytics.target_of(published), analytics.target_of(db))
    shutil.copy2(analytics.key_file(published), analytics.key_file(db))
    return db


def new_applications(folder: Path, prefix: str, n: int = 20) -> Path:
    rows = [app(application_id=f"{prefix}{i:03d}", person_id=f"{prefix}P{i:03d}") for i in range(n)]
    return write_csv(rows, APP_COLUMNS, folder / f"{prefix}.csv")


def test_two_runs_at_once_on_one_database_keep_every_decision_of_both(base, tmp_path, prefect_api):
    before = ledger_ids(base)
    extra = {p: new_applications(tmp_path / p, p) for p in ("X", "Y")}
    procs = [subprocess.Popen([str(QCPILOT), "run", *extracts(SAMPLE / "applications", extra[p]), "--db", str(base),
                               "--wait", "300"], env=prefect_api, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for p in ("X", "Y")]
    results = [(p.wait(400), p.stdout.read() + p.stderr.read()) for p in procs]
    assert [code for code, _ in results] == [0, 0], results
    after = ledger_ids(base)
    assert before <= after  # the ledger only grows
    for p in ("X", "Y"):  # every decision of every run that reported success is there
        assert {f"{p}{i:03d}" for i in range(20)} <= after, p
    with duckdb.connect(str(base), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM runs").fetchall()[0][0] == 3


def test_a_second_run_is_refused_at_once_or_waits_for_the_first(base, tmp_path, prefect_api):
    before = digest(base)
    holder = FileLock(lock_path(base))  # another run, as far as the lock can tell
    with holder:  # refused at once: before Prefect starts (no server there), without waiting for the holder
        refused = qcpilot({**prefect_api, "PREFECT_API_URL": "http://127.0.0.1:9/api"}, "run",
                          *extracts(SAMPLE / "applications"), "--db", str(base), "--force", timeout=120)
    assert refused.returncode == 1
    assert "another qcpilot run is writing this database" in one_line(refused)
    assert digest(base) == before
    # with --wait, the run starts once the holder lets go
    holder.acquire()
    waiting = subprocess.Popen([str(QCPILOT), "run", *extracts(SAMPLE / "applications"), "--db", str(base), "--force",
                                "--wait", "120"], env=prefect_api, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(3)
    assert waiting.poll() is None and digest(base) == before
    holder.release()
    assert waiting.wait(300) == 0
    with duckdb.connect(str(base), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM runs").fetchall()[0][0] == 2


def test_a_database_qcpilot_did_not_publish_is_refused_in_one_line_and_left_alone(tmp_path, prefect_api):
    db = tmp_path / "theirs.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE runs (id INTEGER, what VARCHAR)")
        con.execute("INSERT INTO runs VALUES (1, 'not ours')")
    before = digest(db)
    for command in (["run", *extracts(SAMPLE / "applications")], ["explain", "A00000001"], ["report"]):
        proc = qcpilot(prefect_api, *command, "--db", str(db))
        assert proc.returncode == 2, command
        assert "a DuckDB database that qcpilot did not publish" in one_line(proc)
    not_duckdb = tmp_path / "notes.duckdb"
    not_duckdb.write_text("these are my notes\n")
    proc = qcpilot(prefect_api, "run", "--sample", "--db", str(not_duckdb))
    assert proc.returncode == 2 and "not a DuckDB database" in one_line(proc)
    assert digest(db) == before and not_duckdb.read_text() == "these are my notes\n"


def test_a_full_disk_fails_in_one_line_and_leaves_no_staging_file(base, prefect_api):
    before = digest(base)

    def small_disk():  # a file size limit makes every write past 1 MB fail as a full disk does (EFBIG, not a signal)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

    proc = qcpilot(prefect_api, "run", *extracts(SAMPLE / "applications"), "--db", str(base), "--force",
                   preexec_fn=small_disk)
    assert proc.returncode == 1
    assert "cannot write the next database" in one_line(proc)
    assert digest(base) == before and leftovers(base) == []


def test_a_folder_that_cannot_be_written_fails_in_one_line(prefect_api):
    target = Path("/sys/qcpilot-test/q.duckdb")  # sysfs: no one may create a folder there, root included
    proc = qcpilot(prefect_api, "run", "--sample", "--db", str(target))
    assert proc.returncode == 1
    assert "cannot create the database folder" in one_line(proc)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_run_stops_it_in_one_line_and_removes_its_staging_files(base, sig, prefect_api):
    before = digest(base)
    proc = subprocess.Popen([str(QCPILOT), "run", *extracts(SAMPLE / "applications"), "--db", str(base), "--force"],
                            env=prefect_api, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not any(n.endswith(".tmp") for n in leftovers(base)):  # the run is building the next database
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1
    text = (stdout + stderr).strip()
    assert "Traceback" not in text and text == f"qcpilot: stopped by {sig.name}; nothing was published", text
    assert digest(base) == before and leftovers(base) == []


def test_a_sigterm_a_library_turned_into_its_own_error_still_stops_the_run_in_one_line(base, prefect_harness,
                                                                                     monkeypatch):
    """Found by CI: a SIGTERM while DuckDB opened the staging file came back as DuckDB's RuntimeError (Prefect's
    flow engine handles SIGTERM itself), and the run said "internal error" instead of "stopped by SIGTERM"."""
    from typer.testing import CliRunner

    from flows import cli
    from flows.runtime import interrupts
    from flows.store import database

    def opening_interrupted(self, target, run_id):  # what duckdb.connect does when the signal lands inside it
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(10)
        except BaseException:
            raise RuntimeError("Query interrupted") from None

    monkeypatch.setattr(database.Staging, "__init__", opening_interrupted)
    monkeypatch.setattr(interrupts, "received", None)
    before = digest(base)
    result = CliRunner().invoke(cli.app, ["run", *extracts(SAMPLE / "applications"), "--db", str(base), "--force"])
    assert (result.exit_code, result.output.strip()) == (1, "qcpilot: stopped by SIGTERM; nothing was published")
    assert digest(base) == before and leftovers(base) == []


def test_a_signal_just_after_the_swap_says_the_run_was_published(base, prefect_harness, monkeypatch):
    """Found by the hostile test: a SIGINT between the swap and the end of the command said "nothing was
    published" of a database the run had just replaced."""
    from typer.testing import CliRunner

    from flows import cli
    from flows.pipeline import run as pipeline
    from flows.runtime import interrupts
    from flows.runtime.errors import Interrupted

    def signal_arrives(*args, **kwargs):  # the artifacts are what the run does right after the swap
        interrupts.received = "SIGINT"
        raise Interrupted("SIGINT")

    monkeypatch.setattr(pipeline, "artifacts", signal_arrives)
    monkeypatch.setattr(interrupts, "received", None)
    with duckdb.connect(str(base), read_only=True) as con:
        runs_before = con.sql("SELECT count(*) FROM runs").fetchall()[0][0]
    result = CliRunner().invoke(cli.app, ["run", *extracts(SAMPLE / "applications"), "--db", str(base), "--force"])
    assert result.exit_code == 1
    assert result.output.strip() == (f"qcpilot: stopped by SIGINT after this run was published to {base} "
                                     "(its last row in runs)")
    with duckdb.connect(str(base), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM runs").fetchall()[0][0] == runs_before + 1


def test_a_publish_keeps_who_may_read_the_database(base, prefect_api):
    """Found by the hostile tests: the next database was created with the default mode and owner, so a database
    kept private (it holds personal data) became readable by all, or lost its group, after a run."""
    base.chmod(0o640)
    if os.geteuid() == 0:
        os.chown(base, -1, 1)  # another group (only root may give it)
    done = qcpilot(prefect_api, "run", *extracts(SAMPLE / "applications"), "--db", str(base), "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    assert base.stat().st_mode & 0o777 == 0o640
    if os.geteuid() == 0:
        assert base.stat().st_gid == 1


def test_files_a_run_creates_beside_a_private_database_are_private_too(tmp_path):
    """The staging database and the spill hold the same personal data while the run lasts."""
    from flows.store import database

    db = tmp_path / "q.duckdb"
    db.write_bytes(b"")
    db.chmod(0o640)
    with database.permissions_of(db):
        (tmp_path / ".q.duckdb.0123456789ab.tmp").write_bytes(b"")
        (tmp_path / ".q.duckdb.0123456789ab.spill").mkdir()
    assert (tmp_path / ".q.duckdb.0123456789ab.tmp").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / ".q.duckdb.0123456789ab.spill").stat().st_mode & 0o777 == 0o751  # no one else lists it
    (tmp_path / "after").write_bytes(b"")  # the process's own umask again
    assert (tmp_path / "after").stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_staging_files_of_a_killed_run_are_removed_by_the_next_run(base, prefect_api):
    proc = subprocess.Popen([str(QCPILOT), "run", *extracts(SAMPLE / "applications"), "--db", str(base), "--force"],
                            env=prefect_api, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not any(n.endswith(".tmp") for n in leftovers(base)):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    proc.kill()  # SIGKILL: nothing can clean up
    proc.wait()
    left = leftovers(base)
    assert left and all(n.startswith(f".{base.name}.") for n in left)
    unrelated = [base.parent / ".q.duckdb.notes.tmp", base.parent / "q.duckdb.backup",
                 base.parent / ".q.duckdb.1234.tmp"]
    for f in unrelated:
        f.write_text("keep me")
    done = qcpilot(prefect_api, "run", *extracts(SAMPLE / "applications"), "--db", str(base), "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    assert leftovers(base) == sorted(f.name for f in unrelated)  # only the staging pattern was removed


def test_a_run_with_nothing_new_answers_before_prefect_starts(base, prefect_api):
    """How long it takes is a figure of the benchmark (scripts/bench.py, "nothing new s"), not a timed test."""
    env = {**prefect_api, "PREFECT_API_URL": "http://127.0.0.1:9/api"}  # no server there: Prefect must not be used
    proc = qcpilot(env, "run", *extracts(SAMPLE / "applications"), "--db", str(base), "--verbose")
    assert proc.returncode == 0 and "nothing new since run" in proc.stdout, proc.stdout + proc.stderr
    assert "Beginning flow run" not in proc.stdout + proc.stderr


def test_a_run_whose_prefect_server_is_down_is_refused_in_one_line_before_it_reads_a_row(base, prefect_api):
    before = digest(base)
    env = {**prefect_api, "PREFECT_API_URL": "http://127.0.0.1:9/api"}  # no server there
    proc = qcpilot(env, "run", *extracts(SAMPLE / "applications"), "--db", str(base), "--force")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert one_line(proc) == ("qcpilot: PREFECT_API_URL http://127.0.0.1:9/api: no Prefect server answers there; "
                              "start `prefect server start` first; nothing was published")
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    for url, said in (("http://[::1", "PREFECT_API_URL http://[::1: not a URL"),
                      ("http://x\x1b[31m/api", "PREFECT_API_URL http://x\\x1b[31m/api: not a URL"),
                      ("127.0.0.1:4200/api", "PREFECT_API_URL 127.0.0.1:4200/api: not a URL"),
                      ("http://a..b/api", "PREFECT_API_URL http://a..b/api: not a URL"),
                      ("http://user:secret@127.0.0.1:9/api", "PREFECT_API_URL http://...@127.0.0.1:9/api: no Prefect")):
        proc = qcpilot({**prefect_api, "PREFECT_API_URL": url}, "run", *extracts(SAMPLE / "applications"), "--db",
                       str(base), "--force")
        assert proc.returncode == 2 and one_line(proc).startswith(f"qcpilot: {said}"), proc.stdout + proc.stderr
    assert digest(base) == before
    # set but empty names no server: the run starts Prefect's temporary one, as without the variable, quietly
    env = {k: v for k, v in prefect_api.items() if k != "PREFECT_API_URL"}
    proc = qcpilot({**env, "PREFECT_API_URL": ""}, "run", *extracts(SAMPLE / "applications"), "--db", str(base),
                   "--force", timeout=300)
    assert proc.returncode == 0 and "qcpilot run" in proc.stdout, proc.stdout + proc.stderr
    assert proc.stderr.strip() == "", proc.stderr


def test_generate_works_for_any_size_and_never_writes_into_the_sample_by_default(tmp_path):
    sample_before = {p: digest(p) for p in SAMPLE.rglob("*") if p.is_file()}
    for n in (1, 2, 11):
        out = tmp_path / f"g{n}"
        proc = subprocess.run([str(QCPILOT), "generate", "--applications", str(n), "--out", str(out)],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        apps = pl.concat([pl.read_csv(f, infer_schema=False).select("application_id") if f.suffix == ".csv"
                          else pl.read_parquet(f).select("application_id")
                          for f in (out / "applications").iterdir()])
        assert apps.filter(pl.col("application_id").str.starts_with("A")).height == n
    for n in (0, -3):
        proc = subprocess.run([str(QCPILOT), "generate", "--applications", str(n), "--out", str(tmp_path / "x")],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2 and "--applications must be at least 1" in one_line(proc)
    proc = subprocess.run([str(QCPILOT), "generate", "--applications", "5"], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert proc.returncode == 0
    assert {p: digest(p) for p in SAMPLE.rglob("*") if p.is_file()} == sample_before
