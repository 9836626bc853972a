"""`qcpilot evaluate`: one or more applications given as JSON, decided as the batch would decide them, without a
ledger, a database file or a Prefect flow run (flows/pipeline/cases.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from flows.cli.common import DATA, DEFAULT_CONFIG, QCPILOT, SAMPLE, ConfigOpt, app, err, fail, out
from flows.cli.explain import write_json

STDIN = "stdin"  # how the problems of cases read from standard input name it


@app.command()
def evaluate(
    source: Annotated[str, typer.Argument(metavar="FILE.json|-", show_default=False, hidden=True)],
    format_: Annotated[str, typer.Option("--format", metavar="letter|json",
                                         help="letter (default) or json: a list with every rule's outcome and typed "
                                              "figures, for other systems.")] = "letter",
    lang: Annotated[str, typer.Option(metavar="fr|en",
                                      help="fr (default) or en: the letters, texts and details in that "
                                           "language.")] = "fr",
    wages: Annotated[list[str] | None, typer.Option(metavar="PATH",
                                                    help="The wage extract: file, directory or glob; repeatable; CSV "
                                                         "and Parquet (default: data/sample/wages, the sample "
                                                         "run's).")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Decide applications given as JSON as a run would: validated like the extracts, every rule evaluated, with
    no ledger (an eligible application's rank and cap are the batch's). Wages: the shipped sample's by default.

    FILE.json (or - for the standard input) holds one object or a list: the contract's application columns as keys,
    the spells as a list under `spells`."""
    from flows.ingest.cases import CaseProblems, read_cases
    from flows.pipeline.cases import basis, decided
    from flows.runtime.errors import QcpilotError
    from schemas import MODELS

    if lang not in ("fr", "en"):
        fail(f"--lang must be fr or en, not {lang!r}", 2)
    if format_ not in ("letter", "json"):
        fail(f"--format must be letter or json, not {format_!r}", 2)
    name = STDIN if source == "-" else source
    try:
        data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as exc:
        fail(f"{name}: cannot be read ({exc.strerror or type(exc).__name__})", 2)
    columns = {e: list(MODELS[e].to_schema().columns) for e in ("applications", "experience")}
    try:
        cases = read_cases(data, name, columns["applications"], columns["experience"])
        with decided(cases, basis(wages or [str(SAMPLE / "wages")], config, DATA)) as found:
            if format_ == "json":
                write_json(found.as_json(lang))
            else:
                out.print(found.letters(lang), highlight=False, markup=False, soft_wrap=True, block=True, emoji=False)
    except CaseProblems as exc:  # every problem of every case, one line each
        for line in exc.lines:
            err.print(QCPILOT, line, highlight=False, soft_wrap=True, markup=False, emoji=False)
        raise typer.Exit(2) from None
    except QcpilotError as exc:
        fail(str(exc), exc.exit_code)
