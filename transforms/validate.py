"""Row-level validation: every reason a row breaks the contract, then the split into kept and rejected rows.

Pandera (polars backend) runs the models of `schemas/` with lazy=True so that every failed check of every row
is reported; its failure cases are turned into one readable reason per (row, column, check).
"""

from __future__ import annotations

import re

import pandera.polars as pa
import polars as pl

from transforms.parse import FILE, LINE, PARSE_ERRORS, ROW

REJECTED_COLUMNS = {
    "extract": pl.String,
    "source_file": pl.String,
    "row_number": pl.Int64,
    "application_id": pl.String,
    "reasons": pl.List(pl.String),
    "raw": pl.String,
}


def _check_text(check: str) -> str:
    """pandera's check name -> words an analyst reads."""
    if check == "not_nullable":
        return "required value is missing"
    if check.startswith("isin("):
        return "not one of " + check[len("isin("):-1]
    m = re.match(r"(greater_than_or_equal_to|less_than_or_equal_to|greater_than|less_than)\((.*)\)$", check)
    if m:
        op = {"greater_than_or_equal_to": ">=", "less_than_or_equal_to": "<=", "greater_than": ">", "less_than": "<"}
        return f"must be {op[m.group(1)]} {m.group(2)}"
    m = re.match(r"in_range\((.*), (.*)\)$", check)
    if m:
        return f"must be between {m.group(1)} and {m.group(2)}"
    if check.startswith("str_matches("):
        return "does not match the expected format " + check[len("str_matches("):-1]
    if check.startswith("str_length("):
        return "must not be empty"
    return check


def schema_reasons(df: pl.DataFrame, model) -> pl.DataFrame:
    """(ROW, reason) for every failed check of `model` on `df` (typed; ROW is the position of the row)."""
    columns = list(model.to_schema().columns)
    try:
        model.validate(df.select(columns), lazy=True)
        return pl.DataFrame(schema={ROW: pl.Int64, "reason": pl.String})
    except pa.errors.SchemaErrors as exc:
        fc = pl.DataFrame(exc.failure_cases) if not isinstance(exc.failure_cases, pl.DataFrame) else exc.failure_cases
    unlocated = fc.filter(pl.col("index").is_null())
    if unlocated.height:  # a dtype or column problem: the parser must have prevented it
        raise RuntimeError(f"schema error not tied to a row: {unlocated.select('column', 'check').rows()}")
    checks = fc.select("schema_context", "column", "check").unique()
    texts = {
        (ctx, col, chk): (f"{col}: {_check_text(chk)}" if ctx == "Column" else _frame_check_text(model, chk))
        for ctx, col, chk in checks.rows()  # one per distinct failed check, not per row
    }
    lookup = pl.DataFrame(
        [(c, col, chk, t) for (c, col, chk), t in texts.items()],
        schema=["schema_context", "column", "check", "reason"],
        orient="row",
    )
    return (
        fc.join(lookup, on=["schema_context", "column", "check"], how="left")
        .select(pl.col("index").cast(pl.Int64).alias(ROW), "reason")
        .unique()
    )


def _frame_check_text(model, check_name: str) -> str:
    """The `error=` text of a dataframe-level check, else its name."""
    for chk in model.to_schema().checks:
        if chk.name == check_name or chk.error == check_name:
            return chk.error or chk.name
    return check_name


def shared_keys(df: pl.DataFrame, keys: list[str], reason: str) -> pl.DataFrame:
    """(ROW, reason) for every row whose key is shared with another row of the extract (every such row is
    rejected: which of them is the real one cannot be known). Reads the key columns only."""
    k = df.select(ROW, *keys).drop_nulls(keys)
    return k.filter(pl.struct(keys).is_duplicated()).select(ROW, pl.lit(reason).alias("reason"))


def submitted_after(df: pl.DataFrame, as_of) -> pl.DataFrame:
    """(ROW, reason) for applications submitted after the run's own time: a date in the future is a typing error."""
    return df.filter(pl.col("submitted_at") > as_of).select(
        ROW, pl.lit("submitted_at is after the time of the run (a submission in the future)").alias("reason"))


def orphan_spells(spells: pl.DataFrame, apps_all: pl.DataFrame, apps_rejected_ids: pl.Series) -> pl.DataFrame:
    """(ROW, reason) for spells whose application does not exist, or exists only as rejected rows."""
    known = apps_all.select(pl.col("application_id").drop_nulls().unique())
    rejected = pl.DataFrame({"application_id": apps_rejected_ids.drop_nulls().unique()})
    valid = known.join(rejected, on="application_id", how="anti").with_columns(pl.lit(True).alias("__valid"))
    known = known.with_columns(pl.lit(True).alias("__known"))
    s = (
        spells.select(ROW, "application_id")
        .filter(pl.col("application_id").is_not_null())
        .join(known, on="application_id", how="left")
        .join(valid, on="application_id", how="left")
    )
    return s.filter(pl.col("__valid").is_null()).select(
        ROW,
        pl.when(pl.col("__known"))
        .then(pl.lit("application_id: the application was rejected"))
        .otherwise(pl.lit("application_id: no such application in the applications extract"))
        .alias("reason"),
    )


def split(df: pl.DataFrame, reasons: pl.DataFrame, extract: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(kept rows without helper columns but FILE/LINE, rejected_rows frame with every reason of each row).

    A value that could not be parsed has one reason; the checks that then fail on its null are not repeated.
    """
    parse = df.select(ROW, pl.col(PARSE_ERRORS).alias("reason")).explode("reason").drop_nulls("reason")
    parsed_cols = parse.select(ROW, pl.col("reason").str.extract(r"^([^:]+):").alias("__col"))
    other = reasons.with_columns(pl.col("reason").str.extract(r"^([^:]+):").alias("__col")).join(
        parsed_cols, on=[ROW, "__col"], how="anti"
    )
    all_reasons = (
        pl.concat([parse, other.select(ROW, "reason")])
        .unique()
        .sort(ROW, "reason")
        .group_by(ROW, maintain_order=True)
        .agg(pl.col("reason").alias("reasons"))
    )
    bad = df.join(all_reasons, on=ROW, how="inner").sort(ROW)
    rejected = bad.select(
        pl.lit(extract).alias("extract"),
        pl.col(FILE).alias("source_file"),
        pl.col(LINE).cast(pl.Int64).alias("row_number"),
        pl.col("application_id") if "application_id" in df.columns else pl.lit(None, pl.String).alias("application_id"),
        "reasons",
        pl.lit(None, pl.String).alias("raw"),  # filled from the file by flows.io.attach_raw
    )
    kept = df.filter(~pl.col(ROW).is_in(all_reasons.get_column(ROW).implode())).drop(PARSE_ERRORS)
    return kept, rejected
