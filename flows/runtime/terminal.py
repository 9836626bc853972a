"""What reaches a terminal or a log: text from input or from a path never raw (issue #21).

One rule, `shown`: every control character (Unicode Cc: escape sequences, newlines, carriage returns), invisible
format character (Cf: zero-width spaces, bidirectional overrides) and line or paragraph separator (Zl, Zp) is shown
escaped, as Python writes it in a string (`\\x1b`, `\\n`, `\\u200b`). A value can then neither clear a screen, colour
a line, nor start a line of its own that looks like ours. Every console of the command line (`Terminal`) and every log
record of a run (`EscapedLog`) applies it; a multi-line text of ours (a letter, whose lines are each shown by
flows/readers/explain.py) is printed with `block=True`, keeping its own line breaks only.
"""

from __future__ import annotations

import logging
import os
import unicodedata

from rich.console import Console

_HIDDEN = {"Cc", "Cf", "Zl", "Zp"}
PIPE_WIDTH = 200  # columns of a console that is not a terminal


def shown(text: str, keep_newlines: bool = False) -> str:
    """`text` with every control, format or separator character escaped (a newline kept if `keep_newlines`)."""
    return "".join(c if unicodedata.category(c) not in _HIDDEN or (keep_newlines and c == "\n")
                   else c.encode("unicode_escape").decode("ascii") for c in text)


class Terminal(Console):
    """A rich Console whose text arguments are shown escaped (`block=True`: a text of ours, its newlines kept).
    Printed to a file or a pipe (a log, CI), it is wide enough that no table's number is cut short ("210->…")."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_terminal:
            self.width = max(self.width, PIPE_WIDTH)

    def print(self, *objects, block: bool = False, **kwargs) -> None:
        super().print(*(shown(o, keep_newlines=block) if isinstance(o, str) else o for o in objects), **kwargs)


class EscapedLog(logging.Filter):
    """A log record's message with its arguments formatted and shown escaped, and never a traceback: a run that
    ended Failed (Prefect raises its RunFailed as the run ends) is its one-line reason; a task that failed on one of
    our errors or the operating system's is the line its message already says; anything else is named by its type
    (QCPILOT_DEBUG=1 keeps the traceback for a developer)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from flows.runtime.errors import QcpilotError, RunFailed

        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, RunFailed):
            record.msg, record.args = f"run failed: {exc}", None
        elif exc is not None and not isinstance(exc, (QcpilotError, OSError)):
            if os.environ.get("QCPILOT_DEBUG"):
                exc = None  # kept as it is
            else:
                record.msg, record.args = f"{record.getMessage()} ({type(exc).__name__})", None
        if exc is not None:
            record.exc_info = record.exc_text = None
        record.msg, record.args = shown(record.getMessage()), None
        return True


def escape_run_logs() -> None:
    """Escape every record of the loggers a run's tasks and flows log to (Prefect's get_run_logger)."""
    for name in ("prefect.flow_runs", "prefect.task_runs"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, EscapedLog) for f in logger.filters):
            logger.addFilter(EscapedLog())
