"""The selection configuration file (data/config/selection.csv): intake windows and yearly caps (rules.md §1).

One row per window or cap: `kind` window|cap, `program`, `stream` (empty: the whole program), a date range for a
window, a `year` for a cap (empty: every year; a row for a given year takes precedence), a `value` for a cap and
the `source` that justifies it.
"""

import pandera.polars as pa
import polars as pl

from schemas.enums import PROGRAMS, STREAMS, STREAMS_BY_PROGRAM

_STREAM_OK = pl.col("stream").is_null() | pl.any_horizontal(
    [(pl.col("program") == p) & pl.col("stream").is_in(s) for p, s in STREAMS_BY_PROGRAM.items()]
)


class SelectionConfig(pa.DataFrameModel):
    kind: str = pa.Field(isin=["window", "cap"])
    program: str = pa.Field(isin=PROGRAMS)
    stream: str = pa.Field(nullable=True, isin=STREAMS)
    start_on: pl.Date = pa.Field(nullable=True)
    end_on: pl.Date = pa.Field(nullable=True)
    year: pl.Int64 = pa.Field(nullable=True, in_range={"min_value": 2000, "max_value": 2100})
    value: pl.Int64 = pa.Field(nullable=True, ge=0)
    source: str = pa.Field(str_length={"min_value": 1})

    class Config:
        strict = True

    @pa.dataframe_check(error="stream does not belong to program")
    def stream_belongs_to_program(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(_STREAM_OK.fill_null(True))

    @pa.dataframe_check(error="a window needs start_on <= end_on and no year, stream or value")
    def window_shape(cls, data) -> pl.LazyFrame:
        ok = (pl.col("start_on") <= pl.col("end_on")) & pl.col("year").is_null() & pl.col("value").is_null()
        ok = ok & pl.col("stream").is_null()
        return data.lazyframe.select(((pl.col("kind") != "window") | ok).fill_null(False))

    @pa.dataframe_check(error="a cap needs a value and no start_on or end_on")
    def cap_shape(cls, data) -> pl.LazyFrame:
        ok = pl.col("value").is_not_null() & pl.col("start_on").is_null() & pl.col("end_on").is_null()
        return data.lazyframe.select(((pl.col("kind") != "cap") | ok).fill_null(False))

    @pa.dataframe_check(error="the same cap (program, stream, year) is configured twice")
    def cap_unique(cls, data) -> pl.LazyFrame:
        dup = pl.struct("kind", "program", "stream", "year").is_duplicated()
        return data.lazyframe.select(((pl.col("kind") != "cap") | ~dup).fill_null(True))
