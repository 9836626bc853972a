"""Words on read: each rule's detail is a template per language with named figures, compiled to the SQL of the
`rule_results` view, and money, numbers and yes/no are written as each language's locale writes them (Babel's
CLDR data), in the view's macros and in the rule book's texts alike.

A detail template is text with fields between braces (docs/changing-the-rules.md):
- `{name}`: a column of the evaluation (a figure of the rule or a column of the application), worded by its type:
  money (a name ending in `_cad`: cents, or four places when the amount has a fraction of a cent), yes/no
  (a boolean), the language's word of a coded value (`highest_diploma`, ...), else the value as it is (dates ISO);
  an unknown value is "unknown" / "inconnu";
- `{name:4}`: money with that many places; `{name|not given}`: these words when the value is missing;
- `{source.column}`: a column of a relation the detail reads besides the evaluation (rules.DETAIL_SOURCES), as is;
- `{{` and `}}`: a brace as text;
- `{if name is unknown:...}`, `{if name is known:...}`, `{if name > 0:...}`, optionally followed by `{else:...}`:
  a part worded only when the condition holds (fields may be nested in it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from babel.numbers import (
    format_currency,
    format_decimal,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    get_minus_sign_symbol,
    parse_pattern,
)

from schemas.enums import DIPLOMAS, JOB_STATUSES, SCHOLARSHIP, SECTORS, STAY_PURPOSES
from schemas.labels import LABELS
from transforms.sqlfiles import sql_text

LANGUAGES = ("en", "fr")
LOCALES = {"en": "en_CA", "fr": "fr_CA"}
CURRENCY = "CAD"
# A detail's money. English keeps the figure as the rule compared it, ungrouped, with the ISO code
# (92900.00 CAD: a figure reads back as it was compared); French is written as fr_CA writes it (92 900,00 $).
DETAIL_MONEY = {"en": "0.00 ¤¤", "fr": "#,##0.00\u00a0¤"}
# The coded columns a French detail words (schemas.labels: a `column.value` label first).
# a value the detail cannot state (an outcome's "unknown" is another word in French: indéterminée)
UNKNOWN = {"en": "unknown", "fr": "inconnu"}
WORDED = {"highest_diploma": DIPLOMAS, "job_status": JOB_STATUSES, "return_scholarship": SCHOLARSHIP,
          "job_sector": SECTORS, "quebec_stay_purpose": STAY_PURPOSES}


# -- Python: the rule book's texts and the readers -------------------------------------------------------------

def money(value: float | int | Decimal, lang: str) -> str:
    """A legal amount in a text, as the locale writes it: whole dollars without cents ($100,000 / 100 000 $),
    else with them ($120,000.01 / 120 000,01 $)."""
    pattern = parse_pattern(_locale_currency(lang))
    if float(value).is_integer():
        pattern = parse_pattern(_locale_currency(lang).replace(".00", ""))
    return format_currency(Decimal(str(value)), CURRENCY, format=pattern, locale=LOCALES[lang],
                           currency_digits=False)


def number(value: float | int, lang: str) -> str:
    """A count or a decimal number as the locale writes it (1,234 / 1 234; 2.5 / 2,5)."""
    return format_decimal(value, locale=LOCALES[lang], decimal_quantization=False)


def detail_money(value: Decimal | float, lang: str, places: int = 2) -> str:
    """A detail's money with `places` places, as the view's macro `qc_money_<lang>` writes it (tests compare)."""
    pattern = DETAIL_MONEY[lang].replace(".00", "." + "0" * places)
    return format_currency(Decimal(str(value)), CURRENCY, format=pattern, locale=LOCALES[lang],
                           currency_digits=False)


def _locale_currency(lang: str) -> str:
    from babel import Locale
    return Locale.parse(LOCALES[lang]).currency_formats["standard"].pattern


# -- SQL: the macros the details use -----------------------------------------------------------------------------

def _affixes(lang: str) -> tuple[str, str, bool]:
    """The currency prefix and suffix of a detail's money in `lang`, and whether it groups thousands."""
    pattern = parse_pattern(DETAIL_MONEY[lang])
    grouping = pattern.grouping[0]
    if grouping not in (3, 1000):  # DuckDB's {:,} groups by three; no locale here groups otherwise
        raise ValueError(f"{DETAIL_MONEY[lang]}: groups of {grouping} digits are not supported")

    def currency(affix: str) -> str:
        return (affix.replace("¤¤", CURRENCY)
                .replace("¤", get_currency_symbol(CURRENCY, locale=LOCALES[lang])))
    return currency(pattern.prefix[0]), currency(pattern.suffix[0]), grouping == 3


def _macros(lang: str) -> str:
    locale = LOCALES[lang]
    prefix, suffix, grouped = _affixes(lang)
    unknown, yes, no = sql_text(UNKNOWN[lang]), sql_text(LABELS[lang]["yes"]), sql_text(LABELS[lang]["no"])
    integer = "split_part(ltrim(v, '-'), '.', 1)"
    if grouped:
        integer = f"replace(format('{{:,}}', {integer}::HUGEINT), ',', {sql_text(get_group_symbol(locale))})"
    return f"""
-- a number as qc_fixed or qc_money writes it (-1234.50), as {locale} writes it (Babel's CLDR data)
CREATE OR REPLACE MACRO qc_decimal_{lang}(s) AS list_transform([s], lambda v: CASE WHEN v IS NULL OR v = 'unknown'
    THEN {unknown} ELSE (CASE WHEN starts_with(v, '-') THEN {sql_text(get_minus_sign_symbol(locale))} ELSE '' END)
    || {integer}
    || CASE WHEN contains(v, '.') THEN {sql_text(get_decimal_symbol(locale))} || split_part(v, '.', 2) ELSE '' END
    END)[1];
-- money: cents, or four places when the amount has a fraction of a cent (it is what the rule compared)
CREATE OR REPLACE MACRO qc_money_{lang}(x) AS list_transform([x], lambda m: CASE WHEN m IS NULL THEN {unknown}
    ELSE {sql_text(prefix)} || qc_decimal_{lang}(qc_money(m)) || {sql_text(suffix)} END)[1];
CREATE OR REPLACE MACRO qc_money_{lang}_places(x, places) AS list_transform([x], lambda m: CASE WHEN m IS NULL
    THEN {unknown} ELSE {sql_text(prefix)} || qc_decimal_{lang}(qc_fixed(m, places)) || {sql_text(suffix)} END)[1];
CREATE OR REPLACE MACRO qc_yes_no_{lang}(x) AS CASE WHEN x IS NULL THEN {unknown} WHEN x THEN {yes} ELSE {no} END;
"""


def _words(lang: str) -> str:
    """One small macro per coded column, `qc_mot_<column>(x)`: the word of each of its values in `lang`, else the
    value as it is. (A CASE per column: one map of every label, expanded in every detail, made the rule_results
    view three times slower to bind.)"""
    def word(column: str, value: str) -> str:
        return LABELS[lang].get(f"{column}.{value}", LABELS[lang].get(value, value))

    return "\n".join(
        f"CREATE OR REPLACE MACRO qc_mot_{column}(x) AS CASE x "
        + " ".join(f"WHEN {sql_text(v)} THEN {sql_text(word(column, v))}" for v in values) + " ELSE x END;"
        for column, values in WORDED.items())


# Macros the details use (persisted in the database with the view, so any DuckDB client can read it).
MACROS_SQL = "-- the French word of a value of a coded column\n" + _words("fr") + """
-- Each number macro reads its argument once, through a lambda: a macro's argument is copied wherever it appears,
-- and six copies of a money macro's text made the rule_results view three times slower to bind.
-- qc_fixed: a number with `places` places, rounded half to even, the plain way (-1234.50); an amount (DECIMAL) in
-- exact decimal arithmetic, a measure (DOUBLE) as the double it is
CREATE OR REPLACE MACRO qc_fixed(x, places) AS list_transform([x], lambda f: CASE WHEN f IS NULL THEN 'unknown'
    WHEN typeof(f) LIKE 'DECIMAL%'
    THEN list_transform([CAST(round_even(CAST(f AS DECIMAL(38, 10)), places) AS VARCHAR)], lambda v:
        split_part(v, '.', 1) || CASE WHEN places > 0
                                      THEN '.' || left(split_part(v, '.', 2) || repeat('0', places), places)
                                      ELSE '' END)[1]
    WHEN abs(f) >= 1e15 THEN printf('%.' || places || 'f', f) ELSE
    (CASE WHEN round_even(f * 10 ** places, 0) < 0 THEN '-' ELSE '' END)
    || format('{}.{}', (abs(round_even(f * 10 ** places, 0))::BIGINT // (10 ** places)::BIGINT),
              lpad((abs(round_even(f * 10 ** places, 0))::BIGINT % (10 ** places)::BIGINT)::VARCHAR, places, '0'))
    END)[1];
CREATE OR REPLACE MACRO qc_money(x) AS list_transform([x], lambda m: CASE WHEN abs(m * 100 - round(m * 100)) > 1e-6
    THEN qc_fixed(m, 4) ELSE qc_fixed(m, 2) END)[1];
""" + "".join(_macros(lang) for lang in LANGUAGES)


# -- detail templates --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    name: str
    places: int | None = None
    missing: str | None = None


@dataclass
class Condition:
    name: str
    test: str  # "is unknown", "is known" or "> 0"
    then: list = field(default_factory=list)
    otherwise: list = field(default_factory=list)


FIELD = re.compile(r"\{([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?)(?::(\d))?(?:\|([^{}]*))?\}")
OPENING = re.compile(r"\{(if|else)\b([^:{}]*):")
TESTS = {"is unknown": "{} IS NULL", "is known": "{} IS NOT NULL", "> 0": "{} > 0"}


def parse(template: str) -> list:
    """A detail template's parts: text, `Field`s and `Condition`s (ValueError saying where it cannot be read)."""
    parts, end = _parse(template, 0, nested=False)
    return parts


def _parse(t: str, i: int, nested: bool) -> tuple[list, int]:
    parts: list = []
    text = ""
    while i < len(t):
        if t.startswith("{{", i) or (t.startswith("}}", i) and not nested):  # a brace as text
            text += t[i]
            i += 2
            continue
        if t[i] == "}":
            if not nested:
                raise ValueError(f"a '}}' closes nothing at character {i + 1}")
            break
        if t[i] != "{":
            text += t[i]
            i += 1
            continue
        if text:
            parts.append(text)
            text = ""
        opening = OPENING.match(t, i)
        if opening:
            body, i = _parse(t, opening.end(), nested=True)
            i += 1
            if opening[1] == "else":
                if not parts or not isinstance(parts[-1], Condition) or parts[-1].otherwise:
                    raise ValueError(f"an {{else:...}} follows no {{if ...:...}} at character {opening.start() + 1}")
                parts[-1].otherwise = body
                continue
            condition = opening[2].strip()
            test = next((t_ for t_ in TESTS if condition.endswith(" " + t_)), None)
            if test is None:
                raise ValueError(f"{{if {condition}:...}}: the condition must be NAME {', NAME '.join(TESTS)}")
            parts.append(Condition(condition[: -len(test)].strip(), test, body))
            continue
        m = FIELD.match(t, i)
        if not m:
            raise ValueError(f"cannot read the field at character {i + 1}: {t[i:i + 30]!r}")
        parts.append(Field(m[1], int(m[2]) if m[2] else None, m[3]))
        i = m.end()
    if nested and i >= len(t):
        raise ValueError("a '{' is never closed")
    if text:
        parts.append(text)
    return parts, i


def fields(template: str) -> list[str]:
    """The names a detail template reads, in order, each once."""
    out: list[str] = []

    def walk(parts: list) -> None:
        for p in parts:
            if isinstance(p, Field):
                out.append(p.name)
            elif isinstance(p, Condition):
                out.append(p.name)
                walk(p.then)
                walk(p.otherwise)
    walk(parse(template))
    return list(dict.fromkeys(out))


def compile_detail(template: str | None, lang: str, types: Mapping[str, str]) -> str:
    """The SQL of a detail template in `lang` over the evaluation's row `a.` (`types`: its column -> DuckDB type)
    and the detail sources (`source.column`); NULL without a template."""
    if template is None:
        return "NULL"
    return _sql(parse(template), lang, types)


def _sql(parts: list, lang: str, types: Mapping[str, str]) -> str:
    pattern, args = "", []
    for part in parts:
        if isinstance(part, str):
            pattern += part.replace("{", "{{").replace("}", "}}")  # format()'s own escape
            continue
        pattern += "{}"
        if isinstance(part, Condition):
            otherwise = _sql(part.otherwise, lang, types) if part.otherwise else "''"
            args.append(f"CASE WHEN {TESTS[part.test].format(_column(part.name, types))} "
                        f"THEN {_sql(part.then, lang, types)} ELSE {otherwise} END")
        else:
            args.append(_value(part, lang, types))
    if not args:
        return sql_text("".join(parts))
    return f"format({sql_text(pattern)}, {', '.join(args)})"


def _column(name: str, types: Mapping[str, str]) -> str:
    if "." in name:
        return name
    if name not in types:
        raise ValueError(f"{{{name}}} is not a column of the evaluation")
    return f"a.{name}"


def _value(f: Field, lang: str, types: Mapping[str, str]) -> str:
    column = _column(f.name, types)
    if "." in f.name:
        value = column
    elif f.name.endswith("_cad"):
        value = f"qc_money_{lang}({column})" if f.places is None else f"qc_money_{lang}_places({column}, {f.places})"
    elif types[f.name] == "BOOLEAN":
        value = f"qc_yes_no_{lang}({column})"
    elif lang == "fr" and f.name in WORDED:
        value = f"qc_mot_{f.name}({column})"
    else:
        value = column
    if f.missing is None:
        return value
    return f"CASE WHEN {column} IS NULL THEN {sql_text(f.missing)} ELSE CAST({value} AS VARCHAR) END"
