"""The evaluation context: applications plus the derived columns the rules read (D, rules version, amounts ...).

Pure frame -> frame functions; reference data arrives as frames.
"""

from __future__ import annotations

import polars as pl

from transforms.interpretation import local_date
from transforms.parameters import Parameters


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
