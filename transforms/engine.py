"""The rule engine: every rule is a polars expression evaluated over all applications at once.

A rule gives a Kleene condition (true = pass, false = fail, null = unknown), an optional `applies` condition
(false -> not_applicable), the typed `figures` behind its outcome, and a `detail` per language: a template naming
those figures, compiled to SQL that words them on read (transforms.wording). Its scope (program, streams,
substreams, versions) makes it not_applicable elsewhere.

The evaluation is columnar to the core: `assessments` holds one row per application with one enum column per rule
(named by its id) and the figures as typed columns. The long `rule_results` (application x rule, with a text detail)
is a view over it, so millions of detail strings are never built at run time (README, Outputs).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from schemas.enums import ELIGIBILITY as ELIGIBILITY_NAMES
from schemas.enums import RULE_OUTCOMES
from transforms.wording import compile_detail

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
    # the figures in words, a template per language (transforms.wording): `{name}` a column of the evaluation
    detail_en: str | None = None
    detail_fr: str | None = None
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

def rule_results_sql(rules: list[Rule], types: Mapping[str, str], sources: dict[str, str] | None = None) -> list[str]:
    """The views of the rules' outcomes, one row per evaluation (or application) x rule of its program, with the
    `citation` and the `detail` worded from the typed figures (null when not_applicable): `detail` and `detail_en`
    in English, `detail_fr` in French.

    `evaluation_results` reads every kept evaluation (a decision's grounds: flows/readers/explain.py reads one by its
    `evaluation_id`); `rule_results` is the latest delivery's. A detail's template reads the columns of the
    evaluation's row (`types`: column -> DuckDB type of `evaluations`) and `sources`: more relations (name ->
    SELECT with one row per evaluation_id), left-joined."""
    sources = sources or {}
    ids = ", ".join(f'"{r.id}"' for r in rules)

    def compiled(r: Rule, lang: str) -> str:
        try:
            return compile_detail(getattr(r, f"detail_{lang}"), lang, types, tuple(sources))
        except ValueError as exc:
            raise ValueError(f"{r.id}, detail_{lang}: {exc}") from None

    def cases(lang: str) -> str:
        return "\n".join(f"            WHEN '{r.id}' THEN {compiled(r, lang)}" for r in rules)

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

