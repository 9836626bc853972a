"""The analysts' database (issue #25.1): published beside the full one by every run, with the same counts and no
direct identifier; the full database owner-only unless its folder is shared with its group."""

from __future__ import annotations

import os
import stat

import duckdb
import pytest
from typer.testing import CliRunner

from flows import cli
from flows.store import analytics
from tests.factories import APP_COLUMNS, SPELL_COLUMNS, WAGE_COLUMNS, app, spell, wage, write_csv

# the same person under two spellings of an id (NFKC and case: a fullwidth small p): one pseudonym, and a duplicate
APPS = [
    app(application_id="A1", person_id="P-77", submitted_at="2024-02-01T10:00:00"),
    app(application_id="A2", person_id="\uff50-77", submitted_at="2024-02-02T10:00:00"),
    app(application_id="A3", person_id="P-78", submitted_at="2024-02-03T10:00:00", french_oral_level="5"),
    app(application_id="A4", person_id="P-79", submitted_at="2024-02-04T10:00:00", birth_date="not a date"),
    # enough good rows that one bad row stays under the rejection threshold (5 %)
    *(app(application_id=f"F{i}", person_id=f"Q{i}", submitted_at="2024-03-01T10:00:00", french_oral_level="6")
      for i in range(30)),
]
SPELLS = [spell(application_id=a["application_id"]) for a in APPS]


def _run(root, db, env=None):
    args = ["run", "--applications", str(root / "apps"), "--experience", str(root / "exp"), "--wages",
            str(root / "wages"), "--db", str(db), "--force"]
    result = CliRunner().invoke(cli.app, args, env=env)
    return result


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("analytics")
    write_csv(APPS, APP_COLUMNS, root / "apps" / "a.csv")
    write_csv(SPELLS, SPELL_COLUMNS, root / "exp" / "e.csv")
    write_csv([wage()], WAGE_COLUMNS, root / "wages" / "w.csv")
    return root


@pytest.fixture(scope="module")
def published(inputs, prefect_harness):
    db = inputs / "out" / "q.duckdb"
    result = _run(inputs, db)
    assert result.exit_code == 0, result.output
    return db


def _rows(db, sql):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(sql).fetchall()


def test_published_beside_with_modes(published):
    target = analytics.target_of(published)
    assert target == published.with_name("q-analytics.duckdb") and target.is_file()
    assert stat.S_IMODE(published.stat().st_mode) == 0o600  # every applicant's identity: its owner only
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    key = analytics.key_file(published)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_text().strip() not in target.read_bytes().decode("latin-1")  # the key never enters the file


def test_no_direct_identifier(published):
    target = analytics.target_of(published)
    columns = {c for (c,) in _rows(target, "SELECT DISTINCT column_name FROM duckdb_columns()")}
    assert not columns & {"birth_date", "job_title", "raw"}
    assert "age_on_d" in columns
    ids = {v for row in _rows(published, "SELECT application_id, person_id FROM applications") for v in row}
    ids |= {r[0] for r in _rows(published, "SELECT application_id FROM rejected_rows")}
    seen = {v for row in _rows(target, "SELECT application_id, person_id FROM decisions") for v in row}
    seen |= {r[0] for r in _rows(target, "SELECT application_id FROM rejected_rows")}
    seen |= {r[0] for r in _rows(target, "SELECT application_id FROM rule_results")}
    assert ids and seen and not ids & seen
    assert all(v.startswith("p") and len(v) == 17 for v in seen)


def test_same_counts_and_one_person_one_pseudonym(published):
    target = analytics.target_of(published)
    for sql in ("SELECT status, count(*) FROM selections GROUP BY ALL ORDER BY ALL",
                "SELECT outcome, count(*) FROM assessments GROUP BY ALL ORDER BY ALL",
                "SELECT * FROM cap_usage ORDER BY ALL", "SELECT * FROM funnel_by_rule ORDER BY ALL",
                "SELECT extract, row_number, reasons FROM rejected_rows ORDER BY ALL",
                "SELECT rule_id, outcome, detail_fr, count(*) FROM rule_results GROUP BY ALL ORDER BY ALL"):
        assert _rows(target, sql) == _rows(published, sql), sql
    statuses = dict(_rows(published, "SELECT application_id, status FROM selections"))
    assert [statuses[a] for a in ("A1", "A2", "A3")] == ["selected", "duplicate", "ineligible"]
    persons = _rows(target, "SELECT d.person_id, s.status FROM decisions d JOIN selections s USING (application_id) "
                            "WHERE s.status IN ('selected', 'duplicate')")
    assert len(persons) == 2 and persons[0][0] == persons[1][0]  # P-77 and its fullwidth small spelling: one person


def test_pseudonyms_stay_from_run_to_run_and_follow_the_key(inputs, published, monkeypatch):
    target = analytics.target_of(published)
    before = sorted(_rows(target, "SELECT application_id, person_id FROM decisions"))
    assert _run(inputs, published).exit_code == 0
    assert sorted(_rows(target, "SELECT application_id, person_id FROM decisions")) == before
    other = inputs / "other" / "q.duckdb"
    result = _run(inputs, other, env={analytics.KEY_ENV: "ab" * 32})
    assert result.exit_code == 0, result.output
    again = sorted(_rows(analytics.target_of(other), "SELECT application_id, person_id FROM decisions"))
    assert len(again) == len(before) and not {a for a, _ in again} & {a for a, _ in before}
    assert not analytics.key_file(other).exists()  # the key given is kept nowhere


@pytest.mark.parametrize("problem", ["link", "not a key"])
def test_a_bad_key_refuses_the_run(inputs, prefect_harness, tmp_path, problem):
    db = tmp_path / "q.duckdb"
    if problem == "link":
        (tmp_path / "elsewhere").write_text("ab" * 32)
        os.symlink(tmp_path / "elsewhere", analytics.key_file(db))
    else:
        analytics.key_file(db).write_text("0123")
    result = _run(inputs, db)
    assert result.exit_code == 2
    assert "pseudonym key" in result.output and not db.exists()
    assert not analytics.target_of(db).exists()


def test_a_group_shared_folder_gives_the_group_the_full_database(inputs, prefect_harness, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o2770)
    result = _run(inputs, shared / "q.duckdb")
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((shared / "q.duckdb").stat().st_mode) == 0o640


def test_row_digests_are_keyed_and_still_tell_what_changed(published):
    """An unkeyed digest of a row as read is a test for a guess of its ids and birth date: the analysts' ones are
    keyed, and `decision_changes` answers the same."""
    target = analytics.target_of(published)
    full = {r for r in _rows(published, "SELECT application_digest, spells_digest FROM evaluations")}
    keyed = {r for r in _rows(target, "SELECT application_digest, spells_digest FROM evaluations")}
    assert len(full) == len(keyed) and not {d for r in full for d in r} & {d for r in keyed for d in r}
    sql = "SELECT data_changed, count(*) FROM decision_changes GROUP BY ALL ORDER BY ALL"
    assert _rows(target, sql) == _rows(published, sql)
    assert _rows(target, f"SELECT key_id FROM {analytics.META}") == [(analytics.key_id(
        analytics.key_file(published).read_text().strip()),)]


@pytest.mark.parametrize("what", ["folder", "link", "text", "ledger"])
def test_the_analysts_place_taken_by_something_else_refuses_the_run(inputs, published, prefect_harness, tmp_path,
                                                                    what):
    db = tmp_path / "q.duckdb"
    place = analytics.target_of(db)
    if what == "folder":
        place.mkdir()
    elif what == "link":
        (tmp_path / "victim.txt").write_text("keep")
        os.symlink(tmp_path / "victim.txt", place)
    elif what == "text":
        place.write_text("a thesis")
    else:
        place.write_bytes(published.read_bytes())  # a ledger
    before = place.read_bytes() if place.is_file() else None
    result = _run(inputs, db)
    assert result.exit_code == 2 and str(place) in result.output, result.output
    assert not db.exists() and (before is None or place.read_bytes() == before)


@pytest.mark.parametrize("what", ["folder", "pipe"])
def test_a_key_that_is_not_a_file_refuses_the_run_at_once(inputs, prefect_harness, tmp_path, what):
    db = tmp_path / "q.duckdb"
    key = analytics.key_file(db)
    key.mkdir() if what == "folder" else os.mkfifo(key)
    result = _run(inputs, db)
    assert result.exit_code == 2 and "pseudonym key" in result.output and not db.exists()


def test_a_missing_analysts_database_is_made_again_and_a_kept_one_keeps_its_mode_and_group(inputs, published):
    target = analytics.target_of(published)
    os.chmod(target, 0o600)
    os.chown(target, -1, 1)  # another group (the tests run as root)
    args = ["run", "--applications", str(inputs / "apps"), "--experience", str(inputs / "exp"), "--wages",
            str(inputs / "wages"), "--db", str(published)]
    assert CliRunner().invoke(cli.app, [*args, "--force"]).exit_code == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600 and target.stat().st_gid == 1
    target.unlink()
    result = CliRunner().invoke(cli.app, args)  # the same inputs: a no-op but for the missing database
    assert result.exit_code == 0 and "nothing new" not in result.output and target.is_file()


def test_a_changed_key_is_known(published):
    key = analytics.key_file(published).read_text().strip()
    assert not analytics.key_changed(published, key) and analytics.key_changed(published, "cd" * 32)


def test_reading_commands_send_the_analysts_database_back(published):
    result = CliRunner().invoke(cli.app, ["explain", "A1", "--db", str(analytics.target_of(published))])
    assert result.exit_code == 2 and "analysts' database" in result.output
