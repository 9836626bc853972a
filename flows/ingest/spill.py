"""Ingest in bounded batches: every file is read, parsed and validated a batch at a time, and its rows spilled to
Parquet in a run-scoped folder beside the staging database. Memory is bounded by a batch, not by the population.

Layout of the spill folder (`.NAME.RUNID.spill/`, removed on success, on failure and by the next run):

    kept/applications/b0007/p000003.parquet   valid rows of bucket 7 (hash of application_id), parsed batch 3
    kept/experience/b0007/...                  spells, bucketed by the same hash of their application_id
    kept/wages/p000000.parquet                 wage rows (not bucketed: every partition reads them all)
    keys/{extract}/...                         the key columns of every row read (cross-file checks)
    rejected/{extract}-p000003.parquet         rows rejected in their batch, with every reason

A parsed batch holds up to BATCH_ROWS rows of one file or of several (small files are parsed together).

A partition of applications is a bucket: its applications and all their spells, whatever files they came from.
The checks that span files (an application_id used twice, a spell whose application is missing or rejected, a wage
key used twice) run on the key columns only, in DuckDB (`cross_checks`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa

from flows.ingest import extracts, reading
from flows.runtime import interrupts
from flows.runtime.errors import InputError
from flows.store import database
from schemas import MODELS
from transforms.identity import with_keys
from transforms.parse import FILE, LINE, ROW, model_dtypes, parse_model
from transforms.sqlfiles import sql_files
from transforms.validate import (
    CROSS_CHECKS_SQL,
    KEYS,
    LEDGER_PROGRAMS,
    NO_LEDGER,
    REJECTED_COLUMNS_IN_BATCH,
    batch_reasons,
    keyed,
    split,
    statements,
)

BUCKETED = {"applications": "application_key", "experience": "application_key"}  # an application and its spells


@dataclass
class Spill:
    root: Path
    buckets: int
    read: dict[str, int] = field(default_factory=dict)  # rows read per extract
    files: list[reading.InputFile] = field(default_factory=list)

    @classmethod
    def beside(cls, target: Path, run_id: str, buckets: int) -> Spill:
        root = database.staging_name(target, run_id, "spill")
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        return cls(root, buckets)

    def remove(self) -> None:
        with interrupts.deferred():
            shutil.rmtree(self.root, ignore_errors=True)

    def kept(self, extract: str, bucket: int | None = None) -> list[Path]:
        """The spilled files of the rows kept of an extract (of one bucket): listed, never globbed by a reader,
        so that the folder's name is never read as a pattern."""
        folder = self.root / "kept" / extract
        if extract in BUCKETED:
            return sorted(folder.glob("*/*.parquet" if bucket is None else f"b{bucket:04d}/*.parquet"))
        return sorted(folder.glob("*.parquet"))



def buckets_for(files: list[Path], rows_per_partition: int) -> int:
    """How many partitions the applications need: their count (Parquet metadata, or CSV size at ~120 bytes a row)
    over the rows a partition may hold."""
    import pyarrow.parquet as pq

    rows = 0
    for f in files:
        if f.suffix.lower() in extracts.CSV_SUFFIXES:
            rows += f.stat().st_size // 120 + 1
        else:
            try:
                rows += pq.ParquetFile(f).metadata.num_rows
            except Exception:  # an unreadable file is refused when it is read
                rows += 1
    return max(1, math.ceil(rows / rows_per_partition))


def bucket_of(column: str, buckets: int) -> pl.Expr:
    """The partition of an application: a stable hash of its id (within a run), modulo the number of buckets."""
    return (pl.col(column).hash(seed=20261121) % buckets).cast(pl.Int32)


def ingest_extract(extract: str, files: list[Path], spill: Spill, as_of: dt.datetime,
                   on_batch: Callable[[int], None] | None = None) -> None:
    """Read, parse and validate every file of one extract a batch at a time, spilling as it goes.

    Raises InputError (file, line or column) when a file cannot be read as the contract says."""
    model = MODELS[extract]
    dtypes = model_dtypes(model)
    # an empty file of keys and of rejected rows gives every extract its columns, even one with no row at all
    empty = keyed(extract, parse_model(_empty_raw(dtypes).lazy(), model).collect())
    empty.select(*KEYS[extract], FILE, LINE).write_parquet(_mkdir(spill.root / "keys" / extract) / "empty.parquet")
    pl.DataFrame(schema=REJECTED_COLUMNS_IN_BATCH).write_parquet(
        _mkdir(spill.root / "rejected") / f"{extract}-empty.parquet")
    # Raw batches of several files are parsed and spilled together (many small files cost what one file does):
    # pending raw batches by their columns' types, parsed and written once they hold BATCH_ROWS rows in all; a small
    # Parquet file's as an Arrow table, all of them made one frame at once.
    pending: dict[tuple, list[pl.DataFrame | pa.Table]] = {}
    written = held = 0  # batches written; rows pending

    def flush(schema: tuple) -> None:
        nonlocal written, held
        raw = pending.pop(schema, [])
        if not raw:
            return
        held -= sum(len(b) for b in raw)
        whole = extracts.frame(raw) if isinstance(raw[0], pa.Table) else pl.concat(raw, how="vertical")
        typed = parse_model(whole.lazy(), model).collect()
        typed = keyed(extract, typed.with_row_index(ROW).with_columns(pl.col(ROW).cast(pl.Int64)))
        kept, rejected = split(typed, batch_reasons(extract, typed, as_of), extract)
        tag = f"p{written:06d}"
        written += 1
        _write_kept(extract, kept.drop(ROW), spill, tag)
        rejected.drop("raw").write_parquet(spill.root / "rejected" / f"{extract}-{tag}.parquet")
        typed.select(*KEYS[extract], FILE, LINE).write_parquet(
            _mkdir(spill.root / "keys" / extract) / f"{tag}.parquet")
        if on_batch:
            on_batch(typed.height)

    read = 0
    for path in files:
        rows = 0
        # the file as it is read: hashed first, and the same file (inode, size, time) once read; else the run stops
        # (a file replaced or still being written would be recorded, and archived, as what was decided)
        before, identity = reading.InputFile.of(extract, path, None), _identity(path)
        for raw in reading.raw_batches(extract, path, model, arrow=True):
            schema = ("arrow", raw.schema) if isinstance(raw, pa.Table) else tuple(raw.schema.items())
            pending.setdefault(schema, []).append(raw)
            rows += len(raw)
            held += len(raw)
            if held >= reading.BATCH_ROWS:
                for waiting in list(pending):
                    flush(waiting)
        if _identity(path) != identity:
            raise InputError(f"{path}: changed while it was read (replaced, or still being written); nothing was "
                             "published")
        spill.files.append(dataclasses.replace(before, rows=rows))
        read += rows
    for schema in list(pending):
        flush(schema)
    spill.read[extract] = read


def _identity(path: Path) -> tuple[int, int, int]:
    st = Path(path).stat()
    return st.st_ino, st.st_size, st.st_mtime_ns


def _empty_raw(dtypes: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema={**{c: pl.String for c in dtypes}, LINE: pl.Int64, FILE: pl.String})


def _mkdir(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


def _write_kept(extract: str, kept: pl.DataFrame, spill: Spill, tag: str) -> None:
    if kept.height == 0:
        return
    if extract not in BUCKETED:
        kept.write_parquet(_mkdir(spill.root / "kept" / extract) / f"{tag}.parquet", compression="lz4")
        return
    keyed = kept.with_columns(bucket_of(BUCKETED[extract], spill.buckets).alias("__bucket"))
    for (bucket,), part in keyed.partition_by("__bucket", as_dict=True, maintain_order=True).items():
        part.drop("__bucket").write_parquet(_mkdir(spill.root / "kept" / extract / f"b{bucket:04d}") / f"{tag}.parquet",
                                            compression="lz4")  # read once, removed at the end of the run


# -- the checks that span files, on the key columns only --------------------------------------------------------

def cross_checks(con: duckdb.DuckDBPyConnection, spill: Spill) -> None:
    """In `con`: `cross_rejected` (the rows a check across files rejects) and the view `rejected` (every rejected row
    with all its reasons), from the key columns of the spill (transforms/sql/cross_checks.sql)."""
    for extract in KEYS:
        keys = sql_files(list((spill.root / "keys" / extract).glob("*.parquet")))
        con.execute(f"CREATE OR REPLACE TEMP VIEW keys_{extract} AS "
                    f"SELECT * FROM read_parquet({keys}, union_by_name = true)")
    rejected = sql_files(list((spill.root / "rejected").glob("*.parquet")))
    con.execute(f"CREATE OR REPLACE TEMP VIEW rejected_in_batch AS "
                f"SELECT * FROM read_parquet({rejected}, union_by_name = true)")
    decided = con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = 'decisions'").fetchall()
    con.execute(f"CREATE OR REPLACE TEMP VIEW ledger_programs AS {LEDGER_PROGRAMS if decided else NO_LEDGER}")
    for sql in statements(CROSS_CHECKS_SQL):
        con.execute(sql)


def partition(spill: Spill, bucket: int, dropped: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The applications of one bucket and their spells, without the rows the checks across files rejected
    (`dropped`: extract, source_file, row_number)."""
    frames = []
    for extract in ("applications", "experience"):
        files = spill.kept(extract, bucket)
        if not files:
            frames.append(_empty(extract))
            continue
        gone = dropped.filter(pl.col("extract") == extract).select(FILE, LINE)
        frames.append(pl.scan_parquet(files, glob=False).join(gone.lazy(), on=[FILE, LINE], how="anti").collect())
    return frames[0], frames[1]


def wages(spill: Spill, dropped: pl.DataFrame) -> pl.DataFrame:
    files = spill.kept("wages")
    if not files:
        return _empty("wages")
    gone = dropped.filter(pl.col("extract") == "wages").select(FILE, LINE)
    return pl.scan_parquet(files, glob=False).join(gone.lazy(), on=[FILE, LINE], how="anti").collect()


def _empty(extract: str) -> pl.DataFrame:
    dtypes = model_dtypes(MODELS[extract])
    return with_keys(pl.DataFrame(schema={FILE: pl.String, LINE: pl.Int64, **dtypes}))


