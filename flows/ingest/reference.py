"""Reading the reference files of data/reference/ (provenance in data/reference/PROVENANCE.md); what they mean to the
rules is transforms/reference.py's."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from transforms.context import References
from transforms.reference import FILES, references


def load_references(data_dir: Path) -> References:
    folder = Path(data_dir) / "reference"
    return references({name: pl.read_csv(folder / name, schema_overrides=types, infer_schema_length=None)
                       for name, types in FILES.items()})
