"""The SQL of transforms/sql/, its statements one by one (split by DuckDB's own parser), and literals for the
statements that take no parameters."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import duckdb


def read(name: str) -> str:
    return files("transforms").joinpath(f"sql/{name}").read_text(encoding="utf-8")


def statements(sql: str) -> list[str]:
    return [s.query for s in duckdb.extract_statements(sql)]


def sql_text(value: object) -> str:
    """A SQL string literal of `value` (a path, mostly): quotes doubled, so that a folder named `l'Immigration` is
    read as written. For the statements that take no parameters (ATTACH, a view's files)."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_files(paths: list[Path]) -> str:
    """A SQL list of file names for read_parquet, listed here rather than globbed there: a folder name with `[`,
    `*` or `?` in it is a name, not a pattern."""
    return "[" + ", ".join(sql_text(p) for p in sorted(paths)) + "]"
