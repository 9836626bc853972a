"""Loading the rule book's legal values (data/rulebook/parameters.yaml) and checking them before any run reads them.

A problem stops the command with one line naming the file, the parameter (section.key) and the problem (exit 2,
nothing published). An override file (`qcpilot whatif --parameters`) names only the parameters it changes, in the
same layout; each must exist in the rule book and keep the kind of value it had.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pydantic
import yaml

from flows.rulebook.schema import Check, Entry
from flows.runtime.errors import InputError
from transforms.parameters import Parameter, Parameters
from transforms.rules import rulebook

OVERRIDDEN = ("description", "unit", "reference", "values")  # what an override file may give (not the kind)


class _UniqueKeys(yaml.SafeLoader):
    """YAML that refuses a key written twice in one mapping (the last one would silently win)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"{key} is written twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def _read(path: Path) -> tuple[dict, str]:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    try:
        data = yaml.load(raw, Loader=_UniqueKeys)  # a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}:{where} not valid YAML ({getattr(exc, 'problem', None) or 'syntax error'})") from None
    except (RecursionError, MemoryError):
        raise InputError(f"{path}: not valid YAML (nested too deep)") from None
    if not isinstance(data, dict) or not data:
        raise InputError(f"{path}: expected sections of parameters (section: key: values), found none")
    return data, hashlib.sha256(raw).hexdigest()


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "yes/no"
    if isinstance(value, int | float):
        return "number"
    return {str: "text", list: "list", dict: "mapping", dt.date: "date"}.get(type(value), type(value).__name__)


def _values(path: Path, name: str, values: Any, unit: str, check: Check, once: bool) -> tuple[tuple[dt.date, Any], ...]:
    if not isinstance(values, dict) or not values:
        raise InputError(f"{path}: {name}: `values` must map dates (YYYY-MM-DD) to values")
    for since, value in values.items():
        if not isinstance(since, dt.date) or isinstance(since, dt.datetime):
            raise InputError(f"{path}: {name}: {since!r} is not a date (YYYY-MM-DD)")
        if value is None:
            raise InputError(f"{path}: {name}: no value on {since}")
        if _kind(value) == "number" and value < 0:
            raise InputError(f"{path}: {name}: {value} on {since} is negative ({unit})")
        if unit == "months" and not (isinstance(value, int) and not isinstance(value, bool)):
            raise InputError(f"{path}: {name}: {value!r} on {since} is not a whole number of months")
    kinds = {_kind(v) for v in values.values()}
    if len(kinds) > 1:
        raise InputError(f"{path}: {name}: values of different kinds ({', '.join(sorted(kinds))})")
    for since, value in values.items():
        problem = check(value)
        if problem:
            raise InputError(f"{path}: {name}: on {since}: {problem}")
    if once and len(values) > 1:
        raise InputError(f"{path}: {name}: has {len(values)} dated values; it is read once per run and may have one")
    return tuple(sorted(values.items()))


def _entry(path: Path, name: str, fields: dict) -> Entry:
    """A parameter's fields read as an Entry (pydantic): one line naming the file, the key and the problem."""
    try:
        return Entry.model_validate(fields)
    except pydantic.ValidationError as exc:
        errors = exc.errors()
        missing = [str(e["loc"][0]) for e in errors if e["type"] == "missing"]
        unknown = sorted(str(e["loc"][0]) for e in errors if e["type"] == "extra_forbidden")
        if missing:
            raise InputError(f"{path}: {name}: {', '.join(missing)} missing") from None
        if unknown:
            raise InputError(f"{path}: {name}: unknown field(s) {', '.join(unknown)}") from None
        first = errors[0]
        problem = str(first.get("ctx", {}).get("error") or first["msg"])
        raise InputError(f"{path}: {name}: {first['loc'][0]}: {problem}") from None


def _entries(path: Path, data: dict):
    for section, keys in data.items():
        if not isinstance(keys, dict):
            raise InputError(f"{path}: {section}: expected parameters (key: description, unit, reference, values)")
        for key, entry in keys.items():
            name = f"{section}.{key}"
            if not isinstance(entry, dict):
                raise InputError(f"{path}: {name}: expected description, unit, reference and values")
            yield name, entry


def _usable(path: Path, p: Parameters) -> set[str]:
    """The rules can be bound to `p`: every parameter they read is there, and those read once per run have one
    date (Parameters.only). Returns the names of the parameters the rules read."""
    try:
        return {name for rule in rulebook(p).rules for name in rule.parameters}
    except KeyError as exc:
        raise InputError(f"{path}: {exc.args[0]}: missing (a rule reads it)") from None
    except ValueError as exc:
        raise InputError(f"{path}: {exc}") from None


def load(path: Path) -> Parameters:
    """The rule book's parameters, checked (InputError naming the file, key and problem)."""
    data, sha256 = _read(path)
    parameters = {}
    for name, fields in _entries(path, data):
        entry = _entry(path, name, fields)
        parameters[name] = Parameter(name, entry.description, entry.unit, entry.reference,
                                     _values(path, name, entry.values, entry.unit, entry.check, entry.once))
    loaded = Parameters(parameters, str(path), sha256)
    unread = sorted(set(parameters) - _usable(path, loaded))
    if unread:
        raise InputError(f"{path}: {unread[0]}: no such parameter (no rule reads it; a misspelt key?)")
    return loaded


def load_overrides(path: Path, base: Parameters) -> tuple[Parameters, dict[str, Parameter]]:
    """`base` with the parameters an override file names replaced (their values; the other fields are the base's
    unless given): (the parameters, the overridden ones)."""
    data, sha256 = _read(path)
    kinds = {name: _entry(Path(base.source), name, fields) for name, fields in _entries(*_read_back(base))}
    changes = {}
    for name, entry in _entries(path, data):
        if name not in base:
            raise InputError(f"{path}: {name}: no such parameter in the rule book ({base.source})")
        unknown = sorted(set(entry) - set(OVERRIDDEN))
        if unknown or "values" not in entry:
            raise InputError(f"{path}: {name}: expected `values` (and optionally description, unit, reference)")
        old = base.by_name[name]
        values = _values(path, name, entry["values"], old.unit, kinds[name].check, kinds[name].once)
        if _kind(values[0][1]) != _kind(old.values[0][1]):
            raise InputError(f"{path}: {name}: a {_kind(values[0][1])} where the rule book has a "
                             f"{_kind(old.values[0][1])}")
        changes[name] = Parameter(name, str(entry.get("description", old.description)), old.unit,
                                  str(entry.get("reference", old.reference)), values)
    if not changes:
        raise InputError(f"{path}: names no parameter")
    merged = Parameters({**base.by_name, **changes}, str(path), sha256)
    _usable(path, merged)
    return merged, changes


def _read_back(base: Parameters) -> tuple[Path, dict]:
    """The rule book's file a Parameters was loaded from, read again (the kinds of its values)."""
    return Path(base.source), _read(Path(base.source))[0]


def _link(name: str) -> str:
    anchor = name.replace(".", "")
    return f"[`{name}`](#{anchor})"


def markdown(p: Parameters) -> str:
    """docs/rulebook.md: every rule (id, citation, scope, versions, texts with the values filled in, the
    parameters it reads), then every parameter with its dated values and reference."""
    book = rulebook(p)
    lines = [
        "# The rule book as qcpilot runs it",
        "",
        "Generated by `python scripts/rulebook_doc.py` from the rules (`transforms/rules/`) and the legal values",
        "(`data/rulebook/parameters.yaml`); do not edit by hand (`tests/rulebook/test_rulebook_doc.py` fails when it "
        "is stale).",
        "Citations: \"art. N\" is an article of A.M. 2021-002 as amended by A.M. 2023-002 (`docs/seeds/004_*.txt`),",
        "\"seed NNN\" the file `docs/seeds/NNN_*.txt`, \"rules.md §N\" a paragraph of `docs/spec/rules.md`.",
        "Texts show the values in force on the latest date; a letter (`qcpilot explain`) fills them on the",
        "application's own date.",
        "",
        "## Rules",
        "",
    ]
    for r in book.rules:
        scope = ", ".join(filter(None, [
            f"program `{r.program}`" if r.program else "every program",
            f"streams {', '.join(f'`{s}`' for s in r.streams)}" if r.streams else "",
            f"substreams {', '.join(f'`{s}`' for s in r.substreams)}" if r.substreams else "",
            f"versions {', '.join(r.versions)}" if r.versions else "every version (and dates outside them)",
        ]))
        lines += [
            f"### {r.id}", "",
            f"- Citation: {r.citation}",
            f"- Scope: {scope}",
            f"- FR: {p.fill(r.text_fr, 'fr')}",
            f"- EN: {p.fill(r.text_en, 'en')}",
            f"- Parameters: {', '.join(_link(n) for n in r.parameters) or 'none'}",
            "",
        ]
    lines += ["## Parameters", ""]
    readers: dict[str, list[str]] = {}
    for r in book.rules:
        for n in r.parameters:
            readers.setdefault(n, []).append(r.id)
    for name, par in p.by_name.items():
        lines += [f"### {name}", "", f"{par.description}", "",
                  f"- Unit: {par.unit}", f"- Reference: {par.reference}",
                  f"- Read by: {', '.join(readers.get(name, [])) or 'no rule'}"]
        lines += [f"- From {since}: {p.show(name, value, 'en')}" for since, value in par.values]
        lines.append("")
    return "\n".join(lines)
