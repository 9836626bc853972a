"""SIGTERM and SIGINT during a command: raised as `Interrupted` where the program is, remembered for the places
where a library turned it into an error of its own ("Query interrupted"), so that the command still says it was
stopped (one line) and removes its staging files."""

from __future__ import annotations

import contextlib
import functools
import signal
from collections.abc import Iterator

from flows.errors import Interrupted

received: str | None = None  # the name of the signal that stopped this process, once one did


def _raise_interrupted(signum, _frame):
    global received
    received = signal.Signals(signum).name
    raise Interrupted(received)


@contextlib.contextmanager
def raised() -> Iterator[None]:
    """Within: SIGTERM and SIGINT raise Interrupted (Prefect's flow engine relays SIGTERM the same way)."""
    previous = {s: signal.signal(s, _raise_interrupted) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@contextlib.contextmanager
def noted() -> Iterator[None]:
    """Within: SIGTERM and SIGINT are noted in `received` before the handler in place runs. Prefect's flow engine
    installs its own SIGTERM handler, and a library may turn what it raises into an error of its own (DuckDB, a
    signal while it opens a file: a RuntimeError); noted, the run still says it was stopped by the signal."""
    try:
        previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
        for s, handler in previous.items():
            signal.signal(s, functools.partial(_note_then, handler))
    except ValueError:  # not the main thread: signals are not delivered here
        yield
        return
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _note_then(handler, signum, frame):
    global received
    received = signal.Signals(signum).name
    if callable(handler):
        handler(signum, frame)
    elif handler != signal.SIG_IGN:  # the default action would end the process without a word
        raise Interrupted(received)


def reraise_if_received(exc: BaseException) -> None:
    """An error raised because a signal interrupted a library half-way is the interruption: raise it as such."""
    if received is not None:
        raise Interrupted(received) from None
