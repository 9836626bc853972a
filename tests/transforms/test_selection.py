"""Selection (rules.md §1, §5): caps filled exactly, ties, duplicates, program cap, windows, review, order."""

import datetime as dt

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from flows.ingest.reading import read_config
from flows.runtime.errors import InputError
from schemas.config import SelectionConfig
from tests.conftest import DATA
from transforms.interpretation import local_date
from transforms.selection import rank_and_cap

CONFIG = pl.DataFrame(
    {
        "kind": ["window", "window", "cap", "cap", "cap", "cap"],
        "program": ["ai_it_vfx", "orderlies", "ai_it_vfx", "ai_it_vfx", "ai_it_vfx", "orderlies"],
        "stream": [None, None, "ai", "it_vfx", None, None],
        "start_on": [dt.date(2024, 1, 1), dt.date(2024, 1, 1), None, None, None, None],
        "end_on": [dt.date(2024, 12, 31), dt.date(2024, 12, 31), None, None, None, None],
        "year": [None] * 6,
        "value": [None, None, 2, 2, 3, 2],
        "source": ["test"] * 6,
    },
    schema={"kind": pl.String, "program": pl.String, "stream": pl.String, "start_on": pl.Date, "end_on": pl.Date,
            "year": pl.Int64, "value": pl.Int64, "source": pl.String},
)


def frames(rows):
    """rows: (id, person, program, stream, 'YYYY-MM-DD HH:MM', outcome)."""
    apps = pl.DataFrame(
        [(i, p, prog, s, dt.datetime.fromisoformat(t).replace(tzinfo=dt.UTC)) for i, p, prog, s, t, _ in rows],
        schema={"application_id": pl.String, "person_id": pl.String, "program": pl.String, "stream": pl.String,
                "submitted_at": pl.Datetime("us", "UTC")}, orient="row",
    ).with_columns(local_date(pl.col("submitted_at")).alias("submitted_on"))
    elig = pl.DataFrame([(r[0], r[5]) for r in rows], schema=["application_id", "outcome"], orient="row")
    return apps, elig


def statuses(rows, config=CONFIG):
    apps, elig = frames(rows)
    sel = rank_and_cap(apps, elig, config)
    return {r["application_id"]: (r["status"], r["rank_in_stream"], r["rank_in_program"], r["cap_applied"])
            for r in sel.iter_rows(named=True)}


def test_stream_filled_exactly_to_its_cap_and_one_over():
    got = statuses([
        ("A1", "P1", "ai_it_vfx", "ai", "2024-02-01 15:00", "eligible"),
        ("A2", "P2", "ai_it_vfx", "ai", "2024-02-02 15:00", "eligible"),
        ("A3", "P3", "ai_it_vfx", "ai", "2024-02-03 15:00", "eligible"),
    ])
    assert got["A1"] == ("selected", 1, 1, None)
    assert got["A2"] == ("selected", 2, 2, None)
    assert got["A3"] == ("cap_reached", 3, None, "stream")


def test_a_tie_on_submitted_at_at_the_cap_boundary_is_broken_by_application_id():
    got = statuses([
        ("A1", "P1", "ai_it_vfx", "ai", "2024-02-01 15:00", "eligible"),
        ("B9", "P2", "ai_it_vfx", "ai", "2024-02-02 15:00", "eligible"),
        ("B1", "P3", "ai_it_vfx", "ai", "2024-02-02 15:00", "eligible"),
    ])
    assert got["B1"][0:2] == ("selected", 2)
    assert got["B9"][0:2] == ("cap_reached", 3)


def test_a_duplicate_person_does_not_consume_capacity():
    got = statuses([
        ("A1", "P1", "ai_it_vfx", "ai", "2024-02-01 15:00", "eligible"),
        ("A2", "P1", "ai_it_vfx", "ai", "2024-02-02 15:00", "eligible"),  # same person, program, year
        ("A3", "P3", "ai_it_vfx", "ai", "2024-02-03 15:00", "eligible"),
        ("A0", "P1", "ai_it_vfx", "it_vfx", "2024-01-15 15:00", "ineligible"),  # an ineligible one does not count
    ])
    assert got["A1"][0] == "selected"
    assert got["A2"] == ("duplicate", None, None, None)
    assert got["A3"] == ("selected", 2, 2, None)
    assert got["A0"][0] == "ineligible"


def test_the_program_cap_binds_where_stream_caps_do_not():
    got = statuses([
        ("A1", "P1", "ai_it_vfx", "ai", "2024-02-01 15:00", "eligible"),
        ("I1", "P2", "ai_it_vfx", "it_vfx", "2024-02-02 15:00", "eligible"),
        ("I2", "P3", "ai_it_vfx", "it_vfx", "2024-02-03 15:00", "eligible"),
        ("A2", "P4", "ai_it_vfx", "ai", "2024-02-04 15:00", "eligible"),  # 2nd in its stream, 4th in the program
    ])
    assert [got[k][0] for k in ("A1", "I1", "I2")] == ["selected"] * 3
    assert got["A2"] == ("cap_reached", 2, 4, "program")


def test_orderlies_streams_share_the_program_cap():
    got = statuses([
        ("O1", "P1", "orderlies", "work", "2024-02-01 15:00", "eligible"),
        ("O2", "P2", "orderlies", "study_work", "2024-02-02 15:00", "eligible"),
        ("O3", "P3", "orderlies", "work", "2024-02-03 15:00", "eligible"),
    ])
    assert [got[k][0] for k in ("O1", "O2", "O3")] == ["selected", "selected", "cap_reached"]
    assert got["O3"][3] == "program"


def test_outside_every_window_is_checked_first_and_undetermined_is_not_ranked():
    got = statuses([
        ("X1", "P1", "ai_it_vfx", "ai", "2023-12-31 23:00", "eligible"),  # local 2023-12-31: outside the window
        ("X2", "P2", "ai_it_vfx", "ai", "2024-01-01 04:59", "ineligible"),  # UTC 04:59 is local 2023-12-31
        ("U1", "P3", "ai_it_vfx", "ai", "2024-02-01 15:00", "undetermined"),
        ("A1", "P4", "ai_it_vfx", "ai", "2024-02-02 15:00", "eligible"),
        ("A2", "P5", "ai_it_vfx", "ai", "2024-01-01 05:00", "eligible"),  # local 2024-01-01 00:00: inside
    ])
    assert got["X1"] == ("outside_intake", None, None, None)
    assert got["X2"][0] == "outside_intake"
    assert got["U1"] == ("undetermined", None, None, None)
    assert got["A2"][0:2] == ("selected", 1)
    assert got["A1"][0:2] == ("selected", 2)


def test_a_cap_for_a_given_year_overrides_the_every_year_cap():
    config = pl.concat([CONFIG, CONFIG.filter((pl.col("kind") == "cap") & (pl.col("stream") == "ai"))
                       .with_columns(pl.lit(2024).cast(pl.Int64).alias("year"),
                                     pl.lit(1).cast(pl.Int64).alias("value"))])
    got = statuses([
        ("A1", "P1", "ai_it_vfx", "ai", "2024-02-01 15:00", "eligible"),
        ("A2", "P2", "ai_it_vfx", "ai", "2024-02-02 15:00", "eligible"),
    ], config)
    assert [got["A1"][0], got["A2"][0]] == ["selected", "cap_reached"]


def test_same_inputs_in_any_row_order_give_identical_selections():
    rows = [(f"A{i:03d}", f"P{i % 17}", "ai_it_vfx", ["ai", "it_vfx"][i % 2],
             f"2024-{1 + i % 12:02d}-{1 + i % 27:02d} {i % 24:02d}:00", ["eligible", "eligible", "ineligible"][i % 3])
            for i in range(120)]
    apps, elig = frames(rows)
    a = rank_and_cap(apps, elig, CONFIG)
    for seed in range(3):
        b = rank_and_cap(apps.sample(fraction=1.0, shuffle=True, seed=seed),
                         elig.sample(fraction=1.0, shuffle=True, seed=seed + 10),
                         CONFIG.sample(fraction=1.0, shuffle=True, seed=seed))
        assert_frame_equal(a, b)
    assert a.filter(pl.col("status") == "selected").height == 3  # the program cap


def test_the_shipped_configuration_is_valid_and_cites_its_sources():
    config = read_config(DATA / "config" / "selection.csv", SelectionConfig)
    caps = {(p, s): v for k, p, s, v in config.select("kind", "program", "stream", "value").iter_rows() if k == "cap"}
    assert caps == {("ai_it_vfx", None): 550, ("ai_it_vfx", "ai"): 275, ("ai_it_vfx", "it_vfx"): 275,
                    ("food_processing", None): 600, ("orderlies", None): 600}
    assert config.get_column("source").str.len_chars().min() > 0


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("cap,ai_it_vfx,ai,,,2030,-1,x", "value: must be >= 0"),
        ("cap,ai_it_vfx,work,,,,10,x", "stream does not belong to program"),
        ("window,orderlies,,2024-02-01,2024-01-01,,,x", "a window needs start_on <= end_on"),
        ("cap,ai_it_vfx,ai,,,2030,,x", "a cap needs a value"),
        ("cap,ai_it_vfx,ai,,,2030,abc,x", "value: not an integer"),
        ("cap,ai_it_vfx,ai,,,,100,x", "the same cap (program, stream, year) is configured twice"),
    ],
)
def test_a_malformed_configuration_stops_with_a_clear_message(tmp_path, line, message):
    path = tmp_path / "selection.csv"
    path.write_text((DATA / "config" / "selection.csv").read_text() + line + "\n")
    with pytest.raises(InputError) as exc:
        read_config(path, SelectionConfig)
    text = str(exc.value)
    assert text.startswith(f"{path}: row {6 if 'twice' in message else 10}: ")
    assert message in text
