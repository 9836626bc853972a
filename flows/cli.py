"""The `qcpilot` command line (typer)."""

from __future__ import annotations

import contextlib
import math
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Protocol, runtime_checkable

import typer
from rich.table import Table
from rich.text import Text

from flows import interrupts
from flows.errors import Interrupted, QcpilotError, RunFailed
from flows.terminal import Terminal, shown
from schemas.enums import EXTRACTS, MAX_REJECTED_PERCENT

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SAMPLE = DATA / "sample"
DEFAULT_DB = DATA / "out" / "qcpilot.duckdb"
DEFAULT_CONFIG = DATA / "config" / "selection.csv"

app = typer.Typer(
    add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
    help="Quebec pilot programs: eligibility and capped selection.",
)
# no console markup: paths and ids are printed as they are (a folder named `[x]` is a name, not a style)
# and no control character from input or a path reaches the terminal raw (flows/terminal.py)
err = Terminal(stderr=True, markup=False)
out = Terminal(markup=False)
QCPILOT = Text("qcpilot:", style="bold red")

@runtime_checkable
class RunResultLike(Protocol):
    ok: bool
    noop: bool
    message: str
    exit_code: int


PathsOpt = Annotated[list[str] | None, typer.Option(help="File, directory or glob; repeatable; CSV and Parquet.")]


def _fail(message: str, code: int) -> None:
    err.print(QCPILOT, message, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _say_and_silence(message: str) -> None:
    """Print the one line, then keep the interpreter's shutdown quiet: objects of an interrupted flow run that
    Prefect still references are freed late, and the DuckDB bindings then print leak warnings."""
    err.print(QCPILOT, message, highlight=False, soft_wrap=True)
    sys.stderr.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)


def _release_and_fail(message: str, code: int) -> None:
    _say_and_silence(message)
    raise typer.Exit(code)


def _require_published(db: Path, whatif: bool = False) -> None:
    """The database a reading command answers from: it exists, and qcpilot published it in this release's layout
    (`whatif`: a scenario database written by `qcpilot whatif`)."""
    from flows import layout

    if not db.exists():
        _fail(f"{db}: no published database (run `qcpilot run` first)", 2)
    try:
        target = layout.inspect(db, writing=False)
    except QcpilotError as exc:
        _fail(str(exc), exc.exit_code)
    if target.layout != layout.CURRENT:
        _fail(f"{db}: published by an earlier release (layout {target.layout}); the next `qcpilot run` on it "
              f"upgrades it to layout {layout.CURRENT}, keeping every decision and run", 2)
    if whatif and not layout.is_whatif(db):
        _fail(f"{db}: not a what-if database (written by `qcpilot whatif`)", 2)


@contextlib.contextmanager
def _reading(*dbs: Path) -> Iterator[None]:
    """Within: a part of a published database that DuckDB cannot read (a damaged block) is one line, exit 2."""
    import duckdb

    from flows import layout

    try:
        yield
    except duckdb.Error as exc:
        if not layout.is_damage(exc):
            raise
        _fail(str(layout.unreadable(" or ".join(str(d) for d in dbs), exc)), 2)


def _quiet_prefect_console() -> None:
    """`qcpilot run` prints its own progress, summary or one-line reason: Prefect's console logs (and their
    tracebacks) stay off the terminal, and still reach the Prefect API and UI. --verbose shows them."""
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")


@app.command()
def run(
    applications: PathsOpt = None,
    experience: PathsOpt = None,
    wages: PathsOpt = None,
    db: Annotated[Path | None, typer.Option(help="DuckDB file to publish (default: data/out/qcpilot.duckdb, "
                                                 "with the shipped sample when no extract is given).")] = None,
    config: Annotated[Path, typer.Option(help="Intake windows and caps (CSV).")] = DEFAULT_CONFIG,
    sample: Annotated[bool, typer.Option("--sample", help="Read the shipped sample (its 3,000 fictitious "
                                                          "applications) into --db, on purpose.")] = False,
    max_rejected: Annotated[float, typer.Option("--max-rejected", help="Percent of an extract's rows that may be "
                                                "rejected; above it nothing is published.")] = MAX_REJECTED_PERCENT,
    force: Annotated[bool, typer.Option(help="Run even when inputs, configuration and rules are unchanged.")] = False,
    wait: Annotated[float, typer.Option(help="Seconds to wait when another run holds the database (default: "
                                              "refuse at once).")] = 0.0,
    report: Annotated[Path | None, typer.Option(help="HTML report (in French) to write once the run is published; "
                                                     "`qcpilot report` writes one at any time.")] = None,
    verbose: Annotated[bool, typer.Option(help="Show Prefect's own log lines on the terminal.")] = False,
) -> None:
    """Ingest, validate, evaluate, rank and publish one batch. With no option at all: the shipped sample into
    data/out/qcpilot.duckdb; into another database only with --sample (a ledger is permanent)."""
    from flows import io, layout, lock
    from flows.rulebook import load as load_parameters
    from flows.run_context import RunContext, engine_version, unchanged
    from schemas import MODELS
    from schemas.config import SelectionConfig

    given = {"applications": applications, "experience": experience, "wages": wages}
    if any(given.values()) and not all(given.values()):
        missing = ", ".join(f"--{e}" for e, v in given.items() if not v)
        _fail(f"{missing} missing: give the three extracts, or none to run the shipped sample", 2)
    if sample and any(given.values()):
        _fail("--sample reads the shipped sample: give it or the extracts, not both; nothing was published", 2)
    if not math.isfinite(wait) or wait < 0:
        _fail(f"--wait must be a number of seconds >= 0, not {wait}", 2)
    if str(db) == ":memory:":
        _fail("--db must name a database file (:memory: is not one); nothing was published", 2)
    if not 0 <= max_rejected <= 100:  # nan fails both
        _fail(f"--max-rejected must be a percentage from 0 to 100, not {max_rejected}", 2)
    if db is not None and not any(given.values()) and not sample:
        _fail(f"--db {db}: no extract given (--applications, --experience, --wages); a ledger is permanent, so the "
              "shipped sample goes into a database other than the default only with --sample; nothing was "
              "published", 2)
    if report is not None:
        from flows.report import target_problem

        if (problem := target_problem(report)) is not None:
            _fail(f"--report {report}: {problem}; nothing was published", 2)
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
            io.remove_stale_staging(db)
            io.preflight(ctx.specs, MODELS)
            io.read_config(config, SelectionConfig)
            load_parameters(ctx.parameters_file())
            target = layout.inspect(db)
            last_run = unchanged(target, ctx, engine_version(ctx.parameters_file()))
            if last_run is not None:
                layout.check_sealed(target)  # nothing to do is said of a ledger that is as it was sealed only
                out.print(f"nothing new since run {last_run} (same inputs, configuration and rules): {db} unchanged")
                return
            os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
            # no telemetry: this machine has no network beyond the package registries, and a batch should not call out
            os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
            if not verbose:
                _quiet_prefect_console()
            from flows import progress
            from flows.pipeline import pipeline  # prefect is imported only when a flow runs

            try:
                with progress.live(enabled=sys.stderr.isatty()):
                    state = pipeline(specs=ctx.specs, db=str(db), data_dir=str(DATA), config=str(config),
                                     force=force, wait=wait, max_rejected=max_rejected,
                                     report=str(report) if report else None, return_state=True)
            except BaseException:
                with interrupts.deferred():  # still holding the lock: whatever the run left is removed
                    io.remove_stale_staging(db)
                raise
            progress.dump()
    except QcpilotError as exc:
        failure = (str(exc) if "nothing was" in str(exc) else f"{exc}; nothing was published", exc.exit_code)
    except BaseException as exc:
        if (signal_name := _signal_of(exc)) is None:
            raise
        failure = _stopped(signal_name, db, target)
    if failure is not None:
        _release_and_fail(*failure)
    with interrupts.ignored():  # the run has ended: what is left is to say how, whole
        result = _result_of(state, "nothing was published")
        if result.noop:
            out.print(f"nothing new since run {result.message} (same inputs, configuration and rules): {db} "
                      "unchanged")
            return
        _summary(result)


def _signal_of(exc: BaseException) -> str | None:
    """The name of the signal that `exc` shows stopped the command, or None: our Interrupted, Python's
    KeyboardInterrupt, Prefect's relay of SIGTERM, or a library's error raised because a signal interrupted it
    half-way ("Query interrupted")."""
    if isinstance(exc, Interrupted):
        return exc.signal_name
    if isinstance(exc, KeyboardInterrupt):
        return interrupts.received or "SIGINT"
    if type(exc).__name__ == "TerminationSignal" or interrupts.received is not None:
        return interrupts.received or "SIGTERM"
    return None


def _stopped(signal_name: str, db: Path, target) -> tuple[str, int]:
    """The line of a run stopped by a signal: the swap happens with signals held back, so the database either is
    the one this run found (nothing published) or was replaced by this run, which held its lock."""
    if target is not None and not target.unchanged_since_read():
        return f"stopped by {signal_name} after this run was published to {db} (its last row in runs)", 1
    return f"stopped by {signal_name}; nothing was published", 1


def _result_of(state, nothing: str):
    """The RunResult a flow's final state carries; a failure ends the command in its one line and exit status."""
    result = state.result(raise_on_failure=False)
    if isinstance(result, RunFailed):  # a Failed state's data: the run's result, its one-line reason
        result = result.result
    if not isinstance(result, RunResultLike):
        _fail(f"internal error ({type(result).__name__}); {nothing}", 1)
    if not result.ok:
        _fail(result.message if "nothing was" in result.message else f"{result.message}; {nothing}",
              result.exit_code or 1)
    return result


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
    if result.report:
        out.print(shown(f"report: {result.report}"))


@app.command()
def generate(
    out_dir: Annotated[Path, typer.Option("--out", help="Output directory (the shipped sample: data/sample).")] = (
        DATA / "out" / "generated"),
    applications: Annotated[int, typer.Option("--applications", help="Number of applications (at least 1).")] = 3000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 20261121,
    fmt: Annotated[str, typer.Option("--format", help="sample (CSV + Parquet mix), csv or parquet.")] = "sample",
    replace: Annotated[bool, typer.Option("--replace", help="Write over a folder generate did not write.")] = False,
) -> None:
    """Write seeded, realistic extracts (applications, experience, wages) with a few bad rows of each kind.

    Never into the shipped sample unless `--out data/sample` is given."""
    from flows.generate import write_extracts

    if applications < 1:
        _fail(f"--applications must be at least 1, not {applications}", 2)
    if seed < 0:
        _fail(f"--seed must be 0 or more, not {seed}", 2)
    if out_dir.exists() and not out_dir.is_dir():
        _fail(f"--out {out_dir}: is a file, not a folder", 2)
    if fmt not in ("sample", "csv", "parquet"):
        _fail(f"--format must be sample, csv or parquet, not {fmt!r}", 2)
    try:
        counts = write_extracts(applications, seed, out_dir, fmt, DATA / "reference", replace)
    except QcpilotError as exc:
        _fail(str(exc), exc.exit_code)
    except OSError as exc:
        _fail(f"--out {out_dir}: cannot be written ({exc.strerror or type(exc).__name__})", 1)
    out.print(f"wrote {', '.join(f'{k} {v:,}' for k, v in counts.items())} rows to {out_dir}")


@app.command()
def serve(
    inbox: Annotated[Path, typer.Option(help="Directory with applications/, experience/ and wages/ subfolders.")],
    cron: Annotated[str, typer.Option(help="Cron schedule, America/Toronto time.")] = "0 2 * * *",
    db: Annotated[Path, typer.Option(help="DuckDB file to publish.")] = DEFAULT_DB,
    config: Annotated[Path, typer.Option(help="Intake windows and caps (CSV).")] = DEFAULT_CONFIG,
    max_rejected: Annotated[float, typer.Option("--max-rejected", help="Percent of an extract's rows that may be "
                                                "rejected; above it a night publishes nothing.")] = MAX_REJECTED_PERCENT,
    processed: Annotated[Path | None, typer.Option(help="Where a published night's files are moved (RUN_ID/ in it; "
                                                        "default: INBOX/processed).")] = None,
    reports: Annotated[Path | None, typer.Option(help="Where each published night's HTML report is kept "
                                                      "(report-RUN_ID.html; default: reports/ beside --db).")] = None,
) -> None:
    """Register the nightly run with a Prefect server and serve it (needs `prefect server start`)."""
    if not os.environ.get("PREFECT_API_URL"):
        _fail("PREFECT_API_URL is not set: start `prefect server start` and export "
              "PREFECT_API_URL=http://127.0.0.1:4200/api first", 2)
    from prefect.client.schemas.schedules import CronSchedule  # the schedule serve registers: checked first

    try:
        CronSchedule(cron=cron, timezone="America/Toronto")
    except ValueError:  # pydantic's ValidationError is one
        _fail(f"--cron {cron!r}: not a cron schedule (five fields, e.g. '0 2 * * *' for 2 a.m. every night)", 2)
    if not 0 <= max_rejected <= 100:
        _fail(f"--max-rejected must be a percentage from 0 to 100, not {max_rejected}", 2)
    if inbox.exists() and not inbox.is_dir():
        _fail(f"--inbox {inbox}: is a file; name the folder that holds applications/, experience/ and wages/", 2)
    for option, folder in (("--processed", processed), ("--reports", reports)):
        if folder is not None and folder.exists() and not folder.is_dir():
            _fail(f"{option} {folder}: is a file; name a folder", 2)
    try:
        for sub in EXTRACTS:
            (inbox / sub).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _fail(f"--inbox {inbox}: cannot be used ({exc.strerror or type(exc).__name__})", 2)
    from flows.serve import serve_nightly

    out.print(f"serving qcpilot-nightly ({cron}, America/Toronto) from {inbox}; Ctrl-C to stop")
    serve_nightly(inbox, db, DATA, config, cron, max_rejected, processed, reports)


@app.command()
def whatif(
    config: Annotated[Path | None, typer.Option(help="A whole selection configuration (the format of "
                                                      "data/config/selection.csv) replacing the baseline's.")] = None,
    parameters: Annotated[Path | None, typer.Option(help="Legal values to override, in the format of "
                                                          "data/rulebook/parameters.yaml (only the keys it names).")] = None,
    db: Annotated[Path, typer.Option(help="Baseline database: its last run's extracts and configuration.")] = DEFAULT_DB,
    out_db: Annotated[Path, typer.Option("--out", help="Scenario database to write.")] = DATA / "out" / "whatif.duckdb",
    applications: PathsOpt = None,
    experience: PathsOpt = None,
    wages: PathsOpt = None,
    verbose: Annotated[bool, typer.Option(help="Show Prefect's own log lines on the terminal.")] = False,
) -> None:
    """Decide the same applications under another configuration or other legal values; list who changes."""
    from flows import io, layout
    from flows.rulebook import load, load_overrides, parameters_path
    from flows.run_context import recorded_extracts
    from schemas import MODELS
    from schemas.config import SelectionConfig

    if config is None and parameters is None:
        _fail("give --config, --parameters or both: the scenario to compare with the baseline", 2)
    given = {"applications": applications, "experience": experience, "wages": wages}
    if any(given.values()) and not all(given.values()):
        missing = ", ".join(f"--{e}" for e, v in given.items() if not v)
        _fail(f"{missing} missing: give the three extracts, or none to read those of the baseline's last run", 2)
    if out_db.is_symlink():  # written through, the scenario (personal data) would land where the link points
        _fail(f"--out {out_db}: is a symbolic link; a what-if writes through none: name the file itself", 2)
    db, out_db = Path(os.path.realpath(db)), Path(os.path.realpath(out_db))
    config = Path(os.path.realpath(config)) if config is not None else None  # recorded as absolute paths
    parameters = Path(os.path.realpath(parameters)) if parameters is not None else None
    if out_db == db:
        _fail(f"--out {out_db}: is the baseline database; a what-if never writes it", 2)
    if out_db.exists() and not layout.is_whatif(out_db):
        _fail(f"--out {out_db}: exists and is not a what-if database; a what-if writes over none other (a published "
              "ledger least of all): choose another --out", 2)
    try:
        baseline_config = DEFAULT_CONFIG
        if not any(given.values()):
            run_id, specs, recorded_config = recorded_extracts(db, DATA)
            out.print(f"reading the extracts recorded for run {run_id} in {db}", highlight=False)
            baseline_config = Path(recorded_config) if recorded_config else DEFAULT_CONFIG
        else:
            specs = {e: [str(p) for p in v] for e, v in given.items()}
            io.preflight(specs, MODELS)
            target = layout.inspect(db, writing=False) if db.exists() else None
            for item in (target.last_run or {}).get("inputs", []) if target else []:
                path = Path(item["path"])
                if item["extract"] == "config" and path.is_file() and io.sha256(path) == item["sha256"]:
                    baseline_config = path
        io.read_config(baseline_config, SelectionConfig)
        if config is not None:
            io.read_config(config, SelectionConfig)
        if parameters is not None:
            load_overrides(parameters, load(parameters_path(DATA)))
    except QcpilotError as exc:
        _fail(str(exc), exc.exit_code)
    out.print(f"baseline: configuration {baseline_config}, legal values {parameters_path(DATA)}; scenario: "
              f"configuration {config or baseline_config}{f', legal values overridden by {parameters}' if parameters else ''}",
              highlight=False, soft_wrap=True)
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if not verbose:
        _quiet_prefect_console()
    before = layout.identity(out_db)
    try:  # from prefect's import on (a second or two): a signal then says whether the scenario was written
        from flows.whatif import whatif_flow

        with interrupts.raised():
            state = whatif_flow(specs=specs, out=str(out_db), data_dir=str(DATA),
                                baseline_config=str(baseline_config), config=str(config or baseline_config),
                                overrides=str(parameters) if parameters else None,
                                baseline_db=str(db) if db.is_file() else None, return_state=True)
    except BaseException as exc:
        if (signal_name := _signal_of(exc)) is None:
            raise
        # the swap happens with signals held back: --out is the file found or the scenario this what-if wrote
        _release_and_fail(f"stopped by {signal_name} after the scenario was written to {out_db}"
                          if layout.identity(out_db) != before else f"stopped by {signal_name}; nothing was written", 1)
    with interrupts.ignored():  # the what-if has ended: what is left is to say how, whole
        _whatif_summary(_result_of(state, "nothing was written"))


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


@app.command()
def report(
    db: Annotated[Path, typer.Option(help="Published DuckDB file.")] = DEFAULT_DB,
    out_file: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = DATA / "out" / "report.html",
    lang: Annotated[str, typer.Option(help="fr (default) or en: the whole report in that language.")] = "fr",
    whatif: Annotated[Path | None, typer.Option(help="Add the section of a what-if scenario database.")] = None,
) -> None:
    """One self-contained HTML report: caps, the eligibility funnel, IT/VFX wages against thresholds (and a
    what-if scenario beside its baseline)."""
    if lang not in ("fr", "en"):
        _fail(f"--lang must be fr or en, not {lang!r}", 2)
    _require_published(db)
    if whatif is not None:
        _require_published(whatif, whatif=True)
    from flows.report import target_problem, write_report

    if (problem := target_problem(out_file)) is not None:
        _fail(f"--out {out_file}: {problem}", 2)
    target = Path(os.path.realpath(out_file))
    try:
        with _reading(*[d for d in (db, whatif) if d is not None]):
            written = write_report(db, target, lang, whatif)
    except OSError as exc:
        _fail(f"--out {out_file}: cannot be written ({exc.strerror or 'input/output error'})", 1)
    out.print(f"wrote {written}")


@app.command()
def explain(
    application_id: Annotated[str, typer.Argument(help="The application to explain.")],
    lang: Annotated[str, typer.Option(help="fr (default) or en: the whole letter in that language.")] = "fr",
    db: Annotated[Path, typer.Option(help="Published DuckDB file.")] = DEFAULT_DB,
    whatif: Annotated[Path | None, typer.Option(help="A what-if scenario database (qcpilot whatif --out): what the "
                                                     "decision would become there, and why.")] = None,
) -> None:
    """The decision on one application, each failed or unknown rule with its article and figures (a rejected
    row's id: where it was read and why it was rejected)."""
    from flows.explain import UnknownApplication, explain_whatif
    from flows.explain import explain as letter

    if lang not in ("fr", "en"):
        _fail(f"--lang must be fr or en, not {lang!r}", 2)
    source = whatif if whatif is not None else db
    _require_published(source, whatif=whatif is not None)
    try:
        with _reading(source):
            text = explain_whatif(whatif, application_id, lang) if whatif else letter(db, application_id, lang)
        out.print(text, highlight=False, markup=False, soft_wrap=True, block=True)
    except UnknownApplication:
        _fail(f"no application {application_id!r} in {source}", 1)


def main() -> None:
    """The console script: every ending is one line and an exit status, never a traceback (QCPILOT_DEBUG=1 shows
    one). A library's own text is never printed: it may quote a row."""
    # typer vendors click; its usage errors print as one line here, not as click's box
    from typer._click.exceptions import ClickException, NoArgsIsHelpError

    # a flow stopped by a signal leaves Prefect's crash-reporting coroutines unawaited: not a line for the operator
    warnings.filterwarnings("ignore", message="coroutine .* was never awaited", category=RuntimeWarning)
    if not os.environ.get("QCPILOT_DEBUG"):
        # an error a library could not raise is printed as a traceback by default: pyarrow's, decoding a bad CSV row
        # that is not UTF-8 for its invalid-row handler. What it was about is said in its own one line.
        sys.unraisablehook = lambda _unraisable: None

    try:
        with interrupts.raised():
            code = app(standalone_mode=False)
    except NoArgsIsHelpError as exc:
        out.print(exc.ctx.get_help(), highlight=False, block=True)
        code = 0
    except ClickException as exc:
        err.print(f"qcpilot: {exc.format_message()} (see qcpilot --help)", highlight=False, soft_wrap=True,
                  markup=False)
        code = exc.exit_code
    except (typer.Abort, Interrupted, KeyboardInterrupt) as exc:
        _say_and_silence(f"stopped by {getattr(exc, 'signal_name', None) or interrupts.received or 'SIGINT'}")
        code = 1
    except Exception as exc:
        if os.environ.get("QCPILOT_DEBUG"):
            raise
        if interrupts.received is not None:
            _say_and_silence(f"stopped by {interrupts.received}")
        else:
            err.print(f"qcpilot: internal error ({type(exc).__name__})", highlight=False, markup=False)
        code = 1
    interrupts.ignored_until_exit()
    raise SystemExit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
