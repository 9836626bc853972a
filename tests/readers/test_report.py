"""The report counts right (issue #25, point 4): every count it shows is the one an analyst's SQL on the published
views gives, every name is a name (not a code) in the page's language, and a what-if lists who enters and leaves.

The sample is published once, with a what-if scenario that both lets applications in and keeps others out; each
test reads the report's HTML (its tables and the texts its charts draw) and compares it with its own SQL.
"""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from flows import cli
from flows.readers import reasons as reason_module
from flows.readers.report import WORDS, build_report, wage_points
from schemas.enums import PROGRAMS, STREAMS, SUBSTREAMS
from schemas.labels import label
from transforms.interpretation import MONEY_EPS
from transforms.rules import RULES

# the scenario: a higher CMM salary threshold (some AI foreign workers leave the selection) and a lower one elsewhere
# (some enter)
SCENARIO = """ai_it_vfx:
  salary_minimum_in_cmm:
    values: {2021-04-22: 110000}
  salary_minimum_elsewhere:
    values: {2021-04-22: 60000}
"""


@pytest.fixture(scope="module")
def published(tmp_path_factory, prefect_harness):
    """(database, scenario database, {lang: the report's HTML}) of the shipped sample."""
    root = tmp_path_factory.mktemp("report")
    db, scenario = root / "qcpilot.duckdb", root / "whatif.duckdb"
    result = CliRunner().invoke(cli.app, ["run", "--sample", "--db", str(db)])
    assert result.exit_code == 0, result.output
    (root / "scenario.yaml").write_text(SCENARIO, encoding="utf-8")
    result = CliRunner().invoke(cli.app, ["whatif", "--db", str(db), "--parameters", str(root / "scenario.yaml"),
                                          "--out", str(scenario)])
    assert result.exit_code == 0, result.output
    pages = {}
    for lang in ("fr", "en"):
        out = root / f"report-{lang}.html"
        result = CliRunner().invoke(cli.app, ["report", "--db", str(db), "--whatif", str(scenario), "--lang", lang,
                                              "--out", str(out)])
        assert result.exit_code == 0, result.output
        pages[lang] = out.read_text(encoding="utf-8")
    return db, scenario, pages


def sql(db: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(query).fetchall()


class Tables(HTMLParser):
    """The tables of a page by id: each row as (its attributes, its cells); a cell as (its text without the <code>
    in it, the text of its <code>)."""

    def __init__(self, page: str):
        super().__init__()
        self.tables: dict[str, list[tuple[dict, list[tuple[str, str]]]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._code: list[str] | None = None
        self._in_code = False
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "id" in attrs:
            self._table = attrs["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append((attrs, []))
        elif tag in ("td", "th") and self._table:
            self._cell, self._code = [], []
        elif tag == "code" and self._cell is not None:
            self._in_code = True
        elif tag == "div" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag == "code":
            self._in_code = False
        elif tag in ("td", "th") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            self.tables[self._table][-1][1].append((text, " ".join(self._code)))
            self._cell = self._code = None

    def handle_data(self, data):
        if self._cell is not None:
            (self._code if self._in_code else self._cell).append(data)

    def rows(self, table: str) -> list[list[str]]:
        """The body rows of a table (not its header, nor a program's heading row), as their cells' texts."""
        return [[text for text, _ in cells] for attrs, cells in self.tables[table][1:]
                if not (len(cells) == 1 and attrs == {})]


def number(text: str) -> int:
    return int(re.sub(r"[\s,\u202f\u00a0]", "", text))


def drawn(page: str) -> list[str]:
    """Every text the page's charts draw (matplotlib keeps each as a comment beside its glyphs)."""
    return [html.unescape(t) for svg in re.findall(r"<svg.*?</svg>", page, flags=re.S)
            for t in re.findall(r"<!-- (.*?) -->", svg, flags=re.S)]


# -- the funnel ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_funnel_lists_every_rule_an_application_fails_or_leaves_unknown_with_its_text(published, lang):
    db, _, pages = published
    tables = Tables(pages[lang])
    shown = {attrs["data-rule"]: cells for attrs, cells in tables.tables["funnel"] if "data-rule" in attrs}
    expected = {r: (f, u) for r, f, u in sql(db, """
        SELECT rule_id, sum(failed)::BIGINT, sum(unknown)::BIGINT FROM funnel_by_rule GROUP BY ALL
        HAVING sum(failed) + sum(unknown) > 0""")}
    # counted again from assessments (one column per rule): on a first run every decision rests on today's evaluation
    columns = ", ".join(f"""count(*) FILTER (WHERE "{r.id}" = 'fail'), count(*) FILTER (WHERE "{r.id}" = 'unknown')"""
                        for r in RULES)
    counts = sql(db, f"SELECT {columns} FROM assessments")[0]
    from_assessments = {r.id: (counts[2 * i], counts[2 * i + 1]) for i, r in enumerate(RULES)
                        if counts[2 * i] + counts[2 * i + 1] > 0}
    assert from_assessments == expected
    assert len(expected) == 29  # the 20 it used to keep, and the 9 it silently left out
    assert {r: (number(cells[2][0]), number(cells[3][0])) for r, cells in shown.items()} == expected
    for rule, failed in (("AI_QG_SCHOLARSHIP", 13), ("AI_FW_DIPLOMA", 16), ("ORD_EMPLOYER_NOT_CONTROLLED", 17)):
        assert number(shown[rule][2][0]) == failed
    texts = dict(sql(db, f"SELECT rule_id, text_{lang} FROM rules"))
    for rule, cells in shown.items():
        assert cells[0] == (" ".join(texts[rule].split()), rule)  # the rule's text, its id beside it
    # every rule under its program's name (the general rules first), most failures first within it
    groups = [cells[0][0] for attrs, cells in tables.tables["funnel"][1:] if "data-rule" not in attrs]
    assert groups == [WORDS[lang]["all_programs"], *[label(p, lang) for p in PROGRAMS]]


# -- the wage chart --------------------------------------------------------------------------------------------------

def test_the_wage_chart_has_one_point_per_application_as_assessments_counts_them(published):
    db, _, pages = published
    counts = dict(sql(db, """SELECT ITV_WAGE_ABOVE_D9, count(*) FROM assessments
                             WHERE ITV_WAGE_ABOVE_D9 IN ('pass', 'fail') GROUP BY ALL"""))
    assert counts == {"pass": 348, "fail": 205}
    rows = sql(db, "SELECT count(*) FROM wage_checks w JOIN assessments a USING (application_id) "
                   "WHERE a.ITV_WAGE_ABOVE_D9 IN ('pass', 'fail')")[0][0]
    assert rows > sum(counts.values())  # what the chart used to count: a point per (application, NOC code)
    for lang, page in pages.items():
        for outcome in ("pass", "fail"):
            group = re.search(rf'<g id="wages-{outcome}">(.*?)</g>', page, flags=re.S)
            assert group is not None
            assert group.group(1).count("<use ") == counts[outcome]
            assert f"{label(outcome, lang)} ({counts[outcome]})" in drawn(page)


def test_each_point_sits_at_the_threshold_that_decided_it(published):
    db, _, _ = published
    with duckdb.connect(str(db), read_only=True) as con:
        points = wage_points(con)
    thresholds = pl.DataFrame(sql(db, """
        SELECT application_id, max(threshold_hourly_cad), min(threshold_hourly_cad), count(*)
        FROM wage_checks GROUP BY ALL"""), schema=["application_id", "highest", "lowest", "codes"], orient="row")
    both = points.join(thresholds, on="application_id", how="left")
    assert both.height == 348 + 205 and both.get_column("application_id").is_unique().all()
    met, missed = both.filter(pl.col("outcome") == "pass"), both.filter(pl.col("outcome") == "fail")
    assert (met.get_column("threshold_hourly_cad") == met.get_column("highest")).all()
    assert (missed.get_column("threshold_hourly_cad") == missed.get_column("lowest")).all()
    assert (met.get_column("hourly_wage_cad") > met.get_column("threshold_hourly_cad") + MONEY_EPS / 2).all()
    assert (missed.get_column("hourly_wage_cad") <= missed.get_column("threshold_hourly_cad") + MONEY_EPS).all()
    # where the choice shows: a job of several codes whose thresholds differ, not met, sits at the lowest
    assert missed.filter((pl.col("codes") > 1) & (pl.col("lowest") < pl.col("highest"))).height > 0


# -- names, not codes ------------------------------------------------------------------------------------------------

CODES = [c for c in [*PROGRAMS, *STREAMS, *SUBSTREAMS, "cap_reached", "outside_intake", "not_applicable"] if "_" in c]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_charts_tables_and_legends_name_programs_streams_statuses_and_rules(published, lang):
    db, _, pages = published
    page = pages[lang]
    labels = drawn(page)
    assert len(labels) > 40
    tables = Tables(page)
    cells = [text for rows in tables.tables.values() for _attrs, row in rows for text, _code in row]
    rule_ids = [r.id for r in RULES]
    for text in labels + cells:
        for code in CODES:
            assert not re.search(rf"\b{code}\b", text), (code, text)
        for rule in rule_ids:  # a rule id only beside its text, in a <code> of its own
            assert rule not in text, (rule, text)
    coded = [c for c in [*PROGRAMS, *STREAMS] if label(c, lang) != c]  # "work" is the English name of `work`
    assert not any(" · " in t and t.split(" · ")[0] in coded for t in labels)
    assert f"{label('it_vfx', lang)} · 2024" in labels and label("ai_it_vfx", lang) in labels
    assert f"{WORDS[lang]['whole_program']} · 2024" in labels
    inputs = tables.rows("inputs")
    assert [row[0] for row in inputs] == [WORDS[lang][f"extract_{e}"] for e in ("applications", "experience",
                                                                                  "wages")]
    if lang == "fr":
        assert [row[0] for row in inputs] == ["demandes", "expérience de travail", "salaires"]
        assert "(table eligibility)" not in page and ">selected<" not in page
        assert "satisfaite (348)" in labels and "non satisfaite (205)" in labels
    statuses = tables.tables["status"][0][1]
    assert [text for text, _ in statuses[1:]] == [label(s, lang) for s, in sql(db, """
        SELECT status FROM (SELECT DISTINCT status FROM selections)
        ORDER BY list_position(['selected', 'cap_reached', 'ineligible', 'undetermined', 'duplicate',
                                'outside_intake'], status)""")]


def test_the_status_table_and_the_cards_count_the_published_views(published):
    db, _, pages = published
    tables = Tables(pages["en"])
    header = [text for text, _ in tables.tables["status"][0][1]]
    shown = {(row[0], header[i]): number(row[i]) for row in tables.rows("status") for i in range(1, len(row))}
    expected = {(label(p, "en"), label(s, "en")): n for p, s, n in sql(
        db, "SELECT program, status, count(*) FROM selections GROUP BY ALL")}
    assert {k: v for k, v in shown.items() if v} == expected
    eligibility = dict(sql(db, "SELECT outcome, count(*) FROM eligibility GROUP BY ALL"))
    for outcome, n in eligibility.items():
        assert re.search(rf"<b>{n:,}</b>{re.escape(WORDS['en'][outcome])}</div>", pages["en"])


# -- rejected rows ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["fr", "en"])
def test_rejected_rows_are_counted_by_extract_and_reason_and_never_shown(published, lang):
    db, _, pages = published
    page = pages[lang]
    shown = {(row[0], row[1]): number(row[2]) for row in Tables(page).rows("rejected")}
    expected = sql(db, """SELECT extract, reason, count(*)
                          FROM (SELECT extract, unnest(reasons) AS reason FROM rejected_rows) GROUP BY ALL""")
    assert len(expected) == 18 and sum(n for *_, n in expected) == 20  # 19 rows, one of them with two reasons
    assert shown == {(WORDS[lang][f"extract_{e}"], reason_module.reason_words(r, lang)): n for e, r, n in expected}
    assert re.search(r"19 (rows were rejected|lignes ont été rejetées)", page)
    rejected_inputs = {row[0]: number(row[3]) for row in Tables(page).rows("inputs")}
    assert rejected_inputs == {WORDS[lang][f"extract_{e}"]: n for e, n in sql(
        db, "SELECT extract, count(*) FROM rejected_rows GROUP BY ALL")}
    # nothing of a rejected row: not its id, nor its file, nor a value only it holds
    for application_id, source_file, raw in sql(db, "SELECT application_id, source_file, raw FROM rejected_rows"):
        assert Path(source_file).name not in page
        if application_id:
            assert f">{application_id}<" not in page and f" {application_id} " not in page
        for key, value in json.loads(raw).items():
            if key in ("person_id", "birth_date", "job_title") and value and len(str(value)) > 3:
                assert str(value) not in page, (key, value)


# -- what-if ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_whatif_section_lists_who_enters_and_leaves_the_selection(published, lang):
    db, scenario, pages = published
    tables = Tables(pages[lang])
    entering = sql(scenario, """SELECT application_id FROM whatif_changes
                                WHERE scenario_status = 'selected' AND baseline_status <> 'selected' ORDER BY 1""")
    leaving = sql(scenario, """SELECT application_id FROM whatif_changes
                               WHERE baseline_status = 'selected' AND scenario_status <> 'selected' ORDER BY 1""")
    totals = sql(scenario, "SELECT sum(entering_selection), sum(leaving_selection) FROM whatif_summary")[0]
    assert (len(entering), len(leaving)) == totals == (2, 12)
    assert sorted(row[0] for row in tables.rows("entering")) == [a for a, in entering]
    assert sorted(row[0] for row in tables.rows("leaving")) == [a for a, in leaving]
    # each with what changes for it: the salary rule's text as the scenario fills it, and its two outcomes
    text = " ".join(sql(scenario, f"SELECT text_{lang} FROM rules WHERE rule_id = 'AI_FW_SALARY'")[0][0].split())
    for row in tables.rows("leaving"):
        assert row[3] == f"{label('selected', lang)} → {label('ineligible', lang)}"
        assert row[5] == f"{text} : {label('pass', lang)} → {label('fail', lang)}"  # the rule's id in a <code>
    for row in tables.rows("entering"):
        assert row[3] == f"{label('ineligible', lang)} → {label('selected', lang)}"
    # the legal values changed: the parameter's name, its reference in the rule book, the rule that reads it
    values = tables.tables["whatif-values"][1:]
    names = [cells[0][1].split()[0] for _attrs, cells in values]
    assert names == ["ai_it_vfx.salary_minimum_elsewhere", "ai_it_vfx.salary_minimum_in_cmm"]
    for _attrs, cells in values:
        assert cells[1][0] == "art. 7 4° b)"
        assert text in cells[0][0]
    said = {"fr": ("75\u00a0000\u00a0$", "60\u00a0000\u00a0$"), "en": ("$75,000", "$60,000")}[lang]
    assert (values[0][1][3][0], values[0][1][4][0]) == tuple(" ".join(v.split()) for v in said)
    # per stream and year, as whatif_summary counts
    summary = tables.rows("whatif-summary")
    expected = sql(scenario, """SELECT stream, selection_year, baseline_selected, scenario_selected,
                                       entering_selection, leaving_selection FROM whatif_summary
                                WHERE baseline_selected + scenario_selected + entering_selection
                                      + leaving_selection > 0
                                ORDER BY program, stream, selection_year""")
    assert [[row[0], int(row[1]), *[number(c) for c in row[2:]]] for row in summary] == \
           [[label(s, lang), y, *rest] for s, y, *rest in expected]


def test_a_report_without_a_scenario_has_no_whatif_section_and_builds_from_the_database_alone(published):
    db, _, _ = published
    page = build_report(db, "en")
    assert 'id="whatif"' not in page and 'id="funnel"' in page and 'id="rejected"' in page
