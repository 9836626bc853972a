"""Experience arithmetic (§2): the number of distinct days in the union of qualifying spells inside a window.

Columnar: spells are clipped to their application's window, sorted by start, and each spell counts only the
days after the furthest end reached by the earlier spells of the same application (cumulative max), so
overlapping spells never count twice. A spell whose qualification is unknown (a Kleene null, e.g. an ambiguous
crosswalk) is counted in an upper bound only: the rule passes on the sure days, fails when even the possible
days fall short, and is unknown in between.
"""

from __future__ import annotations

import polars as pl

APP = "application_id"


def _day(e: pl.Expr) -> pl.Expr:
    return e.cast(pl.Date).cast(pl.Int32)


def _union_days(spells: pl.LazyFrame, name: str) -> pl.LazyFrame:
    """Per application: distinct days covered by the (already clipped) spells [s, e]."""
    return (
        spells.sort(APP, "__s", "__e")
        .with_columns(pl.col("__e").cum_max().shift(1).over(APP).alias("__reach"))
        .with_columns(
            (pl.col("__e") - pl.max_horizontal(pl.col("__s"), pl.col("__reach") + 1) + 1)
            .clip(lower_bound=0).alias("__days")
        )
        .group_by(APP)
        .agg(pl.col("__days").sum().cast(pl.Int32).alias(name))
    )


def experience_days(
    spells: pl.LazyFrame,
    windows: pl.LazyFrame,
    qualifies: pl.Expr,
    prefix: str,
) -> pl.LazyFrame:
    """Per application of `windows` (APP, `__from`, `__to` inclusive dates, `submitted_on`):
    `{prefix}_days` (sure) and `{prefix}_days_possible` days of qualifying experience, and the window itself.

    A spell covers start_on..end_on inclusive; a null end_on means ongoing, up to D - 1; days on or after D never
    count (§2).
    """
    d_minus_1 = _day(pl.col("submitted_on")) - 1
    clipped = (
        spells.join(windows.select(APP, "__from", "__to", "submitted_on"), on=APP, how="inner")
        .with_columns(qualifies.alias("__q"))
        .with_columns(
            pl.max_horizontal(_day(pl.col("start_on")), _day(pl.col("__from"))).alias("__s"),
            pl.min_horizontal(
                pl.coalesce(_day(pl.col("end_on")), d_minus_1), _day(pl.col("__to")), d_minus_1
            ).alias("__e"),
        )
        .filter(pl.col("__s") <= pl.col("__e"))
        .select(APP, "__s", "__e", "__q")
    )
    sure = _union_days(clipped.filter(pl.col("__q").fill_null(False)), f"{prefix}_days")
    possible = _union_days(clipped.filter(pl.col("__q").fill_null(True)), f"{prefix}_days_possible")
    return (
        windows.select(APP, pl.col("__from").alias(f"{prefix}_from"), pl.col("__to").alias(f"{prefix}_to"))
        .join(sure, on=APP, how="left")
        .join(possible, on=APP, how="left")
        .with_columns(pl.col(f"{prefix}_days", f"{prefix}_days_possible").fill_null(0))
    )


def enough(prefix: str, required_days: int) -> pl.Expr:
    """Kleene: at least `required_days` sure days -> true; fewer possible days -> false; else unknown.
    A window that could not be placed (null bound) is unknown."""
    sure, possible = pl.col(f"{prefix}_days"), pl.col(f"{prefix}_days_possible")
    return (
        pl.when(pl.col(f"{prefix}_from").is_null() | pl.col(f"{prefix}_to").is_null()).then(pl.lit(None, pl.Boolean))
        .when(sure >= required_days).then(True)
        .when(possible < required_days).then(False)
        .otherwise(pl.lit(None, pl.Boolean))
    )


def figures(prefix: str, required_days: int) -> dict[str, pl.Expr]:
    """The typed figures of an experience rule: days counted, days in spells whose occupation is uncertain (they
    would count if it were known), days required, and the window."""
    return {
        f"{prefix}_days": pl.col(f"{prefix}_days"),
        f"{prefix}_days_uncertain": (pl.col(f"{prefix}_days_possible") - pl.col(f"{prefix}_days")).cast(pl.Int32),
        f"{prefix}_days_required": pl.lit(required_days, pl.Int32),
        f"{prefix}_from": pl.col(f"{prefix}_from"),
        f"{prefix}_to": pl.col(f"{prefix}_to"),
    }


def detail(prefix: str, what: str) -> str:
    """The SQL wording of an experience rule's figures (`qc_days`, transforms.engine.MACROS_SQL)."""
    return (f"qc_days('{what}', a.{prefix}_days, a.{prefix}_days_uncertain, a.{prefix}_days_required, "
            f"a.{prefix}_from, a.{prefix}_to)")


def experience_frame(
    ctx: pl.LazyFrame, spells: pl.LazyFrame, prefix: str, *,
    scope: pl.Expr, window_from: pl.Expr, window_to: pl.Expr, qualifies: pl.Expr,
) -> pl.LazyFrame:
    """`{prefix}_days/_days_possible/_from/_to` for the applications in `scope` (APP + those four columns).

    `ctx` should be a materialized frame (`.lazy()` of a DataFrame) so that the plan is not repeated.
    """
    windows = ctx.filter(scope).select(APP, "submitted_on", window_from.alias("__from"), window_to.alias("__to"))
    return experience_days(spells, windows, qualifies, prefix)
