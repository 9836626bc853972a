"""Selection per program, stream and year in DuckDB (docs/spec/rules.md §1, §5), against the decision ledger.

The SQL is in sql/selection.sql; `decide` runs it on a DuckDB connection that holds the run's `applications`,
`eligibility`, `selection_config` and the `decisions` ledger (the staging database of a run, or an in-memory one),
so no frame of every application is held in Python.
"""

from __future__ import annotations

import duckdb
import polars as pl

from schemas.enums import DECIDED_STATUSES
from transforms.sqlfiles import read

SELECTION_SQL = read("selection.sql")
VIEWS_SQL = read("views.sql")

# statuses that are decisions: published once, never revoked (undetermined waits for review and is decided later)

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
_RANKED = ["application_id", "person_id", "program", "stream", "selection_year", "submitted_at", "status",
           "rank_in_stream", "rank_in_program", "stream_cap", "program_cap", "cap_applied", "late_arrival"]


def _relations(con: duckdb.DuckDBPyConnection) -> None:
    """The relations sql/selection.sql reads, over the run's tables."""
    con.execute("CREATE OR REPLACE TEMP VIEW windows AS "
                "SELECT program, start_on, end_on FROM selection_config WHERE kind = 'window'")
    con.execute("CREATE OR REPLACE TEMP VIEW caps AS "
                "SELECT program, stream, year, value FROM selection_config WHERE kind = 'cap'")
    con.execute("CREATE OR REPLACE TEMP VIEW decided AS SELECT * FROM decisions")


def decide(con: duckdb.DuckDBPyConnection, *, run_id: str, decided_at, engine_version: str, config_sha256: str) -> None:
    """Rank and cap the run's applications against the ledger; add this run's decisions to `decisions` (the ledger
    only grows: earlier rows are never touched) and create the view `selections` (one row per application of the
    run)."""
    _relations(con)
    con.execute(f"CREATE OR REPLACE TEMP TABLE ranked AS {SELECTION_SQL}")
    statuses = ", ".join(f"'{s}'" for s in DECIDED_STATUSES)
    con.execute(f"""INSERT INTO decisions BY NAME
        SELECT {', '.join(_RANKED)}, ?::VARCHAR AS decided_run_id, ?::TIMESTAMPTZ AS decided_at,
               ?::VARCHAR AS engine_version, ?::VARCHAR AS config_sha256
        FROM ranked WHERE NOT decided_before AND status IN ({statuses})""",
                [run_id, decided_at, engine_version, config_sha256])
    con.execute(SELECTIONS_VIEW)


# `selections`: every application of the run with its decision, read from the ledger; an application the ledger does
# not hold is undetermined (the only status that is not a decision), not ranked.
SELECTIONS_VIEW = """
CREATE OR REPLACE VIEW selections AS
SELECT a.application_id, coalesce(d.program, a.program) AS program, coalesce(d.stream, a.stream) AS stream,
       coalesce(d.selection_year, CAST(year(a.submitted_on) AS INTEGER)) AS selection_year,
       coalesce(d.status, 'undetermined') AS status, d.rank_in_stream, d.rank_in_program, d.stream_cap,
       d.program_cap, d.cap_applied, coalesce(d.late_arrival, false) AS late_arrival, d.decided_run_id
FROM applications a LEFT JOIN decisions d USING (application_id)
"""


def _in_memory(applications: pl.DataFrame, eligibility: pl.DataFrame, config: pl.DataFrame,
               ledger: pl.DataFrame | None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    ledger = pl.DataFrame(schema=LEDGER_SCHEMA) if ledger is None else ledger.cast(LEDGER_SCHEMA)
    for name, frame in {"applications": applications.select("application_id", "person_id", "program", "stream",
                                                            "submitted_at", "submitted_on"),
                        "eligibility": eligibility.select("application_id", "outcome"),
                        "selection_config": config, "decisions": ledger}.items():
        con.register("__frame", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM __frame")
        con.unregister("__frame")
    return con


def selections_and_ledger(
    applications: pl.DataFrame, eligibility: pl.DataFrame, config: pl.DataFrame, ledger: pl.DataFrame | None,
    *, run_id: str, decided_at, engine_version: str, config_sha256: str,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`decide` on frames (an in-memory DuckDB): (`selections`, `decisions` with this run's decisions)."""
    con = _in_memory(applications, eligibility, config, ledger)
    try:
        decide(con, run_id=run_id, decided_at=decided_at, engine_version=engine_version, config_sha256=config_sha256)
        selections = con.sql("SELECT * FROM selections ORDER BY application_id").pl()
        decisions = con.sql("SELECT * FROM decisions ORDER BY application_id").pl().cast(LEDGER_SCHEMA)
    finally:
        con.close()
    return selections, decisions.with_columns(pl.col("submitted_at", "decided_at").dt.convert_time_zone("UTC"))


def rank_and_cap(
    applications: pl.DataFrame, eligibility: pl.DataFrame, config: pl.DataFrame, decided: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Every application's status: the ledger's for those decided before, a new one for the others."""
    con = _in_memory(applications, eligibility, config, decided)
    try:
        _relations(con)
        return con.sql(SELECTION_SQL).pl()
    finally:
        con.close()
