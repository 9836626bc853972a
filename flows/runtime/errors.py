"""The ways a qcpilot command stops, each with its exit status and a one-line message.

Messages name files, lines, columns and application ids, never the content of a row (the brief's rule on
personal data): an exception raised by a library is never shown as it is, since its text may quote a row.
"""

from __future__ import annotations


class QcpilotError(Exception):
    """A run or command that stops with a one-line message; nothing is published."""

    exit_code = 1


class InputError(QcpilotError):
    """A problem with the inputs (a file, the configuration, the rule book's parameters, the target database) that
    stops the run before anything is published: exit status 2."""

    exit_code = 2


class DatabaseBusy(QcpilotError):
    """Another run holds the lock on the target database: this one did nothing (exit status 1; retry later)."""


class StorageError(QcpilotError):
    """The staging database could not be written (read-only folder, full disk): exit status 1."""


class InternalError(QcpilotError):
    """A defect of qcpilot: reported by its type and where it happened in the code, never by a library's text
    (which may quote a row). Exit status 1; QCPILOT_DEBUG=1 lets it raise as it is."""


class RunFailed(Exception):
    """The data of a run's Failed state: its one-line reason, and the run's result for the command line (`result`).
    Prefect raises a Failed state's data when a deployment's run ends: an exception is what it can raise, and
    flows/runtime/terminal.py keeps its traceback out of the logs (the reason is the whole story)."""

    def __init__(self, result) -> None:
        super().__init__(result.message)
        self.result = result


class Interrupted(BaseException):
    """SIGTERM or SIGINT during a run: the staging files are removed and nothing is published (exit status 1).

    A BaseException, like KeyboardInterrupt, so that no `except Exception` on the way swallows it."""

    def __init__(self, signal_name: str):
        super().__init__(signal_name)
        self.signal_name = signal_name
