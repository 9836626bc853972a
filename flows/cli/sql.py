"""`qcpilot sql`: SQL on a published database, read-only, with the project's own DuckDB."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from flows.cli.common import DEFAULT_ANALYTICS, app, damage_said, db_option, err, fail, out, require_published
from flows.runtime import interrupts
from flows.runtime.errors import Interrupted

PROMPT = "qcpilot sql> "
DOT_COMMANDS = {".tables": "SHOW TABLES", ".help": ""}  # the statement each runs ("": the prompt's help)


@app.command()
def sql(
    statement: Annotated[str | None, typer.Argument(metavar="QUERY", show_default=False, hidden=True)] = None,
    db: Annotated[Path, db_option("The analysts' database (no direct identifier), or the full one: "
                                  "data/out/qcpilot.duckdb.", "data/out/qcpilot-analytics.duckdb")] = DEFAULT_ANALYTICS,
    out_file: Annotated[Path | None, typer.Option("--out", metavar="FILE",
                                                  help="Write every row of the result to a .csv or .parquet file "
                                                       "instead of showing the first ones.")] = None,
    max_rows: Annotated[int, typer.Option("--max-rows", metavar="N", min=1, max=100_000,
                                          help="Rows shown on the terminal (--out writes them all).")] = 50,
    replace: Annotated[bool, typer.Option("--replace", help="Let --out write over an existing file.")] = False,
) -> None:
    """Run QUERY (SQL; several statements: the last one's rows) on the database, read-only, with the DuckDB this
    release writes it with; no QUERY: statements read from the input, or typed at a prompt (each ends with `;`,
    `.quit` or Ctrl-D ends). The query reaches no other file (no COPY, read_csv or ATTACH)."""
    from flows.readers import sql as reading

    require_published(db, analytics_too=True)
    if out_file is not None and (problem := reading.out_problem(out_file, replace)) is not None:
        fail(f"--out {out_file}: {problem}", 2)
    with damage_said(db):
        con = reading.connect(db)
        try:
            if statement is not None:
                _answer(con, statement, out_file, db, max_rows, stop=True)
            elif not sys.stdin.isatty():
                _answer(con, sys.stdin.read(), out_file, db, max_rows, stop=True)
            else:
                _prompt(con, out_file, db, max_rows)
        finally:
            con.close()


def _answer(con, statement: str, out_file: Path | None, db: Path, max_rows: int, stop: bool) -> None:
    """One query's answer: its rows shown, or written to `out_file`; a refused query is one line (exit 2 when
    `stop`, the prompt goes on otherwise)."""
    from flows.readers import sql as reading

    try:
        relation = reading.query(con, statement)
        if relation is None:
            return
        if out_file is not None:
            try:
                written = reading.write_result(relation, out_file, db)
            except OSError as exc:
                fail(f"--out {out_file}: cannot be written ({exc.strerror or 'input/output error'})", 1)
            out.print(f"wrote {written} rows to {out_file}", highlight=False)
            return
        columns, rows, more = reading.rows(relation, max_rows)
    except reading.QueryError as exc:
        if stop:
            fail(f"query refused: {exc}", 2)
        err.print(f"query refused: {exc}", highlight=False, soft_wrap=True)
        return
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(columns)]
    if sum(widths) + 3 * len(widths) <= out.width:
        table = Table(*columns, box=box.SIMPLE_HEAD, show_edge=False, highlight=False)
        for row in rows:
            table.add_row(*row)
        out.print(table)
    else:  # too wide for the terminal: each row as a block of `column  value` lines
        pad = max(len(c) for c in columns)
        for n, row in enumerate(rows, 1):
            out.print(f"-[ row {n} ]-", *(f"{c.ljust(pad)}  {v}" for c, v in zip(columns, row, strict=True)),
                      sep="\n", highlight=False)
    if more:
        out.print(f"(the first {max_rows} rows; --max-rows N shows more, --out FILE writes every row)",
                  highlight=False)


def _prompt(con, out_file: Path | None, db: Path, max_rows: int) -> None:
    """Statements typed at a prompt, each run once its `;` is typed."""
    import readline  # noqa: F401  (line editing and history for input())

    lines: list[str] = []
    while True:
        try:
            line = input(PROMPT if not lines else " " * (len(PROMPT) - 4) + "...> ")
        except EOFError:
            out.print()
            return
        except (KeyboardInterrupt, Interrupted) as exc:  # Ctrl-C drops the statement being typed, as a shell does
            if getattr(exc, "signal_name", "SIGINT") != "SIGINT":
                raise  # SIGTERM still ends the command
            interrupts.received = None
            out.print()
            lines = []
            continue
        command = line.strip()
        if not lines and command in (".quit", ".exit", "\\q"):
            return
        if not lines and command.startswith("."):  # DuckDB's shell commands an analyst may know
            said = DOT_COMMANDS.get(command.split()[0])
            if said is None:
                err.print(f"{command.split()[0]}: not known here; .tables, .help and .quit are", highlight=False)
            elif said:
                _answer(con, said, out_file, db, max_rows, stop=False)
            else:
                out.print("SQL statements end with `;`. .tables lists the tables and views, .quit (or Ctrl-D) ends; "
                          "Ctrl-C drops the statement being typed.", highlight=False)
            continue
        lines.append(line)
        if line.rstrip().endswith(";"):
            _answer(con, "\n".join(lines), out_file, db, max_rows, stop=False)
            lines = []
