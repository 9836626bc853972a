"""The documentation of the published databases (schemas/outputs.yaml), written where analysts read it: into every
database a publish writes, as comments on its tables, views and columns (`describe`, run on the staging connection
before the atomic publish, and on the analysts' database as it is built), and into docs/outputs-reference.md and
the table of docs/outputs.md (`markdown`, `summary`: python scripts/outputs_doc.py).

DuckDB keeps the comments in its catalog (`duckdb_tables()`, `duckdb_views()`, `duckdb_columns()`: `comment`); they
change no row, so neither the ledger's seals nor a run's no-op check see them. A database is described when it is
published: a change of the documentation alone reaches a database with the next run that publishes it.
"""

from __future__ import annotations

import functools
from pathlib import Path

import duckdb
import pydantic
import yaml

from flows.rulebook.parameters import _UniqueKeys
from flows.runtime.errors import InputError
from schemas.outputs import DATABASES, MARKERS, VALUES, Outputs
from transforms import comments
from transforms.comments import Book, Relation, RuleText
from transforms.evaluate import CONTRACT
from transforms.parameters import Parameters
from transforms.rules import rulebook

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "schemas" / "outputs.yaml"


def read(path: Path = SOURCE) -> Outputs:
    """The documentation in `path`, checked (InputError naming the file, the key and the problem)."""
    try:
        data = yaml.load(Path(path).read_bytes(), Loader=_UniqueKeys)  # a SafeLoader
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}:{where} not valid YAML ({getattr(exc, 'problem', None) or 'syntax error'})") from None
    try:
        return Outputs.model_validate(data)
    except pydantic.ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(part) for part in error["loc"])  # none for a problem across keys (it names them)
        raise InputError(f"{path}: {key + ': ' if key else ''}{error['msg'].removeprefix('Value error, ')}") from None


@functools.cache
def load() -> Outputs:
    """The shipped documentation (schemas/outputs.yaml), read once per process."""
    return read(SOURCE)


def book(parameters: Parameters) -> Book:
    """What of the rule book the run read (and of the contract) names columns."""
    return comments.book_of(rulebook(parameters).rules, CONTRACT["applications"])


def relations(con: duckdb.DuckDBPyConnection) -> list[Relation]:
    """The tables and views of the open database's main schema (not another attached one, nor a temporary view),
    each with its columns in order."""
    kinds = dict(con.execute("""
        SELECT table_name, 'table' FROM duckdb_tables()
        WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal AND NOT temporary
        UNION ALL
        SELECT view_name, 'view' FROM duckdb_views()
        WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal AND NOT temporary
    """).fetchall())
    columns: dict[str, list[str]] = {name: [] for name in kinds}
    for table, column in con.execute("""
            SELECT table_name, column_name FROM duckdb_columns()
            WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal
            ORDER BY table_name, column_index""").fetchall():
        if table in columns:
            columns[table].append(column)
    return [Relation(name, kind, tuple(columns[name])) for name, kind in sorted(kinds.items())]


def rule_texts(con: duckdb.DuckDBPyConnection) -> dict[str, RuleText]:
    """Every rule the database names: those of the rule book its run read (`rules`, texts filled), then those of an
    earlier rule book only (`rulebooks`: the latest run's that read one, its text a template)."""
    rows = con.execute("""
        SELECT rule_id, citation, text_en, true FROM rules
        UNION ALL
        SELECT b.rule_id, arg_max(b.citation, r.started_at), arg_max(b.template_en, r.started_at), false
        FROM rulebooks b JOIN runs r USING (rulebook_id)
        WHERE b.rule_id NOT IN (SELECT rule_id FROM rules)
        GROUP BY b.rule_id""").fetchall()
    return {rule_id: RuleText(citation, text, current) for rule_id, citation, text, current in rows}


def describe(con: duckdb.DuckDBPyConnection, described: Book, analysts: bool = False,
             doc: Outputs | None = None) -> int:
    """Comment every documented table, view and column of the open database (`analysts`: an analysts' database), in
    one transaction; returns the number of comments written. No row changes."""
    doc = doc or load()
    sql = comments.statements(doc, relations(con), described, rule_texts(con), analysts)
    con.execute("BEGIN TRANSACTION")
    try:
        for statement in sql:
            con.execute(statement)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return len(sql)


# -- the pages ----------------------------------------------------------------------------------------------------

WHERE = {"published": "published", "analysts": "analysts'", "scenario": "what-if scenario"}
SECTIONS = {"{contract}": ("application columns", "The applications extract's columns"),
            "{rules}": ("rule outcome columns", "One column per rule"),
            "{figures}": ("figures", "Every figure of the rule book")}


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _anchor(title: str) -> str:
    return "#" + title.lower().replace(" ", "-")


def summary(doc: Outputs, link: str = "outputs-reference.md") -> str:
    """The table of tables and views (docs/outputs.md): name, kind, databases, one row per, what."""
    lines = ["| table or view | one row per | what | in the databases |", "|---|---|---|---|"]
    for name, t in doc.tables.items():
        shown = f"[`{name}`]({link}#{name})" + (" (view)" if t.kind == "view" else "")
        lines.append(f"| {shown} | {_cell(t.one_row_per)} | {_cell(t.what)} | "
                     f"{', '.join(WHERE[d] for d in DATABASES if d in t.databases)} |")
    return "\n".join(lines) + "\n"


def _databases(databases: list[str]) -> str:
    names = [WHERE[d] for d in DATABASES if d in databases]
    return (", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]) + \
        (" databases" if len(names) > 1 else " database")


def _pattern_row(doc: Outputs, name: str) -> str:
    """A column named by a pattern, and the values its placeholder takes."""
    placeholder = name[name.index("{") + 1:name.index("}")]
    values = ", ".join(f"`{v}`" for v in VALUES[placeholder]) if placeholder in VALUES else "[figures](#figures)"
    return f"| `{name}` | {_cell(doc.patterns[name])} (`{{{placeholder}}}`: {values}) |"


def markdown(doc: Outputs, described: Book) -> str:
    """docs/outputs-reference.md: every table and view with its columns, then the columns the contract and the rule
    book name, then what differs in the analysts' database."""
    lines = [
        "# Outputs reference",
        "",
        "Every table, view and column qcpilot publishes. Generated by `python scripts/outputs_doc.py` from",
        "`schemas/outputs.yaml` and the rule book (`transforms/rules/`); do not edit by hand",
        "(`tests/store/test_comments.py` fails when it is stale). Back to [Outputs and queries](outputs.md).",
        "",
        "The same text is in the databases: every publish writes it as the comments of their tables, views and",
        "columns, which DuckDB lists in `duckdb_tables()`, `duckdb_views()` and `duckdb_columns()` (`comment`).",
        "The columns named after a rule read, there, the rule's citation and text from `rules`.",
        "",
        "## Tables and views",
        "",
        summary(doc, link="").rstrip("\n"),
        "",
    ]
    for name, t in doc.tables.items():
        lines += [f"### {name}", "", f"A {t.kind}, one row per {t.one_row_per}, in the {_databases(t.databases)}.",
                  "", _cell(t.what)]
        if t.analysts:
            lines += ["", _cell(t.analysts)]
        lines += ["", "| column | meaning |", "|---|---|"]
        own = t.own
        for column in t.names:
            if column in MARKERS:
                title, what = SECTIONS[column]
                lines.append(f"| `{column}` | {what}: [{title}]({_anchor(title)}) |")
            elif column in own:
                lines.append(f"| `{column}` | {_cell(own[column])} |")
            elif "{" in column:
                lines.append(_pattern_row(doc, column))
            else:
                lines.append(f"| `{column}` | {_cell(comments.base_meaning(doc, column, described.measures))} |")
        lines.append("")
    lines += _contract(doc, described) + _rules(doc, described) + _figures(doc, described) + _analysts(doc)
    return "\n".join(lines).rstrip("\n") + "\n"


def _contract(doc: Outputs, described: Book) -> list[str]:
    lines = ["## Application columns", "",
             "The columns of the applications extract (docs/spec/contract.md, `schemas/applications.py`), normalized",
             "as parsing types them (`{contract}` above).", "", "| column | meaning |", "|---|---|"]
    for column in described.contract:
        lines.append(f"| `{column}` | {_cell(comments.base_meaning(doc, column) or '')} |")
    return [*lines, ""]


def _rules(doc: Outputs, described: Book) -> list[str]:
    def shown(template: str) -> str:
        return _cell(template.format(rule_id="RULE_ID", citation="citation", text="text"))

    lines = ["## Rule outcome columns", "",
             "One column per rule of the rule book, named by its id, in rule book order (`{rules}` above;",
             "[the rule book](rulebook.md) gives each rule's text and legal values). In the database, each one's",
             "comment is the rule's, its citation and text read from `rules` (`text_en`):", "",
             f"> {shown(doc.generated.rule)}", "",
             "and a column that only an earlier rule book had (it stays in `evaluations`) reads its rule in",
             "`rulebooks` (`template_en`):", "", f"> {shown(doc.generated.earlier_rule)}", "",
             "| column | citation |", "|---|---|"]
    lines += [f"| `{rule}` | {_cell(citation)} |" for rule, citation in described.rules.items()]
    return [*lines, ""]


def _figures(doc: Outputs, described: Book) -> list[str]:
    template = doc.generated.figure.format(rule_id="RULE_ID", citation="citation", meaning="its meaning")
    lines = ["## Figures", "",
             "The typed figures behind the outcomes (`{figures}` above), in rule book order, each read by one rule.",
             "In the database, each one's comment names that rule:", "", f"> {_cell(template)}", "",
             "| figure | rule | meaning |", "|---|---|---|"]
    shown = set()
    for figure, rule in described.figures.items():
        found = doc.match(figure, described.measures)
        if found is not None and found[0] in doc.patterns and "{measure}" in found[0]:
            if found[0] not in shown:
                shown.add(found[0])
                lines.append(f"| `{found[0]}` | every experience rule | {_cell(doc.patterns[found[0]])} |")
            continue
        lines.append(f"| `{figure}` | `{rule}` | {_cell(comments.base_meaning(doc, figure) or '')} |")
    measured: dict[str, list[str]] = {}
    for figure, rule in described.figures.items():
        found = doc.match(figure, described.measures)
        if found is not None and "{measure}" in found[0]:
            measured.setdefault(found[1]["measure"], []).append(rule)
    lines += ["", "The experiences measured (`{measure}`), each by its rule: "
              + ", ".join(f"`{m}` (`{rules[0]}`)" for m, rules in measured.items()) + "."]
    return [*lines, ""]


def _analysts(doc: Outputs) -> list[str]:
    lines = ["## The analysts' database", "", _cell(doc.analysts.what), "",
             "Its ids, in every table and view:", "", "| columns | meaning |", "|---|---|"]
    same: dict[str, list[str]] = {}
    for column, meaning in doc.analysts.columns.items():
        same.setdefault(meaning, []).append(f"`{column}`")
    lines += [f"| {', '.join(columns)} | {_cell(meaning)} |" for meaning, columns in same.items()]
    return [*lines, ""]


BEGIN = "<!-- generated by scripts/outputs_doc.py from schemas/outputs.yaml: do not edit down to the end mark -->"
END = "<!-- end of the generated table -->"


def outputs_page(page: str, doc: Outputs) -> str:
    """docs/outputs.md (`page`) with its table of tables and views, between BEGIN and END, written from `doc`
    (ValueError when the page has not the two marks, in that order)."""
    start, end = page.find(BEGIN), page.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the page has no {BEGIN} ... {END} to write the table between")
    return page[:start + len(BEGIN)] + "\n" + summary(doc) + page[end:]
