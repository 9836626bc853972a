"""General rules, every program (spec/rules.md §4 "General")."""

from __future__ import annotations

import polars as pl

from transforms.engine import Rule
from transforms.interpretation import FRENCH_ORAL_MIN, MIN_AGE, money_ge
from transforms.rules.common import D

GEN_PROGRAM_IN_FORCE = Rule(
    id="GEN_PROGRAM_IN_FORCE",
    citation="art. 14; seed 002",
    text_en="The application was submitted while a version of the program was in force.",
    text_fr="La demande a été présentée pendant qu'une version du programme était en vigueur.",
    condition=pl.col("rules_version").is_not_null(),
    detail="format('submitted on {} (local date); rules version {}', p.submitted_on, "
           "qc_text(p.rules_version, 'none in force'))",
)


def age_on_d() -> pl.Expr:
    """§2 Age on D in whole years: an age is reached at the start of the anniversary day, and a common year has no
    29 February (born on 29 February: the birthday is 1 March). Int32 arithmetic: month * 100 + day does not fit in
    the Int8 that polars gives a month."""
    born = pl.col("birth_date")
    day_of_year = lambda d: d.dt.month().cast(pl.Int32) * 100 + d.dt.day().cast(pl.Int32)  # noqa: E731
    return (D.dt.year().cast(pl.Int32) - born.dt.year().cast(pl.Int32)
            - (day_of_year(D) < day_of_year(born)).cast(pl.Int32)).cast(pl.Int16)


GEN_AGE_18 = Rule(
    id="GEN_AGE_18",
    citation="seed 002 (general requirements of all three programs)",
    text_en="The applicant is 18 or older on the date of submission.",
    text_fr="Le requérant a 18 ans ou plus à la date de présentation de la demande.",
    # the 18th birthday on D counts; the figure the letter prints is the one the rule compares
    condition=pl.col("age_on_d") >= pl.col("age_required"),
    figures={"age_on_d": age_on_d(), "age_required": pl.lit(MIN_AGE, pl.Int16)},
    detail="format('age on {}: {} years ({} required)', p.submitted_on, a.age_on_d, a.age_required)",
)

GEN_FRENCH_ORAL_7 = Rule(
    id="GEN_FRENCH_ORAL_7",
    citation="art. 6 2°; seed 002",
    text_en="Francophone profile: oral French at level 7 or higher on the Échelle québécoise.",
    text_fr="Profil Francophone : connaissance du français à l'oral de niveau 7 ou plus selon l'Échelle québécoise.",
    applies=pl.col("profile") == "francophone",
    condition=pl.col("french_oral_level") >= pl.col("french_oral_required"),
    figures={"french_oral_required": pl.lit(FRENCH_ORAL_MIN, pl.Int16)},
    detail="format('oral French level {} ({} required)', qc_text(p.french_oral_level, 'not given'), "
           "a.french_oral_required)",
)

GEN_FRANCISATION_AGREEMENT = Rule(
    id="GEN_FRANCISATION_AGREEMENT",
    citation="seed 001 (Francization profile)",
    text_en="Francisation profile: a francisation agreement is signed.",
    text_fr="Profil Francisation : une entente de francisation est signée.",
    applies=pl.col("profile") == "francisation",
    condition=pl.col("francisation_agreement_signed"),
    detail="format('francisation agreement signed: {}', qc_text(p.francisation_agreement_signed, 'not given'))",
)

GEN_SELF_SUFFICIENCY = Rule(
    id="GEN_SELF_SUFFICIENCY",
    citation="art. 6 3°; seed 002",
    text_en="A self-sufficiency contract is signed and the funds available reach the amount of the scale (Annex C RIQ).",
    text_fr="Un contrat d'autonomie financière est signé et les ressources financières atteignent le montant du barème (annexe C du RIQ).",
    condition=pl.col("self_sufficiency_contract_signed")
    & money_ge(pl.col("funds_available_cad"), pl.col("self_sufficiency_required_cad")),
    figures={"self_sufficiency_required_cad": pl.col("self_sufficiency_required_cad"),
             "self_sufficiency_scale_year": pl.col("self_sufficiency_scale_year")},
    detail="format('contract signed: {}; funds available {} CAD; amount required {} CAD (scale year {}; {} adult(s), "
           "{} child(ren) under 18, {} child(ren) 18+)', p.self_sufficiency_contract_signed, "
           "qc_money(p.funds_available_cad), qc_money(a.self_sufficiency_required_cad), "
           "qc_text(a.self_sufficiency_scale_year, 'none'), p.adults_in_family, p.children_under_18, "
           "p.children_18_plus)",
)

GEN_STAY_CONDITIONS = Rule(
    id="GEN_STAY_CONDITIONS",
    citation='seed 002 ("have met the requirements to stay in Quebec, if any")',
    text_en="The applicant met the conditions of any stay in Quebec.",
    text_fr="Le requérant a respecté les conditions de son séjour au Québec, le cas échéant.",
    condition=pl.col("stay_conditions_met").fill_null(True),
    detail="format('stay conditions met: {}', qc_text(p.stay_conditions_met, 'no stay in Quebec'))",
)

GEN_INTENT_TO_SETTLE = Rule(
    id="GEN_INTENT_TO_SETTLE",
    citation="seed 002",
    text_en="The applicant intends to settle in Quebec.",
    text_fr="Le requérant a l'intention de s'établir au Québec.",
    condition=pl.col("intends_to_settle_in_quebec"),
    detail="format('intends to settle in Quebec: {}', p.intends_to_settle_in_quebec)",
)

RULES = [
    GEN_PROGRAM_IN_FORCE, GEN_AGE_18, GEN_FRENCH_ORAL_7, GEN_FRANCISATION_AGREEMENT,
    GEN_SELF_SUFFICIENCY, GEN_STAY_CONDITIONS, GEN_INTENT_TO_SETTLE,
]
