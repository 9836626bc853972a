"""The SQL of transforms/sql/, and its statements one by one (split by DuckDB's own parser)."""

from __future__ import annotations

from importlib.resources import files

import duckdb


def read(name: str) -> str:
    return files("transforms").joinpath(f"sql/{name}").read_text(encoding="utf-8")


def statements(sql: str) -> list[str]:
    return [s.query for s in duckdb.extract_statements(sql)]
