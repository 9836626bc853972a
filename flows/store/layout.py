"""The layout of the published database, and the upgrade steps that carry an older one forward.

The published database is permanent: its `decisions` ledger and `runs` history outlive every release, and from layout
5 so do the grounds of every decision (`evaluations`, `evaluation_wages`, `rulebooks`). Every publish records its
layout in `qcpilot_meta` (a database without that table is layout 1, the releases up to f15a4dd). A run reads the
carried tables of the previous database through the upgrade steps, one small named step per layout, in order, inside
its staging database: the old file is untouched until the atomic swap, so a failed or killed upgrade leaves it as it
was. A database from a newer release, or a DuckDB file qcpilot did not publish, is refused and left untouched.

Layouts:
  1  the first published layout (no qcpilot_meta)
  2  issues #10 and #11: `rule_results` becomes a view over `assessments` (one row per application: an outcome column
     per rule and the typed figures); `runs` records the layout each run published and the layout it upgraded from
  3  issue #12: the rule book as cited data. `rules` gains each rule's text templates and every dated value of the
     legal parameters it read; `assessments` gains `itv_wage_years_required`; the `rule_results` view gains the
     details worded in French and English (`detail_fr`, `detail_en`). The carried tables keep their shape.
  4  issue #15: `qcpilot_meta` seals the runs history too (`runs_digest`), and both digests are computed from the
     rows' values (md5), no longer with DuckDB's own hash, so that a release with another DuckDB still checks them.
     The carried tables keep their shape.
  5  issues #20 and #21: the ledger is the record. Every evaluation a run makes is kept once (`evaluations`, with the
     digests of the application's row and spells as read, and `evaluation_wages`; an evaluation identical to one
     kept is not stored again), every decision points to the evaluation that decided it (`decisions.evaluation_id`),
     and every run to the rule book it read (`runs.rulebook_id`, the texts, citations and dated legal values in
     `rulebooks`). `applications`, `assessments` and `wage_checks` become views of the latest delivery. Ids are
     compared by their canonical form (`decisions.application_key`, `person_key`); a place that opens in a program
     and year goes to the earliest cap_reached application: a promotion, a second ledger entry (`promoted`).
     `qcpilot_meta` seals every carried table (`seals`).
  6  issue #25: `selections` gains `duplicate_of` (the same person's application that holds the place); every table,
     view and column carries its comment (schemas/outputs.yaml), and an analysts' database is published beside. The
     carried tables keep their shape.

What every command checks before it reads a database (inspect): its `qcpilot_meta` is one complete row of a known
shape, and the carried tables have exactly the columns of its layout. What a run checks besides, before it reads the
ledger (check_sealed): the ledger is one qcpilot could have written (an application decided once, or cap_reached then
promoted; a known status, its key values, each decision's run in the history and its grounds kept), and the digests
the last publish recorded still match (layouts 2 and 3: the decisions only, and only with the DuckDB version that
wrote them; layout 4: decisions and runs; from layout 5: every carried table, with any DuckDB version).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from flows.runtime.errors import InputError
from flows.store import sealfile
from schemas.enums import DECIDED_STATUSES, STREAMS_BY_PROGRAM
from schemas.ledger import LEDGER_COLUMNS
from transforms.digest import hash64, row_text
from transforms.sqlfiles import sql_text

CURRENT = 6
META = "qcpilot_meta"
# the tables a run carries forward (every other table is rebuilt by each run), by the layout that added them
CARRIED = ("decisions", "runs", "evaluations", "evaluation_wages", "rulebooks")
CARRIED_SINCE = {"decisions": 1, "runs": 1, "evaluations": 5, "evaluation_wages": 5, "rulebooks": 5}


def carried(layout: int) -> tuple[str, ...]:
    """The carried tables of a database of `layout`."""
    return tuple(t for t in CARRIED if CARRIED_SINCE[t] <= layout)


# The carried tables of a database of the current layout, as a new one starts them. `evaluations` has the columns of
# the rule book the run evaluates (an outcome column per rule, the figures, the application's columns): it is created
# by the run's first evaluation (transforms/keep.py), and only its head is fixed here (EVALUATIONS_HEAD).
CARRIED_DDL = {
    "decisions": "CREATE TABLE decisions (" + ", ".join(f"{c} {t}" for c, t in LEDGER_COLUMNS.items()) + ")",
    "runs": """CREATE TABLE runs (
        run_id VARCHAR, started_at TIMESTAMP WITH TIME ZONE, finished_at TIMESTAMP WITH TIME ZONE, status VARCHAR,
        rules_version VARCHAR,
        inputs STRUCT("extract" VARCHAR, path VARCHAR, sha256 VARCHAR, "rows" BIGINT, bytes BIGINT, """
        """modified_ns BIGINT)[],
        applications_read BIGINT, applications_kept BIGINT, applications_rejected BIGINT,
        experience_read BIGINT, experience_kept BIGINT, experience_rejected BIGINT,
        wages_read BIGINT, wages_kept BIGINT, wages_rejected BIGINT,
        eligible BIGINT, ineligible BIGINT, undetermined BIGINT,
        status_selected BIGINT, status_cap_reached BIGINT, status_ineligible BIGINT, status_undetermined BIGINT,
        status_duplicate BIGINT, status_outside_intake BIGINT,
        engine_version VARCHAR, config_sha256 VARCHAR, engine_changed BOOLEAN, config_changed BOOLEAN,
        newly_decided BIGINT, late_arrivals BIGINT,
        layout_version INTEGER, upgraded_from_layout INTEGER,
        code_version VARCHAR, law_version VARCHAR, rulebook_id VARCHAR, promotions BIGINT, decided_not_delivered BIGINT,
        under_review BIGINT, applications_repeated BIGINT, experience_repeated BIGINT, wages_repeated BIGINT)""",
    "evaluation_wages": """CREATE TABLE evaluation_wages (
        evaluation_id BIGINT, noc_code VARCHAR, noc2021_code VARCHAR, hourly_wage_cad DOUBLE,
        threshold_hourly_cad DOUBLE, reference_years BIGINT[], decile_position TINYINT)""",
    "rulebooks": """CREATE TABLE rulebooks (
        rulebook_id VARCHAR, ordinal INTEGER, rule_id VARCHAR, program VARCHAR, streams VARCHAR[], substreams VARCHAR[],
        versions VARCHAR[], citation VARCHAR, template_fr VARCHAR, template_en VARCHAR,
        parameters STRUCT("name" VARCHAR, valid_from DATE, value_fr VARCHAR, value_en VARCHAR, unit VARCHAR,
                          reference VARCHAR)[])""",
}
# the first columns of `evaluations`, whatever the rule book: the evaluation, the run that first made it, and the
# application as read (its canonical id, the digests of its row and of its spells); a run's first
# evaluation adds the columns of its rule book (transforms/keep.py)
EVALUATIONS_HEAD = [("evaluation_id", "BIGINT"), ("run_id", "VARCHAR"), ("application_key", "VARCHAR"),
                    ("application_digest", "UBIGINT"), ("spells_digest", "UBIGINT")]
CARRIED_DDL["evaluations"] = "CREATE TABLE evaluations (" + ", ".join(f"{c} {t}" for c, t in EVALUATIONS_HEAD) + ")"
# what layout 5 added to the tables carried before it
ADDED_IN_5 = {"decisions": ("application_key", "person_key", "evaluation_id", "promoted"),
              "runs": ("code_version", "law_version", "rulebook_id", "promotions", "decided_not_delivered",
                       "under_review", "applications_repeated", "experience_repeated", "wages_repeated")}


# The columns (name, type) of the carried tables in each layout, and of `qcpilot_meta` where there is one: a
# database whose tables differ was changed outside qcpilot, and is refused rather than guessed at.
def _shapes(ddls: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    with duckdb.connect() as con:
        for ddl in ddls.values():
            con.execute(ddl)
        return {t: [(r[0], r[1]) for r in con.execute(f"DESCRIBE {t}").fetchall()] for t in ddls}


_INPUTS_1 = 'STRUCT("extract" VARCHAR, path VARCHAR, sha256 VARCHAR, "rows" BIGINT)[]'


@functools.cache
def carried_shapes(layout: int) -> dict[str, list[tuple[str, str]]]:
    """The carried tables' columns in `layout` (computed when first asked: `explain` starts faster without); for
    `evaluations`, its head."""
    now = {**_shapes(CARRIED_DDL), "evaluations": EVALUATIONS_HEAD}
    if layout >= 5:
        return now
    before = {t: [(c, d) for c, d in now[t] if c not in ADDED_IN_5[t]] for t in ("decisions", "runs")}
    if layout == 1:  # the releases up to commit f15a4dd: runs without the layout columns, inputs without size and time
        return {"decisions": before["decisions"],
                "runs": [(c, _INPUTS_1 if c == "inputs" else t) for c, t in before["runs"]
                         if c not in ("layout_version", "upgraded_from_layout")]}
    return before


_META_3 = [("layout_version", "INTEGER"), ("engine_version", "VARCHAR"), ("run_id", "VARCHAR"),
           ("written_at", "TIMESTAMP WITH TIME ZONE"), ("decisions_rows", "BIGINT"), ("decisions_digest", "UBIGINT"),
           ("runs_rows", "BIGINT"), ("duckdb_version", "VARCHAR")]
_META_5 = [*_META_3[:4], ("duckdb_version", "VARCHAR"),
           ("seals", 'STRUCT("table" VARCHAR, "rows" BIGINT, digest UBIGINT)[]')]
META_SHAPES = {2: _META_3, 3: _META_3, 4: [*_META_3[:7], ("runs_digest", "UBIGINT"), _META_3[7]], 5: _META_5,
               6: _META_5}


@dataclass(frozen=True)
class Target:
    """What the target path holds: nothing yet (layout None), or a qcpilot database of a known layout."""

    path: Path
    layout: int | None
    last_run: dict | None = None  # run_id, inputs, engine_version, config_sha256 of the latest run
    stat: tuple[int, int, int] | None = None  # (inode, mtime_ns, size) when read: a swap checks nobody replaced it

    def unchanged_since_read(self) -> bool:
        return identity(self.path) == self.stat


def identity(path: Path) -> tuple[int, int, int] | None:
    """Which file `path` is now (inode, modification time, size), None if none: a swap gives it another."""
    try:
        st = Path(path).stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """The base tables (not views) of the open database's main schema, each with its columns (name, type). A table
    declared with a collation gets a last pseudo-column saying so: no table qcpilot writes has one, and a collation
    would change how the ledger's values compare. (duckdb_columns, not information_schema: a database file named
    information_schema.duckdb is a catalog of that name.)"""
    rows = con.execute("""
        SELECT c.table_name, c.column_name, c.data_type, t.sql ILIKE '%collate%'
        FROM duckdb_columns() c JOIN duckdb_tables() t USING (database_name, schema_name, table_name)
        WHERE c.database_name = current_database() AND c.schema_name = 'main'
        ORDER BY c.table_name, c.column_index""").fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    collated = set()
    for table, column, dtype, collate in rows:
        out.setdefault(table, []).append((column, dtype))
        if collate:
            collated.add(table)
    for table in collated:
        out[table].append(("", "COLLATE"))
    return out


def _open_error(db: Path, exc: duckdb.Error) -> InputError:
    text = str(exc)
    if re.search(r"could not set lock|conflicting lock", text, re.IGNORECASE):  # not "block" of a damaged file
        return InputError(f"{db}: cannot be opened: another process holds it open for writing")
    return InputError(f"{db}: not a DuckDB database that qcpilot can read; it is left untouched")


def _checksum_failed(exc: duckdb.Error) -> bool:
    return str(exc).startswith("Corrupt database file")


def is_damage(exc: duckdb.Error) -> bool:
    """DuckDB could not read a part of an open database file: a block failing its checksum, bytes missing."""
    return isinstance(exc, duckdb.IOException) or _checksum_failed(exc)


def unreadable(db: Path | str, exc: duckdb.Error) -> InputError:
    """The refusal of a database a part of which cannot be read (never DuckDB's own text)."""
    why = "a block fails its checksum" if _checksum_failed(exc) else "an input/output error"
    return InputError(f"{db}: damaged, a part of it cannot be read ({why}); it is left untouched (restore it from "
                      "its copy)")


def layout_of(con: duckdb.DuckDBPyConnection, db: Path, tables: dict[str, list[tuple[str, str]]]) -> int:
    """The layout of an open database whose tables are `tables` (_columns); InputError for a database qcpilot did
    not publish, a newer one, or one whose record of its layout or carried tables were changed outside qcpilot."""
    if META in tables:
        layout = _meta_layout(con, db, dict(tables[META]))
        if tables[META] != META_SHAPES[layout]:
            raise _damaged(db, f"{META} does not have the columns of layout {layout}")
        empty = [name for (name, _), v in zip(tables[META], con.execute(f"SELECT * FROM {META}").fetchall()[0],
                                              strict=True) if v is None]
        if empty:
            raise _damaged(db, f"{META} has no {empty[0]}")
    elif all(t in tables for t in carried(1)):
        layout = 1
    else:
        raise InputError(f"{db}: a DuckDB database that qcpilot did not publish (no {META} table, no decisions "
                         "ledger and runs history); it is left untouched")
    for table in carried(layout):
        shape, found = carried_shapes(layout)[table], tables.get(table)
        if table == "evaluations" and found is not None:  # its head is fixed; the rest is the rule book's
            found = found[:len(shape)]
        if found != shape:
            what = "is missing" if table not in tables else f"does not have the columns of layout {layout}"
            raise _damaged(db, f"its {table} table {what}")
    return layout


def _damaged(db: Path, what: str) -> InputError:
    return InputError(f"{db}: {what}: changed outside qcpilot, so its layout cannot be trusted; it is left "
                      "untouched (restore it from its copy)")


def _meta_layout(con: duckdb.DuckDBPyConnection, db: Path, columns: dict[str, str]) -> int:
    """The layout `qcpilot_meta` records: one row, a whole number from 2 (layout 1 had no such table) up."""
    if columns.get("layout_version") not in ("INTEGER", "BIGINT", "SMALLINT", "TINYINT"):
        raise _damaged(db, f"{META} has no whole-number layout_version")
    rows = con.execute(f"SELECT layout_version FROM {META}").fetchall()
    if len(rows) != 1 or rows[0][0] is None:
        raise _damaged(db, f"{META} holds {len(rows)} rows" if len(rows) != 1 else f"{META} records no layout")
    layout = int(rows[0][0])
    if layout > CURRENT:
        raise InputError(f"{db}: published by a newer qcpilot (layout {layout}); this release knows layouts up to "
                         f"{CURRENT} and leaves it untouched")
    if layout < 2:
        raise _damaged(db, f"{META} records layout {layout}, which never had that table")
    return layout


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


def upgrade_3_to_4(con: duckdb.DuckDBPyConnection) -> None:
    """Layout 4 (issue #15): only `qcpilot_meta` changes (it seals the runs history too, and its digests are
    computed from the rows' values); the carried tables pass as they are."""


def upgrade_4_to_5(con: duckdb.DuckDBPyConnection) -> None:
    """Layout 5 (issues #20, #21): the ledger is the record. Each earlier decision gains the canonical forms of its
    ids (application_key, person_key: how a later row is matched to it) and no evaluation (its grounds were not
    kept: its letter says so), and is no promotion; each earlier run gains the columns that runs record from now on,
    null for them (they did not record them). The grounds' tables start empty."""
    import polars as pl

    from transforms.identity import application_key, person_key

    for column, dtype in (("application_key", "VARCHAR"), ("person_key", "VARCHAR"), ("evaluation_id", "BIGINT"),
                          ("promoted", "BOOLEAN")):
        con.execute(f"ALTER TABLE decisions ADD COLUMN {column} {dtype}")
    ids = con.sql("SELECT DISTINCT application_id, person_id FROM decisions").pl()
    keys = ids.with_columns(application_key(pl.col("application_id")).alias("application_key"),
                            person_key(pl.col("person_id")).alias("person_key"))
    con.register("__keys", keys)
    con.execute("""UPDATE decisions d SET application_key = k.application_key, person_key = k.person_key,
                   promoted = false
                   FROM __keys k WHERE k.application_id = d.application_id AND k.person_id = d.person_id""")
    con.unregister("__keys")
    runs_now = dict(_shapes({"runs": CARRIED_DDL["runs"]})["runs"])
    for column in ADDED_IN_5["runs"]:
        con.execute(f"ALTER TABLE runs ADD COLUMN {column} {runs_now[column]}")
    for table in ("evaluations", "evaluation_wages", "rulebooks"):
        con.execute(CARRIED_DDL[table])


def upgrade_5_to_6(con: duckdb.DuckDBPyConnection) -> None:
    """Layout 6 (issue #25): only views change (`selections` gains `duplicate_of`), and every object gains its
    comment as it is published; the carried tables pass as they are."""


STEPS = {1: upgrade_1_to_2, 2: upgrade_2_to_3, 3: upgrade_3_to_4, 4: upgrade_4_to_5, 5: upgrade_5_to_6}
PREVIOUS = "__qcpilot_previous"  # the published database, attached to the staging one (no file is named so)


def carry_forward(con: duckdb.DuckDBPyConnection, target: Target) -> int | None:
    """Create the carried tables in `con` (the staging database): copied from the published database through the
    upgrade steps, or empty for a new one. Returns the layout upgraded from, or None.

    Call check_sealed(target) first: what is carried is what it checked (the run holds the lock, and the swap is
    refused if the file changed since it was read)."""
    if target.layout is None:
        for ddl in CARRIED_DDL.values():
            con.execute(ddl)
        return None
    con.execute(f"ATTACH {sql_text(target.path)} AS {PREVIOUS} (READ_ONLY)")
    try:
        for table in carried(target.layout):
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM {PREVIOUS}.{table}")
    finally:
        con.execute(f"DETACH {PREVIOUS}")
    for layout in range(target.layout, CURRENT):
        STEPS[layout](con)
    return target.layout if target.layout != CURRENT else None


def ledger_digest(con: duckdb.DuckDBPyConnection, table: str, layout: int = CURRENT) -> tuple[int, int]:
    """(rows, digest) of a carried table in `con`: the xor of the md5 of every row's values (layout 4 on), which the
    next run checks before it carries the table forward."""
    text = row_text(_columns(con)[table], framed=layout >= 5)
    rows, digest = con.execute(f"SELECT count(*), coalesce(bit_xor({hash64(text)}), 0) "
                               f"FROM {table}").fetchall()[0]
    return rows, int(digest)


def _duckdb_hash_digest(con: duckdb.DuckDBPyConnection) -> int:
    """The digest of the decisions that layouts 2 and 3 recorded: DuckDB's own hash of each row, comparable only
    under the DuckDB version that wrote it."""
    return int(con.execute("SELECT coalesce(bit_xor(hash(d)), 0) FROM decisions d").fetchall()[0][0])


_KNOWN_STREAMS = ", ".join(repr(f"{p}/{s}") for p, streams in STREAMS_BY_PROGRAM.items() for s in streams)
# An application may have two entries from layout 5 on: cap_reached, then a promotion to selected (rules.md §5.6).
_TWICE = ("NOT (count(*) = 2 AND count(*) FILTER (WHERE status = 'cap_reached' AND NOT promoted) = 1 "
          "AND count(*) FILTER (WHERE status = 'selected' AND promoted) = 1 "
          "AND max(decided_at) FILTER (WHERE promoted) > max(decided_at) FILTER (WHERE NOT promoted))")

# What makes a ledger one qcpilot could not have written: (whose id, what, the query of the first id that shows it,
# the first layout it holds for).
LEDGER_INVARIANTS = [
    ("application", "is decided twice in the ledger",
     "SELECT application_id FROM decisions GROUP BY ALL HAVING count(*) > 1 ORDER BY 1 NULLS FIRST LIMIT 1", 1, 4),
    ("application", "is decided twice in the ledger (other than cap_reached, then promoted to selected)",
     f"SELECT application_id FROM decisions GROUP BY ALL HAVING count(*) > 1 AND {_TWICE} ORDER BY 1 NULLS FIRST "
     "LIMIT 1", 5, None),
    ("application", "is promoted in the ledger without an earlier cap_reached entry",
     "SELECT application_id FROM decisions d WHERE promoted AND (status <> 'selected' OR NOT EXISTS (SELECT 1 FROM "
     "decisions c WHERE c.application_id = d.application_id AND c.status = 'cap_reached' AND NOT c.promoted)) "
     "ORDER BY 1 NULLS FIRST LIMIT 1", 5, None),
    ("application", "has a status that qcpilot never publishes",
     "SELECT application_id FROM decisions WHERE status IS NULL OR status NOT IN "
     f"({', '.join(repr(s) for s in DECIDED_STATUSES)}) ORDER BY 1 NULLS FIRST LIMIT 1", 1, None),
    ("application", "lacks a value that qcpilot always writes",
     "SELECT coalesce(application_id, '(no id)') FROM decisions WHERE application_id IS NULL OR person_id IS NULL "
     "OR program IS NULL OR stream IS NULL OR selection_year IS NULL OR submitted_at IS NULL OR decided_at IS NULL "
     "ORDER BY 1 LIMIT 1", 1, 4),
    ("application", "lacks a value that qcpilot always writes",
     "SELECT coalesce(application_id, '(no id)') FROM decisions WHERE application_id IS NULL OR person_id IS NULL "
     "OR program IS NULL OR stream IS NULL OR selection_year IS NULL OR submitted_at IS NULL OR decided_at IS NULL "
     "OR application_key IS NULL OR person_key IS NULL OR promoted IS NULL ORDER BY 1 LIMIT 1", 5, None),
    ("application", "decides a program and stream that qcpilot does not know",
     f"SELECT application_id FROM decisions WHERE program || '/' || stream NOT IN ({_KNOWN_STREAMS}) "
     "ORDER BY 1 NULLS FIRST LIMIT 1", 1, None),
    ("application", "was decided by a run that the runs history does not hold",
     "SELECT application_id FROM decisions d WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.run_id = d.decided_run_id) "
     "ORDER BY 1 NULLS FIRST LIMIT 1", 1, None),
    ("application", "was decided on an evaluation that the ledger does not keep",
     "SELECT application_id FROM decisions d WHERE evaluation_id IS NOT NULL AND NOT EXISTS "
     "(SELECT 1 FROM evaluations e WHERE e.evaluation_id = d.evaluation_id AND e.application_key = d.application_key) "
     "ORDER BY 1 NULLS FIRST LIMIT 1", 5, None),
    ("evaluation", "is kept twice", "SELECT evaluation_id FROM evaluations GROUP BY ALL HAVING count(*) > 1 LIMIT 1",
     5, None),
    ("evaluation", "was made by a run that the runs history does not hold",
     "SELECT coalesce(evaluation_id::VARCHAR, '(no id)') FROM evaluations e WHERE evaluation_id IS NULL OR NOT EXISTS "
     "(SELECT 1 FROM runs r WHERE r.run_id = e.run_id) ORDER BY 1 LIMIT 1", 5, None),
    ("run", "is in the runs history twice", "SELECT run_id FROM runs GROUP BY ALL HAVING count(*) > 1 LIMIT 1",
     1, None),
    ("run", "lacks a value that qcpilot always writes",
     "SELECT coalesce(run_id, '(no id)') FROM runs WHERE run_id IS NULL OR started_at IS NULL OR finished_at IS NULL "
     "OR inputs IS NULL OR engine_version IS NULL OR config_sha256 IS NULL ORDER BY 1 LIMIT 1", 1, None),
    ("run", "read a rule book that the ledger does not keep",
     "SELECT run_id FROM runs r WHERE rulebook_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM rulebooks b "
     "WHERE b.rulebook_id = r.rulebook_id) ORDER BY 1 LIMIT 1", 5, None),
]


def check_sealed(target: Target) -> None:
    """Refuse (InputError) a published ledger that qcpilot could not have written (every layout), or that changed
    since the last publish sealed it (layouts 2 and 3: decisions, under the same DuckDB version; 4: decisions and
    runs; from 5: every carried table). Called by a run holding the lock, before anything else reads the ledger, a
    run with nothing to do included; it writes nothing but, when it checked the whole seal, the record of the file it
    found as sealed (flows/store/sealfile.py)."""
    if target.layout is None:
        return
    if target.last_run is not None and sealfile.as_sealed(target.path, target.last_run["run_id"], target.layout):
        return  # the very file the last run published and sealed, unwritten since: nothing can have changed it
    before = sealfile.file_identity(target.path)
    try:
        con = duckdb.connect(str(target.path), read_only=True)
    except duckdb.Error as exc:
        raise _open_error(target.path, exc) from None
    try:
        con.execute("SET enable_progress_bar = false")  # none of DuckDB's on the operator's terminal (14 s at 1M)
        _check_ledger(con, target.path, target.layout)
    except duckdb.Error as exc:  # its text may quote a row: named by its type only
        if is_damage(exc):
            raise unreadable(target.path, exc) from None
        raise InputError(f"{target.path}: its ledger cannot be read to be checked ({type(exc).__name__}); it is left "
                         "untouched") from None
    finally:
        con.close()
    # as sealed: this file, while nothing writes it (an earlier layout's is recorded by the run that upgrades it)
    if target.last_run is not None and before is not None and target.layout == CURRENT:
        sealfile.record(target.path, target.last_run["run_id"], target.layout, unchanged_since=before)


_WHAT = {"decisions": "decisions ledger was", "runs": "runs history was", "evaluations": "kept evaluations were",
         "evaluation_wages": "kept wage lines were", "rulebooks": "kept rule books were"}


def _check_ledger(con: duckdb.DuckDBPyConnection, db: Path, layout: int) -> None:
    def refuse(what: str) -> InputError:
        return InputError(f"{db}: {what}; a ledger that is never revoked cannot be carried forward from it: restore "
                          "the database from its copy")

    for whose, what, query, first, last in LEDGER_INVARIANTS:
        if first <= layout and (last is None or layout <= last):
            found = con.execute(query).fetchall()
            if found:
                raise refuse(f"{whose} {found[0][0]} {what}")
    if layout < 2:
        return  # layout 1 recorded no digest: what no invariant shows cannot be known
    [meta] = con.sql(f"SELECT * FROM {META}").pl().to_dicts()
    if layout >= 5:
        sealed = {s["table"]: (s["rows"], int(s["digest"])) for s in meta["seals"]}
        if set(sealed) != set(carried(layout)):
            raise refuse(f"its seal does not name every carried table ({', '.join(sorted(sealed))})")
    else:
        sealed = {"decisions": (meta["decisions_rows"], int(meta["decisions_digest"])),
                  "runs": (meta["runs_rows"], int(meta["runs_digest"]) if layout >= 4 else None)}
    same_duckdb = meta["duckdb_version"] == duckdb.__version__
    for table, (rows, digest) in sealed.items():
        if layout >= 4:
            now_rows, now_digest = ledger_digest(con, table, layout)
        else:  # the digest of layouts 2 and 3, of the decisions only: DuckDB's own hash
            now_rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
            now_digest = _duckdb_hash_digest(con) if table == "decisions" and same_duckdb else None
        if now_rows != rows or (None not in (digest, now_digest) and now_digest != digest):
            raise refuse(f"its {_WHAT[table]} changed outside qcpilot since run {meta['run_id']} sealed it "
                         f"({rows} rows then, {now_rows} now)")


def write_meta(con: duckdb.DuckDBPyConnection, engine_version: str, run_id: str) -> None:
    """Record what wrote the database (its layout, the engine version, the run, the time) and the digest of every
    carried table, which the next run checks before carrying them forward."""
    seals = [{"table": t, "rows": rows, "digest": digest} for t in CARRIED for rows, digest in [ledger_digest(con, t)]]
    con.execute(f"""CREATE OR REPLACE TABLE {META} AS
        SELECT {CURRENT}::INTEGER AS layout_version, ?::VARCHAR AS engine_version, ?::VARCHAR AS run_id,
               now() AS written_at, ?::VARCHAR AS duckdb_version,
               ?::STRUCT("table" VARCHAR, "rows" BIGINT, digest UBIGINT)[] AS seals""",
                [engine_version, run_id, duckdb.__version__, seals])


WHATIF_TABLES = ("whatif_changes", "whatif_summary", "whatif_inputs", "whatif_parameters")


def is_whatif(db: Path) -> bool:
    """Whether `db` is a scenario database written by `qcpilot whatif` (it has every what-if table)."""
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            return all(t in _columns(con) for t in WHATIF_TABLES)
    except duckdb.Error:
        return False


def inspect(db: Path, writing: bool = True, scenario: bool = False) -> Target:
    """The target of a run: its layout and latest run, read-only. InputError when it must not be written (or,
    `writing` False, read). A run (`scenario` False) never writes over a what-if's scenario database: its decisions
    are hypotheses, not a ledger to carry forward."""
    db = Path(db)
    if "\\" in str(db):
        raise InputError(f"{db}: DuckDB reads a backslash in a path as a folder separator, so this name would open "
                         "another file; use a path without one")
    if "?" in str(db):
        raise InputError(f"{db}: DuckDB reads a '?' in a database path as the start of options, so this name would "
                         "open another file; use a path without one")
    if not db.exists():
        return Target(db, None)
    if db.is_dir():
        raise InputError(f"{db}: is a folder, not a database file")
    wal = db.with_name(db.name + ".wal")
    if writing and wal.exists():
        raise InputError(f"{db}: has a write-ahead log ({wal.name}) left by a connection that wrote to it and did not "
                         "close: qcpilot will not publish over changes it has not seen. Open and close it once with "
                         "DuckDB to checkpoint them, or remove the .wal to discard them")
    stat = identity(db)
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        raise _open_error(db, exc) from None
    try:
        tables = _columns(con)
        layout = layout_of(con, db, tables)
        if writing and not scenario and any(t.startswith("whatif_") for t in tables):  # even one is enough
            raise InputError(f"{db}: is a what-if scenario database (written by qcpilot whatif): its decisions are "
                             "hypotheses, not a ledger a run may carry forward; run on the published database")
        row = con.execute("SELECT run_id, inputs, engine_version, config_sha256 FROM runs "
                          "ORDER BY finished_at DESC LIMIT 1").fetchall()
    except duckdb.Error as exc:
        if not is_damage(exc):
            raise
        raise unreadable(db, exc) from None
    finally:
        con.close()
    last = None
    if row:
        run_id, inputs, version, config_sha = row[0]
        last = {"run_id": run_id, "inputs": inputs, "engine_version": version, "config_sha256": config_sha}
    return Target(db, layout, last, stat)
