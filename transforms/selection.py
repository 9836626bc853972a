"""Selection per program, stream and year in DuckDB (spec/rules.md §1, §5); the SQL is in sql/selection.sql.

Pure: frames in, frame out, on an in-memory DuckDB connection.
"""

from __future__ import annotations

from importlib.resources import files

import duckdb
import polars as pl

SELECTION_SQL = files("transforms").joinpath("sql/selection.sql").read_text(encoding="utf-8")
VIEWS_SQL = files("transforms").joinpath("sql/views.sql").read_text(encoding="utf-8")


def split_config(config: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(windows, caps) from the validated selection configuration."""
    windows = config.filter(pl.col("kind") == "window").select("program", "start_on", "end_on")
    caps = config.filter(pl.col("kind") == "cap").select("program", "stream", "year", "value")
    return windows, caps


def rank_and_cap(applications: pl.DataFrame, eligibility: pl.DataFrame, config: pl.DataFrame) -> pl.DataFrame:
    """The `selections` table: one row per valid application."""
    windows, caps = split_config(config)
    con = duckdb.connect()
    try:
        con.register("applications", applications.select(
            "application_id", "person_id", "program", "stream", "submitted_at", "submitted_on"))
        con.register("eligibility", eligibility.select("application_id", "outcome"))
        con.register("windows", windows)
        con.register("caps", caps)
        return con.sql(SELECTION_SQL).pl()
    finally:
        con.close()
