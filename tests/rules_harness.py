"""Evaluate a handful of applications (and spells, wages) and read one rule's outcome and detail."""

from __future__ import annotations

import polars as pl

from flows.reference import load_references
from tests.conftest import DATA
from tests.factories import AS_OF, parsed
from transforms.evaluate import evaluate, validate_all

_REFS = None


def refs():
    global _REFS
    if _REFS is None:
        _REFS = load_references(DATA)
    return _REFS


def evaluate_rows(apps: list[dict], spells: list[dict] = (), wages: list[dict] = ()) -> dict[str, pl.DataFrame]:
    kept, rejected = validate_all({
        "applications": parsed(list(apps), "applications"),
        "experience": parsed(list(spells), "experience"),
        "wages": parsed(list(wages), "wages"),
    }, AS_OF)
    assert rejected.height == 0, rejected.to_dicts()
    return evaluate(kept["applications"], kept["experience"], kept["wages"], refs())


def outcome(out: dict, application_id: str, rule_id: str) -> str:
    r = out["rule_results"].filter((pl.col("application_id") == application_id) & (pl.col("rule_id") == rule_id))
    assert r.height == 1, f"no result for {application_id} {rule_id}"
    return r.get_column("outcome")[0]


def detail(out: dict, application_id: str, rule_id: str) -> str:
    r = out["rule_results"].filter((pl.col("application_id") == application_id) & (pl.col("rule_id") == rule_id))
    return r.get_column("detail")[0]


def outcomes(apps: list[dict], rule_id: str, spells=(), wages=()) -> list[str]:
    """The outcome of `rule_id` for each application, in the order given."""
    out = evaluate_rows(apps, spells, wages)
    return [outcome(out, a["application_id"], rule_id) for a in apps]
