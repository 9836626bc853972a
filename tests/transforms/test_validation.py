"""Bad rows: each kind with its reason, every reason of a row, conservation (contract § Bad input)."""

import polars as pl
import pytest

from tests.factories import AS_OF, app, parsed, spell, wage
from transforms.evaluate import validate_all


def run(apps, spells=(), wages=()):
    return validate_all({
        "applications": parsed(list(apps), "applications"),
        "experience": parsed(list(spells) or [spell(application_id="A1")], "experience"),
        "wages": parsed(list(wages) or [wage()], "wages"),
    }, AS_OF)


def reasons_of(rejected: pl.DataFrame, extract: str, row_number: int) -> list[str]:
    r = rejected.filter((pl.col("extract") == extract) & (pl.col("row_number") == row_number))
    assert r.height == 1, f"row {row_number} of {extract} was not rejected"
    return r.get_column("reasons")[0].to_list()


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"birth_date": "1990-02-30"}, "birth_date: not a date YYYY-MM-DD"),
        ({"submitted_at": "2024-13-01T10:00"}, "submitted_at: not an ISO 8601 timestamp"),
        ({"intends_to_settle_in_quebec": "maybe"}, "intends_to_settle_in_quebec: not a boolean"),
        ({"french_oral_level": "seven"}, "french_oral_level: not an integer"),
        ({"funds_available_cad": "12,5"}, "funds_available_cad: not a number"),
        ({"funds_available_cad": "-0.01"}, "funds_available_cad: must be >= 0"),
        ({"french_oral_level": "13"}, "french_oral_level: must be between 1 and 12"),
        ({"adults_in_family": "3"}, "adults_in_family: must be between 1 and 2"),
        ({"program": "ai"}, "program: not one of"),
        ({"person_id": ""}, "person_id: required value is missing"),
        ({"job_noc_code": "2123"}, None),  # a valid 4-digit NOC 2016 code: kept
        ({"job_noc_code": "212311"}, "job_noc_code: does not match the expected format"),
        ({"job_hourly_wage_cad": "0"}, "job_hourly_wage_cad: must be > 0"),
        ({"program": "food_processing", "substream": ""}, "stream does not belong to program"),
        ({"substream": ""}, "substream is required for stream ai"),
        ({"stream": "it_vfx"}, "substream is required for stream ai and not allowed for other streams"),
        ({"program": "orderlies", "stream": "work", "substream": "", "profile": "francisation"},
         "profile francisation exists only in program ai_it_vfx"),
    ],
)
def test_each_kind_of_bad_application_row_has_its_reason(override, reason):
    kept, rejected = run([app(), app(application_id="A2", **override)])
    if reason is None:
        assert kept["applications"].height == 2 and rejected.height == 0
        return
    got = reasons_of(rejected, "applications", 2)
    assert any(r.startswith(reason) for r in got), got
    assert kept["applications"].get_column("application_id").to_list() == ["A1"]


def test_every_reason_of_a_row_is_listed_and_a_parse_failure_is_not_repeated_as_missing():
    _, rejected = run([app(birth_date="31/12/1990", funds_available_cad="-5", program="nope", person_id="")])
    got = reasons_of(rejected, "applications", 1)
    assert sorted(got) == sorted([
        "birth_date: not a date YYYY-MM-DD",
        "funds_available_cad: must be >= 0",
        "person_id: required value is missing",
        "program: not one of ['ai_it_vfx', 'food_processing', 'orderlies']",
        "stream does not belong to program",
    ])


def test_every_row_sharing_an_application_id_is_rejected_and_their_spells_too():
    kept, rejected = run(
        [app(application_id="A1"), app(application_id="A1", person_id="P9"), app(application_id="A3")],
        spells=[spell(application_id="A1"), spell(application_id="A3")],
    )
    assert kept["applications"].get_column("application_id").to_list() == ["A3"]
    for line in (1, 2):
        assert reasons_of(rejected, "applications", line) == [
            "application_id is shared with another row of different content (ids compared in canonical form; every "
            "row sharing it is rejected)"
        ]
    assert reasons_of(rejected, "experience", 1) == ["application_id: the application was rejected"]
    assert kept["experience"].height == 1


def test_spell_for_unknown_application_and_end_before_start():
    kept, rejected = run(
        [app()],
        spells=[spell(application_id="NOPE"), spell(start_on="2024-01-02", end_on="2024-01-01"),
                spell(start_on="2024-01-01", end_on="2024-01-01")],
    )
    assert reasons_of(rejected, "experience", 1) == ["application_id: no such application in the applications extract"]
    assert reasons_of(rejected, "experience", 2) == ["end_on is before start_on"]
    assert kept["experience"].height == 1  # a one-day spell is fine


def test_wage_rows_decreasing_deciles_duplicates_and_types():
    kept, rejected = run(
        [app()],
        wages=[
            wage(decile_3_hourly="99.00"),  # 3rd decile above the 4th
            wage(noc_code="21232", reference_year="2022"), wage(noc_code="21232", reference_year="2022",
                                                                 median_hourly="45.01"),
            wage(noc_code="2123"), wage(noc_code="21233", derived="peut-être"), wage(noc_code="21230"),
            wage(noc_code="21230"),  # the same row delivered again: one row (contract "Deliveries")
        ],
    )
    assert reasons_of(rejected, "wages", 1) == ["deciles decrease from one decile to a later one"]
    assert reasons_of(rejected, "wages", 2) == reasons_of(rejected, "wages", 3) == [
        "noc_code, region and reference_year repeat another row of different content (every such row is rejected)"
    ]
    assert rejected.filter(pl.col("row_number") == 7).height == 0
    assert reasons_of(rejected, "wages", 4) == [
        "noc_code: 4 digits where codes have 5 (stored as a number, a code loses its leading zeros)"]
    assert reasons_of(rejected, "wages", 5)[0].startswith("derived: not a boolean")
    assert kept["wages"].get_column("noc_code").to_list() == ["21230"]


def test_rejected_row_keeps_file_line_id_and_raw_text(tmp_path):
    from flows.ingest import reading
    from schemas import MODELS
    from tests.factories import APP_COLUMNS, write_csv

    f = write_csv([app(), app(application_id="A2", birth_date="1990-02-30")], APP_COLUMNS, tmp_path / "a.csv")
    apps, _ = reading.read_extract("applications", [f], MODELS["applications"])
    _, rejected = validate_all({"applications": apps, "experience": parsed([], "experience"),
                                "wages": parsed([], "wages")}, AS_OF)
    rejected = reading.attach_raw(rejected, MODELS)
    row = rejected.row(0, named=True)
    assert (row["extract"], row["source_file"], row["row_number"], row["application_id"]) == (
        "applications", str(f), 2, "A2")
    assert '"birth_date":"1990-02-30"' in row["raw"]  # the text as read, not the (null) parsed value


def test_conservation_rows_read_equal_kept_plus_rejected():
    apps = [app(application_id=f"A{i}") for i in range(10)] + [app(application_id="X", birth_date="no")]
    spells = [spell(application_id=f"A{i}") for i in range(10)] + [spell(application_id="X")]
    kept, rejected = run(apps, spells=spells)
    counts = dict(rejected.group_by("extract").len().iter_rows())
    assert kept["applications"].height + counts["applications"] == 11
    assert kept["experience"].height + counts["experience"] == 11


@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("TRUE", True), ("1", True), ("Yes", True), ("oui", True), ("OUI", True),
     ("false", False), ("0", False), ("no", False), ("Non", False), ("", None)],
)
def test_boolean_spellings(text, value):
    kept, rejected = run([app(stay_conditions_met=text)])
    assert rejected.height == 0
    assert kept["applications"].get_column("stay_conditions_met")[0] == value
