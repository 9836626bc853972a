"""`qcpilot serve`: the nightly deployment of the pipeline flow on a cron schedule (America/Toronto).

An operator starts a Prefect server (`prefect server start`), points PREFECT_API_URL at it, then runs
`qcpilot serve --inbox DIR`: every night the flow reads the extracts found in DIR/applications, DIR/experience and
DIR/wages and publishes the database; a night with nothing new is a no-op.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from prefect.schedules import Cron

from flows.pipeline.run import pipeline
from schemas.enums import EXTRACTS, LOCAL_TZ, MAX_REJECTED_PERCENT

DEFAULT_CRON = "0 2 * * *"
DEPLOYMENT_NAME = "qcpilot-nightly"


def nightly_deployment(inbox: Path, db: Path, data_dir: Path, config: Path, cron: str = DEFAULT_CRON,
                       max_rejected: float = MAX_REJECTED_PERCENT, processed: Path | None = None,
                       reports: Path | None = None):
    """The deployment object (nothing is registered until it is served)."""
    inbox = Path(inbox).resolve()
    reports = Path(reports).resolve() if reports else Path(db).resolve().parent / "reports"
    return pipeline.to_deployment(
        name=DEPLOYMENT_NAME,
        schedule=Cron(cron, timezone=LOCAL_TZ),
        parameters={
            "specs": {e: [str(inbox / e)] for e in EXTRACTS},
            "db": str(Path(db).resolve()),
            "data_dir": str(Path(data_dir).resolve()),
            "config": str(Path(config).resolve()),
            "max_rejected": max_rejected,  # percent of an extract's rows; above it the night publishes nothing
            # a published night's files move to processed/RUN_ID/ (default inbox/processed); the others stay
            "processed": str(Path(processed).resolve() if processed else inbox / "processed"),
            # each published night's HTML report, kept (default: reports/ beside the database)
            "report": str(reports / "report-{run_id}.html"),
        },
        concurrency_limit=1,  # one writer at a time; readers are never blocked (atomic replace)
        description="Nightly qcpilot batch: eligibility and capped selection of the day's extracts.",
        tags=["qcpilot", "nightly"],
    )


def _nights_running() -> list[int]:
    """The process ids of the flow runs this `serve` started (`python -m prefect.engine`, its children), alive."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            state, ppid = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:2]
            command = (entry / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if ppid == str(os.getpid()) and state != "Z" and b"prefect.engine" in command:
            found.append(int(entry.name))
    return found


def stop_nights_first(runner_class, grace: float = 300.0) -> None:
    """On SIGTERM, serve (Prefect's runner) stops at once and the night it started dies with it, left Running in
    Prefect with its staging files. First, the night is told to stop (SIGTERM: it removes its staging files and
    ends Crashed, as `qcpilot run` does), and waited for; then the runner stops."""
    stop = runner_class.handle_sigterm
    if getattr(stop, "nights_first", False):
        return

    def handle_sigterm(self, *args, **kwargs):
        nights = _nights_running()
        for pid in nights:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while (nights := [pid for pid in nights if pid in _nights_running()]) and time.monotonic() < deadline:
            time.sleep(0.2)
        if not nights:  # every night this serve started has ended
            _crashed_if_unsaid()
        stop(self, *args, **kwargs)

    handle_sigterm.nights_first = True
    runner_class.handle_sigterm = handle_sigterm


def _crashed_if_unsaid() -> None:
    """A night stopped before it could say so itself (in its first seconds, before its handlers are in place) is
    left Pending or Running by Prefect, holding the deployment's one slot: once every night this serve started has
    ended, one of its deployment still Pending or Running is said Crashed (only this serve runs it: one slot)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.states import Crashed

    unsaid = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(
        any_=[StateType.PENDING, StateType.RUNNING])))
    try:
        with get_client(sync_client=True) as client:
            for run in client.read_flow_runs(flow_run_filter=unsaid, deployment_filter=DeploymentFilter(
                    name=DeploymentFilterName(any_=[DEPLOYMENT_NAME]))):
                client.set_flow_run_state(run.id, Crashed(message="stopped with `qcpilot serve` before it could say "
                                                          "how it ended"), force=True)
    except Exception:  # the server may be gone too: the night then times out as its heartbeat says
        pass


def serve_nightly(inbox: Path, db: Path, data_dir: Path, config: Path, cron: str = DEFAULT_CRON,
                  max_rejected: float = MAX_REJECTED_PERCENT, processed: Path | None = None,
                  reports: Path | None = None) -> None:
    from prefect import serve
    from prefect.runner import Runner

    from flows.runtime.logs import console_without_tracebacks

    console_without_tracebacks()
    stop_nights_first(Runner)
    # Ctrl-C stops serve as SIGTERM does: the running night first (its process may be in a session of its own)
    signal.signal(signal.SIGINT, lambda *_: os.kill(os.getpid(), signal.SIGTERM))
    serve(nightly_deployment(inbox, db, data_dir, config, cron, max_rejected, processed, reports))
