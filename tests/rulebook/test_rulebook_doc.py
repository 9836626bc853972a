"""docs/rulebook.md is generated from the rules and the parameters file: it must say what the code does."""

from __future__ import annotations

from pathlib import Path

from flows.rulebook.parameters import markdown
from tests.rules_harness import parameters
from transforms.rules import RULES

DOC = Path(__file__).resolve().parents[2] / "docs" / "rulebook.md"


def test_the_rulebook_document_is_current():
    assert DOC.read_text(encoding="utf-8") == markdown(parameters()), (
        "docs/rulebook.md is stale: run python scripts/rulebook_doc.py")


def test_every_rule_is_found_from_its_id_with_its_values_filled_in():
    text = DOC.read_text(encoding="utf-8")
    for r in RULES:
        assert f"### {r.id}\n" in text
    assert "{" not in text.split("## Parameters")[0]  # no placeholder left unfilled
    assert "Gross annual salary of at least $100,000 in the Montreal Metropolitan Community" in text
