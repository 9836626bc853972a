"""Program `orderlies` (seed 002), version 2023: streams `work` and `study_work`. docs/spec/rules.md §4
"orderlies". Legal values: parameters `orderlies.*` (data/rulebook/parameters.yaml), read as `p`."""

from __future__ import annotations

import polars as pl

from transforms.engine import Rule
from transforms.experience import enough
from transforms.parameters import Parameters
from transforms.rules.common import D, Experience, diploma_at_least, experience_rule, occupation, within_months_before

PROGRAM = "orderlies"
VERSIONS = ("2023",)
OCCUPATION_LISTS = ("orderlies.orderly_occupations", "orderlies.health_occupations_outside_quebec")
TEER_LISTS = ()

_paid_full_legal = pl.col("full_time") & pl.col("paid") & pl.col("legally_obtained")


def spell_orderly_in_quebec(p: Parameters) -> pl.Expr:
    """A full-time, paid, legal spell in Quebec as an orderly."""
    return _paid_full_legal & pl.col("in_quebec") & occupation(p, "orderlies.orderly_occupations")


def spell_health_outside_quebec(p: Parameters) -> pl.Expr:
    """A full-time, paid, legal spell outside Quebec in a basic-care health occupation."""
    return _paid_full_legal & ~pl.col("in_quebec") & occupation(p, "orderlies.health_occupations_outside_quebec")


def _in_stream(stream: str) -> pl.Expr:
    return (pl.col("program") == PROGRAM) & pl.col("rules_version").is_not_null() & (pl.col("stream") == stream)


ORD_EMPLOYER_NOT_CONTROLLED = Rule(
    id="ORD_EMPLOYER_NOT_CONTROLLED", citation="seed 002 general requirements", program=PROGRAM, versions=VERSIONS,
    text_en="The current or accepted job, if any, is not for an employer the applicant controls.",
    text_fr="L'emploi occupé ou accepté, le cas échéant, n'est pas pour une entreprise que le requérant contrôle.",
    condition=(pl.col("job_status") == "none") | ~pl.col("employer_controlled_by_applicant"),
    detail_fr="emploi {job_status}; entreprise contrôlée par le requérant : {employer_controlled_by_applicant}",
    detail_en="job {job_status}; employer controlled by the applicant: {employer_controlled_by_applicant}",
)

ORD_W_DIPLOMA = Rule(
    id="ORD_W_DIPLOMA", citation="seed 002 Work stream, Education", program=PROGRAM, versions=VERSIONS,
    streams=("work",),
    text_en="A diploma related to the orderly occupation, at least a {orderlies.work_minimum_diploma}, after a "
            "full-time program of at least {orderlies.minimum_program_months} months.",
    text_fr="Un diplôme lié à la profession de préposé aux bénéficiaires, au moins un "
            "{orderlies.work_minimum_diploma}, au terme d'un programme à temps plein d'au moins "
            "{orderlies.minimum_program_months} mois.",
    condition=lambda p: pl.col("diploma_orderly_related") & diploma_at_least(p, "orderlies.work_minimum_diploma")
    & (pl.col("diploma_full_time_program_months") >= pl.col("ord_w_diploma_months_required")),
    figures=lambda p: {"ord_w_diploma_months_required": p.value("orderlies.minimum_program_months", pl.Int16)},
    detail_fr="{highest_diploma} lié à la profession de préposé : {diploma_orderly_related}; programme à temps plein "
              "de {diploma_full_time_program_months|non fourni} mois",
    detail_en="{highest_diploma} related to the orderly occupation: {diploma_orderly_related}; full-time program of "
              "{diploma_full_time_program_months|not given} months",
)

ORD_W_EXPERIENCE = experience_rule(
    id="ORD_W_EXPERIENCE", citation="seed 002 Work stream, Work experience", program=PROGRAM, versions=VERSIONS,
    streams=("work",),
    text_en="Within the {orderlies.experience_window_months} months preceding the application (full-time, paid, "
            "legal): {orderlies.quebec_experience_months} months as an orderly in Quebec, or "
            "{orderlies.mixed_experience_months} months in a basic-care health occupation outside Quebec and "
            "{orderlies.mixed_experience_months} months as an orderly in Quebec.",
    text_fr="Au cours des {orderlies.experience_window_months} mois précédant la demande (temps plein, rémunérée, "
            "légale) : {orderlies.quebec_experience_months} mois comme préposé aux bénéficiaires au Québec, ou "
            "{orderlies.mixed_experience_months} mois dans une profession de soins hors du Québec et "
            "{orderlies.mixed_experience_months} mois comme préposé au Québec.",
    condition=lambda p: enough("ord_w_experience_quebec", p.months_to_days("orderlies.quebec_experience_months"))
    | (enough("ord_w_experience_outside", p.months_to_days("orderlies.mixed_experience_months"))
       & enough("ord_w_experience_quebec", p.months_to_days("orderlies.mixed_experience_months"))),
    experiences=[
        Experience(name, months, scope=lambda p: _in_stream("work"), qualifies=qualifies,
                   window_from=lambda p: p.months_before(D, "orderlies.experience_window_months"),
                   window_to=lambda p: D.dt.offset_by("-1d"), words_en=en, words_fr=fr)
        for name, months, qualifies, en, fr in (
            ("ord_w_experience_quebec", "orderlies.quebec_experience_months", spell_orderly_in_quebec,
             "as an orderly in Quebec", "comme préposé au Québec"),
            ("ord_w_experience_outside", "orderlies.mixed_experience_months", spell_health_outside_quebec,
             "in health care outside Quebec", "en soins de santé hors du Québec"))],
)

ORD_SW_DIPLOMA = Rule(
    id="ORD_SW_DIPLOMA", citation="seed 002 Work-study stream, Education", program=PROGRAM, versions=VERSIONS,
    streams=("study_work",),
    text_en="A Quebec {orderlies.study_work_diploma} related to the orderly occupation, obtained within the "
            "{orderlies.study_work_diploma_months} months preceding the application.",
    text_fr="Un {orderlies.study_work_diploma} du Québec lié à la profession de préposé aux bénéficiaires, obtenu dans "
            "les {orderlies.study_work_diploma_months} mois précédant la demande.",
    condition=lambda p: pl.col("diploma_from_quebec")
    & (pl.col("highest_diploma") == p.value("orderlies.study_work_diploma")) & pl.col("diploma_orderly_related")
    & within_months_before(p, pl.col("diploma_obtained_on"), "orderlies.study_work_diploma_months"),
    figures=lambda p: {"ord_sw_diploma_from": p.months_before(D, "orderlies.study_work_diploma_months"),
                       "ord_sw_diploma_to": D},
    detail_fr="{highest_diploma} du Québec : {diploma_from_quebec}, lié : {diploma_orderly_related}, obtenu le "
              "{diploma_obtained_on|non fournie} (du {ord_sw_diploma_from} à la veille du {ord_sw_diploma_to})",
    detail_en="{highest_diploma} from Quebec {diploma_from_quebec}, related {diploma_orderly_related}, obtained on "
              "{diploma_obtained_on|not given} (from {ord_sw_diploma_from} to the day before {ord_sw_diploma_to})",
)

ORD_SW_EXPERIENCE = experience_rule(
    id="ORD_SW_EXPERIENCE", citation="seed 002 Work-study stream", program=PROGRAM, versions=VERSIONS,
    streams=("study_work",),
    text_en="At least {orderlies.study_work_experience_months} months of full-time, paid, legal experience as an "
            "orderly in Quebec after the end of the program of study.",
    text_fr="Au moins {orderlies.study_work_experience_months} mois d'expérience à temps plein, rémunérée et légale "
            "comme préposé aux bénéficiaires au Québec après la fin du programme.",
    experiences=[Experience(
        "ord_sw_experience", "orderlies.study_work_experience_months", scope=lambda p: _in_stream("study_work"),
        qualifies=spell_orderly_in_quebec,
        # days after the end of the program of study and before D
        window_from=lambda p: pl.col("diploma_program_end_on").dt.offset_by("1d"),
        window_to=lambda p: D.dt.offset_by("-1d"),
        words_en="as an orderly in Quebec after the program", words_fr="comme préposé au Québec après le programme")],
)

RULES = [ORD_EMPLOYER_NOT_CONTROLLED, ORD_W_DIPLOMA, ORD_W_EXPERIENCE, ORD_SW_DIPLOMA, ORD_SW_EXPERIENCE]
