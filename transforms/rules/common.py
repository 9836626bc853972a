"""Expressions shared by the rules of several programs (spec/rules.md §2)."""

from __future__ import annotations

import polars as pl

from transforms.interpretation import DIPLOMA_RANK, months_before

D = pl.col("submitted_on")
V2023 = pl.col("rules_version") == "2023"


def fixed(e: pl.Expr, places: int = 2) -> pl.Expr:
    """A non-negative number as text with exactly `places` decimals (2957.3 -> "2957.30"); null -> "unknown"."""
    scaled = (e * 10**places).round(0).cast(pl.Int64)
    whole = (scaled // 10**places).cast(pl.String)
    frac = (scaled % 10**places).cast(pl.String).str.zfill(places)
    return pl.format("{}.{}", whole, frac).fill_null("unknown")


def money(e: pl.Expr) -> pl.Expr:
    """Dollars with cents, for detail texts."""
    return fixed(e, 2)


def text(e: pl.Expr, missing: str = "not given") -> pl.Expr:
    return e.cast(pl.String).fill_null(missing)


def diploma_at_least(level: str) -> pl.Expr:
    """§2 diploma order: highest_diploma ranks at least `level`."""
    return pl.col("highest_diploma").replace_strict(DIPLOMA_RANK, return_dtype=pl.Int8) >= DIPLOMA_RANK[level]


def within_months_before(day: pl.Expr, months: int, include_d: bool = False) -> pl.Expr:
    """§2 "within the N months preceding D": D - N months <= day < D (<= D where a rule says so explicitly)."""
    upper = day <= D if include_d else day < D
    return (day >= months_before(D, months)) & upper


def job_held_or_accepted() -> pl.Expr:
    return pl.col("job_status").is_in(["held", "accepted_offer"])


def not_controlled_in_2023(controlled: pl.Expr) -> pl.Expr:
    """The employer-control conditions exist only in version 2023 (A.M. 2023-002, art. 7 4°, 7.1, 9, 10.1)."""
    return pl.when(V2023).then(~controlled).otherwise(pl.lit(True))


def yes_no(e: pl.Expr) -> pl.Expr:
    return pl.when(e.is_null()).then(pl.lit("unknown")).when(e).then(pl.lit("yes")).otherwise(pl.lit("no"))
