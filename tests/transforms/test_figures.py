"""Property: every figure a letter prints (age, days, amounts) equals an independent computation, over generated
dates that include 29 February, month ends and year ends."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import DATA
from tests.factories import app, spell
from tests.rules_harness import detail, evaluate_rows

EDGES = [(2, 28), (2, 29), (3, 1), (12, 31), (1, 1), (6, 15)]


@st.composite
def a_day(draw, first: dt.date, last: dt.date) -> dt.date:
    """A day between first and last, often on an edge of a month or year."""
    if draw(st.booleans()):
        year = draw(st.integers(first.year, last.year))
        month, day = draw(st.sampled_from(EDGES))
        if (month, day) == (2, 29) and not calendar.isleap(year):
            day = 28
        d = dt.date(year, month, day)
        if first <= d <= last:
            return d
    return first + dt.timedelta(days=draw(st.integers(0, (last - first).days)))


def age(born: dt.date, on: dt.date) -> int:
    """Whole years on `on`; a 29 February birthday falls on 1 March in a common year (rules.md §2)."""
    birthday = (born.month, born.day)
    if birthday == (2, 29) and not calendar.isleap(on.year):
        birthday = (3, 1)
    return on.year - born.year - ((on.month, on.day) < birthday)


def months_before(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.year * 12 + d.month - 1 - n, 12)
    return dt.date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def union_days(spells: list[tuple[dt.date, dt.date | None]], first: dt.date, last: dt.date, d: dt.date) -> int:
    days = set()
    for s, e in spells:
        end = min(e or d - dt.timedelta(days=1), last, d - dt.timedelta(days=1))
        cur = max(s, first)
        while cur <= end:
            days.add(cur)
            cur += dt.timedelta(days=1)
    return len(days)


def scale_amount(year: int, adults: int, under18: int, adult_children: int) -> float:
    """Annex C amount computed straight from the CSV, as rules.md §2 says."""
    rows = list(csv.DictReader(open(DATA / "reference" / "self_sufficiency_scale.csv")))
    years = sorted({int(r["scale_year"]) for r in rows if int(r["scale_year"]) <= year})
    y = years[-1]
    table = {(int(r["adults"]), int(r["children_under_18"])): float(r["amount_cad"]) for r in rows
             if int(r["scale_year"]) == y}
    a = min(adults, 2)
    amount = table[(a, min(under18, 3))]
    amount += max(under18 - 3, 0) * (table[(a, 3)] - table[(a, 2)])
    amount += adult_children * (table[(2, 0)] - table[(1, 0)])
    return round(amount, 2)


@st.composite
def applications(draw):
    rows, spells, expected = [], [], {}
    for i in range(draw(st.integers(1, 12))):
        d = draw(a_day(dt.date(2023, 11, 23), dt.date(2025, 12, 31)))
        born = draw(a_day(dt.date(1950, 1, 1), d - dt.timedelta(days=15 * 365)))
        adults, kids, grown = draw(st.integers(1, 2)), draw(st.integers(0, 6)), draw(st.integers(0, 3))
        hourly, hours = draw(st.integers(2000, 9000)) / 100, draw(st.sampled_from([30.0, 35.0, 37.5, 40.0]))
        aid = f"A{i}"
        rows.append(app(application_id=aid, person_id=f"P{i}", submitted_at=f"{d}T12:00:00", birth_date=str(born),
                        adults_in_family=str(adults), children_under_18=str(kids), children_18_plus=str(grown),
                        job_annual_salary_cad="", job_hourly_wage_cad=f"{hourly:.2f}", job_weekly_hours=str(hours)))
        own = []
        for _ in range(draw(st.integers(0, 4))):
            s = draw(a_day(d - dt.timedelta(days=2400), d + dt.timedelta(days=30)))
            e = draw(st.one_of(st.none(), st.integers(0, 900).map(lambda n, s=s: s + dt.timedelta(days=n))))
            own.append((s, e))
            spells.append(spell(application_id=aid, start_on=str(s), end_on="" if e is None else str(e)))
        window = (months_before(d, 60), d - dt.timedelta(days=1))
        expected[aid] = {
            "d": d, "age": age(born, d), "window": window, "days": union_days(own, *window, d),
            "amount": scale_amount(d.year, adults, kids, grown), "annual": round(hourly * hours * 52, 2),
        }
    return rows, spells, expected


@settings(max_examples=40, deadline=None)
@given(applications())
def test_every_figure_of_the_letter_matches_an_independent_computation(case):
    rows, spells, expected = case
    out = evaluate_rows(rows, spells)
    for aid, want in expected.items():
        age_text = detail(out, aid, "GEN_AGE_18")
        assert age_text == f"age on {want['d']}: {want['age']} years (18 required)", (aid, want)
        m = re.search(r"(\d+) days counted of 730 required, in (\S+)\.\.(\S+)", detail(out, aid, "AI_FW_EXPERIENCE"))
        assert (int(m[1]), m[2], m[3]) == (want["days"], str(want["window"][0]), str(want["window"][1])), (aid, want)
        m = re.search(r"amount required ([\d.]+) CAD", detail(out, aid, "GEN_SELF_SUFFICIENCY"))
        assert float(m[1]) == want["amount"], (aid, want)
        m = re.search(r"annual salary ([\d.]+) CAD", detail(out, aid, "AI_FW_SALARY"))
        assert abs(float(m[1]) - want["annual"]) < 0.006, (aid, want)


def test_the_age_printed_is_the_age_the_rule_compares():
    """The defect that was: an Int8 overflow in month * 100 + day printed 18 for someone still 17 (A00000734)."""
    out = evaluate_rows([app(submitted_at="2024-01-27T10:00:00", birth_date="2006-03-18")])
    assert detail(out, "A1", "GEN_AGE_18") == "age on 2024-01-27: 17 years (18 required)"
