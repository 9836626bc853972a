"""Which files an extract names, and their SHA-256: what a run with nothing new reads, without the readers (polars,
pyarrow, pandera) that reading a row needs (flows/ingest/extracts.py, reading.py)."""

from __future__ import annotations

import glob
import hashlib
import os
import stat
from pathlib import Path

from flows.runtime.errors import InputError

CSV_SUFFIXES = {".csv"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
SUPPORTED = CSV_SUFFIXES | PARQUET_SUFFIXES


def resolve(specs: list[str]) -> list[Path]:
    """Files named by paths, directories (all CSV/Parquet files below) and globs, in a stable order."""
    out: list[Path] = []
    for spec in specs:
        if not spec.strip():  # Path("") is the current folder: an empty option would read everything below it
            raise InputError("an extract path is empty: name a file, a folder or a glob")
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
    """SHA-256 of a file, read every time it is asked for: a file changed in place keeps its size and its
    modification time if whoever changed it says so (contract: inputs are compared by SHA-256, nothing else).
    Opened without waiting: a FIFO or a device put in a file's place since the files were listed is refused, not
    waited on (a thread hashing it could not be stopped by a signal, and the run would hold its lock); a file gone or
    unreadable since is an InputError naming it, as is a file that is not a regular one."""
    h = hashlib.sha256()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:  # gone, or unreadable, since the files were listed: the file is named, exit 2
        raise InputError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InputError(f"{path}: not a regular file (replaced since the extract's files were listed)")
    with open(fd, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
