"""`qcpilot api`: the read-only HTTP endpoint for other systems (flows/readers/api.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows.cli.common import DATA, DEFAULT_CONFIG, DEFAULT_DB, SAMPLE, ConfigOpt, app, db_option, fail, out


@app.command()
def api(
    host: Annotated[str, typer.Option(metavar="ADDRESS", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="Port to listen on.")] = 8000,
    allowed_host: Annotated[list[str] | None, typer.Option(
        metavar="NAME", help="Another name clients reach it by (their Host header); repeatable. A request naming any "
                             "host but these, the address and localhost is refused.")] = None,
    db: Annotated[Path, db_option("Published DuckDB file that GET /explain reads.")] = DEFAULT_DB,
    wages: Annotated[list[str] | None, typer.Option(metavar="PATH",
                                                    help="The wage extract POST /evaluate reads: file, directory or "
                                                        "glob; repeatable (default: data/sample/wages).")] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
) -> None:
    """Serve POST /evaluate (applications as JSON, decided as `qcpilot evaluate` decides them) and GET
    /explain/APPLICATION_ID (as `qcpilot explain --format json`), read-only, until stopped."""
    import logging

    import uvicorn

    from flows.pipeline.cases import basis
    from flows.readers.api import allowed_hosts, app_for
    from flows.runtime.errors import QcpilotError
    from flows.runtime.terminal import EscapedLog

    if not 0 < port < 65536:
        fail(f"--port must be from 1 to 65535, not {port}", 2)
    for name in allowed_host or []:  # a pattern (`*`: any host) would let a rebound name in
        if not name.strip() or "*" in name:
            fail(f"--allowed-host takes a host name or an address, not {name!r}", 2)
    try:
        read = basis(wages or [str(SAMPLE / "wages")], config, DATA)
    except QcpilotError as exc:
        fail(str(exc), exc.exit_code)
    for name in ("uvicorn", "uvicorn.error"):  # what it logs (a request's path) shown escaped, never a traceback
        logging.getLogger(name).addFilter(EscapedLog())
    out.print(f"serving POST /evaluate and GET /explain/APPLICATION_ID on http://{host}:{port} (database {db}); "
              "Ctrl-C to stop", highlight=False)
    # no access log: a line per request would name every application asked for (and its formatter cannot be escaped)
    uvicorn.run(app_for(db, read, allowed_hosts(host, allowed_host or [])), host=host, port=port, log_level="warning",
                access_log=False)
