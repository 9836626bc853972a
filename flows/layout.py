"""The layout of the published database, and the upgrade steps that carry an older one forward.

The published database is permanent: its `decisions` ledger and `runs` history outlive every release. Every publish
records its layout in `qcpilot_meta` (a database without that table is layout 1, the releases up to f15a4dd). A run
reads the carried tables of the previous database through the upgrade steps, one small named step per layout, in
order, inside its staging database: the old file is untouched until the atomic swap, so a failed or killed upgrade
leaves it as it was. A database from a newer release, or a DuckDB file qcpilot did not publish, is refused and left
untouched.

Layouts:
  1  the first published layout (no qcpilot_meta)
  2  issue #11: `rule_results` becomes a view over `assessments` (one row per application: an outcome column per
     rule and the typed figures); `runs` records the layout each run published and the layout it upgraded from
  3  issue #12: the rule book as cited data. `rules` gains each rule's text templates and every dated value of the
     legal parameters it read; `assessments` gains `itv_wage_years_required`; the `rule_results` view gains the
     details worded in French and English (`detail_fr`, `detail_en`). The carried tables keep their shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from flows import io
from flows.errors import InputError

CURRENT = 3
META = "qcpilot_meta"
CARRIED = ("decisions", "runs")  # the tables a run carries forward; every other table is rebuilt by each run

# The carried tables of a database of the current layout, as a new one starts them.
CARRIED_DDL = {
    "decisions": """CREATE TABLE decisions (
        application_id VARCHAR, person_id VARCHAR, program VARCHAR, stream VARCHAR, selection_year INTEGER,
        submitted_at TIMESTAMP WITH TIME ZONE, status VARCHAR, rank_in_stream BIGINT, rank_in_program BIGINT,
        stream_cap BIGINT, program_cap BIGINT, cap_applied VARCHAR, late_arrival BOOLEAN, decided_run_id VARCHAR,
        decided_at TIMESTAMP WITH TIME ZONE, engine_version VARCHAR, config_sha256 VARCHAR)""",
    "runs": """CREATE TABLE runs (
        run_id VARCHAR, started_at TIMESTAMP WITH TIME ZONE, finished_at TIMESTAMP WITH TIME ZONE, status VARCHAR,
        rules_version VARCHAR,
        inputs STRUCT("extract" VARCHAR, path VARCHAR, sha256 VARCHAR, "rows" BIGINT, bytes BIGINT, modified_ns BIGINT)[],
        applications_read BIGINT, applications_kept BIGINT, applications_rejected BIGINT,
        experience_read BIGINT, experience_kept BIGINT, experience_rejected BIGINT,
        wages_read BIGINT, wages_kept BIGINT, wages_rejected BIGINT,
        eligible BIGINT, ineligible BIGINT, undetermined BIGINT,
        status_selected BIGINT, status_cap_reached BIGINT, status_ineligible BIGINT, status_undetermined BIGINT,
        status_duplicate BIGINT, status_outside_intake BIGINT,
        engine_version VARCHAR, config_sha256 VARCHAR, engine_changed BOOLEAN, config_changed BOOLEAN,
        newly_decided BIGINT, late_arrivals BIGINT,
        layout_version INTEGER, upgraded_from_layout INTEGER)""",
}

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
    stat: tuple[int, int, int] | None = None  # (inode, mtime_ns, size) when read: a swap checks nobody replaced it

    def unchanged_since_read(self) -> bool:
        if not self.path.exists():
            return self.stat is None
        st = self.path.stat()
        return self.stat == (st.st_ino, st.st_mtime_ns, st.st_size)


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


# -- upgrade steps: layout N -> N + 1, on the carried tables of the staging database --------------------------------

def upgrade_1_to_2(con: duckdb.DuckDBPyConnection) -> None:
    """Layout 2 (issues #10, #11): every run records the layout it published (the runs before were layout 1) and,
    when it upgraded the database, the layout it found; each input records its size and modification time (null
    for the earlier runs, which did not). `decisions` keeps its shape."""
    con.execute("ALTER TABLE runs ADD COLUMN layout_version INTEGER")
    con.execute("UPDATE runs SET layout_version = 1")
    con.execute("ALTER TABLE runs ADD COLUMN upgraded_from_layout INTEGER")
    con.execute("""ALTER TABLE runs ALTER COLUMN inputs SET DATA TYPE
        STRUCT("extract" VARCHAR, path VARCHAR, sha256 VARCHAR, "rows" BIGINT, bytes BIGINT, modified_ns BIGINT)[]
        USING list_transform(inputs, lambda i: struct_pack("extract" := i."extract", path := i.path, sha256 := i.sha256,
                                                      "rows" := i."rows", bytes := NULL::BIGINT,
                                                      modified_ns := NULL::BIGINT))""")


def upgrade_2_to_3(con: duckdb.DuckDBPyConnection) -> None:
    """Layout 3 (issue #12): only tables that every run rebuilds change shape (`rules`, `assessments` and the views
    over them), so the carried `decisions` and `runs` pass as they are: each earlier run keeps the layout it
    published (2), and the run that upgrades records `upgraded_from_layout` 2. The step exists so that a database
    of layout 2 is recognised as older: `explain` and `report` must not read its `rules` table as if it had the
    columns of layout 3."""


STEPS = {1: upgrade_1_to_2, 2: upgrade_2_to_3}


def carry_forward(con: duckdb.DuckDBPyConnection, target: Target) -> int | None:
    """Create the carried tables in `con` (the staging database): copied from the published database through the
    upgrade steps, or empty for a new one. Returns the layout upgraded from, or None.

    A ledger changed outside qcpilot since its last publish (rows removed or altered: see write_meta) is refused."""
    if target.layout is None:
        for ddl in CARRIED_DDL.values():
            con.execute(ddl)
        return None
    con.execute(f"ATTACH {io.sql_text(target.path)} AS previous (READ_ONLY)")
    try:
        for table in CARRIED:
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM previous.{table}")
        if target.layout >= 2:
            _check_ledger(con, target.path)
    finally:
        con.execute("DETACH previous")
    for layout in range(target.layout, CURRENT):
        STEPS[layout](con)
    return target.layout if target.layout != CURRENT else None


def _ledger_digest(con: duckdb.DuckDBPyConnection, schema: str = "main") -> tuple[int, int, int]:
    """(rows of decisions, a hash of all of them, rows of runs): what the next run checks before it carries them."""
    rows, digest = con.execute(f"SELECT count(*), coalesce(bit_xor(hash(d)), 0) FROM {schema}.decisions d").fetchall()[0]
    runs = con.execute(f"SELECT count(*) FROM {schema}.runs").fetchall()[0][0]
    return rows, int(digest), runs


def _check_ledger(con: duckdb.DuckDBPyConnection, db: Path) -> None:
    meta = con.execute("SELECT run_id, decisions_rows, decisions_digest, runs_rows, duckdb_version "
                       f"FROM previous.{META}").fetchall()[0]
    run_id, rows, digest, runs, version = meta
    now_rows, now_digest, now_runs = _ledger_digest(con)
    # the hash of a row is DuckDB's: comparable within one DuckDB version only (row counts always are)
    changed = (now_rows, now_runs) != (rows, runs) or (version == duckdb.__version__ and now_digest != int(digest))
    if changed:
        raise InputError(f"{db}: its decisions ledger or runs history was changed outside qcpilot since run {run_id} "
                         f"({rows} decisions and {runs} runs then, {now_rows} and {now_runs} now); a ledger that is "
                         "never revoked cannot be carried forward from it: restore the database from its copy")


def write_meta(con: duckdb.DuckDBPyConnection, engine_version: str, run_id: str) -> None:
    """Record what wrote the database (its layout, the engine version, the run, the time) and a digest of its
    ledger and runs history, which the next run checks before carrying them forward."""
    rows, digest, runs = _ledger_digest(con)
    con.execute(f"""CREATE OR REPLACE TABLE {META} AS
        SELECT {CURRENT}::INTEGER AS layout_version, ?::VARCHAR AS engine_version, ?::VARCHAR AS run_id,
               now() AS written_at, ?::BIGINT AS decisions_rows, ?::UBIGINT AS decisions_digest,
               ?::BIGINT AS runs_rows, ?::VARCHAR AS duckdb_version""",
                [engine_version, run_id, rows, digest, runs, duckdb.__version__])


def inspect(db: Path, writing: bool = True) -> Target:
    """The target of a run: its layout and latest run, read-only. InputError when it must not be written (or,
    `writing` False, read)."""
    db = Path(db)
    if not db.exists():
        return Target(db, None)
    if db.is_dir():
        raise InputError(f"{db}: is a folder, not a database file")
    wal = db.with_name(db.name + ".wal")
    if writing and wal.exists():
        raise InputError(f"{db}: has a write-ahead log ({wal.name}) left by a connection that wrote to it and did not "
                         "close: qcpilot will not publish over changes it has not seen. Open and close it once with "
                         "DuckDB to checkpoint them, or remove the .wal to discard them")
    st = db.stat()
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
    return Target(db, layout, last, (st.st_ino, st.st_mtime_ns, st.st_size))
