"""The evaluation context: general columns, money, occupation facts, experience and wage features.

What depends only on the reference data and the wage extract (`RunFacts`: occupation facts of every code list, the
wage thresholds of every code and publication date, the scale) is computed once per run; a partition of
applications then needs joins only.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from transforms import experience
from transforms.context import base_context, scale_lookup
from transforms.interpretation import money_gt
from transforms.noc import mapped_codes, noc_facts
from transforms.rules import RuleBook
from transforms.wages import annual_salary, decile_position, hourly_wage, threshold_periods, thresholds

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


def itv_wage_above_d9(ctx: pl.DataFrame, facts: RunFacts) -> tuple[pl.DataFrame, pl.DataFrame]:
    """ITV_WAGE_ABOVE_D9's verdict and figures (per IT/VFX application: `itv_wage_above_d9` Kleene,
    `itv_wage_threshold_cad`, `itv_wage_reference_years`; the `wage_checks` table).

    A job's code stands for its NOC 2021 codes (a 2016 code through the concordance): the wage must be above the
    threshold of every one (all / none / some, §2). A mapped code whose own answer is unknown (no threshold)
    counts as neither: it makes neither a pass nor a fail certain (rules.md §2). The threshold shown is the highest
    (the one a pass must clear)."""
    jobs = (
        ctx.lazy().filter((pl.col("job_status") != "none") & pl.col("job_noc_code").is_not_null())
        .select(APP, pl.col("job_noc_code").alias("noc_code"), "submitted_on", "stream", "hourly_wage_cad")
        .join(facts.mapped2021.lazy().rename({"code": "noc_code", "mapped": "noc2021_code"}), on="noc_code", how="left")
    )
    per_code = (
        thresholds(jobs, facts.wage_periods.lazy())
        .with_columns(
            money_gt(pl.col("hourly_wage_cad"), pl.col("threshold_hourly_cad")).alias("__above"),
            decile_position(pl.col("hourly_wage_cad")).alias("decile_position"),
        )
        .collect()
        .sort(APP, "noc2021_code", nulls_last=False)
    )
    verdict = (
        per_code.filter(pl.col("stream") == "it_vfx")
        .group_by(APP)
        .agg(
            pl.len().alias("__n"),
            (pl.col("__above") == True).sum().alias("__yes"),  # noqa: E712 (Kleene: null is neither)
            (pl.col("__above") == False).sum().alias("__no"),  # noqa: E712
            pl.col("threshold_hourly_cad").max().alias("itv_wage_threshold_cad"),
            pl.col("reference_years").sort_by(pl.col("threshold_hourly_cad"), descending=True, nulls_last=True)
            .first().alias("itv_wage_reference_years"),
        )
        .select(
            APP,
            pl.when(pl.col("__yes") == pl.col("__n")).then(True).when(pl.col("__no") == pl.col("__n")).then(False)
            .otherwise(pl.lit(None, pl.Boolean)).alias("itv_wage_above_d9"),
            "itv_wage_threshold_cad", "itv_wage_reference_years",
        )
    )
    wage_checks = per_code.select(
        APP, "noc_code", "noc2021_code", "hourly_wage_cad",
        pl.when(pl.col("stream") == "it_vfx").then(pl.col("threshold_hourly_cad")).alias("threshold_hourly_cad"),
        pl.when(pl.col("stream") == "it_vfx").then(pl.col("reference_years")).alias("reference_years"),
        "decile_position",
    )
    return verdict, wage_checks


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
    verdict, wage_checks = itv_wage_above_d9(ctx, facts)
    ctx = ctx.join(verdict, on=APP, how="left").sort(APP)
    return ctx, wage_checks
