"""The rule book's definitions and Interpretation points, each in one place (spec/rules.md §1-§2).

A legal change is a one-place edit here. Every name cites the paragraph of the rule book it implements.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from schemas.enums import LOCAL_TZ  # §1: the rule set is chosen by the local date D of submitted_at

# §1 "Programs, versions": (program, version, first day, last day), inclusive local dates.
VERSIONS: list[tuple[str, str, dt.date, dt.date]] = [
    ("ai_it_vfx", "2021", dt.date(2021, 4, 22), dt.date(2023, 11, 22)),
    ("ai_it_vfx", "2023", dt.date(2023, 11, 23), dt.date(2025, 12, 31)),
    ("food_processing", "2023", dt.date(2023, 11, 23), dt.date(2025, 12, 31)),
    ("orderlies", "2023", dt.date(2023, 11, 23), dt.date(2025, 12, 31)),
]

# §2 "M months of experience means at least floor(M × 30.4375) days".
DAYS_PER_MONTH = 30.4375


def months_to_days(months: int) -> int:
    """§2: 6 -> 182, 12 -> 365, 24 -> 730."""
    return int(months * DAYS_PER_MONTH // 1)


# §2 "Age: 18 or older on D (the 18th birthday on D counts)".
MIN_AGE = 18

# §2 "Diploma order"; college_general and college_technical share a rank but college_general satisfies
# no AI/IT/VFX diploma rule (handled in those rules).
DIPLOMA_RANK = {
    "secondary": 1, "vocational": 2, "college_general": 3, "college_technical": 3,
    "bachelor": 4, "dess": 5, "master": 6, "doctorate": 7,
}

# GEN_FRENCH_ORAL_7 (art. 6 2°): level 7 or more on the Échelle québécoise.
FRENCH_ORAL_MIN = 7

# §2 "Self-sufficiency amount": caps of the scale's rows.
SCALE_MAX_ADULTS = 2
SCALE_MAX_CHILDREN = 3

# AI_FW_SALARY (art. 7 4° b): gross annual salary thresholds, CMM and elsewhere.
SALARY_MIN_IN_CMM = 100_000.0
SALARY_MIN_OUTSIDE_CMM = 75_000.0

# §2 "Annual salary ... else hourly × weekly hours × 52".
WEEKS_PER_YEAR = 52

# Money is held as float64 dollars; every input has at most cents. Comparisons allow one micro-dollar so that
# binary rounding of sums and means (e.g. a mean of three deciles) never turns "equal" into "above":
# a difference of a cent is never absorbed.
MONEY_EPS = 1e-6

# ITV_WAGE_ABOVE_D9 (art. 10 4°, Interpretation): "supérieur au neuvième décile de la moyenne du salaire horaire
# des 3 dernières années disponibles" = strictly above the mean of the 9th decile over the 3 most recent
# reference years published on or before D, province-wide rows.
WAGE_YEARS = 3
WAGE_REGION = "QC"

# §2 NOC concordance, Interpretation: a code mapping to several codes satisfies a condition when all mapped
# codes do, fails when none do, and is unknown (sent to review) when only some do.
# Implemented by transforms.noc.all_none_some.

# FP chicken-catcher titles (seed 002), compared without accents and case.
CHICKEN_CATCHER_TITLES = ["chicken catcher", "chicken gatherer", "attrapeur de poulets", "attrapeuse de poulets"]

# FP eligible NAICS prefixes (seed 002): food manufacturing 311, beverage manufacturing 3121.
FOOD_NAICS_PREFIXES = ["311", "3121"]


def local_date(ts_utc: pl.Expr) -> pl.Expr:
    """§2 D: the local (America/Toronto) date of an instant."""
    return ts_utc.dt.convert_time_zone(LOCAL_TZ).dt.date()


def months_before(d: pl.Expr, months: int) -> pl.Expr:
    """§2 "N months before D": calendar subtraction, day clamped to the month's end (2024-03-31 - 1 month = 2024-02-29)."""
    return d.dt.offset_by(f"-{months}mo")


def months_after(d: pl.Expr, months: int) -> pl.Expr:
    """Calendar addition with the same clamping."""
    return d.dt.offset_by(f"{months}mo")


def money_ge(x: pl.Expr, threshold: pl.Expr | float) -> pl.Expr:
    return x >= (threshold - MONEY_EPS)


def money_gt(x: pl.Expr, threshold: pl.Expr | float) -> pl.Expr:
    return x > (threshold + MONEY_EPS)
