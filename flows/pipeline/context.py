"""What one run is asked to do (a typed context instead of long parameter lists), and the cheap no-op check.

Nothing here imports Prefect: `qcpilot run` answers a run with nothing new before Prefect starts.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flows.ingest.files import SUPPORTED, resolve, sha256
from flows.rulebook import parameters_path
from flows.runtime.errors import InputError
from flows.store import database, layout
from flows.store.layout import CURRENT, Target
from schemas.enums import EXTRACTS, MAX_REJECTED_PERCENT

if TYPE_CHECKING:  # a run with nothing new is answered without the readers, the contracts and the rule book
    import polars as pl

    from transforms.parameters import Parameters

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class RunContext:
    """The inputs and target of one run."""

    specs: dict[str, list[str]]  # extract -> files, directories or globs
    db: Path
    config: Path
    data_dir: Path
    force: bool = False
    wait: float = 0.0  # seconds to wait for another run holding the database
    max_rejected: float = MAX_REJECTED_PERCENT  # percent of an extract's rows
    processed: Path | None = None  # the nightly inbox's archive: a published run's files are moved to RUN_ID/ in it
    report: str | None = None  # the HTML report a published run writes ("{run_id}" in it is the run's id)
    _files: dict = field(default_factory=dict, compare=False, repr=False)
    _fingerprint: set = field(default_factory=set, compare=False, repr=False)

    def files(self) -> dict[str, list[Path]]:
        if not self._files:
            self._files.update({e: resolve(self.specs[e]) for e in EXTRACTS})
        return self._files

    def delivered(self) -> bool:
        """Whether every extract has a file (a nightly inbox that the last published run emptied has none)."""
        return all(any(True for spec in self.specs[e] for _ in _listed(Path(spec))) for e in EXTRACTS)

    def parameters_file(self) -> Path:
        """The rule book's legal values (data/rulebook/parameters.yaml): a change there changes decisions too."""
        return parameters_path(self.data_dir)

    def reference_files(self) -> list[Path]:
        """The reference data the rules read (data/reference/): a change there changes decisions too."""
        return [f for kind, f in deciding_files(self.data_dir) if kind == "reference"]

    def fingerprint(self) -> set[tuple[str, str]]:
        """(extract, sha256) of every input file, of the configuration, of the legal values and of the reference
        files, each read in full (a file changed in place may keep its size and modification time). Read once per
        context, as its files are resolved once: `qcpilot run` asks for it twice before the flow starts (the no-op's
        answer, then `prepare`'s), and at 10M the inputs are 401 MB: hashed on every core (hashlib lets go of the
        GIL while it hashes a block): the 84 files of the 10M set in 0.18 s on two cores, 0.43 s one after another."""
        if not self._fingerprint:
            files = [(e, f) for e, fs in self.files().items() for f in fs] + [
                ("config", self.config), ("parameters", self.parameters_file()),
                *(("reference", f) for f in self.reference_files())]
            pool = ThreadPoolExecutor(os.cpu_count() or 1)
            try:
                digests = list(pool.map(sha256, (f for _, f in files)))  # all or none: a failure keeps nothing
            finally:  # a failure or a signal waits for the files being hashed, not for those not started
                pool.shutdown(cancel_futures=True)
            self._fingerprint.update(zip((kind for kind, _ in files), digests, strict=True))
        return set(self._fingerprint)


def _listed(spec: Path):
    """The CSV and Parquet files below a folder (or the file itself)."""
    if spec.is_dir():
        return (f for f in spec.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED)
    return iter([spec] if spec.is_file() else [])


def engine_version(parameters_file: Path | None = None) -> str:
    """Fingerprint of what decides: the code (transforms/ and schemas/) and the legal values (the parameters file):
    any change to a rule or to a value it reads changes it, so runs.engine_changed and the ledger's engine_version
    say when the law the decisions were taken under moved."""
    h = hashlib.sha256()
    if parameters_file is not None:
        h.update(Path(parameters_file).read_bytes())
    return _tree_digest(h)


def _tree_digest(h) -> str:
    for root in (ROOT / "transforms", ROOT / "schemas"):
        for f in sorted(root.rglob("*")):
            if f.suffix in (".py", ".sql"):
                h.update(f.relative_to(ROOT).as_posix().encode())
                h.update(f.read_bytes())
    return h.hexdigest()[:16]


def code_version() -> str:
    """Fingerprint of the engine alone (the code of transforms/ and schemas/): decision_review's engine cause."""
    return _tree_digest(hashlib.sha256())


def law_version(data_dir: Path) -> str:
    """Fingerprint of the law and the facts the rules read (the legal values and the reference files): what
    decision_review compares besides the rule book's own values."""
    h = hashlib.sha256()
    for kind, f in deciding_files(data_dir):
        h.update(kind.encode())
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def versions(data_dir: Path, rulebook_id: str) -> dict[str, str]:
    """The versions a run records beside engine_version: the code, the law, the rule book it read."""
    return {"code_version": code_version(), "law_version": law_version(data_dir), "rulebook_id": rulebook_id}


def unchanged(target: Target, ctx: RunContext, version: str) -> str | None:
    """The id of the latest run when this one would change nothing: same input files, configuration, rules and
    layout. None when there is something to do."""
    last = target.last_run
    if ctx.force or last is None or target.layout != CURRENT or last["engine_version"] != version \
            or last["inputs"] is None:
        return None
    before = {(i["extract"], i["sha256"]) for i in last["inputs"]}
    return last["run_id"] if before == ctx.fingerprint() else None


def nothing_new(ctx: RunContext) -> str | None:
    """The id of the latest run when this one has nothing new to do, said from what that answer needs only: the
    target's layout and last run, the engine's fingerprint and the SHA-256 of every input (the same files the last
    run read and checked: their headers, the configuration and the legal values were good then), the analysts'
    database beside, and the ledger as it was sealed (an InputError when it is not). None when there may be something
    to do: `prepare` then checks everything, as a run does. The nightly inbox is left to `prepare`."""
    if ctx.force or ctx.processed is not None:
        return None
    # a configuration or legal values that are not a readable file are named by `prepare`'s checks, not hashed here
    if not all(Path(f).is_file() for f in (ctx.config, ctx.parameters_file())):
        return None
    target = layout.inspect(ctx.db)
    try:
        last_run = unchanged(target, ctx, engine_version(ctx.parameters_file()))
    except OSError:
        return None
    if last_run is None or not database.analytics_target(ctx.db).is_file():
        return None
    layout.check_sealed(target)
    return last_run


@dataclass(frozen=True)
class Prepared:
    """What a run has checked before it reads any row: the configuration, the legal values, the target database
    (layout, last run) and the engine's version; `nothing_new` says why there is nothing to do (None: there is)."""

    selection_config: pl.DataFrame
    parameters: Parameters
    target: Target
    version: str
    nothing_new: str | None = None
    last_run: str | None = None  # the run a no-op is the same as


def prepare(ctx: RunContext, headers: bool = False, sealed: bool = False) -> Prepared:
    """The checks every run makes before it reads a row, in one place: `qcpilot run` before Prefect starts
    (`headers`: each file's columns too), the flow again once it holds the lock (`sealed`: the ledger as it was
    sealed, before it is read). A problem is an InputError (one line, exit 2)."""
    from flows.ingest import reading
    from flows.rulebook.parameters import load
    from schemas import MODELS
    from schemas.config import SelectionConfig

    target = layout.inspect(ctx.db)
    if sealed:
        layout.check_sealed(target)
    if headers:
        reading.preflight(ctx.specs, MODELS)
    config = reading.read_config(ctx.config, SelectionConfig)
    parameters = load(ctx.parameters_file())
    version = engine_version(ctx.parameters_file())
    found = Prepared(config, parameters, target, version)
    if ctx.processed is not None and not ctx.delivered():  # the nightly inbox: no delivery tonight
        return dataclasses.replace(found, nothing_new="the inbox holds no delivery of every extract")
    last_run = unchanged(target, ctx, version)
    # the analysts' database beside it is published by the same run: missing (removed, or never written because its
    # place was taken), the run is not a no-op, so it is made again
    if last_run is not None and database.analytics_target(ctx.db).is_file():
        return dataclasses.replace(found, nothing_new="same inputs, configuration and rules", last_run=last_run)
    return found


def recorded_extracts(baseline_db: Path, data_dir: Path) -> tuple[str, dict[str, list[str]], str | None]:
    """(run id, the extract files, the configuration file) recorded for the last run of `baseline_db`, each checked
    against its recorded SHA-256, and so are the legal values and the reference data that run read (the baseline is
    decided again with today's): a file changed or gone is an InputError, never a silent difference."""
    target = layout.inspect(baseline_db, writing=False)
    if target.last_run is None:
        raise InputError(f"{baseline_db}: no run recorded; give the extracts (--applications, --experience, --wages)")
    specs: dict[str, list[str]] = {e: [] for e in EXTRACTS}
    config = None
    for item in target.last_run["inputs"]:
        kind, path = item["extract"], Path(item["path"])
        if kind not in (*EXTRACTS, "config"):
            continue
        what = "is gone" if not path.is_file() else (
            f"changed since run {target.last_run['run_id']} recorded it in {baseline_db} (SHA-256 differs)"
            if sha256(path) != item["sha256"] else None)
        if what:
            raise InputError(f"{path}: {what}; give the extracts explicitly")
        if kind == "config":
            config = str(path)
        elif kind in EXTRACTS:
            specs[kind].append(str(path))
    # the baseline is decided again with today's legal values and reference data: they must be the ones the
    # published run read, or the baseline would not be the published decisions
    recorded = {(i["extract"], i["sha256"]) for i in target.last_run["inputs"]
                if i["extract"] in ("parameters", "reference")}
    for kind, path in deciding_files(data_dir):
        if any(k == kind for k, _ in recorded) and (kind, sha256(path)) not in recorded:
            raise InputError(f"{path}: not the file run {target.last_run['run_id']} of {baseline_db} read (SHA-256 "
                             "differs): the baseline decided today would not be the published decisions; publish a "
                             "run with it first (qcpilot run), or give the extracts explicitly")
    missing = [e for e, files in specs.items() if not files]
    if missing:
        raise InputError(f"{baseline_db}: run {target.last_run['run_id']} recorded no {', '.join(missing)} file")
    return target.last_run["run_id"], specs, config


def deciding_files(data_dir: Path) -> list[tuple[str, Path]]:
    """The files besides the extracts and the configuration that decide: (kind, path) of the legal values and of
    each reference file of a data directory."""
    return [("parameters", parameters_path(data_dir)),
            *[("reference", f) for f in sorted((Path(data_dir) / "reference").glob("*.csv"))]]
