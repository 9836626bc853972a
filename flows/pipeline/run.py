"""The Prefect flow `qcpilot-run`: ingest -> check across files -> evaluate -> rank -> publish.

Wiring only: the tasks move data between the files, the spill, the staging database and the pure transforms, and log
counts (application ids and files only, never a row's content). Memory is bounded by a batch (ingest) and a
partition of applications (evaluation); ranking runs in DuckDB on the staged tables. No result persistence and no
input hashing by Prefect (NO_CACHE); one flow run per batch and a handful of tasks.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import shutil
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, Failed
from prefect.utilities.annotations import quote

from flows.ingest import reading, spill
from flows.ingest.files import sha256
from flows.ingest.reference import load_references
from flows.pipeline.context import EXTRACTS, RunContext, prepare, versions
from flows.readers import report as report_words
from flows.runtime import interrupts, progress, terminal
from flows.runtime.errors import DatabaseBusy, InputError, InternalError, Interrupted, QcpilotError, RunFailed
from flows.store import analytics, database, datadocs, layout, lock, sealfile
from schemas import MODELS
from schemas.enums import MAX_REJECTED_PERCENT, PROGRAMS
from transforms import engine
from transforms.evaluate import APPLICATION_COLUMNS, reading_views, run_facts, run_tables
from transforms.keep import PRUNE_SQL, keep, keep_rulebook
from transforms.parameters import Parameters
from transforms.rules import rulebook
from transforms.selection import VIEWS_SQL, decide
from transforms.sqlfiles import statements
from transforms.tables import runs_row_sql
from transforms.validate import DROPPED_SQL

ROOT = Path(__file__).resolve().parents[2]
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
    report: str = ""  # the HTML report the run wrote, if any
    stopped_by: str = ""  # a signal that came once the run was published (its report and artifacts not made)


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


def contained(fn):
    """What a task may raise, since Prefect logs it (with its traceback) to the console and the API: our own
    one-line errors, the operating system's (retried), a full disk; anything else becomes an InternalError naming
    its type and the place in the code, never a library's text, which may quote a row."""
    @functools.wraps(fn)
    def task_body(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (QcpilotError, OSError):
            raise
        except (Exception, pl.exceptions.PanicException) as exc:
            interrupts.reraise_if_received(exc)
            if os.environ.get("QCPILOT_DEBUG"):
                raise
            staging = next((a for a in args if isinstance(a, database.Staging)), None)
            if isinstance(exc, duckdb.Error) and database.is_storage_failure(exc) and staging is not None:
                raise database.storage_error(exc, staging.tmp.parent) from None
            raise InternalError(unexpected(exc)) from None
    return task_body


def unexpected(exc: BaseException) -> str:
    """The one line of an exception no part of qcpilot raised: named by its type and its place in the code (a
    library's text may quote a row); DuckDB out of its memory says which limit to raise."""
    if isinstance(exc, duckdb.OutOfMemoryException):
        return (f"DuckDB ran out of the memory a run gives it ({database.memory_limit()}, QCPILOT_DUCKDB_MEMORY) at "
                f"{_where(exc)}: give it more; nothing was published")
    return f"internal error ({type(exc).__name__} at {_where(exc)}); nothing was published"


@task(cache_policy=NO_CACHE, persist_result=False, **RETRIES)
@contained
def ingest(files: dict[str, list[Path]], store: spill.Spill, as_of: dt.datetime) -> None:
    """Read, parse and validate every file a batch at a time into the spill (InputError naming the file, line or
    column when one cannot be read as the contract says)."""
    log = get_run_logger()
    for extract in EXTRACTS:
        progress.stage(f"ingest {extract}", 0)
        store.read.pop(extract, None)
        store.files[:] = [f for f in store.files if f.extract != extract]
        done = [0]

        def advance(rows: int, extract=extract, done=done) -> None:
            done[0] += rows
            progress.stage(f"ingest {extract}", done[0])

        spill.ingest_extract(extract, files[extract], store, as_of, advance)
        log.info("ingest %s: %d rows from %d file(s)", extract, store.read[extract], len(files[extract]))


@task(cache_policy=NO_CACHE, persist_result=False)
@contained
def check_across_files(staging: database.Staging, store: spill.Spill) -> pl.DataFrame:
    """The checks that span files, on key columns; returns the rows they reject (extract, file, line)."""
    progress.stage("validate")
    spill.cross_checks(staging.con, store)
    dropped = staging.con.sql(DROPPED_SQL).pl()
    counts = dict(staging.con.sql("SELECT extract, count(*) FROM rejected GROUP BY ALL").fetchall())
    for extract in EXTRACTS:
        get_run_logger().info("validate %s: %d rejected", extract, counts.get(extract, 0))
    return dropped


@task(cache_policy=NO_CACHE, persist_result=False)
@contained
def refuse_too_many_rejected(staging: database.Staging, store: spill.Spill, max_percent: float, db: Path,
                             run_id: str) -> None:
    """Stop the run (InputError, exit 2, nothing published) when an extract's rejected rows are more than
    `max_percent` of its rows (contract: a delivery that is mostly wrong is a delivery problem, not a night of
    decisions): one line with the extract, the counts and the three most frequent reasons, and the rejected rows
    (with their raw text) written beside the database for the operator, as private as it (the run's umask)."""
    con = staging.con
    counts = dict(con.sql("SELECT extract, count(*) FROM rejected GROUP BY ALL").fetchall())
    # a row delivered again alike is one row: a file delivered twice does not halve the share rejected
    repeated = dict(con.sql("SELECT extract, count(*) FROM repeated GROUP BY ALL").fetchall())
    rows = {e: store.read[e] - repeated.get(e, 0) for e in EXTRACTS}
    over = [(e, counts.get(e, 0), rows[e]) for e in EXTRACTS
            if rows[e] and counts.get(e, 0) * 100 > max_percent * rows[e]]
    if not over:
        return
    extract, rejected, read = over[0]
    reasons = con.execute("""SELECT reason, count(*) AS n FROM (SELECT unnest(reasons) AS reason FROM rejected
                             WHERE extract = ?) GROUP BY ALL ORDER BY n DESC, reason LIMIT 3""", [extract]).fetchall()
    kept_for = db.with_name(f"{db.name}.rejected-{run_id}.parquet")
    found = con.sql("SELECT * FROM rejected ORDER BY extract, source_file, row_number").pl()
    reading.attach_raw(found.with_columns(pl.lit(None, pl.String).alias("raw")), MODELS).write_parquet(kept_for)
    raise InputError(f"{extract}: {rejected:,} of {read:,} rows rejected ({100 * rejected / read:.1f} %, more than "
                     f"the {max_percent:g} % allowed: --max-rejected); most frequent reasons: "
                     + "; ".join(f"{r} ({n:,})" for r, n in reasons)
                     + f"; nothing was published; the rejected rows are in {kept_for}")


@task(cache_policy=NO_CACHE, persist_result=False)
@contained
def evaluate(staging: database.Staging, store: spill.Spill, dropped: pl.DataFrame, data_dir: Path,
             parameters: Parameters, run_id: str) -> tuple[dict[str, int], str]:
    """Evaluate the applications a partition (bucket) at a time, straight into the staging database, then keep the
    evaluations (once each: transforms/keep.py) and the rule book read; returns the rows kept per extract and the
    rule book's id."""
    log = get_run_logger()
    wages = spill.wages(store, dropped)
    book = rulebook(parameters)
    facts = run_facts(load_references(data_dir), wages, book)  # once per run, not per partition
    kept = {"applications": 0, "experience": 0, "wages": wages.height}
    for bucket in range(store.buckets):
        progress.stage("evaluate", kept["applications"], f"of {store.read['applications']:,} applications")
        apps, spells = spill.partition(store, bucket, dropped)
        # no valid application at all: the last bucket still creates the tables, empty
        if apps.height or (bucket == store.buckets - 1 and "evaluated" not in staging.created):
            staging.append(run_tables(staging.con, apps, spells, facts), temp=True)
        kept["applications"] += apps.height
        kept["experience"] += spells.height
    keep(staging.con, run_id, APPLICATION_COLUMNS)
    staging.append({"rules": engine.rules_table(book.rules, parameters)})  # the views read it
    rulebook_id = keep_rulebook(staging.con)
    for sql in reading_views(staging.con):
        staging.con.execute(sql)
    counts = dict(staging.con.sql("SELECT outcome, count(*) FROM eligibility GROUP BY ALL ORDER BY 1").fetchall())
    log.info("evaluate: %d applications in %d partition(s), outcomes %s", kept["applications"], store.buckets, counts)
    return kept, rulebook_id


@task(cache_policy=NO_CACHE, persist_result=False)
@contained
def rank(staging: database.Staging, config: pl.DataFrame, run_id: str, started: dt.datetime, version: str,
         config_sha: str) -> None:
    """Selection per program, stream and year under the configured windows and caps, against the ledger (DuckDB,
    on the staged tables)."""
    progress.stage("rank")
    log = get_run_logger()
    for program in sorted(set(PROGRAMS) - set(config.filter(pl.col("kind") == "window").get_column("program"))):
        log.warning("no intake window for program %s in the configuration: its applications are outside_intake",
                    program)
    staging.append({"selection_config": config})
    decide(staging.con, run_id=run_id, decided_at=started, engine_version=version, config_sha256=config_sha)
    for sql in statements(PRUNE_SQL):  # evaluations no decision rests on and no longer delivered
        staging.con.execute(sql)
    counts = dict(staging.con.sql("SELECT status, count(*) FROM selections GROUP BY ALL ORDER BY 1").fetchall())
    new = staging.con.sql("SELECT count(*) FROM selections WHERE decided_run_id = ?", params=[run_id]).fetchall()
    log.info("rank: statuses %s; %d decided by this run", counts, new[0][0])


@task(cache_policy=NO_CACHE, persist_result=False)
@contained
def publish(staging: database.Staging, run: dict, target: layout.Target, parameters: Parameters,
            analysts: bool = True) -> None:
    """The rejected rows (with their raw text), the rules, the run's row, the layout, the views, the comments that
    say what each table, view and column holds (schemas/outputs.yaml, with the rule book the run read: `parameters`);
    then the atomic replace of the published database and its analysts' database, unless the lock file or the
    database changed under the run."""
    progress.stage("publish")
    con = staging.con
    rejected = con.sql("SELECT * FROM rejected ORDER BY extract, source_file, row_number").pl()
    staging.append({"rejected_rows": reading.attach_raw(rejected.with_columns(pl.lit(None, pl.String).alias("raw")),
                                                   MODELS)})
    for sql in statements(VIEWS_SQL):  # before the run's row: it counts the decisions under review
        con.execute(sql)
    con.execute(runs_row_sql(), run)
    layout.write_meta(con, run["engine_version"], run["run_id"])
    described = datadocs.book(parameters)
    datadocs.describe(con, described)  # comments only: no row changes, the seals just written stay true

    def guard() -> None:
        if not lock.still_held(target.path):
            raise DatabaseBusy(f"{target.path}: its lock file was removed during this run, so another run may be "
                               "writing it; nothing was published")
        if not target.unchanged_since_read():
            raise DatabaseBusy(f"{target.path}: was replaced by another writer during this run; nothing was "
                               "published")

    if not analysts:  # a what-if's scenario: hypotheses, read by whom may read its baseline
        staging.finish([], before_swap=guard)
        get_run_logger().info("publish: %s", staging.target)
        return
    key = analytics.key_for_publish(staging.target)
    if analytics.key_changed(staging.target, key):
        get_run_logger().warning("the pseudonym key changed since the last analysts' database: every pseudonym of "
                                 "%s is drawn again", analytics.target_of(staging.target).name)
    staging.finish([], before_swap=guard, beside=analytics.beside(staging.target, run["run_id"], key, described),
                   after_swap=lambda closed: sealfile.record(staging.target, run["run_id"], layout.CURRENT,
                                                             as_closed=closed))
    get_run_logger().info("publish: %s and %s", staging.target, analytics.target_of(staging.target))


def run_row(run_id: str, started: dt.datetime, inputs: list[reading.InputFile], store: spill.Spill,
            kept: dict[str, int], version: str, config_sha: str, versions: dict, *, engine_changed: bool,
            config_changed: bool, upgraded_from: int | None) -> dict:
    """The named values of the run's row in `runs` (transforms/tables.runs_row_sql counts the rest in the staged
    database), for a run and for a what-if alike."""
    return {
        "run_id": run_id, "started_at": started, "inputs": [f.record() for f in inputs],
        **{f"{e}_read": store.read[e] for e in EXTRACTS}, **{f"{e}_kept": kept[e] for e in EXTRACTS},
        "engine_version": version, "config_sha256": config_sha, **versions,
        "engine_changed": engine_changed, "config_changed": config_changed,
        "layout_version": layout.CURRENT, "upgraded_from_layout": upgraded_from,
    }


@task(cache_policy=NO_CACHE, persist_result=False)
@contained
def artifacts(db: Path, run: dict, report: Path | None, first: bool) -> None:
    """What the Prefect UI shows of a published run, in words: a summary, the report's headline counts, the caps
    and the report's path."""
    progress.stage("artifacts")
    config = database.run_config(db, run["run_id"])  # the caps read as the run read: memory bounded
    said = {True: "changed since the last run (earlier decisions stand)", False: "unchanged since the last run"}
    create_markdown_artifact(key="qcpilot-run-summary", description="Run summary", markdown="\n".join([
        f"# qcpilot run {run['run_id']}", "",
        f"Published to {db}.", "",
        "The database's first run." if first else
        f"Rules {said[bool(run.get('engine_changed'))]}; configuration {said[bool(run.get('config_changed'))]}.", "",
        f"Report: {report}" if report else "No report written by this run (`qcpilot report` writes one).",
    ]))
    create_table_artifact(table=report_words.headline(run), key="qcpilot-headline",
                          description="Headline counts: rows read, eligibility, selection and the ledger's movements")
    create_table_artifact(table=report_words.caps_in_words(database.read_view(db, "cap_usage", config)),
                          key="qcpilot-cap-usage", description="Selections against caps")
    if report is not None:
        create_link_artifact(link=report.as_uri(), link_text=str(report), key="qcpilot-report",
                             description="The run's HTML report (a file on the machine that ran it)")


def night_report(db: Path, template: str, run_id: str, log) -> Path | None:
    """Write the published run's HTML report (French, the ministry's language) where `template` says ("{run_id}"
    in it is the run's id). A report that cannot be written is a warning: the run is published."""
    out = Path(template.replace("{run_id}", run_id))
    if (problem := report_words.target_problem(out)) is not None:
        log.warning("published, but no report was written: %s: %s", out, problem)
        return None
    try:
        return report_words.write_report(db, Path(os.path.realpath(out)), config=database.run_config(db, run_id))
    except Exception as exc:
        log.warning("published, but the report %s could not be written (%s)", out, type(exc).__name__)
        return None


def _where(exc: BaseException) -> str:
    """Where an unexpected exception was raised (files and lines of the stack), without its text: a library's
    message may quote a row, and no log holds a row's content."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if str(ROOT) in f.filename and "/.venv/" not in f.filename] or frames
    return " <- ".join(f"{Path(f.filename).relative_to(ROOT) if str(ROOT) in f.filename else Path(f.filename).name}"
                       f":{f.lineno} {f.name}" for f in reversed(ours[-4:]))


@flow(name="qcpilot-run", log_prints=False)
def pipeline(specs: dict[str, list[str]], db: str, data_dir: str, config: str, force: bool = False,
             wait: float = 0.0, max_rejected: float = MAX_REJECTED_PERCENT, processed: str | None = None,
             report: str | None = None):
    """One batch, holding the target's write lock from reading the previous ledger to the publish. Earlier
    decisions (the `decisions` ledger of the published database) are never revoked.

    A refused or failed run ends in a Failed state whose message is the one-line reason (nothing is published).
    """
    terminal.escape_run_logs()  # a path or a value in a log line is shown escaped
    run_id = uuid.uuid4().hex[:12]
    if not 0 <= max_rejected <= 100:  # a deployment's parameter, given by hand: nan fails both
        return failed(InputError(f"max_rejected must be a percentage from 0 to 100, not {max_rejected}; nothing "
                                 "was published"), "run", run_id)
    max_rejected += 0.0  # -0 is 0
    # the real file behind a symbolic link: one lock and one ledger per database, whatever the name it is given by
    ctx = RunContext(specs=specs, db=Path(os.path.realpath(db)), config=Path(config), data_dir=Path(data_dir),
                     force=force, wait=wait, max_rejected=max_rejected,
                     processed=Path(processed) if processed else None, report=report)
    try:
        with interrupts.noted(), lock.exclusive(ctx.db, ctx.wait), database.permissions_of(ctx.db):
            return _batch(ctx, run_id)
    except (Exception, pl.exceptions.PanicException) as exc:
        return failed(exc, "run", run_id)


def failed(exc: BaseException, what: str, run_id: str) -> Failed:
    """The Failed state of a run (or what-if) stopped by `exc`: its message the one-line reason, its data a
    RunResult. Our own errors say themselves; the operating system's (after the retries) give the file and reason,
    no more; anything else is an internal error named by its type and place. A signal, or anything under
    QCPILOT_DEBUG, is raised again."""
    if isinstance(exc, QcpilotError):
        message, code = str(exc), exc.exit_code
    elif isinstance(exc, OSError):
        message, code = f"{exc.filename or 'a file'}: {exc.strerror or 'input/output error'}; nothing was published", 1
    else:
        interrupts.reraise_if_received(exc)
        if os.environ.get("QCPILOT_DEBUG"):
            raise exc
        message, code = unexpected(exc), 1
    get_run_logger().error("%s %s: %s", what, run_id, message)
    # the state's message is shown by the UI and the CLI as it is: escaped here (a path may hold a newline)
    return Failed(message=terminal.shown(message),
                  data=RunFailed(RunResult(run_id, ok=False, message=message, exit_code=code)))


def _batch(ctx: RunContext, run_id: str) -> RunResult | Completed:
    log = get_run_logger()
    started = dt.datetime.now(dt.UTC)
    for leftover in database.remove_stale_staging(ctx.db):
        log.warning("removed %s, left by a run that was killed", leftover.name)
    # the ledger as it was sealed before it is read, by a run with nothing to do too
    prepared = prepare(ctx, sealed=True)
    target, version = prepared.target, prepared.version
    selection_config, parameters = prepared.selection_config, prepared.parameters
    if prepared.nothing_new is not None:
        since = f" since run {prepared.last_run}" if prepared.last_run else ""
        log.info("nothing new%s: %s; nothing to do", since, prepared.nothing_new)
        if ctx.processed is not None and prepared.last_run is not None:
            # the same files again (a source system that delivered twice): what they hold is published, so they
            # leave the inbox too, each only as the last run read it
            read = [reading.InputFile(i["extract"], i["path"], i["sha256"], i["rows"])
                    for i in target.last_run["inputs"] if i["extract"] in EXTRACTS]
            with interrupts.deferred():
                archive(ctx.files(), ctx.specs, read, ctx.processed / run_id, log)
        # a night with nothing new is said so in Prefect too: a Completed state named "Nothing new", with its reason
        return Completed(name="Nothing new", message=f"nothing new{since}: {prepared.nothing_new}; nothing published",
                         data=RunResult(run_id, ok=True, noop=True, db=str(ctx.db), message=prepared.last_run or ""))
    files = ctx.files()
    last = target.last_run
    if last is not None and last["engine_version"] != version:
        log.warning("rules changed since run %s (engine %s -> %s): earlier decisions stand", last["run_id"],
                    last["engine_version"], version)
    config_sha = sha256(ctx.config)
    store = spill.Spill.beside(ctx.db, run_id, spill.buckets_for(files["applications"], PARTITION_ROWS))
    try:  # DuckDB may report a full disk late, from any statement
        with database.storage_said(ctx.db.parent), database.Staging(ctx.db, run_id) as staging:
            upgraded_from = layout.carry_forward(staging.con, target)
            if upgraded_from is not None:
                log.info("upgrading %s from layout %d to %d: every decision and run is carried forward", ctx.db,
                         upgraded_from, layout.CURRENT)
            # the tasks' large arguments quoted: Prefect would otherwise visit every element of them at each call
            # to look for futures (the 20,000 files of 10,000 small ones and their records: about 3 s)
            ingest(quote(files), quote(store), started)
            dropped = check_across_files(quote(staging), quote(store))
            refuse_too_many_rejected(quote(staging), quote(store), ctx.max_rejected, ctx.db, run_id)
            kept, rulebook_id = evaluate(quote(staging), quote(store), dropped, ctx.data_dir, quote(parameters), run_id)
            rank(quote(staging), selection_config, run_id, started, version, config_sha)
            inputs = [*store.files, reading.InputFile.of("config", ctx.config, selection_config.height),
                      reading.InputFile.of("parameters", ctx.parameters_file(), None),
                      *[reading.InputFile.of("reference", f, None) for f in ctx.reference_files()]]
            run = run_row(run_id, started, inputs, store, kept, version, config_sha,
                          versions(ctx.data_dir, rulebook_id),
                          engine_changed=last is not None and last["engine_version"] != version,
                          config_changed=last is not None and last["config_sha256"] not in (None, config_sha),
                          upgraded_from=upgraded_from)
            publish(quote(staging), quote(run), target, quote(parameters))
    except Interrupted as exc:
        if target.unchanged_since_read():
            raise  # nothing was published
        stopped_by = exc.signal_name  # the signal came just after the swap: this run is published
    else:
        stopped_by = None
    finally:
        store.remove()
    try:  # published: the files it read leave the inbox whatever signal comes (a signal waits for the moves)
        with interrupts.deferred():
            if ctx.processed is not None:
                archive(files, ctx.specs, store.files, ctx.processed / run_id, log)
    except Interrupted as exc:
        stopped_by = stopped_by or exc.signal_name
    counts = database.read_table(ctx.db, "runs").filter(pl.col("run_id") == run_id).row(0, named=True)
    written = None
    try:  # published: from here on a failure must not say otherwise; the report and artifacts are a courtesy
        if stopped_by is None:
            written = night_report(ctx.db, ctx.report, run_id, log) if ctx.report else None
            artifacts(ctx.db, quote(counts), written, first=last is None)
    except Interrupted as exc:
        stopped_by = exc.signal_name
    except Exception as exc:
        log.warning("run %s published, but its artifacts could not be attached (%s)", run_id, type(exc).__name__)
    if stopped_by is not None:
        log.warning("run %s published; stopped by %s before its report and artifacts", run_id, stopped_by)
    return RunResult(run_id, ok=True, db=str(ctx.db), counts=counts, report=str(written or ""),
                     stopped_by=stopped_by or "")


def _sha256_now(path: Path) -> str | None:
    """The file's SHA-256 as it is now; None if it is gone, unreadable or no longer a regular file."""
    try:
        return sha256(path)
    except InputError:
        return None


def archive(files: dict[str, list[Path]], specs: dict[str, list[str]], read: list[reading.InputFile], folder: Path,
            log) -> None:
    """Move a published run's input files out of the inbox into `folder`/EXTRACT/, each at its path under the
    extract's folder (the nightly convention: what is in the inbox has not been published). Only a file as it was
    read moves: one changed since (replaced, still being copied) stays, said in the log, and so does one that cannot
    be moved. A file already there is never replaced."""
    digests = {(f.extract, f.path): f.sha256 for f in read}
    for extract, paths in files.items():
        roots = [Path(spec) for spec in specs[extract] if Path(spec).is_dir()]
        for path in paths:
            under = next((path.relative_to(r) for r in roots if path.is_relative_to(r)), Path(path.name))
            target = folder / extract / under
            try:
                if _sha256_now(path) != digests.get((extract, str(path))):
                    log.warning("published, but %s changed since it was read: left in the inbox", path)
                    continue
                if target.exists():
                    log.warning("published, but %s is already in %s: left in the inbox", path, target.parent)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(path, target)  # a rename, or a copy then a removal across file systems
            except OSError as exc:
                log.warning("published, but %s could not be moved to %s (%s)", path, target, exc.strerror)
