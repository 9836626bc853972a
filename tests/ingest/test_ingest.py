"""Reading extracts: paths, directories and globs; CSV and Parquet alike; unreadable files and missing columns."""

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from flows.dev.generate import write_extracts
from flows.ingest import reading
from flows.ingest.files import resolve
from flows.runtime.errors import InputError
from schemas import MODELS
from tests.conftest import DATA
from tests.factories import APP_COLUMNS, AS_OF, app, parsed, text_frame, write_csv
from tests.rules_harness import parameters
from transforms.evaluate import evaluate, validate_all

APPS = MODELS["applications"]


def test_resolve_files_directories_and_globs(tmp_path):
    a = write_csv([app()], APP_COLUMNS, tmp_path / "in" / "a.csv")
    (tmp_path / "in" / "sub").mkdir()
    text_frame([app(application_id="A2")], APP_COLUMNS).write_parquet(tmp_path / "in" / "sub" / "b.parquet")
    (tmp_path / "in" / "notes.txt").write_text("ignored")
    assert resolve([str(tmp_path / "in")]) == [a, tmp_path / "in" / "sub" / "b.parquet"]
    assert resolve([str(tmp_path / "in" / "*.csv")]) == [a]
    assert resolve([str(a), str(tmp_path / "in" / "**" / "*.*")]) == [a, tmp_path / "in" / "sub" / "b.parquet"]
    with pytest.raises(InputError, match="no such file or directory"):
        resolve([str(tmp_path / "missing.csv")])
    with pytest.raises(InputError, match="no CSV or Parquet file found"):
        resolve([str(tmp_path / "in" / "*.json")])


def test_missing_column_names_file_and_column(tmp_path):
    cols = [c for c in APP_COLUMNS if c != "birth_date"]
    f = write_csv([app()], cols, tmp_path / "apps.csv")
    with pytest.raises(InputError) as exc:
        reading.read_extract("applications", [f], APPS)
    assert str(exc.value) == f"{f}: missing required column 'birth_date' for the applications extract"


def test_unreadable_files_name_the_file(tmp_path):
    bad_parquet = tmp_path / "apps.parquet"
    bad_parquet.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(InputError, match=r"apps\.parquet: cannot be read"):
        reading.read_extract("applications", [bad_parquet], APPS)
    latin1 = tmp_path / "apps.csv"
    text_frame([app(job_title="Développeur")], APP_COLUMNS).write_csv(latin1)
    latin1.write_bytes(latin1.read_text().encode("latin-1"))
    with pytest.raises(InputError, match=r"apps\.csv: line 2: not UTF-8 text"):
        reading.read_extract("applications", [latin1], APPS)


def test_extra_columns_are_ignored_and_row_numbers_are_per_file(tmp_path):
    f1 = write_csv([app(), app(application_id="A2")], APP_COLUMNS + ["extra"], tmp_path / "one.csv")
    f2 = write_csv([app(application_id="A3")], list(reversed(APP_COLUMNS)), tmp_path / "two.csv")
    df, inputs = reading.read_extract("applications", [f1, f2], APPS)
    assert df.select("source_file", "row_number").rows() == [(str(f1), 1), (str(f1), 2), (str(f2), 1)]
    assert [(i.path, i.rows, len(i.sha256)) for i in inputs] == [(str(f1), 2, 64), (str(f2), 1, 64)]


@pytest.mark.parametrize(
    ("text", "local_date"),
    [
        ("2023-11-22T23:30:00", dt.date(2023, 11, 22)),  # local time, no offset
        ("2023-11-23T03:30:00Z", dt.date(2023, 11, 22)),  # UTC: still the 22nd in Toronto
        ("2023-11-23T04:30:00+00:00", dt.date(2023, 11, 22)),
        ("2023-11-23T05:30:00+00:00", dt.date(2023, 11, 23)),
        ("2023-11-23T00:30:00+01:00", dt.date(2023, 11, 22)),  # Paris time: the 22nd in Toronto
        ("2023-11-22 23:59", dt.date(2023, 11, 22)),
        ("2024-07-01T00:15:00-0400", dt.date(2024, 7, 1)),
    ],
)
def test_timestamps_with_or_without_offset_give_the_local_date(text, local_date, refs):
    apps = parsed([app(submitted_at=text)], "applications")
    out = evaluate(apps, parsed([], "experience"), parsed([], "wages"), refs, parameters())
    assert out["applications"].get_column("submitted_on")[0] == local_date


def test_csv_and_parquet_extracts_give_identical_outcomes(tmp_path, refs):
    results = {}
    for fmt in ("csv", "parquet"):
        out_dir = tmp_path / fmt
        write_extracts(400, 7, out_dir, fmt, DATA / "reference")
        parsed_ = {
            e: reading.read_extract(e, resolve([str(out_dir / e)]), MODELS[e])[0]
            for e in ("applications", "experience", "wages")
        }
        kept, rejected = validate_all(parsed_, AS_OF)
        out = evaluate(kept["applications"], kept["experience"], kept["wages"], refs, parameters())
        results[fmt] = (out, rejected)
    (csv_out, csv_rej), (pq_out, pq_rej) = results["csv"], results["parquet"]
    for table in ("applications", "assessments"):
        a, b = csv_out[table], pq_out[table]
        cols = [c for c in a.columns if c != "source_file"]
        assert_frame_equal(a.select(cols), b.select(cols))
    assert_frame_equal(csv_rej.drop("source_file", "raw"), pq_rej.drop("source_file", "raw"))
    assert csv_out["applications"].height > 300


def test_parquet_typed_columns_are_normalized_like_csv(tmp_path):
    text = text_frame([app(), app(application_id="A2", submitted_at="2024-03-15T10:00:00-04:00")], APP_COLUMNS)
    typed = parsed([app(), app(application_id="A2", submitted_at="2024-03-15T10:00:00-04:00")], "applications")
    write_csv(text.to_dicts(), APP_COLUMNS, tmp_path / "a.csv")
    typed.drop("source_file", "row_number", "__parse_errors").with_columns(
        pl.col("french_oral_level").cast(pl.Int32), pl.col("funds_available_cad").cast(pl.Decimal(12, 2)),
        pl.col("submitted_at").dt.convert_time_zone("America/Toronto"),
    ).write_parquet(tmp_path / "a.parquet")
    from_csv, _ = reading.read_extract("applications", [tmp_path / "a.csv"], APPS)
    from_pq, _ = reading.read_extract("applications", [tmp_path / "a.parquet"], APPS)
    assert_frame_equal(from_csv.select(APP_COLUMNS), from_pq.select(APP_COLUMNS))
    assert from_pq.get_column("__parse_errors").list.len().sum() == 0
