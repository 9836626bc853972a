"""The console script's body: every command module registered on the app, and every ending one line."""

from __future__ import annotations

import importlib
import os
import sys
import warnings
from typing import Annotated

import typer

from flows.cli.common import app, err, out, say_and_silence
from flows.runtime import interrupts
from flows.runtime.errors import Interrupted


def _print_version(asked: bool) -> None:
    if asked:
        from importlib.metadata import version

        from flows.store.layout import CURRENT

        out.print(f"qcpilot {version('qcpilot')} (database layout {CURRENT}, DuckDB {version('duckdb')})",
                  highlight=False)
        raise typer.Exit(0)


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_print_version,
                                                help="Print the version and exit.")] = False) -> None:
    """Quebec pilot programs: eligibility and capped selection."""


# each module registers its command, in this order
COMMANDS = ("run", "generate", "serve", "whatif", "report", "explain", "evaluate", "api", "sql")
for command in COMMANDS:
    importlib.import_module(f"flows.cli.{command}")


def main() -> None:
    """The console script: every ending is one line and an exit status, never a traceback (QCPILOT_DEBUG=1 shows
    one). A library's own text is never printed: it may quote a row."""
    # typer vendors click; its usage errors print as one line here, not as click's box
    from typer._click.exceptions import ClickException, NoArgsIsHelpError

    # a flow stopped by a signal leaves Prefect's crash-reporting coroutines unawaited: not a line for the operator
    warnings.filterwarnings("ignore", message="coroutine .* was never awaited", category=RuntimeWarning)
    if not os.environ.get("QCPILOT_DEBUG"):
        # an error a library could not raise is printed as a traceback by default: pyarrow's, decoding a bad CSV row
        # that is not UTF-8 for its invalid-row handler. What it was about is said in its own one line.
        sys.unraisablehook = lambda _unraisable: None

    try:
        with interrupts.raised():
            code = app(standalone_mode=False)
    except NoArgsIsHelpError as exc:
        out.print(exc.ctx.get_help(), highlight=False, block=True)
        code = 0
    except ClickException as exc:
        err.print(f"qcpilot: {exc.format_message()} (see qcpilot --help)", highlight=False, soft_wrap=True,
                  markup=False)
        code = exc.exit_code
    except (typer.Abort, Interrupted, KeyboardInterrupt) as exc:
        say_and_silence(f"stopped by {getattr(exc, 'signal_name', None) or interrupts.received or 'SIGINT'}")
        code = 1
    except Exception as exc:
        if os.environ.get("QCPILOT_DEBUG"):
            raise
        if interrupts.received is not None:
            say_and_silence(f"stopped by {interrupts.received}")
        else:
            err.print(f"qcpilot: internal error ({type(exc).__name__})", highlight=False, markup=False)
        code = 1
    interrupts.ignored_until_exit()
    raise SystemExit(code if isinstance(code, int) else 0)
