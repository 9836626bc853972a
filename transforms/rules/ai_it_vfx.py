"""Program `ai_it_vfx` (A.M. 2021-002 as amended by A.M. 2023-002): streams `ai` (foreign_worker,
quebec_graduate) and `it_vfx`, versions 2021 (NOC 2016 skill levels, seeds' occupation list) and 2023 (FEER/TEER,
art. 12 list, employer-control conditions). docs/spec/rules.md §4. Legal values: parameters `ai_it_vfx.*`
(data/rulebook/parameters.yaml), read as `p`.
"""

from __future__ import annotations

import polars as pl

from transforms.engine import Rule
from transforms.experience import enough
from transforms.interpretation import money_ge
from transforms.noc import skill_level
from transforms.parameters import Parameters
from transforms.rules.common import (
    JOB_DETAIL_EN,
    JOB_DETAIL_FR,
    V2023,
    D,
    Experience,
    diploma_at_least,
    experience_rule,
    not_controlled_where_excluded,
    occupation,
    within_months_before,
)

PROGRAM = "ai_it_vfx"
VERSIONS = ("2021", "2023")
# the occupation lists of the program (parameters holding NOC codes -> condition), see transforms.rules.code_lists
OCCUPATION_LISTS = ("ai_it_vfx.itv_occupations",)
TEER_LISTS = ("ai_it_vfx.qualifying_teer",)  # lists of TEER categories: the NOC 2021 codes of those categories


# -- derived facts, each named after the column or condition it gives --------------------------------------------

def spell_feer_0_1_2(p: Parameters) -> pl.Expr:
    """A spell's occupation is of a qualifying FEER (version 2023) / NOC 2016 skill level (version 2021), §2."""
    levels = p.only("ai_it_vfx.qualifying_skill_levels")
    level = skill_level(pl.col("noc_code"), pl.col("teer"), p.only("noc.skill_level_of_2016_code"),
                        p.only("noc.skill_level_of_teer"))
    return pl.when(V2023).then(occupation(p, "ai_it_vfx.qualifying_teer")).otherwise(level.is_in(list(levels)))


def spell_itv_occupation(p: Parameters) -> pl.Expr:
    """A spell's occupation is an eligible IT/VFX occupation with its sector condition (art. 12; seeds 000, 001)."""
    return occupation(p, "ai_it_vfx.itv_occupations", sector=pl.col("sector"))


def job_itv_occupation(p: Parameters) -> pl.Expr:
    """The job's occupation is an eligible IT/VFX occupation with its sector condition."""
    return occupation(p, "ai_it_vfx.itv_occupations", on="job_", sector=pl.col("job_sector"))


def spell_qualifies(p: Parameters) -> pl.Expr:
    """Full time, outside the ineligible sectors, and (art. 7.1, 10.1) not a job held in Quebec for an employer the
    applicant controls where that is excluded."""
    return (pl.col("full_time") & ~pl.col("ineligible_sector")
            & not_controlled_where_excluded(p, pl.col("in_quebec") & pl.col("employer_controlled_by_applicant")))


def ai_job(p: Parameters) -> pl.Expr:
    """The job of the AI stream (art. 7 4° a), art. 9 5°)."""
    return (
        p.isin(pl.col("job_status"), "ai_it_vfx.job_statuses") & pl.col("job_full_time") & pl.col("job_in_quebec")
        & (pl.col("job_sector") == p.value("ai_it_vfx.ai_job_sector")) & pl.col("skills_match_job")
        & ~pl.col("job_ineligible_sector")
        & not_controlled_where_excluded(p, pl.col("employer_controlled_by_applicant"))
    )


def fw_experience_exempt(p: Parameters) -> pl.Expr:
    """art. 7, last paragraph: no experience required with a Quebec diploma of the exemption list obtained within
    the months preceding D ("within the N months preceding D", §2)."""
    return (p.isin(pl.col("highest_diploma"), "ai_it_vfx.experience_exemption_diplomas") & pl.col("diploma_from_quebec")
            & within_months_before(p, pl.col("diploma_obtained_on"), "ai_it_vfx.experience_exemption_months"))


def _in_program() -> pl.Expr:
    return (pl.col("program") == PROGRAM) & pl.col("rules_version").is_not_null()


# -- rules ------------------------------------------------------------------------------------------------

STAY_TEXT_EN = "Any stay in Quebec had {ai_it_vfx.stay_purposes} as its main purpose."
STAY_TEXT_FR = "Le cas échéant, le séjour au Québec avait pour but principal : {ai_it_vfx.stay_purposes}."
STAY_DETAIL_EN = "main purpose of the stay in Quebec: {quebec_stay_purpose|no stay}"
STAY_DETAIL_FR = "but principal du séjour au Québec : {quebec_stay_purpose|aucun séjour}"


def stay_purpose_accepted(p: Parameters) -> pl.Expr:
    """No stay in Quebec, or one whose main purpose is accepted (art. 7 1°, art. 10 1°)."""
    purpose = pl.col("quebec_stay_purpose")
    return purpose.is_null() | p.isin(purpose, "ai_it_vfx.stay_purposes")


# art. 8 / art. 11: an accompanying spouse with an open work permit is not held to the stay condition
NOT_OPEN_PERMIT_SPOUSE = ~pl.col("spouse_open_work_permit")

AI_FW_STAY_PURPOSE = Rule(
    id="AI_FW_STAY_PURPOSE", citation="art. 7 1°, art. 8", program=PROGRAM, versions=VERSIONS,
    streams=("ai",), substreams=("foreign_worker",), text_en=STAY_TEXT_EN, text_fr=STAY_TEXT_FR,
    applies=NOT_OPEN_PERMIT_SPOUSE, condition=stay_purpose_accepted, detail_en=STAY_DETAIL_EN,
    detail_fr=STAY_DETAIL_FR,
)

AI_FW_DIPLOMA = Rule(
    id="AI_FW_DIPLOMA", citation="art. 7 2°", program=PROGRAM, versions=VERSIONS, streams=("ai",),
    substreams=("foreign_worker",),
    text_en="The applicant holds a diploma at least equivalent to a Quebec {ai_it_vfx.foreign_worker_minimum_diploma}.",
    text_fr="Le requérant est titulaire d'un diplôme correspondant minimalement à un "
            "{ai_it_vfx.foreign_worker_minimum_diploma} du Québec.",
    condition=lambda p: diploma_at_least(p, "ai_it_vfx.foreign_worker_minimum_diploma"),
    detail_en="highest diploma: {highest_diploma}", detail_fr="diplôme le plus élevé : {highest_diploma}",
)

AI_FW_EXPERIENCE = experience_rule(
    id="AI_FW_EXPERIENCE", citation="art. 7 3°, art. 7 last paragraph, art. 7.1", program=PROGRAM, versions=VERSIONS,
    streams=("ai",), substreams=("foreign_worker",),
    text_en="At least {ai_it_vfx.experience_months} months of full-time experience in FEER {ai_it_vfx.qualifying_teer} "
            "(2021: skill level {ai_it_vfx.qualifying_skill_levels}) occupations within the "
            "{ai_it_vfx.experience_window_months} months preceding the application, outside the ineligible sectors "
            "(none required with a Quebec {ai_it_vfx.experience_exemption_diplomas} obtained within the "
            "{ai_it_vfx.experience_exemption_months} months preceding it).",
    text_fr="Au moins {ai_it_vfx.experience_months} mois d'expérience à temps plein dans un emploi de catégorie FEER "
            "{ai_it_vfx.qualifying_teer} (2021 : niveau {ai_it_vfx.qualifying_skill_levels}) au cours des "
            "{ai_it_vfx.experience_window_months} mois précédant la demande, hors des secteurs inadmissibles (aucune "
            "avec une {ai_it_vfx.experience_exemption_diplomas} du Québec obtenue dans les "
            "{ai_it_vfx.experience_exemption_months} mois la précédant).",
    applies=lambda p: ~fw_experience_exempt(p),
    # an exemption that cannot be decided (no diploma date) leaves a shortfall unknown, not failed
    condition=lambda p: enough("ai_fw_experience", p.months_to_days("ai_it_vfx.experience_months"))
    | pl.when(fw_experience_exempt(p).is_null()).then(pl.lit(None, pl.Boolean)).otherwise(pl.lit(False)),
    figures=lambda p: {"ai_fw_experience_exempt": fw_experience_exempt(p)},
    experiences=[Experience(
        "ai_fw_experience", "ai_it_vfx.experience_months",
        scope=lambda p: _in_program() & (pl.col("substream") == "foreign_worker"),
        window_from=lambda p: p.months_before(D, "ai_it_vfx.experience_window_months"),
        window_to=lambda p: D.dt.offset_by("-1d"),
        qualifies=lambda p: spell_qualifies(p) & spell_feer_0_1_2(p),
        words_en="qualifying experience", words_fr="expérience admissible")],
)

AI_JOB_TEXT_EN = ("Holds or accepted a full-time job in Quebec in artificial intelligence matching the skills profile, "
                  "outside the ineligible sectors (2023: not for an employer the applicant controls).")
AI_JOB_TEXT_FR = ("Occupe ou a accepté un emploi à temps plein au Québec dans le secteur de l'intelligence "
                  "artificielle, correspondant à son profil de compétences, hors des secteurs inadmissibles (2023 : "
                  "pas pour une entreprise qu'il contrôle).")

AI_FW_JOB = Rule(
    id="AI_FW_JOB", citation="art. 7 4° a)", program=PROGRAM, versions=VERSIONS, streams=("ai",),
    substreams=("foreign_worker",), text_en=AI_JOB_TEXT_EN, text_fr=AI_JOB_TEXT_FR, condition=ai_job,
    detail_en=JOB_DETAIL_EN, detail_fr=JOB_DETAIL_FR,
)

_in_cmm = pl.col("employer_in_cmm")
AI_FW_SALARY = Rule(
    id="AI_FW_SALARY", citation="art. 7 4° b)", program=PROGRAM, versions=VERSIONS, streams=("ai",),
    substreams=("foreign_worker",),
    text_en="Gross annual salary of at least {ai_it_vfx.salary_minimum_in_cmm} in the Montreal Metropolitan Community, "
            "{ai_it_vfx.salary_minimum_elsewhere} elsewhere.",
    text_fr="Salaire annuel brut d'au moins {ai_it_vfx.salary_minimum_in_cmm} sur le territoire de la Communauté "
            "métropolitaine de Montréal, {ai_it_vfx.salary_minimum_elsewhere} ailleurs.",
    reads=("general.weeks_per_year",),  # the annual salary from an hourly wage (transforms.wages.annual_salary)
    # the CMM matters only between the two thresholds: unknown only there
    condition=money_ge(pl.col("annual_salary_cad"), pl.col("ai_fw_salary_cmm_min_cad"))
    | (money_ge(pl.col("annual_salary_cad"), pl.col("ai_fw_salary_elsewhere_min_cad")) & ~_in_cmm),
    figures=lambda p: {
        "annual_salary_cad": pl.col("annual_salary_cad"), "employer_in_cmm": _in_cmm,
        "ai_fw_salary_cmm_min_cad": p.value("ai_it_vfx.salary_minimum_in_cmm", pl.Float64),
        "ai_fw_salary_elsewhere_min_cad": p.value("ai_it_vfx.salary_minimum_elsewhere", pl.Float64),
        "ai_fw_salary_required_cad": pl.when(_in_cmm).then(p.value("ai_it_vfx.salary_minimum_in_cmm", pl.Float64))
        .when(~_in_cmm).then(p.value("ai_it_vfx.salary_minimum_elsewhere", pl.Float64)),
    },
    detail_fr="salaire annuel {annual_salary_cad}; municipalité de l'employeur "
              "{employer_municipality_code|non fournie}, dans la CMM : {employer_in_cmm}; requis "
              "{if employer_in_cmm is unknown:{ai_fw_salary_cmm_min_cad} dans la CMM, {ai_fw_salary_elsewhere_min_cad} "
              "ailleurs}{else:{ai_fw_salary_required_cad}}",
    detail_en="annual salary {annual_salary_cad}; employer municipality {employer_municipality_code|not given}, in "
              "the CMM: {employer_in_cmm}; required {if employer_in_cmm is unknown:{ai_fw_salary_cmm_min_cad} in the "
              "CMM, {ai_fw_salary_elsewhere_min_cad} elsewhere}{else:{ai_fw_salary_required_cad}}",
)

AI_QG_STUDY_STAY = Rule(
    id="AI_QG_STUDY_STAY", citation="art. 9 1°", program=PROGRAM, versions=VERSIONS, streams=("ai",),
    substreams=("quebec_graduate",),
    text_en="Stayed in Quebec mainly to study for at least half of the program of study.",
    text_fr="A séjourné au Québec dans le but principal d'y étudier pendant au moins la moitié de la durée de son "
            "programme.",
    condition=pl.col("half_program_in_quebec"),
    detail_fr="moitié du programme au Québec : {half_program_in_quebec}",
    detail_en="half of the program in Quebec: {half_program_in_quebec}",
)

AI_QG_SCHOLARSHIP = Rule(
    id="AI_QG_SCHOLARSHIP", citation="art. 9 2°", program=PROGRAM, versions=VERSIONS, streams=("ai",),
    substreams=("quebec_graduate",),
    text_en="No scholarship with a return-to-country condition, or the condition was fulfilled.",
    text_fr="N'est pas titulaire d'une bourse imposant un retour dans son pays, ou s'est conformé à cette condition.",
    condition=lambda p: p.isin(pl.col("return_scholarship"), "ai_it_vfx.graduate_scholarships"),
    detail_fr="bourse avec obligation de retour : {return_scholarship}",
    detail_en="return scholarship: {return_scholarship}",
)

AI_QG_DIPLOMA = Rule(
    id="AI_QG_DIPLOMA", citation="art. 9 3°", program=PROGRAM, versions=VERSIONS, streams=("ai",),
    substreams=("quebec_graduate",),
    text_en="A {ai_it_vfx.graduate_diplomas} from a Quebec institution obtained within the "
            "{ai_it_vfx.graduate_diploma_months} months preceding the application.",
    text_fr="Un diplôme ({ai_it_vfx.graduate_diplomas}) d'un établissement québécois obtenu dans les "
            "{ai_it_vfx.graduate_diploma_months} mois précédant la demande.",
    # the rule book says D - 24 months <= obtained <= D (D included)
    condition=lambda p: pl.col("diploma_from_quebec") & p.isin(pl.col("highest_diploma"), "ai_it_vfx.graduate_diplomas")
    & within_months_before(p, pl.col("diploma_obtained_on"), "ai_it_vfx.graduate_diploma_months", include_d=True),
    figures=lambda p: {"ai_qg_diploma_from": p.months_before(D, "ai_it_vfx.graduate_diploma_months"),
                       "ai_qg_diploma_to": D},
    detail_fr="{highest_diploma} du Québec : {diploma_from_quebec}, obtenu le {diploma_obtained_on|non fournie} "
              "(accepté du {ai_qg_diploma_from} au {ai_qg_diploma_to})",
    detail_en="{highest_diploma} from Quebec {diploma_from_quebec}, obtained on {diploma_obtained_on|not given} (from "
              "{ai_qg_diploma_from} to {ai_qg_diploma_to} accepted)",
)

AI_QG_DESS_EXPERIENCE = experience_rule(
    id="AI_QG_DESS_EXPERIENCE", citation="art. 9 4°", program=PROGRAM, versions=VERSIONS, streams=("ai",),
    substreams=("quebec_graduate",),
    text_en="With a DESS: at least {ai_it_vfx.dess_experience_months} months of full-time FEER "
            "{ai_it_vfx.qualifying_teer} (2021: skill level {ai_it_vfx.qualifying_skill_levels}) experience in Quebec "
            "during the {ai_it_vfx.dess_experience_window_months} months following the end of the program.",
    text_fr="Avec un DESS : au moins {ai_it_vfx.dess_experience_months} mois d'expérience à temps plein au Québec, de "
            "catégorie FEER {ai_it_vfx.qualifying_teer} (2021 : niveau {ai_it_vfx.qualifying_skill_levels}), au cours "
            "des {ai_it_vfx.dess_experience_window_months} mois suivant la fin du programme d'études.",
    applies=pl.col("highest_diploma") == "dess",
    experiences=[Experience(
        "ai_qg_dess_experience", "ai_it_vfx.dess_experience_months",
        scope=lambda p: _in_program() & (pl.col("substream") == "quebec_graduate")
        & (pl.col("highest_diploma") == "dess"),
        # art. 9 4°: the months following the end of the program: E+1 .. E+N months, and before D
        window_from=lambda p: pl.col("diploma_program_end_on").dt.offset_by("1d"),
        window_to=lambda p: pl.min_horizontal(p.months_after(pl.col("diploma_program_end_on"),
                                                             "ai_it_vfx.dess_experience_window_months"),
                                              D.dt.offset_by("-1d")),
        qualifies=lambda p: pl.col("full_time") & ~pl.col("ineligible_sector") & pl.col("in_quebec")
        & spell_feer_0_1_2(p) & not_controlled_where_excluded(p, pl.col("employer_controlled_by_applicant")),
        words_en="experience in Quebec after the program", words_fr="expérience au Québec après le programme")],
)

AI_QG_JOB = Rule(
    id="AI_QG_JOB", citation="art. 9 5°", program=PROGRAM, versions=VERSIONS, streams=("ai",),
    substreams=("quebec_graduate",), text_en=AI_JOB_TEXT_EN, text_fr=AI_JOB_TEXT_FR, condition=ai_job,
    detail_en=JOB_DETAIL_EN, detail_fr=JOB_DETAIL_FR,
)

ITV_STAY_PURPOSE = Rule(
    id="ITV_STAY_PURPOSE", citation="art. 10 1°, art. 11", program=PROGRAM, versions=VERSIONS, streams=("it_vfx",),
    text_en=STAY_TEXT_EN, text_fr=STAY_TEXT_FR, applies=NOT_OPEN_PERMIT_SPOUSE, condition=stay_purpose_accepted,
    detail_en=STAY_DETAIL_EN, detail_fr=STAY_DETAIL_FR,
)

ITV_DIPLOMA = Rule(
    id="ITV_DIPLOMA", citation="art. 10 2°", program=PROGRAM, versions=VERSIONS, streams=("it_vfx",),
    text_en="A Quebec {ai_it_vfx.itv_diplomas} or at least a {ai_it_vfx.itv_minimum_diploma}.",
    text_fr="Un {ai_it_vfx.itv_diplomas} du Québec ou au moins un {ai_it_vfx.itv_minimum_diploma}.",
    condition=lambda p: p.isin(pl.col("highest_diploma"), "ai_it_vfx.itv_diplomas")
    | diploma_at_least(p, "ai_it_vfx.itv_minimum_diploma"),
    detail_en="highest diploma: {highest_diploma}", detail_fr="diplôme le plus élevé : {highest_diploma}",
)

ITV_EXPERIENCE = experience_rule(
    id="ITV_EXPERIENCE", citation="art. 10 3°, art. 10.1", program=PROGRAM, versions=VERSIONS, streams=("it_vfx",),
    text_en="At least {ai_it_vfx.experience_months} months of full-time experience in eligible occupations within the "
            "{ai_it_vfx.experience_window_months} months preceding the application.",
    text_fr="Au moins {ai_it_vfx.experience_months} mois d'expérience à temps plein dans un emploi admissible au cours "
            "des {ai_it_vfx.experience_window_months} mois précédant la demande.",
    experiences=[Experience(
        "itv_experience", "ai_it_vfx.experience_months", scope=lambda p: _in_program() & (pl.col("stream") == "it_vfx"),
        window_from=lambda p: p.months_before(D, "ai_it_vfx.experience_window_months"),
        window_to=lambda p: D.dt.offset_by("-1d"),
        qualifies=lambda p: spell_qualifies(p) & spell_itv_occupation(p),
        words_en="experience in eligible occupations", words_fr="expérience dans des professions admissibles")],
)

ITV_JOB = Rule(
    id="ITV_JOB", citation="art. 10 4°, art. 12", program=PROGRAM, versions=VERSIONS, streams=("it_vfx",),
    text_en="Holds or accepted a full-time job in Quebec in an eligible occupation (with its sector condition), "
            "outside the ineligible sectors (2023: not for an employer the applicant controls).",
    text_fr="Occupe ou a accepté un emploi admissible à temps plein au Québec (avec sa condition de secteur), hors "
            "des secteurs inadmissibles (2023 : pas pour une entreprise qu'il contrôle).",
    condition=lambda p: p.isin(pl.col("job_status"), "ai_it_vfx.job_statuses") & pl.col("job_full_time")
    & pl.col("job_in_quebec") & job_itv_occupation(p) & ~pl.col("job_ineligible_sector")
    & not_controlled_where_excluded(p, pl.col("employer_controlled_by_applicant")),
    detail_en=JOB_DETAIL_EN, detail_fr=JOB_DETAIL_FR,
)

ITV_WAGE_ABOVE_D9 = Rule(
    id="ITV_WAGE_ABOVE_D9", citation="art. 10 4°", program=PROGRAM, versions=VERSIONS, streams=("it_vfx",),
    text_en="The hourly wage is above the mean 9th decile of the occupation's hourly wage over the last "
            "{ai_it_vfx.wage_years} available years.",
    text_fr="Le salaire horaire est supérieur au neuvième décile de la moyenne du salaire horaire des "
            "{ai_it_vfx.wage_years} dernières années disponibles.",
    # the verdict per NOC 2021 code the job stands for: transforms.wages.itv_wage_above_d9
    reads=("ai_it_vfx.wage_years", "ai_it_vfx.wage_region", "general.weeks_per_year"),
    applies=pl.col("job_status") != "none",  # rules.md §4: not_applicable without a job held or accepted
    condition=pl.col("itv_wage_above_d9"),
    figures=lambda p: {
        "hourly_wage_cad": pl.col("hourly_wage_cad"), "itv_wage_threshold_cad": pl.col("itv_wage_threshold_cad"),
        "itv_wage_reference_years": pl.col("itv_wage_reference_years"),
        "itv_wage_years_required": pl.lit(p.only("ai_it_vfx.wage_years"), pl.Int16)},
    # one line per NOC 2021 code the job stands for, from `wage_checks` (source `itv_wage_lines` below)
    detail_fr="{if itv_wage_lines.lines_fr is unknown:aucun emploi avec un code de profession : aucun salaire à "
              "comparer}{else:salaire horaire {hourly_wage_cad:4}; {itv_wage_lines.lines_fr}}",
    detail_en="{if itv_wage_lines.lines is unknown:no job with an occupation code: no wage to compare}{else:hourly "
              "wage {hourly_wage_cad:4}; {itv_wage_lines.lines}}",
)

# The wording of ITV_WAGE_ABOVE_D9's figures, per NOC 2021 code the job stands for (one row per application).
DETAIL_SOURCES = {"itv_wage_lines": """
    SELECT w.evaluation_id, string_agg(CASE
        WHEN w.noc2021_code IS NULL THEN format('code {} has no NOC 2021 equivalent', w.noc_code)
        WHEN w.threshold_hourly_cad IS NULL THEN format('NOC {}: {} of {} reference years published by {}',
            w.noc2021_code, coalesce(len(w.reference_years), 0), x.itv_wage_years_required, x.submitted_on)
        ELSE format('NOC {}: threshold {} (mean 9th decile of {})', w.noc2021_code,
            qc_money_en_places(w.threshold_hourly_cad, 4), array_to_string(w.reference_years, ', '))
        END, '; ' ORDER BY w.noc2021_code NULLS FIRST) AS lines,
        string_agg(CASE
        WHEN w.noc2021_code IS NULL THEN format('le code {} n''a pas d''équivalent CNP 2021', w.noc_code)
        WHEN w.threshold_hourly_cad IS NULL THEN format('CNP {} : {} des {} années de référence publiées au {}',
            w.noc2021_code, coalesce(len(w.reference_years), 0), x.itv_wage_years_required, x.submitted_on)
        ELSE format('CNP {} : seuil {} (moyenne du 9e décile de {})', w.noc2021_code,
            qc_money_fr_places(w.threshold_hourly_cad, 4), array_to_string(w.reference_years, ', '))
        END, '; ' ORDER BY w.noc2021_code NULLS FIRST) AS lines_fr
    FROM evaluation_wages w JOIN evaluations x USING (evaluation_id)
    WHERE x.stream = 'it_vfx'
    GROUP BY w.evaluation_id"""}

RULES = [
    AI_FW_STAY_PURPOSE, AI_FW_DIPLOMA, AI_FW_EXPERIENCE, AI_FW_JOB, AI_FW_SALARY,
    AI_QG_STUDY_STAY, AI_QG_SCHOLARSHIP, AI_QG_DIPLOMA, AI_QG_DESS_EXPERIENCE, AI_QG_JOB,
    ITV_STAY_PURPOSE, ITV_DIPLOMA, ITV_EXPERIENCE, ITV_JOB, ITV_WAGE_ABOVE_D9,
]
