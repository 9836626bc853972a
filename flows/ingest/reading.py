"""Reading the input files of a run: their fingerprint (InputFile), the cheap checks before a run starts
(preflight), parsed batches of an extract, the raw text of rejected rows, the selection configuration."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa

from flows.ingest import extracts
from flows.ingest.files import resolve, sha256
from flows.runtime.errors import InputError
from transforms.parse import FILE, LINE, model_dtypes, parse_frame, parse_model

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


def preflight(specs: dict[str, list[str]], models: dict) -> dict[str, list[Path]]:
    """Resolve every extract's files and check their header or schema, before any work starts (InputError)."""
    files = {extract: resolve(paths) for extract, paths in specs.items()}
    for extract, paths in files.items():
        for path in paths:
            extracts.open_file(extract, path, model_dtypes(models[extract]))
    return files


def raw_batches(extract: str, path: Path, model, arrow: bool = False) -> Iterator[pl.DataFrame | pa.Table]:
    """One file of an extract as stored, `BATCH_ROWS` rows at a time, with FILE and LINE (parse_model parses them).
    InputError naming the file (and the column or line) when it cannot be read as the contract says. `arrow`: a
    small Parquet file as an Arrow table (extracts.batches)."""
    f = extracts.open_file(extract, path, model_dtypes(model))
    yield from extracts.batches(f, BATCH_ROWS, arrow=arrow)


def parsed_batches(extract: str, path: Path, model) -> Iterator[pl.DataFrame]:
    """One file of an extract, parsed to the contract's dtypes `BATCH_ROWS` rows at a time (with FILE, LINE and the
    parse errors of each row). InputError naming the file (and the column or line) when it cannot be read as the
    contract says."""
    for batch in raw_batches(extract, path, model):
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


