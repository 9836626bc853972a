"""Digests of rows, computed in DuckDB from the rows' values as text that no DuckDB version or time zone setting
changes: what the ledger's seal (flows/layout.py) and the kept grounds of a decision (the digests of an application's
row and spells as read, sql/evaluations.sql) are made of."""

from __future__ import annotations


def row_text(columns: list[tuple[str, str]], alias: str = "") -> str:
    """A SQL expression of one row as text: every column of `columns` (name, DuckDB type) in order, null marked,
    instants as microseconds since the epoch, lists and structs as JSON."""
    prefix = f"{alias}." if alias else ""
    parts = []
    for name, dtype in columns:
        col = f'{prefix}"{name}"'
        text = (f"epoch_us({col})::VARCHAR" if dtype.startswith("TIMESTAMP") else
                f"to_json({col})::VARCHAR" if dtype.endswith("]") or dtype.startswith("STRUCT") else f"{col}::VARCHAR")
        parts.append(f"coalesce({text}, chr(30))")
    return f"concat_ws(chr(31), {', '.join(parts)})"
