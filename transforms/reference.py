"""The reference data of data/reference/ as the rules read it (provenance in data/reference/PROVENANCE.md).

Inside the engine's fingerprint: how a reference column is typed (a code read as a number would lose its leading
zeros) and what `in_cmm` means both decide applications. flows/ingest/reference.py only reads the files."""

from __future__ import annotations

import polars as pl

from transforms.context import References

FILES = {  # file -> the columns read as a given type (the others are inferred)
    "self_sufficiency_scale.csv": {"scale_year": pl.Int64, "adults": pl.Int64, "children_under_18": pl.Int64},
    "quebec_municipalities.csv": {"municipality_code": pl.String},
    "noc2021_unit_groups.csv": {"noc_code": pl.String, "teer": pl.Int64},
    "noc2016_to_noc2021_concordance.csv": {"noc2016_code": pl.String, "noc2021_code": pl.String},
}


def in_cmm(flag: pl.Expr) -> pl.Expr:
    """The municipality is in the Communauté métropolitaine de Montréal (art. 7 4° b): the file's true, any case."""
    return flag.cast(pl.String).str.to_lowercase().eq("true")


def references(read: dict[str, pl.DataFrame]) -> References:
    """The reference frames as read (file name -> frame) to what the rules read."""
    return References(
        scale=read["self_sufficiency_scale.csv"],
        municipalities=read["quebec_municipalities.csv"].with_columns(in_cmm(pl.col("in_cmm")).alias("in_cmm")),
        noc2021=read["noc2021_unit_groups.csv"],
        concordance=read["noc2016_to_noc2021_concordance.csv"],
    )
