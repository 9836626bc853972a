"""Every rule's citation has its French (schemas/french.py): a French letter is French throughout (the rejection
reasons: tests/readers/test_report.py)."""

from __future__ import annotations

import re

import pytest

from schemas import french
from transforms.rules import RULES

ENGLISH_IN_CITATIONS = re.compile(r"\b(seed|stream|Work|Education|requirements|paragraph|occupations|profile|have|"
                                  r"if any|general)\b")


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_every_citation_reads_in_french(rule):
    said = french.citation(rule.citation, "fr")
    assert not ENGLISH_IN_CITATIONS.search(said), said
    assert re.findall(r"art\. [\d.]+", said) == re.findall(r"art\. [\d.]+", rule.citation)  # the articles unchanged
    assert french.citation(rule.citation, "en") == rule.citation
