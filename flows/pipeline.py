"""The Prefect flow `qcpilot-run`: ingest -> validate -> evaluate -> rank -> publish.

Tasks wire I/O to the pure transforms and log counts (application ids and files only, never personal fields).
Frames pass between tasks in memory: no result persistence and no input hashing (NO_CACHE), one flow run per
batch.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import polars.selectors as cs
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows import io
from flows.reference import load_references
from schemas import MODELS
from schemas.config import SelectionConfig
from transforms import engine
from transforms.evaluate import evaluate, validate_all
from transforms.parse import model_dtypes
from transforms.rules import RULES
from transforms.selection import VIEWS_SQL, rank_and_cap
from transforms.tables import runs_row

EXTRACTS = ("applications", "experience", "wages")


@dataclass
class RunResult:
    run_id: str
    ok: bool
    message: str = ""
    db: str = ""
    counts: dict = field(default_factory=dict)


@task(cache_policy=NO_CACHE, persist_result=False)
def ingest(specs: dict[str, list[str]]) -> tuple[dict[str, pl.DataFrame], list[io.InputFile]] | str:
    """Read every extract; an input problem comes back as its message (a task that raises logs a traceback)."""
    log = get_run_logger()
    parsed, inputs = {}, []
    try:
        for extract in EXTRACTS:
            files = io.resolve(specs[extract])
            parsed[extract], files_read = io.read_extract(extract, files, model_dtypes(MODELS[extract]))
            inputs.extend(files_read)
            log.info("ingest %s: %d rows from %d file(s)", extract, parsed[extract].height, len(files))
    except io.InputError as exc:
        log.warning("ingest stopped: %s", exc)
        return str(exc)
    return parsed, inputs


@task(cache_policy=NO_CACHE, persist_result=False)
def validate(parsed: dict[str, pl.DataFrame]) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    log = get_run_logger()
    kept, rejected = validate_all(parsed)
    for extract in EXTRACTS:
        n_rej = rejected.filter(pl.col("extract") == extract).height
        log.info("validate %s: %d kept, %d rejected", extract, kept[extract].height, n_rej)
    return kept, rejected


@task(cache_policy=NO_CACHE, persist_result=False)
def evaluate_rules(kept: dict[str, pl.DataFrame], data_dir: Path) -> dict[str, pl.DataFrame]:
    log = get_run_logger()
    out = evaluate(kept["applications"], kept["experience"], kept["wages"], load_references(data_dir))
    counts = dict(out["eligibility"].group_by("outcome").len().sort("outcome").iter_rows())
    log.info("evaluate: %d applications, %d rule results, outcomes %s", out["applications"].height,
             out["rule_results"].height, counts)
    return out


@task(cache_policy=NO_CACHE, persist_result=False)
def rank(out: dict[str, pl.DataFrame], config: pl.DataFrame) -> pl.DataFrame:
    """Selection per program, stream and year under the configured windows and caps (DuckDB)."""
    sel = rank_and_cap(out["applications"], out["eligibility"], config)
    counts = dict(sel.group_by("status").len().sort("status").iter_rows())
    get_run_logger().info("rank: %d applications, statuses %s", sel.height, counts)
    return sel


@task(cache_policy=NO_CACHE, persist_result=False)
def publish(db: Path, tables: dict[str, pl.DataFrame], run_id: str) -> None:
    io.publish(db, tables, views=[v for v in VIEWS_SQL.split(";") if v.strip()], run_id=run_id)
    get_run_logger().info("publish: %s (%s)", db, ", ".join(f"{k}={v.height}" for k, v in tables.items()))


@flow(name="qcpilot-run", log_prints=False)
def pipeline(specs: dict[str, list[str]], db: str, data_dir: str, config: str) -> RunResult:
    run_id = uuid.uuid4().hex[:12]
    started = dt.datetime.now(dt.UTC)
    db_path = Path(db)
    try:
        previous_runs = io.read_table_if_exists(db_path, "runs")
        selection_config = io.read_config(Path(config), SelectionConfig)
        config_file = io.InputFile("config", config, io.sha256(Path(config)), selection_config.height)
    except io.InputError as exc:
        return RunResult(run_id, ok=False, message=str(exc))
    ingested = ingest(specs)
    if isinstance(ingested, str):
        return RunResult(run_id, ok=False, message=ingested)
    parsed, inputs = ingested
    inputs = [*inputs, config_file]
    kept, rejected = validate(parsed)
    out = evaluate_rules(kept, Path(data_dir))
    selections = rank(out, selection_config)
    run = runs_row(
        run_id=run_id, started=started, finished=dt.datetime.now(dt.UTC), parsed=parsed, kept=kept,
        rejected=rejected, inputs=inputs, eligibility=out["eligibility"], selections=selections,
    )
    if previous_runs is not None:  # DuckDB hands timestamps back as Etc/UTC
        previous_runs = previous_runs.with_columns(cs.datetime().dt.convert_time_zone("UTC"))
    runs = run if previous_runs is None else pl.concat([previous_runs, run], how="diagonal_relaxed")
    tables = {
        **out,
        "selections": selections,
        "rejected_rows": rejected,
        "rules": engine.rules_table(RULES),
        "selection_config": selection_config,
        "runs": runs,
    }
    publish(db_path, tables, run_id)
    return RunResult(run_id, ok=True, db=str(db_path), counts=run.row(0, named=True))
