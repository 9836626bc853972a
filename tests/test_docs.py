"""The examples of the README and of docs/ cannot go stale: each is run on the shipped sample and its output compared
with the one shown (issue #23).

Two kinds of fenced blocks are examples:
- ```console: `$ qcpilot ARGS` lines, each followed by the output it prints. Paths under `data/out/` are this test's
  own folder, a command without `--db` reads the sample's database, and a run id (12 hex digits) reads `RUN_ID`.
- ```sql: statements, each followed by the rows it returns as `-- a | b | c` lines; `-- ... N rows` after them says
  how many rows there are when only the first are shown. A statement without such lines must run; a comment after a
  blank line is a comment. A first line
  `-- db: NAME` runs the block on data/out/NAME.duckdb (a what-if scenario written by an earlier console example).
Examples run in the order of the pages (the README, then docs/ in the order the README lists them).
"""

import datetime as dt
import decimal
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows import cli
from flows.readers.sql import connect

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["README.md", "docs/operations.md", "docs/decisions.md", "docs/whatif.md", "docs/bad-input.md",
         "docs/outputs.md", "docs/upgrading.md", "docs/performance.md", "docs/changing-the-rules.md",
         "docs/development.md", "docs/evaluate.md"]
BLOCK = re.compile(r"^```(console|sql)[^\n]*\n(.*?)^```", re.M | re.S)
RUN_ID = re.compile(r"\b[0-9a-f]{12}\b")
READS_A_DB = {"run", "explain", "report", "whatif", "sql"}
# what the analysts' database leaves out (transforms/analytics.py), or an application named by its id: a query naming
# one answers on the full database only (a case officer's)
NEEDS_IDENTITIES = re.compile(r"\b(birth_date|job_title|raw)\b|'A\d{8}'")


def examples() -> list[tuple[str, str, str]]:
    found = []
    for page in PAGES:
        for i, m in enumerate(BLOCK.finditer((ROOT / page).read_text(encoding="utf-8"))):
            found.append((f"{page}#{i + 1}", m.group(1), m.group(2)))
    return found


def commands(block: str) -> list[tuple[str, list[str]]]:
    """(command line, the output lines shown after it) of a console block."""
    pairs: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            pairs.append((line[2:], []))
        elif pairs:
            pairs[-1][1].append(line.rstrip())
    return pairs


def statements(block: str) -> tuple[str | None, list[tuple[str, list[str], int | None]]]:
    """The database named by `-- db:`, and (statement, rows shown, rows in all) of a SQL block."""
    lines = block.splitlines()
    db = None
    if lines and lines[0].startswith("-- db:"):
        db, lines = lines[0].split(":", 1)[1].strip(), lines[1:]
    found: list[tuple[str, list[str], int | None]] = []
    text, after = [], False
    for line in lines:
        if line.startswith("-- ") and after:
            if (m := re.fullmatch(r"-- \.\.\. (\d+) rows", line.strip())):
                found[-1] = (found[-1][0], found[-1][1], int(m.group(1)))
            else:
                found[-1][1].append(line[3:].rstrip())
            continue
        if not line.strip():
            after = False  # a blank line ends a statement's rows: a comment after it is a comment
            continue
        if line.startswith("--"):
            continue
        after = False
        text.append(line)
        if line.rstrip().endswith(";"):
            found.append(("\n".join(text), [], None))
            text, after = [], True
    return db, found


def cell(v) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, float):
        return repr(round(v, 6))
    if isinstance(v, decimal.Decimal | dt.date):
        return str(v)
    return str(v)


@pytest.fixture(scope="module")
def out(tmp_path_factory, prefect_harness):
    """data/out/ of the examples: the sample published once."""
    folder = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(cli.app, ["run", "--sample", "--db", str(folder / "qcpilot.duckdb")])
    assert result.exit_code == 0, result.output
    return folder


def argv(line: str, out: Path) -> list[str]:
    words = shlex.split(line)
    assert words[0] == "qcpilot", f"an example runs qcpilot, not {words[0]}"
    words = [str(out / w.removeprefix("data/out/")) if w.startswith("data/out/") else w for w in words[1:]]
    if words[0] in READS_A_DB and "--db" not in words and "--sample" not in words:
        words += ["--db", str(out / "qcpilot.duckdb")]
    return words


@pytest.mark.parametrize(("where", "kind", "block"), examples(), ids=[e[0] for e in examples()])
def test_every_example_shows_what_it_prints(where, kind, block, out):
    if kind == "console":
        for line, shown in commands(block):
            result = CliRunner().invoke(cli.app, argv(line, out))
            printed = [RUN_ID.sub("RUN_ID", text.rstrip()).replace(str(out) + "/", "data/out/").replace(f"{ROOT}/", "")
                       for text in result.output.rstrip("\n").splitlines()]
            assert printed == shown, f"{where}: `{line}` prints\n" + "\n".join(printed)
        return
    db, found = statements(block)
    # as `qcpilot sql` runs them (read-only, no other file reachable); the published database's queries answer on
    # the analysts' database too, the same number of rows (its ids are pseudonyms)
    with connect(out / f"{db or 'qcpilot'}.duckdb") as con, connect(out / "qcpilot-analytics.duckdb") as analysts:
        for sql, rows, total in found:
            got = con.sql(sql).fetchall()
            printed = [" | ".join(cell(v) for v in row) for row in got]
            assert printed[:len(rows)] == rows, f"{where}: {sql}\nreturns\n" + "\n".join(printed[:10])
            assert (total or len(rows) or len(got)) == len(got), f"{where}: {sql} returns {len(got)} rows"
            if db is None and not NEEDS_IDENTITIES.search(sql):
                assert len(analysts.sql(sql).fetchall()) == len(got), f"{where}: {sql} on the analysts' database"
