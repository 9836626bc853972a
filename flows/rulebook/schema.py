"""The kinds a legal value of data/rulebook/parameters.yaml may be of. Each parameter names its kind, range or
members there, next to its values (`kind:`), and is read as an `Entry` (pydantic); its values are checked at load
like the contract's columns are (flows/rulebook/parameters.py). A value that does not fit stops the run with the
file, the key and the problem, before any rule reads it: no silent cast, no unknown key, no value outside its
set."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

import pydantic

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


def text_of(pattern: str = r".+") -> Check:
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


# The kinds a legal value may be of, as parameters.yaml writes them next to it (`kind:`): a name, `list of KIND`,
# `[whole] number LOW..HIGH` or `text PATTERN`.
MEMBERS = {"diploma": DIPLOMAS, "job status": JOB_STATUSES, "sector": SECTORS, "stay purpose": STAY_PURPOSES,
           "scholarship": SCHOLARSHIP, "skill level": SKILL_LEVELS}
NAMED: dict[str, Check] = {
    "money": number(0.01, 10_000_000),  # CAD
    "months": number(1, 1200, integer=True),
    "yes/no": boolean,
    "occupations": occupations,
    "program versions": program_versions,
    "diploma order": diploma_order,
    "skill level of TEER": skill_of_teer,
    "skill level of 2016 code": skill_of_2016_code,
    "sectors of conditions": sectors_of_conditions,
    **{name: one_of(members) for name, members in MEMBERS.items()},
}
_RANGE = re.compile(r"(whole )?number (-?[0-9.]+)\.\.(-?[0-9.]+)")


def kind(text: str) -> Check:
    """The check of a kind written in parameters.yaml (ValueError: not a kind)."""
    text = text.strip()
    if text.startswith("list of "):
        return list_of(kind(text.removeprefix("list of ")))
    if text in NAMED:
        return NAMED[text]
    if (m := _RANGE.fullmatch(text)) is not None:
        low, high = float(m.group(2)), float(m.group(3))
        if low > high:
            raise ValueError(f"{text!r}: its range is empty")
        return number(low, high, integer=m.group(1) is not None)
    if text.startswith("text "):
        pattern = text.removeprefix("text ")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"{text!r}: not a pattern ({exc.msg})") from None
        return text_of(pattern)
    raise ValueError(f"{text!r} is not a kind (one of {', '.join(NAMED)}; list of KIND; [whole] number LOW..HIGH; "
                     "text PATTERN)")


class Entry(pydantic.BaseModel):
    """A parameter of parameters.yaml: what it is, its unit and kind (and whether it is read once per run: one date
    only), its reference and its dated values."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    description: str = pydantic.Field(min_length=1)
    unit: str = pydantic.Field(min_length=1)
    kind: str
    once: bool = False  # read once per run: a single dated value
    reference: str = pydantic.Field(min_length=1)
    values: Any  # dated values: checked one by one against the kind (flows/rulebook/parameters.py)

    @pydantic.field_validator("kind")
    @classmethod
    def _known(cls, text: str) -> str:
        kind(text)
        return text

    @property
    def check(self) -> Check:
        return kind(self.kind)
