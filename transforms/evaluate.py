"""From parsed extracts to the frames the database holds: validation split, context, rule outcomes."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from schemas import MODELS
from transforms import engine
from transforms.features import evaluation_context
from transforms.parse import ROW
from transforms.rules import RULES
from transforms.validate import (
    REJECTED_COLUMNS,
    orphan_spells,
    schema_reasons,
    shared_keys,
    split,
    submitted_after,
)

DUPLICATE_APPLICATION = "application_id is shared with another row (every row sharing it is rejected)"
DUPLICATE_WAGE_KEY = "noc_code, region and reference_year repeat another row (every such row is rejected)"


@dataclass(frozen=True)
class References:
    """Reference data (data/reference/), as frames."""

    scale: pl.DataFrame
    municipalities: pl.DataFrame
    noc2021: pl.DataFrame
    concordance: pl.DataFrame


def _numbered(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_row_index(ROW).with_columns(pl.col(ROW).cast(pl.Int64))


def validate_all(parsed: dict[str, pl.DataFrame], as_of) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """Kept rows per extract and one `rejected_rows` frame (every reason of every bad row).

    `as_of` is the run's own time: a submission after it is rejected. Spells are checked against the applications
    that survived their own validation.
    """
    kept, rejected = {}, []
    apps = _numbered(parsed["applications"])
    reasons = pl.concat([
        schema_reasons(apps, MODELS["applications"]),
        shared_keys(apps, ["application_id"], DUPLICATE_APPLICATION),
        submitted_after(apps, as_of),
    ])
    kept["applications"], rej = split(apps, reasons, "applications")
    rejected.append(rej)
    spells = _numbered(parsed["experience"])
    reasons = pl.concat([
        schema_reasons(spells, MODELS["experience"]),
        orphan_spells(spells, apps, rej.get_column("application_id")),
    ])
    kept["experience"], rej = split(spells, reasons, "experience")
    rejected.append(rej)
    wages = _numbered(parsed["wages"])
    reasons = pl.concat([schema_reasons(wages, MODELS["wages"]),
                         shared_keys(wages, ["noc_code", "region", "reference_year"], DUPLICATE_WAGE_KEY)])
    kept["wages"], rej = split(wages, reasons, "wages")
    rejected.append(rej)
    return kept, pl.concat(rejected).cast(REJECTED_COLUMNS)


def evaluate(
    apps: pl.DataFrame, spells: pl.DataFrame, wages: pl.DataFrame, refs: References, timings: dict | None = None,
) -> dict[str, pl.DataFrame]:
    """The `applications`, `rule_results`, `eligibility` and `wage_checks` frames, sorted by application (and rule)."""
    ctx, wage_checks = evaluation_context(apps, spells, wages, refs, timings)
    # rules in rule book order, applications in application order (ctx is sorted): deterministic without a sort
    results = engine.rule_results(ctx.lazy(), RULES).collect()
    elig = engine.eligibility(ctx.lazy(), results.lazy()).collect().sort("application_id")
    contract_cols = list(MODELS["applications"].to_schema().columns)
    applications = ctx.select(*contract_cols, "submitted_on", "rules_version", "source_file", "row_number").sort(
        "application_id"
    )
    return {"applications": applications, "rule_results": results, "eligibility": elig, "wage_checks": wage_checks}


KEY_COLUMNS = ["application_id", "person_id", "program", "stream", "submitted_at", "submitted_on"]


def partitions(apps: pl.DataFrame, spells: pl.DataFrame, rows: int):
    """(applications, their spells) in slices of `rows` applications, in application_id order.

    Every rule reads one application and its own spells, so a slice evaluates exactly as the whole would; the
    outputs of the slices, appended in order, are the outputs of the whole.
    """
    apps = apps.sort("application_id")
    for start in range(0, max(apps.height, 1), rows):
        part = apps.slice(start, rows)
        yield part, spells.join(part.select("application_id"), on="application_id", how="semi")
