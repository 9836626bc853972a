"""The `applications` extract: one row per application (contract § applications)."""

import datetime as dt

import pandera.polars as pa
import polars as pl
from pandera.engines import polars_engine

from schemas.enums import (
    DIPLOMAS,
    EARLIEST_BIRTH_DATE,
    JOB_STATUSES,
    LOCAL_TZ,
    MUNICIPALITY_DIGITS,
    MUNICIPALITY_PATTERN,
    NOC_DIGITS,
    NOC_PATTERN,
    PROFILES,
    PROGRAMS,
    SCHOLARSHIP,
    SECTORS,
    STAY_PURPOSES,
    STREAMS,
    STREAMS_BY_PROGRAM,
    SUBSTREAMS,
)
from schemas.identifiers import VISIBLE_ID, visible  # noqa: E402

_STREAM_OK = pl.any_horizontal(
    [(pl.col("program") == p) & pl.col("stream").is_in(s) for p, s in STREAMS_BY_PROGRAM.items()]
)


class Applications(pa.DataFrameModel):
    """One row's checks. That an application_id is unique across every file of the extract is checked on the key
    column of all of them (`transforms.validate.shared_keys`), since a model sees one batch of one file."""

    application_id: str = pa.Field(nullable=False, metadata={"identifier": True})
    person_id: str = pa.Field(nullable=False, metadata={"identifier": True})
    submitted_at: polars_engine.DateTime = pa.Field(
        nullable=False, dtype_kwargs={"time_unit": "us", "time_zone": "UTC"}
    )
    program: str = pa.Field(nullable=False, isin=PROGRAMS)
    stream: str = pa.Field(nullable=False, isin=STREAMS)
    substream: str = pa.Field(nullable=True, isin=SUBSTREAMS)
    profile: str = pa.Field(nullable=False, isin=PROFILES)
    birth_date: pl.Date = pa.Field(nullable=False)
    french_oral_level: pl.Int64 = pa.Field(nullable=True, in_range={"min_value": 1, "max_value": 12})
    francisation_agreement_signed: bool = pa.Field(nullable=True)
    self_sufficiency_contract_signed: bool = pa.Field(nullable=False)
    funds_available_cad: pl.Float64 = pa.Field(nullable=False, ge=0)
    adults_in_family: pl.Int64 = pa.Field(nullable=False, in_range={"min_value": 1, "max_value": 2})
    children_under_18: pl.Int64 = pa.Field(nullable=False, ge=0)
    children_18_plus: pl.Int64 = pa.Field(nullable=False, ge=0)
    stay_conditions_met: bool = pa.Field(nullable=True)
    intends_to_settle_in_quebec: bool = pa.Field(nullable=False)
    quebec_stay_purpose: str = pa.Field(nullable=True, isin=STAY_PURPOSES)
    spouse_open_work_permit: bool = pa.Field(nullable=False)
    highest_diploma: str = pa.Field(nullable=False, isin=DIPLOMAS)
    diploma_from_quebec: bool = pa.Field(nullable=False)
    diploma_obtained_on: pl.Date = pa.Field(nullable=True)
    diploma_program_end_on: pl.Date = pa.Field(nullable=True)
    diploma_full_time_program_months: pl.Int64 = pa.Field(nullable=True, ge=0)
    diploma_orderly_related: bool = pa.Field(nullable=False)
    half_program_in_quebec: bool = pa.Field(nullable=True)
    return_scholarship: str = pa.Field(nullable=False, isin=SCHOLARSHIP)
    job_status: str = pa.Field(nullable=False, isin=JOB_STATUSES)
    job_noc_code: str = pa.Field(nullable=True, str_matches=NOC_PATTERN, metadata={"digits": NOC_DIGITS})
    job_title: str = pa.Field(nullable=True)
    job_full_time: bool = pa.Field(nullable=True)
    job_in_quebec: bool = pa.Field(nullable=True)
    job_sector: str = pa.Field(nullable=True, isin=SECTORS)
    job_naics_code: str = pa.Field(nullable=True)
    job_ineligible_sector: bool = pa.Field(nullable=True)
    job_hourly_wage_cad: pl.Float64 = pa.Field(nullable=True, gt=0)
    job_annual_salary_cad: pl.Float64 = pa.Field(nullable=True, gt=0)
    job_weekly_hours: pl.Float64 = pa.Field(nullable=True, gt=0)
    employer_municipality_code: str = pa.Field(
        nullable=True, str_matches=MUNICIPALITY_PATTERN, metadata={"digits": MUNICIPALITY_DIGITS}
    )
    employer_controlled_by_applicant: bool = pa.Field(nullable=True)
    skills_match_job: bool = pa.Field(nullable=True)

    class Config:
        strict = False  # extra columns are kept but ignored (contract)

    @pa.check("application_id", "person_id", name="visible_id", error=VISIBLE_ID)
    def visible_id(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(visible(data.key))

    @pa.dataframe_check(error="stream does not belong to program")
    def stream_belongs_to_program(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(_STREAM_OK.fill_null(True))

    @pa.dataframe_check(error="substream is required for stream ai and not allowed for other streams")
    def substream_only_for_ai(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            ((pl.col("stream") == "ai") == pl.col("substream").is_not_null()).fill_null(True)
        )

    @pa.dataframe_check(error="profile francisation exists only in program ai_it_vfx")
    def francisation_only_ai_it_vfx(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(
            ((pl.col("profile") != "francisation") | (pl.col("program") == "ai_it_vfx")).fill_null(True)
        )

    @pa.dataframe_check(error="birth_date is after the date of submission")
    def born_before_submission(cls, data) -> pl.LazyFrame:
        submitted_on = pl.col("submitted_at").dt.convert_time_zone(LOCAL_TZ).dt.date()
        return data.lazyframe.select((pl.col("birth_date") <= submitted_on).fill_null(True))

    @pa.dataframe_check(error=f"birth_date is before {EARLIEST_BIRTH_DATE}")
    def born_after_1900(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select((pl.col("birth_date") >= dt.date.fromisoformat(EARLIEST_BIRTH_DATE))
                                     .fill_null(True))
