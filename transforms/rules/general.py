"""General rules, every program (docs/spec/rules.md §4 "General"). Legal values: parameters `general.*`
(data/rulebook/parameters.yaml), read as `p`."""

from __future__ import annotations

import polars as pl

from transforms.engine import Rule
from transforms.interpretation import age_on_d, money_ge

GEN_PROGRAM_IN_FORCE = Rule(
    id="GEN_PROGRAM_IN_FORCE",
    citation="art. 14; seed 002",
    text_en="The application was submitted while a version of the program was in force.",
    text_fr="La demande a été présentée pendant qu'une version du programme était en vigueur.",
    reads=("general.program_versions",),  # transforms.context.rules_version
    condition=pl.col("rules_version").is_not_null(),
    detail_fr="présentée le {submitted_on} (date locale); version des règles {rules_version|aucune en vigueur}",
    detail_en="submitted on {submitted_on} (local date); rules version {rules_version|none in force}",
)


GEN_AGE_18 = Rule(
    id="GEN_AGE_18",
    citation="seed 002 (general requirements of all three programs)",
    text_en="The applicant is {general.minimum_age} or older on the date of submission.",
    text_fr="Le requérant a {general.minimum_age} ans ou plus à la date de présentation de la demande.",
    # the birthday on D counts; the figure the letter prints is the one the rule compares
    condition=pl.col("age_on_d") >= pl.col("age_required"),
    figures=lambda p: {"age_on_d": age_on_d(), "age_required": p.value("general.minimum_age", pl.Int16)},
    detail_fr="âge le {submitted_on} : {age_on_d} ans ({age_required} requis)",
    detail_en="age on {submitted_on}: {age_on_d} years ({age_required} required)",
)

GEN_FRENCH_ORAL_7 = Rule(
    id="GEN_FRENCH_ORAL_7",
    citation="art. 6 2°; seed 002",
    text_en="Francophone profile: oral French at level {general.french_oral_minimum_level} or higher on the "
            "Échelle québécoise.",
    text_fr="Profil Francophone : connaissance du français à l'oral de niveau {general.french_oral_minimum_level} "
            "ou plus selon l'Échelle québécoise.",
    applies=pl.col("profile") == "francophone",
    condition=pl.col("french_oral_level") >= pl.col("french_oral_required"),
    figures=lambda p: {"french_oral_required": p.value("general.french_oral_minimum_level", pl.Int16)},
    detail_fr="niveau de français oral {french_oral_level|non fourni} ({french_oral_required} requis)",
    detail_en="oral French level {french_oral_level|not given} ({french_oral_required} required)",
)

GEN_FRANCISATION_AGREEMENT = Rule(
    id="GEN_FRANCISATION_AGREEMENT",
    citation="seed 001 (Francization profile)",
    text_en="Francisation profile: a francisation agreement is signed.",
    text_fr="Profil Francisation : une entente de francisation est signée.",
    applies=pl.col("profile") == "francisation",
    condition=pl.col("francisation_agreement_signed"),
    detail_fr="entente de francisation signée : {francisation_agreement_signed|non fournie}",
    detail_en="francisation agreement signed: {francisation_agreement_signed|not given}",
)

GEN_SELF_SUFFICIENCY = Rule(
    id="GEN_SELF_SUFFICIENCY",
    citation="art. 6 3°; seed 002",
    text_en="A self-sufficiency contract is signed and the funds available reach the amount of the scale "
            "(Annex C RIQ).",
    text_fr="Un contrat d'autonomie financière est signé et les ressources financières atteignent le montant du "
            "barème (annexe C du RIQ).",
    condition=pl.col("self_sufficiency_contract_signed")
    & money_ge(pl.col("funds_available_cad"), pl.col("self_sufficiency_required_cad")),
    reads=("general.scale_maximum_adults", "general.scale_maximum_children"),  # transforms.context
    figures={"self_sufficiency_required_cad": pl.col("self_sufficiency_required_cad"),
             "self_sufficiency_scale_year": pl.col("self_sufficiency_scale_year")},
    detail_fr="contrat signé : {self_sufficiency_contract_signed}; ressources disponibles {funds_available_cad}; "
              "montant requis {self_sufficiency_required_cad} (barème {self_sufficiency_scale_year|aucun}; "
              "{adults_in_family} adulte(s), {children_under_18} enfant(s) de moins de 18 ans, {children_18_plus} "
              "enfant(s) de 18 ans ou plus)",
    detail_en="contract signed: {self_sufficiency_contract_signed}; funds available {funds_available_cad}; amount "
              "required {self_sufficiency_required_cad} (scale year {self_sufficiency_scale_year|none}; "
              "{adults_in_family} adult(s), {children_under_18} child(ren) under 18, {children_18_plus} child(ren) "
              "18+)",
)

GEN_STAY_CONDITIONS = Rule(
    id="GEN_STAY_CONDITIONS",
    citation='seed 002 ("have met the requirements to stay in Quebec, if any")',
    text_en="The applicant met the conditions of any stay in Quebec.",
    text_fr="Le requérant a respecté les conditions de son séjour au Québec, le cas échéant.",
    condition=pl.col("stay_conditions_met").fill_null(True),
    detail_fr="{if stay_conditions_met is unknown:aucun séjour au Québec}{else:conditions de séjour respectées : "
              "{stay_conditions_met}}",
    detail_en="stay conditions met: {stay_conditions_met|no stay in Quebec}",
)

GEN_INTENT_TO_SETTLE = Rule(
    id="GEN_INTENT_TO_SETTLE",
    citation="seed 002",
    text_en="The applicant intends to settle in Quebec.",
    text_fr="Le requérant a l'intention de s'établir au Québec.",
    condition=pl.col("intends_to_settle_in_quebec"),
    detail_fr="intention de s'établir au Québec : {intends_to_settle_in_quebec}",
    detail_en="intends to settle in Quebec: {intends_to_settle_in_quebec}",
)

RULES = [
    GEN_PROGRAM_IN_FORCE, GEN_AGE_18, GEN_FRENCH_ORAL_7, GEN_FRANCISATION_AGREEMENT,
    GEN_SELF_SUFFICIENCY, GEN_STAY_CONDITIONS, GEN_INTENT_TO_SETTLE,
]
