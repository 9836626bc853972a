"""The evaluation context: the applications with every column the rules read (D, the rules version, amounts,
occupation facts, experience measures, the wage verdict), pure frame -> frame functions.

What depends only on the reference data and the wage extract (`RunFacts`: occupation facts of every code list, the
wage thresholds of every code and publication date, the scale) is computed once per run; a partition of
applications then needs joins only. Reference data arrives as frames (transforms/reference.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from transforms import experience
from transforms.interpretation import local_date
from transforms.noc import mapped_codes, noc_facts
from transforms.parameters import Parameters
from transforms.rules import RuleBook
from transforms.wages import annual_salary, hourly_wage, itv_wage_above_d9, threshold_periods


def rules_version(p: Parameters) -> pl.Expr:
    """§1: the version of the program whose period contains D (null: the program is not in force on D); the periods
    are the parameter general.program_versions."""
    expr = pl.lit(None, pl.String)
    periods = [(program, version, first, last)
               for program, versions in p.only("general.program_versions").items()
               for version, (first, last) in versions.items()]
    for program, version, first, last in reversed(periods):
        expr = (
            pl.when((pl.col("program") == program) & pl.col("submitted_on").is_between(first, last))
            .then(pl.lit(version))
            .otherwise(expr)
        )
    return expr


def scale_lookup(scale: pl.DataFrame, p: Parameters) -> pl.DataFrame:
    """Per (scale_year, adults, children 0-3): the base amount, the extra-child increment of that adult count
    (2 -> 3 children) and the adult-child increment of that year ((2 adults, 0) - (1 adult, 0)). §2."""
    s = scale.select(
        pl.col("scale_year").cast(pl.Int64), pl.col("adults").cast(pl.Int64).alias("__adults"),
        pl.col("children_under_18").cast(pl.Int64).alias("__children"),
        pl.col("amount_cad").cast(pl.Float64).alias("__base"),
    )

    max_children = p.only("general.scale_maximum_children")

    def row(adults: int, children: int) -> pl.Expr:
        return (pl.col("__adults") == adults) & (pl.col("__children") == children)

    inc_child = (
        s.filter(pl.col("__children") == max_children)
        .join(s.filter(pl.col("__children") == max_children - 1), on=["scale_year", "__adults"], suffix="_prev")
        .select("scale_year", "__adults", (pl.col("__base") - pl.col("__base_prev")).alias("__inc_child"))
    )
    inc_adult = (
        s.filter(row(2, 0)).join(s.filter(row(1, 0)), on="scale_year", suffix="_one")
        .select("scale_year", (pl.col("__base") - pl.col("__base_one")).alias("__inc_adult_child"))
    )
    return (
        s.join(inc_child, on=["scale_year", "__adults"], how="left")
        .join(inc_adult, on="scale_year", how="left")
        .with_columns(pl.col("__inc_child", "__inc_adult_child").fill_null(0.0))
        .sort("scale_year", "__adults", "__children")
    )


def with_self_sufficiency(ctx: pl.LazyFrame, scale: pl.DataFrame, lookup: pl.DataFrame, p: Parameters) -> pl.LazyFrame:
    """§2 Self-sufficiency amount and the scale year used (latest scale_year <= year of D). `lookup` is
    scale_lookup(scale), computed once per run."""
    max_adults, max_children = p.only("general.scale_maximum_adults"), p.only("general.scale_maximum_children")
    years = sorted(scale.get_column("scale_year").cast(pl.Int64).unique().to_list())
    year_used = pl.lit(None, pl.Int64)
    for y in years:  # ascending: the last that is <= year(D) wins
        year_used = pl.when(pl.col("submitted_on").dt.year() >= y).then(pl.lit(y)).otherwise(year_used)
    return (
        ctx.with_columns(
            year_used.alias("self_sufficiency_scale_year"),
            pl.col("adults_in_family").clip(upper_bound=max_adults).alias("__adults"),
            pl.col("children_under_18").clip(upper_bound=max_children).alias("__children"),
        )
        .join(lookup.lazy().rename({"scale_year": "self_sufficiency_scale_year"}),
              on=["self_sufficiency_scale_year", "__adults", "__children"], how="left")
        .with_columns(
            (
                pl.col("__base")
                + (pl.col("children_under_18") - max_children).clip(lower_bound=0) * pl.col("__inc_child")
                + pl.col("children_18_plus") * pl.col("__inc_adult_child")
            ).alias("self_sufficiency_required_cad")
        )
        .drop("__adults", "__children", "__base", "__inc_child", "__inc_adult_child")
    )


def base_context(apps: pl.LazyFrame, scale: pl.DataFrame, lookup: pl.DataFrame, p: Parameters) -> pl.LazyFrame:
    """Applications with D (`submitted_on`), `rules_version` and the self-sufficiency amount."""
    ctx = apps.with_columns(local_date(pl.col("submitted_at")).alias("submitted_on")).with_columns(
        rules_version(p).alias("rules_version")
    )
    return with_self_sufficiency(ctx, scale, lookup, p)


APP = "application_id"


@dataclass(frozen=True)
class References:
    """Reference data (data/reference/), as frames."""

    scale: pl.DataFrame
    municipalities: pl.DataFrame
    noc2021: pl.DataFrame
    concordance: pl.DataFrame


@dataclass(frozen=True)
class RunFacts:
    """What every partition of a run reads, computed once."""

    scale: pl.DataFrame  # the Annex C scale (its years are the lookup's)
    scale_lookup: pl.DataFrame
    cmm: pl.DataFrame  # employer_municipality_code -> employer_in_cmm
    noc: pl.DataFrame  # per NOC 2016 or 2021 code: TEER and its counts in every code list (transforms.noc)
    mapped2021: pl.DataFrame  # per code: the NOC 2021 codes it stands for
    wage_periods: pl.DataFrame  # per NOC 2021 code and publication date: the IT/VFX threshold (transforms.wages)
    book: RuleBook  # the rules bound to the run's legal values


def run_facts(refs: References, wages: pl.DataFrame, book: RuleBook) -> RunFacts:
    p = book.parameters
    lists = book.code_lists(refs.noc2021)
    cmm = refs.municipalities.select(
        pl.col("municipality_code").cast(pl.String).alias("employer_municipality_code"),
        pl.col("in_cmm").alias("employer_in_cmm"),
    ).unique("employer_municipality_code", keep="first").sort("employer_municipality_code")
    return RunFacts(
        scale=refs.scale,
        scale_lookup=scale_lookup(refs.scale, p),
        cmm=cmm,
        noc=noc_facts(refs.concordance, refs.noc2021, lists),
        mapped2021=mapped_codes(refs.concordance, refs.noc2021, "2021"),
        wage_periods=threshold_periods(wages.lazy(), p).collect(),
        book=book,
    )


def evaluation_context(apps: pl.DataFrame, spells: pl.DataFrame, facts: RunFacts) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(one row per application with every column the rules read, sorted by application_id; `wage_checks`)."""
    p = facts.book.parameters
    ctx = (
        base_context(apps.lazy(), facts.scale, facts.scale_lookup, p)
        .with_columns(annual_salary(p).alias("annual_salary_cad"), hourly_wage(p).alias("hourly_wage_cad"))
        .join(facts.cmm.lazy(), on="employer_municipality_code", how="left")
        .collect()
    )
    job_facts = facts.noc.rename({c: f"job_{c}" for c in facts.noc.columns if c != "code"})
    ctx = ctx.join(job_facts, left_on="job_noc_code", right_on="code", how="left")
    spells_ctx = (
        spells.lazy().join(ctx.lazy().select(APP, "rules_version"), on=APP, how="inner")
        .join(facts.noc.lazy(), left_on="noc_code", right_on="code", how="left")
    )
    ctx = ctx.join(experience.measures(ctx, spells_ctx, facts.book.measures).collect(), on=APP, how="left")
    verdict, wage_checks = itv_wage_above_d9(ctx, facts.mapped2021, facts.wage_periods)
    ctx = ctx.join(verdict, on=APP, how="left").sort(APP)
    return ctx, wage_checks
