"""Evaluate a handful of applications (and spells, wages) and read one rule's outcome and detail."""

from __future__ import annotations

import duckdb
import polars as pl

from flows.ingest.reference import load_references
from flows.rulebook import parameters_path
from flows.rulebook.parameters import load
from tests.conftest import DATA
from tests.factories import AS_OF, parsed
from transforms import engine
from transforms.evaluate import delivery_views, evaluate, reading_views, validate_all
from transforms.rules import rulebook

_REFS = None
_PARAMETERS = None


def parameters():
    """The shipped rule book's legal values (data/rulebook/parameters.yaml)."""
    global _PARAMETERS
    if _PARAMETERS is None:
        _PARAMETERS = load(parameters_path(DATA))
    return _PARAMETERS


def refs():
    global _REFS
    if _REFS is None:
        _REFS = load_references(DATA)
    return _REFS


def evaluate_rows(apps: list[dict], spells: list[dict] = (), wages: list[dict] = (), p=None) -> dict[str, pl.DataFrame]:
    """`p`: other legal values than the shipped ones (default)."""
    kept, rejected = validate_all({
        "applications": parsed(list(apps), "applications"),
        "experience": parsed(list(spells), "experience"),
        "wages": parsed(list(wages), "wages"),
    }, AS_OF)
    assert rejected.height == 0, rejected.to_dicts()
    p = p or parameters()
    return with_views(evaluate(kept["applications"], kept["experience"], kept["wages"], refs(), p), p)


def with_views(out: dict, p=None) -> dict:
    """The evaluation's frames and, read through the views of the published database (an in-memory DuckDB), its
    `eligibility` and `rule_results`."""
    con = duckdb.connect()
    try:
        for name, frame in {**{t: out[t] for t in ("evaluations", "evaluation_wages", "deliveries")},
                            "rules": engine.rules_table(rulebook(p or parameters()).rules, p or parameters())}.items():
            con.register("__frame", frame)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM __frame")
            con.unregister("__frame")
        for sql in delivery_views(con) + reading_views(con):
            con.execute(sql)
        return {**out,
                "eligibility": con.sql("SELECT * FROM eligibility ORDER BY application_id").pl(),
                "rules": con.sql("SELECT * FROM rules ORDER BY ordinal").pl(),
                "rule_results": con.sql("SELECT application_id, rule_id, outcome::VARCHAR AS outcome, citation, detail "
                                        "FROM rule_results ORDER BY application_id, rule_id").pl()}
    finally:
        con.close()


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
