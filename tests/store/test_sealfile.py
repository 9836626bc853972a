"""The record of the very file a run published (flows/store/sealfile.py): a run on that file, unwritten since, does
not check the seal again; anything that wrote the file, the record changed, or a link in its place, and the whole
check is made, as before."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import duckdb
import pytest
from typer.testing import CliRunner

from flows import cli
from flows.store import database, layout, sealfile
from tests.factories import published_pair


@pytest.fixture
def published(tmp_path, prefect_harness):
    return published_pair(tmp_path)


@pytest.fixture
def digests(monkeypatch):
    """The tables whose seal a check computes, in order."""
    computed = []
    real = layout.ledger_digest

    def counted(con, table, *args):
        computed.append(table)
        return real(con, table, *args)

    monkeypatch.setattr(layout, "ledger_digest", counted)
    return computed


def last_run(db) -> str:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql("SELECT run_id FROM runs ORDER BY finished_at DESC LIMIT 1").fetchall()[0][0]


def test_a_run_records_the_file_it_published_and_a_no_op_then_checks_no_seal(published, digests):
    db, args = published
    record = json.loads(sealfile.record_path(db).read_text())
    assert record["run_id"] == last_run(db) and record["layout"] == layout.CURRENT
    assert record["file"]["inode"] == db.stat().st_ino and record["file"]["ctime_ns"] == db.stat().st_ctime_ns
    assert sealfile.record_path(db).stat().st_mode & 0o777 == db.stat().st_mode & 0o777  # no more readable
    result = CliRunner().invoke(cli.app, ["run", *args, "--db", str(db)])
    assert result.exit_code == 0 and "nothing new since run" in result.output, result.output
    assert digests == []
    target = layout.inspect(db)
    layout.check_sealed(target)
    assert digests == []


def test_a_file_written_outside_a_run_but_its_ledger_as_sealed_costs_one_whole_check(published, digests):
    db, args = published
    with duckdb.connect(str(db)) as con:  # an analyst's scratch table: the file is written, the ledger is not
        con.execute("CREATE TABLE scratch AS SELECT 1 AS x")
    for _ in range(2):
        result = CliRunner().invoke(cli.app, ["run", *args, "--db", str(db)])
        assert result.exit_code == 0 and "nothing new since run" in result.output, result.output
    assert digests == list(layout.carried(layout.CURRENT))  # the first no-op checked the whole seal, the second none
    assert sealfile.as_sealed(db, last_run(db), layout.CURRENT)


def test_a_file_written_while_its_seal_is_checked_is_not_recorded_as_checked(published, monkeypatch):
    db, _ = published
    sealfile.record_path(db).unlink()
    real = layout._check_ledger

    def written_meanwhile(con, *args):
        real(con, *args)
        os.utime(db, ns=(db.stat().st_atime_ns, db.stat().st_mtime_ns + 1))  # anything that writes it moves its times
    monkeypatch.setattr(layout, "_check_ledger", written_meanwhile)
    layout.check_sealed(layout.inspect(db))
    assert not sealfile.record_path(db).exists()


def test_a_ledger_edited_with_its_modification_time_set_back_is_still_refused(published, digests):
    db, args = published
    before = db.stat()
    with duckdb.connect(str(db)) as con:  # someone "fixes" a decision by hand, then hides the edit's time
        con.execute("UPDATE decisions SET status = 'cap_reached' WHERE application_id = 'A2'")
    os.utime(db, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert db.stat().st_mtime_ns == before.st_mtime_ns
    result = CliRunner().invoke(cli.app, ["run", *args, "--db", str(db), "--force"])
    assert result.exit_code == 2, result.output
    assert "its decisions ledger was changed outside qcpilot since run" in result.output
    assert "decisions" in digests


@pytest.mark.parametrize("change", ["another run", "another inode", "not json", "a link", "removed"])
def test_a_record_that_is_not_the_files_own_means_the_whole_check(published, digests, change, tmp_path):
    db, _ = published
    path = sealfile.record_path(db)
    record = json.loads(path.read_text())
    if change == "another run":
        record["run_id"] = "0" * 12
        path.write_text(json.dumps(record))
    elif change == "another inode":
        record["file"]["inode"] += 1
        path.write_text(json.dumps(record))
    elif change == "not json":
        path.write_text("{")
    elif change == "a link":  # the right record, but read through a link: not one a run wrote
        (tmp_path / "elsewhere.json").write_text(path.read_text())
        path.unlink()
        path.symlink_to(tmp_path / "elsewhere.json")
    else:
        path.unlink()
    layout.check_sealed(layout.inspect(db))  # the ledger is as sealed: the whole check finds nothing
    assert set(digests) == set(layout.carried(layout.CURRENT))


def test_the_record_is_never_written_through_a_link_in_its_place(published, tmp_path):
    db, args = published
    victim = tmp_path / "victim.txt"
    victim.write_text("not qcpilot's")
    path = sealfile.record_path(db)
    path.unlink()
    path.symlink_to(victim)
    result = CliRunner().invoke(cli.app, ["run", *args, "--db", str(db), "--force"])
    assert result.exit_code == 0, result.output
    assert victim.read_text() == "not qcpilot's"
    assert not path.is_symlink() and json.loads(path.read_text())["run_id"] == last_run(db)


def test_a_killed_runs_half_written_record_is_removed_with_its_staging(tmp_path):
    db = tmp_path / "q.duckdb"
    left = tmp_path / ".q.duckdb.0123456789ab.tmp.seal"
    left.write_text("{")
    assert database.remove_stale_staging(db) == [left] and not left.exists()


def test_a_staged_database_edited_before_its_swap_is_not_recorded_and_the_next_run_refuses_it(published, monkeypatch):
    db, args = published
    from flows.store import lock

    real = lock.still_held

    def edited_meanwhile(path):  # the publish's last check, after the staged file was sealed and closed: another
        [staged] = list(db.parent.glob(".q.duckdb.*.tmp"))  # process "fixes" a decision in it
        edit = ("import duckdb, sys; con = duckdb.connect(sys.argv[1]); "
                "con.execute(\"UPDATE decisions SET status = 'cap_reached' WHERE application_id = 'A2'\"); con.close()")
        subprocess.run([sys.executable, "-c", edit, str(staged)], check=True)
        return real(path)

    monkeypatch.setattr(lock, "still_held", edited_meanwhile)
    result = CliRunner().invoke(cli.app, ["run", *args, "--db", str(db), "--force"])
    assert result.exit_code == 0, result.output
    monkeypatch.undo()
    assert not sealfile.record_path(db).exists()
    result = CliRunner().invoke(cli.app, ["run", *args, "--db", str(db)])
    assert result.exit_code == 2 and "its decisions ledger was changed outside qcpilot since run" in result.output


def test_a_record_nested_too_deeply_for_json_means_the_whole_check(published, digests):
    db, args = published
    sealfile.record_path(db).write_text("[" * 4000)
    result = CliRunner().invoke(cli.app, ["run", *args, "--db", str(db)])
    assert result.exit_code == 0 and "nothing new since run" in result.output, result.output
    assert digests == list(layout.carried(layout.CURRENT))


@pytest.mark.parametrize("config", ["missing.csv", "."])
def test_a_configuration_that_is_not_a_file_is_named_even_when_nothing_else_changed(published, tmp_path, config):
    db, args = published
    result = CliRunner().invoke(cli.app, ["run", *args, "--db", str(db), "--config", str(tmp_path / config)])
    assert result.exit_code == 2 and "Traceback" not in result.output and "internal error" not in result.output, \
        result.output


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another group takes root")
def test_the_record_is_readable_by_the_databases_group_only(published):
    db, args = published
    os.chown(db, -1, 1)
    os.chmod(db, 0o640)
    result = CliRunner().invoke(cli.app, ["run", *args, "--db", str(db), "--force"])
    assert result.exit_code == 0, result.output
    record, published_db = sealfile.record_path(db).stat(), db.stat()
    assert (record.st_gid, record.st_mode & 0o777) == (published_db.st_gid, published_db.st_mode & 0o777) == (1, 0o640)
