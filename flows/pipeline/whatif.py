"""`qcpilot whatif`: decide the same applications under another selection configuration and/or other legal values,
and list exactly who changes. The Prefect flow `qcpilot-whatif` reuses the run's tasks.

Baseline and scenario are both decided from scratch (no ledger) on the same inputs, so that every difference is the
scenario's. The extracts are read once; each side is evaluated and ranked into its own staging database; the
baseline's is attached read-only to compare, then removed. Only the scenario database is written (atomically, like
a run); the published database and its ledger are only read.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path

import duckdb
import polars as pl
from prefect import flow, get_run_logger

from flows.ingest import reading, spill
from flows.ingest.files import resolve, sha256
from flows.pipeline.context import engine_version, versions
from flows.pipeline.run import (
    PARTITION_ROWS,
    RunResult,
    check_across_files,
    evaluate,
    failed,
    ingest,
    publish,
    rank,
    run_row,
)
from flows.rulebook import parameters_path
from flows.rulebook.parameters import load, load_overrides
from flows.runtime import interrupts, terminal
from flows.store import database, layout, lock
from schemas.config import SelectionConfig
from schemas.enums import EXTRACTS
from transforms.parameters import Parameters
from transforms.sqlfiles import sql_text
from transforms.whatif import BASELINE, comparison_sql, side_sql


def _side(staging: database.Staging, store: spill.Spill, dropped: pl.DataFrame, data_dir: Path, parameters: Parameters,
          config: pl.DataFrame, run_id: str, started: dt.datetime, version: str,
          config_sha: str) -> tuple[dict[str, int], str]:
    layout.carry_forward(staging.con, layout.Target(staging.target, None))  # an empty ledger: from scratch
    kept, rulebook_id = evaluate(staging, store, dropped, data_dir, parameters, run_id)
    rank(staging, config, run_id, started, version, config_sha)
    staging.con.execute(side_sql())
    return kept, rulebook_id


def _inputs_table(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"role": pl.String, "path": pl.String, "sha256": pl.String})


def _parameters_table(base: Parameters, changed: dict) -> pl.DataFrame:
    rows = []
    for name, new in changed.items():
        old = base.by_name[name]
        dates = sorted({d for d, _ in old.values} | {d for d, _ in new.values})
        for day in dates:
            rows.append({"name": name, "valid_from": day, "baseline_value": base.show(name, old.at(day), "en"),
                         "scenario_value": base.show(name, new.at(day), "en"),
                         "baseline_value_fr": base.show(name, old.at(day), "fr"),
                         "scenario_value_fr": base.show(name, new.at(day), "fr"), "unit": old.unit,
                         "reference": new.reference})
    return pl.DataFrame(rows, schema={"name": pl.String, "valid_from": pl.Date, "baseline_value": pl.String,
                                      "scenario_value": pl.String, "baseline_value_fr": pl.String,
                                      "scenario_value_fr": pl.String, "unit": pl.String, "reference": pl.String})


@flow(name="qcpilot-whatif", log_prints=False)
def whatif_flow(specs: dict[str, list[str]], out: str, data_dir: str, baseline_config: str, config: str,
                overrides: str | None = None, baseline_db: str | None = None):
    """Baseline and scenario on the same extracts; writes the scenario database with whatif_changes,
    whatif_summary, whatif_inputs and whatif_parameters, readable by no more than who may read `baseline_db` (it
    holds the same personal data), or than the scenario it replaces when there is no baseline database."""
    terminal.escape_run_logs()  # a path or a value in a log line is shown escaped
    run_id = uuid.uuid4().hex[:12]
    out_path = Path(os.path.realpath(out))
    try:
        with interrupts.noted():
            return _whatif(specs, out_path, Path(data_dir), Path(baseline_config), Path(config),
                           Path(overrides) if overrides else None, run_id,
                           Path(baseline_db) if baseline_db else out_path)
    except (Exception, pl.exceptions.PanicException) as exc:
        return failed(exc, "what-if", run_id)


def _whatif(specs, out: Path, data_dir: Path, baseline_config: Path, config: Path, overrides: Path | None,
            run_id: str, mode_of: Path) -> RunResult:
    log = get_run_logger()
    started = dt.datetime.now(dt.UTC)
    version = engine_version(parameters_path(data_dir))
    base_params = load(parameters_path(data_dir))
    scen_params, changed = load_overrides(overrides, base_params) if overrides else (base_params, {})
    base_cfg = reading.read_config(baseline_config, SelectionConfig)
    scen_cfg = reading.read_config(config, SelectionConfig)
    files = {e: resolve(specs[e]) for e in EXTRACTS}
    baseline_target = out.with_name(f"{out.name}.baseline")
    with lock.exclusive(out, hint=""), database.permissions_of(mode_of):  # what-if has no --wait
        target = layout.inspect(out, scenario=True)
        for leftover in [*database.remove_stale_staging(out), *database.remove_stale_staging(baseline_target)]:
            log.warning("removed %s, left by a what-if that was killed", leftover.name)
        store = spill.Spill.beside(out, run_id, spill.buckets_for(files["applications"], PARTITION_ROWS))
        try:
            with (database.storage_said(out.parent), database.Staging(baseline_target, run_id) as base,
                  database.Staging(out, run_id, mode_of=mode_of) as scen):
                try:
                    ingest(files, store, started)
                    dropped = check_across_files(scen, store)
                    base_sha, scen_sha = sha256(baseline_config), sha256(config)
                    _side(base, store, dropped, data_dir, base_params, base_cfg, run_id, started, version, base_sha)
                    base.con.execute("CHECKPOINT")
                    base.con.close()
                    kept, rulebook_id = _side(scen, store, dropped, data_dir, scen_params, scen_cfg, run_id, started,
                                              version, scen_sha)
                    scen.con.execute(f"ATTACH {sql_text(base.tmp)} AS {BASELINE} (READ_ONLY)")
                    for sql in comparison_sql():
                        scen.con.execute(sql)
                    scen.con.execute(f"DETACH {BASELINE}")
                    roles = [("baseline_config", baseline_config), ("scenario_config", config),
                             ("parameters", parameters_path(data_dir))]
                    if overrides is not None:
                        roles.append(("parameters_override", overrides))
                    roles += [(f.extract, Path(f.path)) for f in store.files]
                    scen.append({
                        "whatif_inputs": _inputs_table([{"role": r, "path": str(p), "sha256": sha256(p)}
                                                        for r, p in roles]),
                        "whatif_parameters": _parameters_table(base_params, changed),
                    })
                    inputs = [*store.files, reading.InputFile.of("config", config, scen_cfg.height),
                              reading.InputFile.of("parameters", overrides or parameters_path(data_dir), None)]
                    run = run_row(run_id, started, inputs, store, kept, version, scen_sha,
                                  versions(data_dir, rulebook_id), engine_changed=False,
                                  config_changed=base_sha != scen_sha, upgraded_from=None)
                    publish(scen, run, target, scen_params, analysts=False)
                finally:
                    base.abort()  # the baseline's staging file is never published
        finally:
            store.remove()
    with duckdb.connect(str(out), read_only=True) as con:
        summary = con.sql("SELECT * FROM whatif_summary").pl()
        changes = con.sql("SELECT count(*) FROM whatif_changes").fetchall()[0][0]
    log.info("what-if %s: %d application(s) change", run_id, changes)
    return RunResult(run_id, ok=True, db=str(out), counts={"changes": changes, "summary": summary.to_dicts()})
