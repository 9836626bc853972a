"""Shapes of output tables that are assembled rather than computed by a rule (runs, empty placeholders)."""

from __future__ import annotations

import polars as pl

SELECTION_STATUSES = ["selected", "cap_reached", "ineligible", "undetermined", "duplicate", "outside_intake"]

SELECTIONS_SCHEMA = {
    "application_id": pl.String, "program": pl.String, "stream": pl.String, "selection_year": pl.Int32,
    "status": pl.String, "rank_in_stream": pl.Int64, "rank_in_program": pl.Int64,
    "stream_cap": pl.Int64, "program_cap": pl.Int64, "cap_applied": pl.String,
}

WAGE_CHECKS_SCHEMA = {
    "application_id": pl.String, "noc_code": pl.String, "noc2021_code": pl.String, "hourly_wage_cad": pl.Float64,
    "threshold_hourly_cad": pl.Float64, "reference_years": pl.List(pl.Int64), "decile_position": pl.Int8,
}


def empty_selections() -> pl.DataFrame:
    return pl.DataFrame(schema=SELECTIONS_SCHEMA)


def empty_wage_checks() -> pl.DataFrame:
    return pl.DataFrame(schema=WAGE_CHECKS_SCHEMA)


def runs_row(*, run_id, started, finished, parsed, kept, rejected, inputs, eligibility, selections, extra=None) -> pl.DataFrame:
    """One `runs` row: times, inputs with SHA-256 and rows, rows read = kept + rejected per extract, counts."""
    row: dict = {
        "run_id": run_id,
        "started_at": started,
        "finished_at": finished,
        "status": "completed",
        "rules_version": ",".join(sorted(eligibility.get_column("rules_version").drop_nulls().unique().to_list())),
        "inputs": [{"extract": f.extract, "path": f.path, "sha256": f.sha256, "rows": f.rows} for f in inputs],
    }
    rej_counts = dict(rejected.group_by("extract").len().iter_rows())
    for extract, df in parsed.items():
        row[f"{extract}_read"] = df.height
        row[f"{extract}_kept"] = kept[extract].height
        row[f"{extract}_rejected"] = rej_counts.get(extract, 0)
    elig = dict(eligibility.group_by("outcome").len().iter_rows())
    for outcome in ["eligible", "ineligible", "undetermined"]:
        row[outcome] = elig.get(outcome, 0)
    sel = dict(selections.group_by("status").len().iter_rows()) if selections.height else {}
    for status in SELECTION_STATUSES:
        row[f"status_{status}"] = sel.get(status, 0)
    row.update(extra or {})
    return pl.DataFrame([row]).with_columns(
        pl.col("started_at", "finished_at").cast(pl.Datetime("us", "UTC"))
    )


