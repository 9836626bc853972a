"""Expressions shared by the rules of several programs (docs/spec/rules.md §2). `p` is the rule book's parameters
(transforms.parameters.Parameters): no legal value is written here."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from transforms import experience
from transforms.engine import Rule
from transforms.experience import Measure, enough
from transforms.noc import list_match
from transforms.parameters import Parameters

D = pl.col("submitted_on")
V2023 = pl.col("rules_version") == "2023"


# The wording of a job's facts, read by the job rules of several programs (templates: transforms.wording).
JOB_DETAIL_EN = ("job {job_status}: NOC {job_noc_code|not given}, full-time {job_full_time}, in Quebec "
                 "{job_in_quebec}, sector {job_sector|not given}, ineligible sector {job_ineligible_sector}, "
                 "employer controlled {employer_controlled_by_applicant}, skills match {skills_match_job}")
JOB_DETAIL_FR = ("emploi {job_status} : CNP {job_noc_code|non fourni}, temps plein {job_full_time}, au Québec "
                 "{job_in_quebec}, secteur {job_sector|non fourni}, secteur inadmissible {job_ineligible_sector}, "
                 "entreprise contrôlée {employer_controlled_by_applicant}, profil de compétences {skills_match_job}")


def diploma_rank(p: Parameters) -> dict[str, int]:
    """§2 diploma order (general.diploma_order): the rank of every diploma; diplomas listed together rank equal."""
    return {d: rank for rank, same in enumerate(p.only("general.diploma_order"), start=1) for d in same}


def diploma_at_least(p: Parameters, name: str) -> pl.Expr:
    """§2 diploma order: highest_diploma ranks at least the diploma that parameter `name` names."""
    ranks = diploma_rank(p)
    mine = pl.col("highest_diploma").replace_strict(ranks, return_dtype=pl.Int8)
    return p.piecewise(name, lambda level: mine >= ranks[level])


def within_months_before(p: Parameters, day: pl.Expr, name: str, include_d: bool = False) -> pl.Expr:
    """§2 "within the N months preceding D" (N: parameter `name`): D - N months <= day < D (<= D where a rule says
    so explicitly)."""
    upper = day <= D if include_d else day < D
    return (day >= p.months_before(D, name)) & upper


def not_controlled_where_excluded(p: Parameters, controlled: pl.Expr) -> pl.Expr:
    """The employer-control conditions exist from the date of ai_it_vfx.employer_control_excluded (A.M. 2023-002,
    art. 7 4°, 7.1, 9, 10.1)."""
    return p.piecewise("ai_it_vfx.employer_control_excluded",
                       lambda excluded: ~controlled if excluded else pl.lit(True))


def occupation(p: Parameters, name: str, on: str = "", sector: pl.Expr | None = None,
               title_ok: pl.Expr | None = None) -> pl.Expr:
    """Kleene: the occupation code of a spell (on="") or of the job (on="job_") is in the occupation list that
    parameter `name` holds on D, with its sector or title condition (transforms.noc, facts named after the list)."""
    sectors = p.only("ai_it_vfx.occupation_sectors") if sector is not None else None
    expr = None
    for index, (since, _) in enumerate(p[name].values):
        match = list_match(f"{on}{list_name(name, index)}", sector=sector, sectors=sectors, title_ok=title_ok)
        expr = match if expr is None else pl.when(D >= since).then(match).otherwise(expr)
    return expr


def list_name(parameter: str, index: int) -> str:
    """The name of the occupation facts of the `index`-th dated value of an occupation-list parameter."""
    return f"{parameter}#{index}"


Of = Callable[[Parameters], pl.Expr]  # an expression of the legal values


@dataclass(frozen=True)
class Experience:
    """One experience an experience rule measures: the days of qualifying spells in a window, against a number of
    months (a legal value), worded in each language for the letter."""

    name: str  # the measure's columns: NAME_days, NAME_days_required, NAME_from, NAME_to, ...
    months: str  # the legal value of the months required
    scope: Of  # the applications it is measured for
    window_from: Of
    window_to: Of
    qualifies: Of  # a spell that counts
    words_en: str
    words_fr: str


def experience_rule(*, experiences: list[Experience], condition: Callable[[Parameters], pl.Expr] | None = None,
                    figures: Callable[[Parameters], dict[str, pl.Expr]] | None = None, **rule) -> Rule:
    """A rule of §2's experience shape: each experience measured, enough days of each (unless `condition` says
    otherwise), its figures (and `figures`' own) and its worded detail; `rule`: the rest of the Rule (id, citation,
    program, versions, streams, texts, applies)."""
    def days(p: Parameters, e: Experience) -> pl.Expr:
        return p.months_to_days(e.months)

    def measured(p: Parameters) -> list[Measure]:
        return [Measure(e.name, scope=e.scope(p), window_from=e.window_from(p), window_to=e.window_to(p),
                        qualifies=e.qualifies(p)) for e in experiences]

    def all_enough(p: Parameters) -> pl.Expr:
        return functools.reduce(operator.and_, [enough(e.name, days(p, e)) for e in experiences])

    def all_figures(p: Parameters) -> dict[str, pl.Expr]:
        found = {k: v for e in experiences for k, v in experience.figures(e.name, days(p, e)).items()}
        return {**found, **(figures(p) if figures else {})}

    def worded(lang: str) -> str:
        return "; ".join(experience.detail(e.name, e.words_en if lang == "en" else e.words_fr, lang)
                         for e in experiences)

    return Rule(condition=condition or all_enough, figures=all_figures, measures=measured,
                detail_en=worded("en"), detail_fr=worded("fr"), **rule)
