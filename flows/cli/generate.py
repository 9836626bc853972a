"""`qcpilot generate`: seeded, realistic extracts (the shipped sample is one)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flows.cli.common import (
    DATA,
    app,
    fail,
    out,
)
from flows.runtime.errors import QcpilotError


@app.command()
def generate(
    out_dir: Annotated[Path, typer.Option("--out", metavar="DIR", show_default=False,
                                          help="Output directory (the shipped sample: data/sample).  "
                                               "[default: data/out/generated]")] = (
        DATA / "out" / "generated"),
    applications: Annotated[int, typer.Option("--applications", metavar="N",
                                              help="Number of applications (at least 1).")] = 3000,
    seed: Annotated[int, typer.Option(metavar="SEED", help="Random seed (same seed, same files).")] = 20261121,
    fmt: Annotated[str, typer.Option("--format", metavar="sample|csv|parquet",
                                     help="sample (CSV + Parquet mix), csv or parquet.")] = "sample",
    replace: Annotated[bool, typer.Option("--replace", help="Write over a folder generate did not write.")] = False,
) -> None:
    """Write seeded, realistic extracts (applications, experience, wages) with a few bad rows of each kind.

    Never into the shipped sample unless `--out data/sample` is given."""
    from flows.dev.generate import write_extracts

    if applications < 1:
        fail(f"--applications must be at least 1, not {applications}", 2)
    if seed < 0:
        fail(f"--seed must be 0 or more, not {seed}", 2)
    if out_dir.exists() and not out_dir.is_dir():
        fail(f"--out {out_dir}: is a file, not a folder", 2)
    if fmt not in ("sample", "csv", "parquet"):
        fail(f"--format must be sample, csv or parquet, not {fmt!r}", 2)
    try:
        counts = write_extracts(applications, seed, out_dir, fmt, DATA / "reference", replace)
    except QcpilotError as exc:
        fail(str(exc), exc.exit_code)
    except OSError as exc:
        fail(f"--out {out_dir}: cannot be written ({exc.strerror or type(exc).__name__})", 1)
    out.print(f"wrote {', '.join(f'{k} {v:,}' for k, v in counts.items())} rows to {out_dir}")
