"""The `experience` extract: one row per work-experience spell (contract § experience).

That a spell's application exists and was not rejected is checked across extracts in
`transforms.validate.orphan_spells`, since a model sees one frame.
"""

import pandera.polars as pa
import polars as pl

from schemas.enums import NOC_DIGITS, NOC_PATTERN, SECTORS
from schemas.identifiers import VISIBLE_ID, visible


class Experience(pa.DataFrameModel):
    application_id: str = pa.Field(nullable=False, metadata={"identifier": True})
    noc_code: str = pa.Field(nullable=False, str_matches=NOC_PATTERN, metadata={"digits": NOC_DIGITS})
    job_title: str = pa.Field(nullable=True)
    start_on: pl.Date = pa.Field(nullable=False)
    end_on: pl.Date = pa.Field(nullable=True)
    full_time: bool = pa.Field(nullable=False)
    paid: bool = pa.Field(nullable=False)
    legally_obtained: bool = pa.Field(nullable=False)
    in_quebec: bool = pa.Field(nullable=False)
    naics_code: str = pa.Field(nullable=True)
    ineligible_sector: bool = pa.Field(nullable=False)
    sector: str = pa.Field(nullable=True, isin=SECTORS)
    employer_controlled_by_applicant: bool = pa.Field(nullable=False)

    class Config:
        strict = False

    @pa.check("application_id", name="visible_id", error=VISIBLE_ID)
    def visible_id(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(visible(data.key))

    @pa.dataframe_check(error="end_on is before start_on")
    def end_not_before_start(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select((pl.col("end_on") >= pl.col("start_on")).fill_null(True))
