"""From parsed extracts to the frames the database holds: validation split, context, rule outcomes."""

from __future__ import annotations

import polars as pl

from schemas import MODELS
from transforms import engine
from transforms.features import References, RunFacts, evaluation_context, run_facts
from transforms.parameters import Parameters
from transforms.rules import DETAIL_SOURCES, RULES, rulebook
from transforms.sqlfiles import statements
from transforms.validate import validate_all

__all__ = ["References", "RunFacts", "evaluate", "evaluate_partition", "run_facts", "validate_all"]


APPLICATION_COLUMNS = [*MODELS["applications"].to_schema().columns, "submitted_on", "rules_version", "source_file",
                       "row_number"]


def evaluate_partition(apps: pl.DataFrame, spells: pl.DataFrame, facts: RunFacts) -> dict[str, pl.DataFrame]:
    """The `applications`, `assessments` and `wage_checks` rows of a partition of applications (with all their
    spells), sorted by application_id: every rule reads one application and its own spells, so a partition evaluates
    exactly as the whole would."""
    ctx, wage_checks = evaluation_context(apps, spells, facts)
    return {
        "applications": ctx.select(APPLICATION_COLUMNS),
        "assessments": engine.assessments(ctx.lazy(), facts.book.rules).collect(),
        "wage_checks": wage_checks,
    }


def evaluate(apps: pl.DataFrame, spells: pl.DataFrame, wages: pl.DataFrame, refs: References,
             p: Parameters) -> dict[str, pl.DataFrame]:
    """evaluate_partition for a whole (small) population: the run's facts computed here."""
    return evaluate_partition(apps, spells, run_facts(refs, wages, rulebook(p)))


def reading_views() -> list[str]:
    """The views that read `assessments`: `eligibility`, and `rule_results` with the macros its details use (ids
    and details hold no legal value: the rules as written serve)."""
    return [*statements(engine.MACROS_SQL), engine.eligibility_sql(RULES),
            engine.rule_results_sql(RULES, DETAIL_SOURCES)]
