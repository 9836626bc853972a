"""`qcpilot whatif`: the same applications under another configuration or other legal values."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flows.cli.common import (
    DATA,
    DEFAULT_CONFIG,
    DEFAULT_DB,
    PathsOpt,
    app,
    db_option,
    fail,
    out,
    prefect_environment,
    release_and_fail,
    result_of,
    signal_of,
)
from flows.runtime import interrupts
from flows.runtime.errors import QcpilotError


@app.command()
def whatif(
    config: Annotated[Path | None, typer.Option(metavar="FILE", help="A whole selection configuration (the format of "
                                                      "data/config/selection.csv) replacing the baseline's.")] = None,
    parameters: Annotated[Path | None, typer.Option(metavar="FILE", help="Legal values to override, in the format of "
                                                          "data/rulebook/parameters.yaml (only the keys it "
                                                          "names).")] = None,
    db: Annotated[Path, db_option("Baseline database: its last run's extracts and "
                                          "configuration.")] = DEFAULT_DB,
    out_db: Annotated[Path, typer.Option("--out", metavar="FILE", show_default=False,
                                         help="Scenario database to write.  [default: data/out/whatif.duckdb]")] = (
        DATA / "out" / "whatif.duckdb"),
    applications: PathsOpt = None,
    experience: PathsOpt = None,
    wages: PathsOpt = None,
    verbose: Annotated[bool, typer.Option(help="Show Prefect's own log lines on the terminal.")] = False,
) -> None:
    """Decide the same applications under another configuration or other legal values; list who changes."""
    from flows.ingest import reading
    from flows.ingest.files import sha256
    from flows.pipeline.context import recorded_extracts
    from flows.rulebook import parameters_path
    from flows.rulebook.parameters import load, load_overrides
    from flows.store import layout
    from schemas import MODELS
    from schemas.config import SelectionConfig

    if config is None and parameters is None:
        fail("give --config, --parameters or both: the scenario to compare with the baseline", 2)
    given = {"applications": applications, "experience": experience, "wages": wages}
    if any(given.values()) and not all(given.values()):
        missing = ", ".join(f"--{e}" for e, v in given.items() if not v)
        fail(f"{missing} missing: give the three extracts, or none to read those of the baseline's last run", 2)
    if out_db.is_symlink():  # written through, the scenario (personal data) would land where the link points
        fail(f"--out {out_db}: is a symbolic link; a what-if writes through none: name the file itself", 2)
    db, out_db = Path(os.path.realpath(db)), Path(os.path.realpath(out_db))
    config = Path(os.path.realpath(config)) if config is not None else None  # recorded as absolute paths
    parameters = Path(os.path.realpath(parameters)) if parameters is not None else None
    if out_db == db:
        fail(f"--out {out_db}: is the baseline database; a what-if never writes it", 2)
    from flows.store import analytics

    if db.exists() and analytics.is_analytics_file(db):
        fail(f"{db}: an analysts' database (no direct identifier); a what-if reads the full database it was made "
             "from", 2)
    if out_db.exists() and not layout.is_whatif(out_db):
        fail(f"--out {out_db}: exists and is not a what-if database; a what-if writes over none other (a published "
              "ledger least of all): choose another --out", 2)
    try:
        baseline_config = DEFAULT_CONFIG
        if not any(given.values()):
            run_id, specs, recorded_config = recorded_extracts(db, DATA)
            out.print(f"reading the extracts recorded for run {run_id} in {db}", highlight=False)
            baseline_config = Path(recorded_config) if recorded_config else DEFAULT_CONFIG
        else:
            specs = {e: [str(p) for p in v] for e, v in given.items()}
            reading.preflight(specs, MODELS)
            target = layout.inspect(db, writing=False) if db.exists() else None
            for item in (target.last_run or {}).get("inputs", []) if target else []:
                path = Path(item["path"])
                if item["extract"] == "config" and path.is_file() and sha256(path) == item["sha256"]:
                    baseline_config = path
        reading.read_config(baseline_config, SelectionConfig)
        if config is not None:
            reading.read_config(config, SelectionConfig)
        if parameters is not None:
            load_overrides(parameters, load(parameters_path(DATA)))
    except QcpilotError as exc:
        fail(str(exc), exc.exit_code)
    out.print(f"baseline: configuration {baseline_config}, legal values {parameters_path(DATA)}; scenario: "
              f"configuration {config or baseline_config}"
              f"{f', legal values overridden by {parameters}' if parameters else ''}",
              highlight=False, soft_wrap=True)
    prefect_environment(verbose)
    before = layout.identity(out_db)
    try:  # from prefect's import on (a second or two): a signal then says whether the scenario was written
        from flows.pipeline.whatif import whatif_flow

        with interrupts.raised():
            state = whatif_flow(specs=specs, out=str(out_db), data_dir=str(DATA),
                                baseline_config=str(baseline_config), config=str(config or baseline_config),
                                overrides=str(parameters) if parameters else None,
                                baseline_db=str(db) if db.is_file() else None, return_state=True)
    except BaseException as exc:
        if (signal_name := signal_of(exc)) is None:
            raise
        # the swap happens with signals held back: --out is the file found or the scenario this what-if wrote
        release_and_fail(f"stopped by {signal_name} after the scenario was written to {out_db}"
                          if layout.identity(out_db) != before else f"stopped by {signal_name}; nothing was written", 1)
    with interrupts.ignored():  # the what-if has ended: what is left is to say how, whole
        _whatif_summary(result_of(state, "nothing was written"))


def _whatif_summary(result) -> None:
    kinds = ("selected", "cap_reached", "eligible", "ineligible", "undetermined")
    summary = result.counts["summary"]
    moved = [r for r in summary if r["entering_selection"] or r["leaving_selection"]
             or any(r[f"baseline_{k}"] != r[f"scenario_{k}"] for k in kinds)]
    t = Table(title=f"what-if {result.run_id}: baseline -> scenario", show_edge=False)
    for col in ("program", "stream", "year", "selected", "cap reached", "eligible", "ineligible", "undet.", "in",
                "out"):
        t.add_column(col, justify="left" if col in ("program", "stream") else "right")
    pair = lambda r, k: f"{r[f'baseline_{k}']:,}->{r[f'scenario_{k}']:,}"  # noqa: E731
    for r in moved:
        t.add_row(r["program"], r["stream"], str(r["selection_year"]), *[pair(r, k) for k in kinds],
                  f"{r['entering_selection']:,}", f"{r['leaving_selection']:,}")
    if moved:
        out.print(t)
    out.print(f"{len(summary) - len(moved):,} of {len(summary):,} program/stream/year rows unchanged; "
              f"{result.counts['changes']:,} application(s) change (whatif_changes, whatif_summary in {result.db})",
              highlight=False, soft_wrap=True)
