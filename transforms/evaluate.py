"""From parsed extracts to the frames the database holds: validation split, context, rule outcomes."""

from __future__ import annotations

import duckdb
import polars as pl

from schemas import MODELS
from transforms import engine, wording
from transforms.context import References, RunFacts, evaluation_context, run_facts
from transforms.identity import with_keys
from transforms.keep import delivery_views as _views
from transforms.keep import digests, keep
from transforms.parameters import Parameters
from transforms.rules import DETAIL_SOURCES, RULES, rulebook
from transforms.sqlfiles import statements
from transforms.validate import validate_all, validate_deliveries

__all__ = ["References", "RunFacts", "delivery_views", "evaluate", "evaluate_partition", "run_facts", "validate_all",
           "validate_deliveries"]

APP = "application_id"
KEYS = ["application_key", "person_key"]  # the canonical forms of the ids (transforms/identity.py)
# an application's own columns in an evaluation: the contract's, normalized, and what D decides
APPLICATION_COLUMNS = [*MODELS["applications"].to_schema().columns, "submitted_on", "rules_version"]
WHERE_READ = ["source_file", "row_number"]
# the columns of a row as read, whose digest an evaluation keeps: the contract's
CONTRACT = {e: list(MODELS[e].to_schema().columns) for e in ("applications", "experience")}


def evaluate_partition(apps: pl.DataFrame, spells: pl.DataFrame, facts: RunFacts) -> dict[str, pl.DataFrame]:
    """The evaluations of a partition of applications (with all their spells, matched by the canonical form of their
    application id), sorted by application_id: `evaluated` (one row per application: its keys, its columns, its
    outcomes and figures), `delivered` (where each was read) and `evaluated_wages` (its wage lines). Every rule reads
    one application and its own spells, so a partition evaluates exactly as the whole would."""
    spells = spells.join(apps.select("application_key", pl.col(APP).alias("__app")), on="application_key",
                         how="inner").with_columns(pl.col("__app").alias(APP)).drop("__app")
    ctx, wage_checks = evaluation_context(apps, spells, facts)
    outcomes = engine.assessments(ctx.lazy(), facts.book.rules).collect().drop(engine.KEY[1:])
    return {
        "evaluated": ctx.select(APP, *KEYS, *[c for c in APPLICATION_COLUMNS if c != APP])
        .join(outcomes, on=APP, how="left", maintain_order="left"),
        "delivered": ctx.select(APP, *WHERE_READ),
        "evaluated_wages": wage_checks,
    }


def run_tables(con, apps: pl.DataFrame, spells: pl.DataFrame, facts: RunFacts) -> dict[str, pl.DataFrame]:
    """What a partition gives keep() (transforms/keep.py): its evaluations (evaluate_partition) and the digests of
    what each read and of its wage lines (keep.digests, computed by DuckDB on `con`)."""
    out = evaluate_partition(apps, spells, facts)
    return {**out, "digests": digests(con, apps, spells, out, CONTRACT["applications"], CONTRACT["experience"])}


def evaluate(apps: pl.DataFrame, spells: pl.DataFrame, wages: pl.DataFrame, refs: References,
             p: Parameters) -> dict[str, pl.DataFrame]:
    """A whole (small) population evaluated and kept as a run keeps it, in an in-memory DuckDB (the run's facts
    computed here): the kept `evaluations`, `evaluation_wages` and `deliveries`, and the delivery's `applications`,
    `assessments` and `wage_checks` read through their views, sorted by application_id."""
    apps, spells = with_keys(apps), with_keys(spells)
    con = duckdb.connect()
    try:
        for name, frame in run_tables(con, apps, spells, run_facts(refs, wages, rulebook(p))).items():
            con.register("__frame", frame)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM __frame')
            con.unregister("__frame")
        keep(con, "in-memory", APPLICATION_COLUMNS)
        return {t: con.sql(f'SELECT * FROM "{t}" ORDER BY {order}').pl()
                for t, order in (("evaluations", "evaluation_id"), ("evaluation_wages", "evaluation_id"),
                                 ("deliveries", APP), ("applications", APP), ("assessments", APP),
                                 ("wage_checks", APP))}
    finally:
        con.close()


def delivery_views(con) -> list[str]:
    """The views of the latest delivery (`applications`, `assessments`, `wage_checks`) over the kept evaluations."""
    return _views(con, APPLICATION_COLUMNS)


def reading_views(con) -> list[str]:
    """The views that read the kept evaluations (`con` holds them): `evaluation_results` and `rule_results` with the
    macros their details use, and `eligibility` (ids and details hold no legal value: the rules as written serve)."""
    types = dict(con.sql("SELECT column_name, column_type FROM (DESCRIBE evaluations)").fetchall())
    return [*statements(wording.MACROS_SQL), engine.eligibility_sql(RULES),
            *engine.rule_results_sql(RULES, types, DETAIL_SOURCES)]
