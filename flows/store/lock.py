"""One writer per database: an exclusive lock on the target, held from reading the previous ledger to the publish.

The lock is `filelock.FileLock` (an OS lock, `flock`, on `.NAME.lock` beside the database): the operating system
releases it when the holding process ends, so a killed run never leaves the database locked. It is re-entrant
within a process (one instance per path), so `qcpilot run` can take it before the no-op check and the flow can take
it again for the scheduled deployment, which has no CLI around it. Readers never take it: publishing is an atomic
rename, and they keep reading the file they opened.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from flows.runtime.errors import DatabaseBusy, StorageError


def lock_path(db: Path) -> Path:
    return Path(db).with_name(f".{Path(db).name}.lock")


@contextlib.contextmanager
def exclusive(db: Path, wait: float = 0.0, hint: str = " or pass --wait SECONDS") -> Iterator[None]:
    """Hold the write lock of `db`; wait up to `wait` seconds for another run to finish, else DatabaseBusy."""
    path = lock_path(db)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"{path.parent}: cannot create the database folder ({exc.strerror})") from None
    # is_singleton: one lock object per path in this process, so taking it twice (CLI, then the flow) is re-entrant;
    # preserve_lock_file: deleting the lock file on release would let a waiting run lock a file another just removed
    lock = FileLock(path, is_singleton=True, thread_local=False, preserve_lock_file=True)
    try:
        lock.acquire(timeout=max(wait, 0.0))
    except Timeout:
        waited = f" after waiting {wait:g} s" if wait > 0 else ""
        raise DatabaseBusy(f"{db}: another qcpilot run is writing this database{waited} (lock {path.name}); "
                           f"this run did nothing, try again when it has finished{hint}") from None
    except OSError as exc:
        raise StorageError(f"{path}: cannot take the write lock ({exc.strerror})") from None
    _inode.setdefault(str(path), os.stat(path).st_ino)
    try:
        yield
    finally:
        lock.release()
        if not lock.is_locked:
            _inode.pop(str(path), None)


_inode: dict[str, int] = {}  # lock file -> the inode this process locked


def still_held(db: Path) -> bool:
    """True while the lock file this process locked is still the one at its path: a lock file removed during a
    run (a "stale lock" cleanup) would let a second run lock a new file and write at the same time."""
    path = lock_path(db)
    try:
        return _inode.get(str(path)) == os.stat(path).st_ino
    except FileNotFoundError:
        return False
