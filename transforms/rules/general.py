"""General rules, every program (spec/rules.md §4 "General")."""

from __future__ import annotations

import polars as pl

from transforms.engine import Rule
from transforms.interpretation import FRENCH_ORAL_MIN, MIN_AGE, money_ge
from transforms.rules.common import D, money, text

GEN_PROGRAM_IN_FORCE = Rule(
    id="GEN_PROGRAM_IN_FORCE",
    citation="art. 14; seed 002",
    text_en="The application was submitted while a version of the program was in force.",
    text_fr="La demande a été présentée pendant qu'une version du programme était en vigueur.",
    condition=pl.col("rules_version").is_not_null(),
    detail=pl.format(
        "submitted on {} (local date); rules version {}", D, pl.col("rules_version").fill_null("none in force")
    ),
)

def age_on_d() -> pl.Expr:
    """§2 Age on D in whole years: an age is reached at the start of the anniversary day, and a common year has no
    29 February (born on 29 February: the birthday is 1 March). Int32 arithmetic: month * 100 + day does not fit in
    the Int8 that polars gives a month."""
    born = pl.col("birth_date")
    day_of_year = lambda d: d.dt.month().cast(pl.Int32) * 100 + d.dt.day().cast(pl.Int32)  # noqa: E731
    return (D.dt.year().cast(pl.Int32) - born.dt.year().cast(pl.Int32)
            - (day_of_year(D) < day_of_year(born)).cast(pl.Int32))


GEN_AGE_18 = Rule(
    id="GEN_AGE_18",
    citation="seed 002 (general requirements of all three programs)",
    text_en="The applicant is 18 or older on the date of submission.",
    text_fr="Le requérant a 18 ans ou plus à la date de présentation de la demande.",
    # the 18th birthday on D counts; the figure the letter prints is the one the rule compares
    condition=age_on_d() >= MIN_AGE,
    detail=pl.format("age on {}: {} years ({} required)", D, age_on_d(), pl.lit(MIN_AGE)),
)

GEN_FRENCH_ORAL_7 = Rule(
    id="GEN_FRENCH_ORAL_7",
    citation="art. 6 2°; seed 002",
    text_en="Francophone profile: oral French at level 7 or higher on the Échelle québécoise.",
    text_fr="Profil Francophone : connaissance du français à l'oral de niveau 7 ou plus selon l'Échelle québécoise.",
    applies=pl.col("profile") == "francophone",
    condition=pl.col("french_oral_level") >= FRENCH_ORAL_MIN,
    detail=pl.format(
        "oral French level {} ({} required)", text(pl.col("french_oral_level")),
        pl.lit(FRENCH_ORAL_MIN),
    ),
)

GEN_FRANCISATION_AGREEMENT = Rule(
    id="GEN_FRANCISATION_AGREEMENT",
    citation="seed 001 (Francization profile)",
    text_en="Francisation profile: a francisation agreement is signed.",
    text_fr="Profil Francisation : une entente de francisation est signée.",
    applies=pl.col("profile") == "francisation",
    condition=pl.col("francisation_agreement_signed"),
    detail=pl.format(
        "francisation agreement signed: {}", text(pl.col("francisation_agreement_signed"))
    ),
)

GEN_SELF_SUFFICIENCY = Rule(
    id="GEN_SELF_SUFFICIENCY",
    citation="art. 6 3°; seed 002",
    text_en="A self-sufficiency contract is signed and the funds available reach the amount of the scale (Annex C RIQ).",
    text_fr="Un contrat d'autonomie financière est signé et les ressources financières atteignent le montant du barème (annexe C du RIQ).",
    condition=pl.col("self_sufficiency_contract_signed")
    & money_ge(pl.col("funds_available_cad"), pl.col("self_sufficiency_amount_cad")),
    detail=pl.format(
        "contract signed: {}; funds available {} CAD; amount required {} CAD (scale year {}; {} adult(s), {} child(ren) under 18, {} child(ren) 18+)",
        pl.col("self_sufficiency_contract_signed"),
        money(pl.col("funds_available_cad")),
        money(pl.col("self_sufficiency_amount_cad")),
        text(pl.col("scale_year"), "none"),
        pl.col("adults_in_family"), pl.col("children_under_18"), pl.col("children_18_plus"),
    ),
)

GEN_STAY_CONDITIONS = Rule(
    id="GEN_STAY_CONDITIONS",
    citation='seed 002 ("have met the requirements to stay in Quebec, if any")',
    text_en="The applicant met the conditions of any stay in Quebec.",
    text_fr="Le requérant a respecté les conditions de son séjour au Québec, le cas échéant.",
    condition=pl.col("stay_conditions_met").fill_null(True),
    detail=pl.format(
        "stay conditions met: {}", text(pl.col("stay_conditions_met"), "no stay in Quebec")
    ),
)

GEN_INTENT_TO_SETTLE = Rule(
    id="GEN_INTENT_TO_SETTLE",
    citation="seed 002",
    text_en="The applicant intends to settle in Quebec.",
    text_fr="Le requérant a l'intention de s'établir au Québec.",
    condition=pl.col("intends_to_settle_in_quebec"),
    detail=pl.format("intends to settle in Quebec: {}", pl.col("intends_to_settle_in_quebec")),
)

RULES = [
    GEN_PROGRAM_IN_FORCE, GEN_AGE_18, GEN_FRENCH_ORAL_7, GEN_FRANCISATION_AGREEMENT,
    GEN_SELF_SUFFICIENCY, GEN_STAY_CONDITIONS, GEN_INTENT_TO_SETTLE,
]
