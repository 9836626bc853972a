"""`qcpilot evaluate` (applications given as JSON, decided without a ledger) and `qcpilot explain --format json`:
a case decides exactly as the batch decides it, both give every rule in one shape, and bad input is one line per
problem with exit status 2 (issue #25, points 5 and 6)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from flows import cli
from flows.readers.grounds import current_figure_names, dumps, explain_json
from schemas.enums import PROGRAMS
from tests.conftest import DATA
from tests.factories import AS_OF, app, parsed, spell
from transforms.validate import validate_all

SAMPLE = DATA / "sample"
PER_PROGRAM = 30
NOT_RANKED = {"selected": "eligible", "cap_reached": "eligible", "duplicate": "eligible"}  # the batch's, by ledger
LOCAL_URL = "http://127.0.0.1:8000"  # where `qcpilot api` listens unless told otherwise


def rows_of(folder: Path, ids: set[str]) -> list[dict]:
    """The rows of `ids` in an extract's files, each as its file holds it: a CSV row as text (an empty field is
    null), a Parquet row with its types (JSON numbers, booleans, ISO dates)."""
    found = []
    for f in sorted(folder.iterdir()):
        frame = pl.read_csv(f, infer_schema=False) if f.suffix == ".csv" else pl.read_parquet(f)
        for row in frame.filter(pl.col("application_id").is_in(sorted(ids))).to_dicts():
            found.append({k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()})
    return found


def sample_cases(ids: list[str]) -> list[dict]:
    """The sample's applications `ids` as `qcpilot evaluate` reads them: each row as delivered (its first copy), its
    spells under `spells`."""
    apps = {}
    for row in rows_of(SAMPLE / "applications", set(ids)):
        apps.setdefault(row["application_id"], row)
    spells = rows_of(SAMPLE / "experience", set(ids))
    return [{**apps[i], "spells": [{k: v for k, v in s.items() if k != "application_id"}
                                   for s in spells if s["application_id"] == i]} for i in ids]


def as_json_case(application: dict, spells: list[dict]) -> dict:
    """A case of tests/factories (CSV text, "" for an empty field) as JSON: null for an empty field."""
    def nulls(row: dict) -> dict:
        return {k: (None if v == "" else v) for k, v in row.items()}
    return {**nulls(application), "spells": [{k: v for k, v in nulls(s).items() if k != "application_id"}
                                             for s in spells]}


def evaluate(tmp_path: Path, cases, *args: str, name: str = "cases.json"):
    path = tmp_path / name
    path.write_text(cases if isinstance(cases, str) else json.dumps(cases), encoding="utf-8")
    return CliRunner().invoke(cli.app, ["evaluate", str(path), *args])


def one_line_each(result) -> list[str]:
    lines = result.output.strip().splitlines()
    assert "Traceback" not in result.output and "\x1b" not in result.output, result.output
    assert all(line.startswith("qcpilot: ") for line in lines), result.output
    return lines


@pytest.fixture(scope="module")
def published(sample_db):
    return sample_db


@pytest.fixture(scope="module")
def chosen(published) -> list[str]:
    """30 applications of each program the run evaluated, as many of each outcome as there are (round robin over
    the outcomes, by id), none with a spell the run rejected (evaluate refuses a case with a bad spell)."""
    with duckdb.connect(str(published), read_only=True) as con:
        evaluated = con.sql("""SELECT application_id, program, outcome FROM eligibility
                               WHERE application_id NOT IN (SELECT application_id FROM rejected_rows
                                                            WHERE extract = 'experience' AND application_id IS NOT NULL)
                            """).pl()
    picked = (evaluated.with_columns(pl.col("application_id").rank("ordinal").over("program", "outcome").alias("k"))
              .sort("k", "application_id").group_by("program", maintain_order=True).head(PER_PROGRAM))
    assert sorted(picked.group_by("program").len().rows()) == [(p, PER_PROGRAM) for p in sorted(PROGRAMS)]
    assert set(picked.get_column("outcome")) == {"eligible", "ineligible", "undetermined"}
    return sorted(picked.get_column("application_id"))


@pytest.fixture(scope="module")
def evaluated(chosen, tmp_path_factory) -> dict[str, dict]:
    """`qcpilot evaluate --format json --lang en` of the chosen applications, exported from the sample's extracts."""
    result = evaluate(tmp_path_factory.mktemp("cases"), sample_cases(chosen), "--format", "json", "--lang", "en")
    assert result.exit_code == 0, result.output
    return {case["application_id"]: case for case in json.loads(result.stdout)}


def test_a_case_decides_as_the_batch_decided_it(published, chosen, evaluated):
    assert sorted(evaluated) == chosen
    with duckdb.connect(str(published), read_only=True) as con:
        batch = {r[0]: r[1:] for r in con.execute(
            "SELECT application_id, e.outcome, s.status FROM eligibility e JOIN selections s USING (application_id) "
            "WHERE application_id IN (SELECT unnest(?))", [chosen]).fetchall()}
        rules = con.execute("SELECT application_id, rule_id, CAST(outcome AS VARCHAR), detail_en FROM rule_results "
                            "WHERE application_id IN (SELECT unnest(?))", [chosen]).fetchall()
    by_case: dict[str, dict] = {}
    for application_id, rule_id, outcome, detail in rules:
        by_case.setdefault(application_id, {})[rule_id] = (outcome, detail)
    for application_id, case in evaluated.items():
        outcome, status = batch[application_id]
        assert case["outcome"] == outcome, application_id
        assert case["status"] == NOT_RANKED.get(status, status), application_id
        assert (case["note"] is not None) == (case["status"] == "eligible")
        # every rule of the program, with the outcome and the worded figures the batch published
        assert {r["rule_id"]: (r["outcome"], r["detail"]) for r in case["rules"]} == by_case[application_id]


def test_explain_json_gives_the_rules_in_the_shape_evaluate_gives_them(published, evaluated):
    names = current_figure_names()
    for application_id, case in list(evaluated.items())[::3]:  # a third of them: each explain binds its views
        found = explain_json(published, application_id, "en", names)
        assert found["decided"] is (found["status"] != "undetermined")
        assert (found["outcome"], found["program"], found["submitted_on"]) == (
            case["outcome"], case["program"], case["submitted_on"])
        assert found["rules"] == case["rules"], application_id  # texts, details and typed figures alike
        assert found["wage_checks"] == case["wage_checks"]


def test_explain_format_json_on_the_command_line(published):
    result = CliRunner().invoke(cli.app, ["explain", "A00000255", "--format", "json", "--db", str(published)])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert (found["status"], found["lang"], found["grounds_kept"], found["today"]) == ("ineligible", "fr", True, None)
    assert found["decided_run_id"] == found["history"][0]["decided_run_id"]
    [wage] = [r for r in found["rules"] if r["rule_id"] == "ITV_WAGE_ABOVE_D9"]
    # docs/decisions.md's worked example, typed: the threshold and its years as numbers, not words
    assert wage["outcome"] == "pass"
    assert wage["figures"]["hourly_wage_cad"] == 68.6
    assert round(wage["figures"]["itv_wage_threshold_cad"], 4) == 63.8733
    assert wage["figures"]["itv_wage_reference_years"] == [2022, 2021, 2020]
    assert wage["detail"].startswith("salaire horaire 68,6000")  # the detail in the language asked
    english = CliRunner().invoke(cli.app, ["explain", "A00000255", "--format", "json", "--lang", "en",
                                           "--db", str(published)])
    [shown] = re.findall(r"^```json\n(.*?)^```", (DATA.parent / "docs" / "evaluate.md").read_text(), re.M | re.S)
    assert json.loads(shown) == next(r for r in json.loads(english.stdout)["rules"] if r["rule_id"] == wage["rule_id"])
    refused = CliRunner().invoke(cli.app, ["explain", "BAD0002", "--format", "json", "--db", str(published)])
    assert json.loads(refused.stdout)["rejected_rows"][0]["reasons"] == [
        "stream does not belong to program", "substream is required for stream ai and not allowed for other streams"]
    unknown = CliRunner().invoke(cli.app, ["explain", "NOPE", "--format", "json", "--db", str(published)])
    assert unknown.exit_code == 1 and one_line_each(unknown) == [f"qcpilot: no application 'NOPE' in {published}"]
    for bad, said in ((["--format", "xml"], "--format must be letter or json"),
                      (["--format", "json", "--whatif", str(published)], "a what-if scenario is explained")):
        refused = CliRunner().invoke(cli.app, ["explain", "A00000255", *bad, "--db", str(published)])
        assert refused.exit_code == 2 and said in one_line_each(refused)[0]


def test_explain_json_says_what_moved_since_the_decision(published, tmp_path):
    """A decided application delivered again with other data: its grounds stand, today's evaluation beside them."""
    db = tmp_path / "q.duckdb"
    shutil.copy2(published, db)
    apps = tmp_path / "applications"
    apps.mkdir()
    for f in (SAMPLE / "applications").iterdir():
        shutil.copy2(f, apps / f.name)
    changed = apps / "applications_0000b.parquet"
    frame = pl.read_parquet(changed)
    frame.with_columns(pl.when(pl.col("application_id") == "A00002172").then(8).otherwise(pl.col("french_oral_level"))
                       .alias("french_oral_level")).write_parquet(changed)
    rerun = CliRunner().invoke(cli.app, ["run", "--applications", str(apps), "--experience", str(SAMPLE / "experience"),
                                         "--wages", str(SAMPLE / "wages"), "--db", str(db)])
    assert rerun.exit_code == 0, rerun.output
    found = explain_json(db, "A00002172", "en", current_figure_names())
    assert (found["status"], found["outcome"]) == ("ineligible", "ineligible")  # the decision stands
    [then] = [r for r in found["rules"] if r["rule_id"] == "GEN_FRENCH_ORAL_7"]
    [now] = [r for r in found["today"]["rules"] if r["rule_id"] == "GEN_FRENCH_ORAL_7"]
    assert (then["outcome"], then["figures"]["french_oral_level"]) == ("fail", 5)
    assert (now["outcome"], now["figures"]["french_oral_level"]) == ("pass", 8)
    assert found["today"]["evaluation_id"] != found["evaluation_id"]
    assert found["today"]["changes"] == {"rules_moved": ["GEN_FRENCH_ORAL_7"], "law_changed": False,
                                         "data_changed": True, "wages_changed": False, "engine_changed": False}


# -- without a published database ---------------------------------------------------------------------------------

def test_the_age_boundary_passes_on_the_birthday_and_fails_the_day_before(tmp_path):
    # submitted on 2024-03-15 (local date): 18 on that very day passes, 18 the day after fails
    cases = [as_json_case(app(application_id=f"A{day}", person_id=f"P{day}", birth_date=f"2006-03-{day}"), [spell()])
             for day in (15, 16)]
    result = evaluate(tmp_path, cases, "--format", "json", "--lang", "en")
    assert result.exit_code == 0, result.output
    found = {c["application_id"]: c for c in json.loads(result.stdout)}
    age = {i: next(r for r in c["rules"] if r["rule_id"] == "GEN_AGE_18") for i, c in found.items()}
    assert (age["A15"]["outcome"], age["A15"]["figures"]) == (
        "pass", {"submitted_on": "2024-03-15", "age_on_d": 18, "age_required": 18})
    assert (age["A16"]["outcome"], age["A16"]["figures"]["age_on_d"]) == ("fail", 17)
    assert (found["A15"]["outcome"], found["A15"]["status"]) == ("eligible", "eligible")
    assert "batch" in found["A15"]["note"]
    assert (found["A16"]["outcome"], found["A16"]["status"], found["A16"]["note"]) == ("ineligible", "ineligible", None)
    letter = evaluate(tmp_path, cases[1], "--lang", "en")  # one object: one letter, as explain words it
    assert letter.exit_code == 0, letter.output
    assert letter.output.splitlines()[:6] == [
        "Application A16 - program: artificial intelligence, information technology and visual effects workers; "
        "stream: artificial intelligence (foreign worker); submitted on 2024-03-15 (rules version 2023)",
        "Decision: ineligible", "", "The application does not meet the following conditions:",
        "  - GEN_AGE_18 (seed 002 (general requirements of all three programs))",
        "    The applicant is 18 or older on the date of submission."]
    assert letter.output.rstrip().endswith("Selection: ineligible")


def test_the_status_known_without_the_ledger(tmp_path):
    cases = [as_json_case(app(), [spell()]),  # eligible: only the batch ranks it
             as_json_case(app(application_id="A2", person_id="P2", submitted_at="2022-06-01T10:00:00"), [spell()])]
    result = evaluate(tmp_path, cases, "--lang", "en")
    assert result.exit_code == 0, result.output
    letters = result.output.split("\nApplication ")
    assert letters[0].rstrip().endswith("Selection: eligible; rank, caps and duplicates are decided by the batch run "
                                        "(qcpilot run), against the ledger")
    assert letters[1].rstrip().endswith("Selection: outside the intake period")
    french = evaluate(tmp_path, cases[:1])
    assert "Sélection : admissible; le rang, les plafonds et les doublons sont décidés" in french.output


def test_stdin_and_the_same_case_twice(tmp_path):
    case = as_json_case(app(), [spell()])
    result = CliRunner().invoke(cli.app, ["evaluate", "-", "--format", "json"], input=json.dumps([case, case]))
    assert result.exit_code == 0, result.output
    [found] = json.loads(result.stdout)  # delivered twice alike: one application (contract "Deliveries")
    assert (found["application_id"], found["outcome"]) == ("A1", "eligible")


@pytest.mark.parametrize(("text", "said"), [
    ('[{"application_id": ', "cases.json: line 1, column 21: not valid JSON (Expecting value)"),
    ("[]", "cases.json: the list is empty: no application to evaluate"),
    ('"A1"', "cases.json: expected an application (a JSON object) or a list of them"),
    ("[1]", "cases.json: application 1: not a JSON object"),
    ('{"a": 1, "a": 2}', "cases.json: key 'a' appears more than once in one object; which one to read is unknown"),
])
def test_input_that_is_not_cases_is_one_line_and_exit_2(tmp_path, text, said):
    result = evaluate(tmp_path, text)
    assert result.exit_code == 2
    assert one_line_each(result) == [f"qcpilot: {tmp_path / 'cases.json'}: {said.split(': ', 1)[1]}"]


def test_an_integer_longer_than_python_converts_is_read_as_written(tmp_path):
    """A JSON number is read as the text JSON writes it: one of more than 4,300 digits (more than Python converts to
    an int) is no internal error but what the extract's checks say of it, one line, exit 2."""
    huge = "9" * 5000
    case = json.dumps([as_json_case(app(), [spell()])]).replace('"french_oral_level": "8"',
                                                                f'"french_oral_level": {huge}')
    assert huge in case
    result = evaluate(tmp_path, case)
    assert result.exit_code == 2
    assert one_line_each(result) == [f"qcpilot: {tmp_path / 'cases.json'}: application 1 (A1): french_oral_level: "
                                     "not an integer"]
    for text, said in ((huge, "expected an application (a JSON object) or a list of them"),
                       (f"[{huge}]", "application 1: not a JSON object")):
        result = evaluate(tmp_path, text)
        assert result.exit_code == 2 and one_line_each(result) == [f"qcpilot: {tmp_path / 'cases.json'}: {said}"]


def test_a_spell_may_spell_its_application_id_otherwise(tmp_path):
    """Identity is the canonical form of an id: a spell naming its application `a1` or `Ａ1` (full-width) under `A1`
    is the application's, as the run reads it; one naming another application is refused."""
    cases = []
    for number, given in enumerate(("a1", "\uff211", "A1"), start=1):
        case = as_json_case(app(application_id=f"A{number}", person_id=f"P{number}"), [spell()])
        case["spells"][0]["application_id"] = given.replace("1", str(number))
        cases.append(case)
    result = evaluate(tmp_path, cases, "--format", "json")
    assert result.exit_code == 0, result.output
    assert [c["application_id"] for c in json.loads(result.stdout)] == ["A1", "A2", "A3"]
    other = as_json_case(app(), [spell()])
    other["spells"][0]["application_id"] = "A2"
    refused = evaluate(tmp_path, [other])
    assert refused.exit_code == 2
    assert one_line_each(refused) == [f"qcpilot: {tmp_path / 'cases.json'}: application 1 (A1), spell 1: "
                                      "application_id is not its application's (a spell under `spells` is its "
                                      "application's: leave it out)"]


def test_a_missing_column_or_spells_is_named(tmp_path):
    case = as_json_case(app(), [spell()])
    del case["birth_date"], case["profile"]
    del case["spells"][0]["paid"]
    other = as_json_case(app(application_id="A2"), [])
    del other["spells"]
    result = evaluate(tmp_path, [case, other])
    assert result.exit_code == 2
    where = f"qcpilot: {tmp_path / 'cases.json'}"
    assert one_line_each(result) == [
        f"{where}: application 1 (A1): missing required column 'profile', 'birth_date' for the applications extract "
        "(null for an empty field)",
        f"{where}: application 1 (A1), spell 1: missing required column 'paid' for the experience extract (null for "
        "an empty field)",
        f"{where}: application 2 (A2): missing key 'spells' (its work-experience spells: a list, [] for none)"]


def test_bad_values_give_the_reasons_an_extract_row_gets(tmp_path):
    bad = {"french_oral_level": "douze", "adults_in_family": 3, "birth_date": "2001-02-30", "stream": "work"}
    row = app(**{k: str(v) for k, v in bad.items()})
    _, rejected = validate_all({"applications": parsed([row], "applications"),
                                "experience": parsed([], "experience"), "wages": parsed([], "wages")}, AS_OF)
    [reasons] = rejected.get_column("reasons").to_list()  # what the batch says of this row in a CSV extract
    assert len(reasons) >= 4
    result = evaluate(tmp_path, [as_json_case({**app(), **bad}, [spell(end_on="2019-01-01")])])
    assert result.exit_code == 2
    where = f"qcpilot: {tmp_path / 'cases.json'}: application 1 (A1)"
    assert one_line_each(result) == [f"{where}: {r}" for r in reasons] + [f"{where}, spell 1: end_on is before "
                                                                          "start_on"]


def test_nothing_from_input_reaches_the_terminal_raw(tmp_path):
    case = as_json_case(app(application_id="A\x1b[2J\u202e1"), [spell()])
    result = evaluate(tmp_path, [case])
    assert result.exit_code == 2
    where = f"qcpilot: {tmp_path / 'cases.json'}"
    assert one_line_each(result)[0].startswith(f"{where}: application 1 (A\\x1b[2J\\u202e1): application_id: holds a "
                                               "control or invisible character")
    result = evaluate(tmp_path, [case, {**case, "application_id": "A\ud800"}])  # a JSON escape UTF-8 cannot hold
    assert result.exit_code == 2
    assert one_line_each(result) == [f"qcpilot: {tmp_path / 'cases.json'}: application 2 (A\\ud800): application_id: "
                                     "not text UTF-8 can hold (a lone surrogate escape)"]
    values = {"id": "A\x1b[31m\u202e\u2028\x85\U000e0001\ud800", "money": 1.5, "day": None}
    text = dumps(values)
    assert json.loads(text) == values  # the escapes read back as the characters
    assert text.isascii() or all(c == "\n" or c.isprintable() for c in text)


def test_options_are_checked(tmp_path):
    for args, said in ((["--lang", "de"], "--lang must be fr or en, not 'de'"),
                       (["--format", "csv"], "--format must be letter or json, not 'csv'")):
        result = evaluate(tmp_path, [as_json_case(app(), [])], *args)
        assert result.exit_code == 2 and one_line_each(result) == [f"qcpilot: {said}"]
    missing = CliRunner().invoke(cli.app, ["evaluate", str(tmp_path / "none.json")])
    assert missing.exit_code == 2
    assert one_line_each(missing) == [f"qcpilot: {tmp_path / 'none.json'}: cannot be read (No such file or directory)"]


def test_no_prefect_no_file_no_database(tmp_path):
    """A case is decided in memory: nothing written where the command runs, nor beside the sample, no Prefect."""
    path = tmp_path / "in" / "cases.json"
    path.parent.mkdir()
    path.write_text(json.dumps([as_json_case(app(), [spell()])]))
    work = tmp_path / "work"
    work.mkdir()
    before = sorted(p for p in DATA.rglob("*") if p.is_file() and "out" not in p.parts)
    code = ("import sys; from flows.cli.main import main\n"
            f"sys.argv = ['qcpilot', 'evaluate', {str(path)!r}, '--format', 'json']\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
            "assert not any(m.split('.')[0] == 'prefect' for m in sys.modules), 'prefect imported'\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=work, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(DATA.parent)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["application_id"] == "A1"
    assert list(work.iterdir()) == [] and sorted(path.parent.iterdir()) == [path]
    assert sorted(p for p in DATA.rglob("*") if p.is_file() and "out" not in p.parts) == before


@pytest.mark.filterwarnings("ignore:Using .httpx. with .starlette.testclient.")  # starlette 1.10 on httpx 0.28
def test_the_api_evaluates_and_explains_read_only(published, evaluated, tmp_path):
    from fastapi.testclient import TestClient

    from flows.cli.common import DEFAULT_CONFIG
    from flows.pipeline.cases import basis
    from flows.readers.api import app_for

    read = basis([str(SAMPLE / "wages")], DEFAULT_CONFIG, DATA)
    before = published.stat().st_mtime_ns
    with TestClient(app_for(published, read), base_url=LOCAL_URL) as client:
        ids = sorted(evaluated)[::30]
        answer = client.post("/evaluate?lang=en", content=json.dumps(sample_cases(ids)))
        assert answer.status_code == 200, answer.text
        assert answer.json() == [evaluated[i] for i in ids]  # what `qcpilot evaluate --format json` prints
        refused = client.post("/evaluate", content=b'[{"application_id": "A1"}]')
        assert refused.status_code == 422
        assert refused.json()["problems"][0].startswith("request: application 1 (A1): missing required column")
        assert client.post("/evaluate", content=b"[]").json() == {
            "problems": ["request: the list is empty: no application to evaluate"]}
        huge = client.post("/evaluate", content=b"[" + b"9" * 5000 + b"]")  # more digits than Python converts
        assert (huge.status_code, huge.json()) == (422, {"problems": ["request: application 1: not a JSON object"]})
        explained = client.get(f"/explain/{ids[0]}", params={"lang": "en"})
        assert explained.status_code == 200
        assert explained.json() == explain_json(published, ids[0], "en", current_figure_names())
        assert explained.json()["rules"] == evaluated[ids[0]]["rules"]
        unknown = client.get("/explain/NOPE%1b[2J")  # an escape sequence, percent-encoded
        assert (unknown.status_code, unknown.json()) == (404, {"error": "no application 'NOPE\\x1b[2J'"})
        assert "\x1b" not in unknown.text  # escaped in the JSON text too
        assert client.get("/explain/A1", params={"lang": "de"}).status_code == 422
        rejected = client.get("/explain/bad0001")  # a rejected row's id, in any spelling
        assert rejected.status_code == 200
        assert rejected.json()["rejected_rows"][0]["file"] == "applications_bad_rows.csv"
    assert published.stat().st_mtime_ns == before
    with TestClient(app_for(tmp_path / "none.duckdb", read), base_url=LOCAL_URL) as client:
        missing = client.get("/explain/A1")
        assert missing.status_code == 503 and "no published database" in missing.json()["error"]


@pytest.mark.filterwarnings("ignore:Using .httpx. with .starlette.testclient.")
def test_the_api_answers_only_the_hosts_it_is_reached_by(published, monkeypatch):
    """DNS rebinding: a page of evil.example.com whose name resolves to 127.0.0.1 reaches the API with its own name in
    the Host header. Only the address it listens on, localhost and 127.0.0.1 (and the names given) are answered."""
    import uvicorn
    from fastapi.testclient import TestClient

    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.update(app=app, **kw))
    for args, answered in (([], ["127.0.0.1", "localhost", "LOCALHOST:8000"]),
                           (["--host", "10.1.2.3"], ["10.1.2.3", "localhost", "127.0.0.1"]),
                           (["--host", "::1"], ["[::1]", "localhost"]),
                           (["--host", "0.0.0.0", "--allowed-host", "QC.example.org"],
                            ["qc.example.org", "localhost"])):
        result = CliRunner().invoke(cli.app, ["api", "--db", str(published), *args])
        assert result.exit_code == 0, result.output
        with TestClient(served["app"], base_url=LOCAL_URL) as client:
            for host in answered:
                found = client.get("/explain/A00000053", headers={"Host": host})
                assert found.status_code == 200, (args, host)
            for host in ("evil.example.com", "127.0.0.1.evil.example.com", "www.localhost", "testserver", ""):
                refused = client.get("/explain/A00000053", headers={"Host": host})
                assert refused.status_code == 400, (args, host)
                assert "A00000053" not in refused.text
            assert client.post("/evaluate", content=b"[]", headers={"Host": "evil.example.com"}).status_code == 400
    for bad in ("*", "*.example.com", ""):
        result = CliRunner().invoke(cli.app, ["api", "--allowed-host", bad])
        assert result.exit_code == 2 and one_line_each(result) == [
            f"qcpilot: --allowed-host takes a host name or an address, not {bad!r}"]


def test_the_api_command_checks_what_it_reads_before_it_serves(tmp_path):
    for args, said in ((["--port", "0"], "--port must be from 1 to 65535, not 0"),
                       (["--config", str(tmp_path / "none.csv")], "none.csv")):
        result = CliRunner().invoke(cli.app, ["api", *args])
        assert result.exit_code == 2 and said in one_line_each(result)[0], result.output


# -- explain --format json says what the letter says -------------------------------------------------------------

def explain_cli(db: Path, application_id: str, *args: str):
    return CliRunner().invoke(cli.app, ["explain", application_id, *args, "--db", str(db)])


def test_explain_json_finds_a_rejected_row_by_any_spelling_of_its_id(published):
    """Identity is the canonical form of an id: the JSON finds BAD0001's row asked as bad0001, as the letter does."""
    assert explain_cli(published, "bad0001", "--lang", "en").exit_code == 0  # the letter finds it
    result = explain_cli(published, "bad0001", "--format", "json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["status"] == "rejected"
    assert [r["reasons"] for r in found["rejected_rows"]] == [
        ["intends_to_settle_in_quebec: not a boolean (true/false, 1/0, yes/no, oui/non)"]]
    # an id only rejected work-experience rows name (no application delivered), in another spelling
    spells = json.loads(explain_cli(published, "a99999999", "--format", "json").stdout)
    assert [r["reasons"] for r in spells["rejected_spells"]] == [
        ["application_id: no such application in the applications extract"]]


def letter_places(db: Path, application_id: str, lang: str = "en") -> list[tuple[str, str]]:
    """(file, "line N" or "row N") of each rejected row the letter names."""
    text = explain_cli(db, application_id, "--lang", lang).output
    return re.findall(r"^  - [^,]+, (?:file|fichier) (\S+), ((?:line|row|ligne|rangée) \d+)", text, re.M)


def json_places(rows: list[dict]) -> list[tuple[str, str]]:
    return [(r["file"], f"line {r['line']}" if r["line"] is not None else f"row {r['row_number']}") for r in rows]


def test_explain_json_places_a_rejected_row_where_the_letter_does(published, tmp_path):
    """A CSV row by its line (the header is line 1), a Parquet row by its row number: the letter's places."""
    found = json.loads(explain_cli(published, "BAD0001", "--format", "json").stdout)
    [row] = found["rejected_rows"]
    assert (row["file"], row["row_number"], row["line"]) == ("applications_bad_rows.csv", 2, 3)
    assert json_places(found["rejected_rows"]) == letter_places(published, "BAD0001") == [
        ("applications_bad_rows.csv", "line 3")]
    db = tmp_path / "q.duckdb"
    shutil.copy2(published, db)
    with duckdb.connect(str(db)) as con:
        con.execute("INSERT INTO rejected_rows (extract, source_file, row_number, application_id, reasons) VALUES "
                    "('applications', '/x/applications_0001.parquet', 7, 'PQ0001', ['person_id: required value is "
                    "missing'])")
    [row] = json.loads(explain_cli(db, "pq0001", "--format", "json").stdout)["rejected_rows"]
    assert (row["file"], row["row_number"], row["line"]) == ("applications_0001.parquet", 7, None)
    assert json_places([row]) == letter_places(db, "PQ0001") == [("applications_0001.parquet", "row 7")]


def test_explain_json_says_the_duplicate_the_rejected_spells_and_the_reasons_in_words(published):
    duplicate = json.loads(explain_cli(published, "A00000500", "--format", "json").stdout)
    assert (duplicate["status"], duplicate["duplicate_of"]) == ("duplicate", "A00000529")
    assert "A00000529" in explain_cli(published, "A00000500", "--lang", "en").output  # the letter's
    selected = json.loads(explain_cli(published, "A00000529", "--format", "json").stdout)
    assert (selected["duplicate_of"], selected["rejected_spells"]) == (None, [])
    # the application's work-experience rows the latest delivery rejected, each with its reasons worded
    found = json.loads(explain_cli(published, "A00000000", "--format", "json").stdout)
    assert found["rejected_spells"] == [{"extract": "experience", "file": "experience_bad_rows.csv", "row_number": 1,
                                         "line": 2, "reasons": ["end_on is before start_on"],
                                         "reasons_worded": ["end_on est antérieure à start_on"]}]
    assert json_places(found["rejected_spells"]) == letter_places(published, "A00000000")
    english = json.loads(explain_cli(published, "A00000000", "--format", "json", "--lang", "en").stdout)
    assert english["rejected_spells"][0]["reasons_worded"] == ["end_on is before start_on"]
    refused = json.loads(explain_cli(published, "BAD0002", "--format", "json").stdout)
    assert refused["rejected_rows"][0]["reasons_worded"] == [
        "le volet n'appartient pas au programme",
        "un sous-volet est obligatoire dans le volet intelligence artificielle et interdit dans les autres"]
    assert refused["rejected_spells"] == []
    # an id only rejected work-experience rows name: no application row, its spells as the letter gives them
    spells = json.loads(explain_cli(published, "a99999999", "--format", "json").stdout)
    assert (spells["status"], spells["rejected_rows"]) == ("rejected", [])
    assert json_places(spells["rejected_spells"]) == letter_places(published, "A99999999")
