"""The `runs` row: assembled from the run's counts rather than computed by a rule."""

from __future__ import annotations

import polars as pl

SELECTION_STATUSES = ["selected", "cap_reached", "ineligible", "undetermined", "duplicate", "outside_intake"]


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


