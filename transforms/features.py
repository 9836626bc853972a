"""The full evaluation context: general columns, money, occupation facts, experience and wage features."""

from __future__ import annotations

import time

import polars as pl

from transforms.context import base_context
from transforms.interpretation import money_gt
from transforms.noc import mapped_codes, noc_facts
from transforms.rules import PROGRAMS
from transforms.rules.common import fixed
from transforms.wages import annual_salary, decile_position, hourly_wage, thresholds

APP = "application_id"


def _with_money(ctx: pl.LazyFrame, municipalities: pl.DataFrame) -> pl.LazyFrame:
    """§2 annual salary and hourly wage; CMM membership of the employer (null: no or unknown municipality code)."""
    cmm = municipalities.select(
        pl.col("municipality_code").cast(pl.String).alias("employer_municipality_code"),
        pl.col("in_cmm").alias("employer_in_cmm"),
    ).unique("employer_municipality_code")
    return ctx.with_columns(
        annual_salary().alias("annual_salary_cad"), hourly_wage().alias("hourly_wage_cad")
    ).join(cmm.lazy(), on="employer_municipality_code", how="left")


def wage_features(ctx: pl.DataFrame, wages: pl.DataFrame, mapped2021: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(per application: `itv_wage_above_d9` Kleene and `itv_wage_detail`; the `wage_checks` table).

    A job's code stands for its NOC 2021 codes (a 2016 code through the concordance): the wage must be above the
    threshold of every one (all / none / some, §2).
    """
    jobs = (
        ctx.lazy().filter((pl.col("job_status") != "none") & pl.col("job_noc_code").is_not_null())
        .select(APP, pl.col("job_noc_code").alias("noc_code"), "submitted_on", "stream", "hourly_wage_cad")
        .join(mapped2021.lazy().rename({"code": "noc_code", "mapped": "noc2021_code"}), on="noc_code", how="left")
    )
    code_dates = jobs.select("noc2021_code", "submitted_on").drop_nulls().unique()
    th = thresholds(code_dates, wages.lazy())
    per_code = (
        jobs.join(th, on=["noc2021_code", "submitted_on"], how="left")
        .with_columns(
            money_gt(pl.col("hourly_wage_cad"), pl.col("threshold_hourly_cad")).alias("__above"),
            decile_position(pl.col("hourly_wage_cad")).alias("decile_position"),
        )
        .collect()
    )
    itv = per_code.filter(pl.col("stream") == "it_vfx")
    verdict = (
        itv.with_columns(
            pl.when(pl.col("noc2021_code").is_null()).then(pl.format("code {} has no NOC 2021 equivalent", pl.col("noc_code")))
            .when(pl.col("threshold_hourly_cad").is_null())
            .then(pl.format("NOC {}: {} of 3 reference years published by {}", pl.col("noc2021_code"),
                            pl.col("years_available").fill_null(0), pl.col("submitted_on")))
            .otherwise(pl.format("NOC {}: threshold {} CAD (mean 9th decile of {})", pl.col("noc2021_code"),
                                 fixed(pl.col("threshold_hourly_cad"), 4), pl.col("reference_years").cast(pl.List(pl.String)).list.join(", ")))
            .alias("__line")
        )
        .sort(APP, "noc2021_code")
        .group_by(APP)
        .agg(
            pl.len().alias("__n"),
            (pl.col("__above") == True).sum().alias("__yes"),  # noqa: E712 (Kleene: null is neither)
            (pl.col("__above") == False).sum().alias("__no"),  # noqa: E712
            pl.col("hourly_wage_cad").first().alias("__wage"),
            pl.col("__line").str.join("; ").alias("__lines"),
        )
        .select(
            APP,
            pl.when(pl.col("__yes") == pl.col("__n")).then(True).when(pl.col("__no") == pl.col("__n")).then(False)
            .otherwise(pl.lit(None, pl.Boolean)).alias("itv_wage_above_d9"),
            pl.format("hourly wage {} CAD; {}", fixed(pl.col("__wage"), 4),
                      pl.col("__lines")).alias("itv_wage_detail"),
        )
    )
    wage_checks = per_code.select(
        APP, "noc_code", "noc2021_code", "hourly_wage_cad",
        pl.when(pl.col("stream") == "it_vfx").then(pl.col("threshold_hourly_cad")).alias("threshold_hourly_cad"),
        pl.when(pl.col("stream") == "it_vfx").then(pl.col("reference_years")).alias("reference_years"),
        "decile_position",
    ).sort(APP, "noc2021_code", nulls_last=True)
    return verdict, wage_checks


def evaluation_context(
    apps: pl.DataFrame, spells: pl.DataFrame, wages: pl.DataFrame, refs, timings: dict | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(one row per application with every column the rules read, the `wage_checks` table).

    `timings`, when given, receives the seconds spent on the wage features (for the benchmark)."""
    ctx = _with_money(base_context(apps.lazy(), refs.scale), refs.municipalities).collect()
    lists = {}
    for program in PROGRAMS:
        lists.update(program.code_lists(refs.noc2021))
    facts = noc_facts(refs.concordance, refs.noc2021, lists)
    job_facts = facts.rename({c: f"job_{c}" for c in facts.columns if c != "code"})
    ctx = ctx.join(job_facts, left_on="job_noc_code", right_on="code", how="left")
    spells_ctx = (
        spells.lazy().join(ctx.lazy().select(APP, "rules_version"), on=APP, how="inner")
        .join(facts.lazy(), left_on="noc_code", right_on="code", how="left")
    )
    frames = [f for program in PROGRAMS for f in program.features(ctx.lazy(), spells_ctx)]
    for f in pl.collect_all(frames):
        ctx = ctx.join(f, on=APP, how="left")
    t0 = time.perf_counter()
    verdict, wage_checks = wage_features(ctx, wages, mapped_codes(refs.concordance, refs.noc2021, "2021"))
    if timings is not None:
        timings["wages"] = timings.get("wages", 0.0) + time.perf_counter() - t0
    ctx = ctx.join(verdict, on=APP, how="left").sort(APP)
    return ctx, wage_checks
