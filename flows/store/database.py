"""The published database: reading its tables, staging the next one, the atomic publish, the permissions it
keeps, and the one-line reasons of a storage failure (a full disk, a read-only folder)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from flows.runtime import interrupts
from flows.runtime.errors import StorageError
from flows.store import sealfile

if TYPE_CHECKING:  # frames are only passed through here (DuckDB makes them): `explain` opens a database without polars
    import polars as pl


def read_table(db: Path, table: str) -> pl.DataFrame | None:
    """A table of the published database (layout already checked), or None when there is no database."""
    if not Path(db).exists():
        return None
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(f'SELECT * FROM "{table}"').pl()


def read_view(db: Path, name: str, config: dict | None = None) -> pl.DataFrame:
    """A table or view of the published database, read-only (`config`: a run's, bounded: run_config)."""
    with duckdb.connect(str(db), read_only=True, config=config or {}) as con:
        return con.sql(f'SELECT * FROM "{name}"').pl()


def memory_limit() -> str:
    """What DuckDB may hold in memory in a run's connections (QCPILOT_DUCKDB_MEMORY, 1536 MB by default); what does
    not fit is spilled to temporary files."""
    return os.environ.get("QCPILOT_DUCKDB_MEMORY", "1536MB")


def run_config(db: Path, run_id: str) -> dict:
    """DuckDB's configuration of a run's connection to `db` (the staging database, or the published one read after
    the publish): memory bounded, spilling beside `db` under the staging pattern a later run's cleanup removes."""
    return {"memory_limit": memory_limit(), "temp_directory": str(staging_name(db, run_id, "tmp.spill"))}


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


@contextlib.contextmanager
def storage_said(folder: Path, also: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """Within: DuckDB's (or the operating system's, with `also=(OSError,)`) report of a full disk or a read-only
    folder, whatever statement it comes from, is a StorageError naming `folder`; any other error passes as it is."""
    try:
        yield
    except (duckdb.Error, *also) as exc:
        if not is_storage_failure(exc):
            raise
        raise storage_error(exc, folder) from None


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


def analytics_target(db: Path) -> Path:
    """Where the analysts' database of `db` is published (flows/store/analytics.py): `NAME-analytics.duckdb` beside
    `NAME.duckdb`."""
    db = Path(db)
    return db.with_name(f"{db.stem}-analytics{db.suffix or '.duckdb'}")


def remove_stale_staging(target: Path) -> list[Path]:
    """Remove what killed runs left beside `target`: only names of the staging pattern `.NAME.RUNID.tmp[.wal]` (the
    staging database), `.NAME.RUNID.tmp.scratch[.wal]` (the run's own tables), `.NAME.RUNID.tmp.spill` (DuckDB's
    temporary files), `.NAME.RUNID.tmp.seal` (the record of the file published: flows/store/sealfile.py) and
    `.NAME.RUNID.spill` (the run's spill folder), RUNID being 12 hexadecimal digits. Call it
    while holding the target's lock, so no live run's files match. The same beside its analysts' database."""
    names = "|".join(re.escape(Path(t).name) for t in (target, analytics_target(target)))
    pattern = re.compile(rf"^\.({names})\.[0-9a-f]{{12}}\."
                         r"(tmp|tmp\.wal|tmp\.spill|tmp\.scratch|tmp\.scratch\.wal|tmp\.seal|spill)$")
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
    who may read `target` now (it holds personal data), or, without a target yet, than the database it will be
    (new_database_mode); folders stay traversable by their owner."""
    mode = Path(target).stat().st_mode if Path(target).is_file() else new_database_mode(target)
    previous = os.umask(0o666 & ~(mode & 0o666))
    try:
        yield
    finally:
        os.umask(previous)


def new_database_mode(target: Path) -> int:
    """The mode of a database published where none was: owner-only (0600: it holds every applicant's identity),
    unless its folder says otherwise: in a folder shared with its group (set-group-ID, as shared folders are set up),
    the group reads it too (0640)."""
    folder = Path(target).parent
    return 0o640 if folder.is_dir() and folder.stat().st_mode & stat.S_ISGID else 0o600


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
            self.con = duckdb.connect(str(self.tmp), config=run_config(self.target, run_id))
            self.con.execute("SET enable_progress_bar = false")
            # the run's own tables (append(temp=True)) live in a scratch database of their own, in memory, which
            # DuckDB spills to its temporary files beside the staging one past the memory limit: a database file
            # never shrinks, so what is dropped before the publish would otherwise leave its size behind, and
            # compressing them into a file cost four times what holding them does (a partition's evaluations at
            # 1M: 1.05 s against 0.23 s); unqualified names find them (search_path). `self.scratch` is only ever
            # removed: where earlier releases kept it, a killed run of theirs may have left it
            self.con.execute(f"ATTACH ':memory:' AS {SCRATCH}")
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
        with storage_said(self.tmp.parent, also=(OSError,)):
            for name, df in tables.items():
                self.con.register("__frame", df)
                if name in self.created:
                    self.con.execute(f'INSERT INTO "{name}" SELECT * FROM __frame')
                else:
                    where = f"{SCRATCH}.main." if temp else ""
                    self.con.execute(f'CREATE TABLE {where}"{name}" AS SELECT * FROM __frame')
                    self.created.add(name)
                self.con.unregister("__frame")

    def finish(self, views: list[str], before_swap=None, beside=None, after_swap=None) -> None:
        """Create the views, checkpoint, close; then `before_swap()` (which may refuse), then `beside(staged)`: the
        files published with this one, [(staging file, target, mode if new)] (the analysts' database), then the
        atomic renames, this database first, then `after_swap(closed)` (the record of the file published; `closed`:
        which file it was as it was closed, flows/store/sealfile.py)."""
        companions: list[tuple[Path, Path, int]] = []
        try:
            with storage_said(self.tmp.parent, also=(OSError,)):
                try:
                    for sql in views:
                        self.con.execute(sql)
                    self.con.execute(f"DETACH {SCRATCH}")
                    self.con.execute("CHECKPOINT")
                finally:
                    self.con.close()
                closed = sealfile.file_identity(self.tmp)  # the file as it was sealed and closed, before anyone else
                if before_swap is not None:
                    before_swap()
                if beside is not None:
                    companions = beside(self.tmp)
                old = self.mode_of.stat() if self.mode_of.exists() else None
                # a signal now is delivered after the swaps, never between them and their report
                with interrupts.deferred():
                    if old is not None:  # the next database is readable by whom the last one was, no more, no less
                        os.chmod(self.tmp, old.st_mode & 0o777)
                        with contextlib.suppress(PermissionError):  # only root may give a file to another owner
                            os.chown(self.tmp, old.st_uid, old.st_gid)
                    elif not self.target.exists():
                        os.chmod(self.tmp, new_database_mode(self.target))
                    os.replace(self.tmp, self.target)
                    for staged, target, mode in companions:
                        # readable by whom it was (mode, owner and group); a new one as its maker says
                        was = target.lstat() if target.is_file() and not target.is_symlink() else None
                        os.chmod(staged, was.st_mode & 0o777 if was else mode)
                        if was is not None:
                            with contextlib.suppress(PermissionError):
                                os.chown(staged, was.st_uid, was.st_gid)
                        os.replace(staged, target)
                    if after_swap is not None:
                        after_swap(closed)
        finally:
            for staged, _, _ in companions:
                staged.unlink(missing_ok=True)
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
