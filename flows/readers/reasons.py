"""The reasons of a rejected row (`rejected_rows.reasons`) in the words of a page's language.

The reasons are written once, in English, by the code that rejects a row: the contract's checks (schemas/, read by
transforms/validate.py), the parser (transforms/parse.py) and the checks across rows and files
(transforms/sql/cross_checks.sql). The report words each of them in French, and in both languages writes a
program's or a stream's name where the reason names its code. A reason these patterns do not know is shown as it
was written (tests/readers/test_report.py checks that every reason the checks can write is known).

A reason starting with a column's name (`birth_date: not a date YYYY-MM-DD`) keeps that name: it is the header of
the column in the extract's file, what an analyst looks for.
"""

from __future__ import annotations

import re

from schemas.identifiers import VISIBLE_ID
from schemas.labels import label

# What follows "COLUMN: " in a reason, in French (English as written). Each entry: a pattern of the English text,
# and the French words with the pattern's groups ({0}, {1}...).
_AFTER_COLUMN_FR: list[tuple[str, str]] = [
    (r"required value is missing", "valeur obligatoire manquante"),
    (r"not one of (.+)", "n'est pas l'une des valeurs {0}"),
    (r"must be >= (.+)", "doit être supérieur ou égal à {0}"),
    (r"must be <= (.+)", "doit être inférieur ou égal à {0}"),
    (r"must be > (.+)", "doit être supérieur à {0}"),
    (r"must be < (.+)", "doit être inférieur à {0}"),
    (r"must be between (.+) and (.+)", "doit être entre {0} et {1}"),
    (r"does not match the expected format (.+)", "ne respecte pas le format attendu {0}"),
    (r"must not be empty", "ne doit pas être vide"),
    (re.escape(VISIBLE_ID) + "|visible_id",
     "contient un caractère de contrôle ou invisible, ou une espace au début ou à la fin (un identifiant ne contient "
     "que des caractères visibles)"),
    (r"not text", "n'est pas du texte"),
    (r"not a boolean \(true/false, 1/0, yes/no, oui/non\)", "n'est pas un booléen (true/false, 1/0, yes/no, oui/non)"),
    (r"not a boolean \(0 or 1\)", "n'est pas un booléen (0 ou 1)"),
    (r"not a boolean", "n'est pas un booléen"),
    (r"not an integer", "n'est pas un nombre entier"),
    (r"not a number", "n'est pas un nombre"),
    (r"not a date YYYY-MM-DD", "n'est pas une date AAAA-MM-JJ"),
    (r"not a date", "n'est pas une date"),
    (r"not an ISO 8601 timestamp \(a date and a time of day; a local time must exist in America/Toronto\)",
     "n'est pas un horodatage ISO 8601 (une date et une heure; une heure locale doit exister à America/Toronto)"),
    (r"not a timestamp", "n'est pas un horodatage"),
    (r"(\d+) digits where codes have (.+) \(stored as a number, a code loses its leading zeros\)",
     "{0} chiffres alors que les codes en ont {1} (enregistré comme un nombre, un code perd ses zéros de tête)"),
    (r"a year outside 1 to 9999", "une année hors de 1 à 9999"),
    (r"no such application in the applications extract", "aucune demande de ce numéro dans l'extrait des demandes"),
    (r"the application was rejected", "la demande a été rejetée"),
]

# Whole reasons (checks of a row across its columns, and across rows and files): (pattern, English, French). The
# groups are codes of the contract ({program}, {stream}) worded by their labels.
_WHOLE: list[tuple[str, str, str]] = [
    (r"stream does not belong to program", "the stream does not belong to the program",
     "le volet n'appartient pas au programme"),
    (r"substream is required for stream ai and not allowed for other streams",
     "a substream is required in the {ai} stream and not allowed in the others",
     "un sous-volet est obligatoire dans le volet {ai} et interdit dans les autres"),
    (r"profile francisation exists only in program ai_it_vfx",
     "the francisation profile exists only in the {ai_it_vfx} program",
     "le profil Francisation n'existe que dans le programme des {ai_it_vfx}"),
    (r"birth_date is after the date of submission", "birth_date is after the date of submission",
     "birth_date est postérieure à la date de présentation de la demande"),
    (r"birth_date is before (.+)", "birth_date is before {0}", "birth_date est antérieure au {0}"),
    (r"end_on is before start_on", "end_on is before start_on", "end_on est antérieure à start_on"),
    (r"deciles decrease from one decile to a later one", "deciles decrease from one decile to a later one",
     "les déciles diminuent d'un décile à un décile suivant"),
    (r"median_hourly is outside decile_4_hourly\.\.decile_6_hourly",
     "median_hourly is outside decile_4_hourly..decile_6_hourly",
     "median_hourly est hors de l'intervalle decile_4_hourly..decile_6_hourly"),
    (r"submitted_at is after the time of the run \(a submission in the future\)",
     "submitted_at is after the time of the run (a submission in the future)",
     "submitted_at est postérieur au moment de l'exécution (une présentation dans le futur)"),
    (r"application_id is shared with another row of different content \(ids compared in canonical form; every row "
     r"sharing it is rejected\)",
     "application_id is shared with another row of different content (ids compared in canonical form; every row "
     "sharing it is rejected)",
     "application_id est partagé avec une autre ligne de contenu différent (numéros comparés sous leur forme "
     "canonique; chaque ligne qui le partage est rejetée)"),
    (r"application_id was decided in program (\S+), stream (\S+): it keeps the program and stream it was decided in",
     "application_id was decided in the {0} program, {1} stream: it keeps the program and stream it was decided in",
     "application_id a été décidée dans le programme des {0}, volet {1} : elle garde le programme et le volet où elle "
     "a été décidée"),
    (r"noc_code, region and reference_year repeat another row of different content \(every such row is rejected\)",
     "noc_code, region and reference_year repeat another row of different content (every such row is rejected)",
     "noc_code, region et reference_year répètent une autre ligne de contenu différent (chacune de ces lignes est "
     "rejetée)"),
]
_COLUMN = re.compile(r"([a-z][a-z0-9_]*): (.+)", re.S)


def _names(lang: str) -> dict[str, str]:
    return {code: label(code, lang) for code in ("ai", "ai_it_vfx")}


def known(reason: str) -> bool:
    """Whether a reason has words of its own in each language (else it is shown as written)."""
    return _words(reason, "fr") is not None


def _words(reason: str, lang: str) -> str | None:
    for pattern, en, fr in _WHOLE:
        if (m := re.fullmatch(pattern, reason)) is not None:
            groups = [label(g, lang) for g in m.groups()]
            return (fr if lang == "fr" else en).format(*groups, **_names(lang))
    if (m := _COLUMN.fullmatch(reason)) is not None:
        column, rest = m.groups()
        for pattern, fr in _AFTER_COLUMN_FR:
            if (r := re.fullmatch(pattern, rest, re.S)) is not None:
                groups = [g.replace(" or ", " ou ") for g in r.groups()]  # "4 or 5" digits
                return reason if lang == "en" else f"{column} : {fr.format(*groups)}"
    return None


def reason_words(reason: str, lang: str) -> str:
    """A rejected row's reason in `lang`: the English reason as written (a program's or a stream's code named), or
    its French words; one no pattern knows, as written."""
    words = _words(reason, lang)
    return reason if words is None else words
