"""Loading the reference files of data/reference/ (provenance in data/reference/PROVENANCE.md)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from transforms.features import References

_TEXT_CODES = {
    "noc2021_unit_groups.csv": {"noc_code": pl.String, "teer": pl.Int64},
    "noc2016_to_noc2021_concordance.csv": {"noc2016_code": pl.String, "noc2021_code": pl.String},
    "quebec_municipalities.csv": {"municipality_code": pl.String},
    "self_sufficiency_scale.csv": {"scale_year": pl.Int64, "adults": pl.Int64, "children_under_18": pl.Int64},
}


def _read(ref_dir: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(ref_dir / name, schema_overrides=_TEXT_CODES.get(name, {}), infer_schema_length=None)


def load_references(data_dir: Path) -> References:
    ref = Path(data_dir) / "reference"
    munis = _read(ref, "quebec_municipalities.csv").with_columns(
        pl.col("in_cmm").cast(pl.String).str.to_lowercase().eq("true").alias("in_cmm")
    )
    return References(
        scale=_read(ref, "self_sufficiency_scale.csv"),
        municipalities=munis,
        noc2021=_read(ref, "noc2021_unit_groups.csv"),
        concordance=_read(ref, "noc2016_to_noc2021_concordance.csv"),
    )
