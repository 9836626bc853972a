"""The layout of the published database: recognised before a run touches it.

The published database is permanent: its `decisions` ledger and `runs` history outlive every release. A run (and
`explain`, `report`) first reads which layout a target has. A database from a newer release, or a DuckDB file qcpilot
did not publish, is refused and left untouched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from flows.errors import InputError

CURRENT = 1

# Layout 1 (the releases up to commit f15a4dd) had no record of its layout: it is recognised by its ledger and its
# runs history, which every database it published holds.
LAYOUT1_SIGNATURE = {
    "runs": {"run_id", "started_at", "finished_at", "status", "inputs", "engine_version", "config_sha256"},
    "decisions": {"application_id", "person_id", "program", "stream", "selection_year", "submitted_at", "status",
                  "rank_in_stream", "rank_in_program", "decided_run_id", "decided_at", "engine_version"},
}


@dataclass(frozen=True)
class Target:
    """What the target path holds: nothing yet (layout None), or a qcpilot database of a known layout."""

    path: Path
    layout: int | None
    last_run: dict | None = None  # run_id, inputs, engine_version, config_sha256 of the latest run


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    rows = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                       "WHERE table_schema = 'main'").fetchall()
    out: dict[str, set[str]] = {}
    for table, column in rows:
        out.setdefault(table, set()).add(column)
    return out


def _open_error(db: Path, exc: duckdb.Error) -> InputError:
    text = str(exc)
    if re.search(r"lock", text, re.IGNORECASE):
        return InputError(f"{db}: cannot be opened: another process holds it open for writing")
    return InputError(f"{db}: not a DuckDB database that qcpilot can read; it is left untouched")


def layout_of(con: duckdb.DuckDBPyConnection, db: Path) -> int:
    """The layout of an open database; InputError for a database qcpilot did not publish or a newer one."""
    tables = _columns(con)
    if "qcpilot_meta" in tables:
        layout = con.execute("SELECT max(layout_version) FROM qcpilot_meta").fetchall()[0][0]
    elif all(cols <= tables.get(t, set()) for t, cols in LAYOUT1_SIGNATURE.items()):
        layout = 1
    else:
        raise InputError(f"{db}: a DuckDB database that qcpilot did not publish (no qcpilot_meta table, no "
                         "decisions ledger and runs history); it is left untouched")
    if layout is None or layout > CURRENT:
        raise InputError(f"{db}: published by a newer qcpilot (layout {layout}); this release knows layouts up to "
                         f"{CURRENT} and leaves it untouched")
    return int(layout)


def inspect(db: Path) -> Target:
    """The target of a run: its layout and latest run, read-only. InputError when it must not be written."""
    db = Path(db)
    if not db.exists():
        return Target(db, None)
    if db.is_dir():
        raise InputError(f"{db}: is a folder, not a database file")
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        raise _open_error(db, exc) from None
    try:
        layout = layout_of(con, db)
        row = con.execute("SELECT run_id, inputs, engine_version, config_sha256 FROM runs "
                          "ORDER BY finished_at DESC LIMIT 1").fetchall()
    finally:
        con.close()
    last = None
    if row:
        run_id, inputs, version, config_sha = row[0]
        last = {"run_id": run_id, "inputs": inputs, "engine_version": version, "config_sha256": config_sha}
    return Target(db, layout, last)
