"""The analysts' database, published beside the full one by every run (issue #25): `NAME-analytics.duckdb` beside
`NAME.duckdb`. What it holds and leaves out: transforms/analytics.py. Built from the staged database once it is
complete, in a staging file of its own; the run renames it into place right after the full database, in the same
step that signals cannot split (flows/store/database.py, Staging.finish), so it always shows a published run.

The pseudonym key is kept outside every database: `QCPILOT_PSEUDONYM_KEY` (64 hex digits) when set, else the file
`NAME.pseudonym-key` beside the full database, created on the first run (owner-only, never through a link) and read
by every later one, so that a pseudonym stays the same from run to run. Losing it changes every pseudonym; anyone
holding it with the full database can link the two.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import stat
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from flows.runtime.errors import InputError
from flows.store.database import analytics_target as target_of
from flows.store.database import run_config, staging_name

if TYPE_CHECKING:
    from transforms.comments import Book

KEY_ENV = "QCPILOT_PSEUDONYM_KEY"
NEW_MODE = 0o640  # a new analysts' database: its owner and the owner's group (the analysts'), never everyone
META = "analytics_meta"


def key_file(db: Path) -> Path:
    return db.with_name(f"{db.stem}.pseudonym-key")


def check(db: Path) -> None:
    """Before a run starts: the key it will read, if there is one yet, is a key, and the analysts' database's place
    is free or holds one (InputError, exit 2, otherwise). Nothing is created: a run refused later leaves nothing."""
    if db.is_file() and is_analytics_file(db):
        raise InputError(f"{db}: an analysts' database (no direct identifier), made by a run from the full database; "
                         "a run publishes the full one (--db NAME.duckdb) and this one beside it")
    if os.environ.get(KEY_ENV) is not None or os.path.lexists(key_file(db)):
        pseudonym_key(db)
    check_target(db)


def check_target(db: Path) -> None:
    """The analysts' database of `db` may be written: its place is free, or holds an analysts' database (never a
    link, a folder, a ledger or any other file, which a run would destroy). InputError (exit 2) otherwise."""
    target = target_of(db)
    problem = None
    if target.is_symlink():
        problem = "is a symbolic link; the analysts' database is written through none: remove it"
    elif not target.exists():
        return
    elif not target.is_file():
        problem = "is not a regular file; the analysts' database is published there: move it away"
    elif not is_analytics_file(target):
        problem = "is not an analysts' database, and a run never writes over another file: move it away"
    if problem:
        raise InputError(f"{target}: {problem}")


def key_id(key: str) -> str:
    """Which key drew the pseudonyms, without saying it: 12 hex digits of a hash of it (analytics_meta.key_id)."""
    import hashlib

    return hashlib.sha256(f"qcpilot pseudonym key id:{key}".encode()).hexdigest()[:12]


def key_changed(db: Path, key: str) -> bool:
    """Whether the analysts' database now published beside `db` was drawn with another key: every pseudonym of
    the next one differs (the key file was removed or replaced, or the variable names another)."""
    target = target_of(db)
    if not target.is_file() or target.is_symlink():
        return False
    try:
        with duckdb.connect(str(target), read_only=True) as con:
            [(before,)] = con.execute(f"SELECT max(key_id) FROM {META}").fetchall()
    except duckdb.Error:  # an analysts' database of before key_id, or none readable
        return False
    return before is not None and before != key_id(key)


def pseudonym_key(db: Path) -> str:
    """The key of the pseudonyms of `db`'s analysts' database (see the module's docstring), created when there is
    none yet. InputError (exit 2) when the variable or the file is not a key, or the file is a link."""
    if (given := os.environ.get(KEY_ENV)) is not None:
        if not _is_key(given.strip().lower()):
            raise InputError(f"{KEY_ENV}: not a pseudonym key (64 hex digits)")
        return given.strip().lower()
    path = key_file(db)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:  # made by an earlier run (or a link stands there: refused below)
        return _read_key(path)
    except OSError as exc:
        raise InputError(f"{path}: the pseudonym key cannot be created ({_why(exc)})") from None
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key


def _read_key(path: Path) -> str:
    try:  # never blocked by a pipe planted there, never through a link
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise InputError(f"{path}: the pseudonym key cannot be read ({_why(exc)})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InputError(f"{path}: the pseudonym key is not a regular file (a folder, a pipe, a device)")
    with os.fdopen(fd, encoding="ascii", errors="replace") as fh:
        text = fh.read(200).strip().lower()
    if not _is_key(text):
        raise InputError(f"{path}: not a pseudonym key (64 hex digits); restore it, or remove it to draw new "
                         "pseudonyms for every application")
    return text


def _is_key(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def _why(exc: OSError) -> str:
    return "a symbolic link" if exc.errno == 40 else (exc.strerror or "input/output error")


def build(full: Path, target: Path, run_id: str, key: str, described: Book | None = None) -> Path:
    """Build the analysts' database of the complete staged database `full` in a staging file beside `target`;
    returns it (the caller renames it into place). `described`: what of the rule book names columns, to comment
    every table, view and column as an analysts' database (flows/store/datadocs.py); None leaves them bare."""
    import polars as pl

    from flows.store import datadocs
    from transforms import analytics
    from transforms.evaluate import APPLICATION_COLUMNS, reading_views
    from transforms.identity import application_key
    from transforms.keep import delivery_views
    from transforms.selection import SELECTIONS_VIEW, VIEWS_SQL
    from transforms.sqlfiles import sql_text, statements

    tmp = staging_name(target, run_id)
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    # bounded memory as the staging database's, spilling beside it under a name the next run's cleanup knows
    con = duckdb.connect(str(tmp), config=run_config(target, run_id))
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"ATTACH {sql_text(full)} AS published (READ_ONLY)")
        for sql in statements(analytics.pseudonym_macro_sql(key)):
            con.execute(sql)
        columns = {t: [c for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = 'published' AND table_name = ? "
            "ORDER BY column_index", [t]).fetchall()] for t in analytics.TABLES}
        rejected = con.sql("SELECT extract, source_file, row_number, application_id "
                           "FROM published.main.rejected_rows").pl()
        con.register("rejected_keys", rejected.select(
            "extract", "source_file", "row_number", application_key(pl.col("application_id")).alias("rejected_key")))
        for table in analytics.TABLES:
            con.execute(f"SET preserve_insertion_order = {table in analytics.ORDERED}")
            con.execute(analytics.carried_table_sql(table, columns[table], "published"))
        con.execute("RESET preserve_insertion_order")
        con.unregister("rejected_keys")
        con.execute("DETACH published")
        shown = analytics.application_columns([c for c in APPLICATION_COLUMNS if c in columns["evaluations"]])
        views = [*delivery_views(con, shown), *reading_views(con), SELECTIONS_VIEW, *statements(VIEWS_SQL)]
        for sql in views:
            con.execute(sql)
        con.execute(f"CREATE TABLE {META} AS SELECT ? AS run_id, ? AS written_at, ? AS source, ? AS key_id",
                    [run_id, dt.datetime.now(dt.UTC), target.name, key_id(key)])
        if described is not None:
            datadocs.describe(con, described, analysts=True)
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
        raise
    con.close()
    return tmp


def is_analytics_file(db: Path) -> bool:
    """Whether `db` is an analysts' database (it has its META table)."""
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [META]).fetchone()[0])
    except duckdb.Error:
        return False


def key_for_publish(db: Path) -> str:
    """As a run publishes `db`: its analysts' database's place checked again (a file may have been put there while
    the run lasted), and the pseudonym key read, or created for the first one."""
    check_target(db)
    return pseudonym_key(db)


def beside(db: Path, run_id: str, key: str, described: Book | None = None):
    """Staging.finish's `beside` for a run publishing `db`: its analysts' database, built from the staged file (and
    commented, given `described`)."""

    def build_beside(staged: Path) -> list[tuple[Path, Path, int]]:
        target = target_of(db)
        return [(build(staged, target, run_id, key, described), target, NEW_MODE)]

    return build_beside
