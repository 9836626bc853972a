"""Applications given as JSON (`qcpilot evaluate`, `POST /evaluate`): one object, or a list of them, each with the
contract's application columns as keys and the applicant's work-experience spells as a list under `spells` (each
with the experience extract's columns; its `application_id` is its application's, in any spelling of it (the same
canonical key), and may be left out).

They become the raw frames a CSV file of each extract would be: every value as text (a JSON true is `true`, a number
is written as JSON wrote it, an integer never converted, whatever its length; null is an empty field), with FILE (the
input's name) and LINE (the application's place in the list, from 1; a spell's place among all the spells), so that
the run's own parsing and checks read them (transforms/parse.py, transforms/validate.py) and reject what they would
reject in an extract.

As a file must have every column of its extract in its header, an object must have every column of its extract as a
key (null for an empty field): a key misspelt is a column missing, never a value silently null. Keys that are not
the contract's are ignored, as extra columns are. A problem is one line naming the input, the application (its place
and its id) and the spell, the column or the check; never a value of the case (an id is shown escaped).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import polars as pl

from flows.runtime.errors import InputError
from transforms.identity import application_key
from transforms.parse import FILE, LINE

SPELLS = "spells"


class CaseProblems(InputError):
    """Cases that cannot be decided as given: every problem, one line each (exit status 2)."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass(frozen=True)
class Cases:
    """The cases of one input as raw extract frames (every contract column as text, FILE and LINE)."""

    source: str
    applications: pl.DataFrame
    spells: pl.DataFrame
    # a spell's LINE -> (its application's place, its own place among the application's spells), from 1
    spell_at: dict[int, tuple[int, int]] = field(default_factory=dict)

    def where(self, extract: str, line: int, application_id: str | None) -> str:
        """How a problem names a row of these cases: the input, the application's place and id, the spell."""
        if extract == "experience":
            place, spell = self.spell_at[line]
            return f"{self.source}: application {place}{_id(application_id)}, spell {spell}"
        return f"{self.source}: application {line}{_id(application_id)}"

    def rejected(self, rejected: pl.DataFrame) -> list[str]:
        """One line per reason of the rejected rows (transforms.validate's `rejected_rows`) of these cases, in the
        order of the input. A spell's reasons about its application_id are its application's (a spell is given
        under its application, with its id): said once, on the application."""
        rows = sorted(rejected.filter(pl.col("extract").is_in(["applications", "experience"])).iter_rows(named=True),
                      key=lambda r: (self.spell_at[r["row_number"]] if r["extract"] == "experience"
                                     else (r["row_number"], 0)))
        said = {r["row_number"] for r in rows if r["extract"] == "applications"}  # the applications with a line
        return [f"{self.where(r['extract'], r['row_number'], r['application_id'])}: {reason}"
                for r in rows for reason in r["reasons"]
                if r["extract"] == "applications" or not reason.startswith("application_id:")
                or self.spell_at[r["row_number"]][0] not in said]


def _id(application_id: object) -> str:
    """An application's id in a problem's line (the terminal escapes what it must); a lone surrogate, which no
    terminal can write, as its escape."""
    if not isinstance(application_id, str) or not application_id:
        return ""
    return " (" + "".join(f"\\u{ord(c):04x}" if _surrogate(c) else c for c in application_id) + ")"


def _surrogate(c: str) -> bool:
    return "\ud800" <= c <= "\udfff"


def _same_id(given: object, application_id: object) -> bool:
    """Whether a spell's application_id names its application: the same canonical key (transforms.identity), as the
    run reads an id whatever its spelling; text UTF-8 cannot hold (said of the application), by its spelling."""
    a, b = _text(given), _text(application_id)
    if a is None or b is None or a == b or any(_surrogate(c) for c in a + b):
        return a == b
    keys = pl.select(application_key(pl.lit(a, pl.String)).alias("a"), application_key(pl.lit(b, pl.String)).alias("b"))
    return keys.item(0, "a") == keys.item(0, "b")


class _Repeated(Exception):
    def __init__(self, key: str):
        self.key = key


def _pairs(pairs: list[tuple[str, object]]) -> dict:
    """A JSON object whose keys are each written once (the last would silently win, as a column written twice)."""
    seen: dict = {}
    for key, value in pairs:
        if key in seen:
            raise _Repeated(key)
        seen[key] = value
    return seen


def _text(value: object) -> str | None:
    """A JSON value as a CSV field would hold it (a list or an object is no value: caller's check)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back as the same number
    return str(value)


def parse_json(data: bytes, source: str) -> list:
    """The cases of a JSON text: a list of objects, or one object (CaseProblems when it is not JSON, or holds
    none)."""
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise CaseProblems([f"{source}: byte {exc.start + 1}: not UTF-8 text (JSON is UTF-8)"]) from None
    try:
        # an integer kept as the text JSON wrote it, as every value becomes text: converted, one of more than 4,300
        # digits would be an error of Python's (ValueError), where the contract's checks say what it is
        found = json.loads(text, object_pairs_hook=_pairs, parse_int=str)
    except _Repeated as exc:
        raise CaseProblems([f"{source}: key {exc.key!r} appears more than once in one object; which one to read is "
                            "unknown"]) from None
    except json.JSONDecodeError as exc:  # its message names what was expected, never the text
        raise CaseProblems([f"{source}: line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg})"]) from None
    except RecursionError:
        raise CaseProblems([f"{source}: not valid JSON (nested too deep)"]) from None
    if isinstance(found, dict):
        found = [found]
    if not isinstance(found, list):
        raise CaseProblems([f"{source}: expected an application (a JSON object) or a list of them"])
    if not found:
        raise CaseProblems([f"{source}: the list is empty: no application to evaluate"])
    return found


def read_cases(data: bytes, source: str, application_columns: list[str], spell_columns: list[str]) -> Cases:
    """The cases of a JSON text as raw frames of the applications and experience extracts (their contract columns
    `application_columns` and `spell_columns`); CaseProblems with every problem of their shape."""
    problems: list[str] = []
    apps: list[dict] = []
    spells: list[dict] = []
    spell_at: dict[int, tuple[int, int]] = {}
    own = [c for c in spell_columns if c != "application_id"]
    for place, case in enumerate(parse_json(data, source), start=1):
        where = f"{source}: application {place}"
        if not isinstance(case, dict):
            problems.append(f"{where}: not a JSON object")
            continue
        app_id = case.get("application_id")
        where += _id(app_id)
        problems += _shape(case, application_columns, where, "applications")
        given = case.get(SPELLS)
        if SPELLS not in case:
            problems.append(f"{where}: missing key 'spells' (its work-experience spells: a list, [] for none)")
        elif not isinstance(given, list):
            problems.append(f"{where}: 'spells' is not a list (its work-experience spells, [] for none)")
        else:
            for number, spell in enumerate(given, start=1):
                at = f"{where}, spell {number}"
                if not isinstance(spell, dict):
                    problems.append(f"{at}: not a JSON object")
                    continue
                problems += _shape(spell, own, at, "experience")
                if "application_id" in spell and not _same_id(spell["application_id"], app_id):
                    problems.append(f"{at}: application_id is not its application's (a spell under `spells` is "
                                    "its application's: leave it out)")
                line = len(spells) + 1
                spell_at[line] = (place, number)
                spells.append({**{c: _text(spell.get(c)) for c in own}, "application_id": _text(app_id),
                               FILE: source, LINE: line})
        apps.append({**{c: _text(case.get(c)) for c in application_columns}, FILE: source, LINE: place})
    if problems:
        raise CaseProblems(problems)
    return Cases(source, _frame(apps, application_columns), _frame(spells, spell_columns), spell_at)


def _shape(obj: dict, columns: list[str], where: str, extract: str) -> list[str]:
    """The problems of one object's keys: the contract's columns it lacks, and values that are lists or objects."""
    found = []
    missing = [c for c in columns if c not in obj]
    if missing:
        found.append(f"{where}: missing required column {', '.join(repr(c) for c in missing)} for the {extract} "
                     "extract (null for an empty field)")
    found += [f"{where}: {c}: a list or an object where one value is due" for c in columns
              if isinstance(obj.get(c), (list, dict))]
    found += [f"{where}: {c}: not text UTF-8 can hold (a lone surrogate escape)" for c in columns
              if isinstance(obj.get(c), str) and any(_surrogate(ch) for ch in obj[c])]
    return found


def _frame(rows: list[dict], columns: list[str]) -> pl.DataFrame:
    schema = {**{c: pl.String for c in columns}, FILE: pl.String, LINE: pl.Int64}
    return pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema)
