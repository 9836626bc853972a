"""`qcpilot report`: the self-contained HTML report of a published database."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from flows.cli.common import (
    DATA,
    DEFAULT_DB,
    app,
    damage_said,
    db_option,
    fail,
    out,
    require_published,
)


@app.command()
def report(
    db: Annotated[Path, db_option("Published DuckDB file, or the analysts' one beside it (no one is named).")] = (
        DEFAULT_DB),
    out_file: Annotated[Path, typer.Option("--out", metavar="FILE", show_default=False,
                                           help="HTML file to write.  [default: data/out/report.html]")] = (
        DATA / "out" / "report.html"),
    lang: Annotated[str, typer.Option(metavar="fr|en",
                                      help="fr (default) or en: the whole report in that language.")] = "fr",
    whatif: Annotated[Path | None, typer.Option(metavar="FILE",
                                                help="Add the section of a what-if scenario database.")] = None,
) -> None:
    """One self-contained HTML report: caps, the eligibility funnel, IT/VFX wages against thresholds, the rejected
    rows by reason (and a what-if scenario beside its baseline, with who enters and leaves the selection)."""
    if lang not in ("fr", "en"):
        fail(f"--lang must be fr or en, not {lang!r}", 2)
    require_published(db, analytics_too=True)  # the report names no one: the analysts' database serves too
    if whatif is not None:
        require_published(whatif, whatif=True)
    from flows.readers.report import target_problem, write_report

    if (problem := target_problem(out_file)) is not None:
        fail(f"--out {out_file}: {problem}", 2)
    target = Path(os.path.realpath(out_file))
    try:
        with damage_said(*[d for d in (db, whatif) if d is not None]):
            written = write_report(db, target, lang, whatif)
    except OSError as exc:
        fail(f"--out {out_file}: cannot be written ({exc.strerror or 'input/output error'})", 1)
    out.print(f"wrote {written}")
