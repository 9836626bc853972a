"""The contract's rule on identifiers (docs/spec/contract.md "Identifiers"): `application_id` and `person_id` hold
visible characters only. A control or invisible format character (Unicode categories Cc and Cf, and the other
characters Unicode lets a renderer show as nothing) anywhere, or white space at either end, rejects the row; how ids
are compared (their canonical form) is transforms/identity.py. The reasons' wording reads this module without
loading polars (`explain`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

# invisible: controls, format characters, and what Unicode says a renderer may show as nothing (Default_Ignorable:
# variation selectors, the combining grapheme joiner, Hangul fillers) or shows blank (U+2800)
INVISIBLE = r"\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\x{2800}"
ID_PATTERN = rf"^[^{INVISIBLE}\s](?:[^{INVISIBLE}]*[^{INVISIBLE}\s])?$"
VISIBLE_ID = ("holds a control or invisible character, or white space at either end (an id holds visible "
              "characters only)")


def visible(column: str) -> pl.Expr:
    """True for an id of visible characters only (a missing id is another check's)."""
    import polars as pl

    return pl.col(column).str.contains(ID_PATTERN).fill_null(True)
