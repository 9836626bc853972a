"""The `wages` extract: one row per occupation (NOC 2021), region and reference year (contract § wages)."""

import pandera.polars as pa
import polars as pl

from schemas.enums import DECILES, NOC2021_DIGITS, NOC2021_PATTERN


def _non_decreasing(cols: list[str]) -> pl.Expr:
    """Every pair of consecutive non-null deciles is non-decreasing (nulls are skipped, not compared)."""
    ok = pl.lit(True)
    for i, lo in enumerate(cols):
        for hi in cols[i + 1:]:
            ok = ok & (pl.col(lo) <= pl.col(hi)).fill_null(True)
    return ok


class Wages(pa.DataFrameModel):
    """One row's checks. That (noc_code, region, reference_year) is unique across the extract is checked on the key
    columns of every file (`transforms.validate.shared_keys`)."""

    noc_code: str = pa.Field(nullable=False, str_matches=NOC2021_PATTERN, metadata={"digits": NOC2021_DIGITS})
    region: str = pa.Field(nullable=False, str_length={"min_value": 1})
    reference_year: pl.Int64 = pa.Field(nullable=False, in_range={"min_value": 1990, "max_value": 2100})
    published_on: pl.Date = pa.Field(nullable=False)
    decile_1_hourly: pl.Float64 = pa.Field(nullable=True, gt=0)
    decile_2_hourly: pl.Float64 = pa.Field(nullable=True, gt=0)
    decile_3_hourly: pl.Float64 = pa.Field(nullable=True, gt=0)
    decile_4_hourly: pl.Float64 = pa.Field(nullable=True, gt=0)
    decile_5_hourly: pl.Float64 = pa.Field(nullable=True, gt=0)
    decile_6_hourly: pl.Float64 = pa.Field(nullable=True, gt=0)
    decile_7_hourly: pl.Float64 = pa.Field(nullable=True, gt=0)
    decile_8_hourly: pl.Float64 = pa.Field(nullable=True, gt=0)
    decile_9_hourly: pl.Float64 = pa.Field(nullable=True, gt=0)
    median_hourly: pl.Float64 = pa.Field(nullable=True, gt=0)
    derived: bool = pa.Field(nullable=False)

    class Config:
        strict = False

    @pa.dataframe_check(error="deciles decrease from one decile to a later one")
    def deciles_non_decreasing(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(_non_decreasing(DECILES))

    @pa.dataframe_check(error="median_hourly is outside decile_4_hourly..decile_6_hourly")
    def median_between_deciles(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(_non_decreasing(["decile_4_hourly", "median_hourly", "decile_6_hourly"]))

