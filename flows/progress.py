"""A live terminal display of the run's stage and rows (only when the output is a terminal)."""

from __future__ import annotations

import contextlib

from rich.console import Console
from rich.status import Status

_status: Status | None = None


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


def stage(name: str, rows: int | None = None, what: str = "rows") -> None:
    if _status is not None:
        _status.update(f"{name}" + (f": {rows:,} {what}" if rows is not None else " ..."))
