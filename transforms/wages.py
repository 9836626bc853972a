"""Wage deciles: the IT/VFX threshold as of the submission date, and where every offered wage sits.

ITV_WAGE_ABOVE_D9 (art. 10 4°, Interpretation in docs/spec/rules.md): the threshold for an occupation (NOC 2021) on
date D is the mean of the 9th-decile hourly wage, in the region ai_it_vfx.wage_region (the province), over the N
most recent reference years (N: ai_it_vfx.wage_years) whose `published_on` is on or before D. Fewer than N such
years, or no row -> unknown.

Computed once per run for every (NOC 2021 code, publication date) with a ranked window (never a loop); each job
then finds the period in force on its D with an as-of join.
"""

from __future__ import annotations

import polars as pl

from schemas.enums import DECILES
from transforms.interpretation import MONEY_EPS, money_gt
from transforms.parameters import Parameters


def hourly_wage(p: Parameters) -> pl.Expr:
    """§2 Hourly wage: given, else annual / (weekly hours × 52); null when neither is computable."""
    return pl.coalesce(
        pl.col("job_hourly_wage_cad"),
        pl.col("job_annual_salary_cad") / (pl.col("job_weekly_hours") * p.only("general.weeks_per_year")),
    )


def annual_salary(p: Parameters) -> pl.Expr:
    """§2 Annual salary: given, else hourly × weekly hours × 52."""
    return pl.coalesce(
        pl.col("job_annual_salary_cad"),
        pl.col("job_hourly_wage_cad") * pl.col("job_weekly_hours") * p.only("general.weeks_per_year"),
    )


def threshold_periods(wages: pl.LazyFrame, p: Parameters) -> pl.LazyFrame:
    """The threshold of every NOC 2021 code from each publication date on (once per run, not per application).

    Per (noc2021_code, valid_from): `threshold_hourly_cad` (the mean 9th decile of the N most recent reference
    years published on or before valid_from; null with fewer), `reference_years` used (most recent first),
    `years_available`, and the deciles of the latest published year. A threshold changes only on a publication
    date, so the threshold on any D is the period's that started last on or before D (`thresholds`)."""
    rows = (
        wages.filter((pl.col("region") == p.only("ai_it_vfx.wage_region")) & pl.col("decile_9_hourly").is_not_null())
        .select(pl.col("noc_code").alias("noc2021_code"), "reference_year", "published_on", *DECILES)
    )
    starts = rows.select("noc2021_code", pl.col("published_on").alias("valid_from")).unique()
    ranked = (
        starts.join(rows, on="noc2021_code", how="inner")
        .filter(pl.col("published_on") <= pl.col("valid_from"))  # never a figure published after D
        .with_columns(
            pl.col("reference_year").rank("ordinal", descending=True)
            .over("noc2021_code", "valid_from").alias("__rank")
        )
        .filter(pl.col("__rank") <= p.only("ai_it_vfx.wage_years"))
    )
    return (
        ranked.sort("noc2021_code", "valid_from", "__rank")
        .group_by("noc2021_code", "valid_from", maintain_order=True)
        .agg(
            pl.len().cast(pl.Int32).alias("years_available"),
            pl.col("reference_year").alias("reference_years"),
            pl.col("decile_9_hourly").mean().alias("__mean_d9"),
            *[pl.col(d).first().alias(f"latest_{d}") for d in DECILES],
        )
        .with_columns(
            pl.when(pl.col("years_available") == p.only("ai_it_vfx.wage_years")).then(pl.col("__mean_d9"))
            .alias("threshold_hourly_cad")
        )
        .drop("__mean_d9")
        .sort("noc2021_code", "valid_from")
    )


def thresholds(code_dates: pl.LazyFrame, periods: pl.LazyFrame) -> pl.LazyFrame:
    """Per (noc2021_code, submitted_on) asked: the threshold period in force on that day (see threshold_periods);
    null columns when nothing was published by then."""
    return (
        code_dates.sort("submitted_on")
        .join_asof(periods.sort("valid_from"), left_on="submitted_on", right_on="valid_from", by="noc2021_code",
                   strategy="backward", check_sortedness=False)
        .drop("valid_from")
    )


def decile_position(wage: pl.Expr) -> pl.Expr:
    """1-10: 1 below (or at) the 1st decile, k when above the (k-1)th and not above the kth, 10 above the 9th.

    "Above" is strict, as in the IT/VFX rule: a wage equal to the 9th decile is in position 9.
    """
    above = [(wage > pl.col(f"latest_{d}") + MONEY_EPS).cast(pl.Int8) for d in DECILES]
    any_decile = pl.any_horizontal([pl.col(f"latest_{d}").is_not_null() for d in DECILES])
    return pl.when(wage.is_not_null() & any_decile).then(pl.sum_horizontal(above) + 1).cast(pl.Int8)


APP = "application_id"


def itv_wage_above_d9(ctx: pl.DataFrame, mapped2021: pl.DataFrame,
                      wage_periods: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """ITV_WAGE_ABOVE_D9's verdict and figures (the rule: transforms/rules/ai_it_vfx.py), per IT/VFX application:
    `itv_wage_above_d9` (Kleene), `itv_wage_threshold_cad`, `itv_wage_reference_years`; and the `wage_checks` table.

    A job's code stands for its NOC 2021 codes (a 2016 code through the concordance): the wage must be above the
    threshold of every one (all / none / some, §2). A mapped code whose own answer is unknown (no threshold)
    counts as neither: it makes neither a pass nor a fail certain (rules.md §2). The threshold shown is the highest
    (the one a pass must clear)."""
    jobs = (
        ctx.lazy().filter((pl.col("job_status") != "none") & pl.col("job_noc_code").is_not_null())
        .select(APP, pl.col("job_noc_code").alias("noc_code"), "submitted_on", "stream", "hourly_wage_cad")
        .join(mapped2021.lazy().rename({"code": "noc_code", "mapped": "noc2021_code"}), on="noc_code",
              how="left")
    )
    per_code = (
        thresholds(jobs, wage_periods.lazy())
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
