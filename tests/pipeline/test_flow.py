"""The Prefect flow and the CLI end to end: published tables, exit status, a failed run leaves the database as it
was."""

import hashlib
import subprocess
import sys

import duckdb
import pytest
from typer.testing import CliRunner

from flows import cli
from flows.cli.common import DATA, DEFAULT_CONFIG
from flows.store import database
from tests.conftest import qcpilot
from tests.factories import APP_COLUMNS, SPELL_COLUMNS, WAGE_COLUMNS, app, spell, wage, write_csv

CONTRACT_TABLES = {"applications", "rule_results", "eligibility", "wage_checks", "selections", "rejected_rows", "runs",
                   "decisions", "rules", "selection_config", "cap_usage", "funnel_by_status", "funnel_by_rule",
                   "decision_review"}


@pytest.fixture
def extracts(tmp_path):
    write_csv([app(), app(application_id="A2", birth_date="bad"), app(application_id="A3", person_id="P3")],
              APP_COLUMNS, tmp_path / "apps" / "a.csv")
    write_csv([spell(), spell(application_id="A3"), spell(application_id="ZZ")], SPELL_COLUMNS,
              tmp_path / "exp" / "e.csv")
    write_csv([wage()], WAGE_COLUMNS, tmp_path / "wages" / "w.csv")
    return tmp_path


def invoke(extracts, db, apps_dir="apps"):
    # these extracts reject 1 row of 3 on purpose: above the 5 % that stops a night (tests/store/test_trust2.py has it)
    return CliRunner().invoke(cli.app, [
        "run", "--applications", str(extracts / apps_dir), "--experience", str(extracts / "exp"),
        "--wages", str(extracts / "wages"), "--db", str(db), "--max-rejected", "100",
    ])


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_run_publishes_every_contract_table_and_counts(prefect_harness, extracts):
    db = extracts / "out" / "q.duckdb"
    result = invoke(extracts, db)
    assert result.exit_code == 0, result.output
    assert "applications" in result.output and "rejected" in result.output
    with duckdb.connect(str(db), read_only=True) as con:
        tables = {r[0] for r in con.sql("SELECT table_name FROM information_schema.tables").fetchall()}
        assert CONTRACT_TABLES <= tables
        run = con.sql("SELECT * FROM runs").pl().row(0, named=True)
        assert (run["applications_read"], run["applications_kept"], run["applications_rejected"]) == (3, 2, 1)
        assert (run["experience_read"], run["experience_kept"], run["experience_rejected"]) == (3, 2, 1)
        assert run["status"] == "completed" and run["finished_at"] >= run["started_at"]
        assert {i["extract"] for i in run["inputs"]} == {"applications", "experience", "wages", "config", "parameters",
                                                     "reference"}
        assert all(len(i["sha256"]) == 64 for i in run["inputs"])
        assert con.sql("SELECT count(*) FROM eligibility").fetchall()[0][0] == 2
    # the same inputs again: nothing new, nothing rewritten
    before = digest(db)
    again = invoke(extracts, db)
    assert again.exit_code == 0 and "nothing new since run" in again.output
    assert digest(db) == before
    # forced: a second run is recorded, and it decides nothing again
    assert CliRunner().invoke(cli.app, [
        "run", "--applications", str(extracts / "apps"), "--experience", str(extracts / "exp"),
        "--wages", str(extracts / "wages"), "--db", str(db), "--force", "--max-rejected", "100"]).exit_code == 0
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.sql("SELECT count(DISTINCT run_id) FROM runs").fetchall()[0][0] == 2
        assert con.sql("SELECT list(newly_decided ORDER BY started_at) FROM runs").fetchall()[0][0] == [2, 0]
        assert con.sql("SELECT count(DISTINCT decided_run_id) FROM decisions").fetchall()[0][0] == 1


def test_missing_column_exits_2_with_one_line_and_publishes_nothing(prefect_harness, extracts):
    db = extracts / "out" / "q.duckdb"
    assert invoke(extracts, db).exit_code == 0
    before = digest(db)
    cols = [c for c in APP_COLUMNS if c != "profile"]
    bad = write_csv([app()], cols, extracts / "bad" / "apps.csv")
    # the real command in its own process, as an operator sees it
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "run", "--applications", str(bad), "--experience", str(extracts / "exp"),
         "--wages", str(extracts / "wages"), "--db", str(db)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"qcpilot: {bad}: missing required column 'profile' for the applications extract; nothing was published"
    )
    assert "Traceback" not in proc.stdout + proc.stderr
    assert digest(db) == before


def test_failure_while_publishing_leaves_previous_database_intact(prefect_harness, extracts, monkeypatch):
    db = extracts / "out" / "q.duckdb"
    assert invoke(extracts, db).exit_code == 0
    before = digest(db)
    real_connect = duckdb.connect

    class Dying:
        """A connection that dies after writing a few tables, like a killed run (one that only reads is spared)."""

        def __init__(self, *a, **k):
            self.con, self.n = real_connect(*a, **k), -1_000_000 if k.get("read_only") else 0

        def execute(self, sql, *a):
            self.n += 1
            if self.n > 4:
                raise duckdb.IOException("disk full")
            return self.con.execute(sql, *a)

        def __getattr__(self, name):
            return getattr(self.con, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.con.close()

    monkeypatch.setattr(database.duckdb, "connect", Dying)
    result = CliRunner().invoke(cli.app, [
        "run", "--applications", str(extracts / "apps"), "--experience", str(extracts / "exp"),
        "--wages", str(extracts / "wages"), "--db", str(db), "--force"])
    assert result.exit_code == 1
    assert "cannot write the next database (no space left on the device); nothing was published" in result.output
    monkeypatch.undo()
    assert digest(db) == before
    # no staging file left behind (the lock file stays: the OS lock on it is what a run holds; the analysts' database,
    # the pseudonym key and the record of the file published are the first run's)
    assert sorted(p.name for p in db.parent.iterdir()) == [".q.duckdb.lock", "q-analytics.duckdb", db.name,
                                                           "q.duckdb.seal", "q.pseudonym-key"]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM runs").fetchall()[0][0] == 1


def test_explain_reads_like_a_letter_and_exits_1_for_an_unknown_id(prefect_harness, extracts):
    db = extracts / "out" / "q.duckdb"
    assert invoke(extracts, db).exit_code == 0
    runner = CliRunner()
    # A3 has one spell 2020-01-01..2023-12-31 (1461 days) and a Montreal job at 120 000 $: eligible on every rule
    en = runner.invoke(cli.app, ["explain", "A3", "--lang", "en", "--db", str(db)])
    assert en.exit_code == 0, en.output
    assert "Decision: eligible" in en.output
    assert "meets every condition" in en.output
    with duckdb.connect(str(db)) as con:  # make A3 fail one rule to see its article and figures
        con.execute("UPDATE evaluations SET AI_FW_SALARY = 'fail', outcome = 'ineligible' WHERE application_id = 'A3'")
    fr = runner.invoke(cli.app, ["explain", "A3", "--db", str(db)])  # French unless told otherwise
    assert fr.exit_code == 0, fr.output
    assert "Décision : non admissible" in fr.output
    assert "AI_FW_SALARY (art. 7 4° b))" in fr.output
    assert "Salaire annuel brut d'au moins 100\u00a0000\u00a0$" in fr.output  # as fr_CA writes money
    assert ("Données : salaire annuel 120\u00a0000,00\u00a0$; municipalité de l'employeur 66023, dans la CMM : oui; "
            "requis 100\u00a0000,00\u00a0$") in fr.output
    assert "emploi occupé : CNP 21211" not in fr.output  # a job rule that passes is not in the letter
    for code in ("held", "master", "foreign_worker", "120000.00"):  # the contract's codes, English figures
        assert code not in fr.output, code
    assert "volet : intelligence artificielle (travailleur étranger)" in fr.output
    for english in ("Decision", "Figures", "annual salary", "stream", " yes", "selected", "eligible"):
        assert english not in fr.output, english
    en = runner.invoke(cli.app, ["explain", "A3", "--lang", "en", "--db", str(db)])
    assert "Figures: annual salary 120000.00 CAD; employer municipality 66023, in the CMM: yes" in en.output
    for french in ("Décision", "Données", "salaire", "volet", "oui"):
        assert french not in en.output, french
    refused = runner.invoke(cli.app, ["explain", "A2", "--lang", "en", "--db", str(db)])  # its birth date is "bad"
    assert refused.exit_code == 0 and "Application A2 was not evaluated" in refused.output
    assert "birth_date: not a date YYYY-MM-DD" in refused.output and "a.csv" in refused.output
    missing = runner.invoke(cli.app, ["explain", "NOPE", "--db", str(db)])
    assert missing.exit_code == 1
    assert "no application 'NOPE'" in missing.output


def test_report_is_one_self_contained_html_file_with_its_charts(prefect_harness, extracts):
    db = extracts / "out" / "q.duckdb"
    assert invoke(extracts, db).exit_code == 0
    out = extracts / "out" / "report.html"
    result = CliRunner().invoke(cli.app, ["report", "--db", str(db), "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    # the caps and the wages drawn in SVG, the funnel's bars in HTML beside the rules' texts
    assert text.count("<svg") == 2 and '<html lang="en">' in text and 'id="funnel"' in text
    assert "Selections against caps" in text and "Eligibility funnel" in text and "offered wages" in text
    assert 'src="http' not in text and 'href="http' not in text and "<script" not in text
    result = CliRunner().invoke(cli.app, ["report", "--db", str(db), "--out", str(out)])  # French unless told
    text = out.read_text()
    assert result.exit_code == 0 and '<html lang="fr">' in text and text.count("<svg") == 2
    assert "Sélections et plafonds" in text and "Entonnoir d'admissibilité" in text and "salaires offerts" in text
    assert "Selections against caps" not in text and ">selected<" not in text


def test_a_refused_run_ends_in_a_failed_state_whose_message_is_the_reason(prefect_harness, extracts):
    """What the operator's UI and alerting see for the nightly deployment (the same flow)."""
    import asyncio

    from prefect.client.orchestration import get_client

    from flows.pipeline.run import pipeline

    bad = write_csv([app()], [c for c in APP_COLUMNS if c != "profile"], extracts / "bad" / "apps.csv")
    state = pipeline(specs={"applications": [str(bad)], "experience": [str(extracts / "exp")],
                            "wages": [str(extracts / "wages")]}, db=str(extracts / "out" / "q.duckdb"),
                     data_dir=str(DATA), config=str(DEFAULT_CONFIG), return_state=True)
    reason = f"{bad}: missing required column 'profile' for the applications extract"
    assert state.is_failed() and state.message == reason
    assert state.result(raise_on_failure=False).result.exit_code == 2

    async def recorded():
        async with get_client() as client:
            return (await client.read_flow_run(state.state_details.flow_run_id)).state

    stored = asyncio.run(recorded())
    assert stored.type.value == "FAILED" and stored.message == reason
    assert not (extracts / "out" / "q.duckdb").exists()


def test_an_internal_error_fails_the_run_with_where_it_happened_but_not_the_libraries_text(
        prefect_harness, extracts, monkeypatch):
    from flows.pipeline import run as flow_module

    def broken(*_a, **_k):
        raise ValueError("row A1: person P-SECRET born 1977-07-07")  # a library's text may quote a row

    monkeypatch.setattr(flow_module, "run_facts", broken)
    state = flow_module.pipeline(specs={"applications": [str(extracts / "apps")], "experience": [str(extracts / "exp")],
                                        "wages": [str(extracts / "wages")]}, db=str(extracts / "out" / "q.duckdb"),
                                 data_dir=str(DATA), config=str(DEFAULT_CONFIG), max_rejected=100,
                                 return_state=True)
    assert state.is_failed()
    assert state.message.startswith("internal error (ValueError at ") and "P-SECRET" not in state.message
    assert "test_flow.py" in state.message  # where: the frames of the stack, not the message


def test_a_run_that_duckdb_cannot_hold_in_its_memory_says_so_in_one_line(prefect_api, tmp_path):
    """Found by the hostile tester of issue #24: it said `internal error (OutOfMemoryException ...)`, which does
    not tell the operator what to give more of."""
    db = tmp_path / "q.duckdb"
    done = qcpilot({**prefect_api, "QCPILOT_DUCKDB_MEMORY": "16MB", "QCPILOT_PARTITION_ROWS": "100"},
                   "run", "--sample", "--db", str(db))
    assert done.returncode == 1 and not db.exists()
    [line] = done.stderr.strip().splitlines()
    said = "qcpilot: DuckDB ran out of the memory a run gives it (16MB, QCPILOT_DUCKDB_MEMORY) at "
    assert line.startswith(said), line
    assert line.endswith(": give it more; nothing was published"), line
