"""Selection per program, stream and year in DuckDB (spec/rules.md §1, §5), against the decision ledger.

The SQL is in sql/selection.sql. Pure: frames in, frames out, on an in-memory DuckDB connection.
"""

from __future__ import annotations

from importlib.resources import files

import duckdb
import polars as pl

SELECTION_SQL = files("transforms").joinpath("sql/selection.sql").read_text(encoding="utf-8")
VIEWS_SQL = files("transforms").joinpath("sql/views.sql").read_text(encoding="utf-8")

# statuses that are decisions: published once, never revoked (undetermined waits for review and is decided later)
DECIDED_STATUSES = ["selected", "cap_reached", "ineligible", "duplicate", "outside_intake"]

LEDGER_SCHEMA = {
    "application_id": pl.String, "person_id": pl.String, "program": pl.String, "stream": pl.String,
    "selection_year": pl.Int32, "submitted_at": pl.Datetime("us", "UTC"), "status": pl.String,
    "rank_in_stream": pl.Int64, "rank_in_program": pl.Int64, "stream_cap": pl.Int64, "program_cap": pl.Int64,
    "cap_applied": pl.String, "late_arrival": pl.Boolean,
    "decided_run_id": pl.String, "decided_at": pl.Datetime("us", "UTC"), "engine_version": pl.String,
    "config_sha256": pl.String,
}
SELECTION_COLUMNS = [
    "application_id", "program", "stream", "selection_year", "status", "rank_in_stream", "rank_in_program",
    "stream_cap", "program_cap", "cap_applied", "late_arrival", "decided_run_id",
]


def empty_ledger() -> pl.DataFrame:
    return pl.DataFrame(schema=LEDGER_SCHEMA)


def split_config(config: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(windows, caps) from the validated selection configuration."""
    windows = config.filter(pl.col("kind") == "window").select("program", "start_on", "end_on")
    caps = config.filter(pl.col("kind") == "cap").select("program", "stream", "year", "value")
    return windows, caps


def rank_and_cap(
    applications: pl.DataFrame, eligibility: pl.DataFrame, config: pl.DataFrame, decided: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Every application's status: the ledger's for those decided before, a new one for the others."""
    windows, caps = split_config(config)
    decided = empty_ledger() if decided is None else decided.cast({k: v for k, v in LEDGER_SCHEMA.items() if k in decided.columns})
    con = duckdb.connect()
    try:
        con.register("applications", applications.select(
            "application_id", "person_id", "program", "stream", "submitted_at", "submitted_on"))
        con.register("eligibility", eligibility.select("application_id", "outcome"))
        con.register("windows", windows)
        con.register("caps", caps)
        con.register("decided", decided)
        return con.sql(SELECTION_SQL).pl()
    finally:
        con.close()


def selections_and_ledger(
    applications: pl.DataFrame, eligibility: pl.DataFrame, config: pl.DataFrame, ledger: pl.DataFrame | None,
    *, run_id: str, decided_at, engine_version: str, config_sha256: str,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(`selections`: one row per valid application of this run; `decisions`: the ledger with this run's decisions).

    The ledger only grows: earlier rows are kept as they are, this run adds the applications it decided.
    """
    ledger = empty_ledger() if ledger is None else ledger.cast(LEDGER_SCHEMA)
    result = rank_and_cap(applications, eligibility, config, ledger)
    new = (
        result.filter(~pl.col("decided_before") & pl.col("status").is_in(DECIDED_STATUSES))
        .with_columns(
            pl.lit(run_id).alias("decided_run_id"), pl.lit(decided_at).cast(pl.Datetime("us", "UTC")).alias("decided_at"),
            pl.lit(engine_version).alias("engine_version"), pl.lit(config_sha256).alias("config_sha256"),
        )
        .select(list(LEDGER_SCHEMA))
        .cast(LEDGER_SCHEMA)
    )
    decisions = pl.concat([ledger, new]).sort("application_id")
    selections = (
        result.join(decisions.select("application_id", "decided_run_id"), on="application_id", how="left")
        .join(applications.select("application_id"), on="application_id", how="semi")
        .select(SELECTION_COLUMNS)
        .sort("application_id")
    )
    return selections, decisions
