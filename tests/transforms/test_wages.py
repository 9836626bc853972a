"""The wage-decile engine directly: order independence, published figures only, decile positions."""

import datetime as dt

import polars as pl
from polars.testing import assert_frame_equal

from schemas.enums import DECILES
from tests.rules_harness import parameters
from transforms.wages import decile_position, threshold_periods, thresholds


def _wages(rows):
    return pl.DataFrame(
        [{"noc_code": c, "region": r, "reference_year": y, "published_on": p,
          **{d: d9 * (i + 1) / 9 for i, d in enumerate(DECILES)}} for c, r, y, p, d9 in rows]
    )


ROWS = [
    ("21231", "QC", 2019, dt.date(2020, 11, 15), 40.0),
    ("21231", "QC", 2020, dt.date(2021, 11, 15), 48.0),
    ("21231", "QC", 2021, dt.date(2022, 11, 15), 50.0),
    ("21231", "QC", 2022, dt.date(2023, 11, 15), 52.0),
    ("21231", "QC", 2023, dt.date(2024, 11, 15), 1000.0),  # published after D: must never count
    ("21231", "ER2440", 2022, dt.date(2023, 11, 15), 500.0),  # Montreal region: not the provincial figure
    ("21211", "QC", 2022, dt.date(2023, 11, 15), 70.0),
]
ASKED = pl.DataFrame({"noc2021_code": ["21231", "21211", "21231"],
                      "submitted_on": [dt.date(2024, 3, 15), dt.date(2024, 3, 15), dt.date(2022, 11, 15)]})


def _run(wages, asked):
    return (thresholds(asked.lazy(), threshold_periods(wages.lazy(), parameters())).collect()
            .sort("noc2021_code", "submitted_on"))


def test_threshold_uses_the_three_latest_published_provincial_years_only():
    out = _run(_wages(ROWS), ASKED)
    r = (out.filter((pl.col("noc2021_code") == "21231") & (pl.col("submitted_on") == dt.date(2024, 3, 15)))
         .row(0, named=True))
    assert r["reference_years"] == [2022, 2021, 2020]
    assert abs(r["threshold_hourly_cad"] - 50.0) < 1e-9
    assert r["latest_decile_9_hourly"] == 52.0  # the latest published year, not the 2023 figure
    # published on D counts: on 2022-11-15 the 2021 figures are out
    r = out.filter(pl.col("submitted_on") == dt.date(2022, 11, 15)).row(0, named=True)
    assert r["reference_years"] == [2021, 2020, 2019] and abs(r["threshold_hourly_cad"] - 46.0) < 1e-9
    # one year only: no threshold
    r = out.filter(pl.col("noc2021_code") == "21211").row(0, named=True)
    assert r["years_available"] == 1 and r["threshold_hourly_cad"] is None


def test_threshold_is_independent_of_row_order():
    a = _run(_wages(ROWS), ASKED)
    for seed in range(3):
        b = _run(_wages(ROWS).sample(fraction=1.0, shuffle=True, seed=seed),
                 ASKED.sample(fraction=1.0, shuffle=True, seed=seed))
        assert_frame_equal(a, b)


def test_decile_position_boundaries():
    latest = pl.DataFrame({f"latest_{d}": [10.0 * (i + 1)] * 6 for i, d in enumerate(DECILES)})
    wages = pl.Series("w", [9.99, 10.0, 10.01, 50.0, 90.0, 90.01])
    got = latest.with_columns(wages).select(decile_position(pl.col("w"))).to_series().to_list()
    assert got == [1, 1, 2, 5, 9, 10]
