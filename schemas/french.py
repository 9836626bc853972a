"""The French of two texts kept in English in the database: the reasons a row was rejected (written by the parser,
the contract's checks and the checks across files) and the citations of the rules. Worded on read, so a French
letter or report is French throughout, and a database published by any release reads the same.

A reason is matched whole against the forms its writers produce (transforms/parse.py, transforms/validate.py, the
models' checks in schemas/, transforms/sql/cross_checks.sql); column names, codes and values of the contract stay as
they are (they are the contract's words). A text of no known form is returned as it is: tests/rulebook/
test_french.py holds every form to one.
"""

from __future__ import annotations

import re

from schemas.enums import EARLIEST_BIRTH_DATE

_WHAT = {  # transforms/parse.py: what a value was not
    "a boolean (true/false, 1/0, yes/no, oui/non)": "un booléen (true/false, 1/0, yes/no, oui/non)",
    "a boolean (0 or 1)": "un booléen (0 ou 1)", "a boolean": "un booléen",
    "an integer": "un entier", "a number": "un nombre",
    "a date YYYY-MM-DD": "une date AAAA-MM-JJ", "a date": "une date",
    "an ISO 8601 timestamp (a date and a time of day; a local time must exist in America/Toronto)":
        "un horodatage ISO 8601 (une date et une heure ; l'heure locale doit exister à America/Toronto)",
    "a timestamp": "un horodatage", "text": "du texte",
}
_WHOLE = {  # the frame-level checks of schemas/ and the checks across files, word for word
    "stream does not belong to program": "le volet (stream) n'appartient pas au programme (program)",
    "substream is required for stream ai and not allowed for other streams":
        "substream est requis pour le volet ai et interdit pour les autres volets",
    "profile francisation exists only in program ai_it_vfx":
        "le profil francisation n'existe que dans le programme ai_it_vfx",
    "birth_date is after the date of submission": "birth_date est postérieure à la date de présentation",
    f"birth_date is before {EARLIEST_BIRTH_DATE}": f"birth_date est antérieure au {EARLIEST_BIRTH_DATE}",
    "end_on is before start_on": "end_on est antérieure à start_on",
    "deciles decrease from one decile to a later one": "les déciles diminuent d'un décile à un décile suivant",
    "median_hourly is outside decile_4_hourly..decile_6_hourly":
        "median_hourly est hors de l'intervalle decile_4_hourly..decile_6_hourly",
    "submitted_at is after the time of the run (a submission in the future)":
        "submitted_at est postérieur à l'heure de l'exécution (une présentation dans le futur)",
    "application_id is shared with another row of different content (ids compared in canonical form; every row "
    "sharing it is rejected)": "application_id est partagé avec une autre ligne de contenu différent (identifiants "
                               "comparés sous leur forme canonique ; toute ligne qui le partage est rejetée)",
    "application_id: no such application in the applications extract":
        "application_id : aucune demande de ce numéro dans l'extrait des demandes",
    "application_id: the application was rejected": "application_id : la demande a été rejetée",
    "noc_code, region and reference_year repeat another row of different content (every such row is rejected)":
        "noc_code, region et reference_year répètent une autre ligne de contenu différent (toute ligne semblable "
        "est rejetée)",
}
_FORMS = [  # (an English form, its French): a column's checks and the parser's
    (r"(?P<c>\w+): required value is missing", "{c} : valeur requise manquante"),
    (r"(?P<c>\w+): not one of (?P<v>.+)", "{c} : n'est pas l'une des valeurs {v}"),
    (r"(?P<c>\w+): must be (?P<op>>=|<=|>|<) (?P<v>.+)", "{c} : doit être {op} {v}"),
    (r"(?P<c>\w+): must be between (?P<a>.+) and (?P<b>.+)", "{c} : doit être entre {a} et {b}"),
    (r"(?P<c>\w+): does not match the expected format (?P<v>.+)", "{c} : ne respecte pas le format attendu {v}"),
    (r"(?P<c>\w+): must not be empty", "{c} : ne doit pas être vide"),
    (r"(?P<c>\w+): holds a control or invisible character, or white space at either end \(an id holds visible "
     r"characters only\)", "{c} : contient un caractère de contrôle ou invisible, ou une espace à une extrémité (un "
                           "identifiant ne contient que des caractères visibles)"),
    (r"(?P<c>\w+): (?P<n>\d+) digits where codes have (?P<k>\d+)(?: or (?P<k2>\d+))? \(stored as a number, a code "
     r"loses its leading zeros\)", "{c} : {n} chiffres là où les codes en ont {k}{k2} (enregistré comme un nombre, un "
                                   "code perd ses zéros de tête)"),
    (r"(?P<c>\w+): a year outside 1 to 9999", "{c} : une année hors de 1 à 9999"),
    (r"application_id was decided in program (?P<p>\w+), stream (?P<s>\w+): it keeps the program and stream it was "
     r"decided in", "application_id a été décidée dans le programme {p}, volet {s} : elle garde le programme et le "
                    "volet de sa décision"),
    (rf"(?P<c>\w+): not (?P<w>{'|'.join(re.escape(w) for w in sorted(_WHAT, key=len, reverse=True))})",
     "{c} : n'est pas {w}"),
]
_COMPILED = [(re.compile(rf"^{form}$", re.S), french) for form, french in _FORMS]

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


def reason(text: str, lang: str) -> str:
    """A rejection reason in `lang` (the stored English one for "en")."""
    if lang != "fr":
        return text
    if text in _WHOLE:
        return _WHOLE[text]
    for form, french in _COMPILED:
        if (m := form.match(text)):
            found = m.groupdict()
            if "w" in found:
                found["w"] = _WHAT[found["w"]]
            if "k2" in found:
                found["k2"] = f" ou {found['k2']}" if found["k2"] else ""
            return french.format(**found)
    return text


def is_known(text: str) -> bool:
    """Whether `reason` has a French form for `text`."""
    return text in _WHOLE or any(form.match(text) for form, _ in _COMPILED)


def citation(text: str, lang: str) -> str:
    """A rule's citation in `lang`: its English words in French (a quotation of an English-only seed as a free
    translation, said so), other quotation marks as French writes them."""
    if lang != "fr" or not text:
        return text
    for english, french in _CITATION.items():
        text = re.sub(rf"(?<![\w-]){re.escape(english)}(?![\w-])", french, text)
    return re.sub(r'"([^"]*)"', "« \\1 »", text)
