"""Properties of the rule arithmetic: the union of days against a brute-force oracle, and order independence."""

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from flows.dev.generate import write_extracts
from flows.ingest import reading
from flows.ingest.files import resolve
from schemas import MODELS
from tests.conftest import DATA
from tests.factories import AS_OF
from tests.rules_harness import parameters, refs
from transforms.evaluate import evaluate, validate_all
from transforms.experience import experience_days

BASE = dt.date(2020, 1, 1)
day = st.integers(0, 900).map(lambda n: BASE + dt.timedelta(days=n))


@st.composite
def spells_and_window(draw):
    d = draw(st.integers(400, 1000).map(lambda n: BASE + dt.timedelta(days=n)))
    w_from = draw(day)
    w_to = draw(day)
    spells = []
    for _ in range(draw(st.integers(0, 7))):
        s = draw(day)
        e = draw(st.one_of(st.none(), st.integers(0, 400).map(lambda n, s=s: s + dt.timedelta(days=n))))
        spells.append((s, e, draw(st.sampled_from([True, False, None]))))
    return d, w_from, w_to, spells


@settings(max_examples=150, deadline=None)
@given(spells_and_window())
def test_union_of_days_matches_a_day_by_day_count_and_never_exceeds_the_window(case):
    d, w_from, w_to, spells = case
    frame = pl.DataFrame(
        {"application_id": ["A"] * len(spells), "start_on": [s for s, _, _ in spells],
         "end_on": [e for _, e, _ in spells], "q": [q for _, _, q in spells]},
        schema={"application_id": pl.String, "start_on": pl.Date, "end_on": pl.Date, "q": pl.Boolean},
    )
    windows = pl.DataFrame({"application_id": ["A"], "__from": [w_from], "__to": [w_to], "submitted_on": [d]})
    got = experience_days(frame.lazy(), windows.lazy(), pl.col("q"), "x").collect().row(0, named=True)

    def oracle(accept):
        days = set()
        for s, e, q in spells:
            if not accept(q):
                continue
            end = e if e is not None else d - dt.timedelta(days=1)
            cur = s
            while cur <= end:
                if w_from <= cur <= w_to and cur < d:
                    days.add(cur)
                cur += dt.timedelta(days=1)
        return len(days)

    assert got["x_days"] == oracle(lambda q: q is True)
    assert got["x_days_possible"] == oracle(lambda q: q is not False)
    window_len = max(0, (min(w_to, d - dt.timedelta(days=1)) - w_from).days + 1)
    assert got["x_days"] <= got["x_days_possible"] <= window_len


def _evaluate_dir(path, shuffle_seed=None):
    parsed = {e: reading.read_extract(e, resolve([str(path / e)]), MODELS[e])[0]
              for e in ("applications", "experience", "wages")}
    if shuffle_seed is not None:
        parsed = {e: f.sample(fraction=1.0, shuffle=True, seed=shuffle_seed) for e, f in parsed.items()}
    kept, _ = validate_all(parsed, AS_OF)
    return evaluate(kept["applications"], kept["experience"], kept["wages"], refs(), parameters())


def test_shuffling_input_rows_changes_no_outcome(tmp_path):
    write_extracts(600, 11, tmp_path, "parquet", DATA / "reference")
    a = _evaluate_dir(tmp_path)
    for seed in (1, 2):
        b = _evaluate_dir(tmp_path, shuffle_seed=seed)
        for table in ("assessments", "wage_checks"):
            assert_frame_equal(a[table], b[table])
        cols = [c for c in a["applications"].columns if c not in ("row_number",)]
        assert_frame_equal(a["applications"].select(cols), b["applications"].select(cols))
