"""Property: corrupting valid rows at random never crashes; every row is kept or rejected with a reason."""

import string

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import APP_COLUMNS, AS_OF, SPELL_COLUMNS, app, parsed, spell, wage
from tests.rules_harness import parameters
from transforms.evaluate import evaluate, validate_deliveries

GARBAGE = st.one_of(
    st.just(""), st.just("-1"), st.just("13"), st.just("2024-02-30"), st.just("true"), st.just("0"),
    st.just("ai"), st.just("1e309"), st.just("nan"), st.just("2024-01-01T25:00"),
    st.text(alphabet=string.printable + "éàç", max_size=12),
)


@st.composite
def corrupted(draw):
    n = draw(st.integers(1, 8))
    apps = [app(application_id=f"A{i}", person_id=f"P{i % 3}") for i in range(n)]
    spells = [spell(application_id=f"A{draw(st.integers(0, n))}") for _ in range(draw(st.integers(0, 8)))]
    for _ in range(draw(st.integers(0, 10))):
        row = draw(st.sampled_from(apps))
        row[draw(st.sampled_from(APP_COLUMNS))] = draw(GARBAGE)
    for _ in range(draw(st.integers(0, 6))):
        if spells:
            row = draw(st.sampled_from(spells))
            row[draw(st.sampled_from(SPELL_COLUMNS))] = draw(GARBAGE)
    return apps, spells


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corrupted())
def test_corrupted_rows_are_kept_or_rejected_with_reasons(data):
    apps, spells = data
    raw = {
        "applications": parsed(apps, "applications"),
        "experience": parsed(spells, "experience"),
        "wages": parsed([wage()], "wages"),
    }
    kept, rejected, repeated = validate_deliveries(raw, AS_OF)
    for extract, frame in raw.items():
        rej = rejected.filter(pl.col("extract") == extract)
        assert kept[extract].height + rej.height + repeated[extract] == frame.height  # conservation
        assert (rej.get_column("reasons").list.len() > 0).all()  # never rejected without a reason
        kept_lines = set(kept[extract].get_column("row_number").to_list())
        rej_lines = set(rej.get_column("row_number").to_list())
        assert kept_lines.isdisjoint(rej_lines)
        # every line kept or rejected once, but a repeat of a line read before (contract "Deliveries")
        assert kept_lines | rej_lines <= set(range(1, frame.height + 1))
        assert len(kept_lines | rej_lines) == frame.height - repeated[extract]
    # what is kept evaluates without error, one eligibility row per kept application
    from flows.ingest.reference import load_references
    from tests.conftest import DATA

    out = evaluate(kept["applications"], kept["experience"], kept["wages"], load_references(DATA), parameters())
    assert out["assessments"].height == kept["applications"].height
