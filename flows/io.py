"""Reading extracts and publishing the database. All file I/O of qcpilot is here (transforms stay pure)."""

from __future__ import annotations

import functools
import glob
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from transforms.parse import FILE, LINE, parse_frame

CSV_SUFFIXES = {".csv"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
SUPPORTED = CSV_SUFFIXES | PARQUET_SUFFIXES


class InputError(Exception):
    """A problem with the inputs that stops the run before anything is published (exit status 2)."""


@dataclass(frozen=True)
class InputFile:
    extract: str
    path: str
    sha256: str
    rows: int


def resolve(specs: list[str]) -> list[Path]:
    """Files named by paths, directories (all CSV/Parquet files below) and globs, in a stable order."""
    out: list[Path] = []
    for spec in specs:
        p = Path(spec)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED)
        elif p.is_file():
            if p.suffix.lower() not in SUPPORTED:
                raise InputError(f"{spec}: unsupported file type (expected .csv or .parquet)")
            found = [p]
        elif glob.has_magic(spec):
            found = sorted(
                Path(f) for f in glob.glob(spec, recursive=True)
                if Path(f).is_file() and Path(f).suffix.lower() in SUPPORTED
            )
        else:
            raise InputError(f"{spec}: no such file or directory")
        if not found:
            raise InputError(f"{spec}: no CSV or Parquet file found")
        out.extend(found)
    seen: set[Path] = set()
    return [f for f in out if not (f.resolve() in seen or seen.add(f.resolve()))]


def sha256(path: Path) -> str:
    """SHA-256 of a file, computed once per file version: the no-op check and the ingest of the same run ask for
    the same files, so the second ask is free (the key includes size and modification time)."""
    st = Path(path).stat()
    return _sha256(str(Path(path).resolve()), st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=4096)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _scan(path: Path) -> pl.LazyFrame:
    if path.suffix.lower() in CSV_SUFFIXES:
        return pl.scan_csv(path, infer_schema=False, encoding="utf8", raise_if_empty=False)
    return pl.scan_parquet(path)


def _lines(lf: pl.LazyFrame, path: Path) -> pl.LazyFrame:
    """Every row with its 1-based data row number in its file (the header is not counted) and the file."""
    return lf.with_row_index(LINE, offset=1).with_columns(pl.col(LINE).cast(pl.Int64), pl.lit(str(path)).alias(FILE))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def check_columns(extract: str, path: Path, columns: list[str]) -> pl.LazyFrame:
    """Open a file lazily; InputError naming the file (and the columns) if it cannot be read or lacks one."""
    try:
        lf = _scan(path)
        names = lf.collect_schema().names()
    except Exception as exc:  # polars raises several kinds for unreadable files
        raise InputError(f"{path}: cannot be read ({_first_line(exc)})") from None
    missing = [c for c in columns if c not in names]
    if missing:
        cols = ", ".join(f"'{c}'" for c in missing)
        raise InputError(f"{path}: missing required column {cols} for the {extract} extract")
    return lf


def preflight(specs: dict[str, list[str]], columns: dict[str, list[str]]) -> dict[str, list[Path]]:
    """Resolve every extract's files and check they open with every column, before any work starts."""
    files = {extract: resolve(paths) for extract, paths in specs.items()}
    for extract, paths in files.items():
        for path in paths:
            check_columns(extract, path, columns[extract])
    return files


def read_extract(extract: str, files: list[Path], dtypes: dict[str, pl.DataType]) -> tuple[pl.DataFrame, list[InputFile]]:
    """All files of one extract, parsed to the contract's dtypes, concatenated in file order.

    Raises InputError naming the file (and the column) when a file cannot be read or lacks a column.
    """
    frames, inputs = [], []
    for path in files:
        lf = _lines(check_columns(extract, path, list(dtypes)).select(list(dtypes)), path)
        try:
            df = parse_frame(lf, dtypes).collect()
        except Exception as exc:
            raise InputError(f"{path}: cannot be read ({_first_line(exc)})") from None
        frames.append(df)
        inputs.append(InputFile(extract, str(path), sha256(path), df.height))
    return pl.concat(frames, how="vertical"), inputs


def attach_raw(rejected: pl.DataFrame, columns: dict[str, list[str]]) -> pl.DataFrame:
    """Fill `raw` (the row as read, JSON of its text values) for rejected rows, reading only the files that have
    rejected rows again, and only those rows."""
    if rejected.height == 0:
        return rejected
    parts = []
    for (extract, path), rows in rejected.group_by("extract", "source_file", maintain_order=True):
        wanted = rows.select(pl.col("row_number").alias(LINE))
        cols = columns[extract]
        raw = (
            _lines(_scan(Path(path)).select(cols), path)
            .join(wanted.lazy(), on=LINE, how="semi")
            .select(pl.lit(extract).alias("extract"), pl.lit(path).alias("source_file"), pl.col(LINE).alias("row_number"),
                    pl.struct([pl.col(c).cast(pl.String) for c in cols]).struct.json_encode().alias("__raw"))
            .collect()
        )
        parts.append(raw)
    raws = pl.concat(parts)
    return (
        rejected.join(raws, on=["extract", "source_file", "row_number"], how="left", maintain_order="left")
        .with_columns(pl.col("__raw").alias("raw")).drop("__raw")
    )


def read_config(path: Path, model) -> pl.DataFrame:
    """The selection configuration, parsed and validated; InputError naming the file, row and reasons."""
    from transforms.parse import ROW, model_dtypes
    from transforms.validate import schema_reasons

    dtypes = model_dtypes(model)
    lf = check_columns("selection configuration", path, list(dtypes))
    try:
        df = parse_frame(_lines(lf.select(list(dtypes)), path), dtypes).collect().with_row_index(ROW).with_columns(
            pl.col(ROW).cast(pl.Int64)
        )
    except Exception as exc:
        raise InputError(f"{path}: cannot be read ({_first_line(exc)})") from None
    reasons = pl.concat([
        df.select(ROW, pl.col("__parse_errors").alias("reason")).explode("reason").drop_nulls(),
        schema_reasons(df, model),
    ]).join(df.select(ROW, LINE), on=ROW).sort(LINE, "reason")
    if reasons.height:
        line = reasons.get_column(LINE)[0]
        first = reasons.filter(pl.col(LINE) == line).get_column("reason").to_list()
        rest = reasons.filter(pl.col(LINE) != line).height
        more = f" (and {rest} more problem(s) in other rows)" if rest else ""
        raise InputError(f"{path}: row {line}: {'; '.join(first)}{more}")
    return df.select(list(dtypes))


def read_table_if_exists(db: Path, table: str) -> pl.DataFrame | None:
    """A table of the currently published database, or None (no database, or no such table)."""
    if not db.exists():
        return None
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            exists = con.sql(
                f"SELECT count(*) FROM information_schema.tables WHERE table_name = '{table}'"
            ).fetchall()[0][0]
            return con.sql(f"SELECT * FROM {table}").pl() if exists else None
    except duckdb.Error as exc:
        raise InputError(f"{db}: the published database cannot be read ({_first_line(exc)})") from None


def read_view(db: Path, name: str) -> pl.DataFrame:
    """A table or view of the published database, read-only."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(f'SELECT * FROM "{name}"').pl()


class Staging:
    """The next database, built in a temporary file beside the target; `finish` publishes it atomically.

    Tables can be appended to in parts (a partition of applications at a time), so the pipeline never holds every
    output at once. A run that fails or is killed before `finish` leaves the previous database intact (`abort`
    removes the temporary file); readers that have the old file open keep reading it.
    """

    def __init__(self, target: Path, run_id: str):
        self.target = Path(target)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.target.with_name(f".{self.target.name}.{run_id}.tmp")
        self._remove_tmp()
        self.con = duckdb.connect(str(self.tmp))
        self.created: set[str] = set()

    def append(self, tables: dict[str, pl.DataFrame]) -> None:
        for name, df in tables.items():
            self.con.register("__frame", df)
            if name in self.created:
                self.con.execute(f'INSERT INTO "{name}" SELECT * FROM __frame')
            else:
                self.con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM __frame')
                self.created.add(name)
            self.con.unregister("__frame")

    def finish(self, views: list[str]) -> None:
        try:
            for sql in views:
                self.con.execute(sql)
            self.con.execute("CHECKPOINT")
        finally:
            self.con.close()
        os.replace(self.tmp, self.target)
        self._remove_tmp()

    def abort(self) -> None:
        try:
            self.con.close()
        finally:
            self._remove_tmp()

    def _remove_tmp(self) -> None:
        for leftover in (self.tmp, self.tmp.with_name(self.tmp.name + ".wal")):
            if leftover.exists():
                leftover.unlink()


def publish(target: Path, tables: dict[str, pl.DataFrame], views: list[str], run_id: str) -> None:
    """Every table at once, published atomically (see Staging)."""
    staging = Staging(target, run_id)
    try:
        staging.append(tables)
        staging.finish(views)
    except BaseException:
        staging.abort()
        raise
