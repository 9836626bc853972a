"""Every rejection reason the pipeline can write, and every rule's citation, has its French (schemas/french.py): a
French letter or report is French throughout."""

from __future__ import annotations

import re

import polars as pl
import pytest

from schemas import MODELS, french
from transforms import parse
from transforms.rules import RULES
from transforms.sqlfiles import read
from transforms.validate import _check_text

ENGLISH_IN_CITATIONS = re.compile(r"\b(seed|stream|Work|Education|requirements|paragraph|occupations|profile|have|"
                                  r"if any|general)\b")


def model_reasons() -> list[str]:
    found = []
    for model in MODELS.values():
        schema = model.to_schema()
        for name, column in schema.columns.items():
            found += [f"{name}: {_check_text(check.error)}" for check in column.checks]
            if not column.nullable:
                found.append(f"{name}: {_check_text('not_nullable')}")
        found += [check.error for check in schema.checks]
    return found


def parser_reasons() -> list[str]:
    """What the parser says of an unreadable value of each type: from CSV text, and from Parquet numbers (a
    timestamp's reason, parsed in stages over helper columns, is listed below as it reads)."""
    cases = [(pl.String, "x", target) for target in (pl.Boolean, pl.Int64, pl.Float64, pl.Date)]
    cases += [(pl.Int64, 5, pl.Boolean), (pl.Float64, 1.5, pl.Int64), (pl.String, "123", pl.String)]
    found = []
    for source, value, target in cases:
        _, reason = parse.parse_expr("x", target, source, digits=(4, 5) if target == pl.String else None)
        found += [r for r in pl.DataFrame({"x": [value]}, schema={"x": source}).select(reason).to_series() if r]
    return found


def cross_check_reasons() -> list[str]:
    """The reasons of sql/cross_checks.sql, as its text spells them (a test that fails when the SQL's words change)."""
    sql = re.sub(r"'\s*\|\|\s*'", "", read("cross_checks.sql"))
    said = ["application_id is shared with another row of different content (ids compared in canonical form; every "
            "row sharing it is rejected)",
            "application_id: no such application in the applications extract",
            "application_id: the application was rejected",
            "noc_code, region and reference_year repeat another row of different content (every such row is "
            "rejected)"]
    for text in said:
        assert text in sql, text
    assert "application_id was decided in program {}, stream {}: it keeps the program and stream it was decided in" \
        in sql
    return [*said, "application_id was decided in program ai_it_vfx, stream ai: it keeps the program and stream it "
                   "was decided in"]


@pytest.mark.parametrize("reason", [*model_reasons(), *cross_check_reasons(), *parser_reasons(),
                                    "submitted_at is after the time of the run (a submission in the future)",
                                    "job_noc_code: 4 digits where codes have 5 (stored as a number, a code loses its "
                                    "leading zeros)", "birth_date: a year outside 1 to 9999",
                                    "birth_date: not a date YYYY-MM-DD", "funds_available_cad: not a number",
                                    "submitted_at: not an ISO 8601 timestamp (a date and a time of day; a local time "
                                    "must exist in America/Toronto)", "paid: not a boolean (0 or 1)"])
def test_every_reason_has_its_french(reason):
    assert french.is_known(reason), reason
    said = french.reason(reason, "fr")
    assert said != reason and french.reason(reason, "en") == reason
    columns = set(re.findall(r"\b[a-z_0-9]+_[a-z_0-9]+\b", reason))
    assert columns <= set(re.findall(r"\b[a-z_0-9]+_[a-z_0-9]+\b", said)), "a column's name is kept as it is"


def test_an_unknown_reason_stays_as_it_is():
    assert not french.is_known("something new") and french.reason("something new", "fr") == "something new"


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_every_citation_reads_in_french(rule):
    said = french.citation(rule.citation, "fr")
    assert not ENGLISH_IN_CITATIONS.search(said), said
    assert re.findall(r"art\. [\d.]+", said) == re.findall(r"art\. [\d.]+", rule.citation)  # the articles unchanged
    assert french.citation(rule.citation, "en") == rule.citation
