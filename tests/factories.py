"""Valid rows of the three extracts, as the CSV text a source system would send; tests override fields."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from schemas import MODELS
from transforms.parse import FILE, LINE, parse_model

# the time of the runs of the tests that call the transforms directly (a submission after it is rejected)
AS_OF = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)

APP_COLUMNS = list(MODELS["applications"].to_schema().columns)
SPELL_COLUMNS = list(MODELS["experience"].to_schema().columns)
WAGE_COLUMNS = list(MODELS["wages"].to_schema().columns)


def app(**over) -> dict:
    """An AI foreign-worker application that passes every general rule (version 2023)."""
    row = {
        "application_id": "A1", "person_id": "P1", "submitted_at": "2024-03-15T10:00:00",
        "program": "ai_it_vfx", "stream": "ai", "substream": "foreign_worker", "profile": "francophone",
        "birth_date": "1990-05-01", "french_oral_level": "8", "francisation_agreement_signed": "",
        "self_sufficiency_contract_signed": "true", "funds_available_cad": "10000.00", "adults_in_family": "1",
        "children_under_18": "0", "children_18_plus": "0", "stay_conditions_met": "true",
        "intends_to_settle_in_quebec": "true", "quebec_stay_purpose": "work", "spouse_open_work_permit": "false",
        "highest_diploma": "master", "diploma_from_quebec": "false", "diploma_obtained_on": "2015-06-01",
        "diploma_program_end_on": "2015-05-15", "diploma_full_time_program_months": "24",
        "diploma_orderly_related": "false", "half_program_in_quebec": "", "return_scholarship": "none",
        "job_status": "held", "job_noc_code": "21211", "job_title": "Data scientist", "job_full_time": "true",
        "job_in_quebec": "true", "job_sector": "ai", "job_naics_code": "541510", "job_ineligible_sector": "false",
        "job_hourly_wage_cad": "", "job_annual_salary_cad": "120000", "job_weekly_hours": "37.5",
        "employer_municipality_code": "66023", "employer_controlled_by_applicant": "false",
        "skills_match_job": "true",
    }
    row.update(over)
    return row


def spell(**over) -> dict:
    row = {
        "application_id": "A1", "noc_code": "21211", "job_title": "Data scientist", "start_on": "2020-01-01",
        "end_on": "2023-12-31", "full_time": "true", "paid": "true", "legally_obtained": "true",
        "in_quebec": "true", "naics_code": "541510", "ineligible_sector": "false", "sector": "ai",
        "employer_controlled_by_applicant": "false",
    }
    row.update(over)
    return row


def wage(**over) -> dict:
    row = {
        "noc_code": "21231", "region": "QC", "reference_year": "2023", "published_on": "2024-11-15",
        **{f"decile_{i}_hourly": f"{20 + 5 * i:.2f}" for i in range(1, 10)},
        "median_hourly": "45.00", "derived": "false",
    }
    row.update(over)
    return row


def text_frame(rows: list[dict], columns: list[str]) -> pl.DataFrame:
    return pl.DataFrame([{c: r.get(c) for c in columns} for r in rows], schema={c: pl.String for c in columns})


def parsed(rows: list[dict], extract: str, source: str = "test.csv") -> pl.DataFrame:
    """Rows as the ingest step would hand them on: parsed to the contract's dtypes, with file and line."""
    cols = {"applications": APP_COLUMNS, "experience": SPELL_COLUMNS, "wages": WAGE_COLUMNS}[extract]
    lf = text_frame(rows, cols).lazy().with_row_index(LINE, offset=1).with_columns(
        pl.col(LINE).cast(pl.Int64), pl.lit(source).alias(FILE)
    )
    return parse_model(lf, MODELS[extract]).collect()


def write_csv(rows: list[dict], columns: list[str], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text_frame(rows, columns).write_csv(path)
    return path


def published_pair(tmp_path: Path) -> tuple[Path, list[str]]:
    """A database published by `qcpilot run` from two applications (A1, A2) with their spells and one wage line:
    (its path, the extracts' options to run on it again)."""
    from typer.testing import CliRunner

    from flows import cli

    db = tmp_path / "q.duckdb"
    write_csv([app(), app(application_id="A2", person_id="P2")], APP_COLUMNS, tmp_path / "in" / "apps.csv")
    write_csv([spell(), spell(application_id="A2")], SPELL_COLUMNS, tmp_path / "in" / "spells.csv")
    write_csv([wage()], WAGE_COLUMNS, tmp_path / "in" / "wages.csv")
    args = ["--applications", str(tmp_path / "in" / "apps.csv"), "--experience", str(tmp_path / "in" / "spells.csv"),
            "--wages", str(tmp_path / "in" / "wages.csv")]
    result = CliRunner().invoke(cli.app, ["run", *args, "--db", str(db)])
    assert result.exit_code == 0, result.output
    return db, args
