"""What each legal value of data/rulebook/parameters.yaml must be: its kind, range and members (checked at load,
like the contract's columns are; flows/rulebook/parameters.py). A value that does not fit stops the run with the file,
the key and the problem, before any rule reads it: no silent cast, no unknown key, no value outside its set."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

from schemas.enums import DIPLOMAS, JOB_STATUSES, PROGRAMS, SCHOLARSHIP, SECTORS, STAY_PURPOSES
from transforms.noc import KINDS  # the conditions an occupation list may put on a code

Check = Callable[[Any], str | None]  # the problem with a value, or None

SKILL_LEVELS = ["0", "A", "B", "C", "D"]


def number(low: float, high: float, integer: bool = False) -> Check:
    def check(v: Any) -> str | None:
        if isinstance(v, bool) or not isinstance(v, int | float):
            return f"{v!r} is not a number"
        if not math.isfinite(v) or not low <= v <= high:
            return f"{v!r} is outside {low:g}..{high:g}"
        if integer and not float(v).is_integer():
            return f"{v!r} is not a whole number"
        return None
    return check


def one_of(members: list) -> Check:
    def check(v: Any) -> str | None:
        return None if isinstance(v, str) and v in members else f"{v!r} is not one of {', '.join(map(str, members))}"
    return check


def list_of(item: Check, nonempty: bool = True) -> Check:
    def check(v: Any) -> str | None:
        if not isinstance(v, list) or (nonempty and not v):
            return f"{v!r} is not a{' non-empty' if nonempty else ''} list"
        if len({repr(x) for x in v}) != len(v):
            return "a member is listed twice"
        return next((p for x in v if (p := item(x))), None)
    return check


def text(pattern: str = r".+") -> Check:
    def check(v: Any) -> str | None:
        return None if isinstance(v, str) and re.fullmatch(pattern, v) else f"{v!r} is not a text of the form {pattern}"
    return check


def boolean(v: Any) -> str | None:
    return None if isinstance(v, bool) else f"{v!r} is not true or false"


def occupations(v: Any) -> str | None:
    """NOC codes (4 digits: NOC 2016, 5 digits: NOC 2021; quoted, so that no leading zero is lost) -> condition."""
    if not isinstance(v, dict) or not v:
        return f"{v!r} is not a mapping of NOC codes to conditions"
    for code, kind in v.items():
        if not isinstance(code, str) or not re.fullmatch(r"\d{4}|\d{5}", code):
            return f"{code!r} is not a NOC code written as text (\"0213\", \"21211\")"
        if kind not in KINDS:
            return f"{code}: {kind!r} is not one of {', '.join(KINDS)}"
    if len({len(c) for c in v}) > 1:
        return "NOC 2016 and NOC 2021 codes are mixed in one list"
    return None


def program_versions(v: Any) -> str | None:
    if not isinstance(v, dict) or not v:
        return f"{v!r} is not a mapping of programs to versions"
    for program, versions in v.items():
        if program not in PROGRAMS:
            return f"{program!r} is not one of {', '.join(PROGRAMS)}"
        if not isinstance(versions, dict) or not versions:
            return f"{program}: expected versions with their [first day, last day]"
        periods = []
        for version, period in versions.items():
            if not (isinstance(period, list) and len(period) == 2
                    and all(isinstance(d, dt.date) and not isinstance(d, dt.datetime) for d in period)):
                return f"{program} {version}: expected [first day, last day] as dates"
            if period[0] > period[1]:
                return f"{program} {version}: its first day {period[0]} is after its last day {period[1]}"
            periods.append(period)
        periods.sort()
        if any(a[1] >= b[0] for a, b in zip(periods, periods[1:], strict=False)):
            return f"{program}: two versions overlap"
    return None


def diploma_order(v: Any) -> str | None:
    if not isinstance(v, list) or not all(isinstance(x, list) and x for x in v):
        return "expected a list of lists of diplomas"
    flat = [d for same in v for d in same]
    if sorted(flat) != sorted(DIPLOMAS):
        return f"must list every diploma of the contract once: {', '.join(DIPLOMAS)}"
    return None


def skill_of_teer(v: Any) -> str | None:
    if not isinstance(v, dict) or sorted(v) != list(range(6)) or any(x not in SKILL_LEVELS for x in v.values()):
        return f"expected TEER 0..5 -> one of {', '.join(SKILL_LEVELS)}"
    return None


def skill_of_2016_code(v: Any) -> str | None:
    digits = v.get("second_digit") if isinstance(v, dict) else None
    if (not isinstance(v, dict) or set(v) != {"first_digit_0", "second_digit"} or v["first_digit_0"] not in SKILL_LEVELS
            or not isinstance(digits, dict) or any(not isinstance(k, int) or not 0 <= k <= 9 or x not in SKILL_LEVELS
                                                   for k, x in digits.items())):
        return f"expected first_digit_0: level, second_digit: {{digit: level}} with levels {', '.join(SKILL_LEVELS)}"
    return None


def sectors_of_conditions(v: Any) -> str | None:
    if not isinstance(v, dict) or set(v) != {"vfx", "it_vfx"}:
        return "expected the sectors of the conditions vfx and it_vfx"
    return next((f"{k}: {p}" for k, x in v.items() if (p := list_of(one_of(SECTORS))(x))), None)


MONEY = number(0.01, 10_000_000)
MONTHS = number(1, 1200, integer=True)
DIPLOMA = one_of(DIPLOMAS)

# parameter -> (check of each value, read once per run: one date only)
SCHEMA: dict[str, tuple[Check, bool]] = {
    "general.program_versions": (program_versions, True),
    "general.minimum_age": (number(0, 120, integer=True), False),
    "general.french_oral_minimum_level": (number(1, 12, integer=True), False),
    "general.days_per_month": (number(28, 31), True),
    "general.weeks_per_year": (number(1, 53, integer=True), True),
    "general.scale_maximum_adults": (number(1, 2, integer=True), True),
    "general.scale_maximum_children": (number(1, 3, integer=True), True),
    "general.diploma_order": (diploma_order, True),
    "noc.skill_level_of_teer": (skill_of_teer, True),
    "noc.skill_level_of_2016_code": (skill_of_2016_code, True),
    "ai_it_vfx.qualifying_skill_levels": (list_of(one_of(SKILL_LEVELS)), True),
    "ai_it_vfx.qualifying_teer": (list_of(number(0, 5, integer=True)), False),
    "ai_it_vfx.employer_control_excluded": (boolean, False),
    "ai_it_vfx.stay_purposes": (list_of(one_of(STAY_PURPOSES)), False),
    "ai_it_vfx.job_statuses": (list_of(one_of(JOB_STATUSES)), False),
    "ai_it_vfx.ai_job_sector": (one_of(SECTORS), False),
    "ai_it_vfx.foreign_worker_minimum_diploma": (DIPLOMA, False),
    "ai_it_vfx.salary_minimum_in_cmm": (MONEY, False),
    "ai_it_vfx.salary_minimum_elsewhere": (MONEY, False),
    "ai_it_vfx.experience_months": (MONTHS, False),
    "ai_it_vfx.experience_window_months": (MONTHS, False),
    "ai_it_vfx.experience_exemption_diplomas": (list_of(DIPLOMA), False),
    "ai_it_vfx.experience_exemption_months": (MONTHS, False),
    "ai_it_vfx.graduate_diplomas": (list_of(DIPLOMA), False),
    "ai_it_vfx.graduate_diploma_months": (MONTHS, False),
    "ai_it_vfx.graduate_scholarships": (list_of(one_of(SCHOLARSHIP)), False),
    "ai_it_vfx.dess_experience_months": (MONTHS, False),
    "ai_it_vfx.dess_experience_window_months": (MONTHS, False),
    "ai_it_vfx.itv_diplomas": (list_of(DIPLOMA), False),
    "ai_it_vfx.itv_minimum_diploma": (DIPLOMA, False),
    "ai_it_vfx.itv_occupations": (occupations, False),
    "ai_it_vfx.occupation_sectors": (sectors_of_conditions, True),
    "ai_it_vfx.wage_years": (number(1, 10, integer=True), True),
    "ai_it_vfx.wage_region": (text(r"[A-Z0-9]{2,4}"), True),
    "food_processing.occupations": (occupations, False),
    "food_processing.chicken_catcher_titles": (list_of(text(r"[a-z][a-z ]*[a-z]")), False),
    "food_processing.naics_prefixes": (list_of(text(r"\d{2,6}")), False),
    "food_processing.job_statuses": (list_of(one_of(JOB_STATUSES)), False),
    "food_processing.minimum_program_months": (MONTHS, False),
    "food_processing.experience_months": (MONTHS, False),
    "food_processing.experience_window_months": (MONTHS, False),
    "orderlies.orderly_occupations": (occupations, False),
    "orderlies.health_occupations_outside_quebec": (occupations, False),
    "orderlies.work_minimum_diploma": (DIPLOMA, False),
    "orderlies.minimum_program_months": (MONTHS, False),
    "orderlies.experience_window_months": (MONTHS, False),
    "orderlies.quebec_experience_months": (MONTHS, False),
    "orderlies.mixed_experience_months": (MONTHS, False),
    "orderlies.study_work_diploma": (DIPLOMA, False),
    "orderlies.study_work_diploma_months": (MONTHS, False),
    "orderlies.study_work_experience_months": (MONTHS, False),
}
