"""Inputs that cannot be misread: types checked before values are read, helpful one-line refusals, plausibility
rules, and no personal data in any message or log."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from flows.ingest import reading
from flows.runtime.errors import InputError
from schemas import MODELS
from tests.conftest import DATA, qcpilot
from tests.factories import APP_COLUMNS, AS_OF, SPELL_COLUMNS, app, parsed, spell, text_frame, wage, write_csv
from transforms.evaluate import validate_all

APPS = MODELS["applications"]
SAMPLE = DATA / "sample"


def refusal(path) -> str:
    with pytest.raises(InputError) as exc:
        reading.read_extract("applications", [path], APPS)
    return str(exc.value)


def typed_parquet(tmp_path, **columns: pl.Series) -> str:
    """A valid applications Parquet file (contract types) with some columns replaced."""
    df = parsed([app(), app(application_id="A2", person_id="P2")], "applications").select(APP_COLUMNS)
    path = tmp_path / "apps.parquet"
    df.with_columns(**columns).write_parquet(path)
    return path


# -- types are checked before values are read --------------------------------------------------------------------

@pytest.mark.parametrize(
    ("column", "values", "found"),
    [
        ("birth_date", pl.Series([19900101, 19850315], dtype=pl.Int64), "integers (int64) where a date"),
        ("submitted_at", pl.Series([dt.date(2024, 3, 1)] * 2), "dates (date32[day]) where a timestamp"),
        ("job_noc_code", pl.Series([21211, 21231], dtype=pl.Int32), "integers (int32) where text"),
        ("program", pl.Series([1, 2], dtype=pl.Int64), "integers (int64) where text"),
        ("stay_conditions_met", pl.Series([1.0, 0.0]), "decimal numbers (double) where a boolean"),
        ("diploma_obtained_on", pl.Series([dt.datetime(2015, 6, 1)] * 2), "timestamps (timestamp[us]) where a date"),
        ("funds_available_cad", pl.Series([14161.18, 7290.96], dtype=pl.Float32),
         "low-precision floats (they keep about 7 significant digits, and lose cents) (float) where a number"),
    ],
)
def test_a_parquet_column_of_a_type_that_cannot_hold_the_contract_type_stops_the_run(tmp_path, column, values, found):
    path = typed_parquet(tmp_path, **{column: values})
    message = refusal(path)
    assert message.startswith(f"{path}: column '{column}' holds {found} is due"), message


def test_an_integer_code_column_says_its_leading_zeros_are_lost(tmp_path):
    path = typed_parquet(tmp_path, job_noc_code=pl.Series([213, 21231], dtype=pl.Int64))
    assert "a code stored as a number has lost its leading zeros" in refusal(path)


def test_integer_booleans_hold_0_and_1_only_other_values_reject_their_row(tmp_path):
    path = typed_parquet(tmp_path, spouse_open_work_permit=pl.Series([0, 2], dtype=pl.Int8),
                         intends_to_settle_in_quebec=pl.Series([1, -1], dtype=pl.Int64))
    apps, _ = reading.read_extract("applications", [path], APPS)
    kept, rejected = validate_all({"applications": apps, "experience": parsed([], "experience"),
                                   "wages": parsed([], "wages")}, AS_OF)
    assert kept["applications"].get_column("spouse_open_work_permit").to_list() == [False]
    assert kept["applications"].get_column("intends_to_settle_in_quebec").to_list() == [True]
    assert rejected.get_column("reasons").to_list() == [[
        "intends_to_settle_in_quebec: not a boolean (0 or 1)", "spouse_open_work_permit: not a boolean (0 or 1)"]]


def test_a_parquet_date_beyond_the_year_9999_rejects_its_row_with_its_reason(tmp_path):
    """Found by the fuzz test: one damaged byte in a Parquet file gave a start_on in the year 10095, which the checks
    could not even show (an internal error). The year 9999 is the last a date of the contract can have."""
    spells = parsed([spell(), spell(application_id="A2"), spell(application_id="A3")], "experience")
    path = tmp_path / "spells.parquet"
    spells.drop("source_file", "row_number", "__parse_errors").with_columns(
        # the day after 9999-12-31: Python has no date for it, polars and Parquet do
        pl.Series("start_on", [dt.date(2020, 1, 1), dt.date(9999, 12, 31), dt.date(9999, 12, 31)])
        + pl.Series([0, 1, 0]).cast(pl.Duration("ms")) * 86_400_000,
        pl.Series("end_on", [dt.date(9999, 12, 31), None, None]),
    ).write_parquet(path)
    typed, _ = reading.read_extract("experience", [path], MODELS["experience"])
    apps = parsed([app(application_id=a, person_id=f"P{a}") for a in ("A1", "A2", "A3")], "applications")
    kept, rejected = validate_all({"applications": apps, "experience": typed, "wages": parsed([], "wages")}, AS_OF)
    assert sorted(kept["experience"].get_column("application_id")) == ["A1", "A3"]
    assert rejected.filter(pl.col("extract") == "experience").select("application_id", "reasons").rows() == [
        ("A2", ["start_on: a year outside 1 to 9999"])]


def test_a_duplicated_column_stops_the_run(tmp_path):
    path = tmp_path / "apps.csv"
    header = ",".join(APP_COLUMNS + ["program"])
    row = ",".join(str(app()[c]) for c in APP_COLUMNS) + ",orderlies"
    path.write_text(f"{header}\n{row}\n")
    assert refusal(path) == f"{path}: column 'program' (2 times) appears more than once; which one to read is unknown"


# -- helpful refusals ---------------------------------------------------------------------------------------------

def _csv(tmp_path, rows=None, name="apps.csv"):
    rows = rows or [app(), app(application_id="A2"), app(application_id="A3"), app(application_id="A4")]
    return write_csv(rows, APP_COLUMNS, tmp_path / name)


def test_an_empty_file_is_called_empty(tmp_path):
    path = tmp_path / "apps.csv"
    path.write_text("")
    assert refusal(path) == f"{path}: the file is empty (no header row)"


@pytest.mark.parametrize(("sep", "what"), [(";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")])
def test_another_delimiter_is_named(tmp_path, sep, what):
    path = _csv(tmp_path)
    path.write_text(path.read_text().replace(",", sep))
    assert refusal(path) == (f"{path}: line 1: the header is separated by {what} ({sep!r}), not by commas: "
                             "the contract's CSV is comma-separated")


def test_a_file_that_is_not_utf8_names_the_line(tmp_path):
    path = _csv(tmp_path, [app(), app(application_id="A2", job_title="Développeuse"), app(application_id="A3")])
    path.write_bytes(path.read_text().encode("latin-1"))
    assert refusal(path) == f"{path}: line 3: not UTF-8 text (the contract's CSV is UTF-8)"


@pytest.mark.parametrize(("edit", "problem"), [
    (lambda line: line + ",extra", "42 fields where the header has 41"),
    (lambda line: line.rsplit(",", 1)[0], "40 fields where the header has 41"),
])
def test_a_ragged_row_names_its_line(tmp_path, edit, problem):
    path = _csv(tmp_path)
    lines = path.read_text().splitlines()
    lines[2] = edit(lines[2])
    path.write_text("\n".join(lines) + "\n")
    assert refusal(path) == f"{path}: line 3: {problem}"


def test_an_unterminated_quote_names_its_line(tmp_path):
    path = _csv(tmp_path)
    lines = path.read_text().splitlines()
    lines[4] = lines[4].replace(",P1,", ',"P1,', 1)  # the last row: its quote runs to the end of the file
    path.write_text("\n".join(lines) + "\n")
    assert refusal(path) == (f"{path}: line 5: malformed quoting (a quoted field that is never closed, or a quote "
                             "inside an unquoted field)")


@pytest.mark.parametrize(("column", "value", "reason"), [
    ("job_noc_code", "213", "job_noc_code: 3 digits where codes have 4 or 5 (stored as a number, a code loses its "
                            "leading zeros)"),
    ("employer_municipality_code", "1023", "employer_municipality_code: 4 digits where codes have 5 (stored as a "
                                           "number, a code loses its leading zeros)"),
])
def test_a_code_that_lost_its_leading_zero_says_so(column, value, reason):
    kept, rejected = validate_all({"applications": parsed([app(), app(application_id="A2", **{column: value})],
                                                          "applications"),
                                   "experience": parsed([], "experience"), "wages": parsed([], "wages")}, AS_OF)
    assert rejected.get_column("reasons").to_list() == [[reason]]


# -- plausibility ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("override", "reason"), [
    ({"birth_date": "2024-03-16"}, "birth_date is after the date of submission"),
    ({"birth_date": "1899-12-31"}, "birth_date is before 1900-01-01"),
    ({"submitted_at": "2026-11-22T08:00:01-04:00"}, "submitted_at is after the time of the run"),
])
def test_implausible_dates_are_rejected_with_their_reason(override, reason):
    row = app(application_id="A2", **override)
    kept, rejected = validate_all({"applications": parsed([app(), row], "applications"),
                                   "experience": parsed([], "experience"), "wages": parsed([], "wages")}, AS_OF)
    assert kept["applications"].get_column("application_id").to_list() == ["A1"]
    [reasons] = rejected.get_column("reasons").to_list()
    assert any(r.startswith(reason) for r in reasons), reasons


def test_the_boundaries_of_plausibility_are_kept():
    rows = [app(application_id="A2", birth_date="2024-03-15", submitted_at="2024-03-15T23:59:00"),  # born on D
            app(application_id="A3", birth_date="1900-01-01"),
            app(application_id="A4", submitted_at="2026-11-22T12:00:00+00:00")]  # exactly the run's time
    kept, rejected = validate_all({"applications": parsed(rows, "applications"), "experience": parsed([], "experience"),
                                   "wages": parsed([], "wages")}, AS_OF)
    assert rejected.height == 0 and kept["applications"].height == 3


# -- no personal data in any message or log ------------------------------------------------------------------------

PERSON, BIRTH, FUNDS = "PII-PERSON-4242", "1977-07-07", "987654.32"


def _pii_row(**over):
    return app(application_id="A2", person_id=PERSON, birth_date=BIRTH, funds_available_cad=FUNDS, **over)


def _paths_with_pii(tmp_path):
    rows = [app(), _pii_row(), app(application_id="A3")]
    cases = {}

    def edited(name, edit):
        path = write_csv(rows, APP_COLUMNS, tmp_path / name / "apps.csv")
        lines = path.read_text().splitlines()
        lines[2] = edit(lines[2])
        path.write_text("\n".join(lines) + "\n")
        return path

    cases["unterminated quote before person_id"] = edited("quote", lambda s: s.replace("A2,", 'A2,"', 1))
    cases["too many fields"] = edited("long", lambda s: s + ",x")
    cases["too few fields"] = edited("short", lambda s: s.rsplit(",", 3)[0])
    latin1 = edited("latin1", lambda s: s.replace(PERSON, PERSON + "é"))
    latin1.write_bytes(latin1.read_text().encode("latin-1"))
    cases["not UTF-8"] = latin1
    cases["missing column"] = write_csv(rows, [c for c in APP_COLUMNS if c != "profile"], tmp_path / "m" / "a.csv")
    dup = write_csv(rows, APP_COLUMNS, tmp_path / "dup" / "apps.csv")
    lines = dup.read_text().splitlines()
    dup.write_text("\n".join([lines[0] + ",person_id"] + [line + f",{PERSON}" for line in lines[1:]]) + "\n")
    cases["duplicated column"] = dup
    pq = tmp_path / "pq" / "apps.parquet"
    pq.parent.mkdir()
    text_frame(rows, APP_COLUMNS).with_columns(pl.Series("birth_date", [19770707] * 3)).write_parquet(pq)
    cases["integer dates"] = pq
    cases["bad rows only (more than 5 % of the rows)"] = write_csv(
        [app(), _pii_row(french_oral_level="13", submitted_at="someday")], APP_COLUMNS, tmp_path / "rows" / "a.csv")
    return cases


def test_no_message_or_log_holds_a_rows_content(tmp_path, prefect_api):
    spells = write_csv([spell(application_id="A2")], SPELL_COLUMNS, tmp_path / "spells" / "s.csv")
    wages = write_csv([wage()], list(wage()), tmp_path / "wages" / "w.csv")
    cases = _paths_with_pii(tmp_path)
    runs = [(case, path, [], 2, f"qcpilot: {path}: ") for case, path in cases.items()]  # each file stops the run
    bad_rows = cases["bad rows only (more than 5 % of the rows)"]
    runs[-1] = (*runs[-1][:4], "qcpilot: applications: 1 of 2 rows rejected (50.0 %")  # stopped by the threshold
    # the same rows with no threshold: the run completes, its rejections counted, no row's content said
    runs.append(("bad rows, no threshold", bad_rows, ["--max-rejected", "100"], 0, "applications"))
    for case, path, more, code, says in runs:
        db = tmp_path / "out" / f"{path.parent.name}-{code}.duckdb"
        proc = qcpilot(prefect_api, "run", "--applications", str(path), "--experience", str(spells),
                       "--wages", str(wages), "--db", str(db), "--verbose", *more)  # Prefect's log lines too
        text = proc.stdout + proc.stderr
        assert proc.returncode == code, (case, text)
        assert db.exists() == (code == 0) and says in text, (case, text)
        for secret in (PERSON, BIRTH, "19770707", FUNDS):
            assert secret not in text, (case, secret, text)
        assert "Traceback" not in text, (case, text)


def _with_column(path, name: str, values) -> None:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    pq.write_table(table.set_column(table.schema.get_field_index(name), name, values), path)


def test_text_that_is_not_utf8_in_a_dictionary_encoded_parquet_column_names_the_column(tmp_path):
    """Found by the hostile tester of issue #24: the check of a whole file at once fell back on the plain text
    columns only, so a dictionary-encoded one was called a corrupt file without its column."""
    import pyarrow as pa

    path = typed_parquet(tmp_path)
    not_utf8 = pa.array([b"Jos\xe9", b"Analyste"], pa.binary()).view(pa.string())  # a view: no check made
    _with_column(path, "job_title", pa.DictionaryArray.from_arrays(pa.array([0, 1], pa.int32()), not_utf8))
    assert refusal(path) == f"{path}: column 'job_title' holds bytes that are not UTF-8 text (a corrupt file)"


def test_a_parquet_decimal_amount_is_read_to_the_cent(tmp_path):
    """Found by the hostile tester of issue #24: a decimal cast to a double gave 19.240000000000002 for 19.24."""
    import decimal

    import pyarrow as pa

    path = typed_parquet(tmp_path)
    _with_column(path, "funds_available_cad",
                 pa.array([decimal.Decimal("18308.01"), decimal.Decimal("19.24")], pa.decimal128(14, 2)))
    df, _ = reading.read_extract("applications", [path], APPS)
    assert df.get_column("funds_available_cad").to_list() == [18308.01, 19.24]
