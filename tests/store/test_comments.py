"""Data docs in the database (issue #25.2): every publish comments every table, view and column of the published,
the analysts' and a what-if's scenario database from one source (schemas/outputs.yaml), which also writes
docs/outputs-reference.md; the documentation names nothing that is not published; comments change no row, so the
ledger's seals, the no-op and `--force` work as before."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from flows import cli
from flows.runtime.errors import InputError
from flows.store import analytics, datadocs, layout
from schemas.outputs import MARKERS, Outputs
from tests.conftest import DATA
from tests.factories import APP_COLUMNS, SPELL_COLUMNS, WAGE_COLUMNS, app, spell, wage, write_csv
from tests.rules_harness import parameters
from transforms import comments

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sample(tmp_path_factory, prefect_harness):
    """The shipped sample published once: its database and its analysts' database."""
    db = tmp_path_factory.mktemp("comments") / "qcpilot.duckdb"
    result = CliRunner().invoke(cli.app, ["run", "--sample", "--db", str(db)])
    assert result.exit_code == 0, result.output
    return {"published": db, "analysts": analytics.target_of(db)}


@pytest.fixture(scope="module")
def small(tmp_path_factory, prefect_harness):
    """A small delivery published, then a what-if on it (a lower cap): the scenario database."""
    root = tmp_path_factory.mktemp("comments-small")
    apps = [app(application_id=f"A{i}", person_id=f"P{i}", submitted_at=f"2024-03-0{i}T09:00:00") for i in range(1, 6)]
    write_csv(apps, APP_COLUMNS, root / "apps" / "a.csv")
    write_csv([spell(application_id=a["application_id"]) for a in apps], SPELL_COLUMNS, root / "exp" / "e.csv")
    write_csv([wage()], WAGE_COLUMNS, root / "wages" / "w.csv")
    db = root / "q.duckdb"
    args = ["run", "--applications", str(root / "apps"), "--experience", str(root / "exp"), "--wages",
            str(root / "wages"), "--db", str(db)]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    config = root / "cap2.csv"
    pl.read_csv(DATA / "config" / "selection.csv", infer_schema_length=0).with_columns(
        pl.when((pl.col("kind") == "cap") & (pl.col("stream") == "ai")).then(pl.lit("2")).otherwise(pl.col("value"))
        .alias("value")).write_csv(config)
    scenario = root / "scenario.duckdb"
    result = CliRunner().invoke(cli.app, ["whatif", "--db", str(db), "--config", str(config), "--out", str(scenario)])
    assert result.exit_code == 0, result.output
    return {"root": root, "args": args, "published": db, "scenario": scenario}


def doc() -> Outputs:
    return datadocs.load()


def book() -> comments.Book:
    return datadocs.book(parameters())


def catalog(db: Path) -> dict:
    """What a database says of itself: its tables and views (with their kinds and columns), the comment of each
    and of each column, and the rules it names."""
    with duckdb.connect(str(db), read_only=True) as con:
        relations = {r.name: r for r in datadocs.relations(con)}
        described = dict(con.sql("""
            SELECT table_name, comment FROM duckdb_tables() WHERE database_name = current_database() AND NOT internal
            UNION ALL
            SELECT view_name, comment FROM duckdb_views() WHERE database_name = current_database() AND NOT internal
        """).fetchall())
        columns = {(t, c): comment for t, c, comment in con.sql("""
            SELECT table_name, column_name, comment FROM duckdb_columns()
            WHERE database_name = current_database() AND NOT internal""").fetchall()}
        rules = datadocs.rule_texts(con)
    return {"relations": relations, "tables": described, "columns": columns, "rules": rules}


def bare(documentation: Outputs, db: Path, analysts: bool = False) -> list[tuple[str, str | None]]:
    """The tables, views and columns of `db` that `documentation` leaves without a comment (as `describe` writes
    them: the same function)."""
    found = catalog(db)
    given = {(t, c) for _, t, c, _ in comments.comments(documentation, found["relations"].values(), book(),
                                                          found["rules"], analysts)}
    return sorted(({(t, None) for t in found["tables"]} | set(found["columns"])) - given, key=str)


def stale(documentation: Outputs, dbs: dict[str, Path]) -> list[str]:
    """What `documentation` names that no database has: a table, a table said to be in a database that lacks it (or
    left out of one that has it), a column its table has nowhere, a marker or pattern that names none of its
    columns, an entry of the dictionary, a pattern, a prefix or an analysts' id that no column reads."""
    found = {name: catalog(db) for name, db in dbs.items()}
    rules = {r for f in found.values() for r in f["rules"]}
    b = book()
    problems, used = [], set()
    for table, t in documentation.tables.items():
        for database, f in found.items():
            if (table in f["tables"]) != (database in t.databases):
                problems.append(f"{table}: {'not ' if database in t.databases else ''}in the {database} database")
            relation = f["relations"].get(table)
            if relation is not None and relation.kind != t.kind:
                problems.append(f"{table}: a {relation.kind}, documented as a {t.kind}")
        how = {c: comments.listed(documentation, table, c, b, rules)
               for f in found.values() for (tb, c) in f["columns"] if tb == table}
        for name in t.names:
            if name in MARKERS:
                named = name in how.values()
            elif "{" in name:
                named = any(h == "pattern" and documentation.match(c, b.measures)[0] == name for c, h in how.items())
            else:
                named = name in how
            if not named:
                problems.append(f"{table}: {name} {'names no column' if '{' in name else 'is not one of its columns'}")
        for column, h in how.items():
            if h is None or h == "{rules}" or column in t.own:
                continue
            for prefix in documentation.prefixes:
                if column.startswith(prefix) and column not in documentation.columns:
                    used.add(prefix)
                    column = column.removeprefix(prefix)
            used.add(column if column in documentation.columns else documentation.match(column, b.measures)[0])
    if "analysts" in found:
        used |= {("analysts", c) for (_, c) in found["analysts"]["columns"]}
    problems += [f"columns: {c} is read by no column" for c in documentation.columns if c not in used]
    problems += [f"patterns: {p} names no column" for p in documentation.patterns if p not in used]
    problems += [f"prefixes: {p} begins no column" for p in documentation.prefixes if p not in used]
    problems += [f"analysts.columns: {c} is in no table of the analysts' database"
                 for c in documentation.analysts.columns if ("analysts", c) not in used]
    return problems


def edited(change) -> Outputs:
    """A copy of the documentation, changed by `change(data)` (the YAML as read)."""
    data = yaml.safe_load(datadocs.SOURCE.read_text(encoding="utf-8"))
    change(data)
    return Outputs.model_validate(data)


# -- one source ---------------------------------------------------------------------------------------------------

def test_the_reference_pages_are_current():
    reference = (ROOT / "docs" / "outputs-reference.md").read_text(encoding="utf-8")
    assert reference == datadocs.markdown(doc(), book()), (
        "docs/outputs-reference.md is stale: run python scripts/outputs_doc.py")
    page = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    assert page == datadocs.outputs_page(page, doc()), "docs/outputs.md is stale: run python scripts/outputs_doc.py"


def test_every_column_the_code_names_has_a_meaning():
    """The contract's columns and every figure of the rule book (an experience's by its pattern)."""
    b = book()
    assert [c for c in (*b.contract, *b.figures) if comments.base_meaning(doc(), c, b.measures) is None] == []
    assert set(b.rules) and set(b.measures) and "age_on_d" in b.figures


@pytest.mark.parametrize(("change", "says"), [
    (lambda d: d["tables"]["decisions"].update(kind="tabel"), "tables.decisions.kind"),
    (lambda d: d["tables"]["runs"]["columns"].append("no_such_column"), "no_such_column has no meaning"),
    (lambda d: d["columns"].pop("late_arrival"), "late_arrival has no meaning"),
    (lambda d: d["tables"]["runs"]["columns"].append("{extract}_read"), "listed twice"),
    (lambda d: d["patterns"].update({"{rule}_days": "x"}), "patterns"),
    (lambda d: d["generated"].update(rule="{rule_id} {meaning}"), "generated.rule: names meaning"),
    (lambda d: d.update(colums={}), "colums"),
])
def test_a_documentation_that_does_not_hold_together_is_refused_naming_the_key(tmp_path, change, says):
    data = yaml.safe_load(datadocs.SOURCE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "outputs.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError) as err:
        datadocs.read(path)
    assert str(err.value).startswith(f"{path}: ") and says in str(err.value), str(err.value)


def test_a_key_written_twice_is_refused(tmp_path):
    path = tmp_path / "outputs.yaml"
    path.write_text("columns:\n  a: x\n  a: y\n", encoding="utf-8")
    with pytest.raises(InputError, match="a is written twice"):
        datadocs.read(path)


def test_a_comment_is_text_whatever_quotes_it_holds():
    text = "l'Immigration \"x\" -- '); DROP TABLE t; --"
    with duckdb.connect() as con:
        con.execute('CREATE TABLE "it""s" ("l\'col" INTEGER)')
        con.execute('CREATE VIEW v AS SELECT * FROM "it""s"')
        for kind, table, column in (("table", 'it"s', None), ("table", 'it"s', "l'col"), ("view", "v", None),
                                    ("view", "v", "l'col")):
            con.execute(comments.comment_sql(kind, table, column, text))
        assert con.sql("SELECT comment FROM duckdb_tables()").fetchall() == [(text,)]
        assert con.sql("SELECT comment FROM duckdb_views() WHERE NOT internal").fetchall() == [(text,)]
        assert con.sql("SELECT DISTINCT comment FROM duckdb_columns() WHERE NOT internal").fetchall() == [(text,)]


# -- on a published database --------------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["published", "analysts"])
def test_every_table_view_and_column_has_a_comment(sample, which):
    found = catalog(sample[which])
    assert len(found["tables"]) > 20 and len(found["columns"]) > 400
    assert [t for t, comment in found["tables"].items() if not (comment or "").strip()] == []
    assert [c for c, comment in found["columns"].items() if not (comment or "").strip()] == []


def test_a_rule_column_says_its_rule_with_its_citation_and_a_figure_the_rule_that_reads_it(sample):
    found = catalog(sample["published"])
    with duckdb.connect(str(sample["published"]), read_only=True) as con:
        rules = con.sql("SELECT rule_id, citation, text_en FROM rules ORDER BY ordinal").fetchall()
    assert len(rules) == len(book().rules)
    for rule_id, citation, text in rules:
        for table in ("assessments", "evaluations"):
            comment = found["columns"][(table, rule_id)]
            assert f"{rule_id} ({citation})" in comment and text in comment, comment
    age = found["columns"][("assessments", "age_on_d")]
    assert age.startswith("A figure of GEN_AGE_18 (") and "whole years on D" in age
    days = found["columns"][("assessments", "ord_w_experience_outside_days_required")]
    assert "ORD_W_EXPERIENCE" in days and "days required" in days
    assert "the window `ai_fw_experience_from`..`ai_fw_experience_to`" in found["columns"][
        ("evaluations", "ai_fw_experience_days")]
    assert found["tables"]["decisions"].endswith("One row per ledger entry.")


def test_the_analysts_database_says_its_ids_are_pseudonyms(sample):
    found = catalog(sample["analysts"])
    for (table, column), comment in found["columns"].items():
        if column in ("application_id", "application_key", "person_id", "person_key"):
            assert "pseudonym" in comment, (table, column)
    assert "`raw`) is left out" in found["tables"]["rejected_rows"]
    assert "pseudonym" not in "".join(catalog(sample["published"])["columns"].values())


def test_the_documentation_names_only_what_is_published(sample, small):
    dbs = {"published": sample["published"], "analysts": sample["analysts"], "scenario": small["scenario"]}
    assert stale(doc(), dbs) == []
    # a column documented after it was dropped, a view that no database has, a word no column reads: all found
    data = edited(lambda d: (d["tables"]["decisions"]["columns"].append({"dropped_column": "gone"}),
                             d["tables"].update(old_view={**d["tables"]["cap_usage"], "columns": ["program"]}),
                             d["columns"].update(nothing_reads_this="x")))
    assert sorted(stale(data, dbs)) == sorted([
        "decisions: dropped_column is not one of its columns", "old_view: not in the published database",
        "old_view: not in the analysts database", "old_view: not in the scenario database",
        "old_view: program is not one of its columns", "columns: nothing_reads_this is read by no column"])


def test_a_column_left_out_of_the_documentation_is_found(sample):
    """`describe` and this test read the same function: what it leaves bare is what a publish would."""
    assert bare(doc(), sample["published"]) == []
    assert bare(doc(), sample["analysts"], analysts=True) == []
    without = edited(lambda d: (d["tables"]["decisions"]["columns"].remove("promoted"), d["tables"].pop("cap_usage")))
    cap_usage = catalog(sample["published"])["relations"]["cap_usage"].columns
    assert set(bare(without, sample["published"])) == {("cap_usage", None), *[("cap_usage", c) for c in cap_usage],
                                                       ("decisions", "promoted")}


def test_the_scenario_database_is_commented_too(small):
    found = catalog(small["scenario"])
    assert [c for c, comment in found["columns"].items() if not comment] == []
    assert found["columns"][("whatif_summary", "baseline_selected")].startswith("In the baseline")
    assert "(art. 7 4° b))" in found["columns"][("whatif_side", "AI_FW_SALARY")]


def test_comments_change_no_row_nor_seal_and_a_run_again_is_still_a_no_op(small):
    db = small["published"]
    with duckdb.connect(str(db), read_only=True) as con:
        before = {t: layout.ledger_digest(con, t) for t in layout.CARRIED}
    copy = db.with_name("copy.duckdb")
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as con:
        assert datadocs.describe(con, book()) > 100  # again, over the same comments
        assert {t: layout.ledger_digest(con, t) for t in layout.CARRIED} == before
    layout.check_sealed(layout.inspect(copy))
    again = CliRunner().invoke(cli.app, small["args"])
    assert again.exit_code == 0 and "nothing new" in again.output, again.output
    forced = CliRunner().invoke(cli.app, [*small["args"], "--force"])
    assert forced.exit_code == 0, forced.output
    found = catalog(db)
    assert [c for c, comment in found["columns"].items() if not comment] == []
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM runs").fetchall() == [(2,)]
