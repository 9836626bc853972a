"""The rule engine: every rule is a polars expression evaluated over all applications at once.

A rule gives a Kleene condition (true = pass, false = fail, null = unknown), an optional `applies` condition
(false -> not_applicable), the typed `figures` behind its outcome, and a `detail`: the SQL that words those figures
on read. Its scope (program, streams, substreams, versions) makes it not_applicable elsewhere.

The evaluation is columnar to the core: `assessments` holds one row per application with one enum column per rule
(named by its id) and the figures as typed columns. The long `rule_results` (application x rule, with a text detail)
is a view over it, so millions of detail strings are never built at run time (README, Outputs).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from schemas.enums import DIPLOMAS, JOB_STATUSES, RULE_OUTCOMES, SCHOLARSHIP, SECTORS, STAY_PURPOSES
from schemas.enums import ELIGIBILITY as ELIGIBILITY_NAMES
from schemas.labels import LABELS
from transforms.sqlfiles import sql_text

PASS, FAIL, NA, UNKNOWN = RULE_OUTCOMES
OUTCOMES = RULE_OUTCOMES
OUTCOME = pl.Enum(OUTCOMES)
ELIGIBLE, INELIGIBLE, UNDETERMINED = ELIGIBILITY_NAMES
KEY = ["application_id", "program", "stream", "rules_version"]


def _given(value: Any, p: Any) -> Any:
    """A field given as a function of the parameters (`lambda p: ...`) or as it is."""
    return value(p) if callable(value) else value


@dataclass(frozen=True)
class Rule:
    """A rule of the rule book (docs/rulebook.md).

    `condition`, `applies`, `figures` and `measures` read the legal values as `lambda p: ...` of the rule book's
    parameters (transforms.parameters.Parameters); `bind(p)` gives the rule with its expressions and the names of
    the parameters it read. `text_en`/`text_fr` name parameters between braces, filled from the same values
    (Parameters.fill), so a text never states a value the rule did not use."""

    id: str
    citation: str
    text_en: str
    text_fr: str
    condition: pl.Expr | Callable[[Any], pl.Expr]
    detail: str = "NULL"  # SQL over the columns of `assessments` (a.) and `applications` (p.), see detail_sql
    detail_fr: str = "NULL"  # the same figures worded in French
    # typed columns of `assessments`, that conditions read
    figures: dict[str, pl.Expr] | Callable[[Any], dict[str, pl.Expr]] = field(default_factory=dict)
    applies: pl.Expr | Callable[[Any], pl.Expr] | None = None
    program: str | None = None  # None: every program (general rules)
    streams: tuple[str, ...] | None = None
    substreams: tuple[str, ...] | None = None
    versions: tuple[str, ...] | None = None  # None: every version of every program, and dates outside them
    measures: list | Callable[[Any], list] = field(default_factory=list)  # experience measures (transforms.experience)
    # parameters read by the context columns the rule reads (transforms.context, transforms.wages), named here
    reads: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()  # set by bind: the parameters read, texts included

    def bind(self, p: Any) -> Rule:
        """The rule with the values of `p`: expressions only, and the names of the parameters it read."""
        with p.recording() as read:
            bound = dataclasses.replace(
                self, condition=_given(self.condition, p), applies=_given(self.applies, p),
                figures=_given(self.figures, p), measures=_given(self.measures, p),
            )
            for text in (self.text_en, self.text_fr):
                p.placeholders(text)
            for name in self.reads:
                p[name]
        return dataclasses.replace(bound, parameters=tuple(sorted(read)))

    def in_scope(self) -> pl.Expr:
        """Kleene-free scope test on the application's program, stream, substream and rules version."""
        ok = pl.lit(True)
        if self.program is not None:
            # a program rule needs a version in force; outside every version only GEN_PROGRAM_IN_FORCE speaks (fails)
            ok = ok & (pl.col("program") == self.program) & pl.col("rules_version").is_not_null()
        if self.streams is not None:
            ok = ok & pl.col("stream").is_in(list(self.streams))
        if self.substreams is not None:
            ok = ok & pl.col("substream").is_in(list(self.substreams)).fill_null(False)
        if self.versions is not None:
            ok = ok & pl.col("rules_version").is_in(list(self.versions)).fill_null(False)
        return ok

    def outcome(self) -> pl.Expr:
        applies = self.in_scope()
        if self.applies is not None:
            applies = applies & self.applies.fill_null(True)
        cond = self.condition
        return (
            pl.when(~applies).then(pl.lit(NA))
            .when(cond.fill_null(False)).then(pl.lit(PASS))
            .when((~cond).fill_null(False)).then(pl.lit(FAIL))
            .otherwise(pl.lit(UNKNOWN))
        ).cast(OUTCOME)

    def column(self) -> pl.Expr:
        """The rule's column of `assessments`: its outcome, null for an application of another program (a program's
        rules are not published for the applications of another program)."""
        if self.program is None:
            return self.outcome().alias(self.id)
        return pl.when(pl.col("program") == self.program).then(self.outcome()).cast(OUTCOME).alias(self.id)


def figure_columns(rules: list[Rule]) -> dict[str, pl.Expr]:
    """Every figure of every rule, once each, in rule book order."""
    out: dict[str, pl.Expr] = {}
    for r in rules:
        for name, expr in r.figures.items():
            out.setdefault(name, expr)
    return out


ELIGIBILITY = pl.Enum([ELIGIBLE, INELIGIBLE, UNDETERMINED])


def assessments(ctx: pl.LazyFrame, rules: list[Rule]) -> pl.LazyFrame:
    """One row per application of `ctx` (in its order): the key, one outcome column per rule, the eligibility
    `outcome` (§3 Kleene AND: ineligible if any rule fails, else undetermined if any is unknown, else eligible) and
    the figures.

    The figures are computed first, so a condition reads the very figure its detail prints; a rule's figures are
    null where the rule does not reach (another program, stream or version)."""
    figures = figure_columns(rules)
    scoped = {name: pl.when(_owner(rules, name).in_scope()).then(pl.col(name)) for name in figures}
    outcomes = [r.column() for r in rules]
    any_is = lambda value: pl.any_horizontal([pl.col(r.id) == value for r in rules]).fill_null(False)  # noqa: E731
    return (
        ctx.with_columns(**figures)
        .with_columns(**scoped)
        .select(*KEY, *outcomes, *figures)
        .with_columns(
            pl.when(any_is(FAIL)).then(pl.lit(INELIGIBLE)).when(any_is(UNKNOWN)).then(pl.lit(UNDETERMINED))
            .otherwise(pl.lit(ELIGIBLE)).cast(ELIGIBILITY).alias("outcome"),
        )
        .select(*KEY, "outcome", *[r.id for r in rules], *figures)
    )


def _owner(rules: list[Rule], figure: str) -> Rule:
    return next(r for r in rules if figure in r.figures)


def eligibility_sql(rules: list[Rule]) -> str:
    """The `eligibility` view: the outcome, and the failed and unknown rule ids in rule book order, listed on read
    from the outcome columns of `assessments`."""
    pairs = ", ".join(f"{{'rule': '{r.id}', 'outcome': \"{r.id}\"}}" for r in rules)

    def ids(outcome: str) -> str:
        return f"list_transform(list_filter([{pairs}], lambda x: x.outcome = '{outcome}'), lambda x: x.rule)"

    return f"""
CREATE OR REPLACE VIEW eligibility AS
SELECT application_id, program, stream, rules_version, CAST(outcome AS VARCHAR) AS outcome,
       {ids(FAIL)} AS failed_rules,
       {ids(UNKNOWN)} AS unknown_rules,
       evaluation_id
FROM assessments
"""


def rules_table(rules: list[Rule], p: Any) -> pl.DataFrame:
    """The `rules` table: every (bound) rule with its scope, versions, citation, texts filled with the values in
    force today (a letter fills them on the application's own date) and every dated value of each parameter it
    read, with its unit and reference, for analysts to join."""
    def used(r: Rule) -> list[dict]:
        return [{"name": n, "valid_from": since, "value_fr": p.show(n, value, "fr"), "value_en": p.show(n, value, "en"),
                 "unit": p.by_name[n].unit, "reference": p.by_name[n].reference}
                for n in r.parameters for since, value in p.by_name[n].values]

    return pl.DataFrame(
        {
            "ordinal": list(range(1, len(rules) + 1)),
            "rule_id": [r.id for r in rules],
            "program": [r.program for r in rules],
            "streams": [list(r.streams) if r.streams else None for r in rules],
            "substreams": [list(r.substreams) if r.substreams else None for r in rules],
            "versions": [list(r.versions) if r.versions else None for r in rules],
            "citation": [r.citation for r in rules],
            "text_fr": [p.fill(r.text_fr, "fr") for r in rules],
            "text_en": [p.fill(r.text_en, "en") for r in rules],
            "template_fr": [r.text_fr for r in rules],
            "template_en": [r.text_en for r in rules],
            "parameters": [used(r) for r in rules],
        },
        schema={
            "ordinal": pl.Int32, "rule_id": pl.String, "program": pl.String, "streams": pl.List(pl.String),
            "substreams": pl.List(pl.String), "versions": pl.List(pl.String),
            "citation": pl.String, "text_fr": pl.String, "text_en": pl.String,
            "template_fr": pl.String, "template_en": pl.String,
            "parameters": pl.List(pl.Struct({"name": pl.String, "valid_from": pl.Date, "value_fr": pl.String,
                                             "value_en": pl.String, "unit": pl.String, "reference": pl.String})),
        },
    )


# -- reading: the long table and its details, formatted on read -------------------------------------------------

# The contract's coded columns a French detail words (schemas.labels: a `column.value` label first).
WORDED = {"highest_diploma": DIPLOMAS, "job_status": JOB_STATUSES, "return_scholarship": SCHOLARSHIP,
          "job_sector": SECTORS, "quebec_stay_purpose": STAY_PURPOSES}


def _words_macros(lang: str) -> str:
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
MACROS_SQL = "-- the French word of a value of a coded column\n" + _words_macros("fr") + """
-- Each number macro reads its argument once, through a lambda: a macro's argument is copied wherever it appears,
-- and six copies of qc_money's text in qc_decimal_fr made the rule_results view three times slower to bind.
CREATE OR REPLACE MACRO qc_fixed(x, places) AS list_transform([x], lambda f: CASE WHEN f IS NULL THEN 'unknown'
    WHEN abs(f) >= 1e15 THEN printf('%.' || places || 'f', f) ELSE
    (CASE WHEN round_even(f * 10 ** places, 0) < 0 THEN '-' ELSE '' END)
    || format('{}.{}', (abs(round_even(f * 10 ** places, 0))::BIGINT // (10 ** places)::BIGINT),
              lpad((abs(round_even(f * 10 ** places, 0))::BIGINT % (10 ** places)::BIGINT)::VARCHAR, places, '0'))
    END)[1];
-- an amount in cents shows its cents, one with a fraction of a cent shows it (it is what the rule compared)
CREATE OR REPLACE MACRO qc_money(x) AS list_transform([x], lambda m: CASE WHEN abs(m * 100 - round(m * 100)) > 1e-6
    THEN qc_fixed(m, 4) ELSE qc_fixed(m, 2) END)[1];
-- a number as qc_fixed or qc_money writes it, the French way: 92 900,00
CREATE OR REPLACE MACRO qc_decimal_fr(s) AS list_transform([s], lambda v: CASE WHEN v IS NULL OR v = 'unknown'
    THEN 'inconnu' ELSE (CASE WHEN starts_with(v, '-') THEN '-' ELSE '' END)
    || replace(format('{:,}', split_part(ltrim(v, '-'), '.', 1)::HUGEINT), ',', ' ')
    || CASE WHEN contains(v, '.') THEN ',' || split_part(v, '.', 2) ELSE '' END END)[1];
CREATE OR REPLACE MACRO qc_argent(x) AS qc_decimal_fr(qc_money(x));
CREATE OR REPLACE MACRO qc_fixe(x, places) AS qc_decimal_fr(qc_fixed(x, places));
CREATE OR REPLACE MACRO qc_text(x, missing) AS coalesce(CAST(x AS VARCHAR), missing);
CREATE OR REPLACE MACRO qc_yes_no(x) AS CASE WHEN x IS NULL THEN 'unknown' WHEN x THEN 'yes' ELSE 'no' END;
CREATE OR REPLACE MACRO qc_oui_non(x) AS CASE WHEN x IS NULL THEN 'inconnu' WHEN x THEN 'oui' ELSE 'non' END;
CREATE OR REPLACE MACRO qc_days(what, days, uncertain, required, d_from, d_to) AS
    format('{}: {} days counted of {} required, in {}..{}{}', what, days, required,
           qc_text(d_from, '?'), qc_text(d_to, '?'),
           CASE WHEN uncertain > 0 THEN format(' (+{} days in spells whose occupation is uncertain)', uncertain)
                ELSE '' END);
CREATE OR REPLACE MACRO qc_jours(what, days, uncertain, required, d_from, d_to) AS
    format('{} : {} jours comptés sur {} requis, du {} au {}{}', what, days, required,
           qc_text(d_from, '?'), qc_text(d_to, '?'),
           CASE WHEN uncertain > 0 THEN format(' (+{} jours de périodes dont la profession est incertaine)', uncertain)
                ELSE '' END);
"""


def rule_results_sql(rules: list[Rule], sources: dict[str, str] | None = None) -> list[str]:
    """The views of the rules' outcomes, one row per evaluation (or application) x rule of its program, with the
    `citation` and the `detail` worded from the typed figures (null when not_applicable): `detail` and `detail_en`
    in English, `detail_fr` in French.

    `evaluation_results` reads every kept evaluation (a decision's grounds: flows/readers/explain.py reads one by its
    `evaluation_id`); `rule_results` is the latest delivery's. A detail reads the evaluation's figures (`a.`) and
    the application's columns (`p.`, the same evaluation's row). `sources`: more relations a detail reads (name ->
    SELECT with one row per evaluation_id), left-joined."""
    sources = sources or {}
    ids = ", ".join(f'"{r.id}"' for r in rules)

    def cases(lang: str) -> str:
        return "\n".join(f"            WHEN '{r.id}' THEN {_on_evaluation(r.detail if lang == 'en' else r.detail_fr)}"
                         for r in rules)

    ctes = "".join(f",\n{name} AS (\n{sql}\n)" for name, sql in sources.items())
    joins = "".join(f"\nLEFT JOIN {name} USING (evaluation_id)" for name in sources)
    return [f"""
CREATE OR REPLACE VIEW evaluation_outcomes AS
UNPIVOT (SELECT evaluation_id, application_id, {ids} FROM evaluations) ON {ids} INTO NAME rule_id VALUE outcome
""", f"""
CREATE OR REPLACE VIEW evaluation_results AS
WITH outcomes AS (SELECT * FROM evaluation_outcomes){ctes}
SELECT evaluation_id, application_id, rule_id, outcome, citation, detail_en AS detail, detail_en, detail_fr
FROM (SELECT o.evaluation_id, o.application_id, o.rule_id, o.outcome, k.citation,
       CASE WHEN o.outcome = 'not_applicable' THEN NULL ELSE CASE o.rule_id
{cases("en")}
       END END AS detail_en,
       CASE WHEN o.outcome = 'not_applicable' THEN NULL ELSE CASE o.rule_id
{cases("fr")}
       END END AS detail_fr
FROM outcomes o
JOIN evaluations a USING (evaluation_id)
JOIN rules k USING (rule_id){joins})
""", """
CREATE OR REPLACE VIEW rule_results AS
SELECT d.application_id, r.rule_id, r.outcome, r.citation, r.detail, r.detail_en, r.detail_fr
FROM deliveries d JOIN evaluation_results r USING (evaluation_id)
"""]


def _on_evaluation(detail: str) -> str:
    """A detail reads the application's columns as `p.` and the figures as `a.`: both are the evaluation's row."""
    return re.sub(r"\bp\.(?=[a-z_])", "a.", detail)
