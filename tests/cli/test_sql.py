"""`qcpilot sql` (issue #25.3): SQL on a published database, read-only, with the project's own DuckDB; results shown
escaped or written whole to CSV or Parquet no more readable than the database; nothing else reachable."""

from __future__ import annotations

import os
import stat
import subprocess

import duckdb
import polars as pl
import pytest

from flows.store import analytics
from tests.conftest import QCPILOT, qcpilot


@pytest.fixture(scope="module")
def db(sample_db):
    return sample_db


def sql(db, *args, **kw):
    return qcpilot(dict(os.environ), "sql", *args, "--db", str(db), timeout=120, **kw)


def direct(db, query):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(query).fetchall()


def test_a_query_shows_its_rows(db):
    done = sql(db, "SELECT status, count(*) AS n FROM selections GROUP BY ALL ORDER BY 1")
    assert done.returncode == 0, done.stderr
    lines = [line.split() for line in done.stdout.splitlines()[2:]]
    assert [(s, int(n)) for s, n in lines] == direct(db, "SELECT status, count(*) FROM selections GROUP BY ALL "
                                                         "ORDER BY 1")


def test_the_analysts_database_answers_too(db):
    done = sql(analytics.target_of(db), "SELECT count(*) AS n FROM assessments")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == str(direct(db, "SELECT count(*) FROM assessments")[0][0])


def test_statements_from_the_input(db):
    done = sql(db, input="SELECT 1 AS one;\nSELECT count(*) AS rejected FROM rejected_rows;\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == str(direct(db, "SELECT count(*) FROM rejected_rows")[0][0])


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_out_writes_every_row_as_readable_as_the_database(db, tmp_path, suffix):
    out = tmp_path / f"apps{suffix}"
    done = sql(db, "SELECT application_id, submitted_at, funds_available_cad FROM applications ORDER BY 1",
               "--out", str(out))
    assert done.returncode == 0, done.stderr
    read = pl.read_csv(out) if suffix == ".csv" else pl.read_parquet(out)
    assert read.height == direct(db, "SELECT count(*) FROM applications")[0][0]
    assert read.get_column("application_id").to_list() == [
        r[0] for r in direct(db, "SELECT application_id FROM applications ORDER BY 1")]
    assert stat.S_IMODE(out.stat().st_mode) == stat.S_IMODE(db.stat().st_mode) == 0o600
    assert f"wrote {read.height} rows" in done.stdout


@pytest.mark.parametrize(("where", "said"), [("link", "symbolic link"), ("x.txt", ".csv or .parquet"),
                                             ("db", "DuckDB database")])
def test_out_refuses_links_other_kinds_and_databases(db, tmp_path, where, said):
    out = tmp_path / where
    if where == "link":
        (tmp_path / "victim.csv").write_text("keep")
        out = tmp_path / "link.csv"
        os.symlink(tmp_path / "victim.csv", out)
    elif where == "db":
        out = db
    before = db.read_bytes() if where == "db" else None
    done = sql(db, "SELECT 1", "--out", str(out))
    assert done.returncode == 2 and said in done.stderr
    if where == "link":
        assert (tmp_path / "victim.csv").read_text() == "keep"
    if before is not None:
        assert db.read_bytes() == before


def test_errors_about_the_query_are_shown_and_values_never(db):
    done = sql(db, "SELEC 1")
    assert done.returncode == 2 and "Parser Error" in done.stderr and "Traceback" not in done.stderr
    secret = direct(db, "SELECT person_id FROM applications LIMIT 1")[0][0]
    done = sql(db, "SELECT person_id::INTEGER FROM applications")
    assert done.returncode == 2 and "ConversionException" in done.stderr and secret not in done.stderr


@pytest.mark.parametrize("query", ["COPY (SELECT * FROM applications) TO '{out}'",
                                   "SELECT * FROM read_csv('{out}')", "ATTACH '{out}' AS other",
                                   "CREATE TABLE x AS SELECT 1"])
def test_nothing_but_the_database_is_reachable(db, tmp_path, query):
    out = tmp_path / "leak.csv"
    if "read_csv" in query:
        out.write_text("a\n1\n")
    before = db.read_bytes()
    done = sql(db, query.format(out=out))
    assert done.returncode == 2, done.stdout
    assert db.read_bytes() == before and (not out.exists() or out.read_text() == "a\n1\n")


def test_values_reach_the_terminal_escaped(db):
    done = sql(db, "SELECT chr(27) || '[2J' || chr(10) || 'x' AS v")
    assert done.returncode == 0 and "\x1b" not in done.stdout and "\\x1b[2J\\nx" in done.stdout


def test_wide_rows_are_shown_one_column_per_line(db):
    done = sql(db, "SELECT * FROM assessments ORDER BY application_id", "--max-rows", "2")
    assert done.returncode == 0
    assert done.stdout.count("-[ row ") == 2 and "the first 2 rows" in done.stdout
    first = direct(db, "SELECT application_id FROM assessments ORDER BY application_id LIMIT 1")[0][0]
    assert f"application_id{' ' * 10}" in done.stdout and first in done.stdout


def test_not_a_published_database(tmp_path):
    other = tmp_path / "x.duckdb"
    duckdb.connect(str(other)).close()
    done = qcpilot(dict(os.environ), "sql", "SELECT 1", "--db", str(other), timeout=60)
    assert done.returncode == 2 and done.stderr.startswith("qcpilot:")


@pytest.mark.parametrize("query", ["SET memory_limit = '1MB'", "SET temp_directory = '/tmp'",
                                   "CALL enable_logging(storage = 'file', storage_path = '/tmp/x')"])
def test_the_configuration_is_locked(db, query):
    done = sql(db, query)
    assert done.returncode == 2 and "read-only" in done.stderr


def test_a_name_built_from_a_value_is_never_shown(db):
    person = direct(db, "SELECT person_id FROM applications ORDER BY 1 LIMIT 1")[0][0]
    done = sql(db, "SET VARIABLE x = (SELECT person_id FROM applications ORDER BY 1 LIMIT 1); "
                   "SELECT * FROM query_table(getvariable('x'))")
    assert done.returncode == 2 and person not in done.stderr and "CatalogException" in done.stderr


def test_out_writes_over_a_file_only_when_asked(db, tmp_path):
    out = tmp_path / "kept.csv"
    out.write_text("keep\n")
    done = sql(db, "SELECT 1 AS one", "--out", str(out))
    assert done.returncode == 2 and "--replace" in done.stderr and out.read_text() == "keep\n"
    done = sql(db, "SELECT 1 AS one", "--out", str(out), "--replace")
    assert done.returncode == 0 and out.read_text().splitlines() == ['"one"', "1"]


def test_the_prompt_knows_dot_commands_and_reads_statements(db):
    """At a terminal: DuckDB's .tables and .quit as an analyst knows them, a statement once its `;` is typed."""
    import pty

    main, secondary = pty.openpty()
    proc = subprocess.Popen([str(QCPILOT), "sql", "--db", str(db)], stdin=secondary, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=dict(os.environ))
    os.write(main, b".tables\n.nope\nSELECT count(*)\n  AS n FROM rejected_rows;\n.quit\n")
    out, err = proc.communicate(timeout=120)
    os.close(main)
    os.close(secondary)
    assert proc.returncode == 0, err
    text = out.decode()
    assert "assessments" in text and "selections" in text  # .tables
    assert text.split()[text.split().index("n") + 2] == str(direct(db, "SELECT count(*) FROM rejected_rows")[0][0])
    assert ".nope: not known here" in err.decode()


def test_the_analysts_database_is_the_default():
    from flows.cli import common
    from flows.store import analytics

    assert common.DEFAULT_ANALYTICS == analytics.target_of(common.DEFAULT_DB)
