"""Program `orderlies` (seed 002), version 2023: streams `work` and `study_work`. spec/rules.md §4 "orderlies"."""

from __future__ import annotations

import polars as pl

from transforms import experience
from transforms.engine import Rule
from transforms.experience import Measure, enough
from transforms.interpretation import months_before, months_to_days
from transforms.noc import list_match
from transforms.rules.common import D, diploma_at_least, within_months_before

PROGRAM = "orderlies"

ORDERLY = {"33102": "any"}  # nurse aides, orderlies and patient service associates (NOC 2016 3413 maps to it)
HEALTH_OUTSIDE_QUEBEC = {c: "any" for c in ("31300", "31301", "31302", "32101", "33102")}
WINDOW_MONTHS = 36
MIN_PROGRAM_MONTHS = 12
SW_DIPLOMA_MONTHS = 24


def code_lists(noc2021: pl.DataFrame) -> dict[str, tuple[str, dict[str, str]]]:
    return {"orderly": ("2021", ORDERLY), "health": ("2021", HEALTH_OUTSIDE_QUEBEC)}


_paid_full_legal = pl.col("full_time") & pl.col("paid") & pl.col("legally_obtained")
_orderly_in_quebec = _paid_full_legal & pl.col("in_quebec") & list_match("orderly")


def measures() -> list[Measure]:
    """The experience figures of the program's rules (transforms.experience)."""
    in_force = (pl.col("program") == PROGRAM) & pl.col("rules_version").is_not_null()
    last_36 = {"window_from": months_before(D, WINDOW_MONTHS), "window_to": D.dt.offset_by("-1d")}
    qc = Measure("ord_w_experience_quebec", scope=in_force & (pl.col("stream") == "work"),
                         qualifies=_orderly_in_quebec, **last_36)
    out = Measure("ord_w_experience_outside", scope=in_force & (pl.col("stream") == "work"),
                         qualifies=_paid_full_legal & ~pl.col("in_quebec") & list_match("health"), **last_36)
    sw = Measure("ord_sw_experience", scope=in_force & (pl.col("stream") == "study_work"),
        # days after the end of the program of study and before D
        window_from=pl.col("diploma_program_end_on").dt.offset_by("1d"), window_to=D.dt.offset_by("-1d"),
        qualifies=_orderly_in_quebec,
    )
    return [qc, out, sw]


ORD_EMPLOYER_NOT_CONTROLLED = Rule(
    id="ORD_EMPLOYER_NOT_CONTROLLED", citation="seed 002 general requirements", program=PROGRAM,
    text_en="The current or accepted job, if any, is not for an employer the applicant controls.",
    text_fr="L'emploi occupé ou accepté, le cas échéant, n'est pas pour une entreprise que le requérant contrôle.",
    condition=(pl.col("job_status") == "none") | ~pl.col("employer_controlled_by_applicant"),
    detail="format('job {}; employer controlled by the applicant: {}', p.job_status, "
           "qc_yes_no(p.employer_controlled_by_applicant))",
)

ORD_W_DIPLOMA = Rule(
    id="ORD_W_DIPLOMA", citation="seed 002 Work stream, Education", program=PROGRAM, streams=("work",),
    text_en="A diploma related to the orderly occupation, at least a DEP, after a full-time program of at least 12 months.",
    text_fr="Un diplôme lié à la profession de préposé aux bénéficiaires, au moins un DEP, au terme d'un programme à temps plein d'au moins 12 mois.",
    condition=pl.col("diploma_orderly_related") & diploma_at_least("vocational")
    & (pl.col("diploma_full_time_program_months") >= pl.col("ord_w_diploma_months_required")),
    figures={"ord_w_diploma_months_required": pl.lit(MIN_PROGRAM_MONTHS, pl.Int16)},
    detail="format('{} related to the orderly occupation: {}; full-time program of {} months', p.highest_diploma, "
           "qc_yes_no(p.diploma_orderly_related), qc_text(p.diploma_full_time_program_months, 'not given'))",
)

ORD_W_EXPERIENCE = Rule(
    id="ORD_W_EXPERIENCE", citation="seed 002 Work stream, Work experience", program=PROGRAM, streams=("work",),
    text_en="Within the 36 months preceding the application (full-time, paid, legal): 24 months as an orderly in Quebec, or "
            "12 months in a basic-care health occupation outside Quebec and 12 months as an orderly in Quebec.",
    text_fr="Au cours des 36 mois précédant la demande (temps plein, rémunérée, légale) : 24 mois comme préposé aux bénéficiaires au "
            "Québec, ou 12 mois dans une profession de soins hors du Québec et 12 mois comme préposé au Québec.",
    condition=enough("ord_w_experience_quebec", months_to_days(24))
    | (enough("ord_w_experience_outside", months_to_days(12)) & enough("ord_w_experience_quebec", months_to_days(12))),
    figures={**experience.figures("ord_w_experience_quebec", months_to_days(24)),
             **experience.figures("ord_w_experience_outside", months_to_days(12))},
    detail=f"format('{{}}; {{}}', {experience.detail('ord_w_experience_quebec', 'as an orderly in Quebec')}, "
           f"{experience.detail('ord_w_experience_outside', 'in health care outside Quebec')})",
)

ORD_SW_DIPLOMA = Rule(
    id="ORD_SW_DIPLOMA", citation="seed 002 Work-study stream, Education", program=PROGRAM, streams=("study_work",),
    text_en="A Quebec DEP related to the orderly occupation, obtained within the 24 months preceding the application.",
    text_fr="Un DEP du Québec lié à la profession de préposé aux bénéficiaires, obtenu dans les 24 mois précédant la demande.",
    condition=pl.col("diploma_from_quebec") & (pl.col("highest_diploma") == "vocational")
    & pl.col("diploma_orderly_related") & within_months_before(pl.col("diploma_obtained_on"), SW_DIPLOMA_MONTHS),
    figures={"ord_sw_diploma_from": months_before(D, SW_DIPLOMA_MONTHS), "ord_sw_diploma_to": D},
    detail="format('{} from Quebec {}, related {}, obtained on {} (from {} to the day before {})', p.highest_diploma, "
           "qc_yes_no(p.diploma_from_quebec), qc_yes_no(p.diploma_orderly_related), "
           "qc_text(p.diploma_obtained_on, 'not given'), a.ord_sw_diploma_from, a.ord_sw_diploma_to)",
)

ORD_SW_EXPERIENCE = Rule(
    id="ORD_SW_EXPERIENCE", citation="seed 002 Work-study stream", program=PROGRAM, streams=("study_work",),
    text_en="At least 12 months of full-time, paid, legal experience as an orderly in Quebec after the end of the program of study.",
    text_fr="Au moins 12 mois d'expérience à temps plein, rémunérée et légale comme préposé aux bénéficiaires au Québec après la fin du programme.",
    condition=enough("ord_sw_experience", months_to_days(12)),
    figures=experience.figures("ord_sw_experience", months_to_days(12)),
    detail=experience.detail("ord_sw_experience", "as an orderly in Quebec after the program"),
)

RULES = [ORD_EMPLOYER_NOT_CONTROLLED, ORD_W_DIPLOMA, ORD_W_EXPERIENCE, ORD_SW_DIPLOMA, ORD_SW_EXPERIENCE]
