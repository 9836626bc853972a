"""`qcpilot serve`: the nightly deployment, its arguments checked before it serves."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from flows.cli.common import (
    DATA,
    DEFAULT_CONFIG,
    DEFAULT_DB,
    SAMPLE,
    ConfigOpt,
    app,
    db_option,
    fail,
    out,
    prefect_api_problem,
    prefect_api_url,
)
from schemas.enums import EXTRACTS, MAX_REJECTED_PERCENT


@app.command()
def serve(
    inbox: Annotated[Path, typer.Option(metavar="DIR",
                                        help="Directory with applications/, experience/ and wages/ subfolders.")],
    cron: Annotated[str, typer.Option(metavar="CRON", help="Cron schedule, America/Toronto time.")] = "0 2 * * *",
    db: Annotated[Path, db_option("DuckDB file to publish.")] = DEFAULT_DB,
    config: ConfigOpt = DEFAULT_CONFIG,
    max_rejected: Annotated[float, typer.Option("--max-rejected", metavar="PERCENT",
                                                help="Percent of an extract's rows that may be "
                                                "rejected; above it a night publishes "
                                                "nothing.")] = MAX_REJECTED_PERCENT,
    processed: Annotated[Path | None, typer.Option(metavar="DIR",
                                                   help="Where a published night's files are moved (RUN_ID/ in it; "
                                                        "default: INBOX/processed).")] = None,
    reports: Annotated[Path | None, typer.Option(metavar="DIR", help="Where each published night's HTML report is kept "
                                                      "(report-RUN_ID.html; default: reports/ beside --db).")] = None,
) -> None:
    """Register the nightly run with a Prefect server and serve it (needs `prefect server start`)."""
    if not prefect_api_url():
        fail("PREFECT_API_URL is not set: start `prefect server start` and export "
              "PREFECT_API_URL=http://127.0.0.1:4200/api first", 2)
    from prefect.client.schemas.schedules import CronSchedule  # the schedule serve registers: checked first

    try:
        CronSchedule(cron=cron, timezone="America/Toronto")
    except ValueError:  # pydantic's ValidationError is one
        fail(f"--cron {cron!r}: not a cron schedule (five fields, e.g. '0 2 * * *' for 2 a.m. every night)", 2)
    if not 0 <= max_rejected <= 100:
        fail(f"--max-rejected must be a percentage from 0 to 100, not {max_rejected}", 2)
    if inbox.exists() and not inbox.is_dir():
        fail(f"--inbox {inbox}: is a file; name the folder that holds applications/, experience/ and wages/", 2)
    if not inbox.is_dir():  # a misspelt inbox would be an empty one, night after night
        fail(f"--inbox {inbox}: no such folder; name the inbox the source systems deliver to", 2)
    here, sample = Path(os.path.realpath(inbox)), Path(os.path.realpath(SAMPLE))
    if here == sample or here.is_relative_to(sample) or sample.is_relative_to(here):
        fail(f"--inbox {inbox}: holds the shipped sample; serve reads real deliveries only (and moves what it "
             "publishes): name the inbox the source systems deliver to", 2)
    processed = processed if processed is not None else inbox / "processed"
    reports = reports if reports is not None else Path(os.path.realpath(db)).parent / "reports"
    folders = [Path(os.path.realpath(here / e)) for e in EXTRACTS]  # through links too
    archive, target = Path(os.path.realpath(processed)), Path(os.path.realpath(db))
    if any(archive.is_relative_to(f) for f in folders):
        fail(f"--processed {processed}: is inside an extract's folder of the inbox, where the next night would read "
             "it again; name a folder beside them (default: INBOX/processed)", 2)
    if any(target.is_relative_to(f) for f in folders):
        fail(f"--db {db}: is inside an extract's folder of the inbox, where a night would read what is written beside "
             "it; name a database outside them", 2)
    if target.is_dir():
        fail(f"--db {db}: is a folder; name the database file", 2)
    if (problem := _unusable(target.parent)) is not None:
        fail(f"--db {db}: its folder {problem}", 2)
    for option, folder in (("--processed", processed), ("--reports", reports)):
        if (problem := _unusable(folder)) is not None:
            fail(f"{option} {folder}: {problem}", 2)
    from flows.ingest import reading
    from flows.runtime.errors import QcpilotError
    from schemas.config import SelectionConfig

    try:
        reading.read_config(config, SelectionConfig)  # read every night: a bad one would fail every night
    except QcpilotError as exc:
        fail(str(exc), exc.exit_code)
    if (problem := prefect_api_problem()) is not None:
        fail(problem, 2)
    for folder in (*(inbox / e for e in EXTRACTS), processed, reports):  # checked above: made only now
        folder.mkdir(parents=True, exist_ok=True)
    from flows.pipeline.serve import serve_nightly

    out.print(f"serving qcpilot-nightly ({cron}, America/Toronto) from {inbox}; Ctrl-C to stop")
    serve_nightly(inbox, db, DATA, config, cron, max_rejected, processed, reports)


def _unusable(folder: Path) -> str | None:
    """Why `folder` cannot be made or written (None when it can), without making it."""
    if folder.exists():
        return None if folder.is_dir() and os.access(folder, os.W_OK) else (
            "is a file; name a folder" if not folder.is_dir() else "cannot be written")
    parent = next((p for p in folder.parents if p.exists()), None)
    if parent is None or not parent.is_dir():
        return f"cannot be made ({parent} is a file)"
    return None if os.access(parent, os.W_OK) else f"cannot be made ({parent} cannot be written)"
