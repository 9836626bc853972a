"""Program `ai_it_vfx` (A.M. 2021-002 as amended by A.M. 2023-002): streams `ai` (foreign_worker,
quebec_graduate) and `it_vfx`, versions 2021 (NOC 2016 skill levels, seeds' occupation list) and 2023 (FEER/TEER,
art. 12 list, employer-control conditions). spec/rules.md §4.
"""

from __future__ import annotations

import polars as pl

from transforms import experience
from transforms.engine import Rule
from transforms.experience import Measure, enough
from transforms.interpretation import (
    SALARY_MIN_IN_CMM,
    SALARY_MIN_OUTSIDE_CMM,
    WAGE_YEARS,
    money_ge,
    months_after,
    months_before,
    months_to_days,
)
from transforms.noc import list_match, skill_level_0ab
from transforms.rules.common import (
    JOB_DETAIL,
    V2023,
    D,
    diploma_at_least,
    job_held_or_accepted,
    not_controlled_in_2023,
    within_months_before,
)

PROGRAM = "ai_it_vfx"

# art. 12 (A.M. 2023-002), NOC 2021: † visual-effects sector only, ‡ only when linked to IT or visual effects.
ITV_OCCUPATIONS_2023 = {
    "21223": "any", "21233": "any", "52120": "vfx", "21232": "any", "21230": "any", "21234": "any",
    "20012": "any", "21231": "any", "21310": "any", "51120": "vfx", "41200": "it_vfx", "21211": "any",
    "21220": "any", "21222": "any", "21221": "any", "52113": "vfx", "52111": "vfx", "22220": "any", "22310": "any",
}
# Version 2021 (seeds 000, 001), NOC 2016.
ITV_OCCUPATIONS_2021 = {
    "0213": "any", "2133": "any", "2171": "any", "2173": "any", "2174": "any", "2241": "any", "2281": "any",
    "5131": "vfx", "5225": "vfx", "5241": "vfx",
}

EXPERIENCE_MONTHS = 24  # art. 7 3°, art. 10 3°
EXPERIENCE_WINDOW_MONTHS = 60
DESS_EXPERIENCE_MONTHS = 6  # art. 9 4°
DESS_WINDOW_MONTHS = 12
FW_EXEMPTION_MONTHS = 12  # art. 7 last paragraph
QG_DIPLOMA_MONTHS = 24  # art. 9 3°


def code_lists(noc2021: pl.DataFrame) -> dict[str, tuple[str, dict[str, str]]]:
    """The occupation lists these rules read, by the prefix their facts get (see transforms.noc)."""
    feer012 = {c: "any" for c in noc2021.filter(pl.col("teer") <= 2).get_column("noc_code").to_list()}
    return {"teer2": ("2021", feer012), "itv23": ("2021", ITV_OCCUPATIONS_2023), "itv21": ("2016", ITV_OCCUPATIONS_2021)}


def occupation_feer012() -> pl.Expr:
    """A spell's occupation is FEER 0, 1 or 2 (version 2023) / skill level 0, A or B (version 2021), §2."""
    return pl.when(V2023).then(list_match("teer2")).otherwise(skill_level_0ab(pl.col("noc_code"), pl.col("teer")))


def itv_occupation(prefix: str, sector: pl.Expr) -> pl.Expr:
    """Eligible IT/VFX occupation with its sector condition, in the version's list (art. 12; seeds 000, 001)."""
    return pl.when(V2023).then(list_match(f"{prefix}itv23", sector)).otherwise(list_match(f"{prefix}itv21", sector))


# -- experience features ------------------------------------------------------------------------------------

_spell_ok = pl.col("full_time") & ~pl.col("ineligible_sector")
# art. 7.1 and 10.1 (2023): a job held in Quebec must not be for an employer the applicant controls
_spell_not_controlled_in_quebec = not_controlled_in_2023(pl.col("in_quebec") & pl.col("employer_controlled_by_applicant"))


def measures() -> list[Measure]:
    """The experience figures of the program's rules (transforms.experience)."""
    in_program = (pl.col("program") == PROGRAM) & pl.col("rules_version").is_not_null()
    fw = Measure("ai_fw_experience",
        scope=in_program & (pl.col("substream") == "foreign_worker"),
        window_from=months_before(D, EXPERIENCE_WINDOW_MONTHS), window_to=D.dt.offset_by("-1d"),
        qualifies=_spell_ok & occupation_feer012() & _spell_not_controlled_in_quebec,
    )
    end = pl.col("diploma_program_end_on")
    qg = Measure("ai_qg_dess_experience",
        scope=in_program & (pl.col("substream") == "quebec_graduate") & (pl.col("highest_diploma") == "dess"),
        # art. 9 4°: the 12 months following the end of the program: E+1 .. E+12 months, and before D
        window_from=end.dt.offset_by("1d"), window_to=pl.min_horizontal(months_after(end, DESS_WINDOW_MONTHS), D.dt.offset_by("-1d")),
        qualifies=_spell_ok & pl.col("in_quebec") & occupation_feer012()
        & not_controlled_in_2023(pl.col("employer_controlled_by_applicant")),
    )
    itv = Measure("itv_experience",
        scope=in_program & (pl.col("stream") == "it_vfx"),
        window_from=months_before(D, EXPERIENCE_WINDOW_MONTHS), window_to=D.dt.offset_by("-1d"),
        qualifies=_spell_ok & itv_occupation("", pl.col("sector")) & _spell_not_controlled_in_quebec,
    )
    return [fw, qg, itv]


# -- rules ------------------------------------------------------------------------------------------------

def _stay_purpose(rule_id: str, citation: str) -> Rule:
    purpose = pl.col("quebec_stay_purpose")
    return Rule(
        id=rule_id, citation=citation, program=PROGRAM,
        streams=("ai",) if rule_id.startswith("AI") else ("it_vfx",),
        substreams=("foreign_worker",) if rule_id.startswith("AI") else None,
        text_en="Any stay in Quebec had work or a youth exchange program as its main purpose.",
        text_fr="Le cas échéant, le séjour au Québec avait pour but principal d'y travailler ou de participer à un programme d'échange jeunesse.",
        applies=~pl.col("spouse_open_work_permit"),  # art. 8 / art. 11: accompanying spouse with an open work permit
        condition=purpose.is_null() | purpose.is_in(["work", "youth_exchange"]),
        detail="format('main purpose of the stay in Quebec: {}', qc_text(p.quebec_stay_purpose, 'no stay'))",
    )


_ai_job = (
    job_held_or_accepted() & pl.col("job_full_time") & pl.col("job_in_quebec") & (pl.col("job_sector") == "ai")
    & pl.col("skills_match_job") & ~pl.col("job_ineligible_sector")
    & not_controlled_in_2023(pl.col("employer_controlled_by_applicant"))
)

AI_FW_STAY_PURPOSE = _stay_purpose("AI_FW_STAY_PURPOSE", "art. 7 1°, art. 8")

AI_FW_DIPLOMA = Rule(
    id="AI_FW_DIPLOMA", citation="art. 7 2°", program=PROGRAM, streams=("ai",), substreams=("foreign_worker",),
    text_en="The applicant holds a diploma at least equivalent to a Quebec bachelor's degree.",
    text_fr="Le requérant est titulaire d'un diplôme correspondant minimalement à un baccalauréat du Québec.",
    condition=diploma_at_least("bachelor"),
    detail="format('highest diploma: {}', p.highest_diploma)",
)

# art. 7, last paragraph: no experience required with a Quebec master's or doctorate obtained within the 12 months
# preceding D ("within the N months preceding D", §2).
_fw_exempt = (
    pl.col("highest_diploma").is_in(["master", "doctorate"]) & pl.col("diploma_from_quebec")
    & within_months_before(pl.col("diploma_obtained_on"), FW_EXEMPTION_MONTHS)
)

AI_FW_EXPERIENCE = Rule(
    id="AI_FW_EXPERIENCE", citation="art. 7 3°, art. 7 last paragraph, art. 7.1", program=PROGRAM,
    streams=("ai",), substreams=("foreign_worker",),
    text_en="At least 24 months of full-time experience in FEER 0, 1 or 2 (2021: skill level 0, A or B) occupations "
            "within the 60 months preceding the application, outside the ineligible sectors.",
    text_fr="Au moins 24 mois d'expérience à temps plein dans un emploi de catégorie FEER 0, 1 ou 2 (2021 : niveau 0, A ou B) "
            "au cours des 60 mois précédant la demande, hors des secteurs inadmissibles.",
    applies=~_fw_exempt,
    # an exemption that cannot be decided (no diploma date) leaves a shortfall unknown, not failed
    condition=enough("ai_fw_experience", months_to_days(EXPERIENCE_MONTHS))
    | pl.when(_fw_exempt.is_null()).then(pl.lit(None, pl.Boolean)).otherwise(pl.lit(False)),
    figures={**experience.figures("ai_fw_experience", months_to_days(EXPERIENCE_MONTHS)),
             "ai_fw_experience_exempt": _fw_exempt},
    detail=experience.detail("ai_fw_experience", "qualifying experience"),
)

AI_FW_JOB = Rule(
    id="AI_FW_JOB", citation="art. 7 4° a)", program=PROGRAM, streams=("ai",), substreams=("foreign_worker",),
    text_en="Holds or accepted a full-time job in Quebec in artificial intelligence matching the skills profile, outside "
            "the ineligible sectors (2023: not for an employer the applicant controls).",
    text_fr="Occupe ou a accepté un emploi à temps plein au Québec dans le secteur de l'intelligence artificielle, "
            "correspondant à son profil de compétences, hors des secteurs inadmissibles (2023 : pas pour une entreprise qu'il contrôle).",
    condition=_ai_job, detail=JOB_DETAIL,
)

_in_cmm = pl.col("employer_in_cmm")
AI_FW_SALARY = Rule(
    id="AI_FW_SALARY", citation="art. 7 4° b)", program=PROGRAM, streams=("ai",), substreams=("foreign_worker",),
    text_en="Gross annual salary of at least $100,000 in the Montreal Metropolitan Community, $75,000 elsewhere.",
    text_fr="Salaire annuel brut d'au moins 100 000 $ sur le territoire de la Communauté métropolitaine de Montréal, 75 000 $ ailleurs.",
    # the CMM matters only between the two thresholds: unknown only there
    condition=money_ge(pl.col("annual_salary_cad"), pl.col("ai_fw_salary_cmm_min_cad"))
    | (money_ge(pl.col("annual_salary_cad"), pl.col("ai_fw_salary_elsewhere_min_cad")) & ~_in_cmm),
    figures={
        "annual_salary_cad": pl.col("annual_salary_cad"), "employer_in_cmm": _in_cmm,
        "ai_fw_salary_cmm_min_cad": pl.lit(SALARY_MIN_IN_CMM), "ai_fw_salary_elsewhere_min_cad": pl.lit(SALARY_MIN_OUTSIDE_CMM),
        "ai_fw_salary_required_cad": pl.when(_in_cmm).then(pl.lit(SALARY_MIN_IN_CMM))
        .when(~_in_cmm).then(pl.lit(SALARY_MIN_OUTSIDE_CMM)),
    },
    detail="format('annual salary {} CAD; employer municipality {}, in the CMM: {}; required {} CAD', "
           "qc_money(a.annual_salary_cad), qc_text(p.employer_municipality_code, 'not given'), "
           "qc_yes_no(a.employer_in_cmm), CASE WHEN a.employer_in_cmm IS NULL THEN format('{} in the CMM, {} elsewhere', "
           "printf('%.0f', a.ai_fw_salary_cmm_min_cad), printf('%.0f', a.ai_fw_salary_elsewhere_min_cad)) "
           "ELSE printf('%.0f', a.ai_fw_salary_required_cad) END)",
)

AI_QG_STUDY_STAY = Rule(
    id="AI_QG_STUDY_STAY", citation="art. 9 1°", program=PROGRAM, streams=("ai",), substreams=("quebec_graduate",),
    text_en="Stayed in Quebec mainly to study for at least half of the program of study.",
    text_fr="A séjourné au Québec dans le but principal d'y étudier pendant au moins la moitié de la durée de son programme.",
    condition=pl.col("half_program_in_quebec"),
    detail="format('half of the program in Quebec: {}', qc_yes_no(p.half_program_in_quebec))",
)

AI_QG_SCHOLARSHIP = Rule(
    id="AI_QG_SCHOLARSHIP", citation="art. 9 2°", program=PROGRAM, streams=("ai",), substreams=("quebec_graduate",),
    text_en="No scholarship with a return-to-country condition, or the condition was fulfilled.",
    text_fr="N'est pas titulaire d'une bourse imposant un retour dans son pays, ou s'est conformé à cette condition.",
    condition=pl.col("return_scholarship").is_in(["none", "fulfilled"]),
    detail="format('return scholarship: {}', p.return_scholarship)",
)

AI_QG_DIPLOMA = Rule(
    id="AI_QG_DIPLOMA", citation="art. 9 3°", program=PROGRAM, streams=("ai",), substreams=("quebec_graduate",),
    text_en="A DESS, master's or doctorate from a Quebec institution obtained within the 24 months preceding the application.",
    text_fr="Un DESS, une maîtrise ou un doctorat d'un établissement québécois obtenu dans les 24 mois précédant la demande.",
    # the rule book says D - 24 months <= obtained <= D (D included)
    condition=pl.col("diploma_from_quebec") & pl.col("highest_diploma").is_in(["dess", "master", "doctorate"])
    & within_months_before(pl.col("diploma_obtained_on"), QG_DIPLOMA_MONTHS, include_d=True),
    figures={"ai_qg_diploma_from": months_before(D, QG_DIPLOMA_MONTHS), "ai_qg_diploma_to": D},
    detail="format('{} from Quebec {}, obtained on {} (from {} to {} accepted)', p.highest_diploma, "
           "qc_yes_no(p.diploma_from_quebec), qc_text(p.diploma_obtained_on, 'not given'), a.ai_qg_diploma_from, "
           "a.ai_qg_diploma_to)",
)

AI_QG_DESS_EXPERIENCE = Rule(
    id="AI_QG_DESS_EXPERIENCE", citation="art. 9 4°", program=PROGRAM, streams=("ai",), substreams=("quebec_graduate",),
    text_en="With a DESS: at least 6 months of full-time FEER 0, 1 or 2 (2021: skill level 0, A or B) experience in Quebec "
            "during the 12 months following the end of the program.",
    text_fr="Avec un DESS : au moins 6 mois d'expérience à temps plein au Québec, de catégorie FEER 0, 1 ou 2 (2021 : niveau 0, A ou B), "
            "au cours des 12 mois suivant la fin du programme d'études.",
    applies=pl.col("highest_diploma") == "dess",
    condition=enough("ai_qg_dess_experience", months_to_days(DESS_EXPERIENCE_MONTHS)),
    figures=experience.figures("ai_qg_dess_experience", months_to_days(DESS_EXPERIENCE_MONTHS)),
    detail=experience.detail("ai_qg_dess_experience", "experience in Quebec after the program"),
)

AI_QG_JOB = Rule(
    id="AI_QG_JOB", citation="art. 9 5°", program=PROGRAM, streams=("ai",), substreams=("quebec_graduate",),
    text_en=AI_FW_JOB.text_en, text_fr=AI_FW_JOB.text_fr, condition=_ai_job, detail=JOB_DETAIL,
)

ITV_STAY_PURPOSE = _stay_purpose("ITV_STAY_PURPOSE", "art. 10 1°, art. 11")

ITV_DIPLOMA = Rule(
    id="ITV_DIPLOMA", citation="art. 10 2°", program=PROGRAM, streams=("it_vfx",),
    text_en="A Quebec technical DEC or at least a bachelor's degree.",
    text_fr="Un diplôme d'études collégiales techniques du Québec ou au moins un baccalauréat.",
    condition=(pl.col("highest_diploma") == "college_technical") | diploma_at_least("bachelor"),
    detail="format('highest diploma: {}', p.highest_diploma)",
)

ITV_EXPERIENCE = Rule(
    id="ITV_EXPERIENCE", citation="art. 10 3°, art. 10.1", program=PROGRAM, streams=("it_vfx",),
    text_en="At least 24 months of full-time experience in eligible occupations within the 60 months preceding the application.",
    text_fr="Au moins 24 mois d'expérience à temps plein dans un emploi admissible au cours des 60 mois précédant la demande.",
    condition=enough("itv_experience", months_to_days(EXPERIENCE_MONTHS)),
    figures=experience.figures("itv_experience", months_to_days(EXPERIENCE_MONTHS)),
    detail=experience.detail("itv_experience", "experience in eligible occupations"),
)

ITV_JOB = Rule(
    id="ITV_JOB", citation="art. 10 4°, art. 12", program=PROGRAM, streams=("it_vfx",),
    text_en="Holds or accepted a full-time job in Quebec in an eligible occupation (with its sector condition), outside the "
            "ineligible sectors (2023: not for an employer the applicant controls).",
    text_fr="Occupe ou a accepté un emploi admissible à temps plein au Québec (avec sa condition de secteur), hors des secteurs "
            "inadmissibles (2023 : pas pour une entreprise qu'il contrôle).",
    condition=job_held_or_accepted() & pl.col("job_full_time") & pl.col("job_in_quebec")
    & itv_occupation("job_", pl.col("job_sector")) & ~pl.col("job_ineligible_sector")
    & not_controlled_in_2023(pl.col("employer_controlled_by_applicant")),
    detail=JOB_DETAIL,
)

ITV_WAGE_ABOVE_D9 = Rule(
    id="ITV_WAGE_ABOVE_D9", citation="art. 10 4°", program=PROGRAM, streams=("it_vfx",),
    text_en="The hourly wage is above the mean 9th decile of the occupation's hourly wage over the last 3 available years.",
    text_fr="Le salaire horaire est supérieur au neuvième décile de la moyenne du salaire horaire des 3 dernières années disponibles.",
    condition=pl.col("itv_wage_above_d9"),
    figures={"hourly_wage_cad": pl.col("hourly_wage_cad"), "itv_wage_threshold_cad": pl.col("itv_wage_threshold_cad"),
             "itv_wage_reference_years": pl.col("itv_wage_reference_years")},
    # one line per NOC 2021 code the job stands for, from `wage_checks` (source `itv_wage_lines` below)
    detail="CASE WHEN itv_wage_lines.lines IS NULL THEN 'no job with an occupation code: no wage to compare' "
           "ELSE format('hourly wage {} CAD; {}', qc_fixed(a.hourly_wage_cad, 4), itv_wage_lines.lines) END",
)

# The wording of ITV_WAGE_ABOVE_D9's figures, per NOC 2021 code the job stands for (one row per application).
DETAIL_SOURCES = {"itv_wage_lines": f"""
    SELECT w.application_id, string_agg(CASE
        WHEN w.noc2021_code IS NULL THEN format('code {{}} has no NOC 2021 equivalent', w.noc_code)
        WHEN w.threshold_hourly_cad IS NULL THEN format('NOC {{}}: {{}} of {WAGE_YEARS} reference years published by {{}}',
            w.noc2021_code, coalesce(len(w.reference_years), 0), x.submitted_on)
        ELSE format('NOC {{}}: threshold {{}} CAD (mean 9th decile of {{}})', w.noc2021_code,
            qc_fixed(w.threshold_hourly_cad, 4), array_to_string(w.reference_years, ', '))
        END, '; ' ORDER BY w.noc2021_code NULLS FIRST) AS lines
    FROM wage_checks w JOIN applications x USING (application_id)
    WHERE x.stream = 'it_vfx'
    GROUP BY w.application_id"""}

RULES = [
    AI_FW_STAY_PURPOSE, AI_FW_DIPLOMA, AI_FW_EXPERIENCE, AI_FW_JOB, AI_FW_SALARY,
    AI_QG_STUDY_STAY, AI_QG_SCHOLARSHIP, AI_QG_DIPLOMA, AI_QG_DESS_EXPERIENCE, AI_QG_JOB,
    ITV_STAY_PURPOSE, ITV_DIPLOMA, ITV_EXPERIENCE, ITV_JOB, ITV_WAGE_ABOVE_D9,
]
