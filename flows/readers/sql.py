"""`qcpilot sql`: an analyst's query on a published database, read-only, with the project's own DuckDB (the storage
version that wrote it), so no separate DuckDB command line has to match it.

The connection is read-only and reaches no file but the database (`enable_external_access` off: no COPY, no
read_csv, no ATTACH), so a query neither changes the record nor writes personal data where nobody chose; `--out`
writes the whole result through `write_result`, created as the report is (a new file renamed into place, no more
readable than the database). A query's error is shown when it is about the query (its syntax, a name, a type), and
only named when it may quote a value of a row (a conversion of a value, a constraint).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb

from flows.runtime.terminal import shown

# errors about the query's text, whose message quotes only the query: shown to the analyst who typed it. A name the
# query builds from a value (getvariable, query_table ...) can carry a row's value into a catalog or binder message:
# with one of those in the query, only the parser's messages are shown.
ABOUT_THE_QUERY = (duckdb.ParserException, duckdb.CatalogException, duckdb.BinderException,
                   duckdb.NotImplementedException)
DYNAMIC = re.compile(r"\b(getvariable|query_table|query|error|set\s+variable)\b", re.I)
READ_ONLY = "the database is opened read-only: qcpilot sql never changes it, nor reaches another file"
OUT_FORMATS = {".csv": "CSV", ".parquet": "Parquet"}
BATCH_ROWS = 65_536


class QueryError(Exception):
    """A query DuckDB refused: one line, the message only when it cannot quote a row."""


def connect(db: Path) -> duckdb.DuckDBPyConnection:
    """Read-only, no file reachable but the database, no spilling to disk (a result that does not fit in memory is
    refused rather than written beside the database), and the configuration locked: a query can change none of it
    (memory, temporary folder, logging to a file)."""
    return duckdb.connect(str(db), read_only=True, config={
        "enable_external_access": False, "temp_directory": "",
        "memory_limit": os.environ.get("QCPILOT_DUCKDB_MEMORY", "1536MB"), "lock_configuration": True})


def said(exc: duckdb.Error, sql: str = "") -> QueryError:
    text = str(exc).strip()
    if isinstance(exc, duckdb.ParserException) or (isinstance(exc, ABOUT_THE_QUERY) and not DYNAMIC.search(sql)):
        return QueryError(shown(text.splitlines()[0] if text else type(exc).__name__))
    if isinstance(exc, duckdb.PermissionException | duckdb.InvalidInputException) and (
            "read-only" in text or "disabled by configuration" in text or "configuration has been locked" in text):
        return QueryError(READ_ONLY)
    return QueryError(f"{type(exc).__name__}: DuckDB refused the query; its message is not shown, as it may quote "
                      "a value of a row")


def query(con: duckdb.DuckDBPyConnection, sql: str) -> duckdb.DuckDBPyRelation | None:
    """The result of the last statement of `sql` (None when it returns no rows: a SET, a PRAGMA)."""
    try:
        return con.sql(sql)
    except duckdb.Error as exc:
        raise said(exc, sql) from None


def rows(relation: duckdb.DuckDBPyRelation, limit: int) -> tuple[list[str], list[list[str]], bool]:
    """The column names, the first `limit` rows as shown text (every value escaped), and whether more follow."""
    try:
        got = relation.limit(limit + 1).fetchall()
    except duckdb.Error as exc:
        raise said(exc) from None
    shown_rows = [["NULL" if v is None else shown(str(v)) for v in row] for row in got[:limit]]
    return [shown(c) for c in relation.columns], shown_rows, len(got) > limit


def out_problem(out: Path, replace: bool = False) -> str | None:
    """Why a result may not be written at `out` (None when it may): a .csv or .parquet file, never over a
    database or a folder, never through a symbolic link, over an existing file only when asked (`replace`)."""
    from flows.store import database

    target = Path(os.path.realpath(out))
    if target.is_dir():
        return "is a folder; name the file to write"
    if database.is_duckdb_file(target):
        return "is a DuckDB database; a query's result never writes over one: name another file"
    if target.suffix.lower() not in OUT_FORMATS:
        return "a result is written as .csv or .parquet: name the file so"
    if target.exists() and not target.is_file():
        return "is not a regular file (a device, a pipe); a result replaces only a file"
    if out.is_symlink():
        return "is a symbolic link; a result is written through none: name the file itself"
    if target.exists() and not replace:
        return "exists; --replace writes over it"
    return None


def write_result(relation: duckdb.DuckDBPyRelation, out: Path, mode_of: Path) -> int:
    """Stream every row of `relation` to `out` (CSV or Parquet by its suffix), in batches: a new file of a name
    nobody can guess beside it, readable by whom `mode_of` (the database) is, renamed into place. Returns the rows
    written; a failure leaves what `out` held."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    target = Path(os.path.realpath(out))
    try:
        reader = relation.to_arrow_reader(BATCH_ROWS)
    except duckdb.Error as exc:
        raise said(exc) from None
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(name)
    written = 0
    try:
        with os.fdopen(fd, "wb") as fh:
            writer = (pq.ParquetWriter(fh, reader.schema) if target.suffix.lower() == ".parquet"
                      else pacsv.CSVWriter(fh, reader.schema))
            with writer:
                for batch in _batches(reader):
                    writer.write_batch(batch)
                    written += batch.num_rows
        os.chmod(tmp, mode_of.stat().st_mode & 0o666)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return written


def _batches(reader) -> Iterator:
    try:
        yield from reader
    except duckdb.Error as exc:
        raise said(exc) from None
