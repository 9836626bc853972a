"""Expressions shared by the rules of several programs (spec/rules.md §2)."""

from __future__ import annotations

import polars as pl

from transforms.interpretation import DIPLOMA_RANK, months_before

D = pl.col("submitted_on")
V2023 = pl.col("rules_version") == "2023"


# The wording of a job's facts, read by the job rules of several programs (SQL over `applications`, see engine).
JOB_DETAIL = ("format('job {}: NOC {}, full-time {}, in Quebec {}, sector {}, ineligible sector {}, employer controlled "
              "{}, skills match {}', p.job_status, qc_text(p.job_noc_code, 'not given'), qc_yes_no(p.job_full_time), "
              "qc_yes_no(p.job_in_quebec), qc_text(p.job_sector, 'not given'), qc_yes_no(p.job_ineligible_sector), "
              "qc_yes_no(p.employer_controlled_by_applicant), qc_yes_no(p.skills_match_job))")


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

