"""SIGTERM and SIGINT during a command: raised as `Interrupted` where the program is, remembered for the places
where a library turned it into an error of its own ("Query interrupted"), so that the command still says it was
stopped (one line) and removes its staging files."""

from __future__ import annotations

import contextlib
import functools
import signal
from collections.abc import Iterator

from flows.runtime.errors import Interrupted

SIGNALS = (signal.SIGTERM, signal.SIGINT)
received: str | None = None  # the name of the signal that stopped this process, once one did


def _first(signum: int) -> bool:
    """Note the signal; False when one came before: the command is already stopping, and a second signal neither
    interrupts its cleanup nor adds a line."""
    global received
    if received is not None:
        return False
    received = signal.Signals(signum).name
    return True


def _raise_interrupted(signum, _frame):
    if _first(signum):
        raise Interrupted(received)


@contextlib.contextmanager
def _handled_by(handler) -> Iterator[bool]:
    """Within: SIGTERM and SIGINT go to `handler`; yields False (and changes nothing) outside the main thread, where
    Python neither runs signal handlers nor lets them be set."""
    try:
        previous = {s: signal.signal(s, handler) for s in SIGNALS}
    except ValueError:
        yield False
        return
    try:
        yield True
    finally:
        for s, before in previous.items():
            signal.signal(s, before)


@contextlib.contextmanager
def raised() -> Iterator[None]:
    """Within: SIGTERM and SIGINT raise Interrupted (Prefect's flow engine relays SIGTERM the same way)."""
    with _handled_by(_raise_interrupted):
        yield


@contextlib.contextmanager
def ignored() -> Iterator[None]:
    """Within: SIGTERM and SIGINT change nothing. For what follows a publish: the command has only its result left to
    say, which a signal would cut short (the run is published whatever it says)."""
    with _handled_by(signal.SIG_IGN):
        yield


def ignored_until_exit() -> None:
    """The command said its last line: a signal while the interpreter shuts down must not end it with no word."""
    with contextlib.suppress(ValueError):
        for s in SIGNALS:
            signal.signal(s, signal.SIG_IGN)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """SIGTERM and SIGINT wait while the block runs (a swap, a cleanup) and are delivered, to the handlers in place
    before it, when it ends. Python runs a handler in the main thread whichever thread the kernel handed the signal
    to, so the handlers are swapped for one that remembers: blocking the signal (pthread_sigmask) would hold it back
    from this thread only, and Prefect's threads would still take it."""
    pending: list[int] = []
    try:
        with _handled_by(lambda signum, _frame: pending.append(signum)) as swapped:
            if swapped:
                yield
                return
            previous = signal.pthread_sigmask(signal.SIG_BLOCK, set(SIGNALS))  # not the main thread: block it
            try:
                yield
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    finally:
        if pending:  # never lost, even when the block failed
            signal.raise_signal(pending[0])


@contextlib.contextmanager
def noted() -> Iterator[None]:
    """Within: SIGTERM and SIGINT are noted in `received` before the handler in place runs. Prefect's flow engine
    installs its own SIGTERM handler, and a library may turn what it raises into an error of its own (DuckDB, a
    signal while it opens a file: a RuntimeError); noted, the run still says it was stopped by the signal."""
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    with _handled_by(functools.partial(_note_then, previous)):
        yield


def _note_then(previous: dict, signum, frame):
    if not _first(signum):
        return
    handler = previous[signum]
    if handler is _raise_interrupted or handler in (signal.SIG_DFL, None):  # the default would end without a word
        raise Interrupted(received)
    if callable(handler):
        handler(signum, frame)


def reraise_if_received(exc: BaseException) -> None:
    """An error raised because a signal interrupted a library half-way is the interruption: raise it as such."""
    if received is not None:
        raise Interrupted(received) from None
