"""The `qcpilot` command line (typer)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SAMPLE = DATA / "sample"
DEFAULT_DB = DATA / "out" / "qcpilot.duckdb"
DEFAULT_CONFIG = DATA / "config" / "selection.csv"

app = typer.Typer(
    add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
    help="Quebec pilot programs: eligibility and capped selection.",
)
err = Console(stderr=True)
out = Console()

PathsOpt = Annotated[list[str] | None, typer.Option(help="File, directory or glob; repeatable; CSV and Parquet.")]


def _fail(message: str, code: int) -> None:
    err.print(f"[bold red]qcpilot:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _require_published(db: Path) -> None:
    if not db.exists():
        _fail(f"{db}: no published database (run `qcpilot run` first)", 2)


@app.command()
def run(
    applications: PathsOpt = None,
    experience: PathsOpt = None,
    wages: PathsOpt = None,
    db: Annotated[Path, typer.Option(help="DuckDB file to publish.")] = DEFAULT_DB,
    config: Annotated[Path, typer.Option(help="Intake windows and caps (CSV).")] = DEFAULT_CONFIG,
    force: Annotated[bool, typer.Option(help="Run even when inputs, configuration and rules are unchanged.")] = False,
) -> None:
    """Ingest, validate, evaluate, rank and publish one batch. Without paths: the shipped sample."""
    from flows.io import InputError, preflight, read_config
    from schemas import MODELS
    from schemas.config import SelectionConfig

    specs = {
        "applications": applications or [str(SAMPLE / "applications")],
        "experience": experience or [str(SAMPLE / "experience")],
        "wages": wages or [str(SAMPLE / "wages")],
    }
    try:  # input problems are found before Prefect starts: fast, and a plain one-line message
        preflight(specs, {k: list(m.to_schema().columns) for k, m in MODELS.items()})
        read_config(config, SelectionConfig)
    except InputError as exc:
        _fail(f"{exc}; nothing was published", 2)
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")
    # no telemetry: this machine has no network beyond the package registries, and a batch should not call out
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from flows import progress
    from flows.pipeline import pipeline  # prefect is imported only when a flow runs

    try:
        with progress.live(enabled=sys.stderr.isatty()):
            result = pipeline(specs=specs, db=str(db), data_dir=str(DATA), config=str(config), force=force)
        progress.dump()
    except Exception as exc:  # an internal error: say it in one line, publish nothing
        _fail(f"the run failed ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
              "nothing was published", 1)
    if not result.ok:
        _fail(f"{result.message}; nothing was published", 2)
    if result.noop:
        out.print(f"nothing new since run {result.message} (same inputs, configuration and rules): {db} unchanged")
        return
    _summary(result)


def _summary(result) -> None:
    c = result.counts
    t = Table(title=f"qcpilot run {result.run_id} -> {result.db}", show_edge=False)
    for col in ("extract", "read", "kept", "rejected"):
        t.add_column(col, justify="right" if col != "extract" else "left")
    for extract in ("applications", "experience", "wages"):
        t.add_row(extract, *(f"{c[f'{extract}_{k}']:,}" for k in ("read", "kept", "rejected")))
    out.print(t)
    out.print(
        "eligibility: "
        + ", ".join(f"{k} {c[k]:,}" for k in ("eligible", "ineligible", "undetermined"))
    )
    statuses = {k[len("status_"):]: v for k, v in c.items() if k.startswith("status_")}
    if any(statuses.values()):
        out.print("selection: " + ", ".join(f"{k} {v:,}" for k, v in statuses.items()))
    out.print(f"decided by this run: {c.get('newly_decided', 0):,} (late arrivals {c.get('late_arrivals', 0):,})"
              + ("; rules changed since the last run, earlier decisions stand" if c.get("engine_changed") else "")
              + ("; configuration changed since the last run" if c.get("config_changed") else ""))


@app.command()
def generate(
    applications: Annotated[int, typer.Option("--applications", help="Number of applications.")] = 3000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 20261121,
    out_dir: Annotated[Path, typer.Option("--out", help="Output directory.")] = SAMPLE,
    fmt: Annotated[str, typer.Option("--format", help="sample (CSV + Parquet mix), csv or parquet.")] = "sample",
) -> None:
    """Write seeded, realistic extracts (applications, experience, wages) with a few bad rows of each kind."""
    from flows.generate import write_extracts

    counts = write_extracts(applications, seed, out_dir, fmt, DATA / "reference")
    out.print(f"wrote {', '.join(f'{k} {v:,}' for k, v in counts.items())} rows to {out_dir}")


@app.command()
def serve(
    inbox: Annotated[Path, typer.Option(help="Directory with applications/, experience/ and wages/ subfolders.")],
    cron: Annotated[str, typer.Option(help="Cron schedule, America/Toronto time.")] = "0 2 * * *",
    db: Annotated[Path, typer.Option(help="DuckDB file to publish.")] = DEFAULT_DB,
    config: Annotated[Path, typer.Option(help="Intake windows and caps (CSV).")] = DEFAULT_CONFIG,
) -> None:
    """Register the nightly run with a Prefect server and serve it (needs `prefect server start`)."""
    if not os.environ.get("PREFECT_API_URL"):
        _fail("PREFECT_API_URL is not set: start `prefect server start` and export "
              "PREFECT_API_URL=http://127.0.0.1:4200/api first", 2)
    for sub in ("applications", "experience", "wages"):
        (inbox / sub).mkdir(parents=True, exist_ok=True)
    from flows.serve import serve_nightly

    out.print(f"serving qcpilot-nightly ({cron}, America/Toronto) from {inbox}; Ctrl-C to stop")
    serve_nightly(inbox, db, DATA, config, cron)


@app.command()
def report(
    db: Annotated[Path, typer.Option(help="Published DuckDB file.")] = DEFAULT_DB,
    out_file: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = DATA / "out" / "report.html",
) -> None:
    """One self-contained HTML report: caps, the eligibility funnel, IT/VFX wages against thresholds."""
    _require_published(db)
    from flows.report import write_report

    out.print(f"wrote {write_report(db, out_file)}")


@app.command()
def explain(
    application_id: Annotated[str, typer.Argument(help="The application to explain.")],
    lang: Annotated[str, typer.Option(help="fr or en.")] = "en",
    db: Annotated[Path, typer.Option(help="Published DuckDB file.")] = DEFAULT_DB,
) -> None:
    """The decision on one application, each failed or unknown rule with its article and figures."""
    from flows.explain import UnknownApplication
    from flows.explain import explain as letter

    if lang not in ("fr", "en"):
        _fail(f"--lang must be fr or en, not {lang!r}", 2)
    _require_published(db)
    try:
        out.print(letter(db, application_id, lang), highlight=False, markup=False, soft_wrap=True)
    except UnknownApplication:
        _fail(f"no application {application_id!r} in {db}", 1)


def main() -> None:
    try:
        app()
    except Exception as exc:  # never a traceback as the user interface
        err.print(f"[bold red]qcpilot:[/] internal error ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})",
                  highlight=False, soft_wrap=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
