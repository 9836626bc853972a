"""The Prefect flow `qcpilot-run`: ingest -> validate -> evaluate -> rank -> publish.

Tasks wire I/O to the pure transforms and log counts (application ids and files only, never personal fields).
Frames pass between tasks in memory: no result persistence and no input hashing (NO_CACHE), one flow run per
batch.
"""

from __future__ import annotations

import datetime as dt
import os
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
import polars.selectors as cs
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed

from flows import io, layout, lock, progress
from flows.errors import QcpilotError
from flows.reference import load_references
from flows.run_context import EXTRACTS, RunContext, engine_version, unchanged
from schemas import MODELS
from schemas.config import SelectionConfig
from transforms import engine
from transforms.evaluate import KEY_COLUMNS, evaluate, partitions, validate_all
from transforms.rules import RULES
from transforms.selection import VIEWS_SQL, selections_and_ledger
from transforms.tables import runs_row

ROOT = Path(__file__).resolve().parents[1]
# applications evaluated at a time: bounds the memory of the evaluation (outputs go to the staging database)
PARTITION_ROWS = int(os.environ.get("QCPILOT_PARTITION_ROWS", "250000"))


@dataclass
class RunResult:
    run_id: str
    ok: bool
    noop: bool = False
    message: str = ""
    db: str = ""
    counts: dict = field(default_factory=dict)
    exit_code: int = 0


def transient_io_error(task, task_run, state) -> bool:
    """Retry a task only when it failed on an operating-system I/O error (a share that blinked, a full disk)."""
    try:
        state.result()
    except (OSError, duckdb.IOException):
        return True
    except Exception:
        return False
    return False


RETRIES = {"retries": 2, "retry_delay_seconds": 10, "retry_condition_fn": transient_io_error}


@task(cache_policy=NO_CACHE, persist_result=False, **RETRIES)
def ingest(files: dict[str, list[Path]]) -> tuple[dict[str, pl.DataFrame], list[io.InputFile]]:
    """Read every extract (InputError naming the file, line or column when one cannot be read as the contract says)."""
    log = get_run_logger()
    parsed, inputs = {}, []
    for extract in EXTRACTS:
        parsed[extract], files_read = io.read_extract(extract, files[extract], MODELS[extract])
        inputs.extend(files_read)
        log.info("ingest %s: %d rows from %d file(s)", extract, parsed[extract].height, len(files[extract]))
        progress.stage(f"ingest {extract}", parsed[extract].height)
    return parsed, inputs


@task(cache_policy=NO_CACHE, persist_result=False)
def validate(parsed: dict[str, pl.DataFrame], as_of: dt.datetime) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    log = get_run_logger()
    progress.stage("validate", sum(f.height for f in parsed.values()))
    kept, rejected = validate_all(parsed, as_of)
    rejected = io.attach_raw(rejected, MODELS)
    for extract in EXTRACTS:
        n_rej = rejected.filter(pl.col("extract") == extract).height
        log.info("validate %s: %d kept, %d rejected", extract, kept[extract].height, n_rej)
    return kept, rejected


@task(cache_policy=NO_CACHE, persist_result=False)
def evaluate_rules(kept: dict[str, pl.DataFrame], data_dir: Path, staging: io.Staging) -> dict[str, pl.DataFrame]:
    """Evaluate the applications a partition at a time, writing each partition's outputs into the staging
    database; only the key columns that selection needs stay in memory."""
    log = get_run_logger()
    refs = load_references(data_dir)
    total, done, n_results = kept["applications"].height, 0, 0
    keys, elig = [], []
    for apps, spells in partitions(kept["applications"], kept["experience"], PARTITION_ROWS):
        progress.stage("evaluate", done, f"of {total:,} applications")
        sub: dict[str, float] = {}
        out = evaluate(apps, spells, kept["wages"], refs, sub)
        progress.account("wages", sub.get("wages", 0.0), within="evaluate")
        staging.append(out)
        keys.append(out["applications"].select(KEY_COLUMNS))
        elig.append(out["eligibility"].select("application_id", "outcome", "rules_version"))
        done += apps.height
        n_results += out["rule_results"].height
    result = {"applications": pl.concat(keys), "eligibility": pl.concat(elig)}
    counts = dict(result["eligibility"].group_by("outcome").len().sort("outcome").iter_rows())
    log.info("evaluate: %d applications, %d rule results, outcomes %s", total, n_results, counts)
    return result


@task(cache_policy=NO_CACHE, persist_result=False)
def rank(out, config, ledger, run_id, started, version, config_sha) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Selection per program, stream and year under the configured windows and caps (DuckDB), against the ledger."""
    progress.stage("rank", out["eligibility"].height, "applications")
    sel, decisions = selections_and_ledger(
        out["applications"], out["eligibility"], config, ledger,
        run_id=run_id, decided_at=started, engine_version=version, config_sha256=config_sha,
    )
    counts = dict(sel.group_by("status").len().sort("status").iter_rows())
    new = sel.filter(pl.col("decided_run_id") == run_id).height
    get_run_logger().info("rank: %d applications, statuses %s; %d decided by this run, %d in the ledger",
                          sel.height, counts, new, decisions.height)
    return sel, decisions


@task(cache_policy=NO_CACHE, persist_result=False)
def publish(staging: io.Staging, tables: dict[str, pl.DataFrame]) -> None:
    """The remaining tables and the views, then the atomic replace of the published database."""
    progress.stage("publish", sum(t.height for t in tables.values()))
    staging.append(tables)
    staging.finish([v for v in VIEWS_SQL.split(";") if v.strip()])
    get_run_logger().info("publish: %s (%s)", staging.target, ", ".join(f"{k}={v.height}" for k, v in tables.items()))


@task(cache_policy=NO_CACHE, persist_result=False)
def artifacts(db: Path, run: dict) -> None:
    """A markdown summary and a cap-usage table, attached to the flow run in the Prefect UI."""
    progress.stage("artifacts")
    caps = io.read_view(db, "cap_usage")
    lines = [
        f"# qcpilot run {run['run_id']}",
        "",
        "| extract | read | kept | rejected |",
        "|---|---:|---:|---:|",
        *[f"| {e} | {run[f'{e}_read']:,} | {run[f'{e}_kept']:,} | {run[f'{e}_rejected']:,} |" for e in EXTRACTS],
        "",
        "Eligibility: " + ", ".join(f"{k} {run[k]:,}" for k in ("eligible", "ineligible", "undetermined")),
        "",
        "Selection: " + ", ".join(f"{k[len('status_'):]} {v:,}" for k, v in run.items() if k.startswith("status_")),
        "",
        f"Decided by this run: {run.get('newly_decided', 0):,} (late arrivals {run.get('late_arrivals', 0):,}); "
        f"rules changed: {run.get('engine_changed')}; configuration changed: {run.get('config_changed')}",
    ]
    create_markdown_artifact(markdown="\n".join(lines), key="qcpilot-run-summary", description="Run summary")
    create_table_artifact(table=caps.to_dicts(), key="qcpilot-cap-usage", description="Selections against caps")


def _utc(frame: pl.DataFrame | None) -> pl.DataFrame | None:
    """DuckDB hands timestamps back as Etc/UTC; the pipeline's frames say UTC."""
    return None if frame is None else frame.with_columns(cs.datetime().dt.convert_time_zone("UTC"))


def _where(exc: BaseException) -> str:
    """Where an unexpected exception was raised (files and lines of the stack), without its text: a library's
    message may quote a row, and no log holds a row's content."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if str(ROOT) in f.filename and "/.venv/" not in f.filename] or frames
    return " <- ".join(f"{Path(f.filename).relative_to(ROOT) if str(ROOT) in f.filename else Path(f.filename).name}"
                       f":{f.lineno} {f.name}" for f in reversed(ours[-4:]))


@flow(name="qcpilot-run", log_prints=False)
def pipeline(specs: dict[str, list[str]], db: str, data_dir: str, config: str, force: bool = False,
             wait: float = 0.0):
    """One batch, holding the target's write lock from reading the previous ledger to the publish. Earlier
    decisions (the `decisions` ledger of the published database) are never revoked.

    A refused or failed run ends in a Failed state whose message is the one-line reason (nothing is published).
    """
    log = get_run_logger()
    ctx = RunContext(specs=specs, db=Path(db), config=Path(config), data_dir=Path(data_dir), force=force, wait=wait)
    run_id = uuid.uuid4().hex[:12]
    try:
        with lock.exclusive(ctx.db, ctx.wait):
            return _batch(ctx, run_id)
    except QcpilotError as exc:
        log.error("run %s: %s", run_id, exc)
        return Failed(message=str(exc), data=RunResult(run_id, ok=False, message=str(exc), exit_code=exc.exit_code))
    except Exception as exc:
        if os.environ.get("QCPILOT_DEBUG"):
            raise
        message = f"internal error ({type(exc).__name__} at {_where(exc)}); nothing was published"
        log.error("run %s: %s", run_id, message)
        return Failed(message=message, data=RunResult(run_id, ok=False, message=message, exit_code=1))


def _batch(ctx: RunContext, run_id: str) -> RunResult:
    log = get_run_logger()
    started = dt.datetime.now(dt.UTC)
    version = engine_version()
    target = layout.inspect(ctx.db)
    for leftover in io.remove_stale_staging(ctx.db):
        log.warning("removed %s, left by a run that was killed", leftover.name)
    selection_config = io.read_config(ctx.config, SelectionConfig)
    files = ctx.files()
    last_run = unchanged(target, ctx, version)
    if last_run is not None:
        log.info("nothing new since run %s: same inputs, configuration and rules; nothing to do", last_run)
        return RunResult(run_id, ok=True, noop=True, db=str(ctx.db), message=last_run)
    last = target.last_run
    if last is not None and last["engine_version"] != version:
        log.warning("rules changed since run %s (engine %s -> %s): earlier decisions stand", last["run_id"],
                    last["engine_version"], version)
    previous_runs = _utc(io.read_table(ctx.db, "runs"))
    ledger = _utc(io.read_table(ctx.db, "decisions"))
    config_sha = io.sha256(ctx.config)
    parsed, inputs = ingest(files)
    inputs = [*inputs, io.InputFile("config", str(ctx.config), config_sha, selection_config.height)]
    kept, rejected = validate(parsed, started)
    with io.Staging(ctx.db, run_id) as staging:
        return _evaluate_rank_publish(
            staging, kept, rejected, parsed, inputs, ctx.data_dir, selection_config, ledger, previous_runs, last,
            run_id=run_id, started=started, version=version, config_sha=config_sha,
        )


def _evaluate_rank_publish(staging, kept, rejected, parsed, inputs, data_dir, selection_config, ledger,
                           previous_runs, last, *, run_id, started, version, config_sha) -> RunResult:
    out = evaluate_rules(kept, Path(data_dir), staging)
    selections, decisions = rank(out, selection_config, ledger, run_id, started, version, config_sha)
    run = runs_row(
        run_id=run_id, started=started, finished=dt.datetime.now(dt.UTC), parsed=parsed, kept=kept,
        rejected=rejected, inputs=inputs, eligibility=out["eligibility"], selections=selections,
        extra={
            "engine_version": version, "config_sha256": config_sha,
            "engine_changed": last is not None and last.get("engine_version") != version,
            "config_changed": last is not None and last.get("config_sha256") not in (None, config_sha),
            "newly_decided": selections.filter(pl.col("decided_run_id") == run_id).height,
            "late_arrivals": selections.filter(pl.col("late_arrival") & (pl.col("decided_run_id") == run_id)).height,
        },
    )
    runs = run if previous_runs is None else pl.concat([previous_runs, run], how="diagonal_relaxed")
    tables = {
        "selections": selections,
        "decisions": decisions,
        "rejected_rows": rejected,
        "rules": engine.rules_table(RULES),
        "selection_config": selection_config,
        "runs": runs,
    }
    publish(staging, tables)
    try:  # published: from here on a failure must not say otherwise; artifacts are a courtesy to the UI
        artifacts(staging.target, run.row(0, named=True))
    except Exception as exc:
        get_run_logger().warning("run %s published, but its artifacts could not be attached: %s", run_id, exc)
    return RunResult(run_id, ok=True, db=str(staging.target), counts=run.row(0, named=True))
