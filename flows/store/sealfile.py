"""The record, beside a published database, of the very file its last run published and sealed (`NAME.duckdb.seal`).

A run checks the ledger's seal before it reads it (flows/store/layout.check_sealed): the digests of every carried
table, each row's values hashed, and the ledger's invariants: 52 s at 10M applications, and most of a run with
nothing new. What that check shows is that nothing changed the ledger since the last publish sealed it; when the
file is still the very one that publish wrote, nothing can have. So the publish records, right after its swap, which
file it wrote: its device, inode and size, its modification and change times to the nanosecond (a change time cannot
be set back: writing the file, or setting its modification time back, moves it), and the SHA-256 of DuckDB's headers
(its first 12 KiB: every checkpoint writes a new header, its iteration counted up). When the target is that file
(the record names the last run of its `runs`, its layout, every one of those values, and no write-ahead log is
beside it), nothing has written it since it was sealed, and the check is not made again; any difference, or no
record, or one that cannot be read, and the whole check is made, as before; when it finds the ledger as sealed, the
file is recorded again as it was when the check began (if it still is). The record holds no row of the database;
like the seal in `qcpilot_meta`, it guards against a ledger changed outside qcpilot, not against someone who
rewrites both.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from pathlib import Path

HEADERS = 3 * 4096  # DuckDB's file header and its two database headers (one per checkpoint, alternately)
_MAX_RECORD = 4096


def record_path(db: Path) -> Path:
    return Path(db).with_name(Path(db).name + ".seal")


def file_identity(db: Path) -> dict | None:
    """Which file `db` is, as far as anything that writes it shows (see the module); None when it cannot be read."""
    try:
        fd = os.open(db, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        headers = f.read(HEADERS)
    return {"device": st.st_dev, "inode": st.st_ino, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
            "ctime_ns": st.st_ctime_ns, "headers_sha256": hashlib.sha256(headers).hexdigest()}


def record(db: Path, run_id: str, layout: int, *, as_closed: dict | None = None,
           unchanged_since: dict | None = None) -> None:
    """After the publish's swap (holding the lock): which file the run published, if it is still the file as the run
    closed it (`as_closed`: its identity then; the rename and the permissions move only its change time); or,
    `unchanged_since` the identity the file had when a run began checking its whole seal and found it true, that same
    file, if it still is (one write outside a run then costs one whole check, not one per run). Anything that wrote
    it in between, and no record is written: the next run checks the whole seal and refuses what changed. Written
    beside it through a new file renamed over the old record (never through a link), readable by no one who may not
    read the database (its owner and group, or its owner only); a record that cannot be written is no record."""
    now = file_identity(db)
    if now is None or (unchanged_since is not None and now != unchanged_since) or (
            as_closed is not None and _content(now) != _content(as_closed)):
        with contextlib.suppress(OSError):
            record_path(db).unlink(missing_ok=True)
        return
    path = record_path(db)
    tmp = Path(db).with_name(f".{Path(db).name}.{run_id}.tmp.seal")  # a killed run's is removed with its staging
    text = json.dumps({"run_id": run_id, "layout": layout, "file": now})
    try:
        st = Path(db).stat()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as f:
            try:
                os.fchown(f.fileno(), st.st_uid, st.st_gid)
                os.fchmod(f.fileno(), st.st_mode & 0o666)
            except PermissionError:  # not its group: readable by its owner only
                os.fchmod(f.fileno(), st.st_mode & 0o600)
            f.write(text)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def _content(identity: dict) -> dict:
    """What a file's identity says of its content and place (all but its change time)."""
    return {k: v for k, v in identity.items() if k != "ctime_ns"}


def as_sealed(db: Path, run_id: str, layout: int) -> bool:
    """Whether `db` is the very file run `run_id` published in `layout` and sealed, unwritten since (see the
    module)."""
    if Path(db).with_name(Path(db).name + ".wal").exists():
        return False
    try:
        fd = os.open(record_path(db), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return False
            text = f.read(_MAX_RECORD + 1)
        found = json.loads(text) if len(text) <= _MAX_RECORD else None
    except (OSError, ValueError, RecursionError):  # not a record a run wrote
        return False
    now = file_identity(db)
    return now is not None and found == {"run_id": run_id, "layout": layout, "file": now}
