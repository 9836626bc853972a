"""SIGTERM and SIGINT inside the command: held back while a swap or a cleanup runs (whichever thread the kernel hands
them to), noted when another handler (Prefect's) takes them, said once."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from flows.runtime import interrupts
from flows.runtime.errors import Interrupted


@pytest.fixture(autouse=True)
def not_stopped_yet(monkeypatch):
    monkeypatch.setattr(interrupts, "received", None)


def send_and_wait(sig: signal.Signals) -> None:
    os.kill(os.getpid(), sig)
    time.sleep(0.3)  # Python runs the handler at the next instruction of the main thread, long before this ends


def test_a_signal_handed_to_another_thread_still_waits_for_the_end_of_a_deferred_block():
    """Found by the third hostile test: blocking the signal (pthread_sigmask) held it back from the main thread only;
    the kernel gave it to another thread and Python ran the handler inside the block, between a swap and its report."""
    done = []
    with interrupts.raised(), pytest.raises(Interrupted):
        with interrupts.deferred():
            sender = threading.Thread(target=send_and_wait, args=(signal.SIGTERM,))
            sender.start()
            sender.join()
            time.sleep(0.3)
            done.append("the block ran to its end")
    assert done == ["the block ran to its end"] and interrupts.received == "SIGTERM"


def test_a_signal_during_a_deferred_block_that_fails_is_not_lost():
    with interrupts.raised(), pytest.raises(Interrupted):
        with interrupts.deferred():
            send_and_wait(signal.SIGINT)
            raise OSError("the disk is full")
    assert interrupts.received == "SIGINT"


def test_a_second_signal_while_the_command_stops_interrupts_nothing():
    """Found by the third hostile test: a second SIGTERM during the cleanup printed the line twice, or ended the
    process with no line at all."""
    cleaned = []
    with interrupts.raised():
        with pytest.raises(Interrupted):
            send_and_wait(signal.SIGINT)
        send_and_wait(signal.SIGTERM)  # the cleanup goes on
        cleaned.append(True)
    assert cleaned == [True] and interrupts.received == "SIGINT"


def test_a_signal_another_handler_takes_is_noted_and_passed_on():
    """Prefect's flow engine takes SIGTERM with its own handler; DuckDB may turn what that raises into its own error:
    noted, the run still says it was stopped by SIGTERM."""
    taken = []
    previous = signal.signal(signal.SIGTERM, lambda signum, _frame: taken.append(signum))
    try:
        with interrupts.noted():
            send_and_wait(signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert taken == [signal.SIGTERM] and interrupts.received == "SIGTERM"


def test_after_a_publish_a_signal_cuts_nothing_short_and_the_handlers_come_back():
    with interrupts.raised():
        with interrupts.ignored():
            send_and_wait(signal.SIGTERM)
        assert interrupts.received is None
        with pytest.raises(Interrupted):
            send_and_wait(signal.SIGTERM)


def test_the_console_script_takes_signals_before_its_heavy_imports(monkeypatch):
    """Found by the fourth hostile test: a signal while typer and rich were imported (the first fifth of a second)
    ended the process with no line (SIGTERM) or a KeyboardInterrupt traceback from an import (SIGINT)."""
    import sys
    import types

    from flows import entry

    seen = {}
    fake_cli = types.ModuleType("flows.cli")  # stands for the heavy import: what handlers are in place when it starts
    fake_cli.main = lambda: seen.update({s: signal.getsignal(s) for s in interrupts.SIGNALS})
    monkeypatch.setitem(sys.modules, "flows.cli", fake_cli)
    before = {s: signal.getsignal(s) for s in interrupts.SIGNALS}
    try:
        entry.main()
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
    assert seen == {s: entry._stopped_before_start for s in interrupts.SIGNALS}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_before_the_command_started_is_its_one_line(sig):
    import subprocess
    import sys

    code = ("import os, signal, time\nfrom flows import entry\n"
            "for s in (signal.SIGTERM, signal.SIGINT):\n    signal.signal(s, entry._stopped_before_start)\n"
            f"os.kill(os.getpid(), {int(sig)})\ntime.sleep(10)\nprint('went on')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", f"qcpilot: stopped by {sig.name}\n")
