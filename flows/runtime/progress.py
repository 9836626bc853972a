"""A live terminal display of the run's stage and rows (only when the output is a terminal)."""

from __future__ import annotations

import contextlib
import json
import os
import time

from rich.console import Console
from rich.status import Status

_status: Status | None = None
# stage -> seconds, for the benchmark (scripts/bench.py): a stage lasts until the next one starts
timings: dict[str, float] = {}
_current: tuple[str, float] | None = None


@contextlib.contextmanager
def live(enabled: bool):
    """Show `stage: rows` while the run goes; a no-op when not a terminal (logs say the same)."""
    global _status
    if not enabled:
        yield
        return
    _status = Status("starting Prefect ...", console=Console(stderr=True), spinner="dots")
    _status.start()
    try:
        yield
    finally:
        _status.stop()
        _status = None


def _close() -> None:
    global _current
    if _current is not None:
        timings[_current[0]] = timings.get(_current[0], 0.0) + time.perf_counter() - _current[1]
        _current = None


def stage(name: str, rows: int | None = None, what: str = "rows") -> None:
    """Say which stage the run is in (its first word is the stage timed: "ingest applications" -> ingest)."""
    global _current
    key = name.split()[0]
    if _current is None or _current[0] != key:
        _close()
        _current = (key, time.perf_counter())
    if _status is not None:
        _status.update(f"{name}" + (f": {rows:,} {what}" if rows is not None else " ..."))


def account(stage_name: str, seconds: float, within: str) -> None:
    """Move `seconds` measured inside stage `within` to their own stage (e.g. wages inside evaluate)."""
    timings[stage_name] = timings.get(stage_name, 0.0) + seconds
    timings[within] = timings.get(within, 0.0) - seconds


def dump() -> None:
    """Write the stage timings to $QCPILOT_TIMINGS (JSON) when the benchmark asks for them."""
    _close()
    path = os.environ.get("QCPILOT_TIMINGS")
    if path:
        with open(path, "w") as fh:
            json.dump(timings, fh)
