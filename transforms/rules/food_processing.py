"""Program `food_processing` (seed 002), version 2023. docs/spec/rules.md §4 "food_processing". Legal values:
parameters `food_processing.*` (data/rulebook/parameters.yaml), read as `p`."""

from __future__ import annotations

import polars as pl

from transforms import experience
from transforms.engine import Rule
from transforms.experience import Measure, enough
from transforms.noc import chicken_catcher
from transforms.parameters import Parameters
from transforms.rules.common import D, occupation

PROGRAM = "food_processing"
VERSIONS = ("2023",)
OCCUPATION_LISTS = ("food_processing.occupations",)
TEER_LISTS = ()


def naics_eligible(p: Parameters, code: pl.Expr) -> pl.Expr:
    """seed 002: the NAICS code starts with one of the eligible prefixes; null -> unknown."""
    return p.piecewise("food_processing.naics_prefixes",
                       lambda prefixes: pl.any_horizontal([code.str.starts_with(x) for x in prefixes]))


def chicken_catcher_title(p: Parameters, title: pl.Expr) -> pl.Expr:
    """The job title is one of the chicken-catcher titles (85100 qualifies only with them)."""
    return p.piecewise("food_processing.chicken_catcher_titles", lambda titles: chicken_catcher(title, list(titles)))


def spell_food_occupation(p: Parameters) -> pl.Expr:
    """A spell's occupation is a targeted occupation (with its title condition)."""
    return occupation(p, "food_processing.occupations", title_ok=chicken_catcher_title(p, pl.col("job_title")))


def job_food_occupation(p: Parameters) -> pl.Expr:
    """The current job's occupation is a targeted occupation (with its title condition)."""
    return occupation(p, "food_processing.occupations", on="job_",
                      title_ok=chicken_catcher_title(p, pl.col("job_title")))


def fp_work_held_job(p: Parameters) -> pl.Expr:
    """The current job qualifies on its own: held, full time, in Quebec, targeted occupation and sector."""
    return (p.isin(pl.col("job_status"), "food_processing.job_statuses") & pl.col("job_full_time")
            & pl.col("job_in_quebec") & job_food_occupation(p) & naics_eligible(p, pl.col("job_naics_code")))


FP_DIPLOMA = Rule(
    id="FP_DIPLOMA", citation="seed 002 Education", program=PROGRAM, versions=VERSIONS,
    text_en="At least a secondary diploma, obtained after a full-time program of at least "
            "{food_processing.minimum_program_months} months.",
    text_fr="Au moins un diplôme d'études secondaires, obtenu au terme d'un programme à temps plein d'au moins "
            "{food_processing.minimum_program_months} mois.",
    # every diploma of the contract ranks at least `secondary`: the program length decides
    condition=pl.col("diploma_full_time_program_months") >= pl.col("fp_diploma_months_required"),
    figures=lambda p: {"fp_diploma_months_required": p.value("food_processing.minimum_program_months", pl.Int16)},
    detail_fr="{highest_diploma} au terme d'un programme à temps plein de "
              "{diploma_full_time_program_months|non fourni} mois ({fp_diploma_months_required} requis)",
    detail_en="{highest_diploma} after a full-time program of {diploma_full_time_program_months|not given} months "
              "({fp_diploma_months_required} required)",
)

FP_WORK = Rule(
    id="FP_WORK", citation="seed 002 Work experience, Targeted occupations", program=PROGRAM, versions=VERSIONS,
    text_en="Holds a full-time job in Quebec in an eligible occupation and sector, or has "
            "{food_processing.experience_months} months of full-time, paid, legal experience in Quebec in them within "
            "the {food_processing.experience_window_months} months preceding the application.",
    text_fr="Occupe un emploi à temps plein au Québec dans une profession et un secteur admissibles, ou a "
            "{food_processing.experience_months} mois d'expérience à temps plein, rémunérée et légale au Québec dans "
            "ceux-ci au cours des {food_processing.experience_window_months} mois précédant la demande.",
    # Interpretation (rules.md): seed 002 says "or"
    condition=lambda p: pl.col("fp_work_held_job")
    | enough("fp_work_experience", p.months_to_days("food_processing.experience_months")),
    figures=lambda p: {"fp_work_held_job": fp_work_held_job(p),
                       **experience.figures("fp_work_experience",
                                            p.months_to_days("food_processing.experience_months"))},
    measures=lambda p: [Measure(
        "fp_work_experience", scope=(pl.col("program") == PROGRAM) & pl.col("rules_version").is_not_null(),
        window_from=p.months_before(D, "food_processing.experience_window_months"), window_to=D.dt.offset_by("-1d"),
        qualifies=pl.col("full_time") & pl.col("paid") & pl.col("legally_obtained") & pl.col("in_quebec")
        & spell_food_occupation(p) & naics_eligible(p, pl.col("naics_code")),
    )],
    detail_fr="emploi actuel admissible : {fp_work_held_job} (CNP {job_noc_code|non fourni}, SCIAN "
              "{job_naics_code|non fourni}); " + experience.detail("fp_work_experience", "expérience", "fr"),
    detail_en="current job qualifies: {fp_work_held_job} (NOC {job_noc_code|not given}, NAICS "
              "{job_naics_code|not given}); " + experience.detail("fp_work_experience", "experience"),
)

RULES = [FP_DIPLOMA, FP_WORK]
