"""The benchmark's row-at-a-time evaluator (scripts/rowloop.py) decides every application as qcpilot does: the same
eligibility, failed and unknown rules and selection status, on the sample and on a generated set under tight caps,
and the rule book's own cases (tests/cases/). Issue #24 times qcpilot against it; the ratio means something only if
both evaluate the same rule book."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from flows.dev.generate import write_extracts
from tests.conftest import DATA, qcpilot
from tests.factories import APP_COLUMNS, SPELL_COLUMNS, WAGE_COLUMNS, app, spell, write_csv
from tests.transforms.test_rulebook import CASES, _text, _wage

ROWLOOP = Path(__file__).resolve().parents[2] / "scripts" / "rowloop.py"
SAMPLE_SEED = 20261121  # the shipped sample is `generate` with its default seed (tests/pipeline/test_sample.py)
# caps far below the generated demand, a year's cap beside an every-year one: cap_reached at both levels
TIGHT = """kind,program,stream,start_on,end_on,year,value,source
window,ai_it_vfx,,2021-04-22,2021-10-31,,,test
window,ai_it_vfx,,2023-11-23,2024-12-31,,,test
window,food_processing,,2023-11-23,2024-12-31,,,test
window,orderlies,,2023-11-23,2024-12-31,,,test
cap,ai_it_vfx,,,,,60,test: below the two stream caps together
cap,ai_it_vfx,ai,,,,40,test
cap,ai_it_vfx,it_vfx,,,,35,test
cap,ai_it_vfx,it_vfx,,,2024,10,test: the year's cap wins
cap,food_processing,,,,,20,test
cap,orderlies,,,,2024,15,test: no cap in other years
"""


def rowloop(extracts: Path, out: Path, *options: str) -> dict[str, tuple]:
    """The row loop on CSV extracts: application_id -> (outcome, failed, unknown, status)."""
    done = subprocess.run([sys.executable, str(ROWLOOP), *(a for e in ("applications", "experience", "wages")
                                                          for a in (f"--{e}", str(extracts / e))),
                           "--out", str(out), *options], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    with open(out, newline="", encoding="utf-8") as fh:
        return {r["application_id"]: (r["outcome"], r["failed_rules"].split(), r["unknown_rules"].split(),
                                      r["status"]) for r in csv.DictReader(fh)}


def published(env: dict, db: Path, *args: str) -> dict[str, tuple]:
    """`qcpilot run ARGS` into `db`: application_id -> (outcome, failed, unknown, status)."""
    done = qcpilot(env, "run", "--db", str(db), *args)
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        return {a: (o, list(f), list(u), s) for a, o, f, u, s in con.sql(
            "SELECT application_id, outcome, failed_rules, unknown_rules, status "
            "FROM eligibility JOIN selections USING (application_id)").fetchall()}


def assert_same(ours: dict, theirs: dict) -> None:
    """Every application qcpilot evaluated, and only those, decided alike (the bad rows are skipped by both)."""
    assert set(theirs) == set(ours), (sorted(set(ours) - set(theirs))[:5], sorted(set(theirs) - set(ours))[:5])
    differ = {a: (ours[a], theirs[a]) for a in sorted(ours) if ours[a] != theirs[a]}
    assert not differ, f"{len(differ)} applications differ (qcpilot, row loop): {list(differ.items())[:5]}"


def test_sample_decided_alike(prefect_api, tmp_path):
    """The sample as shipped (CSV and Parquet) through qcpilot; its CSV form, written by `generate` from the same
    seed, through the row loop."""
    write_extracts(3000, SAMPLE_SEED, tmp_path / "csv", "csv", DATA / "reference")
    ours = published(prefect_api, tmp_path / "q.duckdb", "--sample")
    theirs = rowloop(tmp_path / "csv", tmp_path / "rowloop.csv")
    assert_same(ours, theirs)
    statuses = {s for _, _, _, s in ours.values()}
    assert {"selected", "ineligible", "undetermined", "duplicate", "outside_intake"} <= statuses


def test_generated_set_under_tight_caps_decided_alike(prefect_api, tmp_path):
    """Another seed, every extract in CSV, and caps that most eligible applications do not fit under."""
    extracts, config = tmp_path / "csv", tmp_path / "tight.csv"
    write_extracts(3000, 11, extracts, "csv", DATA / "reference")
    config.write_text(TIGHT, encoding="utf-8")
    ours = published(prefect_api, tmp_path / "q.duckdb", "--config", str(config),
                     *(a for e in ("applications", "experience", "wages") for a in (f"--{e}", str(extracts / e))))
    theirs = rowloop(extracts, tmp_path / "rowloop.csv", "--config", str(config))
    assert_same(ours, theirs)
    assert sum(s == "cap_reached" for _, _, _, s in ours.values()) > 100


@pytest.mark.parametrize("stem", sorted(p.stem for p in CASES.glob("*.yaml")))
def test_rule_book_cases(tmp_path, stem):
    """Each case of tests/cases/STEM.yaml (its application, spells and the file's wages, as test_rulebook.py builds
    them): a rule it expects to fail is failed, one it expects unknown is unknown, and any other is neither."""
    doc = yaml.safe_load((CASES / f"{stem}.yaml").read_text())
    rows, spells = [], []
    for i, case in enumerate(doc["cases"]):
        rows.append(app(**_text({**doc.get("base", {}), **case.get("app", {}),
                                 "application_id": f"C{i:04d}", "person_id": f"P{i:04d}"})))
        spells += [spell(application_id=f"C{i:04d}", **_text(s))
                   for s in case.get("spells", doc.get("base_spells", []))]
    write_csv(rows, APP_COLUMNS, tmp_path / "applications" / "a.csv")
    write_csv(spells, SPELL_COLUMNS, tmp_path / "experience" / "e.csv")
    write_csv([_wage(w) for w in doc.get("wages", [])], WAGE_COLUMNS, tmp_path / "wages" / "w.csv")
    decided = rowloop(tmp_path, tmp_path / "rowloop.csv")
    wrong = []
    for i, case in enumerate(doc["cases"]):
        _, failed, unknown, _ = decided[f"C{i:04d}"]
        for rule, expected in case["expect"].items():
            got = "fail" if rule in failed else "unknown" if rule in unknown else "pass or not_applicable"
            if got != (expected if expected in ("fail", "unknown") else "pass or not_applicable"):
                wrong.append((case["name"], rule, expected, got))
    assert not wrong
