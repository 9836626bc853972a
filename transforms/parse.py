"""Raw extract columns (CSV text or Parquet types) -> the contract's dtypes, with a reason per unreadable value.

Pure polars expressions; the target dtype of every column comes from the pandera model (schemas/).
CSV conventions (contract): empty field = null; booleans true/false, 1/0, yes/no, oui/non in any case;
dates YYYY-MM-DD; timestamps ISO 8601 with or without offset (without: local America/Toronto time).
"""

from __future__ import annotations

import polars as pl

from schemas.enums import LOCAL_TZ

ROW = "__row"  # position of a row in its extract (all files concatenated), the key of every reason
FILE = "source_file"
LINE = "row_number"  # 1-based data row within its file (the header is not counted)
PARSE_ERRORS = "__parse_errors"

TRUE_WORDS = ["true", "1", "yes", "oui"]
FALSE_WORDS = ["false", "0", "no", "non"]

_TS = (
    r"^(\d{4}-\d{2}-\d{2})"  # date
    # time of day (required), optional seconds and fraction; a time that does not exist (a 60th second, a 24th hour)
    # is no timestamp: rejected, never moved to the next minute (contract "Times")
    r"[T ]([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:[.,](\d{1,9}))?)?"
    r"\s*(Z|z|[+-](?:0\d|1[0-4])(?::?[0-5]\d)?)?$"  # offset: -14:00 .. +14:00 (ISO 8601 / real time zones)
)


def model_dtypes(model) -> dict[str, pl.DataType]:
    """Column name -> polars dtype of a pandera polars model."""
    return {name: col.dtype.type for name, col in model.to_schema().columns.items()}


def model_identifiers(model) -> set[str]:
    """The identifier columns of a model (Field metadata "identifier"): read as written, never trimmed, since white
    space around an id rejects its row (contract "Identifiers")."""
    return {name for name, col in model.to_schema().columns.items() if col.metadata and col.metadata.get("identifier")}


def model_digits(model) -> dict[str, tuple[int, int]]:
    """Column name -> (fewest, most) digits of the fixed-length codes of a model (Field metadata "digits")."""
    return {name: tuple(col.metadata["digits"]) for name, col in model.to_schema().columns.items()
            if col.metadata and "digits" in col.metadata}


def _text(name: str) -> pl.Expr:
    s = pl.col(name).cast(pl.String).str.strip_chars()
    return pl.when(s == "").then(None).otherwise(s)


def _bool_from_text(name: str) -> pl.Expr:
    s = _text(name).str.to_lowercase()
    return pl.when(s.is_in(TRUE_WORDS)).then(True).when(s.is_in(FALSE_WORDS)).then(False).otherwise(None)


def local_naive_to_utc(naive: pl.Expr) -> pl.Expr:
    """A wall-clock time in America/Toronto -> UTC instant.

    Ambiguous times (the repeated hour in November) take the earlier instant (Interpretation: the first time the
    clock showed it); a time that does not exist (the skipped hour in March) is null, and its row is rejected,
    never moved (contract "Times").
    """
    return naive.dt.replace_time_zone(LOCAL_TZ, ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC")


def _timestamp_stages(name: str) -> list[list[pl.Expr]]:
    """ISO 8601 text -> helper columns, in stages so that each piece is computed once: the regex parts, then the
    wall-clock time (one native parse of a canonical text: an impossible clock such as 25:00 gives null) and the
    offset in minutes (null: no offset, local time)."""
    g = pl.col(f"__g_{name}")
    canonical = pl.concat_str([
        g.struct.field("1"), pl.lit(" "), g.struct.field("2").fill_null("00"), pl.lit(":"),
        g.struct.field("3").fill_null("00"), pl.lit(":"), g.struct.field("4").fill_null("00"), pl.lit("."),
        g.struct.field("5").fill_null("0").str.pad_end(6, "0").str.slice(0, 6),
    ])
    off = g.struct.field("6")
    digits = off.str.replace_all(r"[^0-9]", "")
    off_min = (
        digits.str.slice(0, 2).cast(pl.Int64, strict=False).fill_null(0) * 60
        + digits.str.slice(2, 2).cast(pl.Int64, strict=False).fill_null(0)
    ) * pl.when(off.str.starts_with("-")).then(-1).otherwise(1)
    return [
        [_text(name).str.extract_groups(_TS).alias(f"__g_{name}")],
        [canonical.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us", strict=False).alias(f"__n_{name}"),
         pl.when(off.is_not_null()).then(off_min).alias(f"__o_{name}")],
    ]


def _timestamp_from_text(name: str) -> pl.Expr:
    """The UTC instant from the helper columns of `_timestamp_stages`."""
    naive, off_min = pl.col(f"__n_{name}"), pl.col(f"__o_{name}")
    with_offset = (naive - pl.duration(minutes=off_min)).dt.replace_time_zone("UTC")
    return (pl.when(off_min.is_null()).then(local_naive_to_utc(naive)).otherwise(with_offset)
            .cast(pl.Datetime("us", "UTC")))


def _lost_zeros(name: str, digits: tuple[int, int]) -> pl.Expr:
    """True when a code is all digits but shorter than the contract's codes: its leading zeros were lost."""
    s = _text(name)
    return s.str.contains(r"^\d+$") & (s.str.len_chars() < digits[0])


def parse_expr(
    name: str, target: pl.DataType, source: pl.DataType, digits: tuple[int, int] | None = None,
    identifier: bool = False,
) -> tuple[pl.Expr, pl.Expr]:
    """(typed value, reason or null) for one column, given the dtype it arrived with (Parquet types that cannot
    faithfully hold the target were refused before: flows.extracts.open_file). An identifier is kept as written
    (only an empty one is missing)."""
    col = pl.col(name)
    if identifier and target == pl.String:
        raw = col.cast(pl.String)
        return pl.when(raw != "").then(raw).alias(name), pl.lit(None, pl.String)
    present = _text(name).is_not_null() if source == pl.String else col.is_not_null()
    if source == pl.String:
        if target == pl.String and digits is not None:
            lost = _lost_zeros(name, digits)
            count = " or ".join(dict.fromkeys(str(d) for d in digits))
            typed = pl.when(~lost.fill_null(False)).then(_text(name))
            reason = pl.when(lost).then(pl.format(
                f"{name}: {{}} digits where codes have {count} (stored as a number, a code loses its leading zeros)",
                _text(name).str.len_chars()))
            return typed.alias(name), reason
        if target == pl.String:
            typed, what = _text(name), "text"
        elif target == pl.Boolean:
            typed, what = _bool_from_text(name), "a boolean (true/false, 1/0, yes/no, oui/non)"
        elif target == pl.Int64:
            typed, what = _text(name).cast(pl.Int64, strict=False), "an integer"
        elif target == pl.Float64:
            f = _text(name).cast(pl.Float64, strict=False)
            typed, what = pl.when(f.is_finite()).then(f), "a number"
        elif target == pl.Date:
            text = _text(name)  # four, two and two digits: a date written otherwise is not read as a guess
            typed = pl.when(text.str.contains(r"^\d{4}-\d{2}-\d{2}$")).then(text.str.to_date("%Y-%m-%d", strict=False))
            what = "a date YYYY-MM-DD"
        elif isinstance(target, pl.Datetime):
            typed, what = _timestamp_from_text(name), ("an ISO 8601 timestamp (a date and a time of day; a local "
                                                       "time must exist in America/Toronto)")
        else:  # pragma: no cover - the contract has no other types
            raise TypeError(f"no parser for {target}")
    else:
        what = {pl.Boolean: "a boolean", pl.Int64: "an integer", pl.Float64: "a number", pl.Date: "a date"}.get(
            target, "a timestamp" if isinstance(target, pl.Datetime) else "text"
        )
        if isinstance(target, pl.Datetime):
            if isinstance(source, pl.Datetime) and source.time_zone is not None:
                typed = col.dt.convert_time_zone("UTC").cast(pl.Datetime("us", "UTC"))
            elif isinstance(source, pl.Datetime | pl.Date):
                typed = local_naive_to_utc(col.cast(pl.Datetime("us"))).cast(pl.Datetime("us", "UTC"))
            else:
                typed = pl.lit(None, dtype=target)
        elif target == pl.String:
            typed = _text(name)
        elif target == pl.Int64 and source.is_float():
            typed = pl.when(col == col.floor()).then(col.cast(pl.Int64, strict=False))
        elif target == pl.Boolean and source.is_integer():
            typed, what = pl.when(col == 1).then(True).when(col == 0).then(False), "a boolean (0 or 1)"
        elif target == pl.Float64:
            f = col.cast(pl.Float64, strict=False)
            typed = pl.when(f.is_finite()).then(f)
        else:
            typed = col.cast(target, strict=False)
    reason = pl.when(present & typed.is_null()).then(pl.lit(f"{name}: not {what}"))
    if target == pl.Date or isinstance(target, pl.Datetime):
        # a Parquet date or timestamp (or a damaged one) may lie beyond the years 1 to 9999, which no calendar
        # date of the contract can, and which the checks downstream cannot even show: rejected here
        outside = ~typed.dt.year().is_between(1, 9999)
        reason = pl.when(outside).then(pl.lit(f"{name}: a year outside 1 to 9999")).otherwise(reason)
        typed = pl.when(~outside.fill_null(False)).then(typed)
    return typed.alias(name), reason


def parse_frame(
    lf: pl.LazyFrame, dtypes: dict[str, pl.DataType], digits: dict[str, tuple[int, int]] | None = None,
    identifiers: set[str] | None = None,
) -> pl.LazyFrame:
    """Typed contract columns + FILE, LINE and PARSE_ERRORS (list). The raw text of a rejected row is read again
    from its file afterwards (flows.ingest.reading.attach_raw), so no copy of every row is carried."""
    digits, identifiers = digits or {}, identifiers or set()
    schema = lf.collect_schema()
    for name, target in dtypes.items():  # timestamps from text: helper columns first, each computed once
        if isinstance(target, pl.Datetime) and schema[name] == pl.String:
            for stage in _timestamp_stages(name):
                lf = lf.with_columns(stage)
    typed, reasons = [], []
    for name, target in dtypes.items():
        t, r = parse_expr(name, target, schema[name], digits.get(name), name in identifiers)
        typed.append(t)
        reasons.append(r)
    return lf.select(pl.col(FILE), pl.col(LINE), *typed, pl.concat_list(reasons).list.drop_nulls().alias(PARSE_ERRORS))


def parse_model(lf: pl.LazyFrame, model) -> pl.LazyFrame:
    """parse_frame with the dtypes, code digits and identifiers of a pandera model (schemas/)."""
    return parse_frame(lf, model_dtypes(model), model_digits(model), model_identifiers(model))
