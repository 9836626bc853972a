"""Fuzz (hypothesis, bounded): random corruptions of the sample end in exit 0 with rows conserved, or in exit 2 with
a one-line message; never a traceback, never a change to the database published before."""

from __future__ import annotations

import hashlib
import shutil

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from flows import cli
from tests.conftest import DATA

SAMPLE = DATA / "sample"


@pytest.fixture(scope="module")
def small_sample(tmp_path_factory):
    """The first rows of every sample file (CSV and Parquet, as shipped), and a database published from them."""
    root = tmp_path_factory.mktemp("small")
    for f in [*SAMPLE.rglob("*.csv"), *SAMPLE.rglob("*.parquet")]:
        dest = root / f.relative_to(SAMPLE)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if f.suffix == ".csv":
            lines = f.read_bytes().splitlines(keepends=True)
            dest.write_bytes(b"".join(lines[:150]))
        else:
            pq.write_table(pq.read_table(f).slice(0, 150), dest)
    db = root / "out" / "q.duckdb"
    result = _run(root, db)
    assert result.exit_code == 0, result.output
    return root, db


def _run(root, db):
    return CliRunner().invoke(cli.app, [
        "run", "--applications", str(root / "applications"), "--experience", str(root / "experience"),
        "--wages", str(root / "wages"), "--db", str(db), "--force"])


def _csv_corruption(data: bytes, draw) -> bytes:
    kind = draw(st.sampled_from(["truncate", "quote", "encoding", "bytes", "drop column", "repeat column",
                                 "delimiter", "empty"]))
    lines = data.splitlines(keepends=True)
    if kind == "truncate":
        return data[: draw(st.integers(0, len(data)))]
    if kind == "quote":
        at = draw(st.integers(0, len(data)))
        return data[:at] + b'"' + data[at:]
    if kind == "encoding":
        codec = draw(st.sampled_from(["latin-1", "utf-16", "utf-8-sig", "cp1252"]))
        return data.decode("utf-8").encode(codec, errors="replace")
    if kind == "bytes":
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        return data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at + 1:]
    if kind == "empty":
        return b""
    header = lines[0].rstrip(b"\r\n").split(b",")
    col = draw(st.integers(0, len(header) - 1))
    if kind == "delimiter":
        return data.replace(b",", b";")
    out = []
    for line in lines:  # a naive split is enough: the sample's quoted fields hold no commas
        cells = line.rstrip(b"\r\n").split(b",")
        if col < len(cells):
            if kind == "drop column":
                del cells[col]
            else:
                cells.append(cells[col])
        out.append(b",".join(cells) + b"\n")
    return b"".join(out)


def _parquet_corruption(path, draw) -> None:
    table = pq.read_table(path)
    kind = draw(st.sampled_from(["truncate", "swap type", "drop column", "repeat column", "bytes"]))
    if kind in ("truncate", "bytes"):
        data = path.read_bytes()
        if kind == "truncate":
            path.write_bytes(data[: draw(st.integers(0, len(data) - 1))])
        else:
            at = draw(st.integers(0, len(data) - 1))
            path.write_bytes(data[:at] + draw(st.binary(min_size=1, max_size=4)) + data[at + 1:])
        return
    name = draw(st.sampled_from(table.column_names))
    i = table.column_names.index(name)
    if kind == "drop column":
        table = table.remove_column(i)
    elif kind == "repeat column":
        table = table.append_column(name, table.column(i))
    else:
        col = pl.from_arrow(table.column(i))
        swapped = draw(st.sampled_from(["int", "text", "float", "date", "bool"]))
        new = {
            "int": col.cast(pl.String).str.replace_all(r"\D", "").str.slice(0, 8).cast(pl.Int64, strict=False),
            "text": col.cast(pl.String),
            "float": col.cast(pl.Float64, strict=False),
            "date": pl.Series([None] * len(col), dtype=pl.Date).fill_null(pl.date(2020, 1, 1)),
            "bool": col.is_null(),
        }[swapped]
        table = table.set_column(i, name, new.to_arrow() if isinstance(new, pl.Series) else pa.array(
            pl.select(new).to_series().to_list()))
    pq.write_table(table, path)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=st.data())
def test_a_corrupted_extract_is_either_read_with_rows_conserved_or_refused_in_one_line(
        data, small_sample, prefect_harness, tmp_path_factory):
    root, db = small_sample
    work = tmp_path_factory.mktemp("fuzz")
    for sub in ("applications", "experience", "wages"):
        shutil.copytree(root / sub, work / sub)
    files = sorted(p for p in work.rglob("*.*"))
    victim = data.draw(st.sampled_from(files))
    if victim.suffix == ".csv":
        victim.write_bytes(_csv_corruption(victim.read_bytes(), data.draw))
    else:
        _parquet_corruption(victim, data.draw)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    with duckdb.connect(str(db), read_only=True) as con:
        runs_before = con.sql("SELECT count(*) FROM runs").fetchall()[0][0]
    result = _run(work, db)
    output = result.output.strip()
    assert "Traceback" not in output, output
    assert result.exit_code in (0, 2), (result.exit_code, output, victim)
    if result.exit_code == 2:
        assert len(output.splitlines()) == 1 and output.startswith("qcpilot: "), output
        assert hashlib.sha256(db.read_bytes()).hexdigest() == before
        return
    with duckdb.connect(str(db), read_only=True) as con:
        run = con.sql("SELECT * FROM runs ORDER BY finished_at DESC LIMIT 1").pl().row(0, named=True)
        assert con.sql("SELECT count(*) FROM runs").fetchall()[0][0] == runs_before + 1
    for extract in ("applications", "experience", "wages"):
        assert run[f"{extract}_read"] == run[f"{extract}_kept"] + run[f"{extract}_rejected"], (extract, victim)
