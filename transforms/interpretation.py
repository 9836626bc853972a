"""The rule book's Interpretation points that hold no legal value (docs/spec/rules.md §1-§2).

Every legal value (ages, months, thresholds, lists, windows, versions) is a dated parameter of
data/rulebook/parameters.yaml, read through transforms.parameters.Parameters; what is left here is arithmetic.
"""

from __future__ import annotations

import polars as pl

from schemas.enums import LOCAL_TZ  # §1: the rule set is chosen by the local date D of submitted_at

# Money is held as float64 dollars; every input has at most cents. Comparisons allow one micro-dollar so that
# binary rounding of sums and means (e.g. a mean of three deciles) never turns "equal" into "above":
# a difference of a cent is never absorbed. (A numerical tolerance, not a legal value.)
MONEY_EPS = 1e-6


def local_date(ts_utc: pl.Expr) -> pl.Expr:
    """§2 D: the local (America/Toronto) date of an instant."""
    return ts_utc.dt.convert_time_zone(LOCAL_TZ).dt.date()


def money_ge(x: pl.Expr, threshold: pl.Expr | float) -> pl.Expr:
    return x >= (threshold - MONEY_EPS)


def money_gt(x: pl.Expr, threshold: pl.Expr | float) -> pl.Expr:
    return x > (threshold + MONEY_EPS)


def age_on_d() -> pl.Expr:
    """§2 Age on D in whole years: an age is reached at the start of the anniversary day, and a common year has no
    29 February (born on 29 February: the birthday is 1 March). Int32 arithmetic: month * 100 + day does not fit in
    the Int8 that polars gives a month."""
    born = pl.col("birth_date")
    day_of_year = lambda d: d.dt.month().cast(pl.Int32) * 100 + d.dt.day().cast(pl.Int32)  # noqa: E731
    return (pl.col("submitted_on").dt.year().cast(pl.Int32) - born.dt.year().cast(pl.Int32)
            - (day_of_year(pl.col("submitted_on")) < day_of_year(born)).cast(pl.Int32)).cast(pl.Int16)
