"""Identity is the canonical form of an id, never its spelling (docs/spec/contract.md "Identifiers", rules.md §5.3).

`application_id` and `person_id` hold visible characters only (a control or invisible format character, or white
space at either end, rejects the row: schemas/). Two ids are the same when their canonical forms are: Unicode NFKC,
then case-folded (`str.casefold`, as Unicode's full case folding), then NFKC again; a person's key also drops white
space, invisible format characters (category Cf) and the other characters Unicode lets a renderer show as nothing
(Default_Ignorable_Code_Point) or blank (U+2800). Look-alike letters of other scripts (a Cyrillic Р for a Latin P)
are different characters: the key does not guess they are one. The raw id is kept and shown; the key decides.

polars lower-cases with the full Unicode lower-case mapping; case folding differs from it for the characters of
`CASEFOLD_AFTER_LOWER`, folded after lower-casing (generated from Python's unicodedata;
tests/transforms/test_identity.py checks, for every assigned character, that the expressions give what Python's
`casefold` gives). `application_keys_of` computes the same keys in Python, for a command that looks up one
application (`explain`) without loading polars.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

# character (already lower-cased) -> its case folding, where the two differ
CASEFOLD_AFTER_LOWER = {
    '\xb5': '\u03bc', '\xdf': 'ss', '\u0149': '\u02bcn', '\u017f': 's', '\u01f0': 'j\u030c', '\u0345': '\u03b9',
    '\u0390': '\u03b9\u0308\u0301', '\u03b0': '\u03c5\u0308\u0301', '\u03c2': '\u03c3', '\u03d0': '\u03b2',
    '\u03d1': '\u03b8', '\u03d5': '\u03c6', '\u03d6': '\u03c0', '\u03f0': '\u03ba', '\u03f1': '\u03c1',
    '\u03f5': '\u03b5', '\u0587': '\u0565\u0582', '\u13f8': '\u13f0', '\u13f9': '\u13f1', '\u13fa': '\u13f2',
    '\u13fb': '\u13f3', '\u13fc': '\u13f4', '\u13fd': '\u13f5', '\u1c80': '\u0432', '\u1c81': '\u0434',
    '\u1c82': '\u043e', '\u1c83': '\u0441', '\u1c84': '\u0442', '\u1c85': '\u0442', '\u1c86': '\u044a',
    '\u1c87': '\u0463', '\u1c88': '\ua64b', '\u1e96': 'h\u0331', '\u1e97': 't\u0308', '\u1e98': 'w\u030a',
    '\u1e99': 'y\u030a', '\u1e9a': 'a\u02be', '\u1e9b': '\u1e61', '\u1f50': '\u03c5\u0313',
    '\u1f52': '\u03c5\u0313\u0300', '\u1f54': '\u03c5\u0313\u0301', '\u1f56': '\u03c5\u0313\u0342',
    '\u1f80': '\u1f00\u03b9', '\u1f81': '\u1f01\u03b9', '\u1f82': '\u1f02\u03b9', '\u1f83': '\u1f03\u03b9',
    '\u1f84': '\u1f04\u03b9', '\u1f85': '\u1f05\u03b9', '\u1f86': '\u1f06\u03b9', '\u1f87': '\u1f07\u03b9',
    '\u1f90': '\u1f20\u03b9', '\u1f91': '\u1f21\u03b9', '\u1f92': '\u1f22\u03b9', '\u1f93': '\u1f23\u03b9',
    '\u1f94': '\u1f24\u03b9', '\u1f95': '\u1f25\u03b9', '\u1f96': '\u1f26\u03b9', '\u1f97': '\u1f27\u03b9',
    '\u1fa0': '\u1f60\u03b9', '\u1fa1': '\u1f61\u03b9', '\u1fa2': '\u1f62\u03b9', '\u1fa3': '\u1f63\u03b9',
    '\u1fa4': '\u1f64\u03b9', '\u1fa5': '\u1f65\u03b9', '\u1fa6': '\u1f66\u03b9', '\u1fa7': '\u1f67\u03b9',
    '\u1fb2': '\u1f70\u03b9', '\u1fb3': '\u03b1\u03b9', '\u1fb4': '\u03ac\u03b9', '\u1fb6': '\u03b1\u0342',
    '\u1fb7': '\u03b1\u0342\u03b9', '\u1fbe': '\u03b9', '\u1fc2': '\u1f74\u03b9', '\u1fc3': '\u03b7\u03b9',
    '\u1fc4': '\u03ae\u03b9', '\u1fc6': '\u03b7\u0342', '\u1fc7': '\u03b7\u0342\u03b9',
    '\u1fd2': '\u03b9\u0308\u0300', '\u1fd3': '\u03b9\u0308\u0301', '\u1fd6': '\u03b9\u0342',
    '\u1fd7': '\u03b9\u0308\u0342', '\u1fe2': '\u03c5\u0308\u0300', '\u1fe3': '\u03c5\u0308\u0301',
    '\u1fe4': '\u03c1\u0313', '\u1fe6': '\u03c5\u0342', '\u1fe7': '\u03c5\u0308\u0342', '\u1ff2': '\u1f7c\u03b9',
    '\u1ff3': '\u03c9\u03b9', '\u1ff4': '\u03ce\u03b9', '\u1ff6': '\u03c9\u0342', '\u1ff7': '\u03c9\u0342\u03b9',
    '\uab70': '\u13a0', '\uab71': '\u13a1', '\uab72': '\u13a2', '\uab73': '\u13a3', '\uab74': '\u13a4',
    '\uab75': '\u13a5', '\uab76': '\u13a6', '\uab77': '\u13a7', '\uab78': '\u13a8', '\uab79': '\u13a9',
    '\uab7a': '\u13aa', '\uab7b': '\u13ab', '\uab7c': '\u13ac', '\uab7d': '\u13ad', '\uab7e': '\u13ae',
    '\uab7f': '\u13af', '\uab80': '\u13b0', '\uab81': '\u13b1', '\uab82': '\u13b2', '\uab83': '\u13b3',
    '\uab84': '\u13b4', '\uab85': '\u13b5', '\uab86': '\u13b6', '\uab87': '\u13b7', '\uab88': '\u13b8',
    '\uab89': '\u13b9', '\uab8a': '\u13ba', '\uab8b': '\u13bb', '\uab8c': '\u13bc', '\uab8d': '\u13bd',
    '\uab8e': '\u13be', '\uab8f': '\u13bf', '\uab90': '\u13c0', '\uab91': '\u13c1', '\uab92': '\u13c2',
    '\uab93': '\u13c3', '\uab94': '\u13c4', '\uab95': '\u13c5', '\uab96': '\u13c6', '\uab97': '\u13c7',
    '\uab98': '\u13c8', '\uab99': '\u13c9', '\uab9a': '\u13ca', '\uab9b': '\u13cb', '\uab9c': '\u13cc',
    '\uab9d': '\u13cd', '\uab9e': '\u13ce', '\uab9f': '\u13cf', '\uaba0': '\u13d0', '\uaba1': '\u13d1',
    '\uaba2': '\u13d2', '\uaba3': '\u13d3', '\uaba4': '\u13d4', '\uaba5': '\u13d5', '\uaba6': '\u13d6',
    '\uaba7': '\u13d7', '\uaba8': '\u13d8', '\uaba9': '\u13d9', '\uabaa': '\u13da', '\uabab': '\u13db',
    '\uabac': '\u13dc', '\uabad': '\u13dd', '\uabae': '\u13de', '\uabaf': '\u13df', '\uabb0': '\u13e0',
    '\uabb1': '\u13e1', '\uabb2': '\u13e2', '\uabb3': '\u13e3', '\uabb4': '\u13e4', '\uabb5': '\u13e5',
    '\uabb6': '\u13e6', '\uabb7': '\u13e7', '\uabb8': '\u13e8', '\uabb9': '\u13e9', '\uabba': '\u13ea',
    '\uabbb': '\u13eb', '\uabbc': '\u13ec', '\uabbd': '\u13ed', '\uabbe': '\u13ee', '\uabbf': '\u13ef',
    '\ufb00': 'ff', '\ufb01': 'fi', '\ufb02': 'fl', '\ufb03': 'ffi', '\ufb04': 'ffl', '\ufb05': 'st',
    '\ufb06': 'st', '\ufb13': '\u0574\u0576', '\ufb14': '\u0574\u0565', '\ufb15': '\u0574\u056b',
    '\ufb16': '\u057e\u0576', '\ufb17': '\u0574\u056d',
}
_FROM, _TO = list(CASEFOLD_AFTER_LOWER), list(CASEFOLD_AFTER_LOWER.values())


def canonical(expr: pl.Expr) -> pl.Expr:
    """The canonical form of an id: NFKC, case-folded, NFKC."""
    return (expr.str.normalize("NFKC").str.to_lowercase().str.replace_many(_FROM, _TO)
            .str.normalize("NFKC"))


def application_key(expr: pl.Expr) -> pl.Expr:
    """Two application ids are the same application when their keys are equal."""
    return canonical(expr)


def person_key(expr: pl.Expr) -> pl.Expr:
    """Two person ids are the same person when their keys are equal (rules.md §5.3): the canonical form without
    white space or invisible format characters."""
    return canonical(expr).str.replace_all(r"[\s\p{Cf}\p{Default_Ignorable_Code_Point}\x{2800}]", "")


KEYS = (("application_key", "application_id", application_key), ("person_key", "person_id", person_key))


def application_keys_of(application_ids: list[str]) -> list[str]:
    """The keys of application ids, as `application_key` computes them, in Python: NFKC, `casefold`, NFKC. The ids
    holding a character this Python's Unicode database has not assigned (polars' may be newer) are keyed by the
    expression itself, all of them at once."""
    newer = sorted({i for i in application_ids if any(unicodedata.category(c) in ("Cn", "Cs") for c in i)})
    by_expression = {}
    if newer:
        import polars as pl

        by_expression = dict(zip(newer, pl.select(application_key(pl.Series(newer, dtype=pl.String))).to_series(),
                                 strict=True))
    return [by_expression[i] if i in by_expression
            else unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", i).casefold()) for i in application_ids]


def application_key_of(application_id: str) -> str:
    """The key of one application id (application_keys_of)."""
    return application_keys_of([application_id])[0]


def with_keys(df: pl.DataFrame) -> pl.DataFrame:
    """The frame with the keys of the ids it holds (application_key, person_key), where it has not got them yet."""
    import polars as pl

    return df.with_columns(key(pl.col(raw)).alias(name) for name, raw, key in KEYS
                           if raw in df.columns and name not in df.columns)
