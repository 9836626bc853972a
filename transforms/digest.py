"""Digests of rows, computed in DuckDB from the rows' values as text that no DuckDB version or time zone setting
changes: what the ledger's seal (flows/store/layout.py) and the kept grounds of a decision (the digests of an
application's row and spells as read, sql/evaluations.sql) are made of."""

from __future__ import annotations


def hash64(text_sql: str) -> str:
    """A SQL expression: the first 64 bits of the md5 of a text, as a UBIGINT (8 bytes stored, not 32 characters):
    ample to tell one version of an application's row from another (compared only with the same application's)."""
    return f"('0x' || md5({text_sql})[1:16])::UBIGINT"


def row_text(columns: list[tuple[str, str]], alias: str = "", framed: bool = True) -> str:
    """A SQL expression of one row as text: every column of `columns` (name, DuckDB type) in order, instants as
    microseconds since the epoch, lists and structs as JSON. Each value is framed by its length (`5:hello`) and a
    null is `-`, so that no value can pass for a null or for two values: two rows have the same text only if they
    have the same values. `framed=False` is the text of layouts 2 to 4 (a null as chr(30), values joined by chr(31)),
    which their seals were computed from and are still checked with."""
    prefix = f"{alias}." if alias else ""
    parts = []
    for name, dtype in columns:
        col = f'{prefix}"{name}"'
        text = (f"epoch_us({col})::VARCHAR" if dtype.startswith("TIMESTAMP") else
                f"to_json({col})::VARCHAR" if dtype.endswith("]") or dtype.startswith("STRUCT") else f"{col}::VARCHAR")
        # the same text as coalesce(length(t)::VARCHAR || ':' || t, '-'), which layouts 5 and 6 sealed with,
        # built a fifth faster (one concat, not two; DuckDB computes t once)
        parts.append(f"CASE WHEN {text} IS NULL THEN '-' ELSE concat(length({text}), ':', {text}) END" if framed
                     else f"coalesce({text}, chr(30))")
    return f"concat_ws(chr(31), {', '.join(parts)})"
