"""Table-driven rule book tests: one YAML file per program under tests/cases/ (OpenFisca style).

Each file has a `base` application (overrides of tests.factories.app), optional `base_spells` and `wages`; each
case gives its overrides, its spells and the expected outcome of the rules it is about. A file's cases are
evaluated together, once (each case its own application and person), and each case is its own test.
"""

import functools
from pathlib import Path

import pytest
import yaml

from tests.factories import app, spell, wage
from tests.rules_harness import detail, evaluate_rows, outcome

CASES = Path(__file__).resolve().parents[1] / "cases"


def _load():
    for path in sorted(CASES.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        for i, case in enumerate(doc["cases"]):
            yield pytest.param(path.stem, i, id=f"{path.stem}: {case['name']}")


@functools.cache
def _evaluated(stem: str) -> tuple[dict, list[dict], list[dict]]:
    """Every case of a file evaluated at once (its own application id and person each; the file's wages): the
    evaluation, the cases and their application rows."""
    doc = yaml.safe_load((CASES / f"{stem}.yaml").read_text())
    rows, spells = [], []
    for i, case in enumerate(doc["cases"]):
        row = app(**_text({**doc.get("base", {}), **case.get("app", {}),
                           "application_id": f"C{i:04d}", "person_id": f"P{i:04d}"}))
        rows.append(row)
        spells += [spell(application_id=row["application_id"], **_text(s))
                   for s in case.get("spells", doc.get("base_spells", []))]
    return evaluate_rows(rows, spells, [_wage(w) for w in doc.get("wages", [])]), doc["cases"], rows


def _wage(w: dict) -> dict:
    """A wage row; `d9: X` spreads monotone deciles X*i/9 (median = 5th decile)."""
    w = dict(w)
    if "d9" in w:
        d9 = float(w.pop("d9"))
        w.update({f"decile_{i}_hourly": f"{d9 * i / 9:.2f}" for i in range(1, 9)}, decile_9_hourly=f"{d9:.2f}")
        w["median_hourly"] = w["decile_5_hourly"]
    return wage(**_text(w))


def _text(d: dict) -> dict:
    return {k: ("" if v is None else str(v).lower() if isinstance(v, bool) else str(v)) for k, v in d.items()}


@pytest.mark.parametrize(("stem", "index"), list(_load()))
def test_case(stem, index):
    out, cases, rows = _evaluated(stem)
    case, application = cases[index], rows[index]["application_id"]
    got = {rule: outcome(out, application, rule) for rule in case["expect"]}
    assert got == case["expect"], {rule: detail(out, application, rule) for rule in case["expect"]}
    for rule, fragment in case.get("detail", {}).items():
        assert fragment in detail(out, application, rule)
