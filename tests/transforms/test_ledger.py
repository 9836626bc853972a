"""The decision ledger: published decisions are never revoked; later runs fill only the capacity left."""

import datetime as dt

import polars as pl
from polars.testing import assert_frame_equal

from tests.transforms.test_selection import CONFIG, frames
from transforms.selection import selections_and_ledger

T1 = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
T2 = dt.datetime(2024, 6, 2, tzinfo=dt.UTC)


def run(rows, ledger, run_id, when):
    apps, elig = frames(rows)
    return selections_and_ledger(apps, elig, CONFIG, ledger, run_id=run_id, decided_at=when,
                                 engine_version="e1", config_sha256="c1")


def status(sel):
    return {r["application_id"]: (r["status"], r["rank_in_stream"], r["late_arrival"], r["decided_run_id"])
            for r in sel.iter_rows(named=True)}


FIRST = [
    ("A1", "P1", "ai_it_vfx", "ai", "2024-02-10 15:00", "eligible"),
    ("U1", "P2", "ai_it_vfx", "ai", "2024-02-11 15:00", "undetermined"),
    ("I1", "P3", "ai_it_vfx", "it_vfx", "2024-02-12 15:00", "eligible"),
]


def test_a_second_run_keeps_every_decision_and_fills_only_the_capacity_left():
    sel1, ledger1 = run(FIRST, None, "run1", T1)
    s1 = status(sel1)
    assert s1["A1"] == ("selected", 1, False, "run1")
    assert s1["U1"] == ("undetermined", None, False, None)  # not a decision: waits for review
    assert ledger1.get_column("application_id").to_list() == ["A1", "I1"]

    second = FIRST + [
        ("A0", "P4", "ai_it_vfx", "ai", "2024-02-01 15:00", "eligible"),  # submitted before A1: a late arrival
        ("A2", "P5", "ai_it_vfx", "ai", "2024-02-20 15:00", "eligible"),
        ("I2", "P6", "ai_it_vfx", "it_vfx", "2024-02-21 15:00", "eligible"),
    ]
    sel2, ledger2 = run(second, ledger1, "run2", T2)
    s2 = status(sel2)
    # earlier decisions are untouched, even though A0 came first
    assert s2["A1"] == ("selected", 1, False, "run1")
    assert s2["I1"][0:2] == ("selected", 1)
    # A0 is ranked after what was already ranked, against the one place left in the ai stream (cap 2)
    assert s2["A0"] == ("selected", 2, True, "run2")
    # program cap 3: A1, I1, A0 selected -> nothing left for A2 (stream full) or I2 (program full)
    assert s2["A2"][0] == "cap_reached"
    assert s2["I2"][0] == "cap_reached"
    assert ledger2.filter(pl.col("decided_run_id") == "run1").equals(ledger1.filter(pl.col("decided_run_id") == "run1"))
    assert sel2.filter(pl.col("status") == "selected").height == 3


def test_an_undetermined_application_that_becomes_decidable_is_decided_then():
    _, ledger1 = run(FIRST, None, "run1", T1)
    later = [r if r[0] != "U1" else (*r[:5], "eligible") for r in FIRST]
    sel2, ledger2 = run(later, ledger1, "run2", T2)
    s2 = status(sel2)
    # U1 (submitted after A1, before I1) takes the second ai place; it is later than nothing ranked in ai after it
    assert s2["U1"] == ("selected", 2, False, "run2")
    assert ledger2.height == 3


def test_the_same_run_twice_changes_nothing():
    sel1, ledger1 = run(FIRST, None, "run1", T1)
    sel2, ledger2 = run(FIRST, ledger1, "run2", T2)
    assert_frame_equal(ledger1, ledger2)
    assert_frame_equal(sel1, sel2)


def test_a_decided_application_missing_from_a_later_extract_stays_in_the_ledger():
    _, ledger1 = run(FIRST, None, "run1", T1)
    sel2, ledger2 = run([FIRST[0]], ledger1, "run2", T2)
    # every decision counts, delivered or not (rules.md §5.6); U1 was never decided and is not delivered: gone
    assert sel2.select("application_id", "status", "in_latest_delivery").rows() == [
        ("A1", "selected", True), ("I1", "selected", False)]
    assert_frame_equal(ledger1, ledger2)


def test_a_person_already_ranked_makes_a_new_earlier_application_a_duplicate():
    _, ledger1 = run(FIRST, None, "run1", T1)
    second = FIRST + [("A9", "P1", "ai_it_vfx", "it_vfx", "2024-01-05 15:00", "eligible")]  # P1 again, earlier
    sel2, _ = run(second, ledger1, "run2", T2)
    assert status(sel2)["A9"][0] == "duplicate"
    assert status(sel2)["A1"][0] == "selected"


def test_a_changed_evaluation_never_rewrites_a_published_decision():
    _, ledger1 = run(FIRST, None, "run1", T1)
    changed = [r if r[0] != "A1" else (*r[:5], "ineligible") for r in FIRST]  # e.g. a new rules version
    sel2, ledger2 = run(changed, ledger1, "run2", T2)
    assert status(sel2)["A1"] == ("selected", 1, False, "run1")
    assert_frame_equal(ledger1, ledger2)
