"""Every rule of the rule book, in the order of docs/spec/rules.md §4 (docs/rulebook.md lists them with their
values). A program's rules live in its own module, each with its condition, figures and experience measures as
functions of the legal values `p` (data/rulebook/parameters.yaml); `rulebook(p)` binds them."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from transforms.engine import Rule
from transforms.experience import Measure
from transforms.noc import noc_version
from transforms.parameters import Parameters
from transforms.rules import ai_it_vfx, food_processing, general, orderlies
from transforms.rules.common import list_name

PROGRAMS = [ai_it_vfx, food_processing, orderlies]
RULES = [*general.RULES, *ai_it_vfx.RULES, *food_processing.RULES, *orderlies.RULES]  # as written: `lambda p:`
# relations the details read besides `assessments` and `applications` (engine.rule_results_sql)
DETAIL_SOURCES = {**ai_it_vfx.DETAIL_SOURCES}


@dataclass(frozen=True)
class RuleBook:
    """The rules bound to one set of legal values: what a run evaluates."""

    parameters: Parameters
    rules: list[Rule]

    @property
    def measures(self) -> list[Measure]:
        return [m for r in self.rules for m in r.measures]

    def code_lists(self, noc2021: pl.DataFrame) -> dict[str, tuple[str, dict[str, str]]]:
        """The occupation lists the rules read, each dated value under its own name (common.list_name):
        name -> (NOC version of its codes, code -> condition kind)."""
        p = self.parameters
        lists = {}
        for program in PROGRAMS:
            for name in program.OCCUPATION_LISTS:
                for index, (_, codes) in enumerate(p.by_name[name].values):
                    version = "2016" if all(noc_version(c) == "2016" for c in codes) else "2021"
                    lists[list_name(name, index)] = (version, {str(c): kind for c, kind in codes.items()})
            for name in program.TEER_LISTS:
                for index, (_, teers) in enumerate(p.by_name[name].values):
                    codes = noc2021.filter(pl.col("teer").is_in(list(teers))).get_column("noc_code").to_list()
                    lists[list_name(name, index)] = ("2021", {str(c): "any" for c in codes})
        return lists


def rulebook(p: Parameters) -> RuleBook:
    """Every rule bound to the values of `p` (a parameter missing from `p` raises KeyError with its name)."""
    return RuleBook(p, [r.bind(p) for r in RULES])


__all__ = ["RULES", "PROGRAMS", "DETAIL_SOURCES", "RuleBook", "rulebook"]
