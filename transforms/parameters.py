"""The legal values of the rule book as dated data (data/rulebook/parameters.yaml, loaded by
flows/rulebook/parameters.py).

A value applies to the submissions whose local date D is on or after its date, until the next value's date; the
first value also applies before its date. Rules read them through `Parameters`: `value` and `isin` give polars
expressions evaluated per application on its own D, so a value that changes on a date changes the decisions from
that date only, and the rules hold no legal number. Reading is recorded (`recording`), so each rule knows the
parameters it used: the `rules` table lists them with their values, and the texts are filled from them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import polars as pl

from schemas.labels import PLACEHOLDER, label
from transforms import wording

D = pl.col("submitted_on")


@dataclass(frozen=True)
class Parameter:
    name: str  # dotted: section.key
    description: str
    unit: str
    reference: str
    values: tuple[tuple[dt.date, Any], ...]  # sorted by date

    def at(self, day: dt.date) -> Any:
        """The value in force on `day` (the first one before its date)."""
        chosen = self.values[0][1]
        for since, value in self.values:
            if since <= day:
                chosen = value
        return chosen


class Parameters:
    """Every parameter by name; expressions over D for the rules."""

    def __init__(self, parameters: dict[str, Parameter], source: str = "", sha256: str = ""):
        self.by_name = dict(parameters)
        self.source, self.sha256 = source, sha256
        self._read: set[str] | None = None

    def __getitem__(self, name: str) -> Parameter:
        if self._read is not None:
            self._read.add(name)
        return self.by_name[name]

    def __contains__(self, name: str) -> bool:
        return name in self.by_name

    @contextlib.contextmanager
    def recording(self) -> Iterator[set[str]]:
        """Within: the names of the parameters read are collected in the yielded set."""
        previous, self._read = self._read, set()
        try:
            yield self._read
        finally:
            self._read = previous

    def piecewise(self, name: str, make) -> pl.Expr:
        """`make(value)` (an expression) for the value of `name` in force on each application's D."""
        values = self[name].values
        expr = make(values[0][1])
        for since, value in values[1:]:
            expr = pl.when(D >= since).then(make(value)).otherwise(expr)
        return expr

    def value(self, name: str, dtype: pl.DataType | None = None) -> pl.Expr:
        """The scalar value of `name` on each application's D."""
        return self.piecewise(name, lambda v: pl.lit(v, dtype))

    def isin(self, expr: pl.Expr, name: str) -> pl.Expr:
        """Whether `expr` is one of the values listed by `name` on each application's D."""
        return self.piecewise(name, lambda values: expr.is_in(list(values)))

    def months_to_days(self, name: str) -> pl.Expr:
        """§2: M months of experience = floor(M × days_per_month) days (6 -> 182, 12 -> 365, 24 -> 730)."""
        per_month = self.only("general.days_per_month")
        return self.piecewise(name, lambda months: pl.lit(int(months * per_month // 1), pl.Int32))

    def only(self, name: str) -> Any:
        """The value of a parameter that is read once per run, not per application (it may have one date only:
        checked when the file is loaded, flows/rulebook/parameters.py)."""
        values = self[name].values
        if len(values) != 1:
            raise ValueError(f"{name} has {len(values)} dated values; it is read once per run and may have one")
        return values[0][1]

    def months_before(self, day: pl.Expr, name: str) -> pl.Expr:
        """§2 "N months before `day`" with N the value of `name` on D: calendar subtraction, the day clamped to the
        month's end (2024-03-31 - 1 month = 2024-02-29)."""
        return self.piecewise(name, lambda months: day.dt.offset_by(f"-{int(months)}mo"))

    def months_after(self, day: pl.Expr, name: str) -> pl.Expr:
        """Calendar addition with the same clamping."""
        return self.piecewise(name, lambda months: day.dt.offset_by(f"{int(months)}mo"))

    # -- the values in words: the rule texts and the letters --------------------------------------------------

    def placeholders(self, template: str) -> list[str]:
        """The parameters a text names (read: recorded like those the expressions read)."""
        names = PLACEHOLDER.findall(template)
        for name in names:
            self[name]
        return names

    def fill(self, template: str, lang: str, day: dt.date | None = None) -> str:
        """`template` with each {section.key} replaced by the value in force on `day` (default: the latest)."""
        def one(m: re.Match) -> str:
            parameter = self[m.group(1)]
            value = parameter.values[-1][1] if day is None else parameter.at(day)
            return self.show(parameter.name, value, lang)
        return PLACEHOLDER.sub(one, template)

    def show(self, name: str, value: Any, lang: str) -> str:
        """A value in words: money as money, lists as "a, b or c", contract values by their labels."""
        unit = self.by_name[name].unit
        if isinstance(value, bool):
            return label(value, lang)
        if isinstance(value, int | float) and unit.startswith("CAD"):
            return wording.money(value, lang)
        if isinstance(value, list):
            words = [" = ".join(label(v, lang) for v in item) if isinstance(item, list) else label(item, lang)
                     for item in value]
            if unit.startswith("diploma levels") and any(isinstance(item, list) for item in value):
                return " < ".join(words)
            return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {label('or', lang)} {words[-1]}"
        if isinstance(value, dict):
            return "; ".join(f"{k}: {self.show(name, v, lang) if isinstance(v, list | dict) else v}"
                             for k, v in value.items())
        if isinstance(value, float):
            return wording.number(value, lang)
        return label(value, lang)
