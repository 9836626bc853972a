"""`qcpilot run`: one batch, from the extracts to the published database, and its summary."""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flows.cli.common import (
    DATA,
    DEFAULT_CONFIG,
    DEFAULT_DB,
    SAMPLE,
    ConfigOpt,
    PathsOpt,
    app,
    fail,
    held_open,
    out,
    prefect_api_problem,
    prefect_environment,
    release_and_fail,
    result_of,
    signal_of,
    stopped,
)
from flows.runtime import interrupts
from flows.runtime.errors import InputError, QcpilotError
from flows.runtime.terminal import shown
from schemas.enums import EXTRACTS, MAX_REJECTED_PERCENT


@app.command()
def run(
    applications: PathsOpt = None,
    experience: PathsOpt = None,
    wages: PathsOpt = None,
    db: Annotated[Path | None, typer.Option(metavar="FILE",
                                            help="DuckDB file to publish (default: data/out/qcpilot.duckdb, "
                                                 "with the shipped sample when no extract is given).")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
    sample: Annotated[bool, typer.Option("--sample", help="Read the shipped sample (its 3,000 fictitious "
                                                          "applications) into --db, on purpose.")] = False,
    max_rejected: Annotated[float, typer.Option("--max-rejected", metavar="PERCENT",
                                                help="Percent of an extract's rows that may be "
                                                "rejected; above it nothing is published.")] = MAX_REJECTED_PERCENT,
    force: Annotated[bool, typer.Option(help="Run even when inputs, configuration and rules are unchanged.")] = False,
    wait: Annotated[float, typer.Option(metavar="SECONDS",
                                        help="Seconds to wait when another run holds the database (default: "
                                              "refuse at once).")] = 0.0,
    report: Annotated[Path | None, typer.Option(metavar="FILE",
                                                help="HTML report (in French) to write once the run is published; "
                                                     "`qcpilot report` writes one at any time.")] = None,
    verbose: Annotated[bool, typer.Option(help="Show Prefect's own log lines on the terminal.")] = False,
) -> None:
    """Ingest, validate, evaluate, rank and publish one batch. With no option at all: the shipped sample into
    data/out/qcpilot.duckdb; into another database only with --sample (a ledger is permanent).

    Beside the database (NAME.duckdb) it publishes the analysts' database (NAME-analytics.duckdb: no direct
    identifier), whose pseudonyms are drawn with the key in NAME.pseudonym-key (made by the first run) or
    QCPILOT_PSEUDONYM_KEY."""
    from flows.pipeline.context import RunContext, nothing_new
    from flows.store import analytics, database, lock

    given = {"applications": applications, "experience": experience, "wages": wages}
    if any(given.values()) and not all(given.values()):
        missing = ", ".join(f"--{e}" for e, v in given.items() if not v)
        fail(f"{missing} missing: give the three extracts, or none to run the shipped sample", 2)
    if sample and any(given.values()):
        fail("--sample reads the shipped sample: give it or the extracts, not both; nothing was published", 2)
    if not math.isfinite(wait) or wait < 0:
        fail(f"--wait must be a number of seconds >= 0, not {wait}", 2)
    if str(db) == ":memory:":
        fail("--db must name a database file (:memory: is not one); nothing was published", 2)
    if not 0 <= max_rejected <= 100:  # nan fails both
        fail(f"--max-rejected must be a percentage from 0 to 100, not {max_rejected}", 2)
    if db is not None and not any(given.values()) and not sample:
        fail(f"--db {db}: no extract given (--applications, --experience, --wages); a ledger is permanent, so the "
              "shipped sample goes into a database other than the default only with --sample; nothing was "
              "published", 2)
    if report is not None:
        from flows.readers.report import target_problem

        if (problem := target_problem(report)) is not None:
            fail(f"--report {report}: {problem}; nothing was published", 2)
    db = DEFAULT_DB if db is None else db
    db = Path(os.path.realpath(db))  # one lock and one ledger per database file, whatever link names it
    ctx = RunContext(
        specs={e: v or [str(SAMPLE / e)] for e, v in given.items()},
        db=db, config=config, data_dir=DATA, force=force, wait=wait, max_rejected=max_rejected,
    )
    failure: tuple[str, int] | None = None
    target = None
    try:
        with interrupts.raised(), lock.exclusive(db, wait):
            # everything that can refuse the run cheaply happens before Prefect starts: a plain one-line message
            database.remove_stale_staging(db)
            # the database held open read-only while it is only read, so that these checks share one opening (each
            # one costs 25 ms); closed before a run writes it
            with held_open(db):
                analytics.check(db)  # a key that is not one, or a file in the analysts' database's place, refuses it
                # nothing to do is said of a ledger that is as it was sealed only; said before the readers, the
                # contracts and the rule book are loaded (0.3 s of a process), which a run with something to do
                # checks first
                last_run = nothing_new(ctx)
            if last_run is not None:
                out.print(f"nothing new since run {last_run} (same inputs, configuration and rules): {db} unchanged")
                return
            from flows.pipeline.context import prepare

            target = prepare(ctx, headers=True).target  # everything that can refuse the run cheaply
            if (problem := prefect_api_problem()) is not None:
                raise InputError(problem)
            prefect_environment(verbose)
            from flows.pipeline.run import pipeline  # prefect is imported only when a flow runs
            from flows.runtime import progress

            try:
                with progress.live(enabled=sys.stderr.isatty()):
                    state = pipeline(specs=ctx.specs, db=str(db), data_dir=str(DATA), config=str(config),
                                     force=force, wait=wait, max_rejected=max_rejected,
                                     report=str(report) if report else None, return_state=True)
            except BaseException:
                with interrupts.deferred():  # still holding the lock: whatever the run left is removed
                    database.remove_stale_staging(db)
                raise
            progress.dump()
    except QcpilotError as exc:
        failure = (str(exc) if "nothing was" in str(exc) else f"{exc}; nothing was published", exc.exit_code)
    except BaseException as exc:
        if (signal_name := signal_of(exc)) is None:
            raise
        failure = stopped(signal_name, db, target)
    if failure is not None:
        release_and_fail(*failure)
    with interrupts.ignored():  # the run has ended: what is left is to say how, whole
        result = result_of(state, "nothing was published")
        if result.noop:
            out.print(f"nothing new since run {result.message} (same inputs, configuration and rules): {db} "
                      "unchanged")
            return
        if getattr(result, "stopped_by", ""):  # a signal right after the swap: published, and said so
            release_and_fail(f"stopped by {result.stopped_by} after this run was published to {db} (its last row in "
                             "runs)", 1)
        _summary(result)


def _summary(result) -> None:
    c = result.counts
    t = Table(title=shown(f"qcpilot run {result.run_id} -> {result.db}"), show_edge=False)  # a path: escaped
    for col in ("extract", "read", "kept", "rejected", "repeated"):
        t.add_column(col, justify="right" if col != "extract" else "left")
    for extract in EXTRACTS:  # read = kept + rejected + repeated (a row delivered again alike)
        t.add_row(extract, *(f"{c.get(f'{extract}_{k}') or 0:,}" for k in ("read", "kept", "rejected", "repeated")))
    out.print(t)
    out.print(
        "eligibility: "
        + ", ".join(f"{k} {c[k]:,}" for k in ("eligible", "ineligible", "undetermined"))
    )
    statuses = {k[len("status_"):]: v for k, v in c.items() if k.startswith("status_")}
    if any(statuses.values()):
        out.print("selection: " + ", ".join(f"{k} {v:,}" for k, v in statuses.items()))
    out.print(f"decided by this run: {c.get('newly_decided', 0):,} (late arrivals {c.get('late_arrivals', 0):,}); "
              f"promoted: {c.get('promotions') or 0:,}; decisions under review: {c.get('under_review') or 0:,}; "
              f"decided but not in this delivery: {c.get('decided_not_delivered') or 0:,}"
              + ("; rules changed since the last run, earlier decisions stand" if c.get("engine_changed") else "")
              + ("; configuration changed since the last run" if c.get("config_changed") else ""))
    from flows.store.database import analytics_target

    out.print(shown(f"analysts' database (no direct identifier): {analytics_target(Path(result.db))}"))
    if result.report:
        out.print(shown(f"report: {result.report}"))
