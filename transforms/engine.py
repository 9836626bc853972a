"""The rule engine: every rule is a polars expression evaluated over all applications at once.

A rule gives a Kleene condition (true = pass, false = fail, null = unknown), an optional `applies` condition
(false -> not_applicable) and a `detail` text with the figures behind the outcome. Its scope (program, streams,
substreams, versions) makes it not_applicable elsewhere. Program rules plug in by being listed in
`transforms.rules.RULES`; the engine does not change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

PASS, FAIL, NA, UNKNOWN = "pass", "fail", "not_applicable", "unknown"
OUTCOMES = [PASS, FAIL, NA, UNKNOWN]
OUTCOME = pl.Enum(OUTCOMES)
ELIGIBLE, INELIGIBLE, UNDETERMINED = "eligible", "ineligible", "undetermined"


@dataclass(frozen=True)
class Rule:
    id: str
    citation: str
    text_en: str
    text_fr: str
    condition: pl.Expr
    detail: pl.Expr = field(default_factory=lambda: pl.lit(None, pl.String))
    applies: pl.Expr | None = None
    program: str | None = None  # None: every program (general rules)
    streams: tuple[str, ...] | None = None
    substreams: tuple[str, ...] | None = None
    versions: tuple[str, ...] | None = None

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


def rule_results(ctx: pl.LazyFrame, rules: list[Rule]) -> pl.LazyFrame:
    """Long table application × rule, for the rules of the application's program (general rules for all).

    A program's rules are evaluated on that program's applications only, so no outcome or detail is computed for
    a row it would not be published for. Rows come rule by rule (rule book order), applications in `ctx` order.
    rule_id and citation are enums (dictionary-encoded): millions of rows carry small codes, not repeated text.
    """
    rule_ids = pl.Enum([r.id for r in rules])
    citations = pl.Enum(list(dict.fromkeys(r.citation for r in rules)))
    parts = []
    for r in rules:
        rows = ctx if r.program is None else ctx.filter(pl.col("program") == r.program)
        outcome = r.outcome()
        parts.append(
            rows.select(
                "application_id",
                pl.lit(r.id).cast(rule_ids).alias("rule_id"),
                outcome.alias("outcome"),
                pl.lit(r.citation).cast(citations).alias("citation"),
                pl.when(outcome == NA).then(pl.lit(None, pl.String)).otherwise(r.detail.cast(pl.String)).alias("detail"),
            )
        )
    return pl.concat(parts)


def eligibility(apps: pl.LazyFrame, results: pl.LazyFrame) -> pl.LazyFrame:
    """§3 Kleene AND: ineligible if any rule fails, else undetermined if any is unknown, else eligible.

    The lists of failed and unknown rule ids come from the few failing rows of `results` (rule book order).
    """
    lists = (
        results.filter(pl.col("outcome").is_in([FAIL, UNKNOWN]))
        # a group-by does not keep row order within a group: sort by the rule book's order (the enum's) explicitly
        .sort("application_id", pl.col("rule_id").to_physical())
        .group_by("application_id", maintain_order=True)
        .agg(
            pl.col("rule_id").filter(pl.col("outcome") == FAIL).cast(pl.String).alias("failed_rules"),
            pl.col("rule_id").filter(pl.col("outcome") == UNKNOWN).cast(pl.String).alias("unknown_rules"),
        )
    )
    return apps.select("application_id", "program", "stream", "rules_version").join(
        lists, on="application_id", how="left", maintain_order="left"
    ).with_columns(
        pl.col("failed_rules", "unknown_rules").fill_null(pl.lit([], pl.List(pl.String)))
    ).with_columns(
        pl.when(pl.col("failed_rules").list.len() > 0).then(pl.lit(INELIGIBLE))
        .when(pl.col("unknown_rules").list.len() > 0).then(pl.lit(UNDETERMINED))
        .otherwise(pl.lit(ELIGIBLE)).alias("outcome")
    ).select("application_id", "program", "stream", "rules_version", "outcome", "failed_rules", "unknown_rules")


def rules_table(rules: list[Rule]) -> pl.DataFrame:
    """The `rules` table: every rule with its scope, citation and texts, for analysts to join."""
    return pl.DataFrame(
        {
            "ordinal": list(range(1, len(rules) + 1)),
            "rule_id": [r.id for r in rules],
            "program": [r.program for r in rules],
            "streams": [list(r.streams) if r.streams else None for r in rules],
            "substreams": [list(r.substreams) if r.substreams else None for r in rules],
            "versions": [list(r.versions) if r.versions else None for r in rules],
            "citation": [r.citation for r in rules],
            "text_fr": [r.text_fr for r in rules],
            "text_en": [r.text_en for r in rules],
        },
        schema={
            "ordinal": pl.Int32, "rule_id": pl.String, "program": pl.String, "streams": pl.List(pl.String),
            "substreams": pl.List(pl.String), "versions": pl.List(pl.String),
            "citation": pl.String, "text_fr": pl.String, "text_en": pl.String,
        },
    )
