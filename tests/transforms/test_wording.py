"""Details as templates with named figures (transforms.wording): the money macros write what Babel writes for the
locale, to the cent and past it; the templates compile to what their fields say, and refuse what they cannot read."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import duckdb
import pytest

from transforms import wording
from transforms.sqlfiles import statements


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect()
    for statement in statements(wording.MACROS_SQL):
        con.execute(statement)
    con.execute("""CREATE TABLE evaluations AS SELECT 1 AS evaluation_id, 92900.00::DECIMAL(18, 2) AS funds_cad,
        TRUE AS signed, NULL::BOOLEAN AS in_cmm, 'master' AS highest_diploma, DATE '2024-05-01' AS submitted_on,
        NULL::DATE AS obtained_on, 3::INTEGER AS uncertain, 0::INTEGER AS none_uncertain, 68.6::DOUBLE AS wage_cad,
        NULL::VARCHAR AS code, NULL::INTEGER AS months, 'held' AS job_status, 'ai' AS job_sector""")
    yield con
    con.close()


def word(con, template: str, lang: str) -> str | None:
    types = dict(con.sql("SELECT column_name, column_type FROM (DESCRIBE evaluations)").fetchall())
    sql = wording.compile_detail(template, lang, types, ("lines",))
    return con.sql(f"SELECT {sql} FROM evaluations a, (SELECT 'x' AS text) lines").fetchall()[0][0]


AMOUNTS = ["92900", "1234567.891", "0.5", "-0.5", "999.99", "1000", "0.005", "0.015", "-1234.005", "6171.996",
           "100000000000000.00", "12345678901234.5678", "0", "151530118.52", "4775657512447.98", "97750433740683.67",
           "1e39", "4755.99999", "0.00001"]


def places(value: Decimal) -> int:
    """Cents, or every place of an amount with a fraction of a cent (at least four): it is what the rule compared."""
    if value == value.to_integral_value() or value == value.quantize(Decimal("0.01")):
        return 2
    return max(4, -value.normalize().as_tuple().exponent)


@pytest.mark.parametrize("lang", wording.LANGUAGES)
@pytest.mark.parametrize("amount", AMOUNTS)
@pytest.mark.parametrize("sql_type", ["DECIMAL(38, 6)", "DOUBLE"])  # amounts of the contract are doubles
def test_a_details_money_is_what_babel_writes_for_the_locale(con, lang, amount, sql_type):
    value = Decimal(amount)
    if sql_type.startswith("DECIMAL") and abs(value) >= Decimal("1e32"):
        pytest.skip("beyond DECIMAL(38, 6)")
    if sql_type == "DOUBLE" and (len(value.normalize().as_tuple().digits) > 15 or abs(value) >= Decimal("1e15")):
        pytest.skip("more digits than a double holds (test_money_in_both_languages has its own cases)")
    sql = con.sql(f"SELECT qc_money_{lang}('{amount}'::{sql_type})").fetchall()[0][0]
    assert sql == wording.detail_money(value, lang, places(value))


@pytest.mark.parametrize(("lang", "amount", "expected"), [
    ("en", "92900", "92900.00 CAD"), ("fr", "92900", "92\u00a0900,00\u00a0$"),
    ("en", "1234567.891", "1234567.8910 CAD"), ("fr", "1234567.891", "1\u00a0234\u00a0567,8910\u00a0$"),
    ("fr", "-0.5", "-0,50\u00a0$"), ("en", "NULL", "unknown"), ("fr", "NULL", "inconnu"),
    # doubles past the integers a double holds exactly keep their cents (found by the hostile test of #23)
    ("en", "97750433740683.67::DOUBLE", "97750433740683.67 CAD"),
    ("en", "950000000000000::DOUBLE", "950000000000000.00 CAD"),
    ("fr", "1e39::DOUBLE", "\u00a0".join(["999", "999", "999", "999", "999", "939", "709", "166", "371", "603",
                                            "178", "586", "112,00", "$"])),
])
def test_money_in_both_languages(con, lang, amount, expected):
    sql = amount if "::" in amount else f"{amount}::DECIMAL(38, 6)"
    assert con.sql(f"SELECT qc_money_{lang}({sql})").fetchall()[0][0] == expected


def test_a_rate_keeps_the_places_the_template_asks(con):
    assert word(con, "{wage_cad:4}", "en") == "68.6000 CAD"
    assert word(con, "{wage_cad:4}", "fr") == "68,6000\u00a0$"


@pytest.mark.parametrize(("template", "en", "fr"), [
    ("{funds_cad}", "92900.00 CAD", "92\u00a0900,00\u00a0$"),
    ("signed: {signed}", "signed: yes", "signed: oui"),
    ("in the CMM: {in_cmm}", "in the CMM: unknown", "in the CMM: inconnu"),
    ("in the CMM: {in_cmm|no stay}", "in the CMM: no stay", "in the CMM: no stay"),
    ("{highest_diploma}", "master's degree", "maîtrise"),  # a coded value in the language's word
    ("job {job_status}, sector {job_sector}", "job held, sector artificial intelligence",
     "job occupé, sector intelligence artificielle"),
    ("code {code}; {months} months", "code unknown; unknown months", "code inconnu; inconnu months"),  # not blank
    ("{code|not given}", "not given", "not given"),
    ("{lines.text}", "x", "x"),
    ("on {submitted_on}, obtained {obtained_on|?}", "on 2024-05-01, obtained ?", "on 2024-05-01, obtained ?"),
    ("{if in_cmm is unknown:two thresholds}{else:one}", "two thresholds", "two thresholds"),
    ("{if signed is unknown:none}{else:{funds_cad} {signed}}", "92900.00 CAD yes", "92\u00a0900,00\u00a0$ oui"),
    ("days{if uncertain > 0: (+{uncertain} uncertain)}", "days (+3 uncertain)", "days (+3 uncertain)"),
    ("days{if none_uncertain > 0: (+{none_uncertain} uncertain)}", "days", "days"),
    ("braces {{ }} and quotes ' stay", "braces { } and quotes ' stay", "braces { } and quotes ' stay"),
])
def test_a_template_words_each_field_by_its_type(con, template, en, fr):
    assert (word(con, template, "en"), word(con, template, "fr")) == (en, fr)


@pytest.mark.parametrize(("template", "problem"), [
    ("{funds}", "not a column"),
    ("{if signed is maybe:x}", "the condition must be"),
    ("{else:x}", "follows no"),
    ("ab {if signed is known:x", "the '{' at character 4 is never closed"),
    ("x}", "closes nothing at character 2"),
    ("{Bad Name}", "cannot read the field at character 1"),
    ("{if 1=1 OR a.signed is known:x}", "the condition must be"),  # no SQL reaches the view through a condition
    ("{if x.y); DROP TABLE t; -- is known:z}", "the condition must be"),
    ("{if nope is known:x}", "not a column"),
    ("{other.column}", "other is not a relation the details read"),
    ("{if highest_diploma > 0:x}", "is not a number"),
    ("{if submitted_on > 0:x}", "is not a number"),
    ("{uncertain:4}", "places are for money"),
    ("{funds_cad:0}", "cannot read the field"),
    ("{if uncertain > 0:{{b}}}", "a brace as text"),
    ("{if signed is known:x}{else nope:y}", "follows no"),
])
def test_a_template_it_cannot_read_is_refused_saying_where(con, template, problem):
    with pytest.raises(ValueError, match=problem):
        word(con, template, "en")


def test_every_rules_template_compiles_against_the_columns_of_a_real_evaluation():
    """A misspelt field fails here, naming the rule (a run would stop on it as an internal error)."""
    from tests.factories import app
    from tests.rules_harness import evaluate_rows
    from transforms.engine import rule_results_sql
    from transforms.rules import DETAIL_SOURCES, RULES

    out = evaluate_rows([app()])
    probe = duckdb.connect()
    probe.register("evaluations", out["evaluations"])
    types = dict(probe.sql("SELECT column_name, column_type FROM (DESCRIBE evaluations)").fetchall())
    assert rule_results_sql(RULES, types, DETAIL_SOURCES)  # raises ValueError naming the rule and the field
    broken = [dataclasses.replace(RULES[0], detail_en="{intends_to_settle_in_quebek}")]
    with pytest.raises(ValueError, match="GEN_PROGRAM_IN_FORCE, detail_en: {intends_to_settle_in_quebek} is not a "
                                         "column"):
        rule_results_sql(broken, types, DETAIL_SOURCES)


def test_a_legal_amount_in_a_text_is_written_as_the_locale_writes_it():
    assert wording.money(100000, "en") == "$100,000"
    assert wording.money(100000.01, "en") == "$100,000.01"
    assert wording.money(100000, "fr") == "100\u00a0000\u00a0$"
    assert wording.money(Decimal("120000.01"), "fr") == "120\u00a0000,01\u00a0$"
