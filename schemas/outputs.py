"""The documentation of the published tables, views and columns (schemas/outputs.yaml), as pydantic models.

One source for the comments every publish writes into the databases (transforms/comments.py) and for
docs/outputs-reference.md (scripts/outputs_doc.py). The file is read by flows/store/datadocs.py; what is checked
here is its shape: no unknown key, no empty text, a column listed once per table, each name of a table known (in
the dictionary, a pattern, a prefix of either, or given its meaning in the table), each marker or pattern one that
exists, and each template naming only what it is filled with. Whether it documents every column of a published
database, and nothing else, is checked on a database (tests/store/test_comments.py).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from typing import Literal

import pydantic

from schemas.enums import ELIGIBILITY, EXTRACTS, SELECTION_STATUSES

DATABASES = ("published", "analysts", "scenario")  # NAME.duckdb, NAME-analytics.duckdb, a what-if's scenario
# the columns the code gives a table: the applications extract's (contract), one per rule, every figure of the rules
MARKERS = ("{contract}", "{rules}", "{figures}")
# what a pattern may be named after
PLACEHOLDERS = ("extract", "outcome", "status", "measure")
# the values of those the contract fixes; a {measure} is an experience the rule book measures (transforms/rules/)
VALUES = {"extract": tuple(EXTRACTS), "outcome": tuple(ELIGIBILITY), "status": tuple(SELECTION_STATUSES)}

Text = pydantic.constr(strip_whitespace=True, min_length=1)


def _named(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _names_only(template: str, allowed: set[str], where: str) -> str:
    try:
        named = _named(template)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    if not named <= allowed:
        raise ValueError(f"{where}: names {', '.join(sorted(named - allowed))}; it may name "
                         f"{', '.join(sorted(allowed)) or 'nothing'}")
    return template


class Table(pydantic.BaseModel):
    """A published table or view: its kind, the databases that have it, what one row is, what it holds, what differs
    in the analysts' database (if anything), and its columns in order: a name, or {name: its meaning here}."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    kind: Literal["table", "view"]
    databases: list[Literal[DATABASES]] = pydantic.Field(min_length=1)
    one_row_per: Text
    what: Text
    analysts: Text | None = None
    columns: list[Text | dict[Text, Text]] = pydantic.Field(min_length=1)

    @pydantic.field_validator("columns")
    @classmethod
    def _once_each(cls, items: list) -> list:
        names = []
        for item in items:
            if isinstance(item, dict) and len(item) != 1:
                raise ValueError(f"{item!r}: a column is a name, or one name and its meaning")
            names.append(next(iter(item)) if isinstance(item, dict) else item)
        if (twice := sorted({n for n in names if names.count(n) > 1})):
            raise ValueError(f"{', '.join(twice)} listed twice")
        return items

    @property
    def names(self) -> list[str]:
        """The columns as listed (names, markers and patterns), in order."""
        return [next(iter(item)) if isinstance(item, dict) else item for item in self.columns]

    @property
    def own(self) -> dict[str, str]:
        """The columns this table gives a meaning of its own."""
        return {k: v for item in self.columns if isinstance(item, dict) for k, v in item.items()}


class Generated(pydantic.BaseModel):
    """The comments of the columns the rule book names, filled from it."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    rule: Text  # a rule's outcome column: {rule_id}, {citation}, {text} (filled with today's legal values)
    earlier_rule: Text  # a rule of an earlier rule book only (`rulebooks`): its text as a template
    figure: Text  # a figure: {rule_id}, {citation} of the rule that reads it, and {meaning}

    @pydantic.model_validator(mode="after")
    def _templates(self) -> Generated:
        for name in ("rule", "earlier_rule"):
            _names_only(getattr(self, name), {"rule_id", "citation", "text"}, f"generated.{name}")
        _names_only(self.figure, {"rule_id", "citation", "meaning"}, "generated.figure")
        return self


class Analysts(pydantic.BaseModel):
    """What differs in the analysts' database: its description, and the columns that mean something else there (the
    ids, pseudonyms) in every table."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    what: Text
    columns: dict[Text, Text]


_PATTERN = re.compile(r"[a-z0-9_]*\{(" + "|".join(PLACEHOLDERS) + r")\}[a-z0-9_]*")


class Outputs(pydantic.BaseModel):
    """schemas/outputs.yaml."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    columns: dict[Text, Text]
    patterns: dict[Text, Text]
    prefixes: dict[Text, Text]
    generated: Generated
    analysts: Analysts
    tables: dict[Text, Table] = pydantic.Field(min_length=1)

    @pydantic.field_validator("patterns")
    @classmethod
    def _patterns(cls, patterns: dict[str, str]) -> dict[str, str]:
        for pattern, meaning in patterns.items():
            if not _PATTERN.fullmatch(pattern):
                raise ValueError(f"{pattern!r} is not a column name with one of {{{'}, {'.join(PLACEHOLDERS)}}}")
            _names_only(meaning, {_PATTERN.fullmatch(pattern).group(1)}, f"patterns.{pattern}")
        return patterns

    @pydantic.field_validator("prefixes")
    @classmethod
    def _prefixes(cls, prefixes: dict[str, str]) -> dict[str, str]:
        for prefix, meaning in prefixes.items():
            _names_only(meaning, {"meaning"}, f"prefixes.{prefix}")
        return prefixes

    @pydantic.model_validator(mode="after")
    def _every_name_known(self) -> Outputs:
        for name, table in self.tables.items():
            own = table.own
            for column in table.names:
                if column in MARKERS or column in own:
                    continue
                if "{" in column:
                    if column not in self.patterns:
                        raise ValueError(f"tables.{name}: {column} is neither {', '.join(MARKERS)} nor a pattern")
                elif self.known(column) is None:
                    raise ValueError(f"tables.{name}: {column} has no meaning: give it one in the table, or in "
                                     "`columns`")
        return self

    def known(self, column: str, measures: Iterable[str] | None = None) -> str | None:
        """Where the meaning of a column that its table does not give comes from: "columns" (the dictionary),
        "patterns", "prefixes" (a prefix of either); None if nowhere. `measures`: the experiences the rule book
        measures (None: any name)."""
        if column in self.columns:
            return "columns"
        if self.match(column, measures) is not None:
            return "patterns"
        if any(column.startswith(p) and self.known(column.removeprefix(p), measures) in ("columns", "patterns")
               for p in self.prefixes):
            return "prefixes"
        return None

    def match(self, column: str, measures: Iterable[str] | None = None) -> tuple[str, dict[str, str]] | None:
        """The pattern a column is named by, and the value of its placeholder; None if none."""
        for pattern in self.patterns:
            placeholder = _PATTERN.fullmatch(pattern).group(1)
            values = VALUES.get(placeholder, measures)
            if values is None:  # any experience: what its name says
                before, _, rest = pattern.partition("{")
                after = rest.partition("}")[2]
                found = re.fullmatch(re.escape(before) + r"(\w+?)" + re.escape(after), column)
                if found:
                    return pattern, {placeholder: found.group(1)}
                continue
            for value in values:
                if pattern.replace("{" + placeholder + "}", value) == column:
                    return pattern, {placeholder: value}
        return None
