"""The words of the contract's values in each language (French first: the ministry's language), defined once.

Read by the rule texts (transforms.parameters.Parameters.fill), `explain` and `report`. A value without a label
here is shown as it is.
"""

from __future__ import annotations

import datetime as dt
import re

LANGUAGES = ("fr", "en")

LABELS: dict[str, dict[str, str]] = {
    "fr": {
        # programs, streams, substreams
        "ai_it_vfx": "travailleurs de l'intelligence artificielle, des technologies de l'information et des effets "
                     "visuels",
        "food_processing": "travailleurs de la transformation alimentaire", "orderlies": "préposés aux bénéficiaires",
        "ai": "intelligence artificielle", "it_vfx": "technologies de l'information et effets visuels",
        "work": "travail", "study_work": "études-travail",
        "foreign_worker": "travailleur étranger", "quebec_graduate": "diplômé du Québec",
        # diplomas
        "secondary": "diplôme d'études secondaires", "vocational": "diplôme d'études professionnelles (DEP)",
        "college_general": "DEC général", "college_technical": "DEC technique", "bachelor": "baccalauréat",
        "dess": "DESS", "master": "maîtrise", "doctorate": "doctorat",
        # eligibility, rule outcomes, selection statuses
        "eligible": "admissible", "ineligible": "non admissible", "undetermined": "à déterminer (soumise à examen)",
        "pass": "satisfaite", "fail": "non satisfaite", "unknown": "indéterminée", "not_applicable": "sans objet",
        "selected": "sélectionnée", "cap_reached": "plafond atteint", "duplicate": "en double",
        "outside_intake": "hors période de réception",
        "youth_exchange": "participer à un programme d'échange jeunesse", "study": "études", "other": "autre",
        "yes": "oui", "no": "non", "or": "ou", "none": "aucune",
        # job statuses, scholarships, sectors (a `column.value` key words a value that reads otherwise elsewhere)
        "held": "occupé", "accepted_offer": "offre acceptée", "job_status.none": "aucun",
        "pending": "en attente", "fulfilled": "obligation remplie",
        "it": "technologies de l'information", "vfx": "effets visuels", "health": "santé",
        "job_sector.food_processing": "transformation alimentaire",
    },
    "en": {
        "ai_it_vfx": "artificial intelligence, information technology and visual effects workers",
        "food_processing": "food processing workers", "orderlies": "orderlies",
        "ai": "artificial intelligence", "it_vfx": "information technology and visual effects",
        "work": "work", "study_work": "study-work",
        "foreign_worker": "foreign worker", "quebec_graduate": "Quebec graduate",
        "secondary": "secondary diploma", "vocational": "vocational diploma (DEP)",
        "college_general": "general DEC", "college_technical": "technical DEC", "bachelor": "bachelor's degree",
        "dess": "DESS", "master": "master's degree", "doctorate": "doctorate",
        "eligible": "eligible", "ineligible": "ineligible", "undetermined": "undetermined (sent for review)",
        "pass": "met", "fail": "not met", "unknown": "unknown", "not_applicable": "not applicable",
        "selected": "selected", "cap_reached": "cap reached", "duplicate": "duplicate",
        "outside_intake": "outside the intake period",
        "youth_exchange": "a youth exchange program", "study": "study", "other": "other",
        "yes": "yes", "no": "no", "or": "or", "none": "none",
        "held": "held", "accepted_offer": "accepted offer", "pending": "pending", "fulfilled": "fulfilled",
        "it": "information technology", "vfx": "visual effects", "health": "health",
        "job_sector.food_processing": "food processing",
    },
}


def label(value: object, lang: str) -> str:
    """The word for a contract value in `lang` (the value itself when it has none)."""
    if isinstance(value, bool):
        return LABELS[lang]["yes" if value else "no"]
    return LABELS[lang].get(str(value), str(value))


PLACEHOLDER = re.compile(r"\{([a-z0-9_]+\.[a-z0-9_]+)\}")  # {section.key}: a legal value named in a rule's text


def fill_from_rows(template: str, rows: list[dict], lang: str, day: dt.date) -> str:
    """A rule's text on `day` from the `parameters` column of the `rules` table (name, valid_from, value_fr,
    value_en): each {section.key} replaced by the words of its value in force on `day` (the first value before its
    date), as transforms.parameters.Parameters.fill does from the parameters file."""
    def one(m: re.Match) -> str:
        dated = sorted((r for r in rows if r["name"] == m.group(1)), key=lambda r: r["valid_from"])
        chosen = dated[0]
        for r in dated:
            if r["valid_from"] <= day:
                chosen = r
        return chosen[f"value_{lang}"]
    return PLACEHOLDER.sub(one, template)
