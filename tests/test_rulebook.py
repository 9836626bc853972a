"""Table-driven rule book tests: one YAML file per program under tests/cases/ (OpenFisca style).

Each file has a `base` application (overrides of tests.factories.app), optional `base_spells` and `wages`; each
case gives its overrides, its spells and the expected outcome of the rules it is about.
"""

from pathlib import Path

import pytest
import yaml

from tests.factories import app, spell, wage
from tests.rules_harness import detail, evaluate_rows, outcome

CASES = Path(__file__).parent / "cases"


def _load():
    for path in sorted(CASES.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        for case in doc["cases"]:
            yield pytest.param(doc, case, id=f"{path.stem}: {case['name']}")


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


@pytest.mark.parametrize(("doc", "case"), list(_load()))
def test_case(doc, case):
    row = app(**_text({**doc.get("base", {}), **case.get("app", {})}))
    spells = case.get("spells", doc.get("base_spells", []))
    spells = [spell(application_id=row["application_id"], **_text(s)) for s in spells]
    wages = [_wage(w) for w in case.get("wages", doc.get("wages", []))]
    out = evaluate_rows([row], spells, wages)
    got = {rule: outcome(out, row["application_id"], rule) for rule in case["expect"]}
    assert got == case["expect"], {rule: detail(out, row["application_id"], rule) for rule in case["expect"]}
    for rule, fragment in case.get("detail", {}).items():
        assert fragment in detail(out, row["application_id"], rule)
