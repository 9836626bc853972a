"""The shipped sample is what `qcpilot generate` writes with its default seed (its mark included)."""

import polars as pl
from polars.testing import assert_frame_equal

from flows.dev.generate import write_extracts
from tests.conftest import DATA


def test_shipped_sample_is_reproducible_from_its_seed(tmp_path):
    write_extracts(3000, 20261121, tmp_path, "sample", DATA / "reference")
    shipped = sorted(p.relative_to(DATA / "sample") for p in (DATA / "sample").rglob("*") if p.is_file())
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert shipped == fresh
    for rel in shipped:
        if rel.suffix != ".parquet":  # the CSV files, and the mark that lists what generate wrote
            assert (DATA / "sample" / rel).read_text() == (tmp_path / rel).read_text(), rel
        else:
            assert_frame_equal(pl.read_parquet(DATA / "sample" / rel), pl.read_parquet(tmp_path / rel))
