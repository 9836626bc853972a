"""Reading extracts and publishing the database. All file I/O of qcpilot is here (transforms stay pure)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from flows import extracts, interrupts
from flows.errors import InputError, StorageError
from transforms.parse import FILE, LINE, model_dtypes, parse_frame, parse_model
from transforms.sqlfiles import sql_text

BATCH_ROWS = int(os.environ.get("QCPILOT_BATCH_ROWS", "200000"))  # rows of a file parsed at a time


@dataclass(frozen=True)
class InputFile:
    """An input of a run as `runs.inputs` records it: its SHA-256, its rows, and its size and modification time (a
    file with the same path, size and time as the last run's is not hashed again by the no-op check)."""

    extract: str
    path: str
    sha256: str
    rows: int | None
    bytes: int = 0
    modified_ns: int = 0

    @classmethod
    def of(cls, extract: str, path: Path, rows: int | None) -> InputFile:
        st = Path(path).stat()
        return cls(extract, str(path), sha256(path), rows, st.st_size, st.st_mtime_ns)

    def record(self) -> dict:
        return {"extract": self.extract, "path": self.path, "sha256": self.sha256, "rows": self.rows,
                "bytes": self.bytes, "modified_ns": self.modified_ns}


def sha256(path: Path) -> str:
    """SHA-256 of a file, read every time it is asked for: a file changed in place keeps its size and its
    modification time if whoever changed it says so (contract: inputs are compared by SHA-256, nothing else)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def preflight(specs: dict[str, list[str]], models: dict) -> dict[str, list[Path]]:
    """Resolve every extract's files and check their header or schema, before any work starts (InputError)."""
    files = {extract: extracts.resolve(paths) for extract, paths in specs.items()}
    for extract, paths in files.items():
        for path in paths:
            extracts.open_file(extract, path, model_dtypes(models[extract]))
    return files


def parsed_batches(extract: str, path: Path, model) -> Iterator[pl.DataFrame]:
    """One file of an extract, parsed to the contract's dtypes `BATCH_ROWS` rows at a time (with FILE, LINE and the
    parse errors of each row). InputError naming the file (and the column or line) when it cannot be read as the
    contract says."""
    f = extracts.open_file(extract, path, model_dtypes(model))
    for batch in extracts.batches(f, BATCH_ROWS):
        yield parse_model(batch.lazy(), model).collect()


def read_extract(extract: str, files: list[Path], model) -> tuple[pl.DataFrame, list[InputFile]]:
    """All files of one extract, parsed, in memory (for small extracts and tests; a run spills them instead)."""
    frames, inputs = [], []
    for path in files:
        parts = list(parsed_batches(extract, path, model))
        frames.extend(parts)
        inputs.append(InputFile.of(extract, path, sum(p.height for p in parts)))
    if not frames:
        dtypes = model_dtypes(model)
        frames.append(parse_model(pl.DataFrame(schema={**{c: pl.String for c in dtypes}, LINE: pl.Int64,
                                                       FILE: pl.String}).lazy(), model).collect())
    return pl.concat(frames, how="vertical"), inputs


def attach_raw(rejected: pl.DataFrame, models: dict) -> pl.DataFrame:
    """Fill `raw` (the row as read, JSON of its text values) for rejected rows, reading only the files that have
    rejected rows again, and only those rows."""
    if rejected.height == 0:
        return rejected
    parts = []
    for (extract, path), rows in rejected.group_by("extract", "source_file", maintain_order=True):
        wanted = rows.select(pl.col("row_number").alias(LINE))
        dtypes = model_dtypes(models[extract])
        f = extracts.open_file(extract, Path(path), dtypes)
        for batch in extracts.batches(f, BATCH_ROWS):
            parts.append(
                batch.join(wanted, on=LINE, how="semi")
                .select(pl.lit(extract).alias("extract"), pl.lit(path).alias("source_file"),
                        pl.col(LINE).alias("row_number"),
                        pl.struct([pl.col(c).cast(pl.String) for c in dtypes]).struct.json_encode().alias("__raw"))
            )
    raws = pl.concat(parts)
    return (
        rejected.join(raws, on=["extract", "source_file", "row_number"], how="left", maintain_order="left")
        .with_columns(pl.col("__raw").alias("raw")).drop("__raw")
    )


def read_config(path: Path, model) -> pl.DataFrame:
    """The selection configuration, parsed and validated; InputError naming the file, row and reasons."""
    from transforms.parse import ROW
    from transforms.validate import schema_reasons

    dtypes = model_dtypes(model)
    if Path(path).is_dir():
        raise InputError(f"{path}: is a folder; --config names the configuration's CSV file")
    f = extracts.open_file("selection configuration", path, dtypes)
    batch = pl.concat(list(extracts.batches(f, BATCH_ROWS)) or [pl.DataFrame(schema={**f.source, LINE: pl.Int64,
                                                                                      FILE: pl.String})])
    df = parse_frame(batch.lazy(), dtypes).collect().with_row_index(ROW).with_columns(pl.col(ROW).cast(pl.Int64))
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
    config = df.select(list(dtypes))
    if config.filter(pl.col("kind") == "window").height == 0:
        raise InputError(f"{path}: no intake window at all: every application would be decided outside_intake, "
                         "for good")
    return config


def read_table(db: Path, table: str) -> pl.DataFrame | None:
    """A table of the published database (layout already checked), or None when there is no database."""
    if not Path(db).exists():
        return None
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(f'SELECT * FROM "{table}"').pl()


def read_view(db: Path, name: str) -> pl.DataFrame:
    """A table or view of the published database, read-only."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(f'SELECT * FROM "{name}"').pl()


_STORAGE_REASONS = {
    "no space left": "no space left on the device",
    "disk full": "no space left on the device",
    "read-only file system": "the file system is read-only",
    "permission denied": "permission denied",
    "file too large": "the file grew beyond this system's file size limit",
    # DuckDB's temporary files beside the database may take at most 90 % of the free space: when they cannot grow,
    # it says it failed to offload a block (memory is not what ran out)
    "failed to offload": "no space left on the device for DuckDB's temporary files",
}


def storage_error(exc: BaseException, path: Path) -> StorageError:
    """A one-line StorageError for a failed write (the operating system's reason, never a library's text)."""
    text = (getattr(exc, "strerror", None) or str(exc)).lower()
    reason = next((say for needle, say in _STORAGE_REASONS.items() if needle in text), "an input/output error")
    return StorageError(f"{path}: cannot write the next database ({reason}); nothing was published")


def is_storage_failure(exc: BaseException) -> bool:
    """A write that failed for lack of room or rights (DuckDB may report it late, as a failed commit)."""
    text = (getattr(exc, "strerror", None) or str(exc)).lower()
    return isinstance(exc, OSError | duckdb.IOException) or any(needle in text for needle in _STORAGE_REASONS)


def is_duckdb_file(path: Path) -> bool:
    """Whether `path` is a DuckDB database file (its header says "DUCK" at byte 8)."""
    try:
        with open(path, "rb") as f:
            return f.read(12)[8:12] == b"DUCK"
    except OSError:
        return False


SCRATCH = "__qcpilot_scratch"  # the attached database of a run's own tables (no file is named so)


def staging_name(target: Path, run_id: str, kind: str = "tmp") -> Path:
    return Path(target).with_name(f".{Path(target).name}.{run_id}.{kind}")


def remove_stale_staging(target: Path) -> list[Path]:
    """Remove what killed runs left beside `target`: only names of the staging pattern `.NAME.RUNID.tmp[.wal]` (the
    staging database), `.NAME.RUNID.tmp.scratch[.wal]` (the run's own tables), `.NAME.RUNID.tmp.spill` (DuckDB's
    temporary files) and `.NAME.RUNID.spill` (the run's spill folder), RUNID being 12 hexadecimal digits. Call it while holding the target's lock, so no live run's files
    match."""
    pattern = re.compile(rf"^\.{re.escape(Path(target).name)}\.[0-9a-f]{{12}}\.(tmp|tmp\.wal|tmp\.spill|tmp\.scratch|tmp\.scratch\.wal|spill)$")
    removed = []
    folder = Path(target).parent
    if folder.is_dir():
        for leftover in folder.iterdir():
            if not pattern.match(leftover.name):
                continue
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
            elif leftover.is_file():
                leftover.unlink(missing_ok=True)
            removed.append(leftover)
    return removed


@contextlib.contextmanager
def permissions_of(target: Path):
    """Within: every file created (the spill, the staging database, the next database) is readable by no more than
    who may read `target` now (it holds personal data); folders stay traversable by their owner. Without a target
    yet, the process's own umask stands."""
    if not Path(target).is_file():
        yield
        return
    previous = os.umask(0o666 & ~(Path(target).stat().st_mode & 0o666))
    try:
        yield
    finally:
        os.umask(previous)


class Staging:
    """The next database, built in a temporary file beside the target; `finish` publishes it atomically.

    Tables can be appended to in parts (a partition of applications at a time), so the pipeline never holds every
    output at once. A run that fails or is killed before `finish` leaves the previous database intact (`abort`
    removes the temporary file, and the next run on the target removes what a killed run left); readers that have
    the old file open keep reading it. A failed write is a StorageError naming the folder and the reason.
    """

    def __init__(self, target: Path, run_id: str, mode_of: Path | None = None):
        self.target = Path(target)
        self.mode_of = Path(mode_of) if mode_of is not None else self.target  # whose permissions it takes
        self.tmp = staging_name(self.target, run_id)
        self.scratch = self.tmp.with_name(self.tmp.name + ".scratch")
        self.created: set[str] = set()
        self.con = None
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self._remove_tmp()
            # bounded memory (DuckDB spills what does not fit beside the staging file), no progress bar on a terminal
            self.con = duckdb.connect(str(self.tmp), config={
                "memory_limit": os.environ.get("QCPILOT_DUCKDB_MEMORY", "1536MB"),
                "temp_directory": str(staging_name(self.target, run_id, "tmp.spill")),
            })
            self.con.execute("SET enable_progress_bar = false")
            # the run's own tables (append(temp=True)) live in a scratch database of their own, removed with the
            # staging file: a database file never shrinks, so what is dropped before the publish would otherwise
            # leave its size behind; unqualified names find them (search_path)
            self.con.execute(f"ATTACH {sql_text(self.scratch)} AS {SCRATCH}")
            self.con.execute(f"SET search_path = 'main,{SCRATCH}.main'")
        except (OSError, duckdb.Error) as exc:
            self._remove_tmp()
            if not is_storage_failure(exc):
                raise
            raise storage_error(exc, self.tmp.parent) from None
        except BaseException:  # a signal while the file is being created
            self.abort()
            raise

    def append(self, tables: dict[str, pl.DataFrame], temp: bool = False) -> None:
        """Append each frame to its table (created by the first append). `temp`: tables of the run only, created in
        the scratch database (never published)."""
        try:
            for name, df in tables.items():
                self.con.register("__frame", df)
                if name in self.created:
                    self.con.execute(f'INSERT INTO "{name}" SELECT * FROM __frame')
                else:
                    where = f"{SCRATCH}.main." if temp else ""
                    self.con.execute(f'CREATE TABLE {where}"{name}" AS SELECT * FROM __frame')
                    self.created.add(name)
                self.con.unregister("__frame")
        except (OSError, duckdb.Error) as exc:
            if not is_storage_failure(exc):
                raise
            raise storage_error(exc, self.tmp.parent) from None

    def finish(self, views: list[str], before_swap=None) -> None:
        """Create the views, checkpoint, close; then `before_swap()` (which may refuse), then the atomic rename."""
        try:
            try:
                for sql in views:
                    self.con.execute(sql)
                self.con.execute(f"DETACH {SCRATCH}")
                self.con.execute("CHECKPOINT")
            finally:
                self.con.close()
            if before_swap is not None:
                before_swap()
            old = self.mode_of.stat() if self.mode_of.exists() else None
            with interrupts.deferred():  # a signal now is delivered after the swap, never between it and its report
                if old is not None:  # the next database is readable by whom the last one was, no more, no less
                    os.chmod(self.tmp, old.st_mode & 0o777)
                    with contextlib.suppress(PermissionError):  # only root may give a file to another owner
                        os.chown(self.tmp, old.st_uid, old.st_gid)
                os.replace(self.tmp, self.target)
        except (OSError, duckdb.Error) as exc:
            if not is_storage_failure(exc):
                raise
            raise storage_error(exc, self.tmp.parent) from None
        self._remove_tmp()

    def abort(self) -> None:
        with interrupts.deferred():
            try:
                if self.con is not None:
                    self.con.close()
            except duckdb.Error:
                pass
            finally:
                self._remove_tmp()

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()  # nothing is published; the previous database stays as it was

    def _remove_tmp(self) -> None:
        for leftover in (self.tmp, self.tmp.with_name(self.tmp.name + ".wal"), self.scratch,
                         self.scratch.with_name(self.scratch.name + ".wal")):
            leftover.unlink(missing_ok=True)
        shutil.rmtree(self.tmp.with_name(self.tmp.name + ".spill"), ignore_errors=True)


def publish(target: Path, tables: dict[str, pl.DataFrame], views: list[str], run_id: str) -> None:
    """Every table at once, published atomically (see Staging)."""
    with Staging(target, run_id) as staging:
        staging.append(tables)
        staging.finish(views)
