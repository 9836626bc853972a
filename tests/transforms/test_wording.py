"""Details as templates with named figures (transforms.wording): the money macros write what Babel writes for the
locale, to the cent and past it; the templates compile to what their fields say, and refuse what they cannot read."""

from __future__ import annotations

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
        NULL::DATE AS obtained_on, 3::INTEGER AS uncertain, 0::INTEGER AS none_uncertain, 68.6::DOUBLE AS wage_cad""")
    yield con
    con.close()


def word(con, template: str, lang: str) -> str | None:
    types = dict(con.sql("SELECT column_name, column_type FROM (DESCRIBE evaluations)").fetchall())
    return con.sql(f"SELECT {wording.compile_detail(template, lang, types)} FROM evaluations a").fetchall()[0][0]


AMOUNTS = ["92900", "1234567.891", "0.5", "-0.5", "999.99", "1000", "0.005", "0.015", "-1234.005", "6171.996",
           "100000000000000.00", "12345678901234.5678", "0"]


@pytest.mark.parametrize("lang", wording.LANGUAGES)
@pytest.mark.parametrize("amount", AMOUNTS)
def test_a_details_money_is_what_babel_writes_for_the_locale(con, lang, amount):
    sql = con.sql(f"SELECT qc_money_{lang}({amount}::DECIMAL(38, 6))").fetchall()[0][0]
    value = Decimal(amount)
    places = 2 if value == value.quantize(Decimal("0.01")) else 4  # a fraction of a cent is what the rule compared
    assert sql == wording.detail_money(value, lang, places)


@pytest.mark.parametrize(("lang", "amount", "expected"), [
    ("en", "92900", "92900.00 CAD"), ("fr", "92900", "92\u00a0900,00\u00a0$"),
    ("en", "1234567.891", "1234567.8910 CAD"), ("fr", "1234567.891", "1\u00a0234\u00a0567,8910\u00a0$"),
    ("fr", "-0.5", "-0,50\u00a0$"), ("en", "NULL", "unknown"), ("fr", "NULL", "inconnu"),
])
def test_money_in_both_languages(con, lang, amount, expected):
    assert con.sql(f"SELECT qc_money_{lang}({amount}::DECIMAL(38, 6))").fetchall()[0][0] == expected


def test_a_rate_keeps_the_places_the_template_asks(con):
    assert word(con, "{wage_cad:4}", "en") == "68.6000 CAD"
    assert word(con, "{wage_cad:4}", "fr") == "68,6000\u00a0$"


@pytest.mark.parametrize(("template", "en", "fr"), [
    ("{funds_cad}", "92900.00 CAD", "92\u00a0900,00\u00a0$"),
    ("signed: {signed}", "signed: yes", "signed: oui"),
    ("in the CMM: {in_cmm}", "in the CMM: unknown", "in the CMM: inconnu"),
    ("in the CMM: {in_cmm|no stay}", "in the CMM: no stay", "in the CMM: no stay"),
    ("{highest_diploma}", "master", "maîtrise"),  # a coded value in the language's word
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
    ("{if signed is known:x", "never closed"),
    ("x}", "closes nothing"),
    ("{Bad Name}", "cannot read the field"),
])
def test_a_template_it_cannot_read_is_refused_saying_where(con, template, problem):
    with pytest.raises(ValueError, match=problem):
        word(con, template, "en")


def test_every_rules_template_reads_only_columns_of_the_evaluation():
    from transforms.rules import DETAIL_SOURCES, RULES
    for rule in RULES:
        for lang in wording.LANGUAGES:
            for name in wording.fields(getattr(rule, f"detail_{lang}") or ""):
                assert "." not in name or name.split(".")[0] in DETAIL_SOURCES, (rule.id, name)


def test_a_legal_amount_in_a_text_is_written_as_the_locale_writes_it():
    assert wording.money(100000, "en") == "$100,000"
    assert wording.money(100000.01, "en") == "$100,000.01"
    assert wording.money(100000, "fr") == "100\u00a0000\u00a0$"
    assert wording.money(Decimal("120000.01"), "fr") == "120\u00a0000,01\u00a0$"
