"""What every command shares: the typer app, the default paths, the consoles, and how a command ends (one line
and an exit status)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Protocol, runtime_checkable

import typer
from rich.text import Text

from flows.runtime import interrupts
from flows.runtime.errors import Interrupted, QcpilotError, RunFailed
from flows.runtime.terminal import Terminal

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
SAMPLE = DATA / "sample"
DEFAULT_DB = DATA / "out" / "qcpilot.duckdb"
DEFAULT_ANALYTICS = DATA / "out" / "qcpilot-analytics.duckdb"  # the analysts' database beside it
DEFAULT_CONFIG = DATA / "config" / "selection.csv"

app = typer.Typer(
    add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None,
    help="Quebec pilot programs: eligibility and capped selection.",
)
# no console markup: paths and ids are printed as they are (a folder named `[x]` is a name, not a style)
# and no control character from input or a path reaches the terminal raw (flows/runtime/terminal.py)
err = Terminal(stderr=True, markup=False)
out = Terminal(markup=False)
QCPILOT = Text("qcpilot:", style="bold red")

@runtime_checkable
class RunResultLike(Protocol):
    ok: bool
    noop: bool
    message: str
    exit_code: int


def db_option(help_text: str, default: str = "data/out/qcpilot.duckdb") -> typer.models.OptionInfo:
    """`--db`: a database file, its default shown relative to the project."""
    return typer.Option(metavar="FILE", show_default=False, help=f"{help_text}  [default: {default}]")


ConfigOpt = Annotated[Path, typer.Option(metavar="FILE", show_default=False,
                                         help="Intake windows and caps (CSV).  [default: data/config/selection.csv]")]
PathsOpt = Annotated[list[str] | None, typer.Option(metavar="PATH",
                                                    help="File, directory or glob; repeatable; CSV and Parquet.")]


def fail(message: str, code: int) -> None:
    err.print(QCPILOT, message, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def prefect_api_url() -> str:
    """The Prefect server PREFECT_API_URL names, without its last slash; "" when it names none (unset or blank: a
    flow then starts Prefect's temporary server)."""
    return os.environ.get("PREFECT_API_URL", "").strip().rstrip("/")


def prefect_api_problem() -> str | None:
    """Why the Prefect server PREFECT_API_URL names cannot run a flow (None: it answers, or none is named and a flow
    starts a temporary one). Asked before a flow starts: a server that is down would otherwise fail the flow's start
    inside Prefect, an internal error to the operator."""
    url = prefect_api_url()
    if not url:
        return None
    import re

    import httpx  # only here: a command that starts no flow starts without it

    said = re.sub(r"//[^/@]*@", "//...@", url)  # a password in the URL is never printed
    try:
        httpx.get(f"{url}/health", timeout=10).raise_for_status()
    except (httpx.InvalidURL, httpx.UnsupportedProtocol, UnicodeError):  # no http://, a host that cannot be encoded
        return f"PREFECT_API_URL {said}: not a URL (a Prefect server's is like http://127.0.0.1:4200/api)"
    except httpx.HTTPError:
        return f"PREFECT_API_URL {said}: no Prefect server answers there; start `prefect server start` first"
    except Exception as exc:  # a proxy setting httpx cannot use, say: named by its type, never a traceback
        return f"PREFECT_API_URL {said}: cannot be reached ({type(exc).__name__})"
    return None


def say_and_silence(message: str) -> None:
    """Print the one line, then keep the interpreter's shutdown quiet: objects of an interrupted flow run that
    Prefect still references are freed late, and the DuckDB bindings then print leak warnings."""
    err.print(QCPILOT, message, highlight=False, soft_wrap=True)
    sys.stderr.flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)


def release_and_fail(message: str, code: int) -> None:
    say_and_silence(message)
    raise typer.Exit(code)


def require_published(db: Path, whatif: bool = False, analytics_too: bool = False) -> None:
    """The database a reading command answers from: it exists, and qcpilot published it in this release's layout
    (`whatif`: a scenario database written by `qcpilot whatif`; `analytics_too`: or an analysts' database)."""
    from flows.store import layout

    if not db.exists():
        fail(f"{db}: no published database (run `qcpilot run` first)", 2)
    from flows.store import analytics

    if analytics.is_analytics_file(db):
        if analytics_too:
            return
        fail(f"{db}: an analysts' database (no direct identifier: `qcpilot sql` reads it); this command reads the "
             "full database it was made from", 2)
    try:
        target = layout.inspect(db, writing=False)
    except QcpilotError as exc:
        fail(str(exc), exc.exit_code)
    if target.layout != layout.CURRENT:
        fail(f"{db}: published by an earlier release (layout {target.layout}); the next `qcpilot run` on it "
              f"upgrades it to layout {layout.CURRENT}, keeping every decision and run", 2)
    if whatif and not layout.is_whatif(db):
        fail(f"{db}: not a what-if database (written by `qcpilot whatif`)", 2)


@contextlib.contextmanager
def held_open(db: Path) -> Iterator[None]:
    """Within: `db` held open read-only, so that every reader's connection to it in the command (the layout check, the
    letter) shares that one opening, as DuckDB shares a database between a process's connections, instead of opening
    the file again (15 to 20 ms each at 10M applications). A file DuckDB cannot open is left to the checks to name."""
    import duckdb

    try:
        con = duckdb.connect(str(db), read_only=True) if Path(db).is_file() else None
    except duckdb.Error:
        con = None
    try:
        yield
    finally:
        if con is not None:
            con.close()


@contextlib.contextmanager
def damage_said(*dbs: Path) -> Iterator[None]:
    """Within: a part of a published database that DuckDB cannot read (a damaged block) is one line, exit 2."""
    import duckdb

    from flows.store import layout

    try:
        yield
    except duckdb.Error as exc:
        if not layout.is_damage(exc):
            raise
        fail(str(layout.unreadable(" or ".join(str(d) for d in dbs), exc)), 2)


def prefect_environment(verbose: bool) -> None:
    """Before a flow runs (`run`, `whatif`): Prefect logs at INFO, with no telemetry (this machine has no network
    beyond the package registries, and a batch should not call out). The command prints its own progress, summary
    or one-line reason: Prefect's console logs (and their tracebacks) stay off the terminal unless `verbose`, and
    still reach the Prefect API and UI."""
    if "PREFECT_API_URL" in os.environ and not prefect_api_url():  # set but blank: Prefect would try it as a URL
        del os.environ["PREFECT_API_URL"]
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")


def signal_of(exc: BaseException) -> str | None:
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


def stopped(signal_name: str, db: Path, target) -> tuple[str, int]:
    """The line of a run stopped by a signal: the swap happens with signals held back, so the database either is
    the one this run found (nothing published) or was replaced by this run, which held its lock."""
    if target is not None and not target.unchanged_since_read():
        return f"stopped by {signal_name} after this run was published to {db} (its last row in runs)", 1
    return f"stopped by {signal_name}; nothing was published", 1


def result_of(state, nothing: str):
    """The RunResult a flow's final state carries; a failure ends the command in its one line and exit status."""
    result = state.result(raise_on_failure=False)
    if isinstance(result, RunFailed):  # a Failed state's data: the run's result, its one-line reason
        result = result.result
    if not isinstance(result, RunResultLike):
        fail(f"internal error ({type(result).__name__}); {nothing}", 1)
    if not result.ok:
        fail(result.message if "nothing was" in result.message else f"{result.message}; {nothing}",
              result.exit_code or 1)
    return result
