"""Words on read: each rule's detail is a template per language with named figures, compiled to the SQL of the
`rule_results` view, and money, numbers and yes/no are written as each language's locale writes them (Babel's
CLDR data), in the view's macros and in the rule book's texts alike.

A detail template is text with fields between braces (docs/changing-the-rules.md):
- `{name}`: a column of the evaluation (a figure of the rule or a column of the application), worded by its type:
  money (a name ending in `_cad`: in cents, or with every place it has, at least four, when it holds a fraction of
  a cent: it is what the rule compared), yes/no (a boolean), the language's word of a coded value
  (`highest_diploma`, ...), else the value as it is (dates ISO); a missing value is "unknown" / "inconnu";
- `{name:4}`: money with that many places (1 to 9); `{name|not given}`: these words when the value is missing;
- `{source.column}`: a column of a relation the detail reads besides the evaluation (rules.DETAIL_SOURCES), as is;
- `{{` and `}}`: a brace as text (not inside a condition);
- `{if name is unknown:...}`, `{if name is known:...}`, `{if name > 0:...}`, optionally followed by `{else:...}`:
  a part worded only when the condition holds (fields may be nested in it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from babel import Locale
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
# a value the detail cannot state (an outcome's "unknown" is another word in French: indéterminée)
UNKNOWN = {"en": "unknown", "fr": "inconnu"}
# The coded columns a detail words in each language (schemas.labels: a `column.value` label first).
WORDED = {"highest_diploma": DIPLOMAS, "job_status": JOB_STATUSES, "return_scholarship": SCHOLARSHIP,
          "job_sector": SECTORS, "quebec_stay_purpose": STAY_PURPOSES}


# -- Python: the rule book's texts and the readers -------------------------------------------------------------

def money(value: float | int | Decimal, lang: str) -> str:
    """A legal amount in a text, as the locale writes it: whole dollars without cents ($100,000 / 100 000 $),
    else with them ($120,000.01 / 120 000,01 $)."""
    pattern = Locale.parse(LOCALES[lang]).currency_formats["standard"].pattern
    if float(value).is_integer():
        pattern = pattern.replace(".00", "")
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



# -- SQL: the macros the details use -----------------------------------------------------------------------------

def _affixes(lang: str) -> tuple[str, str, bool]:
    """The currency prefix and suffix of a detail's money in `lang`, and whether it groups thousands."""
    pattern = parse_pattern(DETAIL_MONEY[lang])
    grouping = pattern.grouping[0]
    if grouping not in (3, 1000):  # the macros group by three; no locale here groups otherwise
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
    if grouped:  # groups of three digits from the right, whatever the length (no integer type holds them all)
        integer = (f"replace(reverse(rtrim(regexp_replace(reverse({integer}), '([0-9]{{3}})', '\\1,', 'g'), ',')), "
                   f"',', {sql_text(get_group_symbol(locale))})")
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
    """One small macro per coded column and language, `qc_word_<lang>_<column>(x)`: the word of each of its values
    in `lang`, else the value as it is. (A CASE per column: one map of every label, expanded in every detail, made
    the rule_results view three times slower to bind.)"""
    def word(column: str, value: str) -> str:
        return LABELS[lang].get(f"{column}.{value}", LABELS[lang].get(value, value))

    return "\n".join(
        f"CREATE OR REPLACE MACRO qc_word_{lang}_{column}(x) AS CASE x "
        + " ".join(f"WHEN {sql_text(v)} THEN {sql_text(word(column, v))}" for v in values) + " ELSE x END;"
        for column, values in WORDED.items())


# Macros the details use (persisted in the database with the view, so any DuckDB client can read it).
MACROS_SQL = "-- the word of a value of a coded column\n" + "\n".join(_words(lang) for lang in LANGUAGES) + """
-- Each number macro reads its argument once, through a lambda: a macro's argument is copied wherever it appears,
-- and six copies of a money macro's text made the rule_results view three times slower to bind.
-- qc_fixed: a number with `places` places, rounded half to even, the plain way (-1234.50): an amount (DECIMAL) in
-- exact decimal arithmetic; a measure (DOUBLE) as the double it is, through its own decimal expansion once the
-- product by 10^places is past the integers a double holds exactly (2^52)
CREATE OR REPLACE MACRO qc_fixed(x, places) AS list_transform([x], lambda f: CASE WHEN f IS NULL THEN 'unknown'
    WHEN typeof(f) LIKE 'DECIMAL%' AND abs(f) < 1e27
    THEN list_transform([CAST(round_even(CAST(f AS DECIMAL(38, 10)), places) AS VARCHAR)], lambda v:
        split_part(v, '.', 1) || '.' || left(split_part(v, '.', 2) || repeat('0', places), places))[1]
    WHEN abs(f) * 10 ** places >= 4503599627370496 THEN printf('%.' || places || 'f', f) ELSE
    (CASE WHEN round_even(f * 10 ** places, 0) < 0 THEN '-' ELSE '' END)
    || format('{}.{}', (abs(round_even(f * 10 ** places, 0))::BIGINT // (10 ** places)::BIGINT),
              lpad((abs(round_even(f * 10 ** places, 0))::BIGINT % (10 ** places)::BIGINT)::VARCHAR, places, '0'))
    END)[1];
-- an amount: in cents, or, when it holds a fraction of a cent (beyond a double's own error), with the places it
-- has (at least four): it is what the rule compared
-- an amount with every place it has: a decimal's own, a double's shortest form that reads back as the same double
CREATE OR REPLACE MACRO qc_places(m) AS CASE WHEN typeof(m) LIKE 'DECIMAL%' THEN rtrim(CAST(m AS VARCHAR), '0')
    WHEN contains(CAST(m AS VARCHAR), 'e') THEN rtrim(printf('%.10f', m), '0') ELSE CAST(m AS VARCHAR) END;
CREATE OR REPLACE MACRO qc_money(x) AS list_transform([x], lambda m: CASE
    WHEN abs(m * 100 - round(m * 100))
         <= CASE WHEN typeof(m) LIKE 'DECIMAL%' THEN 0 ELSE greatest(1e-6, abs(m * 100) * 1e-14) END
    THEN qc_fixed(m, 2)
    WHEN regexp_full_match(qc_places(m), '-?[0-9]+[.][0-9]{5,}') THEN qc_places(m)
    ELSE qc_fixed(m, 4) END)[1];
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


NAME = r"[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?"
FIELD = re.compile(rf"\{{({NAME})(?::([1-9]))?(?:\|([^{{}}]*))?\}}")
OPENING = re.compile(r"\{(if|else)\b([^:{}]*):")
CONDITION = re.compile(rf"\s*({NAME}) (is unknown|is known|> 0)\s*")
TESTS = {"is unknown": "{} IS NULL", "is known": "{} IS NOT NULL", "> 0": "{} > 0"}
NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
           "FLOAT", "DOUBLE", "DECIMAL")


def parse(template: str) -> list:
    """A detail template's parts: text, `Field`s and `Condition`s (ValueError saying what and where it cannot
    read)."""
    parts, _ = _parse(template, 0, opened=None)
    return parts


def _parse(t: str, i: int, opened: int | None) -> tuple[list, int]:
    """Parts from character `i` to the end, or (`opened`: where the condition began) to the brace closing it."""
    parts: list = []
    text = ""
    while i < len(t):
        if t.startswith(("{{", "}}"), i):  # a brace as text
            if opened is not None:
                raise ValueError(f"a brace as text ({t[i:i + 2]}) inside {{if ...}} at character {i + 1}")
            text += t[i]
            i += 2
            continue
        if t[i] == "}":
            if opened is None:
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
            body, i = _parse(t, opening.end(), opened=i)
            i += 1
            if opening[1] == "else":
                if opening[2].strip() or not parts or not isinstance(parts[-1], Condition) or parts[-1].otherwise:
                    raise ValueError(f"an {{else:...}} follows no {{if ...:...}} at character {opening.start() + 1}")
                parts[-1].otherwise = body
                continue
            condition = CONDITION.fullmatch(opening[2])
            if condition is None:
                raise ValueError(f"{{if{opening[2]}:...}} at character {opening.start() + 1}: the condition must be "
                                 f"NAME {' or NAME '.join(TESTS)}")
            parts.append(Condition(condition[1], condition[2], body))
            continue
        m = FIELD.match(t, i)
        if not m:
            raise ValueError(f"cannot read the field at character {i + 1}: {t[i:i + 30]!r}")
        if m[2] and not m[1].endswith("_cad"):
            raise ValueError(f"{{{m[1]}:{m[2]}}} at character {i + 1}: places are for money (a name ending in _cad)")
        parts.append(Field(m[1], int(m[2]) if m[2] else None, m[3]))
        i = m.end()
    if opened is not None and i >= len(t):
        raise ValueError(f"the '{{' at character {opened + 1} is never closed")
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


def compile_detail(template: str | None, lang: str, types: Mapping[str, str], sources: tuple[str, ...] = ()) -> str:
    """The SQL of a detail template in `lang` over the evaluation's row `a.` (`types`: its column -> DuckDB type)
    and the relations of `sources` (`source.column`); NULL without a template. ValueError naming the problem."""
    if template is None:
        return "NULL"
    return _Compiler(lang, types, sources).sql(parse(template))


@dataclass(frozen=True)
class _Compiler:
    lang: str
    types: Mapping[str, str]
    sources: tuple[str, ...]

    def sql(self, parts: list) -> str:
        pattern, args = "", []
        for part in parts:
            if isinstance(part, str):
                pattern += part.replace("{", "{{").replace("}", "}}")  # format()'s own escape
                continue
            pattern += "{}"
            args.append(self.condition(part) if isinstance(part, Condition) else self.value(part))
        if not args:
            return sql_text("".join(parts))
        return f"format({sql_text(pattern)}, {', '.join(args)})"

    def condition(self, c: Condition) -> str:
        column = self.column(c.name)
        if c.test == "> 0" and ("." in c.name or not self.types[c.name].startswith(NUMERIC)):
            raise ValueError(f"{{if {c.name} > 0:...}}: {c.name} is not a number")
        otherwise = self.sql(c.otherwise) if c.otherwise else "''"
        return f"CASE WHEN {TESTS[c.test].format(column)} THEN {self.sql(c.then)} ELSE {otherwise} END"

    def column(self, name: str) -> str:
        if "." in name:
            if name.split(".")[0] not in self.sources:
                raise ValueError(f"{{{name}}}: {name.split('.')[0]} is not a relation the details read")
            return name
        if name not in self.types:
            raise ValueError(f"{{{name}}} is not a column of the evaluation")
        return f"a.{name}"

    def value(self, f: Field) -> str:
        """A field's words: a missing value is the template's words for it, else unknown (never a blank detail)."""
        column = self.column(f.name)
        if f.name.endswith("_cad"):
            value = (f"qc_money_{self.lang}({column})" if f.places is None
                     else f"qc_money_{self.lang}_places({column}, {f.places})")
        elif "." not in f.name and self.types[f.name] == "BOOLEAN":
            value = f"qc_yes_no_{self.lang}({column})"
        elif f.name in WORDED:
            value = f"qc_word_{self.lang}_{f.name}({column})"
        else:
            value = column
        missing = sql_text(UNKNOWN[self.lang] if f.missing is None else f.missing)
        return f"CASE WHEN {column} IS NULL THEN {missing} ELSE CAST({value} AS VARCHAR) END"
