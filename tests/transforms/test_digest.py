"""The text a seal and a kept evaluation's digests are made of (transforms/digest.py) is the text layouts 5 and 6
were sealed with: a published database's seal and its kept digests stay comparable, whatever way it is built."""

from __future__ import annotations

import duckdb
import pytest

from transforms.digest import hash64, row_text

# one column of each type a carried table holds, and values at the edges: null, empty, non-ASCII (the length is
# counted in characters), a separator inside a value, the extremes of each type, lists and structs with nulls
COLUMNS = {
    "s": "VARCHAR", "d": "DATE", "i": "INTEGER", "b": "BOOLEAN", "f": "DOUBLE", "g": "BIGINT", "h": "SMALLINT",
    "u": "UBIGINT", "t": "TIMESTAMP WITH TIME ZONE", "l": "BIGINT[]", "m": "DECIMAL(12,2)", "y": "TINYINT",
    "r": 'STRUCT("name" VARCHAR, valid_from DATE)[]',
}
ROWS = [
    "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL",
    "'', DATE '1970-01-01', 0, false, 0.0, 0, 0, 0, TIMESTAMPTZ '1970-01-01 00:00:00+00', [], 0.00, 0, []",
    "'Élodie Çà 👩‍🔬', DATE '2026-12-31', -2147483648, true, -0.0, -9223372036854775808, -32768, "
    "18446744073709551615, TIMESTAMPTZ '2026-03-08 02:30:00.123456+00', [NULL, 1, -2], -9999999999.99, -128, "
    "[{'name': 'é', 'valid_from': NULL}, NULL]",
    "'a' || chr(31) || 'b' || chr(30) || '-', DATE '0001-01-01', 2147483647, NULL, 1e308, 9223372036854775807, "
    "32767, 1, TIMESTAMPTZ '9999-12-31 23:59:59.999999+00', [NULL], 0.01, 127, [{'name': NULL, 'valid_from': "
    "DATE '2024-01-01'}]",
    "'12:x', NULL, 7, false, 'nan'::DOUBLE, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL",
    "'-', NULL, NULL, true, 'inf'::DOUBLE, 1, 1, 1, NULL, [1, 2, 3], 1234567.89, 1, NULL",
    "'1e308', NULL, NULL, NULL, 2.2250738585072014e-308, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL",
]


def sealed_text(columns: list[tuple[str, str]]) -> str:
    """The framed text as layouts 5 and 6 first wrote it (transforms/digest.py before this was written faster)."""
    parts = []
    for name, dtype in columns:
        col = f'"{name}"'
        text = (f"epoch_us({col})::VARCHAR" if dtype.startswith("TIMESTAMP") else
                f"to_json({col})::VARCHAR" if dtype.endswith("]") or dtype.startswith("STRUCT") else f"{col}::VARCHAR")
        parts.append(f"coalesce(length({text})::VARCHAR || ':' || {text}, '-')")
    return f"concat_ws(chr(31), {', '.join(parts)})"


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect()
    con.execute("SET TimeZone = 'America/Montreal'")
    con.execute("CREATE TABLE x (" + ", ".join(f'"{c}" {t}' for c, t in COLUMNS.items()) + ")")
    for row in ROWS:
        con.execute(f"INSERT INTO x VALUES ({row})")
    yield con
    con.close()


def test_the_text_of_every_row_is_the_sealed_text(con):
    columns = list(COLUMNS.items())
    now, then = zip(*con.execute(f"SELECT {row_text(columns)}, {sealed_text(columns)} FROM x").fetchall(),
                    strict=True)
    assert len(now) == len(ROWS)
    assert list(now) == list(then)
    assert len(set(now)) == len(ROWS)  # and rows that differ have different texts


@pytest.mark.parametrize("column", list(COLUMNS))
def test_each_column_alone_frames_as_sealed(con, column):
    columns = [(column, COLUMNS[column])]
    rows = con.execute(f"SELECT {row_text(columns)}, {sealed_text(columns)}, {hash64(row_text(columns))}, "
                       f"{hash64(sealed_text(columns))} FROM x").fetchall()
    assert all(a == b and c == d for a, b, c, d in rows)
    assert rows[0][0] == "-"  # a null is '-'


def test_a_value_is_framed_by_its_length_in_characters(con):
    [(text,)] = con.execute(f"SELECT {row_text([('s', 'VARCHAR'), ('i', 'INTEGER')])} FROM x "
                            "WHERE i = -2147483648").fetchall()
    name = "Élodie Çà 👩‍🔬"
    assert text == f"{len(name)}:{name}" + chr(31) + "11:-2147483648"
    assert len(name) < len(name.encode())
