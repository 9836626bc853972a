"""Reading extract files (CSV and Parquet): their shape is checked before any value is read, then their rows come in
bounded batches.

Before a value is read, a file must have a header (CSV) or schema (Parquet) with every required column once, comma
separated (CSV), and (Parquet) a type that can faithfully hold each contract column: an integer where a date, a code
or a boolean text is due is refused, never reinterpreted (an integer date would read as days since 1970, a numeric
code has lost its leading zeros). A structural problem found while reading (a row with too few or too many fields,
an unterminated quote, bytes that are not UTF-8) stops the run with the file and line, found by a second, careful
pass over the file. Messages name files, lines and columns, never a row's content: a library's own error text may
quote a row, so it is never shown.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from flows.ingest.files import CSV_SUFFIXES
from flows.runtime.errors import InputError
from transforms.parse import FILE, LINE

OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}

# What a Parquet column may hold for each contract type (polars dtype families of the arrow type).
_ACCEPTED = {  # float16/32 are never accepted: too few digits to hold an amount to the cent
    "text": {"text", "null"},
    "boolean": {"boolean", "integer", "text", "null"},  # integers: 0 and 1 only, other values reject their row
    # floats: integral values only, else the row is rejected
    "integer": {"integer", "float", "decimal", "text", "null"},
    "number": {"integer", "float", "decimal", "text", "null"},
    "date": {"date", "text", "null"},
    "timestamp": {"timestamp", "text", "null"},
}
_WHAT = {"text": "text", "boolean": "a boolean", "integer": "an integer", "number": "a number", "date": "a date",
         "timestamp": "a timestamp"}
_HOLDS = {"integer": "integers", "float": "decimal numbers", "decimal": "decimal numbers", "date": "dates",
          "timestamp": "timestamps", "boolean": "booleans", "text": "text",
          "low-precision float": "low-precision floats (they keep about 7 significant digits, and lose cents)"}
_HINT = {
    "text": "; codes and other text are stored as text (a code stored as a number has lost its leading zeros)",
    "date": "; dates are stored as dates or as text YYYY-MM-DD, never as numbers",
    "timestamp": "; submission times are stored as timestamps or ISO 8601 text (a date alone loses the time of day)",
    "boolean": "; booleans are stored as booleans, 0/1 integers or text",
}


def arrow_kind(t: pa.DataType) -> str:
    """The family of an arrow (Parquet) type, as the contract speaks of it."""
    if pa.types.is_dictionary(t):
        return arrow_kind(t.value_type)
    if pa.types.is_null(t):
        return "null"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "text"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_float64(t):
        return "float"
    if pa.types.is_floating(t):
        return "low-precision float"  # float16/32: about 3 or 7 significant digits, amounts lose their cents
    if pa.types.is_decimal(t):
        return "decimal"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_timestamp(t):
        return "timestamp"
    return str(t)


def kind(dtype: pl.DataType) -> str:
    """The family of a polars dtype (the contract's own types)."""
    if dtype == pl.String:
        return "text"
    if dtype == pl.Boolean:
        return "boolean"
    if dtype.is_integer():
        return "integer"
    if dtype.is_float():
        return "float"
    if dtype == pl.Date:
        return "date"
    if isinstance(dtype, pl.Datetime):
        return "timestamp"
    return str(dtype)


def contract_kind(target: pl.DataType) -> str:
    k = kind(target)
    return {"float": "number"}.get(k, k)


@dataclass(frozen=True)
class ExtractFile:
    """One file of an extract whose shape has been checked: the contract columns it holds and their types."""

    extract: str
    path: Path
    source: dict[str, pl.DataType]  # contract column -> dtype as stored (CSV: text)

    @property
    def is_csv(self) -> bool:
        return self.path.suffix.lower() in CSV_SUFFIXES


def open_file(extract: str, path: Path, contract: dict[str, pl.DataType]) -> ExtractFile:
    """Check a file's header or schema against the contract; InputError naming the file and column if it fails.
    A file checked before (the preflight) and unchanged since (the same inode, size and time) is not read again."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError:
        return _open_file(extract, path, contract)  # says why it cannot be read
    return _checked(extract, str(path), st.st_ino, st.st_size, st.st_mtime_ns, tuple(contract.items()))


@functools.lru_cache(maxsize=1 << 16)  # a refusal is raised, never kept: a file is checked again until it passes
def _checked(extract: str, path: str, _inode: int, _size: int, _mtime_ns: int, contract: tuple) -> ExtractFile:
    return _open_file(extract, Path(path), dict(contract))


def _open_file(extract: str, path: Path, contract: dict[str, pl.DataType]) -> ExtractFile:
    if path.suffix.lower() in CSV_SUFFIXES:
        names = csv_header(path)
        _check_names(extract, path, names, contract)
        return ExtractFile(extract, path, {c: pl.String for c in contract})
    schema = _parquet_schema(path)
    key = (extract, schema, tuple(contract.items()))
    if (source := _SOURCES.get(key)) is None:  # files of one schema are checked alike: once (0.35 ms a file)
        _check_names(extract, path, schema.names, contract)
        for col, target in contract.items():
            found, want = arrow_kind(schema.field(col).type), contract_kind(target)
            if found not in _ACCEPTED[want]:
                raise InputError(f"{path}: column '{col}' holds {_HOLDS.get(found, found)} "
                                 f"({schema.field(col).type}) where {_WHAT[want]} is due{_HINT.get(want, '')}")
        empty = _normalized(pa.schema([schema.field(c) for c in contract]).empty_table(), path)
        if len(_SOURCES) >= 1024:
            _SOURCES.clear()
        source = _SOURCES[key] = dict(pl.from_arrow(empty).schema)
    return ExtractFile(extract, path, dict(source))


# the contract columns' dtypes as read, of the Parquet schemas that passed the checks (by extract, schema, contract)
_SOURCES: dict[tuple, dict[str, pl.DataType]] = {}


def _check_names(extract: str, path: Path, names: list[str], contract: dict[str, pl.DataType]) -> None:
    repeated = [f"'{n}' ({k} times)" for n, k in Counter(names).items() if k > 1 and n in contract]
    if repeated:
        raise InputError(f"{path}: column {', '.join(repeated)} appears more than once; which one to read is unknown")
    missing = [c for c in contract if c not in names]
    padded = [n for n in names if n != n.strip() and n.strip() in missing]
    if padded:
        raise InputError(f"{path}: column {padded[0]!r} has spaces around its name; column names are exactly those "
                         "of the contract")
    if missing:
        cols = ", ".join(f"'{c}'" for c in missing)
        raise InputError(f"{path}: missing required column {cols} for the {extract} extract")


def csv_header(path: Path) -> list[str]:
    """The column names of a CSV file's header row (UTF-8, comma-separated, an optional byte-order mark)."""
    try:
        with open(path, "rb") as fh:
            first = fh.readline(1 << 20)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if not first.strip():
        raise InputError(f"{path}: the file is empty (no header row)")
    try:
        text = first.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise InputError(f"{path}: line 1: not UTF-8 text (the contract's CSV is UTF-8)") from None
    if "\r" in text.rstrip("\r\n"):
        raise InputError(f"{path}: lines end with a carriage return alone; the contract's CSV ends them with a line "
                         "feed (\\n or \\r\\n)")
    try:
        names = next(csv.reader([text.rstrip("\r\n")]), [])
    except csv.Error:
        raise InputError(f"{path}: line 1: the header cannot be read as CSV (malformed quoting)") from None
    if len(names) == 1:
        for sep, what in OTHER_DELIMITERS.items():
            if sep in text:
                raise InputError(f"{path}: line 1: the header is separated by {what} ({sep!r}), not by commas: "
                                 "the contract's CSV is comma-separated")
    return names


def _parquet_schema(path: Path) -> pa.Schema:
    try:
        arrow = pq.read_schema(path)
    except OSError as exc:
        raise _unreadable(path, exc, " as Parquet") from None
    except Exception:  # pyarrow raises several kinds for a file that is not Parquet
        raise InputError(f"{path}: cannot be read as Parquet (not a Parquet file, or truncated)") from None
    names = arrow.names
    dup = [n for n, k in Counter(names).items() if k > 1]
    if dup:
        raise InputError(f"{path}: column '{dup[0]}' appears {names.count(dup[0])} times; which one to read is unknown")
    return arrow


def _unreadable(path: Path, exc: OSError, what: str = "") -> OSError | InputError:
    """A file the operating system refuses for good (permissions, a folder) is an input problem, and so is an
    OSError of a reader with no error number (pyarrow's word for a corrupt file); other I/O errors of the
    operating system may pass (a share that blinked) and are left to the flow's retries."""
    if isinstance(exc, PermissionError | IsADirectoryError | FileNotFoundError):
        return InputError(f"{path}: cannot be read ({exc.strerror})")
    if exc.errno is None or isinstance(exc, pa.ArrowException):
        return InputError(f"{path}: cannot be read{what} (a corrupt or truncated file)")
    return exc


def _normalized(table: pa.Table, path: Path) -> pa.Table:
    """Arrow columns as polars reads them faithfully: text for dictionaries, float64 for decimals (the double nearest
    to the decimal, as its text would be read; an integer column then rejects non-integral values, as for floats),
    microsecond timestamps in UTC (any offset) or naive (a nanosecond one cut to its microsecond: nothing finer is
    kept, and a nanosecond column cannot overflow).
    A timestamp beyond what microseconds can hold (years 1677-2262... 294 247) stops the run, naming its line."""
    columns = []
    for name, col in zip(table.column_names, table.columns, strict=True):
        t = col.type
        try:
            if pa.types.is_dictionary(t):
                col = col.cast(t.value_type)
            elif pa.types.is_decimal(t):  # through its text: the nearest double (a cast gives 19.240000000000002)
                col = col.cast(pa.string()).cast(pa.float64())
            elif pa.types.is_timestamp(t):  # nanoseconds are read to the microsecond (contract "Times")
                col = col.cast(pa.timestamp("us", "UTC" if t.tz is not None else None), safe=t.unit != "ns")
            elif pa.types.is_date64(t):
                col = col.cast(pa.date32())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise InputError(f"{path}: column '{name}' holds a timestamp out of the range a timestamp can "
                             "hold (a corrupt value)") from None
        columns.append(col)
    return pa.table(columns, names=table.column_names)


def batches(f: ExtractFile, rows: int, arrow: bool = False) -> Iterator[pl.DataFrame | pa.Table]:
    """The file's contract columns as stored, `rows` rows at a time, with FILE and LINE (1-based data row).
    `arrow`: a Parquet file's batches come as Arrow tables (`frame` makes them polars), so that the tables of many
    small files become one frame at once: made one by one, their frames cost 0.4 ms a file (10,000 files of 100
    applications and 10,000 of their spells: 7.7 s)."""
    if f.is_csv:
        reader = _csv_batches(f, rows)
    else:
        reader = _parquet_tables(f, rows)
        if not arrow:
            reader = (_frame(table, f.path) for table in reader)
    offset = 0
    for batch in reader:
        n = len(batch)
        if isinstance(batch, pa.Table):
            yield batch.append_column(LINE, pa.array(range(offset + 1, offset + 1 + n), pa.int64())).append_column(
                FILE, pa.array([str(f.path)] * n, pa.string()))
        else:
            yield batch.with_columns(pl.int_range(offset + 1, offset + 1 + n, dtype=pl.Int64).alias(LINE),
                                     pl.lit(str(f.path)).alias(FILE))
        offset += n


def frame(tables: list[pa.Table]) -> pl.DataFrame:
    """One frame of the tables of `batches(arrow=True)` (of one schema); a value polars cannot take (a corrupt
    file) is InputError naming the file that holds it."""
    try:
        return pl.from_arrow(pa.concat_tables(tables))
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException):  # a panic is a BaseException: named here
        for table in tables:
            _frame(table, table.column(FILE)[0].as_py() if table.num_rows else "(a file)")
        raise


def _parquet_tables(f: ExtractFile, rows: int) -> Iterator[pa.Table]:
    """A Parquet file's contract columns, checked and normalized, `rows` rows at a time: a small file in one read
    (many small files cost little more than one; threads cost more than they save there)."""
    with _reading_parquet(f.path):
        pf = pq.ParquetFile(f.path)
        if pf.metadata.num_rows <= rows:
            table = pf.read(columns=list(f.source), use_threads=False)
            _check_utf8(f, table)
            yield _normalized(table, f.path)
            return
        for b in pf.iter_batches(batch_size=rows, columns=list(f.source)):
            _check_utf8(f, b)
            yield _normalized(pa.Table.from_batches([b]), f.path)


@contextlib.contextmanager
def _reading_parquet(path: Path) -> Iterator[None]:
    """Within: what pyarrow raises reading a Parquet file is one line naming it (InputError)."""
    try:
        yield
    except InputError:
        raise
    except OSError as exc:
        raise _unreadable(path, exc, " as Parquet") from None
    except Exception:  # pyarrow raises several kinds for a corrupt or truncated file
        raise InputError(f"{path}: cannot be read as Parquet (a corrupt or truncated file)") from None


def _check_utf8(f: ExtractFile, batch: pa.RecordBatch | pa.Table) -> None:
    """Parquet readers do not check that text is UTF-8; a corrupt file could hand invalid text on. Checked in one
    call for the whole batch (a call per column cost 3.5 s for 20,000 small files), then, when it fails, column by
    column to name the one (text of any kind: plain, large, viewed or dictionary-encoded)."""
    try:
        batch.validate(full=True)
        return
    except pa.ArrowInvalid:
        pass
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        try:
            column.validate(full=True)
        except pa.ArrowInvalid:
            kind = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
            if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
                raise InputError(f"{f.path}: column '{name}' holds bytes that are not UTF-8 text "
                                 "(a corrupt file)") from None
            raise InputError(f"{f.path}: column '{name}' holds values that cannot be read (a corrupt file)") from None
    raise InputError(f"{f.path}: cannot be read as Parquet (a corrupt or truncated file)")


# The longest field of a CSV file that is read: 16 MB (a longer one refuses the file, naming its line and column:
# diagnose_csv). pyarrow reads a file in blocks that hold whole rows: twice that.
CSV_FIELD_LIMIT = 16 << 20
CSV_BLOCK = 2 * CSV_FIELD_LIMIT


def _csv_batches(f: ExtractFile, rows: int) -> Iterator[pl.DataFrame]:
    columns = list(f.source)
    try:
        reader = pacsv.open_csv(
            f.path,
            read_options=pacsv.ReadOptions(block_size=CSV_BLOCK, use_threads=True),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=lambda _row: "error"),
            convert_options=pacsv.ConvertOptions(
                include_columns=columns, column_types={c: pa.string() for c in columns}, null_values=[""],
                strings_can_be_null=True, quoted_strings_can_be_null=True,
            ),
        )
        pending, n = [], 0
        for b in reader:
            if any((pc.max(pc.binary_length(c)).as_py() or 0) > CSV_FIELD_LIMIT for c in b.columns):
                raise InputError(diagnose_csv(f.path))
            pending.append(b)
            n += b.num_rows
            if n >= rows:
                yield _frame(pa.Table.from_batches(pending), f.path)
                pending, n = [], 0
        if pending:
            yield _frame(pa.Table.from_batches(pending), f.path)
    except InputError:
        raise
    except OSError as exc:
        if exc.errno is None or isinstance(exc, pa.ArrowException):
            raise InputError(diagnose_csv(f.path)) from None
        raise _unreadable(f.path, exc) from None  # else the operating system's (a share that blinked): retried
    except Exception:  # pyarrow's parse errors quote the row: the careful pass names the line instead
        raise InputError(diagnose_csv(f.path)) from None


def _frame(table: pa.Table, path: Path) -> pl.DataFrame:
    try:
        return pl.from_arrow(table)
    except (pl.exceptions.PolarsError, pl.exceptions.PanicException):  # a panic is a BaseException: named here
        raise InputError(f"{path}: holds values that cannot be read (a corrupt file?)") from None


def diagnose_csv(path: Path) -> str:
    """The first structural problem of a CSV file, with its line (1-based, the header is line 1), found by reading
    it again with Python's csv module. Only the problem is described, never the line's content."""
    line = [0]

    def decoded(fh):
        for raw in fh:
            line[0] += 1
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise _Found(line[0], "not UTF-8 text (the contract's CSV is UTF-8)") from None
            yield text.removeprefix("\ufeff") if line[0] == 1 else text

    csv.field_size_limit(sys.maxsize)  # a long field is not a problem of the file's structure
    record_start = 1
    try:
        with open(path, "rb") as fh:
            reader = csv.reader(decoded(fh), strict=True)
            header = next(reader, [])
            width = len(header)
            record_start = reader.line_num + 1
            for record in reader:
                if record and len(record) != width:
                    raise _Found(record_start, f"{len(record)} fields where the header has {width}")
                sizes = [len(v.encode("utf-8")) for v in record]
                if record and max(sizes) > CSV_FIELD_LIMIT:
                    longest = sizes.index(max(sizes))
                    raise _Found(record_start, f"column '{header[longest]}' holds {max(sizes) / 2**20:.1f} MB: a "
                                               f"field is read up to {CSV_FIELD_LIMIT >> 20} MB")
                record_start = reader.line_num + 1
    except _Found as found:
        return f"{path}: line {found.line}: {found.problem}"
    except csv.Error:
        return (f"{path}: line {record_start}: malformed quoting (a quoted field that is never closed, or a quote "
                "inside an unquoted field)")
    return f"{path}: cannot be read as CSV"


class _Found(Exception):
    def __init__(self, line: int, problem: str):
        self.line, self.problem = line, problem
