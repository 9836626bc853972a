"""The comments of the published tables, views and columns (COMMENT ON), from their documentation
(schemas/outputs.yaml) and the rule book: pure text, no I/O; flows/store/datadocs.py reads what a database holds
and runs the statements.

A column's comment is, in this order: in the analysts' database, what an id is there (a pseudonym); the meaning its
table gives it; for a column named after a rule (`{rules}`), the rule's outcome with its citation and text (read from
the database's `rules`, or `rulebooks` for a rule of an earlier rule book only); for a figure (`{figures}`), the
rule that reads it (from the code) and its meaning; else its meaning in the dictionary, a pattern or a prefix. A
column its table does not list gets no comment (the tests find it), and neither does a table not documented.
Comments change no row: the seals (flows/store/layout.py) hash rows only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from schemas.outputs import MARKERS, Outputs


@dataclass(frozen=True)
class Book:
    """What of the rule book and the contract names columns: the applications extract's columns, the rules (id ->
    citation, in rule book order), each figure with the rule that reads it, and the experiences measured."""

    contract: tuple[str, ...]
    rules: dict[str, str]
    figures: dict[str, str]
    measures: tuple[str, ...]


def book_of(rules: Iterable, contract: Iterable[str]) -> Book:
    """The Book of bound rules (transforms/rules: `rulebook(p).rules`): a figure belongs to the first rule that
    names it, as the engine scopes it (transforms/engine.py)."""
    rules = list(rules)
    figures: dict[str, str] = {}
    for r in rules:
        for name in r.figures:
            figures.setdefault(name, r.id)
    return Book(tuple(contract), {r.id: r.citation for r in rules}, figures,
                tuple(m.name for r in rules for m in r.measures))


@dataclass(frozen=True)
class RuleText:
    """A rule as a database records it: its citation and text; `current` when it is a rule of the rule book the run
    read (`rules`, its text filled), not only of an earlier one (`rulebooks`, its text a template)."""

    citation: str
    text: str
    current: bool = True


def lowered(text: str) -> str:
    """A meaning as it reads after a colon: its first word in lower case, unless it is a name (`D`, `NOC`)."""
    return text[0].lower() + text[1:] if len(text) > 1 and text[0].isupper() and text[1].islower() else text


def base_meaning(doc: Outputs, column: str, measures: Iterable[str] | None = None) -> str | None:
    """A column's meaning from the dictionary, a pattern (filled) or a prefix of either; None if none."""
    if column in doc.columns:
        return doc.columns[column]
    if (found := doc.match(column, measures)) is not None:
        pattern, value = found
        return doc.patterns[pattern].format(**value)
    for prefix, template in doc.prefixes.items():
        rest = column.removeprefix(prefix)
        if column.startswith(prefix) and doc.known(rest, measures) in ("columns", "patterns"):
            return template.format(meaning=lowered(base_meaning(doc, rest, measures)))
    return None


def listed(doc: Outputs, table: str, column: str, book: Book, rules: Iterable[str]) -> str | None:
    """How `table`'s documentation lists `column`: "name", "pattern", "{contract}", "{rules}", "{figures}"; None when
    it does not (or the table is not documented)."""
    t = doc.tables.get(table)
    if t is None:
        return None
    names = t.names
    if column in names:
        return "name"
    if (found := doc.match(column, book.measures)) is not None and found[0] in names:
        return "pattern"
    for marker, members in zip(MARKERS, (book.contract, rules, book.figures), strict=True):
        if marker in names and column in members:
            return marker
    return None


def column_comment(doc: Outputs, table: str, column: str, book: Book, rules: dict[str, RuleText],
                   analysts: bool = False) -> str | None:
    """The comment of `table`.`column` (see the module's docstring); None when its table does not list it."""
    how = listed(doc, table, column, book, rules)
    if how is None:
        return None
    if analysts and column in doc.analysts.columns:
        return doc.analysts.columns[column]
    own = doc.tables[table].own
    if column in own:
        return own[column]
    if how == "{rules}":
        rule = rules[column]
        template = doc.generated.rule if rule.current else doc.generated.earlier_rule
        return template.format(rule_id=column, citation=rule.citation, text=rule.text)
    meaning = base_meaning(doc, column, book.measures)
    if how == "{figures}" and meaning is not None:
        owner = book.figures[column]
        return doc.generated.figure.format(rule_id=owner, citation=book.rules[owner], meaning=lowered(meaning))
    return meaning


def table_comment(doc: Outputs, table: str, analysts: bool = False) -> str | None:
    """What the table or view holds and what one row of it is (and, in the analysts' database, what differs there);
    None when it is not documented."""
    t = doc.tables.get(table)
    if t is None:
        return None
    text = f"{t.what} One row per {t.one_row_per}."
    return f"{text} {t.analysts}" if analysts and t.analysts else text


def identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal: quotes doubled (a comment is text, never SQL)."""
    return "'" + text.replace("'", "''") + "'"


def comment_sql(kind: str, table: str, column: str | None, text: str) -> str:
    """COMMENT ON TABLE|VIEW table, or COMMENT ON COLUMN table.column (of a table or a view), IS text."""
    if column is None:
        return f"COMMENT ON {'VIEW' if kind == 'view' else 'TABLE'} {identifier(table)} IS {literal(text)}"
    return f"COMMENT ON COLUMN {identifier(table)}.{identifier(column)} IS {literal(text)}"


@dataclass(frozen=True)
class Relation:
    """A table or view of a database, as its catalog lists it."""

    name: str
    kind: str  # "table" or "view"
    columns: tuple[str, ...]


def comments(doc: Outputs, relations: Iterable[Relation], book: Book, rules: dict[str, RuleText],
             analysts: bool = False) -> list[tuple[str, str, str | None, str]]:
    """(kind, table, column or None, comment) of every table, view and column of `relations` that is documented."""
    found = []
    for rel in relations:
        if (text := table_comment(doc, rel.name, analysts)) is not None:
            found.append((rel.kind, rel.name, None, text))
        for column in rel.columns:
            if (text := column_comment(doc, rel.name, column, book, rules, analysts)) is not None:
                found.append((rel.kind, rel.name, column, text))
    return found


def statements(doc: Outputs, relations: Iterable[Relation], book: Book, rules: dict[str, RuleText],
               analysts: bool = False) -> list[str]:
    """The COMMENT ON statements of `comments`."""
    return [comment_sql(*c) for c in comments(doc, relations, book, rules, analysts)]
