"""The French of the rules' citations, which the rule book and the database keep in English ("seed 002 Work stream,
Education"): worded on read, so a French letter is French throughout and a rule book kept by any release reads the
same. (The reasons of rejected rows are worded by flows/readers/reasons.py.)
"""

from __future__ import annotations

import re

# the citations' English words (transforms/rules/), longest first; "art." and the numbers are the same in French
_CITATION = {
    # a quotation of seed 002, which is in English only: its meaning, said as a free translation
    '("have met the requirements to stay in Quebec, if any")':
        "(avoir respecté les conditions de séjour au Québec, le cas échéant ; traduction libre)",
    "(general requirements of all three programs)": "(exigences générales des trois programmes)",
    "(Francization profile)": "(profil Francisation)",
    "general requirements": "exigences générales",
    "Work-study stream": "volet Études-travail",
    "Work stream": "volet Travail",
    "Work experience": "Expérience de travail",
    "Targeted occupations": "Professions visées",
    "Education": "Scolarité",
    "last paragraph": "dernier alinéa",
    "seed": "texte",
}


def citation(text: str, lang: str) -> str:
    """A rule's citation in `lang`: its English words in French (a quotation of an English-only seed as a free
    translation, said so), other quotation marks as French writes them."""
    if lang != "fr" or not text:
        return text
    for english, french in _CITATION.items():
        text = re.sub(rf"(?<![\w-]){re.escape(english)}(?![\w-])", french, text)
    return re.sub(r'"([^"]*)"', "« \\1 »", text)
