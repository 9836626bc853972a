"""Program `food_processing` (seed 002), version 2023. spec/rules.md §4 "food_processing"."""

from __future__ import annotations

import polars as pl

from transforms import experience
from transforms.engine import Rule
from transforms.experience import Measure, enough
from transforms.interpretation import (
    CHICKEN_CATCHER_TITLES,
    FOOD_NAICS_PREFIXES,
    months_before,
    months_to_days,
)
from transforms.noc import chicken_catcher, list_match
from transforms.rules.common import D

PROGRAM = "food_processing"

# seed 002 "Targeted occupations", NOC 2021; 85100 only for the chicken-catcher job titles.
OCCUPATIONS = {"94141": "any", "95106": "any", "95107": "any", "65311": "any", "94140": "any", "94142": "any",
               "85100": "title"}
EXPERIENCE_MONTHS = 24
WINDOW_MONTHS = 36
MIN_PROGRAM_MONTHS = 12


def code_lists(noc2021: pl.DataFrame) -> dict[str, tuple[str, dict[str, str]]]:
    return {"food": ("2021", OCCUPATIONS)}


def naics_eligible(code: pl.Expr) -> pl.Expr:
    """seed 002: NAICS 311 (food manufacturing) or 3121 (beverage manufacturing); null -> unknown."""
    return pl.any_horizontal([code.str.starts_with(p) for p in FOOD_NAICS_PREFIXES])


def food_occupation(prefix: str, title: pl.Expr) -> pl.Expr:
    return list_match(f"{prefix}food", title_ok=chicken_catcher(title, CHICKEN_CATCHER_TITLES))


def measures() -> list[Measure]:
    """The experience figures of the program's rules (transforms.experience)."""
    return [Measure("fp_work_experience",
        scope=(pl.col("program") == PROGRAM) & pl.col("rules_version").is_not_null(),
        window_from=months_before(D, WINDOW_MONTHS), window_to=D.dt.offset_by("-1d"),
        qualifies=pl.col("full_time") & pl.col("paid") & pl.col("legally_obtained") & pl.col("in_quebec")
        & food_occupation("", pl.col("job_title")) & naics_eligible(pl.col("naics_code")),
    )]


FP_DIPLOMA = Rule(
    id="FP_DIPLOMA", citation="seed 002 Education", program=PROGRAM,
    text_en="At least a secondary diploma, obtained after a full-time program of at least 12 months.",
    text_fr="Au moins un diplôme d'études secondaires, obtenu au terme d'un programme à temps plein d'au moins 12 mois.",
    # every diploma of the contract ranks at least `secondary`: the program length decides
    condition=pl.col("diploma_full_time_program_months") >= pl.col("fp_diploma_months_required"),
    figures={"fp_diploma_months_required": pl.lit(MIN_PROGRAM_MONTHS, pl.Int16)},
    detail="format('{} after a full-time program of {} months ({} required)', p.highest_diploma, "
           "qc_text(p.diploma_full_time_program_months, 'not given'), a.fp_diploma_months_required)",
)

_held_job = (
    (pl.col("job_status") == "held") & pl.col("job_full_time") & pl.col("job_in_quebec")
    & food_occupation("job_", pl.col("job_title")) & naics_eligible(pl.col("job_naics_code"))
)

FP_WORK = Rule(
    id="FP_WORK", citation="seed 002 Work experience, Targeted occupations", program=PROGRAM,
    text_en="Holds a full-time job in Quebec in an eligible occupation and sector, or has 24 months of full-time, paid, "
            "legal experience in Quebec in them within the 36 months preceding the application.",
    text_fr="Occupe un emploi à temps plein au Québec dans une profession et un secteur admissibles, ou a 24 mois "
            "d'expérience à temps plein, rémunérée et légale au Québec dans ceux-ci au cours des 36 mois précédant la demande.",
    # Interpretation (rules.md): seed 002 says "or"
    condition=pl.col("fp_work_held_job") | enough("fp_work_experience", months_to_days(EXPERIENCE_MONTHS)),
    figures={"fp_work_held_job": _held_job,
             **experience.figures("fp_work_experience", months_to_days(EXPERIENCE_MONTHS))},
    detail="format('current job qualifies: {} (NOC {}, NAICS {}); {}', qc_yes_no(a.fp_work_held_job), "
           "qc_text(p.job_noc_code, 'not given'), qc_text(p.job_naics_code, 'not given'), "
           f"{experience.detail('fp_work_experience', 'experience')})",
)

RULES = [FP_DIPLOMA, FP_WORK]
