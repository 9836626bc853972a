"""Row-level validation: every reason a row breaks the contract, then the split into kept and rejected rows.

Pandera (polars backend) runs the models of `schemas/` with lazy=True so that every failed check of every row
is reported; its failure cases are turned into one readable reason per (row, column, check).
"""

from __future__ import annotations

import re

import duckdb
import pandera.polars as pa
import polars as pl

from schemas import MODELS
from transforms.identity import application_key, person_key
from transforms.parse import FILE, LINE, PARSE_ERRORS, ROW
from transforms.sqlfiles import read, statements

CROSS_CHECKS_SQL = read("cross_checks.sql")
# the key columns of every row read, for the checks across rows and files (ids by their canonical form, and the
# content of the row: a row delivered twice alike is one row)
KEYS = {"applications": ["application_id", "application_key", "program", "stream", "content_hash"],
        "experience": ["application_id", "application_key", "content_hash"],
        "wages": ["noc_code", "region", "reference_year", "content_hash"]}

REJECTED_COLUMNS = {
    "extract": pl.String,
    "source_file": pl.String,
    "row_number": pl.Int64,
    "application_id": pl.String,
    "reasons": pl.List(pl.String),
    "raw": pl.String,
}
REJECTED_COLUMNS_IN_BATCH = {k: v for k, v in REJECTED_COLUMNS.items() if k != "raw"}
# the rows the checks across files take out of the evaluation: rejected, or repeating a row read before
DROPPED_SQL = ("SELECT extract, source_file, row_number FROM cross_rejected "
               "UNION ALL SELECT extract, source_file, row_number FROM repeated")
# where the ledger decided each application (sql/cross_checks.sql), for a run without a ledger
NO_LEDGER = "SELECT NULL::VARCHAR AS application_key, NULL::VARCHAR AS program, NULL::VARCHAR AS stream LIMIT 0"
LEDGER_PROGRAMS = "SELECT DISTINCT application_key, program, stream FROM decisions"


def keyed(extract: str, df: pl.DataFrame) -> pl.DataFrame:
    """The rows with their keys: the canonical form of the application id (and of the person id), and a hash of
    the row's contract values (within a run: two rows with the same hash are the same delivery)."""
    columns = list(MODELS[extract].to_schema().columns)
    keys = [pl.struct(columns).hash(seed=20261206).alias("content_hash")]
    if "application_id" in columns:
        keys.append(application_key(pl.col("application_id")).alias("application_key"))
    if "person_id" in columns:
        keys.append(person_key(pl.col("person_id")).alias("person_key"))
    return df.with_columns(keys)


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


def submitted_after(df: pl.DataFrame, as_of) -> pl.DataFrame:
    """(ROW, reason) for applications submitted after the run's own time: a date in the future is a typing error."""
    return df.filter(pl.col("submitted_at") > as_of).select(
        ROW, pl.lit("submitted_at is after the time of the run (a submission in the future)").alias("reason"))


def batch_reasons(extract: str, df: pl.DataFrame, as_of) -> pl.DataFrame:
    """(ROW, reason) for every check a row fails on its own: the contract model's, and (applications) a submission
    after `as_of`, the run's time. The checks that span rows and files are in sql/cross_checks.sql."""
    reasons = schema_reasons(df, MODELS[extract])
    if extract == "applications":
        reasons = pl.concat([reasons, submitted_after(df, as_of)])
    return reasons


def validate_all(parsed: dict[str, pl.DataFrame], as_of) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """Kept rows per extract and one `rejected_rows` frame (every reason of every bad row), for frames held in
    memory: the checks of each row, then the checks across rows (sql/cross_checks.sql, as a run does on its spill).

    `as_of` is the run's own time: a submission after it is rejected."""
    kept, rejected, _ = validate_deliveries(parsed, as_of)
    return kept, rejected


def validate_deliveries(parsed: dict[str, pl.DataFrame], as_of) -> tuple[dict[str, pl.DataFrame], pl.DataFrame,
                                                                           dict[str, int]]:
    """validate_all, and the rows per extract that repeat a row delivered before (contract "Deliveries"): neither
    kept again nor rejected. Rows read = kept + rejected + repeated."""
    kept, in_batch = {}, []
    con = duckdb.connect()
    try:
        for extract, df in parsed.items():
            typed = keyed(extract, df.with_row_index(ROW).with_columns(pl.col(ROW).cast(pl.Int64)))
            kept[extract], rejected = split(typed, batch_reasons(extract, typed, as_of), extract)
            in_batch.append(rejected.drop("raw"))
            con.register(f"keys_{extract}", typed.select(*KEYS[extract], FILE, LINE))
        con.register("rejected_in_batch", pl.concat(in_batch).cast(REJECTED_COLUMNS_IN_BATCH))
        con.execute(f"CREATE TEMP VIEW ledger_programs AS {NO_LEDGER}")
        for sql in statements(CROSS_CHECKS_SQL):
            con.execute(sql)
        dropped = con.sql(DROPPED_SQL).pl()
        rejected = con.sql("SELECT *, NULL::VARCHAR AS raw FROM rejected "
                           "ORDER BY extract, source_file, row_number").pl()
        repeated = dict(con.sql("SELECT extract, count(*) FROM repeated GROUP BY ALL").fetchall())
    finally:
        con.close()
    for extract in kept:
        gone = dropped.filter(pl.col("extract") == extract).select(FILE, LINE)
        kept[extract] = kept[extract].join(gone, on=[FILE, LINE], how="anti", maintain_order="left").drop(ROW)
    return kept, rejected.cast(REJECTED_COLUMNS), {e: repeated.get(e, 0) for e in parsed}


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
        pl.lit(None, pl.String).alias("raw"),  # filled from the file by flows.ingest.reading.attach_raw
    )
    kept = df.filter(~pl.col(ROW).is_in(all_reasons.get_column(ROW).implode())).drop(PARSE_ERRORS)
    return kept, rejected.cast(REJECTED_COLUMNS)
